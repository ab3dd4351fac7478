//! [`Migrator`]: the verbs over a plan.

use std::collections::BTreeSet;
use std::ops::Deref;
use std::sync::Arc;
use std::time::Duration;

use crate::apply::{
    inspect_failed, inspect_unknown, read_fingerprint, read_rows, read_summary, Engine, Outcome,
    Report, Settings,
};
use crate::backend::{Backend, Conn, Database};
use crate::error::{split_record, Direction, Error, StatementRef, UnresolvedRevision};
use crate::lock::LockGuard;
use crate::plan::{Dialect, Plan, Revision};
use crate::script::{runs_bare, RevisionScript, ScriptBuilder};
use crate::target::{IntoTarget, Target};
use crate::version_table::{
    decode_downgrade, encode_downgrade, fingerprint, hex, NewRow, RowState, Rows, Summary,
    VersionRow, VersionTable,
};
use futures_util::future::BoxFuture;
use migrate_core::Graph;

/// How often the liveness probe asks the server while a round trip waits
/// (see [`Migrator::liveness_probe`]): a frozen network is noticed within
/// about twice this.
pub const DEFAULT_LIVENESS_PROBE: Duration = Duration::from_secs(15);

/// How many times a run re-plans after another migrator got there first.
const MAX_REPLANS: usize = 10_000;

/// The plan a migrator works on: embedded by the macro, or built at run time.
#[derive(Debug, Clone)]
pub enum PlanRef {
    /// A plan in a `static` (what `embed_migrations!` produces).
    Static(&'static Plan),
    /// A plan built at run time (the CLI reads the directory).
    Shared(Arc<Plan>),
}

impl Deref for PlanRef {
    type Target = Plan;

    fn deref(&self) -> &Plan {
        match self {
            PlanRef::Static(plan) => plan,
            PlanRef::Shared(plan) => plan,
        }
    }
}

impl From<&'static Plan> for PlanRef {
    fn from(plan: &'static Plan) -> PlanRef {
        PlanRef::Static(plan)
    }
}

impl From<Arc<Plan>> for PlanRef {
    fn from(plan: Arc<Plan>) -> PlanRef {
        PlanRef::Shared(plan)
    }
}

impl From<Plan> for PlanRef {
    fn from(plan: Plan) -> PlanRef {
        PlanRef::Shared(Arc::new(plan))
    }
}

/// Transactions around the revisions of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TransactionMode {
    /// Each revision commits on its own, with its version row (the default).
    #[default]
    PerRevision,
    /// One transaction for the whole run (Alembic's default on transactional
    /// DDL), committed where a `transaction:false` section stands and at the
    /// end. On MySQL, whose DDL commits implicitly, this is `PerRevision`.
    Single,
}

/// Applies a plan to a database.
///
/// ```no_run
/// # async fn run(pool: sqlx::SqlitePool, plan: &'static migrate_runtime::Plan) -> Result<(), migrate_runtime::Error> {
/// use migrate_runtime::Migrator;
/// let report = Migrator::new(plan).upgrade(&pool, "head").await?;
/// println!("applied {:?}", report.ids());
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Migrator {
    plan: PlanRef,
    version_table: String,
    lock: bool,
    lock_timeout: Duration,
    pub(crate) connect_timeout: Duration,
    statement_timeout: Option<Duration>,
    liveness_probe: Option<Duration>,
    verify_checksums: bool,
    transaction_mode: TransactionMode,
    revert_unknown: bool,
    on_revision: Option<crate::apply::OnRevision>,
    /// A fleet's PostgreSQL schema target: mixed into the advisory lock's
    /// key (one lock per schema), and created before an upgrade or stamp.
    schema: Option<String>,
}

impl Migrator {
    /// A migrator with the defaults: the plan's version table, locking on
    /// (60 s timeout), a 10 s connect timeout, no statement timeout,
    /// checksums verified, one transaction per revision.
    pub fn new(plan: impl Into<PlanRef>) -> Migrator {
        let plan = plan.into();
        let version_table = if plan.version_table().is_empty() {
            "migrate_version".to_string()
        } else {
            plan.version_table().to_string()
        };
        Migrator {
            plan,
            version_table,
            lock: true,
            lock_timeout: Duration::from_secs(60),
            connect_timeout: crate::DEFAULT_CONNECT_TIMEOUT,
            statement_timeout: None,
            liveness_probe: Some(DEFAULT_LIVENESS_PROBE),
            verify_checksums: true,
            transaction_mode: TransactionMode::PerRevision,
            revert_unknown: false,
            on_revision: None,
            schema: None,
        }
    }

    /// This migrator for one schema of a fleet (see [`crate::fleet`]).
    pub(crate) fn in_schema(&self, schema: Option<&str>) -> Migrator {
        let mut migrator = self.clone();
        migrator.schema = schema.map(str::to_string);
        migrator
    }

    /// A fleet's schema target, created if missing (it is alone on the
    /// connection's `search_path`, so the version table goes there).
    async fn create_schema(&self, conn: &mut Conn) -> Result<(), Error> {
        if let Some(schema) = &self.schema {
            // Validated by `migrate_core::names::schema_problem`.
            let sql = format!("CREATE SCHEMA IF NOT EXISTS \"{schema}\"");
            conn.execute(&sql)
                .await
                .map_err(|e| Error::database(format!("could not create schema {schema}"), &e))?;
        }
        Ok(())
    }

    /// Opens a pool from a URL (`sqlite:`, `postgres:`, `mysql:`), within
    /// [`DEFAULT_CONNECT_TIMEOUT`](crate::DEFAULT_CONNECT_TIMEOUT); use
    /// [`open`](Self::open) to apply a migrator's own connect timeout.
    pub async fn connect(url: &str) -> Result<crate::MigrateConnection, Error> {
        crate::MigrateConnection::connect(url).await
    }

    /// Opens a pool from a URL within this migrator's
    /// [`connect_timeout`](Self::connect_timeout): the one connect timeout
    /// of the library and the CLI, with the one message when it fires.
    pub async fn open(&self, url: &str) -> Result<crate::MigrateConnection, Error> {
        crate::MigrateConnection::connect_with_timeout(url, self.connect_timeout).await
    }

    /// The version table name (validated when a verb runs: ASCII letters,
    /// digits and `_`, starting with a letter or `_`).
    pub fn version_table(mut self, name: impl Into<String>) -> Migrator {
        self.version_table = name.into();
        self
    }

    /// Take the migration lock (default true). Off, concurrent migrators
    /// still apply each revision once (the version table's primary key and
    /// a re-check inside each transaction), but one of them may fail.
    pub fn lock(mut self, on: bool) -> Migrator {
        self.lock = on;
        self
    }

    /// How long to wait for the lock (default 60 s): PostgreSQL's advisory
    /// lock, MySQL's `GET_LOCK`, or SQLite's write lock (there, each attempt
    /// also waits up to the pool's own `busy_timeout`, 5 s in sqlx).
    pub fn lock_timeout(mut self, timeout: Duration) -> Migrator {
        self.lock_timeout = timeout;
        self
    }

    /// How long to wait for a connection (default
    /// [`DEFAULT_CONNECT_TIMEOUT`](crate::DEFAULT_CONNECT_TIMEOUT), 10 s):
    /// opening a pool with [`open`](Self::open), a connection from the pool,
    /// the migration lock's own connection, and the reconnection after a
    /// connection failure. When it fires the error says "the connect timeout
    /// (..) fired", whichever of these waited.
    pub fn connect_timeout(mut self, timeout: Duration) -> Migrator {
        self.connect_timeout = timeout;
        self
    }

    /// A client-side bound on every round trip to the server: each
    /// statement (or batch of them), each read and write of the version
    /// table, each lock query (default: none, so a long statement may run
    /// as long as it takes). When it fires the run stops with an error
    /// naming it, and reports what the version table shows afterwards.
    /// It is what ends a run whose network froze (packets stopped without
    /// the connection closing).
    pub fn statement_timeout(mut self, timeout: Option<Duration>) -> Migrator {
        self.statement_timeout = timeout;
        self
    }

    /// Detects a frozen network without bounding how long a statement may
    /// run (default every 15 s; `None` turns it off): while a round trip
    /// to the server has waited this long, a second connection is opened
    /// and pinged at this interval; when a ping gets no answer within it,
    /// the run stops with an error saying "the liveness probe (..) fired",
    /// and reports what the version table shows (or that it could not be
    /// read). Statements that answer sooner never open that connection.
    /// It stands in for TCP keepalive, which sqlx 0.8 offers no way to set.
    /// No effect on SQLite.
    pub fn liveness_probe(mut self, every: Option<Duration>) -> Migrator {
        self.liveness_probe = every;
        self
    }

    /// Refuse to run when an applied revision's checksum differs from the
    /// plan's (default true).
    pub fn verify_checksums(mut self, on: bool) -> Migrator {
        self.verify_checksums = on;
        self
    }

    /// Per-revision (default) or single-transaction runs.
    pub fn transaction_mode(mut self, mode: TransactionMode) -> Migrator {
        self.transaction_mode = mode;
        self
    }

    /// Let `downgrade` revert applied revisions this plan does not know,
    /// with the downgrade statements stored when they were applied
    /// (default false: they are an error).
    pub fn revert_unknown(mut self, on: bool) -> Migrator {
        self.revert_unknown = on;
        self
    }

    /// Calls `f` with each revision as soon as its work is committed, while
    /// the run goes on (after the run's one commit in the single-transaction
    /// mode): a caller can show progress as it happens, and what it showed
    /// stays true when a later revision fails.
    pub fn on_revision(
        mut self,
        f: impl Fn(&crate::RevisionReport) + Send + Sync + 'static,
    ) -> Migrator {
        self.on_revision = Some(crate::apply::OnRevision(std::sync::Arc::new(f)));
        self
    }

    /// The plan.
    pub fn plan(&self) -> &Plan {
        &self.plan
    }

    /// The plan's heads (no database needed).
    pub fn heads(&self) -> Vec<&Revision> {
        self.plan.heads()
    }

    fn table(&self) -> Result<VersionTable, Error> {
        VersionTable::new(&self.version_table)
    }

    /// The revisions applied when `target` is reached, if that does not
    /// depend on the database's state (an upgrade from exactly the target's
    /// ancestry is a no-op): `None` for a relative target.
    fn target_revisions(&self, target: &Target) -> Result<Option<Vec<&Revision>>, Error> {
        let revisions = self.plan.revisions();
        let symbol = match target {
            Target::Relative { .. } => return Ok(None),
            Target::Absolute {
                branch: None,
                symbol,
            } => Some(symbol.as_str()),
            Target::Absolute { .. } => None,
        };
        // `heads`, and `head` of a plan with one head, are every revision:
        // no graph to build on the first call of a process.
        if symbol == Some("heads") || (symbol == Some("head") && self.plan.edges().heads.len() == 1)
        {
            return Ok(Some(revisions.iter().collect()));
        }
        let graph = crate::graph::of(&self.plan);
        let desired = graph
            .upgrade(&[], target)
            .map_err(|e| crate::graph::error(e, Direction::Upgrade))?;
        Ok(Some(desired.iter().map(|&p| &revisions[p]).collect()))
    }

    /// The summary digest the database has when `target` is reached (see
    /// [`target_revisions`](Self::target_revisions)). For `heads`, and
    /// `head` when the plan has one head, it is every revision's: the plan
    /// carries it (an embedded plan in its table, written at build time),
    /// so the start-up check decodes no revision and resolves no graph.
    fn expected_digest(&self, target: &Target) -> Result<Option<String>, Error> {
        if let Target::Absolute {
            branch: None,
            symbol,
        } = target
        {
            if symbol == "heads" || (symbol == "head" && self.plan.head_count() == 1) {
                return Ok(Some(self.plan.all_applied_digest()));
            }
        }
        Ok(self.target_revisions(target)?.map(|revisions| {
            migrate_core::digest::hex(migrate_core::digest::of_revisions(revisions.into_iter()))
        }))
    }

    /// The start-up check: whether the database is at `target` by one
    /// query of O(1) data (the summary row, see
    /// [`VersionTable::check_query`]). It trusts the summary only when the
    /// change counter says no one but the migrator changed the version
    /// table since the summary was written; where the counter could not be
    /// installed (MySQL without the privilege to create triggers), it
    /// falls back on the version table's fingerprint (a second query,
    /// O(history)). `false` sends the caller down the full path.
    async fn at_target(
        &self,
        conn: &mut Conn,
        table: &VersionTable,
        dialect: Dialect,
        target: &Target,
    ) -> Result<bool, Error> {
        let Some(expected) = self.expected_digest(target)? else {
            return Ok(false);
        };
        let (digest, numbers) = match conn
            .fetch_text_and_integers(&table.check_query(dialect), 4)
            .await
        {
            Ok(Some(found)) => found,
            _ => return Ok(false),
        };
        match numbers.as_slice() {
            [failed, changes, seen, 1] => Ok(digest == expected && *failed == 0 && changes == seen),
            [_, _, _, _] => {
                let Some(revisions) = self.target_revisions(target)? else {
                    return Ok(false);
                };
                let expected = fingerprint(
                    revisions
                        .iter()
                        .map(|r| (r.id(), hex(r.checksum()), true))
                        .collect::<Vec<_>>()
                        .iter()
                        .map(|(id, c, a)| (*id, c.as_str(), *a)),
                );
                Ok(read_fingerprint(conn, table, dialect)
                    .await
                    .is_ok_and(|found| found == expected))
            }
            _ => Ok(false),
        }
    }

    /// Applies every revision needed to reach `target`. When the database
    /// is already there, this is one query and takes no lock: the version
    /// table's fingerprint, computed by the database, against the plan's
    /// (so a row deleted or edited by hand is noticed; ARCHITECTURE.md
    /// describes the fingerprint). Otherwise every row is
    /// validated against the plan before anything runs. A history validated
    /// for another database is refused first ([`Error::DialectMismatch`]),
    /// by `downgrade` and `stamp` too.
    pub async fn upgrade<D: Database + ?Sized>(
        &self,
        db: &D,
        target: impl IntoTarget,
    ) -> Result<Report, Error> {
        let target = target.into_target()?;
        self.upgrade_on(db.backend(), target).await
    }

    /// [`upgrade`](Self::upgrade) on a backend: the body is compiled here,
    /// once, not in the application crate per pool type.
    fn upgrade_on<'a>(
        &'a self,
        backend: Backend<'a>,
        target: Target,
    ) -> BoxFuture<'a, Result<Report, Error>> {
        Box::pin(self.upgrade_body(backend, target))
    }

    async fn upgrade_body(&self, backend: Backend<'_>, target: Target) -> Result<Report, Error> {
        let table = self.table()?;
        let dialect = backend.dialect();
        self.refuse_other_dialect(dialect, false)?;
        let mut conn = backend
            .acquire(
                self.connect_timeout,
                self.statement_timeout,
                self.liveness_probe,
            )
            .await?;
        if self.at_target(&mut conn, &table, dialect, &target).await? {
            tracing::debug!("database already at target");
            return Ok(Report::new(Direction::Upgrade));
        }
        self.create_schema(&mut conn).await?;
        self.move_locked(backend, conn, &table, &target, Direction::Upgrade)
            .await
    }

    /// Refuses, before anything runs, a history validated for another
    /// database than `backend` (a `generic` history runs anywhere).
    fn refuse_other_dialect(&self, backend: Dialect, offline: bool) -> Result<(), Error> {
        let plan = self.plan.dialect();
        if plan.runs_on(backend) {
            Ok(())
        } else {
            Err(Error::DialectMismatch {
                plan,
                target: backend,
                offline,
            })
        }
    }

    /// Takes the lock, moves to `target` in `direction`, and releases the
    /// lock on every path.
    async fn move_locked(
        &self,
        backend: Backend<'_>,
        conn: Conn,
        table: &VersionTable,
        target: &Target,
        direction: Direction,
    ) -> Result<Report, Error> {
        let graph = crate::graph::of(&self.plan);
        let dialect = backend.dialect();
        let lock = self.take_lock(backend, table).await?;
        let engine = self.engine(backend, conn, table, &lock, direction);
        let result = match direction {
            Direction::Upgrade => {
                self.upgrade_locked(engine, table, graph, target, dialect)
                    .await
            }
            Direction::Downgrade => {
                self.downgrade_locked(engine, table, graph, target, dialect)
                    .await
            }
        };
        lock.release(self.statement_timeout.unwrap_or(self.connect_timeout))
            .await;
        result
    }

    async fn take_lock(
        &self,
        backend: Backend<'_>,
        table: &VersionTable,
    ) -> Result<LockGuard, Error> {
        if self.lock {
            // One advisory lock per schema of a fleet; the plain name's key
            // otherwise, as every earlier version took it.
            let scoped = self
                .schema
                .as_ref()
                .map(|schema| format!("{schema}.{}", table.name()));
            // The lock session's round trips are bounded like the
            // migration's own: the statement timeout, and the liveness
            // probe when the network may freeze without a timeout set.
            let probe = self.liveness_probe.and_then(|every| backend.probe(every));
            LockGuard::acquire(
                backend,
                scoped.as_deref().unwrap_or(table.name()),
                self.lock_timeout,
                self.connect_timeout,
                self.statement_timeout,
                probe.as_ref(),
            )
            .await
        } else {
            Ok(LockGuard::None)
        }
    }

    fn engine<'t>(
        &self,
        backend: Backend<'t>,
        conn: Conn,
        table: &'t VersionTable,
        lock: &LockGuard,
        direction: Direction,
    ) -> Engine<'t> {
        let dialect = backend.dialect();
        Engine::new(
            conn,
            dialect,
            table,
            Settings {
                backend,
                connect_timeout: self.connect_timeout,
                statement_timeout: self.statement_timeout,
                liveness_probe: self.liveness_probe,
                check_in_tx: dialect == Dialect::Sqlite || !self.lock,
                single: self.transaction_mode == TransactionMode::Single,
                lock_timeout: self.lock_timeout,
                lock: lock.holder(),
                on_revision: self.on_revision.clone(),
            },
            direction,
        )
    }

    async fn upgrade_locked(
        &self,
        mut engine: Engine<'_>,
        table: &VersionTable,
        graph: &Graph,
        target: &Target,
        dialect: Dialect,
    ) -> Result<Report, Error> {
        engine.identify().await;
        engine.ensure_tables().await?;
        let builder = ScriptBuilder::new(dialect, table);
        'plan: for _ in 0..MAX_REPLANS {
            let changes = engine
                .conn()
                .fetch_count(&table.changes_query(dialect))
                .await
                .ok();
            let (stored, rows) = read_state(engine.conn(), table, dialect).await?;
            self.verify_explained(engine.conn(), graph, &rows, Direction::Upgrade, dialect)
                .await?;
            let applied = applied_positions(graph, &rows);
            let needs = graph
                .upgrade(&graph.current_heads(&applied), target)
                .map_err(|e| crate::graph::error(e, Direction::Upgrade))?;
            if let (true, Some(changes)) = (needs.is_empty(), changes) {
                // Nothing to run, yet the start-up check came here: the
                // rows, now validated, are what the summary records, with
                // the counter, so the next check is one query again.
                let settle = table.settle_summary(dialect, &rows.summary(), changes);
                let _ = engine.conn().execute(&settle).await;
            }
            let revisions = self.plan.revisions();
            let mut state = rows;
            let mut scripts = Vec::new();
            for &position in &needs {
                let revision = &revisions[position];
                let before = state.summary();
                let script = builder.upgrade(revision, &encode_downgrade(revision), &mut state);
                scripts.push((script, before));
            }
            expect_stored(&mut scripts, stored);
            for (script, before) in &scripts {
                if let Outcome::Conflict = engine.run(script, before).await? {
                    continue 'plan;
                }
            }
            engine.finish().await?;
            return Ok(std::mem::replace(
                &mut engine.report,
                Report::new(Direction::Upgrade),
            ));
        }
        Err(Error::Database {
            context: "upgrade".to_string(),
            message: "other migrators kept changing the version table".to_string(),
        })
    }

    /// Reverts the applied revisions that descend from `target` (the target
    /// itself stays), in reverse plan order, as Alembic's `downgrade` does:
    /// revisions on other branches are never touched.
    pub async fn downgrade<D: Database + ?Sized>(
        &self,
        db: &D,
        target: impl IntoTarget,
    ) -> Result<Report, Error> {
        let target = target.into_target()?;
        self.downgrade_on(db.backend(), target).await
    }

    /// [`downgrade`](Self::downgrade) on a backend: the body is compiled here,
    /// once, not in the application crate per pool type.
    fn downgrade_on<'a>(
        &'a self,
        backend: Backend<'a>,
        target: Target,
    ) -> BoxFuture<'a, Result<Report, Error>> {
        Box::pin(self.downgrade_body(backend, target))
    }

    async fn downgrade_body(&self, backend: Backend<'_>, target: Target) -> Result<Report, Error> {
        let table = self.table()?;
        self.refuse_other_dialect(backend.dialect(), false)?;
        let conn = backend
            .acquire(
                self.connect_timeout,
                self.statement_timeout,
                self.liveness_probe,
            )
            .await?;
        self.move_locked(backend, conn, &table, &target, Direction::Downgrade)
            .await
    }

    async fn downgrade_locked(
        &self,
        mut engine: Engine<'_>,
        table: &VersionTable,
        graph: &Graph,
        target: &Target,
        dialect: Dialect,
    ) -> Result<Report, Error> {
        engine.identify().await;
        engine.upgrade_tables().await?;
        let builder = ScriptBuilder::new(dialect, table);
        'plan: for _ in 0..MAX_REPLANS {
            let (stored, rows) = read_state(engine.conn(), table, dialect).await?;
            self.verify_explained(engine.conn(), graph, &rows, Direction::Downgrade, dialect)
                .await?;
            let applied = applied_positions(graph, &rows);
            let revert = graph
                .downgrade(&graph.current_heads(&applied), target)
                .map_err(|e| crate::graph::error(e, Direction::Downgrade))?;
            // Unknown revisions are newer than anything this plan knows: they go first.
            let mut unknown = Vec::new();
            for row in unknown_rows(graph, &rows) {
                let json = engine
                    .conn()
                    .fetch_optional_string(&table.select_downgrade(dialect, &row.revision))
                    .await
                    .map_err(|e| Error::database("could not read a stored downgrade", &e))?
                    .unwrap_or_default();
                unknown.push(decode_downgrade(row, &json)?);
            }
            let unknown = order_children_first(unknown);
            let revisions = self.plan.revisions();
            let mut state = rows;
            let mut scripts = Vec::new();
            for revision in &unknown {
                let before = state.summary();
                scripts.push((builder.downgrade(revision, &mut state), before));
            }
            for &position in revert.iter().rev() {
                let before = state.summary();
                scripts.push((builder.downgrade(&revisions[position], &mut state), before));
            }
            expect_stored(&mut scripts, stored);
            for (script, before) in &scripts {
                if let Outcome::Conflict = engine.run(script, before).await? {
                    continue 'plan;
                }
            }
            engine.finish().await?;
            return Ok(std::mem::replace(
                &mut engine.report,
                Report::new(Direction::Upgrade),
            ));
        }
        Err(Error::Database {
            context: "downgrade".to_string(),
            message: "other migrators kept changing the version table".to_string(),
        })
    }

    /// Refusals before anything runs.
    fn verify(
        &self,
        graph: &Graph,
        rows: &Rows,
        direction: Direction,
        dialect: Dialect,
    ) -> Result<(), Error> {
        if let Some(row) = rows.values().find(|row| row.state != RowState::Applied) {
            return Err(self.unresolved_error(graph, row, dialect));
        }
        let unknown: Vec<String> = unknown_rows(graph, rows)
            .map(|row| row.revision.clone())
            .collect();
        let may_revert = direction == Direction::Downgrade && self.revert_unknown;
        if !unknown.is_empty() && !may_revert {
            return Err(Error::UnknownApplied { revisions: unknown });
        }
        self.verify_closed(graph, rows)?;
        if self.verify_checksums {
            for row in rows.applied() {
                if let Some(position) = graph.position(&row.revision) {
                    let revision = &self.plan.revisions()[position];
                    let expected = hex(revision.checksum());
                    if row.checksum != expected {
                        return Err(Error::ChecksumMismatch {
                            revision: row.revision.clone(),
                            file: revision.file().to_string(),
                            stored: row.checksum.clone(),
                            expected,
                        });
                    }
                }
            }
        }
        Ok(())
    }

    /// Refuses an applied set that is not closed under ancestry: a revision
    /// recorded as applied while one of its ancestors is not (a row deleted
    /// by hand). Planning on it would apply the ancestor after its
    /// descendants.
    fn verify_closed(&self, graph: &Graph, rows: &Rows) -> Result<(), Error> {
        let applied = applied_positions(graph, rows);
        for &position in &applied {
            let missing: Vec<String> = graph
                .requires(position)
                .iter()
                .filter(|required| !applied.contains(required))
                .map(|&required| graph.id(required).to_string())
                .collect();
            if missing.is_empty() {
                continue;
            }
            // The heads by the plan's graph: the rows' own parents skip the
            // missing revision and would make its ancestors heads.
            let below = graph.ancestors(
                applied
                    .iter()
                    .flat_map(|&p| graph.requires(p).iter().copied()),
            );
            return Err(Error::BrokenAncestry {
                revision: graph.id(position).to_string(),
                missing,
                heads: applied
                    .difference(&below)
                    .map(|&p| graph.id(p).to_string())
                    .collect(),
            });
        }
        Ok(())
    }

    fn unresolved_error(&self, graph: &Graph, row: &VersionRow, dialect: Dialect) -> Error {
        Error::Unresolved(Box::new(self.describe_row(graph, row, dialect).0))
    }

    /// What a row left half done says: the statements that ran, the one
    /// whose outcome is unknown (with its SQL), and those that did not run.
    fn describe_row<'p>(
        &'p self,
        graph: &Graph,
        row: &VersionRow,
        dialect: Dialect,
    ) -> (UnresolvedRevision, Option<&'p str>) {
        let revision = graph
            .position(&row.revision)
            .map(|p| &self.plan.revisions()[p]);
        let sections = match (revision, row.state) {
            (Some(revision), RowState::Partial | RowState::Failed) => revision.upgrade(),
            (Some(revision), _) => revision.downgrade(),
            (None, _) => &[],
        };
        let statements: Vec<(StatementRef, bool, &str)> = sections
            .iter()
            .flat_map(|section| {
                let bare = runs_bare(dialect, section);
                section.statements().iter().map(move |s| (s, bare))
            })
            .enumerate()
            .map(|(position, (statement, bare))| {
                let reference = StatementRef {
                    index: position + 1,
                    line: statement.line(),
                };
                (reference, bare, statement.sql())
            })
            .collect();
        let interrupted = matches!(row.state, RowState::Partial | RowState::Reverting);
        let flags: Vec<(StatementRef, bool)> = statements
            .iter()
            .map(|(reference, bare, _)| (reference.clone(), *bare))
            .collect();
        let (ran, unknown, mut not_run) =
            split_record(&flags, row.statements_done.max(0) as usize, interrupted);
        // A run that failed (not one that was interrupted) stopped at the
        // statement after those it recorded: it did not complete.
        let stopped_at = (!interrupted && !not_run.is_empty()).then(|| not_run.remove(0));
        // The statement the catalog is asked about: the unknown one, or the
        // one the run stopped at when it ran outside a transaction.
        let inspect = unknown.as_ref().or(stopped_at
            .as_ref()
            .filter(|statement| statements[statement.index - 1].1));
        let inspect_sql = inspect.map(|statement| statements[statement.index - 1].2);
        (
            UnresolvedRevision {
                revision: row.revision.clone(),
                file: revision.map(|r| r.file().to_string()),
                state: row.state.as_str().to_string(),
                ran,
                unknown,
                catalog: None,
                stopped_at,
                not_run,
            },
            inspect_sql,
        )
    }

    /// [`verify`](Self::verify), asking the catalog about a statement whose
    /// outcome the version table cannot know.
    async fn verify_explained(
        &self,
        conn: &mut Conn,
        graph: &Graph,
        rows: &Rows,
        direction: Direction,
        dialect: Dialect,
    ) -> Result<(), Error> {
        if let Some(row) = rows.values().find(|row| row.state != RowState::Applied) {
            let (mut unresolved, unknown_sql) = self.describe_row(graph, row, dialect);
            if let Some(sql) = unknown_sql {
                unresolved.catalog = ask_catalog(conn, dialect, &unresolved, sql).await;
            }
            return Err(Error::Unresolved(Box::new(unresolved)));
        }
        self.verify(graph, rows, direction, dialect)
    }

    /// The rows an earlier run left failed or half done, explained: what
    /// ran, which statement's outcome is unknown (with what the catalog
    /// shows about it, where it can tell), and what did not run.
    pub async fn unresolved<D: Database + ?Sized>(
        &self,
        db: &D,
    ) -> Result<Vec<UnresolvedRevision>, Error> {
        self.unresolved_on(db.backend()).await
    }

    /// [`unresolved`](Self::unresolved) on a backend: the body is compiled here,
    /// once, not in the application crate per pool type.
    fn unresolved_on<'a>(
        &'a self,
        backend: Backend<'a>,
    ) -> BoxFuture<'a, Result<Vec<UnresolvedRevision>, Error>> {
        Box::pin(self.unresolved_body(backend))
    }

    async fn unresolved_body(
        &self,
        backend: Backend<'_>,
    ) -> Result<Vec<UnresolvedRevision>, Error> {
        let table = self.table()?;
        let dialect = backend.dialect();
        let mut conn = backend
            .acquire(
                self.connect_timeout,
                self.statement_timeout,
                self.liveness_probe,
            )
            .await?;
        let rows = read_rows(&mut conn, &table, dialect).await?;
        let graph = crate::graph::of(&self.plan);
        let mut found = Vec::new();
        for row in rows.values().filter(|row| row.state != RowState::Applied) {
            let (mut unresolved, unknown_sql) = self.describe_row(graph, row, dialect);
            if let Some(sql) = unknown_sql {
                unresolved.catalog = ask_catalog(&mut conn, dialect, &unresolved, sql).await;
            }
            found.push(unresolved);
        }
        Ok(found)
    }

    /// The applied heads (revision ids).
    /// These are the maximal applied revisions (a dependency of an applied
    /// revision is not a head), what Alembic's version table would hold;
    /// rows of revisions this plan does not know come last.
    pub async fn current<D: Database + ?Sized>(&self, db: &D) -> Result<Vec<String>, Error> {
        self.current_on(db.backend()).await
    }

    /// [`current`](Self::current) on a backend: the body is compiled here,
    /// once, not in the application crate per pool type.
    fn current_on<'a>(&'a self, backend: Backend<'a>) -> BoxFuture<'a, Result<Vec<String>, Error>> {
        Box::pin(self.current_body(backend))
    }

    async fn current_body(&self, backend: Backend<'_>) -> Result<Vec<String>, Error> {
        let rows = self.read_on(backend).await?;
        let graph = crate::graph::of(&self.plan);
        let applied = applied_positions(graph, &rows);
        let mut heads: Vec<String> = graph
            .current_heads(&applied)
            .into_iter()
            .map(|position| graph.id(position).to_string())
            .collect();
        heads.extend(
            unknown_rows(graph, &rows)
                .filter(|row| row.state == RowState::Applied)
                .map(|row| row.revision.clone()),
        );
        Ok(heads)
    }

    /// Every row of the version table, oldest first.
    pub async fn history<D: Database + ?Sized>(&self, db: &D) -> Result<Vec<VersionRow>, Error> {
        self.history_on(db.backend()).await
    }

    /// [`history`](Self::history) on a backend: the body is compiled here,
    /// once, not in the application crate per pool type.
    fn history_on<'a>(
        &'a self,
        backend: Backend<'a>,
    ) -> BoxFuture<'a, Result<Vec<VersionRow>, Error>> {
        Box::pin(self.history_body(backend))
    }

    async fn history_body(&self, backend: Backend<'_>) -> Result<Vec<VersionRow>, Error> {
        let rows = self.read_on(backend).await?;
        let mut rows: Vec<VersionRow> = rows.into_values().collect();
        rows.sort_by(|a, b| {
            a.applied_at
                .cmp(&b.applied_at)
                .then(a.revision.cmp(&b.revision))
        });
        Ok(rows)
    }

    /// The plan's revisions not applied to the database, in plan order.
    pub async fn pending<D: Database + ?Sized>(&self, db: &D) -> Result<Vec<&Revision>, Error> {
        self.pending_on(db.backend()).await
    }

    /// [`pending`](Self::pending) on a backend: the body is compiled here,
    /// once, not in the application crate per pool type.
    fn pending_on<'s: 'f, 'f>(
        &'s self,
        backend: Backend<'f>,
    ) -> BoxFuture<'f, Result<Vec<&'s Revision>, Error>> {
        Box::pin(self.pending_body(backend))
    }

    async fn pending_body(&self, backend: Backend<'_>) -> Result<Vec<&Revision>, Error> {
        let rows = self.read_on(backend).await?;
        let graph = crate::graph::of(&self.plan);
        let applied = applied_positions(graph, &rows);
        Ok(self
            .plan
            .revisions()
            .iter()
            .enumerate()
            .filter(|(position, _)| !applied.contains(position))
            .map(|(_, revision)| revision)
            .collect())
    }

    /// `Ok` when every revision of the plan is applied, nothing is left
    /// failed, checksums match and no unknown revision is present. When
    /// that is so, this is one query (the version table's fingerprint, as
    /// for a no-op [`upgrade`](Self::upgrade)); otherwise every row is read
    /// to say what differs.
    pub async fn check<D: Database + ?Sized>(&self, db: &D) -> Result<(), Error> {
        self.check_on(db.backend()).await
    }

    /// [`check`](Self::check) on a backend: the body is compiled here,
    /// once, not in the application crate per pool type.
    fn check_on<'a>(&'a self, backend: Backend<'a>) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(self.check_body(backend))
    }

    async fn check_body(&self, backend: Backend<'_>) -> Result<(), Error> {
        let table = self.table()?;
        let dialect = backend.dialect();
        let mut conn = backend
            .acquire(
                self.connect_timeout,
                self.statement_timeout,
                self.liveness_probe,
            )
            .await?;
        let every = Target::Absolute {
            branch: None,
            symbol: "heads".to_string(),
        };
        if self.at_target(&mut conn, &table, dialect, &every).await? {
            return Ok(());
        }
        let rows = read_rows(&mut conn, &table, dialect).await?;
        let graph = crate::graph::of(&self.plan);
        self.verify_explained(&mut conn, graph, &rows, Direction::Upgrade, dialect)
            .await?;
        let applied = applied_positions(graph, &rows);
        if applied.len() == graph.len() {
            return Ok(());
        }
        Err(Error::NotAtHead {
            current: graph
                .current_heads(&applied)
                .into_iter()
                .map(|p| graph.id(p).to_string())
                .collect(),
            pending: (0..graph.len())
                .filter(|p| !applied.contains(p))
                .map(|p| graph.id(p).to_string())
                .collect(),
        })
    }

    /// [`read`](Self::read) on a backend: the body is compiled here,
    /// once, not in the application crate per pool type.
    fn read_on<'a>(&'a self, backend: Backend<'a>) -> BoxFuture<'a, Result<Rows, Error>> {
        Box::pin(self.read_body(backend))
    }

    async fn read_body(&self, backend: Backend<'_>) -> Result<Rows, Error> {
        let table = self.table()?;
        let mut conn = backend
            .acquire(
                self.connect_timeout,
                self.statement_timeout,
                self.liveness_probe,
            )
            .await?;
        read_rows(&mut conn, &table, backend.dialect()).await
    }

    /// Records `target` as the database's state without running anything
    /// (to adopt an existing database, or to resolve a failed revision).
    pub async fn stamp<D: Database + ?Sized>(
        &self,
        db: &D,
        target: impl IntoTarget,
    ) -> Result<(), Error> {
        let target = target.into_target()?;
        self.stamp_with_on(db.backend(), vec![target], false).await
    }

    /// [`stamp`](Self::stamp); with `purge`, the version table is emptied
    /// first (rows of revisions the plan does not know included, otherwise an
    /// error) and the target stamped from base, as Alembic's `--purge`.
    pub async fn stamp_with<D: Database + ?Sized>(
        &self,
        db: &D,
        target: impl IntoTarget,
        purge: bool,
    ) -> Result<(), Error> {
        let target = target.into_target()?;
        self.stamp_with_on(db.backend(), vec![target], purge).await
    }

    /// [`stamp_with`](Self::stamp_with) to several revisions at once
    /// (`stamp a b`), as Alembic's `stamp` takes them: the heads related to
    /// any of them are replaced, and each becomes a head (a revision on a
    /// branch the database does not hold is added next to the others).
    pub async fn stamp_all<D: Database + ?Sized, T: IntoTarget>(
        &self,
        db: &D,
        targets: impl IntoIterator<Item = T>,
        purge: bool,
    ) -> Result<(), Error> {
        let targets = targets
            .into_iter()
            .map(IntoTarget::into_target)
            .collect::<Result<Vec<Target>, Error>>()?;
        if targets.is_empty() {
            return Err(Error::InvalidTarget {
                input: String::new(),
                reason: "`stamp` needs at least one revision".to_string(),
            });
        }
        self.stamp_with_on(db.backend(), targets, purge).await
    }

    /// [`stamp_with`](Self::stamp_with) on a backend: the body is compiled here,
    /// once, not in the application crate per pool type.
    fn stamp_with_on<'a>(
        &'a self,
        backend: Backend<'a>,
        targets: Vec<Target>,
        purge: bool,
    ) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(self.stamp_with_body(backend, targets, purge))
    }

    async fn stamp_with_body(
        &self,
        backend: Backend<'_>,
        targets: Vec<Target>,
        purge: bool,
    ) -> Result<(), Error> {
        let table = self.table()?;
        let graph = crate::graph::of(&self.plan);
        let dialect = backend.dialect();
        self.refuse_other_dialect(dialect, false)?;
        let conn = backend
            .acquire(
                self.connect_timeout,
                self.statement_timeout,
                self.liveness_probe,
            )
            .await?;
        let mut conn = conn;
        self.create_schema(&mut conn).await?;
        let lock = self.take_lock(backend, &table).await?;
        let result = self
            .stamp_locked(
                self.engine(backend, conn, &table, &lock, Direction::Upgrade),
                &table,
                graph,
                &targets,
                dialect,
                purge,
            )
            .await;
        lock.release(self.statement_timeout.unwrap_or(self.connect_timeout))
            .await;
        result
    }

    /// Takes over a database that `tool` migrated (`stamp --adopt`): reads
    /// the tool's version table, maps its versions to the revisions
    /// `cargo migrate import` wrote (their ids derive from the versions) and
    /// records those revisions as applied, without running anything.
    ///
    /// Refused, with nothing recorded, when the table holds a version the
    /// plan lacks, skips one in the middle, marks one unfinished
    /// (golang-migrate's `dirty`, sqlx's failed `success`), or when this
    /// plan's version table already records other revisions. Adopting twice
    /// changes nothing.
    pub async fn adopt<D: Database + ?Sized>(
        &self,
        db: &D,
        tool: crate::adopt::SourceTool,
    ) -> Result<crate::adopt::Adopted, Error> {
        self.adopt_on(db.backend(), tool).await
    }

    /// [`adopt`](Self::adopt) on a backend: the body is compiled here,
    /// once, not in the application crate per pool type.
    fn adopt_on<'a>(
        &'a self,
        backend: Backend<'a>,
        tool: crate::adopt::SourceTool,
    ) -> BoxFuture<'a, Result<crate::adopt::Adopted, Error>> {
        Box::pin(self.adopt_body(backend, tool))
    }

    async fn adopt_body(
        &self,
        backend: Backend<'_>,
        tool: crate::adopt::SourceTool,
    ) -> Result<crate::adopt::Adopted, Error> {
        let table = self.table()?;
        let graph = crate::graph::of(&self.plan);
        let dialect = backend.dialect();
        self.refuse_other_dialect(dialect, false)?;
        let (versions, unfinished, rows) = {
            let mut conn = backend
                .acquire(
                    self.connect_timeout,
                    self.statement_timeout,
                    self.liveness_probe,
                )
                .await?;
            let (versions, unfinished) = crate::adopt::read(&mut conn, tool, dialect).await?;
            let rows = read_rows(&mut conn, &table, dialect).await?;
            (versions, unfinished, rows)
        };
        let adoption = migrate_core::adopt::adopt(graph, tool, &versions, &unfinished)?;
        let ids = |positions: &mut dyn Iterator<Item = usize>| -> Vec<String> {
            positions.map(|p| graph.id(p).to_string()).collect()
        };
        let recorded: Vec<String> = rows.values().map(|row| row.revision.clone()).collect();
        let already = !recorded.is_empty();
        if already {
            let applied = applied_positions(graph, &rows);
            if applied != adoption.applied || recorded.len() != applied.len() {
                return Err(Error::Adopt(format!(
                    "the version table {} already records {}, not what `{}` says ({}); `stamp <revision>` sets the state by hand",
                    table.name(),
                    recorded.join(", "),
                    tool.table(),
                    if adoption.heads.is_empty() {
                        "base".to_string()
                    } else {
                        ids(&mut adoption.heads.iter().copied()).join(", ")
                    }
                )));
            }
        } else {
            for head in &adoption.heads {
                self.stamp_with_on(backend, vec![Target::absolute(graph.id(*head))], false)
                    .await?;
            }
        }
        Ok(crate::adopt::Adopted {
            tool,
            versions,
            revisions: ids(&mut adoption.applied.iter().copied()),
            heads: ids(&mut adoption.heads.iter().copied()),
            ignored: adoption.ignored,
            already,
        })
    }

    async fn stamp_locked(
        &self,
        mut engine: Engine<'_>,
        table: &VersionTable,
        graph: &Graph,
        targets: &[Target],
        dialect: Dialect,
        purge: bool,
    ) -> Result<(), Error> {
        engine.ensure_tables().await?;
        let rows = read_rows(engine.conn(), table, dialect).await?;
        let unknown: Vec<String> = unknown_rows(graph, &rows)
            .map(|row| row.revision.clone())
            .collect();
        if !unknown.is_empty() && !purge {
            return Err(Error::UnknownApplied { revisions: unknown });
        }
        // `--purge` empties the version table first, then stamps, as
        // Alembic's does: the target is stamped from base, whatever the rows
        // held (rows the result keeps unchanged are left in place).
        let current = if purge {
            Vec::new()
        } else {
            graph.current_heads(&applied_positions(graph, &rows))
        };
        let heads = graph
            .stamp_all(&current, targets)
            .map_err(|e| crate::graph::error(e, Direction::Upgrade))?;
        let desired = graph.ancestors(heads);
        let revisions = self.plan.revisions();
        let mut statements = Vec::new();
        let mut state = rows.clone();
        for row in rows.values() {
            let keep = graph.position(&row.revision).is_some_and(|position| {
                desired.contains(&position)
                    && row.state == RowState::Applied
                    && row.checksum == hex(revisions[position].checksum())
            });
            if !keep {
                statements.push(table.delete(dialect, &row.revision));
                state.remove(&row.revision);
            }
        }
        for &position in &desired {
            let revision = &revisions[position];
            if state.contains(revision.id()) {
                continue;
            }
            let checksum = hex(revision.checksum());
            let parents: Vec<String> = revision
                .down_revisions()
                .iter()
                .map(|p| p.to_string())
                .collect();
            let done = revision
                .upgrade()
                .iter()
                .map(|s| s.statements().len())
                .sum();
            statements.push(table.insert(
                dialect,
                &NewRow {
                    revision: revision.id(),
                    checksum: &checksum,
                    down_revisions: &parents,
                    state: RowState::Applied,
                    statements_done: done,
                    downgrade_sql: &encode_downgrade(revision),
                },
            ));
            state.insert(revision.id(), &checksum, parents, RowState::Applied);
        }
        statements.push(table.write_summary(dialect, &state.summary()));
        engine.write_all(&statements).await
    }

    /// The offline script for `range` (`"base:head"`, `"<a>:<b>"`, or just
    /// `"<b>"` meaning from base), upgrade or downgrade, for `dialect`.
    /// A history validated for one database is refused for another's
    /// script, as for a run ([`Error::DialectMismatch`]).
    pub fn sql(&self, range: &str, dialect: Dialect) -> Result<String, Error> {
        self.script_for(None, range, dialect)
    }

    /// [`sql`](Self::sql) for one verb, as `upgrade A:B --sql` and
    /// `downgrade A:B --sql` are: the script only moves in `direction` (an
    /// upgrade to a revision already below the start is empty, a downgrade
    /// to one above it is an error), and a relative end (`head:-1`,
    /// `<rev>:+2`) is relative to the start, as in Alembic's offline mode.
    pub fn sql_for(
        &self,
        direction: Direction,
        range: &str,
        dialect: Dialect,
    ) -> Result<String, Error> {
        self.script_for(Some(direction), range, dialect)
    }

    fn script_for(
        &self,
        direction: Option<Direction>,
        range: &str,
        dialect: Dialect,
    ) -> Result<String, Error> {
        self.refuse_other_dialect(dialect, true)?;
        let table = self.table()?.for_script();
        crate::offline::script(
            &self.plan,
            &table,
            range,
            dialect,
            self.transaction_mode == TransactionMode::Single,
            direction,
        )
    }
}

/// The stored summary (read first), then the rows: a change committed
/// between the two reads makes the summary older than the rows, which the
/// in-transaction check then reports as a conflict rather than missing.
async fn read_state(
    conn: &mut Conn,
    table: &VersionTable,
    dialect: Dialect,
) -> Result<(Option<Summary>, Rows), Error> {
    let mut stored = read_summary(conn, table, dialect).await;
    if stored.is_none() {
        // The summary row deleted by hand: put the empty one back (a no-op
        // without the tables), or every in-transaction check would fail.
        if let Some(insert) = table.create(dialect).last() {
            let _ = conn.execute(insert).await;
        }
        stored = read_summary(conn, table, dialect).await;
    }
    let rows = read_rows(conn, table, dialect).await?;
    Ok((stored, rows))
}

/// The first script's in-transaction check compares the summary with what
/// is stored, not with what the rows imply: after a hand edit of the
/// version table (a head's row deleted to re-run it) they differ for good,
/// and comparing with the rows would re-plan forever. The first script
/// writes the summary the rows imply.
fn expect_stored(scripts: &mut [(RevisionScript<'_>, Summary)], stored: Option<Summary>) {
    if let (Some((_, before)), Some(stored)) = (scripts.first_mut(), stored) {
        *before = stored;
    }
}

fn applied_positions(graph: &Graph, rows: &Rows) -> BTreeSet<usize> {
    rows.applied()
        .filter_map(|row| graph.position(&row.revision))
        .collect()
}

fn unknown_rows<'r>(graph: &'r Graph, rows: &'r Rows) -> impl Iterator<Item = &'r VersionRow> + 'r {
    rows.values()
        .filter(move |row| graph.position(&row.revision).is_none())
}

/// Unknown revisions ordered so that none is reverted before a revision
/// that names it as a parent: the reverse of `migrate-core`'s plan order
/// over them (a loop among stored rows, which no plan allowed, keeps the
/// rest in table order).
fn order_children_first(revisions: Vec<Revision>) -> Vec<Revision> {
    let nodes: Vec<migrate_core::Node> = revisions
        .iter()
        .map(|revision| migrate_core::Node {
            id: revision.id().to_string(),
            down_revisions: revision
                .down_revisions()
                .iter()
                .map(|p| p.to_string())
                .collect(),
            ..migrate_core::Node::default()
        })
        .collect();
    let graph = Graph::new(&nodes);
    let requires: Vec<Vec<usize>> = (0..nodes.len())
        .map(|index| graph.parents(index).to_vec())
        .collect();
    let rank: Vec<usize> = (0..nodes.len()).collect();
    let mut order = Graph::order(nodes.len(), &requires, &rank);
    let mut placed = vec![false; nodes.len()];
    for index in &order {
        placed[*index] = true;
    }
    order.extend((0..nodes.len()).filter(|index| !placed[*index]));
    let mut slots: Vec<Option<Revision>> = revisions.into_iter().map(Some).collect();
    order
        .into_iter()
        .rev()
        .filter_map(|index| slots[index].take())
        .collect()
}

/// What the catalog shows about the statement a half-done row points at:
/// whether the unknown one committed, or what the failed one left behind.
async fn ask_catalog(
    conn: &mut Conn,
    dialect: Dialect,
    unresolved: &UnresolvedRevision,
    sql: &str,
) -> Option<String> {
    if unresolved.unknown.is_some() {
        inspect_unknown(conn, dialect, sql).await
    } else {
        inspect_failed(conn, dialect, sql).await
    }
}
