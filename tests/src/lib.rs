//! Shared helpers for the workspace-level tests.
//!
//! Backend tests get a fresh database each: PostgreSQL and MariaDB from
//! `MIGRATE_TEST_POSTGRES_URL` / `MIGRATE_TEST_MYSQL_URL` (a database named
//! `migrate_t_<random>` is created on that server), SQLite a temporary file.
//! When a variable is unset, [`TestDb::postgres`] / [`TestDb::mysql`] fail
//! the test if `CI` is set; elsewhere they print (past the test harness's
//! capture) which test did not run and return `None`.

use std::borrow::Cow;
use std::collections::BTreeSet;

use migrate_runtime::{Dialect, MigrateConnection, Plan, Revision, Section, Statement, Text};
use sha2::{Digest, Sha256};

pub mod catalog;
pub mod generated;

pub use migrate_test_support::server_url;
use migrate_test_support::unique_name;
pub use migrate_test_support::with_database;

pub mod fixture_crate;
pub mod kill;
pub mod proxy;

/// Which server a test database lives on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A temporary SQLite file.
    Sqlite,
    /// A fresh PostgreSQL database.
    Postgres,
    /// A fresh MariaDB/MySQL database.
    MySql,
}

/// A fresh database for one test.
pub struct TestDb {
    /// Which backend.
    pub kind: Kind,
    /// A URL for the fresh database (open more pools with it).
    pub url: String,
    /// The database name (PostgreSQL, MySQL).
    pub name: String,
    /// A pool on it.
    pub db: MigrateConnection,
    _dir: Option<tempfile::TempDir>,
    admin_url: Option<String>,
}

impl TestDb {
    /// A temporary SQLite database file.
    pub async fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().expect("temporary directory");
        let url = format!("sqlite://{}", dir.path().join("test.db").display());
        let db = MigrateConnection::connect(&url)
            .await
            .expect("sqlite opens");
        TestDb {
            kind: Kind::Sqlite,
            url,
            name: "test.db".to_string(),
            db,
            _dir: Some(dir),
            admin_url: None,
        }
    }

    /// A fresh PostgreSQL database, or `None` (printed as skipped).
    pub async fn postgres(test: &str) -> Option<TestDb> {
        Self::server(test, Kind::Postgres, "MIGRATE_TEST_POSTGRES_URL").await
    }

    /// A fresh MariaDB/MySQL database, or `None` (printed as skipped).
    pub async fn mysql(test: &str) -> Option<TestDb> {
        Self::server(test, Kind::MySql, "MIGRATE_TEST_MYSQL_URL").await
    }

    async fn server(test: &str, kind: Kind, variable: &str) -> Option<TestDb> {
        let admin_url = server_url(variable, test)?;
        let name = unique_name("migrate_t");
        let admin = MigrateConnection::connect(&admin_url)
            .await
            .unwrap_or_else(|e| panic!("{variable} unreachable: {e}"));
        exec(&admin, &format!("CREATE DATABASE {name}")).await;
        admin.close().await;
        let url = with_database(&admin_url, &name);
        let db = MigrateConnection::connect(&url)
            .await
            .expect("fresh database opens");
        Some(TestDb {
            kind,
            url,
            name,
            db,
            _dir: None,
            admin_url: Some(admin_url),
        })
    }

    /// The same SQLite database behind a pool of one connection: a pool's
    /// other connections may still read an older snapshot of the schema
    /// between two statements, which a statement-by-statement replay must
    /// not see. Other backends are returned as they are.
    pub async fn single_connection(self) -> TestDb {
        if self.kind != Kind::Sqlite {
            return self;
        }
        self.db.close().await;
        let pool = sqlx::sqlite::SqlitePoolOptions::new()
            .max_connections(1)
            .connect(&self.url)
            .await
            .expect("sqlite opens");
        TestDb {
            db: MigrateConnection::Sqlite(pool),
            ..self
        }
    }

    /// Another pool on the same database (a separate set of connections).
    pub async fn another_pool(&self) -> MigrateConnection {
        MigrateConnection::connect(&self.url)
            .await
            .expect("pool opens")
    }

    /// The tables of the database, sorted.
    pub async fn tables(&self) -> BTreeSet<String> {
        tables(&self.db).await
    }

    /// The columns of a table, sorted.
    pub async fn columns(&self, table: &str) -> BTreeSet<String> {
        let names: Vec<String> = match &self.db {
            MigrateConnection::Sqlite(pool) => sqlx::query_scalar(&format!("SELECT name FROM pragma_table_info('{table}')"))
                .fetch_all(pool)
                .await
                .unwrap(),
            MigrateConnection::Postgres(pool) => sqlx::query_scalar(
                "SELECT column_name::text FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1",
            )
            .bind(table)
            .fetch_all(pool)
            .await
            .unwrap(),
            MigrateConnection::MySql(pool) => sqlx::query_scalar(
                "SELECT CAST(column_name AS CHAR) FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = ?",
            )
            .bind(table)
            .fetch_all(pool)
            .await
            .unwrap(),
        };
        names.into_iter().collect()
    }

    /// Runs SQL text on the test database.
    pub async fn exec(&self, sql: &str) {
        exec(&self.db, sql).await
    }

    /// The first column of a query's one row, as a 64-bit integer (write
    /// `CAST(... AS BIGINT)`/`SIGNED` where the backend needs it).
    pub async fn scalar(&self, sql: &str) -> i64 {
        let result = match &self.db {
            MigrateConnection::Sqlite(pool) => sqlx::query_scalar(sql).fetch_one(pool).await,
            MigrateConnection::Postgres(pool) => sqlx::query_scalar(sql).fetch_one(pool).await,
            MigrateConnection::MySql(pool) => sqlx::query_scalar(sql).fetch_one(pool).await,
        };
        result.unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    /// Drops the server database (SQLite files go with the temporary directory).
    pub async fn drop_database(self) {
        self.db.close().await;
        if let Some(admin_url) = &self.admin_url {
            if let Ok(admin) = MigrateConnection::connect(admin_url).await {
                let force = if self.kind == Kind::Postgres {
                    " WITH (FORCE)"
                } else {
                    ""
                };
                let _ = try_exec(
                    &admin,
                    &format!("DROP DATABASE IF EXISTS {}{force}", self.name),
                )
                .await;
                admin.close().await;
            }
        }
    }
}

/// The tables of a database, sorted.
pub async fn tables(db: &MigrateConnection) -> BTreeSet<String> {
    let names: Vec<String> = match db {
        MigrateConnection::Sqlite(pool) => sqlx::query_scalar(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
        )
        .fetch_all(pool)
        .await
        .unwrap(),
        MigrateConnection::Postgres(pool) => sqlx::query_scalar(
            "SELECT table_name::text FROM information_schema.tables WHERE table_schema = current_schema()",
        )
        .fetch_all(pool)
        .await
        .unwrap(),
        MigrateConnection::MySql(pool) => sqlx::query_scalar(
            "SELECT CAST(table_name AS CHAR) FROM information_schema.tables WHERE table_schema = DATABASE()",
        )
        .fetch_all(pool)
        .await
        .unwrap(),
    };
    names.into_iter().collect()
}

async fn try_exec(db: &MigrateConnection, sql: &str) -> Result<(), sqlx::Error> {
    match db {
        MigrateConnection::Sqlite(pool) => sqlx::raw_sql(sql).execute(pool).await.map(|_| ()),
        MigrateConnection::Postgres(pool) => sqlx::raw_sql(sql).execute(pool).await.map(|_| ()),
        MigrateConnection::MySql(pool) => sqlx::raw_sql(sql).execute(pool).await.map(|_| ()),
    }
}

/// Runs SQL text, panicking on error.
pub async fn exec(db: &MigrateConnection, sql: &str) {
    try_exec(db, sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// The version tables every migrated database holds.
pub fn version_tables() -> BTreeSet<String> {
    ["migrate_version", "migrate_version_summary"]
        .into_iter()
        .map(String::from)
        .collect()
}

/// Builds a plan by hand (the macro's output, for tests that need exact
/// control: checksums, failing statements, dialect-specific SQL).
#[derive(Default)]
pub struct PlanBuilder {
    revisions: Vec<Revision>,
    dialect: Dialect,
}

/// A section for [`PlanBuilder::revision`]: `(transactional, statements)`.
pub type SectionSpec<'a> = (bool, &'a [&'a str]);

/// The checksum `migrate_build::compile` (the real compiler) gives a
/// revision with these upgrade and downgrade statements, each section
/// transactional, compiled from a scratch directory.
pub fn compiled_checksum(upgrade: &[&str], downgrade: &[&str]) -> [u8; 32] {
    let dir = tempfile::tempdir().expect("tempdir");
    let body = |statements: &[&str]| {
        statements
            .iter()
            .map(|s| format!("{s};\n"))
            .collect::<String>()
    };
    let text = format!(
        "-- message: scratch\n-- revision: aaaa0001\n-- down_revision: none\n\n-- migrate:upgrade\n{}\n-- migrate:downgrade\n{}",
        body(upgrade),
        body(downgrade)
    );
    std::fs::write(dir.path().join("aaaa0001_scratch.sql"), text).expect("write revision");
    let mut options = migrate_build::Options::new();
    options.skip_lock = true;
    let compiled = migrate_build::compile(dir.path(), &options)
        .unwrap_or_else(|failure| panic!("the scratch revision compiles: {failure:?}"));
    compiled.revisions[0].checksum
}

/// A SHA-256 over the sections' statement bytes: a checksum that changes
/// whenever a statement does. It is *not* the compiler's token checksum
/// (which ignores comments and whitespace); plans built here are never
/// compared with compiled ones, and the tests of comment-only edits use
/// plans the real `embed_migrations!` compiled (`runtime_embedded.rs`).
pub fn checksum(sections: &[SectionSpec<'_>]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    for (transactional, statements) in sections {
        hasher.update([u8::from(*transactional)]);
        for statement in *statements {
            hasher.update(statement.as_bytes());
            hasher.update([0]);
        }
    }
    hasher.finalize().into()
}

fn sections(specs: &[SectionSpec<'_>], first_line: u32) -> Cow<'static, [Section]> {
    let mut line = first_line;
    specs
        .iter()
        .map(|(transactional, statements)| {
            let section_line = line;
            line += 1;
            let statements = statements
                .iter()
                .map(|sql| {
                    let statement = Statement {
                        sql: Text::from(sql.to_string()),
                        line,
                    };
                    line += sql.lines().count() as u32;
                    statement
                })
                .collect::<Vec<_>>();
            line += 1;
            Section {
                transactional: *transactional,
                line: section_line,
                statements: statements.into(),
            }
        })
        .collect::<Vec<_>>()
        .into()
}

impl PlanBuilder {
    /// An empty plan.
    pub fn new() -> PlanBuilder {
        PlanBuilder::default()
    }

    /// Adds a revision with transactional upgrade and downgrade statements.
    pub fn rev(
        self,
        id: &str,
        parents: &[&str],
        upgrade: &[&str],
        downgrade: &[&str],
    ) -> PlanBuilder {
        self.revision(id, parents, &[(true, upgrade)], &[(true, downgrade)])
    }

    /// Adds a revision with explicit sections. Line numbers are laid out
    /// as in a file: header lines 1-4, the first section marker on line 6.
    pub fn revision(
        mut self,
        id: &str,
        parents: &[&str],
        upgrade: &[SectionSpec<'_>],
        downgrade: &[SectionSpec<'_>],
    ) -> PlanBuilder {
        let upgrade_sections = sections(upgrade, 6);
        let after_upgrade = 6 + upgrade
            .iter()
            .map(|(_, statements)| {
                2 + statements
                    .iter()
                    .map(|s| s.lines().count() as u32)
                    .sum::<u32>()
            })
            .sum::<u32>();
        let mut all: Vec<SectionSpec<'_>> = upgrade.to_vec();
        all.extend_from_slice(downgrade);
        self.revisions.push(Revision {
            id: Text::from(id.to_string()),
            down_revisions: parents
                .iter()
                .map(|p| Text::from(p.to_string()))
                .collect::<Vec<_>>()
                .into(),
            depends_on: Vec::new().into(),
            branch_labels: Vec::new().into(),
            message: Text::from(format!("revision {id}")),
            create_date: Text::from(""),
            file: Text::from(format!("migrations/{id}_test.sql")),
            checksum: checksum(&all),
            upgrade: upgrade_sections,
            downgrade: sections(downgrade, after_upgrade),
        });
        self
    }

    /// The dialect the plan says it was validated against (generic by default).
    pub fn dialect(mut self, dialect: Dialect) -> PlanBuilder {
        self.dialect = dialect;
        self
    }

    /// Changes every revision added so far (a hostile file name, message, ...).
    pub fn edit(mut self, mut edit: impl FnMut(&mut Revision)) -> PlanBuilder {
        self.revisions.iter_mut().for_each(&mut edit);
        self
    }

    /// Sets the checksum of the revision added last (e.g. to
    /// [`compiled_checksum`], the compiler's own).
    pub fn with_checksum(mut self, checksum: [u8; 32]) -> PlanBuilder {
        self.revisions
            .last_mut()
            .expect("with_checksum after a revision")
            .checksum = checksum;
        self
    }

    /// The plan (revisions in the order added, which must be topological).
    pub fn build(self) -> Plan {
        Plan::new(self.revisions, "migrate_version", self.dialect)
    }

    /// The plan, leaked so it can be used as a `&'static Plan`.
    pub fn leak(self) -> &'static Plan {
        Box::leak(Box::new(self.build()))
    }
}

/// The blog-like history used across backends:
/// `a1 -> {b2, c3 (a branch)} -> d4 (merge) -> e5`.
pub fn branchy_plan() -> &'static Plan {
    PlanBuilder::new()
        .rev(
            "aaaa0001",
            &[],
            &["CREATE TABLE users (id INTEGER PRIMARY KEY, name VARCHAR(100) NOT NULL)"],
            &["DROP TABLE users"],
        )
        .rev(
            "bbbb0002",
            &["aaaa0001"],
            &[
                "CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL, title VARCHAR(200) NOT NULL)",
                "INSERT INTO users (id, name) VALUES (1, 'admin')",
            ],
            &["DELETE FROM users WHERE id = 1", "DROP TABLE posts"],
        )
        .rev(
            "cccc0003",
            &["aaaa0001"],
            &["CREATE TABLE tags (id INTEGER PRIMARY KEY, name VARCHAR(50) NOT NULL)"],
            &["DROP TABLE tags"],
        )
        .rev(
            "dddd0004",
            &["bbbb0002", "cccc0003"],
            &["CREATE TABLE post_tags (post_id INTEGER NOT NULL, tag_id INTEGER NOT NULL)"],
            &["DROP TABLE post_tags"],
        )
        .rev(
            "eeee0005",
            &["dddd0004"],
            &["ALTER TABLE posts ADD COLUMN published_at VARCHAR(40)"],
            &["ALTER TABLE posts DROP COLUMN published_at"],
        )
        .leak()
}

/// A set of table names.
pub fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|name| name.to_string()).collect()
}

/// Sorted ids of a history.
pub fn ids(rows: &[migrate_runtime::VersionRow]) -> Vec<String> {
    let mut ids: Vec<String> = rows.iter().map(|row| row.revision.clone()).collect();
    ids.sort();
    ids
}

/// Scenarios run on each backend by `tests/runtime_*.rs`.
pub mod scenarios {
    use std::time::Duration;

    use migrate_runtime::{Error, Migrator, Plan, RowState, TransactionMode};

    use super::*;

    const ALL: [&str; 5] = ["aaaa0001", "bbbb0002", "cccc0003", "dddd0004", "eeee0005"];

    fn with_version_tables(names: &[&str]) -> BTreeSet<String> {
        let mut tables = version_tables();
        tables.extend(names.iter().map(|name| name.to_string()));
        tables
    }

    /// Upgrade head, downgrade -1, downgrade base, upgrade to an id, across
    /// a branch and a merge; after downgrade base only the version tables remain.
    pub async fn upgrade_and_downgrade_across_branches(t: &TestDb) {
        let migrator = Migrator::new(branchy_plan());
        let report = migrator.upgrade(&t.db, "head").await.unwrap();
        assert_eq!(report.ids(), ALL);
        assert_eq!(
            t.tables().await,
            with_version_tables(&["users", "posts", "tags", "post_tags"])
        );
        assert!(t.columns("posts").await.contains("published_at"));
        assert_eq!(migrator.current(&t.db).await.unwrap(), ["eeee0005"]);
        migrator.check(&t.db).await.unwrap();
        let history = migrator.history(&t.db).await.unwrap();
        assert_eq!(ids(&history), ALL);
        for row in &history {
            let revision = branchy_plan().get(&row.revision).unwrap();
            assert_eq!(row.checksum, revision.checksum_hex());
            let parents: Vec<String> = revision
                .down_revisions()
                .iter()
                .map(|p| p.to_string())
                .collect();
            assert_eq!(row.down_revisions, parents);
            assert_eq!(row.state, RowState::Applied);
            assert!(row.applied_at.starts_with("20"), "{}", row.applied_at);
            assert!(row.duration_ms >= 0);
            assert_eq!(
                row.statements_done as usize,
                revision.upgrade()[0].statements().len()
            );
        }
        assert!(
            migrator.upgrade(&t.db, "head").await.unwrap().is_empty(),
            "second run is a no-op"
        );

        let report = migrator.downgrade(&t.db, "-1").await.unwrap();
        assert_eq!(report.ids(), ["eeee0005"]);
        assert!(!t.columns("posts").await.contains("published_at"));
        assert_eq!(migrator.current(&t.db).await.unwrap(), ["dddd0004"]);

        let report = migrator.downgrade(&t.db, "base").await.unwrap();
        assert_eq!(
            report.ids(),
            ["dddd0004", "cccc0003", "bbbb0002", "aaaa0001"]
        );
        assert_eq!(
            t.tables().await,
            version_tables(),
            "the schema is empty again"
        );
        assert!(migrator.history(&t.db).await.unwrap().is_empty());

        // One side of the branch, by prefix, then the other by id.
        let report = migrator.upgrade(&t.db, "cccc").await.unwrap();
        assert_eq!(report.ids(), ["aaaa0001", "cccc0003"]);
        assert_eq!(t.tables().await, with_version_tables(&["users", "tags"]));
        let report = migrator.upgrade(&t.db, "bbbb0002").await.unwrap();
        assert_eq!(report.ids(), ["bbbb0002"]);
        let mut current = migrator.current(&t.db).await.unwrap();
        current.sort();
        assert_eq!(current, ["bbbb0002", "cccc0003"]);
        match migrator.check(&t.db).await {
            Err(Error::NotAtHead { pending, .. }) => assert_eq!(pending, ["dddd0004", "eeee0005"]),
            other => panic!("expected NotAtHead, got {other:?}"),
        }
        let pending: Vec<&str> = migrator
            .pending(&t.db)
            .await
            .unwrap()
            .iter()
            .map(|r| r.id())
            .collect();
        assert_eq!(pending, ["dddd0004", "eeee0005"]);

        // Downgrading to one head of two reverts nothing: the sibling branch
        // does not descend from it (Alembic; it used to drop `tags`).
        assert!(migrator
            .downgrade(&t.db, "cccc0003")
            .await
            .unwrap()
            .is_empty());
        assert!(migrator
            .downgrade(&t.db, "bbbb0002")
            .await
            .unwrap()
            .is_empty());
        assert_eq!(
            t.tables().await,
            with_version_tables(&["users", "posts", "tags"])
        );
        // `-1` from two heads is ambiguous: name both, and the way out.
        let error = migrator
            .downgrade(&t.db, "-1")
            .await
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("bbbb0002, cccc0003") && error.contains("`downgrade bbbb0002-1`"),
            "{error}"
        );

        // The merge, then back down one parent: only the merge goes, the
        // other branch is not its descendant.
        let error = migrator.upgrade(&t.db, "+1").await.unwrap_err().to_string();
        assert!(
            error.contains("ambiguous") && error.contains("bbbb0002") && error.contains("cccc0003"),
            "{error}"
        );
        assert_eq!(
            migrator.upgrade(&t.db, "dddd").await.unwrap().ids(),
            ["dddd0004"]
        );
        let report = migrator.downgrade(&t.db, "bbbb0002").await.unwrap();
        assert_eq!(report.ids(), ["dddd0004"]);
        assert_eq!(
            migrator.current(&t.db).await.unwrap(),
            ["bbbb0002", "cccc0003"]
        );
        assert_eq!(
            t.tables().await,
            with_version_tables(&["users", "posts", "tags"])
        );

        let report = migrator.upgrade(&t.db, "heads").await.unwrap();
        assert_eq!(report.ids(), ["dddd0004", "eeee0005"]);
        assert_eq!(
            migrator.downgrade(&t.db, "head-1").await.unwrap().ids(),
            ["eeee0005"]
        );
        migrator.downgrade(&t.db, "base").await.unwrap();
        assert_eq!(t.tables().await, version_tables());

        // Bad targets are the verb's errors.
        assert!(matches!(
            migrator.upgrade(&t.db, "no such!").await,
            Err(Error::InvalidTarget { .. })
        ));
        assert!(matches!(
            migrator.upgrade(&t.db, "ffff").await,
            Err(Error::UnknownRevision { .. })
        ));
        assert!(matches!(
            migrator.downgrade(&t.db, "+1").await,
            Err(Error::InvalidMove { .. })
        ));
        assert!(matches!(
            migrator
                .clone()
                .version_table("bad name")
                .upgrade(&t.db, "head")
                .await,
            Err(Error::InvalidVersionTable { .. })
        ));
    }

    /// `aaaa0001` creates users; `ffff0002` fails at its second statement (line 8).
    pub fn failing_plan() -> &'static Plan {
        PlanBuilder::new()
            .rev(
                "aaaa0001",
                &[],
                &["CREATE TABLE users (id INTEGER PRIMARY KEY)"],
                &["DROP TABLE users"],
            )
            .rev(
                "ffff0002",
                &["aaaa0001"],
                &[
                    "CREATE TABLE first_half (id INTEGER)",
                    "INSERT INTO no_such_table (id) VALUES (1)",
                    "CREATE TABLE second_half (id INTEGER)",
                ],
                &["DROP TABLE second_half", "DROP TABLE first_half"],
            )
            .leak()
    }

    /// A failing statement mid-revision: PostgreSQL and SQLite are exactly
    /// as before the revision; MySQL reports what ran. The next run reports
    /// the state clearly and does not hang on a leftover lock.
    pub async fn failing_statement_mid_revision(t: &TestDb) {
        let migrator = Migrator::new(failing_plan());
        let error = migrator.upgrade(&t.db, "head").await.unwrap_err();
        let text = error.to_string();
        let Error::Statement(failure) = error else {
            panic!("expected a statement error, got {text}")
        };
        assert_eq!(failure.revision, "ffff0002");
        assert!(text.contains("migrations/ffff0002_test.sql:8"), "{text}");
        assert!(failure.message.contains("no_such_table"), "{text}");
        let statement = failure
            .statement
            .clone()
            .expect("the failing statement is named");
        assert_eq!((statement.index, statement.line), (2, 8));
        let history = migrator.history(&t.db).await.unwrap();
        if t.kind == Kind::MySql {
            assert!(!failure.rolled_back);
            assert_eq!(
                failure
                    .committed
                    .iter()
                    .map(|s| s.index)
                    .collect::<Vec<_>>(),
                [1]
            );
            assert!(
                text.contains("#1 (migrations/ffff0002_test.sql:7)"),
                "{text}"
            );
            assert_eq!(
                t.tables().await,
                with_version_tables(&["users", "first_half"])
            );
            let failed = history
                .iter()
                .find(|row| row.revision == "ffff0002")
                .unwrap();
            assert_eq!(
                (failed.state, failed.statements_done),
                (RowState::Failed, 1)
            );
        } else {
            assert!(failure.rolled_back, "{text}");
            assert!(failure.committed.is_empty());
            assert_eq!(
                t.tables().await,
                with_version_tables(&["users"]),
                "exactly as before the revision"
            );
            assert_eq!(ids(&history), ["aaaa0001"]);
            assert_eq!(history[0].state, RowState::Applied);
        }

        // The next run, on the same pool, must not wait for a lock left behind.
        let again = tokio::time::timeout(Duration::from_secs(20), migrator.upgrade(&t.db, "head"))
            .await
            .expect("a second upgrade after a failure does not hang");
        match (t.kind, again) {
            (Kind::MySql, Err(Error::Unresolved(unresolved))) => {
                assert_eq!(unresolved.revision, "ffff0002");
                assert_eq!(unresolved.ran.len(), 1);
                // The second statement returned the error: it did not
                // complete; the third did not run.
                assert_eq!(unresolved.stopped_at.as_ref().map(|s| s.index), Some(2));
                assert_eq!(unresolved.not_run.len(), 1);
                let text = unresolved.to_string();
                assert!(text.contains("stamp"), "{text}");
                // Resolving: undo by hand, stamp the last good revision, fix, rerun.
                t.exec("DROP TABLE first_half").await;
                migrator.stamp(&t.db, "aaaa0001").await.unwrap();
                assert_eq!(ids(&migrator.history(&t.db).await.unwrap()), ["aaaa0001"]);
            }
            (Kind::MySql, other) => {
                panic!("expected the failed revision to be reported, got {other:?}")
            }
            (_, Err(Error::Statement(again))) => {
                assert_eq!(again.revision, "ffff0002");
                assert!(again.rolled_back);
            }
            (_, other) => panic!("expected the same failure, got {other:?}"),
        }
        // A working revision applies after the failure, on the same pool.
        let fixed = PlanBuilder::new()
            .rev(
                "aaaa0001",
                &[],
                &["CREATE TABLE users (id INTEGER PRIMARY KEY)"],
                &["DROP TABLE users"],
            )
            .rev(
                "ffff0002",
                &["aaaa0001"],
                &["CREATE TABLE first_half (id INTEGER)"],
                &["DROP TABLE first_half"],
            )
            .leak();
        let report = tokio::time::timeout(
            Duration::from_secs(20),
            Migrator::new(fixed).upgrade(&t.db, "head"),
        )
        .await
        .expect("no hang")
        .unwrap();
        assert_eq!(report.ids(), ["ffff0002"]);
    }

    /// Single-transaction mode: the failure rolls back the whole run.
    pub async fn single_transaction_rolls_back_the_run(t: &TestDb) {
        let migrator = Migrator::new(failing_plan()).transaction_mode(TransactionMode::Single);
        let error = migrator.upgrade(&t.db, "head").await.unwrap_err();
        let Error::Statement(failure) = error else {
            panic!("expected a statement error, got {error}")
        };
        assert!(failure.rolled_back);
        assert_eq!(failure.rolled_back_revisions, ["aaaa0001", "ffff0002"]);
        assert_eq!(failure.statement.map(|s| s.line), Some(8));
        assert!(migrator.history(&t.db).await.unwrap().is_empty());
        assert_eq!(t.tables().await, version_tables());
        let report = Migrator::new(branchy_plan())
            .transaction_mode(TransactionMode::Single)
            .upgrade(&t.db, "head")
            .await
            .unwrap();
        assert_eq!(report.ids(), ALL);
        Migrator::new(branchy_plan()).check(&t.db).await.unwrap();
    }

    /// A chain of `count` revisions, each creating a table and inserting a row.
    pub fn chain_plan(count: usize) -> &'static Plan {
        let mut builder = PlanBuilder::new();
        let ids: Vec<String> = (0..count).map(|i| format!("{i:04}c0ffee{i:04}")).collect();
        for (i, id) in ids.iter().enumerate() {
            let parents: Vec<&str> = if i == 0 {
                vec![]
            } else {
                vec![ids[i - 1].as_str()]
            };
            let create = format!("CREATE TABLE t_{i} (id INTEGER PRIMARY KEY, note VARCHAR(50))");
            let insert = format!("INSERT INTO t_{i} (id, note) VALUES (1, 'row {i}')");
            let drop = format!("DROP TABLE t_{i}");
            builder = builder.rev(
                id,
                &parents,
                &[create.as_str(), insert.as_str()],
                &[drop.as_str()],
            );
        }
        builder.leak()
    }

    /// `count` migrators on separate pools start `upgrade head` at once:
    /// all succeed and every revision is applied exactly once.
    pub async fn concurrent_migrators(t: &TestDb, count: usize) {
        concurrent_migrators_on(t, count, chain_plan(12)).await;
    }

    /// [`concurrent_migrators`] over a given plan.
    pub async fn concurrent_migrators_on(t: &TestDb, count: usize, plan: &'static Plan) {
        // Each migrator holds a pool connection and a lock connection: two of
        // these scenarios at once would pass PostgreSQL's default limit of
        // 100 clients, so the tests of one binary take turns here.
        static CONNECTION_HEAVY: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
        let _turn = CONNECTION_HEAVY.lock().await;
        let mut pools = Vec::new();
        for _ in 0..count {
            pools.push(t.another_pool().await);
        }
        let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(count));
        let mut tasks = tokio::task::JoinSet::new();
        for pool in pools {
            let barrier = barrier.clone();
            tasks.spawn(async move {
                barrier.wait().await;
                let result = Migrator::new(plan)
                    .lock_timeout(Duration::from_secs(120))
                    .upgrade(&pool, "head")
                    .await;
                pool.close().await;
                result
            });
        }
        let mut applied = Vec::new();
        while let Some(joined) = tasks.join_next().await {
            let report = joined
                .expect("task")
                .unwrap_or_else(|e| panic!("a migrator failed: {e}"));
            applied.extend(report.ids().into_iter().map(String::from));
        }
        applied.sort();
        let mut expected: Vec<String> = plan
            .revisions()
            .iter()
            .map(|r| r.id().to_string())
            .collect();
        expected.sort();
        assert_eq!(
            applied, expected,
            "each revision applied by exactly one migrator"
        );
        let history = Migrator::new(plan).history(&t.db).await.unwrap();
        assert_eq!(ids(&history), expected);
        assert!(history.iter().all(|row| row.state == RowState::Applied));
        Migrator::new(plan).check(&t.db).await.unwrap();
    }

    /// An edited statement in an applied revision is refused with its id;
    /// an edited comment is not.
    pub async fn tampering(t: &TestDb) {
        let edited_statement = PlanBuilder::new()
            .rev(
                "aaaa0001",
                &[],
                &["CREATE TABLE users (id INTEGER PRIMARY KEY)"],
                &["DROP TABLE users"],
            )
            .rev(
                "bbbb0002",
                &["aaaa0001"],
                &["CREATE TABLE posts (id INTEGER PRIMARY KEY, body TEXT)"],
                &["DROP TABLE posts"],
            )
            .leak();
        // The comment-only edit gets the checksum the real compiler gives
        // it, which equals the original's: the runtime must accept it.
        let posts = ["CREATE TABLE posts (id INTEGER PRIMARY KEY)"];
        let posts_commented = ["CREATE TABLE posts (id INTEGER PRIMARY KEY) -- the posts\n"];
        let posts_down = ["DROP TABLE posts"];
        let compiled = compiled_checksum(&posts, &posts_down);
        assert_eq!(compiled, compiled_checksum(&posts_commented, &posts_down));
        assert_ne!(
            compiled,
            compiled_checksum(
                &["CREATE TABLE posts (id INTEGER PRIMARY KEY, body TEXT)"],
                &posts_down
            )
        );
        let original = PlanBuilder::new()
            .rev(
                "aaaa0001",
                &[],
                &["CREATE TABLE users (id INTEGER PRIMARY KEY)"],
                &["DROP TABLE users"],
            )
            .rev("bbbb0002", &["aaaa0001"], &posts, &posts_down)
            .with_checksum(compiled)
            .leak();
        let edited_comment = PlanBuilder::new()
            .rev(
                "aaaa0001",
                &[],
                &["CREATE TABLE users (id INTEGER PRIMARY KEY)"],
                &["DROP TABLE users"],
            )
            .rev("bbbb0002", &["aaaa0001"], &posts_commented, &posts_down)
            .with_checksum(compiled)
            .leak();
        Migrator::new(original)
            .upgrade(&t.db, "head")
            .await
            .unwrap();
        let error = Migrator::new(edited_statement)
            .upgrade(&t.db, "head")
            .await
            .unwrap_err();
        let text = error.to_string();
        assert!(
            matches!(&error, Error::ChecksumMismatch { revision, .. } if revision == "bbbb0002"),
            "{text}"
        );
        assert!(text.contains("migrations/bbbb0002_test.sql"), "{text}");
        let error = Migrator::new(edited_statement)
            .check(&t.db)
            .await
            .unwrap_err();
        assert!(
            matches!(&error, Error::ChecksumMismatch { revision, .. } if revision == "bbbb0002"),
            "{error}"
        );
        assert!(Migrator::new(edited_comment)
            .upgrade(&t.db, "head")
            .await
            .unwrap()
            .is_empty());
        Migrator::new(edited_comment).check(&t.db).await.unwrap();
        Migrator::new(edited_statement)
            .verify_checksums(false)
            .check(&t.db)
            .await
            .unwrap();
    }

    /// `seed`: a table; `feed`: a seed row; `late`: another table; and,
    /// with `extra`, `more`, whose table is created only if missing (so it
    /// can run again after its row is deleted).
    pub fn seeded_plan(extra: bool) -> &'static Plan {
        let builder = PlanBuilder::new()
            .rev(
                "aaaa0001",
                &[],
                &["CREATE TABLE seeds (id INTEGER NOT NULL, note VARCHAR(20))"],
                &["DROP TABLE seeds"],
            )
            .rev(
                "bbbb0002",
                &["aaaa0001"],
                &["INSERT INTO seeds (id, note) VALUES (1, 'seed')"],
                &["DELETE FROM seeds WHERE id = 1"],
            )
            .rev(
                "cccc0003",
                &["bbbb0002"],
                &["CREATE TABLE late (id INTEGER PRIMARY KEY)"],
                &["DROP TABLE late"],
            );
        if extra {
            builder
                .rev(
                    "dddd0004",
                    &["cccc0003"],
                    &["CREATE TABLE IF NOT EXISTS more_rows (id INTEGER PRIMARY KEY)"],
                    &["DROP TABLE more_rows"],
                )
                .leak()
        } else {
            builder.leak()
        }
    }

    fn assert_broken_ancestry(error: &Error) {
        let text = error.to_string();
        assert!(
            matches!(error, Error::BrokenAncestry { revision, missing, .. }
                if revision == "cccc0003" && missing == &["bbbb0002"]),
            "{text}"
        );
        assert!(text.contains("`stamp cccc0003`"), "{text}");
    }

    /// A version table edited by hand (issue 8, item 10): a deleted middle
    /// row is refused by `upgrade` (also when at head, where the no-op
    /// check used to trust the summary) and by `check`, nothing is
    /// re-applied out of order once a new revision exists, an edited
    /// checksum is seen by the no-op check, and a deleted head row is
    /// applied again (no endless re-planning on SQLite).
    pub async fn hand_edited_version_table(t: &TestDb) {
        let old = Migrator::new(seeded_plan(false));
        let new = Migrator::new(seeded_plan(true));
        old.upgrade(&t.db, "head").await.unwrap();
        let seeds = "SELECT CAST(COUNT(*) AS SIGNED) FROM seeds".to_string();
        let seeds = if t.kind == Kind::MySql {
            seeds
        } else {
            seeds.replace("SIGNED", "BIGINT")
        };
        t.exec("DELETE FROM migrate_version WHERE revision = 'bbbb0002'")
            .await;

        // At head by the summary, but not by the rows.
        assert_broken_ancestry(&old.upgrade(&t.db, "head").await.unwrap_err());
        assert_broken_ancestry(&old.check(&t.db).await.unwrap_err());
        // A new revision: nothing runs, the seed is not inserted again.
        assert_broken_ancestry(&new.upgrade(&t.db, "head").await.unwrap_err());
        assert_broken_ancestry(&new.check(&t.db).await.unwrap_err());
        assert_eq!(t.scalar(&seeds).await, 1);
        assert!(!t.tables().await.contains("more_rows"));

        // The advised fix: stamp the applied head, which records the missing row.
        old.stamp(&t.db, "cccc0003").await.unwrap();
        old.check(&t.db).await.unwrap();
        assert_eq!(
            new.upgrade(&t.db, "head").await.unwrap().ids(),
            ["dddd0004"]
        );
        assert_eq!(t.scalar(&seeds).await, 1);
        new.check(&t.db).await.unwrap();

        // An edited checksum is seen by the no-op check.
        t.exec(&format!(
            "UPDATE migrate_version SET checksum = '{}' WHERE revision = 'aaaa0001'",
            "0".repeat(64)
        ))
        .await;
        let error = new.upgrade(&t.db, "head").await.unwrap_err();
        assert!(
            matches!(&error, Error::ChecksumMismatch { revision, .. } if revision == "aaaa0001"),
            "{error}"
        );
        let error = new.check(&t.db).await.unwrap_err();
        assert!(
            matches!(&error, Error::ChecksumMismatch { revision, .. } if revision == "aaaa0001"),
            "{error}"
        );
        new.stamp(&t.db, "head").await.unwrap();
        assert!(new.upgrade(&t.db, "head").await.unwrap().is_empty());

        // The head's row deleted to run it again: it runs again, at once.
        t.exec("DELETE FROM migrate_version WHERE revision = 'dddd0004'")
            .await;
        assert_eq!(
            new.upgrade(&t.db, "head").await.unwrap().ids(),
            ["dddd0004"]
        );
        assert!(new.upgrade(&t.db, "head").await.unwrap().is_empty());
        new.check(&t.db).await.unwrap();

        // The summary table dropped: the check cannot trust anything, the
        // full path validates the rows and makes the summary again.
        if t.kind == Kind::Sqlite {
            // From a connection of its own, as by hand: a SQLite connection
            // that saw the table dropped keeps a schema without it, and
            // fails to prepare a statement whose trigger names it until
            // something makes it reload its schema.
            use sqlx::Connection as _;
            let mut own = sqlx::SqliteConnection::connect(&t.url).await.unwrap();
            sqlx::Executor::execute(&mut own, "DROP TABLE migrate_version_summary")
                .await
                .unwrap();
            own.close().await.unwrap();
        } else {
            t.exec("DROP TABLE migrate_version_summary").await;
        }
        assert!(new.upgrade(&t.db, "head").await.unwrap().is_empty());
        assert!(t.tables().await.contains("migrate_version_summary"));
        new.check(&t.db).await.unwrap();
        // A row edited in a column the check does not compare: the counter
        // sees it, the full path finds the rows in order and runs nothing.
        t.exec("UPDATE migrate_version SET duration_ms = duration_ms + 1")
            .await;
        assert!(new.upgrade(&t.db, "head").await.unwrap().is_empty());
        new.check(&t.db).await.unwrap();
        // A deleted head row after that: the full path runs and repairs.
        t.exec("DELETE FROM migrate_version WHERE revision = 'dddd0004'")
            .await;
        assert_eq!(
            new.upgrade(&t.db, "head").await.unwrap().ids(),
            ["dddd0004"]
        );
        assert_eq!(
            t.tables().await,
            with_version_tables(&["seeds", "late", "more_rows"])
        );
        new.check(&t.db).await.unwrap();
        // The summary's row deleted too: no endless re-planning either.
        t.exec("DELETE FROM migrate_version_summary").await;
        t.exec("DELETE FROM migrate_version WHERE revision = 'dddd0004'")
            .await;
        assert_eq!(
            new.upgrade(&t.db, "head").await.unwrap().ids(),
            ["dddd0004"]
        );
        new.check(&t.db).await.unwrap();
    }

    /// stamp records without running; check fails until at head.
    pub async fn stamp_and_check(t: &TestDb) {
        let migrator = Migrator::new(branchy_plan());
        assert!(
            matches!(migrator.check(&t.db).await, Err(Error::NotAtHead { pending, .. }) if pending.len() == 5)
        );
        migrator.stamp(&t.db, "head").await.unwrap();
        migrator.check(&t.db).await.unwrap();
        assert_eq!(
            t.tables().await,
            version_tables(),
            "stamp runs no migration"
        );
        assert!(migrator.upgrade(&t.db, "head").await.unwrap().is_empty());
        migrator.stamp(&t.db, "bbbb0002").await.unwrap();
        assert_eq!(
            ids(&migrator.history(&t.db).await.unwrap()),
            ["aaaa0001", "bbbb0002"]
        );
        migrator.stamp(&t.db, "base").await.unwrap();
        assert!(migrator.history(&t.db).await.unwrap().is_empty());
    }

    /// A history validated for another database is refused by `upgrade`,
    /// `downgrade`, `stamp` and the offline script before anything runs: the
    /// database stays empty, without even the version tables.
    pub async fn another_dialects_history_is_refused(t: &TestDb) {
        use migrate_runtime::Dialect;

        let backend = match t.kind {
            Kind::Sqlite => Dialect::Sqlite,
            Kind::Postgres => Dialect::Postgres,
            Kind::MySql => Dialect::MySql,
        };
        for other in [Dialect::Postgres, Dialect::Sqlite, Dialect::MySql] {
            let plan = Plan::new(
                branchy_plan().revisions().to_vec(),
                "migrate_version",
                other,
            );
            let migrator = Migrator::new(plan);
            if other == backend {
                assert!(migrator.sql("base:head", other).is_ok());
                continue;
            }
            let refused = |result: Result<(), Error>| match result {
                Err(error @ Error::DialectMismatch { .. }) => error.to_string(),
                other => panic!("expected DialectMismatch, got {other:?}"),
            };
            let message = refused(migrator.upgrade(&t.db, "head").await.map(drop));
            assert!(
                message.contains(&format!("`dialect = \"{}\"`", other.name()))
                    && message.contains(backend.database())
                    && message.contains("nothing was run"),
                "{message}"
            );
            refused(migrator.downgrade(&t.db, "base").await.map(drop));
            refused(migrator.stamp(&t.db, "head").await);
            refused(migrator.sql("base:head", backend).map(drop));
            assert!(t.tables().await.is_empty(), "nothing ran");
        }
        let generic = Plan::new(
            branchy_plan().revisions().to_vec(),
            "migrate_version",
            Dialect::Generic,
        );
        let report = Migrator::new(generic).upgrade(&t.db, "head").await.unwrap();
        assert_eq!(report.ids(), ALL, "a generic history runs anywhere");
    }

    /// An older binary refuses a newer database, and reverts what it does
    /// not know with the stored downgrade statements when asked.
    pub async fn revert_unknown(t: &TestDb) {
        let newer = Migrator::new(branchy_plan());
        newer.upgrade(&t.db, "head").await.unwrap();
        let older_plan = PlanBuilder::new()
            .rev(
                "aaaa0001",
                &[],
                &["CREATE TABLE users (id INTEGER PRIMARY KEY, name VARCHAR(100) NOT NULL)"],
                &["DROP TABLE users"],
            )
            .rev(
                "bbbb0002",
                &["aaaa0001"],
                &[
                    "CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL, title VARCHAR(200) NOT NULL)",
                    "INSERT INTO users (id, name) VALUES (1, 'admin')",
                ],
                &["DELETE FROM users WHERE id = 1", "DROP TABLE posts"],
            )
            .leak();
        let older = Migrator::new(older_plan);
        match older.upgrade(&t.db, "head").await {
            Err(Error::UnknownApplied { revisions }) => {
                assert_eq!(revisions, ["cccc0003", "dddd0004", "eeee0005"])
            }
            other => panic!("expected unknown revisions, got {other:?}"),
        }
        assert!(matches!(
            older.downgrade(&t.db, "bbbb0002").await,
            Err(Error::UnknownApplied { .. })
        ));
        let report = older
            .clone()
            .revert_unknown(true)
            .downgrade(&t.db, "bbbb0002")
            .await
            .unwrap();
        assert_eq!(report.ids(), ["eeee0005", "dddd0004", "cccc0003"]);
        assert_eq!(t.tables().await, with_version_tables(&["users", "posts"]));
        assert!(!t.columns("posts").await.contains("published_at"));
        assert!(older.upgrade(&t.db, "head").await.unwrap().is_empty());
        older.check(&t.db).await.unwrap();
        // The newer binary picks up where it was.
        assert_eq!(
            newer.upgrade(&t.db, "head").await.unwrap().ids(),
            ["cccc0003", "dddd0004", "eeee0005"]
        );
        // Stamping over unknown rows needs `purge`.
        assert!(matches!(
            older.stamp(&t.db, "head").await,
            Err(Error::UnknownApplied { .. })
        ));
        older.stamp_with(&t.db, "head", true).await.unwrap();
        assert_eq!(
            ids(&older.history(&t.db).await.unwrap()),
            ["aaaa0001", "bbbb0002"]
        );
    }

    /// Two plans share one database, each with its own version table.
    pub async fn two_plans_share_a_database(t: &TestDb) {
        let billing = PlanBuilder::new()
            .rev(
                "b111aaaa",
                &[],
                &["CREATE TABLE invoices (id INTEGER)"],
                &["DROP TABLE invoices"],
            )
            .leak();
        let accounts = Migrator::new(branchy_plan()).version_table("accounts_version");
        let billing = Migrator::new(billing).version_table("billing_version");
        let (left, right) = tokio::join!(
            accounts.upgrade(&t.db, "head"),
            billing.upgrade(&t.db, "head")
        );
        assert_eq!(left.unwrap().ids(), ALL);
        assert_eq!(right.unwrap().ids(), ["b111aaaa"]);
        accounts.check(&t.db).await.unwrap();
        billing.check(&t.db).await.unwrap();
        assert_eq!(ids(&billing.history(&t.db).await.unwrap()), ["b111aaaa"]);
        billing.downgrade(&t.db, "base").await.unwrap();
        accounts.check(&t.db).await.unwrap();
        let tables = t.tables().await;
        assert!(tables.contains("accounts_version_summary") && tables.contains("billing_version"));
        assert!(!tables.contains("invoices") && tables.contains("post_tags"));
    }

    /// A `transaction:false` section: applied and reverted; when it fails,
    /// the revision is marked failed, the next run names what ran, and
    /// `stamp` resolves it.
    pub async fn non_transactional_sections(
        t: &TestDb,
        create_index: &str,
        drop_index: &str,
        bad_index: &str,
    ) {
        let plan = PlanBuilder::new()
            .rev(
                "aaaa0001",
                &[],
                &["CREATE TABLE posts (id INTEGER PRIMARY KEY, published_at VARCHAR(40))"],
                &["DROP TABLE posts"],
            )
            .revision(
                "bbbb0002",
                &["aaaa0001"],
                &[
                    (true, &["CREATE TABLE audit (id INTEGER)"]),
                    (false, &[create_index]),
                ],
                &[(false, &[drop_index]), (true, &["DROP TABLE audit"])],
            )
            .leak();
        let migrator = Migrator::new(plan);
        assert_eq!(
            migrator.upgrade(&t.db, "head").await.unwrap().ids(),
            ["aaaa0001", "bbbb0002"]
        );
        migrator.check(&t.db).await.unwrap();
        assert_eq!(
            migrator.downgrade(&t.db, "-1").await.unwrap().ids(),
            ["bbbb0002"]
        );
        assert_eq!(t.tables().await, with_version_tables(&["posts"]));
        migrator.upgrade(&t.db, "head").await.unwrap();

        let failing = PlanBuilder::new()
            .rev(
                "aaaa0001",
                &[],
                &["CREATE TABLE posts (id INTEGER PRIMARY KEY, published_at VARCHAR(40))"],
                &["DROP TABLE posts"],
            )
            .revision(
                "bbbb0002",
                &["aaaa0001"],
                &[
                    (true, &["CREATE TABLE audit (id INTEGER)"]),
                    (false, &[create_index]),
                ],
                &[(false, &[drop_index]), (true, &["DROP TABLE audit"])],
            )
            .revision(
                "cccc0003",
                &["bbbb0002"],
                &[
                    (true, &["CREATE TABLE extra (id INTEGER)"]),
                    (false, &[bad_index]),
                ],
                &[(true, &["DROP TABLE extra"])],
            )
            .leak();
        let migrator = Migrator::new(failing);
        let error = migrator.upgrade(&t.db, "head").await.unwrap_err();
        let Error::Statement(failure) = &error else {
            panic!("expected a statement error, got {error}")
        };
        assert_eq!(failure.revision, "cccc0003");
        assert!(!failure.rolled_back);
        assert_eq!(
            failure
                .committed
                .iter()
                .map(|s| s.index)
                .collect::<Vec<_>>(),
            [1]
        );
        assert_eq!(failure.statement.as_ref().map(|s| s.index), Some(2));
        let history = migrator.history(&t.db).await.unwrap();
        let row = history
            .iter()
            .find(|row| row.revision == "cccc0003")
            .unwrap();
        assert_eq!((row.state, row.statements_done), (RowState::Failed, 1));
        match migrator.upgrade(&t.db, "head").await {
            Err(Error::Unresolved(unresolved)) => {
                assert_eq!(unresolved.revision, "cccc0003");
                assert_eq!(unresolved.ran.len(), 1);
                // The failing second statement did not complete; none is
                // left that did not run.
                assert_eq!(unresolved.stopped_at.as_ref().map(|s| s.index), Some(2));
                assert!(unresolved.not_run.is_empty());
            }
            other => panic!("expected the failed revision to be refused, got {other:?}"),
        }
        assert!(matches!(
            migrator.check(&t.db).await,
            Err(Error::Unresolved(_))
        ));
        // Resolve: keep the table it created, and record the revision as done.
        migrator.stamp(&t.db, "cccc0003").await.unwrap();
        migrator.check(&t.db).await.unwrap();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_get_their_database_replaced() {
        assert_eq!(
            with_database("postgres://root@127.0.0.1:5432/postgres", "x"),
            "postgres://root@127.0.0.1:5432/x"
        );
        assert_eq!(
            with_database("mysql://root@h:3306/mysql?ssl-mode=disabled", "y"),
            "mysql://root@h:3306/y?ssl-mode=disabled"
        );
        assert_eq!(
            with_database("mysql://root@h:3306", "y"),
            "mysql://root@h:3306/y"
        );
    }

    #[test]
    fn a_statement_edit_changes_the_checksum() {
        let one = checksum(&[(true, &["SELECT 1"])]);
        assert_eq!(one, checksum(&[(true, &["SELECT 1"])]));
        assert_ne!(one, checksum(&[(true, &["SELECT 2"])]));
        assert_ne!(one, checksum(&[(false, &["SELECT 1"])]));
    }
}
