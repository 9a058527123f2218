//! Aggregates with group_by, read into lenient AggregateRow values (numbers on SQLite, numeric
//! strings on PostgreSQL: the getters read both). Creates a few products of its own in the
//! fixture collection `drs_products`, aggregates them, and deletes them again.
//! Reads DIRECTUS_URL, DIRECTUS_ADMIN_EMAIL, DIRECTUS_ADMIN_PASSWORD.

use directus_blocking::{Agg, AggFunc, AggregateRow, Directus, F};
use serde_json::json;

mod common;
use common::env;

fn main() -> directus_blocking::Result<()> {
    let (url, email, password) = env();
    Directus::session(url, &email, &password, |d| {
        let products = d.collection("drs_products");
        let run = format!("aggregate-example-{}", std::process::id());
        products.create_many(&[
            json!({"name": "apple", "category": "fruit", "price": 0.5, "run": run}),
            json!({"name": "pear", "category": "fruit", "price": 0.75, "run": run}),
            json!({"name": "tea", "category": "drink", "price": 3.2, "run": run}),
        ])?;
        let rows = d
            .collection_as::<AggregateRow>("drs_products")
            .filter(F::eq("run", run.as_str()))
            .aggregate(Agg::count("*"))
            .aggregate(Agg::max("price"))
            .group_by(["category"])
            .read();
        // Clean up before looking at the result, so a failed read leaves no rows behind.
        products.delete_by_query(F::eq("run", run.as_str()))?;
        println!("{:<12} {:>6} {:>8}", "category", "count", "max");
        for row in rows?.items() {
            println!(
                "{:<12} {:>6} {:>8}",
                row.group("category")
                    .and_then(|c| c.as_str())
                    .unwrap_or("(none)"),
                row.get_i64(AggFunc::Count, "*").unwrap_or_default(),
                row.get_f64(AggFunc::Max, "price")
                    .map(|p| format!("{p:.2}"))
                    .unwrap_or_else(|| "-".into()),
            );
        }
        Ok(())
    })
}
