#!/usr/bin/env bash
# Kills `migrate_worker` with SIGKILL at random moments of many upgrades
# and downgrades, on SQLite and (when MIGRATE_TEST_POSTGRES_URL is set)
# PostgreSQL, checking after each kill that the database sits exactly at a
# revision boundary. CI runs 12 kills per backend; this runs many more.
# Each round also runs the kill matrix (tests/tests/kill_matrix.rs: kills
# aimed inside long DML and CREATE INDEX CONCURRENTLY, on MariaDB too when
# MIGRATE_TEST_MYSQL_URL is set) for KILLS_PER_BACKEND / 4 rounds of targets.
#
#   scripts/crash-loop.sh [KILLS_PER_BACKEND] [ROUNDS]
#
# Each round is one `cargo test` run of tests/tests/crash.rs with
# MIGRATE_CRASH_KILLS=KILLS_PER_BACKEND (default 200), ROUNDS times
# (default 1). Stops at the first failure.
set -euo pipefail
cd "$(dirname "$0")/.."

kills="${1:-200}"
rounds="${2:-1}"
export MIGRATE_TEST_POSTGRES_URL="${MIGRATE_TEST_POSTGRES_URL:-postgres://root@127.0.0.1:5432/postgres}"

for round in $(seq 1 "$rounds"); do
  echo "==> round $round of $rounds: $kills kills per backend"
  MIGRATE_CRASH_KILLS="$kills" cargo test -p migrate-tests --test crash -- --nocapture --test-threads=1
  MIGRATE_KILL_MATRIX_ROUNDS="$(( (kills + 3) / 4 ))" cargo test -p migrate-tests --test kill_matrix -- --nocapture --test-threads=1
done
