//! The decisions of a web service that acts for its callers, independent of the web framework:
//! where a caller's tokens come from (bearer header, cookies, Directus' session cookie), what to
//! do with them (use, refresh first, or treat as static), the `Set-Cookie` values that carry
//! rotated tokens back to the browser, the per-token caches, the guards and the JSON error
//! answers. `directus_async::axum` moves these values in and out of axum.
//!
//! ```
//! use directus_proto::web::{CookieSettings, Plan, request_credentials};
//! use std::time::SystemTime;
//!
//! let mut headers = http::HeaderMap::new();
//! headers.insert("authorization", "Bearer drs-static-token".parse().unwrap());
//! let found = request_credentials(&headers, &CookieSettings::default()).unwrap().unwrap();
//! match found.plan(SystemTime::now()) {
//!     Plan::Static(token) => assert_eq!(token.expose(), "drs-static-token"),
//!     _ => unreachable!("a bearer token is used as it is"),
//! }
//! ```

pub mod access;
mod cookies;
mod credentials;
pub mod relay;
mod token_cache;

pub use access::{Access, Requirement, RoleRef, my_access_globals, role_names};
pub use cookies::{CookieSettings, SameSite};
pub use credentials::{
    MAX_COOKIE_HEADER, MAX_TOKEN_LEN, Malformed, Plan, RequestCredentials, request_credentials,
};
pub use token_cache::{TokenCache, TokenDigest};

use http::StatusCode;
use serde_json::json;

use crate::error::{Error, TransportErrorKind};

/// An error answer in Directus' envelope: `{"errors":[{"message":..,"extensions":{"code":..}}]}`.
///
/// ```
/// let body = directus_proto::web::error_body("FORBIDDEN", "You don't have permission.");
/// let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
/// assert_eq!(v["errors"][0]["extensions"]["code"], "FORBIDDEN");
/// ```
pub fn error_body(code: &str, message: &str) -> Vec<u8> {
    let body = json!({"errors": [{"message": message, "extensions": {"code": code}}]});
    serde_json::to_vec(&body).unwrap_or_default()
}

/// What a web service answers its caller for a failed call to Directus: Directus' own status,
/// code and message pass through (a `403` stays a `403`); a server that cannot be reached is a
/// `502 BAD_GATEWAY`, one that does not answer in time a `504 GATEWAY_TIMEOUT`; an answer that
/// does not decode is a `502`; a failure to authenticate is a `401`. Nothing else is told: no
/// URL, no body excerpt, no token.
///
/// ```
/// use directus_proto::{ApiError, Error, TransportError, TransportErrorKind, web};
/// use http::StatusCode;
///
/// let forbidden = ApiError::from_body(StatusCode::FORBIDDEN,
///     br#"{"errors":[{"message":"You don't have permission.","extensions":{"code":"FORBIDDEN"}}]}"#);
/// let (status, body) = web::error_answer(&Error::Api(forbidden));
/// assert_eq!(status, StatusCode::FORBIDDEN);
/// assert!(String::from_utf8(body).unwrap().contains("FORBIDDEN"));
///
/// let timeout = TransportError::new(TransportErrorKind::Timeout, "http://10.0.0.7:8055 timed out");
/// let (status, body) = web::error_answer(&Error::Transport(timeout));
/// assert_eq!(status, StatusCode::GATEWAY_TIMEOUT);
/// assert!(!String::from_utf8(body).unwrap().contains("10.0.0.7"));
/// ```
pub fn error_answer(error: &Error) -> (StatusCode, Vec<u8>) {
    let (status, code, message) = error_parts(error);
    (status, error_body(&code, &message))
}

/// The status, code and message [`error_answer`] tells for `error`.
pub(crate) fn error_parts(error: &Error) -> (StatusCode, String, String) {
    let (status, code, message): (StatusCode, &str, &str) = match error {
        Error::Api(api) => {
            let status = if api.status().is_client_error() || api.status().is_server_error() {
                api.status()
            } else {
                StatusCode::BAD_GATEWAY
            };
            let message = match api.message() {
                "" => status.canonical_reason().unwrap_or("error"),
                message => message,
            };
            return (status, api.code().as_str().to_owned(), message.to_owned());
        }
        Error::Transport(err) if err.kind() == TransportErrorKind::Timeout => (
            StatusCode::GATEWAY_TIMEOUT,
            "GATEWAY_TIMEOUT",
            "Directus did not answer in time.",
        ),
        Error::Transport(_) | Error::Decode { .. } | Error::Stream(_) => (
            StatusCode::BAD_GATEWAY,
            "BAD_GATEWAY",
            "Directus could not be reached or gave an unreadable answer.",
        ),
        Error::Applied(_) => (
            StatusCode::BAD_GATEWAY,
            "APPLIED_ANSWER_UNREADABLE",
            "Directus applied the change, but its answer could not be read.",
        ),
        Error::NotAuthenticated(_) => (
            StatusCode::UNAUTHORIZED,
            "INVALID_CREDENTIALS",
            "Not authenticated.",
        ),
        Error::Filter(_) | Error::InvalidInput(_) => (
            StatusCode::BAD_REQUEST,
            "INVALID_QUERY",
            "The request could not be turned into a Directus request.",
        ),
    };
    (status, code.to_owned(), message.to_owned())
}
