//! `migrate-runtime`: applies a plan compiled by `embed_migrations!` to
//! SQLite, PostgreSQL or MySQL/MariaDB, with sqlx and tokio.
//!
//! The key design decision is that **the runtime trusts the plan and checks
//! the database**. Everything about the files (syntax, graph, order,
//! checksums) was settled at build time by `migrate-build`, so this crate
//! holds no SQL parser and never reads a migration file; what it decides at
//! run time is only what depends on the database: which revisions are
//! applied, whether they still match the plan, and who holds the lock.
//!
//! ```
//! use migrate_runtime::{embed_migrations, Migrator, Plan};
//!
//! // `unwatched` keeps the example free of a build script; an application
//! // uses `migrate_build::watch` in `build.rs` instead (see the macro).
//! static MIGRATIONS: Plan = embed_migrations!("tests/migrations", unwatched);
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! tokio::runtime::Runtime::new()?.block_on(async {
//!     let pool = sqlx::SqlitePool::connect("sqlite::memory:").await?;
//!     let migrator = Migrator::new(&MIGRATIONS);
//!
//!     let report = migrator.upgrade(&pool, "head").await?;
//!     assert_eq!(report.ids(), ["0001aaaa", "0002bbbb"]);
//!     // The second start is one read of the summary table.
//!     assert!(migrator.upgrade(&pool, "head").await?.is_empty());
//!
//!     let report = migrator.downgrade(&pool, "-1").await?;
//!     assert_eq!(report.ids(), ["0002bbbb"]);
//!     Ok::<(), Box<dyn std::error::Error>>(())
//! })
//! # }
//! ```
//!
//! # Design
//!
//! - **State.** The database's state is the set of applied revisions, closed
//!   under ancestry, one row each in the version table (`migrate_version`
//!   by default; schema below). Upgrade to T applies `ancestors(T) ∪ {T}` minus the applied set
//!   in plan order; downgrade to T reverts the applied set minus
//!   `ancestors(T) ∪ {T}` in reverse plan order (`graph.rs`).
//! - **Startup.** A one-row summary table holds a digest of the applied
//!   `(revision, checksum)` pairs. `upgrade` reads it first: when it equals
//!   the digest the plan expects for the target, it returns after that one
//!   query, without taking the lock. Otherwise it takes the lock, re-reads
//!   the whole table under it (another replica may have done the work),
//!   verifies it and applies what is left.
//! - **Refusals.** Before anything runs: an applied revision whose checksum
//!   differs from the plan's, an applied revision the plan does not know
//!   (unless reverting it with [`Migrator::revert_unknown`]), a revision an
//!   earlier run left failed or half done. Each message names the revision
//!   and the fix.
//! - **Transactions.** Each transactional section commits together with its
//!   version-table write: a failure leaves PostgreSQL and SQLite exactly as
//!   before the revision. `transaction:false` statements run outside any
//!   transaction, with progress (`statements_done`) recorded after each,
//!   so a failure or a kill says exactly what ran; the next run refuses
//!   until the user resolves it with [`Migrator::stamp`].
//! - **MySQL/MariaDB commit DDL implicitly.** No transaction can make a
//!   revision atomic there, so every statement runs on its own with its
//!   progress recorded after it. A failure reports the statements that ran
//!   and stay committed, and marks the revision failed (when no statement
//!   of it had run, nothing is left behind). [`TransactionMode::Single`] is
//!   per-revision on MySQL.
//! - **Locking.** PostgreSQL: a session advisory lock on a dedicated
//!   connection (polled, so that `CREATE INDEX CONCURRENTLY` never waits on
//!   a blocked waiter). MySQL: `GET_LOCK`. SQLite: `BEGIN IMMEDIATE` and a
//!   re-check of the summary inside each write transaction. The lock is
//!   released on every path: dropping its guard closes its connection.
//! - **Round trips.** A transactional chunk is one text-protocol batch
//!   (PostgreSQL: `BEGIN`, statements, version writes and `COMMIT` in one
//!   message). On failure the statements are replayed one by one in a
//!   rolled-back transaction to name the failing line.
//! - **Unknown revisions.** Each row stores its downgrade statements as
//!   JSON, so after an application rollback an older binary can revert
//!   what a newer one applied (`downgrade` with `revert_unknown(true)`).
//! - **Errors** name the revision, file, line and the database's message;
//!   URLs are shown through [`redact_url`].
//! - **Tracing**: a `migrate_revision` span per revision, `migrate_batch`
//!   per batch and `migrate_statement` per statement run on its own.
//!
//! # The version table
//!
//! Created on first use (`CREATE TABLE IF NOT EXISTS`, under the lock). Its
//! name is validated (`[A-Za-z_][A-Za-z0-9_]*`, at most 48 bytes) and is the
//! only identifier ever put into SQL; every value is a quoted literal.
//! Several plans can share a database with one version table each.
//!
//! | column | meaning |
//! | --- | --- |
//! | `revision` | the id, primary key (what makes an apply exactly-once) |
//! | `checksum` | 64 hex digits: the compiler's SHA-256 over the revision's SQL tokens |
//! | `down_revisions` | its parents, comma separated, so an older binary can order rows it does not know |
//! | `applied_at` | when the revision started to apply (UTC) |
//! | `duration_ms` | how long it took |
//! | `state` | `applied`; `partial` / `reverting` while a revision with `transaction:false` sections (or any revision on MySQL) is half way; `failed` / `revert_failed` after a statement failed there |
//! | `statements_done` | statements of the current direction known to have run |
//! | `downgrade_sql` | the downgrade sections as JSON (`{"file","sections":[{"transactional","line","statements":[{"sql","line"}]}]}`) |
//!
//! `<name>_summary` holds one row: the applied heads, a digest of the
//! applied `(revision, checksum)` pairs (a sum modulo 2^256, updated one
//! row at a time), and a `failed` flag set while any row is not `applied`.
//! It changes in the same transaction as the version table, so reading it
//! is the whole startup check.
//!
//! # Recovering from a failed revision
//!
//! The error and the next run's refusal list the statements that ran
//! (`#index (file:line)`). Undo or finish them by hand, then record the real
//! state with [`Migrator::stamp`] (the revision before, to retry it; the
//! revision itself, if you finished it), and run `upgrade` again.

#![warn(missing_docs)]

#[cfg(not(any(feature = "sqlite", feature = "postgres", feature = "mysql")))]
compile_error!(
    "migrate-runtime needs at least one driver: enable its `sqlite`, `postgres` or `mysql` feature"
);

pub mod adopt;
mod apply;
mod backend;
pub mod error;
pub mod fleet;
mod graph;
mod lock;
mod migrator;
mod offline;
mod script;
pub mod target;
// Only `redact_url` and `redact_text` are used here; the file also serves
// `migrate-build`, which compiles the same rule for its snippets.
#[allow(dead_code)]
use migrate_core::url_mask;
mod version_table;

pub use adopt::{Adopted, SourceTool};
pub use apply::{Report, RevisionReport};
pub use backend::{Database, MigrateConnection, DEFAULT_CONNECT_TIMEOUT};
pub use error::{
    ConnectionLost, Direction, Error, LockLost, LostOutcome, StatementError, StatementRef,
    UnresolvedRevision, UNKNOWN_OUTCOME,
};
pub use fleet::{FleetOptions, FleetReport, FleetTarget, FleetVerb, TargetOutcome, TargetReport};
pub use lock::advisory_key as advisory_lock_key;
pub use migrator::{Migrator, PlanRef, TransactionMode, DEFAULT_LIVENESS_PROBE};
pub use target::{IntoTarget, Target};
pub use url_mask::{redact_text, redact_url};
pub use version_table::{RowState, VersionRow};

#[cfg(feature = "cli")]
pub mod cli;
pub mod plan;

/// Compiles a migrations directory at build time and embeds it as a static
/// [`Plan`].
///
/// ```ignore
/// static MIGRATIONS: migrate_runtime::Plan = migrate_runtime::embed_migrations!("migrations");
/// ```
///
/// The path is relative to the crate's `Cargo.toml` (`CARGO_MANIFEST_DIR`),
/// as with `sqlx::migrate!`. Every file is parsed, every statement checked
/// with sqlparser (and, with the `pg-query` feature, PostgreSQL's own parser
/// for what sqlparser rejects), the revision graph is checked (one head, no
/// unknown parent, no cycle, no duplicate id), and the revisions are
/// embedded in plan order as `&'static str` data. A broken history fails
/// `cargo build` with rustc-style diagnostics naming the file and line.
///
/// # Rebuilding when a migration file changes
///
/// A proc macro cannot ask Cargo to watch a directory, so the crate needs a
/// one-line build script (`cargo migrate init` writes it):
///
/// ```ignore
/// // build.rs
/// fn main() {
///     migrate_build::watch("migrations");
/// }
/// ```
///
/// ```toml
/// [build-dependencies]
/// migrate-build = "0.1"
/// ```
///
/// `watch` makes Cargo rerun the script when any file in the directory is
/// added, removed or edited, compiles the directory there (so the SQL is not
/// re-parsed after an unrelated Rust edit), and prints lint warnings as
/// `cargo:warning=` lines. Without it the macro fails with that advice.
///
/// # Opting out
///
/// `embed_migrations!("migrations", unwatched)` compiles the directory inside
/// the macro, needs no build script, and re-parses the SQL on every
/// expansion; Cargo then does **not** rebuild when only a migration file
/// changes. Meant for tests and examples that never add files.
#[cfg(feature = "macros")]
pub use migrate_macros::embed_migrations;
pub use plan::{Dialect, Plan, Revision, Section, Statement, Text};
