//! [`Directus`]: a session on one server, driven over an async [`HttpClient`].

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Instant;

use directus_proto::session::OnTokens;
use directus_proto::{
    BaseUrl, Bytes, CacheConfig, Config, Credentials, Error, Exchange, Generation, Item, Items,
    Operation, RetryPolicy, Session, Step, auth, auth::Tokens,
};
use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use futures_util::lock::Mutex;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::collection::{Collection, Singleton};
use crate::transport::HttpClient;

pub(crate) struct Inner {
    pub(crate) session: Session,
    pub(crate) http: Arc<dyn HttpClient>,
    pub(crate) config: Config,
    /// Held while a refresh, login or logout is in flight: one at a time per session.
    refresh_lane: Mutex<()>,
}

/// A client of one Directus server, as one identity (a user's login, a static token, or
/// nobody). Cheap to clone; clones share the session and the connection pool.
///
/// ```no_run
/// use directus_async::Directus;
///
/// # async fn demo() -> directus_async::Result<()> {
/// let directus = Directus::with_token("http://127.0.0.1:8055", "static-token")?;
/// println!("{}", directus.me().await?["email"]);
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct Directus {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Directus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Directus")
            .field("session", &self.inner.session)
            .finish_non_exhaustive()
    }
}

/// Builds a [`Directus`] client: the HTTP client to share, timeouts, then the credentials.
///
/// ```no_run
/// use directus_async::Directus;
///
/// # async fn demo() -> directus_async::Result<()> {
/// let shared = directus_async::reqwest_client_builder(&directus_async::Config::default()).build().unwrap();
/// let alice = Directus::builder("http://127.0.0.1:8055")
///     .client(shared.clone())
///     .login("alice@example.com", "pw-a")
///     .await?;
/// let bot = Directus::builder("http://127.0.0.1:8055").client(shared).token("static-token")?;
/// # let _ = (alice, bot);
/// # Ok(())
/// # }
/// ```
pub struct Builder {
    url: String,
    http: Option<Arc<dyn HttpClient>>,
    config: Config,
    retry: RetryPolicy,
    on_tokens: Option<OnTokens>,
    hooks: Vec<Arc<dyn directus_proto::hooks::Hook>>,
}

impl std::fmt::Debug for Builder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Builder")
            .field("url", &self.url)
            .field("config", &self.config)
            .field("on_tokens", &self.on_tokens.is_some())
            .field("hooks", &self.hooks.len())
            .finish_non_exhaustive()
    }
}

impl Builder {
    /// Shares this HTTP client (its connection pool) with other clients: several users, one
    /// pool. A `reqwest::Client` is cheap to clone. The overall timeout of [`Config`] is set on
    /// each request, and this crate bounds each stall of a streamed transfer with it; the
    /// client's own connect timeout is its own. Give it no `read_timeout`: reqwest's also runs
    /// while a body is sent, and would cut a long streamed upload.
    ///
    /// Build a `reqwest::Client` with [`reqwest_client_builder`](crate::reqwest_client_builder)
    /// (or at least `redirect(reqwest::redirect::Policy::none())`): reqwest's default follows
    /// redirects by itself, also a `307` that re-sends a login's body to another origin. This
    /// crate follows redirects by its own rules, and refuses an answer that the HTTP client
    /// reached through a redirect.
    ///
    /// ```
    /// # use directus_async::Directus;
    /// let _ = Directus::builder("http://127.0.0.1:8055").client(directus_async::reqwest_client_builder(&directus_async::Config::default()).build().unwrap());
    /// ```
    pub fn client(mut self, http: impl HttpClient) -> Self {
        self.http = Some(Arc::new(http));
        self
    }

    /// Timeouts and the body limit.
    ///
    /// ```
    /// # use directus_async::{Config, Directus};
    /// let _ = Directus::builder("http://127.0.0.1:8055").config(Config::default());
    /// ```
    pub fn config(mut self, config: Config) -> Self {
        self.config = config;
        self
    }

    /// How calls retry failures: attempts, which failures, backoff with jitter, an overall
    /// deadline (see [`RetryPolicy`]). The default retries a read once after a transport
    /// failure or a `429`; a write is never sent twice, whatever the policy says.
    ///
    /// ```
    /// # use directus_async::{Directus, RetryPolicy};
    /// use std::time::Duration;
    /// let client = Directus::builder("http://127.0.0.1:8055")
    ///     .retry(RetryPolicy::new().attempts(4).on_server_errors(true)
    ///         .backoff(Duration::from_millis(100), Duration::from_secs(2)))
    ///     .token("t")
    ///     .unwrap();
    /// ```
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Adds a [`Hook`](directus_proto::hooks::Hook) run before each request the client's
    /// calls send and after each answer: it can add headers (a request id, a `traceparent`)
    /// and observe status and timing, never the token, cookies or bodies unless it says so.
    /// Several hooks run in registration order before a request and in reverse order after
    /// it (see [`directus_proto::hooks`]).
    ///
    /// ```
    /// # use directus_async::Directus;
    /// use directus_proto::hooks;
    /// use std::sync::atomic::{AtomicU64, Ordering};
    ///
    /// let next = AtomicU64::new(1);
    /// let client = Directus::builder("http://127.0.0.1:8055")
    ///     .hook(hooks::on_request(move |request| {
    ///         let id = next.fetch_add(1, Ordering::Relaxed);
    ///         request.insert_header("x-request-id", &format!("req-{id}")).unwrap();
    ///     }))
    ///     .hook(hooks::on_response(|answer| {
    ///         eprintln!("{} {} -> {:?} in {:?}", answer.method(), answer.path(), answer.status(), answer.elapsed());
    ///     }))
    ///     .token("t")
    ///     .unwrap();
    /// ```
    pub fn hook(mut self, hook: impl directus_proto::hooks::Hook + 'static) -> Self {
        self.hooks.push(Arc::new(hook));
        self
    }

    /// A client with these credentials, not yet authenticated: email-and-password
    /// credentials log in on the first call.
    ///
    /// ```
    /// # use directus_async::{Credentials, Directus};
    /// let client = Directus::builder("http://127.0.0.1:8055")
    ///     .credentials(Some(Credentials::refresh_token("kept-from-last-run")))
    ///     .unwrap();
    /// ```
    pub fn credentials(self, credentials: Option<Credentials>) -> crate::Result<Directus> {
        let base = BaseUrl::parse(&self.url)?;
        self.with_session(Session::new(base, credentials)?)
    }

    /// A client that goes on from tokens kept elsewhere (a browser's cookies, a file): it uses
    /// the access token while it lives, then refreshes with the refresh token, which rotates;
    /// [`Directus::tokens`] reads the current ones back. Without a refresh token the access
    /// token is used as it is and never refreshed.
    ///
    /// ```
    /// use directus_async::{Directus, Tokens};
    /// use std::time::Duration;
    ///
    /// let kept = Tokens::new("access", Some("refresh".into()), Some(Duration::from_secs(60)));
    /// let client = Directus::builder("http://127.0.0.1:8055").tokens(kept).unwrap();
    /// assert_eq!(client.tokens().unwrap().refresh_token.unwrap().expose(), "refresh");
    /// ```
    pub fn tokens(self, tokens: Tokens) -> crate::Result<Directus> {
        let base = BaseUrl::parse(&self.url)?;
        let session = Session::with_tokens(base, tokens, Instant::now())?;
        self.with_session(session)
    }

    fn with_session(self, session: Session) -> crate::Result<Directus> {
        session.set_retry_policy(self.retry.clone());
        // The jitter's randomness: proto draws none of its own.
        session.seed_jitter(crate::random::bits() as u64);
        let http = match self.http {
            Some(http) => http,
            #[cfg(feature = "reqwest")]
            None => Arc::new(crate::transport::default_client(&self.config)?),
            #[cfg(not(feature = "reqwest"))]
            None => {
                return Err(Error::InvalidInput(
                    "no HTTP client: enable the `reqwest` feature or pass one with `client`".into(),
                ));
            }
        };
        if let Some(hook) = self.on_tokens {
            session.on_tokens(move |tokens| hook(tokens));
        }
        for hook in self.hooks {
            session.add_shared_hook(hook);
        }
        Ok(Directus {
            inner: Arc::new(Inner {
                session,
                http,
                config: self.config,
                refresh_lane: Mutex::new(()),
            }),
        })
    }

    /// Calls `hook` whenever the session's tokens change: after every login and refresh (the
    /// refresh token rotates each time, so store the new one) and with `None` on logout. With
    /// [`Builder::resume`] a long-running tool keeps its login across restarts (the JS SDK's
    /// pluggable storage). Keep the hook short and never call the client from it.
    ///
    /// ```no_run
    /// # use directus_async::Directus;
    /// # async fn demo() -> directus_async::Result<()> {
    /// let client = Directus::builder("http://127.0.0.1:8055")
    ///     .on_tokens(|tokens| {
    ///         let refresh = tokens.and_then(|t| t.refresh_token.as_ref()).map(|r| r.expose().to_owned());
    ///         std::fs::write("session.txt", refresh.unwrap_or_default()).ok();
    ///     })
    ///     .login("a@example.com", "pw")
    ///     .await?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn on_tokens(
        mut self,
        hook: impl Fn(Option<&directus_proto::auth::Tokens>) + Send + Sync + 'static,
    ) -> Self {
        self.on_tokens = Some(Arc::new(hook));
        self
    }

    /// Resumes a login from a refresh token kept by an earlier run: refreshes now (so a spent
    /// or revoked token fails here, with the server's error), and the hook of
    /// [`Builder::on_tokens`] sees the rotated tokens.
    ///
    /// ```no_run
    /// # use directus_async::Directus;
    /// # async fn demo() -> directus_async::Result<()> {
    /// let kept = std::fs::read_to_string("session.txt").unwrap_or_default();
    /// let client = Directus::builder("http://127.0.0.1:8055").resume(kept.trim()).await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn resume(self, refresh_token: &str) -> crate::Result<Directus> {
        let client = self.credentials(Some(Credentials::refresh_token(refresh_token)))?;
        client.refresh().await?;
        Ok(client)
    }

    /// Logs in with email and password now (so a wrong password fails here).
    ///
    /// ```no_run
    /// # use directus_async::Directus;
    /// # async fn demo() -> directus_async::Result<()> {
    /// let client = Directus::builder("http://127.0.0.1:8055").login("a@example.com", "pw").await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn login(self, email: &str, password: &str) -> crate::Result<Directus> {
        let client = self.credentials(Some(Credentials::password(email, password)))?;
        client.refresh().await?;
        Ok(client)
    }

    /// Logs in with email, password and a one-time password.
    ///
    /// ```no_run
    /// # use directus_async::Directus;
    /// # async fn demo() -> directus_async::Result<()> {
    /// let client = Directus::builder("http://127.0.0.1:8055").login_otp("a@example.com", "pw", "123456").await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn login_otp(
        self,
        email: &str,
        password: &str,
        otp: &str,
    ) -> crate::Result<Directus> {
        let credentials = Credentials::password(email, password).with_otp(otp);
        let client = self.credentials(Some(credentials))?;
        client.refresh().await?;
        Ok(client)
    }

    /// Uses a static token.
    ///
    /// ```
    /// # use directus_async::Directus;
    /// let client = Directus::builder("http://127.0.0.1:8055").token("static-token").unwrap();
    /// ```
    pub fn token(self, token: &str) -> crate::Result<Directus> {
        self.credentials(Some(Credentials::static_token(token)))
    }

    /// No credentials: what the public policy allows.
    ///
    /// ```
    /// # use directus_async::Directus;
    /// let client = Directus::builder("http://127.0.0.1:8055").anonymous().unwrap();
    /// ```
    pub fn anonymous(self) -> crate::Result<Directus> {
        self.credentials(None)
    }
}

impl Directus {
    /// A builder for the server at `url`.
    ///
    /// ```
    /// # use directus_async::Directus;
    /// let _ = Directus::builder("https://cms.example.com");
    /// ```
    pub fn builder(url: impl Into<String>) -> Builder {
        Builder {
            url: url.into(),
            http: None,
            config: Config::default(),
            retry: RetryPolicy::default(),
            on_tokens: None,
            hooks: Vec::new(),
        }
    }

    /// Logs in with email and password.
    ///
    /// ```no_run
    /// # use directus_async::Directus;
    /// # async fn demo() -> directus_async::Result<()> {
    /// let directus = Directus::login("http://127.0.0.1:8055", "admin@example.com", "secret").await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn login(url: impl Into<String>, email: &str, password: &str) -> crate::Result<Self> {
        Self::builder(url).login(email, password).await
    }

    /// Uses a static token.
    ///
    /// ```
    /// # use directus_async::Directus;
    /// let directus = Directus::with_token("http://127.0.0.1:8055", "static-token").unwrap();
    /// ```
    pub fn with_token(url: impl Into<String>, token: &str) -> crate::Result<Self> {
        Self::builder(url).token(token)
    }

    /// Logs in, runs `f`, and logs out, also when `f` fails or panics (the panic then goes on).
    /// `f`'s error comes first; a failed logout after a successful `f` is returned.
    ///
    /// ```no_run
    /// # use directus_async::Directus;
    /// # async fn demo() -> directus_async::Result<()> {
    /// let n = Directus::session("http://127.0.0.1:8055", "admin@example.com", "secret", async |d| {
    ///     Ok(d.collection("products").read().await?.items().len())
    /// })
    /// .await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn session<R>(
        url: impl Into<String>,
        email: &str,
        password: &str,
        f: impl AsyncFnOnce(&Directus) -> crate::Result<R>,
    ) -> crate::Result<R> {
        let client = Self::login(url, email, password).await?;
        let outcome = AssertUnwindSafe(f(&client)).catch_unwind().await;
        let logout = client.logout().await;
        match outcome {
            Err(panic) => std::panic::resume_unwind(panic),
            Ok(result) => {
                let value = result?;
                logout?;
                Ok(value)
            }
        }
    }

    /// The proto session: tokens, cache, base URL.
    ///
    /// ```
    /// # use directus_async::Directus;
    /// let directus = Directus::with_token("http://127.0.0.1:8055", "t").unwrap();
    /// assert_eq!(directus.session_state().base().as_str(), "http://127.0.0.1:8055");
    /// ```
    pub fn session_state(&self) -> &Session {
        &self.inner.session
    }

    /// The current tokens, after any refresh (refresh tokens rotate), and how long the access
    /// token still lives: to keep a login across runs or hand it back to a browser. `None`
    /// before a login and after a logout. Handle them as the secrets they are.
    ///
    /// ```
    /// # use directus_async::Directus;
    /// let directus = Directus::with_token("http://127.0.0.1:8055", "t").unwrap();
    /// assert_eq!(directus.tokens().unwrap().access_token.expose(), "t");
    /// ```
    pub fn tokens(&self) -> Option<Tokens> {
        self.inner.session.tokens(Instant::now())
    }

    /// The server's base URL, for building operations of `directus_proto` to [`run`](Self::run).
    ///
    /// ```
    /// # use directus_async::Directus;
    /// let directus = Directus::with_token("http://127.0.0.1:8055/", "t").unwrap();
    /// assert_eq!(directus.base_url().as_str(), "http://127.0.0.1:8055");
    /// ```
    pub fn base_url(&self) -> &BaseUrl {
        self.inner.session.base()
    }

    pub(crate) fn inner(&self) -> &Arc<Inner> {
        &self.inner
    }

    /// The files and assets of the server.
    ///
    /// ```no_run
    /// # use directus_async::{Directus, UploadFile};
    /// # async fn demo(directus: Directus) -> directus_async::Result<()> {
    /// directus.files().upload(&UploadFile::new("a.txt", b"a".to_vec())).await?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn files(&self) -> crate::files::Files<'_> {
        crate::files::Files::new(self)
    }

    /// Runs any operation built by `directus_proto` in this session.
    ///
    /// ```no_run
    /// # use directus_async::Directus;
    /// use directus_proto::{Operation, response};
    /// # async fn demo() -> directus_async::Result<()> {
    /// let directus = Directus::with_token("http://127.0.0.1:8055", "t")?;
    /// let op: Operation<serde_json::Value> =
    ///     Operation::get(directus.session_state().base(), "/server/info", response::data)?;
    /// let info = directus.run(op).await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn run<T>(&self, operation: Operation<T>) -> crate::Result<T> {
        self.inner.drive(self.inner.session.call(operation)).await
    }

    /// Refreshes the tokens now (logs in again with email and password when there is no
    /// refresh token).
    ///
    /// ```no_run
    /// # use directus_async::Directus;
    /// # async fn demo(directus: Directus) -> directus_async::Result<()> {
    /// directus.refresh().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn refresh(&self) -> crate::Result<()> {
        Inner::refresh_after(&self.inner, self.inner.session.generation()).await
    }

    /// Logs out: the refresh token is revoked on the server and the tokens and cache are
    /// forgotten; later calls fail with [`Error::NotAuthenticated`] until
    /// [`Directus::refresh`] logs in again.
    ///
    /// ```no_run
    /// # use directus_async::Directus;
    /// # async fn demo(directus: Directus) -> directus_async::Result<()> {
    /// directus.logout().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn logout(&self) -> crate::Result<()> {
        let _lane = self.inner.refresh_lane.lock().await;
        self.inner.drive(self.inner.session.logout()).await
    }

    /// The items of a collection, as JSON values.
    ///
    /// ```no_run
    /// # use directus_async::Directus;
    /// # async fn demo(directus: Directus) -> directus_async::Result<()> {
    /// let page = directus.collection("products").limit(5).read().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn collection(&self, name: &str) -> Collection<'_, Value> {
        Collection::new(self, Items::new(name))
    }

    /// The items of `T`'s collection, parsed into `T`.
    ///
    /// ```no_run
    /// # use directus_async::{Directus, Item};
    /// #[derive(serde::Serialize, serde::Deserialize)]
    /// struct Product { id: i64, name: String }
    /// impl Item for Product { const COLLECTION: &'static str = "products"; }
    /// # async fn demo(directus: Directus) -> directus_async::Result<()> {
    /// let product: Product = directus.collection_of::<Product>().read_one(7).await?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn collection_of<T: Item>(&self) -> Collection<'_, T> {
        Collection::new(self, Items::of())
    }

    /// The items of a collection parsed into any serde type (no [`Item`] impl needed).
    ///
    /// ```no_run
    /// # use directus_async::Directus;
    /// #[derive(serde::Deserialize)]
    /// struct Name { name: String }
    /// # async fn demo(directus: Directus) -> directus_async::Result<()> {
    /// let names = directus.collection_as::<Name>("products").fields(["name"]).read().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn collection_as<T: DeserializeOwned>(&self, name: &str) -> Collection<'_, T> {
        Collection::new(self, Items::new(name))
    }

    /// A singleton collection.
    ///
    /// ```no_run
    /// # use directus_async::Directus;
    /// # async fn demo(directus: Directus) -> directus_async::Result<()> {
    /// let settings = directus.singleton("settings_page").read().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn singleton(&self, name: &str) -> Singleton<'_, Value> {
        Singleton::new(self, Items::new(name))
    }

    /// The current user (`GET /users/me`).
    ///
    /// ```no_run
    /// # use directus_async::Directus;
    /// # async fn demo(directus: Directus) -> directus_async::Result<()> {
    /// println!("{}", directus.me().await?["email"]);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn me(&self) -> crate::Result<Value> {
        self.run(Operation::get(
            self.base_url(),
            "/users/me",
            directus_proto::response::data,
        )?)
        .await
    }

    /// `GET /server/ping`: `pong` when the server is up.
    ///
    /// ```no_run
    /// # use directus_async::Directus;
    /// # async fn demo(directus: Directus) -> directus_async::Result<()> {
    /// assert_eq!(directus.ping().await?, "pong");
    /// # Ok(())
    /// # }
    /// ```
    pub async fn ping(&self) -> crate::Result<String> {
        self.run(directus_proto::system::ping(self.base_url())?)
            .await
    }

    /// Asks for a password-reset mail.
    ///
    /// ```no_run
    /// # use directus_async::Directus;
    /// # async fn demo(directus: Directus) -> directus_async::Result<()> {
    /// directus.request_password_reset("a@example.com", None).await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn request_password_reset(
        &self,
        email: &str,
        reset_url: Option<&str>,
    ) -> crate::Result<()> {
        self.run(auth::password_request(self.base_url(), email, reset_url)?)
            .await
    }

    /// Sets a new password with the token from the reset mail.
    ///
    /// ```no_run
    /// # use directus_async::Directus;
    /// # async fn demo(directus: Directus) -> directus_async::Result<()> {
    /// directus.reset_password("token-from-mail", "new-password").await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn reset_password(&self, token: &str, password: &str) -> crate::Result<()> {
        self.run(auth::password_reset(
            self.base_url(),
            &token.into(),
            &password.into(),
        )?)
        .await
    }

    /// Turns on the response cache of this session (reads only; writes through this client
    /// drop the written collection's entries; login and logout drop everything).
    ///
    /// ```
    /// # use directus_async::{CacheConfig, Directus};
    /// let directus = Directus::with_token("http://127.0.0.1:8055", "t").unwrap();
    /// directus.enable_cache(CacheConfig::default());
    /// ```
    pub fn enable_cache(&self, config: CacheConfig) {
        self.inner.session.enable_cache(config);
    }
}

impl Inner {
    fn drive<E: Exchange>(
        self: &Arc<Self>,
        exchange: E,
    ) -> impl Future<Output = crate::Result<E::Output>> {
        self.drive_with(exchange, |request, config| self.http.send(request, &config))
    }

    /// Runs an exchange, sending its requests with `send` (the plain transport, or one that
    /// streams a body in or out). A transport failure goes back to the exchange, which retries
    /// it by its policy (reads only) or ends with it. `send` gets the configuration bounded by
    /// what is left of the call's own timeout, if it has one.
    ///
    /// Not an `async fn` around an `async` block: each such layer kept its own copy of the
    /// exchange in the future, which every call's `.await` then moved (a collection read's
    /// future was 3.6 KB, now 2.8 KB).
    pub(crate) fn drive_with<E, F, Fut>(
        self: &Arc<Self>,
        exchange: E,
        send: F,
    ) -> impl Future<Output = crate::Result<E::Output>>
    where
        E: Exchange,
        F: FnMut(http::Request<directus_proto::Body>, Config) -> Fut,
        Fut: Future<Output = crate::Result<http::Response<Bytes>>>,
    {
        #[cfg(feature = "tracing")]
        let span = exchange.span().cloned().unwrap_or_else(tracing::Span::none);
        let run = self.steps(exchange, send);
        #[cfg(feature = "tracing")]
        let run = tracing::Instrument::instrument(run, span);
        run
    }

    /// The loop of [`Inner::drive_with`]: the exchange decides, this moves its requests. An
    /// `async` block rather than an `async fn`, which would keep a second copy of the exchange.
    #[allow(clippy::manual_async_fn)] // the `async fn` is what this avoids
    fn steps<E, F, Fut>(
        self: &Arc<Self>,
        mut exchange: E,
        mut send: F,
    ) -> impl Future<Output = crate::Result<E::Output>>
    where
        E: Exchange,
        F: FnMut(http::Request<directus_proto::Body>, Config) -> Fut,
        Fut: Future<Output = crate::Result<http::Response<Bytes>>>,
    {
        async move {
            let mut step = exchange.step(None, Instant::now())?;
            loop {
                step = match step {
                    Step::Send(request) => {
                        let config = self.config.within(exchange.deadline(), Instant::now())?;
                        match send(request, config).await {
                            Ok(answer) => exchange.step(Some(answer), Instant::now())?,
                            Err(Error::Transport(err)) => exchange.failed(err, Instant::now())?,
                            Err(other) => return Err(other),
                        }
                    }
                    Step::Refresh(seen) => {
                        Inner::refresh_after(self, seen).await?;
                        exchange.step(None, Instant::now())?
                    }
                    Step::Wait(delay) => {
                        crate::timer::sleep(delay).await;
                        exchange.step(None, Instant::now())?
                    }
                    Step::Done(value) => return Ok(value),
                }
            }
        }
    }

    /// Single flight: the first caller refreshes, the others wait on the lane and find the
    /// generation moved on. With tokio, the refresh runs in its own task so that a caller
    /// dropping its future cannot cut it short.
    pub(crate) fn refresh_after(
        self: &Arc<Self>,
        seen: Generation,
    ) -> BoxFuture<'static, crate::Result<()>> {
        let inner = Arc::clone(self);
        let refresh = async move {
            let _lane = inner.refresh_lane.lock().await;
            match inner.session.refresh(seen) {
                Some(refresh) => inner.drive(refresh).await,
                None => Ok(()),
            }
        };
        #[cfg(feature = "tokio")]
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            // The refresh's events belong to the call that started it.
            #[cfg(feature = "tracing")]
            let refresh = tracing::Instrument::in_current_span(refresh);
            let task = runtime.spawn(refresh);
            return Box::pin(async move {
                task.await.unwrap_or_else(|err| {
                    Err(Error::Transport(directus_proto::TransportError::new(
                        directus_proto::TransportErrorKind::Other,
                        format!("the refresh task failed: {err}"),
                    )))
                })
            });
        }
        Box::pin(refresh)
    }
}
