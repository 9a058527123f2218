//! The blocking Directus client: a thin driver over [ureq](https://docs.rs/ureq) that carries
//! out the requests [`directus_proto`] builds. No async runtime, no tokio, no reqwest.
//!
//! ```toml
//! [dependencies]
//! directus-blocking = "0.1"   # feature `rustls` (default): HTTPS
//! serde = { version = "1", features = ["derive"] }
//! serde_json = "1"
//! ```
//!
//! The README has [a tour of the API](https://github.com/directus-rs/directus-rs#a-tour-of-the-api)
//! and the list of examples (`cargo run -p directus-blocking --example tour`, `filters`,
//! `pagination`, `aggregate`, `typed_models`, `two_users`). Typed models read Directus decimals
//! on every database with [`lenient`]; an `Err` from a write says whether it was applied
//! ([`Error::write_outcome`], [`Applied`]).
//!
//! ```no_run
//! use directus_blocking::{Directus, F, Order};
//!
//! # fn main() -> Result<(), directus_blocking::Error> {
//! let directus = Directus::login("http://127.0.0.1:8055", "admin@example.com", "secret")?;
//! let page = directus
//!     .collection("products")
//!     .filter(F::eq("category", "fruit") & !F::lt("price", 1))
//!     .sort("price", Order::Desc)
//!     .limit(10)
//!     .include_count()
//!     .read()?;
//! println!("{} of {:?}", page.items().len(), page.meta().filter_count);
//! directus.logout()?;
//! # Ok(())
//! # }
//! ```
//!
//! The client is `Clone + Send + Sync`: clones share one session (tokens, cache) and one
//! connection pool. Refresh happens by itself before the access token expires, and once after
//! a `TOKEN_EXPIRED` answer; many threads on one client cause one refresh at a time.
#![deny(missing_docs)]
#![cfg_attr(not(test), warn(clippy::unwrap_used))]

mod access;
mod call_options;
mod client;
mod collection;
pub mod files;
mod graphql;
mod random;
pub mod realtime;
mod resolve;
mod schema;
mod shares;
mod stream;
mod system;
mod transport;
mod users;
mod utils;
mod versions;

pub use client::{Builder, Directus};
pub use collection::{Collection, Pages, Singleton};
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

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    /// The client is shared across threads (and tasks) by cloning.
    #[test]
    fn the_client_is_clone_send_and_sync() {
        fn shareable<T: Clone + Send + Sync + 'static>() {}
        shareable::<crate::Directus>();
    }
}
