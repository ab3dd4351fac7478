//! `check --drift` (feature `cli`): the live database's catalog against the
//! schema model at the revisions the database records, for `cargo migrate`
//! (whose model comes from the migrations directory) and for an
//! application's own binary ([`Embedded`], whose model is replayed from the
//! embedded plan's statements by `migrate_build::schema::model_of_plan`).
//!
//! One check, one report: [`check`] reads the version table (every row
//! applied and known, or it refuses), builds the model with the caller's
//! replay, reads and compares the catalog (the tool's own tables left out);
//! [`report`] prints the result as text and JSON.

use std::collections::BTreeSet;

use migrate_build::schema::{Dialect, Schema};
use migrate_runtime::cli::{DriftCheck, DriftFuture, DriftOutcome, Report};
use migrate_runtime::{MigrateConnection, Migrator, RowState};
use serde_json::json;

use crate::{Compare, Comparison};

/// Why `check --drift` could not compare.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DriftError {
    /// The history is written for another database.
    #[error("the history is written for {}, the database is {}", .history.database(), .database.database())]
    WrongDatabase {
        /// The history's dialect.
        history: Dialect,
        /// The database's.
        database: Dialect,
    },
    /// The version table records a revision the plan does not hold.
    #[error("the database records revision {0}, which the history does not hold: its schema cannot be replayed")]
    UnknownRevision(String),
    /// A revision is half applied or half reverted.
    #[error("revision {revision} is `{state}` in the version table: the database is between revisions; finish or revert it (`upgrade` / `downgrade`) before checking drift")]
    Unfinished {
        /// The revision.
        revision: String,
        /// Its row's state.
        state: String,
    },
    /// Reading the version table failed.
    #[error(transparent)]
    Migrate(#[from] migrate_runtime::Error),
    /// Reading the catalog failed.
    #[error("reading the database's catalog: {0}")]
    Catalog(#[from] crate::Error),
}

/// What [`check`] found.
#[derive(Debug)]
pub struct Checked {
    /// The comparison of model and catalog.
    pub comparison: Comparison,
    /// The revisions the database is at.
    pub current: Vec<String>,
    /// The dialect compared in (a generic history takes the server's).
    pub dialect: Dialect,
    /// Revisions applied from another text than the plan holds now.
    pub warnings: Vec<String>,
}

/// Compares `db` with the model `model` builds for the applied revisions
/// (in the dialect given, and the set of applied ids). `history` is the
/// history's declared dialect.
pub async fn check(
    migrator: &Migrator,
    db: &MigrateConnection,
    history: Dialect,
    model: impl FnOnce(Dialect, &BTreeSet<String>) -> Schema,
) -> Result<Checked, DriftError> {
    let backend = crate::dialect_of(db);
    if !history.runs_on(backend) {
        return Err(DriftError::WrongDatabase {
            history,
            database: backend,
        });
    }
    let rows = migrator.history(db).await?;
    let mut applied = BTreeSet::new();
    let mut warnings = Vec::new();
    for row in &rows {
        let Some(revision) = migrator.plan().get(&row.revision) else {
            return Err(DriftError::UnknownRevision(row.revision.clone()));
        };
        if row.state != RowState::Applied {
            return Err(DriftError::Unfinished {
                revision: row.revision.clone(),
                state: row.state.as_str().to_string(),
            });
        }
        if revision.checksum_hex() != row.checksum {
            warnings.push(format!(
                "revision {} was applied from a different text than its file holds now: the model replays the file",
                row.revision
            ));
        }
        applied.insert(row.revision.clone());
    }
    let current = migrator.current(db).await?;
    // A generic history follows the server's naming rules.
    let dialect = match history {
        Dialect::Generic => backend,
        declared => declared,
    };
    let model = model(dialect, &applied);
    let mut catalog = crate::introspect(db).await?;
    crate::remove_version_tables(&mut catalog, migrator.plan().version_table());
    let mut comparison = crate::compare(&model, &catalog, Compare::for_dialect(dialect));
    compare_texts(db, &model, &catalog, &mut comparison).await;
    Ok(Checked {
        comparison,
        current,
        dialect,
        warnings,
    })
}

/// The model's texts (check constraints, expression indexes, views,
/// expression defaults, generation expressions: [`crate::texts_to_compare`])
/// compared exactly with the database's, both in the server's own print
/// ([`crate::reprint`]: on PostgreSQL, MySQL and MariaDB in a transaction
/// rolled back or a scratch database dropped; on SQLite the text as
/// written, which SQLite keeps). A text the model does not know, or one a
/// server this build cannot print, is listed as not compared.
///
/// Its future is `Send`, as the boxed [`DriftFuture`] of [`Embedded`] must
/// be: the reprint runs its SQL through `sqlx::Executor::execute` (a boxed
/// `Send` future), not `RawSql::execute`, an `async fn` generic over its
/// executor whose future rustc cannot prove `Send` for every lifetime
/// ("implementation of `Executor` is not general enough").
async fn compare_texts(
    db: &MigrateConnection,
    model: &Schema,
    catalog: &crate::Catalog,
    comparison: &mut Comparison,
) {
    let (texts, unknown) = crate::texts_to_compare(model, catalog);
    comparison.unknown.extend(unknown);
    if !texts.is_empty() {
        let declared: Vec<crate::Declared> = texts.iter().map(|t| t.declared.clone()).collect();
        let why = match crate::reprint(db, catalog, &declared).await {
            Ok(Some(printed)) => {
                crate::compare_texts(&texts, &printed, comparison);
                None
            }
            Ok(None) => Some("this build cannot have the server print it".to_string()),
            // A user without the right to make the scratch objects (a
            // read-only role): the rest of the check stands.
            Err(error) => Some(format!(
                "the server could not print the model's text ({error})"
            )),
        };
        if let Some(why) = why {
            comparison
                .unknown
                .extend(texts.iter().map(|text| crate::Unknown {
                    object: text.object.clone(),
                    reason: format!("{}its text is not compared: {why}", text.part),
                }));
        }
    }
    comparison.unknown.sort();
    comparison.unknown.dedup();
}

/// `base`, or the current revisions.
fn at(current: &[String]) -> String {
    if current.is_empty() {
        "base".to_string()
    } else {
        current.join(", ")
    }
}

/// The status line of a database without drift.
pub fn status(checked: &Checked) -> String {
    format!(
        "no drift: the database matches the history's schema at {} ({} object(s) compared)",
        at(&checked.current),
        checked.comparison.compared
    )
}

/// The differences as text (one a line, then what was not compared) and as
/// JSON (`{"drift", "current", "differences": [{"object", "detail"}],
/// "unknown": [{"object", "reason"}], "compared"}`).
pub fn report(checked: &Checked) -> Report {
    let comparison = &checked.comparison;
    let mut text = String::new();
    if !comparison.mismatches.is_empty() {
        text.push_str(&format!(
            "drift: the database ({}) differs from the history's schema at {}:\n",
            checked.dialect.database(),
            at(&checked.current)
        ));
        for m in &comparison.mismatches {
            text.push_str(&format!("  {}: {}\n", m.object, m.detail));
        }
    }
    if !comparison.unknown.is_empty() {
        text.push_str("not compared (the history's schema model does not know them for sure):\n");
        for u in &comparison.unknown {
            text.push_str(&format!("  {}: {}\n", u.object, u.reason));
        }
    }
    let json = json!({
        "drift": !comparison.mismatches.is_empty(),
        "current": checked.current,
        "compared": comparison.compared,
        "differences": comparison.mismatches.iter().map(|m| json!({
            "object": m.object,
            "detail": m.detail,
        })).collect::<Vec<_>>(),
        "unknown": comparison.unknown.iter().map(|u| json!({
            "object": u.object,
            "reason": u.reason,
        })).collect::<Vec<_>>(),
    });
    Report { text, json }
}

/// `check --drift` in an application's binary, over its embedded plan:
/// pass it to `migrate_runtime::cli::run_with_drift`. The model is the
/// plan's upgrade statements of the applied revisions, parsed again by the
/// compiler's parser and replayed (`migrate_build::schema::model_of_plan`);
/// a statement that does not parse again (one the file marked
/// `-- migrate:unchecked`) makes what it may touch `not compared`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Embedded;

impl DriftCheck for Embedded {
    fn check<'a>(&'a self, migrator: &'a Migrator, db: &'a MigrateConnection) -> DriftFuture<'a> {
        Box::pin(async move {
            let plan = migrator.plan();
            let checked = check(migrator, db, plan.dialect(), |dialect, applied| {
                migrate_build::schema::model_of_plan(dialect, plan, |id| applied.contains(id))
            })
            .await
            .map_err(|error| match error {
                DriftError::Migrate(error) => migrate_runtime::cli::Error::Migrate(error),
                other => migrate_runtime::cli::Error::Drift(other.to_string()),
            })?;
            Ok(DriftOutcome {
                report: report(&checked),
                differences: checked.comparison.mismatches.len(),
                status: status(&checked),
                warnings: checked.warnings,
            })
        })
    }
}
