#!/usr/bin/env bash
# The project's test command: formatting, lints, docs with warnings denied, the build without
# default features, the dependency rules, then every test (unit, doc and integration) against a
# real Directus server on SQLite, and the integration suite once more against Directus on
# PostgreSQL. Starts (and always stops) throwaway servers: the SQLite one unless DIRECTUS_URL
# names an existing server (then DIRECTUS_DB=postgres says when that one runs on PostgreSQL);
# the PostgreSQL one unless DIRECTUS_RS_POSTGRES=0; then a scaled-out Directus (two instances on
# that PostgreSQL database and one Redis, tests/tests/scaled.rs alone) unless DIRECTUS_RS_SCALED=0.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$DRS_ROOT"

drs_say "cargo fmt --all --check"
cargo fmt --all --check

drs_say "cargo clippy --workspace --all-targets --all-features -- -D warnings"
cargo clippy --workspace --all-targets --all-features -- -D warnings

drs_say "RUSTDOCFLAGS=-D warnings cargo doc --workspace --no-deps"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps

drs_say "directus-async builds without its default features (no reqwest, no tokio)"
cargo build -q -p directus-async --no-default-features

# Benchmarks are not tests: they are only built here (in the dev profile: a release build of
# their dependencies would cost CI minutes and prove nothing more). `cargo bench -p
# directus-proto` and `bash scripts/bench.sh` run them.
drs_say "the benchmarks build (cargo build --benches -p directus-proto; the bench binary)"
cargo build -q -p directus-proto --benches
cargo build -q -p directus-tests --bin bench

drs_say "dependency rules: proto has no HTTP client or runtime, blocking has no tokio or reqwest"
drs_forbid_deps directus-proto 'ureq|reqwest|tokio|hyper'
drs_forbid_deps directus-blocking 'tokio|reqwest|hyper'

drs_server_up
drs_setup_fixtures
# A second, empty server: the schema tests migrate a schema from the main one to it.
drs_instance_up second
# Realtime tests (tests/tests/realtime_*.rs) run against their own instance: WebSockets on, a
# short heartbeat, and restarts that must not disturb the other suites.
drs_instance_up realtime WEBSOCKETS_ENABLED=true WEBSOCKETS_HEARTBEAT_PERIOD=10 \
    PRESSURE_LIMITER_ENABLED=false
# The server's two other realtime auth modes (tests/tests/realtime_modes.rs).
drs_instance_up rt-public WEBSOCKETS_ENABLED=true WEBSOCKETS_REST_AUTH=public \
    PRESSURE_LIMITER_ENABLED=false
drs_instance_up rt-strict WEBSOCKETS_ENABLED=true WEBSOCKETS_REST_AUTH=strict \
    PRESSURE_LIMITER_ENABLED=false

drs_say "cargo test --workspace (against $DIRECTUS_URL, ${DIRECTUS_DB:-sqlite})"
cargo test --workspace

if [ "${DIRECTUS_RS_POSTGRES:-1}" != 0 ]; then
    drs_postgres_up pg
    drs_use_instance pg
    drs_setup_fixtures
    # --workspace --test '*': the integration tests only, built with the same features as the
    # pass above (a `-p directus-tests` build resolves features differently and recompiles).
    drs_say "cargo test --workspace --test '*' (the integration suites again, against $DIRECTUS_URL on PostgreSQL)"
    cargo test --workspace --test '*'
fi

if [ "${DIRECTUS_RS_SCALED:-1}" != 0 ]; then
    # Two instances sharing one PostgreSQL database (the pass above's, else a cluster of their
    # own) and one Redis; the tests put a round-robin balancer in front (tests/src/balancer.rs).
    if [ "${DIRECTUS_RS_POSTGRES:-1}" != 0 ]; then
        drs_cluster_up scale-a scale-b pg
    else
        drs_cluster_up scale-a scale-b
    fi
    drs_use_instance scale-a
    drs_say "cargo test --workspace --test scaled (two Directus behind a balancer, one PostgreSQL, Redis)"
    cargo test --workspace --test scaled
fi

drs_say "all checks passed"
