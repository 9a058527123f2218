//! Parsing of answers recorded from a real Directus 12.4 server (SQLite), stored in
//! `tests/fixtures/` (tokens and passwords are masked by the server; the server URL is
//! replaced by `http://127.0.0.1:8055`).

use directus_proto::Bytes;
use directus_proto::assets::{self, AssetTransform};
use directus_proto::files::{self, FileMeta, UploadFile};
use directus_proto::models::{
    Activity, Comment, File, Folder, Notification, Permission, Policy, Preset, Revision, Role,
    Settings, Share, Translation, User, Version,
};
use directus_proto::multipart::Boundary;
use directus_proto::schema::{self, Field, Relation};
use directus_proto::{BaseUrl, Error, ErrorCode, Items, Key, Query, response, system};
use http::Response;
use serde::Deserialize;
use serde::de::DeserializeOwned;

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/{name}.json", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn answer(status: u16, name: &str) -> Response<Bytes> {
    Response::builder()
        .status(status)
        .body(Bytes::from(fixture(name)))
        .unwrap()
}

fn base() -> BaseUrl {
    BaseUrl::parse("http://127.0.0.1:8055").unwrap()
}

fn list<T: DeserializeOwned>(name: &str) -> Vec<T> {
    response::page::<T>(answer(200, name))
        .unwrap_or_else(|e| panic!("{name}: {e}"))
        .into_items()
}

#[test]
fn uploads() {
    let op = files::upload(
        &base(),
        &UploadFile::new("pixel.png", b"\x89PNG".to_vec()),
        Boundary::random(1),
    )
    .unwrap();
    let file = op.parse(answer(200, "files_upload_one")).unwrap().unwrap();
    assert_eq!(file.r#type.as_deref(), Some("image/png"));
    assert_eq!(file.title.as_deref(), Some("A pixel"));
    assert_eq!(
        (file.width, file.height, file.filesize),
        (Some(1), Some(1), Some(69))
    );
    assert_eq!(file.tags.unwrap(), serde_json::json!(["a", "b"]));
    assert_eq!(
        file.folder.unwrap().key(),
        Some(&Key::from("2545f45f-22b2-4f17-b98d-f210b7d88a34"))
    );
    assert!(
        file.extra.contains_key("tus_id"),
        "newer fields land in extra"
    );

    let many = files::upload_many(
        &base(),
        &[UploadFile::new("a.txt", "a")],
        Boundary::random(2),
    )
    .unwrap();
    // One file: Directus answers an object; several: a list.
    assert_eq!(
        many.parse(answer(200, "files_upload_one"))
            .unwrap()
            .unwrap()
            .len(),
        1
    );
    let two = many
        .parse(answer(200, "files_upload_two"))
        .unwrap()
        .unwrap();
    assert_eq!(two.len(), 2);
    // Metadata applies to the file it precedes only.
    assert_eq!(two[0].title.as_deref(), Some("Shared"));
    assert!(two[0].folder.is_some());
    assert_eq!(two[1].title.as_deref(), Some("Notes"));
    assert!(two[1].folder.is_none());

    // A user who may create files but not read them gets a 204.
    let no_content = Response::builder().status(204).body(Bytes::new()).unwrap();
    assert_eq!(op.parse(no_content).unwrap(), None);
}

#[test]
fn import_refused_for_loopback_urls() {
    let op = files::import(
        &base(),
        "http://127.0.0.1:8055/server/ping",
        &FileMeta::new(),
    )
    .unwrap();
    let err = op.parse(answer(503, "files_import_error")).unwrap_err();
    let api = err.api().unwrap();
    assert_eq!(api.code(), &ErrorCode::ServiceUnavailable);
    assert!(api.message().contains("Couldn't fetch file"));
}

#[test]
fn file_lists_and_folders() {
    let files: Vec<File> = list("files");
    assert!(files.iter().all(|f| f.id.is_some() && f.r#type.is_some()));
    let folders: Vec<Folder> = list("folders");
    assert_eq!(folders.len(), 3);
    assert_eq!(
        folders[0].extra["type"], "files",
        "12.4 folders carry a type"
    );

    let op = files::folder_by_name(&base(), "photos").unwrap();
    assert_eq!(
        op.parse(answer(200, "folders_by_name_one"))
            .unwrap()
            .name
            .as_deref(),
        Some("photos")
    );
    match op.parse(answer(200, "folders_by_name_none")) {
        Err(Error::InvalidInput(m)) => assert!(m.contains("does not exist"), "{m}"),
        other => panic!("{other:?}"),
    }
    match op.parse(answer(200, "folders_by_name_dup")) {
        Err(Error::InvalidInput(m)) => assert!(m.contains("ambiguous"), "{m}"),
        other => panic!("{other:?}"),
    }
    let dup: Vec<Folder> = list("folders_by_name_dup");
    let err = files::pick_folder("dup", dup).unwrap_err();
    assert!(err.to_string().contains("\"dup\""));
}

#[test]
fn asset_errors() {
    let op = assets::download(&base(), "f", &AssetTransform::new()).unwrap();
    let err = op.parse(answer(400, "assets_bad_width")).unwrap_err();
    assert_eq!(err.api().unwrap().code(), &ErrorCode::InvalidQuery);
    // A missing file is a 403, like a forbidden one.
    let err = assets::asset_error(answer(403, "assets_missing"));
    assert_eq!(err.api().unwrap().code(), &ErrorCode::Forbidden);
}

#[test]
fn server() {
    let info = system::info(&base())
        .unwrap()
        .parse(answer(200, "server_info"))
        .unwrap();
    assert_eq!(info.version.as_deref(), Some("12.4.0"));
    assert_eq!(info.query_limit.unwrap()["default"], 100);
    assert_eq!(info.project.unwrap()["project_name"], "Directus");
    assert_eq!(info.rate_limit, Some(serde_json::Value::Bool(false)));
    let public = system::info(&base())
        .unwrap()
        .parse(answer(200, "server_info_public"))
        .unwrap();
    assert_eq!(public.version, None, "no version without a token");
    assert!(public.project.is_some());

    let health = system::health(&base())
        .unwrap()
        .parse(answer(200, "server_health"))
        .unwrap();
    assert_eq!(health.status.as_deref(), Some("ok"));
    assert_eq!(health.release_id.as_deref(), Some("12.4.0"));
    assert!(health.checks.unwrap()["sqlite3:responseTime"].is_array());
    let user = system::health(&base())
        .unwrap()
        .parse(answer(200, "server_health_user"))
        .unwrap();
    assert_eq!((user.status.as_deref(), user.checks), (Some("ok"), None));
    let anonymous = system::health(&base())
        .unwrap()
        .parse(answer(403, "server_health_anonymous"))
        .unwrap_err();
    assert_eq!(anonymous.api().unwrap().code(), &ErrorCode::Forbidden);
}

#[test]
fn settings_and_the_current_user() {
    let op = system::settings::<Settings>(&base(), &Query::new()).unwrap();
    let settings = op.parse(answer(200, "settings")).unwrap();
    assert_eq!(settings.project_name.as_deref(), Some("Directus"));
    assert_eq!(settings.storage_asset_transform.as_deref(), Some("all"));
    assert_eq!(settings.storage_asset_presets.unwrap()[0]["key"], "thumb");
    assert!(settings.extra.contains_key("mcp_enabled"));

    let op = system::me::<User>(&base(), &Query::new()).unwrap();
    let admin = op.parse(answer(200, "users_me_admin")).unwrap();
    assert_eq!(admin.email.as_deref(), Some("admin@example.com"));
    assert_eq!(
        admin.token.as_ref().map(directus_proto::Secret::expose),
        Some("**********"),
        "tokens are masked"
    );
    assert!(admin.policies.unwrap().is_array());
    let editor = op.parse(answer(200, "users_me")).unwrap();
    assert_eq!(editor.first_name.as_deref(), Some("Eddie"));
    assert!(editor.role.unwrap().key().is_some());

    // A project's own type, flattening the system model.
    #[derive(Deserialize)]
    struct Member {
        #[serde(flatten)]
        base: User,
        last_page: Option<String>,
    }
    let member: Member = system::me::<Member>(&base(), &Query::new())
        .unwrap()
        .parse(answer(200, "users_me"))
        .unwrap();
    assert_eq!(member.base.status.as_deref(), Some("active"));
    assert_eq!(member.last_page, None);

    let perms = system::my_permissions(&base())
        .unwrap()
        .parse(answer(200, "permissions_me"))
        .unwrap();
    assert!(perms["articles"]["read"].allows_field("title"));
    assert!(!perms["articles"]["delete"].allowed());
    assert!(perms["directus_files"]["create"].allowed());
    assert!(!perms["directus_files"]["read"].allowed());

    let roles = system::my_roles(&base())
        .unwrap()
        .parse(answer(200, "roles_me"))
        .unwrap();
    assert_eq!(roles[0].name.as_deref(), Some("Editor"));
}

#[test]
fn system_collections() {
    let roles: Vec<Role> = list("roles");
    assert!(roles.iter().any(|r| r.name.as_deref() == Some("Editor")));
    let policies: Vec<Policy> = list("policies");
    assert!(policies.iter().any(|p| p.admin_access == Some(true)));
    let permissions: Vec<Permission> = list("permissions");
    assert!(permissions[0].policy.is_some() && permissions[0].id.is_some());
    // The list includes the app's built-in permissions: no key, no policy, `system: true`.
    let builtin = &permissions[2];
    assert_eq!((&builtin.id, &builtin.policy), (&None, &None));
    assert_eq!(builtin.extra["system"], true);
    let activity: Vec<Activity> = list("activity");
    assert!(activity[0].action.is_some() && activity[0].timestamp.is_some());
    let revisions: Vec<Revision> = list("revisions");
    assert_eq!(revisions[0].data.as_ref().unwrap()["token"], "**********");
    let comments: Vec<Comment> = list("comments");
    assert_eq!(comments[0].comment.as_deref(), Some("Nice"));
    let presets: Vec<Preset> = list("presets");
    assert_eq!(presets[0].bookmark.as_deref(), Some("Mine"));
    let notifications: Vec<Notification> = list("notifications");
    assert_eq!(notifications[0].status.as_deref(), Some("inbox"));
    let shares: Vec<Share> = list("shares");
    assert_eq!(shares[0].times_used, Some(0));
    let versions: Vec<Version> = list("versions");
    assert_eq!(versions[0].key.as_deref(), Some("draft"));
    let compare = system::compare_version(&base(), "v")
        .unwrap()
        .parse(answer(200, "versions_compare"))
        .unwrap();
    assert_eq!(compare["outdated"], true);
    assert!(compare["mainHash"].is_string());

    // The typed handles route to the system endpoints.
    assert_eq!(
        Items::<Version>::of().collection().unwrap().route(),
        "/versions"
    );
    assert_eq!(
        Items::<Share>::of().collection().unwrap().route(),
        "/shares"
    );
}

#[test]
fn translations_grouped_by_key() {
    let rows: Vec<Translation> = list("translations");
    let grouped = system::translations_by_key(&rows);
    assert_eq!(grouped["greeting"]["en-US"], "Hello");
    assert_eq!(grouped["greeting"]["de-DE"], "Hallo");
    assert_eq!(grouped["bye"].len(), 1);
    let op = system::create_translations(&base(), &grouped).unwrap();
    // The bulk create answers the created rows.
    let created = op.parse(answer(200, "translations")).unwrap().unwrap();
    assert_eq!(created.len(), 3);
}

#[test]
fn schema() {
    let collection = schema::collection(&base(), "articles")
        .unwrap()
        .parse(answer(200, "collections_articles"))
        .unwrap();
    assert_eq!(collection.collection.as_deref(), Some("articles"));
    assert_eq!(collection.meta.unwrap().versioning, Some(true));
    let fields: Vec<Field> = schema::fields(&base(), "articles")
        .unwrap()
        .parse(answer(200, "fields_articles"))
        .unwrap();
    let author = fields
        .iter()
        .find(|f| f.field.as_deref() == Some("author"))
        .unwrap();
    // Created as `uuid`, read back as `string` on SQLite.
    assert_eq!(author.r#type.as_deref(), Some("string"));
    assert!(author.has_special("m2o"));
    let relations = schema::relations(&base())
        .unwrap()
        .parse(answer(200, "relations"))
        .unwrap();
    let rel: &Relation = relations
        .iter()
        .find(|r| r.collection.as_deref() == Some("articles"))
        .unwrap();
    assert_eq!(rel.related_collection.as_deref(), Some("directus_users"));
}

// ---- items, auth and error envelopes ----

#[test]
fn item_pages_with_meta_and_singletons() {
    #[derive(Deserialize)]
    struct Row {
        name: String,
        stock: i64,
    }
    let read = Items::<Row>::new("drs_products").read(&base()).unwrap();
    let page = read.parse(answer(200, "items_page_meta")).unwrap();
    assert_eq!(page.meta().total_count, Some(2));
    assert_eq!(page.meta().filter_count, Some(2));
    let rows: Vec<(String, i64)> = page
        .into_items()
        .into_iter()
        .map(|r| (r.name, r.stock))
        .collect();
    assert_eq!(rows, [("exp-a".to_owned(), 3), ("exp-b".to_owned(), 5)]);

    let single = Items::<serde_json::Value>::new("drs_settings")
        .read_singleton(&base())
        .unwrap()
        .parse(answer(200, "items_singleton"))
        .unwrap();
    assert_eq!(single["site_name"], "directus-rs demo");
}

#[test]
fn aggregate_rows() {
    use directus_proto::{AggFunc, AggregateRow};
    let rows: Vec<AggregateRow> = list("items_aggregate_grouped");
    let read: Vec<(Option<String>, Option<i64>, Option<i64>)> = rows
        .iter()
        .map(|r| {
            (
                r.group("name").and_then(|v| v.as_str()).map(str::to_owned),
                r.get_i64(AggFunc::Sum, "stock"),
                r.get_i64(AggFunc::Count, "*"),
            )
        })
        .collect();
    assert_eq!(
        read,
        [
            (Some("exp-a".to_owned()), Some(3), Some(1)),
            (Some("exp-b".to_owned()), Some(5), Some(1))
        ]
    );
}

#[test]
fn login_answer() {
    let op = directus_proto::auth::login(&base(), "a@example.com", &"pw".into(), None).unwrap();
    let tokens = op.parse(answer(200, "auth_login")).unwrap();
    assert_eq!(tokens.expires, Some(std::time::Duration::from_secs(10)));
    assert_eq!(tokens.access_token.expose(), "ACCESS.TOKEN.REDACTED");
    assert!(tokens.refresh_token.is_some());
}

#[test]
fn error_envelopes() {
    let cases = [
        (
            401,
            "error_invalid_credentials",
            ErrorCode::InvalidCredentials,
        ),
        (401, "error_refresh_refused", ErrorCode::InvalidCredentials),
        (403, "error_forbidden_missing", ErrorCode::Forbidden),
        (400, "error_invalid_query", ErrorCode::InvalidQuery),
        (400, "error_empty_in", ErrorCode::InvalidQuery),
    ];
    for (status, name, code) in cases {
        let err = response::page::<serde_json::Value>(answer(status, name)).unwrap_err();
        let api = err.api().unwrap_or_else(|| panic!("{name}: {err:?}"));
        assert_eq!(api.status().as_u16(), status, "{name}");
        assert_eq!(api.code(), &code, "{name}");
        assert!(!api.message().is_empty(), "{name}");
    }
    let err = response::page::<serde_json::Value>(answer(400, "error_invalid_query")).unwrap_err();
    assert_eq!(
        err.api().unwrap().errors()[0].extensions["reason"],
        "\"integer\" field type does not contain the \"_nope\" filter operator"
    );
}

// ---- schema snapshot, diff and apply (recorded from Directus 12.4.0) ----

#[test]
fn schema_snapshot_diff_and_refusals() {
    use directus_proto::schema::{DiffOptions, Refusal, SnapshotScope};

    let snapshot = schema::snapshot(
        &base(),
        &SnapshotScope::only(["drs_suppliers", "drs_products"]),
    )
    .unwrap()
    .parse(answer(200, "schema_snapshot"))
    .unwrap();
    assert_eq!(snapshot.version, Some(2));
    assert_eq!(snapshot.major_version(), Some(12));
    assert_eq!(snapshot.collections.len(), 2);
    let price = snapshot
        .fields_of("drs_products")
        .find(|f| f.field.as_deref() == Some("price"))
        .unwrap();
    // Created as decimal(10,2); SQLite has no decimals, so the schema says `float`.
    assert_eq!(price.type_name(), Some("float"));
    assert_eq!(price.schema.as_ref().unwrap().is_nullable, Some(true));
    assert_eq!(price.meta.as_ref().unwrap().sort, Some(4));
    // The JSON is kept byte for byte: the `data` member of the answer.
    let body = String::from_utf8(fixture("schema_snapshot")).unwrap();
    assert!(body.contains(snapshot.json()));
    assert_eq!(body.len(), snapshot.json().len() + r#"{"data":}"#.len());

    let diff = schema::diff(&base(), &snapshot, DiffOptions::new())
        .unwrap()
        .parse(answer(200, "schema_diff"))
        .unwrap()
        .expect("a diff");
    assert_eq!(diff.hash.len(), 40);
    let summary = diff.summary();
    assert_eq!(summary.collections.added, ["drs_products", "drs_suppliers"]);
    assert!(
        summary
            .fields
            .added
            .contains(&"drs_products.price".to_string())
    );
    assert_eq!(
        summary.relations.added,
        ["drs_products.supplier → drs_suppliers"]
    );
    assert!(
        String::from_utf8(fixture("schema_diff"))
            .unwrap()
            .contains(diff.json())
    );

    let other = schema::diff(&base(), &snapshot, DiffOptions::new())
        .unwrap()
        .parse(answer(400, "schema_diff_other_version"))
        .unwrap_err();
    assert_eq!(Refusal::of(&other), Some(Refusal::VersionMismatch));
    let stale = schema::apply(&base(), &diff, false)
        .unwrap()
        .parse(answer(400, "schema_apply_stale"))
        .unwrap_err();
    assert_eq!(Refusal::of(&stale), Some(Refusal::StaleHash));
}
