//! [`Operation`]: one request ready to send, and the function that reads its answer.

use bytes::Bytes;
use std::fmt;
use std::time::Duration;

use http::{HeaderValue, Method, Request, Response, header};
use serde::Serialize;

use crate::{Applied, BaseUrl, Body, Error, RetryPolicy};

/// How a response is read into the operation's output.
pub type Parser<T> = fn(Response<Bytes>) -> Result<T, Error>;

/// A request built by this crate and the parser of its answer.
///
/// The request carries no credentials: a [`Session`](crate::Session) adds the bearer token when
/// it is sent. Drivers send [`Operation::request`] and hand the answer to [`Operation::parse`],
/// or, better, let a [`Call`](crate::Call) do both.
///
/// ```
/// use directus_proto::{Bytes, BaseUrl, Operation, response};
///
/// let base = BaseUrl::parse("http://127.0.0.1:8055").unwrap();
/// let ping: Operation<String> = Operation::get(&base, "/server/ping", response::text).unwrap();
/// assert_eq!(ping.request().uri(), "http://127.0.0.1:8055/server/ping");
/// assert_eq!(ping.parse(http::Response::new(Bytes::from_static(b"pong"))).unwrap(), "pong");
/// ```
pub struct Operation<T> {
    request: Request<Body>,
    parse: Parser<T>,
    authenticated: bool,
    secret_answer: bool,
    idempotent: bool,
    retry: Option<RetryPolicy>,
    timeout: Option<Duration>,
    collection: Option<String>,
}

impl<T> Operation<T> {
    /// An operation from a built request and its parser.
    ///
    /// ```
    /// # use directus_proto::{Body, Operation, response};
    /// let req = http::Request::get("http://localhost/server/health").body(Body::empty()).unwrap();
    /// let op: Operation<serde_json::Value> = Operation::new(req, response::data);
    /// assert_eq!(op.request().method(), "GET");
    /// ```
    pub fn new(request: Request<Body>, parse: Parser<T>) -> Self {
        Operation {
            request,
            parse,
            authenticated: true,
            secret_answer: false,
            idempotent: false,
            retry: None,
            timeout: None,
            collection: None,
        }
    }

    /// A `GET` of `path_and_query` (already encoded) on the server.
    ///
    /// Fails with [`Error::InvalidInput`] when the two do not make a valid URI (characters a URI
    /// cannot hold, or longer than the 65,534 bytes an [`http::Uri`] holds): a request is never
    /// sent to another URI than the one asked for.
    ///
    /// ```
    /// # use directus_proto::{BaseUrl, Operation, response};
    /// let base = BaseUrl::parse("http://localhost").unwrap();
    /// let op: Operation<()> = Operation::get(&base, "/server/health", response::empty).unwrap();
    /// assert_eq!(op.request().uri(), "http://localhost/server/health");
    /// let long = format!("/items/a?fields={}", "x".repeat(70_000));
    /// assert!(Operation::<()>::get(&base, &long, response::empty).is_err());
    /// ```
    pub fn get(base: &BaseUrl, path_and_query: &str, parse: Parser<T>) -> Result<Self, Error> {
        Self::build_bare(base, Method::GET, path_and_query, parse)
    }

    /// A request with a JSON body.
    ///
    /// ```
    /// # use directus_proto::{BaseUrl, Operation, response};
    /// # use http::Method;
    /// let base = BaseUrl::parse("http://localhost").unwrap();
    /// let op: Operation<()> =
    ///     Operation::json(&base, Method::POST, "/utils/cache/clear", &serde_json::json!({}), response::empty).unwrap();
    /// assert_eq!(op.request().headers()["content-type"], "application/json");
    /// assert_eq!(op.request().body(), b"{}");
    /// ```
    pub fn json<B: Serialize + ?Sized>(
        base: &BaseUrl,
        method: Method,
        path_and_query: &str,
        body: &B,
        parse: Parser<T>,
    ) -> Result<Self, Error> {
        let body = crate::json::to_bytes(body)?;
        Self::build(
            base,
            method,
            path_and_query,
            body,
            Some(HeaderValue::from_static("application/json")),
            parse,
        )
    }

    /// A request with a body of the given content type.
    ///
    /// ```
    /// # use directus_proto::{BaseUrl, Operation, response};
    /// # use http::{HeaderValue, Method};
    /// let base = BaseUrl::parse("http://localhost").unwrap();
    /// let op: Operation<()> = Operation::with_body(
    ///     &base, Method::POST, "/x", b"a,b".to_vec(), HeaderValue::from_static("text/csv"), response::empty).unwrap();
    /// assert_eq!(op.request().headers()["content-type"], "text/csv");
    /// ```
    pub fn with_body(
        base: &BaseUrl,
        method: Method,
        path_and_query: &str,
        body: Vec<u8>,
        content_type: HeaderValue,
        parse: Parser<T>,
    ) -> Result<Self, Error> {
        Self::build(
            base,
            method,
            path_and_query,
            body,
            Some(content_type),
            parse,
        )
    }

    pub(crate) fn build_bare(
        base: &BaseUrl,
        method: Method,
        path_and_query: &str,
        parse: Parser<T>,
    ) -> Result<Self, Error> {
        Self::build(base, method, path_and_query, Vec::new(), None, parse)
    }

    fn build(
        base: &BaseUrl,
        method: Method,
        path_and_query: &str,
        body: Vec<u8>,
        content_type: Option<HeaderValue>,
        parse: Parser<T>,
    ) -> Result<Self, Error> {
        let url = base.join(path_and_query);
        let len = url.len();
        // From the `String`: the URI keeps its bytes without a copy.
        let uri = http::Uri::try_from(url).map_err(|_| {
            Error::invalid(format!(
                "the request's URI cannot be expressed ({len} bytes; an HTTP URI holds at most \
                 65,534, and only URI characters)"
            ))
        })?;
        let mut request = Request::new(Body::from(body));
        *request.method_mut() = method;
        *request.uri_mut() = uri;
        let headers = request.headers_mut();
        headers.insert(header::ACCEPT, HeaderValue::from_static("application/json"));
        if let Some(content_type) = content_type {
            headers.insert(header::CONTENT_TYPE, content_type);
        }
        Ok(Operation::new(request, parse))
    }

    /// Marks the operation as one sent without a bearer token (login, refresh, password reset).
    ///
    /// ```
    /// # use directus_proto::{BaseUrl, Operation, response};
    /// let base = BaseUrl::parse("http://localhost").unwrap();
    /// let op: Operation<()> = Operation::get(&base, "/server/ping", response::empty).unwrap().anonymous();
    /// assert!(!op.is_authenticated());
    /// ```
    pub fn anonymous(mut self) -> Self {
        self.authenticated = false;
        self
    }

    /// Marks the answer as one that may hold secrets (tokens, a two-factor secret): errors about
    /// it never quote its body. Every `/auth` operation of this crate is marked.
    ///
    /// ```
    /// use directus_proto::Bytes;
    /// # use directus_proto::{BaseUrl, Operation, response};
    /// let base = BaseUrl::parse("http://localhost").unwrap();
    /// let op: Operation<serde_json::Value> =
    ///     Operation::get(&base, "/x", response::data).unwrap().secret_answer();
    /// let err = op.parse(http::Response::new(Bytes::from_static(br#"{"data":{"token":"#))).unwrap_err();
    /// assert!(!err.to_string().contains("token"));
    /// ```
    pub fn secret_answer(mut self) -> Self {
        self.secret_answer = true;
        self
    }

    /// This call's own [`RetryPolicy`], instead of the session's.
    ///
    /// ```
    /// # use directus_proto::{BaseUrl, Operation, RetryPolicy, response};
    /// let base = BaseUrl::parse("http://localhost").unwrap();
    /// let op: Operation<()> = Operation::get(&base, "/x", response::empty).unwrap()
    ///     .retry(RetryPolicy::none());
    /// assert_eq!(op.retry_policy(), Some(&RetryPolicy::none()));
    /// ```
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = Some(policy);
        self
    }

    /// This call's own retry policy, if it has one.
    ///
    /// ```
    /// # use directus_proto::{BaseUrl, Operation, response};
    /// # let base = BaseUrl::parse("http://localhost").unwrap();
    /// assert!(Operation::<()>::get(&base, "/x", response::empty).unwrap().retry_policy().is_none());
    /// ```
    pub fn retry_policy(&self) -> Option<&RetryPolicy> {
        self.retry.as_ref()
    }

    /// This call's overall timeout: every attempt and every wait between them included (a
    /// token refresh counts against it but is not cut); each attempt gets what is left of it, or
    /// [`Config::timeout`](crate::Config::timeout) when that is shorter. When it runs out the
    /// call ends with a [`Timeout`](crate::TransportErrorKind::Timeout) transport error. See
    /// [`call_options`](crate::call_options) for streamed transfers.
    ///
    /// ```
    /// # use directus_proto::{BaseUrl, Operation, response};
    /// # use std::time::Duration;
    /// let base = BaseUrl::parse("http://localhost").unwrap();
    /// let op: Operation<()> = Operation::get(&base, "/x", response::empty).unwrap()
    ///     .timeout(Duration::from_secs(3));
    /// assert_eq!(op.timeout_duration(), Some(Duration::from_secs(3)));
    /// ```
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// This call's overall timeout, if it has one.
    ///
    /// ```
    /// # use directus_proto::{BaseUrl, Operation, response};
    /// # let base = BaseUrl::parse("http://localhost").unwrap();
    /// assert!(Operation::<()>::get(&base, "/x", response::empty).unwrap().timeout_duration().is_none());
    /// ```
    pub fn timeout_duration(&self) -> Option<Duration> {
        self.timeout
    }

    /// Marks this write as safe to send more than once (the caller knows it is idempotent, for
    /// example a `PATCH` that sets absolute values): its retry policy then applies to it as to
    /// a read. Without this, a write is never sent twice.
    ///
    /// ```
    /// # use directus_proto::{BaseUrl, Operation, response};
    /// # use http::Method;
    /// # let base = BaseUrl::parse("http://localhost").unwrap();
    /// let op = Operation::<()>::json(&base, Method::PATCH, "/items/a/1", &1, response::empty).unwrap();
    /// assert!(!op.may_repeat());
    /// assert!(op.idempotent().may_repeat());
    /// ```
    pub fn idempotent(mut self) -> Self {
        self.idempotent = true;
        self
    }

    /// Whether the operation may be sent more than once: a read, or marked
    /// [`idempotent`](Operation::idempotent).
    ///
    /// ```
    /// # use directus_proto::{BaseUrl, Operation, response};
    /// # let base = BaseUrl::parse("http://localhost").unwrap();
    /// assert!(Operation::<()>::get(&base, "/x", response::empty).unwrap().may_repeat());
    /// ```
    pub fn may_repeat(&self) -> bool {
        self.is_read() || self.idempotent
    }

    /// Ties the operation to a collection: reads of it may be cached, writes to it drop the
    /// collection's cached reads.
    ///
    /// ```
    /// # use directus_proto::{BaseUrl, Operation, response};
    /// let base = BaseUrl::parse("http://localhost").unwrap();
    /// let op: Operation<()> = Operation::get(&base, "/items/a", response::empty).unwrap().for_collection("a");
    /// assert_eq!(op.collection(), Some("a"));
    /// ```
    pub fn for_collection(mut self, collection: impl Into<String>) -> Self {
        self.collection = Some(collection.into());
        self
    }

    /// The request, without credentials.
    ///
    /// ```
    /// # use directus_proto::{BaseUrl, Operation, response};
    /// # let base = BaseUrl::parse("http://localhost").unwrap();
    /// let op: Operation<()> = Operation::get(&base, "/server/ping", response::empty).unwrap();
    /// assert!(op.request().headers().get("authorization").is_none());
    /// ```
    pub fn request(&self) -> &Request<Body> {
        &self.request
    }

    /// Whether the request carries the session's bearer token.
    ///
    /// ```
    /// # use directus_proto::{BaseUrl, Operation, response};
    /// # let base = BaseUrl::parse("http://localhost").unwrap();
    /// assert!(Operation::<()>::get(&base, "/users/me", response::empty).unwrap().is_authenticated());
    /// ```
    pub fn is_authenticated(&self) -> bool {
        self.authenticated
    }

    /// The collection the operation reads or writes, if any.
    ///
    /// ```
    /// # use directus_proto::{BaseUrl, Operation, response};
    /// # let base = BaseUrl::parse("http://localhost").unwrap();
    /// assert_eq!(Operation::<()>::get(&base, "/server/ping", response::empty).unwrap().collection(), None);
    /// ```
    pub fn collection(&self) -> Option<&str> {
        self.collection.as_deref()
    }

    /// Whether the request only reads (`GET`, `HEAD`, `SEARCH`): only those may be retried
    /// after a transport failure, since nothing they do can write twice.
    ///
    /// ```
    /// # use directus_proto::{BaseUrl, Operation, response};
    /// # use http::Method;
    /// # let base = BaseUrl::parse("http://localhost").unwrap();
    /// assert!(Operation::<()>::get(&base, "/items/a", response::empty).unwrap().is_read());
    /// let post = Operation::<()>::json(&base, Method::POST, "/items/a", &1, response::empty).unwrap();
    /// assert!(!post.is_read());
    /// ```
    pub fn is_read(&self) -> bool {
        is_read(self.request.method())
    }

    /// Reads the answer.
    ///
    /// ```
    /// use directus_proto::Bytes;
    /// # use directus_proto::{BaseUrl, Operation, response};
    /// # let base = BaseUrl::parse("http://localhost").unwrap();
    /// let op: Operation<String> = Operation::get(&base, "/server/ping", response::text).unwrap();
    /// assert_eq!(op.parse(http::Response::new(Bytes::from_static(b"pong"))).unwrap(), "pong");
    /// ```
    ///
    /// A write (any other method than `GET`, `HEAD`, `SEARCH`, except the anonymous auth
    /// handshake whose answers hold tokens) whose success answer does not decode gives
    /// [`Error::Applied`] with the answer, never a plain [`Error::Decode`]: the caller must know
    /// the server applied it.
    pub fn parse(&self, response: Response<Bytes>) -> Result<T, Error> {
        let parsed = if self.is_read() || !self.authenticated || !response.status().is_success() {
            (self.parse)(response)
        } else {
            // Kept for the rare failure: a clone of the `Bytes`, which shares them.
            let body = response.body().clone();
            (self.parse)(response).map_err(|err| match err {
                Error::Decode { status, source, .. } => {
                    Error::Applied(Box::new(Applied::new(status, &body, source)))
                }
                other => other,
            })
        };
        if self.secret_answer {
            parsed.map_err(Error::redacted)
        } else {
            parsed
        }
    }

    /// A copy of the request with `authorization` set (or not), ready to send.
    pub(crate) fn to_request(&self, authorization: Option<&HeaderValue>) -> Request<Body> {
        let mut request = Request::new(self.request.body().clone());
        *request.method_mut() = self.request.method().clone();
        *request.uri_mut() = self.request.uri().clone();
        *request.headers_mut() = self.request.headers().clone();
        if let Some(value) = authorization {
            request
                .headers_mut()
                .insert(header::AUTHORIZATION, value.clone());
        }
        request
    }
}

/// Whether a method only reads.
pub(crate) fn is_read(method: &Method) -> bool {
    method == Method::GET || method == Method::HEAD || method.as_str() == "SEARCH"
}

impl<T> fmt::Debug for Operation<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The request never holds credentials, but its body may hold a password (login) or a
        // refresh token: only the method and URI are shown.
        f.debug_struct("Operation")
            .field("method", self.request.method())
            .field("uri", self.request.uri())
            .field("authenticated", &self.authenticated)
            .field("collection", &self.collection)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}
