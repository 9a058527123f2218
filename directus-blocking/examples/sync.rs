//! A sync job: upsert a CSV of 10,000 rows into `drs_catalog` (string key `sku`) in batches,
//! sending only what changed. Run it twice: the second run creates and updates nothing.
//!
//! `cargo run -p directus-blocking --example sync [rows.csv]`: without a file it writes a
//! demo CSV of 10,000 rows (`sku,name,stock`) to the temp folder. Reads `DIRECTUS_URL`,
//! `DIRECTUS_ADMIN_EMAIL` and `DIRECTUS_ADMIN_PASSWORD`; needs the test fixtures
//! (`cargo run -p directus-tests --bin setup-fixtures`).
//!
//! The steps: read the server's rows (lazily, page by page), compare them with the file
//! (`utils::diff_rows`, sans-IO), then send the new and changed rows with
//! `POST /utils/import?mode=merge` (Directus 12.4's upsert: one transaction per batch, rows
//! whose key exists are updated, the others created). The CSV reader here is a plain split
//! for the demo file; a real job would use the `csv` crate.

use std::process::ExitCode;

use directus_blocking::{Directus, F};
use directus_proto::utils::{ImportBatch, ImportOptions, diff_rows};
use serde_json::{Value, json};

mod common;
use common::env;

const COLLECTION: &str = "drs_catalog";
const ROWS: usize = 10_000;
const BATCH: usize = 1_000;

fn demo_csv() -> std::io::Result<std::path::PathBuf> {
    let path = std::env::temp_dir().join("directus-rs-sync-demo.csv");
    let mut text = String::from("sku,name,stock\n");
    for i in 1..=ROWS {
        text.push_str(&format!("sync-{i:05},Item {i},{}\n", i % 97));
    }
    std::fs::write(&path, text)?;
    Ok(path)
}

/// `sku,name,stock` lines into rows typed as the collection stores them.
fn parse(text: &str) -> Result<Vec<Value>, String> {
    text.lines()
        .skip(1)
        .filter(|line| !line.trim().is_empty())
        .enumerate()
        .map(|(n, line)| {
            let cols: Vec<&str> = line.split(',').map(str::trim).collect();
            let [sku, name, stock] = cols[..] else {
                return Err(format!("line {}: expected sku,name,stock", n + 2));
            };
            let stock: i64 = stock
                .parse()
                .map_err(|e| format!("line {}: stock {stock:?}: {e}", n + 2))?;
            Ok(json!({"sku": sku, "name": name, "stock": stock}))
        })
        .collect()
}

fn sync(d: &Directus, incoming: Vec<Value>) -> directus_blocking::Result<()> {
    let existing: Vec<Value> = d
        .collection(COLLECTION)
        .filter(F::starts_with("sku", "sync-"))
        .fields(["sku", "name", "stock"])
        .limit(BATCH as u32)
        .iter()
        .collect::<Result<_, _>>()?;
    let total = incoming.len();
    let diff = diff_rows("sku", &existing, incoming)?;
    println!(
        "{total} rows in the file, {} on the server: {} new, {} changed, {} unchanged",
        existing.len(),
        diff.new.len(),
        diff.changed.len(),
        diff.unchanged
    );
    let to_send = diff.to_send();
    let batches = to_send.len().div_ceil(BATCH);
    let (mut created, mut updated) = (0, 0);
    for (i, chunk) in to_send.chunks(BATCH).enumerate() {
        let batch = [ImportBatch::new(COLLECTION, chunk.to_vec())];
        let report = d.import_batch(&batch, ImportOptions::merge())?;
        if let Some(counts) = report.collections.get(COLLECTION) {
            created += counts.new.len();
            updated += counts.existing.len();
        }
        println!("batch {}/{batches}: {} rows sent", i + 1, chunk.len());
    }
    println!("created {created}, updated {updated}");
    Ok(())
}

fn main() -> ExitCode {
    let (url, email, password) = env();
    let path = match std::env::args_os().nth(1) {
        Some(path) => path.into(),
        None => match demo_csv() {
            Ok(path) => path,
            Err(e) => {
                eprintln!("writing the demo CSV: {e}");
                return ExitCode::FAILURE;
            }
        },
    };
    let rows = match std::fs::read_to_string(&path)
        .map_err(|e| format!("{}: {e}", path.display()))
        .and_then(|text| parse(&text))
    {
        Ok(rows) => rows,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    match Directus::session(url, &email, &password, |d| sync(d, rows)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("sync failed: {e}");
            ExitCode::FAILURE
        }
    }
}
