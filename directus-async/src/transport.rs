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
    use std::pin::Pin;
    use std::sync::{Arc, Mutex};
    use std::task::{Context, Poll};
    use std::time::Duration;

    use futures_util::Stream;
    use tokio::time::{Instant, Sleep};

    use super::*;

    pub(crate) fn default_client(config: &Config) -> Result<reqwest::Client, Error> {
        reqwest_client_builder(config)
            .build()
            .map_err(transport_error)
    }

    /// A `reqwest::ClientBuilder` set up as this crate's own client: its user agent, the
    /// connect timeout of `config`, and **no redirects followed by reqwest** (this crate follows
    /// them by its own rules). Build a pool to share between several users from it.
    ///
    /// It sets no `read_timeout`, and a client you pass in should not either: reqwest's read
    /// timeout also runs while a request body is being sent, so it cuts a streamed upload that
    /// takes longer than it even while the bytes flow
    /// ([reqwest#2784](https://github.com/seanmonstar/reqwest/issues/2784)). This crate bounds
    /// each stall of a streamed transfer itself, with [`Config::timeout_duration`].
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
    ///
    /// Not an `async fn`, which would keep the request in its future next to reqwest's,
    /// which holds it already (see [`read_limited`]).
    fn execute(
        client: &reqwest::Client,
        request: reqwest::Request,
    ) -> impl Future<Output = Result<reqwest::Response, Error>> {
        let asked = request.url().clone();
        let pending = client.execute(request);
        async move {
            let response = pending.await.map_err(transport_error)?;
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
    }

    impl HttpClient for reqwest::Client {
        fn send(
            &self,
            request: Request<Body>,
            config: &Config,
        ) -> BoxFuture<'_, Result<Response<Bytes>, Error>> {
            let limit = config.body_limit_bytes();
            let sent = match prepare(
                request.map(Body::into_bytes),
                Some(config.timeout_duration()),
            ) {
                Ok(request) => execute(self, request),
                Err(error) => return Box::pin(std::future::ready(Err(error))),
            };
            // Boxed once per request: 0.5 KiB (1.2 KiB while `execute` and `read_limited` were
            // `async fn`s, each with a second copy of what it was given).
            Box::pin(async move { read_limited(sent.await?, limit).await })
        }

        fn send_streaming(
            &self,
            request: Request<Body>,
            body: ByteStream,
            config: &Config,
        ) -> BoxFuture<'_, Result<Response<Bytes>, Error>> {
            // A streamed transfer may take as long as it needs, but not stall: the HTTP stack
            // takes a chunk of the body, and the answer's head comes, each within the timeout
            // of the last. The answer is read whole, within the limit and the timeout.
            let (parts, _) = request.into_parts();
            let timeout = config.timeout_duration();
            let taken = Arc::new(Mutex::new(Instant::now()));
            let progress = Arc::clone(&taken);
            let body = body.inspect(move |_| {
                *progress.lock().unwrap_or_else(|p| p.into_inner()) = Instant::now();
            });
            let request = prepare(
                Request::from_parts(parts, reqwest::Body::wrap_stream(body)),
                None,
            );
            let limit = config.body_limit_bytes();
            Box::pin(async move {
                let sent = std::pin::pin!(execute(self, request?));
                let watchdog = std::pin::pin!(stalled_since(&taken, timeout));
                let response = match futures_util::future::select(sent, watchdog).await {
                    futures_util::future::Either::Left((response, _)) => response?,
                    futures_util::future::Either::Right((error, _)) => return Err(error),
                };
                // On tokio's timer (`within_timeout`'s runs on a thread of its own, for clients
                // without a runtime).
                tokio::time::timeout(timeout, read_limited(response, limit))
                    .await
                    .map_err(|_| unread_within(timeout))?
            })
        }

        fn open(
            &self,
            request: Request<Body>,
            config: &Config,
        ) -> BoxFuture<'_, Result<Response<ByteStream>, Error>> {
            // No overall timeout: the head, then each chunk of the body, must come within the
            // timeout of the last.
            let timeout = config.timeout_duration();
            let request = prepare(request.map(Body::into_bytes), None);
            Box::pin(async move {
                let mut response = tokio::time::timeout(timeout, execute(self, request?))
                    .await
                    .map_err(|_| stall(timeout))??;
                let mut head = Response::new(());
                *head.status_mut() = response.status();
                *head.headers_mut() = std::mem::take(response.headers_mut());
                let body = response.bytes_stream().map_err(transport_error).boxed();
                Ok(head.map(|()| Watched::new(body, timeout).boxed()))
            })
        }
    }

    /// `timeout` from now; `None` past what the clock can say (no bound).
    fn deadline(timeout: Duration) -> Option<Instant> {
        Instant::now().checked_add(timeout)
    }

    fn stall(timeout: Duration) -> Error {
        TransportError::new(
            TransportErrorKind::Timeout,
            format!("the transfer stalled: nothing moved for {timeout:?}"),
        )
        .into()
    }

    /// Ends (with a timeout) once `timeout` has passed since the HTTP stack last took a chunk of
    /// a streamed body, or since it took the last one without the answer's head coming.
    async fn stalled_since(taken: &Mutex<Instant>, timeout: Duration) -> Error {
        loop {
            let last = *taken.lock().unwrap_or_else(|p| p.into_inner());
            let Some(at) = last.checked_add(timeout) else {
                return std::future::pending().await;
            };
            if Instant::now() >= at {
                return stall(timeout);
            }
            tokio::time::sleep_until(at).await;
        }
    }

    /// A streamed answer's body whose chunks must each come within `timeout` of being asked
    /// for: the timer starts when the reader asks for the next chunk, so a reader that takes
    /// its time between chunks is never cut for it. Ends after its first error.
    struct Watched {
        body: Option<ByteStream>,
        timeout: Duration,
        /// One timer for the whole stream, reset for each chunk awaited (`None` until the first
        /// wait, or when the deadline is past what the clock can say).
        timer: Option<Pin<Box<Sleep>>>,
        /// Whether the timer runs for the chunk awaited now.
        armed: bool,
    }

    impl Watched {
        fn new(body: ByteStream, timeout: Duration) -> Self {
            Watched {
                body: Some(body),
                timeout,
                timer: None,
                armed: false,
            }
        }

        /// Starts the timer for the chunk now awaited.
        fn arm(&mut self) {
            self.armed = true;
            match (deadline(self.timeout), self.timer.as_mut()) {
                (Some(at), Some(timer)) => timer.as_mut().reset(at),
                (Some(at), None) => self.timer = Some(Box::pin(tokio::time::sleep_until(at))),
                (None, _) => self.timer = None,
            }
        }
    }

    impl Stream for Watched {
        type Item = Result<Bytes, Error>;

        fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
            let this = &mut *self;
            let Some(body) = this.body.as_mut() else {
                return Poll::Ready(None);
            };
            match body.poll_next_unpin(cx) {
                Poll::Ready(item) => {
                    this.armed = false;
                    if !matches!(item, Some(Ok(_))) {
                        this.body = None;
                    }
                    Poll::Ready(item)
                }
                Poll::Pending => {
                    if !this.armed {
                        this.arm();
                    }
                    match this.timer.as_mut().map(|timer| timer.as_mut().poll(cx)) {
                        Some(Poll::Ready(())) => {
                            this.body = None;
                            Poll::Ready(Some(Err(stall(this.timeout))))
                        }
                        _ => Poll::Pending,
                    }
                }
            }
        }
    }

    /// Reads a whole body, within the limit.
    ///
    /// Not an `async fn`: its future would hold the response twice, as the argument and as
    /// the binding the body reads it through. Every request boxes this future, so its size
    /// counts.
    #[allow(clippy::manual_async_fn)] // the `async fn` is what this avoids
    fn read_limited(
        mut response: reqwest::Response,
        limit: u64,
    ) -> impl Future<Output = Result<Response<Bytes>, Error>> {
        async move {
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

    /// In paused time: the clock moves only as the timers say, whatever the machine's load.
    #[cfg(test)]
    mod tests {
        use super::*;

        fn watched(body: ByteStream) -> Watched {
            Watched::new(body, Duration::from_millis(50))
        }

        #[tokio::test(start_paused = true)]
        async fn a_stalled_body_ends_with_a_timeout() {
            let mut body = watched(stream::pending().boxed());
            let error = body.next().await.unwrap().unwrap_err();
            assert!(
                matches!(&error, Error::Transport(t) if t.kind() == TransportErrorKind::Timeout),
                "{error:?}"
            );
            assert!(body.next().await.is_none());
        }

        #[tokio::test(start_paused = true)]
        async fn a_reader_slower_than_the_timeout_is_not_cut() {
            // Each chunk comes 30 ms after it is asked for (the timeout is 50 ms); the reader
            // spends 120 ms on each: the timer must restart with each wait, not run on.
            let chunks = stream::iter(["a", "b", "c"]).then(|c| async move {
                tokio::time::sleep(Duration::from_millis(30)).await;
                Ok(Bytes::from(c))
            });
            let mut body = watched(chunks.boxed());
            let mut read = Vec::new();
            while let Some(chunk) = body.next().await {
                read.extend_from_slice(&chunk.unwrap());
                tokio::time::sleep(Duration::from_millis(120)).await;
            }
            assert_eq!(read, b"abc");
        }

        #[tokio::test(start_paused = true)]
        async fn the_watchdog_waits_for_progress() {
            let taken = Mutex::new(Instant::now());
            let watchdog = std::pin::pin!(stalled_since(&taken, Duration::from_millis(80)));
            let progress = async {
                for _ in 0..4 {
                    tokio::time::sleep(Duration::from_millis(40)).await;
                    *taken.lock().unwrap() = Instant::now();
                }
            };
            // Four chunks 40 ms apart: 160 ms in all, never a stall of 80 ms.
            match futures_util::future::select(std::pin::pin!(progress), watchdog).await {
                futures_util::future::Either::Left(((), watchdog)) => {
                    let error = watchdog.await;
                    assert!(error.to_string().contains("stalled"), "{error}");
                }
                futures_util::future::Either::Right((error, _)) => {
                    panic!("cut while bytes flowed: {error}")
                }
            }
        }
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
        futures_util::future::Either::Right(((), _)) => Err(unread_within(timeout)),
    }
}

fn unread_within(timeout: std::time::Duration) -> Error {
    TransportError::new(
        TransportErrorKind::Timeout,
        format!("the response body was not read within {timeout:?}"),
    )
    .into()
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
