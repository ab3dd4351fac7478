#!/usr/bin/env bash
# The edit-compile loop, the start-up check, the binary and apply, against
# sqlx in the same run (issue 16). Outside CI: it takes tens of minutes.
#
#   scripts/loop-bench.sh [N ...]          # default: 100 1000 10000
#
# For each N it generates N revisions of the same SQL twice: a sqlx 0.8
# project (`sqlx::migrate!`, reversible `.up.sql` / `.down.sql` files, a
# build.rs that watches the directory, as sqlx's docs advise) and one of
# ours (`embed_migrations!`, `migrate_build::watch`). Both use the SQLite
# and PostgreSQL drivers only, build in release, and share one target
# directory (`$CARGO_TARGET_DIR`, default /work/targets/loop-bench; the
# versions come from this workspace's Cargo.lock). Then, per tool:
#
# - rebuild (`cargo build --release`, wall time, median of 3) after touching
#   the newest migration, after editing one statement in it, after adding
#   one revision (removed again and rebuilt, untimed, between runs);
# - the start-up check with everything applied, in a fresh process (the
#   pool's one connection opened first and not counted, no ping before
#   acquire): first call and the median of 20 warm calls, median of 5
#   processes, on SQLite and PostgreSQL;
# - the stripped size of the binary;
# - apply of all N revisions in process on a fresh database (SQLite file
#   and PostgreSQL; median of 3; only for N <= $LOOP_BENCH_APPLY_MAX,
#   default 1000).
#
# LOOP_BENCH_OVERRIDE=1 also measures our rebuild at N = 1000 with
# `[profile.release.build-override] opt-level = 3`.
# Needs psql and PostgreSQL at $PG_ADMIN (default postgres://root@127.0.0.1:5432/postgres).
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
counts=("$@")
if [ ${#counts[@]} -eq 0 ]; then counts=(100 1000 10000); fi
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-/work/targets/loop-bench}
pg_admin=${PG_ADMIN:-postgres://root@127.0.0.1:5432/postgres}
pg_base=${pg_admin%/*}
apply_max=${LOOP_BENCH_APPLY_MAX:-1000}
work=$(mktemp -d /tmp/loop-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
sqlx_version=$(awk '/^name = "sqlx"$/ { getline; gsub(/[^0-9.]/, ""); print; exit }' "$repo/Cargo.lock")

# --- the generated SQL -----------------------------------------------------

upgrade_sql() { # i
    printf 'CREATE TABLE t%d (id BIGINT PRIMARY KEY, name TEXT NOT NULL, note TEXT);\n' "$1"
    printf 'CREATE INDEX t%d_name ON t%d (name);\n' "$1" "$1"
    printf "INSERT INTO t%d (id, name) VALUES (1, 'one'), (2, 'two'), (3, 'three');\n" "$1"
    printf "UPDATE t%d SET note = 'revision %d' WHERE id = 2;\n" "$1" "$1"
}
downgrade_sql() { # i
    printf 'DROP INDEX t%d_name;\nDROP TABLE t%d;\n' "$1" "$1"
}
ours_file() { # dir i
    local parent=none
    if [ "$2" -gt 1 ]; then parent=$(printf 'r%06d' $(($2 - 1))); fi
    {
        printf -- '-- revision: r%06d\n-- down_revision: %s\n\n-- migrate:upgrade\n' "$2" "$parent"
        upgrade_sql "$2"
        printf -- '\n-- migrate:downgrade\n'
        downgrade_sql "$2"
    } >"$1/migrations/$(printf 'r%06d_t.sql' "$2")"
}
sqlx_file() { # dir i
    local base
    base="$1/migrations/$(printf '%06d_t' "$2")"
    upgrade_sql "$2" >"$base.up.sql"
    downgrade_sql "$2" >"$base.down.sql"
}
newest() { # tool dir n: the file holding revision n's upgrade
    if [ "$1" = ours ]; then printf '%s/migrations/r%06d_t.sql' "$2" "$3"; else printf '%s/migrations/%06d_t.up.sql' "$2" "$3"; fi
}

# --- the two projects --------------------------------------------------------

main_rs() { # tool
    cat <<'RUST'
use std::time::{Duration, Instant};

RUST
    if [ "$1" = ours ]; then
        cat <<'RUST'
static PLAN: migrate_runtime::Plan = migrate_runtime::embed_migrations!("migrations");
async fn run<D: migrate_runtime::Database>(db: &D) {
    migrate_runtime::Migrator::new(&PLAN).upgrade(db, "head").await.expect("upgrade");
}
RUST
    else
        cat <<'RUST'
static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");
async fn run<'a, A: sqlx::Acquire<'a>>(db: A) where <A::Connection as std::ops::Deref>::Target: sqlx::migrate::Migrate {
    MIGRATOR.run(db).await.expect("run");
}
RUST
    fi
    cat <<'RUST'

/// `bench apply|check URL`: prints the first call's microseconds, and for
/// `check` the median of 20 warm calls.
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (mode, url) = (args[1].clone(), args[2].clone());
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("tokio");
    runtime.block_on(async move {
        let mut times: Vec<Duration> = Vec::new();
        if url.starts_with("sqlite:") {
            let pool = sqlx::sqlite::SqlitePoolOptions::new().max_connections(1).test_before_acquire(false)
                .connect(&url).await.expect("connect");
            drop(pool.acquire().await.expect("acquire"));
            for _ in 0..if mode == "check" { 21 } else { 1 } {
                let start = Instant::now();
                run(&pool).await;
                times.push(start.elapsed());
            }
            pool.close().await;
        } else {
            let pool = sqlx::postgres::PgPoolOptions::new().max_connections(1).test_before_acquire(false)
                .connect(&url).await.expect("connect");
            drop(pool.acquire().await.expect("acquire"));
            for _ in 0..if mode == "check" { 21 } else { 1 } {
                let start = Instant::now();
                run(&pool).await;
                times.push(start.elapsed());
            }
            pool.close().await;
        }
        let first = times.remove(0);
        times.sort();
        let warm = times.get(times.len() / 2).copied().unwrap_or_default();
        println!("{} {}", first.as_micros(), warm.as_nanos() as f64 / 1000.0);
    });
}
RUST
}

make_project() { # tool n
    local tool=$1 n=$2 dir=$work/$1_$2
    mkdir -p "$dir/src" "$dir/migrations"
    if [ "$tool" = ours ]; then
        cat >"$dir/Cargo.toml" <<TOML
[package]
name = "bench_ours"
version = "0.0.0"
edition = "2021"
publish = false

[workspace]

[dependencies]
migrate-runtime = { path = "$repo/migrate-runtime", default-features = false, features = ["macros", "sqlite", "postgres"] }
sqlx = { version = "=$sqlx_version", default-features = false, features = ["runtime-tokio", "sqlite", "postgres"] }
tokio = { version = "1", default-features = false, features = ["rt"] }

[build-dependencies]
migrate-build = { path = "$repo/build-support" }
TOML
        echo 'fn main() { migrate_build::watch("migrations"); }' >"$dir/build.rs"
        for ((i = 1; i <= n; i++)); do ours_file "$dir" "$i"; done
    else
        cat >"$dir/Cargo.toml" <<TOML
[package]
name = "bench_sqlx"
version = "0.0.0"
edition = "2021"
publish = false

[workspace]

[dependencies]
sqlx = { version = "=$sqlx_version", default-features = false, features = ["runtime-tokio", "sqlite", "postgres", "migrate", "macros"] }
tokio = { version = "1", default-features = false, features = ["rt"] }
TOML
        echo 'fn main() { println!("cargo:rerun-if-changed=migrations"); }' >"$dir/build.rs"
        for ((i = 1; i <= n; i++)); do sqlx_file "$dir" "$i"; done
    fi
    if [ -n "${LOOP_BENCH_EXTRA_TOML:-}" ]; then printf '%s\n' "$LOOP_BENCH_EXTRA_TOML" >>"$dir/Cargo.toml"; fi
    cp "$repo/Cargo.lock" "$dir/Cargo.lock"
    main_rs "$tool" >"$dir/src/main.rs"
    (cd "$dir" && cargo build --release --quiet 2>"$work/build.log") || { cat "$work/build.log" >&2; exit 1; }
}

build_s() { # dir: seconds of one release build
    local start end
    start=$(date +%s.%N)
    (cd "$1" && cargo build --release --quiet 2>"$work/build.log") || { cat "$work/build.log" >&2; exit 1; }
    end=$(date +%s.%N)
    awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f", b - a }'
}
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

rebuilds() { # tool n: "touch edit add" medians
    local tool=$1 n=$2 dir=$work/$1_$2 file touch=() edit=() add=() k
    file=$(newest "$tool" "$dir" "$n")
    for k in 1 2 3; do
        sleep 1
        touch "$file"
        touch+=("$(build_s "$dir")")
        sed -i "s/'revision [0-9]*\( edited [0-9]*\)\?'/'revision $n edited $k'/" "$file"
        edit+=("$(build_s "$dir")")
        if [ "$tool" = ours ]; then ours_file "$dir" $((n + 1)); else sqlx_file "$dir" $((n + 1)); fi
        add+=("$(build_s "$dir")")
        rm -f "$(newest "$tool" "$dir" $((n + 1)))" "$dir/migrations/$(printf '%06d_t' $((n + 1))).down.sql"
        build_s "$dir" >/dev/null
    done
    echo "$(median "${touch[@]}") $(median "${edit[@]}") $(median "${add[@]}")"
}

binary() { echo "$CARGO_TARGET_DIR/release/bench_$1"; }
stripped_size() { # tool
    strip -o "$work/stripped" "$(binary "$1")"
    stat -c %s "$work/stripped"
}

fresh_url() { # backend name
    if [ "$1" = sqlite ]; then
        rm -f "$work/$2.db"*
        echo "sqlite://$work/$2.db?mode=rwc"
    else
        PGOPTIONS="-c client_min_messages=warning" psql -q "$pg_admin" -c "DROP DATABASE IF EXISTS $2" -c "CREATE DATABASE $2" >/dev/null
        echo "$pg_base/$2"
    fi
}
drop_db() { if [ "$1" = postgres ]; then PGOPTIONS="-c client_min_messages=warning" psql -q "$pg_admin" -c "DROP DATABASE IF EXISTS $2" >/dev/null; fi; }

# apply: median of 3 (fresh database each); check: "first warm" medians of 5 processes.
apply_ms() { # tool backend
    local runs=() k url
    for k in 1 2 3; do
        url=$(fresh_url "$2" "loopbench_$1")
        runs+=("$("$(binary "$1")" apply "$url" | awk '{ printf "%.1f", $1 / 1000 }')")
    done
    drop_db "$2" "loopbench_$1"
    median "${runs[@]}"
}
check_us() { # tool backend
    local first=() warm=() k url out
    url=$(fresh_url "$2" "loopbench_$1")
    "$(binary "$1")" apply "$url" >/dev/null
    for k in 1 2 3 4 5; do
        out=$("$(binary "$1")" check "$url")
        first+=("${out% *}")
        warm+=("${out#* }")
    done
    drop_db "$2" "loopbench_$1"
    echo "$(median "${first[@]}") $(median "${warm[@]}")"
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2fx", a / b; else print "-" }'; }
row() { printf '| %s | %s | %s | %s |\n' "$1" "$2" "$3" "$(ratio "$2" "$3")"; }

echo "load before: $(cut -d' ' -f1-3 /proc/loadavg); sqlx $sqlx_version; target dir $CARGO_TARGET_DIR"
for n in "${counts[@]}"; do
    make_project sqlx "$n"
    make_project ours "$n"
    # A failed build inside the process substitution would leave these empty.
    read -r s_touch s_edit s_add < <(rebuilds sqlx "$n") && [ -n "$s_add" ] || { echo "sqlx rebuilds failed, N = $n" >&2; exit 1; }
    read -r o_touch o_edit o_add < <(rebuilds ours "$n") && [ -n "$o_add" ] || { echo "our rebuilds failed, N = $n" >&2; exit 1; }
    echo
    echo "N = $n (load $(cut -d' ' -f1-3 /proc/loadavg))"
    echo "| figure | ours | sqlx | ratio |"
    echo "| --- | ---: | ---: | ---: |"
    row "rebuild after touch (s)" "$o_touch" "$s_touch"
    row "rebuild after editing one statement (s)" "$o_edit" "$s_edit"
    row "rebuild after adding one revision (s)" "$o_add" "$s_add"
    if [ "$n" -le "$apply_max" ]; then
        for backend in sqlite postgres; do
            read -r o_first o_warm < <(check_us ours "$backend")
            read -r s_first s_warm < <(check_us sqlx "$backend")
            row "check, first call in a fresh process, $backend (us)" "$o_first" "$s_first"
            row "check, warm, $backend (us)" "$o_warm" "$s_warm"
            row "apply $n revisions, $backend (ms)" "$(apply_ms ours "$backend")" "$(apply_ms sqlx "$backend")"
        done
    fi
    row "stripped binary (bytes)" "$(stripped_size ours)" "$(stripped_size sqlx)"
    rm -rf "${work:?}/sqlx_$n" "${work:?}/ours_$n"
done
if [ "${LOOP_BENCH_OVERRIDE:-0}" = 1 ]; then
    n=1000
    export LOOP_BENCH_EXTRA_TOML=$'[profile.release.build-override]\nopt-level = 3'
    make_project ours "$n"
    read -r o_touch o_edit o_add < <(rebuilds ours "$n")
    echo
    echo "ours, N = $n, build-override opt-level = 3: touch $o_touch s, edit $o_edit s, add $o_add s"
fi
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
