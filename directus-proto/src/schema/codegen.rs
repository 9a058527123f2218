//! Rust models from a schema snapshot.
