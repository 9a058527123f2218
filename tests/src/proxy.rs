//! A counting loopback proxy: forwards HTTP/1.1 requests to the Directus server and counts them
//! per (method, path), so tests can prove how many requests a client sent (one refresh, no
//! request for a cached read, one logout...).
//!
//! It can also inject faults: answer the next requests of a route with a `429`, `502`, `503`
//! or `504` (with or without `Retry-After`) without forwarding them ([`Proxy::fail`]), and it
//! records when each request arrived and its headers ([`Proxy::seen`]; never `Authorization`
//! or `Cookie`), so tests can check retries, waits and hook headers.
//!
//! Every connection carries exactly one request: the proxy sends `Connection: close` upstream
//! and rewrites the answer's `Connection` header to `close`, so clients (ureq, reqwest) never
//! reuse a connection and each request is seen and counted on its own. Request bodies must have
//! a `Content-Length` (what both drivers send). Only loopback upstreams are accepted; the proxy
//! listens on `127.0.0.1:0` and stops (accept loop joined, open connections shut down) when
//! dropped.
//!
//! ```no_run
//! use directus_tests::proxy::Proxy;
//! let proxy = Proxy::start("http://127.0.0.1:8055");
//! // point a client at proxy.url() ...
//! assert_eq!(proxy.count("POST", "/auth/refresh"), 0);
//! ```

use std::collections::HashMap;
use std::io::{self, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::http1::{header_name, header_value, read_head};

/// How long a proxied connection may stay silent before the proxy gives up on it.
const IO_TIMEOUT: Duration = Duration::from_secs(60);

#[derive(Default)]
struct State {
    counts: HashMap<(String, String), usize>,
    /// Every request seen, in order: (method, path without the query).
    log: Vec<(String, String)>,
    /// Requests to hold back this long before forwarding them.
    delays: HashMap<(String, String), Duration>,
    /// When set, the `expires` of login and refresh answers is replaced by this (ms).
    expires_override: Option<u64>,
    /// Requests to answer with an error without forwarding: how many more, the status, and
    /// the `Retry-After` in seconds.
    refusals: HashMap<(String, String), (usize, u16, Option<u64>)>,
    /// Every request seen, in order, with its arrival time and headers.
    seen: Vec<Seen>,
}

/// One request as the proxy saw it.
#[derive(Clone, Debug)]
pub struct Seen {
    /// The method, upper case.
    pub method: String,
    /// The path, without the query string.
    pub path: String,
    /// When its head was read.
    pub at: Instant,
    /// Its headers, names lower case, in order; `authorization` and `cookie` are left out.
    pub headers: Vec<(String, String)>,
}

impl Seen {
    /// The value of the first header `name` (lower case), if any.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

struct Shared {
    upstream: SocketAddr,
    upstream_host: String,
    stop: AtomicBool,
    state: Mutex<State>,
    changed: Condvar,
    /// Clones of the open client connections, shut down on drop.
    open: Mutex<Vec<TcpStream>>,
}

impl Shared {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// A running proxy; see the module docs. Stops when dropped.
pub struct Proxy {
    url: String,
    shared: Arc<Shared>,
    accept: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Proxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Proxy")
            .field("url", &self.url)
            .field("upstream", &self.shared.upstream)
            .finish_non_exhaustive()
    }
}

impl Proxy {
    /// Starts a proxy to `upstream` (`http://127.0.0.1:port`, a loopback address).
    ///
    /// # Panics
    ///
    /// If `upstream` is not a plain-HTTP loopback URL, or no port can be bound.
    pub fn start(upstream: &str) -> Proxy {
        let rest = upstream
            .strip_prefix("http://")
            .unwrap_or_else(|| panic!("the proxy forwards plain http only, not {upstream}"));
        let authority = rest.split('/').next().unwrap_or(rest);
        assert!(
            rest.trim_end_matches('/') == authority,
            "the proxy does not handle a path prefix in {upstream}"
        );
        let addr = authority
            .to_socket_addrs()
            .unwrap_or_else(|e| panic!("cannot resolve {authority}: {e}"))
            .find(|a| a.ip().is_loopback())
            .unwrap_or_else(|| panic!("the proxy forwards to loopback only, not {authority}"));
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        listener
            .set_nonblocking(true)
            .expect("non-blocking listener");
        let local = listener.local_addr().expect("local address");
        let shared = Arc::new(Shared {
            upstream: addr,
            upstream_host: authority.to_owned(),
            stop: AtomicBool::new(false),
            state: Mutex::new(State::default()),
            changed: Condvar::new(),
            open: Mutex::new(Vec::new()),
        });
        let accept = {
            let shared = Arc::clone(&shared);
            std::thread::Builder::new()
                .name("drs-proxy-accept".into())
                .spawn(move || accept_loop(&listener, &shared))
                .expect("spawn the accept thread")
        };
        Proxy {
            url: format!("http://{local}"),
            shared,
            accept: Some(accept),
        }
    }

    /// A proxy to the server of [`crate::Server::from_env`].
    pub fn from_env() -> Proxy {
        Proxy::start(&crate::Server::from_env().url)
    }

    /// The URL to point a client at.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// How many requests with this method and path (without the query string) were seen.
    pub fn count(&self, method: &str, path: &str) -> usize {
        let key = (method.to_ascii_uppercase(), path.to_owned());
        self.shared.state().counts.get(&key).copied().unwrap_or(0)
    }

    /// How many requests were seen in all.
    pub fn total(&self) -> usize {
        self.shared.state().log.len()
    }

    /// Every request seen so far, in order: `(method, path)`.
    pub fn log(&self) -> Vec<(String, String)> {
        self.shared.state().log.clone()
    }

    /// Forgets the counts (the log too).
    pub fn reset(&self) {
        let mut state = self.shared.state();
        state.counts.clear();
        state.log.clear();
        state.seen.clear();
    }

    /// Holds requests with this method and path back for `delay` before forwarding them
    /// (they are counted on arrival). `Duration::ZERO` removes the delay.
    pub fn delay(&self, method: &str, path: &str, delay: Duration) {
        let key = (method.to_ascii_uppercase(), path.to_owned());
        let mut state = self.shared.state();
        if delay.is_zero() {
            state.delays.remove(&key);
        } else {
            state.delays.insert(key, delay);
        }
    }

    /// Answers the next `times` requests with this method and path `429 Too Many Requests`
    /// with `Retry-After: retry_after` seconds and Directus's error body, without forwarding
    /// them (they are counted).
    pub fn rate_limit(&self, method: &str, path: &str, times: usize, retry_after: u64) {
        self.fail(method, path, times, 429, Some(retry_after));
    }

    /// Answers the next `times` requests with this method and path with `status` (`429`,
    /// `502`, `503`, `504`; `401` is Directus's `TOKEN_EXPIRED`) and a Directus-like error body, with `Retry-After: retry_after`
    /// seconds when given, without forwarding them (they are counted and recorded).
    /// `times == 0` removes the fault.
    pub fn fail(
        &self,
        method: &str,
        path: &str,
        times: usize,
        status: u16,
        retry_after: Option<u64>,
    ) {
        let key = (method.to_ascii_uppercase(), path.to_owned());
        self.shared
            .state()
            .refusals
            .insert(key, (times, status, retry_after));
    }

    /// The requests with this method and path seen so far, in order, with their arrival
    /// times and headers (see [`Seen`]).
    pub fn seen(&self, method: &str, path: &str) -> Vec<Seen> {
        let method = method.to_ascii_uppercase();
        self.shared
            .state()
            .seen
            .iter()
            .filter(|s| s.method == method && s.path == path)
            .cloned()
            .collect()
    }

    /// Makes the client believe its access tokens live `ms` milliseconds: the `data.expires`
    /// of the answers to `POST /auth/login` and `POST /auth/refresh` is replaced (the token
    /// itself keeps the server's lifetime). `None` stops rewriting. With a longer lifetime than
    /// the server's, the client skips its proactive refresh and meets `TOKEN_EXPIRED`.
    pub fn rewrite_expires(&self, ms: Option<u64>) {
        self.shared.state().expires_override = ms;
    }

    /// Waits until `count(method, path) >= n` (answers `true`) or `limit` passes (`false`).
    pub fn wait_for(&self, method: &str, path: &str, n: usize, limit: Duration) -> bool {
        let key = (method.to_ascii_uppercase(), path.to_owned());
        let deadline = Instant::now() + limit;
        let mut state = self.shared.state();
        loop {
            if state.counts.get(&key).copied().unwrap_or(0) >= n {
                return true;
            }
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            state = self
                .shared
                .changed
                .wait_timeout(state, deadline - now)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        if let Some(accept) = self.accept.take() {
            let _ = accept.join();
        }
        let open = std::mem::take(&mut *self.shared.open.lock().unwrap_or_else(|p| p.into_inner()));
        for stream in open {
            let _ = stream.shutdown(Shutdown::Both);
        }
    }
}

fn accept_loop(listener: &TcpListener, shared: &Arc<Shared>) {
    while !shared.stop.load(Ordering::SeqCst) {
        match listener.accept() {
            Ok((stream, _)) => {
                let _ = stream.set_nonblocking(false);
                if let Ok(clone) = stream.try_clone() {
                    let mut open = shared.open.lock().unwrap_or_else(|p| p.into_inner());
                    // Forget connections that are done (a failed peek: closed or shut down).
                    open.retain(|s| s.peer_addr().is_ok());
                    open.push(clone);
                }
                let shared = Arc::clone(shared);
                let _ = std::thread::Builder::new()
                    .name("drs-proxy-conn".into())
                    .spawn(move || {
                        let _ = handle(stream, &shared);
                    });
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                std::thread::sleep(Duration::from_millis(5));
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

    let at = Instant::now();
    let mut length = 0usize;
    let mut headers = Vec::new();
    let recorded: Vec<(String, String)> = head[1..]
        .iter()
        .map(|line| (header_name(line), header_value(line).to_owned()))
        .filter(|(name, _)| name != "authorization" && name != "cookie")
        .collect();
    for line in &head[1..] {
        match header_name(line).as_str() {
            "content-length" => {
                length = header_value(line)
                    .parse()
                    .map_err(|_| io::Error::other("bad content-length"))?;
                headers.push(line.clone());
            }
            "transfer-encoding" => {
                return Err(io::Error::other("chunked request bodies are not supported"));
            }
            "connection" | "keep-alive" | "host" | "proxy-connection" => {}
            _ => headers.push(line.clone()),
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;

    let (delay, expires_override, refused) = {
        let mut state = shared.state();
        let key = (method.clone(), path.clone());
        *state.counts.entry(key.clone()).or_default() += 1;
        state.log.push(key.clone());
        state.seen.push(Seen {
            method: method.clone(),
            path: path.clone(),
            at,
            headers: recorded,
        });
        let delay = state.delays.get(&key).copied();
        let auth = method == "POST" && (path == "/auth/login" || path == "/auth/refresh");
        let refused = match state.refusals.get_mut(&key) {
            Some((left, status, retry_after)) if *left > 0 => {
                *left -= 1;
                Some((*status, *retry_after))
            }
            _ => None,
        };
        (delay, state.expires_override.filter(|_| auth), refused)
    };
    shared.changed.notify_all();
    if let Some((status, retry_after)) = refused {
        let (reason, body) = match status {
            429 => {
                let reset = retry_after.unwrap_or(1);
                (
                    "Too Many Requests",
                    format!(
                        r#"{{"errors":[{{"message":"Too many requests, retry after {reset}s.","extensions":{{"code":"REQUESTS_EXCEEDED","limit":1,"reset":{reset}}}}}]}}"#
                    ),
                )
            }
            401 => (
                "Unauthorized",
                String::from(
                    r#"{"errors":[{"message":"Token expired.","extensions":{"code":"TOKEN_EXPIRED"}}]}"#,
                ),
            ),
            502 => (
                "Bad Gateway",
                String::from(
                    r#"{"errors":[{"message":"Bad gateway","extensions":{"code":"INTERNAL"}}]}"#,
                ),
            ),
            503 => (
                "Service Unavailable",
                String::from(
                    r#"{"errors":[{"message":"Service unavailable","extensions":{"code":"SERVICE_UNAVAILABLE"}}]}"#,
                ),
            ),
            504 => (
                "Gateway Timeout",
                String::from(
                    r#"{"errors":[{"message":"Gateway timeout","extensions":{"code":"INTERNAL"}}]}"#,
                ),
            ),
            _ => (
                "Error",
                String::from(
                    r#"{"errors":[{"message":"Injected fault","extensions":{"code":"INTERNAL"}}]}"#,
                ),
            ),
        };
        let retry_after = retry_after.map_or_else(String::new, |s| format!("Retry-After: {s}\r\n"));
        let mut out = client;
        write!(
            out,
            "HTTP/1.1 {status} {reason}\r\n{retry_after}Content-Type: application/json; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )?;
        out.flush()?;
        let _ = out.shutdown(Shutdown::Both);
        return Ok(());
    }
    if let Some(delay) = delay {
        std::thread::sleep(delay);
    }

    let mut upstream = TcpStream::connect_timeout(&shared.upstream, IO_TIMEOUT)?;
    upstream.set_read_timeout(Some(IO_TIMEOUT))?;
    upstream.set_write_timeout(Some(IO_TIMEOUT))?;
    let mut out = format!(
        "{method} {target} HTTP/1.1\r\nHost: {}\r\n",
        shared.upstream_host
    );
    for line in &headers {
        out.push_str(line);
        out.push_str("\r\n");
    }
    out.push_str("Connection: close\r\n\r\n");
    upstream.write_all(out.as_bytes())?;
    upstream.write_all(&body)?;
    upstream.flush()?;

    // The answer: the head with `Connection: close`, then everything until the server closes.
    let mut from_upstream = BufReader::new(upstream);
    let head = read_head(&mut from_upstream)?
        .ok_or_else(|| io::Error::new(io::ErrorKind::UnexpectedEof, "no answer"))?;
    let mut rewritten = None;
    if let Some(ms) = expires_override {
        let length = head
            .iter()
            .find(|l| header_name(l) == "content-length")
            .and_then(|l| header_value(l).parse::<usize>().ok());
        if let Some(length) = length {
            let mut body = vec![0; length];
            from_upstream.read_exact(&mut body)?;
            let body = match serde_json::from_slice::<serde_json::Value>(&body) {
                Ok(mut json) => {
                    if let Some(expires) = json.pointer_mut("/data/expires") {
                        *expires = serde_json::Value::from(ms);
                    }
                    serde_json::to_vec(&json).unwrap_or(body)
                }
                Err(_) => body,
            };
            rewritten = Some(body);
        }
    }
    let mut out = String::new();
    out.push_str(&head[0]);
    out.push_str("\r\n");
    for line in &head[1..] {
        if matches!(header_name(line).as_str(), "connection" | "keep-alive") {
            continue;
        }
        if rewritten.is_some() && header_name(line) == "content-length" {
            continue;
        }
        out.push_str(line);
        out.push_str("\r\n");
    }
    if let Some(body) = &rewritten {
        out.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    out.push_str("Connection: close\r\n\r\n");
    let mut client_out = client;
    client_out.write_all(out.as_bytes())?;
    match &rewritten {
        Some(body) => client_out.write_all(body)?,
        None => {
            io::copy(&mut from_upstream, &mut client_out)?;
        }
    }
    client_out.flush()?;
    let _ = client_out.shutdown(Shutdown::Both);
    Ok(())
}

/// `POST /auth/refresh` with this refresh token in JSON mode, sent with plain ureq (not the
/// library): answers the HTTP status.
pub fn raw_refresh(url: &str, refresh_token: &str) -> u16 {
    raw_post(
        url,
        "/auth/refresh",
        &serde_json::json!({"refresh_token": refresh_token, "mode": "json"}),
    )
}

/// `POST {path}` with a JSON body, with plain ureq: answers the HTTP status.
pub fn raw_post(url: &str, path: &str, body: &serde_json::Value) -> u16 {
    let config = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(60)))
        .build();
    let agent = ureq::Agent::new_with_config(config);
    match agent.post(format!("{url}{path}")).send_json(body) {
        Ok(response) => response.status().as_u16(),
        Err(e) => panic!("POST {url}{path} failed: {e}"),
    }
}
