//! Realtime over Directus' WebSocket: live subscriptions and item calls, driven by a
//! background thread over `tungstenite`.
//!
//! All decisions (auth, heartbeat, reconnect, the subscription table) are
//! [`directus_proto::realtime::Connection`]'s; this module moves frames.
//!
//! **Why a background thread.** The server pings every `WEBSOCKETS_HEARTBEAT_PERIOD` and
//! drops a connection that does not answer within the next period; tokens must be renewed on
//! the socket before they expire. With a poll loop those answers would depend on the caller
//! calling `next()` often enough: a caller that works on one event for a minute, or reads only
//! one of several subscriptions, would lose the connection. One thread per connection (not
//! per subscription) owns the socket, answers pings, renews tokens and reconnects; callers only
//! read channels. The thread wakes at least every 50 ms to send what callers asked for (a
//! blocking socket cannot wait on a channel and the network at once).

use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender, SyncSender, TrySendError};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::{Duration, Instant};

use directus_proto::realtime::{Action, Connection, Output, RequestId, SubscriptionId};
pub use directus_proto::realtime::{
    AuthMode, Backoff, Event, EventKind, IntoSubscribe, ItemsCall, RealtimeConfig, Status,
    Subscribe,
};
use directus_proto::{Config, Error, TransportError, TransportErrorKind};
use serde::de::DeserializeOwned;
use serde_json::Value;
use tungstenite::client::IntoClientRequest;
use tungstenite::protocol::WebSocketConfig;
use tungstenite::{Message, WebSocket};

use crate::Directus;

/// How often the connection thread looks for frames to send when the socket is quiet.
const POLL: Duration = Duration::from_millis(50);

/// A subscription's end of the channel: bounded; `behind` is set when the consumer fell
/// `RealtimeConfig::buffer` events behind and the subscription was ended for it.
struct SubTx {
    tx: SyncSender<crate::Result<Event>>,
    behind: Arc<AtomicBool>,
}

struct State {
    conn: Connection,
    subs: HashMap<SubscriptionId, SubTx>,
    calls: HashMap<RequestId, Sender<crate::Result<Value>>>,
}

struct Shared {
    state: Mutex<State>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Keeps the connection thread alive while a [`Realtime`] or a [`Subscription`] holds it.
struct Keep;

/// A realtime connection: subscriptions and item calls over one WebSocket, kept open (pings
/// answered, tokens renewed, reconnected with backoff) by a background thread until the
/// handle and every subscription are dropped, or [`Realtime::close`].
///
/// ```no_run
/// use directus_blocking::{Directus, F};
/// use directus_blocking::realtime::Event;
///
/// # fn main() -> directus_blocking::Result<()> {
/// let directus = Directus::login("http://127.0.0.1:8055", "admin@example.com", "secret")?;
/// let realtime = directus.realtime()?;
/// let live = realtime.subscribe(directus.collection("posts").filter(F::eq("status", "published")));
/// for event in live {
///     match event? {
///         Event::Init(rows) => println!("{} rows now", rows.len()),
///         Event::Create(rows) | Event::Update(rows) => println!("changed: {rows:?}"),
///         Event::Delete(keys) => println!("deleted: {keys:?}"),
///         Event::Reconnected => println!("reconnected; a fresh Init follows"),
///     }
/// }
/// # Ok(())
/// # }
/// ```
pub struct Realtime {
    shared: Arc<Shared>,
    keep: Arc<Keep>,
    /// How long an item call waits (the client's overall timeout).
    timeout: Duration,
}

impl std::fmt::Debug for Realtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Realtime")
            .field("status", &self.status())
            .finish_non_exhaustive()
    }
}

impl Directus {
    /// Opens a realtime connection with the default settings (handshake auth at
    /// `/websocket`); see [`Directus::realtime_with`].
    ///
    /// ```no_run
    /// # use directus_blocking::Directus;
    /// let directus = Directus::with_token("http://127.0.0.1:8055", "t")?;
    /// let realtime = directus.realtime()?;
    /// # Ok::<(), directus_blocking::Error>(())
    /// ```
    pub fn realtime(&self) -> crate::Result<Realtime> {
        self.realtime_with(RealtimeConfig::default())
    }

    /// Opens a realtime connection: the background thread connects at once and keeps the
    /// socket up; subscriptions can be made right away (they are sent once authenticated).
    /// The socket authenticates with this client's session and shares its refresh.
    ///
    /// ```no_run
    /// # use directus_blocking::Directus;
    /// use directus_blocking::realtime::{AuthMode, RealtimeConfig};
    /// let directus = Directus::with_token("http://127.0.0.1:8055", "t")?;
    /// let realtime = directus.realtime_with(RealtimeConfig::default().auth(AuthMode::Strict))?;
    /// # Ok::<(), directus_blocking::Error>(())
    /// ```
    pub fn realtime_with(&self, config: RealtimeConfig) -> crate::Result<Realtime> {
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                conn: Connection::new(self.base_url(), config, crate::random::bits() as u64),
                subs: HashMap::new(),
                calls: HashMap::new(),
            }),
        });
        let keep = Arc::new(Keep);
        let driver = Driver {
            client: self.clone(),
            shared: Arc::clone(&shared),
            keep: Arc::downgrade(&keep),
            socket: None,
        };
        std::thread::Builder::new()
            .name("directus-realtime".into())
            .spawn(move || driver.run())
            .map_err(|e| TransportError::io("could not start the realtime thread", e))?;
        Ok(Realtime {
            shared,
            keep,
            timeout: self.transport().config().timeout_duration(),
        })
    }
}

impl Realtime {
    /// Subscribes: to a collection handle (`directus.collection_of::<Post>().filter(..)`:
    /// events carry `Post`s), or to a [`Subscribe`] (JSON rows).
    ///
    /// ```no_run
    /// # use directus_blocking::{Directus, F};
    /// use directus_blocking::realtime::{EventKind, Subscribe};
    /// # let directus = Directus::with_token("http://127.0.0.1:8055", "t")?;
    /// let realtime = directus.realtime()?;
    /// let all = realtime.subscribe(directus.collection("posts"));
    /// let creates = realtime.subscribe(Subscribe::new("posts").event(EventKind::Create));
    /// # Ok::<(), directus_blocking::Error>(())
    /// ```
    pub fn subscribe<S: IntoSubscribe>(&self, to: S) -> Subscription<S::Row> {
        let mut state = self.shared.lock();
        let buffer = state.conn.config().buffer_events();
        let (tx, rx) = mpsc::sync_channel(buffer);
        let behind = Arc::new(AtomicBool::new(false));
        let id = state.conn.subscribe(to.into_subscribe());
        state.subs.insert(
            id,
            SubTx {
                tx,
                behind: Arc::clone(&behind),
            },
        );
        route(&mut state);
        Subscription {
            id,
            rx,
            behind,
            buffer,
            shared: Arc::clone(&self.shared),
            _keep: Arc::clone(&self.keep),
            ended: false,
            _rows: std::marker::PhantomData,
        }
    }

    /// Runs an item call over the socket and waits for its answer (the server's `data`), at
    /// most the client's timeout ([`Config`]); a call that timed out before the socket was
    /// open is never sent. A write whose connection drops before the answer fails and is not
    /// sent again.
    ///
    /// ```no_run
    /// # use directus_blocking::Directus;
    /// use directus_blocking::realtime::ItemsCall;
    /// # let directus = Directus::with_token("http://127.0.0.1:8055", "t")?;
    /// let realtime = directus.realtime()?;
    /// let created = realtime.items(ItemsCall::create("posts", serde_json::json!({"title": "hi"})))?;
    /// let rows = realtime.items(ItemsCall::read("posts").ids([created["id"].as_i64().unwrap_or(0)]))?;
    /// # Ok::<(), directus_blocking::Error>(())
    /// ```
    pub fn items(&self, call: ItemsCall) -> crate::Result<Value> {
        let (tx, rx) = mpsc::channel();
        let id = {
            let mut state = self.shared.lock();
            let id = state.conn.items(call);
            state.calls.insert(id, tx);
            route(&mut state);
            id
        };
        match rx.recv_timeout(self.timeout) {
            Ok(result) => result,
            Err(RecvTimeoutError::Timeout) => {
                // Never sent if it is still waiting for the connection.
                let mut state = self.shared.lock();
                state.conn.cancel(id);
                state.calls.remove(&id);
                Err(Error::Transport(TransportError::new(
                    TransportErrorKind::Timeout,
                    "no answer to the item call in time",
                )))
            }
            Err(RecvTimeoutError::Disconnected) => {
                Err(closed_error("the realtime connection is closed"))
            }
        }
    }

    /// The connection's health: open or not, failed attempts in a row, reconnects, the last
    /// error.
    ///
    /// ```no_run
    /// # use directus_blocking::Directus;
    /// # let directus = Directus::with_token("http://127.0.0.1:8055", "t")?;
    /// let realtime = directus.realtime()?;
    /// println!("{:?}", realtime.status());
    /// # Ok::<(), directus_blocking::Error>(())
    /// ```
    pub fn status(&self) -> Status {
        self.shared.lock().conn.status()
    }

    /// Closes the connection: every subscription ends.
    ///
    /// ```no_run
    /// # use directus_blocking::Directus;
    /// # let directus = Directus::with_token("http://127.0.0.1:8055", "t")?;
    /// directus.realtime()?.close();
    /// # Ok::<(), directus_blocking::Error>(())
    /// ```
    pub fn close(self) {
        let mut state = self.shared.lock();
        state.conn.close();
        route(&mut state);
    }
}

/// The events of one subscription: an iterator whose `next()` blocks until an event arrives,
/// with [`Subscription::recv_timeout`] to wait a bounded time.
///
/// An `Err` item is an error for this subscription; the iterator ends (`None`) after a final
/// one (a forbidden collection, credentials refused for good, reconnects given up) or when
/// the connection is closed. Dropping the subscription unsubscribes.
pub struct Subscription<T = Value> {
    id: SubscriptionId,
    rx: Receiver<crate::Result<Event>>,
    behind: Arc<AtomicBool>,
    buffer: usize,
    shared: Arc<Shared>,
    _keep: Arc<Keep>,
    ended: bool,
    _rows: std::marker::PhantomData<fn() -> T>,
}

impl<T> std::fmt::Debug for Subscription<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subscription")
            .field("id", &self.id)
            .field("ended", &self.ended)
            .finish_non_exhaustive()
    }
}

impl<T: DeserializeOwned> Subscription<T> {
    /// Waits at most `timeout` for the next event: `None` when none came in time or the
    /// subscription ended ([`Subscription::is_ended`] tells which).
    ///
    /// ```no_run
    /// # use directus_blocking::Directus;
    /// # let directus = Directus::with_token("http://127.0.0.1:8055", "t")?;
    /// # let realtime = directus.realtime()?;
    /// let mut live = realtime.subscribe(directus.collection("posts"));
    /// if let Some(event) = live.recv_timeout(std::time::Duration::from_secs(5)) {
    ///     println!("{:?}", event?);
    /// }
    /// # Ok::<(), directus_blocking::Error>(())
    /// ```
    pub fn recv_timeout(&mut self, timeout: Duration) -> Option<crate::Result<Event<T>>> {
        if self.ended {
            return None;
        }
        match self.rx.recv_timeout(timeout) {
            Ok(event) => Some(event.and_then(Event::decode)),
            Err(RecvTimeoutError::Timeout) => None,
            Err(RecvTimeoutError::Disconnected) => self.end(),
        }
    }

    /// The channel closed: the end, after the overflow error if that was the cause.
    fn end(&mut self) -> Option<crate::Result<Event<T>>> {
        self.ended = true;
        self.behind
            .swap(false, Ordering::Relaxed)
            .then(|| Err(directus_proto::realtime::fell_behind(self.buffer)))
    }

    /// Whether the subscription ended (after a final error, or a closed connection).
    ///
    /// ```no_run
    /// # use directus_blocking::Directus;
    /// # let directus = Directus::with_token("http://127.0.0.1:8055", "t")?;
    /// # let realtime = directus.realtime()?;
    /// let live = realtime.subscribe(directus.collection("posts"));
    /// assert!(!live.is_ended());
    /// # Ok::<(), directus_blocking::Error>(())
    /// ```
    pub fn is_ended(&self) -> bool {
        self.ended
    }
}

impl<T: DeserializeOwned> Iterator for Subscription<T> {
    type Item = crate::Result<Event<T>>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.ended {
            return None;
        }
        match self.rx.recv() {
            Ok(event) => Some(event.and_then(Event::decode)),
            Err(_) => self.end(),
        }
    }
}

impl<T> Drop for Subscription<T> {
    fn drop(&mut self) {
        let mut state = self.shared.lock();
        state.subs.remove(&self.id);
        state.conn.unsubscribe(self.id);
    }
}

fn closed_error(message: &str) -> Error {
    Error::Transport(TransportError::new(TransportErrorKind::Io, message))
}

/// Hands the connection's outputs to the subscriptions' and calls' channels. A subscription
/// whose consumer fell a whole buffer behind is ended (never a blocked connection thread).
fn route(state: &mut State) {
    while let Some(output) = state.conn.poll_output() {
        match output {
            Output::Event { id, event } => deliver(state, id, Ok(event), false),
            Output::Error { id, error, fatal } => deliver(state, id, Err(error), fatal),
            Output::Reply { id, result } => {
                if let Some(tx) = state.calls.remove(&id) {
                    let _ = tx.send(result);
                }
            }
        }
    }
    if state.conn.is_finished() {
        // Ends every iterator.
        state.subs.clear();
        state.calls.clear();
    }
}

fn deliver(state: &mut State, id: SubscriptionId, item: crate::Result<Event>, last: bool) {
    let Some(sub) = state.subs.get(&id) else {
        return;
    };
    let end = match sub.tx.try_send(item) {
        Ok(()) => last,
        Err(TrySendError::Full(_)) => {
            sub.behind.store(true, Ordering::Relaxed);
            state.conn.unsubscribe(id);
            true
        }
        Err(TrySendError::Disconnected(_)) => true,
    };
    if end {
        state.subs.remove(&id);
    }
}

trait Io: Read + Write + Send {}
impl<S: Read + Write + Send> Io for S {}

struct Socket {
    ws: WebSocket<Box<dyn Io>>,
    /// The TCP stream under the TLS layer, to set read timeouts.
    tcp: TcpStream,
}

struct Driver {
    client: Directus,
    shared: Arc<Shared>,
    keep: Weak<Keep>,
    socket: Option<Socket>,
}

impl Driver {
    fn run(mut self) {
        loop {
            if self.keep.upgrade().is_none() {
                // Every handle and subscription is gone.
                let mut state = self.shared.lock();
                state.conn.close();
                route(&mut state);
            }
            // Carry out everything the machine asks for.
            loop {
                let action = {
                    let mut state = self.shared.lock();
                    let action = state.conn.poll(self.client.session_state(), Instant::now());
                    route(&mut state);
                    action
                };
                match action {
                    Some(action) => self.act(action),
                    None => break,
                }
            }
            let (deadline, finished) = {
                let state = self.shared.lock();
                (state.conn.deadline(), state.conn.is_finished())
            };
            if finished {
                if let Some(mut socket) = self.socket.take() {
                    let _ = socket.ws.close(None);
                    let _ = socket.ws.flush();
                }
                return;
            }
            let wait = deadline
                .map_or(POLL, |d| d.saturating_duration_since(Instant::now()))
                .clamp(Duration::from_millis(1), POLL);
            if self.socket.is_some() {
                self.read(wait);
            } else {
                std::thread::sleep(wait);
            }
        }
    }

    fn act(&mut self, action: Action) {
        match action {
            Action::Connect(url) => {
                let config = self.client.transport().config();
                let limit = self.shared.lock().conn.config().frame_limit_bytes();
                let result = connect(url.expose(), &config, limit);
                let mut state = self.shared.lock();
                match result {
                    Ok(socket) => {
                        self.socket = Some(socket);
                        state.conn.connected(Instant::now());
                    }
                    Err((status, message)) => {
                        state.conn.connect_failed(status, &message, Instant::now())
                    }
                }
                route(&mut state);
            }
            Action::Send(frame) => {
                let Some(socket) = self.socket.as_mut() else {
                    return;
                };
                if let Err(e) = socket.ws.send(Message::text(frame.into_string())) {
                    self.lost(&format!("send failed: {e}"));
                }
            }
            Action::Refresh(seen) => {
                // Shares the REST client's single-flight refresh lane.
                let result = self.client.refresh_after(seen);
                let mut state = self.shared.lock();
                state.conn.refreshed(result, Instant::now());
                route(&mut state);
            }
            Action::Close => {
                if let Some(mut socket) = self.socket.take() {
                    let _ = socket.ws.close(None);
                    let _ = socket.ws.flush();
                }
            }
        }
    }

    fn lost(&mut self, message: &str) {
        self.socket = None;
        let mut state = self.shared.lock();
        state.conn.closed(message, Instant::now());
        route(&mut state);
    }

    fn read(&mut self, wait: Duration) {
        let Some(socket) = self.socket.as_mut() else {
            return;
        };
        if let Err(e) = set_read_timeout(socket, wait) {
            self.lost(&format!("socket error: {e}"));
            return;
        }
        match socket.ws.read() {
            Ok(Message::Text(text)) => {
                let mut state = self.shared.lock();
                state.conn.received_text(text.as_str(), Instant::now());
                route(&mut state);
            }
            Ok(Message::Binary(data)) => {
                let mut state = self.shared.lock();
                state.conn.received_binary(&data, Instant::now());
                route(&mut state);
            }
            Ok(Message::Close(_)) => self.lost("the server closed the connection"),
            Ok(_) => {} // WebSocket pings are answered by tungstenite; pongs and raw frames.
            Err(tungstenite::Error::Io(e))
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) => {}
            Err(tungstenite::Error::ConnectionClosed | tungstenite::Error::AlreadyClosed) => {
                self.lost("the connection closed")
            }
            Err(e) => self.lost(&format!("read failed: {e}")),
        }
    }
}

fn set_read_timeout(socket: &mut Socket, wait: Duration) -> io::Result<()> {
    socket.tcp.set_read_timeout(Some(wait))
}

/// Opens the WebSocket: TCP (bounded by the connect timeout), TLS for `wss://`, the upgrade.
/// Errors carry the HTTP status of a refused upgrade; messages never include the URL (it may
/// hold a token).
fn connect(
    url: &str,
    config: &Config,
    frame_limit: usize,
) -> Result<Socket, (Option<u16>, String)> {
    let uri: http::Uri = url
        .parse()
        .map_err(|_| (None, "invalid realtime URL".to_owned()))?;
    let tls = uri.scheme_str() == Some("wss");
    let host = uri.host().unwrap_or("").trim_matches(['[', ']']).to_owned();
    let port = uri.port_u16().unwrap_or(if tls { 443 } else { 80 });
    let addrs = (host.as_str(), port)
        .to_socket_addrs()
        .map_err(|e| (None, format!("could not resolve the host: {e}")))?;
    let mut last = String::from("no address for the host");
    let mut tcp = None;
    for addr in addrs {
        match TcpStream::connect_timeout(&addr, config.connect_timeout_duration()) {
            Ok(s) => {
                tcp = Some(s);
                break;
            }
            Err(e) => last = format!("connect failed: {e}"),
        }
    }
    let tcp = tcp.ok_or((None, last))?;
    let _ = tcp.set_nodelay(true);
    tcp.set_read_timeout(Some(config.timeout_duration()))
        .and_then(|()| tcp.set_write_timeout(Some(config.timeout_duration())))
        .map_err(|e| (None, format!("socket error: {e}")))?;
    let control = tcp
        .try_clone()
        .map_err(|e| (None, format!("socket error: {e}")))?;
    let stream: Box<dyn Io> = if tls {
        tls_stream(&host, tcp)?
    } else {
        Box::new(tcp)
    };
    let ws_config = WebSocketConfig::default()
        .max_message_size(Some(frame_limit))
        .max_frame_size(Some(frame_limit));
    let mut request = uri
        .into_client_request()
        .map_err(|_| (None, "invalid realtime URL".to_owned()))?;
    request.headers_mut().insert(
        http::header::USER_AGENT,
        http::HeaderValue::from_static(concat!("directus-rs/", env!("CARGO_PKG_VERSION"))),
    );
    match tungstenite::client::client_with_config(request, stream, Some(ws_config)) {
        Ok((ws, _)) => Ok(Socket { ws, tcp: control }),
        Err(tungstenite::HandshakeError::Failure(tungstenite::Error::Http(response))) => Err((
            Some(response.status().as_u16()),
            format!(
                "the server refused the WebSocket upgrade ({})",
                response.status()
            ),
        )),
        Err(tungstenite::HandshakeError::Failure(e)) => {
            Err((None, format!("WebSocket handshake failed: {e}")))
        }
        Err(tungstenite::HandshakeError::Interrupted(_)) => {
            Err((None, "WebSocket handshake timed out".to_owned()))
        }
    }
}

#[cfg(feature = "rustls")]
fn tls_stream(host: &str, tcp: TcpStream) -> Result<Box<dyn Io>, (Option<u16>, String)> {
    let roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| (None, format!("TLS setup failed: {e}")))?
    .with_root_certificates(roots)
    .with_no_client_auth();
    let name = rustls::pki_types::ServerName::try_from(host.to_owned())
        .map_err(|_| (None, "invalid TLS server name".to_owned()))?;
    let conn = rustls::ClientConnection::new(Arc::new(config), name)
        .map_err(|e| (None, format!("TLS setup failed: {e}")))?;
    Ok(Box::new(rustls::StreamOwned::new(conn, tcp)))
}

#[cfg(not(feature = "rustls"))]
fn tls_stream(_host: &str, _tcp: TcpStream) -> Result<Box<dyn Io>, (Option<u16>, String)> {
    Err((None, "wss:// needs the `rustls` feature".to_owned()))
}

#[cfg(test)]
mod tests {
    /// Handles move to other threads; the connection is shared by reference.
    #[test]
    fn handles_are_send_and_the_connection_is_sync() {
        fn send<T: Send>() {}
        fn sync<T: Sync>() {}
        send::<super::Realtime>();
        sync::<super::Realtime>();
        send::<super::Subscription<serde_json::Value>>();
    }
}
