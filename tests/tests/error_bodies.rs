//! Every body a client reads into memory has the body limit and the timeout, also the error
//! answer of a streamed download: a server answering `500` with a huge body, or with a body
//! that trickles in forever, gets a typed error, for both clients.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use directus_proto::{AssetTransform, Config, Error, TransportErrorKind};

/// A server whose every answer is a `500` with `body` bytes (without a length), sent in 64 KiB
/// chunks `pause` apart; it stops sending after 30 s at the most, or when the client hangs up.
struct Hostile {
    url: String,
    stop: Arc<AtomicBool>,
}

impl Hostile {
    fn start(body: usize, pause: Duration) -> Hostile {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = stop.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stopping.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(mut stream) = stream else { continue };
                let stopping = stopping.clone();
                std::thread::spawn(move || {
                    let mut reader = BufReader::new(stream.try_clone().unwrap());
                    let mut line = String::new();
                    while reader.read_line(&mut line).unwrap_or(0) > 2 {
                        line.clear();
                    }
                    let head = "HTTP/1.1 500 Internal Server Error\r\ncontent-type: text/plain\r\nconnection: close\r\n\r\n";
                    if stream.write_all(head.as_bytes()).is_err() {
                        return;
                    }
                    let chunk = vec![b'x'; 64 * 1024];
                    let started = std::time::Instant::now();
                    let mut sent = 0;
                    while sent < body
                        && started.elapsed() < Duration::from_secs(30)
                        && !stopping.load(Ordering::SeqCst)
                    {
                        let n = chunk.len().min(body - sent);
                        if stream.write_all(&chunk[..n]).is_err() {
                            return;
                        }
                        sent += n;
                        std::thread::sleep(pause);
                    }
                });
            }
        });
        Hostile { url, stop }
    }
}

impl Drop for Hostile {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = std::net::TcpStream::connect(self.url.trim_start_matches("http://"));
    }
}

fn config() -> Config {
    Config::default()
        .timeout(Duration::from_secs(2))
        .body_limit(1 << 20)
}

fn kind(err: &Error) -> Option<TransportErrorKind> {
    match err {
        Error::Transport(t) => Some(t.kind()),
        _ => None,
    }
}

#[test]
fn blocking_download_error_bodies_are_bounded() {
    let huge = Hostile::start(64 << 20, Duration::ZERO);
    let client = directus_blocking::Directus::builder(&huge.url)
        .config(config())
        .token("t")
        .unwrap();
    let err = client
        .files()
        .download("f1", &AssetTransform::new(), std::io::sink())
        .unwrap_err();
    assert_eq!(kind(&err), Some(TransportErrorKind::BodyTooLarge), "{err}");

    let endless = Hostile::start(usize::MAX, Duration::from_millis(200));
    let client = directus_blocking::Directus::builder(&endless.url)
        .config(config())
        .token("t")
        .unwrap();
    let err = client
        .files()
        .download("f1", &AssetTransform::new(), std::io::sink())
        .unwrap_err();
    assert_eq!(kind(&err), Some(TransportErrorKind::Timeout), "{err}");
}

#[tokio::test]
async fn async_download_error_bodies_are_bounded() {
    let huge = Hostile::start(64 << 20, Duration::ZERO);
    let client = directus_async::Directus::builder(&huge.url)
        .config(config())
        .token("t")
        .unwrap();
    let err = client
        .files()
        .download_stream("f1", &AssetTransform::new())
        .await
        .map(|_| ())
        .unwrap_err();
    assert_eq!(kind(&err), Some(TransportErrorKind::BodyTooLarge), "{err}");

    let endless = Hostile::start(usize::MAX, Duration::from_millis(200));
    let client = directus_async::Directus::builder(&endless.url)
        .config(config())
        .token("t")
        .unwrap();
    let err = client
        .files()
        .download_stream("f1", &AssetTransform::new())
        .await
        .map(|_| ())
        .unwrap_err();
    assert_eq!(kind(&err), Some(TransportErrorKind::Timeout), "{err}");
}
