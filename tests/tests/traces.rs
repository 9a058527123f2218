//! The `tracing` feature seen from outside, for both drivers, through the recording proxy in
//! front of the real server: the `directus.call` spans and their fields, the retry, refresh
//! (single flight: one winner, waiters) and `TOKEN_EXPIRED` events, and no secret anywhere.
//!
//! One test in its own binary with a global recording subscriber: thread-local subscribers
//! would miss the other threads and tasks a client uses, and share `tracing`'s callsite
//! cache with the other tests of a binary.

use std::time::Duration;

use directus_proto::{Error, RetryPolicy};
use directus_tests::fixtures::PRODUCTS;
use directus_tests::proxy::Proxy;
use directus_tests::{Server, unique};

const ITEMS: &str = "/items/drs_products";

fn server() -> Server {
    let server = Server::from_env();
    server.fixtures();
    server
}

fn retry_503() -> RetryPolicy {
    RetryPolicy::new()
        .attempts(2)
        .on_server_errors(true)
        .backoff(Duration::from_millis(5), Duration::from_millis(5))
}

use std::sync::{Arc, Mutex};

/// A recording `tracing` layer: every `directus.call` span with its fields, every event with
/// its fields and the span it happened in.
mod capture {
    use std::collections::{BTreeMap, HashMap};
    use std::sync::{Arc, Mutex};

    use tracing::field::{Field, Visit};
    use tracing::span::{Attributes, Id, Record};
    use tracing::{Dispatch, Event, Subscriber};
    use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
    use tracing_subscriber::registry::{LookupSpan, Registry};

    pub(crate) type Fields = BTreeMap<String, String>;

    #[derive(Default)]
    pub(crate) struct Captured {
        /// Spans by creation order: (name, fields).
        pub(crate) spans: Vec<(String, Fields)>,
        /// Events: (fields, message included, index of the span they happened in).
        pub(crate) events: Vec<(Fields, Option<usize>)>,
        /// Live span ids to indexes (the registry reuses ids of closed spans).
        ids: HashMap<u64, usize>,
    }

    impl Captured {
        /// Forgets what was recorded (the spans still open too).
        pub(crate) fn clear(&mut self) {
            *self = Captured::default();
        }

        pub(crate) fn calls(&self) -> impl Iterator<Item = &Fields> {
            self.spans
                .iter()
                .filter(|(name, _)| name == "directus.call")
                .map(|(_, f)| f)
        }

        /// Events whose message is `message`, with the name of their span.
        pub(crate) fn events(&self, message: &str) -> Vec<(&Fields, Option<&str>)> {
            self.events
                .iter()
                .filter(|(f, _)| f.get("message").map(String::as_str) == Some(message))
                .map(|(f, span)| (f, span.map(|i| self.spans[i].0.as_str())))
                .collect()
        }

        /// Every recorded value, of spans and events.
        pub(crate) fn values(&self) -> Vec<&str> {
            let spans = self.spans.iter().flat_map(|(_, f)| f.values());
            let events = self.events.iter().flat_map(|(f, _)| f.values());
            spans.chain(events).map(String::as_str).collect()
        }
    }

    struct Visitor<'a>(&'a mut Fields);

    impl Visit for Visitor<'_> {
        fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
            self.0.insert(field.name().to_owned(), format!("{value:?}"));
        }
        fn record_str(&mut self, field: &Field, value: &str) {
            self.0.insert(field.name().to_owned(), value.to_owned());
        }
    }

    #[derive(Clone, Default)]
    pub(crate) struct Capture(pub(crate) Arc<Mutex<Captured>>);

    impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for Capture {
        fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, _: Context<'_, S>) {
            let mut fields = Fields::new();
            attrs.record(&mut Visitor(&mut fields));
            let mut c = self.0.lock().unwrap();
            c.spans.push((attrs.metadata().name().to_owned(), fields));
            let index = c.spans.len() - 1;
            c.ids.insert(id.into_u64(), index);
        }

        fn on_record(&self, id: &Id, values: &Record<'_>, _: Context<'_, S>) {
            let mut c = self.0.lock().unwrap();
            if let Some(&index) = c.ids.get(&id.into_u64()) {
                values.record(&mut Visitor(&mut c.spans[index].1));
            }
        }

        fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
            let mut fields = Fields::new();
            event.record(&mut Visitor(&mut fields));
            let span = ctx.event_span(event).map(|s| s.id().into_u64());
            let mut c = self.0.lock().unwrap();
            let span = span.and_then(|id| c.ids.get(&id).copied());
            c.events.push((fields, span));
        }
    }

    /// A dispatcher that records into the returned store.
    pub(crate) fn start() -> (Dispatch, Arc<Mutex<Captured>>) {
        let capture = Capture::default();
        let store = capture.0.clone();
        (Dispatch::new(Registry::default().with(capture)), store)
    }
}

/// Concurrent reads in the refresh storm.
const STORM: usize = 4;

/// What the tracing scenario did, checked the same way for both drivers: a read, a read of a
/// missing key (an error), a read retried after a `503`, a storm of `STORM` reads on an expired
/// token with the refresh held back 500 ms by the proxy, and a read answered `TOKEN_EXPIRED`
/// once (refreshed and repeated).
fn check_traces(captured: &capture::Captured, secrets: &[String]) {
    let calls: Vec<_> = captured.calls().collect();
    let plain = calls
        .iter()
        .find(|f| {
            f.get("route").map(String::as_str) == Some(ITEMS)
                && f.get("attempt").map(String::as_str) == Some("1")
        })
        .expect("a span for the plain read");
    assert_eq!(plain["method"], "GET");
    assert_eq!(plain["status"], "200");
    assert_eq!(plain["cache_hit"], "false");
    assert_eq!(plain["bytes_out"], "0");
    assert!(plain["bytes_in"].parse::<u64>().unwrap() > 0);

    let keyed = calls
        .iter()
        .find(|f| f["route"].starts_with(&format!("{ITEMS}/")))
        .expect("a span for the read by key");
    assert_eq!(
        keyed["route"],
        format!("{ITEMS}/{{key}}"),
        "the key is not shown"
    );
    assert!(
        matches!(keyed["status"].as_str(), "403" | "404"),
        "{keyed:?}"
    );

    let retried = calls
        .iter()
        .find(|f| f.get("attempt").map(String::as_str) == Some("2"))
        .expect("a span for the retried read");
    assert_eq!(retried["status"], "200");
    let retries = captured.events("retry");
    assert!(
        retries.iter().any(|(f, span)| f["cause"].starts_with("503")
            && f["attempt"] == "2"
            && *span == Some("directus.call")),
        "{retries:?}"
    );

    let expired = captured.events("token expired, refreshing and repeating");
    assert_eq!(expired.len(), 1, "{expired:?}");
    assert_eq!(expired[0].1, Some("directus.call"));

    let refreshes = captured.events("refresh");
    let role = |r: &str| refreshes.iter().filter(|(f, _)| f["role"] == r).count();
    // one after TOKEN_EXPIRED, one for the whole storm
    assert_eq!(role("winner"), 2, "one refresh each: {refreshes:?}");
    assert!(role("waiter") >= 1, "the others waited: {refreshes:?}");
    assert!(
        role("winner") + role("waiter") <= STORM + 1,
        "{refreshes:?}"
    );
    assert!(
        refreshes
            .iter()
            .all(|(_, span)| *span == Some("directus.call")),
        "refresh events belong to the calls: {refreshes:?}"
    );

    for value in captured.values() {
        for secret in secrets {
            assert!(
                !value.contains(secret.as_str()),
                "a secret in a trace: {value}"
            );
        }
        assert!(!value.contains("Bearer"), "{value}");
    }
}

/// The refresh held back while the storm's calls pile up.
const HELD_REFRESH: Duration = Duration::from_millis(500);
/// Past the 1 s lifetime the proxy made the client believe (the refresh is due at 90 %).
const PAST_REWRITTEN_TTL: Duration = Duration::from_millis(1100);

fn secrets_of(tokens: Option<directus_proto::auth::Tokens>, server: &Server) -> Vec<String> {
    let mut secrets = vec![server.admin_password.clone()];
    if let Some(tokens) = tokens {
        secrets.push(tokens.access_token.expose().to_owned());
        if let Some(refresh) = tokens.refresh_token {
            secrets.push(refresh.expose().to_owned());
        }
    }
    secrets
}

fn blocking_scenario(captured: &Arc<Mutex<capture::Captured>>) {
    use directus_blocking::Directus;
    let server = server();
    let proxy = Proxy::start(&server.url);
    proxy.rewrite_expires(Some(1000));
    let directus =
        Directus::login(proxy.url(), &server.admin_email, &server.admin_password).unwrap();
    proxy.rewrite_expires(None);
    let mut secrets = secrets_of(directus.tokens(), &server);
    // From here on: the login's own refresh is not part of the scenario.
    captured.lock().unwrap().clear();
    let run = unique("trace-b");
    let rows = || directus.collection(PRODUCTS).filter_eq("run", run.as_str());
    rows().read().unwrap();
    let missing: Result<_, Error> = directus.collection(PRODUCTS).read_one(987_654_321);
    assert!(missing.is_err());
    proxy.fail("GET", ITEMS, 1, 503, None);
    rows().retry(retry_503()).read().unwrap();
    std::thread::sleep(PAST_REWRITTEN_TTL);
    proxy.delay("POST", "/auth/refresh", HELD_REFRESH);
    let barrier = std::sync::Barrier::new(STORM);
    std::thread::scope(|scope| {
        for _ in 0..STORM {
            scope.spawn(|| {
                barrier.wait();
                rows().read().unwrap();
            });
        }
    });
    // After the storm (its refresh would renew the tokens the storm needs expired).
    proxy.fail("GET", ITEMS, 1, 401, None);
    rows().read().unwrap();
    assert_eq!(proxy.count("POST", "/auth/refresh"), 2);
    secrets.extend(secrets_of(directus.tokens(), &server));
    check_traces(&captured.lock().unwrap(), &secrets);
    directus.logout().unwrap();
}

async fn async_scenario(captured: &Arc<Mutex<capture::Captured>>) {
    use directus_async::Directus;
    let server = server();
    let proxy = Proxy::start(&server.url);
    proxy.rewrite_expires(Some(1000));
    let directus = Directus::login(proxy.url(), &server.admin_email, &server.admin_password)
        .await
        .unwrap();
    proxy.rewrite_expires(None);
    let mut secrets = secrets_of(directus.tokens(), &server);
    captured.lock().unwrap().clear();
    let run = unique("trace-a");
    let rows = || directus.collection(PRODUCTS).filter_eq("run", run.as_str());
    rows().read().await.unwrap();
    let missing: Result<_, Error> = directus.collection(PRODUCTS).read_one(987_654_321).await;
    assert!(missing.is_err());
    proxy.fail("GET", ITEMS, 1, 503, None);
    rows().retry(retry_503()).read().await.unwrap();
    tokio::time::sleep(PAST_REWRITTEN_TTL).await;
    proxy.delay("POST", "/auth/refresh", HELD_REFRESH);
    let barrier = Arc::new(tokio::sync::Barrier::new(STORM));
    let tasks: Vec<_> = (0..STORM)
        .map(|_| {
            let directus = directus.clone();
            let barrier = Arc::clone(&barrier);
            let run = run.clone();
            tokio::spawn(async move {
                barrier.wait().await;
                directus
                    .collection(PRODUCTS)
                    .filter_eq("run", run.as_str())
                    .read()
                    .await
                    .map(|p| p.items().len())
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("no panic").expect("every read succeeds");
    }
    proxy.fail("GET", ITEMS, 1, 401, None);
    rows().read().await.unwrap();
    assert_eq!(proxy.count("POST", "/auth/refresh"), 2);
    secrets.extend(secrets_of(directus.tokens(), &server));
    check_traces(&captured.lock().unwrap(), &secrets);
    directus.logout().await.unwrap();
}

#[test]
fn spans_and_events_of_reads_retries_token_expired_and_a_refresh_storm() {
    let (dispatch, captured) = capture::start();
    tracing::dispatcher::set_global_default(dispatch).expect("the only subscriber of this binary");
    blocking_scenario(&captured);
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .unwrap()
        .block_on(async_scenario(&captured));
}
