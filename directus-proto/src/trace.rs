//! What a call tells [`tracing`](https://docs.rs/tracing) with the `tracing` feature (off by
//! default; the drivers' `tracing` feature turns it on): one span per call, named
//! `directus.call`, and events for retries, waits, refreshes and `TOKEN_EXPIRED` repeats.
//!
//! | span field | value |
//! |---|---|
//! | `method` | `GET`, `POST`... |
//! | `route` | the [route template](crate::route): `/items/posts/{key}`, never a key unless [`Session::trace_keys`](crate::Session::trace_keys) |
//! | `status` | the last answer's status |
//! | `attempt` | how many requests the call sent |
//! | `bytes_in`, `bytes_out` | the last answer's and request's body sizes |
//! | `cache_hit` | `true` when served from the cache (nothing sent) |
//!
//! Events (target `directus`, level `DEBUG`): `retry` (fields `attempt`, `wait_ms`, `cause`),
//! `token expired, refreshing and repeating`, and `refresh` (field `role`: `winner` for the
//! caller that refreshes, `waiter` for one that found the tokens refreshed by another). No
//! token, password, cookie or body is ever recorded; a retry's `cause` is a status or a
//! transport error kind, never a message (which could quote a URL).
//!
//! Without the feature every function here does nothing and costs nothing.

#[cfg(feature = "tracing")]
mod enabled {
    use std::time::Duration;

    use http::Method;

    /// The span of one call.
    #[derive(Debug)]
    pub(crate) struct CallSpan(tracing::Span);

    impl CallSpan {
        /// The span of a call of `method` on `path`, which shows as its route template
        /// unless `keys`.
        pub(crate) fn new(method: &Method, path: &str, keys: bool) -> Self {
            let span = tracing::info_span!(
                target: "directus",
                "directus.call",
                method = %method,
                route = tracing::field::Empty,
                status = tracing::field::Empty,
                attempt = tracing::field::Empty,
                bytes_in = tracing::field::Empty,
                bytes_out = tracing::field::Empty,
                cache_hit = false,
            );
            // The template is worked out only for a span somebody records.
            if !span.is_disabled() {
                let route = if keys {
                    path.to_owned()
                } else {
                    crate::route::template(path)
                };
                span.record("route", route.as_str());
            }
            CallSpan(span)
        }

        pub(crate) fn answered(
            &self,
            status: Option<u16>,
            attempt: u32,
            bytes_in: usize,
            bytes_out: usize,
        ) {
            if let Some(status) = status {
                self.0.record("status", status);
            }
            self.0.record("attempt", attempt);
            self.0.record("bytes_in", bytes_in as u64);
            self.0.record("bytes_out", bytes_out as u64);
        }

        pub(crate) fn cache_hit(&self) {
            self.0.record("cache_hit", true);
            self.0.record("status", 200u16);
            self.0.record("attempt", 0u32);
        }

        pub(crate) fn span(&self) -> &tracing::Span {
            &self.0
        }
    }

    pub(crate) fn retry(attempt: u32, wait: Duration, cause: &dyn std::fmt::Display) {
        tracing::debug!(
            target: "directus",
            attempt,
            wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
            cause = %cause,
            "retry"
        );
    }

    pub(crate) fn token_expired() {
        tracing::debug!(target: "directus", "token expired, refreshing and repeating");
    }

    pub(crate) fn refresh(winner: bool) {
        tracing::debug!(
            target: "directus",
            role = if winner { "winner" } else { "waiter" },
            "refresh"
        );
    }
}

#[cfg(not(feature = "tracing"))]
mod enabled {
    use std::time::Duration;

    use http::Method;

    #[derive(Debug)]
    pub(crate) struct CallSpan;

    impl CallSpan {
        pub(crate) fn new(_: &Method, _: &str, _: bool) -> Self {
            CallSpan
        }
        pub(crate) fn answered(&self, _: Option<u16>, _: u32, _: usize, _: usize) {}
        pub(crate) fn cache_hit(&self) {}
    }

    pub(crate) fn retry(_: u32, _: Duration, _: &dyn std::fmt::Display) {}
    pub(crate) fn token_expired() {}
    pub(crate) fn refresh(_: bool) {}
}

pub(crate) use enabled::*;
