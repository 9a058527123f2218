//! Measurement (not a test): peak memory of reading a large collection whole with
//! `read_stream()` in both clients, next to lazy pagination and to a buffered `read()`.
//!
//! Creates a collection of `DRS_STREAM_ROWS` rows (default 200,000; `create_many` in batches
//! of 2,000), then runs each phase in a fresh child process of this binary and prints that
//! process's peak resident memory (`VmHWM` of `/proc/self/status`, which is what `getrusage`
//! reports as `ru_maxrss`), so no phase inherits another's heap. Deletes the collection at the
//! end, unless `DRS_STREAM_KEEP=1`. `DRS_STREAM_COLLECTION=NAME` reuses such a kept collection
//! (of `DRS_STREAM_ROWS` rows) instead of creating one, and deletes it at the end unless
//! `DRS_STREAM_KEEP=1`.
//!
//! ```sh
//! tests/server/directus-server start && eval "$(tests/server/directus-server env)"
//! cargo run --release -q -p directus-tests --bin stream-rss
//! tests/server/directus-server stop
//! ```
//!
//! A phase can be run alone: `stream-rss --phase blocking-stream --collection NAME --rows N`.
//!
//! Prints a Markdown table (stdout; progress goes to stderr): `scripts/bench.sh` puts it in
//! `BENCHMARKS.md`. Next to the clients' phases, `plain-ureq-buffered` reads the same rows the
//! way a plain ureq + serde program would (the whole body, then `Vec<Row>`): the memory a read
//! of that size costs without streaming.

use std::process::{Command, ExitCode};
use std::time::Instant;

use directus_proto::Order;
use directus_tests::Server;
use directus_tests::rows::{Row, Rows};
use directus_tests::rss::peak_kb;
use futures_util::StreamExt;

type Failure = Box<dyn std::error::Error>;

/// Rows per request in the pagination phases.
const PAGE: u32 = 1_000;

const PHASES: [&str; 6] = [
    "blocking-stream",
    "async-stream",
    "blocking-pages",
    "async-pages",
    "blocking-buffered",
    "plain-ureq-buffered",
];

/// The issue's goal for a streamed read and for pagination of any size: peak RSS under 20 MB.
const GOAL_MB: f64 = 20.0;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let result = match args.get(1).map(String::as_str) {
        Some("--phase") => child(&args),
        _ => parent(),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("stream-rss: {error}");
            ExitCode::FAILURE
        }
    }
}

fn parent() -> Result<(), Failure> {
    let server = Server::try_from_env().map_err(|missing| {
        format!("{missing} is not set: start a server (see this file's header)")
    })?;
    let rows: u64 = std::env::var("DRS_STREAM_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200_000);
    let admin = directus_blocking::Directus::login(
        &server.url,
        &server.admin_email,
        &server.admin_password,
    )?;
    let mut table = match std::env::var("DRS_STREAM_COLLECTION") {
        Ok(name) if !name.is_empty() => Rows::existing(admin, &name, rows),
        _ => {
            let started = Instant::now();
            let table = Rows::create(admin, "stream_rss", rows)?;
            eprintln!(
                "stream-rss: created {rows} rows in {} in {:.1} s",
                table.name(),
                started.elapsed().as_secs_f64()
            );
            table
        }
    };
    if std::env::var("DRS_STREAM_KEEP").is_ok_and(|v| v == "1") {
        table.keep();
        eprintln!("stream-rss: keeping {}", table.name());
    }
    let name = table.name().to_owned();
    let exe = std::env::current_exe()?;
    println!(
        "| {rows} rows, read whole (one process per phase) | rows | body | wall | peak RSS | goal |"
    );
    println!("|---|---|---|---|---|---|");
    let mut failed = false;
    for phase in PHASES {
        let status = Command::new(&exe)
            .args([
                "--phase",
                phase,
                "--collection",
                &name,
                "--rows",
                &rows.to_string(),
            ])
            .status()?;
        failed |= !status.success();
    }
    drop(table);
    if failed {
        return Err("a phase failed".into());
    }
    Ok(())
}

fn child(args: &[String]) -> Result<(), Failure> {
    let value = |flag: &str| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1))
            .cloned()
            .ok_or_else(|| format!("missing {flag}"))
    };
    let (phase, name) = (value("--phase")?, value("--collection")?);
    let rows: u64 = value("--rows")?.parse()?;
    let server = Server::try_from_env()?;
    let started = Instant::now();
    let (count, bytes) = match phase.as_str() {
        "plain-ureq-buffered" => plain_ureq(&server, &name)?,
        "blocking-stream" | "blocking-pages" | "blocking-buffered" => {
            let client = directus_blocking::Directus::login(
                &server.url,
                &server.admin_email,
                &server.admin_password,
            )?;
            let all = client.collection_as::<Row>(&name).sort("id", Order::Asc);
            match phase.as_str() {
                "blocking-stream" => {
                    let mut stream = all.no_limit().read_stream()?;
                    let count = ordered(stream.by_ref())?;
                    (count, Some(stream.read_bytes()))
                }
                "blocking-pages" => (ordered(all.limit(PAGE).iter())?, None),
                _ => {
                    let page = all.no_limit().read()?;
                    (ordered(page.into_items().into_iter().map(Ok))?, None)
                }
            }
        }
        "async-stream" | "async-pages" => {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            rt.block_on(async {
                let client = directus_async::Directus::login(
                    &server.url,
                    &server.admin_email,
                    &server.admin_password,
                )
                .await?;
                let all = client.collection_as::<Row>(&name).sort("id", Order::Asc);
                let mut count = 0u64;
                let bytes = if phase == "async-stream" {
                    let mut stream = all.no_limit().read_stream().await?;
                    while let Some(row) = stream.next().await {
                        check(count, row?)?;
                        count += 1;
                    }
                    Some(stream.read_bytes())
                } else {
                    let all = all.limit(PAGE);
                    let mut stream = std::pin::pin!(all.stream());
                    while let Some(row) = stream.next().await {
                        check(count, row?)?;
                        count += 1;
                    }
                    None
                };
                Ok::<_, Failure>((count, bytes))
            })?
        }
        other => return Err(format!("unknown phase {other}").into()),
    };
    if count != rows {
        return Err(format!("{phase}: {count} rows, expected {rows}").into());
    }
    let peak_mb = peak_kb() as f64 / 1024.0;
    let what = match phase.as_str() {
        "blocking-stream" => "directus-blocking `no_limit().read_stream()`",
        "async-stream" => "directus-async `no_limit().read_stream()`",
        "blocking-pages" => "directus-blocking lazy pagination by 1,000",
        "async-pages" => "directus-async lazy pagination by 1,000",
        "blocking-buffered" => "directus-blocking `no_limit().read()` (buffered)",
        _ => "plain ureq + serde, buffered",
    };
    let goal = if phase.contains("stream") || phase.contains("pages") {
        if peak_mb < GOAL_MB {
            format!("< {GOAL_MB} MB met")
        } else {
            format!("< {GOAL_MB} MB **not met**")
        }
    } else {
        "(reference)".to_owned()
    };
    println!(
        "| {what} | {count} | {} | {:.2} s | {peak_mb:.1} MB | {goal} |",
        bytes.map_or("-".to_owned(), |b| format!(
            "{:.1} MB",
            b as f64 / 1048576.0
        )),
        started.elapsed().as_secs_f64(),
    );
    Ok(())
}

/// The rows as a plain ureq + serde program reads them: the whole body, then `Vec<Row>`.
fn plain_ureq(server: &Server, name: &str) -> Result<(u64, Option<u64>), Failure> {
    #[derive(serde::Deserialize)]
    struct Envelope<T> {
        data: T,
    }
    let agent = ureq::Agent::new_with_defaults();
    let login: serde_json::Value = agent
        .post(format!("{}/auth/login", server.url))
        .send_json(serde_json::json!({
            "email": server.admin_email,
            "password": server.admin_password,
        }))?
        .body_mut()
        .read_json()?;
    let token = login["data"]["access_token"]
        .as_str()
        .ok_or("no access token in the login answer")?
        .to_owned();
    let body = agent
        .get(format!("{}/items/{name}?limit=-1&sort=id", server.url))
        .header("Authorization", &format!("Bearer {token}"))
        .call()?
        .body_mut()
        .with_config()
        .limit(u64::MAX)
        .read_to_vec()?;
    let rows = serde_json::from_slice::<Envelope<Vec<Row>>>(&body)?.data;
    let count = ordered(rows.into_iter().map(Ok))?;
    Ok((count, Some(body.len() as u64)))
}

/// Counts rows, checking they come in order.
fn ordered(rows: impl Iterator<Item = directus_blocking::Result<Row>>) -> Result<u64, Failure> {
    let mut count = 0;
    for row in rows {
        check(count, row?)?;
        count += 1;
    }
    Ok(count)
}

fn check(expected: u64, row: Row) -> Result<(), Failure> {
    if row.n != expected {
        return Err(format!("row {} came at position {expected}", row.n).into());
    }
    Ok(())
}
