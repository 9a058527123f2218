//! [`Config`]: the timeouts and limits every driver applies to its transport.

use std::time::{Duration, Instant};

use crate::{Error, TransportError, TransportErrorKind};

/// Timeouts and limits of the transport.
///
/// ```
/// use directus_proto::Config;
/// use std::time::Duration;
///
/// let config = Config::default().timeout(Duration::from_secs(10)).body_limit(1 << 20);
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
    /// The overall time one attempt of a request may take, answer included (a call's own
    /// timeout, [`Operation::timeout`](crate::Operation::timeout), bounds all its attempts
    /// together: see [`call_options`](crate::call_options)). A call may make
    /// more than one attempt: a read that failed in transport is sent once more (so it can take
    /// up to twice this), a `429` on a read waits out its `Retry-After` (at most 30 s) first, and
    /// a `TOKEN_EXPIRED` answer adds a refresh and a repeat. Streamed uploads and downloads have
    /// no overall bound (a big file takes what it takes): for them this bounds each read and
    /// write instead, so a stalled transfer still fails, and the answer (or error answer) they
    /// read into memory is read within this time.
    ///
    /// ```
    /// # use directus_proto::Config;
    /// let _ = Config::default().timeout(std::time::Duration::from_secs(5));
    /// ```
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The time connecting may take (the async driver applies it to the client it builds; a
    /// client you pass in keeps its own connect timeout).
    ///
    /// ```
    /// # use directus_proto::Config;
    /// let _ = Config::default().connect_timeout(std::time::Duration::from_secs(1));
    /// ```
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// The largest response body read into memory; a larger one is a
    /// [`TransportErrorKind::BodyTooLarge`](crate::TransportErrorKind::BodyTooLarge) error.
    ///
    /// ```
    /// # use directus_proto::Config;
    /// let _ = Config::default().body_limit(10 * 1024 * 1024);
    /// ```
    pub fn body_limit(mut self, bytes: u64) -> Self {
        self.body_limit = bytes;
        self
    }

    /// The overall timeout.
    ///
    /// ```
    /// # use directus_proto::Config;
    /// assert_eq!(Config::default().timeout_duration().as_secs(), 60);
    /// ```
    pub fn timeout_duration(&self) -> Duration {
        self.timeout
    }

    /// The connect timeout.
    ///
    /// ```
    /// # use directus_proto::Config;
    /// assert_eq!(Config::default().connect_timeout_duration().as_secs(), 10);
    /// ```
    pub fn connect_timeout_duration(&self) -> Duration {
        self.connect_timeout
    }

    /// The body limit in bytes.
    ///
    /// ```
    /// # use directus_proto::Config;
    /// assert_eq!(Config::default().body_limit_bytes(), 32 * 1024 * 1024);
    /// ```
    pub fn body_limit_bytes(&self) -> u64 {
        self.body_limit
    }

    /// This configuration for one attempt of a call that must end by `deadline` (see
    /// [`Exchange::deadline`](crate::Exchange::deadline)): the timeouts shortened to what is
    /// left, never lengthened; a [`Timeout`](TransportErrorKind::Timeout) error when nothing
    /// is left. Drivers call it before every attempt.
    ///
    /// ```
    /// use directus_proto::Config;
    /// use std::time::{Duration, Instant};
    ///
    /// let now = Instant::now();
    /// let config = Config::default();
    /// assert_eq!(config.within(None, now).unwrap(), config);
    /// let soon = config.within(Some(now + Duration::from_secs(2)), now).unwrap();
    /// assert_eq!(soon.timeout_duration(), Duration::from_secs(2));
    /// assert_eq!(soon.connect_timeout_duration(), Duration::from_secs(2));
    /// assert!(config.within(Some(now), now).is_err());
    /// ```
    pub fn within(self, deadline: Option<Instant>, now: Instant) -> Result<Config, Error> {
        let Some(deadline) = deadline else {
            return Ok(self);
        };
        let left = deadline.saturating_duration_since(now);
        if left.is_zero() {
            return Err(Error::Transport(TransportError::new(
                TransportErrorKind::Timeout,
                "the call's timeout ran out before its next attempt",
            )));
        }
        Ok(Config {
            timeout: self.timeout.min(left),
            connect_timeout: self.connect_timeout.min(left),
            ..self
        })
    }
}
