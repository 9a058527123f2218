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
//! - [`response`] and [`Error`]: answers into types, errors into [`ApiError`]s.
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

pub mod aggregate;
pub mod assets;
pub mod auth;
mod cache;
mod collection;
mod config;
pub mod error;
pub mod files;
pub mod filter;
pub mod items;
pub mod media;
mod model;
pub mod models;
pub mod multipart;
pub mod operation;
mod query;
pub mod realtime;
pub mod response;
pub mod session;
pub mod system;
mod url;

pub use aggregate::{Agg, AggFunc, Aggregate, AggregateRow};
pub use assets::AssetTransform;
pub use auth::{Credentials, Secret};
pub use cache::CacheConfig;
pub use collection::{CollectionRef, Key};
pub use config::Config;
pub use error::{ApiError, ApiErrorItem, Error, ErrorCode, TransportError, TransportErrorKind};
pub use files::{FileMeta, Progress, StreamedFile, UploadFile};
pub use filter::{F, Filter, FilterError};
pub use items::{Items, Pager};
pub use model::Item;
pub use operation::Operation;
pub use query::{ExportFormat, MetaCount, Order, Query};
pub use response::{Meta, Page};
pub use session::{Call, Exchange, Generation, Logout, Refresh, Session, Step};
pub use url::BaseUrl;

#[doc(hidden)]
pub mod __private {
    pub use serde_json::Value;
}
