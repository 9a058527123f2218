//! Transport failures are typed, for both clients: a body over the limit, a timeout, a refused
//! connection; and a write is never sent twice after one.

use std::time::Duration;

use directus_proto::{Config, Error, TransportErrorKind};
use directus_tests::{Server, fixtures, proxy::Proxy};
use serde_json::json;

fn kind<T: std::fmt::Debug>(result: Result<T, Error>) -> TransportErrorKind {
    match result {
        Err(Error::Transport(err)) => err.kind(),
        other => panic!("expected a transport error, got {other:?}"),
    }
}

/// A loopback port with nothing listening on it.
fn closed_port_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}

#[test]
fn blocking_limits_and_failures() {
    use directus_blocking::Directus;
    let server = Server::from_env();
    let small = Directus::builder(&server.url)
        .config(Config::default().body_limit(64))
        .token(fixtures::STATIC_TOKEN)
        .unwrap();
    assert_eq!(
        kind(small.collection("directus_users").read()),
        TransportErrorKind::BodyTooLarge
    );
    // The same read fits with the default limit.
    let roomy = Directus::with_token(&server.url, fixtures::STATIC_TOKEN).unwrap();
    roomy.collection("directus_users").read().unwrap();

    let proxy = Proxy::start(&server.url);
    proxy.delay("GET", "/server/info", Duration::from_secs(3));
    let impatient = Directus::builder(proxy.url())
        .config(Config::default().timeout(Duration::from_millis(300)))
        .token(fixtures::STATIC_TOKEN)
        .unwrap();
    assert_eq!(kind(impatient.server_info()), TransportErrorKind::Timeout);

    let nowhere = Directus::with_token(closed_port_url(), fixtures::STATIC_TOKEN).unwrap();
    assert_eq!(kind(nowhere.me()), TransportErrorKind::Connect);
    assert_eq!(
        kind(
            nowhere
                .collection(fixtures::INBOX)
                .create(&json!({"message": "x"}))
        ),
        TransportErrorKind::Connect
    );
}

#[test]
fn blocking_writes_are_not_resent_after_a_timeout() {
    use directus_blocking::Directus;
    let server = Server::from_env();
    let proxy = Proxy::start(&server.url);
    let path = format!("/items/{}", fixtures::INBOX);
    proxy.delay("POST", &path, Duration::from_secs(2));
    let client = Directus::builder(proxy.url())
        .config(Config::default().timeout(Duration::from_millis(300)))
        .token(fixtures::STATIC_TOKEN)
        .unwrap();
    let run = directus_tests::unique("no-resend");
    let result = client
        .collection(fixtures::INBOX)
        .create(&json!({"message": "once", "run": run}));
    assert_eq!(kind(result), TransportErrorKind::Timeout);
    // Reads are retried once; the write went out exactly once.
    assert_eq!(proxy.count("POST", &path), 1);
}

#[test]
fn async_limits_and_failures() {
    use directus_async::Directus;
    let server = Server::from_env();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let small = Directus::builder(&server.url)
            .config(Config::default().body_limit(64))
            .token(fixtures::STATIC_TOKEN)
            .unwrap();
        assert_eq!(
            kind(small.collection("directus_users").read().await),
            TransportErrorKind::BodyTooLarge
        );
        let proxy = Proxy::start(&server.url);
        proxy.delay("GET", "/server/info", Duration::from_secs(3));
        let impatient = Directus::builder(proxy.url())
            .config(Config::default().timeout(Duration::from_millis(300)))
            .token(fixtures::STATIC_TOKEN)
            .unwrap();
        assert_eq!(
            kind(impatient.server_info().await),
            TransportErrorKind::Timeout
        );
        let nowhere = Directus::with_token(closed_port_url(), fixtures::STATIC_TOKEN).unwrap();
        assert_eq!(kind(nowhere.me().await), TransportErrorKind::Connect);
    });
}
