#!/usr/bin/env bash
# rustc's peak memory and time when a crate embeds N tiny revisions (issue 8,
# item 12; target for 10,000: under 2 GB and under 10 s).
#
#   scripts/embed-bench.sh [N]        # default 10000
#
# Generates, in a temporary directory, a crate with N one-statement revisions
# and a baseline crate with one revision, each embedding its plan twice over
# (`embed_migrations!` watched, through build.rs and `include!`, and
# `unwatched`, compiled inside the macro), builds them once (dependencies),
# then times the rebuild of each crate alone (`touch src/main.rs`) under
# `/usr/bin/time`, whose peak resident set is rustc's (the largest process
# cargo waits for). Prints both crates and their ratio. Outside CI: it takes
# minutes on 2 cores. Set CARGO_TARGET_DIR to reuse a built target directory
# (the crates copy the workspace's Cargo.lock, so dependencies match).
set -euo pipefail

count=${1:-10000}
repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

make_crate() {
    local name=$1 revisions=$2 mode=$3
    local dir=$work/$name
    mkdir -p "$dir/src" "$dir/migrations"
    cat >"$dir/Cargo.toml" <<TOML
[package]
name = "$name"
version = "0.0.0"
edition = "2021"
publish = false

[workspace]

[dependencies]
migrate-runtime = { path = "$repo/migrate-runtime" }

[build-dependencies]
migrate-build = { path = "$repo/build-support" }
TOML
    cp "$repo/Cargo.lock" "$dir/Cargo.lock"
    echo 'fn main() { migrate_build::watch("migrations"); }' >"$dir/build.rs"
    local option=""
    if [ "$mode" = unwatched ]; then option=", unwatched"; fi
    cat >"$dir/src/main.rs" <<RUST
static PLAN: migrate_runtime::Plan = migrate_runtime::embed_migrations!("migrations"$option);
fn main() {
    println!("{} revisions", PLAN.revisions().len());
}
RUST
    awk -v n="$revisions" -v dir="$dir/migrations" 'BEGIN {
        for (i = 1; i <= n; i++) {
            file = sprintf("%s/r%06d_t.sql", dir, i);
            parent = (i == 1) ? "none" : sprintf("r%06d", i - 1);
            printf "-- revision: r%06d\n-- down_revision: %s\n\n-- migrate:upgrade\nCREATE TABLE t%d (id INTEGER);\n\n-- migrate:downgrade\nDROP TABLE t%d;\n", i, parent, i, i > file;
            close(file);
        }
    }'
}

# Prints "<peak KiB> <seconds>" for a rebuild of the crate alone.
measure() {
    local dir=$work/$1
    (cd "$dir" && cargo build --quiet 2>/dev/null) || (cd "$dir" && cargo build)
    touch "$dir/src/main.rs"
    (cd "$dir" && /usr/bin/time -f '%M %e' cargo build --quiet 2>&1 >/dev/null | tail -1)
}

printf '%-10s %-10s %12s %10s\n' mode revisions "peak MiB" seconds
for mode in watched unwatched; do
    make_crate "base_$mode" 1 "$mode"
    make_crate "big_$mode" "$count" "$mode"
    read -r base_kib base_s < <(measure "base_$mode")
    read -r big_kib big_s < <(measure "big_$mode")
    printf '%-10s %-10s %12d %10s\n' "$mode" 1 $((base_kib / 1024)) "$base_s"
    printf '%-10s %-10s %12d %10s\n' "$mode" "$count" $((big_kib / 1024)) "$big_s"
    awk -v a="$big_kib" -v b="$base_kib" -v s="$big_s" -v t="$base_s" -v m="$mode" \
        'BEGIN { printf "%-10s ratio      %12.2f %10.2f\n", m, a / b, s / t }'
done
