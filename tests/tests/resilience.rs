//! Retries, `Retry-After`, per-call timeouts and never-repeated writes, for both drivers,
//! through the fault-injecting proxy in front of the real server (`Proxy::fail`).
//!
//! Retry delays are kept small (a few milliseconds) except the `Retry-After: 2` scenario;
//! nothing asserts an upper bound on time.

use std::time::Duration;

use directus_proto::{Error, Query, RetryPolicy, TransportErrorKind};
use directus_tests::fixtures::PRODUCTS;
use directus_tests::proxy::Proxy;
use directus_tests::{Server, unique};
use serde_json::json;

const ITEMS: &str = "/items/drs_products";

fn server() -> Server {
    let server = Server::from_env();
    server.fixtures();
    server
}

/// Retries 5xx quickly: up to `attempts`, 5 to 20 ms apart.
fn quick(attempts: u32) -> RetryPolicy {
    RetryPolicy::new()
        .attempts(attempts)
        .on_server_errors(true)
        .backoff(Duration::from_millis(5), Duration::from_millis(20))
}

fn assert_timeout<T: std::fmt::Debug>(result: Result<T, Error>) {
    match result {
        Err(Error::Transport(t)) => assert_eq!(t.kind(), TransportErrorKind::Timeout, "{t}"),
        other => panic!("expected a timeout, got {other:?}"),
    }
}

fn assert_status<T: std::fmt::Debug>(result: Result<T, Error>, status: u16) {
    match result {
        Err(err) => assert_eq!(err.status().map(|s| s.as_u16()), Some(status), "{err}"),
        Ok(value) => panic!("expected a {status}, got {value:?}"),
    }
}

/// The second attempt arrived no earlier than `at_least` after the first.
fn assert_spaced(proxy: &Proxy, at_least: Duration) {
    let seen = proxy.seen("GET", ITEMS);
    assert_eq!(seen.len(), 2, "two attempts");
    let gap = seen[1].at.duration_since(seen[0].at);
    assert!(
        gap >= at_least,
        "the retry came {gap:?} after the first attempt"
    );
}

/// Checks shared by both drivers: `read` reads the collection once (with the client's
/// overrides), `create` creates one row.
mod checks {
    use super::*;

    pub(super) fn two_503s_then_success(
        proxy: &Proxy,
        read: impl FnOnce() -> Result<usize, Error>,
    ) {
        proxy.reset();
        proxy.fail("GET", ITEMS, 2, 503, None);
        let rows = read().expect("the third attempt succeeds");
        assert_eq!(rows, 0, "a fresh run tag matches nothing");
        assert_eq!(proxy.count("GET", ITEMS), 3, "one call, three attempts");
        for attempt in proxy.seen("GET", ITEMS) {
            // A read has no body, and says none (no `Content-Length: 0`).
            assert_eq!(attempt.header("content-length"), None);
        }
    }

    pub(super) fn retry_after_is_honoured(
        proxy: &Proxy,
        read: impl FnOnce() -> Result<usize, Error>,
    ) {
        proxy.reset();
        proxy.fail("GET", ITEMS, 1, 503, Some(2));
        read().expect("the second attempt succeeds");
        assert_spaced(proxy, Duration::from_secs(2));
    }

    pub(super) fn a_wait_past_the_deadline_times_out(
        proxy: &Proxy,
        read: impl FnOnce() -> Result<usize, Error>,
    ) {
        proxy.reset();
        // Each refusal asks for 2 s; the call has 1 s in all.
        proxy.fail("GET", ITEMS, 5, 503, Some(2));
        assert_timeout(read());
        assert_eq!(
            proxy.count("GET", ITEMS),
            1,
            "no attempt after the deadline"
        );
        proxy.fail("GET", ITEMS, 0, 503, None);
    }

    pub(super) fn a_slow_attempt_is_cut_at_the_deadline(
        proxy: &Proxy,
        read: impl FnOnce() -> Result<usize, Error>,
    ) {
        proxy.reset();
        // The configured per-attempt timeout is the default 60 s: only the call's own
        // timeout (300 ms) can end this.
        proxy.delay("GET", ITEMS, Duration::from_secs(2));
        assert_timeout(read());
        proxy.delay("GET", ITEMS, Duration::ZERO);
    }

    /// `list` lists one file with the files handle's overrides.
    pub(super) fn the_files_handle_takes_overrides(
        proxy: &Proxy,
        list: impl FnOnce() -> Result<usize, Error>,
    ) {
        proxy.reset();
        proxy.fail("GET", "/files", 2, 504, None);
        list().expect("the third attempt succeeds");
        assert_eq!(proxy.count("GET", "/files"), 3);
    }

    pub(super) fn a_create_under_502_is_sent_once(
        proxy: &Proxy,
        create: impl FnOnce() -> Result<(), Error>,
    ) {
        proxy.reset();
        proxy.fail("POST", ITEMS, 3, 502, None);
        assert_status(create(), 502);
        assert_eq!(proxy.count("POST", ITEMS), 1, "a write is never sent twice");
        proxy.fail("POST", ITEMS, 0, 502, None);
    }
}

mod blocking {
    use super::*;
    use directus_blocking::Directus;

    fn client(server: &Server, proxy: &Proxy) -> Directus {
        Directus::login(proxy.url(), &server.admin_email, &server.admin_password).unwrap()
    }

    #[test]
    fn retries_waits_deadlines_and_writes() {
        let server = server();
        let proxy = Proxy::start(&server.url);
        let directus = client(&server, &proxy);
        let run = unique("res-b");
        let rows = || directus.collection(PRODUCTS).filter_eq("run", run.as_str());
        let count = |page: directus_proto::Page<serde_json::Value>| page.items().len();

        checks::two_503s_then_success(&proxy, || rows().retry(quick(3)).read().map(count));
        checks::retry_after_is_honoured(&proxy, || rows().retry(quick(2)).read().map(count));
        checks::a_wait_past_the_deadline_times_out(&proxy, || {
            rows()
                .retry(quick(5))
                .timeout(Duration::from_secs(1))
                .read()
                .map(count)
        });
        checks::a_slow_attempt_is_cut_at_the_deadline(&proxy, || {
            rows()
                .retry(RetryPolicy::none())
                .timeout(Duration::from_millis(300))
                .read()
                .map(count)
        });
        checks::a_create_under_502_is_sent_once(&proxy, || {
            rows()
                .retry(quick(5))
                .create(&json!({"name": "never", "run": run}))
                .map(drop)
        });
        checks::the_files_handle_takes_overrides(&proxy, || {
            directus
                .files()
                .retry(quick(3))
                .timeout(Duration::from_secs(30))
                .list(&Query::new().limit(1))
                .map(|page| page.items().len())
        });
    }

    #[test]
    fn a_client_wide_policy_applies_to_every_call() {
        let server = server();
        let proxy = Proxy::start(&server.url);
        let directus = Directus::builder(proxy.url())
            .retry(quick(3))
            .login(&server.admin_email, &server.admin_password)
            .unwrap();
        let run = unique("res-b");
        checks::two_503s_then_success(&proxy, || {
            directus
                .collection(PRODUCTS)
                .filter_eq("run", run.as_str())
                .read()
                .map(|page| page.items().len())
        });
    }
}

mod not_blocking {
    use super::*;
    use directus_async::Directus;

    async fn client(server: &Server, proxy: &Proxy) -> Directus {
        Directus::login(proxy.url(), &server.admin_email, &server.admin_password)
            .await
            .unwrap()
    }

    /// Runs a future to completion from a synchronous check (the checks are shared with the
    /// blocking driver); the test runs on a multi-thread runtime.
    fn wait<T>(future: impl std::future::Future<Output = T>) -> T {
        tokio::task::block_in_place(|| tokio::runtime::Handle::current().block_on(future))
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn retries_waits_deadlines_and_writes() {
        let server = server();
        let proxy = Proxy::start(&server.url);
        let directus = client(&server, &proxy).await;
        let run = unique("res-a");
        let rows = || directus.collection(PRODUCTS).filter_eq("run", run.as_str());
        let count = |page: directus_proto::Page<serde_json::Value>| page.items().len();

        checks::two_503s_then_success(&proxy, || wait(rows().retry(quick(3)).read()).map(count));
        checks::retry_after_is_honoured(&proxy, || wait(rows().retry(quick(2)).read()).map(count));
        checks::a_wait_past_the_deadline_times_out(&proxy, || {
            wait(
                rows()
                    .retry(quick(5))
                    .timeout(Duration::from_secs(1))
                    .read(),
            )
            .map(count)
        });
        checks::a_slow_attempt_is_cut_at_the_deadline(&proxy, || {
            wait(
                rows()
                    .retry(RetryPolicy::none())
                    .timeout(Duration::from_millis(300))
                    .read(),
            )
            .map(count)
        });
        checks::a_create_under_502_is_sent_once(&proxy, || {
            wait(
                rows()
                    .retry(quick(5))
                    .create(&json!({"name": "never", "run": run})),
            )
            .map(drop)
        });
        checks::the_files_handle_takes_overrides(&proxy, || {
            let files = directus
                .files()
                .retry(quick(3))
                .timeout(Duration::from_secs(30));
            wait(files.list(&Query::new().limit(1))).map(|page| page.items().len())
        });
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_client_wide_policy_applies_to_every_call() {
        let server = server();
        let proxy = Proxy::start(&server.url);
        let directus = Directus::builder(proxy.url())
            .retry(quick(3))
            .login(&server.admin_email, &server.admin_password)
            .await
            .unwrap();
        let run = unique("res-a");
        checks::two_503s_then_success(&proxy, || {
            wait(
                directus
                    .collection(PRODUCTS)
                    .filter_eq("run", run.as_str())
                    .read(),
            )
            .map(|page| page.items().len())
        });
    }
}
