//! Runs revision scripts on a connection: transactions, batching, failure
//! diagnosis and bookkeeping of what stays committed.
//!
//! Round trips: a transactional chunk goes to PostgreSQL and SQLite as one
//! text-protocol batch (statements joined by `;`), on PostgreSQL with its
//! `BEGIN` and `COMMIT` in the same message, so applying a revision costs
//! one round trip. When the batch fails, the failing statement is the one
//! after the last that reported completion (the server answers each
//! statement of a batch in turn): nothing is run a second time to find it.
//! MySQL runs one statement at a time (its DDL commits implicitly, so
//! progress is recorded after each).
//!
//! Before each commit the engine checks that the migration lock's session
//! still holds the lock (on PostgreSQL inside the batch, just before its
//! `COMMIT`); a lost lock stops the run with [`Error::LockLost`].

use std::time::{Duration, Instant};

use tracing::Instrument as _;

use crate::backend::{is_connection_failure, Backend, Conn};
use crate::error::{
    database_message, split_record, ConnectionLost, Direction, Error, LockLost, LostOutcome,
    StatementError, StatementRef, UnresolvedRevision,
};
use crate::lock::{LockHolder, LOCK_LOST};
use crate::plan::Dialect;
use crate::script::{Chunk, Part, RevisionScript};
use crate::version_table::{RowState, Rows, Summary, VersionRow, VersionTable};

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

/// A callback told of each revision once its work is committed (see
/// [`crate::Migrator::on_revision`]).
#[derive(Clone)]
pub(crate) struct OnRevision(pub(crate) std::sync::Arc<dyn Fn(&RevisionReport) + Send + Sync>);

impl std::fmt::Debug for OnRevision {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OnRevision(..)")
    }
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
    // The simple protocol: the check's one round trip (a prepared statement
    // costs a second one, Parse/Describe before Bind/Execute, on the first
    // call of every new connection).
    if dialect == Dialect::Sqlite {
        let texts = conn
            .fetch_texts_simple(&query, 3)
            .await?
            .unwrap_or_default();
        let text = |i: usize| texts.get(i).map(String::as_str).unwrap_or_default();
        return Ok(crate::version_table::fingerprint_lines(
            text(0),
            text(1),
            text(2),
        ));
    }
    Ok(conn
        .fetch_texts_simple(&query, 1)
        .await?
        .and_then(|mut texts| texts.pop())
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

/// How an [`Engine`] runs.
pub(crate) struct Settings<'b> {
    /// Where to reconnect after a connection failure.
    pub(crate) backend: Backend<'b>,
    /// Bounds that reconnection.
    pub(crate) connect_timeout: Duration,
    /// Bounds each round trip of the reconnected session.
    pub(crate) statement_timeout: Option<Duration>,
    /// Watches each round trip of the reconnected session.
    pub(crate) liveness_probe: Option<Duration>,
    /// Re-check the summary inside each write transaction (SQLite, or no lock).
    pub(crate) check_in_tx: bool,
    /// One transaction for the whole run.
    pub(crate) single: bool,
    /// How long to wait for SQLite's write lock.
    pub(crate) lock_timeout: Duration,
    /// The session holding the migration lock, checked before each commit.
    pub(crate) lock: Option<LockHolder>,
    /// Told of each revision once it is committed.
    pub(crate) on_revision: Option<OnRevision>,
}

/// Executes scripts on one connection.
pub(crate) struct Engine<'m> {
    conn: Conn,
    backend: Backend<'m>,
    connect_timeout: Duration,
    statement_timeout: Option<Duration>,
    liveness_probe: Option<Duration>,
    /// The server's id for `conn`'s session (PostgreSQL pid, MySQL
    /// connection id), to wait for it to end after a connection failure.
    session: Option<i64>,
    dialect: Dialect,
    table: &'m VersionTable,
    /// Re-check the summary inside each write transaction (SQLite, or no lock).
    check_in_tx: bool,
    /// One transaction for the whole run.
    single: bool,
    lock_timeout: Duration,
    /// The session holding the migration lock (none: SQLite, `lock(false)`).
    lock: Option<LockHolder>,
    /// Set when a check found the lock gone.
    lock_lost: bool,
    /// The statement a failed batch stopped at.
    located: Option<StatementRef>,
    in_tx: bool,
    /// Revisions with work in the open transaction.
    tx_revisions: Vec<RevisionReport>,
    /// Statements of the current revision run in the open transaction.
    tx_statements: Vec<StatementRef>,
    /// The last revision (id, file) with work in the open transaction.
    tx_last: Option<(String, String)>,
    /// Whether the current revision has chunks in the open transaction.
    revision_in_tx: bool,
    /// SQLite: the connection's `foreign_keys` before the current revision,
    /// read when it has a `transaction:false` section (a table rebuild turns
    /// the keys off there, and on again after its transaction), and put back
    /// when the revision fails half way: the pragma is the session's, and
    /// the connection goes back to the pool.
    foreign_keys: Option<i64>,
    pub(crate) report: Report,
    on_revision: Option<OnRevision>,
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
        settings: Settings<'m>,
        direction: Direction,
    ) -> Engine<'m> {
        Engine {
            conn,
            backend: settings.backend,
            connect_timeout: settings.connect_timeout,
            statement_timeout: settings.statement_timeout,
            liveness_probe: settings.liveness_probe,
            session: None,
            dialect,
            table,
            check_in_tx: settings.check_in_tx,
            // MySQL commits DDL implicitly: one transaction per run would be a lie.
            single: settings.single && dialect != Dialect::MySql,
            lock_timeout: settings.lock_timeout,
            lock: settings.lock,
            lock_lost: false,
            located: None,
            in_tx: false,
            tx_revisions: Vec::new(),
            tx_statements: Vec::new(),
            tx_last: None,
            revision_in_tx: false,
            foreign_keys: None,
            report: Report::new(direction),
            on_revision: settings.on_revision,
        }
    }

    pub(crate) fn conn(&mut self) -> &mut Conn {
        &mut self.conn
    }

    /// Notes the server's id for the session, so that after a connection
    /// failure the outcome is read only once that session has ended.
    pub(crate) async fn identify(&mut self) {
        let query = match self.dialect {
            Dialect::Postgres => "SELECT CAST(pg_backend_pid() AS BIGINT)",
            Dialect::MySql => "SELECT CAST(CONNECTION_ID() AS SIGNED)",
            _ => return,
        };
        self.session = self.conn.fetch_count(query).await.ok();
        if let Some(session) = self.session {
            // A statement the statement timeout stops is cancelled on the
            // server and its answer read, so the failure is the statement's.
            self.conn.cancel_with(self.backend.canceller(session));
        }
    }

    /// After a connection failure (or a timeout) while `script` ran
    /// (`statement`, when known):
    /// reconnects, waits for the failed session to end on the server (ending
    /// it after a grace period, so nothing it still runs can commit later),
    /// and reads what the version table says about the revision.
    async fn connection_lost(
        &mut self,
        revision: &str,
        file: &str,
        script: Option<&RevisionScript<'_>>,
        statement: Option<StatementRef>,
        error: &sqlx::Error,
    ) -> Error {
        self.conn.close_on_drop();
        self.in_tx = false;
        self.tx_statements.clear();
        self.tx_revisions.clear();
        let direction = self.report.direction;
        let found = self.find_out(revision, direction, script).await;
        Error::ConnectionLost(Box::new(ConnectionLost {
            cause: database_message(error),
            revision: revision.to_string(),
            file: file.to_string(),
            direction,
            statement,
            total: script.map(RevisionScript::total),
            found,
        }))
    }

    async fn find_out(
        &mut self,
        revision: &str,
        direction: Direction,
        script: Option<&RevisionScript<'_>>,
    ) -> LostOutcome {
        let mut conn = match self
            .backend
            .acquire(
                self.connect_timeout,
                self.statement_timeout,
                self.liveness_probe,
            )
            .await
        {
            Ok(conn) => conn,
            Err(error) => return LostOutcome::Unknown(format!("could not reconnect: {error}")),
        };
        if let Some(session) = self.session {
            if let Err(why) = end_session(&mut conn, self.dialect, session).await {
                return LostOutcome::Unknown(why);
            }
        }
        let rows = match read_rows(&mut conn, self.table, self.dialect).await {
            Ok(rows) => rows,
            Err(error) => return LostOutcome::Unknown(format!("after reconnecting: {error}")),
        };
        let has_bare =
            script.is_some_and(|script| script.chunks.iter().any(|c| matches!(c, Chunk::Bare(_))));
        let found = match (direction, rows.get(revision)) {
            (Direction::Upgrade, None) => LostOutcome::NotCommitted,
            (Direction::Downgrade, None) => LostOutcome::Committed,
            (Direction::Upgrade, Some(row)) if row.state == RowState::Applied => {
                LostOutcome::Committed
            }
            (Direction::Downgrade, Some(row)) if row.state == RowState::Applied && !has_bare => {
                LostOutcome::NotCommitted
            }
            (_, Some(row)) if script.is_none() => LostOutcome::Unknown(format!(
                "the version table records it {}",
                row.state.as_str()
            )),
            (_, Some(row)) => {
                let script = script.expect("checked above");
                let interrupted = matches!(row.state, RowState::Partial | RowState::Reverting);
                let flags = script.statement_flags();
                let done = if row.state == RowState::Applied {
                    0
                } else {
                    row.statements_done.max(0) as usize
                };
                let (ran, unknown, not_run) = split_record(&flags, done, interrupted);
                let catalog = match unknown.as_ref().and_then(|s| script.bare_sql(s.index)) {
                    Some(sql) => inspect_unknown(&mut conn, self.dialect, sql).await,
                    None => None,
                };
                LostOutcome::Partial(Box::new(UnresolvedRevision {
                    revision: script.revision.clone(),
                    file: Some(script.file.clone()),
                    state: row.state.as_str().to_string(),
                    ran,
                    unknown,
                    catalog,
                    stopped_at: None,
                    not_run,
                }))
            }
        };
        // Whatever else runs on this engine uses the healthy session.
        self.conn = conn;
        found
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

    /// Fails (and marks the lock lost) when the lock's session no longer
    /// holds the migration lock.
    async fn verify_lock(&mut self) -> Result<(), sqlx::Error> {
        let Some(holder) = &self.lock else {
            return Ok(());
        };
        let query = holder.held_query();
        if self.conn.fetch_count(&query).await? == 1 {
            Ok(())
        } else {
            self.lock_lost = true;
            Err(sqlx::Error::Protocol(LOCK_LOST.to_string()))
        }
    }

    async fn commit(&mut self) -> Result<(), sqlx::Error> {
        self.verify_lock().await?;
        self.conn.execute("COMMIT").await?;
        self.after_commit();
        Ok(())
    }

    fn after_commit(&mut self) {
        self.in_tx = false;
        if let Some(on_revision) = &self.on_revision {
            self.tx_revisions
                .iter()
                .for_each(|report| (on_revision.0)(report));
        }
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
    }

    /// Commits the single transaction, if one is open.
    pub(crate) async fn finish(&mut self) -> Result<(), Error> {
        if self.in_tx {
            if let Err(error) = self.commit().await {
                if !self.lock_lost && is_connection_failure(&error) {
                    if let Some((revision, file)) = self.tx_last.take() {
                        return Err(self
                            .connection_lost(&revision, &file, None, None, &error)
                            .await);
                    }
                }
                let message = database_message(&error);
                let revisions: Vec<String> = self
                    .tx_revisions
                    .iter()
                    .map(|r| r.revision.clone())
                    .collect();
                self.rollback().await;
                self.tx_revisions.clear();
                if self.lock_lost {
                    return Err(self.lock_lost_error(None, Vec::new(), revisions));
                }
                return Err(Error::Database {
                    context: format!("could not commit the run ({})", revisions.join(", ")),
                    message,
                });
            }
        }
        Ok(())
    }

    /// Brings version tables an earlier version created up to date (the
    /// change counter), when they exist; creates nothing otherwise.
    pub(crate) async fn upgrade_tables(&mut self) -> Result<(), Error> {
        let exists = self.table.exists_query(self.dialect);
        if self.conn.fetch_count(&exists).await.unwrap_or(0) == 2 {
            return self.ensure_counter().await;
        }
        Ok(())
    }

    /// Makes sure the version tables exist.
    pub(crate) async fn ensure_tables(&mut self) -> Result<(), Error> {
        // Look first: creating takes SQLite's write lock, which a busy
        // database (other processes migrating) may hold for a while.
        let exists = self.table.exists_query(self.dialect);
        if self.conn.fetch_count(&exists).await.unwrap_or(0) == 2 {
            return self.ensure_counter().await;
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
        self.ensure_counter().await
    }

    /// Makes sure the version table's changes are counted (see
    /// [`VersionTable::create_counter`]): on a summary table an earlier
    /// version created, adds the columns, then the triggers. Where they
    /// cannot be created (MySQL without the privilege) `counted` stays 0
    /// and the start-up check falls back on the fingerprint; nothing fails.
    async fn ensure_counter(&mut self) -> Result<(), Error> {
        let counted = self.table.counted_query(self.dialect);
        match self.conn.fetch_count(&counted).await {
            Ok(1) => return Ok(()),
            Ok(_) => {}
            Err(_) => {
                // A summary table of an earlier version.
                for statement in self.table.add_counter_columns(self.dialect) {
                    let _ = self.conn.execute(&statement).await;
                }
            }
        }
        for statement in self.table.create_counter(self.dialect) {
            if let Err(error) = self.conn.execute(&statement).await {
                tracing::debug!(%error, "the version table's change counter is not in place");
                break;
            }
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
        self.foreign_keys = None;
        if self.dialect == Dialect::Sqlite
            && script.chunks.iter().any(|c| matches!(c, Chunk::Bare(_)))
        {
            let query = "SELECT foreign_keys FROM pragma_foreign_keys";
            self.foreign_keys = self.conn.fetch_count(query).await.ok();
        }
        for (position, chunk) in script.chunks.iter().enumerate() {
            self.located = None;
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
                    self.tx_last = Some((script.revision.clone(), script.file.clone()));
                    let statements = parts.iter().filter(|p| p.statement.is_some()).count();
                    let batch_span = tracing::debug_span!("migrate_batch", statements);
                    // Outside the single-transaction mode the COMMIT rides
                    // in the batch too (and, on PostgreSQL, the BEGIN).
                    let commit_in_batch = !self.single && self.dialect != Dialect::MySql;
                    let result = if self.dialect == Dialect::MySql {
                        self.run_parts(parts).instrument(batch_span).await
                    } else {
                        let mut body = join_batch(parts);
                        if commit_in_batch {
                            if let Some(check) = self
                                .lock
                                .as_ref()
                                .and_then(LockHolder::assert_held_statement)
                            {
                                body.push_str(&check);
                                body.push_str(";\n");
                            }
                        }
                        let batch = match (fused, commit_in_batch) {
                            (true, _) => format!("BEGIN;\n{body}COMMIT"),
                            (false, true) => format!("{body}COMMIT"),
                            (false, false) => body,
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
                        let (completed, result) = self
                            .conn
                            .execute_counted(&batch)
                            .instrument(batch_span)
                            .await;
                        if result.is_err() {
                            // The server answered each statement before the
                            // failing one (and the fused batch's BEGIN).
                            self.located = completed
                                .checked_sub(usize::from(fused))
                                .and_then(|failed| parts.get(failed))
                                .and_then(|part| part.statement.clone());
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
                    // The lock was checked when the chunk before this one
                    // committed (every bare statement follows a commit).
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
            if let Some(on_revision) = &self.on_revision {
                (on_revision.0)(&report);
            }
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
        if !self.lock_lost && is_connection_failure(&error) {
            let statement = match chunk {
                Chunk::Bare(part) => part.statement.clone(),
                Chunk::Tx(_) => self.located.take(),
            };
            return Err(self
                .connection_lost(
                    &script.revision,
                    &script.file,
                    Some(script),
                    statement,
                    &error,
                )
                .await);
        }
        // Read before the rollback's round trip resets it.
        let timed_out = self.conn.cancelled();
        let message = database_message(&error);
        let mut rolled_back_revisions: Vec<String> =
            self.tx_revisions.drain(..).map(|r| r.revision).collect();
        rolled_back_revisions.push(script.revision.clone());
        self.rollback().await;
        self.tx_statements.clear();
        if let Some(keys) = self.foreign_keys.take() {
            let pragma = if keys == 0 { "OFF" } else { "ON" };
            let sql = format!("PRAGMA foreign_keys = {pragma}");
            if let Err(error) = self.conn.execute(&sql).await {
                tracing::warn!(%error, "could not put SQLite's foreign_keys back");
            }
        }
        if !self.lock_lost && self.lock.is_some() {
            // A failed batch may be PostgreSQL's in-batch lock check.
            let _ = self.verify_lock().await;
        }
        // A bare statement that never ran because the lock was gone.
        let lock_lost_before = self.lock_lost && matches!(chunk, Chunk::Bare(_));

        if !any_committed && rolled_back_revisions.len() == 1 && !self.lock_lost {
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

        let statement = match chunk {
            Chunk::Bare(part) if !lock_lost_before => part.statement.clone(),
            Chunk::Bare(_) => None,
            Chunk::Tx(_) => self.located.take(),
        };
        // A statement that failed outside a transaction may still have left
        // something behind (an INVALID index): then the database is not as
        // before, and the revision is marked failed, never taken as rolled
        // back (its `IF NOT EXISTS` run again would skip the broken index).
        let left_behind = match chunk {
            Chunk::Bare(part) if !lock_lost_before && part.statement.is_some() => {
                inspect_failed(&mut self.conn, self.dialect, &part.sql).await
            }
            _ => None,
        };

        let rolled_back = if committed.is_empty() && left_behind.is_none() {
            if any_committed {
                self.write_bookkeeping(&script.undo).await;
            }
            true
        } else {
            let mark = script.mark_failed(self.table, self.dialect, committed.len());
            self.write_bookkeeping(&[mark]).await;
            false
        };
        if self.lock_lost {
            let revisions = if rolled_back {
                rolled_back_revisions
            } else {
                Vec::new()
            };
            return Err(self.lock_lost_error(Some(script), committed.to_vec(), revisions));
        }
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
            timed_out,
            left_behind,
        })))
    }

    fn lock_lost_error(
        &self,
        script: Option<&RevisionScript<'_>>,
        committed: Vec<StatementRef>,
        rolled_back_revisions: Vec<String>,
    ) -> Error {
        Error::LockLost(Box::new(LockLost {
            lock: self
                .lock
                .as_ref()
                .map(LockHolder::describe)
                .unwrap_or_default(),
            revision: script.map(|s| s.revision.clone()),
            file: script.map(|s| s.file.clone()),
            direction: self.report.direction,
            committed,
            rolled_back_revisions,
        }))
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
        if let Err(error) = self.commit().await {
            self.rollback().await;
            if self.lock_lost {
                return Err(self.lock_lost_error(None, Vec::new(), Vec::new()));
            }
            return Err(Error::database(
                "could not commit the version table",
                &error,
            ));
        }
        Ok(())
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
}

/// What an index statement names: `CREATE [UNIQUE] INDEX [CONCURRENTLY]
/// [IF NOT EXISTS] name ...` or `DROP INDEX [CONCURRENTLY] [IF EXISTS]
/// name ...`; `None` for anything else (or an unnamed index).
fn index_statement(sql: &str) -> Option<(bool, String)> {
    let words: Vec<&str> = sql
        .lines()
        .map(|line| line.split("--").next().unwrap_or(""))
        .flat_map(str::split_whitespace)
        .collect();
    let upper: Vec<String> = words.iter().map(|w| w.to_ascii_uppercase()).collect();
    let is = |i: usize, word: &str| upper.get(i).is_some_and(|w| w == word);
    let create = match upper.first()?.as_str() {
        "CREATE" => true,
        "DROP" => false,
        _ => return None,
    };
    let mut i = 1;
    if create && is(i, "UNIQUE") {
        i += 1;
    }
    if !is(i, "INDEX") {
        return None;
    }
    i += 1;
    if is(i, "CONCURRENTLY") {
        i += 1;
    }
    if create && is(i, "IF") && is(i + 1, "NOT") && is(i + 2, "EXISTS") {
        i += 3;
    } else if !create && is(i, "IF") && is(i + 1, "EXISTS") {
        i += 2;
    }
    if is(i, "ON") {
        return None;
    }
    let name = words
        .get(i)?
        .split('(')
        .next()?
        .trim_end_matches([',', ';']);
    (!name.is_empty()).then(|| (create, name.to_string()))
}

/// Where the catalog can tell whether a statement of unknown outcome
/// committed (an index's existence and, on PostgreSQL, its validity), says
/// what it shows.
pub(crate) async fn inspect_unknown(
    conn: &mut Conn,
    dialect: Dialect,
    sql: &str,
) -> Option<String> {
    let (create, name, state) = index_state(conn, dialect, sql).await?;
    Some(match (create, state.as_str()) {
        (true, "valid") => format!("the catalog shows index {name} exists and is valid: the statement completed"),
        (true, "invalid") => format!(
            "the catalog shows index {name} exists but is INVALID: its build did not finish; drop it and run the statement again"
        ),
        (_, "building") => format!(
            "the catalog shows index {name} still being built by a session: wait for it to end, then look again"
        ),
        (true, _) => format!("the catalog shows no index {name}: the statement did not commit"),
        (false, "missing") => format!("the catalog shows no index {name}: the drop committed"),
        (false, _) => format!("the catalog still shows index {name}: the drop did not commit"),
    })
}

/// What a statement that failed outside a transaction left behind, where
/// the catalog shows it: PostgreSQL keeps the index of a failed `CREATE
/// INDEX CONCURRENTLY` as INVALID (and an `IF NOT EXISTS` run again then
/// does nothing). `None` when it left nothing the catalog shows.
pub(crate) async fn inspect_failed(conn: &mut Conn, dialect: Dialect, sql: &str) -> Option<String> {
    match index_state(conn, dialect, sql).await? {
        (true, name, state) if state == "invalid" => Some(format!(
            "it left index {name} in the catalog, INVALID (PostgreSQL keeps a failed concurrent build): drop it before running the statement again"
        )),
        _ => None,
    }
}

/// For an index statement: whether it creates (or drops), the index's name,
/// and its state in the catalog (`missing`, `building`, `valid`,
/// `invalid`).
async fn index_state(
    conn: &mut Conn,
    dialect: Dialect,
    sql: &str,
) -> Option<(bool, String, String)> {
    let (create, name) = index_statement(sql)?;
    let state = match dialect {
        Dialect::Postgres => {
            let query = format!(
                "SELECT CASE WHEN c.oid IS NULL THEN 'missing' \
                 WHEN EXISTS (SELECT 1 FROM pg_stat_progress_create_index p WHERE p.index_relid = c.oid) THEN 'building' \
                 WHEN i.indisvalid THEN 'valid' ELSE 'invalid' END \
                 FROM (SELECT to_regclass({}) AS oid) c LEFT JOIN pg_index i ON i.indexrelid = c.oid",
                crate::version_table::literal(dialect, &name)
            );
            conn.fetch_optional_string(&query).await.ok()??
        }
        Dialect::MySql => {
            let bare = name.trim_matches('`');
            let query = format!(
                "SELECT COUNT(*) FROM information_schema.statistics WHERE table_schema = DATABASE() AND index_name = {}",
                crate::version_table::literal(dialect, bare)
            );
            match conn.fetch_count(&query).await.ok()? {
                0 => "missing".to_string(),
                _ => "valid".to_string(),
            }
        }
        _ => return None,
    };
    Some((create, name, state))
}

/// Waits for a failed session to end on the server; after a grace period,
/// ends it (so that nothing it still runs can commit later).
async fn end_session(conn: &mut Conn, dialect: Dialect, session: i64) -> Result<(), String> {
    let (alive, end) = match dialect {
        Dialect::Postgres => (
            format!("SELECT COUNT(*) FROM pg_stat_activity WHERE pid = {session}"),
            format!("SELECT pg_terminate_backend({session})"),
        ),
        Dialect::MySql => (
            format!("SELECT COUNT(*) FROM information_schema.processlist WHERE id = {session}"),
            format!("KILL {session}"),
        ),
        _ => return Ok(()),
    };
    for (grace, end_it) in [
        (Duration::from_secs(1), true),
        (Duration::from_secs(10), false),
    ] {
        let started = Instant::now();
        loop {
            match conn.fetch_count(&alive).await {
                Ok(0) => return Ok(()),
                Ok(_) => {}
                Err(error) => {
                    return Err(format!(
                        "could not look for the failed session: {}",
                        database_message(&error)
                    ))
                }
            }
            if started.elapsed() >= grace {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        if end_it {
            tracing::warn!(session, "ending the failed migration session");
            let _ = conn.execute(&end).await;
        }
    }
    Err(format!(
        "the failed session {session} is still running on the server"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_statements_are_recognised() {
        let cases = [
            (
                "CREATE INDEX CONCURRENTLY a_b ON a (b)",
                Some((true, "a_b")),
            ),
            (
                "create unique index if not exists \"A b\" on a (b)",
                Some((true, "\"A")),
            ),
            ("CREATE UNIQUE INDEX x_y ON x (y)", Some((true, "x_y"))),
            (
                "-- note\nCREATE INDEX\n  s.i_j ON s.i (j)",
                Some((true, "s.i_j")),
            ),
            (
                "DROP INDEX CONCURRENTLY IF EXISTS a_b",
                Some((false, "a_b")),
            ),
            ("DROP INDEX a_b ON a", Some((false, "a_b"))),
            ("CREATE INDEX ON a (b)", None),
            ("CREATE TABLE a (b INT)", None),
            ("INSERT INTO a SELECT 1", None),
            ("", None),
        ];
        for (sql, expected) in cases {
            let found = index_statement(sql);
            assert_eq!(
                found
                    .as_ref()
                    .map(|(create, name)| (*create, name.as_str())),
                expected,
                "{sql}"
            );
        }
    }
}
