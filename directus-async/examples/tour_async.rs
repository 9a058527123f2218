//! A short tour of the async client: login, create, filter, stream the pages, update, delete.
//! Reads DIRECTUS_URL, DIRECTUS_ADMIN_EMAIL, DIRECTUS_ADMIN_PASSWORD.

use directus_async::{Directus, F, Order};
use futures_util::TryStreamExt;
use serde_json::json;

mod common;
use common::env;

#[tokio::main]
async fn main() -> directus_async::Result<()> {
    let (url, email, password) = env();
    Directus::session(url, &email, &password, async |d| {
        println!("logged in as {}", d.me().await?["email"]);
        let run = format!("async-tour-{}", std::process::id());
        let products = d.collection("drs_products");
        let rows: Vec<_> = ["lime", "lemon", "orange", "grapefruit"]
            .iter()
            .enumerate()
            .map(|(i, name)| json!({"name": name, "category": "citrus", "stock": i * 10, "run": run}))
            .collect();
        products.create_many(&rows).await?;
        let ours = products.clone().filter(F::eq("run", run.as_str()));
        let stocked = ours.clone().filter(F::gt("stock", 0)).sort("stock", Order::Desc).read().await?;
        println!("in stock: {:?}", stocked.items().iter().map(|p| p["name"].clone()).collect::<Vec<_>>());
        let mut stream = std::pin::pin!(ours.clone().sort("name", Order::Asc).limit(2).stream());
        while let Some(item) = stream.try_next().await? {
            println!("  streamed {}", item["name"]);
        }
        products.update_by_query(F::eq("run", run.as_str()), &json!({"stock": 99})).await?;
        println!("restocked everything to 99");
        products.delete_by_query(F::eq("run", run.as_str())).await?;
        println!("cleaned up");
        Ok(())
    })
    .await
}
