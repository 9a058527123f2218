//! The decisions of a realtime relay: a web service's WebSocket route that carries a browser's
//! subscriptions to Directus on the browser's own identity, without exposing Directus
//! (`directus_async::axum::realtime` moves the frames; py-directus calls this its realtime
//! proxy).
//!
//! # The browser's protocol
//!
//! The browser speaks a strict subset of Directus' own realtime messages, so Directus' realtime
//! documentation applies to it: `subscribe`, `unsubscribe` and `ping`, with the answers Directus
//! gives. There is no `auth` message: the app authenticated the caller when the socket was
//! opened (bearer header or cookies, as for any route), and the socket to Directus is the
//! app's business. Every message is parsed into typed values and the frame for Directus is
//! built anew (its own `uid`s, its own token): nothing the browser writes reaches Directus as
//! it was written, and `auth`, `items` or any unknown message type or field is refused with an
//! error message. The browser never learns Directus' URL or a token.
//!
//! | direction | message |
//! |---|---|
//! | → | `{"type":"subscribe","uid":"u1","collection":"posts","query":{"fields":[…],"filter":{…},"sort":["-date"],"limit":10,"search":"…"}?,"event":"create"\|"update"\|"delete"?,"item":7?}` |
//! | → | `{"type":"unsubscribe","uid":"u1"}` |
//! | → | `{"type":"ping"}` |
//! | ← | `{"type":"subscription","event":"init"\|"create"\|"update"\|"delete","data":[…],"uid":"u1"}` (`data`: rows, or keys for `delete`) |
//! | ← | `{"type":"subscription","event":"reconnected","uid":"u1"}`: the relay's socket to Directus was lost and is back; a fresh `init` follows |
//! | ← | `{"type":"subscription","event":"unsubscribe","uid":"u1"}`: the subscription ended (asked for, or after a final error) |
//! | ← | `{"type":"subscribe"\|"unsubscribe"\|"error","status":"error","error":{"code":"FORBIDDEN",…,"message":"…"},"uid":"u1"?}` |
//! | ← | `{"type":"pong"}` |
//!
//! Unlike Directus, a `uid` is required (1 to [`MAX_UID_LEN`] printable characters) and may not
//! be reused while its subscription lives.
//!
//! # Limits
//!
//! [`RelayConfig`]: the number of sockets the app relays at once (more are answered `503`),
//! the largest browser message (larger closes the socket with `1009`), the
//! number of subscriptions per socket, the queue of messages to the browser (a browser that
//! falls that far behind is closed with `1008`), the heartbeat (a WebSocket ping after a quiet
//! period, a close after another one without any frame), and the collections a browser may
//! subscribe to ([`RelayConfig::collections`]; by default any collection but Directus' system
//! collections). Directus' permissions apply on top: a collection the caller may not read
//! answers `FORBIDDEN`.
//!
//! # Sessions
//!
//! The socket to Directus uses the caller's access token and never the browser's refresh
//! token: Directus rotates refresh tokens, and a socket cannot send the browser a new cookie.
//! So the relay ends the browser's socket with [`Close::SESSION_EXPIRED`] shortly before the
//! access token expires ([`session_plan`]); the browser opens a new one, and that request
//! refreshes its cookies like any other (the `101` answer carries them).
//!
//! ```
//! use directus_proto::web::relay::{Decision, Relay, RelayConfig};
//! use std::time::Instant;
//!
//! let now = Instant::now();
//! let mut relay = Relay::new(RelayConfig::default().collections(["posts"]), None, now);
//! let Decision::Subscribe { key, subscribe } =
//!     relay.received_text(r#"{"type":"subscribe","uid":"u1","collection":"posts"}"#, now)
//! else { panic!() };
//! assert_eq!(subscribe.collection(), "posts");
//! // Outside the allow-list: an error for the browser, nothing for Directus.
//! let Decision::Reply(reply) =
//!     relay.received_text(r#"{"type":"subscribe","uid":"u2","collection":"secrets"}"#, now)
//! else { panic!() };
//! assert!(reply.contains("FORBIDDEN"));
//! # let _ = key;
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use http::HeaderMap;
use http::header::{CONNECTION, UPGRADE};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::credentials::jwt_times;
use crate::error::Error;
use crate::realtime::{Backoff, Event, EventKind, RealtimeConfig, Subscribe};
use crate::{F, Key, Order, Query};

/// The longest `uid` a browser may give a subscription.
pub const MAX_UID_LEN: usize = 64;

/// How long before its access token expires the relay ends a browser's socket (a tenth of the
/// token's lifetime when that is shorter).
pub const SESSION_MARGIN: Duration = Duration::from_secs(5);

/// The shortest session worth opening a socket for (half the token's lifetime when that is
/// shorter): with less left, a caller that can refresh (cookies) refreshes first.
pub const MIN_SESSION: Duration = Duration::from_secs(30);

/// The limits and the allow-list of a realtime relay.
///
/// ```
/// use directus_proto::web::relay::RelayConfig;
/// use std::time::Duration;
///
/// let config = RelayConfig::default()
///     .collections(["posts", "comments"])
///     .frame_limit(16 * 1024)
///     .max_subscriptions(8)
///     .queue(128)
///     .heartbeat(Duration::from_secs(20));
/// assert!(config.allows("posts"));
/// assert!(!config.allows("directus_users"));
/// ```
#[derive(Clone, Debug)]
pub struct RelayConfig {
    max_connections: usize,
    frame_limit: usize,
    max_subscriptions: usize,
    queue: usize,
    heartbeat: Duration,
    write_timeout: Duration,
    collections: Option<BTreeSet<String>>,
    upstream: RealtimeConfig,
}

impl Default for RelayConfig {
    fn default() -> Self {
        RelayConfig {
            max_connections: 1024,
            frame_limit: 64 * 1024,
            max_subscriptions: 16,
            queue: 256,
            heartbeat: Duration::from_secs(30),
            write_timeout: Duration::from_secs(10),
            collections: None,
            upstream: RealtimeConfig::default()
                .buffer(1024)
                .backoff(Backoff::default().max_attempts(Some(6))),
        }
    }
}

impl RelayConfig {
    /// How many browser sockets the app relays at once (default 1024; each holds a socket to
    /// Directus). Over the limit, an upgrade is answered `503`.
    ///
    /// ```
    /// # use directus_proto::web::relay::RelayConfig;
    /// assert_eq!(RelayConfig::default().max_connections(10).connection_limit(), 10);
    /// ```
    pub fn max_connections(mut self, count: usize) -> Self {
        self.max_connections = count;
        self
    }

    /// How many browser sockets the app relays at once.
    ///
    /// ```
    /// # use directus_proto::web::relay::RelayConfig;
    /// assert_eq!(RelayConfig::default().connection_limit(), 1024);
    /// ```
    pub fn connection_limit(&self) -> usize {
        self.max_connections
    }

    /// The largest message a browser may send, in bytes (default 64 KiB); a larger one closes
    /// its socket with `1009`.
    ///
    /// ```
    /// # use directus_proto::web::relay::RelayConfig;
    /// assert_eq!(RelayConfig::default().frame_limit(1024).frame_limit_bytes(), 1024);
    /// ```
    pub fn frame_limit(mut self, bytes: usize) -> Self {
        self.frame_limit = bytes.max(1);
        self
    }

    /// The largest message a browser may send.
    ///
    /// ```
    /// # use directus_proto::web::relay::RelayConfig;
    /// assert_eq!(RelayConfig::default().frame_limit_bytes(), 64 * 1024);
    /// ```
    pub fn frame_limit_bytes(&self) -> usize {
        self.frame_limit
    }

    /// How many subscriptions one socket may hold (default 16); more are refused with an
    /// error message.
    ///
    /// ```
    /// # use directus_proto::web::relay::RelayConfig;
    /// assert_eq!(RelayConfig::default().max_subscriptions(2).subscription_limit(), 2);
    /// ```
    pub fn max_subscriptions(mut self, count: usize) -> Self {
        self.max_subscriptions = count;
        self
    }

    /// How many subscriptions one socket may hold.
    ///
    /// ```
    /// # use directus_proto::web::relay::RelayConfig;
    /// assert_eq!(RelayConfig::default().subscription_limit(), 16);
    /// ```
    pub fn subscription_limit(&self) -> usize {
        self.max_subscriptions
    }

    /// How many messages wait for a slow browser (default 256). A browser that falls that far
    /// behind is closed with [`Close::TOO_SLOW`]: it reconnects and starts from a fresh `init`,
    /// rather than the app holding an unbounded backlog or Directus' events being dropped
    /// silently.
    ///
    /// ```
    /// # use directus_proto::web::relay::RelayConfig;
    /// assert_eq!(RelayConfig::default().queue(8).queue_len(), 8);
    /// ```
    pub fn queue(mut self, messages: usize) -> Self {
        self.queue = messages.max(1);
        self
    }

    /// How many messages wait for a slow browser.
    ///
    /// ```
    /// # use directus_proto::web::relay::RelayConfig;
    /// assert_eq!(RelayConfig::default().queue_len(), 256);
    /// ```
    pub fn queue_len(&self) -> usize {
        self.queue
    }

    /// After this long without a frame from the browser the relay sends a WebSocket ping
    /// (browsers answer on their own), and after as long again without any frame it closes
    /// with [`Close::IDLE`] (default 30 s).
    ///
    /// ```
    /// # use directus_proto::web::relay::RelayConfig;
    /// # use std::time::Duration;
    /// let config = RelayConfig::default().heartbeat(Duration::from_secs(10));
    /// assert_eq!(config.heartbeat_period(), Duration::from_secs(10));
    /// ```
    pub fn heartbeat(mut self, period: Duration) -> Self {
        self.heartbeat = period.max(Duration::from_millis(10));
        self
    }

    /// The heartbeat period.
    ///
    /// ```
    /// # use directus_proto::web::relay::RelayConfig;
    /// assert_eq!(RelayConfig::default().heartbeat_period().as_secs(), 30);
    /// ```
    pub fn heartbeat_period(&self) -> Duration {
        self.heartbeat
    }

    /// How long one write to the browser may take before the socket is given up (default 10 s).
    ///
    /// ```
    /// # use directus_proto::web::relay::RelayConfig;
    /// # use std::time::Duration;
    /// let config = RelayConfig::default().write_timeout(Duration::from_secs(2));
    /// assert_eq!(config.write_timeout_duration(), Duration::from_secs(2));
    /// ```
    pub fn write_timeout(mut self, timeout: Duration) -> Self {
        self.write_timeout = timeout;
        self
    }

    /// How long one write to the browser may take.
    ///
    /// ```
    /// # use directus_proto::web::relay::RelayConfig;
    /// assert_eq!(RelayConfig::default().write_timeout_duration().as_secs(), 10);
    /// ```
    pub fn write_timeout_duration(&self) -> Duration {
        self.write_timeout
    }

    /// Only these collections may be subscribed to (system collections too, when named).
    /// Without a list, any collection but Directus' own (`directus_*`) may be.
    ///
    /// ```
    /// # use directus_proto::web::relay::RelayConfig;
    /// let config = RelayConfig::default().collections(["posts", "directus_users"]);
    /// assert!(config.allows("directus_users") && !config.allows("comments"));
    /// ```
    pub fn collections<I, S>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.collections = Some(names.into_iter().map(Into::into).collect());
        self
    }

    /// Whether a browser may subscribe to `collection`.
    ///
    /// ```
    /// # use directus_proto::web::relay::RelayConfig;
    /// assert!(RelayConfig::default().allows("posts"));
    /// assert!(!RelayConfig::default().allows("directus_users"));
    /// ```
    pub fn allows(&self, collection: &str) -> bool {
        match &self.collections {
            Some(names) => names.contains(collection),
            None => !collection.starts_with("directus_"),
        }
    }

    /// The settings of the relay's own socket to Directus (auth mode, path, keepalive,
    /// reconnect backoff, frame limit, per-subscription buffer). The default is
    /// [`RealtimeConfig::default`] with 1024 events buffered per subscription and at most six
    /// reconnect attempts in a row: a Directus that stays away ends the browser's socket with
    /// [`Close::UPSTREAM_GONE`] (after an error message per subscription) rather than leaving it
    /// silent.
    ///
    /// ```
    /// # use directus_proto::web::relay::RelayConfig;
    /// use directus_proto::realtime::{AuthMode, RealtimeConfig};
    /// let config = RelayConfig::default().upstream(RealtimeConfig::default().auth(AuthMode::Strict));
    /// assert_eq!(config.upstream_config().auth_mode(), AuthMode::Strict);
    /// ```
    pub fn upstream(mut self, config: RealtimeConfig) -> Self {
        self.upstream = config;
        self
    }

    /// The settings of the relay's own socket to Directus.
    ///
    /// ```
    /// # use directus_proto::web::relay::RelayConfig;
    /// let _ = RelayConfig::default().upstream_config();
    /// ```
    pub fn upstream_config(&self) -> &RealtimeConfig {
        &self.upstream
    }
}

/// How the relay closes a browser's socket: a WebSocket close code and a reason (both
/// documented for browser code to act on).
///
/// ```
/// use directus_proto::web::relay::Close;
/// assert_eq!(Close::TOO_LARGE.code, 1009);
/// assert!(Close::SESSION_EXPIRED.reason.len() <= 123);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Close {
    /// The close code.
    pub code: u16,
    /// The reason (at most 123 bytes, as the protocol requires).
    pub reason: &'static str,
}

impl Close {
    /// A message over [`RelayConfig::frame_limit`].
    pub const TOO_LARGE: Close = Close {
        code: 1009,
        reason: "message too large",
    };
    /// A binary message: the relay speaks JSON text.
    pub const UNSUPPORTED: Close = Close {
        code: 1003,
        reason: "text messages only",
    };
    /// The browser fell [`RelayConfig::queue`] messages behind: reconnect.
    pub const TOO_SLOW: Close = Close {
        code: 1008,
        reason: "too slow: the message queue is full",
    };
    /// No frame from the browser for two heartbeat periods.
    pub const IDLE: Close = Close {
        code: 1001,
        reason: "no answer to ping",
    };
    /// The access token is about to expire: open a new socket (its request refreshes the
    /// cookies).
    pub const SESSION_EXPIRED: Close = Close {
        code: 4401,
        reason: "session expired: reconnect",
    };
    /// The relay's socket to Directus ended for good: reconnect later.
    pub const UPSTREAM_GONE: Close = Close {
        code: 1011,
        reason: "the realtime service is unavailable",
    };
}

/// Names one subscription of a [`Relay`] (never reused on one socket, unlike `uid`s).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SubKey(u64);

/// What to do with a browser's message.
#[derive(Debug)]
pub enum Decision {
    /// Subscribe on the relay's socket to Directus; events go to [`Relay::event`] with `key`.
    Subscribe {
        /// The subscription's key.
        key: SubKey,
        /// What to subscribe to.
        subscribe: Box<Subscribe>,
    },
    /// End this subscription, and send `reply` (the confirmation) to the browser.
    Unsubscribe {
        /// The subscription's key.
        key: SubKey,
        /// The confirmation for the browser.
        reply: String,
    },
    /// Send this to the browser (an error, a `pong`).
    Reply(String),
    /// Close the browser's socket.
    Close(Close),
}

/// What a due timer asks for ([`Relay::timer`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Timer {
    /// Send the browser a WebSocket ping.
    Ping,
    /// Close the browser's socket.
    Close(Close),
}

/// How long a socket may be relayed on the caller's current access token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SessionPlan {
    /// Open it; end it after this long (`None`: a token without an expiry, such as a static
    /// token).
    Open(Option<Duration>),
    /// Refresh the caller's tokens first (less than [`MIN_SESSION`] left, and the caller can).
    RefreshFirst,
    /// The token is expired (or about to be) and cannot be refreshed: refuse with `401`.
    Expired,
}

/// How long a relay may use `access_token` at `now` (the wall clock: JWT times are Unix
/// times): until [`SESSION_MARGIN`] before its `exp`. With less than [`MIN_SESSION`] left, a
/// caller that can refresh (`can_refresh`: it came with a refresh cookie) refreshes first.
/// Both shrink with short-lived tokens (a tenth and a half of the lifetime from `iat` to
/// `exp`), so that a fresh token is always used as it is.
///
/// ```
/// use directus_proto::web::relay::{SessionPlan, session_plan};
/// use std::time::SystemTime;
/// // An opaque static token never expires as far as the relay can tell.
/// assert_eq!(session_plan("drs-static-token", false, SystemTime::now()), SessionPlan::Open(None));
/// ```
pub fn session_plan(access_token: &str, can_refresh: bool, now: SystemTime) -> SessionPlan {
    let Some((iat, exp)) = jwt_times(access_token) else {
        return SessionPlan::Open(None);
    };
    let lifetime = Duration::from_secs(exp.saturating_sub(iat.unwrap_or(exp)));
    let (margin, short) = if lifetime.is_zero() {
        (SESSION_MARGIN, MIN_SESSION)
    } else {
        (
            SESSION_MARGIN.min(lifetime / 10),
            MIN_SESSION.min(lifetime / 2),
        )
    };
    // Rounded up: the time left is never overestimated.
    let since = now.duration_since(UNIX_EPOCH).unwrap_or_default();
    let now = since.as_secs() + u64::from(since.subsec_nanos() > 0);
    let usable = Duration::from_secs(exp.saturating_sub(now)).saturating_sub(margin);
    if !usable.is_zero() && usable >= short {
        SessionPlan::Open(Some(usable))
    } else if can_refresh {
        SessionPlan::RefreshFirst
    } else if usable.is_zero() {
        SessionPlan::Expired
    } else {
        SessionPlan::Open(Some(usable))
    }
}

/// The `Sec-WebSocket-Key` of a WebSocket upgrade request (`Connection: upgrade`,
/// `Upgrade: websocket`, `Sec-WebSocket-Version: 13`, a 16-byte key in base64), or `None`
/// when the request is not one.
///
/// ```
/// use directus_proto::web::relay::websocket_key;
/// let mut headers = http::HeaderMap::new();
/// headers.insert("connection", "keep-alive, Upgrade".parse().unwrap());
/// headers.insert("upgrade", "websocket".parse().unwrap());
/// headers.insert("sec-websocket-version", "13".parse().unwrap());
/// headers.insert("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==".parse().unwrap());
/// assert_eq!(websocket_key(&headers), Some("dGhlIHNhbXBsZSBub25jZQ=="));
/// headers.remove("upgrade");
/// assert_eq!(websocket_key(&headers), None);
/// ```
pub fn websocket_key(headers: &HeaderMap) -> Option<&str> {
    let has_token = |name, token: &str| {
        headers.get_all(name).iter().any(|v| {
            v.to_str()
                .is_ok_and(|v| v.split(',').any(|t| t.trim().eq_ignore_ascii_case(token)))
        })
    };
    if !has_token(CONNECTION, "upgrade") || !has_token(UPGRADE, "websocket") {
        return None;
    }
    if headers.get("sec-websocket-version")?.as_bytes() != b"13" {
        return None;
    }
    let key = headers.get("sec-websocket-key")?.to_str().ok()?;
    let base64 = |b: u8| b.is_ascii_alphanumeric() || b == b'+' || b == b'/';
    let bytes = key.as_bytes();
    (bytes.len() == 24 && bytes[..22].iter().all(|&b| base64(b)) && &bytes[22..] == b"==")
        .then_some(key)
}

/// The relay of one browser socket: its subscriptions, its heartbeat and its session's end.
/// See the [module docs](self).
#[derive(Debug)]
pub struct Relay {
    config: RelayConfig,
    /// Browser uid → key, and back.
    uids: BTreeMap<String, SubKey>,
    keys: BTreeMap<SubKey, String>,
    next_key: u64,
    last_seen: Instant,
    ping_sent: Option<Instant>,
    session_end: Option<Instant>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SubscribeMessage {
    #[serde(rename = "type")]
    _type: String,
    #[serde(rename = "uid")]
    _uid: String,
    collection: String,
    #[serde(default)]
    query: Option<QueryMessage>,
    #[serde(default)]
    event: Option<EventMessage>,
    #[serde(default)]
    item: Option<Key>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct QueryMessage {
    #[serde(default)]
    fields: Option<Vec<String>>,
    #[serde(default)]
    filter: Option<Value>,
    #[serde(default)]
    sort: Option<Vec<String>>,
    #[serde(default)]
    limit: Option<u32>,
    #[serde(default)]
    search: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "lowercase")]
enum EventMessage {
    Create,
    Update,
    Delete,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UnsubscribeMessage {
    #[serde(rename = "type")]
    _type: String,
    uid: String,
}

/// An error message for the browser, in Directus' shape.
fn error_message(kind: &str, uid: Option<&str>, code: &str, message: &str) -> String {
    let mut out = Map::new();
    out.insert("type".into(), json!(kind));
    out.insert("status".into(), json!("error"));
    out.insert("error".into(), json!({"code": code, "message": message}));
    if let Some(uid) = uid {
        out.insert("uid".into(), json!(uid));
    }
    Value::Object(out).to_string()
}

fn invalid(kind: &str, uid: Option<&str>, message: &str) -> Decision {
    Decision::Reply(error_message(kind, uid, "INVALID_PAYLOAD", message))
}

/// A serde message about the browser's own input, shortened.
fn describe(error: &serde_json::Error) -> String {
    let mut text = error.to_string();
    if text.len() > 200 {
        let mut end = 200;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
    }
    text
}

fn valid_uid(uid: &str) -> bool {
    !uid.is_empty() && uid.len() <= MAX_UID_LEN && !uid.chars().any(char::is_control)
}

impl Relay {
    /// The relay of a socket opened at `now`, whose session ends after `session` (from
    /// [`session_plan`]).
    ///
    /// ```
    /// # use directus_proto::web::relay::{Relay, RelayConfig};
    /// let relay = Relay::new(RelayConfig::default(), None, std::time::Instant::now());
    /// assert_eq!(relay.subscriptions(), 0);
    /// ```
    pub fn new(config: RelayConfig, session: Option<Duration>, now: Instant) -> Self {
        Relay {
            config,
            uids: BTreeMap::new(),
            keys: BTreeMap::new(),
            next_key: 1,
            last_seen: now,
            ping_sent: None,
            session_end: session.and_then(|d| now.checked_add(d)),
        }
    }

    /// The config.
    ///
    /// ```
    /// # use directus_proto::web::relay::{Relay, RelayConfig};
    /// let relay = Relay::new(RelayConfig::default(), None, std::time::Instant::now());
    /// assert_eq!(relay.config().queue_len(), 256);
    /// ```
    pub fn config(&self) -> &RelayConfig {
        &self.config
    }

    /// How many subscriptions are live.
    ///
    /// ```
    /// # use directus_proto::web::relay::{Relay, RelayConfig};
    /// let relay = Relay::new(RelayConfig::default(), None, std::time::Instant::now());
    /// assert_eq!(relay.subscriptions(), 0);
    /// ```
    pub fn subscriptions(&self) -> usize {
        self.uids.len()
    }

    /// A frame of any kind arrived from the browser (a pong, say): it is alive.
    ///
    /// ```
    /// # use directus_proto::web::relay::{Relay, RelayConfig};
    /// # let now = std::time::Instant::now();
    /// let mut relay = Relay::new(RelayConfig::default(), None, now);
    /// relay.received(now);
    /// ```
    pub fn received(&mut self, now: Instant) {
        self.last_seen = now;
        self.ping_sent = None;
    }

    /// A binary message arrived: the socket is closed ([`Close::UNSUPPORTED`]).
    ///
    /// ```
    /// # use directus_proto::web::relay::{Close, Relay, RelayConfig};
    /// # let now = std::time::Instant::now();
    /// let mut relay = Relay::new(RelayConfig::default(), None, now);
    /// assert_eq!(relay.received_binary(now), Close::UNSUPPORTED);
    /// ```
    pub fn received_binary(&mut self, now: Instant) -> Close {
        self.received(now);
        Close::UNSUPPORTED
    }

    /// A text message arrived from the browser: what to do with it.
    ///
    /// ```
    /// # use directus_proto::web::relay::{Decision, Relay, RelayConfig};
    /// # let now = std::time::Instant::now();
    /// let mut relay = Relay::new(RelayConfig::default(), None, now);
    /// let Decision::Reply(pong) = relay.received_text(r#"{"type":"ping"}"#, now) else { panic!() };
    /// assert_eq!(pong, r#"{"type":"pong"}"#);
    /// let Decision::Reply(refused) = relay.received_text(r#"{"type":"auth","access_token":"x"}"#, now) else { panic!() };
    /// assert!(refused.contains("INVALID_PAYLOAD"));
    /// ```
    pub fn received_text(&mut self, text: &str, now: Instant) -> Decision {
        self.received(now);
        if text.len() > self.config.frame_limit {
            return Decision::Close(Close::TOO_LARGE);
        }
        let message: Value = match serde_json::from_str(text) {
            Ok(message @ Value::Object(_)) => message,
            Ok(_) => return invalid("error", None, "Expected a JSON object."),
            Err(e) => return invalid("error", None, &describe(&e)),
        };
        match message.get("type").and_then(Value::as_str) {
            Some("subscribe") => self.subscribe(message),
            Some("unsubscribe") => self.unsubscribe(message),
            Some("ping") => Decision::Reply(r#"{"type":"pong"}"#.to_owned()),
            _ => invalid(
                "error",
                None,
                "Only subscribe, unsubscribe and ping messages are accepted.",
            ),
        }
    }

    fn subscribe(&mut self, message: Value) -> Decision {
        let uid = message
            .get("uid")
            .and_then(Value::as_str)
            .filter(|u| valid_uid(u))
            .map(str::to_owned);
        let Some(uid) = uid else {
            return invalid(
                "subscribe",
                None,
                "A subscription needs a uid (1 to 64 printable characters).",
            );
        };
        let message: SubscribeMessage = match serde_json::from_value(message) {
            Ok(m) => m,
            Err(e) => return invalid("subscribe", Some(&uid), &describe(&e)),
        };
        if self.uids.contains_key(&uid) {
            return invalid(
                "subscribe",
                Some(&uid),
                "This uid is in use: unsubscribe first.",
            );
        }
        if !self.config.allows(&message.collection) {
            return Decision::Reply(error_message(
                "subscribe",
                Some(&uid),
                "FORBIDDEN",
                "This collection is not available here.",
            ));
        }
        if self.uids.len() >= self.config.max_subscriptions {
            return Decision::Reply(error_message(
                "subscribe",
                Some(&uid),
                "LIMIT_EXCEEDED",
                "Too many subscriptions on this connection.",
            ));
        }
        let mut subscribe = Subscribe::new(message.collection);
        if let Some(query) = message.query {
            match build_query(query) {
                Ok(query) => subscribe = subscribe.query(query),
                Err(text) => return invalid("subscribe", Some(&uid), &text),
            }
        }
        if let Some(event) = message.event {
            subscribe = subscribe.event(match event {
                EventMessage::Create => EventKind::Create,
                EventMessage::Update => EventKind::Update,
                EventMessage::Delete => EventKind::Delete,
            });
        }
        if let Some(item) = message.item {
            subscribe = subscribe.item(item);
        }
        let key = SubKey(self.next_key);
        self.next_key = self.next_key.wrapping_add(1);
        self.uids.insert(uid.clone(), key);
        self.keys.insert(key, uid);
        Decision::Subscribe {
            key,
            subscribe: Box::new(subscribe),
        }
    }

    fn unsubscribe(&mut self, message: Value) -> Decision {
        let message: UnsubscribeMessage = match serde_json::from_value(message) {
            Ok(m) => m,
            Err(e) => return invalid("unsubscribe", None, &describe(&e)),
        };
        match self.uids.remove(&message.uid) {
            Some(key) => {
                self.keys.remove(&key);
                Decision::Unsubscribe {
                    key,
                    reply: ended_message(&message.uid),
                }
            }
            None => invalid(
                "unsubscribe",
                valid_uid(&message.uid).then_some(message.uid.as_str()),
                "No subscription with this uid.",
            ),
        }
    }

    /// An event or error of subscription `key`, as the browser's message (`None` for a
    /// subscription the browser has ended). Errors tell Directus' code and message, never a
    /// URL or a token.
    ///
    /// ```
    /// # use directus_proto::web::relay::{Decision, Relay, RelayConfig};
    /// use directus_proto::realtime::Event;
    /// # let now = std::time::Instant::now();
    /// let mut relay = Relay::new(RelayConfig::default(), None, now);
    /// let Decision::Subscribe { key, .. } =
    ///     relay.received_text(r#"{"type":"subscribe","uid":"u1","collection":"posts"}"#, now) else { panic!() };
    /// let text = relay.event(key, Ok(Event::Create(vec![serde_json::json!({"id": 1})]))).unwrap();
    /// assert_eq!(text, r#"{"data":[{"id":1}],"event":"create","type":"subscription","uid":"u1"}"#);
    /// ```
    pub fn event(&mut self, key: SubKey, event: Result<Event, Error>) -> Option<String> {
        let uid = self.keys.get(&key)?;
        let mut out = Map::new();
        out.insert("type".into(), json!("subscription"));
        let (name, data) = match event {
            Ok(Event::Init(rows)) => ("init", Some(Value::Array(rows))),
            Ok(Event::Create(rows)) => ("create", Some(Value::Array(rows))),
            Ok(Event::Update(rows)) => ("update", Some(Value::Array(rows))),
            Ok(Event::Delete(keys)) => ("delete", Some(json!(keys))),
            Ok(Event::Reconnected) => ("reconnected", None),
            Err(error) => {
                let (_, code, message) = super::error_parts(&error);
                return Some(error_message("subscribe", Some(uid), &code, &message));
            }
        };
        out.insert("event".into(), json!(name));
        if let Some(data) = data {
            out.insert("data".into(), data);
        }
        out.insert("uid".into(), json!(uid));
        Some(Value::Object(out).to_string())
    }

    /// Subscription `key` ended on Directus' side (after a final error, or the socket to
    /// Directus closed): the browser's message saying so, unless the browser ended it itself.
    ///
    /// ```
    /// # use directus_proto::web::relay::{Decision, Relay, RelayConfig};
    /// # let now = std::time::Instant::now();
    /// let mut relay = Relay::new(RelayConfig::default(), None, now);
    /// let Decision::Subscribe { key, .. } =
    ///     relay.received_text(r#"{"type":"subscribe","uid":"u1","collection":"posts"}"#, now) else { panic!() };
    /// assert!(relay.ended(key).unwrap().contains(r#""event":"unsubscribe""#));
    /// assert_eq!(relay.subscriptions(), 0);
    /// assert!(relay.ended(key).is_none());
    /// ```
    pub fn ended(&mut self, key: SubKey) -> Option<String> {
        let uid = self.keys.remove(&key)?;
        self.uids.remove(&uid);
        Some(ended_message(&uid))
    }

    /// When [`Relay::timer`] must be called if nothing arrives first.
    ///
    /// ```
    /// # use directus_proto::web::relay::{Relay, RelayConfig};
    /// # use std::time::{Duration, Instant};
    /// let now = Instant::now();
    /// let relay = Relay::new(RelayConfig::default().heartbeat(Duration::from_secs(5)), None, now);
    /// assert_eq!(relay.deadline(), now + Duration::from_secs(5));
    /// ```
    pub fn deadline(&self) -> Instant {
        let since = self.ping_sent.unwrap_or(self.last_seen);
        let beat = since.checked_add(self.config.heartbeat).unwrap_or(since);
        match self.session_end {
            Some(end) => beat.min(end),
            None => beat,
        }
    }

    /// Runs due timers: the session's end, the heartbeat's ping, the idle close.
    ///
    /// ```
    /// # use directus_proto::web::relay::{Close, Relay, RelayConfig, Timer};
    /// # use std::time::{Duration, Instant};
    /// let now = Instant::now();
    /// let beat = Duration::from_secs(5);
    /// let mut relay = Relay::new(RelayConfig::default().heartbeat(beat), None, now);
    /// assert_eq!(relay.timer(now), None);
    /// assert_eq!(relay.timer(now + beat), Some(Timer::Ping));
    /// assert_eq!(relay.timer(now + beat * 2), Some(Timer::Close(Close::IDLE)));
    /// ```
    pub fn timer(&mut self, now: Instant) -> Option<Timer> {
        if self.session_end.is_some_and(|end| now >= end) {
            return Some(Timer::Close(Close::SESSION_EXPIRED));
        }
        let beat = self.config.heartbeat;
        match self.ping_sent {
            Some(sent) if now >= sent.checked_add(beat).unwrap_or(sent) => {
                Some(Timer::Close(Close::IDLE))
            }
            None if now >= self.last_seen.checked_add(beat).unwrap_or(self.last_seen) => {
                self.ping_sent = Some(now);
                Some(Timer::Ping)
            }
            _ => None,
        }
    }
}

fn ended_message(uid: &str) -> String {
    json!({"type": "subscription", "event": "unsubscribe", "uid": uid}).to_string()
}

/// The query of a browser's subscription, checked as a read's would be.
fn build_query(message: QueryMessage) -> Result<Query, String> {
    let mut query = Query::new();
    if let Some(fields) = message.fields {
        query = query.fields(fields);
    }
    if let Some(filter) = message.filter {
        if !filter.is_object() {
            return Err("The filter must be a JSON object.".into());
        }
        query = query.filter(F::raw(filter));
    }
    for field in message.sort.unwrap_or_default() {
        query = match field.strip_prefix('-') {
            Some(name) => query.sort(name, Order::Desc),
            None => query.sort(field, Order::Asc),
        };
    }
    if let Some(limit) = message.limit {
        query = query.limit(limit);
    }
    if let Some(search) = message.search {
        query = query.search(search);
    }
    // The same checks as a read: names with commas, unbalanced parentheses, filter depth.
    query
        .to_json()
        .map_err(|e| format!("The query cannot be sent: {e}"))?;
    Ok(query)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ApiError, ErrorCode};
    use http::StatusCode;

    fn relay(config: RelayConfig) -> (Relay, Instant) {
        let now = Instant::now();
        (Relay::new(config, None, now), now)
    }

    fn reply(decision: Decision) -> Value {
        match decision {
            Decision::Reply(text) => serde_json::from_str(&text).unwrap(),
            other => panic!("a reply expected, got {other:?}"),
        }
    }

    fn subscribed(decision: Decision) -> (SubKey, Subscribe) {
        match decision {
            Decision::Subscribe { key, subscribe } => (key, *subscribe),
            other => panic!("a subscription expected, got {other:?}"),
        }
    }

    #[test]
    fn subscribe_messages_become_typed_subscriptions() {
        let (mut relay, now) = relay(RelayConfig::default());
        let (_, sub) = subscribed(
            relay.received_text(
                &json!({
                    "type": "subscribe", "uid": "u1", "collection": "posts",
                    "query": {"fields": ["id", "title"], "filter": {"status": {"_eq": "live"}},
                              "sort": ["-date", "id"], "limit": 5, "search": "x"},
                    "event": "create", "item": 7,
                })
                .to_string(),
                now,
            ),
        );
        let expected = Subscribe::new("posts")
            .query(
                Query::new()
                    .fields(["id", "title"])
                    .filter(F::raw(json!({"status": {"_eq": "live"}})))
                    .sort("date", Order::Desc)
                    .sort("id", Order::Asc)
                    .limit(5)
                    .search("x"),
            )
            .event(EventKind::Create)
            .item(7);
        assert_eq!(sub, expected);
        assert_eq!(relay.subscriptions(), 1);
    }

    #[test]
    fn nothing_but_subscribe_unsubscribe_and_ping_passes() {
        let (mut relay, now) = relay(RelayConfig::default());
        for text in [
            r#"{"type":"auth","access_token":"t"}"#,
            r#"{"type":"items","action":"read","collection":"posts"}"#,
            r#"{"type":"subscribe","uid":"u","collection":"posts","access_token":"t"}"#,
            r#"{"type":"subscribe","uid":"u","collection":"posts","query":{"deep":{}}}"#,
            r#"{"type":"subscribe","uid":"u","collection":"posts","query":{"filter":[1]}}"#,
            r#"{"type":"subscribe","uid":"u","collection":"posts","query":{"fields":["a,b"]}}"#,
            r#"{"type":"subscribe","uid":"u","collection":"posts","event":"init"}"#,
            r#"{"type":"subscribe","uid":"u","collection":"posts","item":{"a":1}}"#,
            r#"{"type":"subscribe","collection":"posts"}"#,
            r#"{"type":"subscribe","uid":"","collection":"posts"}"#,
            r#"{"type":"subscribe","uid":"a\nb","collection":"posts"}"#,
            r#"{"type":"unsubscribe","uid":"nope"}"#,
            r#"[1,2]"#,
            r#"not json"#,
            r#"{"no":"type"}"#,
        ] {
            let v = reply(relay.received_text(text, now));
            assert_eq!(v["status"], "error", "{text} → {v}");
            assert!(v["error"]["code"].is_string(), "{text} → {v}");
        }
        assert_eq!(relay.subscriptions(), 0);
        let long_uid = "u".repeat(MAX_UID_LEN + 1);
        let text = json!({"type": "subscribe", "uid": long_uid, "collection": "posts"});
        assert_eq!(
            reply(relay.received_text(&text.to_string(), now))["status"],
            "error"
        );
    }

    #[test]
    fn the_allow_list_and_system_collections() {
        let (mut relay, now) = relay(RelayConfig::default());
        let sub = |c: &str| json!({"type":"subscribe","uid":c,"collection":c}).to_string();
        let v = reply(relay.received_text(&sub("directus_users"), now));
        assert_eq!(v["error"]["code"], "FORBIDDEN");
        assert_eq!(v["uid"], "directus_users");
        subscribed(relay.received_text(&sub("posts"), now));

        let (mut relay, now) = self::relay(RelayConfig::default().collections(["directus_users"]));
        subscribed(relay.received_text(&sub("directus_users"), now));
        let v = reply(relay.received_text(&sub("posts"), now));
        assert_eq!(v["error"]["code"], "FORBIDDEN");
    }

    #[test]
    fn subscriptions_are_limited_and_uids_unique_while_live() {
        let (mut relay, now) = relay(RelayConfig::default().max_subscriptions(2));
        let sub = |u: &str| json!({"type":"subscribe","uid":u,"collection":"posts"}).to_string();
        let (a, _) = subscribed(relay.received_text(&sub("a"), now));
        let v = reply(relay.received_text(&sub("a"), now));
        assert_eq!(v["error"]["code"], "INVALID_PAYLOAD");
        let (b, _) = subscribed(relay.received_text(&sub("b"), now));
        assert_ne!(a, b);
        let v = reply(relay.received_text(&sub("c"), now));
        assert_eq!(v["error"]["code"], "LIMIT_EXCEEDED");
        // Unsubscribing frees a place and the uid; the new subscription gets a new key.
        match relay.received_text(r#"{"type":"unsubscribe","uid":"a"}"#, now) {
            Decision::Unsubscribe { key, reply } => {
                assert_eq!(key, a);
                assert_eq!(
                    serde_json::from_str::<Value>(&reply).unwrap(),
                    json!({"type": "subscription", "event": "unsubscribe", "uid": "a"})
                );
            }
            other => panic!("{other:?}"),
        }
        let (a2, _) = subscribed(relay.received_text(&sub("a"), now));
        assert_ne!(a2, a);
        // Events of the old subscription, still in flight, go nowhere.
        assert!(relay.event(a, Ok(Event::Init(vec![]))).is_none());
        assert!(relay.ended(a).is_none());
        assert!(relay.event(a2, Ok(Event::Init(vec![]))).is_some());
    }

    #[test]
    fn events_and_errors_in_directus_shapes_without_internals() {
        let (mut relay, now) = relay(RelayConfig::default());
        let (key, _) = subscribed(relay.received_text(
            r#"{"type":"subscribe","uid":"u","collection":"posts"}"#,
            now,
        ));
        let mut msg = |e| serde_json::from_str::<Value>(&relay.event(key, e).unwrap()).unwrap();
        assert_eq!(
            msg(Ok(Event::Init(vec![json!({"id": 1})]))),
            json!({"type": "subscription", "event": "init", "data": [{"id": 1}], "uid": "u"})
        );
        assert_eq!(
            msg(Ok(Event::Delete(vec![Key::from(1), Key::from("x")]))),
            json!({"type": "subscription", "event": "delete", "data": [1, "x"], "uid": "u"})
        );
        assert_eq!(
            msg(Ok(Event::Reconnected)),
            json!({"type": "subscription", "event": "reconnected", "uid": "u"})
        );
        let forbidden = ApiError::from_body(
            StatusCode::FORBIDDEN,
            br#"{"errors":[{"message":"No.","extensions":{"code":"FORBIDDEN"}}]}"#,
        );
        assert_eq!(*forbidden.code(), ErrorCode::Forbidden);
        let v = msg(Err(Error::Api(forbidden)));
        assert_eq!(
            v,
            json!({"type": "subscribe", "status": "error", "uid": "u",
                   "error": {"code": "FORBIDDEN", "message": "No."}})
        );
        let transport = crate::TransportError::new(
            crate::TransportErrorKind::Io,
            "ws://10.0.0.7:8055/websocket?access_token=secret refused",
        );
        let text = relay.event(key, Err(Error::Transport(transport))).unwrap();
        assert!(
            !text.contains("10.0.0.7") && !text.contains("secret"),
            "{text}"
        );
    }

    #[test]
    fn oversized_and_binary_messages_close() {
        let (mut relay, now) = relay(RelayConfig::default().frame_limit(64));
        let big = json!({"type": "ping", "pad": "x".repeat(100)}).to_string();
        assert!(matches!(
            relay.received_text(&big, now),
            Decision::Close(Close::TOO_LARGE)
        ));
        assert_eq!(relay.received_binary(now), Close::UNSUPPORTED);
        for close in [
            Close::TOO_LARGE,
            Close::UNSUPPORTED,
            Close::TOO_SLOW,
            Close::IDLE,
            Close::SESSION_EXPIRED,
            Close::UPSTREAM_GONE,
        ] {
            assert!(close.reason.len() <= 123);
            assert!((1000..5000).contains(&close.code));
        }
    }

    #[test]
    fn heartbeat_and_session_end() {
        let beat = Duration::from_secs(10);
        let now = Instant::now();
        let mut relay = Relay::new(
            RelayConfig::default().heartbeat(beat),
            Some(Duration::from_secs(25)),
            now,
        );
        assert_eq!(relay.deadline(), now + beat);
        assert_eq!(relay.timer(now + beat), Some(Timer::Ping));
        // A pong (any frame) resets the heartbeat.
        relay.received(now + beat + Duration::from_secs(1));
        assert_eq!(relay.timer(now + beat * 2), None);
        assert_eq!(relay.deadline(), now + beat * 2 + Duration::from_secs(1));
        assert_eq!(
            relay.timer(now + beat * 2 + Duration::from_secs(1)),
            Some(Timer::Ping)
        );
        // The session's end comes before the idle close.
        assert_eq!(relay.deadline(), now + Duration::from_secs(25));
        assert_eq!(
            relay.timer(now + Duration::from_secs(25)),
            Some(Timer::Close(Close::SESSION_EXPIRED))
        );
    }

    fn jwt(exp: u64) -> String {
        jwt_lasting(exp, 900)
    }

    fn jwt_lasting(exp: u64, lifetime: u64) -> String {
        let payload = json!({"id": "u", "iat": exp - lifetime, "exp": exp}).to_string();
        let mut b64 = String::new();
        let table = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        for chunk in payload.as_bytes().chunks(3) {
            let n = chunk
                .iter()
                .enumerate()
                .fold(0u32, |acc, (i, &b)| acc | (u32::from(b) << (16 - 8 * i)));
            for i in 0..=chunk.len() {
                b64.push(table[((n >> (18 - 6 * i)) & 63) as usize] as char);
            }
        }
        format!("eyJhbGciOiJIUzI1NiJ9.{b64}.sig")
    }

    #[test]
    fn sessions_end_before_the_token_and_refresh_first_when_short() {
        let now = UNIX_EPOCH + Duration::from_secs(1_000_000);
        let at = |left: u64| jwt(1_000_000 + left);
        assert_eq!(
            session_plan(&at(900), true, now),
            SessionPlan::Open(Some(Duration::from_secs(895)))
        );
        assert_eq!(session_plan(&at(20), true, now), SessionPlan::RefreshFirst);
        assert_eq!(
            session_plan(&at(20), false, now),
            SessionPlan::Open(Some(Duration::from_secs(15)))
        );
        assert_eq!(session_plan(&at(5), false, now), SessionPlan::Expired);
        assert_eq!(
            session_plan(&jwt(999_000), false, now),
            SessionPlan::Expired
        );
        assert_eq!(session_plan("opaque", false, now), SessionPlan::Open(None));
        // A 10 s token: a tenth as margin, a fresh one used as it is, refreshed under half.
        let short = |left: u64| jwt_lasting(1_000_000 + left, 10);
        assert_eq!(
            session_plan(&short(10), true, now),
            SessionPlan::Open(Some(Duration::from_secs(9)))
        );
        assert_eq!(
            session_plan(&short(5), true, now),
            SessionPlan::RefreshFirst
        );
        assert_eq!(
            session_plan(&short(5), false, now),
            SessionPlan::Open(Some(Duration::from_secs(4)))
        );
        assert_eq!(session_plan(&short(1), false, now), SessionPlan::Expired);
        // A fraction of a second past a whole second counts as the next one.
        let later = now + Duration::from_millis(1);
        assert_eq!(
            session_plan(&at(900), true, later),
            SessionPlan::Open(Some(Duration::from_secs(894)))
        );
    }

    #[test]
    fn upgrade_requests_are_recognized() {
        let mut headers = HeaderMap::new();
        headers.insert("connection", "Upgrade".parse().unwrap());
        headers.insert("upgrade", "WebSocket".parse().unwrap());
        headers.insert("sec-websocket-version", "13".parse().unwrap());
        headers.insert(
            "sec-websocket-key",
            "dGhlIHNhbXBsZSBub25jZQ==".parse().unwrap(),
        );
        assert!(websocket_key(&headers).is_some());
        let mut wrong = headers.clone();
        wrong.insert("sec-websocket-version", "8".parse().unwrap());
        assert!(websocket_key(&wrong).is_none());
        let mut wrong = headers.clone();
        wrong.insert("sec-websocket-key", "short".parse().unwrap());
        assert!(websocket_key(&wrong).is_none());
        let mut wrong = headers;
        wrong.insert("connection", "keep-alive".parse().unwrap());
        assert!(websocket_key(&wrong).is_none());
    }

    proptest::proptest! {
        #[test]
        fn browser_messages_never_panic(text in ".{0,300}") {
            let (mut relay, now) = relay(RelayConfig::default().max_subscriptions(3));
            let _ = relay.received_text(&text, now);
        }

        #[test]
        fn json_shaped_messages_never_panic(
            kind in "(subscribe|unsubscribe|ping|auth)",
            uid in ".{0,80}",
            collection in "[a-z_]{0,20}",
            filter in ".{0,40}",
        ) {
            let (mut relay, now) = relay(RelayConfig::default());
            let filter: Value = serde_json::from_str(&filter).unwrap_or(Value::Null);
            let text = json!({"type": kind, "uid": uid, "collection": collection,
                              "query": {"filter": filter}}).to_string();
            if let Decision::Subscribe { key, .. } = relay.received_text(&text, now) {
                proptest::prop_assert!(relay.event(key, Ok(Event::Init(vec![]))).is_some());
            }
        }
    }
}
