#!/usr/bin/env bash
# The compatibility matrix: the integration suite (`cargo test -p directus-tests`) against
# Directus {12.4.0, 11.17.4} x {SQLite, PostgreSQL}, one throwaway server at a time (each stopped
# right after its cell, and on exit). Prints a Markdown table for the README's compatibility
# section; each cell's full output is in target/compat/<version>-<db>.log.
#
#   bash scripts/compat.sh                 every cell
#   bash scripts/compat.sh 11              the cells of one version (12 or 11)
#   bash scripts/compat.sh 11 postgres     one cell
#
# The first run installs Directus 11 into the cache (5-10 minutes, like 12's first install).
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$DRS_ROOT"

versions=(12 11)
dbs=(sqlite postgres)
[ $# -ge 1 ] && versions=("$1")
[ $# -ge 2 ] && dbs=("$2")

trap drs_on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

mkdir -p target/compat
rows=()
failed=0
for version in "${versions[@]}"; do
    DIRECTUS_RS_VERSION="$version" "$DRS_SERVER" install
    for db in "${dbs[@]}"; do
        name="compat-$version-$db"
        log="target/compat/$version-$db.log"
        DRS_INSTANCES+=("$name")
        drs_say "Directus $version on $db: starting"
        DIRECTUS_RS_VERSION="$version" DIRECTUS_RS_DB="$db" "$DRS_SERVER" start "$name" >/dev/null
        eval "$("$DRS_SERVER" env "$name")"
        drs_use_instance "$name"
        drs_say "Directus $version on $db: fixtures and cargo test -p directus-tests (log: $log)"
        start=$(date +%s)
        if drs_setup_fixtures >"$log" 2>&1 \
            && cargo test -p directus-tests --no-fail-fast >>"$log" 2>&1; then
            outcome="pass"
        else
            outcome="FAIL"
            failed=1
        fi
        passed=$({ grep -Eo '[0-9]+ passed' "$log" || true; } | awk '{s+=$1} END {print s+0}')
        fails=$({ grep -Eo '[0-9]+ failed' "$log" || true; } | awk '{s+=$1} END {print s+0}')
        names=$({ grep -E '^test .* FAILED$' "$log" || true; } | awk '{print $2}' | sort -u | tr '\n' ' ')
        rows+=("| $version | $db | $outcome | $passed passed, $fails failed ${names:+($names)}| $(($(date +%s) - start)) s |")
        "$DRS_SERVER" stop "$name" || true
        printf '%s\n' "${rows[-1]}" >&2
    done
done

printf '\nCompatibility (%s, %s):\n\n' "$(date -u +%Y-%m-%d)" "$(cargo pkgid -p directus-proto | sed 's/.*#//')"
printf '| Directus | database | suite | tests | time |\n|---|---|---|---|---|\n'
printf '%s\n' "${rows[@]}"
exit "$failed"
