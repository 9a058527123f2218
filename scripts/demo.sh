#!/usr/bin/env bash
# Runs the API tour (directus-blocking/examples/tour.rs) against a real Directus server: a
# throwaway one on loopback (always stopped afterwards) unless DIRECTUS_URL names an existing one.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$DRS_ROOT"

drs_server_up
drs_setup_fixtures

if [ ! -f directus-blocking/examples/tour.rs ]; then
    echo "The tour (directus-blocking/examples/tour.rs) is not written yet: nothing to demo."
    exit 0
fi

drs_say "cargo run -p directus-blocking --example tour (against $DIRECTUS_URL)"
cargo run -p directus-blocking --example tour
