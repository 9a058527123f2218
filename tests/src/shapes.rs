//! Scenarios about shapes that depend on the database (SQLite or PostgreSQL) and about writes
//! whose answer does not decode: typed models with decimal, big integer, date-time, JSON and CSV
//! fields round-trip on both databases; a write the server applied is reported as applied
//! ([`Error::Applied`]) and never looks like a failed write. Run for both drivers by
//! `tests/tests/shapes.rs`.

use std::str::FromStr;

use directus_proto::{Error, F, Item, Key, Query, WriteOutcome, lenient};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::fixtures::{MEASURES, PRODUCTS};
use crate::scenarios::{Cleanup, Driver, Product};
use crate::{Database, unique};

/// A typed model of `drs_measures`, as the README recommends: lenient numbers for the fields
/// PostgreSQL answers as strings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Measure {
    /// The key (absent when creating).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<i64>,
    /// `decimal(12,4)`: a number on SQLite, a string on PostgreSQL.
    #[serde(with = "lenient::f64")]
    pub amount: f64,
    /// `bigInteger`: a number on SQLite, a string on PostgreSQL.
    #[serde(with = "lenient::i64")]
    pub big: i64,
    /// `timestamp`: `2024-05-01T12:30:00.000Z` on both.
    pub at: Option<String>,
    /// `dateTime`: `2024-05-01T12:30:00` on both.
    pub when: Option<String>,
    /// `date`.
    pub day: Option<String>,
    /// `json`.
    pub doc: Option<Value>,
    /// `csv`: an array of strings.
    pub labels: Option<Vec<String>>,
    /// The run.
    pub run: String,
}

impl Item for Measure {
    const COLLECTION: &'static str = MEASURES;
}

/// The same collection with an exact decimal: `rust_decimal::Decimal` (feature `serde`) reads a
/// number or a string and writes a string.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExactMeasure {
    /// The key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<i64>,
    /// `decimal(12,4)`, exact.
    pub amount: Decimal,
    /// The run.
    pub run: String,
}

fn measure(run: &str) -> Measure {
    Measure {
        id: None,
        amount: 1234.25,
        // The largest integer both databases give back exactly (2^53 - 1).
        big: (1 << 53) - 1,
        at: Some("2024-05-01T12:30:00.000Z".into()),
        when: Some("2024-05-01T12:30:00".into()),
        day: Some("2024-05-01".into()),
        doc: Some(json!({"color": "red", "sizes": [1, 2], "nested": {"ok": true}})),
        labels: Some(vec!["a".into(), "b c".into()]),
        run: run.to_owned(),
    }
}

/// Typed create, read one, read a page, iterate and update of a model with decimal, big
/// integer, timestamp, date-time, date, JSON and CSV fields: the same values on both databases.
pub fn typed_shapes_round_trip<D: Driver>(d: &D) {
    let run = unique("shapes");
    let _cleanup = Cleanup::new(d, MEASURES, &run);
    let new = measure(&run);
    let created = d.create_of(&new).unwrap().expect("admin reads back");
    let id = created.id.expect("an id");
    assert_eq!(
        Measure {
            id: None,
            ..created.clone()
        },
        new
    );
    assert_eq!(d.read_one_of::<Measure>(Key::from(id)).unwrap(), created);
    let page = d
        .read_of::<Measure>(Query::new().filter_eq("run", run.clone()))
        .unwrap();
    assert_eq!(page.items(), std::slice::from_ref(&created));
    let all: Vec<Measure> = d
        .iter_all(MEASURES, Query::new().filter_eq("run", run.clone()))
        .unwrap();
    assert_eq!(all, vec![created.clone()]);

    let updated = d
        .update_of::<Measure>(Key::from(id), &json!({"amount": "0.5", "big": -7}))
        .unwrap()
        .unwrap();
    assert_eq!(
        updated,
        Measure {
            amount: 0.5,
            big: -7,
            ..created.clone()
        }
    );

    // A typed body sends what every database takes (numbers; strings beyond 2^53).
    let beyond = 9_007_199_254_740_993_i64; // 2^53 + 1
    let big: Measure = d
        .create(
            MEASURES,
            &Measure {
                big: beyond,
                ..new.clone()
            },
        )
        .unwrap()
        .unwrap();
    match Database::from_env() {
        Database::Postgres => assert_eq!(big.big, beyond),
        // A server fact: Directus on SQLite reads an int8 as a JavaScript number.
        Database::Sqlite => assert_eq!(big.big, beyond - 1),
    }
}

/// `rust_decimal::Decimal` reads and writes a decimal field exactly on both databases (SQLite
/// stores a float, which comes back as the shortest decimal that reads as it).
pub fn exact_decimal_round_trip<D: Driver>(d: &D) {
    let run = unique("decimal");
    let _cleanup = Cleanup::new(d, MEASURES, &run);
    let amount = Decimal::from_str("98765.4321").unwrap();
    let created: ExactMeasure = d
        .create(
            MEASURES,
            &ExactMeasure {
                id: None,
                amount,
                run: run.clone(),
            },
        )
        .unwrap()
        .unwrap();
    assert_eq!(created.amount, amount);
    let read: ExactMeasure = d
        .read_one(
            MEASURES,
            Key::from(created.id.unwrap()),
            Query::new().fields(["id", "amount", "run"]),
        )
        .unwrap();
    assert_eq!(read, created);
    // The raw shape is the database's: a string on PostgreSQL, a number on SQLite.
    let raw: Value = d
        .read_one(MEASURES, Key::from(created.id.unwrap()), Query::new())
        .unwrap();
    match Database::from_env() {
        Database::Postgres => assert_eq!(raw["amount"], json!("98765.4321")),
        Database::Sqlite => assert_eq!(raw["amount"], json!(98765.4321)),
    }
}

/// The README's product model: `price` with `lenient::f64`, and the fixture `Product` model,
/// read the same on both databases.
pub fn readme_product_model<D: Driver>(d: &D) {
    #[derive(Debug, Serialize, Deserialize)]
    struct ReadmeProduct {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        id: Option<i64>,
        name: String,
        #[serde(with = "lenient::f64")]
        price: f64,
        run: String,
    }
    impl Item for ReadmeProduct {
        const COLLECTION: &'static str = PRODUCTS;
    }
    let run = unique("readme");
    let _cleanup = Cleanup::new(d, PRODUCTS, &run);
    let created = d
        .create_of(&ReadmeProduct {
            id: None,
            name: "kiwi".into(),
            price: 1.25,
            run: run.clone(),
        })
        .unwrap()
        .unwrap();
    assert_eq!(created.price, 1.25);
    let read: Product = d.read_one_of(Key::from(created.id.unwrap())).unwrap();
    assert_eq!(read.price, Some(1.25));
}

/// Decodes into nothing a Directus item can be: every write answer fails to decode into it.
#[derive(Debug, Deserialize)]
pub struct Unreadable {
    /// A field no fixture has.
    pub no_such_field: String,
}

fn applied(err: Error) -> Box<directus_proto::Applied> {
    assert_eq!(err.write_outcome(), WriteOutcome::Applied, "{err}");
    match err {
        Error::Applied(applied) => applied,
        other => panic!("expected Error::Applied, got {other:?}"),
    }
}

fn rows_of_run<D: Driver>(d: &D, run: &str) -> Vec<Value> {
    d.read::<Value>(MEASURES, Query::new().filter(F::eq("run", run)).limit(100))
        .unwrap()
        .into_items()
}

/// A create, create_many, update, update_many and update_by_query whose answer does not decode
/// into the requested type: `Error::Applied` with the status and the written rows, and each
/// write applied exactly once (never re-sent).
pub fn unreadable_write_answer_is_applied<D: Driver>(d: &D) {
    let run = unique("applied");
    let _cleanup = Cleanup::new(d, MEASURES, &run);
    let body = measure(&run);

    let err = d.create::<Unreadable, _>(MEASURES, &body).unwrap_err();
    let a = applied(err);
    assert_eq!(a.status(), 200);
    let id = a.data().and_then(|v| v["id"].as_i64()).expect("the row");
    let rows = rows_of_run(d, &run);
    assert_eq!(rows.len(), 1, "applied exactly once: {rows:?}");
    assert_eq!(rows[0]["id"], json!(id));

    let err = d
        .create_many::<Unreadable, _>(MEASURES, &[body.clone(), body.clone()])
        .unwrap_err();
    let a = applied(err);
    assert_eq!(a.data().and_then(Value::as_array).map(Vec::len), Some(2));
    assert_eq!(rows_of_run(d, &run).len(), 3);

    let err = d
        .update::<Unreadable>(MEASURES, Key::from(id), &json!({"day": "2025-01-02"}))
        .unwrap_err();
    let a = applied(err);
    assert_eq!(a.data().unwrap()["day"], json!("2025-01-02"));

    let err = d
        .update_many::<Unreadable>(MEASURES, vec![Key::from(id)], &json!({"labels": ["u"]}))
        .unwrap_err();
    assert_eq!(applied(err).data().unwrap()[0]["labels"], json!(["u"]));

    let err = d
        .update_by_query::<Unreadable>(MEASURES, F::eq("run", run.as_str()), &json!({"big": 5}))
        .unwrap_err();
    assert_eq!(
        applied(err).data().and_then(Value::as_array).map(Vec::len),
        Some(3)
    );
    let rows = rows_of_run(d, &run);
    assert_eq!(rows.len(), 3, "no write was sent twice: {rows:?}");
    let row = rows.iter().find(|r| r["id"] == json!(id)).unwrap();
    assert_eq!(row["day"], json!("2025-01-02"));
    assert_eq!(row["labels"], json!(["u"]));
}

/// A write Directus refuses (4xx) is "not applied". A value the database rejects is a 500 on
/// PostgreSQL (a server fact: `invalid input syntax for type numeric`), which the library can
/// only call "unknown"; SQLite stores the text as it is.
pub fn refused_write_is_not_applied<D: Driver>(d: &D) {
    let err = d
        .create::<Value, _>("drs_no_such_collection", &json!({"run": "x"}))
        .unwrap_err();
    assert!(matches!(err, Error::Api(_)), "{err:?}");
    assert_eq!(err.status().map(|s| s.as_u16()), Some(403));
    assert_eq!(err.write_outcome(), WriteOutcome::NotApplied, "{err}");

    let run = unique("refused");
    let _cleanup = Cleanup::new(d, MEASURES, &run);
    let bad = d.create::<Value, _>(MEASURES, &json!({"amount": "not a number", "run": run}));
    match Database::from_env() {
        Database::Postgres => {
            let err = bad.unwrap_err();
            assert_eq!(err.status().map(|s| s.as_u16()), Some(500), "{err}");
            assert_eq!(err.write_outcome(), WriteOutcome::Unknown);
            assert!(rows_of_run(d, &run).is_empty());
        }
        Database::Sqlite => {
            bad.unwrap();
            assert_eq!(rows_of_run(d, &run).len(), 1);
        }
    }
}
