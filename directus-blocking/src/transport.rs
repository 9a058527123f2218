//! Moving bytes with ureq: send a request, read the answer within the limits.

use std::io::Read;
use std::time::Duration;

use directus_proto::{Error, TransportError, TransportErrorKind};
use http::{Request, Response};

/// Timeouts and limits of the transport.
///
/// ```
/// use directus_blocking::Config;
/// use std::time::Duration;
///
/// let config = Config::default()
///     .timeout(Duration::from_secs(10))
///     .connect_timeout(Duration::from_secs(2))
///     .body_limit(1 << 20);
/// assert_eq!(config.body_limit_bytes(), 1 << 20);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Config {
    timeout: Duration,
    connect_timeout: Duration,
    body_limit: u64,
}

impl Default for Config {
    /// 60 s overall, 10 s to connect, 32 MiB of response body.
    fn default() -> Self {
        Config {
            timeout: Duration::from_secs(60),
            connect_timeout: Duration::from_secs(10),
            body_limit: 32 * 1024 * 1024,
        }
    }
}

impl Config {
    /// The overall time a request may take, answer included.
    ///
    /// ```
    /// # use directus_blocking::Config;
    /// let _ = Config::default().timeout(std::time::Duration::from_secs(5));
    /// ```
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The time connecting may take.
    ///
    /// ```
    /// # use directus_blocking::Config;
    /// let _ = Config::default().connect_timeout(std::time::Duration::from_secs(1));
    /// ```
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// The largest response body read into memory; a larger one is a
    /// [`TransportErrorKind::BodyTooLarge`] error.
    ///
    /// ```
    /// # use directus_blocking::Config;
    /// let _ = Config::default().body_limit(10 * 1024 * 1024);
    /// ```
    pub fn body_limit(mut self, bytes: u64) -> Self {
        self.body_limit = bytes;
        self
    }

    /// The body limit in bytes.
    ///
    /// ```
    /// # use directus_blocking::Config;
    /// assert_eq!(Config::default().body_limit_bytes(), 32 * 1024 * 1024);
    /// ```
    pub fn body_limit_bytes(&self) -> u64 {
        self.body_limit
    }
}

/// The agent with the user's pool and this crate's per-request settings.
#[derive(Clone, Debug)]
pub(crate) struct Transport {
    agent: ureq::Agent,
    config: Config,
}

impl Transport {
    pub(crate) fn new(agent: ureq::Agent, config: Config) -> Self {
        Transport { agent, config }
    }

    pub(crate) fn send(&self, request: Request<Vec<u8>>) -> Result<Response<Vec<u8>>, Error> {
        let response = self.open(request, self.config.timeout)?;
        self.read_all(response)
    }

    /// Sends a request whose body is `reader` (a streamed upload).
    pub(crate) fn send_reader(
        &self,
        request: Request<Vec<u8>>,
        reader: &mut dyn Read,
    ) -> Result<Response<Vec<u8>>, Error> {
        let (parts, _) = request.into_parts();
        let request = Request::from_parts(parts, ureq::SendBody::from_reader(reader));
        // A streamed transfer may take as long as it needs; the connect timeout still applies.
        let response = self.open(request, None)?;
        self.read_all(response)
    }

    /// Sends a request and hands back the answer with its body unread (a streamed download).
    pub(crate) fn open_stream(
        &self,
        request: Request<Vec<u8>>,
    ) -> Result<Response<ureq::Body>, Error> {
        self.open(request, None)
    }

    fn open<S: ureq::AsSendBody>(
        &self,
        request: Request<S>,
        timeout: impl Into<Option<Duration>>,
    ) -> Result<Response<ureq::Body>, Error> {
        let request = self
            .agent
            .configure_request(request)
            // 4xx and 5xx are answers that proto reads, not transport errors.
            .http_status_as_error(false)
            .allow_non_standard_methods(true)
            .timeout_global(timeout.into())
            .timeout_connect(Some(self.config.connect_timeout))
            .build();
        self.agent.run(request).map_err(transport_error)
    }

    /// Reads a whole body, within the limit.
    pub(crate) fn read_all(
        &self,
        response: Response<ureq::Body>,
    ) -> Result<Response<Vec<u8>>, Error> {
        let (parts, mut body) = response.into_parts();
        let bytes = body
            .with_config()
            .limit(self.config.body_limit)
            .read_to_vec()
            .map_err(transport_error)?;
        Ok(Response::from_parts(parts, bytes))
    }
}

pub(crate) fn transport_error(error: ureq::Error) -> Error {
    use TransportErrorKind as K;
    let kind = match &error {
        ureq::Error::Timeout(_) => K::Timeout,
        ureq::Error::HostNotFound | ureq::Error::ConnectionFailed => K::Connect,
        ureq::Error::BodyExceedsLimit(_) => K::BodyTooLarge,
        ureq::Error::Tls(_) | ureq::Error::TlsRequired => K::Tls,
        ureq::Error::Io(io) if io.kind() == std::io::ErrorKind::ConnectionRefused => K::Connect,
        ureq::Error::Io(io) if io.kind() == std::io::ErrorKind::TimedOut => K::Timeout,
        ureq::Error::Io(_) => K::Io,
        _ => K::Other,
    };
    let message = error.to_string();
    TransportError::new(kind, message).with_source(error).into()
}
