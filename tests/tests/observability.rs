//! Hooks seen from outside, for both drivers, through the recording proxy in front of the real
//! server: a header a hook adds reaches the server, hooks run in their defined order, once per
//! attempt, and never see the token. (Spans and events: `traces.rs`.)

use std::sync::{Arc, Mutex};
use std::time::Duration;

use directus_proto::RetryPolicy;
use directus_proto::hooks::{Answered, Hook, Outgoing};
use directus_tests::fixtures::PRODUCTS;
use directus_tests::proxy::Proxy;
use directus_tests::{Server, unique};

const ITEMS: &str = "/items/drs_products";

fn server() -> Server {
    let server = Server::from_env();
    server.fixtures();
    server
}

type Log = Arc<Mutex<Vec<String>>>;

/// Adds `x-request-id: <name>-<attempt>` and appends its name to `x-hook-order`; logs what it
/// sees, including whether it saw a token.
struct Recorder {
    name: &'static str,
    log: Log,
}

impl Hook for Recorder {
    fn before(&self, request: &mut Outgoing<'_>) {
        if request.uri().path() != ITEMS {
            return;
        }
        let order = request
            .header("x-hook-order")
            .and_then(|v| v.to_str().ok())
            .map_or_else(|| self.name.to_owned(), |v| format!("{v},{}", self.name));
        request.insert_header("x-hook-order", &order).unwrap();
        if self.name == "outer" {
            let id = format!("req-{}", request.attempt());
            request.insert_header("x-request-id", &id).unwrap();
        }
        let token = request.header("authorization").is_some();
        self.log.lock().unwrap().push(format!(
            "{} before #{} token={token}",
            self.name,
            request.attempt()
        ));
    }

    fn after(&self, answer: &Answered<'_>) {
        if answer.path() != ITEMS {
            return;
        }
        self.log.lock().unwrap().push(format!(
            "{} after #{} {}",
            self.name,
            answer.attempt(),
            answer.status().map_or(0, |s| s.as_u16())
        ));
    }
}

fn recorders(log: &Log) -> [Recorder; 2] {
    ["outer", "inner"].map(|name| Recorder {
        name,
        log: log.clone(),
    })
}

/// One read answered `503` once then retried: what the proxy and the hooks saw.
fn check_hooks(proxy: &Proxy, log: &Log) {
    let seen = proxy.seen("GET", ITEMS);
    assert_eq!(seen.len(), 2, "two attempts");
    for (n, request) in seen.iter().enumerate() {
        let id = format!("req-{}", n + 1);
        assert_eq!(request.header("x-request-id"), Some(id.as_str()));
        assert_eq!(request.header("x-hook-order"), Some("outer,inner"));
    }
    assert_eq!(
        *log.lock().unwrap(),
        [
            "outer before #1 token=false",
            "inner before #1 token=false",
            "inner after #1 503",
            "outer after #1 503",
            "outer before #2 token=false",
            "inner before #2 token=false",
            "inner after #2 200",
            "outer after #2 200",
        ]
    );
}

fn retry_503() -> RetryPolicy {
    RetryPolicy::new()
        .attempts(2)
        .on_server_errors(true)
        .backoff(Duration::from_millis(5), Duration::from_millis(5))
}

mod blocking {
    use super::*;
    use directus_blocking::Directus;

    #[test]
    fn hook_headers_reach_the_server_in_order_per_attempt() {
        let server = server();
        let proxy = Proxy::start(&server.url);
        let log = Log::default();
        let [outer, inner] = recorders(&log);
        let directus = Directus::builder(proxy.url())
            .hook(outer)
            .hook(inner)
            .login(&server.admin_email, &server.admin_password)
            .unwrap();
        let run = unique("obs-b");
        proxy.fail("GET", ITEMS, 1, 503, None);
        let page = directus
            .collection(PRODUCTS)
            .filter_eq("run", run.as_str())
            .retry(retry_503())
            .read()
            .unwrap();
        assert!(page.items().is_empty());
        check_hooks(&proxy, &log);
    }
}

mod not_blocking {
    use super::*;
    use directus_async::Directus;

    #[tokio::test(flavor = "multi_thread")]
    async fn hook_headers_reach_the_server_in_order_per_attempt() {
        let server = server();
        let proxy = Proxy::start(&server.url);
        let log = Log::default();
        let [outer, inner] = recorders(&log);
        let directus = Directus::builder(proxy.url())
            .hook(outer)
            .hook(inner)
            .login(&server.admin_email, &server.admin_password)
            .await
            .unwrap();
        let run = unique("obs-a");
        proxy.fail("GET", ITEMS, 1, 503, None);
        let page = directus
            .collection(PRODUCTS)
            .filter_eq("run", run.as_str())
            .retry(retry_503())
            .read()
            .await
            .unwrap();
        assert!(page.items().is_empty());
        check_hooks(&proxy, &log);
    }
}
