//! The version table and its one-row summary: schema, SQL text, digests.
//!
//! # Schema
//!
//! `<name>` (default `migrate_version`) holds one row per revision the
//! database has, or had started to apply:
//!
//! | column | meaning |
//! | --- | --- |
//! | `revision` | the id, primary key (the guard that makes an apply exactly-once) |
//! | `checksum` | 64 hex digits of SHA-256 over the revision's SQL tokens |
//! | `down_revisions` | its parents, comma separated, so an older binary can order rows it does not know |
//! | `applied_at` | when the revision started to apply (UTC) |
//! | `duration_ms` | how long it took |
//! | `state` | `applied`; `partial` / `reverting` while a revision with `transaction:false` sections (or any revision on MySQL) is half way; `failed` / `revert_failed` after a statement failed there |
//! | `statements_done` | statements of the current direction known to have run |
//! | `downgrade_sql` | the downgrade sections as JSON (`{"file","sections":[{"transactional","line","statements":[{"sql","line"}]}]}`), so an older binary can revert it |
//!
//! `<name>_summary` holds one row (`id = 1`): the applied heads, a SHA-256
//! digest over the sorted `(revision, checksum)` pairs of applied rows, a
//! `failed` flag set while any row is not `applied`, and the version table's
//! change counter: `changes`, bumped by triggers on the version table at
//! every `INSERT`, `UPDATE` and `DELETE` (and PostgreSQL's `TRUNCATE`),
//! whoever runs it; `seen`, the value the migrator's last summary write
//! left (every write of the summary, in the same transaction as the
//! version-table change it follows, sets `seen = changes`); and `counted`,
//! 1 once the triggers exist.
//!
//! The start-up check is one query of O(1) data, whatever the history: the
//! summary row ([`VersionTable::check_query`]). When `counted` is 1, `seen`
//! equals `changes` (no one but the migrator changed the version table
//! since the summary was written), nothing is failed and the digest is the
//! plan's for the target, the database is there. A hand edit of the version
//! table, even of a column no check compares, leaves `changes` ahead of
//! `seen`, and the run takes the full path, which validates every row and
//! (when nothing is to run) writes the summary the rows imply, counter
//! included. Where the triggers could not be created (MySQL with binary
//! logging, without `SUPER` or `log_bin_trust_function_creators`),
//! `counted` stays 0 and the check falls back on a [fingerprint] of the
//! version table itself (row count, rows not `applied`, and a sum of
//! per-row hashes of `(revision, checksum)`), computed by the server on
//! PostgreSQL and MySQL in one aggregate query, and on SQLite from the rows
//! read in one query. Version tables an earlier version created (without
//! the counter) get the columns and the triggers on the first run that
//! takes the full path.
//!
//! Every statement here is built from the validated table name and from
//! literals quoted per dialect; the same text serves the online runtime and
//! the offline script.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use sha2::{Digest as _, Sha256};

use crate::error::Error;
use crate::plan::Dialect;

/// A validated version table name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct VersionTable {
    name: String,
    /// Whether summary writes record the change counter they leave
    /// (`seen = changes`): online runs; not the offline script, which may
    /// run on a summary table an earlier version made without the column.
    counter: bool,
}

impl VersionTable {
    /// Accepts `[A-Za-z_][A-Za-z0-9_]*`, at most 48 bytes: a name that needs
    /// no quoting on any backend, so it can never smuggle SQL in.
    pub(crate) fn new(name: &str) -> Result<VersionTable, Error> {
        let refuse = |reason| Error::InvalidVersionTable {
            name: name.to_string(),
            reason,
        };
        if let Some(problem) = migrate_core::names::version_table_problem(name) {
            return Err(refuse(problem));
        }
        Ok(VersionTable {
            name: name.to_string(),
            counter: true,
        })
    }

    /// The same table for the offline script: its summary writes leave the
    /// change counter alone (so the script runs on a summary table of any
    /// version; the next online check then takes the full path once).
    pub(crate) fn for_script(mut self) -> VersionTable {
        self.counter = false;
        self
    }

    /// The table's name.
    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    pub(crate) fn table(&self, dialect: Dialect) -> String {
        quote_identifier(dialect, &self.name)
    }

    pub(crate) fn summary_table(&self, dialect: Dialect) -> String {
        quote_identifier(dialect, &migrate_core::names::summary_table(&self.name))
    }

    /// `CREATE TABLE IF NOT EXISTS` for both tables, and the summary's row.
    pub(crate) fn create(&self, dialect: Dialect) -> Vec<String> {
        let table = self.table(dialect);
        let summary = self.summary_table(dialect);
        let (timestamp, big_text, integer, suffix) = match dialect {
            Dialect::MySql => (
                "DATETIME(6)",
                "LONGTEXT",
                "BIGINT",
                " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4",
            ),
            Dialect::Sqlite => ("TEXT", "TEXT", "INTEGER", ""),
            Dialect::Postgres | Dialect::Generic => ("TIMESTAMPTZ", "TEXT", "BIGINT", ""),
        };
        let empty = Summary::default();
        let insert_summary = format!(
            "{} INTO {summary} (id, heads, digest, failed) VALUES (1, '', '{}', 0){}",
            match dialect {
                Dialect::MySql => "INSERT IGNORE",
                Dialect::Sqlite => "INSERT OR IGNORE",
                _ => "INSERT",
            },
            empty.digest,
            match dialect {
                Dialect::Postgres | Dialect::Generic => " ON CONFLICT (id) DO NOTHING",
                _ => "",
            }
        );
        vec![
            format!(
                "CREATE TABLE IF NOT EXISTS {table} (\n    revision VARCHAR(64) NOT NULL PRIMARY KEY,\n    checksum CHAR(64) NOT NULL,\n    down_revisions TEXT NOT NULL,\n    applied_at {timestamp} NOT NULL,\n    duration_ms {integer} NOT NULL,\n    state VARCHAR(16) NOT NULL,\n    statements_done {integer} NOT NULL,\n    downgrade_sql {big_text} NOT NULL\n){suffix}"
            ),
            format!(
                "CREATE TABLE IF NOT EXISTS {summary} (\n    id {integer} NOT NULL PRIMARY KEY,\n    heads TEXT NOT NULL,\n    digest CHAR(64) NOT NULL,\n    failed {integer} NOT NULL,\n    changes {integer} NOT NULL DEFAULT 0,\n    seen {integer} NOT NULL DEFAULT -1,\n    counted {integer} NOT NULL DEFAULT 0\n){suffix}"
            ),
            insert_summary,
        ]
    }

    /// One row, one column: how many of the two tables exist.
    pub(crate) fn exists_query(&self, dialect: Dialect) -> String {
        let names = format!(
            "{}, {}",
            literal(dialect, &self.name),
            literal(dialect, &migrate_core::names::summary_table(&self.name))
        );
        match dialect {
            Dialect::Sqlite => format!(
                "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name IN ({names})"
            ),
            Dialect::MySql => format!(
                "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name IN ({names})"
            ),
            Dialect::Postgres | Dialect::Generic => format!(
                "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name IN ({names})"
            ),
        }
    }

    /// `revision, checksum, down_revisions, applied_at (text), duration_ms, state, statements_done`.
    pub(crate) fn select_rows(&self, dialect: Dialect) -> String {
        let applied_at = match dialect {
            Dialect::MySql => "CAST(applied_at AS CHAR)",
            Dialect::Sqlite => "applied_at",
            Dialect::Postgres | Dialect::Generic => "CAST(applied_at AS TEXT)",
        };
        format!(
            "SELECT revision, checksum, down_revisions, {applied_at}, duration_ms, state, statements_done FROM {} ORDER BY applied_at, revision",
            self.table(dialect)
        )
    }

    /// The fast path's one query. PostgreSQL and MySQL: one row, one
    /// column, the [fingerprint] text computed by the server. SQLite: one
    /// row, the count, the rows not applied, and every row's
    /// `revision checksum` on a line of its own, for [`fingerprint_lines`].
    pub(crate) fn fingerprint_query(&self, dialect: Dialect) -> String {
        let table = self.table(dialect);
        let not_applied = "COALESCE(SUM(CASE WHEN state = 'applied' THEN 0 ELSE 1 END), 0)";
        match dialect {
            Dialect::Sqlite => format!(
                "SELECT CAST(COUNT(*) AS TEXT), CAST({not_applied} AS TEXT), COALESCE(group_concat(revision || ' ' || rtrim(checksum), char(10)), '') FROM {table}"
            ),
            Dialect::MySql => format!(
                "SELECT CAST(CONCAT(COUNT(*), ':', {not_applied}, ':', COALESCE(SUM(CAST(CONV(SUBSTRING(MD5(CONCAT(revision, ' ', checksum)), 1, 15), 16, 10) AS UNSIGNED)), 0)) AS CHAR) FROM {table}"
            ),
            Dialect::Postgres | Dialect::Generic => format!(
                "SELECT CAST(COUNT(*) AS TEXT) || ':' || CAST({not_applied} AS TEXT) || ':' || CAST(COALESCE(SUM(CAST(CAST('x' || substr(md5(revision || ' ' || checksum), 1, 15) AS bit(60)) AS BIGINT)), 0) AS TEXT) FROM {table}"
            ),
        }
    }

    /// The change counter's columns, for a summary table an earlier version
    /// created without them (each `ALTER` fails harmlessly when the column
    /// is there).
    pub(crate) fn add_counter_columns(&self, dialect: Dialect) -> Vec<String> {
        let summary = self.summary_table(dialect);
        let integer = match dialect {
            Dialect::Sqlite => "INTEGER",
            _ => "BIGINT",
        };
        [("changes", 0), ("seen", -1), ("counted", 0)]
            .iter()
            .map(|(column, default)| {
                format!("ALTER TABLE {summary} ADD COLUMN {column} {integer} NOT NULL DEFAULT {default}")
            })
            .collect()
    }

    /// The triggers that count every change of the version table in the
    /// summary's `changes` (any `INSERT`, `UPDATE` or `DELETE`, and on
    /// PostgreSQL `TRUNCATE`, whoever runs it), then `counted = 1`. The
    /// migrator's own summary writes set `seen = changes`; a change by
    /// anything else leaves `changes` ahead of `seen`.
    pub(crate) fn create_counter(&self, dialect: Dialect) -> Vec<String> {
        let name = &self.name;
        let counter = migrate_core::names::counter_function(name);
        let table = self.table(dialect);
        let summary = self.summary_table(dialect);
        let bump = format!("UPDATE {summary} SET changes = changes + 1 WHERE id = 1");
        let mut statements = Vec::new();
        match dialect {
            Dialect::Postgres | Dialect::Generic => {
                // The summary next to the table that changed, whatever the
                // search_path of the session that changed it.
                statements.push(format!(
                    "CREATE OR REPLACE FUNCTION \"{counter}\"() RETURNS trigger LANGUAGE plpgsql AS $migrate$\nBEGIN\n    EXECUTE format('UPDATE %I.%I SET changes = changes + 1 WHERE id = 1', TG_TABLE_SCHEMA, TG_TABLE_NAME || '_summary');\n    RETURN NULL;\nEND\n$migrate$"
                ));
                statements.push(format!("DROP TRIGGER IF EXISTS \"{counter}\" ON {table}"));
                statements.push(format!(
                    "CREATE TRIGGER \"{counter}\" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} FOR EACH STATEMENT EXECUTE PROCEDURE \"{counter}\"()"
                ));
            }
            Dialect::Sqlite => {
                for (suffix, event) in [("ins", "INSERT"), ("upd", "UPDATE"), ("del", "DELETE")] {
                    statements.push(format!(
                        "CREATE TRIGGER IF NOT EXISTS \"{name}_{suffix}\" AFTER {event} ON {table} BEGIN {bump}; END"
                    ));
                }
            }
            Dialect::MySql => {
                for (suffix, event) in [("ins", "INSERT"), ("upd", "UPDATE"), ("del", "DELETE")] {
                    statements.push(format!("DROP TRIGGER IF EXISTS `{name}_{suffix}`"));
                    statements.push(format!(
                        "CREATE TRIGGER `{name}_{suffix}` AFTER {event} ON {table} FOR EACH ROW {bump}"
                    ));
                }
            }
        }
        statements.push(format!("UPDATE {summary} SET counted = 1 WHERE id = 1"));
        statements
    }

    /// One row, one column: whether the change counter is in place (1).
    pub(crate) fn counted_query(&self, dialect: Dialect) -> String {
        format!(
            "SELECT counted FROM {} WHERE id = 1",
            self.summary_table(dialect)
        )
    }

    /// One row, one column: the change counter.
    pub(crate) fn changes_query(&self, dialect: Dialect) -> String {
        format!(
            "SELECT changes FROM {} WHERE id = 1",
            self.summary_table(dialect)
        )
    }

    /// The start-up check's one query, O(1) whatever the history: one row,
    /// `digest, failed, changes, seen, counted` from the summary row, where
    /// `changes = seen` when no change of the version table happened since
    /// the migrator's last summary write (see [`create_counter`](Self::create_counter)).
    /// It names the version table too (a test no row can fail), so a
    /// dropped version table makes it fail.
    pub(crate) fn check_query(&self, dialect: Dialect) -> String {
        // Plain columns, compared by the caller: on PostgreSQL the first
        // query of a new session pays the catalog lookups of every operator
        // and cast it names (`||`, `CAST`, `CASE`, `=`), which took the
        // first call from about 1.4 to 2.4 ms; `id = 1` and the guard use
        // the primary keys' operators, which the lookup of a table needs
        // anyway.
        format!(
            "SELECT digest, failed, changes, seen, counted FROM {} WHERE id = 1 AND NOT EXISTS (SELECT 1 FROM {} WHERE 1 = 0)",
            self.summary_table(dialect),
            self.table(dialect)
        )
    }

    /// After a full read found the rows in order and nothing to run: the
    /// summary they imply, with the counter recorded, unless the version
    /// table changed since its counter read `changes`.
    pub(crate) fn settle_summary(
        &self,
        dialect: Dialect,
        summary: &Summary,
        changes: i64,
    ) -> String {
        format!(
            "UPDATE {} SET heads = {}, digest = {}, failed = {}, seen = changes WHERE id = 1 AND changes = {changes}",
            self.summary_table(dialect),
            literal(dialect, &summary.heads),
            literal(dialect, &summary.digest),
            i32::from(summary.failed)
        )
    }

    /// `digest, failed` of the summary row.
    pub(crate) fn select_summary(&self, dialect: Dialect) -> String {
        format!(
            "SELECT digest, failed FROM {} WHERE id = 1",
            self.summary_table(dialect)
        )
    }

    pub(crate) fn select_downgrade(&self, dialect: Dialect, revision: &str) -> String {
        format!(
            "SELECT downgrade_sql FROM {} WHERE revision = {}",
            self.table(dialect),
            literal(dialect, revision)
        )
    }

    /// A new row, stamped now.
    pub(crate) fn insert(&self, dialect: Dialect, row: &NewRow<'_>) -> String {
        format!(
            "INSERT INTO {} (revision, checksum, down_revisions, applied_at, duration_ms, state, statements_done, downgrade_sql) VALUES ({}, {}, {}, {}, 0, {}, {}, {})",
            self.table(dialect),
            literal(dialect, row.revision),
            literal(dialect, row.checksum),
            literal(dialect, &row.down_revisions.join(",")),
            now(dialect),
            literal(dialect, row.state.as_str()),
            row.statements_done,
            literal(dialect, row.downgrade_sql),
        )
    }

    pub(crate) fn set_progress(
        &self,
        dialect: Dialect,
        revision: &str,
        state: RowState,
        done: usize,
    ) -> String {
        format!(
            "UPDATE {} SET state = {}, statements_done = {done} WHERE revision = {}",
            self.table(dialect),
            literal(dialect, state.as_str()),
            literal(dialect, revision)
        )
    }

    /// Marks a row applied and records how long it took since `applied_at`.
    pub(crate) fn finish(&self, dialect: Dialect, revision: &str, done: usize) -> String {
        format!(
            "UPDATE {} SET state = 'applied', statements_done = {done}, duration_ms = {} WHERE revision = {}",
            self.table(dialect),
            elapsed_ms(dialect),
            literal(dialect, revision)
        )
    }

    pub(crate) fn delete(&self, dialect: Dialect, revision: &str) -> String {
        format!(
            "DELETE FROM {} WHERE revision = {}",
            self.table(dialect),
            literal(dialect, revision)
        )
    }

    pub(crate) fn write_summary(&self, dialect: Dialect, summary: &Summary) -> String {
        format!(
            "UPDATE {} SET heads = {}, digest = {}, failed = {}{} WHERE id = 1",
            self.summary_table(dialect),
            literal(dialect, &summary.heads),
            literal(dialect, &summary.digest),
            i32::from(summary.failed),
            if self.counter { ", seen = changes" } else { "" }
        )
    }
}

/// The values of a new version row.
pub(crate) struct NewRow<'a> {
    pub(crate) revision: &'a str,
    pub(crate) checksum: &'a str,
    pub(crate) down_revisions: &'a [String],
    pub(crate) state: RowState,
    pub(crate) statements_done: usize,
    pub(crate) downgrade_sql: &'a str,
}

fn now(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::MySql => "UTC_TIMESTAMP(6)",
        Dialect::Sqlite => "strftime('%Y-%m-%d %H:%M:%f', 'now')",
        Dialect::Postgres | Dialect::Generic => "clock_timestamp()",
    }
}

fn elapsed_ms(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::MySql => "TIMESTAMPDIFF(MICROSECOND, applied_at, UTC_TIMESTAMP(6)) DIV 1000",
        Dialect::Sqlite => "CAST((julianday('now') - julianday(applied_at)) * 86400000 AS INTEGER)",
        Dialect::Postgres | Dialect::Generic => {
            "CAST(EXTRACT(EPOCH FROM (clock_timestamp() - applied_at)) * 1000 AS BIGINT)"
        }
    }
}

/// An identifier in the dialect's quotes (the name is already validated).
fn quote_identifier(dialect: Dialect, name: &str) -> String {
    match dialect {
        Dialect::MySql => format!("`{name}`"),
        _ => format!("\"{name}\""),
    }
}

/// A string literal that means `text` on the dialect, whatever it holds and
/// whatever the server's settings; it spans one line.
///
/// Text without control characters or backslashes (SQLite: without control
/// characters) is `'...'` with quotes doubled, which every setting reads the
/// same. Otherwise:
/// PostgreSQL gets an escape string `E'...'` (backslash escapes whether
/// `standard_conforming_strings` is on or off, control characters as
/// `\uXXXX`); MySQL/MariaDB and SQLite get the UTF-8 bytes in hex
/// (`CONVERT(X'..' USING utf8mb4)`, `CAST(X'..' AS TEXT)`), exact under
/// every `sql_mode`, `NO_BACKSLASH_ESCAPES` or not. The values cannot be
/// bind parameters: a revision's statements and its version-table writes
/// go to the server as one batch (PostgreSQL's simple protocol), and the
/// same text makes the `--sql` script.
pub(crate) fn literal(dialect: Dialect, text: &str) -> String {
    // SQLite never reads a backslash as an escape.
    let plain =
        (dialect == Dialect::Sqlite || !text.contains('\\')) && !text.chars().any(char::is_control);
    if plain {
        return format!("'{}'", text.replace('\'', "''"));
    }
    match dialect {
        Dialect::Postgres | Dialect::Generic => {
            let mut out = String::with_capacity(text.len() + 8);
            out.push_str("E'");
            for c in text.chars() {
                match c {
                    '\\' => out.push_str("\\\\"),
                    '\'' => out.push_str("''"),
                    c if c.is_control() => {
                        let _ = write!(out, "\\u{:04X}", u32::from(c));
                    }
                    c => out.push(c),
                }
            }
            out.push('\'');
            out
        }
        Dialect::MySql => format!("CONVERT(X'{}' USING utf8mb4)", hex_bytes(text)),
        Dialect::Sqlite => format!("CAST(X'{}' AS TEXT)", hex_bytes(text)),
    }
}

fn hex_bytes(text: &str) -> String {
    let mut hex = String::with_capacity(text.len() * 2);
    for byte in text.bytes() {
        let _ = write!(hex, "{byte:02X}");
    }
    hex
}

/// Where a version row stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RowState {
    /// Applied completely.
    Applied,
    /// An upgrade was interrupted part way (process killed, or MySQL).
    Partial,
    /// An upgrade failed part way; the committed statements are recorded.
    Failed,
    /// A downgrade was interrupted part way.
    Reverting,
    /// A downgrade failed part way.
    RevertFailed,
}

impl RowState {
    /// The value stored in the `state` column.
    pub fn as_str(self) -> &'static str {
        match self {
            RowState::Applied => "applied",
            RowState::Partial => "partial",
            RowState::Failed => "failed",
            RowState::Reverting => "reverting",
            RowState::RevertFailed => "revert_failed",
        }
    }

    fn parse(text: &str) -> Option<RowState> {
        Some(match text {
            "applied" => RowState::Applied,
            "partial" => RowState::Partial,
            "failed" => RowState::Failed,
            "reverting" => RowState::Reverting,
            "revert_failed" => RowState::RevertFailed,
            _ => return None,
        })
    }
}

/// One row of the version table, as `history` returns it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionRow {
    /// The revision id.
    pub revision: String,
    /// The checksum it was applied with (64 hex digits).
    pub checksum: String,
    /// Its parents, as recorded when it was applied.
    pub down_revisions: Vec<String>,
    /// When it started to apply, as the database prints it (UTC).
    pub applied_at: String,
    /// How long it took, in milliseconds.
    pub duration_ms: i64,
    /// Applied, or left half way by an earlier run.
    pub state: RowState,
    /// Statements of the current direction known to have run.
    pub statements_done: i64,
}

/// The tuple `select_rows` returns.
pub(crate) type RawRow = (String, String, String, String, i64, String, i64);

impl VersionRow {
    pub(crate) fn from_raw(raw: RawRow) -> Result<VersionRow, Error> {
        let (revision, checksum, down_revisions, applied_at, duration_ms, state, statements_done) =
            raw;
        let state = RowState::parse(state.trim()).ok_or_else(|| {
            Error::CorruptVersionTable(format!("revision {revision} has unknown state `{state}`"))
        })?;
        Ok(VersionRow {
            revision,
            checksum: checksum.trim().to_string(),
            down_revisions: split_list(&down_revisions),
            applied_at,
            duration_ms,
            state,
            statements_done,
        })
    }
}

fn split_list(text: &str) -> Vec<String> {
    text.split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(str::to_string)
        .collect()
}

/// The rows of a version table, by revision id, with the summary kept up
/// to date incrementally (a run over 1,000 revisions must not rehash the
/// whole table after each one).
#[derive(Debug, Clone, Default)]
pub(crate) struct Rows {
    rows: BTreeMap<String, VersionRow>,
    /// Wrapping sum of the pair hashes of applied rows.
    sum: [u64; 4],
    /// Applied rows no applied row names as a parent (`migrate-core`).
    heads: migrate_core::HeadSet,
    /// Rows not in the `applied` state.
    not_applied: usize,
}

impl Rows {
    pub(crate) fn applied(&self) -> impl Iterator<Item = &VersionRow> {
        self.rows
            .values()
            .filter(|row| row.state == RowState::Applied)
    }

    pub(crate) fn values(&self) -> impl Iterator<Item = &VersionRow> {
        self.rows.values()
    }

    pub(crate) fn into_values(self) -> impl Iterator<Item = VersionRow> {
        self.rows.into_values()
    }

    pub(crate) fn get(&self, revision: &str) -> Option<&VersionRow> {
        self.rows.get(revision)
    }

    pub(crate) fn contains(&self, revision: &str) -> bool {
        self.rows.contains_key(revision)
    }

    /// Applied rows no other applied row names as a parent.
    pub(crate) fn heads(&self) -> Vec<String> {
        self.heads.heads().cloned().collect()
    }

    pub(crate) fn summary(&self) -> Summary {
        Summary {
            heads: self.heads().join(","),
            digest: migrate_core::digest::hex(self.sum),
            failed: self.not_applied > 0,
        }
    }

    fn count_in(&mut self, row: &VersionRow) {
        if row.state != RowState::Applied {
            self.not_applied += 1;
            return;
        }
        migrate_core::digest::add(
            &mut self.sum,
            pair_hash(&row.revision, &row.checksum),
            false,
        );
        self.heads.add(&row.revision, &row.down_revisions);
    }

    fn count_out(&mut self, row: &VersionRow) {
        if row.state != RowState::Applied {
            self.not_applied -= 1;
            return;
        }
        migrate_core::digest::add(&mut self.sum, pair_hash(&row.revision, &row.checksum), true);
        let rows = &self.rows;
        self.heads
            .remove(&row.revision, &row.down_revisions, |parent| {
                rows.get(parent)
                    .is_some_and(|p| p.state == RowState::Applied)
            });
    }

    /// Adds or replaces a row.
    pub(crate) fn put(&mut self, row: VersionRow) {
        self.remove(&row.revision.clone());
        self.count_in(&row);
        self.rows.insert(row.revision.clone(), row);
    }

    pub(crate) fn remove(&mut self, revision: &str) {
        if let Some(row) = self.rows.remove(revision) {
            self.count_out(&row);
        }
    }

    pub(crate) fn insert(
        &mut self,
        revision: &str,
        checksum: &str,
        down_revisions: Vec<String>,
        state: RowState,
    ) {
        self.put(VersionRow {
            revision: revision.to_string(),
            checksum: checksum.to_string(),
            down_revisions,
            applied_at: String::new(),
            duration_ms: 0,
            state,
            statements_done: 0,
        });
    }

    pub(crate) fn set_state(&mut self, revision: &str, state: RowState) {
        if let Some(mut row) = self.rows.get(revision).cloned() {
            row.state = state;
            self.put(row);
        }
    }
}

/// The summary row's content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Summary {
    pub(crate) heads: String,
    pub(crate) digest: String,
    pub(crate) failed: bool,
}

impl Default for Summary {
    fn default() -> Summary {
        Summary {
            heads: String::new(),
            digest: migrate_core::digest::hex([0; 4]),
            failed: false,
        }
    }
}

fn pair_hash(revision: &str, checksum_hex: &str) -> [u64; 4] {
    migrate_core::digest::pair(revision, &checksum_bytes(checksum_hex))
}

/// The 32 bytes of a 64-digit hex checksum; anything else (a damaged row)
/// is hashed so it still differs from every valid checksum.
fn checksum_bytes(hex: &str) -> [u8; 32] {
    let digits = hex.as_bytes();
    let value = |digit: u8| match digit {
        b'0'..=b'9' => Some(digit - b'0'),
        b'a'..=b'f' => Some(digit - b'a' + 10),
        b'A'..=b'F' => Some(digit - b'A' + 10),
        _ => None,
    };
    let mut bytes = [0u8; 32];
    if digits.len() == 64 {
        let mut valid = true;
        for (byte, pair) in bytes.iter_mut().zip(digits.chunks_exact(2)) {
            match (value(pair[0]), value(pair[1])) {
                (Some(high), Some(low)) => *byte = high << 4 | low,
                _ => valid = false,
            }
        }
        if valid {
            return bytes;
        }
    }
    Sha256::digest(hex.as_bytes()).into()
}

/// 64 lowercase hex digits.
pub(crate) fn hex(bytes: &[u8; 32]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(64);
    for byte in bytes {
        out.push(DIGITS[usize::from(byte >> 4)] as char);
        out.push(DIGITS[usize::from(byte & 15)] as char);
    }
    out
}

/// The digest of a set of `(revision, checksum)` pairs: the sum modulo
/// 2^256 of [`migrate_core::digest::pair`], so that it can be updated one row at a time
/// and does not depend on order.
#[cfg(test)]
pub(crate) fn digest<'a>(pairs: impl Iterator<Item = (&'a str, &'a str)>) -> String {
    digest_words(pairs.map(|(revision, checksum)| pair_hash(revision, checksum)))
}

/// The digest of pairs already turned into words.
#[cfg(test)]
fn digest_words(words: impl Iterator<Item = [u64; 4]>) -> String {
    let mut sum = [0u64; 4];
    for value in words {
        migrate_core::digest::add(&mut sum, value, false);
    }
    migrate_core::digest::hex(sum)
}

/// The hash of one `(revision, checksum)` pair in the [fingerprint]: the
/// first 15 hex digits (60 bits) of the MD5 of `revision checksum`, which
/// PostgreSQL (`md5`) and MySQL (`MD5`) compute the same way.
fn row_hash(revision: &str, checksum: &str) -> u64 {
    line_hash(format!("{revision} {checksum}").as_bytes())
}

fn line_hash(line: &[u8]) -> u64 {
    use md5::Digest as _;
    let digest = md5::Md5::digest(line);
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    u64::from_be_bytes(first) >> 4
}

/// The fingerprint of a version table: `rows:not_applied:sum`, where `sum`
/// adds up [`row_hash`] over every row. It sees a deleted or added row (the
/// count), an edited id or checksum (the sum, but for a 2^-60 chance) and a
/// row left half way (`not_applied`), and does not depend on row order.
/// Each item is `(revision, checksum, applied)`; checksums are compared as
/// the servers read a `CHAR` column, without trailing spaces.
pub(crate) fn fingerprint<'a>(rows: impl Iterator<Item = (&'a str, &'a str, bool)>) -> String {
    let (mut count, mut not_applied, mut sum) = (0u64, 0u64, 0u128);
    for (revision, checksum, applied) in rows {
        count += 1;
        not_applied += u64::from(!applied);
        sum += u128::from(row_hash(revision, checksum.trim_end()));
    }
    format!("{count}:{not_applied}:{sum}")
}

/// The fingerprint from SQLite's answer: the count and rows not applied as
/// the database counted them, and `revision checksum` lines.
pub(crate) fn fingerprint_lines(count: &str, not_applied: &str, lines: &str) -> String {
    let sum: u128 = lines
        .split('\n')
        .filter(|line| !line.is_empty())
        .map(|line| u128::from(line_hash(line.as_bytes())))
        .sum();
    format!("{count}:{not_applied}:{sum}")
}

/// Encodes a revision's downgrade sections for the version table (the
/// `downgrade_sql` column: what an older binary needs to revert a revision
/// it does not know; [`migrate_core::stored`]).
pub(crate) fn encode_downgrade(revision: &crate::plan::Revision) -> String {
    migrate_core::stored::encode_downgrade(revision.file(), revision.downgrade())
}

/// Rebuilds a revision (downgrade sections only) from its stored row.
pub(crate) fn decode_downgrade(
    row: &VersionRow,
    json: &str,
) -> Result<crate::plan::Revision, Error> {
    use crate::plan::{Revision, Text};
    let (file, sections) = migrate_core::stored::decode_downgrade(json).map_err(|error| {
        Error::CorruptVersionTable(format!(
            "the stored downgrade of revision {} cannot be read: {error}",
            row.revision
        ))
    })?;
    let parents: Vec<Text> = row
        .down_revisions
        .iter()
        .map(|p| Text::from(p.clone()))
        .collect();
    Ok(Revision {
        id: row.revision.clone().into(),
        down_revisions: parents.into(),
        depends_on: Vec::new().into(),
        branch_labels: Vec::new().into(),
        message: Text::from(""),
        create_date: Text::from(""),
        file: file.into(),
        checksum: [0; 32],
        upgrade: Vec::new().into(),
        downgrade: sections.into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_plain_identifiers() {
        assert!(VersionTable::new("migrate_version").is_ok());
        assert!(VersionTable::new("_v2").is_ok());
        for bad in [
            "",
            "1abc",
            "a-b",
            "a b",
            "x\"; DROP TABLE y; --",
            "s.t",
            &"x".repeat(49),
        ] {
            assert!(
                matches!(
                    VersionTable::new(bad),
                    Err(Error::InvalidVersionTable { .. })
                ),
                "{bad:?} was accepted"
            );
        }
    }

    #[test]
    fn literals_survive_any_text() {
        assert_eq!(literal(Dialect::Postgres, "it's"), "'it''s'");
        assert_eq!(literal(Dialect::Postgres, "a\\'b"), "E'a\\\\''b'");
        assert_eq!(
            literal(Dialect::Postgres, "a\nb\u{85}"),
            "E'a\\u000Ab\\u0085'"
        );
        assert_eq!(literal(Dialect::Sqlite, "a\nb"), "CAST(X'610A62' AS TEXT)");
        assert_eq!(literal(Dialect::Sqlite, "a\\'b"), "'a\\''b'");
        assert_eq!(literal(Dialect::Sqlite, "a"), "'a'");
        assert_eq!(literal(Dialect::MySql, "it's"), "'it''s'");
        assert_eq!(
            literal(Dialect::MySql, "a\\b"),
            "CONVERT(X'615C62' USING utf8mb4)"
        );
    }

    #[test]
    fn fingerprints_agree_and_see_edits() {
        let c1 = "1".repeat(64);
        let c2 = "2".repeat(64);
        let two = fingerprint([("a", c1.as_str(), true), ("b", c2.as_str(), true)].into_iter());
        let lines = format!("b {c2}\na {c1}");
        assert_eq!(fingerprint_lines("2", "0", &lines), two);
        let edited = fingerprint([("a", c2.as_str(), true), ("b", c2.as_str(), true)].into_iter());
        let renamed = fingerprint([("x", c1.as_str(), true), ("b", c2.as_str(), true)].into_iter());
        let one = fingerprint([("a", c1.as_str(), true)].into_iter());
        let half = fingerprint([("a", c1.as_str(), true), ("b", c2.as_str(), false)].into_iter());
        for other in [edited, renamed, one, half] {
            assert_ne!(other, two);
        }
        assert_eq!(fingerprint_lines("0", "0", ""), "0:0:0");
    }

    #[test]
    fn digest_ignores_order_and_sees_checksums() {
        let one = digest([("a", "1"), ("b", "2")].into_iter());
        let two = digest([("b", "2"), ("a", "1")].into_iter());
        let three = digest([("a", "1"), ("b", "3")].into_iter());
        let swapped = digest([("a", "2"), ("b", "1")].into_iter());
        assert_ne!(one, swapped, "which revision has which checksum counts");
        let bytes = [7u8; 32];
        assert_eq!(checksum_bytes(&hex(&bytes)), bytes);
        assert_eq!(one, two);
        assert_ne!(one, three);
        assert_eq!(Summary::default().digest.len(), 64);
    }

    #[test]
    fn incremental_summary_matches_a_fresh_one() {
        let mut rows = Rows::default();
        rows.insert("a", "1", vec![], RowState::Applied);
        rows.insert("b", "2", vec!["a".into()], RowState::Applied);
        rows.insert("c", "3", vec!["a".into()], RowState::Partial);
        assert_eq!(rows.heads(), ["b"]);
        assert!(rows.summary().failed);
        rows.set_state("c", RowState::Applied);
        assert_eq!(rows.heads(), ["b", "c"]);
        assert_eq!(
            rows.summary().digest,
            digest([("a", "1"), ("b", "2"), ("c", "3")].into_iter())
        );
        rows.remove("b");
        rows.remove("c");
        assert_eq!(rows.heads(), ["a"]);
        let mut fresh = Rows::default();
        fresh.insert("a", "1", vec![], RowState::Applied);
        assert_eq!(rows.summary(), fresh.summary());
        rows.remove("a");
        assert_eq!(rows.summary(), Summary::default());
    }
}
