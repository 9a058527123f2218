//! Test support for the integration tests: the server handle and the fixture schema.
//!
//! The integration tests run against a real Directus server. `bash scripts/test.sh` starts one
//! (see `tests/server/directus-server`), creates the fixture schema ([`fixtures::ensure`]) and
//! runs `cargo test --workspace` with `DIRECTUS_URL`, `DIRECTUS_ADMIN_EMAIL` and
//! `DIRECTUS_ADMIN_PASSWORD` exported. A test that finds no server fails: it never skips.

pub mod fixtures;
pub mod proxy;
pub mod scenarios;
pub mod shapes;

use std::io::Write;
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
    /// # Exits
    ///
    /// If one of them is missing or empty: the tests must not silently pass without a server.
    /// The whole test process then ends with status 2 after printing how to run the tests,
    /// once, as the last thing on screen (rather than one failure per test).
    pub fn from_env() -> Server {
        match Server::try_from_env() {
            Ok(server) => server,
            Err(missing) => no_server(&missing),
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

/// The database behind the test server, from `DIRECTUS_DB` (`sqlite` or `postgres`, exported by
/// `tests/server/directus-server env`; unset means `sqlite`, the harness's default). Tests use
/// it where the server itself answers differently (the library's own business, such as decimals
/// arriving as strings, is handled the same on both and needs no branch).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Database {
    /// SQLite (the default test server).
    Sqlite,
    /// PostgreSQL (`DIRECTUS_RS_DB=postgres` for `directus-server start`).
    Postgres,
}

impl Database {
    /// Reads `DIRECTUS_DB`.
    ///
    /// # Panics
    ///
    /// On a value other than `sqlite`, `postgres` or empty.
    pub fn from_env() -> Database {
        match std::env::var("DIRECTUS_DB").unwrap_or_default().trim() {
            "" | "sqlite" => Database::Sqlite,
            "postgres" => Database::Postgres,
            other => panic!("DIRECTUS_DB must be sqlite or postgres, not {other:?}"),
        }
    }
}

/// Prints how to run the integration tests (once per process, however many tests notice) and
/// ends the test process.
fn no_server(missing: &str) -> ! {
    static ONCE: std::sync::Mutex<()> = std::sync::Mutex::new(());
    // The first test to get here prints and exits; the others wait here until the process ends.
    let _guard = ONCE.lock();
    // Straight to the stderr stream: the test harness captures `eprintln!`.
    let _ = writeln!(
        std::io::stderr(),
        "\n\nerror: {missing} is not set: {HOW_TO_RUN}\n"
    );
    std::process::exit(2)
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
