#!/usr/bin/env bash
# What the first query of a new PostgreSQL session costs the server, for the
# start-up check's query and the one-table alternatives (issue 16). Outside CI.
#
#   scripts/first-query-bench.sh [ROUNDS]     # default 30
#
# Builds a database shaped like the loop benchmark's N = 1,000 one (1,000
# version rows with the change counter's trigger, the summary table, 1,000
# tables with an index each), then opens ROUNDS fresh `psql` sessions per
# query, interleaved, each running one query with `log_statement_stats`, and
# prints the median (and quartiles) of the statement's CPU time inside the
# backend, which the client's scheduling on a loaded machine does not enter.
# Needs psql and PostgreSQL at $PG_ADMIN (default postgres://root@127.0.0.1:5432/postgres,
# a superuser: `log_statement_stats` is superuser-only).
set -euo pipefail

rounds=${1:-30}
pg_admin=${PG_ADMIN:-postgres://root@127.0.0.1:5432/postgres}
db=first_query_bench
url=${pg_admin%/*}/$db
quiet=(env PGOPTIONS="-c client_min_messages=warning" psql -X -q -v ON_ERROR_STOP=1)
"${quiet[@]}" "$pg_admin" -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >/dev/null
trap '"${quiet[@]}" "$pg_admin" -c "DROP DATABASE IF EXISTS $db" >/dev/null' EXIT
"${quiet[@]}" "$url" >/dev/null <<'SQL'
CREATE TABLE migrate_version (revision VARCHAR(64) NOT NULL PRIMARY KEY, checksum CHAR(64) NOT NULL,
    down_revisions TEXT NOT NULL, applied_at TIMESTAMP NOT NULL, duration_ms BIGINT NOT NULL,
    state VARCHAR(16) NOT NULL, statements_done BIGINT NOT NULL, downgrade_sql TEXT NOT NULL);
CREATE TABLE migrate_version_summary (id BIGINT NOT NULL PRIMARY KEY, heads TEXT NOT NULL, digest CHAR(64) NOT NULL,
    failed BIGINT NOT NULL, changes BIGINT NOT NULL DEFAULT 0, seen BIGINT NOT NULL DEFAULT -1,
    counted BIGINT NOT NULL DEFAULT 0);
INSERT INTO migrate_version SELECT 'r' || lpad(i::text, 6, '0'), repeat('a', 64), 'r' || lpad((i - 1)::text, 6, '0'),
    now(), 1, 'applied', 4, '{}' FROM generate_series(1, 1000) i;
INSERT INTO migrate_version_summary VALUES (1, 'r001000', repeat('b', 64), 0, 5, 5, 1);
CREATE FUNCTION migrate_version_count() RETURNS trigger LANGUAGE plpgsql AS $f$
BEGIN
    EXECUTE format('UPDATE %I.%I SET changes = changes + 1 WHERE id = 1', TG_TABLE_SCHEMA, TG_TABLE_NAME || '_summary');
    RETURN NULL;
END
$f$;
CREATE TRIGGER migrate_version_count AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON migrate_version
    FOR EACH STATEMENT EXECUTE PROCEDURE migrate_version_count();
-- The catalog-free guard: a column of the version table's row type.
CREATE TABLE guard_summary (id BIGINT NOT NULL PRIMARY KEY, heads TEXT NOT NULL, digest CHAR(64) NOT NULL,
    failed BIGINT NOT NULL, changes BIGINT NOT NULL DEFAULT 0, seen BIGINT NOT NULL DEFAULT -1,
    counted BIGINT NOT NULL DEFAULT 0, guard migrate_version);
INSERT INTO guard_summary VALUES (1, 'r001000', repeat('b', 64), 0, 5, 5, 1, NULL);
DO $$ BEGIN FOR i IN 1..1000 LOOP
    EXECUTE format('CREATE TABLE t%s (id BIGINT PRIMARY KEY, name TEXT NOT NULL, note TEXT); CREATE INDEX t%s_name ON t%s (name)', i, i, i);
END LOOP; END $$;
ANALYZE;
SQL

names=(select_1 check_two_tables summary_only typed_guard version_row)
queries=(
    "SELECT 1"
    "SELECT digest, failed, changes, seen, counted FROM migrate_version_summary WHERE id = 1 AND NOT EXISTS (SELECT 1 FROM migrate_version WHERE 1 = 0)"
    "SELECT digest, failed, changes, seen, counted FROM migrate_version_summary WHERE id = 1"
    "SELECT digest, failed, changes, seen, counted FROM guard_summary WHERE id = 1 AND guard IS NULL"
    "SELECT checksum, state, duration_ms, statements_done FROM migrate_version WHERE revision = 'r000500'"
)
work=$(mktemp -d)
trap 'rm -rf "$work"; "${quiet[@]}" "$pg_admin" -c "DROP DATABASE IF EXISTS $db" >/dev/null' EXIT
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
for ((r = 0; r < rounds; r++)); do
    for i in "${!names[@]}"; do
        PGOPTIONS="-c log_statement_stats=on -c client_min_messages=log" psql -X -q "$url" -c "${queries[$i]}" 2>&1 |
            awk '/s elapsed/ && !done { gsub(/!/, ""); print ($1 + $4) * 1000; done = 1 }' >>"$work/${names[$i]}"
    done
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "| first query of a fresh session | server CPU, median (ms) | quartiles |"
echo "| --- | ---: | ---: |"
for name in "${names[@]}"; do
    sort -g "$work/$name" | awk -v name="$name" '{ v[NR] = $1 } END {
        printf "| %s | %.3f | %.3f to %.3f |\n", name, v[int((NR + 1) / 2)], v[int((NR + 3) / 4)], v[int((3 * NR + 1) / 4)] }'
done
