//! Moving bytes with ureq: send a request, read the answer within the limits.

use std::io::Read;
use std::time::Instant;

use directus_proto::{Body, Bytes, Config, Error, TransportError, TransportErrorKind};
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

/// What every request needs of ureq, on an agent's or a request's config builder: 4xx and
/// 5xx are answers that proto reads, not transport errors; so are 3xx (proto decides which
/// redirects to follow, never one that would carry credentials or a body to another origin);
/// `SEARCH` is a method; `config`'s connect timeout.
macro_rules! exchange_settings {
    ($builder:expr, $config:expr) => {
        $builder
            .http_status_as_error(false)
            .max_redirects(0)
            .allow_non_standard_methods(true)
            .timeout_connect(Some($config.connect_timeout_duration()))
    };
}

/// The agent with the user's pool and this crate's per-request settings.
#[derive(Clone, Debug)]
pub(crate) struct Transport {
    agent: ureq::Agent,
    config: Config,
    /// The config the agent itself was built with (an agent of this crate's own): a request
    /// of the whole-exchange budget under it needs no request-level config, which ureq would
    /// build by copying the agent's for every request.
    preset: Option<Config>,
}

impl Transport {
    /// A transport over the caller's own agent: every request carries this crate's settings.
    pub(crate) fn new(agent: ureq::Agent, config: Config) -> Self {
        Transport {
            agent,
            config,
            preset: None,
        }
    }

    /// A transport over an agent of its own, built with `config`'s settings and a resolver
    /// that spends no thread per request (see `resolve`).
    pub(crate) fn own(config: Config) -> Self {
        let agent_config = exchange_settings!(ureq::Agent::config_builder(), config)
            .timeout_global(Some(config.timeout_duration()))
            .user_agent(concat!("directus-rs/", env!("CARGO_PKG_VERSION")))
            .build();
        let agent = ureq::Agent::with_parts(
            agent_config,
            ureq::unversioned::transport::DefaultConnector::new(),
            crate::resolve::Resolver::default(),
        );
        Transport {
            agent,
            config,
            preset: Some(config),
        }
    }

    /// The same agent with other timeouts and limits (one attempt of a call with its own
    /// timeout).
    pub(crate) fn with_config(&self, config: Config) -> Self {
        Transport {
            agent: self.agent.clone(),
            config,
            preset: self.preset,
        }
    }

    /// The timeouts and limits (the realtime socket applies them too).
    pub(crate) fn config(&self) -> Config {
        self.config
    }

    pub(crate) fn send(&self, request: Request<Body>) -> Result<Response<Bytes>, Error> {
        let (parts, body) = request.into_parts();
        let response = if body.is_empty() && !carries_body(&parts.method) {
            // A read: no body, and no `Content-Length: 0` either.
            self.open(Request::from_parts(parts, ()), Budget::Whole)?
        } else {
            // Sent from the body's own bytes: no copy.
            self.open(Request::from_parts(parts, body.as_bytes()), Budget::Whole)?
        };
        self.read_all(response)
    }

    /// Sends a request whose body is `reader` (a streamed upload).
    pub(crate) fn send_reader(
        &self,
        request: Request<Body>,
        reader: &mut dyn Read,
    ) -> Result<Response<Bytes>, Error> {
        let (parts, _) = request.into_parts();
        let request = Request::from_parts(parts, ureq::SendBody::from_reader(reader));
        let response = self.open(request, Budget::Idle)?;
        self.read_answer(response)
    }

    /// Sends a request and hands back the answer with its body unread (a streamed download).
    pub(crate) fn open_stream(
        &self,
        request: Request<Body>,
    ) -> Result<Response<ureq::Body>, Error> {
        let (parts, body) = request.into_parts();
        self.open(Request::from_parts(parts, body.as_bytes()), Budget::Idle)
    }

    fn open<S: ureq::AsSendBody>(
        &self,
        request: Request<S>,
        budget: Budget,
    ) -> Result<Response<ureq::Body>, Error> {
        if matches!(budget, Budget::Whole) && self.preset == Some(self.config) {
            // The agent's own settings are this request's.
            return self.agent.run(request).map_err(transport_error);
        }
        let timeout = Some(self.config.timeout_duration());
        let config = exchange_settings!(self.agent.configure_request(request), self.config);
        let request = match budget {
            Budget::Whole => config.timeout_global(timeout),
            // An agent of this crate's own has an overall timeout, which a stream does not.
            Budget::Idle => config
                .timeout_global(None)
                .timeout_per_read(timeout)
                .timeout_per_write(timeout),
        }
        .build();
        self.agent.run(request).map_err(transport_error)
    }

    /// Reads a whole body, within the limit (the overall timeout of a [`Budget::Whole`]
    /// request covers it).
    fn read_all(&self, response: Response<ureq::Body>) -> Result<Response<Bytes>, Error> {
        let (parts, mut body) = response.into_parts();
        let bytes = body
            .with_config()
            .limit(self.config.body_limit_bytes())
            .read_to_vec()
            .map_err(transport_error)?;
        Ok(Response::from_parts(parts, Bytes::from(bytes)))
    }

    /// Reads the whole answer of a streamed request (whose per-read timeout alone would let a
    /// body that trickles in forever run on), within the limit and the overall timeout.
    pub(crate) fn read_answer(
        &self,
        response: Response<ureq::Body>,
    ) -> Result<Response<Bytes>, Error> {
        let limit = self.config.body_limit_bytes();
        let timeout = self.config.timeout_duration();
        let deadline = Instant::now().checked_add(timeout);
        let (parts, body) = response.into_parts();
        let mut reader = body.into_with_config().limit(limit).reader();
        let mut bytes = Vec::new();
        let mut chunk = [0u8; 16 * 1024];
        loop {
            let n = reader.read(&mut chunk).map_err(|e| read_error(e, limit))?;
            if n == 0 {
                break;
            }
            bytes.extend_from_slice(&chunk[..n]);
            if deadline.is_some_and(|at| Instant::now() >= at) {
                return Err(TransportError::new(
                    TransportErrorKind::Timeout,
                    format!("the response body was not read within {timeout:?}"),
                )
                .into());
            }
        }
        Ok(Response::from_parts(parts, Bytes::from(bytes)))
    }
}

/// Whether a request of `method` says how long its body is even when it is empty (a `POST`
/// of nothing still sends `Content-Length: 0`).
fn carries_body(method: &http::Method) -> bool {
    *method == http::Method::POST || *method == http::Method::PUT || *method == http::Method::PATCH
}

/// An error of ureq's body reader, which wraps ureq's own errors in `io::Error`.
fn read_error(error: std::io::Error, limit: u64) -> Error {
    match error.downcast::<ureq::Error>() {
        Ok(ureq::Error::BodyExceedsLimit(_)) => TransportError::new(
            TransportErrorKind::BodyTooLarge,
            format!("the response body is larger than the limit of {limit} bytes"),
        )
        .into(),
        Ok(other) => transport_error(other),
        Err(io) => transport_error(ureq::Error::Io(io)),
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
