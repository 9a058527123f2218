//! The rest of the REST surface against a real Directus server, for both clients: batch
//! updates, imports (one collection from a file, the multi-collection upsert), export into a
//! file, the utilities, GraphQL and content versions.
//!
//! Each scenario is written once, in [`scenario!`], and expands into a `blocking` and an
//! `async_client` test; `a!(expr)` awaits on the async side only (as in `files_system.rs`).

// The sort scenario holds a std mutex across awaits on purpose: each async test runs on its own
// runtime under `block_on`, and the mutex only makes the two test threads take turns.
#![allow(clippy::await_holding_lock)]

use std::time::Duration;

use directus_proto::files::StreamedFile;
use directus_proto::flows::{Flow, FlowOperation};
use directus_proto::graphql::Endpoint;
use directus_proto::models::{File, Revision};
use directus_proto::utils::{ImportBatch, ImportOptions};
use directus_proto::{ExportFormat, F, FileMeta, Key, Query, Secret, UploadFile};
use directus_tests::fixtures::{
    CATALOG, NOTES, PRODUCTS, RANKED, READER_EMAIL, READER_PASSWORD, TFA_POLICY_ID,
};
use directus_tests::{Server, unique};
use serde::Deserialize;
use serde_json::{Value, json};

/// Expands one scenario body into a blocking test and an async test.
macro_rules! scenario {
    ($(#[$meta:meta])* fn $name:ident($d:ident, $server:ident) $body:block) => {
        $(#[$meta])*
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[test]
            fn blocking() {
                #[allow(unused_macros)]
                macro_rules! a {
                    ($e:expr) => {
                        $e
                    };
                }
                #[allow(unused_imports)]
                use directus_blocking::Directus as Client;
                let $server = Server::from_env();
                $server.fixtures();
                let $d = Client::login(&$server.url, &$server.admin_email, &$server.admin_password)
                    .expect("admin login (blocking)");
                $body
            }

            #[test]
            fn async_client() {
                #[allow(unused_macros)]
                macro_rules! a {
                    ($e:expr) => {
                        $e.await
                    };
                }
                #[allow(unused_imports)]
                use directus_async::Directus as Client;
                let $server = Server::from_env();
                $server.fixtures();
                runtime().block_on(async {
                    let $d =
                        Client::login(&$server.url, &$server.admin_email, &$server.admin_password)
                            .await
                            .expect("admin login (async)");
                    $body
                })
            }
        }
    };
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime")
}

/// A catalog row as the tests read it back.
#[derive(Debug, Deserialize, PartialEq)]
struct CatalogRow {
    sku: String,
    name: Option<String>,
    stock: Option<i64>,
}

static SORT_LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// A sort value far from any other run's (and within a 32-bit integer column).
fn sort_base() -> i64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    1_000 + i64::from(nanos % 200_000_000) * 8
}

fn catalog_query(run: &str) -> Query {
    Query::new()
        .filter(F::eq("run", run))
        .fields(["sku", "name", "stock"])
        .sort("sku", directus_proto::Order::Asc)
        .no_limit()
}

scenario! {
    /// `PATCH /items/c` with a list: each item its own patch, one transaction.
    fn update_batch_patches_each_item(d, _server) {
        let run = unique("batch");
        let catalog = d.collection_as::<CatalogRow>(CATALOG);
        let rows: Vec<Value> = (1..=3)
            .map(|i| json!({"sku": format!("{run}-{i}"), "name": format!("n{i}"), "stock": 0, "run": run}))
            .collect();
        a!(catalog.create_many(&rows)).unwrap();
        let patches = [
            json!({"sku": format!("{run}-1"), "stock": 10}),
            json!({"sku": format!("{run}-3"), "stock": 30, "name": "third"}),
        ];
        let updated = a!(catalog.update_batch(&patches)).unwrap().expect("the admin reads them back");
        assert_eq!(updated.len(), 2);
        let after = a!(catalog.clone().with_query(catalog_query(&run)).read()).unwrap();
        let stocks: Vec<_> = after.items().iter().map(|r| (r.stock, r.name.clone())).collect();
        assert_eq!(
            stocks,
            [(Some(10), Some("n1".into())), (Some(0), Some("n2".into())), (Some(30), Some("third".into()))]
        );
        // A patch without the key is refused by the server: the transaction changes nothing.
        let err = a!(catalog.update_batch(&[json!({"sku": format!("{run}-2"), "stock": 5}), json!({"stock": 1})]))
            .unwrap_err();
        assert_eq!(err.status().map(|s| s.as_u16()), Some(400), "{err}");
        let again = a!(catalog.clone().with_query(catalog_query(&run)).read()).unwrap();
        assert_eq!(again.items()[1].stock, Some(0));
        assert!(a!(catalog.update_batch::<Value>(&[])).is_err());
    }
}

scenario! {
    /// `POST /utils/import/c`: a CSV in memory, and a JSON file streamed from disk.
    fn import_files_into_a_collection(d, _server) {
        let run = unique("import");
        let csv = format!("sku,name,stock,run\n{run}-a,Apple,1,{run}\n{run}-b,Pear,2,{run}\n");
        a!(d.import(CATALOG, &UploadFile::new("rows.csv", csv))).unwrap();
        let path = std::env::temp_dir().join(format!("{run}.json"));
        let json_rows = json!([{"sku": format!("{run}-c"), "name": "Plum", "stock": 3, "run": run}]);
        std::fs::write(&path, json_rows.to_string()).unwrap();
        let streamed = a!(d.files().import_rows_path(CATALOG, &path, StreamedFile::new("rows.json")));
        std::fs::remove_file(&path).ok();
        streamed.unwrap();
        let rows = a!(d.collection_as::<CatalogRow>(CATALOG).with_query(catalog_query(&run)).read()).unwrap();
        let got: Vec<_> = rows.items().iter().map(|r| (r.name.clone().unwrap(), r.stock)).collect();
        assert_eq!(got, [("Apple".into(), Some(1)), ("Pear".into(), Some(2)), ("Plum".into(), Some(3))]);
        // A file Directus cannot read is its error, typed.
        let err = a!(d.import(CATALOG, &UploadFile::new("x.txt", "hello").media_type("text/plain"))).unwrap_err();
        assert!(err.api().is_some(), "{err}");
    }
}

scenario! {
    /// `POST /utils/import?mode=merge`: dry run, upsert, and an idempotent second run.
    fn import_batch_upserts(d, _server) {
        let run = unique("merge");
        let catalog = d.collection_as::<CatalogRow>(CATALOG);
        a!(catalog.create(&json!({"sku": format!("{run}-1"), "name": "old", "stock": 1, "run": run}))).unwrap();
        let rows = vec![
            json!({"sku": format!("{run}-1"), "name": "new", "stock": 1, "run": run}),
            json!({"sku": format!("{run}-2"), "name": "fresh", "stock": 2, "run": run}),
        ];
        let batch = [ImportBatch::new(CATALOG, rows)];
        let dry = a!(d.import_batch(&batch, ImportOptions::merge().dry_run(true))).unwrap();
        assert!(!dry.applied);
        assert_eq!(dry.collections[CATALOG].existing, [Key::from(format!("{run}-1"))]);
        assert_eq!(dry.collections[CATALOG].new, [Key::from(format!("{run}-2"))]);
        let before = a!(catalog.clone().with_query(catalog_query(&run)).read()).unwrap();
        assert_eq!(before.items().len(), 1, "a dry run changes nothing");
        let report = a!(d.import_batch(&batch, ImportOptions::merge())).unwrap();
        assert!(report.applied);
        assert_eq!(report.collections[CATALOG].new.len(), 1);
        let after = a!(catalog.clone().with_query(catalog_query(&run)).read()).unwrap();
        let names: Vec<_> = after.items().iter().map(|r| r.name.clone().unwrap()).collect();
        assert_eq!(names, ["new", "fresh"]);
        let second = a!(d.import_batch(&batch, ImportOptions::merge())).unwrap();
        assert_eq!(second.collections[CATALOG].new.len(), 0);
        assert_eq!(second.collections[CATALOG].existing.len(), 2);
        assert_eq!(a!(catalog.clone().with_query(catalog_query(&run)).read()).unwrap().items().len(), 2);
    }
}

scenario! {
    /// `POST /utils/export/c` writes a file in the background: it shows up in the library.
    fn export_into_a_file(d, _server) {
        let title = unique("export");
        let query = Query::new().fields(["sku", "name"]).limit(5);
        a!(d.export_to_file(CATALOG, &query, ExportFormat::Csv, &FileMeta::new().title(title.as_str()))).unwrap();
        let files = d.files();
        let mut found: Vec<File> = Vec::new();
        // The export runs after the answer: poll a bounded number of times.
        for _ in 0..150 {
            found = a!(files.list(&Query::new().filter(F::eq("title", title.as_str())))).unwrap().items().to_vec();
            if !found.is_empty() {
                break;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        assert_eq!(found.len(), 1, "the exported file appears");
        assert_eq!(found[0].r#type.as_deref(), Some("text/csv"));
        let id = found[0].id.clone().unwrap();
        a!(files.delete(id)).unwrap();
    }
}

scenario! {
    /// Random strings, manual sort, revert, cache clear.
    fn utilities(d, _server) {
        let s = a!(d.random_string(17)).unwrap();
        assert_eq!(s.chars().count(), 17);
        assert!(a!(d.random_string(0)).is_err());

        // The manual sort renumbers rows across the whole collection: the two clients take
        // turns, and the rows get sort values no other run uses (no duplicates to renumber).
        let _turn = SORT_LOCK.lock().unwrap_or_else(|p| p.into_inner());
        let run = unique("sort");
        let base = sort_base();
        let rows: Vec<Value> = (1..=3)
            .map(|i| json!({"label": format!("r{i}"), "sort": base + i, "run": run}))
            .collect();
        let created = a!(d.collection(RANKED).create_many(&rows)).unwrap().unwrap();
        let ids: Vec<i64> = created.iter().map(|r| r["id"].as_i64().unwrap()).collect();
        a!(d.sort(RANKED, ids[2], ids[0])).unwrap();
        let order = a!(d.collection(RANKED)
            .filter(F::eq("run", run.as_str()))
            .fields(["label"])
            .sort("sort", directus_proto::Order::Asc)
            .read())
        .unwrap();
        let labels: Vec<_> = order.items().iter().map(|r| r["label"].as_str().unwrap().to_owned()).collect();
        assert_eq!(labels, ["r3", "r1", "r2"]);
        drop(_turn);

        let run = unique("revert");
        let catalog = d.collection_as::<CatalogRow>(CATALOG);
        a!(catalog.create(&json!({"sku": format!("{run}-1"), "name": "original", "run": run}))).unwrap();
        // Revert: back to the revision the create recorded.
        let sku = format!("{run}-1");
        a!(catalog.update(sku.as_str(), &json!({"name": "changed"}))).unwrap();
        let revisions = a!(d.collection_of::<Revision>()
            .filter(F::eq("collection", CATALOG) & F::eq("item", sku.as_str()))
            .sort("id", directus_proto::Order::Asc)
            .read())
        .unwrap();
        let first = revisions.items().first().and_then(|r| r.id.clone()).expect("a revision");
        a!(d.revert(first)).unwrap();
        let reverted = a!(catalog.read_one(sku.as_str())).unwrap();
        assert_eq!(reverted.name.as_deref(), Some("original"));

        a!(d.clear_server_cache(false)).unwrap();
        a!(d.clear_server_cache(true)).unwrap();
    }
}

scenario! {
    /// GraphQL: read, create, aggregate, the system endpoint, errors as `Error::Api`.
    fn graphql_reads_writes_and_fails_typed(d, _server) {
        #[derive(Deserialize)]
        struct Created {
            create_drs_catalog_item: CatalogRow,
        }
        #[derive(Deserialize)]
        struct Listed {
            drs_catalog: Vec<CatalogRow>,
        }
        let run = unique("gql");
        let created: Created = a!(d.graphql(
            "mutation($data: create_drs_catalog_input!) { create_drs_catalog_item(data: $data) { sku name stock } }",
            &json!({"data": {"sku": format!("{run}-1"), "name": "Quince", "stock": 4, "run": run}}),
        ))
        .unwrap();
        assert_eq!(created.create_drs_catalog_item.name.as_deref(), Some("Quince"));
        let listed: Listed = a!(d.graphql(
            "query($run: String) { drs_catalog(filter: {run: {_eq: $run}}) { sku name stock } }",
            &json!({"run": run}),
        ))
        .unwrap();
        assert_eq!(listed.drs_catalog, [created.create_drs_catalog_item]);
        let agg: Value = a!(d.graphql(
            "query($run: String) { drs_catalog_aggregated(filter: {run: {_eq: $run}}) { count { sku } sum { stock } } }",
            &json!({"run": run}),
        ))
        .unwrap();
        assert_eq!(agg["drs_catalog_aggregated"][0]["count"]["sku"], 1);
        assert_eq!(agg["drs_catalog_aggregated"][0]["sum"]["stock"], 4);
        let me: Value = a!(d.graphql_system("{ users_me { email } }", &())).unwrap();
        assert_eq!(me["users_me"]["email"], _server.admin_email.as_str());

        // A query the schema refuses: 400 with `errors`.
        let err = a!(d.graphql::<Value>("{ no_such_collection { id } }", &())).unwrap_err();
        assert_eq!(err.status().map(|s| s.as_u16()), Some(400), "{err}");
        assert_eq!(err.api().expect("an API error").code().as_str(), "GRAPHQL_VALIDATION", "{err}");
        // A mutation refused while running: 200 with `data` and `errors`, still an error.
        let err = a!(d.graphql::<Value>(
            "mutation($sku: ID!) { create_drs_catalog_item(data: {sku: $sku}) { sku } }",
            &json!({"sku": format!("{run}-1")}),
        ))
        .unwrap_err();
        assert_eq!(err.status().map(|s| s.as_u16()), Some(200), "{err}");
        assert_eq!(err.api().expect("an API error").code().as_str(), "RECORD_NOT_UNIQUE", "{err}");
    }
}

scenario! {
    /// Content versions: create, save, read at the version (raw too), compare, promote.
    fn versions_round_trip(d, _server) {
        #[derive(Deserialize)]
        struct Note {
            id: String,
            title: Option<String>,
        }
        let run = unique("version");
        let notes = d.collection_as::<Note>(NOTES);
        let note = a!(notes.create(&json!({"title": "main", "run": run}))).unwrap().unwrap();
        let key = format!("k{}", &run[run.len() - 8..]);
        let version = a!(d.create_version(NOTES, note.id.as_str(), &key, "Draft")).unwrap().unwrap();
        let vid = version.id.clone().unwrap();
        a!(d.save_version(vid.clone(), &json!({"title": "drafted"}))).unwrap();
        let at_version = a!(notes.clone().version(key.as_str()).read_one(note.id.as_str())).unwrap();
        assert_eq!(at_version.title.as_deref(), Some("drafted"));
        let raw: Value = a!(d.collection(NOTES).version(key.as_str()).version_raw().read_one(note.id.as_str())).unwrap();
        assert_eq!(raw["title"], "drafted");
        let main = a!(notes.read_one(note.id.as_str())).unwrap();
        assert_eq!(main.title.as_deref(), Some("main"));
        let cmp = a!(d.compare_version(vid.clone())).unwrap();
        assert!(!cmp.outdated);
        assert_eq!(cmp.current["title"], "drafted");
        assert_eq!(cmp.main["title"], "main");
        a!(d.promote_version(vid.clone(), &cmp.main_hash, None)).unwrap();
        assert_eq!(a!(notes.read_one(note.id.as_str())).unwrap().title.as_deref(), Some("drafted"));
        // `backlink=false` is accepted and reads the same plain item.
        let plain: Value = a!(d.collection(NOTES).backlink(false).read_one(note.id.as_str())).unwrap();
        assert_eq!(plain["title"], "drafted");
    }
}

/// Collects what an `on_tokens` hook is told: the refresh tokens, `None` for a logout.
#[derive(Clone, Default)]
struct Kept(std::sync::Arc<std::sync::Mutex<Vec<Option<String>>>>);

impl Kept {
    fn hook(&self) -> impl Fn(Option<&directus_proto::auth::Tokens>) + Send + Sync + 'static {
        let log = std::sync::Arc::clone(&self.0);
        move |tokens| {
            let refresh = tokens.map(|t| {
                t.refresh_token
                    .as_ref()
                    .map(|r| r.expose().to_owned())
                    .unwrap_or_default()
            });
            log.lock().unwrap().push(refresh);
        }
    }

    fn all(&self) -> Vec<Option<String>> {
        self.0.lock().unwrap().clone()
    }

    fn last(&self) -> String {
        self.all()
            .last()
            .cloned()
            .flatten()
            .expect("a refresh token was kept")
    }
}

scenario! {
    /// Token persistence: the hook sees each rotation, a new client resumes from the kept
    /// refresh token, a spent one is refused, and logout says `None`.
    fn tokens_persist_across_clients(_d, server) {
        let kept = Kept::default();
        let first = a!(Client::builder(&server.url)
            .on_tokens(kept.hook())
            .login(&server.admin_email, &server.admin_password))
        .unwrap();
        let r1 = kept.last();
        a!(first.refresh()).unwrap();
        let r2 = kept.last();
        assert_ne!(r1, r2, "the refresh token rotates");
        drop(first);

        let resumed_log = Kept::default();
        let resumed = a!(Client::builder(&server.url).on_tokens(resumed_log.hook()).resume(&r2)).unwrap();
        let me = a!(resumed.me()).unwrap();
        assert_eq!(me["email"], server.admin_email.as_str());
        let r3 = resumed_log.last();
        assert_ne!(r3, r2, "resuming rotates the token, and the hook is told");

        let spent = a!(Client::builder(&server.url).resume(&r1)).unwrap_err();
        assert!(spent.api().is_some(), "a spent refresh token is the server's refusal: {spent}");

        a!(resumed.logout()).unwrap();
        assert_eq!(resumed_log.all().last(), Some(&None));
        assert!(a!(Client::builder(&server.url).resume(&r3)).is_err(), "logout revoked it");
    }
}

scenario! {
    /// The `sync` example's steps on a few rows: diff with the server, upsert what differs;
    /// a second run sends nothing, a changed row is updated.
    fn sync_upserts_only_what_changed(d, _server) {
        use directus_proto::utils::diff_rows;
        let run = unique("sync");
        let rows = |renamed: bool| -> Vec<Value> {
            (1..=30)
                .map(|i| {
                    let name = if renamed && i == 7 { "renamed".to_owned() } else { format!("Item {i}") };
                    json!({"sku": format!("{run}-{i:02}"), "name": name, "stock": i, "run": run})
                })
                .collect()
        };
        let mut sent = Vec::new();
        for incoming in [rows(false), rows(false), rows(true)] {
            let existing: Vec<Value> = a!(d.collection(CATALOG)
                .filter(F::eq("run", run.as_str()))
                .fields(["sku", "name", "stock", "run"])
                .no_limit()
                .read())
            .unwrap()
            .items()
            .to_vec();
            let diff = diff_rows("sku", &existing, incoming).unwrap();
            let to_send = diff.to_send();
            let (mut created, mut updated) = (0, 0);
            for chunk in to_send.chunks(12) {
                let report = a!(d.import_batch(&[ImportBatch::new(CATALOG, chunk.to_vec())], ImportOptions::merge())).unwrap();
                created += report.collections[CATALOG].new.len();
                updated += report.collections[CATALOG].existing.len();
            }
            sent.push((created, updated, diff.unchanged));
        }
        assert_eq!(sent, [(30, 0, 0), (0, 0, 30), (0, 1, 29)]);
        let seven: Value = a!(d.collection(CATALOG).read_one(format!("{run}-07"))).unwrap();
        assert_eq!(seven["name"], "renamed");
    }
}

scenario! {
    /// `/permissions/me/c/k`, `/policies/me/globals`, `/roles/me`, `GET /auth`, the specs.
    fn access_and_specs(d, server) {
        let perms = a!(d.item_permissions(CATALOG, Some(Key::from("any")))).unwrap();
        assert!(perms.update.access && perms.delete.access);
        let globals = a!(d.my_policy_globals()).unwrap();
        assert!(globals.admin_access && globals.app_access);
        let roles = a!(d.my_roles()).unwrap();
        assert_eq!(roles[0].name.as_deref(), Some("Administrator"));
        let providers = a!(d.auth_providers()).unwrap();
        assert!(providers.providers.is_empty() && !providers.disable_default);

        // The reader may not update products: the item answer says so.
        let reader = a!(Client::login(&server.url, READER_EMAIL, READER_PASSWORD)).unwrap();
        let theirs = a!(reader.item_permissions(PRODUCTS, Some(Key::Int(1)))).unwrap();
        assert!(!theirs.update.access && !theirs.delete.access);
        assert!(!a!(reader.my_policy_globals()).unwrap().admin_access);

        let sdl = a!(d.graphql_sdl(Endpoint::Items)).unwrap();
        assert!(sdl.contains("drs_catalog"), "the SDL names the collections");
        let system_sdl = a!(d.graphql_sdl(Endpoint::System)).unwrap();
        assert!(system_sdl.contains("users_me"));
        let oas = a!(d.openapi()).unwrap();
        assert!(oas["openapi"].as_str().unwrap().starts_with('3'));
        assert!(oas["paths"].get("/items/drs_catalog").is_some());
    }
}

scenario! {
    /// Shares: create, public info, log in with it (password), read the shared item only.
    fn shares_log_in_to_one_item(d, server) {
        let run = unique("share");
        let sku = format!("{run}-1");
        a!(d.collection(CATALOG).create(&json!({"sku": sku, "name": "shared", "run": run}))).unwrap();
        let password = Secret::new("share-pw-1");
        let admin_role = &server.fixtures().admin_role;
        let share = a!(d.create_share(CATALOG, sku.as_str(), admin_role, "press", Some(&password))).unwrap().unwrap();
        let id = share.id.clone().unwrap();
        let anonymous = Client::builder(&server.url).anonymous().unwrap();
        let info = a!(anonymous.share_info(id.clone())).unwrap();
        assert_eq!(info.collection.as_deref(), Some(CATALOG));
        let wrong = a!(anonymous.share_login(id.clone(), Some(&Secret::new("nope")))).unwrap_err();
        assert!(wrong.api().is_some(), "{wrong}");
        let tokens = a!(anonymous.share_login(id.clone(), Some(&password))).unwrap();
        let guest = Client::builder(&server.url).token(tokens.access_token.expose()).unwrap();
        let item: Value = a!(guest.collection(CATALOG).read_one(sku.as_str())).unwrap();
        assert_eq!(item["name"], "shared");
        let other = a!(guest.collection(PRODUCTS).read());
        assert!(other.is_err(), "a share reads its item only");
        // The server accepts the invite (its mail goes to the configured transport).
        a!(d.share_invite(id.clone(), &["press@example.com"])).unwrap();
        assert!(a!(d.share_invite(id, &[])).is_err());
    }
}

scenario! {
    /// A webhook flow whose operation echoes the payload: trigger it, read the answer.
    fn webhook_flow_echoes(d, _server) {
        let name = unique("flow");
        let flow: Value = a!(d.collection_as::<Value>("directus_flows").create(&json!({
            "name": name,
            "status": "active",
            "trigger": "webhook",
            "accountability": "all",
            "options": {"method": "POST", "async": false, "return": "$last"},
        })))
        .unwrap()
        .unwrap();
        let flow_id = flow["id"].as_str().unwrap().to_owned();
        let op = a!(d.collection_of::<FlowOperation>().create(&json!({
            "flow": flow_id,
            "key": "echo",
            "name": "Echo",
            "type": "transform",
            "position_x": 19,
            "position_y": 1,
            "options": {"json": "{\"echo\": {{$trigger.body}}}"},
        })))
        .unwrap()
        .unwrap();
        a!(d.collection_of::<Flow>().update(flow_id.as_str(), &json!({"operation": op.id}))).unwrap();
        let typed = a!(d.collection_of::<Flow>().read_one(flow_id.as_str())).unwrap();
        assert_eq!(typed.trigger.as_deref(), Some("webhook"));
        let payload = json!({"n": 42, "run": name});
        let answer: Value = a!(d.trigger_flow(flow_id.as_str(), Some(&payload))).unwrap();
        assert_eq!(answer, json!({"echo": payload}));
        a!(d.collection_of::<Flow>().delete(flow_id.as_str())).unwrap();
    }
}

/// The current TOTP code of a base32 secret (SHA-1, 6 digits, 30 s: Directus's otplib
/// defaults). Waits out the last 3 s of a step so the code is still valid when it arrives.
fn totp(secret: &Secret) -> String {
    use totp_rs::{Algorithm, Secret as Base32, TOTP};
    let step = |now: std::time::SystemTime| {
        now.duration_since(std::time::UNIX_EPOCH)
            .expect("a clock after 1970")
            .as_secs()
    };
    if step(std::time::SystemTime::now()) % 30 >= 27 {
        std::thread::sleep(Duration::from_secs(4));
    }
    let bytes = Base32::Encoded(secret.expose().to_owned())
        .to_bytes()
        .expect("a base32 secret");
    TOTP::new_unchecked(Algorithm::SHA1, 6, 1, 30, bytes)
        .generate(step(std::time::SystemTime::now()))
}

scenario! {
    /// Two-factor authentication end to end: generate, enable with a code, log in with an
    /// OTP (and not without), disable with a code; an admin disables it for a user.
    fn tfa_end_to_end(d, server) {
        use directus_proto::models::User;
        let email = format!("{}@example.com", unique("tfa"));
        let password = "tfa-password-1";
        // Enabling TFA writes the user's own row: the user gets the fixture policy that allows
        // it (not the admin role: Directus 12 limits the number of admin and app users).
        let reader_role = &server.fixtures().reader_role;
        let user = a!(d.collection_of::<User>().create(&json!({
            "email": email, "password": password, "role": reader_role, "status": "active"
        })))
        .unwrap()
        .unwrap();
        let user_id = user.id.clone().unwrap();
        a!(d.collection("directus_access").create(&json!({"user": user_id, "policy": TFA_POLICY_ID}))).unwrap();
        let me = a!(Client::login(&server.url, &email, password)).unwrap();
        assert!(a!(me.tfa_generate(None)).is_err(), "a password user must give the password");
        let tfa = a!(me.tfa_generate(Some(&Secret::new(password)))).unwrap();
        assert!(tfa.otpauth_url.expose().starts_with("otpauth://totp/"));
        assert!(a!(me.tfa_enable(&tfa.secret, "000000")).is_err() || totp(&tfa.secret) == "000000");
        a!(me.tfa_enable(&tfa.secret, &totp(&tfa.secret))).unwrap();

        let without = a!(Client::login(&server.url, &email, password)).unwrap_err();
        assert_eq!(without.api().map(|e| e.code().as_str().to_owned()).as_deref(), Some("INVALID_OTP"), "{without}");
        let with = a!(Client::builder(&server.url).login_otp(&email, password, &totp(&tfa.secret))).unwrap();
        assert_eq!(a!(with.me()).unwrap()["email"], email.as_str());
        a!(with.tfa_disable(&totp(&tfa.secret))).unwrap();
        a!(Client::login(&server.url, &email, password)).expect("no OTP needed any more");

        // Again, and this time the admin turns it off.
        let again = a!(with.tfa_generate(Some(&Secret::new(password)))).unwrap();
        a!(with.tfa_enable(&again.secret, &totp(&again.secret))).unwrap();
        assert!(a!(Client::login(&server.url, &email, password)).is_err());
        a!(d.tfa_disable_for(user_id.clone())).unwrap();
        a!(Client::login(&server.url, &email, password)).expect("the admin turned TFA off");
        a!(d.collection_of::<User>().delete(user_id)).unwrap();
    }
}

scenario! {
    /// Invite, read the token from the captured mail, accept with a password, log in.
    fn invite_and_accept(d, server) {
        use directus_proto::models::User;
        let email = format!("{}@example.com", unique("invite"));
        a!(d.invite_user(&email, &server.fixtures().reader_role, None)).unwrap();
        let found = a!(d.collection_of::<User>().filter(F::eq("email", email.as_str())).read()).unwrap();
        let user = found.items().first().expect("the invited user exists").clone();
        assert_eq!(user.status.as_deref(), Some("invited"));
        let anonymous = Client::builder(&server.url).anonymous().unwrap();
        let err = a!(anonymous.accept_invite(&Secret::new("not-a-token"), &Secret::new("pw-1"))).unwrap_err();
        assert!(err.api().is_some(), "{err}");
        let token = directus_tests::mail::token(&directus_tests::mail::wait_for(&email));
        a!(anonymous.accept_invite(&Secret::new(token), &Secret::new("invited-pw-1"))).unwrap();
        let invited = a!(Client::login(&server.url, &email, "invited-pw-1")).unwrap();
        a!(invited.collection(PRODUCTS).limit(1).read()).unwrap();
        a!(d.collection_of::<User>().delete(user.id.clone().unwrap())).unwrap();
    }
}

scenario! {
    /// Public registration: register, verify with the mailed token, log in.
    fn register_and_verify(d, server) {
        use directus_proto::models::User;
        // Idempotent, and only these fields: other tests' settings are left alone.
        a!(d.update_settings(&json!({
            "public_registration": true,
            "public_registration_verify_email": true,
            "public_registration_role": server.fixtures().reader_role,
        })))
        .unwrap();
        let email = format!("{}@example.com", unique("register"));
        let anonymous = Client::builder(&server.url).anonymous().unwrap();
        a!(anonymous.register(&email, &Secret::new("registered-pw-1"), None)).unwrap();
        assert!(a!(Client::login(&server.url, &email, "registered-pw-1")).is_err(), "not verified yet");
        let token = directus_tests::mail::token(&directus_tests::mail::wait_for(&email));
        a!(anonymous.verify_email(&Secret::new(token))).unwrap();
        let registered = a!(Client::login(&server.url, &email, "registered-pw-1")).unwrap();
        a!(registered.collection(PRODUCTS).limit(1).read()).unwrap();
        let found = a!(d.collection_of::<User>().filter(F::eq("email", email.as_str())).read()).unwrap();
        a!(d.collection_of::<User>().delete(found.items()[0].id.clone().unwrap())).unwrap();
    }
}

/// Two small files in a new folder: (folder key, file keys).
fn zip_fixture(blocking: &directus_blocking::Directus) -> (String, Vec<String>) {
    use directus_proto::models::Folder;
    let folder = blocking
        .collection_of::<Folder>()
        .create(&json!({"name": unique("zip")}))
        .unwrap()
        .unwrap();
    let folder_id = folder.id.unwrap().to_string();
    let ids = ["a.txt", "b.txt"]
        .iter()
        .map(|name| {
            let file =
                UploadFile::new(*name, format!("content of {name}")).folder(folder_id.as_str());
            let stored = blocking.files().upload(&file).unwrap().unwrap();
            stored.id.unwrap().to_string()
        })
        .collect();
    (folder_id, ids)
}

fn assert_zip(bytes: &[u8], head: &directus_proto::assets::AssetHead) {
    assert!(
        bytes.starts_with(b"PK\x03\x04"),
        "a zip archive ({} bytes)",
        bytes.len()
    );
    assert_eq!(head.content_type.as_deref(), Some("application/zip"));
    assert!(head.attachment);
    let text = String::from_utf8_lossy(bytes);
    assert!(
        text.contains("a.txt") && text.contains("b.txt"),
        "both names are in the archive"
    );
}

mod zips {
    use super::*;

    /// `POST /assets/files` and `/assets/folder/{id}`, streamed into a writer.
    #[test]
    fn blocking() {
        let server = Server::from_env();
        server.fixtures();
        let d = directus_blocking::Directus::login(
            &server.url,
            &server.admin_email,
            &server.admin_password,
        )
        .unwrap();
        let (folder, ids) = zip_fixture(&d);
        let keys: Vec<&str> = ids.iter().map(String::as_str).collect();
        let mut zip = Vec::new();
        let head = d.files().download_zip(&keys, &mut zip).unwrap();
        assert_zip(&zip, &head);
        let mut folder_zip = Vec::new();
        let head = d
            .files()
            .download_folder_zip(folder.as_str(), &mut folder_zip)
            .unwrap();
        assert_zip(&folder_zip, &head);
        let err = d
            .files()
            .download_zip(&["not-a-uuid"], Vec::new())
            .unwrap_err();
        assert_eq!(err.status().map(|s| s.as_u16()), Some(400), "{err}");
    }

    /// The same, as byte streams.
    #[test]
    fn async_client() {
        use futures_util::TryStreamExt;
        let server = Server::from_env();
        server.fixtures();
        let blocking = directus_blocking::Directus::login(
            &server.url,
            &server.admin_email,
            &server.admin_password,
        )
        .unwrap();
        let (folder, ids) = zip_fixture(&blocking);
        runtime().block_on(async {
            let d = directus_async::Directus::login(
                &server.url,
                &server.admin_email,
                &server.admin_password,
            )
            .await
            .unwrap();
            let keys: Vec<&str> = ids.iter().map(String::as_str).collect();
            let (head, body) = d.files().download_zip(&keys).await.unwrap();
            let zip: Vec<directus_async::Bytes> = body.try_collect().await.unwrap();
            assert_zip(&zip.concat(), &head);
            let (head, body) = d
                .files()
                .download_folder_zip(folder.as_str())
                .await
                .unwrap();
            let zip: Vec<directus_async::Bytes> = body.try_collect().await.unwrap();
            assert_zip(&zip.concat(), &head);
            let Err(err) = d.files().download_zip(&["not-a-uuid"]).await else {
                panic!("a key that is no UUID is refused");
            };
            assert_eq!(err.status().map(|s| s.as_u16()), Some(400), "{err}");
        });
    }
}

scenario! {
    /// Dashboards, panels, access rows and extensions read as typed models.
    fn insights_access_and_extensions_are_typed(d, server) {
        use directus_proto::models::{Access, Dashboard, Extension, Panel};
        let dashboard = a!(d.collection_of::<Dashboard>().create(&json!({"name": unique("dash"), "icon": "insights"})))
            .unwrap()
            .unwrap();
        let dashboard_id = dashboard.id.clone().unwrap();
        let panel = a!(d.collection_of::<Panel>().create(&json!({
            "dashboard": dashboard_id, "type": "label", "position_x": 1, "position_y": 1,
            "width": 6, "height": 4, "show_header": false, "options": {"text": "hello"}
        })))
        .unwrap()
        .unwrap();
        assert_eq!((panel.r#type.as_deref(), panel.width), (Some("label"), Some(6)));
        let read = a!(d.collection_of::<Dashboard>().fields(["*", "panels.*"]).read_one(dashboard_id.clone())).unwrap();
        let panels = read.panels.expect("the panels");
        assert_eq!(panels.len(), 1);
        assert_eq!(panels[0].item().and_then(|p| p.options.clone()).unwrap()["text"], "hello");
        let access = a!(d.collection_of::<Access>().filter(F::eq("role", server.fixtures().reader_role.as_str())).read()).unwrap();
        assert!(access.items().iter().any(|a| a.policy.as_ref().and_then(|p| p.key()).map(ToString::to_string).as_deref() == Some(server.fixtures().reader_policy.as_str())));
        // The test server has no extensions: the typed read of the (empty) list is the check.
        a!(d.collection_of::<Extension>().read()).unwrap();
        a!(d.collection_of::<Dashboard>().delete(dashboard_id)).unwrap();
    }
}

scenario! {
    /// GraphQL runs through the session: a token about to expire is refreshed first, once.
    fn graphql_refreshes_through_the_session(_d, server) {
        let proxy = directus_tests::proxy::Proxy::start(&server.url);
        // Tokens that (the client is told) expire at once: the next call refreshes first.
        proxy.rewrite_expires(Some(0));
        let client = a!(Client::login(proxy.url(), &server.admin_email, &server.admin_password)).unwrap();
        let me: Value = a!(client.graphql_system("{ users_me { email } }", &())).unwrap();
        assert_eq!(me["users_me"]["email"], server.admin_email.as_str());
        assert_eq!(proxy.count("POST", "/auth/refresh"), 1);
        assert_eq!(proxy.count("POST", "/graphql/system"), 1);
    }
}
