//! Sans-IO core of the Directus REST client.
//!
//! This crate turns what a caller wants into [`http::Request`] values and reads
//! [`http::Response`] values back into typed results. It opens no socket, starts no runtime and
//! reads no clock: the time is an argument. The drivers (`directus-blocking` over ureq,
//! `directus-async` over reqwest) only move the bytes.
//!
//! - [`Query`], [`F`]/[`Filter`] and [`Agg`]: the read parameters, filters and aggregates.
//! - [`Items`]: the requests on a collection's items; [`Item`] ties a serde type to its
//!   collection.
//! - [`Session`]: tokens, refresh and logout, and the response cache; [`Call`], [`Refresh`] and
//!   [`Logout`] are the [`Exchange`]s a driver runs.
//! - [`response`] and [`Error`]: answers into types, errors into [`ApiError`]s; [`applied`]: an
//!   `Err` from a write says whether the server applied it.
//! - [`stream`]: reads of any size, decoded item by item while the body arrives;
//!   [`borrowed`]: pages decoded into types that borrow from the body.
//! - [`lenient`]: serde helpers for decimals and big integers, which PostgreSQL sends as strings.
//!
//! Most programs use a driver instead (`directus-blocking = "0.1"` or `directus-async = "0.1"`);
//! depend on this crate (`directus-proto = "0.1"`) to drive another HTTP stack. The README has
//! [a tour of the API](https://github.com/directus-rs/directus-rs#a-tour-of-the-api) and the
//! examples.
//!
//! ```
//! use directus_proto::{BaseUrl, F, Items, Order, Query};
//!
//! let base = BaseUrl::parse("http://127.0.0.1:8055").unwrap();
//! let query = Query::new()
//!     .filter((F::eq("name", "apple") | F::eq("name", "pear")) & !F::lt("price", 1))
//!     .sort("price", Order::Desc)
//!     .limit(10);
//! let read = Items::<serde_json::Value>::new("products").with_query(query).read(&base).unwrap();
//! assert_eq!(read.request().method(), "GET");
//! ```
#![deny(missing_docs)]
#![cfg_attr(not(test), warn(clippy::unwrap_used))]

pub mod access;
pub mod aggregate;
pub mod applied;
pub mod assets;
pub mod auth;
mod body;
pub mod borrowed;
mod cache;
pub mod call_options;
mod collection;
mod config;
pub mod error;
pub mod files;
pub mod filter;
pub mod flows;
pub mod graphql;
pub mod hooks;
pub mod items;
pub mod json;
pub mod lenient;
pub mod media;
mod model;
pub mod models;
pub mod multipart;
pub mod operation;
mod query;
pub mod realtime;
pub mod redirect;
pub mod response;
pub mod retry;
pub mod route;
pub mod schema;
pub mod session;
pub mod shares;
pub mod stream;
pub mod system;
pub mod trace;
mod url;
pub mod users;
pub mod utils;
pub mod versions;
pub mod web;

pub use aggregate::{Agg, AggFunc, Aggregate, AggregateRow};
pub use applied::{Applied, WriteOutcome};
pub use assets::AssetTransform;
pub use auth::{Credentials, Secret};
pub use body::Body;
pub use borrowed::RawPage;
/// The body of every answer the core parses (`http::Response<Bytes>`), the type hyper and
/// reqwest hand over. It clones without copying, and a `Vec<u8>` becomes one without a copy:
///
/// ```
/// use directus_proto::Bytes;
/// let answer = http::Response::new(Bytes::from(br#"{"data":[]}"#.to_vec()));
/// let page = directus_proto::response::page::<serde_json::Value>(answer)?;
/// assert!(page.items().is_empty());
/// # Ok::<(), directus_proto::Error>(())
/// ```
pub use bytes::Bytes;
pub use cache::CacheConfig;
pub use call_options::CallOptions;
pub use collection::{CollectionRef, Key};
pub use config::Config;
pub use error::{
    ApiError, ApiErrorItem, Error, ErrorCode, MAX_API_ERRORS, TransportError, TransportErrorKind,
};
pub use files::{FileMeta, Progress, StreamedFile, UploadFile};
pub use filter::{F, Filter, FilterError};
pub use items::{Items, Pager};
pub use model::Item;
pub use operation::Operation;
pub use query::{ExportFormat, MetaCount, Order, Query};
pub use response::{Meta, Page};
pub use retry::RetryPolicy;
pub use session::{Call, Exchange, Generation, Logout, Refresh, Session, Step};
pub use url::BaseUrl;

#[doc(hidden)]
pub mod __private {
    pub use serde_json::Value;
}
