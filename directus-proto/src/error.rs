//! Errors: what Directus answered ([`ApiError`]), what could not be read or built, and what the
//! transport reported ([`TransportError`]). Both drivers return [`Error`].

use std::fmt;

use http::StatusCode;
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::filter::FilterError;

/// Everything that can go wrong on a call to Directus.
///
/// ```
/// use directus_proto::{Error, ErrorCode};
///
/// fn explain(err: &Error) -> &'static str {
///     match err {
///         Error::Api(api) if api.code() == &ErrorCode::InvalidCredentials => "wrong password",
///         Error::Api(_) => "Directus refused",
///         Error::Transport(_) => "network trouble",
///         _ => "something else",
///     }
/// }
/// # let _ = explain;
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Directus answered with an error envelope (or an error status).
    #[error(transparent)]
    Api(#[from] ApiError),
    /// A success response whose body is not what was expected (not JSON, or another shape).
    #[error("could not decode the response (HTTP {status}): {source}; body begins {excerpt:?}")]
    Decode {
        /// The HTTP status of the response.
        status: StatusCode,
        /// The first bytes of the body, for diagnosis (redacted for auth responses).
        excerpt: String,
        /// What serde_json reported.
        #[source]
        source: serde_json::Error,
    },
    /// A write the server applied (2xx) whose answer does not decode into the requested type:
    /// do not send it again; the answer is kept as JSON. See [`crate::applied`].
    #[error(transparent)]
    Applied(Box<crate::Applied>),
    /// A filter that cannot be expressed in Directus's filter language.
    #[error(transparent)]
    Filter(#[from] FilterError),
    /// Input that cannot be turned into a request (a bad base URL, a key that cannot be a path
    /// segment, a body that does not serialize).
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// The client has no way to authenticate the request (logged out, or a refresh token that
    /// the server no longer accepts and no password to log in again).
    #[error("not authenticated: {0}")]
    NotAuthenticated(&'static str),
    /// The request never got an HTTP answer.
    #[error(transparent)]
    Transport(#[from] TransportError),
    /// A streamed list answer that could not be read (see [`crate::stream`]): not a list
    /// envelope, cut short, or an item past the size or depth limit.
    #[error(transparent)]
    Stream(#[from] crate::stream::StreamError),
}

impl Error {
    /// The Directus error, if this is one.
    ///
    /// ```
    /// # use directus_proto::Error;
    /// let err = Error::InvalidInput("x".into());
    /// assert!(err.api().is_none());
    /// ```
    pub fn api(&self) -> Option<&ApiError> {
        match self {
            Error::Api(api) => Some(api),
            _ => None,
        }
    }

    /// The streaming error, if this is one.
    ///
    /// ```
    /// # use directus_proto::Error;
    /// assert!(Error::InvalidInput("x".into()).stream().is_none());
    /// ```
    pub fn stream(&self) -> Option<&crate::stream::StreamError> {
        match self {
            Error::Stream(stream) => Some(stream),
            _ => None,
        }
    }

    /// The HTTP status, when there was an HTTP answer.
    ///
    /// ```
    /// # use directus_proto::Error;
    /// assert_eq!(Error::InvalidInput("x".into()).status(), None);
    /// ```
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Error::Api(api) => Some(api.status()),
            Error::Decode { status, .. } => Some(*status),
            Error::Applied(applied) => Some(applied.status()),
            Error::Stream(stream) => Some(stream.status()),
            _ => None,
        }
    }

    pub(crate) fn invalid(msg: impl Into<String>) -> Self {
        Error::InvalidInput(msg.into())
    }

    /// The same error without anything quoted from the answer's body (its excerpt, and the
    /// values serde_json quotes in its message): for answers that may hold tokens or secrets.
    ///
    /// ```
    /// # use directus_proto::{ApiError, Error};
    /// # use http::StatusCode;
    /// let err: Error = ApiError::from_body(StatusCode::BAD_GATEWAY, br#"{"password":"pw"}"#).into();
    /// assert!(err.to_string().contains("pw"));
    /// assert!(!err.redacted().to_string().contains("pw"));
    /// ```
    pub fn redacted(self) -> Self {
        match self {
            Error::Decode { status, source, .. } => Error::Decode {
                status,
                excerpt: REDACTED.to_owned(),
                source: <serde_json::Error as serde::de::Error>::custom(format!(
                    "the answer does not have the expected shape ({:?} at line {} column {})",
                    source.classify(),
                    source.line(),
                    source.column()
                )),
            },
            Error::Api(mut api) => {
                api.excerpt = api.excerpt.map(|_| REDACTED.to_owned());
                Error::Api(api)
            }
            other => other,
        }
    }
}

/// What stands for a body that may hold secrets.
const REDACTED: &str = "(redacted: the answer may hold secrets)";

/// An error answered by Directus: the status and every error of the envelope's list.
///
/// ```
/// use directus_proto::{ApiError, ErrorCode};
/// use http::StatusCode;
///
/// let body = br#"{"errors":[{"message":"Invalid user credentials.","extensions":{"code":"INVALID_CREDENTIALS"}}]}"#;
/// let err = ApiError::from_body(StatusCode::UNAUTHORIZED, body);
/// assert_eq!(err.code(), &ErrorCode::InvalidCredentials);
/// assert_eq!(err.to_string(), "Directus answered 401 INVALID_CREDENTIALS: Invalid user credentials.");
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct ApiError {
    status: StatusCode,
    errors: Vec<ApiErrorItem>,
    omitted: usize,
    excerpt: Option<String>,
}

/// One entry of the `errors` list of an error envelope.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct ApiErrorItem {
    /// The human-readable message.
    #[serde(default)]
    pub message: String,
    /// The `extensions.code`, typed.
    pub code: ErrorCode,
    /// All of `extensions`, `code` included (`collection`, `field`, `value`, `reason`, ...).
    pub extensions: Map<String, Value>,
}

/// How many entries of an `errors` list are kept; the rest are only counted
/// ([`ApiError::omitted`]), so a hostile list cannot grow in memory beyond its body.
pub const MAX_API_ERRORS: usize = 16;

#[derive(Deserialize)]
struct Envelope {
    errors: Bounded,
}

/// The first [`MAX_API_ERRORS`] entries of a list, and how many more it had (skipped without
/// being built).
struct Bounded {
    kept: Vec<RawItem>,
    omitted: usize,
}

impl<'de> Deserialize<'de> for Bounded {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = Bounded;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list of errors")
            }

            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Bounded, A::Error> {
                let mut kept = Vec::new();
                while kept.len() < MAX_API_ERRORS {
                    match seq.next_element::<RawItem>()? {
                        Some(item) => kept.push(item),
                        None => return Ok(Bounded { kept, omitted: 0 }),
                    }
                }
                let mut omitted = 0usize;
                while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {
                    omitted = omitted.saturating_add(1);
                }
                Ok(Bounded { kept, omitted })
            }
        }
        d.deserialize_seq(Visitor)
    }
}

#[derive(Deserialize)]
struct RawItem {
    #[serde(default)]
    message: String,
    #[serde(default)]
    extensions: Map<String, Value>,
}

const EXCERPT_LEN: usize = 200;

/// The first bytes of a body as text, cut on a character boundary.
pub(crate) fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(EXCERPT_LEN * 4)]);
    match text.char_indices().nth(EXCERPT_LEN) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.into_owned(),
    }
}

impl ApiError {
    /// Reads an error response: this never fails and never panics.
    ///
    /// The first [`MAX_API_ERRORS`] entries of the envelope's `errors` list are kept, the
    /// others only counted ([`ApiError::omitted`]).
    ///
    /// A body that is not an error envelope (a proxy's HTML page, an empty body) still gives an
    /// error: with the status, the status's reason as the message, an excerpt of the body, and
    /// the code `ErrorCode::Unknown("")`, which says that Directus named no code. No code is
    /// derived from the status: a `404` or `401` from a proxy is not Directus's
    /// `ROUTE_NOT_FOUND` or `TOKEN_EXPIRED`, and code that matches on codes must not take it for
    /// one. Match on [`ApiError::status`] for those.
    ///
    /// ```
    /// # use directus_proto::{ApiError, ErrorCode};
    /// # use http::StatusCode;
    /// let err = ApiError::from_body(StatusCode::BAD_GATEWAY, b"<html>Bad gateway</html>");
    /// assert_eq!(err.status(), StatusCode::BAD_GATEWAY);
    /// assert_eq!(err.code(), &ErrorCode::Unknown(String::new()));
    /// assert_eq!(err.message(), "Bad Gateway");
    /// assert_eq!(err.excerpt(), Some("<html>Bad gateway</html>"));
    /// ```
    pub fn from_body(status: StatusCode, body: &[u8]) -> Self {
        let parsed = serde_json::from_slice::<Envelope>(body)
            .ok()
            .filter(|e| !e.errors.kept.is_empty());
        match parsed {
            Some(envelope) => {
                let errors = envelope
                    .errors
                    .kept
                    .into_iter()
                    .map(|raw| {
                        let code = raw
                            .extensions
                            .get("code")
                            .and_then(Value::as_str)
                            .map(ErrorCode::from_code)
                            .unwrap_or_else(|| ErrorCode::Unknown(String::new()));
                        ApiErrorItem {
                            message: raw.message,
                            code,
                            extensions: raw.extensions,
                        }
                    })
                    .collect();
                ApiError {
                    status,
                    errors,
                    omitted: envelope.errors.omitted,
                    excerpt: None,
                }
            }
            None => ApiError {
                status,
                errors: vec![ApiErrorItem {
                    message: status
                        .canonical_reason()
                        .unwrap_or("unexpected status")
                        .to_owned(),
                    code: ErrorCode::Unknown(String::new()),
                    extensions: Map::new(),
                }],
                omitted: 0,
                excerpt: Some(excerpt(body)),
            },
        }
    }

    /// The HTTP status.
    ///
    /// ```
    /// # use directus_proto::ApiError;
    /// # use http::StatusCode;
    /// assert_eq!(ApiError::from_body(StatusCode::FORBIDDEN, b"").status(), 403);
    /// ```
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The code of the first error.
    ///
    /// ```
    /// # use directus_proto::{ApiError, ErrorCode};
    /// # use http::StatusCode;
    /// let body = br#"{"errors":[{"message":"No","extensions":{"code":"FORBIDDEN"}}]}"#;
    /// assert_eq!(ApiError::from_body(StatusCode::FORBIDDEN, body).code(), &ErrorCode::Forbidden);
    /// ```
    pub fn code(&self) -> &ErrorCode {
        &self.errors[0].code
    }

    /// The message of the first error.
    ///
    /// ```
    /// # use directus_proto::ApiError;
    /// # use http::StatusCode;
    /// let body = br#"{"errors":[{"message":"No","extensions":{"code":"FORBIDDEN"}}]}"#;
    /// assert_eq!(ApiError::from_body(StatusCode::FORBIDDEN, body).message(), "No");
    /// ```
    pub fn message(&self) -> &str {
        &self.errors[0].message
    }

    /// The errors of the envelope, in order (never empty): its first [`MAX_API_ERRORS`].
    ///
    /// ```
    /// # use directus_proto::ApiError;
    /// # use http::StatusCode;
    /// let body = br#"{"errors":[{"message":"a","extensions":{"code":"X"}},{"message":"b","extensions":{"code":"Y"}}]}"#;
    /// assert_eq!(ApiError::from_body(StatusCode::BAD_REQUEST, body).errors().len(), 2);
    /// ```
    pub fn errors(&self) -> &[ApiErrorItem] {
        &self.errors
    }

    /// How many errors of the envelope were left out of [`ApiError::errors`] (beyond the first
    /// [`MAX_API_ERRORS`]).
    ///
    /// ```
    /// # use directus_proto::{ApiError, MAX_API_ERRORS};
    /// # use http::StatusCode;
    /// let body = format!(r#"{{"errors":[{}{{}}]}}"#, "{},".repeat(MAX_API_ERRORS + 2));
    /// let err = ApiError::from_body(StatusCode::BAD_REQUEST, body.as_bytes());
    /// assert_eq!((err.errors().len(), err.omitted()), (MAX_API_ERRORS, 3));
    /// assert!(err.to_string().ends_with(&format!("(and {} more)", MAX_API_ERRORS + 2)));
    /// ```
    pub fn omitted(&self) -> usize {
        self.omitted
    }

    /// The start of the body when it was not an error envelope.
    ///
    /// ```
    /// # use directus_proto::ApiError;
    /// # use http::StatusCode;
    /// assert_eq!(ApiError::from_body(StatusCode::BAD_REQUEST, b"oops").excerpt(), Some("oops"));
    /// ```
    pub fn excerpt(&self) -> Option<&str> {
        self.excerpt.as_deref()
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let first = &self.errors[0];
        write!(f, "Directus answered {}", self.status.as_u16())?;
        if !first.code.as_str().is_empty() {
            write!(f, " {}", first.code.as_str())?;
        }
        write!(f, ": {}", first.message)?;
        let more = (self.errors.len() - 1).saturating_add(self.omitted);
        if more > 0 {
            write!(f, " (and {more} more)")?;
        }
        if let Some(excerpt) = &self.excerpt {
            write!(f, "; body begins {excerpt:?}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ApiError {}

macro_rules! error_codes {
    ($($(#[$doc:meta])* $name:ident = $code:literal,)*) => {
        /// The `extensions.code` of a Directus error. Codes this crate does not know (from
        /// extensions, or newer servers) are kept in [`ErrorCode::Unknown`].
        ///
        /// ```
        /// use directus_proto::ErrorCode;
        /// assert_eq!(ErrorCode::from_code("TOKEN_EXPIRED"), ErrorCode::TokenExpired);
        /// assert_eq!(ErrorCode::from_code("MY_EXT").as_str(), "MY_EXT");
        /// ```
        #[derive(Clone, Debug, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum ErrorCode {
            $($(#[$doc])* $name,)*
            /// A code this crate does not know, as sent (empty when the body had none).
            Unknown(String),
        }

        impl ErrorCode {
            /// The code from its wire form.
            ///
            /// ```
            /// # use directus_proto::ErrorCode;
            /// assert_eq!(ErrorCode::from_code("FORBIDDEN"), ErrorCode::Forbidden);
            /// ```
            pub fn from_code(code: &str) -> Self {
                match code {
                    $($code => ErrorCode::$name,)*
                    other => ErrorCode::Unknown(other.to_owned()),
                }
            }

            /// The wire form of the code.
            ///
            /// ```
            /// # use directus_proto::ErrorCode;
            /// assert_eq!(ErrorCode::RecordNotUnique.as_str(), "RECORD_NOT_UNIQUE");
            /// ```
            pub fn as_str(&self) -> &str {
                match self {
                    $(ErrorCode::$name => $code,)*
                    ErrorCode::Unknown(other) => other,
                }
            }
        }
    };
}

error_codes! {
    /// 400: a value is null where it may not be.
    ContainsNullValues = "CONTAINS_NULL_VALUES",
    /// 400: validation rules refused the payload.
    FailedValidation = "FAILED_VALIDATION",
    /// 400: an asset transformation that is not allowed.
    IllegalAssetTransformation = "ILLEGAL_ASSET_TRANSFORMATION",
    /// 400: a foreign key that points nowhere.
    InvalidForeignKey = "INVALID_FOREIGN_KEY",
    /// 400: a bad invite.
    InvalidInvite = "INVALID_INVITE",
    /// 400: bad file metadata.
    InvalidMetadata = "INVALID_METADATA",
    /// 400: a bad path parameter.
    InvalidPathParameter = "INVALID_PATH_PARAMETER",
    /// 400: a bad payload.
    InvalidPayload = "INVALID_PAYLOAD",
    /// 400: a bad query.
    InvalidQuery = "INVALID_QUERY",
    /// 400: a not-null constraint.
    NotNullViolation = "NOT_NULL_VIOLATION",
    /// 400: a unique constraint.
    RecordNotUnique = "RECORD_NOT_UNIQUE",
    /// 400: a value out of the column's range.
    ValueOutOfRange = "VALUE_OUT_OF_RANGE",
    /// 400: a value too long for the column.
    ValueTooLong = "VALUE_TOO_LONG",
    /// 401: wrong email or password (or a refresh token the server no longer knows).
    InvalidCredentials = "INVALID_CREDENTIALS",
    /// 401: the client's IP is not allowed.
    InvalidIp = "INVALID_IP",
    /// 401: a wrong one-time password.
    InvalidOtp = "INVALID_OTP",
    /// 401: the access token expired.
    TokenExpired = "TOKEN_EXPIRED",
    /// 401: the user is suspended.
    UserSuspended = "USER_SUSPENDED",
    /// 403: not allowed, or the item or collection does not exist.
    Forbidden = "FORBIDDEN",
    /// 403: an unknown auth provider.
    InvalidProvider = "INVALID_PROVIDER",
    /// 403: a token that is not valid.
    InvalidToken = "INVALID_TOKEN",
    /// 403: a limit was exceeded.
    LimitExceeded = "LIMIT_EXCEEDED",
    /// 403: the collection is not active.
    CollectionInactive = "COLLECTION_INACTIVE",
    /// 403: the resource is restricted.
    ResourceRestricted = "RESOURCE_RESTRICTED",
    /// 404: no such route.
    RouteNotFound = "ROUTE_NOT_FOUND",
    /// 405: the method is not allowed on the route.
    MethodNotAllowed = "METHOD_NOT_ALLOWED",
    /// 408: the request took too long.
    OutOfTime = "OUT_OF_TIME",
    /// 413: the payload is too large.
    ContentTooLarge = "CONTENT_TOO_LARGE",
    /// 415: the media type is not supported.
    UnsupportedMediaType = "UNSUPPORTED_MEDIA_TYPE",
    /// 416: the range cannot be satisfied.
    RangeNotSatisfiable = "RANGE_NOT_SATISFIABLE",
    /// 422: the content cannot be processed.
    UnprocessableContent = "UNPROCESSABLE_CONTENT",
    /// 422: a content version's hash does not match.
    VersionHashMismatch = "VERSION_HASH_MISMATCH",
    /// 429: too many requests.
    RequestsExceeded = "REQUESTS_EXCEEDED",
    /// 429: too many emails.
    EmailLimitExceeded = "EMAIL_LIMIT_EXCEEDED",
    /// 500: the server failed.
    InternalServerError = "INTERNAL_SERVER_ERROR",
    /// 503: the service is unavailable.
    ServiceUnavailable = "SERVICE_UNAVAILABLE",
    /// 503: the server is out of date.
    OutOfDate = "OUT_OF_DATE",
}

impl<'de> Deserialize<'de> for ErrorCode {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let code = String::deserialize(d)?;
        Ok(ErrorCode::from_code(&code))
    }
}

/// What went wrong below HTTP: the request got no answer, or its body could not be read.
///
/// ```
/// use directus_proto::{TransportError, TransportErrorKind};
/// let err = TransportError::new(TransportErrorKind::Timeout, "read timed out");
/// assert_eq!(err.kind(), TransportErrorKind::Timeout);
/// ```
#[derive(Debug)]
pub struct TransportError {
    kind: TransportErrorKind,
    message: String,
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

/// The kind of a [`TransportError`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TransportErrorKind {
    /// The connection could not be made (refused, DNS, unreachable).
    Connect,
    /// A connect or overall timeout ran out.
    Timeout,
    /// The TLS handshake or certificate check failed.
    Tls,
    /// The response body was larger than the configured limit.
    BodyTooLarge,
    /// An I/O error while sending or receiving, or in a local file or writer.
    Io,
    /// Anything else the HTTP client reported.
    Other,
}

impl TransportError {
    /// A transport error with a message.
    ///
    /// ```
    /// # use directus_proto::{TransportError, TransportErrorKind};
    /// let err = TransportError::new(TransportErrorKind::Connect, "connection refused");
    /// assert_eq!(err.to_string(), "transport error (Connect): connection refused");
    /// ```
    pub fn new(kind: TransportErrorKind, message: impl Into<String>) -> Self {
        TransportError {
            kind,
            message: message.into(),
            source: None,
        }
    }

    /// The same error with its cause attached.
    ///
    /// ```
    /// # use directus_proto::{TransportError, TransportErrorKind};
    /// let io = std::io::Error::other("boom");
    /// let err = TransportError::new(TransportErrorKind::Io, "write failed").with_source(io);
    /// assert!(std::error::Error::source(&err).is_some());
    /// ```
    pub fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.source = Some(Box::new(source));
        self
    }

    /// An I/O failure of a local file, reader or writer, or of a body while it streams.
    ///
    /// ```
    /// # use directus_proto::{TransportError, TransportErrorKind};
    /// let err = TransportError::io("reading report.pdf", std::io::Error::other("gone"));
    /// assert_eq!(err.kind(), TransportErrorKind::Io);
    /// assert_eq!(err.to_string(), "transport error (Io): reading report.pdf: gone");
    /// ```
    pub fn io(context: impl fmt::Display, error: std::io::Error) -> Self {
        TransportError::new(TransportErrorKind::Io, format!("{context}: {error}"))
            .with_source(error)
    }

    /// What kind of failure it was.
    ///
    /// ```
    /// # use directus_proto::{TransportError, TransportErrorKind};
    /// assert_eq!(TransportError::new(TransportErrorKind::Tls, "x").kind(), TransportErrorKind::Tls);
    /// ```
    pub fn kind(&self) -> TransportErrorKind {
        self.kind
    }
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "transport error ({:?}): {}", self.kind, self.message)
    }
}

impl std::error::Error for TransportError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_huge_error_list_keeps_a_bounded_number_of_entries() {
        // 32 MiB of `{},` entries: 11 million errors, of which 16 are built.
        let count = (32 << 20) / 3;
        let mut body = Vec::with_capacity(count * 3 + 16);
        body.extend_from_slice(b"{\"errors\":[");
        for i in 0..count {
            body.extend_from_slice(if i + 1 == count { b"{}" } else { b"{}," });
        }
        body.extend_from_slice(b"]}");
        let err = ApiError::from_body(StatusCode::BAD_REQUEST, &body);
        assert_eq!(err.errors().len(), MAX_API_ERRORS);
        assert_eq!(err.omitted(), count - MAX_API_ERRORS);
        assert!(err.excerpt().is_none(), "still read as an envelope");
        assert!(
            err.to_string()
                .ends_with(&format!("(and {} more)", count - 1))
        );
    }

    #[test]
    fn a_short_list_is_kept_whole() {
        let body = format!(
            r#"{{"errors":[{}]}}"#,
            vec![r#"{"message":"m"}"#; MAX_API_ERRORS].join(",")
        );
        let err = ApiError::from_body(StatusCode::BAD_REQUEST, body.as_bytes());
        assert_eq!((err.errors().len(), err.omitted()), (MAX_API_ERRORS, 0));
    }

    #[test]
    fn keeps_every_error_and_extensions() {
        let body = br#"{"errors":[
            {"message":"Value for field \"name\" in collection \"x\" has to be unique.","extensions":{"code":"RECORD_NOT_UNIQUE","collection":"x","field":"name"}},
            {"message":"Other","extensions":{"code":"MY_EXTENSION_CODE"}}]}"#;
        let err = ApiError::from_body(StatusCode::BAD_REQUEST, body);
        assert_eq!(err.errors().len(), 2);
        assert_eq!(err.code(), &ErrorCode::RecordNotUnique);
        assert_eq!(err.errors()[0].extensions["field"], "name");
        assert_eq!(
            err.errors()[1].code,
            ErrorCode::Unknown("MY_EXTENSION_CODE".into())
        );
        assert!(err.to_string().ends_with("(and 1 more)"));
    }

    #[test]
    fn each_status_class() {
        for (status, code, want) in [
            (400, "INVALID_QUERY", ErrorCode::InvalidQuery),
            (401, "TOKEN_EXPIRED", ErrorCode::TokenExpired),
            (403, "FORBIDDEN", ErrorCode::Forbidden),
            (404, "ROUTE_NOT_FOUND", ErrorCode::RouteNotFound),
            (429, "REQUESTS_EXCEEDED", ErrorCode::RequestsExceeded),
            (500, "INTERNAL_SERVER_ERROR", ErrorCode::InternalServerError),
            (503, "SERVICE_UNAVAILABLE", ErrorCode::ServiceUnavailable),
        ] {
            let body =
                format!(r#"{{"errors":[{{"message":"m","extensions":{{"code":"{code}"}}}}]}}"#);
            let err = ApiError::from_body(StatusCode::from_u16(status).unwrap(), body.as_bytes());
            assert_eq!(err.code(), &want);
            assert_eq!(err.status().as_u16(), status);
            assert_eq!(err.code().as_str(), code);
        }
    }

    #[test]
    fn malformed_bodies_never_panic() {
        for body in [
            &b""[..],
            b"null",
            b"{\"errors\":[]}",
            b"{\"errors\":{}}",
            b"{\"errors\":[{\"extensions\":5}]}",
            b"\xff\xfe\xfd",
            b"<html>",
        ] {
            let err = ApiError::from_body(StatusCode::BAD_GATEWAY, body);
            assert_eq!(err.status(), StatusCode::BAD_GATEWAY);
            let _ = err.to_string();
        }
        let long = "é".repeat(1000);
        let err = ApiError::from_body(StatusCode::BAD_GATEWAY, long.as_bytes());
        assert_eq!(err.excerpt().unwrap().chars().count(), EXCERPT_LEN + 1);
    }
}
