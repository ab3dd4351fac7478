//! Fleets: one plan over many targets (a schema or a database per tenant),
//! with bounded concurrency and one report.
//!
//! A target is either a PostgreSQL schema in one database (its version
//! table lives in the schema, and every session of the target has that
//! schema alone on `search_path`) or a whole database given by URL. Each
//! target runs the ordinary verb with its own pool and its own lock (an
//! advisory lock keyed by schema and version table, `GET_LOCK` per
//! database, SQLite's write lock per file), so a target at head costs the
//! verb's one query, and a failing target stops nothing else unless
//! [`FleetOptions::stop_after_failures`] is reached.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt as _;
use serde_json::{json, Value};

use crate::backend::MigrateConnection;
use crate::error::Error;
use crate::plan::Dialect;
use crate::url_mask::{redact_text, redact_url};
use crate::{Migrator, Report};

/// How many targets run at once by default: the size of the pool a single
/// run opens ([`MigrateConnection::connect`]).
pub const DEFAULT_CONCURRENCY: usize = 4;

/// One target of a fleet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FleetTarget {
    url: String,
    schema: Option<String>,
}

impl FleetTarget {
    /// The schema `schema` of the PostgreSQL database at `url`.
    pub fn schema(url: &str, schema: &str) -> Result<FleetTarget, Error> {
        Self::schema_at(url, schema, "the target list")
    }

    fn schema_at(url: &str, schema: &str, origin: &str) -> Result<FleetTarget, Error> {
        let invalid = |reason: String| Error::InvalidFleetTarget {
            origin: origin.to_string(),
            reason,
        };
        if let Some(problem) = migrate_core::names::schema_problem(schema) {
            return Err(invalid(format!("`{}`: {problem}", schema.escape_default())));
        }
        if Dialect::of_url(url) != Some(Dialect::Postgres) {
            return Err(invalid(format!(
                "`{schema}` names a schema, which needs a PostgreSQL database URL (--database-url), not `{}`",
                redact_url(url)
            )));
        }
        Ok(FleetTarget {
            url: url.to_string(),
            schema: Some(schema.to_string()),
        })
    }

    /// The whole database at `url` (PostgreSQL, MySQL/MariaDB or a SQLite file).
    pub fn database(url: &str) -> Result<FleetTarget, Error> {
        Self::database_at(url, "the target list")
    }

    fn database_at(url: &str, origin: &str) -> Result<FleetTarget, Error> {
        if Dialect::of_url(url).is_none() {
            return Err(Error::InvalidFleetTarget {
                origin: origin.to_string(),
                reason: format!(
                    "`{}` is neither a schema name nor a sqlite:, postgres: or mysql: URL",
                    redact_url(url)
                ),
            });
        }
        Ok(FleetTarget {
            url: url.to_string(),
            schema: None,
        })
    }

    /// A target as a line of a targets file or a row of `--targets-query`
    /// gives it: a URL (it holds a `:`), or a schema of the database at
    /// `base_url`.
    pub fn parse(text: &str, base_url: Option<&str>, origin: &str) -> Result<FleetTarget, Error> {
        let text = text.trim();
        if text.contains(':') {
            return Self::database_at(text, origin);
        }
        match base_url {
            Some(url) => Self::schema_at(url, text, origin),
            None => Err(Error::InvalidFleetTarget {
                origin: origin.to_string(),
                reason: format!(
                    "`{}` is a schema name, which needs a PostgreSQL database URL (--database-url or DATABASE_URL)",
                    text.escape_default()
                ),
            }),
        }
    }

    /// How reports name the target: the schema, or the URL with its
    /// password masked.
    pub fn name(&self) -> String {
        match &self.schema {
            Some(schema) => schema.clone(),
            None => redact_url(&self.url),
        }
    }

    /// The database URL (unmasked: never print it, print [`name`](Self::name)).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The schema, for a schema target.
    pub fn schema_name(&self) -> Option<&str> {
        self.schema.as_deref()
    }

    /// The target's database kind.
    pub fn dialect(&self) -> Dialect {
        Dialect::of_url(&self.url).unwrap_or(Dialect::Generic)
    }
}

/// The targets of a file's text: one a line, blank lines and `#` comments
/// skipped; a schema name is a schema of the database at `base_url`.
/// Errors name `origin:line`; a target listed twice is refused.
pub fn parse_targets(
    text: &str,
    base_url: Option<&str>,
    origin: &str,
) -> Result<Vec<FleetTarget>, Error> {
    let mut targets = Vec::new();
    let mut seen: BTreeMap<(String, Option<String>), usize> = BTreeMap::new();
    for (index, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let at = format!("{origin}:{}", index + 1);
        let target = FleetTarget::parse(line, base_url, &at)?;
        let key = (target.url.clone(), target.schema.clone());
        if let Some(first) = seen.insert(key, index + 1) {
            return Err(Error::InvalidFleetTarget {
                origin: at,
                reason: format!(
                    "`{}` is listed twice (first on line {first})",
                    target.name()
                ),
            });
        }
        targets.push(target);
    }
    Ok(targets)
}

/// The targets a query on the control database at `control_url` returns:
/// its first column, one target a row (a schema of that database, or a URL).
pub async fn query_targets(
    control_url: &str,
    sql: &str,
    connect_timeout: Duration,
) -> Result<Vec<FleetTarget>, Error> {
    let db = MigrateConnection::connect_with_timeout(control_url, connect_timeout).await?;
    let rows: Result<Vec<Option<String>>, sqlx::Error> = match &db {
        #[cfg(feature = "sqlite")]
        MigrateConnection::Sqlite(pool) => sqlx::query_scalar(sql).fetch_all(pool).await,
        #[cfg(feature = "postgres")]
        MigrateConnection::Postgres(pool) => sqlx::query_scalar(sql).fetch_all(pool).await,
        #[cfg(feature = "mysql")]
        MigrateConnection::MySql(pool) => sqlx::query_scalar(sql).fetch_all(pool).await,
    };
    db.close().await;
    let rows = rows.map_err(|e| Error::database("--targets-query failed", &e))?;
    let mut text = String::new();
    for (index, row) in rows.iter().enumerate() {
        let Some(row) = row else {
            return Err(Error::InvalidFleetTarget {
                origin: format!("--targets-query row {}", index + 1),
                reason: "the value is NULL".to_string(),
            });
        };
        if row.contains('\n') || row.trim().is_empty() || row.trim_start().starts_with('#') {
            return Err(Error::InvalidFleetTarget {
                origin: format!("--targets-query row {}", index + 1),
                reason: format!("`{}` is not a target", row.escape_default()),
            });
        }
        text.push_str(row);
        text.push('\n');
    }
    parse_targets(&text, Some(control_url), "--targets-query row")
}

/// What to run on each target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FleetVerb {
    /// `upgrade` to the target (`head`, ...).
    Upgrade(String),
    /// `downgrade` to the target.
    Downgrade(String),
    /// `current`: read the applied heads.
    Current,
    /// `check`: at head, nothing failed.
    Check,
    /// `stamp` the target, with `purge`.
    Stamp {
        /// The revision to record.
        target: String,
        /// Delete rows of revisions the plan does not know first.
        purge: bool,
    },
}

impl FleetVerb {
    fn name(&self) -> &'static str {
        match self {
            FleetVerb::Upgrade(_) => "upgrade",
            FleetVerb::Downgrade(_) => "downgrade",
            FleetVerb::Current => "current",
            FleetVerb::Check => "check",
            FleetVerb::Stamp { .. } => "stamp",
        }
    }

    /// What a target that succeeded is at, in the summary line.
    fn reached(&self) -> Option<&str> {
        match self {
            FleetVerb::Upgrade(target) | FleetVerb::Downgrade(target) => Some(target),
            FleetVerb::Stamp { target, .. } => Some(target),
            FleetVerb::Check => Some("head"),
            FleetVerb::Current => None,
        }
    }
}

/// Told of each target as soon as it is done.
pub type OnTarget = Arc<dyn Fn(&TargetReport) + Send + Sync>;

/// How a fleet runs.
#[derive(Clone)]
pub struct FleetOptions {
    /// Targets run at once (default [`DEFAULT_CONCURRENCY`]; 0 counts as 1).
    pub concurrency: usize,
    /// Start no further target once this many failed (default: never stop).
    pub stop_after_failures: Option<usize>,
    /// Run the first `canary` targets first, and stop there if any fails.
    pub canary: usize,
    /// Called with each target's report as soon as it is done.
    pub on_target: Option<OnTarget>,
}

impl Default for FleetOptions {
    fn default() -> FleetOptions {
        FleetOptions {
            concurrency: DEFAULT_CONCURRENCY,
            stop_after_failures: None,
            canary: 0,
            on_target: None,
        }
    }
}

impl std::fmt::Debug for FleetOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FleetOptions")
            .field("concurrency", &self.concurrency)
            .field("stop_after_failures", &self.stop_after_failures)
            .field("canary", &self.canary)
            .field("on_target", &self.on_target.as_ref().map(|_| ".."))
            .finish()
    }
}

/// How one target ended.
#[derive(Debug)]
pub enum TargetOutcome {
    /// `upgrade` / `downgrade`: what moved (empty when it was there already).
    Moved(Report),
    /// `current`: the applied heads.
    Current(Vec<String>),
    /// `check` passed, or `stamp` was recorded.
    Done,
    /// `check`: the target is not at head.
    Behind(Error),
    /// The verb failed on this target.
    Failed(Error),
    /// Not started: the canary failed, or `stop_after_failures` was reached.
    NotRun,
}

/// One target's part of a [`FleetReport`].
#[derive(Debug)]
pub struct TargetReport {
    /// The target's name ([`FleetTarget::name`]: no password).
    pub target: String,
    /// How it ended.
    pub outcome: TargetOutcome,
    /// Wall-clock time spent on it, connecting included.
    pub duration: Duration,
}

impl TargetReport {
    /// True when the verb failed on it (or `check` found it behind).
    pub fn failed(&self) -> bool {
        matches!(
            self.outcome,
            TargetOutcome::Failed(_) | TargetOutcome::Behind(_)
        )
    }

    /// The error, if it failed.
    pub fn error(&self) -> Option<&Error> {
        match &self.outcome {
            TargetOutcome::Failed(error) | TargetOutcome::Behind(error) => Some(error),
            _ => None,
        }
    }
}

/// What a fleet run did, target by target, in the order the targets were given.
#[derive(Debug)]
pub struct FleetReport {
    /// The verb run.
    pub verb: FleetVerb,
    /// One report per target.
    pub targets: Vec<TargetReport>,
    /// Wall-clock time of the whole run.
    pub duration: Duration,
}

impl FleetReport {
    /// Targets where the verb failed (`check`: not at head too).
    pub fn failed(&self) -> usize {
        self.targets.iter().filter(|t| t.failed()).count()
    }

    /// Targets never started.
    pub fn not_run(&self) -> usize {
        self.targets
            .iter()
            .filter(|t| matches!(t.outcome, TargetOutcome::NotRun))
            .count()
    }

    /// True when every target succeeded.
    pub fn is_success(&self) -> bool {
        self.failed() == 0 && self.not_run() == 0
    }

    /// The summary line: `998 at head, 2 failed` (and `, N not run`);
    /// `current` counts the targets at each set of heads.
    pub fn summary(&self) -> String {
        let mut parts = Vec::new();
        match self.verb.reached() {
            Some(reached) => {
                let ok = self.targets.len() - self.failed() - self.not_run();
                parts.push(format!("{ok} at {reached}"));
            }
            None => {
                let mut groups: BTreeMap<String, usize> = BTreeMap::new();
                for target in &self.targets {
                    if let TargetOutcome::Current(heads) = &target.outcome {
                        let key = if heads.is_empty() {
                            "base".to_string()
                        } else {
                            heads.join(", ")
                        };
                        *groups.entry(key).or_default() += 1;
                    }
                }
                parts.extend(
                    groups
                        .into_iter()
                        .map(|(heads, n)| format!("{n} at {heads}")),
                );
                if parts.is_empty() {
                    parts.push("0 read".to_string());
                }
            }
        }
        let behind = self
            .targets
            .iter()
            .filter(|t| matches!(t.outcome, TargetOutcome::Behind(_)))
            .count();
        if behind > 0 {
            parts.push(format!("{behind} behind"));
        }
        let failed = self.failed() - behind;
        if failed > 0 {
            parts.push(format!("{failed} failed"));
        }
        if self.not_run() > 0 {
            parts.push(format!("{} not run", self.not_run()));
        }
        parts.join(", ")
    }

    /// The report as one JSON document (`--format json`): every text
    /// passes through the URL masking.
    pub fn to_json(&self) -> Value {
        let targets: Vec<Value> = self
            .targets
            .iter()
            .map(|target| {
                let (status, revisions, current) = match &target.outcome {
                    TargetOutcome::Moved(report) => ("ok", report.ids(), None),
                    TargetOutcome::Current(heads) => (
                        "ok",
                        Vec::new(),
                        Some(heads.iter().map(String::as_str).collect::<Vec<_>>()),
                    ),
                    TargetOutcome::Done => ("ok", Vec::new(), None),
                    TargetOutcome::Behind(_) => ("behind", Vec::new(), None),
                    TargetOutcome::Failed(_) => ("failed", Vec::new(), None),
                    TargetOutcome::NotRun => ("not_run", Vec::new(), None),
                };
                let mut entry = json!({
                    "target": redact_text(&target.target),
                    "status": status,
                    "revisions": revisions,
                    "duration_ms": target.duration.as_millis() as u64,
                    "error": target.error().map(|e| redact_text(&e.to_string())),
                });
                if let Some(current) = current {
                    entry["current"] = json!(current);
                }
                entry
            })
            .collect();
        json!({
            "verb": self.verb.name(),
            "summary": self.summary(),
            "targets_total": self.targets.len(),
            "failed": self.failed(),
            "not_run": self.not_run(),
            "duration_ms": self.duration.as_millis() as u64,
            "targets": targets,
        })
    }
}

impl Migrator {
    /// Upgrades every target to `head` (see [`run_fleet`](Self::run_fleet)).
    ///
    /// ```no_run
    /// # async fn run(plan: &'static migrate_runtime::Plan) -> Result<(), migrate_runtime::Error> {
    /// use migrate_runtime::fleet::{FleetOptions, FleetTarget};
    /// use migrate_runtime::Migrator;
    /// let url = "postgres://app@db/saas";
    /// let targets = ["tenant_1", "tenant_2"]
    ///     .iter()
    ///     .map(|schema| FleetTarget::schema(url, schema))
    ///     .collect::<Result<Vec<_>, _>>()?;
    /// let options = FleetOptions { concurrency: 8, ..FleetOptions::default() };
    /// let report = Migrator::new(plan).upgrade_fleet(&targets, options).await?;
    /// println!("{}", report.summary()); // 2 at head
    /// # Ok(()) }
    /// ```
    pub async fn upgrade_fleet(
        &self,
        targets: &[FleetTarget],
        options: FleetOptions,
    ) -> Result<FleetReport, Error> {
        self.run_fleet(targets, &FleetVerb::Upgrade("head".to_string()), &options)
            .await
    }

    /// Runs `verb` on every target, at most `options.concurrency` at once,
    /// each with its own pool and lock. A target's failure is in its
    /// report and stops no other target, unless the canary failed or
    /// `stop_after_failures` targets failed: then no further target starts
    /// (those running finish). The `Err` is only for a verb's target that
    /// does not parse, before anything runs.
    pub async fn run_fleet(
        &self,
        targets: &[FleetTarget],
        verb: &FleetVerb,
        options: &FleetOptions,
    ) -> Result<FleetReport, Error> {
        match verb {
            FleetVerb::Upgrade(target)
            | FleetVerb::Downgrade(target)
            | FleetVerb::Stamp { target, .. } => {
                crate::IntoTarget::into_target(target.as_str())?;
            }
            FleetVerb::Current | FleetVerb::Check => {}
        }
        let started = Instant::now();
        let state = RunState {
            failures: AtomicUsize::new(0),
            stopped: AtomicBool::new(false),
        };
        let canary = options.canary.min(targets.len());
        let mut reports = self
            .run_phase(&targets[..canary], 0, verb, options, &state)
            .await;
        if reports.iter().any(TargetReport::failed) {
            state.stopped.store(true, Ordering::SeqCst);
        }
        reports.extend(
            self.run_phase(&targets[canary..], canary, verb, options, &state)
                .await,
        );
        Ok(FleetReport {
            verb: verb.clone(),
            targets: reports,
            duration: started.elapsed(),
        })
    }

    async fn run_phase(
        &self,
        targets: &[FleetTarget],
        offset: usize,
        verb: &FleetVerb,
        options: &FleetOptions,
        state: &RunState,
    ) -> Vec<TargetReport> {
        let concurrency = options.concurrency.max(1);
        let mut done: Vec<(usize, TargetReport)> =
            futures_util::stream::iter(targets.iter().enumerate())
                .map(|(index, target)| async move {
                    let report = if state.stopped.load(Ordering::SeqCst) {
                        TargetReport {
                            target: target.name(),
                            outcome: TargetOutcome::NotRun,
                            duration: Duration::ZERO,
                        }
                    } else {
                        let report = self.run_target(target, verb).await;
                        if report.failed() {
                            let failures = state.failures.fetch_add(1, Ordering::SeqCst) + 1;
                            if options
                                .stop_after_failures
                                .is_some_and(|limit| failures >= limit)
                            {
                                state.stopped.store(true, Ordering::SeqCst);
                            }
                        }
                        report
                    };
                    if let Some(on_target) = &options.on_target {
                        on_target(&report);
                    }
                    (offset + index, report)
                })
                .buffer_unordered(concurrency)
                .collect()
                .await;
        done.sort_by_key(|(index, _)| *index);
        done.into_iter().map(|(_, report)| report).collect()
    }

    async fn run_target(&self, target: &FleetTarget, verb: &FleetVerb) -> TargetReport {
        let started = Instant::now();
        let schema = target.schema_name();
        let migrator = self.in_schema(schema);
        let outcome =
            match MigrateConnection::connect_target(target.url(), schema, migrator.connect_timeout)
                .await
            {
                Err(error) => TargetOutcome::Failed(error),
                Ok(db) => {
                    let outcome = match verb {
                        FleetVerb::Upgrade(to) => migrator
                            .upgrade(&db, to.as_str())
                            .await
                            .map(TargetOutcome::Moved),
                        FleetVerb::Downgrade(to) => migrator
                            .downgrade(&db, to.as_str())
                            .await
                            .map(TargetOutcome::Moved),
                        FleetVerb::Current => {
                            migrator.current(&db).await.map(TargetOutcome::Current)
                        }
                        FleetVerb::Check => match migrator.check(&db).await {
                            Err(error @ Error::NotAtHead { .. }) => {
                                Ok(TargetOutcome::Behind(error))
                            }
                            other => other.map(|()| TargetOutcome::Done),
                        },
                        FleetVerb::Stamp { target, purge } => migrator
                            .stamp_with(&db, target.as_str(), *purge)
                            .await
                            .map(|()| TargetOutcome::Done),
                    };
                    db.close().await;
                    outcome.unwrap_or_else(TargetOutcome::Failed)
                }
            };
        if let TargetOutcome::Failed(error) = &outcome {
            tracing::info!(target = %target.name(), %error, "fleet target failed");
        }
        TargetReport {
            target: target.name(),
            outcome,
            duration: started.elapsed(),
        }
    }
}

struct RunState {
    failures: AtomicUsize,
    stopped: AtomicBool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_parse_with_their_line() {
        let base = "postgres://app:s3cret@db/saas";
        let text = "# tenants\ntenant_1\n\n  tenant_2  \nsqlite:t3.db\n";
        let targets = parse_targets(text, Some(base), "fleet.txt").unwrap();
        let names: Vec<String> = targets.iter().map(FleetTarget::name).collect();
        assert_eq!(names, ["tenant_1", "tenant_2", "sqlite:t3.db"]);
        assert_eq!(targets[0].schema_name(), Some("tenant_1"));
        assert_eq!(targets[2].dialect(), Dialect::Sqlite);

        let error = parse_targets("tenant_1\nbad name\n", Some(base), "fleet.txt")
            .unwrap_err()
            .to_string();
        assert!(error.contains("fleet.txt:2"), "{error}");
        let error = parse_targets("a\nb\na\n", Some(base), "fleet.txt")
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("fleet.txt:3") && error.contains("line 1"),
            "{error}"
        );
        let error = parse_targets("tenant_1\n", None, "fleet.txt")
            .unwrap_err()
            .to_string();
        assert!(error.contains("needs a PostgreSQL"), "{error}");
        let error = parse_targets("tenant_1\n", Some("mysql://u:s3cret@h/db"), "f")
            .unwrap_err()
            .to_string();
        assert!(
            !error.contains("s3cret") && error.contains("***"),
            "{error}"
        );
        let error = parse_targets("oracle://u:s3cret@h/db\n", None, "f")
            .unwrap_err()
            .to_string();
        assert!(!error.contains("s3cret"), "{error}");
    }

    #[test]
    fn a_url_target_is_named_without_its_password() {
        let target = FleetTarget::database("postgres://app:s3cret@db/t1").unwrap();
        assert!(!target.name().contains("s3cret"));
    }
}
