//! Realtime: subscriptions and item calls over Directus' WebSocket, as a state machine that
//! does no I/O ([`Connection`]).
//!
//! A driver owns one socket and one [`Connection`]. It feeds it what happened (the socket
//! opened, a text frame arrived, the socket closed, a refresh finished) with the time, and
//! carries out what [`Connection::poll`] answers ([`Action`]): open a socket, send a frame,
//! refresh the session, close. [`Connection::poll_output`] hands out what subscribers and
//! callers wait for ([`Output`]); [`Connection::deadline`] says when to call `poll` again
//! if nothing happens before.
//!
//! What the machine does for the caller:
//! - authenticates in the server's mode ([`AuthMode`]) with the [`Session`]'s access token:
//!   the socket never refreshes on its own, it asks the driver to run the session's
//!   single-flight refresh ([`Action::Refresh`]), so the REST calls and the socket share one;
//!   it authenticates again on the open socket before the token expires (and after a
//!   `TOKEN_EXPIRED` message) without losing a subscription;
//! - answers the server's `ping`, and notices a dead server: after `keepalive` without a
//!   frame it sends a `ping` of its own, and after another `keepalive` of silence it closes;
//! - keeps the subscription table; subscriptions made before the socket is open are sent
//!   after authentication; after a reconnect (exponential backoff with full jitter,
//!   [`Backoff`]) every live subscription is sent again before any other frame, and each
//!   subscriber gets [`Event::Reconnected`] and then a fresh [`Event::Init`];
//! - bounds every frame ([`RealtimeConfig::frame_limit`]); malformed, binary, unknown or
//!   oversized frames are counted ([`Connection::ignored_frames`]) and dropped, never a panic.
//!
//! The message shapes are those of Directus 12.4 (`@directus/api/dist/websocket/`):
//!
//! | direction | frame |
//! |---|---|
//! | → | `{"type":"auth","access_token":"…"}` |
//! | ← | `{"type":"auth","status":"ok"}`, `{"type":"auth","status":"error","error":{"code":"TOKEN_EXPIRED"\|"AUTH_FAILED"\|"AUTH_TIMEOUT",…}}` |
//! | → | `{"type":"subscribe","collection":"…","query":{…}?,"event":"create"\|…?,"item":key?,"uid":"s1"}` |
//! | ← | `{"type":"subscription","event":"init"\|"create"\|"update"\|"delete"\|"unsubscribe","data":…,"uid":"s1"}` |
//! | ← | `{"type":"subscribe","status":"error","error":{"code":"FORBIDDEN",…},"uid":"s1"}` |
//! | → | `{"type":"unsubscribe","uid":"s1"}` |
//! | → | `{"type":"items","action":"create"\|"read"\|"update"\|"delete","collection":"…","data"?,"id"?,"ids"?,"query"?,"uid":"r1"}` |
//! | ← | `{"type":"items","data":…,"meta"?,"uid":"r1"}` or `{"type":"items","status":"error",…}` |
//! | ↔ | `{"type":"ping"}` / `{"type":"pong"}` |
//!
//! `data` of a subscription event is an array of rows (`init`, `create`, `update`) or of keys
//! (`delete`); for a subscription to one `item`, a single row or key. Events are normalized to
//! lists.
//!
//! ```
//! use directus_proto::realtime::{Action, Connection, Output, RealtimeConfig, Subscribe, Event};
//! use directus_proto::{BaseUrl, Credentials, F, Query, Session};
//! use std::time::Instant;
//!
//! let base = BaseUrl::parse("http://127.0.0.1:8055").unwrap();
//! let session = Session::new(base.clone(), Some(Credentials::static_token("t0ken"))).unwrap();
//! let mut conn = Connection::new(&base, RealtimeConfig::default(), 7);
//! let now = Instant::now();
//! // Subscribing before the socket is open is fine: it is sent after authentication.
//! let id = conn.subscribe(Subscribe::new("posts").query(Query::new().filter(F::eq("status", "live"))));
//! assert!(matches!(conn.poll(&session, now), Some(Action::Connect(_))));
//! conn.connected(now);
//! let Some(Action::Send(auth)) = conn.poll(&session, now) else { panic!() };
//! assert!(auth.as_str().contains(r#""type":"auth""#));
//! conn.received_text(r#"{"type":"auth","status":"ok"}"#, now);
//! let Some(Action::Send(sub)) = conn.poll(&session, now) else { panic!() };
//! assert!(sub.as_str().contains(r#""collection":"posts""#));
//! conn.received_text(r#"{"type":"subscription","event":"init","data":[{"id":1}],"uid":"s1"}"#, now);
//! match conn.poll_output() {
//!     Some(Output::Event { id: got, event: Event::Init(rows) }) => {
//!         assert_eq!(got, id);
//!         assert_eq!(rows.len(), 1);
//!     }
//!     other => panic!("{other:?}"),
//! }
//! ```

use std::collections::{BTreeMap, VecDeque};
use std::fmt;
use std::time::{Duration, Instant};

use http::StatusCode;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};

use crate::auth::Secret;
use crate::error::{ApiError, Error, ErrorCode, TransportError, TransportErrorKind};
use crate::items::Items;
use crate::session::{Generation, Session};
use crate::{BaseUrl, Key, Query};

/// How the server authenticates WebSocket connections (`WEBSOCKETS_REST_AUTH`).
///
/// ```
/// use directus_proto::realtime::{AuthMode, RealtimeConfig};
/// let config = RealtimeConfig::default().auth(AuthMode::Strict);
/// assert_eq!(config.auth_mode(), AuthMode::Strict);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum AuthMode {
    /// The first message must be `auth` (the server's default). An anonymous session sends
    /// none, which only a `public` server accepts.
    #[default]
    Handshake,
    /// Anyone may connect; a session with a token still authenticates with an `auth` message.
    Public,
    /// The token goes into the connect URL (`?access_token=`); renewed with `auth` messages.
    Strict,
}

/// Reconnect delays: exponential backoff with full jitter. Attempt `n` (from 0) waits a
/// random time in `[0, min(max, initial · 2ⁿ)]`. Unlimited attempts unless
/// [`Backoff::max_attempts`] says otherwise.
///
/// ```
/// use directus_proto::realtime::Backoff;
/// use std::time::Duration;
/// let backoff = Backoff::default().initial(Duration::from_millis(100)).max(Duration::from_secs(5));
/// assert_eq!(backoff.ceiling(0), Duration::from_millis(100));
/// assert_eq!(backoff.ceiling(3), Duration::from_millis(800));
/// assert_eq!(backoff.ceiling(60), Duration::from_secs(5));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Backoff {
    initial: Duration,
    max: Duration,
    max_attempts: Option<u32>,
}

impl Default for Backoff {
    /// 500 ms doubling up to 30 s, unlimited attempts.
    fn default() -> Self {
        Backoff {
            initial: Duration::from_millis(500),
            max: Duration::from_secs(30),
            max_attempts: None,
        }
    }
}

impl Backoff {
    /// The ceiling of the first delay.
    ///
    /// ```
    /// # use directus_proto::realtime::Backoff;
    /// let _ = Backoff::default().initial(std::time::Duration::from_millis(50));
    /// ```
    pub fn initial(mut self, delay: Duration) -> Self {
        self.initial = delay;
        self
    }

    /// The largest delay.
    ///
    /// ```
    /// # use directus_proto::realtime::Backoff;
    /// let _ = Backoff::default().max(std::time::Duration::from_secs(2));
    /// ```
    pub fn max(mut self, delay: Duration) -> Self {
        self.max = delay;
        self
    }

    /// Gives up after this many failed attempts in a row: every subscription then ends with
    /// the last error. `None` (the default) tries for ever.
    ///
    /// ```
    /// # use directus_proto::realtime::Backoff;
    /// let _ = Backoff::default().max_attempts(Some(10));
    /// ```
    pub fn max_attempts(mut self, attempts: Option<u32>) -> Self {
        self.max_attempts = attempts;
        self
    }

    /// The upper bound of the delay before attempt `attempt` (from 0).
    ///
    /// ```
    /// # use directus_proto::realtime::Backoff;
    /// assert!(Backoff::default().ceiling(1) > Backoff::default().ceiling(0));
    /// ```
    pub fn ceiling(&self, attempt: u32) -> Duration {
        let factor = 1u32.checked_shl(attempt.min(31)).unwrap_or(u32::MAX);
        self.initial
            .checked_mul(factor)
            .unwrap_or(self.max)
            .min(self.max)
    }

    fn delay(&self, attempt: u32, random: u64) -> Duration {
        let ceiling = self.ceiling(attempt);
        let nanos = u64::try_from(ceiling.as_nanos()).unwrap_or(u64::MAX);
        match nanos.checked_add(1) {
            Some(span) => Duration::from_nanos(random % span),
            None => Duration::from_nanos(random),
        }
    }
}

/// Settings of a realtime connection.
///
/// ```
/// use directus_proto::realtime::{AuthMode, Backoff, RealtimeConfig};
/// use std::time::Duration;
/// let config = RealtimeConfig::default()
///     .auth(AuthMode::Handshake)
///     .path("/websocket")
///     .frame_limit(1 << 20)
///     .keepalive(Some(Duration::from_secs(20)))
///     .backoff(Backoff::default().max(Duration::from_secs(10)));
/// assert_eq!(config.frame_limit_bytes(), 1 << 20);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RealtimeConfig {
    path: String,
    auth: AuthMode,
    frame_limit: usize,
    keepalive: Option<Duration>,
    auth_timeout: Duration,
    backoff: Backoff,
    buffer: usize,
}

impl Default for RealtimeConfig {
    /// `/websocket`, handshake auth, 16 MiB frames, 30 s keepalive, 10 s to authenticate,
    /// [`Backoff::default`], 100,000 undelivered events per subscription.
    fn default() -> Self {
        RealtimeConfig {
            path: "/websocket".into(),
            auth: AuthMode::Handshake,
            frame_limit: 16 * 1024 * 1024,
            keepalive: Some(Duration::from_secs(30)),
            auth_timeout: Duration::from_secs(10),
            backoff: Backoff::default(),
            buffer: 100_000,
        }
    }
}

impl RealtimeConfig {
    /// The endpoint path (`WEBSOCKETS_REST_PATH`).
    ///
    /// ```
    /// # use directus_proto::realtime::RealtimeConfig;
    /// let _ = RealtimeConfig::default().path("/ws");
    /// ```
    pub fn path(mut self, path: impl Into<String>) -> Self {
        self.path = path.into();
        self
    }

    /// The server's auth mode (`WEBSOCKETS_REST_AUTH`).
    ///
    /// ```
    /// # use directus_proto::realtime::{AuthMode, RealtimeConfig};
    /// let _ = RealtimeConfig::default().auth(AuthMode::Public);
    /// ```
    pub fn auth(mut self, mode: AuthMode) -> Self {
        self.auth = mode;
        self
    }

    /// The auth mode.
    ///
    /// ```
    /// # use directus_proto::realtime::{AuthMode, RealtimeConfig};
    /// assert_eq!(RealtimeConfig::default().auth_mode(), AuthMode::Handshake);
    /// ```
    pub fn auth_mode(&self) -> AuthMode {
        self.auth
    }

    /// The largest frame accepted, in bytes; drivers give it to their WebSocket library too.
    ///
    /// ```
    /// # use directus_proto::realtime::RealtimeConfig;
    /// let _ = RealtimeConfig::default().frame_limit(4096);
    /// ```
    pub fn frame_limit(mut self, bytes: usize) -> Self {
        self.frame_limit = bytes;
        self
    }

    /// The frame limit.
    ///
    /// ```
    /// # use directus_proto::realtime::RealtimeConfig;
    /// assert_eq!(RealtimeConfig::default().frame_limit_bytes(), 16 << 20);
    /// ```
    pub fn frame_limit_bytes(&self) -> usize {
        self.frame_limit
    }

    /// After this long without a frame, send a `ping`; after as long again, give the
    /// connection up and reconnect. `None` turns the client's own liveness check off (needed
    /// when the server's heartbeat is off: it then answers no `ping`).
    ///
    /// ```
    /// # use directus_proto::realtime::RealtimeConfig;
    /// let _ = RealtimeConfig::default().keepalive(None);
    /// ```
    pub fn keepalive(mut self, keepalive: Option<Duration>) -> Self {
        self.keepalive = keepalive;
        self
    }

    /// How long to wait for the answer to an `auth` message before reconnecting.
    ///
    /// ```
    /// # use directus_proto::realtime::RealtimeConfig;
    /// let _ = RealtimeConfig::default().auth_timeout(std::time::Duration::from_secs(5));
    /// ```
    pub fn auth_timeout(mut self, timeout: Duration) -> Self {
        self.auth_timeout = timeout;
        self
    }

    /// How many events a subscription holds for a consumer that does not keep up. Past that
    /// the drivers end the subscription with a [`TransportErrorKind::BodyTooLarge`] error
    /// rather than grow without bound (at least 1).
    ///
    /// ```
    /// # use directus_proto::realtime::RealtimeConfig;
    /// assert_eq!(RealtimeConfig::default().buffer(0).buffer_events(), 1);
    /// ```
    pub fn buffer(mut self, events: usize) -> Self {
        self.buffer = events.max(1);
        self
    }

    /// The per-subscription buffer.
    ///
    /// ```
    /// # use directus_proto::realtime::RealtimeConfig;
    /// assert_eq!(RealtimeConfig::default().buffer_events(), 100_000);
    /// ```
    pub fn buffer_events(&self) -> usize {
        self.buffer
    }

    /// The reconnect delays.
    ///
    /// ```
    /// # use directus_proto::realtime::{Backoff, RealtimeConfig};
    /// let _ = RealtimeConfig::default().backoff(Backoff::default());
    /// ```
    pub fn backoff(mut self, backoff: Backoff) -> Self {
        self.backoff = backoff;
        self
    }
}

/// Which changes a subscription receives (the `event` of a `subscribe` message).
///
/// ```
/// use directus_proto::realtime::{EventKind, Subscribe};
/// let only_creates = Subscribe::new("posts").event(EventKind::Create);
/// # let _ = only_creates;
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventKind {
    /// Items created.
    Create,
    /// Items updated.
    Update,
    /// Items deleted.
    Delete,
}

impl EventKind {
    fn as_str(self) -> &'static str {
        match self {
            EventKind::Create => "create",
            EventKind::Update => "update",
            EventKind::Delete => "delete",
        }
    }
}

/// What to subscribe to: a collection, a query written like a read's ([`Query`], [`crate::F`]),
/// optionally one kind of event and one item.
///
/// ```
/// use directus_proto::realtime::Subscribe;
/// use directus_proto::{F, Items, Query};
/// let a = Subscribe::new("posts").query(Query::new().fields(["id", "title"]).filter(F::eq("status", "live")));
/// // The same from a collection handle's query:
/// let b = Subscribe::from(Items::<serde_json::Value>::new("posts").with_query(Query::new().limit(5)));
/// let c = Subscribe::new("posts").item(7);
/// # let _ = (a, b, c);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Subscribe {
    collection: String,
    query: Query,
    event: Option<EventKind>,
    item: Option<Key>,
}

impl Subscribe {
    /// Every change of a collection (system collections by their full name, `directus_users`).
    ///
    /// ```
    /// # use directus_proto::realtime::Subscribe;
    /// assert_eq!(Subscribe::new("posts").collection(), "posts");
    /// ```
    pub fn new(collection: impl Into<String>) -> Self {
        Subscribe {
            collection: collection.into(),
            query: Query::new(),
            event: None,
            item: None,
        }
    }

    /// The query: `fields` shape the rows of every event, `filter` limits which changes arrive.
    ///
    /// ```
    /// # use directus_proto::{realtime::Subscribe, F, Query};
    /// let _ = Subscribe::new("posts").query(Query::new().filter(F::gt("likes", 10)));
    /// ```
    pub fn query(mut self, query: Query) -> Self {
        self.query = query;
        self
    }

    /// Only this kind of event (the server then sends an `init` without rows).
    ///
    /// ```
    /// # use directus_proto::realtime::{EventKind, Subscribe};
    /// let _ = Subscribe::new("posts").event(EventKind::Delete);
    /// ```
    pub fn event(mut self, kind: EventKind) -> Self {
        self.event = Some(kind);
        self
    }

    /// Only the changes of this item.
    ///
    /// ```
    /// # use directus_proto::realtime::Subscribe;
    /// let _ = Subscribe::new("posts").item("a-uuid");
    /// ```
    pub fn item(mut self, key: impl Into<Key>) -> Self {
        self.item = Some(key.into());
        self
    }

    /// The collection's name.
    ///
    /// ```
    /// # use directus_proto::realtime::Subscribe;
    /// assert_eq!(Subscribe::new("x").collection(), "x");
    /// ```
    pub fn collection(&self) -> &str {
        &self.collection
    }

    fn frame(&self, uid: &str) -> Result<String, Error> {
        let mut message = Map::new();
        message.insert("type".into(), json!("subscribe"));
        message.insert("collection".into(), json!(self.collection));
        if let Some(query) = query_object(&self.query)? {
            message.insert("query".into(), query);
        }
        if let Some(kind) = self.event {
            message.insert("event".into(), json!(kind.as_str()));
        }
        if let Some(item) = &self.item {
            message.insert("item".into(), json!(item));
        }
        message.insert("uid".into(), json!(uid));
        Ok(Value::Object(message).to_string())
    }
}

impl<T: serde::de::DeserializeOwned> From<Items<T>> for Subscribe {
    fn from(items: Items<T>) -> Self {
        Subscribe {
            collection: items.name().to_owned(),
            query: items.query().clone(),
            event: None,
            item: None,
        }
    }
}

/// The `query` object of a message (the inside of [`Query::to_json`]), or `None` when empty.
fn query_object(query: &Query) -> Result<Option<Value>, Error> {
    Ok(match query.to_json()? {
        Value::Object(mut outer) => match outer.remove("query") {
            Some(Value::Object(inner)) if !inner.is_empty() => Some(Value::Object(inner)),
            _ => None,
        },
        _ => None,
    })
}

/// Anything a subscription can be made from: a [`Subscribe`] (rows as JSON), a collection's
/// [`Items`] (rows as its `T`), and the drivers' collection handles.
///
/// ```
/// use directus_proto::realtime::IntoSubscribe;
/// use directus_proto::{Items, Query};
/// #[derive(serde::Deserialize)]
/// struct Post { id: i64 }
/// let sub = Items::<Post>::new("posts").with_query(Query::new().limit(1)).into_subscribe();
/// assert_eq!(sub.collection(), "posts");
/// ```
pub trait IntoSubscribe {
    /// The type rows of the events deserialize into.
    type Row: DeserializeOwned;
    /// The subscription.
    fn into_subscribe(self) -> Subscribe;
}

impl IntoSubscribe for Subscribe {
    type Row = Value;
    fn into_subscribe(self) -> Subscribe {
        self
    }
}

impl<T: DeserializeOwned> IntoSubscribe for Items<T> {
    type Row = T;
    fn into_subscribe(self) -> Subscribe {
        self.into()
    }
}

/// A snapshot of a connection's health, for logs and health checks.
///
/// ```
/// # use directus_proto::{BaseUrl, realtime::{Connection, RealtimeConfig}};
/// let conn = Connection::new(&BaseUrl::parse("http://h").unwrap(), RealtimeConfig::default(), 1);
/// let status = conn.status();
/// assert!(!status.open && status.attempts == 0 && status.last_error.is_none());
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Status {
    /// The socket is open and authenticated.
    pub open: bool,
    /// The connection ended for good.
    pub finished: bool,
    /// Failed connection attempts in a row.
    pub attempts: u32,
    /// Times the connection came back after being lost.
    pub reconnects: u64,
    /// The last connection problem.
    pub last_error: Option<String>,
    /// Frames dropped (binary, too large, not JSON, unknown).
    pub ignored_frames: u64,
    /// Live subscriptions.
    pub subscriptions: usize,
    /// Times the open socket authenticated again with a renewed token.
    pub renewals: u64,
}

/// An item call over the socket (`{"type":"items",...}`); the answer is the `data` the
/// server sends back, as JSON.
///
/// ```
/// use directus_proto::realtime::ItemsCall;
/// use directus_proto::Query;
/// let read = ItemsCall::read("posts").query(Query::new().limit(2));
/// let create = ItemsCall::create("posts", serde_json::json!({"title": "hi"}));
/// let update = ItemsCall::update("posts", 1, serde_json::json!({"title": "ho"}));
/// let delete = ItemsCall::delete("posts", [1, 2]);
/// # let _ = (read, create, update, delete);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct ItemsCall {
    collection: String,
    action: &'static str,
    data: Option<Value>,
    ids: Vec<Key>,
    query: Query,
}

impl ItemsCall {
    fn new(collection: impl Into<String>, action: &'static str) -> Self {
        ItemsCall {
            collection: collection.into(),
            action,
            data: None,
            ids: Vec::new(),
            query: Query::new(),
        }
    }

    /// Reads items (narrow with [`ItemsCall::query`] or [`ItemsCall::ids`]).
    ///
    /// ```
    /// # use directus_proto::realtime::ItemsCall;
    /// let _ = ItemsCall::read("posts").ids([1, 2]);
    /// ```
    pub fn read(collection: impl Into<String>) -> Self {
        Self::new(collection, "read")
    }

    /// Creates one item (an object) or several (an array).
    ///
    /// ```
    /// # use directus_proto::realtime::ItemsCall;
    /// let _ = ItemsCall::create("posts", serde_json::json!([{"title": "a"}, {"title": "b"}]));
    /// ```
    pub fn create(collection: impl Into<String>, data: Value) -> Self {
        let mut call = Self::new(collection, "create");
        call.data = Some(data);
        call
    }

    /// Updates one item with `data`.
    ///
    /// ```
    /// # use directus_proto::realtime::ItemsCall;
    /// let _ = ItemsCall::update("posts", 3, serde_json::json!({"title": "c"}));
    /// ```
    pub fn update(collection: impl Into<String>, key: impl Into<Key>, data: Value) -> Self {
        let mut call = Self::new(collection, "update");
        call.data = Some(data);
        call.ids = vec![key.into()];
        call
    }

    /// Deletes these items.
    ///
    /// ```
    /// # use directus_proto::realtime::ItemsCall;
    /// let _ = ItemsCall::delete("posts", ["a", "b"]);
    /// ```
    pub fn delete<K: Into<Key>>(
        collection: impl Into<String>,
        keys: impl IntoIterator<Item = K>,
    ) -> Self {
        Self::new(collection, "delete").ids(keys)
    }

    /// Only these items.
    ///
    /// ```
    /// # use directus_proto::realtime::ItemsCall;
    /// let _ = ItemsCall::read("posts").ids([4]);
    /// ```
    pub fn ids<K: Into<Key>>(mut self, keys: impl IntoIterator<Item = K>) -> Self {
        self.ids = keys.into_iter().map(Into::into).collect();
        self
    }

    /// The query (fields of the answer; for reads, which items).
    ///
    /// ```
    /// # use directus_proto::{realtime::ItemsCall, Query};
    /// let _ = ItemsCall::read("posts").query(Query::new().fields(["id"]));
    /// ```
    pub fn query(mut self, query: Query) -> Self {
        self.query = query;
        self
    }

    fn frame(&self, uid: &str) -> Result<String, Error> {
        let mut message = Map::new();
        message.insert("type".into(), json!("items"));
        message.insert("action".into(), json!(self.action));
        message.insert("collection".into(), json!(self.collection));
        if let Some(data) = &self.data {
            message.insert("data".into(), data.clone());
        }
        match (self.action, self.ids.as_slice()) {
            (_, []) => {}
            ("update", [one]) => {
                message.insert("id".into(), json!(one));
            }
            _ => {
                message.insert("ids".into(), json!(self.ids));
            }
        }
        if let Some(query) = query_object(&self.query)? {
            message.insert("query".into(), query);
        }
        message.insert("uid".into(), json!(uid));
        Ok(Value::Object(message).to_string())
    }
}

/// A change delivered to a subscription, with rows of type `T` (JSON by default).
///
/// ```
/// use directus_proto::realtime::Event;
/// #[derive(serde::Deserialize, Debug, PartialEq)]
/// struct Post { id: i64 }
/// let raw: Event = Event::Create(vec![serde_json::json!({"id": 3})]);
/// assert_eq!(raw.decode::<Post>().unwrap(), Event::Create(vec![Post { id: 3 }]));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub enum Event<T = Value> {
    /// The current rows of the query, first after subscribing and after every reconnect
    /// (empty for a subscription to one [`EventKind`]).
    Init(Vec<T>),
    /// Rows created.
    Create(Vec<T>),
    /// Rows updated (as they are now).
    Update(Vec<T>),
    /// The keys of rows deleted.
    Delete(Vec<Key>),
    /// The connection was lost and is back; an [`Event::Init`] follows. Changes made while it
    /// was down were not delivered: reconcile from the `Init`.
    Reconnected,
}

impl Event<Value> {
    /// The same event with its rows deserialized into `T`.
    ///
    /// ```
    /// # use directus_proto::realtime::Event;
    /// let rows: Event<u32> = Event::Init(vec![serde_json::json!(1)]).decode().unwrap();
    /// assert_eq!(rows, Event::Init(vec![1]));
    /// ```
    pub fn decode<T: DeserializeOwned>(self) -> Result<Event<T>, Error> {
        fn rows<T: DeserializeOwned>(rows: Vec<Value>) -> Result<Vec<T>, Error> {
            rows.into_iter()
                .map(|row| {
                    serde_json::from_value(row).map_err(|source| Error::Decode {
                        status: StatusCode::OK,
                        excerpt: String::from("(a realtime event row)"),
                        source,
                    })
                })
                .collect()
        }
        Ok(match self {
            Event::Init(r) => Event::Init(rows(r)?),
            Event::Create(r) => Event::Create(rows(r)?),
            Event::Update(r) => Event::Update(rows(r)?),
            Event::Delete(keys) => Event::Delete(keys),
            Event::Reconnected => Event::Reconnected,
        })
    }
}

/// Names one subscription of a [`Connection`] (its `uid` on the wire).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SubscriptionId(u64);

/// Names one [`ItemsCall`] of a [`Connection`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RequestId(u64);

/// A text frame to send. Its `Debug` shows only its length: auth frames carry tokens.
///
/// ```
/// # use directus_proto::realtime::Frame;
/// let frame = Frame::new(r#"{"type":"pong"}"#);
/// assert_eq!(format!("{frame:?}"), "Frame(15 bytes)");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Frame(String);

impl Frame {
    /// A frame holding this text.
    ///
    /// ```
    /// # use directus_proto::realtime::Frame;
    /// assert_eq!(Frame::new("x").as_str(), "x");
    /// ```
    pub fn new(text: impl Into<String>) -> Self {
        Frame(text.into())
    }

    /// The text.
    ///
    /// ```
    /// # use directus_proto::realtime::Frame;
    /// assert_eq!(Frame::new("x").as_str(), "x");
    /// ```
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The text, owned.
    ///
    /// ```
    /// # use directus_proto::realtime::Frame;
    /// assert_eq!(Frame::new("x").into_string(), "x");
    /// ```
    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Debug for Frame {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Frame({} bytes)", self.0.len())
    }
}

/// What the driver must do next.
#[derive(Debug)]
pub enum Action {
    /// Open a WebSocket to this URL (`ws://` or `wss://`; it may carry the access token in
    /// strict mode, hence a [`Secret`]); then call [`Connection::connected`] or
    /// [`Connection::connect_failed`].
    Connect(Secret),
    /// Send this text frame.
    Send(Frame),
    /// Refresh the session (single-flight, like a REST call's `Step::Refresh`), then call
    /// [`Connection::refreshed`].
    Refresh(Generation),
    /// Close the socket (then call [`Connection::closed`]).
    Close,
}

/// What the connection hands to subscribers and callers.
#[derive(Debug)]
pub enum Output {
    /// An event for a subscription.
    Event {
        /// The subscription.
        id: SubscriptionId,
        /// The event, rows as JSON.
        event: Event,
    },
    /// An error for a subscription. When `fatal`, the subscription is gone (a collection the
    /// user may not read, auth refused for good, reconnect attempts exhausted).
    Error {
        /// The subscription.
        id: SubscriptionId,
        /// What went wrong.
        error: Error,
        /// Whether the subscription ended.
        fatal: bool,
    },
    /// The answer to an [`ItemsCall`].
    Reply {
        /// The call.
        id: RequestId,
        /// The `data` of the answer, or the error.
        result: Result<Value, Error>,
    },
}

#[derive(Debug)]
struct Sub {
    spec: Subscribe,
    /// An `init` arrived on some connection: a later one is preceded by `Reconnected`.
    seen_init: bool,
    /// An `init` arrived on the current connection.
    confirmed: bool,
}

#[derive(Debug)]
struct Pending {
    call: ItemsCall,
    /// Sent on the current connection (a write in flight is never sent again).
    sent: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Not connected; connect at this time.
    Waiting(Instant),
    /// A refresh was asked for; then connect.
    RefreshingToConnect,
    /// `Connect` was handed out.
    Connecting,
    /// The socket is open, the `auth` message sent, its answer awaited since then.
    Authenticating(Instant),
    /// Authenticated (or no auth needed); subscriptions sent.
    Open,
    /// Closed for good (by the caller, or a final error).
    Finished,
}

/// The state machine of one realtime connection; see the [module docs](self).
pub struct Connection {
    url: String,
    config: RealtimeConfig,
    state: State,
    actions: VecDeque<Action>,
    outputs: VecDeque<Output>,
    subs: BTreeMap<u64, Sub>,
    calls: BTreeMap<u64, Pending>,
    next_id: u64,
    /// Failed attempts in a row.
    attempts: u32,
    reconnects: u64,
    last_error: Option<String>,
    ignored: u64,
    rng: u64,
    /// The generation of the token the socket authenticated with.
    authed_with: Option<Generation>,
    /// Re-authenticate on the open socket at this time (token renewal).
    reauth_at: Option<Instant>,
    /// The server said TOKEN_EXPIRED, or the renewal time came: authenticate again.
    reauth_due: bool,
    /// An `auth` on the open socket awaits its answer since then.
    reauth_sent: Option<Instant>,
    /// A refresh is out; its purpose is in `state` / `reauth_due`.
    refreshing: bool,
    /// A refresh finished since the last token was taken: use the token even if close to expiry.
    fresh: bool,
    /// Auth refusals in a row (two in a row with a fresh token end every subscription).
    refusals: u32,
    last_frame: Option<Instant>,
    probe_sent: Option<Instant>,
    /// The token for the `auth` message once the socket opens.
    pending_token: Option<Secret>,
    /// The socket was authenticated at least once: a later open is a reconnect.
    ever_opened: bool,
    renewals: u64,
}

impl fmt::Debug for Connection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connection")
            .field("state", &self.state)
            .field("subscriptions", &self.subs.len())
            .field("calls", &self.calls.len())
            .field("attempts", &self.attempts)
            .field("reconnects", &self.reconnects)
            .finish_non_exhaustive()
    }
}

fn transport(message: &str) -> Error {
    Error::Transport(TransportError::new(TransportErrorKind::Io, message))
}

/// A server error message (`{"status":"error","error":{"code","message"}}`) as an [`ApiError`]
/// with the status the REST API gives that code.
fn socket_error(message: &Value) -> Error {
    let code = message["error"]["code"].as_str().unwrap_or("").to_owned();
    let text = message["error"]["message"]
        .as_str()
        .unwrap_or("WebSocket error")
        .to_owned();
    let status = match ErrorCode::from_code(&code) {
        ErrorCode::Forbidden => StatusCode::FORBIDDEN,
        ErrorCode::TokenExpired | ErrorCode::InvalidCredentials => StatusCode::UNAUTHORIZED,
        _ if code.starts_with("AUTH_") => StatusCode::UNAUTHORIZED,
        ErrorCode::RequestsExceeded => StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::ServiceUnavailable => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::BAD_REQUEST,
    };
    let body = json!({"errors": [{"message": text, "extensions": {"code": code}}]});
    Error::Api(ApiError::from_body(status, body.to_string().as_bytes()))
}

/// How long before expiry the socket renews its token: five times the session's margin (which
/// is a tenth of the token's lifetime, at most 30 s), so at half-life for tokens up to 5 min and
/// 150 s before expiry for longer ones, at least 3 s. A busy server can take seconds to
/// process the `auth` message; events it judges after the old token's expiry are lost.
fn socket_margin(session_margin: Duration) -> Duration {
    session_margin.saturating_mul(5).max(Duration::from_secs(3))
}

/// Whether a refresh failure means the credentials are refused for good.
fn is_final_auth_error(error: &Error) -> bool {
    match error {
        Error::NotAuthenticated(_) => true,
        Error::Api(api) => matches!(api.status().as_u16(), 401 | 403),
        _ => false,
    }
}

/// `data` as a list: an array's elements, nothing for `null`, else the one value.
fn list(data: Option<&Value>) -> Vec<Value> {
    match data {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items.clone(),
        Some(one) => vec![one.clone()],
    }
}

/// The error a driver ends a subscription with when its consumer fell `buffer` events behind.
///
/// ```
/// # use directus_proto::realtime::fell_behind;
/// assert!(fell_behind(10).to_string().contains("10"));
/// ```
pub fn fell_behind(buffer: usize) -> Error {
    Error::Transport(TransportError::new(
        TransportErrorKind::BodyTooLarge,
        format!("the subscriber fell behind by {buffer} events; the subscription ended"),
    ))
}

impl Connection {
    /// A connection to the server at `base`; `seed` seeds the jitter of reconnect delays
    /// (drivers pass a random number; tests a fixed one). Nothing happens until
    /// [`Connection::poll`].
    ///
    /// ```
    /// # use directus_proto::{BaseUrl, realtime::{Connection, RealtimeConfig}};
    /// let conn = Connection::new(&BaseUrl::parse("https://cms.example.com").unwrap(), RealtimeConfig::default(), 1);
    /// assert!(!conn.is_open());
    /// ```
    pub fn new(base: &BaseUrl, config: RealtimeConfig, seed: u64) -> Self {
        let http = base.join(&config.path);
        let url = if let Some(rest) = http.strip_prefix("https://") {
            format!("wss://{rest}")
        } else if let Some(rest) = http.strip_prefix("http://") {
            format!("ws://{rest}")
        } else {
            http
        };
        Connection {
            url,
            config,
            // The first `poll` connects.
            state: State::RefreshingToConnect,
            actions: VecDeque::new(),
            outputs: VecDeque::new(),
            subs: BTreeMap::new(),
            calls: BTreeMap::new(),
            next_id: 1,
            attempts: 0,
            reconnects: 0,
            last_error: None,
            ignored: 0,
            rng: seed | 1,
            authed_with: None,
            reauth_at: None,
            reauth_due: false,
            reauth_sent: None,
            refreshing: false,
            fresh: false,
            refusals: 0,
            last_frame: None,
            probe_sent: None,
            pending_token: None,
            ever_opened: false,
            renewals: 0,
        }
    }

    /// The config.
    ///
    /// ```
    /// # use directus_proto::{BaseUrl, realtime::{Connection, RealtimeConfig}};
    /// # let conn = Connection::new(&BaseUrl::parse("http://h").unwrap(), RealtimeConfig::default(), 1);
    /// assert_eq!(conn.config().frame_limit_bytes(), 16 << 20);
    /// ```
    pub fn config(&self) -> &RealtimeConfig {
        &self.config
    }

    fn next_id(&mut self) -> u64 {
        let id = self.next_id;
        self.next_id = self.next_id.wrapping_add(1);
        id
    }

    fn random(&mut self) -> u64 {
        // xorshift64*: enough for jitter.
        let mut x = self.rng;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.rng = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Adds a subscription; it is sent at once when the socket is open, else after
    /// authentication. Events come out of [`Connection::poll_output`] with the id.
    ///
    /// ```
    /// # use directus_proto::{BaseUrl, realtime::{Connection, RealtimeConfig, Subscribe}};
    /// # let mut conn = Connection::new(&BaseUrl::parse("http://h").unwrap(), RealtimeConfig::default(), 1);
    /// let a = conn.subscribe(Subscribe::new("posts"));
    /// let b = conn.subscribe(Subscribe::new("posts"));
    /// assert_ne!(a, b);
    /// ```
    pub fn subscribe(&mut self, spec: Subscribe) -> SubscriptionId {
        let id = self.next_id();
        if self.state == State::Finished {
            self.outputs.push_back(Output::Error {
                id: SubscriptionId(id),
                error: transport("the realtime connection is closed"),
                fatal: true,
            });
            return SubscriptionId(id);
        }
        if self.state == State::Open {
            self.send_subscribe(id, &spec);
        }
        self.subs.insert(
            id,
            Sub {
                spec,
                seen_init: false,
                confirmed: false,
            },
        );
        SubscriptionId(id)
    }

    fn send_subscribe(&mut self, id: u64, spec: &Subscribe) {
        match spec.frame(&format!("s{id}")) {
            Ok(text) => self.actions.push_back(Action::Send(Frame(text))),
            Err(error) => {
                self.subs.remove(&id);
                self.outputs.push_back(Output::Error {
                    id: SubscriptionId(id),
                    error,
                    fatal: true,
                });
            }
        }
    }

    /// Ends a subscription; nothing more arrives for it.
    ///
    /// ```
    /// # use directus_proto::{BaseUrl, realtime::{Connection, RealtimeConfig, Subscribe}};
    /// # let mut conn = Connection::new(&BaseUrl::parse("http://h").unwrap(), RealtimeConfig::default(), 1);
    /// let id = conn.subscribe(Subscribe::new("posts"));
    /// conn.unsubscribe(id);
    /// assert_eq!(conn.subscriptions(), 0);
    /// ```
    pub fn unsubscribe(&mut self, id: SubscriptionId) {
        if self.subs.remove(&id.0).is_some() && self.state == State::Open {
            let frame = json!({"type": "unsubscribe", "uid": format!("s{}", id.0)});
            self.actions
                .push_back(Action::Send(Frame(frame.to_string())));
        }
    }

    /// How many subscriptions are live.
    ///
    /// ```
    /// # use directus_proto::{BaseUrl, realtime::{Connection, RealtimeConfig}};
    /// # let conn = Connection::new(&BaseUrl::parse("http://h").unwrap(), RealtimeConfig::default(), 1);
    /// assert_eq!(conn.subscriptions(), 0);
    /// ```
    pub fn subscriptions(&self) -> usize {
        self.subs.len()
    }

    /// Runs an item call over the socket (sent once authenticated); the answer comes out of
    /// [`Connection::poll_output`] as [`Output::Reply`]. A write whose connection drops before
    /// the answer fails with a transport error and is never sent again.
    ///
    /// ```
    /// # use directus_proto::{BaseUrl, realtime::{Connection, ItemsCall, RealtimeConfig}};
    /// # let mut conn = Connection::new(&BaseUrl::parse("http://h").unwrap(), RealtimeConfig::default(), 1);
    /// let id = conn.items(ItemsCall::read("posts"));
    /// # let _ = id;
    /// ```
    pub fn items(&mut self, call: ItemsCall) -> RequestId {
        let id = self.next_id();
        if self.state == State::Finished {
            self.outputs.push_back(Output::Reply {
                id: RequestId(id),
                result: Err(transport("the realtime connection is closed")),
            });
            return RequestId(id);
        }
        self.calls.insert(id, Pending { call, sent: false });
        if self.state == State::Open {
            self.send_call(id);
        }
        RequestId(id)
    }

    /// Gives up on an item call (its caller timed out or went away): one not sent yet is never
    /// sent; the answer to one already sent is dropped (its outcome is unknown, as with any
    /// request that timed out).
    ///
    /// ```
    /// # use directus_proto::{BaseUrl, realtime::{Connection, ItemsCall, RealtimeConfig}};
    /// # let mut conn = Connection::new(&BaseUrl::parse("http://h").unwrap(), RealtimeConfig::default(), 1);
    /// let id = conn.items(ItemsCall::read("posts"));
    /// conn.cancel(id);
    /// assert!(conn.poll_output().is_none());
    /// ```
    pub fn cancel(&mut self, id: RequestId) {
        self.calls.remove(&id.0);
    }

    fn send_call(&mut self, id: u64) {
        let Some(pending) = self.calls.get_mut(&id) else {
            return;
        };
        match pending.call.frame(&format!("r{id}")) {
            Ok(text) => {
                pending.sent = true;
                self.actions.push_back(Action::Send(Frame(text)));
            }
            Err(error) => {
                self.calls.remove(&id);
                self.outputs.push_back(Output::Reply {
                    id: RequestId(id),
                    result: Err(error),
                });
            }
        }
    }

    /// Closes the connection for good: every subscription and call ends.
    ///
    /// ```
    /// # use directus_proto::{BaseUrl, Session, realtime::{Action, Connection, RealtimeConfig}};
    /// # let base = BaseUrl::parse("http://h").unwrap();
    /// # let mut conn = Connection::new(&base, RealtimeConfig::default(), 1);
    /// conn.close();
    /// assert!(conn.is_finished());
    /// ```
    pub fn close(&mut self) {
        if self.state == State::Finished {
            return;
        }
        let was_connected = matches!(
            self.state,
            State::Open | State::Authenticating(_) | State::Connecting
        );
        self.finish(None);
        if was_connected {
            self.actions.push_back(Action::Close);
        }
    }

    /// Ends everything: subscriptions get a fatal error (when `error` is given) and calls fail.
    fn finish(&mut self, error: Option<&str>) {
        self.state = State::Finished;
        self.actions.clear();
        for (id, _) in std::mem::take(&mut self.subs) {
            if let Some(message) = error {
                self.outputs.push_back(Output::Error {
                    id: SubscriptionId(id),
                    error: transport(message),
                    fatal: true,
                });
            }
        }
        for (id, _) in std::mem::take(&mut self.calls) {
            self.outputs.push_back(Output::Reply {
                id: RequestId(id),
                result: Err(transport("the realtime connection is closed")),
            });
        }
    }

    /// Whether the socket is open and authenticated.
    ///
    /// ```
    /// # use directus_proto::{BaseUrl, realtime::{Connection, RealtimeConfig}};
    /// # let conn = Connection::new(&BaseUrl::parse("http://h").unwrap(), RealtimeConfig::default(), 1);
    /// assert!(!conn.is_open());
    /// ```
    pub fn is_open(&self) -> bool {
        self.state == State::Open
    }

    /// Whether the connection ended for good ([`Connection::close`], or a final error).
    ///
    /// ```
    /// # use directus_proto::{BaseUrl, realtime::{Connection, RealtimeConfig}};
    /// # let conn = Connection::new(&BaseUrl::parse("http://h").unwrap(), RealtimeConfig::default(), 1);
    /// assert!(!conn.is_finished());
    /// ```
    pub fn is_finished(&self) -> bool {
        self.state == State::Finished
    }

    /// Failed connection attempts in a row (0 while connected).
    ///
    /// ```
    /// # use directus_proto::{BaseUrl, realtime::{Connection, RealtimeConfig}};
    /// # let conn = Connection::new(&BaseUrl::parse("http://h").unwrap(), RealtimeConfig::default(), 1);
    /// assert_eq!(conn.attempts(), 0);
    /// ```
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// How many times the connection came back after being lost.
    ///
    /// ```
    /// # use directus_proto::{BaseUrl, realtime::{Connection, RealtimeConfig}};
    /// # let conn = Connection::new(&BaseUrl::parse("http://h").unwrap(), RealtimeConfig::default(), 1);
    /// assert_eq!(conn.reconnects(), 0);
    /// ```
    pub fn reconnects(&self) -> u64 {
        self.reconnects
    }

    /// The last connection problem (a failed connect, a lost socket, an error message from
    /// the server), for logs and health checks.
    ///
    /// ```
    /// # use directus_proto::{BaseUrl, realtime::{Connection, RealtimeConfig}};
    /// # let conn = Connection::new(&BaseUrl::parse("http://h").unwrap(), RealtimeConfig::default(), 1);
    /// assert!(conn.last_error().is_none());
    /// ```
    pub fn last_error(&self) -> Option<&str> {
        self.last_error.as_deref()
    }

    /// Frames dropped because they were binary, too large, not JSON, or of an unknown type.
    ///
    /// ```
    /// # use directus_proto::{BaseUrl, realtime::{Connection, RealtimeConfig}};
    /// # let mut conn = Connection::new(&BaseUrl::parse("http://h").unwrap(), RealtimeConfig::default(), 1);
    /// conn.received_text("not json", std::time::Instant::now());
    /// assert_eq!(conn.ignored_frames(), 1);
    /// ```
    pub fn ignored_frames(&self) -> u64 {
        self.ignored
    }

    /// A snapshot of the connection's health.
    ///
    /// ```
    /// # use directus_proto::{BaseUrl, realtime::{Connection, RealtimeConfig}};
    /// # let conn = Connection::new(&BaseUrl::parse("http://h").unwrap(), RealtimeConfig::default(), 1);
    /// assert_eq!(conn.status().reconnects, 0);
    /// ```
    pub fn status(&self) -> Status {
        Status {
            open: self.is_open(),
            finished: self.is_finished(),
            attempts: self.attempts,
            reconnects: self.reconnects,
            last_error: self.last_error.clone(),
            ignored_frames: self.ignored,
            subscriptions: self.subs.len(),
            renewals: self.renewals,
        }
    }

    /// When [`Connection::poll`] must be called again if nothing else happens first.
    ///
    /// ```
    /// # use directus_proto::{BaseUrl, realtime::{Connection, RealtimeConfig}};
    /// # let conn = Connection::new(&BaseUrl::parse("http://h").unwrap(), RealtimeConfig::default(), 1);
    /// let _ = conn.deadline();
    /// ```
    pub fn deadline(&self) -> Option<Instant> {
        let mut at: Option<Instant> = None;
        let mut add = |t: Option<Instant>| {
            if let Some(t) = t {
                at = Some(at.map_or(t, |a| a.min(t)));
            }
        };
        match self.state {
            State::Waiting(t) => add(Some(t)),
            State::Authenticating(since) => add(since.checked_add(self.config.auth_timeout)),
            State::Open => {
                if !self.refreshing {
                    add(self.reauth_at);
                }
                add(self
                    .reauth_sent
                    .and_then(|t| t.checked_add(self.config.auth_timeout)));
            }
            _ => {}
        }
        if matches!(self.state, State::Open | State::Authenticating(_))
            && let Some(keepalive) = self.config.keepalive
        {
            let since = self.probe_sent.or(self.last_frame);
            add(since.and_then(|t| t.checked_add(keepalive)));
        }
        at
    }

    /// Runs due timers and returns the next thing to do, or `None` when there is nothing
    /// until new input or [`Connection::deadline`].
    ///
    /// ```
    /// # use directus_proto::{BaseUrl, Session, realtime::{Action, Connection, RealtimeConfig}};
    /// let base = BaseUrl::parse("http://h").unwrap();
    /// let session = Session::new(base.clone(), None).unwrap();
    /// let mut conn = Connection::new(&base, RealtimeConfig::default(), 1);
    /// match conn.poll(&session, std::time::Instant::now()) {
    ///     Some(Action::Connect(url)) => assert_eq!(url.expose(), "ws://h/websocket"),
    ///     other => panic!("{other:?}"),
    /// }
    /// ```
    pub fn poll(&mut self, session: &Session, now: Instant) -> Option<Action> {
        self.timers(session, now);
        self.actions.pop_front()
    }

    /// The next event, error or answer for the caller.
    ///
    /// ```
    /// # use directus_proto::{BaseUrl, realtime::{Connection, RealtimeConfig}};
    /// # let mut conn = Connection::new(&BaseUrl::parse("http://h").unwrap(), RealtimeConfig::default(), 1);
    /// assert!(conn.poll_output().is_none());
    /// ```
    pub fn poll_output(&mut self) -> Option<Output> {
        self.outputs.pop_front()
    }

    fn timers(&mut self, session: &Session, now: Instant) {
        match self.state {
            State::Waiting(at) if now >= at => self.start_connect(session, now),
            State::RefreshingToConnect if !self.refreshing => self.start_connect(session, now),
            State::Authenticating(since)
                if now >= since.checked_add(self.config.auth_timeout).unwrap_or(since) =>
            {
                self.lost("no answer to the auth message", now);
                return;
            }
            State::Open => {
                if let Some(sent) = self.reauth_sent
                    && now >= sent.checked_add(self.config.auth_timeout).unwrap_or(sent)
                {
                    self.lost("no answer to the auth message", now);
                    return;
                }
                if self.reauth_at.is_some_and(|at| now >= at) {
                    self.reauth_at = None;
                    self.reauth_due = true;
                }
                if self.reauth_due && !self.refreshing && self.reauth_sent.is_none() {
                    self.reauthenticate(session, now);
                }
            }
            _ => {}
        }
        if matches!(self.state, State::Open | State::Authenticating(_))
            && let Some(keepalive) = self.config.keepalive
        {
            match (self.probe_sent, self.last_frame) {
                (Some(probe), _) if now >= probe.checked_add(keepalive).unwrap_or(probe) => {
                    self.lost("the server stopped answering", now);
                }
                (None, Some(last)) if now >= last.checked_add(keepalive).unwrap_or(last) => {
                    self.probe_sent = Some(now);
                    self.actions
                        .push_back(Action::Send(Frame(r#"{"type":"ping"}"#.into())));
                }
                _ => {}
            }
        }
    }

    /// Whether this mode sends the token in an `auth` message.
    fn token_needed(&self, session: &Session) -> bool {
        let auth = session.socket_auth();
        auth.token.is_some() || auth.refreshable
    }

    /// The token to use now, or `None` after asking for a refresh.
    fn token(&mut self, session: &Session, now: Instant) -> Option<(Option<Secret>, Generation)> {
        let auth = session.socket_auth();
        let due = auth.expires_at.is_some_and(|at| {
            // Renew earlier than REST calls do: events between the token's expiry and the
            // next `auth` would be judged as the public role's, and lost.
            let margin = socket_margin(auth.margin);
            now.checked_add(margin).is_some_and(|t| t >= at)
        });
        let stale = self.reauth_due && self.authed_with == Some(auth.generation);
        if auth.refreshable && !self.fresh && (auth.token.is_none() || due || stale) {
            self.refreshing = true;
            self.actions.push_back(Action::Refresh(auth.generation));
            return None;
        }
        self.fresh = false;
        self.reauth_at = if auth.refreshable {
            auth.expires_at.map(|at| {
                let margin = socket_margin(auth.margin);
                at.checked_sub(margin).unwrap_or(now).max(now)
            })
        } else {
            None
        };
        Some((auth.token, auth.generation))
    }

    fn start_connect(&mut self, session: &Session, now: Instant) {
        let token = if self.token_needed(session) {
            match self.token(session, now) {
                Some((token, generation)) => {
                    self.authed_with = Some(generation);
                    token
                }
                None => {
                    self.state = State::RefreshingToConnect;
                    return;
                }
            }
        } else {
            None
        };
        let url = match (&token, self.config.auth) {
            (Some(token), AuthMode::Strict) => {
                let encoded: String = percent_encoding::utf8_percent_encode(
                    token.expose(),
                    percent_encoding::NON_ALPHANUMERIC,
                )
                .collect();
                format!("{}?access_token={encoded}", self.url)
            }
            _ => self.url.clone(),
        };
        self.pending_token = token;
        self.state = State::Connecting;
        self.actions.push_back(Action::Connect(Secret::new(url)));
    }

    /// The socket is open (the WebSocket handshake succeeded).
    ///
    /// ```
    /// # use directus_proto::{BaseUrl, Session, realtime::{Action, Connection, RealtimeConfig}};
    /// # let base = BaseUrl::parse("http://h").unwrap();
    /// # let session = Session::new(base.clone(), None).unwrap();
    /// # let mut conn = Connection::new(&base, RealtimeConfig::default(), 1);
    /// let now = std::time::Instant::now();
    /// conn.poll(&session, now);
    /// conn.connected(now);
    /// assert!(conn.is_open()); // no token: nothing to authenticate
    /// ```
    pub fn connected(&mut self, now: Instant) {
        if self.state != State::Connecting {
            return;
        }
        self.last_frame = Some(now);
        self.probe_sent = None;
        self.reauth_sent = None;
        self.reauth_due = false;
        match (self.pending_token.take(), self.config.auth) {
            (Some(token), AuthMode::Handshake | AuthMode::Public) => {
                let frame = json!({"type": "auth", "access_token": token.expose()});
                self.actions
                    .push_back(Action::Send(Frame(frame.to_string())));
                self.state = State::Authenticating(now);
            }
            _ => self.opened(),
        }
    }

    /// Authenticated: re-subscribe everything, then send what waited.
    fn opened(&mut self) {
        self.state = State::Open;
        if self.ever_opened {
            self.reconnects += 1;
        }
        self.ever_opened = true;
        self.attempts = 0;
        self.refusals = 0;
        let ids: Vec<u64> = self.subs.keys().copied().collect();
        for id in ids {
            if let Some(sub) = self.subs.get_mut(&id) {
                sub.confirmed = false;
                let spec = sub.spec.clone();
                self.send_subscribe(id, &spec);
            }
        }
        let waiting: Vec<u64> = self
            .calls
            .iter()
            .filter(|(_, p)| !p.sent)
            .map(|(id, _)| *id)
            .collect();
        for id in waiting {
            self.send_call(id);
        }
    }

    fn reauthenticate(&mut self, session: &Session, now: Instant) {
        if let Some((token, generation)) = self.token(session, now) {
            self.reauth_due = false;
            if let Some(token) = token {
                self.authed_with = Some(generation);
                let frame = json!({"type": "auth", "access_token": token.expose()});
                self.actions
                    .push_back(Action::Send(Frame(frame.to_string())));
                self.reauth_sent = Some(now);
                self.renewals += 1;
            }
        }
    }

    /// The socket could not be opened; `status` is the HTTP status of a refused upgrade
    /// (`401` in strict mode with a refused token, `403` over the connection limit).
    ///
    /// ```
    /// # use directus_proto::{BaseUrl, Session, realtime::{Action, Connection, RealtimeConfig}};
    /// # let base = BaseUrl::parse("http://h").unwrap();
    /// # let session = Session::new(base.clone(), None).unwrap();
    /// # let mut conn = Connection::new(&base, RealtimeConfig::default(), 1);
    /// let now = std::time::Instant::now();
    /// conn.poll(&session, now);
    /// conn.connect_failed(None, "connection refused", now);
    /// assert_eq!(conn.attempts(), 1);
    /// ```
    pub fn connect_failed(&mut self, status: Option<u16>, message: &str, now: Instant) {
        if self.state != State::Connecting {
            return;
        }
        if status == Some(401) && self.refused(now) {
            return;
        }
        self.lost(message, now);
    }

    /// An auth refusal: the first asks for a fresh token and reconnects, the second in a row
    /// (with a fresh token) is final. Answers whether it was final.
    fn refused(&mut self, now: Instant) -> bool {
        self.refusals += 1;
        if self.refusals >= 2 {
            self.last_error = Some("the server refused the credentials".into());
            self.finish(Some("the server refused the credentials on the WebSocket"));
            return true;
        }
        self.lost("the server refused the token", now);
        // The next connect takes a fresh token.
        self.reauth_due = true;
        false
    }

    /// The socket closed or failed (read or write error, a close frame).
    ///
    /// ```
    /// # use directus_proto::{BaseUrl, Session, realtime::{Action, Connection, RealtimeConfig}};
    /// # let base = BaseUrl::parse("http://h").unwrap();
    /// # let session = Session::new(base.clone(), None).unwrap();
    /// # let mut conn = Connection::new(&base, RealtimeConfig::default(), 1);
    /// let now = std::time::Instant::now();
    /// conn.poll(&session, now);
    /// conn.connected(now);
    /// conn.closed("reset by peer", now);
    /// assert!(!conn.is_open());
    /// ```
    pub fn closed(&mut self, message: &str, now: Instant) {
        if matches!(
            self.state,
            State::Connecting | State::Authenticating(_) | State::Open
        ) {
            // The driver knows its socket is gone: no `Close` to ask for.
            self.state = State::Connecting;
            self.lost(message, now);
        }
    }

    /// The connection is gone: fail writes in flight, wait the backoff, connect again.
    fn lost(&mut self, message: &str, now: Instant) {
        let was_up = matches!(self.state, State::Authenticating(_) | State::Open);
        self.last_error = Some(message.to_owned());
        // Frames for the old socket are void; a close is asked for when it may still be open.
        self.actions.retain(|a| matches!(a, Action::Refresh(_)));
        if was_up {
            self.actions.push_back(Action::Close);
        }
        let in_flight: Vec<u64> = self
            .calls
            .iter()
            .filter(|(_, p)| p.sent)
            .map(|(id, _)| *id)
            .collect();
        for id in in_flight {
            if let Some(p) = self.calls.remove(&id) {
                let _ = p;
                self.outputs.push_back(Output::Reply {
                    id: RequestId(id),
                    result: Err(transport("the connection was lost before the answer")),
                });
            }
        }
        for sub in self.subs.values_mut() {
            sub.confirmed = false;
        }
        self.probe_sent = None;
        self.last_frame = None;
        self.reauth_sent = None;
        self.reauth_at = None;
        self.pending_token = None;
        if let Some(max) = self.config.backoff.max_attempts
            && self.attempts >= max
        {
            self.finish(Some("gave up reconnecting"));
            return;
        }
        let random = self.random();
        let delay = self.config.backoff.delay(self.attempts, random);
        self.attempts = self.attempts.saturating_add(1);
        self.state = State::Waiting(now.checked_add(delay).unwrap_or(now));
    }

    /// The session's refresh (asked for by [`Action::Refresh`]) finished.
    ///
    /// ```
    /// # use directus_proto::{BaseUrl, realtime::{Connection, RealtimeConfig}};
    /// # let mut conn = Connection::new(&BaseUrl::parse("http://h").unwrap(), RealtimeConfig::default(), 1);
    /// conn.refreshed(Ok(()), std::time::Instant::now());
    /// ```
    pub fn refreshed(&mut self, result: Result<(), Error>, now: Instant) {
        if !self.refreshing {
            return;
        }
        self.refreshing = false;
        match result {
            Ok(()) => self.fresh = true,
            Err(error) if is_final_auth_error(&error) => {
                self.last_error = Some(error.to_string());
                self.finish(Some("the session could not be refreshed"));
            }
            Err(error) => {
                let message = format!("refresh failed: {error}");
                if self.state == State::RefreshingToConnect {
                    // Not connected yet: count it as a failed attempt.
                    self.state = State::Connecting;
                }
                self.lost(&message, now);
            }
        }
    }

    /// A binary frame arrived: Directus sends none; it is dropped.
    ///
    /// ```
    /// # use directus_proto::{BaseUrl, realtime::{Connection, RealtimeConfig}};
    /// # let mut conn = Connection::new(&BaseUrl::parse("http://h").unwrap(), RealtimeConfig::default(), 1);
    /// conn.received_binary(&[0, 1, 2], std::time::Instant::now());
    /// assert_eq!(conn.ignored_frames(), 1);
    /// ```
    pub fn received_binary(&mut self, _data: &[u8], now: Instant) {
        self.alive(now);
        self.ignored += 1;
    }

    fn alive(&mut self, now: Instant) {
        if matches!(self.state, State::Open | State::Authenticating(_)) {
            self.last_frame = Some(now);
            self.probe_sent = None;
        }
    }

    /// A text frame arrived.
    ///
    /// ```
    /// # use directus_proto::{BaseUrl, realtime::{Connection, RealtimeConfig}};
    /// # let mut conn = Connection::new(&BaseUrl::parse("http://h").unwrap(), RealtimeConfig::default(), 1);
    /// conn.received_text(r#"{"type":"something-new"}"#, std::time::Instant::now());
    /// assert_eq!(conn.ignored_frames(), 1);
    /// ```
    pub fn received_text(&mut self, text: &str, now: Instant) {
        self.alive(now);
        if text.len() > self.config.frame_limit {
            self.ignored += 1;
            return;
        }
        let Ok(message) = serde_json::from_str::<Value>(text) else {
            self.ignored += 1;
            return;
        };
        let kind = message["type"].as_str().unwrap_or("");
        let is_error = message["status"] == "error";
        let uid = message["uid"].as_str().unwrap_or("");
        match kind {
            "ping" => {
                let mut pong = json!({"type": "pong"});
                if let Some(uid) = message.get("uid") {
                    pong["uid"] = uid.clone();
                }
                self.actions
                    .push_back(Action::Send(Frame(pong.to_string())));
            }
            "pong" => {}
            "auth" => self.on_auth(&message, is_error, now),
            "subscription" if !is_error => self.on_event(&message, uid),
            "subscribe" | "subscription" | "unsubscribe" if is_error => {
                self.on_subscribe_error(&message, uid)
            }
            "items" => self.on_items(&message, is_error, uid),
            _ if is_error => {
                self.last_error = Some(socket_error(&message).to_string());
            }
            _ => self.ignored += 1,
        }
    }

    fn on_auth(&mut self, message: &Value, is_error: bool, now: Instant) {
        if !is_error {
            match self.state {
                State::Authenticating(_) => self.opened(),
                State::Open => self.reauth_sent = None,
                _ => {}
            }
            return;
        }
        let error = socket_error(message);
        let code = error.api().map(|e| e.code().clone());
        self.last_error = Some(error.to_string());
        if code == Some(ErrorCode::TokenExpired) && self.state == State::Open {
            // The server keeps subscriptions and waits for a new `auth`.
            self.reauth_due = true;
            self.reauth_sent = None;
            return;
        }
        // AUTH_FAILED, AUTH_TIMEOUT: the server closes the socket.
        if matches!(self.state, State::Authenticating(_) | State::Open) {
            self.refused(now);
        }
    }

    fn sub_id(&self, uid: &str) -> Option<u64> {
        uid.strip_prefix('s')?
            .parse()
            .ok()
            .filter(|id| self.subs.contains_key(id))
    }

    fn on_event(&mut self, message: &Value, uid: &str) {
        let Some(id) = self.sub_id(uid) else {
            // An event for a subscription that ended (or an unsubscribe's answer).
            return;
        };
        let data = message.get("data");
        let event = match message["event"].as_str().unwrap_or("") {
            "init" => {
                let Some(sub) = self.subs.get_mut(&id) else {
                    return;
                };
                if sub.confirmed {
                    self.ignored += 1;
                    return;
                }
                sub.confirmed = true;
                if sub.seen_init {
                    self.outputs.push_back(Output::Event {
                        id: SubscriptionId(id),
                        event: Event::Reconnected,
                    });
                }
                sub.seen_init = true;
                Event::Init(list(data))
            }
            "create" => Event::Create(list(data)),
            "update" => Event::Update(list(data)),
            "delete" => Event::Delete(
                list(data)
                    .into_iter()
                    .filter_map(|k| serde_json::from_value::<Key>(k).ok())
                    .collect(),
            ),
            "unsubscribe" => return,
            _ => {
                self.ignored += 1;
                return;
            }
        };
        self.outputs.push_back(Output::Event {
            id: SubscriptionId(id),
            event,
        });
    }

    fn on_subscribe_error(&mut self, message: &Value, uid: &str) {
        let error = socket_error(message);
        let Some(id) = self.sub_id(uid) else {
            self.last_error = Some(error.to_string());
            return;
        };
        let confirmed = self.subs.get(&id).is_some_and(|s| s.confirmed);
        if !confirmed {
            // Refused before `init` (forbidden collection, bad query): final.
            self.subs.remove(&id);
        }
        self.outputs.push_back(Output::Error {
            id: SubscriptionId(id),
            error,
            fatal: !confirmed,
        });
    }

    fn on_items(&mut self, message: &Value, is_error: bool, uid: &str) {
        let Some(id) = uid.strip_prefix('r').and_then(|n| n.parse::<u64>().ok()) else {
            self.ignored += 1;
            return;
        };
        if self.calls.remove(&id).is_none() {
            self.ignored += 1;
            return;
        }
        let result = if is_error {
            Err(socket_error(message))
        } else {
            Ok(message.get("data").cloned().unwrap_or(Value::Null))
        };
        self.outputs.push_back(Output::Reply {
            id: RequestId(id),
            result,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Credentials, Exchange, F, Step};

    const SEC: Duration = Duration::from_secs(1);

    fn base() -> BaseUrl {
        BaseUrl::parse("http://127.0.0.1:8055").unwrap()
    }

    fn conn(config: RealtimeConfig) -> Connection {
        Connection::new(&base(), config, 42)
    }

    fn token_session() -> Session {
        Session::new(base(), Some(Credentials::static_token("tok"))).unwrap()
    }

    /// A password session logged in at `now` with a token of `ttl`, answering the login
    /// with access token `access`.
    fn login(session: &Session, access: &str, ttl: Duration, now: Instant) {
        let mut refresh = session.refresh(session.generation()).unwrap();
        let mut answer = None;
        loop {
            match refresh.step(answer.take(), now).unwrap() {
                Step::Send(_) => {
                    let body = json!({"data": {"access_token": access, "refresh_token": "r",
                        "expires": ttl.as_millis() as u64}});
                    answer = Some(http::Response::new(bytes::Bytes::from(body.to_string())));
                }
                Step::Done(()) => return,
                other => panic!("{other:?}"),
            }
        }
    }

    fn drain(conn: &mut Connection, session: &Session, now: Instant) -> Vec<Action> {
        std::iter::from_fn(|| conn.poll(session, now))
            .take(10_000)
            .collect()
    }

    fn sent(actions: &[Action]) -> Vec<Value> {
        actions
            .iter()
            .filter_map(|a| match a {
                Action::Send(f) => Some(serde_json::from_str(f.as_str()).unwrap()),
                _ => None,
            })
            .collect()
    }

    fn outputs(conn: &mut Connection) -> Vec<Output> {
        std::iter::from_fn(|| conn.poll_output()).collect()
    }

    /// Connects and authenticates with the static token; answers the subscriptions' inits.
    fn open(conn: &mut Connection, session: &Session, now: Instant) -> Vec<Value> {
        let actions = drain(conn, session, now);
        assert!(
            matches!(actions.as_slice(), [Action::Connect(_)]),
            "{actions:?}"
        );
        conn.connected(now);
        let auth = sent(&drain(conn, session, now));
        assert_eq!(auth, vec![json!({"type": "auth", "access_token": "tok"})]);
        conn.received_text(r#"{"type":"auth","status":"ok"}"#, now);
        sent(&drain(conn, session, now))
    }

    #[test]
    fn subscriptions_made_before_the_socket_opens_are_sent_after_auth() {
        let session = token_session();
        let mut c = conn(RealtimeConfig::default());
        let now = Instant::now();
        let id = c.subscribe(
            Subscribe::new("posts")
                .query(
                    Query::new()
                        .fields(["id", "title"])
                        .filter(F::eq("status", "live")),
                )
                .event(EventKind::Create),
        );
        let frames = open(&mut c, &session, now);
        assert_eq!(
            frames,
            vec![
                json!({"type": "subscribe", "collection": "posts", "event": "create",
                "query": {"fields": ["id", "title"], "filter": {"status": {"_eq": "live"}}},
                "uid": "s1"})
            ]
        );
        c.received_text(r#"{"type":"subscription","event":"init","uid":"s1"}"#, now);
        c.received_text(
            r#"{"type":"subscription","event":"create","data":[{"id":5}],"uid":"s1"}"#,
            now,
        );
        let got = outputs(&mut c);
        assert!(
            matches!(&got[0], Output::Event { id: i, event: Event::Init(r) } if *i == id && r.is_empty())
        );
        assert!(
            matches!(&got[1], Output::Event { event: Event::Create(r), .. } if r[0]["id"] == 5)
        );
    }

    #[test]
    fn one_item_subscriptions_and_deletes_are_lists() {
        let session = token_session();
        let mut c = conn(RealtimeConfig::default());
        let now = Instant::now();
        c.subscribe(Subscribe::new("posts").item(3));
        let frames = open(&mut c, &session, now);
        assert_eq!(frames[0]["item"], 3);
        c.received_text(
            r#"{"type":"subscription","event":"init","data":{"id":3},"uid":"s1"}"#,
            now,
        );
        c.received_text(
            r#"{"type":"subscription","event":"delete","data":"3","uid":"s1"}"#,
            now,
        );
        c.received_text(
            r#"{"type":"subscription","event":"delete","data":[1,"a",{"x":1}],"uid":"s1"}"#,
            now,
        );
        let got = outputs(&mut c);
        assert!(matches!(&got[0], Output::Event { event: Event::Init(r), .. } if r.len() == 1));
        assert!(
            matches!(&got[1], Output::Event { event: Event::Delete(k), .. } if k == &[Key::from("3")])
        );
        assert!(
            matches!(&got[2], Output::Event { event: Event::Delete(k), .. } if k == &[Key::from(1), Key::from("a")])
        );
    }

    #[test]
    fn answers_the_servers_ping() {
        let session = token_session();
        let mut c = conn(RealtimeConfig::default());
        let now = Instant::now();
        open(&mut c, &session, now);
        c.received_text(r#"{"type":"ping"}"#, now);
        c.received_text(r#"{"type":"ping","uid":7}"#, now);
        assert_eq!(
            sent(&drain(&mut c, &session, now)),
            vec![json!({"type": "pong"}), json!({"type": "pong", "uid": 7})]
        );
    }

    #[test]
    fn a_silent_server_is_probed_then_given_up() {
        let session = token_session();
        let keepalive = 10 * SEC;
        let mut c = conn(RealtimeConfig::default().keepalive(Some(keepalive)));
        let t0 = Instant::now();
        open(&mut c, &session, t0);
        assert_eq!(c.deadline(), Some(t0 + keepalive));
        assert!(drain(&mut c, &session, t0 + keepalive - SEC).is_empty());
        // A frame resets the clock.
        c.received_text(r#"{"type":"ping"}"#, t0 + 5 * SEC);
        drain(&mut c, &session, t0 + 5 * SEC);
        assert!(drain(&mut c, &session, t0 + keepalive).is_empty());
        let t1 = t0 + 5 * SEC + keepalive;
        assert_eq!(
            sent(&drain(&mut c, &session, t1)),
            vec![json!({"type": "ping"})]
        );
        assert!(c.is_open());
        let actions = drain(&mut c, &session, t1 + keepalive);
        assert!(matches!(actions.as_slice(), [Action::Close]), "{actions:?}");
        assert!(!c.is_open());
        assert_eq!(c.last_error(), Some("the server stopped answering"));
        assert_eq!(c.attempts(), 1);
    }

    #[test]
    fn a_pong_keeps_the_connection() {
        let session = token_session();
        let keepalive = 10 * SEC;
        let mut c = conn(RealtimeConfig::default().keepalive(Some(keepalive)));
        let t0 = Instant::now();
        open(&mut c, &session, t0);
        assert_eq!(
            sent(&drain(&mut c, &session, t0 + keepalive)),
            vec![json!({"type": "ping"})]
        );
        c.received_text(r#"{"type":"pong"}"#, t0 + keepalive + SEC);
        assert!(drain(&mut c, &session, t0 + 2 * keepalive).is_empty());
        assert!(c.is_open());
    }

    #[test]
    fn reconnects_resubscribe_everything_before_other_frames_and_say_so() {
        let session = token_session();
        let mut c = conn(RealtimeConfig::default());
        let t0 = Instant::now();
        let a = c.subscribe(Subscribe::new("posts"));
        let b = c.subscribe(Subscribe::new("tags").query(Query::new().limit(3)));
        open(&mut c, &session, t0);
        c.received_text(
            r#"{"type":"subscription","event":"init","data":[],"uid":"s1"}"#,
            t0,
        );
        c.received_text(
            r#"{"type":"subscription","event":"init","data":[],"uid":"s2"}"#,
            t0,
        );
        outputs(&mut c);
        c.closed("reset", t0);
        assert!(!c.is_open());
        // Calls made while down wait for the re-subscriptions.
        let read = c.items(ItemsCall::read("posts"));
        let Some(at) = c.deadline() else { panic!() };
        assert!(at <= t0 + Backoff::default().ceiling(0));
        let frames = open(&mut c, &session, at);
        let types: Vec<_> = frames
            .iter()
            .map(|f| (f["type"].clone(), f["uid"].clone()))
            .collect();
        assert_eq!(
            types,
            vec![
                (json!("subscribe"), json!("s1")),
                (json!("subscribe"), json!("s2")),
                (json!("items"), json!(format!("r{}", read.0))),
            ]
        );
        assert_eq!(frames[1]["query"], json!({"limit": 3}));
        c.received_text(
            r#"{"type":"subscription","event":"init","data":[{"id":1}],"uid":"s2"}"#,
            at,
        );
        let got = outputs(&mut c);
        assert!(matches!(&got[0], Output::Event { id, event: Event::Reconnected } if *id == b));
        assert!(matches!(&got[1], Output::Event { id, event: Event::Init(_) } if *id == b));
        assert_eq!(got.len(), 2);
        assert_eq!(c.reconnects(), 1);
        assert_eq!(c.attempts(), 0);
        let _ = a;
    }

    #[test]
    fn a_server_that_stays_down_gets_growing_jittered_delays() {
        let session = token_session();
        let backoff = Backoff::default()
            .initial(100 * Duration::from_millis(1))
            .max(10 * SEC);
        let mut c = conn(RealtimeConfig::default().backoff(backoff));
        let mut now = Instant::now();
        let mut delays = Vec::new();
        for attempt in 0..40u32 {
            let actions = drain(&mut c, &session, now);
            assert!(
                matches!(actions.as_slice(), [Action::Connect(_)]),
                "{attempt}: {actions:?}"
            );
            c.connect_failed(None, "connection refused", now);
            assert_eq!(c.attempts(), attempt + 1);
            let at = c.deadline().unwrap();
            let delay = at - now;
            assert!(delay <= backoff.ceiling(attempt), "{attempt}: {delay:?}");
            // Nothing before the time.
            if delay > Duration::ZERO {
                assert!(drain(&mut c, &session, at - Duration::from_nanos(1)).is_empty());
            }
            delays.push(delay);
            now = at;
        }
        assert_eq!(c.last_error(), Some("connection refused"));
        // Jitter: the delays at the cap are not all the same, and the cap is reached.
        let capped = &delays[10..];
        assert!(capped.iter().any(|d| *d != capped[0]));
        assert!(capped.iter().any(|d| *d > 5 * SEC));
        // Growth: late delays are larger than early ones on average.
        let early: Duration = delays[..4].iter().sum();
        let late: Duration = delays[20..24].iter().sum();
        assert!(late > early);
        assert!(!c.is_finished());
    }

    #[test]
    fn a_bounded_backoff_ends_every_subscription() {
        let session = token_session();
        let mut c =
            conn(RealtimeConfig::default().backoff(Backoff::default().max_attempts(Some(2))));
        let id = c.subscribe(Subscribe::new("posts"));
        let mut now = Instant::now();
        for _ in 0..3 {
            drain(&mut c, &session, now);
            c.connect_failed(None, "refused", now);
            now = c.deadline().unwrap_or(now);
        }
        assert!(c.is_finished());
        let got = outputs(&mut c);
        assert!(matches!(&got[..], [Output::Error { id: i, fatal: true, .. }] if *i == id));
    }

    #[test]
    fn a_forbidden_collection_is_a_final_typed_error() {
        let session = token_session();
        let mut c = conn(RealtimeConfig::default());
        let now = Instant::now();
        let id = c.subscribe(Subscribe::new("secrets"));
        open(&mut c, &session, now);
        c.received_text(
            r#"{"type":"subscribe","status":"error","error":{"code":"FORBIDDEN","message":"no"},"uid":"s1"}"#,
            now,
        );
        let got = outputs(&mut c);
        match &got[..] {
            [
                Output::Error {
                    id: i,
                    error,
                    fatal: true,
                },
            ] => {
                assert_eq!(*i, id);
                assert_eq!(error.api().unwrap().code(), &ErrorCode::Forbidden);
                assert_eq!(error.status(), Some(StatusCode::FORBIDDEN));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(c.subscriptions(), 0);
        // Not sent again after a reconnect.
        c.closed("x", now);
        let at = c.deadline().unwrap();
        assert!(open(&mut c, &session, at).is_empty());
    }

    #[test]
    fn token_expiry_on_the_open_socket_refreshes_through_the_session_and_keeps_subscriptions() {
        let session = Session::new(base(), Some(Credentials::password("a@b.c", "pw"))).unwrap();
        let mut c = conn(RealtimeConfig::default());
        let t0 = Instant::now();
        c.subscribe(Subscribe::new("posts"));
        // No token yet: the socket asks for the session's refresh (a login) first.
        let actions = drain(&mut c, &session, t0);
        let [Action::Refresh(seen)] = actions.as_slice() else {
            panic!("{actions:?}")
        };
        assert!(session.refresh(*seen).is_some());
        login(&session, "one", 10 * SEC, t0);
        c.refreshed(Ok(()), t0);
        let actions = drain(&mut c, &session, t0);
        assert!(
            matches!(actions.as_slice(), [Action::Connect(_)]),
            "{actions:?}"
        );
        c.connected(t0);
        assert_eq!(
            sent(&drain(&mut c, &session, t0)),
            vec![json!({"type": "auth", "access_token": "one"})]
        );
        c.received_text(r#"{"type":"auth","status":"ok"}"#, t0);
        assert_eq!(sent(&drain(&mut c, &session, t0)).len(), 1);
        c.received_text(
            r#"{"type":"subscription","event":"init","data":[],"uid":"s1"}"#,
            t0,
        );
        // Renewal at half-life for a 10 s token.
        assert_eq!(c.deadline(), Some(t0 + 5 * SEC));
        let actions = drain(&mut c, &session, t0 + 5 * SEC);
        let [Action::Refresh(seen)] = actions.as_slice() else {
            panic!("{actions:?}")
        };
        // Someone else (a REST call) refreshed meanwhile: the socket uses that token.
        login(&session, "two", 10 * SEC, t0 + 8 * SEC);
        assert!(session.refresh(*seen).is_none());
        c.refreshed(Ok(()), t0 + 8 * SEC);
        assert_eq!(
            sent(&drain(&mut c, &session, t0 + 8 * SEC)),
            vec![json!({"type": "auth", "access_token": "two"})]
        );
        c.received_text(r#"{"type":"auth","status":"ok"}"#, t0 + 8 * SEC);
        // The server says TOKEN_EXPIRED anyway: refresh (the generation it used) and auth again.
        let t1 = t0 + 9 * SEC;
        c.received_text(
            r#"{"type":"auth","status":"error","error":{"code":"TOKEN_EXPIRED","message":"x"}}"#,
            t1,
        );
        let actions = drain(&mut c, &session, t1);
        assert!(
            matches!(actions.as_slice(), [Action::Refresh(_)]),
            "{actions:?}"
        );
        login(&session, "three", 10 * SEC, t1);
        c.refreshed(Ok(()), t1);
        assert_eq!(
            sent(&drain(&mut c, &session, t1)),
            vec![json!({"type": "auth", "access_token": "three"})]
        );
        c.received_text(r#"{"type":"auth","status":"ok"}"#, t1);
        assert!(c.is_open());
        assert_eq!(c.status().renewals, 2);
        assert_eq!(c.subscriptions(), 1);
        assert!(outputs(&mut c).iter().all(|o| matches!(
            o,
            Output::Event {
                event: Event::Init(_),
                ..
            }
        )));
    }

    #[test]
    fn a_refused_token_gets_one_fresh_try_then_ends() {
        let session = token_session();
        let mut c = conn(RealtimeConfig::default());
        let id = c.subscribe(Subscribe::new("posts"));
        let now = Instant::now();
        drain(&mut c, &session, now);
        c.connected(now);
        drain(&mut c, &session, now);
        let failed =
            r#"{"type":"auth","status":"error","error":{"code":"AUTH_FAILED","message":"x"}}"#;
        c.received_text(failed, now);
        assert!(!c.is_finished());
        let at = c.deadline().unwrap();
        drain(&mut c, &session, at);
        c.connected(at);
        drain(&mut c, &session, at);
        c.received_text(failed, at);
        assert!(c.is_finished());
        assert!(
            matches!(&outputs(&mut c)[..], [Output::Error { id: i, fatal: true, .. }] if *i == id)
        );
    }

    #[test]
    fn a_refused_refresh_is_final_and_a_failed_one_is_retried() {
        let session = Session::new(base(), Some(Credentials::password("a@b.c", "pw"))).unwrap();
        let mut c = conn(RealtimeConfig::default());
        c.subscribe(Subscribe::new("posts"));
        let now = Instant::now();
        drain(&mut c, &session, now);
        c.refreshed(Err(transport("down")), now);
        assert!(!c.is_finished());
        assert_eq!(c.attempts(), 1);
        let at = c.deadline().unwrap();
        assert!(matches!(
            drain(&mut c, &session, at).as_slice(),
            [Action::Refresh(_)]
        ));
        let refused = ApiError::from_body(StatusCode::UNAUTHORIZED, b"{}");
        c.refreshed(Err(Error::Api(refused)), at);
        assert!(c.is_finished());
    }

    #[test]
    fn strict_mode_puts_the_token_in_the_url() {
        let session = Session::new(base(), Some(Credentials::static_token("a+b/c"))).unwrap();
        let mut c = conn(RealtimeConfig::default().auth(AuthMode::Strict));
        c.subscribe(Subscribe::new("posts"));
        let now = Instant::now();
        let actions = drain(&mut c, &session, now);
        let [Action::Connect(url)] = actions.as_slice() else {
            panic!()
        };
        assert_eq!(
            url.expose(),
            "ws://127.0.0.1:8055/websocket?access_token=a%2Bb%2Fc"
        );
        assert!(!format!("{actions:?}").contains("a+b"));
        c.connected(now);
        let frames = sent(&drain(&mut c, &session, now));
        assert_eq!(frames[0]["type"], "subscribe");
        // A refused upgrade (401) twice is final.
        c.closed("x", now);
        let at = c.deadline().unwrap();
        drain(&mut c, &session, at);
        c.connect_failed(Some(401), "401", at);
        let at = c.deadline().unwrap();
        drain(&mut c, &session, at);
        c.connect_failed(Some(401), "401", at);
        assert!(c.is_finished());
    }

    #[test]
    fn public_mode_without_a_token_sends_no_auth_and_https_becomes_wss() {
        let base = BaseUrl::parse("https://cms.example.com/api").unwrap();
        let session = Session::new(base.clone(), None).unwrap();
        let mut c = Connection::new(&base, RealtimeConfig::default().auth(AuthMode::Public), 1);
        c.subscribe(Subscribe::new("posts"));
        let now = Instant::now();
        let actions = drain(&mut c, &session, now);
        let [Action::Connect(url)] = actions.as_slice() else {
            panic!()
        };
        assert_eq!(url.expose(), "wss://cms.example.com/api/websocket");
        c.connected(now);
        assert_eq!(sent(&drain(&mut c, &session, now))[0]["type"], "subscribe");
    }

    #[test]
    fn items_calls_answer_by_uid_and_writes_in_flight_are_never_resent() {
        let session = token_session();
        let mut c = conn(RealtimeConfig::default());
        let now = Instant::now();
        open(&mut c, &session, now);
        let read = c.items(
            ItemsCall::read("posts")
                .ids([1, 2])
                .query(Query::new().fields(["id"])),
        );
        let create = c.items(ItemsCall::create("posts", json!({"title": "x"})));
        let update = c.items(ItemsCall::update("posts", 4, json!({"title": "y"})));
        let frames = sent(&drain(&mut c, &session, now));
        assert_eq!(
            frames,
            vec![
                json!({"type": "items", "action": "read", "collection": "posts", "ids": [1, 2],
                    "query": {"fields": ["id"]}, "uid": format!("r{}", read.0)}),
                json!({"type": "items", "action": "create", "collection": "posts",
                    "data": {"title": "x"}, "uid": format!("r{}", create.0)}),
                json!({"type": "items", "action": "update", "collection": "posts", "id": 4,
                    "data": {"title": "y"}, "uid": format!("r{}", update.0)}),
            ]
        );
        c.received_text(
            &json!({"type": "items", "data": [{"id": 1}], "uid": format!("r{}", read.0)})
                .to_string(),
            now,
        );
        c.received_text(
            &json!({"type": "items", "status": "error", "error": {"code": "FORBIDDEN", "message": "no"},
                "uid": format!("r{}", update.0)}).to_string(),
            now,
        );
        c.closed("cut", now);
        let got = outputs(&mut c);
        assert!(
            matches!(&got[0], Output::Reply { id, result: Ok(v) } if *id == read && v[0]["id"] == 1)
        );
        assert!(
            matches!(&got[1], Output::Reply { id, result: Err(e) } if *id == update && e.status() == Some(StatusCode::FORBIDDEN))
        );
        assert!(
            matches!(&got[2], Output::Reply { id, result: Err(Error::Transport(_)) } if *id == create)
        );
        let at = c.deadline().unwrap();
        assert!(open(&mut c, &session, at).is_empty());
    }

    #[test]
    fn a_cancelled_call_is_never_sent() {
        let session = token_session();
        let mut c = conn(RealtimeConfig::default());
        let now = Instant::now();
        let gone = c.items(ItemsCall::create("posts", json!({})));
        let kept = c.items(ItemsCall::read("posts"));
        c.cancel(gone);
        let frames = open(&mut c, &session, now);
        assert_eq!(frames.len(), 1);
        assert_eq!(frames[0]["uid"], format!("r{}", kept.0));
    }

    #[test]
    fn hostile_frames_are_counted_and_dropped() {
        let session = token_session();
        let mut c = conn(RealtimeConfig::default().frame_limit(1024));
        let now = Instant::now();
        let id = c.subscribe(Subscribe::new("posts"));
        open(&mut c, &session, now);
        let big = format!(
            r#"{{"type":"subscription","event":"init","data":"{}","uid":"s1"}}"#,
            "x".repeat(10 << 20)
        );
        let deep = "[".repeat(100_000);
        for frame in [
            big.as_str(),
            "",
            "null",
            "[]",
            "42",
            deep.as_str(),
            "{\"type\":",
            r#"{"type":"mystery"}"#,
            r#"{"type":null}"#,
            r#"{"type":"subscription","event":"weird","uid":"s1"}"#,
            r#"{"type":"items","data":1,"uid":"r999"}"#,
            r#"{"type":"items","data":1,"uid":7}"#,
        ] {
            c.received_text(frame, now);
        }
        c.received_binary(&[0xff; 16], now);
        // Events for unknown subscriptions and odd shapes are dropped quietly.
        c.received_text(
            r#"{"type":"subscription","event":"create","data":[1],"uid":"s99"}"#,
            now,
        );
        c.received_text(
            r#"{"type":"subscription","event":"create","data":[1],"uid":{"a":1}}"#,
            now,
        );
        c.received_text(r#"{"type":"server","status":"error","error":{"code":"INVALID_PAYLOAD","message":"m"}}"#, now);
        c.received_text(r#"{"type":"auth","status":"error"}"#, now);
        assert!(c.ignored_frames() >= 12, "{}", c.ignored_frames());
        assert!(outputs(&mut c).is_empty());
        let _ = id;
    }

    #[test]
    fn unsubscribe_sends_the_frame_and_drops_late_events() {
        let session = token_session();
        let mut c = conn(RealtimeConfig::default());
        let now = Instant::now();
        let id = c.subscribe(Subscribe::new("posts"));
        open(&mut c, &session, now);
        c.unsubscribe(id);
        assert_eq!(
            sent(&drain(&mut c, &session, now)),
            vec![json!({"type": "unsubscribe", "uid": "s1"})]
        );
        c.received_text(
            r#"{"type":"subscription","event":"create","data":[{}],"uid":"s1"}"#,
            now,
        );
        c.received_text(
            r#"{"type":"subscription","event":"unsubscribe","uid":"s1"}"#,
            now,
        );
        assert!(outputs(&mut c).is_empty());
    }

    #[test]
    fn close_ends_everything_and_later_calls_fail() {
        let session = token_session();
        let mut c = conn(RealtimeConfig::default());
        let now = Instant::now();
        c.subscribe(Subscribe::new("posts"));
        open(&mut c, &session, now);
        c.close();
        assert!(matches!(
            drain(&mut c, &session, now).as_slice(),
            [Action::Close]
        ));
        let late = c.subscribe(Subscribe::new("x"));
        assert!(
            matches!(&outputs(&mut c)[..], [Output::Error { id, fatal: true, .. }] if *id == late)
        );
        assert!(c.poll(&session, now + 1000 * SEC).is_none());
    }

    #[test]
    fn the_auth_frame_is_not_printed() {
        let session = token_session();
        let mut c = conn(RealtimeConfig::default());
        let now = Instant::now();
        drain(&mut c, &session, now);
        c.connected(now);
        let actions = drain(&mut c, &session, now);
        assert!(!format!("{actions:?}").contains("tok"));
    }
}
