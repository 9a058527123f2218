//! [`CallOptions`]: one call's own retry policy and overall timeout, set on a handle's builder
//! (`.retry(policy)`, `.timeout(d)`) and carried by every [`Operation`] it builds.
//!
//! Two timeouts bound a call, and they bound different things:
//!
//! - [`Config::timeout`](crate::Config::timeout) bounds **one attempt**: sending the request
//!   and reading its answer. A call that retries makes several attempts, each with this bound.
//! - The per-call timeout ([`CallOptions::timeout`], [`Operation::timeout`]) bounds **the whole
//!   call**: every attempt and every wait between them (backoff, `Retry-After`). Each attempt
//!   gets what is left of it (or `Config::timeout` when that is shorter), and no wait or retry
//!   starts that would cross it: the call then ends with a
//!   [`Timeout`](crate::TransportErrorKind::Timeout) transport error. A token refresh the call
//!   waits for counts against it, but is not cut by it: the refresh serves every call of the
//!   session, so only `Config::timeout` bounds its requests.
//!
//! Streamed transfers (an upload from a reader or stream, a download handed back as a stream)
//! are not cut at the per-call timeout while their bytes flow (a big file takes what it
//! takes): for them the per-call timeout bounds the waits and retries and the reading of an
//! error answer, and a stall longer than [`Config::timeout`](crate::Config::timeout) fails
//! them, as without a per-call timeout.
//!
//! The py-directus client has neither; the JavaScript SDK leaves both to `fetch`
//! (`AbortSignal.timeout`).
//!
//! ```
//! use directus_proto::{BaseUrl, CallOptions, Items, RetryPolicy};
//! use std::time::Duration;
//!
//! let base = BaseUrl::parse("http://127.0.0.1:8055").unwrap();
//! let posts = Items::<serde_json::Value>::new("posts")
//!     .retry(RetryPolicy::new().attempts(4).on_server_errors(true))
//!     .timeout(Duration::from_secs(5));
//! let read = posts.read(&base).unwrap();
//! assert_eq!(read.timeout_duration(), Some(Duration::from_secs(5)));
//! assert_eq!(read.retry_policy().unwrap().max_attempts(), 4);
//! ```

use std::time::Duration;

use crate::{Operation, RetryPolicy};

/// A call's own retry policy and overall timeout (see the [module docs](self)); unset fields
/// leave the session's policy and no overall timeout.
///
/// ```
/// use directus_proto::{CallOptions, RetryPolicy};
/// use std::time::Duration;
///
/// let options = CallOptions::new().retry(RetryPolicy::none()).timeout(Duration::from_secs(2));
/// assert_eq!(options.timeout_duration(), Some(Duration::from_secs(2)));
/// assert_eq!(options.retry_policy(), Some(&RetryPolicy::none()));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CallOptions {
    retry: Option<RetryPolicy>,
    timeout: Option<Duration>,
}

impl CallOptions {
    /// No overrides.
    ///
    /// ```
    /// # use directus_proto::CallOptions;
    /// assert_eq!(CallOptions::new().timeout_duration(), None);
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// The call's own [`RetryPolicy`], instead of the session's.
    ///
    /// ```
    /// # use directus_proto::{CallOptions, RetryPolicy};
    /// let options = CallOptions::new().retry(RetryPolicy::new().attempts(3));
    /// assert_eq!(options.retry_policy().unwrap().max_attempts(), 3);
    /// ```
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = Some(policy);
        self
    }

    /// The call's overall timeout: all its attempts and waits (see the [module docs](self)).
    ///
    /// ```
    /// # use directus_proto::CallOptions;
    /// # use std::time::Duration;
    /// let options = CallOptions::new().timeout(Duration::from_millis(1500));
    /// assert_eq!(options.timeout_duration(), Some(Duration::from_millis(1500)));
    /// ```
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// The call's own retry policy, if set.
    ///
    /// ```
    /// # use directus_proto::CallOptions;
    /// assert!(CallOptions::new().retry_policy().is_none());
    /// ```
    pub fn retry_policy(&self) -> Option<&RetryPolicy> {
        self.retry.as_ref()
    }

    /// The call's overall timeout, if set.
    ///
    /// ```
    /// # use directus_proto::CallOptions;
    /// assert!(CallOptions::new().timeout_duration().is_none());
    /// ```
    pub fn timeout_duration(&self) -> Option<Duration> {
        self.timeout
    }

    /// `operation` with these overrides (fields left unset keep the operation's own).
    ///
    /// ```
    /// # use directus_proto::{BaseUrl, CallOptions, Operation, response};
    /// # use std::time::Duration;
    /// let base = BaseUrl::parse("http://localhost").unwrap();
    /// let op: Operation<()> = Operation::get(&base, "/server/ping", response::empty).unwrap();
    /// let op = CallOptions::new().timeout(Duration::from_secs(1)).apply(op);
    /// assert_eq!(op.timeout_duration(), Some(Duration::from_secs(1)));
    /// ```
    pub fn apply<T>(&self, mut operation: Operation<T>) -> Operation<T> {
        if let Some(policy) = &self.retry {
            operation = operation.retry(policy.clone());
        }
        if let Some(timeout) = self.timeout {
            operation = operation.timeout(timeout);
        }
        operation
    }
}
