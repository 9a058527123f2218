# Shared by scripts/test.sh and scripts/demo.sh (sourced, not run).
#
# drs_server_up: use the server named by DIRECTUS_URL (+ DIRECTUS_ADMIN_EMAIL,
# DIRECTUS_ADMIN_PASSWORD) if set; otherwise install (cached) and start a fresh Directus on
# loopback, export its env, and trap EXIT/INT/TERM so it is always stopped. When the script
# fails, the trap prints the server log's path and tail.

DRS_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DRS_SERVER="$DRS_ROOT/tests/server/directus-server"
DRS_STARTED_SERVER=0
DRS_INSTANCES=()

drs_say() { printf '\n==> %s\n' "$*" >&2; }
drs_die() { printf 'error: %s\n' "$*" >&2; exit 1; }

drs_show_log() {
    local log="${DIRECTUS_LOG:-}"
    if [ -n "$log" ] && [ -r "$log" ]; then
        printf '\n---- last 40 lines of the Directus server log (%s) ----\n' "$log" >&2
        tail -n 40 "$log" >&2
        printf -- '---- full log: %s ----\n' "$log" >&2
    fi
}

drs_on_exit() {
    local rc=$?
    trap - EXIT INT TERM
    if [ "$rc" -eq 130 ] || [ "$rc" -eq 143 ]; then
        printf '\ninterrupted; stopping the servers\n' >&2
    elif [ "$rc" -ne 0 ]; then
        printf '\nFAILED (exit %s)\n' "$rc" >&2
        drs_show_log
    fi
    local i
    # Last started first: an instance that shares another's database stops before its owner.
    for ((i = ${#DRS_INSTANCES[@]} - 1; i >= 0; i--)); do
        "$DRS_SERVER" stop "${DRS_INSTANCES[i]}" || true
    done
    if [ "$DRS_STARTED_SERVER" = 1 ]; then
        "$DRS_SERVER" stop || true
    fi
    exit "$rc"
}

drs_server_up() {
    if [ -n "${DIRECTUS_URL:-}" ]; then
        [ -n "${DIRECTUS_ADMIN_EMAIL:-}" ] && [ -n "${DIRECTUS_ADMIN_PASSWORD:-}" ] \
            || drs_die "DIRECTUS_URL is set ($DIRECTUS_URL) but DIRECTUS_ADMIN_EMAIL / DIRECTUS_ADMIN_PASSWORD are not"
        export DIRECTUS_URL DIRECTUS_ADMIN_EMAIL DIRECTUS_ADMIN_PASSWORD
        drs_say "using the existing Directus server at $DIRECTUS_URL"
        trap drs_on_exit EXIT
        trap 'exit 130' INT
        trap 'exit 143' TERM
        return 0
    fi
    drs_say "installing the Directus test server (cached after the first run)"
    "$DRS_SERVER" install
    trap drs_on_exit EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    DRS_STARTED_SERVER=1
    drs_say "starting Directus on loopback"
    "$DRS_SERVER" start >/dev/null
    eval "$("$DRS_SERVER" env)"
}

# drs_instance_up NAME [KEY=VALUE...]: start one more throwaway server named NAME with the given
# extra settings, export its DIRECTUS_<NAME>_URL / _ADMIN_EMAIL / _ADMIN_PASSWORD / _LOG, and stop
# it on exit (drs_server_up must have run first: it installs the trap).
drs_instance_up() {
    local name="$1" settings
    shift
    settings="$(printf '%s\n' "$@")"
    DRS_INSTANCES+=("$name")
    drs_say "starting Directus instance '$name' on loopback"
    DIRECTUS_RS_SERVER_ENV="$settings" "$DRS_SERVER" start "$name" >/dev/null
    eval "$("$DRS_SERVER" env "$name")"
}

# drs_postgres_up NAME: start one more throwaway server named NAME on its own PostgreSQL cluster
# (see DIRECTUS_RS_DB in tests/server/directus-server), export its DIRECTUS_<NAME>_* variables
# (with DIRECTUS_<NAME>_DB=postgres), and stop server and cluster on exit.
drs_postgres_up() {
    local name="$1"
    DRS_INSTANCES+=("$name")
    drs_say "starting Directus instance '$name' on PostgreSQL (loopback)"
    DIRECTUS_RS_DB=postgres "$DRS_SERVER" start "$name" >/dev/null
    eval "$("$DRS_SERVER" env "$name")"
}

# drs_cluster_up A B [OWNER]: a horizontally scaled Directus: instance A with a Redis of its own
# (DIRECTUS_RS_REDIS=1: cache, rate limiter, synchronization and the realtime bus in Redis,
# WebSockets on) on the PostgreSQL database of the running instance OWNER (DIRECTUS_RS_SHARE), or
# on a PostgreSQL cluster of its own without OWNER; then, once A answers, instance B sharing A's
# database, Redis, uploads, SECRET and admin. Exports DIRECTUS_<A>_* and DIRECTUS_<B>_*; both
# (and A's Redis and cluster) are stopped on exit.
drs_cluster_up() {
    local a="$1" b="$2" owner="${3:-}"
    DRS_INSTANCES+=("$a")
    if [ -n "$owner" ]; then
        drs_say "starting Directus instance '$a' with Redis on the PostgreSQL database of '$owner'"
        DIRECTUS_RS_SHARE="$owner" DIRECTUS_RS_REDIS=1 "$DRS_SERVER" start "$a" >/dev/null
    else
        drs_say "starting Directus instance '$a' with Redis on PostgreSQL (loopback)"
        DIRECTUS_RS_DB=postgres DIRECTUS_RS_REDIS=1 "$DRS_SERVER" start "$a" >/dev/null
    fi
    DRS_INSTANCES+=("$b")
    drs_say "starting Directus instance '$b' beside '$a' (same database, Redis and secret)"
    DIRECTUS_RS_SHARE="$a" "$DRS_SERVER" start "$b" >/dev/null
    eval "$("$DRS_SERVER" env "$a")"
    eval "$("$DRS_SERVER" env "$b")"
}

# drs_use_instance NAME: point DIRECTUS_URL, DIRECTUS_ADMIN_EMAIL, DIRECTUS_ADMIN_PASSWORD,
# DIRECTUS_LOG, DIRECTUS_MAIL_DIR, DIRECTUS_DB and DIRECTUS_VERSION at instance NAME (started by
# drs_instance_up/drs_postgres_up), so the tests and the failure report use it.
drs_use_instance() {
    local prefix
    prefix="DIRECTUS_$(printf '%s' "$1" | tr '[:lower:]-' '[:upper:]_')"
    eval "export DIRECTUS_URL=\"\$${prefix}_URL\" DIRECTUS_ADMIN_EMAIL=\"\$${prefix}_ADMIN_EMAIL\" \
        DIRECTUS_ADMIN_PASSWORD=\"\$${prefix}_ADMIN_PASSWORD\" DIRECTUS_LOG=\"\$${prefix}_LOG\" \
        DIRECTUS_MAIL_DIR=\"\$${prefix}_MAIL_DIR\" \
        DIRECTUS_DB=\"\$${prefix}_DB\" DIRECTUS_VERSION=\"\${${prefix}_VERSION:-12}\""
}

drs_setup_fixtures() {
    drs_say "creating the fixture schema (idempotent)"
    (cd "$DRS_ROOT" && cargo run -q -p directus-tests --bin setup-fixtures)
}

# drs_forbid_deps CRATE 'a|b|c': fails when CRATE's normal dependency tree holds one of them.
drs_forbid_deps() {
    local crate="$1" pattern="$2" hits
    hits=$(cd "$DRS_ROOT" && cargo tree -p "$crate" -e normal --prefix none \
        | grep -Eo "^($pattern) v[0-9.]+" | sort -u | tr '\n' ' ' || true)
    [ -z "$hits" ] || drs_die "$crate must not depend on: $hits"
    printf '%s: none of %s\n' "$crate" "$pattern" >&2
}
