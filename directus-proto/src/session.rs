//! [`Session`]: one identity's tokens, its refresh schedule and its response cache, shared by
//! every call of a client; and the exchanges ([`Call`], [`Refresh`], [`Logout`]) a driver runs.
//!
//! A driver runs an [`Exchange`] by feeding it the answers to the requests it asks for:
//!
//! ```
//! use directus_proto::{BaseUrl, Credentials, Exchange, Operation, Session, Step, response};
//! use std::time::Instant;
//!
//! let base = BaseUrl::parse("http://127.0.0.1:8055").unwrap();
//! let session = Session::new(base.clone(), Some(Credentials::static_token("t0ken")));
//! let mut call = session.call(Operation::get(&base, "/server/ping", response::text));
//! let mut answer = None;
//! let pong = loop {
//!     match call.step(answer.take(), Instant::now()).unwrap() {
//!         Step::Send(request) => {
//!             assert_eq!(request.headers()["authorization"], "Bearer t0ken");
//!             answer = Some(http::Response::new(b"pong".to_vec())); // the transport's job
//!         }
//!         Step::Refresh(_) => unreachable!("static tokens are never refreshed"),
//!         Step::Wait(delay) => std::thread::sleep(delay), // a 429 on a read
//!         Step::Done(value) => break value,
//!     }
//! };
//! assert_eq!(pong, "pong");
//! ```
//!
//! Refresh is single-flight: [`Step::Refresh`] carries the [`Generation`] of the tokens the call
//! saw; the driver takes its refresh lock (one per session) and asks [`Session::refresh`], which
//! answers `None` when another caller refreshed since, so the waiters reuse its tokens.

use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use http::{HeaderValue, Request, Response, StatusCode};

use crate::BaseUrl;
use crate::auth::{self, Credentials, Secret, Tokens};
use crate::cache::{Cache, CacheConfig};
use crate::error::{ApiError, Error, ErrorCode, TransportError, TransportErrorKind};
use crate::operation::Operation;

/// The longest margin before expiry at which a session refreshes ahead of time.
const MAX_MARGIN: Duration = Duration::from_secs(30);

/// The longest `Retry-After` a read waits out before it is sent again; a longer one is returned
/// as the `429` error it is.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(30);

/// Identifies one set of tokens; it changes on every login, refresh and logout.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Generation(u64);

/// What a driver must do next for an [`Exchange`].
#[derive(Debug)]
#[allow(clippy::large_enum_variant)] // a step lives for one loop turn; boxing buys nothing
pub enum Step<T> {
    /// Send this request and pass the answer to the next `step`.
    Send(Request<Vec<u8>>),
    /// Refresh the session (single-flight, see [`Session::refresh`]), then call `step` with no
    /// answer.
    Refresh(Generation),
    /// Wait this long (the server's `Retry-After` of a `429`), then call `step` with no answer.
    Wait(Duration),
    /// Finished with this value.
    Done(T),
}

/// A conversation with the server that a driver carries out: [`Call`], [`Refresh`], [`Logout`].
pub trait Exchange {
    /// What the exchange produces.
    type Output;

    /// Advances the exchange with the answer to the last [`Step::Send`] (or `None` at the
    /// start and after a [`Step::Refresh`]); `now` is the driver's clock.
    fn step(
        &mut self,
        response: Option<Response<Vec<u8>>>,
        now: Instant,
    ) -> Result<Step<Self::Output>, Error>;

    /// Whether the last request may be sent again after this transport failure. Only reads
    /// say yes, once: nothing that could write twice is retried.
    ///
    /// Answers the request to send again, or `None`.
    fn retry_after(&mut self, error: &TransportError) -> Option<Request<Vec<u8>>>;
}

struct AuthState {
    credentials: Option<Credentials>,
    access: Option<HeaderValue>,
    refresh: Option<Secret>,
    expires_at: Option<Instant>,
    margin: Duration,
    generation: u64,
    logged_out: bool,
}

enum Authorization {
    Header(Option<HeaderValue>, Generation),
    Refresh(Generation),
}

impl AuthState {
    fn can_refresh(&self) -> bool {
        !self.logged_out
            && (self.refresh.is_some()
                || matches!(self.credentials, Some(Credentials::Password { .. })))
    }

    fn authorize(&self, now: Instant) -> Result<Authorization, Error> {
        let generation = Generation(self.generation);
        if self.logged_out {
            return Err(Error::NotAuthenticated("the session was logged out"));
        }
        match &self.credentials {
            None => Ok(Authorization::Header(None, generation)),
            Some(Credentials::StaticToken(_)) => {
                Ok(Authorization::Header(self.access.clone(), generation))
            }
            Some(_) => match (&self.access, self.expires_at) {
                (None, _) => Ok(Authorization::Refresh(generation)),
                (Some(_), Some(at)) if now + self.margin >= at => {
                    Ok(Authorization::Refresh(generation))
                }
                (Some(header), _) => Ok(Authorization::Header(Some(header.clone()), generation)),
            },
        }
    }

    fn store(&mut self, tokens: Tokens, now: Instant) -> Result<(), Error> {
        self.access = Some(auth::bearer(&tokens.access_token)?);
        if tokens.refresh_token.is_some() {
            self.refresh = tokens.refresh_token;
        }
        self.expires_at = tokens.expires.map(|ttl| now + ttl);
        self.margin = tokens
            .expires
            .map_or(Duration::ZERO, |ttl| (ttl / 10).min(MAX_MARGIN));
        self.generation += 1;
        self.logged_out = false;
        Ok(())
    }

    fn clear(&mut self) {
        self.access = None;
        self.refresh = None;
        self.expires_at = None;
        self.generation += 1;
    }
}

/// One identity on one server: its credentials and tokens, and its response cache.
///
/// A session is shared by every call of a client (`&Session` is enough: its state is behind
/// a lock held only for bookkeeping, never across I/O). Two users on one connection pool are
/// two sessions: their tokens and cached answers never mix.
///
/// ```
/// use directus_proto::{BaseUrl, Credentials, Session};
///
/// let base = BaseUrl::parse("http://127.0.0.1:8055").unwrap();
/// let session = Session::new(base, Some(Credentials::password("a@example.com", "pw")));
/// assert!(!format!("{session:?}").contains("pw"));
/// ```
pub struct Session {
    base: BaseUrl,
    auth: Mutex<AuthState>,
    cache: Mutex<Option<Cache>>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let auth = self.auth();
        f.debug_struct("Session")
            .field("base", &self.base)
            .field("credentials", &auth.credentials)
            .field("has_access_token", &auth.access.is_some())
            .field("has_refresh_token", &auth.refresh.is_some())
            .field("generation", &auth.generation)
            .finish_non_exhaustive()
    }
}

impl Session {
    /// A session with these credentials (`None`: public access, no token). A static token is
    /// ready at once; email and password log in on the first call (or [`Session::refresh`]).
    ///
    /// ```
    /// # use directus_proto::{BaseUrl, Credentials, Session};
    /// let session = Session::new(BaseUrl::parse("http://localhost").unwrap(), None);
    /// assert_eq!(session.base().as_str(), "http://localhost");
    /// ```
    pub fn new(base: BaseUrl, credentials: Option<Credentials>) -> Self {
        let (access, refresh) = match &credentials {
            Some(Credentials::StaticToken(token)) => (auth::bearer(token).ok(), None),
            Some(Credentials::RefreshToken(token)) => (None, Some(token.clone())),
            _ => (None, None),
        };
        Session {
            base,
            auth: Mutex::new(AuthState {
                credentials,
                access,
                refresh,
                expires_at: None,
                margin: Duration::ZERO,
                generation: 0,
                logged_out: false,
            }),
            cache: Mutex::new(None),
        }
    }

    /// The server's base URL.
    ///
    /// ```
    /// # use directus_proto::{BaseUrl, Session};
    /// # let session = Session::new(BaseUrl::parse("http://localhost").unwrap(), None);
    /// assert_eq!(session.base().join("/x"), "http://localhost/x");
    /// ```
    pub fn base(&self) -> &BaseUrl {
        &self.base
    }

    fn auth(&self) -> MutexGuard<'_, AuthState> {
        // The lock is only held for bookkeeping that cannot panic half-way; a poisoned lock
        // still holds consistent state.
        self.auth.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn cache(&self) -> MutexGuard<'_, Option<Cache>> {
        self.cache.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The generation of the current tokens.
    ///
    /// ```
    /// # use directus_proto::{BaseUrl, Session};
    /// # let session = Session::new(BaseUrl::parse("http://localhost").unwrap(), None);
    /// let before = session.generation();
    /// assert_eq!(before, session.generation());
    /// ```
    pub fn generation(&self) -> Generation {
        Generation(self.auth().generation)
    }

    /// The current refresh token, to keep a login across runs
    /// ([`Credentials::refresh_token`]). Handle it as the secret it is.
    ///
    /// ```
    /// # use directus_proto::{BaseUrl, Session};
    /// # let session = Session::new(BaseUrl::parse("http://localhost").unwrap(), None);
    /// assert!(session.refresh_token().is_none());
    /// ```
    pub fn refresh_token(&self) -> Option<Secret> {
        self.auth().refresh.clone()
    }

    /// What a WebSocket needs to authenticate as this session right now (see
    /// [`crate::realtime`]): the access token, its generation and expiry, and whether the
    /// session can refresh.
    pub(crate) fn socket_auth(&self) -> SocketAuth {
        let auth = self.auth();
        let token = if auth.logged_out {
            None
        } else {
            auth.access
                .as_ref()
                .and_then(|h| h.to_str().ok())
                .and_then(|h| h.strip_prefix("Bearer "))
                .map(Secret::new)
        };
        SocketAuth {
            token,
            generation: Generation(auth.generation),
            expires_at: auth.expires_at,
            margin: auth.margin,
            refreshable: auth.can_refresh()
                && !matches!(auth.credentials, Some(Credentials::StaticToken(_)) | None),
        }
    }

    /// Runs `operation` in this session: adds the token, refreshes first when it is about to
    /// expire, refreshes once and repeats after a `TOKEN_EXPIRED` answer, and serves or fills
    /// the cache.
    ///
    /// ```
    /// # use directus_proto::{BaseUrl, Exchange, Operation, Session, Step, response};
    /// # use std::time::Instant;
    /// let base = BaseUrl::parse("http://localhost").unwrap();
    /// let session = Session::new(base.clone(), None);
    /// let mut call = session.call(Operation::get(&base, "/server/ping", response::text));
    /// assert!(matches!(call.step(None, Instant::now()).unwrap(), Step::Send(_)));
    /// ```
    pub fn call<T>(&self, operation: Operation<T>) -> Call<'_, T> {
        Call {
            session: self,
            operation,
            refreshed: false,
            repeated: false,
            waited: false,
            sent_with: None,
            retried: false,
            cache_key: None,
            header: None,
        }
    }

    /// The refresh to run after a [`Step::Refresh`] with `seen`, or `None` when the tokens
    /// changed since `seen` (another caller refreshed: use its tokens). Drivers call this with
    /// their session-wide refresh lock held, so one refresh is in flight at a time.
    ///
    /// A refresh sends the refresh token; with email and password, a session without one (or
    /// whose refresh token the server refuses) logs in instead.
    ///
    /// ```
    /// # use directus_proto::{BaseUrl, Credentials, Exchange, Session, Step};
    /// # use std::time::Instant;
    /// let base = BaseUrl::parse("http://localhost").unwrap();
    /// let session = Session::new(base, Some(Credentials::password("a@example.com", "pw")));
    /// let mut refresh = session.refresh(session.generation()).unwrap();
    /// match refresh.step(None, Instant::now()).unwrap() {
    ///     Step::Send(request) => assert_eq!(request.uri().path(), "/auth/login"),
    ///     _ => unreachable!(),
    /// }
    /// ```
    pub fn refresh(&self, seen: Generation) -> Option<Refresh<'_>> {
        (self.generation() == seen).then_some(Refresh {
            session: self,
            phase: RefreshPhase::Start,
        })
    }

    /// Logs out: revokes the refresh token on the server (when there is one) and forgets the
    /// tokens and the cache, even when the server's answer is an error (which is returned).
    /// Calls after a logout fail with [`Error::NotAuthenticated`]; a new login
    /// ([`Session::refresh`]) starts again.
    ///
    /// ```
    /// # use directus_proto::{BaseUrl, Credentials, Exchange, Session, Step};
    /// # use std::time::Instant;
    /// let session = Session::new(BaseUrl::parse("http://localhost").unwrap(), Some(Credentials::static_token("t")));
    /// let mut logout = session.logout();
    /// assert!(matches!(logout.step(None, Instant::now()).unwrap(), Step::Done(())));
    /// ```
    pub fn logout(&self) -> Logout<'_> {
        Logout {
            session: self,
            sent: false,
        }
    }

    /// Turns the response cache on (or reconfigures it, dropping what it held).
    ///
    /// ```
    /// # use directus_proto::{BaseUrl, CacheConfig, Session};
    /// # let session = Session::new(BaseUrl::parse("http://localhost").unwrap(), None);
    /// session.enable_cache(CacheConfig::default());
    /// ```
    pub fn enable_cache(&self, config: CacheConfig) {
        *self.cache() = Some(Cache::new(config));
    }

    /// Turns the response cache off and drops what it held.
    ///
    /// ```
    /// # use directus_proto::{BaseUrl, Session};
    /// # let session = Session::new(BaseUrl::parse("http://localhost").unwrap(), None);
    /// session.disable_cache();
    /// ```
    pub fn disable_cache(&self) {
        *self.cache() = None;
    }

    /// Drops every cached answer.
    ///
    /// ```
    /// # use directus_proto::{BaseUrl, Session};
    /// # let session = Session::new(BaseUrl::parse("http://localhost").unwrap(), None);
    /// session.clear_cache();
    /// ```
    pub fn clear_cache(&self) {
        if let Some(cache) = self.cache().as_mut() {
            cache.clear();
        }
    }

    /// Drops the cached answers of one collection.
    ///
    /// ```
    /// # use directus_proto::{BaseUrl, Session};
    /// # let session = Session::new(BaseUrl::parse("http://localhost").unwrap(), None);
    /// session.clear_cached_collection("posts");
    /// ```
    pub fn clear_cached_collection(&self, collection: &str) {
        if let Some(cache) = self.cache().as_mut() {
            cache.invalidate(collection);
        }
    }

    /// Drops the cached answer of one operation (a read built the same way).
    ///
    /// ```
    /// # use directus_proto::{BaseUrl, Operation, Session, response};
    /// # let base = BaseUrl::parse("http://localhost").unwrap();
    /// # let session = Session::new(base.clone(), None);
    /// let op: Operation<()> = Operation::get(&base, "/items/posts", response::empty).for_collection("posts");
    /// session.clear_cached(&op);
    /// ```
    pub fn clear_cached<T>(&self, operation: &Operation<T>) {
        if let Some(cache) = self.cache().as_mut() {
            cache.remove(&Cache::key(operation.request()));
        }
    }

    /// How many answers the cache holds (0 when it is off).
    ///
    /// ```
    /// # use directus_proto::{BaseUrl, Session};
    /// # let session = Session::new(BaseUrl::parse("http://localhost").unwrap(), None);
    /// assert_eq!(session.cached_len(), 0);
    /// ```
    pub fn cached_len(&self) -> usize {
        self.cache().as_ref().map_or(0, Cache::len)
    }
}

/// A session's token as a WebSocket sees it; see [`Session::socket_auth`].
#[derive(Debug)]
pub(crate) struct SocketAuth {
    pub(crate) token: Option<Secret>,
    pub(crate) generation: Generation,
    pub(crate) expires_at: Option<Instant>,
    pub(crate) margin: Duration,
    pub(crate) refreshable: bool,
}

/// One operation run in a [`Session`]; see [`Session::call`].
#[derive(Debug)]
pub struct Call<'s, T> {
    session: &'s Session,
    operation: Operation<T>,
    /// Refreshed ahead of sending (at most once per call).
    refreshed: bool,
    /// Refreshed and repeated after a `TOKEN_EXPIRED` answer (at most once per call).
    repeated: bool,
    /// Waited out a `429` and repeated (reads only, at most once per call).
    waited: bool,
    sent_with: Option<Generation>,
    retried: bool,
    cache_key: Option<String>,
    header: Option<HeaderValue>,
}

/// How long a `429` asks to wait: its `Retry-After` in seconds (1 s when it has none, or a
/// date), or `None` when that is longer than [`MAX_RETRY_AFTER`].
fn retry_after(response: &Response<Vec<u8>>) -> Option<Duration> {
    if response.status() != StatusCode::TOO_MANY_REQUESTS {
        return None;
    }
    let seconds = response
        .headers()
        .get(http::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .unwrap_or(1);
    let delay = Duration::from_secs(seconds);
    (delay <= MAX_RETRY_AFTER).then_some(delay)
}

fn is_token_expired(response: &Response<Vec<u8>>) -> bool {
    response.status() == StatusCode::UNAUTHORIZED
        && ApiError::from_body(response.status(), response.body()).code()
            == &ErrorCode::TokenExpired
}

impl<T> Exchange for Call<'_, T> {
    type Output = T;

    fn step(
        &mut self,
        response: Option<Response<Vec<u8>>>,
        now: Instant,
    ) -> Result<Step<T>, Error> {
        if let Some(response) = response {
            let sent_with = self.sent_with.take();
            if let Some(generation) = sent_with
                && !self.repeated
                && is_token_expired(&response)
                && self.session.auth().can_refresh()
            {
                // The server refused the token before doing anything: repeating the request,
                // even a write, cannot apply it twice.
                self.repeated = true;
                self.refreshed = true;
                return Ok(Step::Refresh(generation));
            }
            if self.operation.is_read()
                && !self.waited
                && let Some(delay) = retry_after(&response)
            {
                // Rate limited before anything was read: wait as asked, then read once more.
                self.waited = true;
                return Ok(Step::Wait(delay));
            }
            self.after_response(&response, now);
            return self.operation.parse(response).map(Step::Done);
        }
        let header = if self.operation.is_authenticated() {
            let authorization = self.session.auth().authorize(now)?;
            match authorization {
                Authorization::Refresh(generation) if !self.refreshed => {
                    self.refreshed = true;
                    return Ok(Step::Refresh(generation));
                }
                Authorization::Refresh(generation) => {
                    // Refreshed for this call already and the token still looks close to expiry
                    // (a token lifetime shorter than the margin): use it while the server takes it.
                    let header = self.session.auth().access.clone();
                    if header.is_none() {
                        return Err(Error::NotAuthenticated("no access token after a refresh"));
                    }
                    self.sent_with = Some(generation);
                    header
                }
                Authorization::Header(header, generation) => {
                    self.sent_with = header.as_ref().map(|_| generation);
                    header
                }
            }
        } else {
            None
        };
        if let Some(hit) = self.cached(now) {
            return self.operation.parse(hit).map(Step::Done);
        }
        let request = self.operation.to_request(header.as_ref());
        self.header = header;
        Ok(Step::Send(request))
    }

    fn retry_after(&mut self, error: &TransportError) -> Option<Request<Vec<u8>>> {
        let retry = self.operation.is_read()
            && !self.retried
            && error.kind() != TransportErrorKind::BodyTooLarge;
        self.retried |= retry;
        retry.then(|| self.operation.to_request(self.header.as_ref()))
    }
}

impl<T> Call<'_, T> {
    fn cached(&mut self, now: Instant) -> Option<Response<Vec<u8>>> {
        if !self.operation.is_read() || self.operation.collection().is_none() {
            return None;
        }
        let mut cache = self.session.cache();
        let cache = cache.as_mut()?;
        let key = Cache::key(self.operation.request());
        let hit = cache.get(&key, now);
        self.cache_key = Some(key);
        hit
    }

    fn after_response(&mut self, response: &Response<Vec<u8>>, now: Instant) {
        if !response.status().is_success() {
            return;
        }
        let Some(collection) = self.operation.collection() else {
            return;
        };
        let mut cache = self.session.cache();
        let Some(cache) = cache.as_mut() else {
            return;
        };
        if self.operation.is_read() {
            if let Some(key) = self.cache_key.take() {
                cache.put(key, collection, response, now);
            }
        } else {
            cache.invalidate(collection);
        }
    }
}

enum RefreshPhase {
    Start,
    Refreshing,
    LoggingIn,
}

/// A single refresh (or login) of a [`Session`]; see [`Session::refresh`].
pub struct Refresh<'s> {
    session: &'s Session,
    phase: RefreshPhase,
}

impl std::fmt::Debug for Refresh<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Refresh").finish_non_exhaustive()
    }
}

impl Refresh<'_> {
    fn login(&mut self) -> Result<Step<()>, Error> {
        let state = self.session.auth();
        let Some(Credentials::Password {
            email,
            password,
            otp,
        }) = &state.credentials
        else {
            return Err(Error::NotAuthenticated(
                "the refresh token was refused and there is no password to log in again",
            ));
        };
        let op = auth::login(&self.session.base, email, password, otp.as_ref())?;
        drop(state);
        self.phase = RefreshPhase::LoggingIn;
        Ok(Step::Send(op.to_request(None)))
    }
}

impl Exchange for Refresh<'_> {
    type Output = ();

    fn step(
        &mut self,
        response: Option<Response<Vec<u8>>>,
        now: Instant,
    ) -> Result<Step<()>, Error> {
        match (&self.phase, response) {
            (RefreshPhase::Start, _) => {
                let state = self.session.auth();
                if matches!(state.credentials, Some(Credentials::StaticToken(_)) | None) {
                    return Err(Error::NotAuthenticated(
                        "static-token and anonymous sessions cannot refresh",
                    ));
                }
                match &state.refresh {
                    Some(token) => {
                        let op = auth::refresh(&self.session.base, token)?;
                        drop(state);
                        self.phase = RefreshPhase::Refreshing;
                        Ok(Step::Send(op.to_request(None)))
                    }
                    None => {
                        drop(state);
                        self.login()
                    }
                }
            }
            (_, None) => Err(Error::invalid("a refresh step needs the server's answer")),
            (RefreshPhase::Refreshing, Some(response)) => match auth::tokens(response) {
                Ok(tokens) => {
                    self.session.auth().store(tokens, now)?;
                    Ok(Step::Done(()))
                }
                Err(Error::Api(err)) if err.status().is_client_error() => {
                    // The refresh token is dead (expired, revoked, or rotated by a refresh
                    // whose answer was lost): forget it, and log in again if we can.
                    self.session.auth().refresh = None;
                    self.login().map_err(|e| match e {
                        Error::NotAuthenticated(_) => Error::Api(err),
                        other => other,
                    })
                }
                Err(other) => Err(other),
            },
            (RefreshPhase::LoggingIn, Some(response)) => {
                let tokens = auth::tokens(response)?;
                self.session.auth().store(tokens, now)?;
                // A new login may be another identity's: cached answers go.
                self.session.clear_cache();
                Ok(Step::Done(()))
            }
        }
    }

    fn retry_after(&mut self, _error: &TransportError) -> Option<Request<Vec<u8>>> {
        // The refresh token rotates: a refresh whose answer was lost cannot be repeated.
        None
    }
}

/// A logout of a [`Session`]; see [`Session::logout`].
pub struct Logout<'s> {
    session: &'s Session,
    sent: bool,
}

impl std::fmt::Debug for Logout<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Logout").finish_non_exhaustive()
    }
}

impl Logout<'_> {
    fn forget(&self) {
        let mut state = self.session.auth();
        state.clear();
        state.logged_out = true;
        drop(state);
        self.session.clear_cache();
    }
}

impl Exchange for Logout<'_> {
    type Output = ();

    fn step(
        &mut self,
        response: Option<Response<Vec<u8>>>,
        _now: Instant,
    ) -> Result<Step<()>, Error> {
        if self.sent {
            self.forget();
            return match response {
                Some(response) => crate::response::empty(response).map(Step::Done),
                None => Err(Error::invalid("a logout step needs the server's answer")),
            };
        }
        let refresh = self.session.auth().refresh.clone();
        match refresh {
            Some(token) => {
                let op = auth::logout(&self.session.base, &token)?;
                self.sent = true;
                Ok(Step::Send(op.to_request(None)))
            }
            None => {
                self.forget();
                Ok(Step::Done(()))
            }
        }
    }

    fn retry_after(&mut self, _error: &TransportError) -> Option<Request<Vec<u8>>> {
        None
    }
}
