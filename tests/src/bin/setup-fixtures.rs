//! Creates the fixture schema on the server named by `DIRECTUS_URL`, `DIRECTUS_ADMIN_EMAIL` and
//! `DIRECTUS_ADMIN_PASSWORD` (idempotent). `scripts/test.sh` and `scripts/demo.sh` run it once
//! before the tests: `cargo run -q -p directus-tests --bin setup-fixtures`.

use std::process::ExitCode;
use std::time::Instant;

use directus_tests::{Server, fixtures};

fn main() -> ExitCode {
    let server = match Server::try_from_env() {
        Ok(server) => server,
        Err(missing) => {
            eprintln!(
                "setup-fixtures: {missing} is not set: run `bash scripts/test.sh`, or set \
                 DIRECTUS_URL, DIRECTUS_ADMIN_EMAIL and DIRECTUS_ADMIN_PASSWORD"
            );
            return ExitCode::FAILURE;
        }
    };
    let started = Instant::now();
    match fixtures::ensure(&server.url, &server.admin_email, &server.admin_password) {
        Ok(f) => {
            println!(
                "setup-fixtures: {} collections ready on {} in {:.1} s",
                fixtures::COLLECTIONS.len(),
                server.url,
                started.elapsed().as_secs_f64(),
            );
            // The keys, for whoever debugs the fixtures.
            if std::env::var_os("DIRECTUS_RS_VERBOSE").is_some() {
                println!("setup-fixtures: {f:?}");
            }
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("setup-fixtures: failed against {}: {err}", server.url);
            ExitCode::FAILURE
        }
    }
}
