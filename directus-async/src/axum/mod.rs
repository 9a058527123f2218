//! Web services with [axum](https://docs.rs/axum) 0.8 (feature `axum`): py-directus' FastAPI
//! support in Rust idiom.
//!
//! - [`DirectusWeb`]: the shared state. One reqwest connection pool for every caller, the
//!   cookie settings, what an unauthenticated request gets (a `401` or a redirect), an optional
//!   service client for work done as the application, and the per-token caches.
//! - [`session`]: the middleware that reads a request's credentials (bearer header, access and
//!   refresh cookies, Directus' session cookie) and, after the handler, sends rotated tokens back
//!   as `Set-Cookie`.
//! - [`Caller`]: the extractor, a [`Directus`](crate::Directus) client for the caller (derefs to it). It shares
//!   the pool, never the identity or the cache of another request. [`Admin`] is a caller with
//!   admin access; [`require`] is a middleware guard for a [`Requirement`](directus_proto::web::Requirement) (a role by name, app
//!   or admin access).
//! - [`WebError`]: every failure as a response: Directus' status and code pass through as JSON,
//!   transport failures are `502`/`504`, and nothing secret or internal is told.
//! - [`DirectusWeb::auth_routes`]: `POST /login` (form or JSON in, cookies out) and
//!   `POST /logout` (revokes the refresh token, clears the cookies).
//! - `realtime` (with feature `realtime`): a WebSocket route that relays the caller's
//!   subscriptions to Directus on the caller's identity, without exposing Directus; the browser's
//!   protocol, limits and close codes are [`directus_proto::web::relay`]'s.
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

mod caller;
mod error;
#[cfg(feature = "realtime")]
mod relay;
mod rotation;
mod routes;
mod state;

use std::sync::{Mutex, MutexGuard};

pub use caller::{Admin, Caller, require, session};
pub use error::WebError;
#[cfg(feature = "realtime")]
pub use relay::realtime;
pub use state::{DirectusWeb, WebBuilder};

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Held for bookkeeping only; a poisoned cache still holds consistent entries.
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}
