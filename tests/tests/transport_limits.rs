//! Transport failures are typed, for both clients: a body over the limit, a timeout, a refused
//! connection; and a write is never sent twice after one.

use std::io::Read;
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

/// A reader that hands out its chunks one by one, `gap` apart: an upload that keeps flowing
/// but takes longer than the timeout overall.
struct Slow {
    chunks: std::vec::IntoIter<Vec<u8>>,
    gap: Duration,
    current: std::io::Cursor<Vec<u8>>,
}

impl Read for Slow {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        loop {
            let n = self.current.read(buf)?;
            if n > 0 {
                return Ok(n);
            }
            let Some(next) = self.chunks.next() else {
                return Ok(0);
            };
            std::thread::sleep(self.gap);
            self.current = std::io::Cursor::new(next);
        }
    }
}

const SLOW_CHUNKS: usize = 3;
const SLOW_GAP: Duration = Duration::from_millis(1200);

/// The chunks of the slow upload: each as long as the head a client reads at once to guess the
/// media type, so that the blocking one starts sending after the first.
fn slow_chunks() -> Vec<Vec<u8>> {
    let len = directus_proto::media::SNIFF_LEN;
    (0..SLOW_CHUNKS)
        .map(|i| vec![b'a' + i as u8; len])
        .collect()
}

/// Streamed uploads have no overall bound either: one that takes longer than the timeout while
/// its bytes keep flowing goes through, in both clients (the timeout bounds each stall).
#[test]
fn a_slow_upload_that_keeps_flowing_is_not_cut_for_both_clients() {
    use directus_proto::files::StreamedFile;
    let server = Server::from_env();
    // 3 gaps of 1.2 s: 3.6 s in all, no stall as long as the timeout of 2.5 s (which leaves the
    // server time to answer after the last chunk on a busy machine).
    let config = Config::default().timeout(Duration::from_millis(2500));
    let expected: Vec<u8> = slow_chunks().concat();
    let length = expected.len() as u64;

    let blocking = directus_blocking::Directus::builder(&server.url)
        .config(config)
        .token(fixtures::STATIC_TOKEN)
        .unwrap();
    let slow = Slow {
        chunks: slow_chunks().into_iter(),
        gap: SLOW_GAP,
        current: std::io::Cursor::new(Vec::new()),
    };
    let file = blocking
        .files()
        .upload_reader(slow, StreamedFile::new("slow-blocking.txt").length(length))
        .unwrap()
        .unwrap();
    let id = file.id.clone().unwrap();
    let mut stored = Vec::new();
    blocking
        .files()
        .download(
            id.clone(),
            &directus_proto::AssetTransform::new(),
            &mut stored,
        )
        .unwrap();
    assert_eq!(stored, expected);
    blocking.files().delete(id).unwrap();

    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        use futures_util::StreamExt;
        let client = directus_async::Directus::builder(&server.url)
            .config(config)
            .token(fixtures::STATIC_TOKEN)
            .unwrap();
        let rest = futures_util::stream::iter(slow_chunks())
            .then(|chunk| async move {
                tokio::time::sleep(SLOW_GAP).await;
                Ok(directus_async::Bytes::from(chunk))
            })
            .boxed();
        let file = client
            .files()
            .upload_stream(
                Vec::new(),
                rest,
                StreamedFile::new("slow-async.txt").length(length),
            )
            .await
            .unwrap()
            .unwrap();
        let id = file.id.clone().unwrap();
        let (_, body) = client
            .files()
            .download_stream(id.clone(), &directus_proto::AssetTransform::new())
            .await
            .unwrap();
        let mut stored = Vec::new();
        let mut body = body;
        while let Some(chunk) = body.next().await {
            stored.extend_from_slice(&chunk.unwrap());
        }
        assert_eq!(stored, expected);
        client.files().delete(id).await.unwrap();
    });
}
