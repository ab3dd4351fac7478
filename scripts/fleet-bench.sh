#!/usr/bin/env bash
# A fleet of N PostgreSQL tenant schemas brought from base to the head of the
# blog history (5 revisions) by one `cargo migrate upgrade head --fleet`,
# against the shell loop it replaces: N `cargo migrate upgrade head` processes,
# one a schema (`options=-c search_path=...` in the URL). Prints each run's
# time, the most connections the run held at once (sampled from
# pg_stat_activity every 50 ms), and the ratio; then the time of the fleet's
# second run (every schema at head). Outside CI.
#
#   scripts/fleet-bench.sh [N] [CONCURRENCY]      # default 1000 8
#
# Needs MIGRATE_TEST_POSTGRES_URL (a server URL with a database path, such as
# postgres://root@127.0.0.1:5432/postgres) and a built cargo-migrate (set
# CARGO_TARGET_DIR to the target directory; `cargo build -p migrate-cli` first).
set -euo pipefail

count=${1:-1000}
concurrency=${2:-8}
repo=$(cd "$(dirname "$0")/.." && pwd)
base=${MIGRATE_TEST_POSTGRES_URL:?set MIGRATE_TEST_POSTGRES_URL}
bin=${CARGO_TARGET_DIR:-$repo/target}/debug/cargo-migrate
[ -x "$bin" ] || { echo "build cargo-migrate first: cargo build -p migrate-cli" >&2; exit 1; }
server=${base%/*}
work=$(mktemp -d)
suffix=$$
fleet_db=fleet_bench_a_$suffix
loop_db=fleet_bench_b_$suffix
cleanup() {
    psql -q "$base" -c "DROP DATABASE IF EXISTS $fleet_db WITH (FORCE)" >/dev/null 2>&1 || true
    psql -q "$base" -c "DROP DATABASE IF EXISTS $loop_db WITH (FORCE)" >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT
cp -r "$repo/examples/blog/migrations/postgres" "$work/migrations"
for i in $(seq -w 1 "$count"); do echo "tenant_$i"; done >"$work/tenants.txt"
psql -q "$base" -c "CREATE DATABASE $fleet_db" -c "CREATE DATABASE $loop_db"
# The loop's single runs do not create schemas: make them first.
psql -q "$server/$loop_db" -c "DO \$\$ BEGIN FOR i IN 1..$count LOOP EXECUTE format('CREATE SCHEMA tenant_%s', lpad(i::text, ${#count}, '0')); END LOOP; END \$\$"

# Samples the connections to database $1 until the file $2 appears; prints the peak.
peak_connections() {
    local db=$1 stop=$2 peak=0 now
    while [ ! -e "$stop" ]; do
        now=$(psql -tAq "$base" -c "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = '$db'")
        [ "$now" -gt "$peak" ] && peak=$now
        sleep 0.05
    done
    echo "$peak"
}

seconds() { date +%s.%N; }

cd "$work"
peak_connections "$fleet_db" "$work/fleet.done" >"$work/fleet.peak" &
start=$(seconds)
DATABASE_URL="$server/$fleet_db" "$bin" migrate -q upgrade head --fleet tenants.txt --concurrency "$concurrency" >"$work/fleet.out"
fleet_time=$(echo "$(seconds) - $start" | bc)
touch "$work/fleet.done"; wait
tail -n 1 "$work/fleet.out"

start=$(seconds)
DATABASE_URL="$server/$fleet_db" "$bin" migrate -q upgrade head --fleet tenants.txt --concurrency "$concurrency" >"$work/again.out"
again_time=$(echo "$(seconds) - $start" | bc)
tail -n 1 "$work/again.out"

peak_connections "$loop_db" "$work/loop.done" >"$work/loop.peak" &
start=$(seconds)
while read -r schema; do
    DATABASE_URL="$server/$loop_db?options=-c%20search_path%3D$schema" "$bin" migrate -q upgrade head
done <tenants.txt
loop_time=$(echo "$(seconds) - $start" | bc)
touch "$work/loop.done"; wait
applied=$(psql -tAq "$server/$loop_db" -c "SELECT COUNT(*) FROM pg_namespace n JOIN pg_class c ON c.relnamespace = n.oid WHERE c.relname = 'migrate_version' AND n.nspname LIKE 'tenant\\_%'")
echo "loop: $applied schemas with a version table"

printf 'fleet (concurrency %s): %6.2f s, peak %s connections\n' "$concurrency" "$fleet_time" "$(cat "$work/fleet.peak")"
printf 'fleet, second run:      %6.2f s (every schema at head)\n' "$again_time"
printf 'shell loop:             %6.2f s, peak %s connections\n' "$loop_time" "$(cat "$work/loop.peak")"
printf 'loop / fleet:           %6.1fx\n' "$(echo "$loop_time / $fleet_time" | bc -l)"
