//! Schema as code against real Directus servers, for both clients: every `/collections`,
//! `/fields` and `/relations` route, and a schema migrated from the main server to a second,
//! empty one (`DIRECTUS_SECOND_URL`, started by `scripts/test.sh`).
//!
//! Each scenario is written once in [`scenario!`] and expands into a `blocking` and an
//! `async_client` test; `a!(expr)` awaits on the async side only. Collection names are unique
//! per run (`s<pid><counter>...`), so reruns and both clients never collide; the scenarios of
//! this file take turns (a lock), because concurrent schema changes on SQLite can fail.

// The lock is a std mutex held across awaits on purpose: each async test runs on its own
// runtime under `block_on`, and the lock only makes the test threads take turns.
#![allow(clippy::await_holding_lock)]

use std::sync::Mutex;

use directus_proto::schema::{
    Collection, DiffOptions, Field, ManyToMany, Migrate, Refusal, Relation, Snapshot, SnapshotScope,
};
use directus_proto::{Error, ErrorCode};
use directus_tests::{Server, unique};
use serde_json::{Value, json};

static SCHEMA_LOCK: Mutex<()> = Mutex::new(());

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
                let _turn = SCHEMA_LOCK.lock().unwrap_or_else(|e| e.into_inner());
                let $server = Server::from_env();
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
                let _turn = SCHEMA_LOCK.lock().unwrap_or_else(|e| e.into_inner());
                let $server = Server::from_env();
                tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("tokio runtime")
                    .block_on(async {
                        let $d = Client::login(
                            &$server.url,
                            &$server.admin_email,
                            &$server.admin_password,
                        )
                        .await
                        .expect("admin login (async)");
                        $body
                    })
            }
        }
    };
}

/// A collection name no other run uses (letters, digits and underscores).
fn name(tag: &str) -> String {
    let u = unique("s").replace('-', "_");
    format!("{u}_{tag}")
}

/// A missing collection, field or relation: Directus answers 403 FORBIDDEN (even to admins).
fn is_missing(result: Result<impl std::fmt::Debug, Error>) -> bool {
    match result {
        Err(err) => err.api().is_some_and(|api| {
            matches!(api.code(), ErrorCode::Forbidden | ErrorCode::RouteNotFound)
        }),
        Ok(_) => false,
    }
}

/// A snapshot's collections, fields and relations without what the server stamps itself
/// (row ids are already left out by Directus; the version and vendor are compared apart).
fn comparable(snapshot: &Snapshot) -> Value {
    let mut v: Value = serde_json::from_str(snapshot.json()).expect("snapshot JSON");
    let obj = v.as_object_mut().expect("snapshot object");
    for stamp in ["directus", "vendor", "version"] {
        obj.remove(stamp);
    }
    v
}

scenario! {
    /// Every route of `/collections`, `/fields` and `/relations`: create, read, update, delete.
    fn routes(directus, server) {
        let parents = name("parents");
        let kids = name("kids");
        let created = a!(directus.create_collection(
            &Collection::new(&parents)
                .note("schema routes test")
                .fields([Field::integer_pk("id"), Field::string("name").required(), Field::o2m("kids")])
        ))
        .unwrap()
        .expect("the created collection");
        assert_eq!(created.collection.as_deref(), Some(parents.as_str()));
        a!(directus.create_collection(
            &Collection::new(&kids).fields([Field::integer_pk("id"), Field::m2o("parent", "integer")])
        ))
        .unwrap();
        let relation = a!(directus.create_relation(
            &Relation::many_to_one(&kids, "parent", &parents).one_field("kids")
        ))
        .unwrap()
        .expect("the created relation");
        assert_eq!(relation.related_collection.as_deref(), Some(parents.as_str()));

        // Collections.
        let all = a!(directus.schema_collections()).unwrap();
        assert!(all.iter().any(|c| c.collection.as_deref() == Some(parents.as_str())));
        assert!(all.iter().any(|c| c.collection.as_deref() == Some("directus_users")));
        let one = a!(directus.schema_collection(&parents)).unwrap();
        assert_eq!(one.meta.as_ref().unwrap().note.as_deref(), Some("schema routes test"));
        assert!(!one.is_singleton());
        a!(directus.update_collection(&parents, &Collection::default().note("changed note"))).unwrap();
        let one = a!(directus.schema_collection(&parents)).unwrap();
        assert_eq!(one.meta.unwrap().note.as_deref(), Some("changed note"));

        // Fields.
        let all_fields = a!(directus.schema_all_fields()).unwrap();
        assert!(all_fields.iter().any(|f| f.collection.as_deref() == Some(kids.as_str())
            && f.field.as_deref() == Some("parent")));
        let fields = a!(directus.schema_fields(&parents)).unwrap();
        let mut names: Vec<&str> = fields.iter().filter_map(|f| f.field.as_deref()).collect();
        names.sort_unstable();
        assert_eq!(names, ["id", "kids", "name"]);
        let id = fields.iter().find(|f| f.field.as_deref() == Some("id")).unwrap();
        assert!(id.is_primary_key());
        assert!(fields.iter().find(|f| f.field.as_deref() == Some("kids")).unwrap().has_special("o2m"));
        let name_field = a!(directus.schema_field(&parents, "name")).unwrap();
        assert_eq!(name_field.schema.as_ref().unwrap().is_nullable, Some(false));

        a!(directus.create_field(&parents, &Field::string("code").note("first note"))).unwrap();
        let mut patch = Field::new("code", "text");
        patch.meta_mut().note = Some("second note".into());
        a!(directus.update_field(&parents, "code", &patch)).unwrap();
        let code = a!(directus.schema_field(&parents, "code")).unwrap();
        assert_eq!(code.type_name(), Some("text"), "{code:?}");
        assert_eq!(code.meta.as_ref().unwrap().note.as_deref(), Some("second note"));

        let mut a_patch = Field { field: Some("name".into()), ..Default::default() };
        a_patch.meta_mut().width = Some("half".into());
        let mut b_patch = Field { field: Some("code".into()), ..Default::default() };
        b_patch.meta_mut().width = Some("full".into());
        a!(directus.update_fields(&parents, &[a_patch, b_patch])).unwrap();
        let name_field = a!(directus.schema_field(&parents, "name")).unwrap();
        assert_eq!(name_field.meta.unwrap().width.as_deref(), Some("half"));
        let code = a!(directus.schema_field(&parents, "code")).unwrap();
        assert_eq!(code.meta.unwrap().width.as_deref(), Some("full"));

        a!(directus.delete_field(&parents, "code")).unwrap();
        assert!(is_missing(a!(directus.schema_field(&parents, "code"))));

        // Relations.
        let all_relations = a!(directus.schema_relations()).unwrap();
        assert!(all_relations.iter().any(|r| r.collection.as_deref() == Some(kids.as_str())));
        let of_kids = a!(directus.schema_relations_of(&kids)).unwrap();
        assert_eq!(of_kids.len(), 1);
        let rel = a!(directus.schema_relation(&kids, "parent")).unwrap();
        assert_eq!(rel.meta.as_ref().unwrap().one_field.as_deref(), Some("kids"));
        let mut rel_patch = Relation::default();
        rel_patch.meta_mut().one_deselect_action = Some("delete".into());
        a!(directus.update_relation(&kids, "parent", &rel_patch)).unwrap();
        let rel = a!(directus.schema_relation(&kids, "parent")).unwrap();
        assert_eq!(rel.meta.unwrap().one_deselect_action.as_deref(), Some("delete"));
        a!(directus.delete_relation(&kids, "parent")).unwrap();
        // Directus no longer manages it; SQLite keeps the foreign key itself (it cannot drop a
        // constraint without rebuilding the table), which `/relations` still lists, bare.
        let left = a!(directus.schema_relations_of(&kids)).unwrap();
        assert!(left.iter().all(|r| r.meta.is_none()), "{left:?}");

        a!(directus.delete_collection(&kids)).unwrap();
        a!(directus.delete_collection(&parents)).unwrap();
        assert!(is_missing(a!(directus.schema_collection(&parents))));
    }
}

/// The names of the test schema: several collections, every builder field type, m2o, o2m,
/// m2m through a junction, and a singleton.
struct Names {
    authors: String,
    books: String,
    tags: String,
    books_tags: String,
    site: String,
}

impl Names {
    fn new() -> Names {
        Names {
            authors: name("authors"),
            books: name("books"),
            tags: name("tags"),
            books_tags: name("books_tags"),
            site: name("site"),
        }
    }

    fn all(&self) -> [&str; 5] {
        [
            &self.authors,
            &self.books,
            &self.tags,
            &self.books_tags,
            &self.site,
        ]
    }

    /// Created in this order; deleted in the reverse.
    fn collections(&self) -> (Vec<Collection>, Vec<Relation>) {
        let m2m = ManyToMany::new(&self.books, "tags", &self.tags, &self.books_tags);
        let collections = vec![
            Collection::new(&self.authors).note("migrated").fields([
                Field::uuid_pk("id"),
                Field::string("name").required(),
                Field::text("bio"),
                Field::integer("rank").default_value(0),
                Field::big_integer("views"),
                Field::decimal("score", 8, 3),
                Field::boolean("active"),
                Field::date_time("born"),
                Field::json("links"),
                Field::o2m("books"),
            ]),
            Collection::new(&self.tags)
                .fields([Field::integer_pk("id"), Field::string("label").unique()]),
            Collection::new(&self.books).fields([
                Field::integer_pk("id"),
                Field::string("title"),
                Field::m2o("author", "uuid"),
                m2m.alias.clone(),
            ]),
            m2m.junction.clone(),
            Collection::singleton(&self.site)
                .fields([Field::integer_pk("id"), Field::string("motto")]),
        ];
        let mut relations = vec![
            Relation::many_to_one(&self.books, "author", &self.authors)
                .one_field("books")
                .on_delete("SET NULL"),
        ];
        relations.extend(m2m.relations);
        (collections, relations)
    }
}

scenario! {
    /// A schema built on the main server migrated to the empty second one; then equal
    /// snapshots, no second diff, a conflicting change in the dry run, and refusals.
    fn migrate(directus, server) {
        // Directus refuses a diff between database vendors (unless forced): in the test
        // command's PostgreSQL pass the second server is still SQLite, and the scenario ran in
        // the SQLite pass.
        let db = |var: &str| std::env::var(var).ok().filter(|v| !v.is_empty()).unwrap_or_else(|| "sqlite".into());
        if db("DIRECTUS_DB") != db("DIRECTUS_SECOND_DB") {
            eprintln!(
                "skipped: the migrate scenario needs both servers on one database ({} and {})",
                db("DIRECTUS_DB"),
                db("DIRECTUS_SECOND_DB")
            );
            return;
        }
        let second = Server::named("SECOND");
        let target = a!(Client::login(&second.url, &second.admin_email, &second.admin_password))
            .expect("admin login on the second server");
        let names = Names::new();
        let (collections, relations) = names.collections();
        for c in &collections {
            a!(directus.create_collection(c)).unwrap();
        }
        for r in &relations {
            a!(directus.create_relation(r)).unwrap();
        }
        let plan = Migrate::new().only(names.all());

        // The dry run reports everything as added and applies nothing.
        let report = a!(directus.migrate_schema_to(&target, &plan.clone().dry_run(true))).unwrap();
        assert!(!report.applied);
        let summary = report.summary();
        let mut added = summary.collections.added.clone();
        added.sort();
        let mut expected: Vec<String> = names.all().iter().map(|s| s.to_string()).collect();
        expected.sort();
        assert_eq!(added, expected, "{report}");
        assert!(summary.fields.added.contains(&format!("{}.score", names.authors)), "{report}");
        assert_eq!(summary.relations.added.len(), 3, "{report}");
        assert!(is_missing(a!(target.schema_collection(&names.authors))));

        // The migration, then equal snapshots and nothing left to do.
        let done = a!(directus.migrate_schema_to(&target, &plan)).unwrap();
        assert!(done.applied, "{done}");
        let scope = SnapshotScope::only(names.all());
        let source_snapshot = a!(directus.schema_snapshot(&scope)).unwrap();
        let target_snapshot = a!(target.schema_snapshot(&scope)).unwrap();
        assert_eq!(source_snapshot.collections.len(), 5);
        assert_eq!(source_snapshot.relations.len(), 3);
        assert_eq!(comparable(&source_snapshot), comparable(&target_snapshot));
        assert_eq!(source_snapshot.directus, target_snapshot.directus);
        let again = a!(directus.migrate_schema_to(&target, &plan)).unwrap();
        assert!(again.diff.is_none() && !again.applied, "{again}");
        assert!(again.summary().is_empty());
        let singleton = a!(target.schema_collection(&names.site)).unwrap();
        assert!(singleton.is_singleton());

        // A conflicting change on the target shows in the dry run (and a migration undoes it).
        let mut patch = Field::default();
        patch.meta_mut().note = Some("changed on the target".into());
        a!(target.update_field(&names.authors, "bio", &patch)).unwrap();
        let report = a!(directus.migrate_schema_to(&target, &plan.clone().dry_run(true))).unwrap();
        let bio = format!("{}.bio", names.authors);
        assert!(
            report.summary().fields.changed.iter().any(|(f, _)| *f == bio),
            "{report}"
        );
        assert!(report.to_string().contains(&format!("~ {bio}")), "{report}");
        a!(directus.migrate_schema_to(&target, &plan)).unwrap();
        let bio_field = a!(target.schema_field(&names.authors, "bio")).unwrap();
        assert_eq!(bio_field.meta.unwrap().note, None);

        // A diff against a target that changed meanwhile is refused, and nothing is applied.
        a!(directus.create_field(&names.tags, &Field::string("color"))).unwrap();
        let snapshot = a!(directus.schema_snapshot(&scope)).unwrap();
        let diff = a!(target.schema_diff(&snapshot, DiffOptions::new())).unwrap().expect("a diff");
        assert_eq!(diff.summary().fields.added, [format!("{}.color", names.tags)]);
        a!(target.update_field(&names.authors, "bio", &patch)).unwrap();
        let err = a!(target.schema_apply(&diff, false)).unwrap_err();
        assert_eq!(Refusal::of(&err), Some(Refusal::StaleHash), "{err}");
        assert!(is_missing(a!(target.schema_field(&names.tags, "color"))));

        // A snapshot of another major version, and malformed ones: typed errors.
        let mut other: Value = serde_json::from_str(snapshot.json()).unwrap();
        let major = snapshot.major_version().expect("a version");
        other["directus"] = json!(format!("{}.0.0", major + 1));
        let other = Snapshot::from_json(&other.to_string()).unwrap();
        let err = a!(target.schema_diff(&other, DiffOptions::new())).unwrap_err();
        assert_eq!(Refusal::of(&err), Some(Refusal::VersionMismatch), "{err}");
        let mut wrong: Value = serde_json::from_str(snapshot.json()).unwrap();
        wrong["version"] = json!(7);
        wrong["fields"][0]["type"] = json!("no-such-type");
        let wrong = Snapshot::from_json(&wrong.to_string()).unwrap();
        let err = a!(target.schema_diff(&wrong, DiffOptions::new())).unwrap_err();
        assert!(matches!(Refusal::of(&err), Some(Refusal::Invalid(_))), "{err}");
        assert!(matches!(
            Snapshot::from_json(r#"{"version":1,"directus":"12.4.0","collections":{}}"#),
            Err(Error::InvalidInput(_))
        ));
        assert!(is_missing(a!(target.schema_field(&names.tags, "color"))));

        // Clean up both servers (best effort: the names are unique anyway).
        for client in [&directus, &target] {
            for c in names.all().iter().rev() {
                let _ = a!(client.delete_collection(c));
            }
        }
    }
}
