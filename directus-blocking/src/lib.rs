//! Blocking Directus client.
#![deny(missing_docs)]
