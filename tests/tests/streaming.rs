//! Streamed reads (`read_stream`) and borrowed decoding (`read_raw`) in both clients: 20,000
//! rows read with `no_limit()` arrive once each and in order (also where a buffered read of the
//! same answer passes the body limit), the answer's `meta` comes through, an error answer is an
//! `Err` before any item; and, against a scripted server, a `TOKEN_EXPIRED` before the body is
//! refreshed and retried while a body cut short ends the stream with an error item, never a
//! second request, as does a body cut short in transport. The 200,000-row memory measurement is
//! the `stream-rss` binary.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use directus_proto::{Credentials, ErrorCode, Order, TransportErrorKind};
use directus_tests::rows::{BorrowedRow, Row, Rows};
use directus_tests::stub::{Reply, Stub};
use directus_tests::{Server, unique};
use futures_util::{StreamExt, TryStreamExt};

/// Rows of the test collection: creating them is most of the test's time (about 1 ms a row
/// on SQLite), and the test command runs this file twice (SQLite, PostgreSQL).
const ROWS: u64 = 20_000;

/// A body limit far below the answer's size (20,000 rows are about 1.3 MB).
const SMALL_LIMIT: u64 = 256 * 1024;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
}

fn small_limit() -> directus_proto::Config {
    directus_proto::Config::default().body_limit(SMALL_LIMIT)
}

fn is_too_large(error: &directus_proto::Error) -> bool {
    matches!(error, directus_proto::Error::Transport(t) if t.kind() == TransportErrorKind::BodyTooLarge)
}

#[test]
fn every_row_arrives_once_and_in_order_in_both_clients() {
    let server = Server::from_env();
    let admin = directus_blocking::Directus::login(
        &server.url,
        &server.admin_email,
        &server.admin_password,
    )
    .unwrap();
    let table = Rows::create(admin, "stream_rows", ROWS).unwrap();
    let name = table.name();

    // Blocking, with a body limit the whole answer passes: `read` fails, the stream does not.
    let blocking = directus_blocking::Directus::builder(&server.url)
        .config(small_limit())
        .login(&server.admin_email, &server.admin_password)
        .unwrap();
    let all = || {
        blocking
            .collection_as::<Row>(name)
            .sort("id", Order::Asc)
            .no_limit()
    };
    let error = all().read().unwrap_err();
    assert!(is_too_large(&error), "{error}");
    let mut stream = all().include_count().read_stream().unwrap();
    let rows: Vec<Row> = stream.by_ref().collect::<Result<_, _>>().unwrap();
    table.check("blocking", &rows);
    assert_eq!(stream.meta().and_then(|m| m.filter_count), Some(ROWS));
    assert!(stream.read_bytes() > SMALL_LIMIT);
    assert!(stream.next().is_none(), "an ended stream stays ended");
    // As JSON values, from an untyped handle.
    let values = blocking
        .collection(name)
        .sort("id", Order::Asc)
        .no_limit()
        .fields(["n"])
        .read_stream_values()
        .unwrap();
    let mut count = 0u64;
    for value in values {
        assert_eq!(value.unwrap()["n"], count);
        count += 1;
    }
    assert_eq!(count, ROWS);
    // Borrowed decoding: the same page as the typed read.
    let page = all().limit(500).offset(1000);
    let raw = page.read_raw().unwrap();
    let borrowed = raw.parse_borrowed::<BorrowedRow<'_>>().unwrap();
    let owned = page.read().unwrap();
    assert_eq!(borrowed.items().len(), 500);
    for (b, o) in borrowed.items().iter().zip(owned.items()) {
        assert_eq!((b.id, b.n, b.label.as_ref()), (o.id, o.n, o.label.as_str()));
    }
    assert!(
        borrowed
            .items()
            .iter()
            .any(|b| matches!(b.label, std::borrow::Cow::Borrowed(_)))
    );

    // Async, the same.
    runtime().block_on(async {
        let client = directus_async::Directus::builder(&server.url)
            .config(small_limit())
            .login(&server.admin_email, &server.admin_password)
            .await
            .unwrap();
        let all = || {
            client
                .collection_as::<Row>(name)
                .sort("id", Order::Asc)
                .no_limit()
        };
        let error = all().read().await.unwrap_err();
        assert!(is_too_large(&error), "{error}");
        let mut stream = all().include_count().read_stream().await.unwrap();
        let rows: Vec<Row> = stream.by_ref().try_collect().await.unwrap();
        table.check("async", &rows);
        assert_eq!(stream.meta().and_then(|m| m.filter_count), Some(ROWS));
        assert!(stream.next().await.is_none(), "an ended stream stays ended");
        let values = client
            .collection(name)
            .sort("id", Order::Asc)
            .no_limit()
            .fields(["n"])
            .read_stream_values()
            .await
            .unwrap();
        let ns: Vec<u64> = values
            .map(|v| v.unwrap()["n"].as_u64().unwrap())
            .collect()
            .await;
        assert!(ns.iter().copied().eq(0..ROWS));
        let page = all().limit(500).offset(1000);
        let raw = page.read_raw().await.unwrap();
        let borrowed = raw.parse_borrowed::<BorrowedRow<'_>>().unwrap();
        let owned = page.read().await.unwrap();
        assert_eq!(borrowed.items().len(), 500);
        for (b, o) in borrowed.items().iter().zip(owned.items()) {
            assert_eq!((b.id, b.n, b.label.as_ref()), (o.id, o.n, o.label.as_str()));
        }
    });
}

#[test]
fn an_error_answer_is_an_err_before_any_item() {
    let server = Server::from_env();
    let missing = unique("missing").replace('-', "_");
    let blocking = directus_blocking::Directus::login(
        &server.url,
        &server.admin_email,
        &server.admin_password,
    )
    .unwrap();
    let error = blocking.collection(&missing).read_stream().unwrap_err();
    assert_eq!(
        error.api().map(|a| a.code()),
        Some(&ErrorCode::Forbidden),
        "{error}"
    );
    let error = blocking.collection(&missing).read_raw().unwrap_err();
    assert_eq!(
        error.api().map(|a| a.code()),
        Some(&ErrorCode::Forbidden),
        "{error}"
    );
    runtime().block_on(async {
        let client = directus_async::Directus::login(
            &server.url,
            &server.admin_email,
            &server.admin_password,
        )
        .await
        .unwrap();
        let error = client.collection(&missing).read_stream().await.unwrap_err();
        assert_eq!(
            error.api().map(|a| a.code()),
            Some(&ErrorCode::Forbidden),
            "{error}"
        );
    });
}

/// A server whose first read answers `TOKEN_EXPIRED` and whose list answer stops after two
/// items (complete HTTP, incomplete JSON).
fn expiring_then_cut() -> Stub {
    let refreshes = Arc::new(AtomicUsize::new(0));
    Stub::start(move |req| {
        if req.target == "/auth/refresh" {
            let n = refreshes.fetch_add(1, Ordering::SeqCst) + 1;
            return Reply::new(200).body(format!(
                r#"{{"data":{{"access_token":"access-{n}","refresh_token":"refresh-{n}","expires":900000}}}}"#
            ));
        }
        match req.header("authorization") {
            Some("Bearer access-1") => Reply::new(401).body(
                r#"{"errors":[{"message":"Token expired.","extensions":{"code":"TOKEN_EXPIRED"}}]}"#,
            ),
            _ => Reply::new(200).body(r#"{"data":[{"id":1,"n":0,"label":"a"},{"id":2,"n":1,"label":"b"},{"id":3,"#),
        }
    })
}

fn targets(stub: &Stub) -> Vec<String> {
    stub.requests()
        .iter()
        .map(|r| format!("{} {}", r.method, r.target))
        .collect()
}

const EXPECTED: [&str; 4] = [
    "POST /auth/refresh",
    "GET /items/things?limit=-1",
    "POST /auth/refresh",
    "GET /items/things?limit=-1",
];

#[test]
fn blocking_refreshes_before_the_body_and_never_resends_after_it() {
    let stub = expiring_then_cut();
    let client = directus_blocking::Directus::builder(stub.url())
        .credentials(Some(Credentials::refresh_token("refresh-0")))
        .unwrap();
    let items: Vec<_> = client
        .collection_as::<Row>("things")
        .no_limit()
        .read_stream()
        .unwrap()
        .collect();
    assert_eq!(items.len(), 3, "{items:?}");
    assert_eq!(items[1].as_ref().unwrap().label, "b");
    let error = items[2].as_ref().unwrap_err();
    assert!(error.stream().is_some(), "{error}");
    assert_eq!(targets(&stub), EXPECTED);
}

#[tokio::test]
async fn async_refreshes_before_the_body_and_never_resends_after_it() {
    let stub = expiring_then_cut();
    let client = directus_async::Directus::builder(stub.url())
        .credentials(Some(Credentials::refresh_token("refresh-0")))
        .unwrap();
    let items: Vec<_> = client
        .collection_as::<Row>("things")
        .no_limit()
        .read_stream()
        .await
        .unwrap()
        .collect()
        .await;
    assert_eq!(items.len(), 3, "{items:?}");
    assert_eq!(items[1].as_ref().unwrap().label, "b");
    let error = items[2].as_ref().unwrap_err();
    assert!(error.stream().is_some(), "{error}");
    assert_eq!(targets(&stub), EXPECTED);
}

/// A loopback server that answers its first connection with the head of a long list answer,
/// two items, and then closes it (the body is cut short in transport); it counts every
/// connection until stopped.
struct CutServer {
    url: String,
    connections: Arc<AtomicUsize>,
    stop: Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl CutServer {
    fn start() -> CutServer {
        use std::io::{BufRead, BufReader, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let connections = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (seen, stopped) = (Arc::clone(&connections), Arc::clone(&stop));
        let thread = std::thread::spawn(move || {
            // Bounded: at most 60 s of polling every 10 ms.
            for _ in 0..6000 {
                if stopped.load(Ordering::SeqCst) {
                    return;
                }
                let Ok((stream, _)) = listener.accept() else {
                    std::thread::sleep(std::time::Duration::from_millis(10));
                    continue;
                };
                if seen.fetch_add(1, Ordering::SeqCst) > 0 {
                    continue; // a resend: counted, never answered
                }
                stream.set_nonblocking(false).unwrap();
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut line = String::new();
                while reader.read_line(&mut line).unwrap_or(0) > 2 {
                    line.clear();
                }
                let mut stream = stream;
                let body = r#"{"data":[{"id":1,"n":0,"label":"a"},{"id":2,"n":1,"label":"b"},"#;
                let _ = write!(
                    stream,
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 100000\r\n\r\n{body}"
                );
                let _ = stream.flush();
            }
        });
        CutServer {
            url,
            connections,
            stop,
            thread: Some(thread),
        }
    }

    fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

impl Drop for CutServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn is_transport(error: &directus_proto::Error) -> bool {
    matches!(error, directus_proto::Error::Transport(_))
}

#[test]
fn blocking_a_body_cut_in_transport_is_the_last_item() {
    let server = CutServer::start();
    let client = directus_blocking::Directus::with_token(&server.url, "token").unwrap();
    let items: Vec<_> = client
        .collection_as::<Row>("things")
        .no_limit()
        .read_stream()
        .unwrap()
        .collect();
    assert_eq!(items.len(), 3, "{items:?}");
    assert!(items[..2].iter().all(Result::is_ok));
    let error = items[2].as_ref().unwrap_err();
    assert!(is_transport(error), "{error}");
    assert_eq!(server.connections(), 1, "the read was sent again");
}

#[tokio::test]
async fn async_a_body_cut_in_transport_is_the_last_item() {
    let server = CutServer::start();
    let client = directus_async::Directus::with_token(&server.url, "token").unwrap();
    let items: Vec<_> = client
        .collection_as::<Row>("things")
        .no_limit()
        .read_stream()
        .await
        .unwrap()
        .collect()
        .await;
    assert_eq!(items.len(), 3, "{items:?}");
    assert!(items[..2].iter().all(Result::is_ok));
    let error = items[2].as_ref().unwrap_err();
    assert!(is_transport(error), "{error}");
    assert_eq!(server.connections(), 1, "the read was sent again");
}
