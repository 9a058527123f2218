//! Moving bytes: the [`HttpClient`] trait, and its reqwest implementation.

use directus_proto::{Body, Bytes, Config, Error, TransportError, TransportErrorKind};
use futures_util::future::BoxFuture;
use futures_util::stream::{self, BoxStream, StreamExt, TryStreamExt};
use http::{Request, Response};

/// A body as a stream of byte chunks (streamed uploads and downloads).
pub type ByteStream = BoxStream<'static, Result<Bytes, Error>>;

/// An HTTP client that can carry the requests: sends one request and reads the whole answer
/// (within [`Config::body_limit_bytes`] and [`Config::timeout_duration`]). Error statuses are
/// answers, not errors. Implemented for `reqwest::Client` with the `reqwest` feature.
///
/// Bodies are [`Bytes`], the type reqwest and hyper hand over: an answer that arrived in one
/// piece reaches the parser without a copy. A `Vec<u8>` becomes one with `Bytes::from(vec)`,
/// which does not copy either.
///
/// **An implementation must not follow redirects**: a `3xx` is an answer, handed back as it
/// is. The client decides which redirects to follow (see `directus_proto::redirect`): never one
/// to another origin for a request with credentials or a body, and never with the
/// `Authorization` header to another origin. An HTTP stack that follows redirects by itself
/// would send a login's password or a refresh token wherever a `307` points.
///
/// ```
/// use directus_async::{Body, Bytes, Config, Error, HttpClient};
/// use futures_util::future::BoxFuture;
///
/// /// A client that answers every request with `pong`.
/// struct Pong;
///
/// impl HttpClient for Pong {
///     fn send(&self, _: http::Request<Body>, _: &Config)
///         -> BoxFuture<'_, Result<http::Response<Bytes>, Error>> {
///         Box::pin(async { Ok(http::Response::new(Bytes::from_static(b"pong"))) })
///     }
/// }
/// ```
pub trait HttpClient: Send + Sync + 'static {
    /// Sends the request and reads the answer.
    fn send(
        &self,
        request: Request<Body>,
        config: &Config,
    ) -> BoxFuture<'_, Result<Response<Bytes>, Error>>;

    /// Sends the request with `body` streamed after it (the request's own body is empty) and
    /// reads the answer. The default collects the body first; clients that can stream
    /// override it.
    fn send_streaming(
        &self,
        request: Request<Body>,
        body: ByteStream,
        config: &Config,
    ) -> BoxFuture<'_, Result<Response<Bytes>, Error>> {
        let config = *config;
        Box::pin(async move {
            let chunks: Vec<Bytes> = body.try_collect().await?;
            let (parts, _) = request.into_parts();
            self.send(Request::from_parts(parts, chunks.concat().into()), &config)
                .await
        })
    }

    /// Sends the request and answers with the body unread, as a stream (a streamed download).
    /// The default reads the whole body first; clients that can stream override it.
    fn open(
        &self,
        request: Request<Body>,
        config: &Config,
    ) -> BoxFuture<'_, Result<Response<ByteStream>, Error>> {
        let config = *config;
        Box::pin(async move {
            let response = self.send(request, &config).await?;
            Ok(response.map(|body| stream::once(async move { Ok(body) }).boxed()))
        })
    }
}

#[cfg(feature = "reqwest")]
mod reqwest_client {
    use std::time::Duration;

    use super::*;

    pub(crate) fn default_client(config: &Config) -> Result<reqwest::Client, Error> {
        reqwest_client_builder(config)
            .build()
            .map_err(transport_error)
    }

    /// A `reqwest::ClientBuilder` set up as this crate's own client: its user agent, the
    /// connect timeout and the read timeout of `config` (which bound a stalled stream), and **no
    /// redirects followed by reqwest** (this crate follows them by its own rules). Build a pool
    /// to share between several users from it.
    ///
    /// ```
    /// use directus_async::{Config, Directus, reqwest_client_builder};
    ///
    /// let pool = reqwest_client_builder(&Config::default()).pool_max_idle_per_host(16).build().unwrap();
    /// let alice = Directus::builder("http://127.0.0.1:8055").client(pool.clone()).token("a").unwrap();
    /// ```
    pub fn reqwest_client_builder(config: &Config) -> reqwest::ClientBuilder {
        reqwest::Client::builder()
            .user_agent(concat!("directus-rs/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(config.connect_timeout_duration())
            // Streamed transfers have no overall timeout; a stall longer than this fails them.
            .read_timeout(config.timeout_duration())
            .redirect(reqwest::redirect::Policy::none())
    }

    fn transport_error(error: reqwest::Error) -> Error {
        let kind = if error.is_timeout() {
            TransportErrorKind::Timeout
        } else if error.is_connect() {
            TransportErrorKind::Connect
        } else if error.is_body() || error.is_decode() || error.is_request() {
            TransportErrorKind::Io
        } else {
            TransportErrorKind::Other
        };
        // reqwest's messages name the URL; ours carry no token in it (bearer header only).
        let message = error.to_string();
        TransportError::new(kind, message).with_source(error).into()
    }

    fn prepare<B: Into<reqwest::Body>>(
        request: Request<B>,
        timeout: Option<Duration>,
    ) -> Result<reqwest::Request, Error> {
        let mut request = reqwest::Request::try_from(request).map_err(transport_error)?;
        *request.timeout_mut() = timeout;
        Ok(request)
    }

    /// Sends the request; an answer that reqwest reached by following a redirect (a client
    /// passed in with redirects on) is refused rather than read as the server's.
    async fn execute(
        client: &reqwest::Client,
        request: reqwest::Request,
    ) -> Result<reqwest::Response, Error> {
        let asked = request.url().clone();
        let response = client.execute(request).await.map_err(transport_error)?;
        if response.url() != &asked {
            return Err(TransportError::new(
                TransportErrorKind::Other,
                "the HTTP client followed a redirect by itself: build it with \
                 `reqwest_client_builder` or `redirect(reqwest::redirect::Policy::none())`",
            )
            .into());
        }
        Ok(response)
    }

    impl HttpClient for reqwest::Client {
        fn send(
            &self,
            request: Request<Body>,
            config: &Config,
        ) -> BoxFuture<'_, Result<Response<Bytes>, Error>> {
            let limit = config.body_limit_bytes();
            let request = prepare(request.map(Body::into_vec), Some(config.timeout_duration()));
            Box::pin(async move {
                let response = execute(self, request?).await?;
                read_limited(response, limit).await
            })
        }

        fn send_streaming(
            &self,
            request: Request<Body>,
            body: ByteStream,
            config: &Config,
        ) -> BoxFuture<'_, Result<Response<Bytes>, Error>> {
            // A streamed transfer may take as long as it needs (the client's read timeout
            // catches a stall); the connect timeout applies. The answer is read whole, within
            // the limit and the timeout.
            let (parts, _) = request.into_parts();
            let body = reqwest::Body::wrap_stream(body);
            let request = prepare(Request::from_parts(parts, body), None);
            let config = *config;
            Box::pin(async move {
                let response = execute(self, request?).await?;
                within_timeout(
                    read_limited(response, config.body_limit_bytes()),
                    config.timeout_duration(),
                )
                .await
            })
        }

        fn open(
            &self,
            request: Request<Body>,
            _config: &Config,
        ) -> BoxFuture<'_, Result<Response<ByteStream>, Error>> {
            let request = prepare(request.map(Body::into_vec), None);
            Box::pin(async move {
                let mut response = execute(self, request?).await?;
                let mut head = Response::new(());
                *head.status_mut() = response.status();
                *head.headers_mut() = std::mem::take(response.headers_mut());
                let body = response.bytes_stream().map_err(transport_error).boxed();
                Ok(head.map(|()| body))
            })
        }
    }

    /// Reads a whole body, within the limit.
    async fn read_limited(
        mut response: reqwest::Response,
        limit: u64,
    ) -> Result<Response<Bytes>, Error> {
        let mut body = Collected::new(limit, response.content_length())?;
        while let Some(chunk) = response.chunk().await.map_err(transport_error)? {
            body.push(chunk)?;
        }
        let mut answer = Response::new(body.finish());
        *answer.status_mut() = response.status();
        *answer.headers_mut() = std::mem::take(response.headers_mut());
        Ok(answer)
    }
}

/// A body read chunk by chunk, within a limit. The usual answer, one chunk, is kept as the HTTP
/// stack handed it over, without a copy; the chunks of a longer one are joined in one buffer.
struct Collected {
    limit: u64,
    /// What the server announced (`Content-Length`), within the limit.
    announced: usize,
    first: Bytes,
    joined: Vec<u8>,
}

impl Collected {
    /// Refuses a body announced larger than `limit` before reading any of it.
    fn new(limit: u64, announced: Option<u64>) -> Result<Self, Error> {
        if announced.is_some_and(|n| n > limit) {
            return Err(too_large(limit));
        }
        Ok(Collected {
            limit,
            announced: announced.map_or(0, |n| usize::try_from(n).unwrap_or(0)),
            first: Bytes::new(),
            joined: Vec::new(),
        })
    }

    fn len(&self) -> usize {
        if self.joined.is_empty() {
            self.first.len()
        } else {
            self.joined.len()
        }
    }

    fn push(&mut self, chunk: Bytes) -> Result<(), Error> {
        if self.len() as u64 + chunk.len() as u64 > self.limit {
            return Err(too_large(self.limit));
        }
        if chunk.is_empty() {
        } else if !self.joined.is_empty() {
            self.joined.extend_from_slice(&chunk);
        } else if self.first.is_empty() {
            self.first = chunk;
        } else {
            // Room for the announced length up front: growing by doubling copies the body
            // again and again and churns the allocator.
            let room = self.announced.max(self.first.len() + chunk.len());
            self.joined.reserve_exact(room);
            self.joined
                .extend_from_slice(&std::mem::take(&mut self.first));
            self.joined.extend_from_slice(&chunk);
        }
        Ok(())
    }

    fn finish(self) -> Bytes {
        if self.joined.is_empty() {
            self.first
        } else {
            Bytes::from(self.joined)
        }
    }
}

fn too_large(limit: u64) -> Error {
    TransportError::new(
        TransportErrorKind::BodyTooLarge,
        format!("the response body is larger than the limit of {limit} bytes"),
    )
    .into()
}

/// Runs `read` for at most `timeout`: a body that trickles in forever fails with a timeout.
pub(crate) async fn within_timeout<T>(
    read: impl std::future::Future<Output = Result<T, Error>>,
    timeout: std::time::Duration,
) -> Result<T, Error> {
    let read = std::pin::pin!(read);
    let timer = std::pin::pin!(crate::timer::sleep(timeout));
    match futures_util::future::select(read, timer).await {
        futures_util::future::Either::Left((result, _)) => result,
        futures_util::future::Either::Right(((), _)) => Err(TransportError::new(
            TransportErrorKind::Timeout,
            format!("the response body was not read within {timeout:?}"),
        )
        .into()),
    }
}

/// Reads a streamed body into memory within the limit and the timeout of `config` (the error
/// answer of a streamed download).
pub(crate) async fn collect_limited(body: ByteStream, config: &Config) -> Result<Bytes, Error> {
    let limit = config.body_limit_bytes();
    let read = async move {
        let mut body = body;
        let mut bytes = Collected::new(limit, None)?;
        while let Some(chunk) = body.next().await {
            bytes.push(chunk?)?;
        }
        Ok(bytes.finish())
    };
    within_timeout(read, config.timeout_duration()).await
}

#[cfg(feature = "reqwest")]
pub(crate) use reqwest_client::default_client;
#[cfg(feature = "reqwest")]
pub use reqwest_client::reqwest_client_builder;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_chunk_is_kept_without_a_copy() {
        let chunk = Bytes::from(b"{\"data\":[]}".to_vec());
        let mut body = Collected::new(64, Some(11)).unwrap();
        body.push(Bytes::new()).unwrap();
        body.push(chunk.clone()).unwrap();
        body.push(Bytes::new()).unwrap();
        let body = body.finish();
        assert_eq!(body, chunk);
        assert_eq!(body.as_ptr(), chunk.as_ptr());
    }

    #[test]
    fn chunks_are_joined_in_order() {
        let mut body = Collected::new(64, None).unwrap();
        for chunk in ["ab", "", "cd", "e"] {
            body.push(Bytes::from(chunk)).unwrap();
        }
        assert_eq!(body.finish(), "abcde");
        assert!(Collected::new(64, None).unwrap().finish().is_empty());
    }

    #[test]
    fn a_body_over_the_limit_is_refused() {
        assert!(Collected::new(4, Some(5)).is_err());
        let mut body = Collected::new(4, None).unwrap();
        body.push(Bytes::from("abc")).unwrap();
        let error = body.push(Bytes::from("de")).unwrap_err();
        assert!(
            matches!(&error, Error::Transport(t) if t.kind() == TransportErrorKind::BodyTooLarge),
            "{error:?}"
        );
        let mut one = Collected::new(4, None).unwrap();
        assert!(one.push(Bytes::from("abcde")).is_err());
    }
}
