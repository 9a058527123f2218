//! Test support for the integration tests: the server handle and the fixture schema.
//!
//! The integration tests run against a real Directus server. `bash scripts/test.sh` starts one
//! (see `tests/server/directus-server`), creates the fixture schema ([`fixtures::ensure`]) and
//! runs `cargo test --workspace` with `DIRECTUS_URL`, `DIRECTUS_ADMIN_EMAIL` and
//! `DIRECTUS_ADMIN_PASSWORD` exported. A test that finds no server fails: it never skips.

pub mod fixtures;
pub mod proxy;
pub mod realtime;
pub mod scenarios;
pub mod tcp_proxy;

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

pub use fixtures::Fixtures;

/// The Directus server the tests run against, read from the environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Server {
    /// Base URL, e.g. `http://127.0.0.1:41234` (no trailing slash).
    pub url: String,
    /// E-mail of the bootstrap admin account.
    pub admin_email: String,
    /// Password of the bootstrap admin account.
    pub admin_password: String,
}

const HOW_TO_RUN: &str = "the integration tests need a running Directus server: run `bash scripts/test.sh` \
     (it installs and starts one on loopback), or set DIRECTUS_URL, DIRECTUS_ADMIN_EMAIL and \
     DIRECTUS_ADMIN_PASSWORD for an existing server (e.g. `eval \"$(tests/server/directus-server env)\"` \
     after `tests/server/directus-server start`)";

impl Server {
    /// Reads `DIRECTUS_URL`, `DIRECTUS_ADMIN_EMAIL` and `DIRECTUS_ADMIN_PASSWORD`.
    ///
    /// # Panics
    ///
    /// If one of them is missing or empty: the tests must not silently pass without a server.
    pub fn from_env() -> Server {
        match Server::try_from_env() {
            Ok(server) => server,
            Err(missing) => panic!("{missing} is not set: {HOW_TO_RUN}"),
        }
    }

    /// Like [`Server::from_env`], but answers the name of the first missing variable.
    pub fn try_from_env() -> Result<Server, String> {
        let var = |name: &str| match std::env::var(name) {
            Ok(value) if !value.trim().is_empty() => Ok(value.trim().to_owned()),
            _ => Err(name.to_owned()),
        };
        Ok(Server {
            url: var("DIRECTUS_URL")?.trim_end_matches('/').to_owned(),
            admin_email: var("DIRECTUS_ADMIN_EMAIL")?,
            admin_password: var("DIRECTUS_ADMIN_PASSWORD")?,
        })
    }

    /// The fixture schema, ensured once per test process (idempotent, see [`fixtures::ensure`]).
    ///
    /// # Panics
    ///
    /// If the fixtures cannot be created (server unreachable, wrong credentials...).
    pub fn fixtures(&self) -> &'static Fixtures {
        static FIXTURES: OnceLock<Fixtures> = OnceLock::new();
        FIXTURES.get_or_init(|| {
            match fixtures::ensure(&self.url, &self.admin_email, &self.admin_password) {
                Ok(fixtures) => fixtures,
                Err(err) => panic!("fixture setup against {} failed: {err}", self.url),
            }
        })
    }

    /// The path of the server log, when the harness started the server (`DIRECTUS_LOG`).
    pub fn log_path() -> Option<String> {
        std::env::var("DIRECTUS_LOG").ok().filter(|p| !p.is_empty())
    }
}

/// A value no other test (in this or another process, this run or an earlier one) produces:
/// `<prefix>-<pid>-<counter>-<nanosecond nonce>`. Use it for the `run` column and for names
/// that must not collide, so tests can run in parallel against one server.
pub fn unique(prefix: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!(
        "{prefix}-{}-{n}-{:x}",
        std::process::id(),
        nanos & 0xffff_ffff_ffff
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unique_values_differ() {
        let a = unique("t");
        let b = unique("t");
        assert_ne!(a, b);
        assert!(a.starts_with("t-"));
    }
}
