//! The blocking Directus client: a thin driver over [`ureq`] that carries out the requests
//! [`directus_proto`] builds. No async runtime, no tokio, no reqwest.
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

mod client;
mod collection;
pub mod files;
pub mod realtime;
mod system;
mod transport;

pub use client::{Builder, Directus};
pub use collection::{Collection, Pages, Singleton};
pub use directus_proto::{
    Agg, AggFunc, AggregateRow, ApiError, AssetTransform, CacheConfig, Config, Credentials, Error,
    ErrorCode, ExportFormat, F, FileMeta, Filter, FilterError, Item, Key, Meta, MetaCount, Order,
    Page, Query, Secret, TransportError, TransportErrorKind, UploadFile, models,
};

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
