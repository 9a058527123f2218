//! [`RetryPolicy`]: which failed attempts of a call are tried again, when, and until when.
//!
//! The policy is data; [`Call`](crate::Call) applies it and tells the driver how long to wait
//! ([`Step::Wait`](crate::Step::Wait)). The jitter's randomness comes from the driver (a seed
//! given to the [`Session`](crate::Session)), like the time.
//!
//! Whatever a policy says, **a write is never sent twice** unless the caller marks that one
//! operation idempotent ([`Operation::idempotent`](crate::Operation::idempotent)): only reads
//! (`GET`, `HEAD`, `SEARCH`) are retried. A refused token (`TOKEN_EXPIRED`) is another matter:
//! the server did nothing, so the call refreshes and repeats once, write or not, outside the
//! policy.
//!
//! ```
//! use directus_proto::RetryPolicy;
//! use std::time::Duration;
//!
//! let patient = RetryPolicy::new()
//!     .attempts(5)
//!     .on_server_errors(true)                 // 502, 503, 504
//!     .backoff(Duration::from_millis(200), Duration::from_secs(5))
//!     .deadline(Duration::from_secs(20));
//! // the 3rd retry waits a uniformly random time up to min(5 s, 200 ms * 2^2)
//! assert!(patient.delay(2, u64::MAX) <= Duration::from_millis(800));
//! assert_eq!(patient.delay(2, 0), Duration::ZERO);
//! ```

use std::time::Duration;

use http::StatusCode;

/// The longest `Retry-After` the default policy waits out; a longer one is returned as the
/// error it is.
pub const DEFAULT_MAX_RETRY_AFTER: Duration = Duration::from_secs(30);

/// Which failures of a read are tried again, how often and how long apart. See the
/// [module docs](self).
///
/// The default is what the client always did: one more attempt after a transport failure or a
/// `429` (waiting out its `Retry-After`, at most 30 s; 1 s when it has none), none after a
/// `5xx`, no overall deadline.
///
/// ```
/// use directus_proto::RetryPolicy;
/// let default = RetryPolicy::default();
/// assert_eq!(default.max_attempts(), 2);
/// assert_eq!(RetryPolicy::none().max_attempts(), 1);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    attempts: u32,
    transport: bool,
    server_errors: bool,
    rate_limited: bool,
    base: Duration,
    cap: Duration,
    max_retry_after: Duration,
    deadline: Option<Duration>,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            attempts: 2,
            transport: true,
            server_errors: false,
            rate_limited: true,
            base: Duration::ZERO,
            cap: Duration::from_secs(30),
            max_retry_after: DEFAULT_MAX_RETRY_AFTER,
            deadline: None,
        }
    }
}

/// What failed, as far as the policy is concerned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Failure {
    /// No answer: connect, timeout, I/O.
    Transport,
    /// An answer with this status.
    Status(StatusCode),
}

impl RetryPolicy {
    /// The default policy (see the type's docs).
    ///
    /// ```
    /// # use directus_proto::RetryPolicy;
    /// assert_eq!(RetryPolicy::new(), RetryPolicy::default());
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// No retries at all: every failure is returned at once.
    ///
    /// ```
    /// # use directus_proto::RetryPolicy;
    /// assert_eq!(RetryPolicy::none().max_attempts(), 1);
    /// ```
    pub fn none() -> Self {
        RetryPolicy {
            attempts: 1,
            ..Self::default()
        }
    }

    /// How many attempts a call makes at most, the first included (at least 1).
    ///
    /// ```
    /// # use directus_proto::RetryPolicy;
    /// assert_eq!(RetryPolicy::new().attempts(0).max_attempts(), 1);
    /// ```
    pub fn attempts(mut self, attempts: u32) -> Self {
        self.attempts = attempts.max(1);
        self
    }

    /// Whether transport failures (no answer) are retried. Default: yes.
    ///
    /// ```
    /// # use directus_proto::RetryPolicy;
    /// let _ = RetryPolicy::new().on_transport_errors(false);
    /// ```
    pub fn on_transport_errors(mut self, yes: bool) -> Self {
        self.transport = yes;
        self
    }

    /// Whether `502`, `503` and `504` answers are retried. Default: no.
    ///
    /// ```
    /// # use directus_proto::RetryPolicy;
    /// let _ = RetryPolicy::new().on_server_errors(true);
    /// ```
    pub fn on_server_errors(mut self, yes: bool) -> Self {
        self.server_errors = yes;
        self
    }

    /// Whether `429` answers are retried. Default: yes.
    ///
    /// ```
    /// # use directus_proto::RetryPolicy;
    /// let _ = RetryPolicy::new().on_rate_limit(false);
    /// ```
    pub fn on_rate_limit(mut self, yes: bool) -> Self {
        self.rate_limited = yes;
        self
    }

    /// Exponential backoff with full jitter: retry `n` (from 0) waits a uniformly random time
    /// between zero and `min(cap, base * 2^n)`. Default: no wait (base zero), except the 1 s a
    /// `429` without `Retry-After` waits.
    ///
    /// ```
    /// # use directus_proto::RetryPolicy;
    /// # use std::time::Duration;
    /// let p = RetryPolicy::new().backoff(Duration::from_millis(100), Duration::from_secs(1));
    /// assert!(p.delay(10, u64::MAX) <= Duration::from_secs(1));
    /// ```
    pub fn backoff(mut self, base: Duration, cap: Duration) -> Self {
        self.base = base;
        self.cap = cap;
        self
    }

    /// The longest `Retry-After` (of a `429` or `503`) waited out; a longer one ends the call
    /// with the error it is. Default: 30 s.
    ///
    /// ```
    /// # use directus_proto::RetryPolicy;
    /// # use std::time::Duration;
    /// let _ = RetryPolicy::new().max_retry_after(Duration::from_secs(5));
    /// ```
    pub fn max_retry_after(mut self, max: Duration) -> Self {
        self.max_retry_after = max;
        self
    }

    /// An overall deadline per call, from its first attempt: no retry starts (and no wait
    /// runs) past it; the call then fails with the last error, or a
    /// [`Timeout`](crate::TransportErrorKind::Timeout) when a wait would cross it. Each
    /// attempt is still bounded by [`Config::timeout`](crate::Config::timeout), so a call
    /// can end up to one attempt's timeout after its deadline. Default: none.
    ///
    /// ```
    /// # use directus_proto::RetryPolicy;
    /// # use std::time::Duration;
    /// let _ = RetryPolicy::new().deadline(Duration::from_secs(10));
    /// ```
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.deadline = Some(deadline);
        self
    }

    /// The most attempts a call makes, the first included.
    ///
    /// ```
    /// # use directus_proto::RetryPolicy;
    /// assert_eq!(RetryPolicy::new().attempts(4).max_attempts(), 4);
    /// ```
    pub fn max_attempts(&self) -> u32 {
        self.attempts
    }

    /// The overall deadline per call, if any.
    ///
    /// ```
    /// # use directus_proto::RetryPolicy;
    /// assert_eq!(RetryPolicy::new().deadline_duration(), None);
    /// ```
    pub fn deadline_duration(&self) -> Option<Duration> {
        self.deadline
    }

    /// The backoff before retry `retry` (0 for the first retry) with `random` bits: uniform in
    /// `[0, min(cap, base * 2^retry)]`. Never overflows.
    ///
    /// ```
    /// # use directus_proto::RetryPolicy;
    /// # use std::time::Duration;
    /// let p = RetryPolicy::new().backoff(Duration::from_secs(1), Duration::from_secs(60));
    /// assert!(p.delay(3, 12345) <= Duration::from_secs(8));
    /// assert!(p.delay(u32::MAX, u64::MAX) <= Duration::from_secs(60));
    /// ```
    pub fn delay(&self, retry: u32, random: u64) -> Duration {
        let factor = 1u32.checked_shl(retry.min(31)).unwrap_or(u32::MAX);
        let ceiling = self
            .base
            .checked_mul(factor)
            .unwrap_or(self.cap)
            .min(self.cap);
        // random / u64::MAX of the ceiling, in nanoseconds (u128: no overflow).
        let nanos = ceiling.as_nanos() * u128::from(random) / u128::from(u64::MAX);
        Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
    }

    /// Whether this failure is one the policy retries (for a request that may be retried).
    pub(crate) fn covers(&self, failure: Failure) -> bool {
        match failure {
            Failure::Transport => self.transport,
            Failure::Status(StatusCode::TOO_MANY_REQUESTS) => self.rate_limited,
            Failure::Status(
                StatusCode::BAD_GATEWAY
                | StatusCode::SERVICE_UNAVAILABLE
                | StatusCode::GATEWAY_TIMEOUT,
            ) => self.server_errors,
            Failure::Status(_) => false,
        }
    }

    /// The longest `Retry-After` waited out.
    pub(crate) fn retry_after_limit(&self) -> Duration {
        self.max_retry_after
    }
}

/// A small deterministic generator (splitmix64) for the jitter, seeded by the driver.
#[derive(Debug)]
pub(crate) struct Jitter(u64);

impl Jitter {
    pub(crate) fn new(seed: u64) -> Self {
        Jitter(seed)
    }

    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_stay_within_jitter_and_cap() {
        let p = RetryPolicy::new().backoff(Duration::from_millis(100), Duration::from_secs(2));
        let mut jitter = Jitter::new(7);
        for retry in 0..40 {
            let ceiling = Duration::from_millis(100)
                .checked_mul(1u32.checked_shl(retry.min(31)).unwrap_or(u32::MAX))
                .unwrap_or(Duration::from_secs(2))
                .min(Duration::from_secs(2));
            for _ in 0..100 {
                assert!(p.delay(retry, jitter.next()) <= ceiling);
            }
            assert_eq!(p.delay(retry, u64::MAX), ceiling, "the top of the range");
            assert_eq!(p.delay(retry, 0), Duration::ZERO);
        }
        // the spread is real: not every draw is the same
        let draws: std::collections::HashSet<_> =
            (0..50).map(|_| p.delay(3, jitter.next())).collect();
        assert!(draws.len() > 40);
    }

    #[test]
    fn only_the_chosen_failures_are_covered() {
        let default = RetryPolicy::default();
        assert!(default.covers(Failure::Transport));
        assert!(default.covers(Failure::Status(StatusCode::TOO_MANY_REQUESTS)));
        assert!(!default.covers(Failure::Status(StatusCode::SERVICE_UNAVAILABLE)));
        let servers = RetryPolicy::new().on_server_errors(true);
        for status in [502, 503, 504] {
            assert!(servers.covers(Failure::Status(StatusCode::from_u16(status).unwrap())));
        }
        for status in [400, 401, 403, 404, 500, 501] {
            assert!(!servers.covers(Failure::Status(StatusCode::from_u16(status).unwrap())));
        }
    }
}
