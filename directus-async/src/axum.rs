//! Web services with [axum](https://docs.rs/axum) 0.8 (feature `axum`): py-directus' FastAPI
//! support in Rust idiom.
//!
//! - [`DirectusWeb`]: the shared state. One reqwest connection pool for every caller, the
//!   cookie settings, what an unauthenticated request gets (a `401` or a redirect), an optional
//!   service client for work done as the application, and the per-token caches.
//! - [`session`]: the middleware that reads a request's credentials (bearer header, access and
//!   refresh cookies, Directus' session cookie) and, after the handler, sends rotated tokens back
//!   as `Set-Cookie`.
//! - [`Caller`]: the extractor, a [`Directus`] client for the caller (derefs to it). It shares
//!   the pool, never the identity or the cache of another request. [`Admin`] is a caller with
//!   admin access; [`require`] is a middleware guard for a [`Requirement`] (a role by name, app
//!   or admin access).
//! - [`WebError`]: every failure as a response: Directus' status and code pass through as JSON,
//!   transport failures are `502`/`504`, and nothing secret or internal is told.
//! - [`DirectusWeb::auth_routes`]: `POST /login` (form or JSON in, cookies out) and
//!   `POST /logout` (revokes the refresh token, clears the cookies).
//!
//! ```no_run
//! use axum::{Router, routing::get};
//! use directus_async::axum::{Admin, Caller, DirectusWeb, WebError, session};
//!
//! async fn products(caller: Caller) -> Result<axum::Json<serde_json::Value>, WebError> {
//!     let page = caller.collection("products").limit(10).read().await?;
//!     Ok(axum::Json(serde_json::json!(page.items())))
//! }
//!
//! async fn stats(Admin(admin): Admin) -> Result<String, WebError> {
//!     Ok(admin.me().await?["email"].to_string())
//! }
//!
//! # async fn demo() -> directus_async::Result<()> {
//! let web = DirectusWeb::builder("http://127.0.0.1:8055").redirect_to("/login").build()?;
//! let app: Router = Router::new()
//!     .route("/products", get(products))
//!     .route("/admin/stats", get(stats))
//!     .merge(web.auth_routes())
//!     .layer(axum::middleware::from_fn_with_state(web.clone(), session));
//! # let _ = app;
//! # Ok(())
//! # }
//! ```
//!
//! # Token rotation and concurrent requests
//!
//! A browser's access cookie lives as long as its access token. When a request comes with an
//! expired (or unreadable, or nearly expired) access token and a refresh cookie, the caller's
//! client is built from a refresh made first, and the response sets the rotated cookies.
//! Directus rotates the refresh token on every refresh, and a browser often sends several
//! requests with the same cookies before the first answer arrives. So refreshes are
//! single-flight per refresh token (a lock per stripe of token digests), and the rotation's
//! result is kept in process for a short grace period (10 s by default, like Directus' own
//! `SESSION_REFRESH_GRACE_PERIOD` for session cookies), keyed by the SHA-256 digest of the old
//! refresh token: a second request with the old cookies gets the same new tokens, and its
//! response sets the same cookies. The refresh runs in its own task and stores its result even
//! when the browser goes away mid-request. Several app processes behind a load balancer do not
//! share this cache: there, a request that loses the race gets a `401` with its cookies
//! cleared (use sticky sessions, or a grace period in front).

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime};

use ::axum::Router;
use ::axum::extract::{FromRequest, FromRequestParts, Request, State};
use ::axum::http::header::{CONTENT_TYPE, LOCATION, SET_COOKIE};
use ::axum::http::request::Parts;
use ::axum::http::{HeaderMap, HeaderValue, StatusCode};
use ::axum::middleware::Next;
use ::axum::response::{IntoResponse, Response};
use ::axum::routing::post;
use directus_proto::web::{
    self, Access, CookieSettings, Malformed, Plan, RequestCredentials, Requirement, TokenCache,
    TokenDigest,
};
use directus_proto::{Config, Error, Generation, Secret, auth, auth::Tokens};
use serde::Deserialize;

use crate::Directus;

/// How many refresh lanes (locks) the single-flight refresh spreads token digests over.
const LANES: usize = 64;

/// What a request without credentials gets.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Unauthenticated {
    /// `401` with a JSON error (APIs).
    Status,
    /// `303 See Other` to this path (pages), like py-directus' redirect to `/login`.
    Redirect(String),
}

/// The shared state of a web service: see the [module docs](self). Cheap to clone.
///
/// ```
/// use directus_async::axum::DirectusWeb;
/// let web = DirectusWeb::builder("http://127.0.0.1:8055").build().unwrap();
/// assert!(web.service().is_none());
/// ```
#[derive(Clone)]
pub struct DirectusWeb {
    shared: Arc<Shared>,
}

struct Shared {
    url: String,
    http: reqwest::Client,
    config: Config,
    cookies: CookieSettings,
    unauthenticated: Unauthenticated,
    service: Option<Directus>,
    /// Old refresh token's digest → the rotation's tokens and when they were issued.
    rotations: Mutex<TokenCache<(Tokens, Instant)>>,
    /// Access token's digest → what the caller may do.
    access: Mutex<TokenCache<Arc<Access>>>,
    lanes: Vec<Arc<tokio::sync::Mutex<()>>>,
}

impl fmt::Debug for DirectusWeb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DirectusWeb")
            .field("url", &self.shared.url)
            .field("cookies", &self.shared.cookies)
            .field("unauthenticated", &self.shared.unauthenticated)
            .field("service", &self.shared.service)
            .finish_non_exhaustive()
    }
}

/// Builds a [`DirectusWeb`].
///
/// ```
/// use directus_async::axum::DirectusWeb;
/// use directus_async::Directus;
/// use directus_proto::web::CookieSettings;
///
/// let pool = reqwest::Client::new();
/// let service = Directus::builder("http://127.0.0.1:8055").client(pool.clone()).token("app-token").unwrap();
/// let web = DirectusWeb::builder("http://127.0.0.1:8055")
///     .client(pool)
///     .cookies(CookieSettings::default().secure(false))
///     .service(service)
///     .build()
///     .unwrap();
/// assert!(web.service().is_some());
/// ```
#[derive(Debug)]
pub struct WebBuilder {
    url: String,
    http: Option<reqwest::Client>,
    config: Config,
    cookies: CookieSettings,
    unauthenticated: Unauthenticated,
    service: Option<Directus>,
    access_ttl: Duration,
    rotation_grace: Duration,
    cache_capacity: usize,
}

impl WebBuilder {
    /// The connection pool every caller's client shares (default: a new one).
    ///
    /// ```
    /// # use directus_async::axum::DirectusWeb;
    /// let _ = DirectusWeb::builder("http://127.0.0.1:8055").client(reqwest::Client::new());
    /// ```
    pub fn client(mut self, http: reqwest::Client) -> Self {
        self.http = Some(http);
        self
    }

    /// Timeouts and the body limit of the callers' clients.
    ///
    /// ```
    /// # use directus_async::{Config, axum::DirectusWeb};
    /// let _ = DirectusWeb::builder("http://127.0.0.1:8055").config(Config::default());
    /// ```
    pub fn config(mut self, config: Config) -> Self {
        self.config = config;
        self
    }

    /// Cookie names and attributes (default: `directus_access_token`, `directus_refresh_token`,
    /// `HttpOnly; SameSite=Lax; Secure`, path `/`).
    ///
    /// ```
    /// # use directus_async::axum::DirectusWeb;
    /// use directus_proto::web::CookieSettings;
    /// let _ = DirectusWeb::builder("http://127.0.0.1:8055").cookies(CookieSettings::default().secure(false));
    /// ```
    pub fn cookies(mut self, cookies: CookieSettings) -> Self {
        self.cookies = cookies;
        self
    }

    /// Requests without credentials (or with dead ones) are redirected here with
    /// `303 See Other` instead of answered `401`.
    ///
    /// ```
    /// # use directus_async::axum::DirectusWeb;
    /// let _ = DirectusWeb::builder("http://127.0.0.1:8055").redirect_to("/login");
    /// ```
    pub fn redirect_to(mut self, path: impl Into<String>) -> Self {
        self.unauthenticated = Unauthenticated::Redirect(path.into());
        self
    }

    /// A client for work done as the application (a static token or a login), kept for the
    /// service's lifetime. Also used to read role names a caller may not read itself.
    ///
    /// ```
    /// # use directus_async::{Directus, axum::DirectusWeb};
    /// let service = Directus::with_token("http://127.0.0.1:8055", "t").unwrap();
    /// let _ = DirectusWeb::builder("http://127.0.0.1:8055").service(service);
    /// ```
    pub fn service(mut self, service: Directus) -> Self {
        self.service = Some(service);
        self
    }

    /// How long a caller's roles and policies are kept per token (default 30 s).
    ///
    /// ```
    /// # use directus_async::axum::DirectusWeb;
    /// # use std::time::Duration;
    /// let _ = DirectusWeb::builder("http://127.0.0.1:8055").access_ttl(Duration::from_secs(5));
    /// ```
    pub fn access_ttl(mut self, ttl: Duration) -> Self {
        self.access_ttl = ttl;
        self
    }

    /// How long a rotation's result is reused for requests that still carry the old refresh
    /// cookie (default 10 s; zero turns it off: those requests get a `401`).
    ///
    /// ```
    /// # use directus_async::axum::DirectusWeb;
    /// # use std::time::Duration;
    /// let _ = DirectusWeb::builder("http://127.0.0.1:8055").rotation_grace(Duration::from_secs(5));
    /// ```
    pub fn rotation_grace(mut self, grace: Duration) -> Self {
        self.rotation_grace = grace;
        self
    }

    /// How many tokens each cache holds at most (default 4096).
    ///
    /// ```
    /// # use directus_async::axum::DirectusWeb;
    /// let _ = DirectusWeb::builder("http://127.0.0.1:8055").cache_capacity(1000);
    /// ```
    pub fn cache_capacity(mut self, capacity: usize) -> Self {
        self.cache_capacity = capacity;
        self
    }

    /// The state.
    ///
    /// ```
    /// # use directus_async::axum::DirectusWeb;
    /// assert!(DirectusWeb::builder("not a url").build().is_err());
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] for a bad URL; a transport error when the default client
    /// cannot be built.
    pub fn build(self) -> crate::Result<DirectusWeb> {
        directus_proto::BaseUrl::parse(&self.url)?;
        let http = match self.http {
            Some(http) => http,
            None => crate::transport::default_client(&self.config)?,
        };
        Ok(DirectusWeb {
            shared: Arc::new(Shared {
                url: self.url,
                http,
                config: self.config,
                cookies: self.cookies,
                unauthenticated: self.unauthenticated,
                service: self.service,
                rotations: Mutex::new(TokenCache::new(self.cache_capacity, self.rotation_grace)),
                access: Mutex::new(TokenCache::new(self.cache_capacity, self.access_ttl)),
                lanes: (0..LANES).map(|_| Arc::default()).collect(),
            }),
        })
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Held for bookkeeping only; a poisoned cache still holds consistent entries.
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

impl DirectusWeb {
    /// A builder for the Directus server at `url`.
    ///
    /// ```
    /// # use directus_async::axum::DirectusWeb;
    /// let _ = DirectusWeb::builder("http://127.0.0.1:8055");
    /// ```
    pub fn builder(url: impl Into<String>) -> WebBuilder {
        WebBuilder {
            url: url.into(),
            http: None,
            config: Config::default(),
            cookies: CookieSettings::default(),
            unauthenticated: Unauthenticated::Status,
            service: None,
            access_ttl: Duration::from_secs(30),
            rotation_grace: Duration::from_secs(10),
            cache_capacity: 4096,
        }
    }

    /// The service client, when one was given.
    ///
    /// ```
    /// # use directus_async::axum::DirectusWeb;
    /// let web = DirectusWeb::builder("http://127.0.0.1:8055").build().unwrap();
    /// assert!(web.service().is_none());
    /// ```
    pub fn service(&self) -> Option<&Directus> {
        self.shared.service.as_ref()
    }

    /// The cookie settings.
    ///
    /// ```
    /// # use directus_async::axum::DirectusWeb;
    /// let web = DirectusWeb::builder("http://127.0.0.1:8055").build().unwrap();
    /// assert_eq!(web.cookies().access_cookie, "directus_access_token");
    /// ```
    pub fn cookies(&self) -> &CookieSettings {
        &self.shared.cookies
    }

    /// The login and logout routes, ready to [`merge`](Router::merge) into any router:
    /// `POST /login` takes `email`, `password` and optionally `otp` as a form or JSON, and
    /// answers `204` with the token cookies (a form with a local `next` path is redirected
    /// there with `303`); wrong credentials pass Directus' `401` through. `POST /logout`
    /// revokes the refresh token on the server and clears the cookies (`204`).
    ///
    /// ```
    /// # use directus_async::axum::DirectusWeb;
    /// let web = DirectusWeb::builder("http://127.0.0.1:8055").build().unwrap();
    /// let routes: axum::Router = web.auth_routes();
    /// ```
    pub fn auth_routes<S: Clone + Send + Sync + 'static>(&self) -> Router<S> {
        Router::new()
            .route("/login", post(login))
            .route("/logout", post(logout))
            .with_state(self.clone())
    }

    /// A client on the shared pool with nothing of its own yet.
    fn builder_for_caller(&self) -> crate::Builder {
        Directus::builder(self.shared.url.clone())
            .client(self.shared.http.clone())
            .config(self.shared.config)
    }

    fn unauthenticated(&self, clear_cookies: bool) -> WebError {
        let mut error = match &self.shared.unauthenticated {
            Unauthenticated::Status => WebError::new(
                StatusCode::UNAUTHORIZED,
                "INVALID_CREDENTIALS",
                "Not authenticated.",
            ),
            Unauthenticated::Redirect(path) => WebError::redirect(path),
        };
        if clear_cookies {
            error = error.with_cookies(self.shared.cookies.clear_cookies());
        }
        error
    }

    /// Single-flight rotation of `refresh`, with its result kept for the grace period.
    async fn rotate(&self, refresh: Secret) -> Result<Tokens, WebError> {
        let digest = TokenDigest::of(&refresh);
        if let Some(tokens) = self.rotated(&digest) {
            return Ok(tokens);
        }
        let lane = Arc::clone(&self.shared.lanes[digest.stripe(LANES)]);
        let guard = lane.lock_owned().await;
        if let Some(tokens) = self.rotated(&digest) {
            return Ok(tokens);
        }
        // In its own task, holding the lane: a request dropped mid-refresh cannot lose the
        // rotated token, and the next request with the same cookie finds it.
        let web = self.clone();
        let task = tokio::spawn(async move {
            let _guard = guard;
            let client = web.builder_for_caller().anonymous()?;
            let tokens = client
                .run(auth::refresh(client.base_url(), &refresh)?)
                .await?;
            lock(&web.shared.rotations).insert_digest(
                digest,
                (tokens.clone(), Instant::now()),
                Instant::now(),
            );
            Ok::<_, Error>(tokens)
        });
        match task.await {
            Ok(Ok(tokens)) => Ok(tokens),
            Ok(Err(Error::Api(api))) if api.status().is_client_error() => {
                // The refresh cookie is dead (expired, revoked, or rotated elsewhere).
                Err(match &self.shared.unauthenticated {
                    Unauthenticated::Status => WebError::from(Error::Api(api)),
                    Unauthenticated::Redirect(path) => WebError::redirect(path),
                }
                .with_cookies(self.shared.cookies.clear_cookies()))
            }
            Ok(Err(other)) => Err(other.into()),
            Err(_) => Err(WebError::internal()),
        }
    }

    /// The kept rotation of this refresh token, its access lifetime counted down.
    fn rotated(&self, digest: &TokenDigest) -> Option<Tokens> {
        let now = Instant::now();
        let rotations = lock(&self.shared.rotations);
        let (tokens, at) = rotations.get_digest(digest, now)?;
        let mut tokens = tokens.clone();
        tokens.expires = tokens
            .expires
            .map(|e| e.saturating_sub(now.saturating_duration_since(*at)));
        Some(tokens)
    }

    async fn resolve(
        &self,
        found: Result<Option<RequestCredentials>, Malformed>,
    ) -> Result<Resolved, WebError> {
        let found = found.map_err(|m| {
            WebError::new(StatusCode::BAD_REQUEST, "INVALID_HEADER", &m.to_string())
        })?;
        let Some(found) = found else {
            return Err(self.unauthenticated(false));
        };
        let from_cookies = matches!(found, RequestCredentials::Cookies { .. });
        let (client, rotated) = match found.plan(SystemTime::now()) {
            Plan::Use(tokens) => (self.builder_for_caller().tokens(tokens)?, false),
            Plan::Static(token) => (self.builder_for_caller().token(token.expose())?, false),
            Plan::Refresh(refresh) => {
                let tokens = self.rotate(refresh).await?;
                (self.builder_for_caller().tokens(tokens)?, true)
            }
            _ => return Err(self.unauthenticated(from_cookies)),
        };
        let start = client.session_state().generation();
        let refresh = client.tokens().and_then(|t| t.refresh_token);
        Ok(Resolved {
            client,
            from_cookies,
            rotated,
            start,
            refresh,
        })
    }

    /// The `Set-Cookie` values a response needs after the caller's request, if any.
    fn cookies_after(&self, resolved: &Resolved) -> Option<Vec<HeaderValue>> {
        if !resolved.from_cookies {
            return None;
        }
        let refreshed = resolved.client.session_state().generation() != resolved.start;
        if !resolved.rotated && !refreshed {
            return None;
        }
        let tokens = resolved.client.tokens()?;
        if refreshed && let Some(old) = &resolved.refresh {
            // The client refreshed during the request: later requests with the old cookie
            // reuse this rotation too.
            lock(&self.shared.rotations).insert(
                old,
                (tokens.clone(), Instant::now()),
                Instant::now(),
            );
        }
        self.shared.cookies.set_cookies(&tokens).ok()
    }

    async fn access(&self, client: &Directus) -> Result<Arc<Access>, WebError> {
        let token = client
            .tokens()
            .ok_or_else(|| self.unauthenticated(false))?
            .access_token;
        if let Some(access) = lock(&self.shared.access).get(&token, Instant::now()) {
            return Ok(Arc::clone(access));
        }
        let base = client.base_url();
        let (roles, (admin, app)) = futures_util::try_join!(
            client.run(web::access::my_roles(base)),
            client.run(web::my_access_globals(base)),
        )?;
        let mut access = Access::new(roles, admin, app);
        let unnamed = access.unnamed_roles();
        if !unnamed.is_empty()
            && let Some(service) = &self.shared.service
        {
            // The caller may not read role names; the application may. Without them, guards
            // by name do not match (guards by id still do).
            let op = web::role_names(service.base_url(), &unnamed)?;
            if let Ok(named) = service.run(op).await {
                access.name_roles(&named);
            }
        }
        let access = Arc::new(access);
        lock(&self.shared.access).insert(&token, Arc::clone(&access), Instant::now());
        Ok(access)
    }
}

/// The caller's client as the session middleware resolved it.
struct Resolved {
    client: Directus,
    from_cookies: bool,
    rotated: bool,
    start: Generation,
    refresh: Option<Secret>,
}

/// What the middleware hands the extractors: the request's credentials, resolved once.
struct CallerSlot {
    web: DirectusWeb,
    found: Mutex<Option<Result<Option<RequestCredentials>, Malformed>>>,
    resolved: tokio::sync::OnceCell<Result<Resolved, WebError>>,
}

impl CallerSlot {
    async fn resolve(&self) -> Result<&Resolved, WebError> {
        let result = self
            .resolved
            .get_or_init(|| async {
                let found = lock(&self.found).take().unwrap_or(Ok(None));
                self.web.resolve(found).await
            })
            .await;
        result.as_ref().map_err(Clone::clone)
    }
}

/// The middleware that makes [`Caller`] work: it reads the request's credentials (nothing is
/// sent to Directus until a handler extracts a `Caller`), and after the handler it appends the
/// `Set-Cookie` headers of rotated tokens. Install it with
/// `axum::middleware::from_fn_with_state(web, session)`.
///
/// ```
/// use axum::{Router, routing::get};
/// use directus_async::axum::{DirectusWeb, session};
///
/// let web = DirectusWeb::builder("http://127.0.0.1:8055").build().unwrap();
/// let app: Router = Router::new()
///     .route("/", get(|| async { "hello" }))
///     .layer(axum::middleware::from_fn_with_state(web, session));
/// ```
pub async fn session(State(web): State<DirectusWeb>, mut request: Request, next: Next) -> Response {
    let found = web::request_credentials(request.headers(), &web.shared.cookies);
    let slot = Arc::new(CallerSlot {
        web: web.clone(),
        found: Mutex::new(Some(found)),
        resolved: tokio::sync::OnceCell::new(),
    });
    request.extensions_mut().insert(Arc::clone(&slot));
    let mut response = next.run(request).await;
    if let Some(Ok(resolved)) = slot.resolved.get()
        && let Some(cookies) = web.cookies_after(resolved)
    {
        for cookie in cookies {
            response.headers_mut().append(SET_COOKIE, cookie);
        }
    }
    response
}

/// The caller of a request: a [`Directus`] client with the caller's identity (it derefs to
/// it), on the shared pool, with its own session and no cache shared with anyone. Needs the
/// [`session`] middleware. Rejected with `401` (or the configured redirect) when the request
/// has no credentials, `400` when they are malformed.
///
/// ```
/// use directus_async::axum::{Caller, WebError};
///
/// async fn me(caller: Caller) -> Result<String, WebError> {
///     Ok(caller.me().await?["email"].to_string())
/// }
/// ```
#[derive(Clone)]
pub struct Caller {
    client: Directus,
    web: DirectusWeb,
}

impl fmt::Debug for Caller {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Caller")
            .field("client", &self.client)
            .finish_non_exhaustive()
    }
}

impl std::ops::Deref for Caller {
    type Target = Directus;

    fn deref(&self) -> &Directus {
        &self.client
    }
}

impl Caller {
    /// The caller's client.
    ///
    /// ```
    /// # use directus_async::axum::Caller;
    /// fn client(caller: &Caller) -> &directus_async::Directus { caller.client() }
    /// ```
    pub fn client(&self) -> &Directus {
        &self.client
    }

    /// What the caller may do: its roles and its policies' admin and app access, read once per
    /// access token and kept briefly (see [`WebBuilder::access_ttl`]).
    ///
    /// ```
    /// # use directus_async::axum::{Caller, WebError};
    /// async fn is_admin(caller: Caller) -> Result<String, WebError> {
    ///     Ok(caller.access().await?.admin_access.to_string())
    /// }
    /// ```
    pub async fn access(&self) -> Result<Arc<Access>, WebError> {
        self.web.access(&self.client).await
    }

    /// Fails with `403 FORBIDDEN` unless the caller meets `requirement`.
    ///
    /// ```
    /// # use directus_async::axum::{Caller, WebError};
    /// use directus_proto::web::Requirement;
    /// async fn editors_only(caller: Caller) -> Result<&'static str, WebError> {
    ///     caller.require(&Requirement::role("Editor")).await?;
    ///     Ok("welcome")
    /// }
    /// ```
    pub async fn require(&self, requirement: &Requirement) -> Result<Arc<Access>, WebError> {
        let access = self.access().await?;
        if requirement.allows(&access) {
            Ok(access)
        } else {
            Err(WebError::new(
                StatusCode::FORBIDDEN,
                "FORBIDDEN",
                "You don't have permission to access this.",
            ))
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, WebError> {
        let slot = parts
            .extensions
            .get::<Arc<CallerSlot>>()
            .cloned()
            .ok_or_else(WebError::internal)?;
        let resolved = slot.resolve().await?;
        Ok(Caller {
            client: resolved.client.clone(),
            web: slot.web.clone(),
        })
    }
}

/// A [`Caller`] whose policies give admin access; others get `403`.
///
/// ```
/// use directus_async::axum::{Admin, WebError};
/// async fn users(Admin(admin): Admin) -> Result<String, WebError> {
///     Ok(admin.collection("directus_users").read().await?.items().len().to_string())
/// }
/// ```
#[derive(Clone, Debug)]
pub struct Admin(pub Caller);

impl<S: Send + Sync> FromRequestParts<S> for Admin {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, WebError> {
        let caller = Caller::from_request_parts(parts, state).await?;
        caller.require(&Requirement::Admin).await?;
        Ok(Admin(caller))
    }
}

/// A guard for a group of routes: `403` unless the caller meets the requirement (a role by
/// name or id, app access, admin access); `401` or the redirect without credentials.
///
/// ```
/// use axum::{Router, routing::get};
/// use directus_async::axum::require;
/// use directus_proto::web::Requirement;
///
/// let editors: Router = Router::new()
///     .route("/drafts", get(|| async { "drafts" }))
///     .layer(axum::middleware::from_fn_with_state(Requirement::role("Editor"), require));
/// ```
pub async fn require(
    State(requirement): State<Requirement>,
    caller: Caller,
    request: Request,
    next: Next,
) -> Response {
    match caller.require(&requirement).await {
        Ok(_) => next.run(request).await,
        Err(error) => error.into_response(),
    }
}

/// A failure as a response: Directus' status, code and message as a JSON error envelope
/// (`403` stays `403`), `502`/`504` when Directus cannot be reached or does not answer in time,
/// `400` for malformed credentials, `401` or a redirect when there are none. Nothing secret or
/// internal is told. Handlers return `Result<_, WebError>` and use `?` on client calls.
///
/// ```
/// use axum::response::IntoResponse;
/// use directus_async::{Error, axum::WebError};
///
/// let response = WebError::from(Error::NotAuthenticated("logged out")).into_response();
/// assert_eq!(response.status(), 401);
/// ```
#[derive(Clone)]
pub struct WebError {
    status: StatusCode,
    body: Vec<u8>,
    headers: HeaderMap,
}

impl fmt::Debug for WebError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebError")
            .field("status", &self.status)
            .field("body", &String::from_utf8_lossy(&self.body))
            .finish_non_exhaustive()
    }
}

impl fmt::Display for WebError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.status)
    }
}

impl std::error::Error for WebError {}

impl WebError {
    /// An error with a status, a code and a message, in Directus' envelope.
    ///
    /// ```
    /// # use directus_async::axum::WebError;
    /// let err = WebError::new(http::StatusCode::NOT_FOUND, "NOT_FOUND", "No such page.");
    /// assert_eq!(err.status(), 404);
    /// ```
    pub fn new(status: StatusCode, code: &str, message: &str) -> Self {
        WebError {
            status,
            body: web::error_body(code, message),
            headers: HeaderMap::new(),
        }
    }

    fn internal() -> Self {
        WebError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "INTERNAL_SERVER_ERROR",
            "Internal error.",
        )
    }

    fn redirect(path: &str) -> Self {
        let mut error = WebError {
            status: StatusCode::SEE_OTHER,
            body: Vec::new(),
            headers: HeaderMap::new(),
        };
        if let Ok(location) = HeaderValue::from_str(path) {
            error.headers.insert(LOCATION, location);
        }
        error
    }

    fn with_cookies(mut self, cookies: Vec<HeaderValue>) -> Self {
        for cookie in cookies {
            self.headers.append(SET_COOKIE, cookie);
        }
        self
    }

    /// The status it answers.
    ///
    /// ```
    /// # use directus_async::{Error, axum::WebError};
    /// assert_eq!(WebError::from(Error::InvalidInput("x".into())).status(), 400);
    /// ```
    pub fn status(&self) -> StatusCode {
        self.status
    }
}

impl From<Error> for WebError {
    fn from(error: Error) -> Self {
        let (status, body) = web::error_answer(&error);
        WebError {
            status,
            body,
            headers: HeaderMap::new(),
        }
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let mut response = if self.body.is_empty() {
            self.status.into_response()
        } else {
            let json = [(CONTENT_TYPE, HeaderValue::from_static("application/json"))];
            (self.status, json, self.body).into_response()
        };
        for (name, value) in &self.headers {
            response.headers_mut().append(name, value.clone());
        }
        response
    }
}

#[derive(Deserialize)]
struct LoginForm {
    email: String,
    password: String,
    #[serde(default)]
    otp: Option<String>,
    /// Where a form login goes next (local paths only).
    #[serde(default)]
    next: Option<String>,
}

impl fmt::Debug for LoginForm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoginForm")
            .field("email", &self.email)
            .finish_non_exhaustive()
    }
}

/// A path on this site: `/x`, never `//host` or `/\host` (no open redirect).
fn local_path(path: &str) -> bool {
    path.starts_with('/')
        && !path.starts_with("//")
        && !path.starts_with("/\\")
        && !path.bytes().any(|b| b.is_ascii_control())
}

async fn login(State(web): State<DirectusWeb>, request: Request) -> Result<Response, WebError> {
    let is_json = request
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let bad = |_| {
        WebError::new(
            StatusCode::BAD_REQUEST,
            "INVALID_PAYLOAD",
            "Expected email and password.",
        )
    };
    let form = if is_json {
        ::axum::Json::<LoginForm>::from_request(request, &())
            .await
            .map_err(|e| bad(e.status()))?
            .0
    } else {
        ::axum::Form::<LoginForm>::from_request(request, &())
            .await
            .map_err(|e| bad(e.status()))?
            .0
    };
    let builder = web.builder_for_caller();
    let client = match &form.otp {
        Some(otp) => builder.login_otp(&form.email, &form.password, otp).await?,
        None => builder.login(&form.email, &form.password).await?,
    };
    let tokens = client.tokens().ok_or_else(WebError::internal)?;
    let cookies = web.shared.cookies.set_cookies(&tokens)?;
    let mut response = match form.next.as_deref().filter(|p| !is_json && local_path(p)) {
        Some(next) => WebError::redirect(next).into_response(),
        None => StatusCode::NO_CONTENT.into_response(),
    };
    for cookie in cookies {
        response.headers_mut().append(SET_COOKIE, cookie);
    }
    Ok(response)
}

async fn logout(State(web): State<DirectusWeb>, headers: HeaderMap) -> Response {
    let refresh = match web::request_credentials(&headers, &web.shared.cookies) {
        Ok(Some(RequestCredentials::Cookies {
            refresh: Some(refresh),
            ..
        })) => Some(refresh),
        _ => None,
    };
    let refresh = refresh.map(|old| {
        // Cookies from before a rotation kept for the grace period: revoke the rotated
        // session, and forget the rotation so it cannot hand that session out again.
        let current = web
            .rotated(&TokenDigest::of(&old))
            .and_then(|t| t.refresh_token)
            .unwrap_or_else(|| old.clone());
        let mut rotations = lock(&web.shared.rotations);
        rotations.remove(&old);
        rotations.retain(|(tokens, _)| tokens.refresh_token.as_ref() != Some(&current));
        current
    });
    let revoked = match refresh {
        Some(refresh) => match web.builder_for_caller().anonymous() {
            Ok(client) => match auth::logout(client.base_url(), &refresh) {
                Ok(op) => client.run(op).await,
                Err(err) => Err(err),
            },
            Err(err) => Err(err),
        },
        None => Ok(()),
    };
    let clear = web.shared.cookies.clear_cookies();
    match revoked {
        Ok(()) => {
            let mut response = StatusCode::NO_CONTENT.into_response();
            for cookie in clear {
                response.headers_mut().append(SET_COOKIE, cookie);
            }
            response
        }
        Err(err) => WebError::from(err).with_cookies(clear).into_response(),
    }
}
