//! [`Session`]: one identity's tokens, its refresh schedule and its response cache, shared by
//! every call of a client; and the exchanges ([`Call`], [`Refresh`], [`Logout`]) a driver runs.
//!
//! A driver runs an [`Exchange`] by feeding it the answers to the requests it asks for:
//!
//! ```
//! use directus_proto::{Bytes, BaseUrl, Credentials, Exchange, Operation, Session, Step, response};
//! use std::time::Instant;
//!
//! let base = BaseUrl::parse("http://127.0.0.1:8055").unwrap();
//! let session = Session::new(base.clone(), Some(Credentials::static_token("t0ken"))).unwrap();
//! let mut call = session.call(Operation::get(&base, "/server/ping", response::text).unwrap());
//! let mut answer = None;
//! let pong = loop {
//!     match call.step(answer.take(), Instant::now()).unwrap() {
//!         Step::Send(request) => {
//!             assert_eq!(request.headers()["authorization"], "Bearer t0ken");
//!             answer = Some(http::Response::new(Bytes::from_static(b"pong"))); // the transport's job
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

use bytes::Bytes;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use http::{HeaderValue, Request, Response, StatusCode};

use crate::auth::{self, Credentials, Secret, Tokens};
use crate::cache::{Cache, CacheConfig};
use crate::error::{ApiError, Error, ErrorCode, TransportError, TransportErrorKind};
use crate::hooks::{Answered, Hook, Hooks, Outcome};
use crate::operation::Operation;
use crate::redirect::{self, Hop, MAX_REDIRECTS};
use crate::retry::{Failure, Jitter, RetryPolicy};
use crate::trace::{self, CallSpan};
use crate::{BaseUrl, Body};

/// The longest margin before expiry at which a session refreshes ahead of time.
const MAX_MARGIN: Duration = Duration::from_secs(30);

/// The longest `Retry-After` a read waits out before it is sent again; a longer one is returned
/// as the `429` error it is.
pub const MAX_RETRY_AFTER: Duration = crate::retry::DEFAULT_MAX_RETRY_AFTER;

/// Told whenever a session's tokens change, to keep them across process restarts (the JS
/// SDK's pluggable storage): `Some` after every login and refresh (the refresh token rotates
/// each time, so the one stored before is spent), `None` when they are forgotten (logout, or a
/// refresh token the server refused). It runs on the caller's thread while the session's
/// refresh lane is held: keep it short, and never call the client from it.
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use directus_proto::session::OnTokens;
///
/// let kept: Arc<Mutex<Option<String>>> = Arc::default();
/// let store = Arc::clone(&kept);
/// let hook: OnTokens = Arc::new(move |tokens| {
///     *store.lock().unwrap() = tokens.and_then(|t| t.refresh_token.as_ref()).map(|r| r.expose().to_owned());
/// });
/// hook(None);
/// assert!(kept.lock().unwrap().is_none());
/// ```
pub type OnTokens = Arc<dyn Fn(Option<&Tokens>) + Send + Sync>;

/// Identifies one set of tokens; it changes on every login, refresh and logout.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Generation(u64);

/// What a driver must do next for an [`Exchange`].
#[derive(Debug)]
#[allow(clippy::large_enum_variant)] // a step lives for one loop turn; boxing buys nothing
pub enum Step<T> {
    /// Send this request and pass the answer to the next `step`.
    Send(Request<Body>),
    /// Refresh the session (single-flight, see [`Session::refresh`]), then call `step` with no
    /// answer.
    Refresh(Generation),
    /// Wait this long (a `Retry-After`, or the backoff of a [`RetryPolicy`]), then call `step`
    /// with no answer: the request is sent again.
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
        response: Option<Response<Bytes>>,
        now: Instant,
    ) -> Result<Step<Self::Output>, Error>;

    /// The last request got no answer (`error`): what to do next. A [`Call`] of a read may
    /// retry it by its [`RetryPolicy`] ([`Step::Send`] at once, or [`Step::Wait`] first); a
    /// write, a refresh or a logout is never sent again and answers the error.
    fn failed(&mut self, error: TransportError, now: Instant) -> Result<Step<Self::Output>, Error> {
        let _ = now;
        Err(Error::Transport(error))
    }

    /// When the whole exchange must be over (a call's own timeout,
    /// [`Operation::timeout`]), if ever. Drivers bound each attempt by what is left of it
    /// ([`Config::within`](crate::Config::within)).
    ///
    /// ```
    /// use directus_proto::{BaseUrl, Exchange, Operation, Session, response};
    /// use std::time::{Duration, Instant};
    ///
    /// let base = BaseUrl::parse("http://127.0.0.1:8055").unwrap();
    /// let session = Session::new(base.clone(), None).unwrap();
    /// let op = Operation::<()>::get(&base, "/server/ping", response::empty).unwrap()
    ///     .timeout(Duration::from_secs(5));
    /// let mut call = session.call(op);
    /// let now = Instant::now();
    /// call.step(None, now).unwrap();
    /// assert_eq!(call.deadline(), Some(now + Duration::from_secs(5)));
    /// ```
    fn deadline(&self) -> Option<Instant> {
        None
    }

    /// The exchange's trace span, which drivers enter while they run it (with the `tracing`
    /// feature; see [`trace`]).
    ///
    /// ```
    /// use directus_proto::{BaseUrl, Exchange, Operation, Session, response};
    ///
    /// let base = BaseUrl::parse("http://127.0.0.1:8055").unwrap();
    /// let session = Session::new(base.clone(), None).unwrap();
    /// let call = session.call(Operation::<()>::get(&base, "/server/ping", response::empty).unwrap());
    /// assert!(call.span().is_some());
    /// ```
    #[cfg(feature = "tracing")]
    fn span(&self) -> Option<&tracing::Span> {
        None
    }
}

/// A borrowed exchange is one too: a driver can run it and still read it afterwards.
impl<E: Exchange + ?Sized> Exchange for &mut E {
    type Output = E::Output;

    fn step(
        &mut self,
        response: Option<Response<Bytes>>,
        now: Instant,
    ) -> Result<Step<Self::Output>, Error> {
        (**self).step(response, now)
    }

    fn failed(&mut self, error: TransportError, now: Instant) -> Result<Step<Self::Output>, Error> {
        (**self).failed(error, now)
    }

    fn deadline(&self) -> Option<Instant> {
        (**self).deadline()
    }

    #[cfg(feature = "tracing")]
    fn span(&self) -> Option<&tracing::Span> {
        (**self).span()
    }
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
                // A clock so far ahead that `now + margin` overflows is past any expiry.
                (Some(_), Some(at)) if now.checked_add(self.margin).is_none_or(|t| t >= at) => {
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
        // An expiry beyond what the clock can hold is no known expiry: the token is then
        // refreshed when the server answers `TOKEN_EXPIRED`, like one without `expires`.
        self.expires_at = tokens.expires.and_then(|ttl| now.checked_add(ttl));
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
/// let session = Session::new(base, Some(Credentials::password("a@example.com", "pw"))).unwrap();
/// assert!(!format!("{session:?}").contains("pw"));
/// ```
pub struct Session {
    base: BaseUrl,
    auth: Mutex<AuthState>,
    cache: Mutex<Option<Cache>>,
    retry: Mutex<(RetryPolicy, Jitter)>,
    on_tokens: Mutex<Option<OnTokens>>,
    hooks: Mutex<Hooks>,
    trace_keys: AtomicBool,
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
    /// A token that cannot be sent as it is (empty, or with whitespace, a line break or another
    /// control character, as a token read from a file with its newline has) is refused with
    /// [`Error::InvalidInput`], which says what is wrong but never shows the token: sending
    /// nothing instead would look like a permissions problem.
    ///
    /// ```
    /// # use directus_proto::{BaseUrl, Credentials, Error, Session};
    /// let base = BaseUrl::parse("http://localhost").unwrap();
    /// let session = Session::new(base.clone(), None).unwrap();
    /// assert_eq!(session.base().as_str(), "http://localhost");
    /// let err = Session::new(base, Some(Credentials::static_token("t0ken\n"))).unwrap_err();
    /// assert!(matches!(err, Error::InvalidInput(_)) && !err.to_string().contains("t0ken"));
    /// ```
    pub fn new(base: BaseUrl, credentials: Option<Credentials>) -> Result<Self, Error> {
        let (access, refresh) = match &credentials {
            Some(Credentials::StaticToken(token)) => (Some(auth::bearer(token)?), None),
            Some(Credentials::RefreshToken(token)) => {
                auth::check_token(token, "refresh token")?;
                (None, Some(token.clone()))
            }
            _ => (None, None),
        };
        Ok(Session {
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
            retry: Mutex::new((RetryPolicy::default(), Jitter::new(0))),
            on_tokens: Mutex::new(None),
            hooks: Mutex::new(Hooks::default()),
            trace_keys: AtomicBool::new(false),
        })
    }

    /// Registers a [`Hook`] run around every request of this session's calls, after those
    /// registered before it (see [`hooks`](crate::hooks) for the order and what a hook sees).
    ///
    /// ```
    /// use directus_proto::{BaseUrl, Exchange, Operation, Session, Step, hooks, response};
    /// use std::time::Instant;
    ///
    /// let base = BaseUrl::parse("http://127.0.0.1:8055").unwrap();
    /// let session = Session::new(base.clone(), None).unwrap();
    /// session.add_hook(hooks::on_request(|request| {
    ///     request.insert_header("x-request-id", "r-1").unwrap();
    /// }));
    /// let mut call = session.call(Operation::<()>::get(&base, "/server/ping", response::empty).unwrap());
    /// let Step::Send(request) = call.step(None, Instant::now()).unwrap() else { panic!() };
    /// assert_eq!(request.headers()["x-request-id"], "r-1");
    /// ```
    pub fn add_hook(&self, hook: impl Hook + 'static) {
        self.add_shared_hook(Arc::new(hook));
    }

    /// [`add_hook`](Session::add_hook) for a hook shared with other sessions.
    ///
    /// ```
    /// use directus_proto::{BaseUrl, Session, hooks::{self, Hook}};
    /// use std::sync::Arc;
    ///
    /// let hook: Arc<dyn Hook> = Arc::new(hooks::on_response(|answer| println!("{:?}", answer.status())));
    /// let base = BaseUrl::parse("http://127.0.0.1:8055").unwrap();
    /// Session::new(base.clone(), None).unwrap().add_shared_hook(hook.clone());
    /// Session::new(base, None).unwrap().add_shared_hook(hook);
    /// ```
    pub fn add_shared_hook(&self, hook: Arc<dyn Hook>) {
        let mut hooks = self.hooks.lock().unwrap_or_else(|p| p.into_inner());
        *hooks = hooks.with(hook);
    }

    /// Whether the `route` of the calls' [trace spans](crate::trace) shows the request's
    /// whole path, keys included (`/items/posts/42`), instead of its
    /// [template](crate::route) (`/items/posts/{key}`). Default: no, since a key can be
    /// personal data (an email used as a key, a user id).
    ///
    /// ```
    /// # use directus_proto::{BaseUrl, Session};
    /// let session = Session::new(BaseUrl::parse("http://127.0.0.1:8055").unwrap(), None).unwrap();
    /// session.trace_keys(true);
    /// ```
    pub fn trace_keys(&self, yes: bool) {
        self.trace_keys.store(yes, Ordering::Relaxed);
    }

    /// The retry policy of every call that does not bring its own
    /// ([`Operation::retry`]), and the random bits its jitter starts from: drivers pass them here (this
    /// crate draws no randomness of its own).
    ///
    /// ```
    /// # use directus_proto::{BaseUrl, RetryPolicy, Session};
    /// # use std::time::Duration;
    /// # let session = Session::new(BaseUrl::parse("http://localhost").unwrap(), None).unwrap();
    /// session.set_retry_policy(RetryPolicy::new().attempts(4).on_server_errors(true));
    /// session.seed_jitter(0x5eed);
    /// assert_eq!(session.retry_policy().max_attempts(), 4);
    /// ```
    pub fn set_retry_policy(&self, policy: RetryPolicy) {
        self.retry_state().0 = policy;
    }

    /// Seeds the jitter of retry delays (see [`Session::set_retry_policy`]).
    ///
    /// ```
    /// # use directus_proto::{BaseUrl, Session};
    /// # let session = Session::new(BaseUrl::parse("http://localhost").unwrap(), None).unwrap();
    /// session.seed_jitter(42);
    /// ```
    pub fn seed_jitter(&self, seed: u64) {
        self.retry_state().1 = Jitter::new(seed);
    }

    /// The session's retry policy.
    ///
    /// ```
    /// # use directus_proto::{BaseUrl, RetryPolicy, Session};
    /// # let session = Session::new(BaseUrl::parse("http://localhost").unwrap(), None).unwrap();
    /// assert_eq!(session.retry_policy(), RetryPolicy::default());
    /// ```
    pub fn retry_policy(&self) -> RetryPolicy {
        self.retry_state().0.clone()
    }

    fn retry_state(&self) -> MutexGuard<'_, (RetryPolicy, Jitter)> {
        self.retry.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn random(&self) -> u64 {
        self.retry_state().1.next()
    }

    /// A session that goes on from tokens kept elsewhere (a browser's cookies, a file): it
    /// uses the access token until `expires` from `now`, then refreshes with the refresh token
    /// (which rotates: read the new ones with [`Session::tokens`]). Without a refresh token the
    /// access token is used as it is, like a static token, and never refreshed.
    ///
    /// ```
    /// use directus_proto::{BaseUrl, Session, auth::Tokens};
    /// use std::time::{Duration, Instant};
    ///
    /// let base = BaseUrl::parse("http://localhost").unwrap();
    /// let now = Instant::now();
    /// let kept = Tokens::new("a1", Some("r1".into()), Some(Duration::from_secs(600)));
    /// let session = Session::with_tokens(base, kept, now).unwrap();
    /// let tokens = session.tokens(now).unwrap();
    /// assert_eq!(tokens.access_token.expose(), "a1");
    /// assert_eq!(tokens.refresh_token.unwrap().expose(), "r1");
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] when the access token holds characters a header cannot carry.
    pub fn with_tokens(base: BaseUrl, tokens: Tokens, now: Instant) -> Result<Self, Error> {
        let credentials = match &tokens.refresh_token {
            Some(refresh) => Credentials::RefreshToken(refresh.clone()),
            None => Credentials::StaticToken(tokens.access_token.clone()),
        };
        let session = Session::new(base, Some(credentials))?;
        {
            let mut state = session.auth();
            state.store(tokens, now)?;
            // The first tokens of this session: generation 0, like a fresh one.
            state.generation = 0;
        }
        Ok(session)
    }

    /// The current tokens (after any refresh, which rotates them) and how long the access
    /// token still lives from `now`; `None` before a login, after a logout, and for anonymous
    /// sessions. Handle them as the secrets they are.
    ///
    /// ```
    /// use directus_proto::{BaseUrl, Credentials, Session};
    /// use std::time::Instant;
    ///
    /// let base = BaseUrl::parse("http://localhost").unwrap();
    /// let session = Session::new(base, Some(Credentials::static_token("t0ken"))).unwrap();
    /// let tokens = session.tokens(Instant::now()).unwrap();
    /// assert_eq!(tokens.access_token.expose(), "t0ken");
    /// assert!(tokens.refresh_token.is_none() && tokens.expires.is_none());
    /// ```
    pub fn tokens(&self, now: Instant) -> Option<Tokens> {
        let state = self.auth();
        if state.logged_out {
            return None;
        }
        let access = state.access.as_ref()?.to_str().ok()?;
        let access = access.strip_prefix("Bearer ").unwrap_or(access);
        Some(Tokens {
            access_token: Secret::new(access),
            refresh_token: state.refresh.clone(),
            expires: state.expires_at.map(|at| at.saturating_duration_since(now)),
        })
    }

    /// Calls `hook` whenever the tokens change (see [`OnTokens`]); replaces an earlier hook.
    /// With [`Credentials::refresh_token`] it keeps a login across runs.
    ///
    /// ```
    /// # use directus_proto::{BaseUrl, Session};
    /// let session = Session::new(BaseUrl::parse("http://localhost").unwrap(), None).unwrap();
    /// session.on_tokens(|tokens| {
    ///     if let Some(refresh) = tokens.and_then(|t| t.refresh_token.as_ref()) {
    ///         let _ = refresh.expose(); // write it where the next run finds it
    ///     }
    /// });
    /// ```
    pub fn on_tokens(&self, hook: impl Fn(Option<&Tokens>) + Send + Sync + 'static) {
        *self.on_tokens.lock().unwrap_or_else(|p| p.into_inner()) = Some(Arc::new(hook));
    }

    /// Tells the hook, outside every lock of the session.
    fn tokens_changed(&self, tokens: Option<&Tokens>) {
        let hook = self
            .on_tokens
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        if let Some(hook) = hook {
            hook(tokens);
        }
    }

    /// Stores new tokens and tells the hook what the session now holds.
    fn store(&self, tokens: Tokens, now: Instant) -> Result<(), Error> {
        let mut state = self.auth();
        let mut told = tokens.clone();
        state.store(tokens, now)?;
        told.refresh_token.clone_from(&state.refresh);
        drop(state);
        self.tokens_changed(Some(&told));
        Ok(())
    }

    /// The server's base URL.
    ///
    /// ```
    /// # use directus_proto::{BaseUrl, Session};
    /// # let session = Session::new(BaseUrl::parse("http://localhost").unwrap(), None).unwrap();
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
    /// # let session = Session::new(BaseUrl::parse("http://localhost").unwrap(), None).unwrap();
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
    /// # let session = Session::new(BaseUrl::parse("http://localhost").unwrap(), None).unwrap();
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
    /// let session = Session::new(base.clone(), None).unwrap();
    /// let mut call = session.call(Operation::get(&base, "/server/ping", response::text).unwrap());
    /// assert!(matches!(call.step(None, Instant::now()).unwrap(), Step::Send(_)));
    /// ```
    pub fn call<T>(&self, operation: Operation<T>) -> Call<'_, T> {
        let policy = operation
            .retry_policy()
            .cloned()
            .unwrap_or_else(|| self.retry_policy());
        let span = CallSpan::new(
            operation.request().method(),
            operation.request().uri().path(),
            self.trace_keys.load(Ordering::Relaxed),
        );
        Call {
            session: self,
            operation,
            refreshed: false,
            repeated: false,
            policy,
            retries: 0,
            started: None,
            deadline: None,
            sent_with: None,
            cache_key: None,
            header: None,
            redirects: 0,
            hop: None,
            hooks: self.hooks.lock().unwrap_or_else(|p| p.into_inner()).clone(),
            span,
            attempt: 0,
            in_flight: None,
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
    /// let session = Session::new(base, Some(Credentials::password("a@example.com", "pw"))).unwrap();
    /// let mut refresh = session.refresh(session.generation()).unwrap();
    /// match refresh.step(None, Instant::now()).unwrap() {
    ///     Step::Send(request) => assert_eq!(request.uri().path(), "/auth/login"),
    ///     _ => unreachable!(),
    /// }
    /// ```
    pub fn refresh(&self, seen: Generation) -> Option<Refresh<'_>> {
        let winner = self.generation() == seen;
        trace::refresh(winner);
        winner.then_some(Refresh {
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
    /// let session = Session::new(BaseUrl::parse("http://localhost").unwrap(), Some(Credentials::static_token("t"))).unwrap();
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
    /// # let session = Session::new(BaseUrl::parse("http://localhost").unwrap(), None).unwrap();
    /// session.enable_cache(CacheConfig::default());
    /// ```
    pub fn enable_cache(&self, config: CacheConfig) {
        *self.cache() = Some(Cache::new(config));
    }

    /// Turns the response cache off and drops what it held.
    ///
    /// ```
    /// # use directus_proto::{BaseUrl, Session};
    /// # let session = Session::new(BaseUrl::parse("http://localhost").unwrap(), None).unwrap();
    /// session.disable_cache();
    /// ```
    pub fn disable_cache(&self) {
        *self.cache() = None;
    }

    /// Drops every cached answer.
    ///
    /// ```
    /// # use directus_proto::{BaseUrl, Session};
    /// # let session = Session::new(BaseUrl::parse("http://localhost").unwrap(), None).unwrap();
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
    /// # let session = Session::new(BaseUrl::parse("http://localhost").unwrap(), None).unwrap();
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
    /// # let session = Session::new(base.clone(), None).unwrap();
    /// let op: Operation<()> = Operation::get(&base, "/items/posts", response::empty).unwrap().for_collection("posts");
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
    /// # let session = Session::new(BaseUrl::parse("http://localhost").unwrap(), None).unwrap();
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
    /// Which failures are tried again, and when.
    policy: RetryPolicy,
    /// Retries made by the policy so far.
    retries: u32,
    /// When the first attempt was made (the deadline counts from it).
    started: Option<Instant>,
    /// The call's own timeout as an instant, fixed at its first step.
    deadline: Option<Instant>,
    sent_with: Option<Generation>,
    cache_key: Option<String>,
    header: Option<HeaderValue>,
    /// Redirects followed so far (at most [`MAX_REDIRECTS`]).
    redirects: u8,
    /// Where the last redirect pointed: the request now goes there.
    hop: Option<Hop>,
    /// The session's hooks when the call began.
    hooks: Hooks,
    /// How many requests the call sent.
    attempt: u32,
    /// The request on the wire, for the hooks' `after` and the span.
    in_flight: Option<InFlight>,
    /// The call's trace span (nothing without the `tracing` feature).
    span: CallSpan,
}

/// What the hooks' `after` needs of the request on the wire.
#[derive(Debug)]
struct InFlight {
    method: http::Method,
    uri: http::Uri,
    bytes_out: usize,
    at: Instant,
}

/// The `Retry-After` of an answer, in seconds (a date is not read).
fn retry_after(response: &Response<Bytes>) -> Option<Duration> {
    response
        .headers()
        .get(http::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs)
}

fn is_token_expired(response: &Response<Bytes>) -> bool {
    response.status() == StatusCode::UNAUTHORIZED
        && ApiError::from_body(response.status(), response.body()).code()
            == &ErrorCode::TokenExpired
}

impl<T> Exchange for Call<'_, T> {
    type Output = T;

    fn step(&mut self, response: Option<Response<Bytes>>, now: Instant) -> Result<Step<T>, Error> {
        if self.deadline.is_none()
            && let Some(timeout) = self.operation.timeout_duration()
        {
            // A timeout past what the clock holds is no timeout.
            self.deadline = now.checked_add(timeout);
        }
        if let Some(response) = response {
            self.answered(Outcome::Answer(&response), now);
            let sent_with = self.sent_with.take();
            if response.status().is_redirection()
                && self.redirects < MAX_REDIRECTS
                && let Some(hop) = redirect::target(&self.session.base, &self.outgoing(), &response)
            {
                // See `redirect`: nothing with a body or credentials leaves the origin.
                self.redirects += 1;
                self.sent_with = sent_with.filter(|_| hop.keep_authorization);
                self.hop = Some(hop);
                return Ok(self.send(now));
            }
            if let Some(generation) = sent_with
                && !self.repeated
                && is_token_expired(&response)
                && self.session.auth().can_refresh()
            {
                // The server refused the token before doing anything: repeating the request,
                // even a write, cannot apply it twice.
                self.repeated = true;
                self.refreshed = true;
                self.hop = None;
                trace::token_expired();
                return Ok(Step::Refresh(generation));
            }
            if let Some(step) = self.retry_answer(&response, now)? {
                return Ok(step);
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
            self.span.cache_hit();
            return self.operation.parse(hit).map(Step::Done);
        }
        self.header = header;
        self.started.get_or_insert(now);
        Ok(self.send(now))
    }

    fn failed(&mut self, error: TransportError, now: Instant) -> Result<Step<T>, Error> {
        self.answered(Outcome::Failed(error.kind()), now);
        if error.kind() == TransportErrorKind::BodyTooLarge || !self.may_retry(Failure::Transport) {
            return Err(Error::Transport(error));
        }
        let delay = self.policy.delay(self.retries, self.session.random());
        let cause = format!("{:?}", error.kind());
        self.retry(delay, now, &cause, || error.to_string())
    }

    fn deadline(&self) -> Option<Instant> {
        self.deadline
    }

    #[cfg(feature = "tracing")]
    fn span(&self) -> Option<&tracing::Span> {
        Some(self.span.span())
    }
}

impl<T> Call<'_, T> {
    /// Whether the policy retries this failure of this operation now: a read (or an operation
    /// marked idempotent), a covered failure, attempts left.
    fn may_retry(&self, failure: Failure) -> bool {
        self.operation.may_repeat()
            && self.policy.covers(failure)
            && self.retries.saturating_add(1) < self.policy.max_attempts()
    }

    /// The retry of an error answer (`429`, `5xx`) the policy covers, if any: a wait of its
    /// `Retry-After` (`429`, `503`; a longer one than the policy allows is not waited out),
    /// else the backoff (at least 1 s for a `429` without one).
    fn retry_answer(
        &mut self,
        response: &Response<Bytes>,
        now: Instant,
    ) -> Result<Option<Step<T>>, Error> {
        let status = response.status();
        if !(status.is_client_error() || status.is_server_error())
            || !self.may_retry(Failure::Status(status))
        {
            return Ok(None);
        }
        let backoff = self.policy.delay(self.retries, self.session.random());
        let delay = match (status, retry_after(response)) {
            (StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE, Some(asked)) => {
                if asked > self.policy.retry_after_limit() {
                    return Ok(None);
                }
                asked
            }
            (StatusCode::TOO_MANY_REQUESTS, None) => backoff.max(Duration::from_secs(1)),
            _ => backoff,
        };
        self.retry(delay, now, &status, || {
            format!("the server answered {status}")
        })
        .map(Some)
    }

    /// Retries after `delay` (at once when it is zero), unless that would cross the call's
    /// deadline: then the call ends with a timeout that says what failed last.
    fn retry(
        &mut self,
        delay: Duration,
        now: Instant,
        cause: &dyn std::fmt::Display,
        last: impl FnOnce() -> String,
    ) -> Result<Step<T>, Error> {
        let started = *self.started.get_or_insert(now);
        if let Some(deadline) = self.policy.deadline_duration() {
            let ends = started.checked_add(deadline);
            if ends.is_none_or(|ends| now.checked_add(delay).is_none_or(|at| at >= ends)) {
                return Err(Error::Transport(TransportError::new(
                    TransportErrorKind::Timeout,
                    format!(
                        "the call's deadline of {deadline:?} leaves no time for attempt {} ({})",
                        self.retries.saturating_add(2),
                        last()
                    ),
                )));
            }
        }
        if let Some(ends) = self.deadline
            && now.checked_add(delay).is_none_or(|at| at >= ends)
        {
            return Err(Error::Transport(TransportError::new(
                TransportErrorKind::Timeout,
                format!(
                    "the call's timeout of {:?} leaves no time for attempt {} ({})",
                    self.operation.timeout_duration().unwrap_or_default(),
                    self.retries.saturating_add(2),
                    last()
                ),
            )));
        }
        self.retries += 1;
        trace::retry(self.attempt.saturating_add(1), delay, cause);
        if delay.is_zero() {
            Ok(self.send(now))
        } else {
            Ok(Step::Wait(delay))
        }
    }

    /// The request to send: the operation's, with the token, at the redirect's target when one
    /// was followed (without the token when that is another origin).
    /// The next request, through the hooks' `before`.
    fn send(&mut self, now: Instant) -> Step<T> {
        let mut request = self.outgoing();
        self.attempt = self.attempt.saturating_add(1);
        if !self.hooks.is_empty() {
            self.hooks.before(&mut request, self.attempt);
        }
        self.in_flight = Some(InFlight {
            method: request.method().clone(),
            uri: request.uri().clone(),
            bytes_out: request.body().len(),
            at: now,
        });
        Step::Send(request)
    }

    /// The hooks' `after`, for the request in flight.
    fn answered(&mut self, outcome: Outcome<'_>, now: Instant) {
        if let Some(sent) = self.in_flight.take() {
            let (status, bytes_in) = match outcome {
                Outcome::Answer(response) => {
                    (Some(response.status().as_u16()), response.body().len())
                }
                Outcome::Failed(_) => (None, 0),
            };
            self.span
                .answered(status, self.attempt, bytes_in, sent.bytes_out);
            if self.hooks.is_empty() {
                return;
            }
            self.hooks.after(Answered {
                method: &sent.method,
                uri: &sent.uri,
                attempt: self.attempt,
                outcome,
                elapsed: now.saturating_duration_since(sent.at),
                bytes_out: sent.bytes_out,
                secrets: false,
            });
        }
    }

    fn outgoing(&self) -> Request<Body> {
        match &self.hop {
            None => self.operation.to_request(self.header.as_ref()),
            Some(hop) => {
                let header = self.header.as_ref().filter(|_| hop.keep_authorization);
                let mut request = self.operation.to_request(header);
                *request.uri_mut() = hop.uri.clone();
                request
            }
        }
    }

    fn cached(&mut self, now: Instant) -> Option<Response<Bytes>> {
        // Not an items read (no collection), or no cache: nothing to look up.
        self.operation.collection()?;
        let mut cache = self.session.cache();
        let cache = cache.as_mut()?;
        if !Cache::is_cacheable(self.operation.request()) {
            return None;
        }
        let key = Cache::key(self.operation.request());
        let hit = cache.get(&key, now);
        self.cache_key = Some(key);
        hit
    }

    fn after_response(&mut self, response: &Response<Bytes>, now: Instant) {
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
            // Only a key taken for a cacheable request (see `cached`); `put` keeps the answer
            // only when it is a complete JSON one.
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

    fn step(&mut self, response: Option<Response<Bytes>>, now: Instant) -> Result<Step<()>, Error> {
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
                    self.session.store(tokens, now)?;
                    Ok(Step::Done(()))
                }
                Err(Error::Api(err)) if err.status().is_client_error() => {
                    // The refresh token is dead (expired, revoked, or rotated by a refresh
                    // whose answer was lost): forget it, and log in again if we can.
                    self.session.auth().refresh = None;
                    self.session.tokens_changed(None);
                    self.login().map_err(|e| match e {
                        Error::NotAuthenticated(_) => Error::Api(err),
                        other => other,
                    })
                }
                Err(other) => Err(other),
            },
            (RefreshPhase::LoggingIn, Some(response)) => {
                let tokens = auth::tokens(response)?;
                self.session.store(tokens, now)?;
                // A new login may be another identity's: cached answers go.
                self.session.clear_cache();
                Ok(Step::Done(()))
            }
        }
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
        self.session.tokens_changed(None);
    }
}

impl Exchange for Logout<'_> {
    type Output = ();

    fn step(
        &mut self,
        response: Option<Response<Bytes>>,
        _now: Instant,
    ) -> Result<Step<()>, Error> {
        if self.sent {
            self.forget();
            return match response {
                Some(response) => crate::response::empty(response)
                    .map(Step::Done)
                    .map_err(Error::redacted),
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
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(body: &str) -> Response<Bytes> {
        Response::new(Bytes::copy_from_slice(body.as_bytes()))
    }

    /// The hook sees every rotation (with the refresh token the session keeps) and the logout.
    #[test]
    fn token_hook_sees_rotations_and_logout() {
        let base = BaseUrl::parse("http://localhost").unwrap();
        let session = Session::new(base, Some(Credentials::refresh_token("r1"))).unwrap();
        type Told = Option<(String, Option<String>)>;
        let seen: Arc<Mutex<Vec<Told>>> = Arc::default();
        let log = Arc::clone(&seen);
        session.on_tokens(move |tokens| {
            log.lock().unwrap().push(tokens.map(|t| {
                (
                    t.access_token.expose().to_owned(),
                    t.refresh_token.as_ref().map(|r| r.expose().to_owned()),
                )
            }))
        });
        let now = Instant::now();
        let mut refresh = session.refresh(session.generation()).unwrap();
        let Step::Send(request) = refresh.step(None, now).unwrap() else {
            panic!("a refresh sends")
        };
        assert_eq!(request.body(), br#"{"mode":"json","refresh_token":"r1"}"#);
        let done = refresh
            .step(
                Some(answer(
                    r#"{"data":{"access_token":"a2","refresh_token":"r2","expires":900000}}"#,
                )),
                now,
            )
            .unwrap();
        assert!(matches!(done, Step::Done(())));
        // A refresh answer without a refresh token keeps the previous one, and says so.
        let mut again = session.refresh(session.generation()).unwrap();
        again.step(None, now).unwrap();
        again
            .step(Some(answer(r#"{"data":{"access_token":"a3"}}"#)), now)
            .unwrap();
        let mut logout = session.logout();
        logout.step(None, now).unwrap();
        logout.step(Some(answer("")), now).unwrap();
        let seen = seen.lock().unwrap();
        assert_eq!(
            *seen,
            [
                Some(("a2".to_owned(), Some("r2".to_owned()))),
                Some(("a3".to_owned(), Some("r2".to_owned()))),
                None
            ]
        );
    }
}
