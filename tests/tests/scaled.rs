//! A horizontally scaled Directus: two instances on one PostgreSQL database and one Redis
//! (cache, rate limiter, synchronization, realtime bus) behind the round-robin
//! [`Balancer`], for both clients.
//!
//! `scripts/test.sh` starts the cluster (`drs_cluster_up scale-a scale-b pg` in `scripts/lib.sh`)
//! and runs this file alone against it (`cargo test -p directus-tests --test scaled`). Without
//! `DIRECTUS_SCALE_A_URL` / `DIRECTUS_SCALE_B_URL` (any other `cargo test`) every test prints why
//! and passes without running: the topology needs the harness.

use std::collections::BTreeMap;
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use directus_proto::{Error, F, Item, Query};
use directus_tests::Server;
use directus_tests::balancer::{Balancer, Outage};
use directus_tests::fixtures::{NOTES, PRODUCTS, STATIC_TOKEN};
use directus_tests::scenarios::{self, AsyncDriver, Driver, Result};
use directus_tests::unique;
use serde_json::{Value, json};

/// Past the cluster's ACCESS_TOKEN_TTL (10 s, the harness's default).
const PAST_TTL: Duration = Duration::from_secs(11);
/// How long a realtime event may take to arrive.
const WAIT: Duration = Duration::from_secs(15);

/// The two instances, from the harness's environment; `None` (after saying why) without it.
struct Cluster {
    /// Instance `scale-a` (its admin is the cluster's admin).
    a: Server,
    /// The URL of instance `scale-b`.
    b: String,
}

impl Cluster {
    fn from_env(test: &str) -> Option<Cluster> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        let (Some(_), Some(b)) = (var("DIRECTUS_SCALE_A_URL"), var("DIRECTUS_SCALE_B_URL")) else {
            eprintln!(
                "skipped {test}: DIRECTUS_SCALE_A_URL / DIRECTUS_SCALE_B_URL are not set; the \
                 scaled-out cluster (two Directus on one PostgreSQL and Redis) runs in \
                 `bash scripts/test.sh` (drs_cluster_up in scripts/lib.sh)"
            );
            return None;
        };
        let a = Server::named("SCALE_A");
        a.fixtures();
        Some(Cluster {
            a,
            b: b.trim().trim_end_matches('/').to_owned(),
        })
    }

    /// A fresh balancer over both instances: backend 0 is `scale-a`, 1 is `scale-b`.
    fn balancer(&self) -> Balancer {
        Balancer::start(&[&self.a.url, &self.b])
    }

    fn url(&self, backend: usize) -> &str {
        if backend == 0 { &self.a.url } else { &self.b }
    }

    fn login<D: Driver>(&self, url: &str) -> D {
        D::login(url, &self.a.admin_email, &self.a.admin_password)
            .unwrap_or_else(|e| panic!("{}: admin login at {url} failed: {e}", D::NAME))
    }
}

/// What the scenarios need beyond [`Driver`].
trait Scaled: Driver {
    fn refresh_now(&self) -> Result<()>;
    /// A client of the fixtures' static-token user (an administrator): it never refreshes, so
    /// no refresh can meet a dead instance in the middle of a scenario about reads and writes.
    fn static_token(url: &str) -> Self;
}

impl Scaled for directus_blocking::Directus {
    fn refresh_now(&self) -> Result<()> {
        self.refresh()
    }
    fn static_token(url: &str) -> Self {
        directus_blocking::Directus::builder(url)
            .token(STATIC_TOKEN)
            .expect("a static-token client")
    }
}

impl Scaled for AsyncDriver {
    fn refresh_now(&self) -> Result<()> {
        self.rt.block_on(self.client.refresh())
    }
    fn static_token(url: &str) -> Self {
        let client = directus_async::Directus::builder(url)
            .token(STATIC_TOKEN)
            .expect("a static-token client");
        AsyncDriver {
            client,
            rt: scenarios::runtime(),
        }
    }
}

fn items_path() -> String {
    format!("/items/{PRODUCTS}")
}

fn create<D: Driver>(d: &D, run: &str, name: &str) -> Result<Option<Value>> {
    d.create::<Value, _>(PRODUCTS, &json!({"name": name, "run": run}))
}

/// The names of the rows of `run`, with how often each is stored.
fn stored<D: Driver>(d: &D, run: &str) -> BTreeMap<String, usize> {
    let rows: Vec<Value> = d
        .iter_all(PRODUCTS, Query::new().filter(F::eq("run", run)))
        .unwrap_or_else(|e| panic!("{}: reading back run {run}: {e}", D::NAME));
    let mut names = BTreeMap::new();
    for row in rows {
        let name = row["name"].as_str().unwrap_or_default().to_owned();
        *names.entry(name).or_insert(0) += 1;
    }
    names
}

fn cleanup<D: Driver>(d: &D, run: &str) {
    let _ = d.delete_by_query(PRODUCTS, F::eq("run", run));
}

// ---------------------------------------------------------------------------------------------
// Login on one instance, refresh on the other

fn login_and_refresh_on_different_instances<D: Scaled>(c: &Cluster) {
    let balancer = c.balancer();
    let d: D = c.login(balancer.url());
    d.refresh_now()
        .unwrap_or_else(|e| panic!("{}: refresh: {e}", D::NAME));
    // The refreshed token, issued by one instance, is used on the other.
    d.read::<Value>(PRODUCTS, Query::new().limit(1))
        .unwrap_or_else(|e| panic!("{}: read after refresh: {e}", D::NAME));
    let login = balancer.backends_of("POST", "/auth/login");
    let refresh = balancer.backends_of("POST", "/auth/refresh");
    let read = balancer.backends_of("GET", &items_path());
    assert_eq!(login.len(), 1, "{:?}", balancer.log());
    assert_eq!(refresh.len(), 1, "{:?}", balancer.log());
    assert_eq!(read.len(), 1, "{:?}", balancer.log());
    assert_ne!(login, refresh, "the refresh ran on the other instance");
    assert_ne!(
        refresh, read,
        "the refreshed token was used on the other instance"
    );
}

#[test]
fn blocking_login_and_refresh_on_different_instances() {
    if let Some(c) = Cluster::from_env("blocking_login_and_refresh_on_different_instances") {
        login_and_refresh_on_different_instances::<directus_blocking::Directus>(&c);
    }
}

#[test]
fn async_login_and_refresh_on_different_instances() {
    if let Some(c) = Cluster::from_env("async_login_and_refresh_on_different_instances") {
        login_and_refresh_on_different_instances::<AsyncDriver>(&c);
    }
}

// ---------------------------------------------------------------------------------------------
// A refresh storm across instances: one refresh

#[test]
fn blocking_sixteen_threads_on_an_expired_token_refresh_once() {
    const THREADS: usize = 16;
    let Some(c) = Cluster::from_env("blocking_sixteen_threads_on_an_expired_token_refresh_once")
    else {
        return;
    };
    let balancer = c.balancer();
    let client: directus_blocking::Directus = c.login(balancer.url());
    std::thread::sleep(PAST_TTL);
    let barrier = Arc::new(Barrier::new(THREADS));
    let handles: Vec<_> = (0..THREADS)
        .map(|_| {
            let client = client.clone();
            let barrier = Arc::clone(&barrier);
            std::thread::spawn(move || {
                barrier.wait();
                client.collection(PRODUCTS).limit(1).read().map(|_| ())
            })
        })
        .collect();
    for handle in handles {
        handle
            .join()
            .expect("no panic")
            .expect("every read succeeds");
    }
    assert_eq!(
        balancer.count("POST", "/auth/refresh"),
        1,
        "{:?}",
        balancer.log()
    );
    let reads = balancer.backends_of("GET", &items_path());
    assert_eq!(
        reads.len(),
        THREADS,
        "no read refused: {:?}",
        balancer.log()
    );
    assert!(reads.contains(&0) && reads.contains(&1), "{reads:?}");
}

#[test]
fn async_sixty_four_tasks_on_an_expired_token_refresh_once() {
    const TASKS: usize = 64;
    let Some(c) = Cluster::from_env("async_sixty_four_tasks_on_an_expired_token_refresh_once")
    else {
        return;
    };
    let balancer = c.balancer();
    let driver: AsyncDriver = c.login(balancer.url());
    std::thread::sleep(PAST_TTL);
    let client = driver.client.clone();
    driver.rt.block_on(async move {
        let barrier = Arc::new(tokio::sync::Barrier::new(TASKS));
        let tasks: Vec<_> = (0..TASKS)
            .map(|_| {
                let client = client.clone();
                let barrier = Arc::clone(&barrier);
                tokio::spawn(async move {
                    barrier.wait().await;
                    client
                        .collection(PRODUCTS)
                        .limit(1)
                        .read()
                        .await
                        .map(|_| ())
                })
            })
            .collect();
        for task in tasks {
            task.await.expect("no panic").expect("every read succeeds");
        }
    });
    assert_eq!(
        balancer.count("POST", "/auth/refresh"),
        1,
        "{:?}",
        balancer.log()
    );
    let reads = balancer.backends_of("GET", &items_path());
    assert_eq!(reads.len(), TASKS, "no read refused: {:?}", balancer.log());
    assert!(reads.contains(&0) && reads.contains(&1), "{reads:?}");
}

// ---------------------------------------------------------------------------------------------
// Reads and writes spread over both instances, nothing lost

fn writes_and_reads_spread_and_nothing_is_lost<D: Driver>(c: &Cluster) {
    const N: usize = 12;
    let balancer = c.balancer();
    let d: D = c.login(balancer.url());
    let run = unique("scaled-spread");
    for i in 0..N {
        create(&d, &run, &format!("item-{i}"))
            .unwrap_or_else(|e| panic!("{}: create {i}: {e}", D::NAME));
    }
    // Read back twice: each instance answers once (the second may come from the Redis cache
    // the first filled; the writes purged it).
    for _ in 0..2 {
        let names = stored(&d, &run);
        assert_eq!(names.len(), N, "{}: {names:?}", D::NAME);
        assert!(names.values().all(|n| *n == 1), "{}: {names:?}", D::NAME);
    }
    let writes = balancer.backends_of("POST", &items_path());
    assert_eq!(writes.len(), N, "each write sent once");
    assert!(writes.contains(&0) && writes.contains(&1), "{writes:?}");
    let reads = balancer.backends_of("GET", &items_path());
    assert!(reads.contains(&0) && reads.contains(&1), "{reads:?}");
    // Both instances see every row.
    for backend in 0..2 {
        let direct: D = c.login(c.url(backend));
        assert_eq!(stored(&direct, &run).len(), N, "instance {backend}");
    }
    cleanup(&d, &run);
}

#[test]
fn blocking_writes_and_reads_spread_and_nothing_is_lost() {
    if let Some(c) = Cluster::from_env("blocking_writes_and_reads_spread_and_nothing_is_lost") {
        writes_and_reads_spread_and_nothing_is_lost::<directus_blocking::Directus>(&c);
    }
}

#[test]
fn async_writes_and_reads_spread_and_nothing_is_lost() {
    if let Some(c) = Cluster::from_env("async_writes_and_reads_spread_and_nothing_is_lost") {
        writes_and_reads_spread_and_nothing_is_lost::<AsyncDriver>(&c);
    }
}

// ---------------------------------------------------------------------------------------------
// One instance down mid-run

fn one_instance_down<D: Scaled>(c: &Cluster) {
    let balancer = c.balancer();
    let d = D::static_token(balancer.url());
    let run = unique("scaled-down");
    create(&d, &run, "before").unwrap();
    create(&d, &run, "before-2").unwrap();

    // Instance 1 is gone: nothing it is dealt reaches a server.
    balancer.down(1, Some(Outage::Refuse));
    balancer.reset();
    for i in 0..6 {
        let page = d
            .read::<Value>(PRODUCTS, Query::new().filter(F::eq("run", run.as_str())))
            .unwrap_or_else(|e| panic!("{}: read {i} with an instance down: {e}", D::NAME));
        assert_eq!(page.items().len(), 2);
    }
    let reads = balancer.log();
    let refused = reads.iter().filter(|s| s.failed).count();
    assert!(refused > 0, "some reads met the dead instance: {reads:?}");
    assert_eq!(
        reads.len(),
        6 + refused,
        "each read that met it was retried once, on the other: {reads:?}"
    );

    // Writes: those dealt to the dead instance fail typed and are not repeated.
    balancer.reset();
    let (mut ok, mut failed) = (0, 0);
    for i in 0..6 {
        match create(&d, &run, &format!("refused-{i}")) {
            Ok(_) => ok += 1,
            Err(Error::Transport(_)) => failed += 1,
            Err(e) => panic!(
                "{}: a write to a dead instance fails as transport: {e}",
                D::NAME
            ),
        }
    }
    assert!(ok > 0 && failed > 0, "ok {ok}, failed {failed}");
    assert_eq!(balancer.count("POST", &items_path()), 6, "never sent twice");

    // Instance 1 dies after doing the write: the client hears nothing and must not repeat it.
    balancer.down(1, Some(Outage::LoseAnswer));
    balancer.reset();
    let (mut ok_lost, mut lost) = (0, 0);
    for i in 0..6 {
        match create(&d, &run, &format!("lost-{i}")) {
            Ok(_) => ok_lost += 1,
            Err(Error::Transport(_)) => lost += 1,
            Err(e) => panic!("{}: a lost answer fails as transport: {e}", D::NAME),
        }
    }
    assert!(ok_lost > 0 && lost > 0, "ok {ok_lost}, lost {lost}");
    assert_eq!(balancer.count("POST", &items_path()), 6, "never sent twice");

    balancer.down(1, None);
    let names = stored(&d, &run);
    assert!(
        names.values().all(|n| *n == 1),
        "{}: a write stored twice: {names:?}",
        D::NAME
    );
    let count = |prefix: &str| names.keys().filter(|n| n.starts_with(prefix)).count();
    assert_eq!(count("before"), 2);
    assert_eq!(
        count("refused-"),
        ok,
        "refused writes never reached a server"
    );
    assert_eq!(
        count("lost-"),
        6,
        "lost answers: the writes were done, once each"
    );
    cleanup(&d, &run);
}

#[test]
fn blocking_one_instance_down_reads_go_on_writes_fail_typed_once() {
    if let Some(c) =
        Cluster::from_env("blocking_one_instance_down_reads_go_on_writes_fail_typed_once")
    {
        one_instance_down::<directus_blocking::Directus>(&c);
    }
}

#[test]
fn async_one_instance_down_reads_go_on_writes_fail_typed_once() {
    if let Some(c) = Cluster::from_env("async_one_instance_down_reads_go_on_writes_fail_typed_once")
    {
        one_instance_down::<AsyncDriver>(&c);
    }
}

// ---------------------------------------------------------------------------------------------
// Realtime across instances (the Redis bus)

#[derive(Debug, serde::Deserialize, serde::Serialize, PartialEq)]
struct Note {
    id: String,
    title: String,
}

impl Item for Note {
    const COLLECTION: &'static str = NOTES;
}

/// The backend the balancer dealt the (latest) WebSocket to.
fn websocket_backend(balancer: &Balancer) -> usize {
    let log = balancer.log();
    log.iter()
        .rev()
        .find(|s| s.websocket)
        .unwrap_or_else(|| panic!("the socket went through the balancer: {log:?}"))
        .backend
}

fn note_on<D: Driver>(d: &D, run: &str, title: &str) -> String {
    let row: Value = d
        .create(NOTES, &json!({"title": title, "run": run}))
        .unwrap()
        .expect("the admin reads back what it created");
    row["id"].as_str().expect("a uuid key").to_owned()
}

#[test]
fn blocking_a_subscription_on_one_instance_sees_writes_on_the_other() {
    use directus_blocking::realtime::Event;
    let Some(c) =
        Cluster::from_env("blocking_a_subscription_on_one_instance_sees_writes_on_the_other")
    else {
        return;
    };
    let balancer = c.balancer();
    let d: directus_blocking::Directus = c.login(balancer.url());
    let run = unique("scaled-rt");
    let rt = d.realtime().unwrap();
    let mut sub = rt.subscribe(
        d.collection_of::<Note>()
            .filter(F::eq("run", run.as_str()))
            .fields(["id", "title"]),
    );
    let init = sub.recv_timeout(WAIT).expect("init").expect("no error");
    assert_eq!(init, Event::Init(vec![]));
    let other = 1 - websocket_backend(&balancer);
    let writer: directus_blocking::Directus = c.login(c.url(other));
    let id = note_on(&writer, &run, "across");
    let deadline = Instant::now() + WAIT;
    let event = loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match sub.recv_timeout(left) {
            Some(Ok(Event::Delete(_))) => {} // another test's delete (never filtered)
            Some(Ok(event)) => break event,
            Some(Err(e)) => eprintln!("non-final subscription error: {e}"),
            None => panic!("no event from instance {other} within {WAIT:?}"),
        }
    };
    assert_eq!(
        event,
        Event::Create(vec![Note {
            id: id.clone(),
            title: "across".into()
        }])
    );
    let _ = writer.collection(NOTES).delete(id.as_str());
}

#[test]
fn async_a_subscription_on_one_instance_sees_writes_on_the_other() {
    use directus_async::realtime::Event;
    use futures_util::StreamExt;
    let Some(c) =
        Cluster::from_env("async_a_subscription_on_one_instance_sees_writes_on_the_other")
    else {
        return;
    };
    let balancer = c.balancer();
    let run = unique("scaled-rt-async");
    let login = |url: String| {
        let (email, password) = (c.a.admin_email.clone(), c.a.admin_password.clone());
        async move {
            directus_async::Directus::login(&url, &email, &password)
                .await
                .unwrap_or_else(|e| panic!("async: admin login at {url} failed: {e}"))
        }
    };
    scenarios::runtime().block_on(async {
        let d = login(balancer.url().to_owned()).await;
        let rt = d.realtime().unwrap();
        let mut sub = rt.subscribe(
            d.collection_of::<Note>()
                .filter(F::eq("run", run.as_str()))
                .fields(["id", "title"]),
        );
        let init = tokio::time::timeout(WAIT, sub.next())
            .await
            .expect("init in time")
            .expect("init")
            .expect("no error");
        assert_eq!(init, Event::Init(vec![]));
        let other = 1 - websocket_backend(&balancer);
        let writer = login(c.url(other).to_owned()).await;
        let row: Value = writer
            .collection(NOTES)
            .create(&json!({"title": "across", "run": run}))
            .await
            .unwrap()
            .expect("the admin reads back what it created");
        let id = row["id"].as_str().expect("a uuid key").to_owned();
        let event = tokio::time::timeout(WAIT, async {
            loop {
                match sub.next().await {
                    Some(Ok(Event::Delete(_))) => {} // another test's delete (never filtered)
                    Some(Ok(event)) => break event,
                    Some(Err(e)) => eprintln!("non-final subscription error: {e}"),
                    None => panic!("the subscription ended"),
                }
            }
        })
        .await
        .unwrap_or_else(|_| panic!("no event from instance {other} within {WAIT:?}"));
        assert_eq!(
            event,
            Event::Create(vec![Note {
                id: id.clone(),
                title: "across".into()
            }])
        );
        let _ = writer.collection(NOTES).delete(id.as_str()).await;
    });
}
