//! Failures as responses.

use std::fmt;

use ::axum::http::header::{CONTENT_TYPE, LOCATION, SET_COOKIE};
use ::axum::http::{HeaderMap, HeaderValue, StatusCode};
use ::axum::response::{IntoResponse, Response};
use directus_proto::Error;
use directus_proto::web;

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

    pub(super) fn internal() -> Self {
        WebError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "INTERNAL_SERVER_ERROR",
            "Internal error.",
        )
    }

    pub(super) fn redirect(path: &str) -> Self {
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

    pub(super) fn with_cookies(mut self, cookies: Vec<HeaderValue>) -> Self {
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
