//! Support for the realtime tests: the WebSocket-enabled server instance and its fixtures.
//!
//! `scripts/test.sh` starts a second server named `realtime` with `WEBSOCKETS_ENABLED=true`
//! and a 10 s `WEBSOCKETS_HEARTBEAT_PERIOD` (so idle and restart tests do not disturb the main
//! server's suites), exporting `DIRECTUS_REALTIME_URL`, `DIRECTUS_REALTIME_ADMIN_EMAIL` and
//! `DIRECTUS_REALTIME_ADMIN_PASSWORD`.

use std::path::PathBuf;
use std::sync::OnceLock;

use crate::{Fixtures, Server, fixtures};

/// The server's `WEBSOCKETS_HEARTBEAT_PERIOD` in the test command (seconds).
pub const HEARTBEAT_SECS: u64 = 10;

/// The realtime server instance, read from the environment.
///
/// # Panics
///
/// If the variables are missing: the tests never skip.
pub fn server() -> Server {
    let var = |name: &str| match std::env::var(name) {
        Ok(value) if !value.trim().is_empty() => value.trim().to_owned(),
        _ => panic!(
            "{name} is not set: run `bash scripts/test.sh`, or start the instance with \
             DIRECTUS_RS_SERVER_ENV=$'WEBSOCKETS_ENABLED=true\\nWEBSOCKETS_HEARTBEAT_PERIOD=10' \
             tests/server/directus-server start realtime && eval \"$(tests/server/directus-server env realtime)\""
        ),
    };
    Server {
        url: var("DIRECTUS_REALTIME_URL")
            .trim_end_matches('/')
            .to_owned(),
        admin_email: var("DIRECTUS_REALTIME_ADMIN_EMAIL"),
        admin_password: var("DIRECTUS_REALTIME_ADMIN_PASSWORD"),
    }
}

/// The fixture schema on the realtime instance, ensured once per test process.
///
/// # Panics
///
/// If the fixtures cannot be created.
pub fn fixtures() -> &'static Fixtures {
    static FIXTURES: OnceLock<Fixtures> = OnceLock::new();
    FIXTURES.get_or_init(|| {
        let s = server();
        fixtures::ensure(&s.url, &s.admin_email, &s.admin_password)
            .unwrap_or_else(|e| panic!("fixture setup against {} failed: {e}", s.url))
    })
}

/// Restarts the realtime instance (same port and database) with the harness script, and
/// waits until it answers again.
///
/// # Panics
///
/// If the script fails.
pub fn restart_server() {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("server/directus-server");
    let status = std::process::Command::new("bash")
        .arg(script)
        .args(["restart", "realtime"])
        .stdout(std::process::Stdio::null())
        .status()
        .expect("run tests/server/directus-server restart realtime");
    assert!(status.success(), "restart realtime failed: {status}");
}

/// The `host:port` of a base URL (`http://127.0.0.1:1234` → `127.0.0.1:1234`).
pub fn authority(url: &str) -> String {
    url.trim_start_matches("http://")
        .trim_start_matches("https://")
        .trim_end_matches('/')
        .to_owned()
}
