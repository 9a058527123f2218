//! Moving bytes: the [`HttpClient`] trait, and its reqwest implementation.

use directus_proto::{Config, Error};
use futures_util::future::BoxFuture;
use futures_util::stream::{self, BoxStream, StreamExt, TryStreamExt};
use http::{Request, Response};

/// A body as a stream of byte chunks (streamed uploads and downloads).
pub type ByteStream = BoxStream<'static, Result<Vec<u8>, Error>>;

/// An HTTP client that can carry the requests: sends one request and reads the whole answer
/// (within [`Config::body_limit_bytes`] and [`Config::timeout_duration`]). Error statuses are
/// answers, not errors. Implemented for `reqwest::Client` with the `reqwest` feature.
///
/// ```
/// use directus_async::{Config, Error, HttpClient};
/// use futures_util::future::BoxFuture;
///
/// /// A client that answers every request with `pong`.
/// struct Pong;
///
/// impl HttpClient for Pong {
///     fn send(&self, _: http::Request<Vec<u8>>, _: &Config)
///         -> BoxFuture<'_, Result<http::Response<Vec<u8>>, Error>> {
///         Box::pin(async { Ok(http::Response::new(b"pong".to_vec())) })
///     }
/// }
/// ```
pub trait HttpClient: Send + Sync + 'static {
    /// Sends the request and reads the answer.
    fn send(
        &self,
        request: Request<Vec<u8>>,
        config: &Config,
    ) -> BoxFuture<'_, Result<Response<Vec<u8>>, Error>>;

    /// Sends the request with `body` streamed after it (the request's own body is empty) and
    /// reads the answer. The default collects the body first; clients that can stream
    /// override it.
    fn send_streaming(
        &self,
        request: Request<Vec<u8>>,
        body: ByteStream,
        config: &Config,
    ) -> BoxFuture<'_, Result<Response<Vec<u8>>, Error>> {
        let config = *config;
        Box::pin(async move {
            let chunks: Vec<Vec<u8>> = body.try_collect().await?;
            let (parts, _) = request.into_parts();
            self.send(Request::from_parts(parts, chunks.concat()), &config)
                .await
        })
    }

    /// Sends the request and answers with the body unread, as a stream (a streamed download).
    /// The default reads the whole body first; clients that can stream override it.
    fn open(
        &self,
        request: Request<Vec<u8>>,
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

    use directus_proto::{TransportError, TransportErrorKind};

    use super::*;

    pub(crate) fn default_client(config: &Config) -> Result<reqwest::Client, Error> {
        reqwest::Client::builder()
            .user_agent(concat!("directus-rs/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(config.connect_timeout_duration())
            // Streamed transfers have no overall timeout; a stall longer than this fails them.
            .read_timeout(config.timeout_duration())
            .build()
            .map_err(transport_error)
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

    impl HttpClient for reqwest::Client {
        fn send(
            &self,
            request: Request<Vec<u8>>,
            config: &Config,
        ) -> BoxFuture<'_, Result<Response<Vec<u8>>, Error>> {
            let limit = config.body_limit_bytes();
            let request = prepare(request, Some(config.timeout_duration()));
            Box::pin(async move {
                let response = self.execute(request?).await.map_err(transport_error)?;
                read_limited(response, limit).await
            })
        }

        fn send_streaming(
            &self,
            request: Request<Vec<u8>>,
            body: ByteStream,
            config: &Config,
        ) -> BoxFuture<'_, Result<Response<Vec<u8>>, Error>> {
            // A streamed transfer may take as long as it needs (the client's read timeout
            // catches a stall); the connect timeout applies.
            let (parts, _) = request.into_parts();
            let body = reqwest::Body::wrap_stream(body);
            let request = prepare(Request::from_parts(parts, body), None);
            let config = *config;
            Box::pin(async move {
                let response = self.execute(request?).await.map_err(transport_error)?;
                read_limited(response, config.body_limit_bytes()).await
            })
        }

        fn open(
            &self,
            request: Request<Vec<u8>>,
            _config: &Config,
        ) -> BoxFuture<'_, Result<Response<ByteStream>, Error>> {
            let request = prepare(request, None);
            Box::pin(async move {
                let mut response = self.execute(request?).await.map_err(transport_error)?;
                let mut head = Response::new(());
                *head.status_mut() = response.status();
                *head.headers_mut() = std::mem::take(response.headers_mut());
                let body = response
                    .bytes_stream()
                    .map(|chunk| chunk.map(Vec::from).map_err(transport_error))
                    .boxed();
                Ok(head.map(|()| body))
            })
        }
    }

    /// Reads a whole body, within the limit.
    async fn read_limited(
        mut response: reqwest::Response,
        limit: u64,
    ) -> Result<Response<Vec<u8>>, Error> {
        if response.content_length().is_some_and(|n| n > limit) {
            return Err(too_large(limit));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(transport_error)? {
            if body.len() as u64 + chunk.len() as u64 > limit {
                return Err(too_large(limit));
            }
            body.extend_from_slice(&chunk);
        }
        let mut answer = Response::new(body);
        *answer.status_mut() = response.status();
        *answer.headers_mut() = std::mem::take(response.headers_mut());
        Ok(answer)
    }

    fn too_large(limit: u64) -> Error {
        TransportError::new(
            TransportErrorKind::BodyTooLarge,
            format!("the response body is larger than the limit of {limit} bytes"),
        )
        .into()
    }
}

#[cfg(feature = "reqwest")]
pub(crate) use reqwest_client::default_client;
