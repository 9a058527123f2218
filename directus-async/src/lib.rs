//! The async Directus client: a thin driver over [`reqwest`](https://docs.rs/reqwest) (or any
//! [`HttpClient`]) that carries out the requests [`directus_proto`] builds.
//!
//! ```toml
//! [dependencies]
//! directus-async = "0.1"   # features (all default): reqwest, rustls, tokio
//! serde = { version = "1", features = ["derive"] }
//! serde_json = "1"
//! tokio = { version = "1", features = ["macros", "rt-multi-thread"] }
//! ```
//!
//! The README has [a tour of the API](https://github.com/directus-rs/directus-rs#a-tour-of-the-api)
//! (the same API as `directus-blocking`, with `.await`) and the list of examples
//! (`cargo run -p directus-async --example tour_async`, `concurrent_reads`). Typed models read
//! Directus decimals on every database with [`lenient`]; an `Err` from a write says whether it
//! was applied ([`Error::write_outcome`], [`Applied`]).
//!
//! ```no_run
//! use directus_async::{Directus, F, Order};
//!
//! # async fn demo() -> Result<(), directus_async::Error> {
//! let directus = Directus::login("http://127.0.0.1:8055", "admin@example.com", "secret").await?;
//! let page = directus
//!     .collection("products")
//!     .filter(F::eq("category", "fruit") & !F::lt("price", 1))
//!     .sort("price", Order::Desc)
//!     .limit(10)
//!     .read()
//!     .await?;
//! println!("{} items", page.items().len());
//! directus.logout().await?;
//! # Ok(())
//! # }
//! ```
//!
//! # Features
//! - `reqwest` (default): the [`reqwest`](https://docs.rs/reqwest) transport; without it, bring
//!   your own [`HttpClient`].
//! - `rustls` (default): HTTPS through rustls in reqwest (implies `reqwest`).
//! - `tokio` (default): each token refresh runs in its own tokio task, so a caller that drops
//!   its future mid-refresh cannot lose the rotated refresh token. Without it the refresh runs
//!   in the caller's future; a refresh cut short then costs one extra login (with email and
//!   password) or, with a bare refresh token, a [`Error::NotAuthenticated`].
//!
//! # Many reads at once (py-directus's `as_task` + `gather`)
//! The client is `Clone + Send + Sync` and its reads are plain futures: run many with a bound
//! on concurrency with `futures_util`'s `buffer_unordered`:
//!
//! ```no_run
//! use futures_util::{StreamExt, TryStreamExt, stream};
//! # async fn demo(directus: directus_async::Directus) -> Result<(), directus_async::Error> {
//! let ids = 1..=100;
//! let items: Vec<serde_json::Value> = stream::iter(ids)
//!     .map(|id| {
//!         let directus = directus.clone();
//!         async move { directus.collection("products").read_one(id).await }
//!     })
//!     .buffer_unordered(8) // at most 8 requests in flight
//!     .try_collect()
//!     .await?;
//! # Ok(())
//! # }
//! ```
#![deny(missing_docs)]
#![cfg_attr(not(test), warn(clippy::unwrap_used))]

mod access;
#[cfg(feature = "axum")]
pub mod axum;
mod call_options;
mod client;
mod collection;
pub mod files;
mod graphql;
mod random;
#[cfg(feature = "realtime")]
pub mod realtime;
mod schema;
mod shares;
mod stream;
mod system;
mod timer;
mod transport;
mod users;
mod utils;
mod versions;

pub use client::{Builder, Directus};
pub use collection::{Collection, Singleton};
pub use directus_proto::RawPage;
pub use directus_proto::stream::{StreamError, StreamErrorKind};
pub use directus_proto::{
    Agg, AggFunc, AggregateRow, ApiError, AssetTransform, Body, Bytes, CacheConfig, Config,
    Credentials, Error, ErrorCode, ExportFormat, F, FileMeta, Filter, FilterError, Item, Key, Meta,
    MetaCount, Order, Page, Query, RetryPolicy, Secret, TransportError, TransportErrorKind,
    UploadFile, auth::Tokens, models,
};
pub use directus_proto::{Applied, WriteOutcome, lenient};
pub use stream::ItemStream;
#[cfg(feature = "reqwest")]
pub use transport::reqwest_client_builder;
pub use transport::{ByteStream, HttpClient};

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(all(test, feature = "reqwest", feature = "tokio"))]
mod tests {
    /// The client is shared across threads (and tasks) by cloning.
    #[test]
    fn the_client_is_clone_send_and_sync() {
        fn shareable<T: Clone + Send + Sync + 'static>() {}
        shareable::<crate::Directus>();
    }

    /// Its futures can be spawned on a multi-threaded runtime.
    #[test]
    fn its_futures_are_send() {
        fn send<T: Send>(_: T) {}
        let client = crate::Directus::with_token("http://127.0.0.1:9", "t").unwrap();
        let items = client.collection("a");
        send(items.read());
        send(items.read_one(1));
        send(items.create(&serde_json::json!({})));
        send(client.refresh());
        send(client.logout());
        send(client.me());
        let files = client.files();
        send(files.download_stream("f", &crate::AssetTransform::new()));
        send(files.upload_path("p", crate::files::StreamedFile::new("p")));
    }
}
