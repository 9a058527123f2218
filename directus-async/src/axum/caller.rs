//! The session middleware, the caller extractors and the guard.

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Instant, SystemTime};

use ::axum::extract::{FromRequestParts, Request, State};
use ::axum::http::header::SET_COOKIE;
use ::axum::http::request::Parts;
use ::axum::http::{HeaderValue, StatusCode};
use ::axum::middleware::Next;
use ::axum::response::{IntoResponse, Response};
use directus_proto::web::{self, Access, Malformed, Plan, RequestCredentials, Requirement};
use directus_proto::{Generation, Secret};

use super::error::WebError;
use super::lock;
use super::state::DirectusWeb;
use crate::Directus;

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
    pub(super) client: Directus,
    pub(super) web: DirectusWeb,
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
    /// access token and kept briefly (see [`WebBuilder::access_ttl`](super::WebBuilder::access_ttl)).
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

impl DirectusWeb {
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
}
