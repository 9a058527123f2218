//! Filters: AND, OR, negation (pushed down by De Morgan), ranges and lists.
//! Reads DIRECTUS_URL, DIRECTUS_ADMIN_EMAIL, DIRECTUS_ADMIN_PASSWORD.

use directus_blocking::{Directus, F, Order};
use serde_json::json;

mod common;
use common::env;

fn main() -> directus_blocking::Result<()> {
    let (url, email, password) = env();
    Directus::session(url, &email, &password, |d| {
        let run = format!("filters-{}", std::process::id());
        let products = d.collection("drs_products");
        products.create_many(&[
            json!({"name": "fig", "category": "fruit", "price": "3.00", "stock": 4, "run": run}),
            json!({"name": "plum", "category": "fruit", "price": "0.90", "stock": 0, "run": run}),
            json!({"name": "bean", "category": "vegetable", "price": "1.10", "stock": 9, "run": run}),
        ])?;
        let ours = products
            .clone()
            .filter(F::eq("run", run.as_str()))
            .sort("name", Order::Asc);
        let show = |label: &str, filter| -> directus_blocking::Result<()> {
            let page = ours.clone().filter(filter).read()?;
            let names: Vec<_> = page.items().iter().map(|p| p["name"].clone()).collect();
            println!("{label:<40} {names:?}");
            Ok(())
        };
        show(
            "fruit AND in stock",
            F::eq("category", "fruit") & F::gt("stock", 0),
        )?;
        show(
            "price < 1 OR vegetable",
            F::lt("price", 1) | F::eq("category", "vegetable"),
        )?;
        show(
            "NOT (fruit AND price > 2)",
            !(F::eq("category", "fruit") & F::gt("price", 2)),
        )?;
        show("name in [fig, bean]", F::in_("name", ["fig", "bean"]))?;
        products.delete_by_query(F::eq("run", run.as_str()))?;
        Ok(())
    })
}
