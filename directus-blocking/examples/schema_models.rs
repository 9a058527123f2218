//! Reads a live server's schema and writes the snapshot (for a `build.rs`) and the Rust models
//! generated from it.
//!
//! ```text
//! cargo run -p directus-blocking --example schema_models -- schema.json src/models.rs [COLLECTION...]
//! ```
//!
//! Without collections, every user collection. Reads DIRECTUS_URL, DIRECTUS_ADMIN_EMAIL,
//! DIRECTUS_ADMIN_PASSWORD (snapshots are for admins).

use directus_blocking::Directus;
use directus_proto::schema::SnapshotScope;
use directus_proto::schema::codegen::{self, Options};

mod common;
use common::env;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (url, email, password) = env();
    let mut args = std::env::args().skip(1);
    let (Some(snapshot_path), Some(models_path)) = (args.next(), args.next()) else {
        eprintln!("usage: schema_models SNAPSHOT.json MODELS.rs [COLLECTION...]");
        std::process::exit(2);
    };
    let only: Vec<String> = args.collect();
    let scope = if only.is_empty() {
        SnapshotScope::all()
    } else {
        SnapshotScope::only(only)
    };

    let directus = Directus::login(&url, &email, &password)?;
    let snapshot = directus.schema_snapshot(&scope)?;
    std::fs::write(&snapshot_path, snapshot.json())?;
    let source = codegen::generate(&snapshot, &Options::new())?;
    std::fs::write(&models_path, source)?;
    println!(
        "{} collections: snapshot in {snapshot_path}, models in {models_path}",
        snapshot.collections.len()
    );
    Ok(())
}
