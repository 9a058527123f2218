//! Benchmark (not a test): both clients next to plain ureq and plain reqwest + serde doing the
//! same requests against a real server, interleaved, several rounds; prints the tables of
//! `BENCHMARKS.md` in Markdown. `scripts/bench.sh` starts a server, runs this in release mode
//! and rewrites `BENCHMARKS.md` from the output:
//!
//! ```sh
//! bash scripts/bench.sh                      # or, against a running server:
//! cargo run --release -q -p directus-tests --bin bench
//! ```
//!
//! It seeds 2,000 rows into a collection of its own (dropped at the end, with the one the
//! writes go to) and reads them with a static token (set on the admin user for the run, then
//! removed), so no client refreshes anything. Client CPU is `getrusage(RUSAGE_SELF)` user +
//! system time around each batch (the server is another process); wall time is the batch's.
//! Each figure is the median over the rounds of the per-read (or per-row) cost of one batch.
//! Peak RSS comes from a fresh process per case (this binary run again with `--rss CASE`): its
//! `VmHWM` is that case's own.
//!
//! A CPU ratio is the median over pairs of rounds, one round with the client first and one with
//! the plain client first, of the pair's client CPU over its plain CPU: whatever running first
//! or second in a round costs (what the case before leaves behind) falls on both sides alike.
//! Round counts are even for that. Next to it, the pairs' ratios that bound the median with
//! about 95% confidence: one pair's ratio moves by about 0.1 on a shared VM, so the reads run
//! 96 rounds (48 pairs, an interval about ±0.03 wide), which they can afford.
//!
//! Settings (environment): `DRS_BENCH_ROUNDS` (reads, default 96), `DRS_BENCH_FLIGHT_ROUNDS`
//! (the reads in flight, default 32), `DRS_BENCH_WRITE_ROWS` (default
//! 10,000 per contender and round), `DRS_BENCH_WRITE_ROUNDS` (default 4), `DRS_BENCH_ONLY`
//! (only the cases whose title contains it), `DRS_BENCH_PLAIN_TIMEOUTS=1` (the plain clients
//! get the clients' timeouts, and plain ureq a resolver that spends no thread, as the
//! client's: the cost of the settings apart from the client's own),
//! `DRS_BENCH_SIDE=client` or `plain` (one side alone, for a profiler: `perf record` then sees
//! only its work; under `valgrind --tool=callgrind --toggle-collect=bench::measure_if` only the
//! measured batches count, and two round counts give the cost per read), `DRS_BENCH_TRACE=1`
//! (each batch's wall time, CPU, page faults and context switches on stderr). `--record DIR`
//! only writes a 100-row and a 2,000-row answer to `DIR` (the data of
//! `cargo bench -p directus-proto`).
//!
//! To add a case: write a function like [`page_100`] that returns a [`Case`] of contenders (the
//! client first, its plain counterpart second), and list it in `read_cases`.

use std::future::Future;
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

use directus_tests::{Server, unique};
use futures_util::{StreamExt, TryStreamExt};
use nix::sys::resource::{UsageWho, getrusage};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

type Failure = Box<dyn std::error::Error + Send + Sync>;
type Outcome = Result<usize, Failure>;

/// Rows in the read collection, and the page size.
const ROWS: usize = 2_000;
const PAGE: usize = 100;
/// Rows per `create_many` request.
const BATCH: usize = 500;
/// Reads in flight, and reads per batch, of the throughput case.
const IN_FLIGHT: usize = 64;
const FLIGHT_READS: usize = 640;

/// One row of the bench collection (~160 bytes of JSON, as in issue 15's measurements).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Row {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<i64>,
    name: String,
    category: String,
    price: f64,
    stock: i64,
    note: String,
}

/// What the plain clients parse: the `data` of the answer, as the client does.
#[derive(Deserialize)]
struct Envelope<T> {
    data: T,
}

fn rows(n: usize, tag: &str) -> Vec<Row> {
    (0..n)
        .map(|i| Row {
            id: None,
            name: format!("{tag} item {i:05}"),
            category: ["fruit", "vegetable", "grain", "dairy"][i % 4].to_owned(),
            price: (i % 997) as f64 / 4.0,
            stock: (i * 7 % 1000) as i64,
            note: format!("row {i} of the directus-rs benchmark; some text to make the row ~160 B"),
        })
        .collect()
}

/// Client CPU time of this process so far (user + system, every thread, dead ones included).
fn cpu_now() -> Duration {
    let usage = getrusage(UsageWho::RUSAGE_SELF).expect("getrusage");
    duration(usage.user_time()) + duration(usage.system_time())
}

fn duration(t: nix::sys::time::TimeVal) -> Duration {
    Duration::from_secs(t.tv_sec() as u64) + Duration::from_micros(t.tv_usec() as u64)
}

/// What every contender needs: the server, the token, the collections.
#[derive(Clone)]
struct Env {
    url: String,
    token: String,
    reads: String,
    writes: String,
}

impl Env {
    fn items(&self, collection: &str, query: &str) -> String {
        format!("{}/items/{collection}{query}", self.url)
    }
    fn bearer(&self) -> String {
        format!("Bearer {}", self.token)
    }
}

/// A contender: one batch of the same work per call, answering the rows it handled.
struct Contender {
    name: &'static str,
    run: Box<dyn FnMut() -> Outcome>,
}

/// A case: the client (first) and the plain client doing the same (second).
struct Case {
    title: String,
    /// What one batch counts (`read`, `row`) and how many of them.
    unit: &'static str,
    per_batch: usize,
    /// Rows one unit handles (a batch handles `per_batch * rows_per_unit`).
    rows_per_unit: usize,
    client: Contender,
    plain: Contender,
    /// The goal: at most this ratio of client CPU.
    goal: f64,
    /// Report throughput (units per second of wall time) rather than only CPU.
    throughput: bool,
    /// What the client spends beyond the plain client here, as far as it is known: printed
    /// when the goal is not met.
    why: &'static str,
}

#[derive(Clone, Copy, Default)]
struct Sample {
    cpu: Duration,
    wall: Duration,
}

/// What the trace prints of this process so far: system time, minor page faults, and context
/// switches, voluntary (it waited) and involuntary (it was preempted).
fn trace_now() -> (Duration, i64, i64, i64) {
    let usage = getrusage(UsageWho::RUSAGE_SELF).expect("getrusage");
    (
        duration(usage.system_time()),
        usage.minor_page_faults(),
        usage.voluntary_context_switches(),
        usage.involuntary_context_switches(),
    )
}

fn measure(contender: &mut Contender, expect: usize) -> Result<Sample, Failure> {
    let before = std::env::var_os("DRS_BENCH_TRACE").map(|_| trace_now());
    let (cpu, wall) = (cpu_now(), Instant::now());
    let handled = (contender.run)()?;
    let sample = Sample {
        cpu: cpu_now().saturating_sub(cpu),
        wall: wall.elapsed(),
    };
    if let Some(before) = before {
        let now = trace_now();
        eprintln!(
            "bench: {} took {:?} (CPU {:?}, of it system {:?}; {} page faults; context switches: \
             {} waiting, {} preempted)",
            contender.name,
            sample.wall,
            sample.cpu,
            now.0.saturating_sub(before.0),
            now.1 - before.1,
            now.2 - before.2,
            now.3 - before.3
        );
    }
    if handled != expect {
        return Err(format!("{}: handled {handled}, expected {expect}", contender.name).into());
    }
    Ok(sample)
}

/// Which contenders run: both (the benchmark), or one alone (`DRS_BENCH_SIDE=client` or
/// `plain`: for a profiler such as `perf record`, whose samples then belong to one side; the
/// ratios printed are meaningless).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    Both,
    Client,
    Plain,
}

fn side() -> Side {
    match std::env::var("DRS_BENCH_SIDE").as_deref() {
        Ok("client") => Side::Client,
        Ok("plain") => Side::Plain,
        _ => Side::Both,
    }
}

/// `measure`, or an empty sample for a contender left out by [`Side`].
fn measure_if(on: bool, contender: &mut Contender, expect: usize) -> Result<Sample, Failure> {
    if on {
        measure(contender, expect)
    } else {
        Ok(Sample::default())
    }
}

/// The values `k`-th from either end of `v` in the order of `cmp` (0-based; `k` from the
/// count, at most its middle), none for an empty `v`: the middle two, or the bounds of an
/// interval around them.
fn symmetric<T: Copy>(
    mut v: Vec<T>,
    cmp: impl FnMut(&T, &T) -> std::cmp::Ordering,
    k: impl Fn(usize) -> usize,
) -> Option<(T, T)> {
    v.sort_by(cmp);
    let n = v.len();
    (n > 0).then(|| {
        let k = k(n).min((n - 1) / 2);
        (v[k], v[n - 1 - k])
    })
}

/// The two middle values of `v` in the order of `cmp`: one value twice for an odd count, none
/// for an empty `v`. A median is their mean (the upper one alone would lean every figure up,
/// and of two pairs of rounds it would be the larger).
fn middle<T: Copy>(v: Vec<T>, cmp: impl FnMut(&T, &T) -> std::cmp::Ordering) -> Option<(T, T)> {
    symmetric(v, cmp, |n| (n - 1) / 2)
}

fn median(v: Vec<Duration>) -> Duration {
    middle(v, Duration::cmp).map_or(Duration::ZERO, |(a, b)| (a + b) / 2)
}

fn median_ratio(v: Vec<f64>) -> f64 {
    middle(v, f64::total_cmp).map_or(f64::NAN, |(a, b)| (a + b) / 2.0)
}

/// The values that bound the median of `v` with about 95% confidence, whatever their
/// distribution: the order statistics `k` and `n - 1 - k` (0-based) hold it with probability
/// 1 − 2·P(Binomial(n, ½) ≤ k), which is about 0.95 for `k = ⌊n/2 − 0.98·√n⌋` (the normal
/// approximation). With few values they are the smallest and the largest.
fn median_interval(v: Vec<f64>) -> (f64, f64) {
    let k = |n: usize| (n as f64 / 2.0 - 0.98 * (n as f64).sqrt()).floor().max(0.0) as usize;
    symmetric(v, f64::total_cmp, k).unwrap_or((f64::NAN, f64::NAN))
}

fn current_thread() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

fn multi_thread() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

/// A contender that runs `batch` on a runtime of its own.
fn on_runtime<F, Fut>(name: &'static str, rt: tokio::runtime::Runtime, mut batch: F) -> Contender
where
    F: FnMut() -> Fut + 'static,
    Fut: Future<Output = Outcome>,
{
    Contender {
        name,
        run: Box::new(move || rt.block_on(batch())),
    }
}

/// Idle pooled connections are dropped after this, under the server's keep-alive (Node: 5 s).
/// A current-thread runtime does not run between batches, so its pool would not see the
/// server close an idle connection and would send on it (reqwest fails such a request).
const POOL_IDLE: Duration = Duration::from_secs(4);

/// With `DRS_BENCH_PLAIN_TIMEOUTS=1` the plain clients get the timeouts the clients set
/// (connect, read, and per request): it tells the cost of those settings from the client's own.
fn plain_timeouts() -> bool {
    std::env::var("DRS_BENCH_PLAIN_TIMEOUTS").is_ok_and(|v| v == "1")
}

fn plain_reqwest() -> reqwest::Client {
    let builder = if plain_timeouts() {
        directus_async::reqwest_client_builder(&directus_async::Config::default())
    } else {
        reqwest::Client::builder().redirect(reqwest::redirect::Policy::none())
    };
    builder
        .pool_idle_timeout(POOL_IDLE)
        .build()
        .expect("reqwest client")
}

fn plain_ureq() -> ureq::Agent {
    if !plain_timeouts() {
        return ureq::Agent::new_with_defaults();
    }
    // The same timeouts, and a resolver that looks the name up inline as the client's does:
    // with a timeout, ureq's own resolver spends a thread per request, which would measure
    // that rather than the timeouts.
    let config = directus_async::Config::default();
    let settings = ureq::Agent::config_builder()
        .timeout_connect(Some(config.connect_timeout_duration()))
        .timeout_global(Some(config.timeout_duration()))
        .build();
    ureq::Agent::with_parts(
        settings,
        ureq::unversioned::transport::DefaultConnector::new(),
        InlineResolver,
    )
}

/// A resolver that looks a name up on the calling thread (the benchmark's server is an IP
/// literal on loopback).
#[derive(Debug)]
struct InlineResolver;

impl ureq::unversioned::resolver::Resolver for InlineResolver {
    fn resolve(
        &self,
        uri: &ureq::http::Uri,
        _: &ureq::config::Config,
        _: ureq::unversioned::transport::NextTimeout,
    ) -> Result<ureq::unversioned::resolver::ResolvedSocketAddrs, ureq::Error> {
        use std::net::ToSocketAddrs;
        let host = uri.host().ok_or(ureq::Error::HostNotFound)?;
        let port = uri.port_u16().unwrap_or(80);
        let mut addrs = self.empty();
        // As many as `ResolvedSocketAddrs` holds.
        for addr in (host, port).to_socket_addrs()?.take(16) {
            addrs.push(addr);
        }
        if addrs.is_empty() {
            return Err(ureq::Error::HostNotFound);
        }
        Ok(addrs)
    }
}

/// The async client with its own default pool settings but [`POOL_IDLE`].
fn async_client(env: &Env) -> directus_async::Directus {
    let pool = directus_async::reqwest_client_builder(&directus_async::Config::default())
        .pool_idle_timeout(POOL_IDLE)
        .build()
        .expect("reqwest client");
    directus_async::Directus::builder(&env.url)
        .client(pool)
        .token(&env.token)
        .expect("client")
}

// ---- the plain clients' requests ----

fn ureq_get(agent: &ureq::Agent, env: &Env, url: &str) -> Result<Vec<Row>, Failure> {
    let mut response = agent
        .get(url)
        .header("Authorization", &env.bearer())
        .call()?;
    let body = response
        .body_mut()
        .with_config()
        .limit(32 << 20)
        .read_to_vec()?;
    Ok(serde_json::from_slice::<Envelope<Vec<Row>>>(&body)?.data)
}

async fn reqwest_get(client: &reqwest::Client, env: &Env, url: &str) -> Result<Vec<Row>, Failure> {
    let mut request = client.get(url).header("Authorization", env.bearer());
    if plain_timeouts() {
        request = request.timeout(directus_async::Config::default().timeout_duration());
    }
    let body = request.send().await?.error_for_status()?.bytes().await?;
    Ok(serde_json::from_slice::<Envelope<Vec<Row>>>(&body)?.data)
}

// ---- the cases ----

/// What the blocking reads cost beyond plain ureq + serde, as far as it is known.
const BLOCKING_READ_WHY: &str = "not in the client's own instructions: under callgrind (`DRS_BENCH_SIDE`, only the measured batches counted) the blocking client runs 1.01× the instructions of plain ureq + serde per 100-row read (lazy pagination 1.01×, all 2,000 rows 1.00×), with as many data-cache misses and about 23% more instruction-cache misses (more code runs per read: the core's query, session and parse steps). Its timeouts cost more: before each request ureq sets the socket's timeouts to what is left of the call, and every receive is timed; plain ureq given the same timeouts (`DRS_BENCH_PLAIN_TIMEOUTS=1`) brings the ratio down by about 0.03 (1.05 and 1.05 in two runs of 128 rounds of this case, against 1.07–1.11 in four without). What is left is how fast the processor runs the longer code path, which no profiler on this VM resolves further";

/// What the async reads cost beyond plain reqwest + serde, as far as it is known.
const ASYNC_READ_WHY: &str = "not in the answer's bytes: answers reach the core as the `Bytes` hyper read (no copy). Under callgrind (`DRS_BENCH_SIDE`, only the measured batches counted) the async client runs 1.03× the instructions of plain reqwest + serde per 100-row read (lazy pagination 1.03×, all 2,000 rows 1.00×), with about 16% more instruction-cache misses, 20–30% more data-cache misses and 18% more mispredicted indirect branches: building each request through the core (query encoding, the session's step, the `http::Request` turned into reqwest's, which parses the URL again), the transport's boxed future, and one timer per request for the `Config`'s timeout. The timeouts alone: plain reqwest given the same (`DRS_BENCH_PLAIN_TIMEOUTS=1`) brings the ratio down by about 0.03 (1.04 and 1.08 in two runs of 128 rounds of this case, against 1.07–1.11 in eight without). What is left is how fast the processor runs the longer code path, which no profiler on this VM resolves further";

/// Blocking and async (current-thread) pairs of one read, `reads` times per batch.
fn read_pairs(
    env: &Env,
    title: &str,
    reads: usize,
    rows_per_read: usize,
    query: &'static str,
    all: bool,
) -> Vec<Case> {
    let url = env.items(&env.reads, query);
    let blocking = directus_blocking::Directus::with_token(&env.url, &env.token).expect("client");
    let coll = env.reads.clone();
    let client = Contender {
        name: "directus-blocking",
        run: Box::new(move || {
            let mut n = 0;
            for _ in 0..reads {
                let c = blocking.collection_as::<Row>(&coll);
                let c = if all {
                    c.no_limit()
                } else {
                    c.limit(PAGE as u32)
                };
                n += c.read()?.items().len();
            }
            Ok(n)
        }),
    };
    let agent = plain_ureq();
    let (e, u) = (env.clone(), url.clone());
    let plain = Contender {
        name: "ureq",
        run: Box::new(move || {
            let mut n = 0;
            for _ in 0..reads {
                n += ureq_get(&agent, &e, &u)?.len();
            }
            Ok(n)
        }),
    };
    let blocking_case = Case {
        title: format!("blocking, {title}"),
        unit: "read",
        per_batch: reads,
        rows_per_unit: rows_per_read,
        client,
        plain,
        goal: 1.10,
        throughput: false,
        why: BLOCKING_READ_WHY,
    };

    let asy = async_client(env);
    let coll = env.reads.clone();
    let client = on_runtime("directus-async", current_thread(), move || {
        let (asy, coll) = (asy.clone(), coll.clone());
        async move {
            let mut n = 0;
            for _ in 0..reads {
                let c = asy.collection_as::<Row>(&coll);
                let c = if all {
                    c.no_limit()
                } else {
                    c.limit(PAGE as u32)
                };
                n += c.read().await?.items().len();
            }
            Ok(n)
        }
    });
    let rq = plain_reqwest();
    let e = env.clone();
    let plain = on_runtime("reqwest", current_thread(), move || {
        let (rq, e, u) = (rq.clone(), e.clone(), url.clone());
        async move {
            let mut n = 0;
            for _ in 0..reads {
                n += reqwest_get(&rq, &e, &u).await?.len();
            }
            Ok(n)
        }
    });
    let async_case = Case {
        title: format!("async (current-thread), {title}"),
        unit: "read",
        per_batch: reads,
        rows_per_unit: rows_per_read,
        client,
        plain,
        goal: 1.10,
        throughput: false,
        why: ASYNC_READ_WHY,
    };
    vec![blocking_case, async_case]
}

/// A 100-row page, 50 reads per batch.
fn page_100(env: &Env) -> Vec<Case> {
    read_pairs(env, "100-row page", 50, PAGE, "?limit=100", false)
}

/// All 2,000 rows in one read, typed, 10 reads per batch.
fn all_rows(env: &Env) -> Vec<Case> {
    read_pairs(
        env,
        "all 2,000 rows at once, typed",
        10,
        ROWS,
        "?limit=-1",
        true,
    )
}

/// Lazy pagination of the 2,000 rows by 100 (21 requests: the last page is empty), 5 per batch.
fn pagination(env: &Env) -> Vec<Case> {
    const WALKS: usize = 5;
    let blocking = directus_blocking::Directus::with_token(&env.url, &env.token).expect("client");
    let coll = env.reads.clone();
    let client = Contender {
        name: "directus-blocking",
        run: Box::new(move || {
            let mut n = 0;
            for _ in 0..WALKS {
                let c = blocking
                    .collection_as::<Row>(&coll)
                    .sort("id", directus_blocking::Order::Asc)
                    .limit(PAGE as u32);
                for row in c.iter() {
                    row?;
                    n += 1;
                }
            }
            Ok(n)
        }),
    };
    let agent = plain_ureq();
    let e = env.clone();
    let plain = Contender {
        name: "ureq",
        run: Box::new(move || {
            let mut n = 0;
            for _ in 0..WALKS {
                let mut offset = 0;
                loop {
                    let url = e.items(&e.reads, &format!("?limit={PAGE}&offset={offset}&sort=id"));
                    let page = ureq_get(&agent, &e, &url)?;
                    n += page.len();
                    offset += page.len();
                    if page.len() < PAGE {
                        break;
                    }
                }
            }
            Ok(n)
        }),
    };
    let blocking_case = Case {
        title: "blocking, lazy pagination of 2,000 rows by 100".into(),
        unit: "walk",
        per_batch: WALKS,
        rows_per_unit: ROWS,
        client,
        plain,
        goal: 1.10,
        throughput: false,
        why: BLOCKING_READ_WHY,
    };

    let asy = async_client(env);
    let coll = env.reads.clone();
    let client = on_runtime("directus-async", current_thread(), move || {
        let (asy, coll) = (asy.clone(), coll.clone());
        async move {
            let mut n = 0;
            for _ in 0..WALKS {
                let c = asy
                    .collection_as::<Row>(&coll)
                    .sort("id", directus_async::Order::Asc)
                    .limit(PAGE as u32);
                let mut stream = std::pin::pin!(c.stream());
                while let Some(row) = stream.next().await {
                    row?;
                    n += 1;
                }
            }
            Ok(n)
        }
    });
    let rq = plain_reqwest();
    let e = env.clone();
    let plain = on_runtime("reqwest", current_thread(), move || {
        let (rq, e) = (rq.clone(), e.clone());
        async move {
            let mut n = 0;
            for _ in 0..WALKS {
                let mut offset = 0;
                loop {
                    let url = e.items(&e.reads, &format!("?limit={PAGE}&offset={offset}&sort=id"));
                    let page = reqwest_get(&rq, &e, &url).await?;
                    n += page.len();
                    offset += page.len();
                    if page.len() < PAGE {
                        break;
                    }
                }
            }
            Ok(n)
        }
    });
    let async_case = Case {
        title: "async (current-thread), lazy pagination of 2,000 rows by 100".into(),
        unit: "walk",
        per_batch: WALKS,
        rows_per_unit: ROWS,
        client,
        plain,
        goal: 1.10,
        throughput: false,
        why: ASYNC_READ_WHY,
    };
    vec![blocking_case, async_case]
}

/// 640 reads of a 100-row page, 64 in flight, on a multi-thread runtime.
fn in_flight(env: &Env) -> Vec<Case> {
    let asy = async_client(env);
    let coll = env.reads.clone();
    let client = on_runtime("directus-async", multi_thread(), move || {
        let (asy, coll) = (asy.clone(), coll.clone());
        async move {
            futures_util::stream::iter(0..FLIGHT_READS)
                .map(|_| {
                    let (asy, coll) = (asy.clone(), coll.clone());
                    tokio::spawn(async move {
                        let handle = asy.collection_as::<Row>(&coll).limit(PAGE as u32);
                        handle.read().await.map(|p| p.items().len())
                    })
                })
                .buffer_unordered(IN_FLIGHT)
                .map(|joined| Ok::<_, Failure>(joined??))
                .try_fold(0, |n, rows| async move { Ok(n + rows) })
                .await
        }
    });
    let rq = plain_reqwest();
    let e = env.clone();
    let url = env.items(&env.reads, "?limit=100");
    let plain = on_runtime("reqwest", multi_thread(), move || {
        let (rq, e, url) = (rq.clone(), e.clone(), url.clone());
        async move {
            futures_util::stream::iter(0..FLIGHT_READS)
                .map(|_| {
                    let (rq, e, url) = (rq.clone(), e.clone(), url.clone());
                    tokio::spawn(async move { reqwest_get(&rq, &e, &url).await.map(|p| p.len()) })
                })
                .buffer_unordered(IN_FLIGHT)
                .map(|joined| joined?)
                .try_fold(0, |n, rows| async move { Ok(n + rows) })
                .await
        }
    });
    vec![Case {
        title: format!("async (multi-thread), {IN_FLIGHT} reads of 100 rows in flight"),
        unit: "read",
        per_batch: FLIGHT_READS,
        rows_per_unit: PAGE,
        client,
        plain,
        goal: 1.10,
        throughput: true,
        why: "what the async 100-row read spends beyond plain reqwest + serde (see above: building each request through the core, one timer per request), on a multi-thread runtime whose timer wheel the workers share",
    }]
}

/// What the write cases cost beyond the plain clients, as far as it is known.
const WRITE_WHY: &str = "not in the client's own work per row: under callgrind the async client runs 0.4–1% more instructions per row written than plain reqwest + serde (`create_many` 1.00×, `update_batch` 1.01×), the blocking one 6% fewer than plain ureq + serde (`create_many`). Each row is serialized once; the request body is shared between attempts (kept so that a refresh after `TOKEN_EXPIRED` can send it again) and the answer kept for `Error::Applied` is shared too, neither copied. A CPU ratio above that is kernel and scheduling time, which moves between runs on this shared VM";

/// A kind of batch write: `create_many` (`POST` new rows) or `update_batch` (`PATCH` rows by
/// their keys).
#[derive(Clone, Copy)]
enum Write {
    Create,
    Update,
}

/// `create_many` of `total` new rows, and `update_batch` of as many rows: passes over the 2,000
/// read rows, each written back with its own values (the reads see the same data), both in
/// batches of [`BATCH`]. A round of either is the same work, and long enough that the machine's
/// other work moves its CPU figure little.
fn write_cases(env: &Env, total: usize, read_rows: &[Row]) -> Vec<Case> {
    let created = rows(total, "w");
    let mut cases = write_pair(env, Write::Create, &env.writes, &created);
    // Batches of consecutive rows of the passes: no batch names a row twice, since a batch is
    // shorter than the collection.
    let updated: Vec<Row> = read_rows.iter().cycle().take(total).cloned().collect();
    cases.extend(write_pair(env, Write::Update, &env.reads, &updated));
    cases
}

/// Both clients next to their plain clients writing `rows` to `collection`.
fn write_pair(env: &Env, write: Write, collection: &str, rows: &[Row]) -> Vec<Case> {
    let batches: Vec<Vec<Row>> = rows.chunks(BATCH).map(<[Row]>::to_vec).collect();
    let (name, method) = match write {
        Write::Create => ("create_many", "POST"),
        Write::Update => ("update_batch", "PATCH"),
    };
    let url = env.items(collection, "");
    let written = |rows: Option<Vec<Row>>| rows.map_or(0, |r| r.len());

    let blocking = directus_blocking::Directus::with_token(&env.url, &env.token).expect("client");
    let (coll, data) = (collection.to_owned(), batches.clone());
    let client = Contender {
        name: "directus-blocking",
        run: Box::new(move || {
            let mut n = 0;
            for batch in &data {
                let c = blocking.collection_as::<Row>(&coll);
                n += written(match write {
                    Write::Create => c.create_many(batch)?,
                    Write::Update => c.update_batch(batch)?,
                });
            }
            Ok(n)
        }),
    };
    let agent = plain_ureq();
    let (e, u, data) = (env.clone(), url.clone(), batches.clone());
    let plain = Contender {
        name: "ureq",
        run: Box::new(move || {
            let mut n = 0;
            for batch in &data {
                let builder = match write {
                    Write::Create => agent.post(&u),
                    Write::Update => agent.patch(&u),
                };
                let mut response = builder
                    .header("Authorization", &e.bearer())
                    .send_json(batch)?;
                let body = response.body_mut().read_to_vec()?;
                n += serde_json::from_slice::<Envelope<Vec<Row>>>(&body)?
                    .data
                    .len();
            }
            Ok(n)
        }),
    };
    let total = rows.len();
    let case = |title: String, client, plain| Case {
        title,
        unit: "row",
        per_batch: total,
        rows_per_unit: 1,
        client,
        plain,
        goal: 1.10,
        throughput: false,
        why: WRITE_WHY,
    };
    let blocking_case = case(
        format!("blocking, {name} of {total} rows in batches of {BATCH}"),
        client,
        plain,
    );

    let asy = async_client(env);
    let (coll, data) = (collection.to_owned(), std::sync::Arc::new(batches.clone()));
    let client = on_runtime("directus-async", current_thread(), move || {
        let (asy, coll, data) = (asy.clone(), coll.clone(), data.clone());
        async move {
            let mut n = 0;
            for batch in data.iter() {
                let c = asy.collection_as::<Row>(&coll);
                n += written(match write {
                    Write::Create => c.create_many(batch).await?,
                    Write::Update => c.update_batch(batch).await?,
                });
            }
            Ok(n)
        }
    });
    let rq = plain_reqwest();
    let (e, data) = (env.clone(), std::sync::Arc::new(batches));
    let method = reqwest::Method::from_bytes(method.as_bytes()).expect("a method");
    let plain = on_runtime("reqwest", current_thread(), move || {
        let (rq, e, u, data, method) = (
            rq.clone(),
            e.clone(),
            url.clone(),
            data.clone(),
            method.clone(),
        );
        async move {
            let mut n = 0;
            for batch in data.iter() {
                let mut request = rq
                    .request(method.clone(), &u)
                    .header("Authorization", e.bearer())
                    .header("Content-Type", "application/json")
                    .body(serde_json::to_vec(batch)?);
                if plain_timeouts() {
                    request = request.timeout(directus_async::Config::default().timeout_duration());
                }
                let body = request.send().await?.error_for_status()?.bytes().await?;
                n += serde_json::from_slice::<Envelope<Vec<Row>>>(&body)?
                    .data
                    .len();
            }
            Ok(n)
        }
    });
    let async_case = case(
        format!("async (current-thread), {name} of {total} rows in batches of {BATCH}"),
        client,
        plain,
    );
    vec![blocking_case, async_case]
}

// ---- running ----

struct Measured {
    title: String,
    why: &'static str,
    unit: &'static str,
    client: (&'static str, Sample),
    plain: (&'static str, Sample),
    /// The median over pairs of rounds (one in each order) of client CPU / plain CPU.
    cpu_ratio: f64,
    /// The pairs' ratios that bound that median with about 95% confidence.
    cpu_interval: (f64, f64),
    goal: f64,
    throughput: Option<(f64, f64)>,
}

fn run_cases(mut cases: Vec<Case>, rounds: usize) -> Result<Vec<Measured>, Failure> {
    // Warm-up, one batch each: connections open, allocator and caches warm. Without it the
    // contender that runs first in the first round (the client) pays what the process has not
    // yet grown (the heap for the batch's bodies, first-touched pages): a write case of four
    // rounds measured the async client's first about 30% above its later ones.
    let side = side();
    let (client, plain) = (side != Side::Plain, side != Side::Client);
    for case in &mut cases {
        let rows = case.per_batch_rows();
        measure_if(client, &mut case.client, rows)?;
        measure_if(plain, &mut case.plain, rows)?;
    }
    let mut samples: Vec<[Vec<Sample>; 2]> = cases.iter().map(|_| [vec![], vec![]]).collect();
    for round in 0..rounds {
        for (case, s) in cases.iter_mut().zip(&mut samples) {
            let rows = case.per_batch_rows();
            // Interleaved, the order alternating each round.
            if round % 2 == 0 {
                s[0].push(measure_if(client, &mut case.client, rows)?);
                s[1].push(measure_if(plain, &mut case.plain, rows)?);
            } else {
                s[1].push(measure_if(plain, &mut case.plain, rows)?);
                s[0].push(measure_if(client, &mut case.client, rows)?);
            }
        }
        eprintln!("bench: round {}/{rounds} done", round + 1);
    }
    Ok(cases
        .into_iter()
        .zip(samples)
        .map(|(case, [c, p])| {
            let per = |v: &[Sample]| {
                let n = case.per_batch as u32;
                Sample {
                    cpu: median(v.iter().map(|s| s.cpu).collect()) / n,
                    wall: median(v.iter().map(|s| s.wall).collect()) / n,
                }
            };
            let (cs, ps) = (per(&c), per(&p));
            // Client against plain over two rounds run next to each other, one in each order:
            // the load of the machine drifts between rounds, much less within two, and the cost
            // of going first or second in a round falls on both sides.
            let cpu = |pair: &[Sample]| pair.iter().map(|s| s.cpu).sum::<Duration>();
            let pairs: Vec<f64> = c
                .chunks(2)
                .zip(p.chunks(2))
                .map(|(c, p)| ratio(cpu(c), cpu(p)))
                .collect();
            let cpu_interval = median_interval(pairs.clone());
            let cpu_ratio = median_ratio(pairs);
            let throughput = case.throughput.then(|| {
                let rate = |s: Sample| 1.0 / s.wall.as_secs_f64().max(1e-12);
                (rate(cs), rate(ps))
            });
            Measured {
                title: case.title,
                why: case.why,
                unit: case.unit,
                client: (case.client.name, cs),
                plain: (case.plain.name, ps),
                cpu_ratio,
                cpu_interval,
                goal: case.goal,
                throughput,
            }
        })
        .collect())
}

impl Case {
    /// The rows one batch handles.
    fn per_batch_rows(&self) -> usize {
        self.per_batch * self.rows_per_unit
    }
}

fn ms(d: Duration) -> String {
    if d < Duration::from_millis(1) {
        format!("{:.1} µs", d.as_secs_f64() * 1e6)
    } else {
        format!("{:.3} ms", d.as_secs_f64() * 1e3)
    }
}

fn ratio(a: Duration, b: Duration) -> f64 {
    a.as_secs_f64() / b.as_secs_f64().max(1e-12)
}

fn print_table(results: &[Measured]) -> Vec<String> {
    let mut missed = Vec::new();
    println!(
        "| case | per | directus-rs CPU | plain CPU | CPU ratio | 95% interval | goal | directus-rs wall | plain wall |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    for r in results {
        let cpu = r.cpu_ratio;
        let met = cpu <= r.goal;
        if !met {
            missed.push(format!(
                "{}: client CPU {cpu:.2}× (goal ≤ {:.2}×). Known cost: {}.",
                r.title, r.goal, r.why
            ));
        }
        println!(
            "| {} | {} | {} | {} ({}) | **{cpu:.2}×** | {:.2}–{:.2} | ≤ {:.2}× {} | {} | {} |",
            r.title,
            r.unit,
            ms(r.client.1.cpu),
            ms(r.plain.1.cpu),
            r.plain.0,
            r.cpu_interval.0,
            r.cpu_interval.1,
            r.goal,
            if met { "met" } else { "**not met**" },
            ms(r.client.1.wall),
            ms(r.plain.1.wall),
        );
    }
    let flights: Vec<_> = results.iter().filter(|r| r.throughput.is_some()).collect();
    if !flights.is_empty() {
        println!();
        println!("| throughput | directus-rs | plain | ratio | goal |");
        println!("|---|---|---|---|---|");
        for r in flights {
            let (c, p) = r.throughput.unwrap_or_default();
            let q = c / p.max(1e-12);
            let met = q >= 0.95;
            if !met {
                missed.push(format!(
                    "{}: throughput {q:.2}× (goal ≥ 0.95×). The server is the bottleneck here \
                     (one Node process on the same cores), so throughput follows the machine's \
                     load more than the client.",
                    r.title
                ));
            }
            println!(
                "| {} | {c:.0} {}/s | {p:.0} {}/s ({}) | **{q:.2}×** | ≥ 0.95× {} |",
                r.title,
                r.unit,
                r.unit,
                r.plain.0,
                if met { "met" } else { "**not met**" }
            );
        }
    }
    missed
}

// ---- peak RSS, one process per case ----

const RSS_CASES: [&str; 8] = [
    "large/directus-blocking",
    "large/ureq",
    "large/directus-async",
    "large/reqwest",
    "pages/directus-blocking",
    "pages/ureq",
    "pages/directus-async",
    "pages/reqwest",
];

/// Runs one RSS case three times in this (fresh) process and prints its peak RSS in kB.
fn rss_child(case: &str, env: &Env) -> Result<(), Failure> {
    let cases = match case.split_once('/') {
        Some(("large", _)) => all_rows(env),
        Some(("pages", _)) => pagination(env),
        _ => return Err(format!("unknown RSS case {case}").into()),
    };
    let who = case.split_once('/').map_or("", |(_, w)| w);
    for c in cases {
        let rows = c.per_batch_rows();
        for mut contender in [c.client, c.plain] {
            if contender.name != who {
                continue;
            }
            for _ in 0..3 {
                let n = (contender.run)()?;
                if n != rows {
                    return Err(format!("{case}: read {n} rows, expected {rows}").into());
                }
            }
            // `VmHWM` starts anew with the process image (`ru_maxrss` keeps the parent's peak
            // across fork and exec).
            println!("{}", directus_tests::rss::peak_kb());
            return Ok(());
        }
    }
    Err(format!("no contender for {case}").into())
}

fn rss_table(env: &Env) -> Result<(), Failure> {
    let exe = std::env::current_exe()?;
    let mut kb = Vec::new();
    for case in RSS_CASES {
        let out = Command::new(&exe)
            .args(["--rss", case])
            .env("DRS_BENCH_TOKEN", &env.token)
            .env("DRS_BENCH_READS", &env.reads)
            .output()?;
        if !out.status.success() {
            return Err(format!(
                "--rss {case} failed: {}",
                String::from_utf8_lossy(&out.stderr)
            )
            .into());
        }
        let value: i64 = String::from_utf8_lossy(&out.stdout).trim().parse()?;
        kb.push((case, value));
    }
    println!("| peak RSS (one process per case) | directus-rs | plain |");
    println!("|---|---|---|");
    let mb = |k: i64| format!("{:.1} MB", k as f64 / 1024.0);
    for (what, label) in [
        ("large", "all 2,000 rows at once, typed (×3)"),
        ("pages", "lazy pagination of 2,000 by 100 (×3)"),
    ] {
        for (client, plain) in [("directus-blocking", "ureq"), ("directus-async", "reqwest")] {
            let get = |who: &str| {
                kb.iter()
                    .find(|(c, _)| *c == format!("{what}/{who}"))
                    .map_or(0, |(_, k)| *k)
            };
            println!(
                "| {label}: {client} vs {plain} | {} | {} |",
                mb(get(client)),
                mb(get(plain))
            );
        }
    }
    Ok(())
}

// ---- setup ----

/// The plain admin API used for setup (ureq with the admin's access token).
struct Admin {
    agent: ureq::Agent,
    url: String,
    token: String,
}

impl Admin {
    fn login(server: &Server) -> Result<Admin, Failure> {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        let body = json!({"email": server.admin_email, "password": server.admin_password});
        let mut r = agent
            .post(format!("{}/auth/login", server.url))
            .send_json(&body)?;
        let v: Value = r.body_mut().read_json()?;
        let token = v["data"]["access_token"]
            .as_str()
            .ok_or("login failed")?
            .to_owned();
        Ok(Admin {
            agent,
            url: server.url.clone(),
            token,
        })
    }

    fn send(&self, method: &str, path: &str, body: Option<&Value>) -> Result<Value, Failure> {
        let url = format!("{}{path}", self.url);
        let auth = format!("Bearer {}", self.token);
        let mut r = match (method, body) {
            ("POST", Some(b)) => self
                .agent
                .post(&url)
                .header("Authorization", &auth)
                .send_json(b)?,
            ("PATCH", Some(b)) => self
                .agent
                .patch(&url)
                .header("Authorization", &auth)
                .send_json(b)?,
            ("DELETE", _) => self
                .agent
                .delete(&url)
                .header("Authorization", &auth)
                .call()?,
            _ => self.agent.get(&url).header("Authorization", &auth).call()?,
        };
        let status = r.status().as_u16();
        let text = r.body_mut().read_to_string()?;
        if status >= 300 {
            return Err(format!("{method} {path}: {status} {text}").into());
        }
        Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    fn create_collection(&self, name: &str) -> Result<(), Failure> {
        let field = |f: &str, t: &str| json!({"field": f, "type": t, "schema": {}});
        let body = json!({
            "collection": name,
            "schema": {},
            "meta": {"note": "directus-rs benchmark (dropped at the end of the run)"},
            "fields": [
                {"field": "id", "type": "integer",
                 "schema": {"is_primary_key": true, "has_auto_increment": true},
                 "meta": {"hidden": true, "readonly": true}},
                field("name", "string"),
                field("category", "string"),
                field("price", "float"),
                field("stock", "integer"),
                field("note", "text"),
            ],
        });
        self.send("POST", "/collections", Some(&body)).map(drop)
    }
}

/// Drops the collections and the static token when the run ends, however it ends.
struct Cleanup<'a> {
    admin: &'a Admin,
    collections: Vec<String>,
}

impl Drop for Cleanup<'_> {
    fn drop(&mut self) {
        for c in &self.collections {
            if let Err(e) = self
                .admin
                .send("DELETE", &format!("/collections/{c}"), None)
            {
                eprintln!("bench: could not drop {c}: {e}");
            }
        }
        let _ = self
            .admin
            .send("PATCH", "/users/me", Some(&json!({"token": null})));
    }
}

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let mut cause: Option<&dyn std::error::Error> = e.source();
            eprintln!("bench: {e}");
            while let Some(c) = cause {
                eprintln!("  caused by: {c}");
                cause = c.source();
            }
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), Failure> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let server = Server::try_from_env().map_err(|missing| {
        format!("{missing} is not set: run `bash scripts/bench.sh`, or start a server (see the module docs)")
    })?;
    if let [flag, case] = args.as_slice()
        && flag == "--rss"
    {
        let env = Env {
            url: server.url.clone(),
            token: std::env::var("DRS_BENCH_TOKEN")?,
            reads: std::env::var("DRS_BENCH_READS")?,
            writes: String::new(),
        };
        return rss_child(case, &env);
    }

    let mut admin = Admin::login(&server)?;
    let tag = unique("bench").replace('-', "_");
    let (reads, writes) = (format!("{tag}_reads"), format!("{tag}_writes"));
    let token = format!("drs-{tag}");
    admin.send("PATCH", "/users/me", Some(&json!({"token": token})))?;
    // The test servers' access tokens live seconds: setup and cleanup use the static one too.
    admin.token = token.clone();
    let mut cleanup = Cleanup {
        admin: &admin,
        collections: vec![],
    };
    for c in [&reads, &writes] {
        admin.create_collection(c)?;
        cleanup.collections.push(c.clone());
    }
    let env = Env {
        url: server.url.clone(),
        token,
        reads,
        writes,
    };
    let seeding = directus_blocking::Directus::with_token(&env.url, &env.token)?;
    let mut read_rows = Vec::with_capacity(ROWS);
    for batch in rows(ROWS, "r").chunks(BATCH) {
        let created = seeding
            .collection_as::<Row>(&env.reads)
            .create_many(batch)?;
        read_rows.extend(created.unwrap_or_default());
    }
    if read_rows.len() != ROWS {
        return Err(format!("seeded {} rows, expected {ROWS}", read_rows.len()).into());
    }

    if let [flag, dir] = args.as_slice()
        && flag == "--record"
    {
        let agent = ureq::Agent::new_with_defaults();
        for (file, query) in [
            ("page-100.json", "?limit=100&sort=id"),
            ("page-2000.json", "?limit=-1&sort=id"),
        ] {
            let mut r = agent
                .get(env.items(&env.reads, query))
                .header("Authorization", &env.bearer())
                .call()?;
            let body = r.body_mut().read_to_vec()?;
            std::fs::write(std::path::Path::new(dir).join(file), &body)?;
            eprintln!("bench: wrote {dir}/{file} ({} bytes)", body.len());
        }
        return Ok(());
    }

    // Even: each ratio covers a round in each order.
    let even = |n: usize| n.max(1).div_ceil(2) * 2;
    let rounds = even(env_usize("DRS_BENCH_ROUNDS", 96));
    let flight_rounds = even(env_usize("DRS_BENCH_FLIGHT_ROUNDS", 32));
    let write_rows = env_usize("DRS_BENCH_WRITE_ROWS", 10_000).max(BATCH);
    let write_rounds = even(env_usize("DRS_BENCH_WRITE_ROUNDS", 4));

    let only = std::env::var("DRS_BENCH_ONLY").unwrap_or_default();
    let chosen = |cases: Vec<Case>| -> Vec<Case> {
        cases
            .into_iter()
            .filter(|c| c.title.contains(&only))
            .collect()
    };
    let read_cases = chosen(
        [page_100(&env), pagination(&env), all_rows(&env)]
            .into_iter()
            .flatten()
            .collect(),
    );
    eprintln!("bench: reads, {rounds} rounds");
    let mut results = run_cases(read_cases, rounds)?;
    eprintln!("bench: {IN_FLIGHT} in flight, {flight_rounds} rounds");
    results.extend(run_cases(chosen(in_flight(&env)), flight_rounds)?);
    eprintln!("bench: writes of {write_rows} rows, {write_rounds} rounds");
    results.extend(run_cases(
        chosen(write_cases(&env, write_rows, &read_rows)),
        write_rounds,
    )?);

    println!(
        "### Client CPU and wall time, medians of {rounds} rounds ({flight_rounds} in flight, \
         {write_rounds} for writes)"
    );
    println!();
    println!(
        "CPU and wall: the medians of each contender's rounds. CPU ratio: the median over \
         pairs of rounds, one with the client first and one with the plain client first, of \
         the pair's client CPU over its plain CPU (running first or second in a round costs \
         both sides alike). 95% interval: the pairs' ratios that bound that median with about \
         95% confidence (distribution-free; with the writes' two pairs, both)."
    );
    println!();
    if side() != Side::Both {
        println!("**Profiling run (`DRS_BENCH_SIDE`): one side only, the ratios mean nothing.**");
        println!();
    }
    let missed = print_table(&results);
    println!();
    println!("### Peak memory");
    println!();
    rss_table(&env)?;
    println!();
    println!("### Goals not met in this run");
    println!();
    if missed.is_empty() {
        println!("None.");
    }
    for m in missed {
        println!("- {m}");
    }
    println!();
    println!(
        "Ratios move between runs: on a shared 2-core virtual machine one pair of rounds' \
         ratio moves by about 0.1, which the interval column shows for the median. Full runs \
         of 32 rounds gave the blocking 100-row page anything from 1.01 to 1.14; runs of 128 \
         rounds of that case alone gave 1.07 to 1.11. Pinning the server and the benchmark to \
         CPUs of their own (the header says whether they were) mostly steadies a run against \
         itself. The steady measure of the client's own work is its instruction count next to \
         the plain client's under callgrind (`DRS_BENCH_SIDE`, see the binary's docs), which \
         the known costs above quote."
    );
    drop(cleanup);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_median_of_an_even_count_is_the_mean_of_the_middle_two() {
        // Two pairs of rounds: the larger alone is what biased the write cases.
        assert_eq!(median_ratio(vec![1.3, 1.0]), 1.15);
        assert_eq!(median_ratio(vec![3.0, 1.0, 2.0]), 2.0);
        assert!(median_ratio(vec![]).is_nan());
        let ms = Duration::from_millis;
        assert_eq!(median(vec![ms(4), ms(1), ms(2), ms(8)]), ms(3));
        assert_eq!(median(vec![]), Duration::ZERO);
    }

    #[test]
    fn the_interval_of_a_median_is_two_order_statistics() {
        // 48 pairs: the 18th and the 31st (0-based 17 and 30: k = ⌊24 − 0.98·√48⌋).
        let v: Vec<f64> = (0..48).rev().map(f64::from).collect();
        assert_eq!(median_interval(v), (17.0, 30.0));
        // Two pairs (the writes): both.
        assert_eq!(median_interval(vec![1.2, 0.9]), (0.9, 1.2));
        assert!(median_interval(vec![]).0.is_nan());
    }
}
