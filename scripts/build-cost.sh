#!/usr/bin/env bash
# What a program pays to use directus-blocking at build time (not a test; scripts/bench.sh runs
# it): the same small program (a typed 100-row read) built cold, each build in a target
# directory of its own, against
#   - this tree,
#   - the tree before the performance work (BUILD_COST_BASE, default 115e037),
#   - plain ureq + serde doing the same request (the reference),
# in debug and release, with the release binary's stripped size. Prints a Markdown table: the
# goal is this tree within 10% of the earlier one. Each program builds with its tree's
# Cargo.lock, so the crates' versions are the ones that tree pins. Every build runs
# BUILD_COST_ROUNDS times (default 2), in turns, and the fastest counts: on a shared machine
# one cold build's time moves by 10% between runs, and the machine's other work only ever
# adds to it. Takes about 7 minutes on 2 CPUs; nothing runs the programs.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$DRS_ROOT"

base="${BUILD_COST_BASE:-115e037}"
git cat-file -e "$base^{commit}" 2>/dev/null \
    || drs_die "build cost: commit $base is not in this clone (a shallow clone? fetch its history, or set BUILD_COST_BASE)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# The earlier tree, as committed.
mkdir "$work/base"
git archive "$base" | tar -x -C "$work/base"

# program DIR DEPS LOCK MAIN: a binary crate of its own (an empty [workspace] keeps it out of
# any other) with the given dependencies and main.rs, starting from the lockfile LOCK.
program() {
    local dir="$1" deps="$2" lock="$3" main="$4"
    mkdir -p "$dir/src"
    cat >"$dir/Cargo.toml" <<EOF
[package]
name = "build-cost"
version = "0.0.0"
edition = "2024"
publish = false

[dependencies]
$deps

[workspace]
EOF
    cp "$lock" "$dir/Cargo.lock"
    printf '%s\n' "$main" >"$dir/src/main.rs"
}

client_main='#[derive(serde::Deserialize)]
struct Row {
    id: i64,
    name: String,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::var("DIRECTUS_URL")?;
    let token = std::env::var("DIRECTUS_TOKEN")?;
    let directus = directus_blocking::Directus::with_token(url, &token)?;
    let page = directus.collection_as::<Row>("items").limit(100).read()?;
    for row in page.into_items() {
        println!("{} {}", row.id, row.name);
    }
    Ok(())
}'

plain_main='#[derive(serde::Deserialize)]
struct Row {
    id: i64,
    name: String,
}

#[derive(serde::Deserialize)]
struct Envelope {
    data: Vec<Row>,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::var("DIRECTUS_URL")?;
    let token = std::env::var("DIRECTUS_TOKEN")?;
    let body = ureq::get(format!("{url}/items/items?limit=100"))
        .header("Authorization", format!("Bearer {token}"))
        .call()?
        .body_mut()
        .read_to_vec()?;
    for row in serde_json::from_slice::<Envelope>(&body)?.data {
        println!("{} {}", row.id, row.name);
    }
    Ok(())
}'

program "$work/now" "directus-blocking = { path = \"$DRS_ROOT/directus-blocking\" }
serde = { version = \"1\", features = [\"derive\"] }" "$DRS_ROOT/Cargo.lock" "$client_main"
program "$work/before" "directus-blocking = { path = \"$work/base/directus-blocking\" }
serde = { version = \"1\", features = [\"derive\"] }" "$work/base/Cargo.lock" "$client_main"
# The same TLS stack as the client's default (ureq's rustls), gzip as the workspace has it.
program "$work/plain" "ureq = { version = \"3.1\", default-features = false, features = [\"rustls\", \"gzip\"] }
serde = { version = \"1\", features = [\"derive\"] }
serde_json = \"1\"" "$DRS_ROOT/Cargo.lock" "$plain_main"

# seconds NAME PROFILE: a cold build's wall time, in a target directory no other build shares
# (emptied first: the release one of the last round stays for the binary's size).
seconds() {
    local name="$1" profile="$2" start end target="$work/target-$name-$profile"
    local args=(build -q --manifest-path "$work/$name/Cargo.toml")
    [ "$profile" = release ] && args+=(--release)
    rm -rf "$target"
    start="$(date +%s.%N)"
    CARGO_TARGET_DIR="$target" CARGO_PROFILE_RELEASE_STRIP=symbols cargo "${args[@]}" >&2
    end="$(date +%s.%N)"
    awk -v s="$start" -v e="$end" 'BEGIN { printf "%.1f", e - s }'
}

# faster A B: the smaller of two times (an empty A is none yet).
faster() { awk -v a="$1" -v b="$2" 'BEGIN { print (a == "" || b + 0 < a + 0) ? b : a }'; }

# The two trees build in turns, the order reversed for release and again each round, so that
# neither always goes first on a machine whose load drifts.
rounds="${BUILD_COST_ROUNDS:-2}"
declare -A took size
for ((round = 1; round <= rounds; round++)); do
    for profile in debug release; do
        if [ "$profile" = release ]; then flip=$((round % 2)); else flip=$(((round + 1) % 2)); fi
        order=(before now plain)
        ((flip == 0)) || order=(now before plain)
        for name in "${order[@]}"; do
            drs_say "build cost: $name, $profile, cold (round $round of $rounds)"
            took["$name-$profile"]="$(faster "${took[$name-$profile]:-}" "$(seconds "$name" "$profile")")"
        done
    done
done
for name in before now plain; do
    size["$name"]="$(stat -c %s "$work/target-$name-release/release/build-cost")"
done

mb() { awk -v b="$1" 'BEGIN { printf "%.2f MB", b / 1e6 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
goal() { awk -v r="$1" 'BEGIN { if (r <= 1.10) print "≤ 1.10× met"; else print "≤ 1.10× **not met**" }'; }

echo "| a typed 100-row read, built cold (the faster of $rounds) | $base (before) | $(git rev-parse --short HEAD) (now) | now / before | goal | plain ureq + serde |"
echo "|---|---|---|---|---|---|"
for profile in debug release; do
    r="$(ratio "${took[now-$profile]}" "${took[before-$profile]}")"
    echo "| \`cargo build$([ "$profile" = release ] && echo ' --release')\` | ${took[before-$profile]} s | ${took[now-$profile]} s | **${r}×** | $(goal "$r") | ${took[plain-$profile]} s |"
done
r="$(ratio "${size[now]}" "${size[before]}")"
echo "| stripped release binary | $(mb "${size[before]}") | $(mb "${size[now]}") | **${r}×** | $(goal "$r") | $(mb "${size[plain]}") |"
