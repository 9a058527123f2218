//! The shared state of a web service and its builder.

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ::axum::Router;
use ::axum::http::StatusCode;
use ::axum::routing::post;
use directus_proto::Config;
use directus_proto::auth::Tokens;
use directus_proto::web::{self, Access, CookieSettings, TokenCache};

use super::error::WebError;
use super::lock;
use super::routes::{login, logout};
use crate::Directus;

/// How many refresh lanes (locks) the single-flight refresh spreads token digests over.
pub(super) const LANES: usize = 64;

/// What a request without credentials gets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Unauthenticated {
    /// `401` with a JSON error (APIs).
    Status,
    /// `303 See Other` to this path (pages), like py-directus' redirect to `/login`.
    Redirect(String),
}

/// The shared state of a web service: see the [module docs](super). Cheap to clone.
///
/// ```
/// use directus_async::axum::DirectusWeb;
/// let web = DirectusWeb::builder("http://127.0.0.1:8055").build().unwrap();
/// assert!(web.service().is_none());
/// ```
#[derive(Clone)]
pub struct DirectusWeb {
    pub(super) shared: Arc<Shared>,
}

pub(super) struct Shared {
    pub(super) url: String,
    pub(super) http: reqwest::Client,
    pub(super) config: Config,
    pub(super) cookies: CookieSettings,
    pub(super) unauthenticated: Unauthenticated,
    pub(super) service: Option<Directus>,
    /// Old refresh token's digest → the rotation's tokens and when they were issued.
    pub(super) rotations: Mutex<TokenCache<(Tokens, Instant)>>,
    /// Access token's digest → what the caller may do.
    pub(super) access: Mutex<TokenCache<Arc<Access>>>,
    pub(super) lanes: Vec<Arc<tokio::sync::Mutex<()>>>,
    /// The limits and allow-list of the realtime relay route.
    #[cfg(feature = "realtime")]
    pub(super) relay: web::relay::RelayConfig,
    /// One permit per relayed browser socket.
    #[cfg(feature = "realtime")]
    pub(super) relay_slots: Arc<tokio::sync::Semaphore>,
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
/// let pool = directus_async::reqwest_client_builder(&directus_async::Config::default()).build().unwrap();
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
    #[cfg(feature = "realtime")]
    relay: web::relay::RelayConfig,
}

impl WebBuilder {
    /// The connection pool every caller's client shares (default: a new one).
    ///
    /// ```
    /// # use directus_async::axum::DirectusWeb;
    /// let _ = DirectusWeb::builder("http://127.0.0.1:8055").client(directus_async::reqwest_client_builder(&directus_async::Config::default()).build().unwrap());
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

    /// The limits and the collection allow-list of the realtime relay route
    /// ([`realtime`](super::realtime); feature `realtime`). Default: any collection but
    /// Directus' system collections, 16 subscriptions per socket, 64 KiB messages.
    ///
    /// ```
    /// # use directus_async::axum::DirectusWeb;
    /// use directus_proto::web::relay::RelayConfig;
    /// let _ = DirectusWeb::builder("http://127.0.0.1:8055")
    ///     .realtime(RelayConfig::default().collections(["posts"]).max_subscriptions(4));
    /// ```
    #[cfg(feature = "realtime")]
    pub fn realtime(mut self, config: web::relay::RelayConfig) -> Self {
        self.relay = config;
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
    /// [`Error::InvalidInput`](crate::Error::InvalidInput) for a bad URL; a transport error when the default client
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
                #[cfg(feature = "realtime")]
                relay_slots: Arc::new(tokio::sync::Semaphore::new(
                    self.relay
                        .connection_limit()
                        .min(tokio::sync::Semaphore::MAX_PERMITS),
                )),
                #[cfg(feature = "realtime")]
                relay: self.relay,
            }),
        })
    }
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
            #[cfg(feature = "realtime")]
            relay: web::relay::RelayConfig::default(),
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
    pub(super) fn builder_for_caller(&self) -> crate::Builder {
        Directus::builder(self.shared.url.clone())
            .client(self.shared.http.clone())
            .config(self.shared.config)
    }

    pub(super) fn unauthenticated(&self, clear_cookies: bool) -> WebError {
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

    pub(super) async fn access(&self, client: &Directus) -> Result<Arc<Access>, WebError> {
        let token = client
            .tokens()
            .ok_or_else(|| self.unauthenticated(false))?
            .access_token;
        if let Some(access) = lock(&self.shared.access).get(&token, Instant::now()) {
            return Ok(Arc::clone(access));
        }
        let base = client.base_url();
        let (roles, (admin, app)) = futures_util::try_join!(
            client.run(web::access::my_roles(base)?),
            client.run(web::my_access_globals(base)?),
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
