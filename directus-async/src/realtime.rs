//! Realtime over Directus' WebSocket (feature `realtime`): live subscriptions as
//! [`Stream`]s and item calls, driven by a tokio task over
//! `tokio-tungstenite`.
//!
//! All decisions (auth, heartbeat, reconnect, the subscription table) are
//! [`directus_proto::realtime::Connection`]'s; this module moves frames. One task per
//! connection owns the socket; it lives while the [`Realtime`] handle or one of its
//! [`Subscription`]s does, and answers the server's pings whether or not anyone polls a
//! subscription.

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use directus_proto::realtime::{Action, Connection, Output, RequestId, SubscriptionId};
pub use directus_proto::realtime::{
    AuthMode, Backoff, Event, EventKind, IntoSubscribe, ItemsCall, RealtimeConfig, Status,
    Subscribe,
};
use directus_proto::{Config, Error, TransportError, TransportErrorKind};
use futures_util::{SinkExt, Stream, StreamExt};
use serde::de::DeserializeOwned;
use serde_json::Value;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::{Notify, mpsc, oneshot};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{self, Message};

use crate::Directus;
use crate::client::Inner;

/// A subscription's end of the channel: bounded; `behind` is set when the consumer fell
/// `RealtimeConfig::buffer` events behind and the subscription was ended for it.
struct SubTx {
    tx: mpsc::Sender<crate::Result<Event>>,
    behind: Arc<AtomicBool>,
}

struct State {
    conn: Connection,
    subs: HashMap<SubscriptionId, SubTx>,
    calls: HashMap<RequestId, oneshot::Sender<crate::Result<Value>>>,
}

struct Shared {
    state: Mutex<State>,
    /// Wakes the task: a caller queued something, or a handle went away.
    wake: Arc<Notify>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Keeps the task alive; the last one dropped wakes it so it closes the socket.
struct Keep(Arc<Notify>);

impl Drop for Keep {
    fn drop(&mut self) {
        self.0.notify_one();
    }
}

/// A realtime connection: subscriptions and item calls over one WebSocket, kept open (pings
/// answered, tokens renewed with the client's own single-flight refresh, reconnected with
/// backoff) by a tokio task while this handle or one of its subscriptions lives.
///
/// ```no_run
/// use directus_async::{Directus, F};
/// use directus_async::realtime::Event;
/// use futures_util::StreamExt;
///
/// # async fn demo() -> directus_async::Result<()> {
/// let directus = Directus::login("http://127.0.0.1:8055", "admin@example.com", "secret").await?;
/// let realtime = directus.realtime()?;
/// let mut live = realtime.subscribe(directus.collection("posts").filter(F::eq("status", "published")));
/// while let Some(event) = live.next().await {
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
    /// `/websocket`); see [`Directus::realtime_with`]. Needs a tokio runtime.
    ///
    /// ```no_run
    /// # async fn demo() -> directus_async::Result<()> {
    /// let directus = directus_async::Directus::with_token("http://127.0.0.1:8055", "t")?;
    /// let realtime = directus.realtime()?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn realtime(&self) -> crate::Result<Realtime> {
        self.realtime_with(RealtimeConfig::default())
    }

    /// Opens a realtime connection: a task connects at once and keeps the socket up;
    /// subscriptions can be made right away (they are sent once authenticated). The socket
    /// authenticates with this client's session and shares its refresh. Needs a tokio runtime.
    ///
    /// ```no_run
    /// use directus_async::realtime::{AuthMode, RealtimeConfig};
    /// # async fn demo() -> directus_async::Result<()> {
    /// let directus = directus_async::Directus::with_token("http://127.0.0.1:8055", "t")?;
    /// let realtime = directus.realtime_with(RealtimeConfig::default().auth(AuthMode::Strict))?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn realtime_with(&self, config: RealtimeConfig) -> crate::Result<Realtime> {
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| {
            Error::Transport(TransportError::new(
                TransportErrorKind::Other,
                "realtime needs a tokio runtime",
            ))
        })?;
        let wake = Arc::new(Notify::new());
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                conn: Connection::new(self.base_url(), config, crate::random::bits() as u64),
                subs: HashMap::new(),
                calls: HashMap::new(),
            }),
            wake: Arc::clone(&wake),
        });
        let keep = Arc::new(Keep(wake));
        let driver = Driver {
            inner: Arc::clone(self.inner()),
            shared: Arc::clone(&shared),
            keep: Arc::downgrade(&keep),
            socket: None,
        };
        runtime.spawn(driver.run());
        Ok(Realtime {
            shared,
            keep,
            timeout: self.inner().config.timeout_duration(),
        })
    }
}

impl Realtime {
    /// Subscribes: to a collection handle (`directus.collection_of::<Post>().filter(..)`:
    /// events carry `Post`s), or to a [`Subscribe`] (JSON rows).
    ///
    /// ```no_run
    /// use directus_async::realtime::{EventKind, Subscribe};
    /// # async fn demo(directus: directus_async::Directus) -> directus_async::Result<()> {
    /// let realtime = directus.realtime()?;
    /// let all = realtime.subscribe(directus.collection("posts"));
    /// let creates = realtime.subscribe(Subscribe::new("posts").event(EventKind::Create));
    /// # Ok(())
    /// # }
    /// ```
    pub fn subscribe<S: IntoSubscribe>(&self, to: S) -> Subscription<S::Row> {
        {
            let mut state = self.shared.lock();
            let buffer = state.conn.config().buffer_events();
            let (tx, rx) = mpsc::channel(buffer);
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
            drop(state);
            self.shared.wake.notify_one();
            Subscription {
                id,
                rx,
                behind,
                buffer,
                shared: Arc::clone(&self.shared),
                _keep: Arc::clone(&self.keep),
                _rows: std::marker::PhantomData,
            }
        }
    }

    /// Runs an item call over the socket and waits for its answer (the server's `data`), at
    /// most the client's timeout ([`Config`]); a call that timed out or was dropped before the
    /// socket was open is never sent. A write whose connection drops before the answer fails
    /// and is not sent again.
    ///
    /// ```no_run
    /// use directus_async::realtime::ItemsCall;
    /// # async fn demo(directus: directus_async::Directus) -> directus_async::Result<()> {
    /// let realtime = directus.realtime()?;
    /// let created = realtime.items(ItemsCall::create("posts", serde_json::json!({"title": "hi"}))).await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn items(&self, call: ItemsCall) -> crate::Result<Value> {
        /// Cancels the call when the caller's future is dropped or times out first.
        struct Pending<'a> {
            shared: &'a Shared,
            id: RequestId,
        }
        impl Drop for Pending<'_> {
            fn drop(&mut self) {
                let mut state = self.shared.lock();
                state.conn.cancel(self.id);
                state.calls.remove(&self.id);
            }
        }
        let (tx, rx) = oneshot::channel();
        let id = {
            let mut state = self.shared.lock();
            let id = state.conn.items(call);
            state.calls.insert(id, tx);
            route(&mut state);
            id
        };
        let _pending = Pending {
            shared: &self.shared,
            id,
        };
        self.shared.wake.notify_one();
        match tokio::time::timeout(self.timeout, rx).await {
            Ok(Ok(result)) => result,
            Ok(Err(_)) => Err(closed_error("the realtime connection is closed")),
            Err(_) => Err(Error::Transport(TransportError::new(
                TransportErrorKind::Timeout,
                "no answer to the item call in time",
            ))),
        }
    }

    /// The connection's health: open or not, failed attempts in a row, reconnects, the last
    /// error.
    ///
    /// ```no_run
    /// # async fn demo(directus: directus_async::Directus) -> directus_async::Result<()> {
    /// let realtime = directus.realtime()?;
    /// println!("{:?}", realtime.status());
    /// # Ok(())
    /// # }
    /// ```
    pub fn status(&self) -> Status {
        self.shared.lock().conn.status()
    }

    /// Closes the connection: every subscription ends.
    ///
    /// ```no_run
    /// # async fn demo(directus: directus_async::Directus) -> directus_async::Result<()> {
    /// directus.realtime()?.close();
    /// # Ok(())
    /// # }
    /// ```
    pub fn close(self) {
        let mut state = self.shared.lock();
        state.conn.close();
        route(&mut state);
        drop(state);
        self.shared.wake.notify_one();
    }
}

/// The events of one subscription, as a [`Stream`]. An `Err` item is an error for this
/// subscription; the stream ends after a final one (a forbidden collection, credentials
/// refused for good, reconnects given up) or when the connection is closed. Dropping it
/// unsubscribes.
pub struct Subscription<T = Value> {
    id: SubscriptionId,
    rx: mpsc::Receiver<crate::Result<Event>>,
    behind: Arc<AtomicBool>,
    buffer: usize,
    shared: Arc<Shared>,
    _keep: Arc<Keep>,
    _rows: std::marker::PhantomData<fn() -> T>,
}

impl<T> std::fmt::Debug for Subscription<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subscription")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl<T: DeserializeOwned> Stream for Subscription<T> {
    type Item = crate::Result<Event<T>>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        match self.rx.poll_recv(cx) {
            Poll::Ready(Some(event)) => Poll::Ready(Some(event.and_then(Event::decode))),
            // Closed: the end, after the overflow error if that was the cause.
            Poll::Ready(None) => Poll::Ready(
                self.behind
                    .swap(false, Ordering::Relaxed)
                    .then(|| Err(directus_proto::realtime::fell_behind(self.buffer))),
            ),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<T> Drop for Subscription<T> {
    fn drop(&mut self) {
        let mut state = self.shared.lock();
        state.subs.remove(&self.id);
        state.conn.unsubscribe(self.id);
        drop(state);
        self.shared.wake.notify_one();
    }
}

fn closed_error(message: &str) -> Error {
    Error::Transport(TransportError::new(TransportErrorKind::Io, message))
}

/// Hands the connection's outputs to the subscriptions' and calls' channels. A subscription
/// whose consumer fell a whole buffer behind is ended (never a stalled connection task).
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
        Err(mpsc::error::TrySendError::Full(_)) => {
            sub.behind.store(true, Ordering::Relaxed);
            state.conn.unsubscribe(id);
            true
        }
        Err(mpsc::error::TrySendError::Closed(_)) => true,
    };
    if end {
        state.subs.remove(&id);
    }
}

trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<S: AsyncRead + AsyncWrite + Unpin + Send> Io for S {}

type Socket = WebSocketStream<Box<dyn Io>>;

struct Driver {
    inner: Arc<Inner>,
    shared: Arc<Shared>,
    keep: Weak<Keep>,
    socket: Option<Socket>,
}

/// How long to sleep when the machine has no deadline (it is woken by callers anyway).
const IDLE: Duration = Duration::from_secs(3600);

impl Driver {
    async fn run(mut self) {
        loop {
            if self.keep.upgrade().is_none() {
                let mut state = self.shared.lock();
                state.conn.close();
                route(&mut state);
            }
            loop {
                let action = {
                    let mut state = self.shared.lock();
                    let action = state.conn.poll(&self.inner.session, Instant::now());
                    route(&mut state);
                    action
                };
                match action {
                    Some(action) => self.act(action).await,
                    None => break,
                }
            }
            let (deadline, finished) = {
                let state = self.shared.lock();
                (state.conn.deadline(), state.conn.is_finished())
            };
            if finished {
                if let Some(mut socket) = self.socket.take() {
                    let _ = socket.close(None).await;
                }
                return;
            }
            let sleep = tokio::time::sleep_until(
                deadline
                    .map(tokio::time::Instant::from_std)
                    .unwrap_or_else(|| tokio::time::Instant::now() + IDLE),
            );
            let wake = Arc::clone(&self.shared.wake);
            match self.socket.as_mut() {
                Some(socket) => {
                    tokio::select! {
                        message = socket.next() => self.received(message),
                        () = sleep => {}
                        () = wake.notified() => {}
                    }
                }
                None => {
                    tokio::select! {
                        () = sleep => {}
                        () = wake.notified() => {}
                    }
                }
            }
        }
    }

    async fn act(&mut self, action: Action) {
        match action {
            Action::Connect(url) => {
                let limit = self.shared.lock().conn.config().frame_limit_bytes();
                let result = connect(url.expose(), &self.inner.config, limit).await;
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
                let sent = tokio::time::timeout(
                    self.inner.config.timeout_duration(),
                    socket.send(Message::text(frame.into_string())),
                )
                .await;
                match sent {
                    Ok(Ok(())) => {}
                    Ok(Err(e)) => self.lost(&format!("send failed: {e}")),
                    Err(_) => self.lost("send timed out"),
                }
            }
            Action::Refresh(seen) => {
                // The REST client's own single-flight refresh (its own task, its lane).
                let result = Inner::refresh_after(&self.inner, seen).await;
                let mut state = self.shared.lock();
                state.conn.refreshed(result, Instant::now());
                route(&mut state);
            }
            Action::Close => {
                if let Some(mut socket) = self.socket.take() {
                    let _ = tokio::time::timeout(Duration::from_secs(1), socket.close(None)).await;
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

    fn received(&mut self, message: Option<Result<Message, tungstenite::Error>>) {
        match message {
            Some(Ok(Message::Text(text))) => {
                let mut state = self.shared.lock();
                state.conn.received_text(text.as_str(), Instant::now());
                route(&mut state);
            }
            Some(Ok(Message::Binary(data))) => {
                let mut state = self.shared.lock();
                state.conn.received_binary(&data, Instant::now());
                route(&mut state);
            }
            Some(Ok(Message::Close(_))) | None => self.lost("the server closed the connection"),
            Some(Ok(_)) => {} // WebSocket pings are answered by tungstenite.
            Some(Err(e)) => self.lost(&format!("read failed: {e}")),
        }
    }
}

/// Opens the WebSocket: TCP (bounded by the connect timeout), TLS for `wss://`, the upgrade.
/// Errors carry the HTTP status of a refused upgrade; messages never include the URL (it may
/// hold a token).
async fn connect(
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
    let tcp = tokio::time::timeout(
        config.connect_timeout_duration(),
        tokio::net::TcpStream::connect((host.as_str(), port)),
    )
    .await
    .map_err(|_| (None, "connect timed out".to_owned()))?
    .map_err(|e| (None, format!("connect failed: {e}")))?;
    let _ = tcp.set_nodelay(true);
    let stream: Box<dyn Io> = if tls {
        tls_stream(&host, tcp).await?
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
    let handshake = tokio_tungstenite::client_async_with_config(request, stream, Some(ws_config));
    match tokio::time::timeout(config.timeout_duration(), handshake).await {
        Ok(Ok((ws, _))) => Ok(ws),
        Ok(Err(tungstenite::Error::Http(response))) => Err((
            Some(response.status().as_u16()),
            format!(
                "the server refused the WebSocket upgrade ({})",
                response.status()
            ),
        )),
        Ok(Err(e)) => Err((None, format!("WebSocket handshake failed: {e}"))),
        Err(_) => Err((None, "WebSocket handshake timed out".to_owned())),
    }
}

async fn tls_stream(
    host: &str,
    tcp: tokio::net::TcpStream,
) -> Result<Box<dyn Io>, (Option<u16>, String)> {
    use tokio_rustls::rustls;
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
    let stream = tokio_rustls::TlsConnector::from(Arc::new(config))
        .connect(name, tcp)
        .await
        .map_err(|e| (None, format!("TLS handshake failed: {e}")))?;
    Ok(Box::new(stream))
}

#[cfg(test)]
mod tests {
    /// Handles and subscriptions move into tasks; the connection is shared by reference.
    #[test]
    fn handles_are_send_and_the_connection_is_sync() {
        fn send<T: Send>() {}
        fn sync<T: Sync>() {}
        send::<super::Realtime>();
        sync::<super::Realtime>();
        send::<super::Subscription<serde_json::Value>>();
    }

    /// Item calls can be awaited in spawned tasks.
    #[allow(dead_code)]
    fn item_calls_are_send(rt: &super::Realtime) {
        fn send<T: Send>(_: T) {}
        send(rt.items(super::ItemsCall::read("x")));
    }
}
