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

/// A `429` on a read is waited out once (its `Retry-After`) and the read succeeds; a `429` on a
/// write is returned as the typed error, and the write was sent once.
#[test]
fn rate_limits_for_both_clients() {
    use directus_proto::ErrorCode;
    let server = Server::from_env();
    let proxy = Proxy::start(&server.url);
    let inbox = format!("/items/{}", fixtures::INBOX);

    let blocking =
        directus_blocking::Directus::with_token(proxy.url(), fixtures::STATIC_TOKEN).unwrap();
    proxy.rate_limit("GET", "/users/me", 1, 1);
    assert_eq!(blocking.me().unwrap()["email"], fixtures::TOKEN_EMAIL);
    assert_eq!(proxy.count("GET", "/users/me"), 2);
    proxy.rate_limit("POST", &inbox, 1, 1);
    let refused = blocking
        .collection(fixtures::INBOX)
        .create(&json!({"message": "limited", "run": directus_tests::unique("429")}));
    let api = refused.unwrap_err();
    assert_eq!(
        api.api().map(|a| a.code()),
        Some(&ErrorCode::RequestsExceeded)
    );
    assert_eq!(proxy.count("POST", &inbox), 1);

    proxy.reset();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let client =
            directus_async::Directus::with_token(proxy.url(), fixtures::STATIC_TOKEN).unwrap();
        proxy.rate_limit("GET", "/users/me", 1, 1);
        assert_eq!(client.me().await.unwrap()["email"], fixtures::TOKEN_EMAIL);
        assert_eq!(proxy.count("GET", "/users/me"), 2);
        proxy.rate_limit("POST", &inbox, 1, 1);
        let refused = client
            .collection(fixtures::INBOX)
            .create(&json!({"message": "limited", "run": directus_tests::unique("429")}))
            .await;
        assert_eq!(refused.unwrap_err().status().map(|s| s.as_u16()), Some(429));
        assert_eq!(proxy.count("POST", &inbox), 1);
    });
}

/// Streamed transfers have no overall bound, but a stall longer than the timeout fails them.
#[test]
fn a_stalled_download_times_out_for_both_clients() {
    use directus_proto::AssetTransform;
    let server = Server::from_env();
    let proxy = Proxy::start(&server.url);
    let id = "00000000-0000-4000-8000-00000000dead";
    proxy.delay("GET", &format!("/assets/{id}"), Duration::from_secs(3));
    let config = Config::default().timeout(Duration::from_millis(300));

    let blocking = directus_blocking::Directus::builder(proxy.url())
        .config(config)
        .token(fixtures::STATIC_TOKEN)
        .unwrap();
    let stalled = blocking
        .files()
        .download(id, &AssetTransform::new(), Vec::new());
    assert_eq!(kind(stalled), TransportErrorKind::Timeout);

    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let client = directus_async::Directus::builder(proxy.url())
            .config(config)
            .token(fixtures::STATIC_TOKEN)
            .unwrap();
        let stalled = client
            .files()
            .download_stream(id, &AssetTransform::new())
            .await
            .map(|(head, _)| head);
        assert_eq!(kind(stalled), TransportErrorKind::Timeout);
    });
}
