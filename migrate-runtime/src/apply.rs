//! Runs revision scripts on a connection: transactions, batching, failure
//! diagnosis and bookkeeping of what stays committed.
//!
//! Round trips: a transactional chunk goes to PostgreSQL and SQLite as one
//! text-protocol batch (statements joined by `;`), on PostgreSQL with its
//! `BEGIN` and `COMMIT` in the same message, so applying a revision costs
//! one round trip. When the batch fails, the transaction is rolled back and
//! its statements are replayed one at a time inside a transaction that is
//! rolled back too, to name the failing statement's line. MySQL runs one
//! statement at a time (its DDL commits implicitly, so progress is recorded
//! after each).

use std::time::{Duration, Instant};

use tracing::Instrument as _;

use crate::backend::Conn;
use crate::error::{database_message, Direction, Error, StatementError, StatementRef};
use crate::plan::Dialect;
use crate::script::{Chunk, Part, RevisionScript};
use crate::version_table::{Rows, Summary, VersionRow, VersionTable};

/// What became of a revision script.
pub(crate) enum Outcome {
    /// Ran (committed, or pending in the single transaction).
    Done,
    /// Another migrator changed the version table first: re-read and re-plan.
    Conflict,
}

/// One applied or reverted revision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevisionReport {
    /// The revision id.
    pub revision: String,
    /// Wall-clock time spent on it.
    pub duration: Duration,
}

/// What `upgrade` or `downgrade` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// Which way the run went.
    pub direction: Direction,
    /// The revisions moved, in the order they ran.
    pub revisions: Vec<RevisionReport>,
}

impl Report {
    pub(crate) fn new(direction: Direction) -> Report {
        Report {
            direction,
            revisions: Vec::new(),
        }
    }

    /// True when nothing had to run.
    pub fn is_empty(&self) -> bool {
        self.revisions.is_empty()
    }

    /// The ids moved, in order.
    pub fn ids(&self) -> Vec<&str> {
        self.revisions.iter().map(|r| r.revision.as_str()).collect()
    }
}

/// Reads the version table (empty when it does not exist yet).
pub(crate) async fn read_rows(
    conn: &mut Conn,
    table: &VersionTable,
    dialect: Dialect,
) -> Result<Rows, Error> {
    let count = conn
        .fetch_count(&table.exists_query(dialect))
        .await
        .map_err(|e| Error::database("could not look for the version table", &e))?;
    let mut rows = Rows::default();
    if count == 0 {
        return Ok(rows);
    }
    let raw = conn
        .fetch_rows(&table.select_rows(dialect))
        .await
        .map_err(|e| {
            Error::database(
                format!("could not read the version table {}", table.name()),
                &e,
            )
        })?;
    for raw in raw {
        let row = VersionRow::from_raw(raw)?;
        rows.put(row);
    }
    Ok(rows)
}

/// The version table's [fingerprint](crate::version_table::fingerprint),
/// in one query (an error when the table does not exist).
pub(crate) async fn read_fingerprint(
    conn: &mut Conn,
    table: &VersionTable,
    dialect: Dialect,
) -> Result<String, sqlx::Error> {
    let query = table.fingerprint_query(dialect);
    if dialect == Dialect::Sqlite {
        let (count, not_applied, lines) = conn.fetch_texts(&query).await?.unwrap_or_default();
        return Ok(crate::version_table::fingerprint_lines(
            &count,
            &not_applied,
            &lines,
        ));
    }
    Ok(conn
        .fetch_optional_string(&query)
        .await?
        .unwrap_or_default())
}

/// The summary row as stored (`None` when the table or row is missing).
pub(crate) async fn read_summary(
    conn: &mut Conn,
    table: &VersionTable,
    dialect: Dialect,
) -> Option<Summary> {
    match conn.fetch_summary(&table.select_summary(dialect)).await {
        Ok(Some((digest, failed))) => Some(Summary {
            heads: String::new(),
            digest: digest.trim().to_string(),
            failed: failed != 0,
        }),
        _ => None,
    }
}

fn is_busy(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Database(database_error) => {
            let code = database_error.code();
            matches!(
                code.as_deref(),
                Some("5") | Some("6") | Some("517") | Some("261")
            ) || database_error.message().contains("database is locked")
        }
        _ => false,
    }
}

fn join_batch(parts: &[Part<'_>]) -> String {
    let mut batch = String::new();
    for part in parts {
        batch.push_str(&part.sql);
        // A newline first, so a trailing `-- comment` cannot swallow the `;`.
        batch.push_str("\n;\n");
    }
    batch
}

/// Executes scripts on one connection.
pub(crate) struct Engine<'m> {
    conn: Conn,
    dialect: Dialect,
    table: &'m VersionTable,
    /// Re-check the summary inside each write transaction (SQLite, or no lock).
    check_in_tx: bool,
    /// One transaction for the whole run.
    single: bool,
    lock_timeout: Duration,
    in_tx: bool,
    /// Batches run in the open transaction, for replay when one fails.
    tx_batches: Vec<String>,
    /// Revisions with work in the open transaction.
    tx_revisions: Vec<RevisionReport>,
    /// Statements of the current revision run in the open transaction.
    tx_statements: Vec<StatementRef>,
    /// Whether the current revision has chunks in the open transaction.
    revision_in_tx: bool,
    pub(crate) report: Report,
}

/// A run cancelled (its future dropped) or panicking inside a transaction
/// must not hand that connection back to the pool mid-transaction.
impl Drop for Engine<'_> {
    fn drop(&mut self) {
        if self.in_tx {
            self.conn.close_on_drop();
        }
    }
}

impl<'m> Engine<'m> {
    pub(crate) fn new(
        conn: Conn,
        dialect: Dialect,
        table: &'m VersionTable,
        check_in_tx: bool,
        single: bool,
        lock_timeout: Duration,
        direction: Direction,
    ) -> Engine<'m> {
        Engine {
            conn,
            dialect,
            table,
            check_in_tx,
            // MySQL commits DDL implicitly: one transaction per run would be a lie.
            single: single && dialect != Dialect::MySql,
            lock_timeout,
            in_tx: false,
            tx_batches: Vec::new(),
            tx_revisions: Vec::new(),
            tx_statements: Vec::new(),
            revision_in_tx: false,
            report: Report::new(direction),
        }
    }

    pub(crate) fn conn(&mut self) -> &mut Conn {
        &mut self.conn
    }

    async fn begin_raw(&mut self) -> Result<(), Error> {
        let statement = if self.dialect == Dialect::Sqlite {
            "BEGIN IMMEDIATE"
        } else {
            "BEGIN"
        };
        let started = Instant::now();
        loop {
            match self.conn.execute(statement).await {
                Ok(()) => {
                    self.in_tx = true;
                    return Ok(());
                }
                Err(error) if is_busy(&error) && started.elapsed() < self.lock_timeout => {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
                Err(error) if is_busy(&error) => {
                    return Err(Error::LockTimeout {
                        timeout: self.lock_timeout,
                        what: "SQLite write lock (BEGIN IMMEDIATE)".to_string(),
                    })
                }
                Err(error) => return Err(Error::database("could not begin a transaction", &error)),
            }
        }
    }

    /// Begins; with `expected`, checks the summary still says what this
    /// migrator read, and returns false (rolled back) when it does not.
    async fn begin(&mut self, expected: Option<&Summary>) -> Result<bool, Error> {
        self.begin_raw().await?;
        if let Some(expected) = expected {
            let mut query = self.table.select_summary(self.dialect);
            if self.dialect != Dialect::Sqlite {
                query.push_str(" FOR UPDATE");
            }
            let found = self.conn.fetch_summary(&query).await;
            let same = matches!(&found, Ok(Some((digest, failed)))
                if digest.trim() == expected.digest && (*failed != 0) == expected.failed);
            if !same {
                self.rollback().await;
                if let Err(error) = found {
                    return Err(Error::database(
                        "could not read the version summary",
                        &error,
                    ));
                }
                return Ok(false);
            }
        }
        Ok(true)
    }

    async fn commit(&mut self) -> Result<(), sqlx::Error> {
        self.conn.execute("COMMIT").await?;
        self.after_commit();
        Ok(())
    }

    fn after_commit(&mut self) {
        self.in_tx = false;
        self.tx_batches.clear();
        self.report.revisions.append(&mut self.tx_revisions);
    }

    async fn rollback(&mut self) {
        if self.in_tx {
            if self.conn.execute("ROLLBACK").await.is_err() {
                // A connection in an unknown transaction state must not be reused.
                self.conn.close_on_drop();
            }
            self.in_tx = false;
        }
        self.tx_batches.clear();
    }

    /// Commits the single transaction, if one is open.
    pub(crate) async fn finish(&mut self) -> Result<(), Error> {
        if self.in_tx {
            if let Err(error) = self.commit().await {
                let message = database_message(&error);
                let revisions: Vec<String> = self
                    .tx_revisions
                    .iter()
                    .map(|r| r.revision.clone())
                    .collect();
                self.rollback().await;
                self.tx_revisions.clear();
                return Err(Error::Database {
                    context: format!("could not commit the run ({})", revisions.join(", ")),
                    message,
                });
            }
        }
        Ok(())
    }

    /// Makes sure the version tables exist.
    pub(crate) async fn ensure_tables(&mut self) -> Result<(), Error> {
        // Look first: creating takes SQLite's write lock, which a busy
        // database (other processes migrating) may hold for a while.
        let exists = self.table.exists_query(self.dialect);
        if self.conn.fetch_count(&exists).await.unwrap_or(0) == 2 {
            return Ok(());
        }
        let statements = self.table.create(self.dialect);
        let mut failure = None;
        for statement in &statements {
            if let Err(error) = self.conn.execute(statement).await {
                failure = Some(error);
                break;
            }
        }
        if let Some(error) = failure {
            // Two migrators without the lock may race on CREATE TABLE IF NOT
            // EXISTS (PostgreSQL reports a duplicate type): fine if it exists now.
            let count = self
                .conn
                .fetch_count(&self.table.exists_query(self.dialect))
                .await
                .unwrap_or(0);
            if count < 2 {
                return Err(Error::database(
                    format!("could not create the version table {}", self.table.name()),
                    &error,
                ));
            }
            let _ = self.conn.execute(&statements[2]).await;
        }
        Ok(())
    }

    /// Runs one revision's script.
    pub(crate) async fn run(
        &mut self,
        script: &RevisionScript<'_>,
        before: &Summary,
    ) -> Result<Outcome, Error> {
        let span = tracing::info_span!(
            "migrate_revision",
            revision = %script.revision,
            direction = %script.direction,
            file = %script.file,
        );
        self.run_inner(script, before).instrument(span).await
    }

    async fn run_inner(
        &mut self,
        script: &RevisionScript<'_>,
        before: &Summary,
    ) -> Result<Outcome, Error> {
        let started = Instant::now();
        let mut committed: Vec<StatementRef> = Vec::new();
        let mut any_committed = false;
        self.tx_statements.clear();
        self.revision_in_tx = false;
        for (position, chunk) in script.chunks.iter().enumerate() {
            let result = match chunk {
                Chunk::Tx(parts) => {
                    let mut fused = false;
                    if !self.in_tx {
                        let check = if position == 0 && self.check_in_tx {
                            Some(before)
                        } else {
                            None
                        };
                        if check.is_none() && !self.single && self.dialect == Dialect::Postgres {
                            // BEGIN, the batch and COMMIT in one message.
                            fused = true;
                            self.in_tx = true;
                        } else if !self.begin(check).await? {
                            return Ok(Outcome::Conflict);
                        }
                    }
                    self.revision_in_tx = true;
                    let statements = parts.iter().filter(|p| p.statement.is_some()).count();
                    let batch_span = tracing::debug_span!("migrate_batch", statements);
                    // Outside the single-transaction mode the COMMIT rides
                    // in the batch too (and, on PostgreSQL, the BEGIN).
                    let commit_in_batch = !self.single && self.dialect != Dialect::MySql;
                    let result = if self.dialect == Dialect::MySql {
                        self.run_parts(parts).instrument(batch_span).await
                    } else {
                        let body = join_batch(parts);
                        let batch = match (fused, commit_in_batch) {
                            (true, _) => format!("BEGIN;\n{body}COMMIT"),
                            (false, true) => format!("{body}COMMIT"),
                            (false, false) => body.clone(),
                        };
                        // One round trip carries the whole batch, so its
                        // statements cannot be timed apart; each still shows
                        // up, with its line, inside the batch's span.
                        for statement in parts.iter().filter_map(|p| p.statement.as_ref()) {
                            tracing::debug!(
                                parent: &batch_span,
                                line = statement.line,
                                index = statement.index,
                                "migrate_statement"
                            );
                        }
                        let result = self.conn.execute(&batch).instrument(batch_span).await;
                        if result.is_ok() && !commit_in_batch {
                            self.tx_batches.push(body);
                        }
                        result
                    };
                    match result {
                        Ok(()) => {
                            self.tx_statements.extend(chunk.statements().cloned());
                            if commit_in_batch {
                                self.after_commit();
                                Ok(())
                            } else if !self.single {
                                self.commit().await
                            } else {
                                Ok(())
                            }
                        }
                        Err(error) => Err(error),
                    }
                    .map(|()| {
                        if !self.in_tx {
                            any_committed = true;
                            committed.append(&mut self.tx_statements);
                        }
                    })
                }
                Chunk::Bare(part) => {
                    if self.in_tx {
                        if let Err(error) = self.commit().await {
                            return self
                                .fail(script, chunk, error, &committed, any_committed)
                                .await;
                        }
                        if self.revision_in_tx {
                            any_committed = true;
                        }
                        committed.append(&mut self.tx_statements);
                    }
                    let line = part.statement.as_ref().map(|s| s.line).unwrap_or(0);
                    let result = self
                        .conn
                        .execute(&part.sql)
                        .instrument(tracing::debug_span!("migrate_statement", line))
                        .await;
                    if result.is_ok() {
                        committed.extend(part.statement.iter().cloned());
                    }
                    result
                }
            };
            if let Err(error) = result {
                return self
                    .fail(script, chunk, error, &committed, any_committed)
                    .await;
            }
        }
        let report = RevisionReport {
            revision: script.revision.clone(),
            duration: started.elapsed(),
        };
        if self.in_tx {
            self.tx_revisions.push(report);
        } else {
            self.report.revisions.push(report);
        }
        tracing::info!(revision = %script.revision, direction = %script.direction, "done");
        Ok(Outcome::Done)
    }

    /// MySQL: bookkeeping statements one by one, inside BEGIN/COMMIT.
    async fn run_parts(&mut self, parts: &[Part<'_>]) -> Result<(), sqlx::Error> {
        for part in parts {
            self.conn.execute(&part.sql).await?;
        }
        Ok(())
    }

    /// Rolls back, finds the failing statement, records what stays
    /// committed, and builds the error.
    async fn fail(
        &mut self,
        script: &RevisionScript<'_>,
        chunk: &Chunk<'_>,
        error: sqlx::Error,
        committed: &[StatementRef],
        any_committed: bool,
    ) -> Result<Outcome, Error> {
        let message = database_message(&error);
        let replay = std::mem::take(&mut self.tx_batches);
        let mut rolled_back_revisions: Vec<String> =
            self.tx_revisions.drain(..).map(|r| r.revision).collect();
        rolled_back_revisions.push(script.revision.clone());
        self.rollback().await;
        self.tx_statements.clear();

        if !any_committed && rolled_back_revisions.len() == 1 {
            // Another migrator may have moved this revision first: without
            // the lock, or a cancelled run whose last batch the server
            // still committed after its lock connection closed.
            if let Ok(rows) = read_rows(&mut self.conn, self.table, self.dialect).await {
                let changed = match script.direction {
                    Direction::Upgrade => rows.contains(&script.revision),
                    Direction::Downgrade => !rows.contains(&script.revision),
                };
                if changed {
                    return Ok(Outcome::Conflict);
                }
            }
        }

        let (statement, message) = match chunk {
            Chunk::Bare(part) => (part.statement.clone(), message),
            Chunk::Tx(parts) if self.dialect != Dialect::MySql => {
                match self.diagnose(&replay, parts).await {
                    Some((statement, precise)) => (Some(statement), precise),
                    None => (None, message),
                }
            }
            Chunk::Tx(_) => (None, message),
        };

        let rolled_back = if committed.is_empty() {
            if any_committed {
                self.write_bookkeeping(&script.undo).await;
            }
            true
        } else {
            let mark = script.mark_failed(self.table, self.dialect, committed.len());
            self.write_bookkeeping(&[mark]).await;
            false
        };
        Err(Error::Statement(Box::new(StatementError {
            revision: script.revision.clone(),
            file: script.file.clone(),
            direction: script.direction,
            statement,
            total: script.total(),
            committed: committed.to_vec(),
            rolled_back,
            rolled_back_revisions: if rolled_back {
                rolled_back_revisions
            } else {
                Vec::new()
            },
            message,
        })))
    }

    /// Runs bookkeeping statements in one transaction (stamp).
    pub(crate) async fn write_all(&mut self, statements: &[String]) -> Result<(), Error> {
        self.begin_raw().await?;
        for statement in statements {
            if let Err(error) = self.conn.execute(statement).await {
                self.rollback().await;
                return Err(Error::database("could not write the version table", &error));
            }
        }
        self.commit()
            .await
            .map_err(|error| Error::database("could not commit the version table", &error))
    }

    /// Best effort: a failure here leaves the row marked partial, which the
    /// next run reports anyway.
    async fn write_bookkeeping(&mut self, statements: &[String]) {
        if self.begin_raw().await.is_err() {
            return;
        }
        for statement in statements {
            if self.conn.execute(statement).await.is_err() {
                self.rollback().await;
                return;
            }
        }
        if self.conn.execute("COMMIT").await.is_err() {
            self.rollback().await;
        }
        self.in_tx = false;
    }

    /// Replays the transaction's earlier batches, then the failed chunk one
    /// statement at a time, and rolls everything back.
    async fn diagnose(
        &mut self,
        replay: &[String],
        parts: &[Part<'_>],
    ) -> Option<(StatementRef, String)> {
        self.begin_raw().await.ok()?;
        for batch in replay {
            if self.conn.execute(batch).await.is_err() {
                self.rollback().await;
                return None;
            }
        }
        let mut found = None;
        for part in parts {
            let line = part.statement.as_ref().map(|s| s.line).unwrap_or(0);
            let result = self
                .conn
                .execute(&part.sql)
                .instrument(tracing::debug_span!("migrate_statement", line))
                .await;
            if let Err(error) = result {
                found = part
                    .statement
                    .clone()
                    .map(|statement| (statement, database_message(&error)));
                break;
            }
        }
        self.rollback().await;
        found
    }
}
