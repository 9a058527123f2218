//! Many reads at once from one client (one session, one reqwest pool), bounded with
//! `buffer_unordered`. Reads DIRECTUS_URL, DIRECTUS_ADMIN_EMAIL, DIRECTUS_ADMIN_PASSWORD.

use directus_async::Directus;
use futures_util::{StreamExt, TryStreamExt, stream};

mod common;
use common::env;

#[tokio::main]
async fn main() -> directus_async::Result<()> {
    let (url, email, password) = env();
    // One reqwest::Client could also be shared by several users: `.client(shared.clone())`.
    let shared = directus_async::reqwest_client_builder(&directus_async::Config::default())
        .build()
        .expect("a reqwest client");
    let directus = Directus::builder(url)
        .client(shared)
        .login(&email, &password)
        .await?;
    let sizes: Vec<usize> = stream::iter(0..100u64)
        .map(|i| {
            let directus = directus.clone();
            async move {
                let page = directus
                    .collection("drs_products")
                    .limit(1)
                    .offset(i % 10)
                    .read()
                    .await?;
                Ok::<_, directus_async::Error>(page.items().len())
            }
        })
        .buffer_unordered(16)
        .try_collect()
        .await?;
    println!(
        "{} reads done, at most 16 in flight, {} rows in all",
        sizes.len(),
        sizes.iter().sum::<usize>()
    );
    directus.logout().await
}
