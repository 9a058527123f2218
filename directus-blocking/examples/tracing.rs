//! A service's client, observable and patient: `tracing` spans printed as a readable log, a
//! hook that gives every request an id, and a retry policy for a flaky network.
//! Run with `cargo run -p directus-blocking --features tracing --example tracing`.
//! Reads DIRECTUS_URL, DIRECTUS_ADMIN_EMAIL, DIRECTUS_ADMIN_PASSWORD.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use directus_blocking::{Directus, RetryPolicy};
use directus_proto::hooks;
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::fmt::format::FmtSpan;

mod common;
use common::env;

fn main() -> directus_blocking::Result<()> {
    // Spans close with their fields (method, route template, status, attempt, bytes, cache
    // hit); events (retries, waits, refreshes) print at DEBUG.
    tracing_subscriber::fmt()
        .with_max_level(LevelFilter::DEBUG)
        .with_span_events(FmtSpan::CLOSE)
        .with_target(false)
        .init();

    let (url, email, password) = env();
    let next_id = AtomicU64::new(1);
    let directus = Directus::builder(url)
        // Reads: up to 4 attempts on transport errors, 429 and 502/503/504, 100 ms to 2 s
        // apart (full jitter), Retry-After honoured up to 10 s, 15 s for the whole call.
        .retry(
            RetryPolicy::new()
                .attempts(4)
                .on_server_errors(true)
                .backoff(Duration::from_millis(100), Duration::from_secs(2))
                .max_retry_after(Duration::from_secs(10))
                .deadline(Duration::from_secs(15)),
        )
        // Every request carries an id the server's logs (or a gateway's) can show.
        .hook(hooks::on_request(move |request| {
            let id = next_id.fetch_add(1, Ordering::Relaxed);
            let _ = request.insert_header("x-request-id", &format!("svc-{id}"));
        }))
        .login(&email, &password)?;

    let products = directus.collection("drs_products");
    let page = products.clone().limit(3).read()?;
    println!("read {} products", page.items().len());
    // This one call may take at most 2 s, retries included.
    let one = products.timeout(Duration::from_secs(2)).limit(1).read()?;
    println!("read {} product within 2 s", one.items().len());
    directus.logout()
}
