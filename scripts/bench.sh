#!/usr/bin/env bash
# The whole-process benchmark (not a test): builds the bench binary in release mode, starts a
# throwaway Directus on loopback (or uses the one DIRECTUS_URL names), runs
# `tests/src/bin/bench.rs` against it and rewrites BENCHMARKS.md from its output, with the date
# and the machine, with the reads of any size (`tests/src/bin/stream-rss.rs`, 200,000 rows by
# default: DRS_STREAM_ROWS), the core's micro-benchmarks (`cargo bench -p directus-proto`) and
# the build cost (`scripts/build-cost.sh`). Takes about 25 minutes. Settings of the binary
# (DRS_BENCH_ROUNDS, ...) pass through; see the binary's docs. DRS_BENCH_PIN=0: no CPU pinning
# (see below).
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$DRS_ROOT"

drs_say "cargo build --release -p directus-tests --bin bench --bin stream-rss"
cargo build --release -q -p directus-tests --bin bench --bin stream-rss

# 64 requests in flight must not be shed by the server's pressure limiter.
export DIRECTUS_RS_SERVER_ENV="${DIRECTUS_RS_SERVER_ENV:-PRESSURE_LIMITER_ENABLED=false}"
drs_server_up

# On a machine of 2 CPUs or more the server runs on CPU 0 and the benchmark on CPU 1: neither
# moves between CPUs nor takes the other's, which steadies a run against itself (a shared
# machine's other work still moves the ratios between runs). DRS_BENCH_PIN=0 leaves both where
# the scheduler puts them.
pin=()
pinned="no"
if [ "${DRS_BENCH_PIN:-1}" = 1 ] && [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null \
    && command -v ss >/dev/null; then
    port="${DIRECTUS_URL##*:}"
    port="${port%%/*}"
    server_pid="$(ss -ltnpH "sport = :$port" | grep -o 'pid=[0-9]*' | head -n1 | cut -d= -f2)"
    if [ -n "$server_pid" ] && taskset -a -p -c 0 "$server_pid" >/dev/null; then
        pin=(taskset -c 1)
        pinned="yes: the server on CPU 0, the benchmark on CPU 1"
    fi
fi

out="$(mktemp)"
drs_say "running the benchmark against $DIRECTUS_URL (pinned: $pinned)"
load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
"${pin[@]}" target/release/bench >"$out"
large_rows="${DRS_STREAM_ROWS:-200000}"
large="$(mktemp)"
drs_say "reads of $large_rows rows (stream-rss; creating the rows takes a few minutes)"
DRS_STREAM_ROWS="$large_rows" "${pin[@]}" target/release/stream-rss >"$large"
core="$(mktemp)"
drs_say "cargo bench -p directus-proto"
cargo bench -q -p directus-proto --bench core >"$core" 2>&1
build="$(mktemp)"
drs_say "build cost (scripts/build-cost.sh: cold builds, a few minutes)"
# The table is the last thing measured: when it cannot be (no history of the earlier tree, no
# network for its crates), the run's other figures still reach BENCHMARKS.md.
if ! bash scripts/build-cost.sh >"$build"; then
    echo "Not measured in this run: \`scripts/build-cost.sh\` failed (its message is in the output of \`bench.sh\`)." >"$build"
fi
load_after="$(cut -d' ' -f1-3 /proc/loadavg)"

cpu="$(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')"
{
    echo "# Benchmarks"
    echo
    echo "Written by \`bash scripts/bench.sh\` (do not edit by hand): the whole-process benchmark"
    echo "\`tests/src/bin/bench.rs\` against a real Directus ${DIRECTUS_VERSION:-12} on ${DIRECTUS_DB:-sqlite},"
    echo "both clients next to plain ureq / reqwest + serde doing the same requests, interleaved."
    echo "Client CPU is getrusage user + system time of the benchmark process (the server is"
    echo "another process). Ratios matter; absolute times depend on the machine and its load."
    echo "The core's own costs: \`cargo bench -p directus-proto\`."
    echo
    echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "- machine: $(nproc) CPUs, ${cpu:-unknown CPU}, $(uname -sr)"
    echo "- load average (1, 5, 15 min) before / after: $load_before / $load_after"
    echo "- pinned to CPUs: $pinned"
    echo "- $(rustc --version)"
    echo "- commit: $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- . ':!BENCHMARKS.md' || echo ' (with uncommitted changes)')"
    echo
    cat "$out"
    echo
    echo "### Reads of any size"
    echo
    echo "A collection of $large_rows small rows read whole, each phase in a fresh process of"
    echo "\`tests/src/bin/stream-rss.rs\` (peak RSS is that process's \`VmHWM\`). Streamed reads decode"
    echo "items one by one while the body arrives; the buffered phases hold the whole body and"
    echo "every item at once."
    echo
    cat "$large"
    echo
    echo "### The core: \`cargo bench -p directus-proto\`"
    echo
    echo "Each \`directus_proto\` line next to the bare serde_json / http code doing the same job"
    echo "(\`json_and_http\`, \`bare_http_and_serde\`, \`*_serde\`). \`*_borrowed_*\`: a page decoded"
    echo "into a row type that borrows its strings from the body (\`RawPage::parse_borrowed\`),"
    echo "next to the owned \`*_typed_*\` rows: the gain of borrowed decoding."
    echo
    echo '```text'
    cat "$core"
    echo '```'
    echo
    echo "### Build cost"
    echo
    echo "\`scripts/build-cost.sh\`: a small program (a typed 100-row read) built cold, each build in a"
    echo "target directory of its own, against this tree and against the tree before the"
    echo "performance work, with plain ureq + serde doing the same request for reference. The goal:"
    echo "no regression of more than 10%. One cold build's time moves by about 10% between runs on"
    echo "this machine, and its other work only ever adds to it: each build runs twice, in turns,"
    echo "and the faster counts."
    echo
    cat "$build"
} >BENCHMARKS.md
rm -f "$out" "$large" "$core" "$build"
drs_say "BENCHMARKS.md rewritten"
