//! Typed models: a serde struct tied to its collection with `Item`. The `decimal` price uses
//! `lenient::opt_f64`, so the model reads the same on SQLite (a number) and PostgreSQL (a string).
//! Reads DIRECTUS_URL, DIRECTUS_ADMIN_EMAIL, DIRECTUS_ADMIN_PASSWORD.

use directus_blocking::{Directus, F, Item};
use serde::{Deserialize, Serialize};

mod common;
use common::env;

#[derive(Debug, Serialize, Deserialize)]
struct Product {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<i64>,
    name: String,
    category: Option<String>,
    #[serde(default, with = "directus_blocking::lenient::opt_f64")]
    price: Option<f64>,
    stock: Option<i64>,
    run: Option<String>,
}

impl Item for Product {
    const COLLECTION: &'static str = "drs_products";
}

fn main() -> directus_blocking::Result<()> {
    let (url, email, password) = env();
    Directus::session(url, &email, &password, |d| {
        let run = format!("typed-{}", std::process::id());
        let products = d.collection_of::<Product>();
        let new = Product {
            id: None,
            name: "quince".into(),
            category: Some("fruit".into()),
            price: Some(2.25),
            stock: Some(3),
            run: Some(run.clone()),
        };
        let created = products.create(&new)?.expect("read back");
        println!("created {created:?}");
        let id = created.id.expect("an id");
        let again: Product = products.read_one(id)?;
        println!(
            "read it back: {} at {:?} ({:?} in stock)",
            again.name, again.price, again.stock
        );
        products.delete_by_query(F::eq("run", run.as_str()))?;
        println!("deleted");
        Ok(())
    })
}
