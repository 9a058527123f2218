//! Pagination: explicit pages with include_count, and lazy `iter()` (bounded memory).
//! Reads DIRECTUS_URL, DIRECTUS_ADMIN_EMAIL, DIRECTUS_ADMIN_PASSWORD.

use directus_blocking::{Directus, F, Order};
use serde_json::json;

mod common;
use common::env;

fn main() -> directus_blocking::Result<()> {
    let (url, email, password) = env();
    Directus::session(url, &email, &password, |d| {
        let run = format!("pages-{}", std::process::id());
        let products = d.collection("drs_products");
        let rows: Vec<_> = (1..=12)
            .map(|i| json!({"name": format!("item-{i:02}"), "run": run}))
            .collect();
        products.create_many(&rows)?;
        let ours = products
            .clone()
            .filter(F::eq("run", run.as_str()))
            .sort("name", Order::Asc);
        let first = ours.clone().limit(5).page(1).include_count().read()?;
        println!(
            "page 1 of {:?} items: {} rows",
            first.meta().filter_count,
            first.items().len()
        );
        let third = ours.clone().limit(5).page(3).read()?;
        println!(
            "page 3: {:?}",
            third
                .items()
                .iter()
                .map(|p| p["name"].clone())
                .collect::<Vec<_>>()
        );
        let all: Vec<_> = ours.clone().limit(5).iter().collect::<Result<_, _>>()?;
        println!("iter() read {} rows, 5 per request", all.len());
        products.delete_by_query(F::eq("run", run.as_str()))?;
        Ok(())
    })
}
