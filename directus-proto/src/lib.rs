//! Sans-IO core of the Directus REST client.
#![deny(missing_docs)]
#![cfg_attr(not(test), warn(clippy::unwrap_used))]

pub mod aggregate;
pub mod filter;
