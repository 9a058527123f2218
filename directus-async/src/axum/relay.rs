//! The realtime relay route: a browser's subscriptions, carried to Directus on the browser's
//! own identity. Every decision is [`directus_proto::web::relay`]'s; this module moves frames.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use ::axum::body::Body;
use ::axum::extract::Request;
use ::axum::http::header::{CONNECTION, SET_COOKIE, UPGRADE};
use ::axum::http::{HeaderValue, StatusCode};
use ::axum::response::{IntoResponse, Response};
use directus_proto::realtime::Event;
use directus_proto::web::relay::{self, Close, Decision, Relay, SessionPlan, SubKey, Timer};
use futures_util::stream::{AbortHandle, SelectAll, abortable};
use futures_util::{SinkExt, Stream, StreamExt};
use hyper_util::rt::TokioIo;
use tokio::sync::{mpsc, oneshot};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::frame::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};
use tokio_tungstenite::tungstenite::{self, Message};

use super::caller::Caller;
use super::error::WebError;
use crate::realtime::Realtime;

/// How long the close handshake may take once the relay decided to close.
const CLOSE_WAIT: Duration = Duration::from_secs(2);

/// The realtime relay: a WebSocket route that carries the caller's subscriptions to Directus
/// (features `axum` and `realtime`; needs the [`session`](super::session) middleware). Mount
/// it with `.route("/realtime", get(realtime))`.
///
/// The upgrade request is authenticated like any other (bearer header, or cookies, refreshed
/// first when the access token is short-lived: the `101` answer then sets the rotated
/// cookies); without credentials it is answered `401` (or the configured redirect). The app
/// opens its own socket to Directus with the caller's access token (never the service
/// account's, never the browser's refresh token), and relays the browser's `subscribe` /
/// `unsubscribe` messages, in Directus' own shapes, checked against the allow-list and
/// limits of [`WebBuilder::realtime`](super::WebBuilder::realtime). Events come back as
/// Directus sends them. The protocol, the limits and the close codes are in
/// [`directus_proto::web::relay`].
///
/// ```no_run
/// use axum::{Router, routing::get};
/// use directus_async::axum::{DirectusWeb, realtime, session};
/// use directus_proto::web::relay::RelayConfig;
///
/// # fn demo() -> directus_async::Result<()> {
/// let web = DirectusWeb::builder("http://127.0.0.1:8055")
///     .realtime(RelayConfig::default().collections(["posts"]))
///     .build()?;
/// let app: Router = Router::new()
///     .route("/realtime", get(realtime))
///     .layer(axum::middleware::from_fn_with_state(web, session));
/// # Ok(())
/// # }
/// ```
///
/// In the browser:
///
/// ```text
/// const ws = new WebSocket("wss://app.example.com/realtime"); // the cookies go along
/// ws.onopen = () => ws.send(JSON.stringify({type: "subscribe", uid: "posts", collection: "posts",
///                                           query: {fields: ["id", "title"]}}));
/// ws.onmessage = (m) => console.log(JSON.parse(m.data)); // {type: "subscription", event: "init", ...}
/// ws.onclose = (e) => { if (e.code === 4401) reconnect(); };  // the session ended: open a new one
/// ```
pub async fn realtime(caller: Caller, request: Request) -> Response {
    match upgrade(caller, request).await {
        Ok(response) => response,
        Err(error) => error.into_response(),
    }
}

async fn upgrade(caller: Caller, mut request: Request) -> Result<Response, WebError> {
    let Some(key) = relay::websocket_key(request.headers()) else {
        return Err(WebError::new(
            StatusCode::UPGRADE_REQUIRED,
            "INVALID_PAYLOAD",
            "Expected a WebSocket upgrade.",
        ));
    };
    let accept = derive_accept_key(key.as_bytes());
    if request
        .extensions()
        .get::<hyper::upgrade::OnUpgrade>()
        .is_none()
    {
        // Served by something that cannot hand the connection over.
        return Err(WebError::internal());
    }
    let Ok(slot) = Arc::clone(&caller.web.shared.relay_slots).try_acquire_owned() else {
        return Err(WebError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "SERVICE_UNAVAILABLE",
            "Too many realtime connections: try again later.",
        ));
    };
    let on_upgrade = hyper::upgrade::on(&mut request);
    let expired = || {
        WebError::new(
            StatusCode::UNAUTHORIZED,
            "TOKEN_EXPIRED",
            "The session has expired.",
        )
    };
    let tokens = caller.client.tokens().ok_or_else(expired)?;
    let mut access = tokens.access_token;
    let mut plan = relay::session_plan(
        access.expose(),
        tokens.refresh_token.is_some(),
        SystemTime::now(),
    );
    let mut cookies = Vec::new();
    if plan == SessionPlan::RefreshFirst
        && let Some(refresh) = tokens.refresh_token
    {
        // The same single-flight rotation as the session middleware's (concurrent requests of
        // this browser share it); the `101` answer carries the rotated cookies.
        let rotated = caller.web.rotate(refresh).await?;
        cookies = caller.web.shared.cookies.set_cookies(&rotated)?;
        access = rotated.access_token;
        plan = relay::session_plan(access.expose(), false, SystemTime::now());
    }
    let SessionPlan::Open(session) = plan else {
        return Err(expired());
    };
    // The socket's own client: the caller's access token only, so that the socket never
    // rotates the refresh token the browser holds.
    let upstream = caller.web.builder_for_caller().token(access.expose())?;
    // Credentials Directus refuses are a `401` now, not a socket that fails later (the
    // answer is kept per token, as for the guards).
    caller.web.access(&upstream).await?;
    let config = caller.web.shared.relay.clone();
    tokio::spawn(async move {
        let _slot = slot;
        let Ok(upgraded) = on_upgrade.await else {
            return;
        };
        let limit = config.frame_limit_bytes();
        let ws_config = WebSocketConfig::default()
            .max_message_size(Some(limit))
            .max_frame_size(Some(limit));
        let socket =
            WebSocketStream::from_raw_socket(TokioIo::new(upgraded), Role::Server, Some(ws_config))
                .await;
        let Ok(realtime) = upstream.realtime_with(config.upstream_config().clone()) else {
            return;
        };
        run(
            socket,
            realtime,
            Relay::new(config, session, Instant::now()),
        )
        .await;
    });
    let mut response = Response::new(Body::empty());
    *response.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    let headers = response.headers_mut();
    headers.insert(CONNECTION, HeaderValue::from_static("upgrade"));
    headers.insert(UPGRADE, HeaderValue::from_static("websocket"));
    if let Ok(accept) = HeaderValue::from_str(&accept) {
        headers.insert("sec-websocket-accept", accept);
    }
    for cookie in cookies {
        headers.append(SET_COOKIE, cookie);
    }
    Ok(response)
}

type Events =
    SelectAll<std::pin::Pin<Box<dyn Stream<Item = (SubKey, Option<crate::Result<Event>>)> + Send>>>;

/// One browser socket: reads the browser, routes the subscriptions' events into a bounded
/// queue to the writer, runs the heartbeat and the session's end.
async fn run<S>(socket: WebSocketStream<S>, upstream: Realtime, mut relay: Relay)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let (sink, mut incoming) = socket.split();
    let (queue, queued) = mpsc::channel(relay.config().queue_len());
    let (close_tx, close_rx) = oneshot::channel();
    let writer = tokio::spawn(write(
        sink,
        queued,
        close_rx,
        relay.config().write_timeout_duration(),
    ));
    let mut events: Events = SelectAll::new();
    let mut aborts: HashMap<SubKey, AbortHandle> = HashMap::new();
    let send = |text: String| queue.try_send(Message::text(text)).is_ok();
    let close = loop {
        let deadline = tokio::time::Instant::from_std(relay.deadline());
        tokio::select! {
            message = incoming.next() => match message {
                Some(Ok(Message::Text(text))) => {
                    match relay.received_text(text.as_str(), Instant::now()) {
                        Decision::Subscribe { key, subscribe } => {
                            let (stream, abort) = abortable(upstream.subscribe(*subscribe));
                            aborts.insert(key, abort);
                            let tagged = stream
                                .map(move |item| (key, Some(item)))
                                .chain(futures_util::stream::once(async move { (key, None) }));
                            events.push(Box::pin(tagged));
                        }
                        Decision::Unsubscribe { key, reply } => {
                            if let Some(abort) = aborts.remove(&key) {
                                abort.abort();
                            }
                            if !send(reply) {
                                break Some(Close::TOO_SLOW);
                            }
                        }
                        Decision::Reply(reply) => {
                            if !send(reply) {
                                break Some(Close::TOO_SLOW);
                            }
                        }
                        Decision::Close(close) => break Some(close),
                    }
                }
                Some(Ok(Message::Binary(_))) => break Some(relay.received_binary(Instant::now())),
                Some(Ok(Message::Close(_))) | None => break None,
                // Pings are answered by tungstenite; pongs and pings show the browser is there.
                Some(Ok(_)) => relay.received(Instant::now()),
                Some(Err(tungstenite::Error::Capacity(_))) => break Some(Close::TOO_LARGE),
                Some(Err(_)) => break None,
            },
            next = events.next(), if !events.is_empty() => {
                let Some((key, item)) = next else {
                    // The last subscription ended. Directus gone for good (after every
                    // subscription told its error and its end) ends the browser's socket too.
                    if upstream.status().finished {
                        break Some(Close::UPSTREAM_GONE);
                    }
                    continue;
                };
                let text = match item {
                    Some(event) => relay.event(key, event),
                    None => {
                        aborts.remove(&key);
                        relay.ended(key)
                    }
                };
                if let Some(text) = text
                    && !send(text)
                {
                    break Some(Close::TOO_SLOW);
                }
            }
            () = tokio::time::sleep_until(deadline) => match relay.timer(Instant::now()) {
                Some(Timer::Ping) => {
                    let queued = queue.try_send(Message::Ping(Default::default()));
                    if queued.is_err() {
                        break Some(Close::TOO_SLOW);
                    }
                }
                Some(Timer::Close(close)) => break Some(close),
                None => {}
            },
        }
    };
    // Both sides end: the subscriptions (and with the last handle, the socket to Directus),
    // then the browser's socket, with the reason when the relay is the one closing.
    drop(events);
    upstream.close();
    if let Some(close) = close {
        // After what is queued, unless the queue is why (or is full).
        let frame = Message::Close(Some(close_frame(close)));
        if close == Close::TOO_SLOW || queue.try_send(frame).is_err() {
            let _ = close_tx.send(close);
        }
    }
    drop(queue);
    let _ = writer.await;
}

fn close_frame(close: Close) -> CloseFrame {
    CloseFrame {
        code: close.code.into(),
        reason: close.reason.into(),
    }
}

/// Writes the queue to the browser (a close frame in it included), each write bounded in time;
/// a close reason on `close` goes first (a full queue does not hold it back).
async fn write<S>(
    mut sink: futures_util::stream::SplitSink<WebSocketStream<S>, Message>,
    mut queued: mpsc::Receiver<Message>,
    mut close: oneshot::Receiver<Close>,
    timeout: Duration,
) where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    loop {
        tokio::select! {
            biased;
            reason = &mut close => {
                let frame = reason.ok().map(close_frame);
                let _ = tokio::time::timeout(CLOSE_WAIT, sink.send(Message::Close(frame))).await;
                let _ = tokio::time::timeout(CLOSE_WAIT, sink.close()).await;
                return;
            }
            message = queued.recv() => {
                let Some(message) = message else {
                    let _ = tokio::time::timeout(CLOSE_WAIT, sink.close()).await;
                    return;
                };
                if !matches!(tokio::time::timeout(timeout, sink.send(message)).await, Ok(Ok(()))) {
                    return;
                }
            }
        }
    }
}
