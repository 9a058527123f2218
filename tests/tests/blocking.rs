//! The scenario list against the blocking client, plus the chaining API as users write it and
//! two users on one shared connection pool.

use directus_blocking::{Directus, ErrorCode, F, Order};
use directus_tests::fixtures::{PRODUCTS, READER_EMAIL, READER_PASSWORD, SECRETS};
use directus_tests::scenarios::{self, assert_api, id_of, seed_products};
use serde_json::Value;

directus_tests::all_scenarios!(scenarios::admin::<Directus>());

/// The builder surface: `collection(..).filter(..).sort(..).limit(..).read()`.
#[test]
fn chaining_api() {
    let d: Directus = scenarios::admin();
    let s = seed_products(&d);
    let page = d
        .collection(PRODUCTS)
        .filter(F::eq("run", s.run.as_str()))
        .filter(F::gt("stock", 4) & !F::eq("category", "misc"))
        .sort("stock", Order::Desc)
        .limit(3)
        .fields(["id", "stock"])
        .include_count()
        .read()
        .unwrap();
    let stocks: Vec<i64> = page
        .items()
        .iter()
        .map(|r| r["stock"].as_i64().unwrap())
        .collect();
    assert_eq!(stocks, [100, 25, 10]);
    assert_eq!(page.meta().filter_count, Some(4));

    let page = d
        .collection(PRODUCTS)
        .filter_eq("run", s.run.as_str())
        .search("apple")
        .sort("name", Order::Asc)
        .fields(["name"])
        .read()
        .unwrap();
    let names: Vec<&str> = page
        .items()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Apple Pie", "apple juice"]);

    // iter() with a small page size
    let all: Vec<i64> = d
        .collection(PRODUCTS)
        .filter_eq("run", s.run.as_str())
        .sort("id", Order::Asc)
        .limit(2)
        .iter()
        .map(|r| id_of(&r.unwrap()))
        .collect();
    let mut expected = s.ids.clone();
    expected.sort_unstable();
    assert_eq!(all, expected);

    // aggregate through the chain, read as AggregateRow
    let rows = d
        .collection_as::<directus_blocking::AggregateRow>(PRODUCTS)
        .filter_eq("run", s.run.as_str())
        .aggregate(directus_blocking::Agg::sum("stock"))
        .read()
        .unwrap();
    assert_eq!(
        rows.items()[0].get_i64(directus_blocking::AggFunc::Sum, "stock"),
        Some(scenarios::SEED.iter().map(|r| r.stock).sum())
    );

    // read_one with fields, through the chain
    let one: Value = d
        .collection(PRODUCTS)
        .fields(["name"])
        .read_one(s.ids[3])
        .unwrap();
    assert_eq!(one, serde_json::json!({"name": "Cherry Cola"}));

    // writes answer the written row shaped by `fields`
    let written: Option<Value> = d
        .collection(PRODUCTS)
        .fields(["id", "stock"])
        .update(s.ids[3], &serde_json::json!({"stock": 6}))
        .unwrap();
    assert_eq!(
        written,
        Some(serde_json::json!({"id": s.ids[3], "stock": 6}))
    );
}

/// Two users on one ureq agent: the admin reads drs_secrets, the reader is refused.
#[test]
fn two_users_one_agent() {
    let server = scenarios::server();
    let shared = ureq::Agent::new_with_defaults();
    let admin = Directus::builder(&server.url)
        .agent(shared.clone())
        .login(&server.admin_email, &server.admin_password)
        .unwrap();
    let reader = Directus::builder(&server.url)
        .agent(shared.clone())
        .login(READER_EMAIL, READER_PASSWORD)
        .unwrap();
    for _ in 0..3 {
        let secrets = admin.collection(SECRETS).limit(1).read().unwrap();
        assert_eq!(secrets.items().len(), 1);
        assert_api(reader.collection(SECRETS).read(), 403, ErrorCode::Forbidden);
        assert!(reader.collection(PRODUCTS).limit(1).read().is_ok());
    }
    assert_eq!(admin.me().unwrap()["email"], server.admin_email.as_str());
    // the reader may not read directus_users fields: `me` answers only its id
    assert_eq!(
        reader.me().unwrap()["id"],
        server.fixtures().reader_user.as_str()
    );
}

/// A filter chained on the handle narrows `delete_by_query` / `update_by_query` too:
/// `collection(c).filter(a).delete_by_query(b)` deletes the rows matching `a AND b` only.
#[test]
fn by_query_writes_honour_the_chained_filter() {
    let d: Directus = scenarios::admin();
    let a = seed_products(&d);
    let b = seed_products(&d);
    let both = || F::in_("run", [a.run.as_str(), b.run.as_str()]);
    let food_of = |run: &str| -> usize {
        d.collection(PRODUCTS)
            .filter_eq("run", run)
            .filter_eq("category", "food")
            .read()
            .unwrap()
            .items()
            .len()
    };
    d.collection(PRODUCTS)
        .filter_eq("run", a.run.as_str())
        .update_by_query(
            both() & F::eq("category", "food"),
            &serde_json::json!({"category": "x"}),
        )
        .unwrap();
    assert_eq!(
        (food_of(&a.run), food_of(&b.run)),
        (0, 3),
        "update_by_query"
    );
    d.collection(PRODUCTS)
        .filter_eq("run", b.run.as_str())
        .delete_by_query(both() & F::eq("category", "x"))
        .unwrap();
    let left = d
        .collection(PRODUCTS)
        .filter(both())
        .read()
        .unwrap()
        .items()
        .len();
    assert_eq!(
        left, 14,
        "delete_by_query must only touch run B (which has no `x` rows)"
    );
}
