//! A round-robin load balancer on loopback, in front of several Directus instances that share
//! one database and Redis (`drs_cluster_up` in `scripts/lib.sh`): plain HTTP/1.1 and WebSocket.
//!
//! Every HTTP request goes to the next backend in turn: the balancer sends `Connection: close`
//! upstream and answers `Connection: close`, so each connection carries one request and
//! consecutive requests of one client (a login, then its refresh) land on different instances.
//! A WebSocket upgrade goes to the next backend too and then stays there (bytes are piped both
//! ways until either side closes).
//!
//! The balancer records which backend served each request ([`Balancer::log`]) and can take a
//! backend down ([`Balancer::down`]) the way an instance dies, with no health check to route
//! around it: requests dealt to it fail at the transport level, and its open WebSockets are cut.
//! Request bodies must have a `Content-Length` (what both drivers send). Only loopback backends
//! are accepted; the balancer stops (accept loop joined, connections shut down) when dropped.
//!
//! ```no_run
//! use directus_tests::balancer::Balancer;
//! let balancer = Balancer::start(&["http://127.0.0.1:8055", "http://127.0.0.1:8056"]);
//! // point a client at balancer.url() ...
//! assert_eq!(balancer.count("POST", "/auth/refresh"), 0);
//! ```

use std::io::{self, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

use crate::http1::{header_name, header_value, read_head};

/// How long a proxied connection may stay silent before the balancer gives up on it.
const IO_TIMEOUT: Duration = Duration::from_secs(60);
/// The largest request body the balancer reads.
const MAX_BODY: usize = 16 * 1024 * 1024;

/// How a backend taken down with [`Balancer::down`] fails the requests dealt to it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outage {
    /// The instance is gone: the request is read and dropped unforwarded, the connection closes
    /// without an answer. The server never sees it.
    Refuse,
    /// The instance dies mid-request: the request is forwarded and the server answers (a write
    /// is done), but the answer is lost and the connection closes. The dangerous case for a
    /// client that would repeat a write.
    LoseAnswer,
}

/// One request the balancer dealt to a backend.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Served {
    /// Index of the backend in the list given to [`Balancer::start`].
    pub backend: usize,
    /// Upper-case method.
    pub method: String,
    /// Path without the query string.
    pub path: String,
    /// The backend was down ([`Balancer::down`]): the client got no answer.
    pub failed: bool,
    /// A WebSocket upgrade (piped until closed).
    pub websocket: bool,
}

struct Backend {
    addr: SocketAddr,
    host: String,
}

#[derive(Default)]
struct State {
    log: Vec<Served>,
    outages: Vec<Option<Outage>>,
    /// Open client and upstream connections, by backend: shut down when it goes down.
    open: Vec<(usize, TcpStream)>,
}

struct Shared {
    backends: Vec<Backend>,
    next: AtomicUsize,
    stop: AtomicBool,
    state: Mutex<State>,
}

impl Shared {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Remembers a connection of `backend` so that taking it down can cut it.
    fn track(&self, backend: usize, stream: &TcpStream) {
        if let Ok(clone) = stream.try_clone() {
            let mut state = self.state();
            state.open.retain(|(_, s)| s.peer_addr().is_ok());
            state.open.push((backend, clone));
        }
    }
}

/// A running balancer; see the module docs. Stops when dropped.
pub struct Balancer {
    url: String,
    shared: Arc<Shared>,
    accept: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Balancer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let backends: Vec<_> = self.shared.backends.iter().map(|b| b.addr).collect();
        f.debug_struct("Balancer")
            .field("url", &self.url)
            .field("backends", &backends)
            .finish_non_exhaustive()
    }
}

impl Balancer {
    /// Starts a balancer over `backends` (`http://127.0.0.1:port` each, loopback only).
    ///
    /// # Panics
    ///
    /// If the list is empty, a backend is not a plain-HTTP loopback URL, or no port can be
    /// bound.
    pub fn start(backends: &[&str]) -> Balancer {
        assert!(
            !backends.is_empty(),
            "a balancer needs at least one backend"
        );
        let backends: Vec<Backend> = backends.iter().map(|url| backend(url)).collect();
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        listener
            .set_nonblocking(true)
            .expect("non-blocking listener");
        let local = listener.local_addr().expect("local address");
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                outages: vec![None; backends.len()],
                ..State::default()
            }),
            backends,
            next: AtomicUsize::new(0),
            stop: AtomicBool::new(false),
        });
        let accept = {
            let shared = Arc::clone(&shared);
            std::thread::Builder::new()
                .name("drs-balancer-accept".into())
                .spawn(move || accept_loop(&listener, &shared))
                .expect("spawn the accept thread")
        };
        Balancer {
            url: format!("http://{local}"),
            shared,
            accept: Some(accept),
        }
    }

    /// The URL to point a client at.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Every request dealt so far, in order of arrival.
    pub fn log(&self) -> Vec<Served> {
        self.shared.state().log.clone()
    }

    /// How many requests with this method and path (without the query) arrived, on any
    /// backend, answered or not.
    pub fn count(&self, method: &str, path: &str) -> usize {
        let method = method.to_ascii_uppercase();
        self.shared
            .state()
            .log
            .iter()
            .filter(|s| s.method == method && s.path == path)
            .count()
    }

    /// The backends that got the requests with this method and path, in order.
    pub fn backends_of(&self, method: &str, path: &str) -> Vec<usize> {
        let method = method.to_ascii_uppercase();
        self.shared
            .state()
            .log
            .iter()
            .filter(|s| s.method == method && s.path == path)
            .map(|s| s.backend)
            .collect()
    }

    /// How many requests `backend` answered (requests it failed while down not counted).
    pub fn served_by(&self, backend: usize) -> usize {
        self.shared
            .state()
            .log
            .iter()
            .filter(|s| s.backend == backend && !s.failed)
            .count()
    }

    /// Forgets the log.
    pub fn reset(&self) {
        self.shared.state().log.clear();
    }

    /// Takes `backend` down (`Some`) or brings it back (`None`). Going down cuts its open
    /// connections (WebSockets included); requests dealt to it from now on fail as `outage`
    /// says. The round robin goes on dealing to it, as a balancer without health checks does.
    ///
    /// # Panics
    ///
    /// If `backend` is out of range.
    pub fn down(&self, backend: usize, outage: Option<Outage>) {
        let mut state = self.shared.state();
        state.outages[backend] = outage;
        if outage.is_some() {
            let open = std::mem::take(&mut state.open);
            for (b, stream) in open {
                if b == backend {
                    let _ = stream.shutdown(Shutdown::Both);
                } else {
                    state.open.push((b, stream));
                }
            }
        }
    }
}

impl Drop for Balancer {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        if let Some(accept) = self.accept.take() {
            let _ = accept.join();
        }
        let open = std::mem::take(&mut self.shared.state().open);
        for (_, stream) in open {
            let _ = stream.shutdown(Shutdown::Both);
        }
    }
}

fn backend(url: &str) -> Backend {
    let rest = url
        .strip_prefix("http://")
        .unwrap_or_else(|| panic!("the balancer forwards plain http only, not {url}"));
    let authority = rest.trim_end_matches('/');
    assert!(
        !authority.contains('/'),
        "the balancer does not handle a path prefix in {url}"
    );
    let addr = authority
        .to_socket_addrs()
        .unwrap_or_else(|e| panic!("cannot resolve {authority}: {e}"))
        .find(|a| a.ip().is_loopback())
        .unwrap_or_else(|| panic!("the balancer forwards to loopback only, not {authority}"));
    Backend {
        addr,
        host: authority.to_owned(),
    }
}

fn accept_loop(listener: &TcpListener, shared: &Arc<Shared>) {
    while !shared.stop.load(Ordering::SeqCst) {
        match listener.accept() {
            Ok((stream, _)) => {
                let _ = stream.set_nonblocking(false);
                let shared = Arc::clone(shared);
                let _ = std::thread::Builder::new()
                    .name("drs-balancer-conn".into())
                    .spawn(move || {
                        let _ = handle(stream, &shared);
                    });
            }
            Err(_) => std::thread::sleep(Duration::from_millis(5)),
        }
    }
}

fn handle(client: TcpStream, shared: &Shared) -> io::Result<()> {
    client.set_read_timeout(Some(IO_TIMEOUT))?;
    client.set_write_timeout(Some(IO_TIMEOUT))?;
    let mut reader = BufReader::new(client.try_clone()?);
    let Some(head) = read_head(&mut reader)? else {
        return Ok(());
    };
    let mut parts = head[0].split_whitespace();
    let method = parts.next().unwrap_or("").to_ascii_uppercase();
    let target = parts.next().unwrap_or("").to_owned();
    let path = target.split('?').next().unwrap_or("").to_owned();
    let websocket = head[1..]
        .iter()
        .any(|l| header_name(l) == "upgrade" && header_value(l).eq_ignore_ascii_case("websocket"));

    let mut length = 0usize;
    let mut headers = Vec::new();
    for line in &head[1..] {
        match header_name(line).as_str() {
            "content-length" => {
                length = header_value(line)
                    .parse()
                    .ok()
                    .filter(|n| *n <= MAX_BODY)
                    .ok_or_else(|| io::Error::other("bad or too large content-length"))?;
                headers.push(line.clone());
            }
            "transfer-encoding" => {
                return Err(io::Error::other("chunked request bodies are not supported"));
            }
            // A WebSocket upgrade keeps its `Connection: Upgrade`; anything else closes.
            "connection" if websocket => headers.push(line.clone()),
            "connection" | "keep-alive" | "host" | "proxy-connection" => {}
            _ => headers.push(line.clone()),
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;

    let index = shared.next.fetch_add(1, Ordering::SeqCst) % shared.backends.len();
    let outage = {
        let mut state = shared.state();
        let outage = state.outages[index];
        state.log.push(Served {
            backend: index,
            method: method.clone(),
            path,
            failed: outage.is_some(),
            websocket,
        });
        outage
    };
    if outage == Some(Outage::Refuse) {
        let _ = client.shutdown(Shutdown::Both);
        return Ok(());
    }

    let backend = &shared.backends[index];
    let mut upstream = TcpStream::connect_timeout(&backend.addr, IO_TIMEOUT)?;
    upstream.set_read_timeout(Some(IO_TIMEOUT))?;
    upstream.set_write_timeout(Some(IO_TIMEOUT))?;
    let mut out = format!("{method} {target} HTTP/1.1\r\nHost: {}\r\n", backend.host);
    for line in &headers {
        out.push_str(line);
        out.push_str("\r\n");
    }
    if !websocket {
        out.push_str("Connection: close\r\n");
    }
    out.push_str("\r\n");
    upstream.write_all(out.as_bytes())?;
    upstream.write_all(&body)?;
    upstream.flush()?;

    if websocket {
        // Frames the client sent right behind its handshake, then both directions as they come.
        let early = reader.buffer().to_vec();
        upstream.write_all(&early)?;
        shared.track(index, &client);
        shared.track(index, &upstream);
        let (up_read, client_write) = (upstream.try_clone()?, client.try_clone()?);
        up_read.set_read_timeout(None)?;
        client.set_read_timeout(None)?;
        let down = std::thread::spawn(move || pipe(up_read, client_write));
        pipe(client, upstream);
        let _ = down.join();
        return Ok(());
    }

    let mut from_upstream = BufReader::new(upstream);
    let head = read_head(&mut from_upstream)?
        .ok_or_else(|| io::Error::new(io::ErrorKind::UnexpectedEof, "no answer"))?;
    if outage == Some(Outage::LoseAnswer) {
        // The server did the work; the client never hears of it.
        let _ = client.shutdown(Shutdown::Both);
        return Ok(());
    }
    let mut out = String::new();
    out.push_str(&head[0]);
    out.push_str("\r\n");
    for line in &head[1..] {
        if matches!(header_name(line).as_str(), "connection" | "keep-alive") {
            continue;
        }
        out.push_str(line);
        out.push_str("\r\n");
    }
    out.push_str("Connection: close\r\n\r\n");
    let mut client_out = client;
    client_out.write_all(out.as_bytes())?;
    io::copy(&mut from_upstream, &mut client_out)?;
    client_out.flush()?;
    let _ = client_out.shutdown(Shutdown::Both);
    Ok(())
}

/// Copies bytes until either side closes, then closes both directions.
fn pipe(mut from: TcpStream, mut to: TcpStream) {
    let _ = io::copy(&mut from, &mut to);
    let _ = to.shutdown(Shutdown::Both);
    let _ = from.shutdown(Shutdown::Both);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A loopback server that answers every request `200` with its name, counting them.
    fn backend_named(name: &'static str) -> (String, Arc<AtomicUsize>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let seen = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&seen);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                if read_head(&mut reader).ok().flatten().is_none() {
                    continue;
                }
                counter.fetch_add(1, Ordering::SeqCst);
                let mut out = stream;
                let _ = write!(
                    out,
                    "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{name}",
                    name.len()
                );
            }
        });
        (url, seen)
    }

    fn get(url: &str) -> Result<String, ureq::Error> {
        ureq::get(format!("{url}/ping"))
            .call()?
            .body_mut()
            .read_to_string()
    }

    #[test]
    fn deals_requests_in_turn_and_fails_those_of_a_backend_that_is_down() {
        let (a, seen_a) = backend_named("a");
        let (b, seen_b) = backend_named("b");
        let balancer = Balancer::start(&[&a, &b]);
        let answers: Vec<_> = (0..4).map(|_| get(balancer.url()).unwrap()).collect();
        assert_eq!(answers, ["a", "b", "a", "b"]);
        assert_eq!(balancer.backends_of("GET", "/ping"), [0, 1, 0, 1]);
        assert_eq!((balancer.served_by(0), balancer.served_by(1)), (2, 2));

        balancer.down(1, Some(Outage::Refuse));
        assert_eq!(get(balancer.url()).unwrap(), "a");
        assert!(get(balancer.url()).is_err(), "dealt to the dead backend");
        assert_eq!(
            seen_b.load(Ordering::SeqCst),
            2,
            "a refused request is not forwarded"
        );

        balancer.down(1, Some(Outage::LoseAnswer));
        assert_eq!(get(balancer.url()).unwrap(), "a");
        assert!(get(balancer.url()).is_err(), "the answer is lost");
        assert_eq!(
            seen_b.load(Ordering::SeqCst),
            3,
            "but the request was forwarded"
        );

        balancer.down(1, None);
        assert_eq!(get(balancer.url()).unwrap(), "a");
        assert_eq!(get(balancer.url()).unwrap(), "b");
        assert_eq!(seen_a.load(Ordering::SeqCst), 5);
        assert_eq!(balancer.count("GET", "/ping"), 10);
        assert_eq!(balancer.log().iter().filter(|s| s.failed).count(), 2);
    }
}
