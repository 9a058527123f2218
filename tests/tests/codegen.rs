//! Rust models generated from schema snapshots: the generated source is pinned (a golden file
//! for a small snapshot, and the committed models of the fixture schema), and the fixture
//! models read every fixture collection, for both clients, and write back what they read.
//!
//! After a deliberate change of the generator or of the fixture schema, refresh the files:
//! `DRS_BLESS=1 cargo test -p directus-tests --test codegen` (with a fixture server in the
//! environment for `fixture_models_match_the_live_schema`).

use std::path::PathBuf;

use directus_proto::models::Ref;
use directus_proto::schema::codegen::{self, DateTimes, Decimal, Options};
use directus_proto::schema::{Snapshot, SnapshotScope};
use directus_proto::{F, Item, Items, Key, Order};
use directus_tests::fixture_models::{
    DrsInbox, DrsNotes, DrsProducts, DrsSecrets, DrsSettings, DrsSuppliers,
};
use directus_tests::fixtures::COLLECTIONS;
use directus_tests::{Server, unique};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

/// The golden models compile too (keywords, renames, m2m through a junction, system models).
#[allow(dead_code, unreachable_pub)]
mod small_models {
    include!("../schema/small_models.rs.golden");

    #[test]
    fn golden_models_read_server_shapes() {
        let book: Books = serde_json::from_str(
            r#"{"id":1,"type":"novel","price":"12.50","in stock":true,"labels":["a"],"author":{"id":"u","name":"Ann","views":"7"},"tags":[3,4]}"#,
        )
        .unwrap();
        assert_eq!(book.price, 12.5);
        assert_eq!(book.author.unwrap().item().unwrap().views, 7);
        assert_eq!(book.tags.unwrap().len(), 2);
        assert_eq!(Books::AUTHOR_NAME, "author.name");
    }
}

fn schema_file(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("schema")
        .join(name)
}

fn read(name: &str) -> String {
    std::fs::read_to_string(schema_file(name)).expect("a committed schema file")
}

/// Compares `actual` with the committed file, or rewrites the file with `DRS_BLESS=1`.
fn assert_pinned(actual: &str, name: &str) {
    if std::env::var_os("DRS_BLESS").is_some() {
        std::fs::write(schema_file(name), actual).expect("write the pinned file");
        return;
    }
    let expected = read(name);
    assert!(
        actual == expected,
        "the generated source differs from tests/schema/{name}; if the change is deliberate, \
         rerun with DRS_BLESS=1.\n--- generated ---\n{actual}"
    );
}

#[test]
fn golden_small_snapshot() {
    let snapshot = Snapshot::from_json(&read("small.snapshot.json")).unwrap();
    let source = codegen::generate(&snapshot, &Options::new()).unwrap();
    assert_pinned(&source, "small_models.rs.golden");
    let exact = codegen::generate(&snapshot, &Options::new().decimal(Decimal::String)).unwrap();
    assert!(
        exact.contains("pub price: ::std::string::String,"),
        "{exact}"
    );
    assert!(
        exact.contains("schema::decimal::deserialize_string"),
        "{exact}"
    );
}

#[test]
fn fixture_models_are_generated_from_the_committed_snapshot() {
    let snapshot = Snapshot::from_json(&read("fixtures.snapshot.json")).unwrap();
    let source = codegen::generate(&snapshot, &Options::new()).unwrap();
    assert_pinned(&source, "fixture_models.rs");
}

/// The fixture models with `DateTimes::Chrono`: dates and times as `chrono` types.
#[allow(dead_code, unreachable_pub)]
mod chrono_models {
    include!("../schema/fixture_models_chrono.rs");
}

#[test]
fn chrono_models_are_generated_from_the_committed_snapshot() {
    let snapshot = Snapshot::from_json(&read("fixtures.snapshot.json")).unwrap();
    let options = Options::new().date_times(DateTimes::Chrono);
    let source = codegen::generate(&snapshot, &options).unwrap();
    assert!(source.contains("::chrono::NaiveDateTime"));
    assert_pinned(&source, "fixture_models_chrono.rs");
}

/// What the server stores in `timestamp`, `dateTime` and `date` columns reads into the `chrono`
/// types the generator names, and writes back as the server takes it.
#[test]
fn chrono_models_read_and_write_server_dates() {
    use chrono::{NaiveDate, TimeZone, Utc};
    use chrono_models::DrsMeasures;
    let server = Server::from_env();
    server.fixtures();
    let directus = directus_blocking::Directus::login(
        &server.url,
        &server.admin_email,
        &server.admin_password,
    )
    .unwrap();
    let run = unique("chrono");
    let row: Value = directus
        .collection(DrsMeasures::COLLECTION)
        .create(
            &json!({"at": "2024-05-01T10:20:30.000Z", "when": "2024-05-01T12:00:00",
                        "day": "2024-05-02", "run": run}),
        )
        .unwrap()
        .unwrap();
    let id = row["id"].as_i64().unwrap();
    let typed: DrsMeasures = directus
        .collection_of::<DrsMeasures>()
        .read_one(id)
        .unwrap();
    assert_eq!(
        typed.at,
        Some(Utc.with_ymd_and_hms(2024, 5, 1, 10, 20, 30).unwrap())
    );
    let noon = NaiveDate::from_ymd_opt(2024, 5, 1)
        .unwrap()
        .and_hms_opt(12, 0, 0)
        .unwrap();
    assert_eq!(typed.when, Some(noon));
    assert_eq!(typed.day, NaiveDate::from_ymd_opt(2024, 5, 2));
    // Written back through the typed model, the server keeps the same instants.
    let moved = DrsMeasures {
        when: Some(noon + chrono::Duration::hours(1)),
        ..Default::default()
    };
    directus
        .collection_of::<DrsMeasures>()
        .update(id, &moved)
        .unwrap();
    let again: DrsMeasures = directus
        .collection_of::<DrsMeasures>()
        .read_one(id)
        .unwrap();
    assert_eq!(again.when, Some(noon + chrono::Duration::hours(1)));
    assert_eq!(again.at, typed.at);
    directus
        .collection(DrsMeasures::COLLECTION)
        .delete(id)
        .unwrap();
}

#[test]
fn fixture_models_match_the_live_schema() {
    let server = Server::from_env();
    server.fixtures();
    let directus = directus_blocking::Directus::login(
        &server.url,
        &server.admin_email,
        &server.admin_password,
    )
    .unwrap();
    let snapshot = directus
        .schema_snapshot(&SnapshotScope::only(COLLECTIONS))
        .unwrap();
    let source = codegen::generate(&snapshot, &Options::new()).unwrap();
    if std::env::var_os("DRS_BLESS").is_some() {
        std::fs::write(schema_file("fixtures.snapshot.json"), snapshot.json()).unwrap();
    }
    assert_pinned(&source, "fixture_models.rs");
}

/// Every row as the server sends it, without its `null`s (the models leave `None` out).
fn without_nulls(mut row: Value) -> Value {
    if let Value::Object(map) = &mut row {
        map.retain(|_, v| !v.is_null());
    }
    row
}

fn round_trips<T: Serialize + DeserializeOwned>(typed: &[T], raw: Vec<Value>, what: &str) {
    assert_eq!(typed.len(), raw.len(), "{what}");
    for (typed, raw) in typed.iter().zip(raw) {
        let written = serde_json::to_value(typed).unwrap();
        let raw = without_nulls(raw);
        assert!(same(&written, &raw), "{what}: {written} != {raw}");
    }
}

/// JSON equality, where a decimal the server sent as a string (`"12.50"`) equals the number the
/// model writes (`12.5`).
fn same(written: &Value, sent: &Value) -> bool {
    match (written, sent) {
        (Value::Number(n), Value::String(s)) => s.parse::<f64>().ok() == n.as_f64(),
        (Value::Object(a), Value::Object(b)) => {
            a.len() == b.len() && a.iter().all(|(k, v)| b.get(k).is_some_and(|w| same(v, w)))
        }
        (Value::Array(a), Value::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(v, w)| same(v, w))
        }
        (a, b) => a == b,
    }
}

macro_rules! read_all {
    ($directus:expr, $t:ty, $a:ident) => {{
        let typed = $a!($directus
            .collection_of::<$t>()
            .no_limit()
            .sort(<$t>::PRIMARY_KEY, Order::Asc)
            .read())
        .unwrap()
        .into_items();
        let raw = $a!($directus
            .collection_as::<Value>(<$t>::COLLECTION)
            .no_limit()
            .sort(<$t>::PRIMARY_KEY, Order::Asc)
            .read())
        .unwrap()
        .into_items();
        round_trips(&typed, raw, <$t>::COLLECTION);
        typed
    }};
}

/// Writes a row of every kind through the models, reads every fixture collection through them
/// and checks that each row writes back as the server sent it; `$a` awaits or not.
macro_rules! exercise {
    ($directus:expr, $a:ident) => {{
        let directus = &$directus;
        let run = unique("codegen");
        let supplier = DrsSuppliers {
            name: Some(run.clone()),
            country: Some("NL".into()),
            ..Default::default()
        };
        let supplier = $a!(directus.collection_of::<DrsSuppliers>().create(&supplier))
            .unwrap()
            .expect("the created supplier");
        let product = DrsProducts {
            name: Some("typed".into()),
            category: Some("generated".into()),
            price: Some(12.5),
            stock: Some(3),
            active: Some(true),
            released_at: Some("2024-05-01T10:20:30".into()),
            tags: Some(json!(["a", "b"])),
            attrs: Some(json!({"k": 1})),
            run: Some(run.clone()),
            supplier: supplier.id.map(|id| Ref::Key(Key::from(id))),
            ..Default::default()
        };
        $a!(directus.collection_of::<DrsProducts>().create(&product)).unwrap();
        let note = DrsNotes {
            title: Some("typed".into()),
            body: Some("generated\nmodels".into()),
            run: Some(run.clone()),
            ..Default::default()
        };
        $a!(directus.collection_of::<DrsNotes>().create(&note)).unwrap();
        let inbox = DrsInbox {
            message: Some("typed".into()),
            run: Some(run.clone()),
            ..Default::default()
        };
        $a!(directus.collection_of::<DrsInbox>().create(&inbox)).unwrap();

        let suppliers = read_all!(directus, DrsSuppliers, $a);
        let ours = suppliers.iter().find(|s| s.name.as_deref() == Some(run.as_str())).unwrap();
        assert_eq!(ours.products.as_ref().map(Vec::len), Some(1));
        let products = read_all!(directus, DrsProducts, $a);
        let ours = products.iter().find(|p| p.run.as_deref() == Some(run.as_str())).unwrap();
        assert_eq!((ours.price, ours.active), (Some(12.5), Some(true)));
        assert_eq!(ours.tags, Some(json!(["a", "b"])));
        assert!(read_all!(directus, DrsNotes, $a).iter().any(|n| n.run.as_deref() == Some(run.as_str())));
        assert!(read_all!(directus, DrsInbox, $a).iter().any(|n| n.run.as_deref() == Some(run.as_str())));
        assert!(!read_all!(directus, DrsSecrets, $a).is_empty());
        let settings: DrsSettings = $a!(directus
            .run(Items::<DrsSettings>::of().read_singleton(directus.base_url()).unwrap()))
        .unwrap();
        let raw = $a!(directus.singleton(DrsSettings::COLLECTION).read()).unwrap();
        round_trips(&[settings], vec![raw], DrsSettings::COLLECTION);

        // Expanded relations read as items; the field-name constants name the paths.
        let expanded = $a!(directus
            .collection_of::<DrsProducts>()
            .fields(["*", DrsProducts::SUPPLIER_NAME])
            .filter(F::eq(DrsProducts::RUN, run.as_str()))
            .read())
        .unwrap()
        .into_items();
        let supplier = expanded[0].supplier.as_ref().and_then(|s| s.item()).expect("expanded");
        assert_eq!(supplier.name.as_deref(), Some(run.as_str()));
    }};
}

/// The two round trips take turns: each reads whole collections twice, and the other's writes
/// in between would change what the second read sees.
static ROUND_TRIP: std::sync::Mutex<()> = std::sync::Mutex::new(());

macro_rules! sync {
    ($e:expr) => {
        $e
    };
}

macro_rules! asynchronous {
    ($e:expr) => {
        $e.await
    };
}

#[test]
fn fixture_models_round_trip_blocking() {
    let _turn = ROUND_TRIP.lock().unwrap_or_else(|e| e.into_inner());
    let server = Server::from_env();
    server.fixtures();
    let directus = directus_blocking::Directus::login(
        &server.url,
        &server.admin_email,
        &server.admin_password,
    )
    .unwrap();
    exercise!(directus, sync);
}

#[test]
fn fixture_models_round_trip_async() {
    let _turn = ROUND_TRIP.lock().unwrap_or_else(|e| e.into_inner());
    let server = Server::from_env();
    server.fixtures();
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            let directus = directus_async::Directus::login(
                &server.url,
                &server.admin_email,
                &server.admin_password,
            )
            .await
            .unwrap();
            exercise!(directus, asynchronous);
        });
}
