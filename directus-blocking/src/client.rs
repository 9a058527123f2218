//! [`Directus`]: a session on one server, driven over ureq.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use directus_proto::session::OnTokens;
use directus_proto::{
    BaseUrl, Bytes, CacheConfig, Config, Credentials, Error, Exchange, Generation, Item, Items,
    Operation, RetryPolicy, Session, Step, auth, auth::Tokens,
};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::collection::{Collection, Singleton};
use crate::transport::Transport;

struct Inner {
    session: Session,
    transport: Transport,
    /// Held while a refresh, login or logout is in flight: one at a time per session.
    refresh_lane: Mutex<()>,
}

/// A client of one Directus server, as one identity (a user's login, a static token, or
/// nobody). Cheap to clone; clones share the session and the connection pool.
///
/// ```no_run
/// use directus_blocking::Directus;
///
/// # fn main() -> directus_blocking::Result<()> {
/// let directus = Directus::with_token("http://127.0.0.1:8055", "static-token")?;
/// let me = directus.me()?;
/// println!("{}", me["email"]);
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

/// Builds a [`Directus`] client: the connection pool to share, timeouts, then the credentials.
///
/// ```no_run
/// use directus_blocking::{Config, Directus};
/// use std::time::Duration;
///
/// # fn main() -> directus_blocking::Result<()> {
/// let shared = ureq::Agent::new_with_defaults();
/// let alice = Directus::builder("http://127.0.0.1:8055")
///     .agent(shared.clone())
///     .config(Config::default().timeout(Duration::from_secs(5)))
///     .login("alice@example.com", "pw-a")?;
/// let bot = Directus::builder("http://127.0.0.1:8055").agent(shared).token("static-token")?;
/// # let _ = (alice, bot);
/// # Ok(())
/// # }
/// ```
pub struct Builder {
    url: String,
    agent: Option<ureq::Agent>,
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
    /// Shares this agent (its connection pool) with other clients: several users, one pool.
    /// The client's timeouts and body limit apply per request; the agent's own status handling
    /// is overridden so that error answers reach the client. The agent keeps its own name
    /// resolver: ureq's default one looks up the host of every request on a new thread when a
    /// connect timeout is set, where the client's own agent answers IP literals and `localhost`
    /// inline and keeps other names' addresses for 30 seconds.
    ///
    /// ```
    /// # use directus_blocking::Directus;
    /// let _ = Directus::builder("http://127.0.0.1:8055").agent(ureq::Agent::new_with_defaults());
    /// ```
    pub fn agent(mut self, agent: ureq::Agent) -> Self {
        self.agent = Some(agent);
        self
    }

    /// Timeouts and the body limit.
    ///
    /// ```
    /// # use directus_blocking::{Config, Directus};
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
    /// # use directus_blocking::{Directus, RetryPolicy};
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
    /// # use directus_blocking::Directus;
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
    /// # use directus_blocking::{Credentials, Directus};
    /// let client = Directus::builder("http://127.0.0.1:8055")
    ///     .credentials(Some(Credentials::refresh_token("kept-from-last-run")))
    ///     .unwrap();
    /// # let _ = client;
    /// ```
    pub fn credentials(self, credentials: Option<Credentials>) -> crate::Result<Directus> {
        let base = BaseUrl::parse(&self.url)?;
        Ok(self.with_session(Session::new(base, credentials)?))
    }

    /// A client that goes on from tokens kept elsewhere (a file, a browser's cookies): it uses
    /// the access token while it lives, then refreshes with the refresh token, which rotates;
    /// [`Directus::tokens`] reads the current ones back. Without a refresh token the access
    /// token is used as it is and never refreshed.
    ///
    /// ```
    /// use directus_blocking::{Directus, Tokens};
    /// use std::time::Duration;
    ///
    /// let kept = Tokens::new("access", Some("refresh".into()), Some(Duration::from_secs(60)));
    /// let client = Directus::builder("http://127.0.0.1:8055").tokens(kept).unwrap();
    /// assert_eq!(client.tokens().unwrap().refresh_token.unwrap().expose(), "refresh");
    /// ```
    pub fn tokens(self, tokens: Tokens) -> crate::Result<Directus> {
        let base = BaseUrl::parse(&self.url)?;
        let session = Session::with_tokens(base, tokens, Instant::now())?;
        Ok(self.with_session(session))
    }

    fn with_session(self, session: Session) -> Directus {
        session.set_retry_policy(self.retry.clone());
        // The jitter's randomness: proto draws none of its own.
        session.seed_jitter(crate::random::bits() as u64);
        let transport = match self.agent {
            Some(agent) => Transport::new(agent, self.config),
            None => Transport::own(self.config),
        };
        if let Some(hook) = self.on_tokens {
            session.on_tokens(move |tokens| hook(tokens));
        }
        for hook in self.hooks {
            session.add_shared_hook(hook);
        }
        Directus {
            inner: Arc::new(Inner {
                session,
                transport,
                refresh_lane: Mutex::new(()),
            }),
        }
    }

    /// Calls `hook` whenever the session's tokens change: after every login and refresh (the
    /// refresh token rotates each time, so store the new one) and with `None` on logout. With
    /// [`Builder::resume`] a long-running tool keeps its login across restarts (the JS SDK's
    /// pluggable storage). Keep the hook short and never call the client from it.
    ///
    /// ```no_run
    /// # use directus_blocking::Directus;
    /// let client = Directus::builder("http://127.0.0.1:8055")
    ///     .on_tokens(|tokens| {
    ///         let refresh = tokens.and_then(|t| t.refresh_token.as_ref()).map(|r| r.expose().to_owned());
    ///         std::fs::write("session.txt", refresh.unwrap_or_default()).ok();
    ///     })
    ///     .login("a@example.com", "pw")?;
    /// # Ok::<(), directus_blocking::Error>(())
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
    /// # use directus_blocking::Directus;
    /// let kept = std::fs::read_to_string("session.txt").unwrap_or_default();
    /// let client = Directus::builder("http://127.0.0.1:8055").resume(kept.trim())?;
    /// # Ok::<(), directus_blocking::Error>(())
    /// ```
    pub fn resume(self, refresh_token: &str) -> crate::Result<Directus> {
        let client = self.credentials(Some(Credentials::refresh_token(refresh_token)))?;
        client.refresh()?;
        Ok(client)
    }

    /// Logs in with email and password now (so a wrong password fails here).
    ///
    /// ```no_run
    /// # use directus_blocking::Directus;
    /// let client = Directus::builder("http://127.0.0.1:8055").login("a@example.com", "pw")?;
    /// # Ok::<(), directus_blocking::Error>(())
    /// ```
    pub fn login(self, email: &str, password: &str) -> crate::Result<Directus> {
        let client = self.credentials(Some(Credentials::password(email, password)))?;
        client.refresh()?;
        Ok(client)
    }

    /// Logs in with email, password and a one-time password.
    ///
    /// ```no_run
    /// # use directus_blocking::Directus;
    /// let client = Directus::builder("http://127.0.0.1:8055").login_otp("a@example.com", "pw", "123456")?;
    /// # Ok::<(), directus_blocking::Error>(())
    /// ```
    pub fn login_otp(self, email: &str, password: &str, otp: &str) -> crate::Result<Directus> {
        let credentials = Credentials::password(email, password).with_otp(otp);
        let client = self.credentials(Some(credentials))?;
        client.refresh()?;
        Ok(client)
    }

    /// Uses a static token.
    ///
    /// ```
    /// # use directus_blocking::Directus;
    /// let client = Directus::builder("http://127.0.0.1:8055").token("static-token").unwrap();
    /// # let _ = client;
    /// ```
    pub fn token(self, token: &str) -> crate::Result<Directus> {
        self.credentials(Some(Credentials::static_token(token)))
    }

    /// No credentials: what the public policy allows.
    ///
    /// ```
    /// # use directus_blocking::Directus;
    /// let client = Directus::builder("http://127.0.0.1:8055").anonymous().unwrap();
    /// # let _ = client;
    /// ```
    pub fn anonymous(self) -> crate::Result<Directus> {
        self.credentials(None)
    }
}

impl Directus {
    /// A builder for the server at `url` (`http://host:port`, with a path prefix if the server
    /// is behind one).
    ///
    /// ```
    /// # use directus_blocking::Directus;
    /// let _ = Directus::builder("https://cms.example.com");
    /// ```
    pub fn builder(url: impl Into<String>) -> Builder {
        Builder {
            url: url.into(),
            agent: None,
            config: Config::default(),
            retry: RetryPolicy::default(),
            on_tokens: None,
            hooks: Vec::new(),
        }
    }

    /// Logs in with email and password.
    ///
    /// ```no_run
    /// # use directus_blocking::Directus;
    /// let directus = Directus::login("http://127.0.0.1:8055", "admin@example.com", "secret")?;
    /// # Ok::<(), directus_blocking::Error>(())
    /// ```
    pub fn login(url: impl Into<String>, email: &str, password: &str) -> crate::Result<Self> {
        Self::builder(url).login(email, password)
    }

    /// Uses a static token.
    ///
    /// ```
    /// # use directus_blocking::Directus;
    /// let directus = Directus::with_token("http://127.0.0.1:8055", "static-token").unwrap();
    /// # let _ = directus;
    /// ```
    pub fn with_token(url: impl Into<String>, token: &str) -> crate::Result<Self> {
        Self::builder(url).token(token)
    }

    /// Logs in, runs `f`, and logs out, also when `f` fails or panics (the panic then goes on).
    /// `f`'s error comes first; a failed logout after a successful `f` is returned.
    ///
    /// ```no_run
    /// # use directus_blocking::Directus;
    /// let count = Directus::session("http://127.0.0.1:8055", "admin@example.com", "secret", |d| {
    ///     Ok(d.collection("products").read()?.items().len())
    /// })?;
    /// # Ok::<(), directus_blocking::Error>(())
    /// ```
    pub fn session<R>(
        url: impl Into<String>,
        email: &str,
        password: &str,
        f: impl FnOnce(&Directus) -> crate::Result<R>,
    ) -> crate::Result<R> {
        struct LogoutOnDrop(Option<Directus>);
        impl Drop for LogoutOnDrop {
            fn drop(&mut self) {
                if let Some(client) = self.0.take() {
                    // Only reached while unwinding; the panic is what the caller sees.
                    let _ = client.logout();
                }
            }
        }
        let client = Self::login(url, email, password)?;
        let mut guard = LogoutOnDrop(Some(client.clone()));
        let result = f(&client);
        guard.0 = None;
        let logout = client.logout();
        let value = result?;
        logout?;
        Ok(value)
    }

    /// The current tokens, after any refresh (refresh tokens rotate), and how long the access
    /// token still lives: to keep a login across runs. `None` before a login and after a
    /// logout. Handle them as the secrets they are.
    ///
    /// ```
    /// # use directus_blocking::Directus;
    /// let directus = Directus::with_token("http://127.0.0.1:8055", "t").unwrap();
    /// assert_eq!(directus.tokens().unwrap().access_token.expose(), "t");
    /// ```
    pub fn tokens(&self) -> Option<Tokens> {
        self.inner.session.tokens(Instant::now())
    }

    /// The proto session: tokens, cache, base URL.
    ///
    /// ```
    /// # use directus_blocking::Directus;
    /// let directus = Directus::with_token("http://127.0.0.1:8055", "t").unwrap();
    /// assert_eq!(directus.session_state().base().as_str(), "http://127.0.0.1:8055");
    /// ```
    pub fn session_state(&self) -> &Session {
        &self.inner.session
    }

    /// The server's base URL, for building operations of `directus_proto` to [`run`](Self::run).
    ///
    /// ```
    /// # use directus_blocking::Directus;
    /// let directus = Directus::with_token("http://127.0.0.1:8055/", "t").unwrap();
    /// assert_eq!(directus.base_url().as_str(), "http://127.0.0.1:8055");
    /// ```
    pub fn base_url(&self) -> &BaseUrl {
        self.inner.session.base()
    }

    /// The files and assets of the server.
    ///
    /// ```no_run
    /// # use directus_blocking::{Directus, UploadFile};
    /// # let directus = Directus::with_token("http://127.0.0.1:8055", "t")?;
    /// directus.files().upload(&UploadFile::new("a.txt", b"a".to_vec()))?;
    /// # Ok::<(), directus_blocking::Error>(())
    /// ```
    pub fn files(&self) -> crate::files::Files<'_> {
        crate::files::Files::new(self)
    }

    /// Runs any operation built by `directus_proto` in this session.
    ///
    /// ```no_run
    /// # use directus_blocking::Directus;
    /// use directus_proto::{Operation, response};
    /// let directus = Directus::with_token("http://127.0.0.1:8055", "t")?;
    /// let op: Operation<serde_json::Value> =
    ///     Operation::get(directus.session_state().base(), "/server/info", response::data)?;
    /// let info = directus.run(op)?;
    /// # Ok::<(), directus_blocking::Error>(())
    /// ```
    pub fn run<T>(&self, operation: Operation<T>) -> crate::Result<T> {
        self.drive(self.inner.session.call(operation))
    }

    fn drive<E: Exchange>(&self, exchange: E) -> crate::Result<E::Output> {
        self.drive_with(exchange, |transport, request| transport.send(request))
    }

    /// Runs an exchange, sending its requests with `send` (the plain transport, or one that
    /// streams a body in or out). A transport failure goes back to the exchange, which retries
    /// it by its policy (reads only) or ends with it. `send` gets the transport bounded by
    /// what is left of the call's own timeout, if it has one.
    pub(crate) fn drive_with<E: Exchange>(
        &self,
        mut exchange: E,
        mut send: impl FnMut(
            &Transport,
            http::Request<directus_proto::Body>,
        ) -> crate::Result<http::Response<Bytes>>,
    ) -> crate::Result<E::Output> {
        #[cfg(feature = "tracing")]
        let span = exchange.span().cloned();
        #[cfg(feature = "tracing")]
        let _entered = span.as_ref().map(|span| span.enter());
        let mut step = exchange.step(None, Instant::now())?;
        loop {
            step = match step {
                Step::Send(request) => match self.attempt(&exchange, request, &mut send) {
                    Ok(answer) => exchange.step(Some(answer), Instant::now())?,
                    Err(Error::Transport(err)) => exchange.failed(err, Instant::now())?,
                    Err(other) => return Err(other),
                },
                Step::Refresh(seen) => {
                    self.refresh_after(seen)?;
                    exchange.step(None, Instant::now())?
                }
                Step::Wait(delay) => {
                    std::thread::sleep(delay);
                    exchange.step(None, Instant::now())?
                }
                Step::Done(value) => return Ok(value),
            }
        }
    }

    /// One attempt, within what is left of the exchange's deadline.
    fn attempt<E: Exchange>(
        &self,
        exchange: &E,
        request: http::Request<directus_proto::Body>,
        send: &mut impl FnMut(
            &Transport,
            http::Request<directus_proto::Body>,
        ) -> crate::Result<http::Response<Bytes>>,
    ) -> crate::Result<http::Response<Bytes>> {
        let transport = &self.inner.transport;
        match exchange.deadline() {
            None => send(transport, request),
            deadline => {
                let config = transport.config().within(deadline, Instant::now())?;
                send(&transport.with_config(config), request)
            }
        }
    }

    pub(crate) fn transport(&self) -> &Transport {
        &self.inner.transport
    }

    /// Single flight: the first caller refreshes, the others wait on the lane and find the
    /// generation moved on.
    pub(crate) fn refresh_after(&self, seen: Generation) -> crate::Result<()> {
        let _lane = self
            .inner
            .refresh_lane
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        match self.inner.session.refresh(seen) {
            Some(refresh) => self.drive(refresh),
            None => Ok(()),
        }
    }

    /// Refreshes the tokens now (logs in again with email and password when there is no
    /// refresh token).
    ///
    /// ```no_run
    /// # use directus_blocking::Directus;
    /// let directus = Directus::login("http://127.0.0.1:8055", "admin@example.com", "secret")?;
    /// directus.refresh()?;
    /// # Ok::<(), directus_blocking::Error>(())
    /// ```
    pub fn refresh(&self) -> crate::Result<()> {
        self.refresh_after(self.inner.session.generation())
    }

    /// Logs out: the refresh token is revoked on the server and the tokens and cache are
    /// forgotten; later calls fail with [`Error::NotAuthenticated`] until [`Directus::refresh`]
    /// logs in again.
    ///
    /// ```no_run
    /// # use directus_blocking::Directus;
    /// let directus = Directus::login("http://127.0.0.1:8055", "admin@example.com", "secret")?;
    /// directus.logout()?;
    /// # Ok::<(), directus_blocking::Error>(())
    /// ```
    pub fn logout(&self) -> crate::Result<()> {
        let _lane = self
            .inner
            .refresh_lane
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        self.drive(self.inner.session.logout())
    }

    /// The items of a collection, as JSON values.
    ///
    /// ```no_run
    /// # use directus_blocking::Directus;
    /// # let directus = Directus::with_token("http://127.0.0.1:8055", "t")?;
    /// let page = directus.collection("products").limit(5).read()?;
    /// # Ok::<(), directus_blocking::Error>(())
    /// ```
    pub fn collection(&self, name: &str) -> Collection<'_, Value> {
        Collection::new(self, Items::new(name))
    }

    /// The items of `T`'s collection, parsed into `T`.
    ///
    /// ```no_run
    /// # use directus_blocking::{Directus, Item};
    /// #[derive(serde::Serialize, serde::Deserialize)]
    /// struct Product { id: i64, name: String }
    /// impl Item for Product { const COLLECTION: &'static str = "products"; }
    ///
    /// # let directus = Directus::with_token("http://127.0.0.1:8055", "t")?;
    /// let product: Product = directus.collection_of::<Product>().read_one(7)?;
    /// # Ok::<(), directus_blocking::Error>(())
    /// ```
    pub fn collection_of<T: Item>(&self) -> Collection<'_, T> {
        Collection::new(self, Items::of())
    }

    /// The items of a collection parsed into any serde type (no [`Item`] impl needed).
    ///
    /// ```no_run
    /// # use directus_blocking::Directus;
    /// # let directus = Directus::with_token("http://127.0.0.1:8055", "t")?;
    /// #[derive(serde::Deserialize)]
    /// struct Name { name: String }
    /// let names = directus.collection_as::<Name>("products").fields(["name"]).read()?;
    /// # Ok::<(), directus_blocking::Error>(())
    /// ```
    pub fn collection_as<T: DeserializeOwned>(&self, name: &str) -> Collection<'_, T> {
        Collection::new(self, Items::new(name))
    }

    /// A singleton collection.
    ///
    /// ```no_run
    /// # use directus_blocking::Directus;
    /// # let directus = Directus::with_token("http://127.0.0.1:8055", "t")?;
    /// let settings = directus.singleton("settings_page").read()?;
    /// # Ok::<(), directus_blocking::Error>(())
    /// ```
    pub fn singleton(&self, name: &str) -> Singleton<'_, Value> {
        Singleton::new(self, Items::new(name))
    }

    /// The current user (`GET /users/me`).
    ///
    /// ```no_run
    /// # use directus_blocking::Directus;
    /// # let directus = Directus::with_token("http://127.0.0.1:8055", "t")?;
    /// println!("{}", directus.me()?["email"]);
    /// # Ok::<(), directus_blocking::Error>(())
    /// ```
    pub fn me(&self) -> crate::Result<Value> {
        self.run(Operation::get(
            self.base_url(),
            "/users/me",
            directus_proto::response::data,
        )?)
    }

    /// `GET /server/ping`: `pong` when the server is up.
    ///
    /// ```no_run
    /// # use directus_blocking::Directus;
    /// # let directus = Directus::with_token("http://127.0.0.1:8055", "t")?;
    /// assert_eq!(directus.ping()?, "pong");
    /// # Ok::<(), directus_blocking::Error>(())
    /// ```
    pub fn ping(&self) -> crate::Result<String> {
        self.run(directus_proto::system::ping(self.base_url())?)
    }

    /// Asks for a password-reset mail.
    ///
    /// ```no_run
    /// # use directus_blocking::Directus;
    /// # let directus = Directus::builder("http://127.0.0.1:8055").anonymous()?;
    /// directus.request_password_reset("a@example.com", None)?;
    /// # Ok::<(), directus_blocking::Error>(())
    /// ```
    pub fn request_password_reset(
        &self,
        email: &str,
        reset_url: Option<&str>,
    ) -> crate::Result<()> {
        self.run(auth::password_request(self.base_url(), email, reset_url)?)
    }

    /// Sets a new password with the token from the reset mail.
    ///
    /// ```no_run
    /// # use directus_blocking::Directus;
    /// # let directus = Directus::builder("http://127.0.0.1:8055").anonymous()?;
    /// directus.reset_password("token-from-mail", "new-password")?;
    /// # Ok::<(), directus_blocking::Error>(())
    /// ```
    pub fn reset_password(&self, token: &str, password: &str) -> crate::Result<()> {
        self.run(auth::password_reset(
            self.base_url(),
            &token.into(),
            &password.into(),
        )?)
    }

    /// Turns on the response cache of this session (reads only; writes through this client
    /// drop the written collection's entries; login and logout drop everything).
    ///
    /// ```
    /// # use directus_blocking::{CacheConfig, Directus};
    /// let directus = Directus::with_token("http://127.0.0.1:8055", "t").unwrap();
    /// directus.enable_cache(CacheConfig::default());
    /// ```
    pub fn enable_cache(&self, config: CacheConfig) {
        self.inner.session.enable_cache(config);
    }
}
