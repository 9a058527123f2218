//! Typed models: a serde struct tied to its collection with `Item`.
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
    stock: Option<i64>,
    run: Option<String>,
}

impl Item for Product {
    const COLLECTION: &'static str = "drs_products";
}

fn main() -> directus_blocking::Result<()> {
    let Some((url, email, password)) = env() else {
        return Ok(());
    };
    Directus::session(url, &email, &password, |d| {
        let run = format!("typed-{}", std::process::id());
        let products = d.collection_of::<Product>();
        let new = Product {
            id: None,
            name: "quince".into(),
            category: Some("fruit".into()),
            stock: Some(3),
            run: Some(run.clone()),
        };
        let created = products.create(&new)?.expect("read back");
        println!("created {created:?}");
        let id = created.id.expect("an id");
        let again: Product = products.read_one(id)?;
        println!("read it back: {} ({:?} in stock)", again.name, again.stock);
        products.delete_by_query(F::eq("run", run.as_str()))?;
        println!("deleted");
        Ok(())
    })
}
