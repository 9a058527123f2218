//! Async Directus client.
#![deny(missing_docs)]
