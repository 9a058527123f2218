//! The scenario list against the async client, plus the chaining API as users write it and two
//! users on one shared reqwest client.

use directus_async::{Directus, ErrorCode, F, Order};
use directus_tests::fixtures::{PRODUCTS, READER_EMAIL, READER_PASSWORD, SECRETS};
use directus_tests::scenarios::{self, AsyncDriver, assert_api, id_of, seed_products};
use futures_util::StreamExt;
use serde_json::Value;

directus_tests::all_scenarios!(scenarios::admin::<AsyncDriver>());

/// The builder surface: `collection(..).filter(..).sort(..).limit(..).read().await`.
#[test]
fn chaining_api() {
    let driver: AsyncDriver = scenarios::admin();
    let s = seed_products(&driver);
    let d = &driver.client;
    driver.rt.block_on(async {
        let page = d
            .collection(PRODUCTS)
            .filter(F::eq("run", s.run.as_str()))
            .filter(F::gt("stock", 4) & !F::eq("category", "misc"))
            .sort("stock", Order::Desc)
            .limit(3)
            .fields(["id", "stock"])
            .include_count()
            .read()
            .await
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
            .await
            .unwrap();
        let names: Vec<&str> = page
            .items()
            .iter()
            .map(|r| r["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["Apple Pie", "apple juice"]);

        // stream() with a small page size
        let collection = d
            .collection(PRODUCTS)
            .filter_eq("run", s.run.as_str())
            .sort("id", Order::Asc)
            .limit(2);
        let all: Vec<i64> = collection
            .stream()
            .map(|r| id_of(&r.unwrap()))
            .collect()
            .await;
        let mut expected = s.ids.clone();
        expected.sort_unstable();
        assert_eq!(all, expected);

        let rows = d
            .collection_as::<directus_async::AggregateRow>(PRODUCTS)
            .filter_eq("run", s.run.as_str())
            .aggregate(directus_async::Agg::sum("stock"))
            .read()
            .await
            .unwrap();
        assert_eq!(
            rows.items()[0].get_i64(directus_async::AggFunc::Sum, "stock"),
            Some(scenarios::SEED.iter().map(|r| r.stock).sum())
        );

        let one: Value = d
            .collection(PRODUCTS)
            .fields(["name"])
            .read_one(s.ids[3])
            .await
            .unwrap();
        assert_eq!(one, serde_json::json!({"name": "Cherry Cola"}));

        // writes answer the written row shaped by `fields`
        let written: Option<Value> = d
            .collection(PRODUCTS)
            .fields(["id", "stock"])
            .update(s.ids[3], &serde_json::json!({"stock": 6}))
            .await
            .unwrap();
        assert_eq!(
            written,
            Some(serde_json::json!({"id": s.ids[3], "stock": 6}))
        );
    });
}

/// Two users on one reqwest client: the admin reads drs_secrets, the reader is refused.
#[test]
fn two_users_one_client() {
    let server = scenarios::server();
    let rt = scenarios::runtime();
    rt.block_on(async {
        let shared = directus_async::reqwest_client_builder(&directus_async::Config::default())
            .build()
            .unwrap();
        let admin = Directus::builder(&server.url)
            .client(shared.clone())
            .login(&server.admin_email, &server.admin_password)
            .await
            .unwrap();
        let reader = Directus::builder(&server.url)
            .client(shared.clone())
            .login(READER_EMAIL, READER_PASSWORD)
            .await
            .unwrap();
        for _ in 0..3 {
            let (a, b, c) = (
                admin.collection(SECRETS).limit(1),
                reader.collection(SECRETS),
                reader.collection(PRODUCTS).limit(1),
            );
            let (secrets, refused, products) = tokio::join!(a.read(), b.read(), c.read());
            assert_eq!(secrets.unwrap().items().len(), 1);
            assert_api(refused, 403, ErrorCode::Forbidden);
            assert!(products.is_ok());
        }
        assert_eq!(
            admin.me().await.unwrap()["email"],
            server.admin_email.as_str()
        );
        // the reader may not read directus_users fields: `me` answers only its id
        assert_eq!(
            reader.me().await.unwrap()["id"],
            server.fixtures().reader_user.as_str()
        );
    });
}

/// A filter chained on the handle narrows `delete_by_query` / `update_by_query` too:
/// `collection(c).filter(a).delete_by_query(b)` deletes the rows matching `a AND b` only.
#[test]
fn by_query_writes_honour_the_chained_filter() {
    let driver: AsyncDriver = scenarios::admin();
    let a = seed_products(&driver);
    let b = seed_products(&driver);
    let d = &driver.client;
    driver.rt.block_on(async {
        let both = || F::in_("run", [a.run.as_str(), b.run.as_str()]);
        let food_of = async |run: &str| -> usize {
            d.collection(PRODUCTS)
                .filter_eq("run", run)
                .filter_eq("category", "food")
                .read()
                .await
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
            .await
            .unwrap();
        assert_eq!(
            (food_of(&a.run).await, food_of(&b.run).await),
            (0, 3),
            "update_by_query"
        );
        d.collection(PRODUCTS)
            .filter_eq("run", b.run.as_str())
            .delete_by_query(both() & F::eq("category", "x"))
            .await
            .unwrap();
        let left = d
            .collection(PRODUCTS)
            .filter(both())
            .read()
            .await
            .unwrap()
            .items()
            .len();
        assert_eq!(
            left, 14,
            "delete_by_query must only touch run B (which has no `x` rows)"
        );
    });
}
