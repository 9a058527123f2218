//! Moving bytes with ureq: send a request, read the answer within the limits.

use std::io::Read;

use directus_proto::{Config, Error, TransportError, TransportErrorKind};
use http::{Request, Response};

/// How the overall timeout applies to a request.
#[derive(Clone, Copy)]
enum Budget {
    /// To the whole exchange, answer included.
    Whole,
    /// To each read and write: a streamed transfer may take as long as it needs, but a stall
    /// longer than the timeout fails.
    Idle,
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

    /// The timeouts and limits (the realtime socket applies them too).
    pub(crate) fn config(&self) -> Config {
        self.config
    }

    pub(crate) fn send(&self, request: Request<Vec<u8>>) -> Result<Response<Vec<u8>>, Error> {
        let response = self.open(request, Budget::Whole)?;
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
        let response = self.open(request, Budget::Idle)?;
        self.read_all(response)
    }

    /// Sends a request and hands back the answer with its body unread (a streamed download).
    pub(crate) fn open_stream(
        &self,
        request: Request<Vec<u8>>,
    ) -> Result<Response<ureq::Body>, Error> {
        self.open(request, Budget::Idle)
    }

    fn open<S: ureq::AsSendBody>(
        &self,
        request: Request<S>,
        budget: Budget,
    ) -> Result<Response<ureq::Body>, Error> {
        let timeout = Some(self.config.timeout_duration());
        let config = self
            .agent
            .configure_request(request)
            // 4xx and 5xx are answers that proto reads, not transport errors.
            .http_status_as_error(false)
            .allow_non_standard_methods(true)
            .timeout_connect(Some(self.config.connect_timeout_duration()));
        let request = match budget {
            Budget::Whole => config.timeout_global(timeout),
            Budget::Idle => config.timeout_per_read(timeout).timeout_per_write(timeout),
        }
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
            .limit(self.config.body_limit_bytes())
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
