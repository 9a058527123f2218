//! Per-call overrides on the handles (collections, singletons, files): `.retry(policy)` and
//! `.timeout(d)`, applied to every call the handle makes (see
//! [`directus_proto::call_options`] for what each timeout bounds).
//!
//! Any other call takes the same overrides on its operation
//! ([`Operation::retry`](directus_proto::Operation::retry),
//! [`Operation::timeout`](directus_proto::Operation::timeout)) run with [`Directus::run`](crate::Directus::run).

use std::time::Duration;

use directus_proto::RetryPolicy;

use crate::collection::{Collection, Singleton};

impl<T> Collection<'_, T> {
    /// This handle's calls use `policy` instead of the client's retry policy (writes are
    /// still never sent twice).
    ///
    /// ```no_run
    /// # use directus_blocking::Directus;
    /// use directus_proto::RetryPolicy;
    /// use std::time::Duration;
    /// # let directus = Directus::with_token("http://127.0.0.1:8055", "t")?;
    /// let patient = RetryPolicy::new()
    ///     .attempts(4)
    ///     .on_server_errors(true)
    ///     .backoff(Duration::from_millis(100), Duration::from_secs(2));
    /// let page = directus.collection("posts").retry(patient).read()?;
    /// # Ok::<(), directus_blocking::Error>(())
    /// ```
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.items = self.items.retry(policy);
        self
    }

    /// Each call of this handle must be over within `timeout`, its retries and waits
    /// included; otherwise it ends with a
    /// [`Timeout`](directus_proto::TransportErrorKind::Timeout) transport error.
    /// [`Config::timeout`](directus_proto::Config::timeout) still bounds each attempt.
    ///
    /// ```no_run
    /// # use directus_blocking::Directus;
    /// use std::time::Duration;
    /// # let directus = Directus::with_token("http://127.0.0.1:8055", "t")?;
    /// let page = directus.collection("posts").timeout(Duration::from_secs(2)).read()?;
    /// # Ok::<(), directus_blocking::Error>(())
    /// ```
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.items = self.items.timeout(timeout);
        self
    }
}

impl<T> Singleton<'_, T> {
    /// This handle's calls use `policy` instead of the client's retry policy.
    ///
    /// ```no_run
    /// # use directus_blocking::Directus;
    /// use directus_proto::RetryPolicy;
    /// # let directus = Directus::with_token("http://127.0.0.1:8055", "t")?;
    /// let settings = directus.singleton("settings_page").retry(RetryPolicy::none()).read()?;
    /// # Ok::<(), directus_blocking::Error>(())
    /// ```
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.items = self.items.retry(policy);
        self
    }

    /// Each call of this handle must be over within `timeout`, retries included.
    ///
    /// ```no_run
    /// # use directus_blocking::Directus;
    /// use std::time::Duration;
    /// # let directus = Directus::with_token("http://127.0.0.1:8055", "t")?;
    /// let settings = directus.singleton("settings_page").timeout(Duration::from_secs(1)).read()?;
    /// # Ok::<(), directus_blocking::Error>(())
    /// ```
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.items = self.items.timeout(timeout);
        self
    }
}

impl crate::files::Files<'_> {
    /// This handle's calls use `policy` instead of the client's retry policy (uploads and
    /// other writes are still never sent twice).
    ///
    /// ```no_run
    /// # use directus_blocking::Directus;
    /// use directus_proto::RetryPolicy;
    /// # let directus = Directus::with_token("http://127.0.0.1:8055", "t")?;
    /// let files = directus.files().retry(RetryPolicy::new().attempts(3).on_server_errors(true));
    /// # Ok::<(), directus_blocking::Error>(())
    /// ```
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.options = self.options.retry(policy);
        self
    }

    /// Each call of this handle must be over within `timeout`, retries included (a streamed
    /// transfer is not cut while its bytes flow: see [`directus_proto::call_options`]).
    ///
    /// ```no_run
    /// # use directus_blocking::Directus;
    /// use std::time::Duration;
    /// # let directus = Directus::with_token("http://127.0.0.1:8055", "t")?;
    /// let files = directus.files().timeout(Duration::from_secs(30));
    /// # Ok::<(), directus_blocking::Error>(())
    /// ```
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.options = self.options.timeout(timeout);
        self
    }
}
