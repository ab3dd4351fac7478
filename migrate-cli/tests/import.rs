//! `cargo migrate import` on every real history in `shared/corpus/`: the
//! imported directory is compiled by the real compiler (`migrate_build::compile`,
//! what `embed_migrations!` runs) and applied on the real server of its
//! dialect with `cargo migrate upgrade head` / `downgrade base`, then redone
//! revision by revision (`upgrade +1`, `downgrade -1`, `upgrade +1`) through
//! the library. Where a source history is itself broken, the test asserts the
//! precise failure: crates.io's at build time, kratos's redo failures as
//! listed in `tests/redo/` (its downs undo the next version, SOURCE.md).
//!
//! Kept fast for CI: every history is imported and compiled (well under a
//! second each); kratos's redo covers a sample of its revisions (the whole
//! redo is `#[ignore]`d, see README). The servers come from
//! MIGRATE_TEST_POSTGRES_URL / MIGRATE_TEST_MYSQL_URL (a failure, not a
//! skip, under `CI`). `tests/tests/import_embedded.rs` builds imported
//! histories into an application with `embed_migrations!`.

use std::path::{Path, PathBuf};

mod support;
use support::{cargo_migrate, corpus, Run, CORPUS};

use migrate_runtime::{MigrateConnection, Migrator, Plan};
use migrate_test_support::{block_on, drop_database, fresh_database, server_url};
use sqlx::Connection as _;

/// Imports `source` with `--mark-unchecked --allow-imported-errors`; returns
/// the migrations directory and the JSON report.
fn import(
    work: &Path,
    tool: &str,
    source: &Path,
    dialect: &str,
    expected_code: i32,
) -> (PathBuf, serde_json::Value) {
    let dir = work.join("migrations");
    let run = cargo_migrate(
        work,
        None,
        &[
            "import",
            "--from",
            tool,
            source.to_str().unwrap(),
            "--dialect",
            dialect,
            "--mark-unchecked",
            "--allow-imported-errors",
            "--format",
            "json",
        ],
    );
    assert_eq!(run.code, expected_code, "{}\n{}", run.stdout, run.stderr);
    let report: serde_json::Value = serde_json::from_str(&run.stdout).expect("the report is JSON");
    (dir, report)
}

fn compile(dir: &Path) -> Result<migrate_build::Compiled, migrate_build::Failure> {
    migrate_build::compile(dir, &migrate_build::Options::new())
}

fn count(report: &serde_json::Value, key: &str) -> usize {
    match &report[key] {
        serde_json::Value::Array(items) => items.len(),
        serde_json::Value::Number(n) => n.as_u64().unwrap() as usize,
        other => panic!("{key}: {other}"),
    }
}

#[test]
fn importing_twice_writes_identical_files_with_the_source_recorded() {
    let Some(source) = corpus("docs-rs/migrations") else {
        return;
    };
    let one = tempfile::tempdir().unwrap();
    let two = tempfile::tempdir().unwrap();
    let (a, report) = import(one.path(), "sqlx", &source, "postgres", 0);
    let (b, _) = import(two.path(), "sqlx", &source, "postgres", 0);
    let mut names: Vec<_> = std::fs::read_dir(&a)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    names.sort();
    assert_eq!(
        names.len(),
        33 + 2,
        "33 revisions, migrate.toml, migrate.lock"
    );
    for name in &names {
        assert_eq!(
            std::fs::read(a.join(name)).unwrap(),
            std::fs::read(b.join(name)).unwrap(),
            "{name:?} differs between two imports"
        );
    }
    let first = std::fs::read_to_string(a.join("20231021111635_initial.sql")).unwrap();
    assert!(
        first.starts_with(
            // Its down leaves the extension its up creates (fuzzystrmatch):
            // a true `downgrade-mismatch`, allowed for the import.
            "-- message: initial\n-- revision: 20231021111635\n-- down_revision: none\n-- source: sqlx 20231021111635_initial\n\n\
             -- migrate:allow-file downgrade-mismatch -- imported\n-- migrate:upgrade\n"
        ),
        "{first}"
    );
    // Every source statement is in the file byte for byte.
    for (name, written) in [
        ("20231021111635_initial", "20231021111635_initial"),
        (
            "20260512203454_remove-queue-registry",
            "20260512203454_remove_queue_registry",
        ),
    ] {
        let up = std::fs::read_to_string(source.join(format!("{name}.up.sql"))).unwrap();
        let file = std::fs::read_to_string(a.join(format!("{written}.sql"))).unwrap();
        for statement in up.split(';').filter(|s| !s.trim().is_empty()) {
            let statement = statement.trim();
            assert!(
                file.contains(statement),
                "{name}: {statement:?} is not copied as is"
            );
        }
    }
    assert_eq!(count(&report, "migrations_read"), 33);
    assert_eq!(count(&report, "revisions_written"), 33);
    assert_eq!(count(&report, "empty_upgrades"), 2);
    // Importing over an existing history is refused.
    let again = cargo_migrate(
        one.path(),
        None,
        &["import", "--from", "sqlx", source.to_str().unwrap()],
    );
    assert_eq!(again.code, 1);
    assert!(
        again.stderr.contains("already holds 33 revision(s)"),
        "{}",
        again.stderr
    );
}

#[test]
fn crates_io_fails_at_build_time_exactly_at_its_broken_down_scripts() {
    let Some(source) = corpus("crates-io/migrations") else {
        return;
    };
    let work = tempfile::tempdir().unwrap();
    let (dir, report) = import(work.path(), "diesel", &source, "postgres", 1);
    assert_eq!(count(&report, "migrations_read"), 285);
    assert_eq!(
        count(&report, "no_transaction_sections"),
        14,
        "7 metadata.toml, up and down"
    );
    // CREATE INDEX CONCURRENTLY in a transactional down: the compiler knows.
    let errors = report["errors"].as_array().unwrap();
    let located: Vec<(&str, &str)> = errors
        .iter()
        .map(|e| (e["code"].as_str().unwrap(), e["file"].as_str().unwrap()))
        .collect();
    assert_eq!(
        located,
        [(
            "requires-no-transaction",
            "20240412144536_remove_downloads_column.sql"
        ); 2]
    );
    // The down missing its `;` joins two statements sqlparser cannot read:
    // marked unchecked (the runtime will fail on it), never silently fixed.
    let marked = report["statements_marked"].as_array().unwrap();
    assert!(
        marked
            .iter()
            .any(|m| m["file"] == "20170318181441_downloads_need_no_id.sql"),
        "{marked:#?}"
    );
    let failure = compile(&dir).expect_err("the build fails");
    let codes: Vec<&str> = failure
        .diagnostics
        .iter()
        .filter(|d| d.severity == migrate_build::Severity::Error)
        .map(|d| d.code.as_str())
        .collect();
    // The transaction errors leave their file whole, so the lints run over
    // the whole history too and report its broken downgrades in the same
    // pass: the 13 that the schema fidelity test sees not restoring the
    // catalog on PostgreSQL and the model reports (README, "Schema model
    // fidelity"), and one that drops a constraint the history never made.
    let mut counts = std::collections::BTreeMap::new();
    for code in codes {
        *counts.entry(code).or_insert(0) += 1;
    }
    assert_eq!(
        counts,
        [
            ("downgrade-mismatch", 13),
            ("requires-no-transaction", 2),
            ("unknown-object", 1)
        ]
        .into_iter()
        .collect()
    );
    assert!(failure.diagnostics.iter().any(|d| d.code == "unknown-object"
        && d.message
            == "constraint versions_crate_id_num_no_build_uindex on table versions does not exist at this point"));
}

/// One corpus history: imported, compiled, applied on its server.
struct Case {
    tool: &'static str,
    source: &'static str,
    dialect: &'static str,
    read: usize,
}

fn import_and_compile(case: &Case, work: &Path) -> PathBuf {
    let source = Path::new(CORPUS).join(case.source);
    let (dir, report) = import(work, case.tool, &source, case.dialect, 0);
    assert_eq!(
        count(&report, "migrations_read"),
        case.read,
        "{}",
        case.source
    );
    assert_eq!(count(&report, "errors"), 0, "{report:#}");
    let compiled = compile(&dir).unwrap_or_else(|failure| {
        panic!(
            "{}: {}",
            case.source,
            migrate_build::render(
                &failure.diagnostics,
                &failure.sources,
                migrate_build::Style::Plain
            )
        )
    });
    assert_eq!(compiled.revisions.len(), case.read);
    dir
}

fn apply(work: &Path, url: &str, args: &[&str]) -> Run {
    cargo_migrate(work, Some(url), args)
}

#[test]
fn every_history_imports_and_compiles() {
    if corpus("kratos/migrations").is_none() {
        return;
    }
    for case in [
        Case {
            tool: "diesel",
            source: "chirpstack/migrations_postgres",
            dialect: "postgres",
            read: 31,
        },
        Case {
            tool: "diesel",
            source: "chirpstack/migrations_sqlite",
            dialect: "sqlite",
            read: 14,
        },
        Case {
            tool: "pop",
            source: "kratos/migrations",
            dialect: "postgres",
            read: 341,
        },
        Case {
            tool: "pop",
            source: "kratos/migrations",
            dialect: "mysql",
            read: 345,
        },
        Case {
            tool: "pop",
            source: "kratos/migrations",
            dialect: "sqlite",
            read: 684,
        },
        Case {
            tool: "golang-migrate",
            source: "harbor-golang-migrate/migrations",
            dialect: "postgres",
            read: 39,
        },
    ] {
        let work = tempfile::tempdir().unwrap();
        import_and_compile(&case, work.path());
    }
}

#[test]
fn docs_rs_applies_and_reverts_on_postgres() {
    let (Some(_), Some(base)) = (
        corpus("docs-rs"),
        server_url(
            "MIGRATE_TEST_POSTGRES_URL",
            "docs_rs_applies_and_reverts_on_postgres",
        ),
    ) else {
        return;
    };
    let work = tempfile::tempdir().unwrap();
    let case = Case {
        tool: "sqlx",
        source: "docs-rs/migrations",
        dialect: "postgres",
        read: 33,
    };
    import_and_compile(&case, work.path());
    let (url, name) = fresh_database(&base, "import_docsrs");
    let up = apply(work.path(), &url, &["upgrade", "head"]);
    let down = apply(work.path(), &url, &["downgrade", "base"]);
    let current = apply(work.path(), &url, &["current"]);
    // A redo of every revision: up one, down one, up one again.
    drop_database(&base, &name);
    let databases = Databases::server(&base, None);
    let redo = redo_each(
        &plan_of(&work.path().join("migrations")),
        databases,
        usize::MAX,
    );
    assert_eq!(up.code, 0, "{}", up.stderr);
    assert_eq!(down.code, 0, "{}", down.stderr);
    assert_eq!(current.code, 0, "{}", current.stderr);
    assert!(
        !current.stdout.contains("20"),
        "back at base: {}",
        current.stdout
    );
    assert_eq!(redo.stopped, None);
    assert_eq!(redo.failures, []);
    assert_eq!(redo.upgraded, 33);
}

/// The plan `embed_migrations!` would embed for the imported directory
/// (`migrate_build::compile`, then `plan::plan`, as the macro runs them).
fn plan_of(dir: &Path) -> Plan {
    let compiled = compile(dir).expect("compiled above");
    migrate_build::plan::plan(&compiled.config, &compiled.revisions)
}

#[test]
fn chirpstack_needs_pg_trgm_first_on_postgres() {
    let (Some(_), Some(base)) = (
        corpus("chirpstack"),
        server_url(
            "MIGRATE_TEST_POSTGRES_URL",
            "chirpstack_needs_pg_trgm_first_on_postgres",
        ),
    ) else {
        return;
    };
    let work = tempfile::tempdir().unwrap();
    let case = Case {
        tool: "diesel",
        source: "chirpstack/migrations_postgres",
        dialect: "postgres",
        read: 31,
    };
    import_and_compile(&case, work.path());
    let (url, name) = fresh_database(&base, "import_chirp");
    // On a bare database the first revision fails: gin_trgm_ops needs pg_trgm.
    let bare = apply(work.path(), &url, &["upgrade", "head"]);
    block_on(async {
        let mut conn = sqlx::PgConnection::connect(&url).await.expect("connect");
        sqlx::query(PG_TRGM)
            .execute(&mut conn)
            .await
            .expect("pg_trgm");
    });
    let up = apply(work.path(), &url, &["upgrade", "head"]);
    let down = apply(work.path(), &url, &["downgrade", "base"]);
    drop_database(&base, &name);
    let databases = Databases::server(&base, Some(PG_TRGM));
    let redo = redo_each(
        &plan_of(&work.path().join("migrations")),
        databases,
        usize::MAX,
    );
    assert_eq!(down.code, 0, "{}", down.stderr);
    assert_eq!(redo.stopped, None);
    assert_eq!(redo.failures, []);
    assert_eq!(redo.upgraded, 31);
    assert_eq!(bare.code, 1, "{}", bare.stderr);
    assert!(bare.stderr.contains("gin_trgm_ops"), "{}", bare.stderr);
    assert!(bare.stderr.contains("00000000000000"), "{}", bare.stderr);
    assert_eq!(up.code, 0, "{}", up.stderr);
}

/// chirpstack's setup (its Docker init script, SOURCE.md).
const PG_TRGM: &str = "CREATE EXTENSION IF NOT EXISTS pg_trgm";

/// A redo step that failed: the revision, the step (`downgrade -1`, or
/// `upgrade +1 again`) and the database's message.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Failed {
    revision: String,
    step: &'static str,
    message: String,
}

/// What [`redo_each`] found.
#[derive(Debug)]
struct Redone {
    /// Revisions upgraded, in order.
    upgraded: usize,
    /// Redo steps that failed, in order.
    failures: Vec<Failed>,
    /// The first forward `upgrade +1` that failed (the history stops there).
    stopped: Option<Failed>,
}

/// The failure of a step of `revision`; the runtime's statement error,
/// and whether it left the database as it was before the step.
fn step_failure(
    revision: &str,
    step: &'static str,
    error: &migrate_runtime::Error,
) -> (Failed, bool) {
    let migrate_runtime::Error::Statement(failure) = error else {
        panic!("{revision}: {step}: not a statement failure: {error}");
    };
    assert_eq!(failure.revision, revision, "{error}");
    let failed = Failed {
        revision: revision.to_string(),
        step,
        message: failure.message.clone(),
    };
    (failed, failure.rolled_back)
}

/// The databases a redo runs on: a server's (all dropped at the end), or
/// SQLite files in a directory. A fresh server database at a revision is
/// upgraded from base (on PostgreSQL, the database emptied: `DROP SCHEMA
/// public CASCADE`); a SQLite one is copied with `VACUUM
/// INTO` from a checkpoint that only ever moves forward, so it costs the
/// revisions since the last copy.
enum Databases<'a> {
    Server {
        base: &'a str,
        /// Run first in each new database (chirpstack needs `pg_trgm`).
        setup: Option<&'a str>,
        made: Vec<String>,
    },
    Sqlite {
        dir: &'a Path,
        made: usize,
        /// The checkpoint's pool.
        checkpoint: Option<MigrateConnection>,
    },
}

impl<'a> Databases<'a> {
    fn server(base: &'a str, setup: Option<&'a str>) -> Databases<'a> {
        Databases::Server {
            base,
            setup,
            made: Vec::new(),
        }
    }

    fn sqlite(dir: &'a Path) -> Databases<'a> {
        Databases::Sqlite {
            dir,
            made: 0,
            checkpoint: None,
        }
    }

    /// A new, empty database's URL and name (setup run).
    async fn empty(&mut self) -> (String, String) {
        match self {
            Databases::Server { base, setup, made } => {
                let reuse = made.last().filter(|_| base.starts_with("postgres"));
                let (url, name) = match reuse {
                    // PostgreSQL: the last database, emptied; `CREATE
                    // DATABASE` copies a template and took seconds each
                    // on the shared server. Its pool is closed.
                    Some(name) => {
                        let url = migrate_test_support::with_database(base, name);
                        let mut conn = sqlx::PgConnection::connect(&url).await.expect("connect");
                        sqlx::raw_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
                            .execute(&mut conn)
                            .await
                            .expect("empty the database");
                        (url, name.clone())
                    }
                    None => migrate_test_support::create_database(base, "import_redo").await,
                };
                if let Some(setup) = setup {
                    let mut conn = sqlx::PgConnection::connect(&url).await.expect("connect");
                    sqlx::raw_sql(setup)
                        .execute(&mut conn)
                        .await
                        .expect("setup");
                }
                (url, name)
            }
            Databases::Sqlite { dir, made, .. } => {
                *made += 1;
                let name = format!("redo{made}.db");
                let url = format!("sqlite://{}?mode=rwc", dir.join(&name).display());
                (url, name)
            }
        }
    }

    fn keep(&mut self, name: String) {
        if let Databases::Server { made, .. } = self {
            if !made.contains(&name) {
                made.push(name);
            }
        }
    }

    /// A pool on a new database at revision `to` (base when `None`).
    async fn at(&mut self, migrator: &Migrator, to: Option<&str>) -> MigrateConnection {
        let Some(to) = to else {
            let (url, name) = self.empty().await;
            self.keep(name);
            return Migrator::connect(&url).await.expect("connect");
        };
        if matches!(self, Databases::Server { .. }) {
            let (url, name) = self.empty().await;
            self.keep(name);
            let db = Migrator::connect(&url).await.expect("connect");
            migrator
                .upgrade(&db, to)
                .await
                .unwrap_or_else(|e| panic!("{to}: upgrading a fresh database: {e}"));
            return db;
        }
        // The checkpoint, moved forward to `to`.
        let checkpoint = match self {
            Databases::Sqlite { checkpoint, .. } if checkpoint.is_some() => {
                checkpoint.take().expect("a checkpoint")
            }
            _ => {
                let (url, _) = self.empty().await;
                Migrator::connect(&url).await.expect("connect")
            }
        };
        migrator
            .upgrade(&checkpoint, to)
            .await
            .unwrap_or_else(|e| panic!("{to}: upgrading the checkpoint: {e}"));
        match self {
            Databases::Sqlite {
                dir,
                made,
                checkpoint: slot,
            } => {
                *made += 1;
                let file = dir.join(format!("redo{made}.db"));
                let MigrateConnection::Sqlite(pool) = &checkpoint else {
                    unreachable!("a SQLite checkpoint")
                };
                sqlx::query("VACUUM INTO ?")
                    .bind(file.display().to_string())
                    .execute(pool)
                    .await
                    .expect("VACUUM INTO");
                *slot = Some(checkpoint);
                Migrator::connect(&format!("sqlite://{}", file.display()))
                    .await
                    .expect("connect")
            }
            Databases::Server { .. } => unreachable!("server databases are upgraded from base"),
        }
    }

    async fn drop_all(&mut self) {
        match self {
            Databases::Server { base, made, .. } => {
                for name in made.drain(..) {
                    migrate_test_support::remove_database(base, &name).await;
                }
            }
            Databases::Sqlite { checkpoint, .. } => {
                if let Some(db) = checkpoint.take() {
                    db.close().await;
                }
            }
        }
    }
}

/// From base, for each of the first `redo` revisions in plan order:
/// `upgrade +1`, `downgrade -1`, `upgrade +1`, through the library on one
/// pool (what `cargo migrate` runs per verb, without a process and a compile
/// per step; no lock, since nothing else migrates this database); then
/// `upgrade head` for the rest. A step that fails is recorded. A downgrade
/// that failed and rolled back left the revision applied, and the next one
/// goes on. Any other failure (a downgrade that committed part of its work,
/// or a second upgrade that failed because the downgrade did not undo the
/// first) leaves a database that is no longer the history's: the redo goes
/// on from a fresh database upgraded to that revision. A downgrade can also
/// pass its redo and still not undo its upgrade; the history then breaks at
/// a later forward `upgrade +1`, recorded as `upgrade +1 after the redos`,
/// and the redo goes on from a fresh database upgraded to the revision
/// before. A forward upgrade that fails on a fresh database too stops the
/// run (`stopped`).
fn redo_each(plan: &Plan, mut databases: Databases<'_>, redo: usize) -> Redone {
    block_on(async {
        let migrator = Migrator::new(plan.clone()).lock(false);
        let mut db = databases.at(&migrator, None).await;
        let mut redone = Redone {
            upgraded: 0,
            failures: Vec::new(),
            stopped: None,
        };
        let mut previous: Option<String> = None;
        for revision in plan.revisions().iter().take(redo) {
            let id = revision.id();
            if let Err(error) = migrator.upgrade(&db, "+1").await {
                let (failed, _) = step_failure(id, "upgrade +1", &error);
                db.close().await;
                db = databases.at(&migrator, previous.as_deref()).await;
                if let Err(error) = migrator.upgrade(&db, "+1").await {
                    redone.stopped = Some(step_failure(id, "upgrade +1", &error).0);
                    break;
                }
                redone.failures.push(Failed {
                    step: "upgrade +1 after the redos",
                    ..failed
                });
            }
            redone.upgraded += 1;
            previous = Some(id.to_string());
            let intact = match migrator.downgrade(&db, "-1").await {
                Ok(report) => {
                    assert_eq!(report.ids(), [id]);
                    match migrator.upgrade(&db, "+1").await {
                        Ok(report) => {
                            assert_eq!(report.ids(), [id]);
                            continue;
                        }
                        Err(error) => {
                            redone
                                .failures
                                .push(step_failure(id, "upgrade +1 again", &error).0);
                            false
                        }
                    }
                }
                Err(error) => {
                    let (failed, rolled_back) = step_failure(id, "downgrade -1", &error);
                    redone.failures.push(failed);
                    rolled_back
                }
            };
            if !intact {
                db.close().await;
                db = databases.at(&migrator, Some(id)).await;
            }
        }
        if redone.stopped.is_none() && redo < plan.revisions().len() {
            match migrator.upgrade(&db, "head").await {
                Ok(report) => redone.upgraded += report.revisions.len(),
                Err(error) => {
                    let migrate_runtime::Error::Statement(failure) = &error else {
                        panic!("upgrade head: {error}");
                    };
                    redone.stopped =
                        Some(step_failure(&failure.revision.clone(), "upgrade head", &error).0);
                }
            }
        }
        db.close().await;
        databases.drop_all().await;
        redone
    })
}

/// Imports and compiles `source` as `dialect`, upgrades a fresh database
/// of `server` (None: a SQLite file) to head with `cargo migrate`, then
/// redoes the first `redo` revisions from base on others ([`redo_each`]).
fn redo_history(
    case: &Case,
    server: Option<&str>,
    setup: Option<&str>,
    redo: usize,
) -> (Run, Plan, Redone) {
    let work = tempfile::tempdir().unwrap();
    import_and_compile(case, work.path());
    let plan = plan_of(&work.path().join("migrations"));
    let started = std::time::Instant::now();
    let (up, redone) = match server {
        None => {
            let url = format!(
                "sqlite://{}?mode=rwc",
                work.path().join("head.db").display()
            );
            let up = apply(work.path(), &url, &["upgrade", "head"]);
            let databases = Databases::sqlite(work.path());
            (up, redo_each(&plan, databases, redo))
        }
        Some(base) => {
            let (url, name) = fresh_database(base, "import_head");
            if let Some(setup) = setup {
                block_on(async {
                    let mut conn = sqlx::PgConnection::connect(&url).await.expect("connect");
                    sqlx::raw_sql(setup)
                        .execute(&mut conn)
                        .await
                        .expect("setup");
                });
            }
            let up = apply(work.path(), &url, &["upgrade", "head"]);
            drop_database(base, &name);
            let databases = Databases::server(base, setup);
            (up, redo_each(&plan, databases, redo))
        }
    };
    eprintln!(
        "{} ({}): upgrade head, and a redo of {redo} revision(s), in {:?}",
        case.source,
        case.dialect,
        started.elapsed()
    );
    (up, plan, redone)
}

/// `message` with the redo's random database names (`import_redo_<hex>`,
/// which MariaDB puts in its messages) written `<database>`.
fn without_database(message: &str) -> String {
    let mut out = String::new();
    let mut rest = message;
    while let Some(at) = rest.find("import_redo_") {
        out.push_str(&rest[..at]);
        out.push_str("<database>");
        rest =
            rest[at + "import_redo_".len()..].trim_start_matches(|c: char| c.is_ascii_hexdigit());
    }
    out.push_str(rest);
    out
}

/// Asserts that the redo's failures are those listed in
/// `tests/redo/<name>.txt` (one `revision step: message` a line, in plan
/// order) for the first `redo` revisions of `plan`: every failure is a
/// defect of the source history, each one named with the server's error.
fn assert_failures(name: &str, plan: &Plan, redone: &Redone, redo: usize) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/redo")
        .join(format!("{name}.txt"));
    let found: Vec<String> = redone
        .failures
        .iter()
        .map(|f| {
            format!(
                "{} {}: {}",
                f.revision,
                f.step,
                without_database(&f.message)
            )
        })
        .collect();
    // `REDO_BLESS=1` with a redo of every revision writes the list.
    if std::env::var_os("REDO_BLESS").is_some() && redo >= plan.revisions().len() {
        let mut text = found.join("\n");
        text.push('\n');
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
    }
    let listed =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let sample: std::collections::BTreeSet<&str> =
        plan.revisions().iter().take(redo).map(|r| r.id()).collect();
    let expected: Vec<&str> = listed
        .lines()
        .filter(|line| {
            line.split(' ')
                .next()
                .is_some_and(|revision| sample.contains(revision))
        })
        .collect();
    assert_eq!(
        found,
        expected,
        "{name}: the redo failed elsewhere than {} lists; what it found:\n{}",
        path.display(),
        found.join("\n")
    );
    // The sample holds every kind of failure the whole history has.
    let kinds = |lines: &mut dyn Iterator<Item = &str>| -> std::collections::BTreeSet<String> {
        lines
            .filter_map(|line| line.split_once(": ").map(|(head, _)| head))
            .map(|head| {
                head.split_once(' ')
                    .map_or("", |(_, step)| step)
                    .to_string()
            })
            .collect()
    };
    assert_eq!(
        kinds(&mut expected.iter().copied()),
        kinds(&mut listed.lines()),
        "{name}: the sample misses a kind of failure"
    );
}

fn kratos(dialect: &'static str, read: usize) -> Case {
    Case {
        tool: "pop",
        source: "kratos/migrations",
        dialect,
        read,
    }
}

/// How many kratos revisions the CI tests redo on PostgreSQL and on SQLite
/// (the rest is upgraded in one run): the shortest beginnings of the
/// histories that hold every kind of failure the whole history shows (the
/// test checks it), at a fraction of the time; the `#[ignore]`d tests redo
/// every revision.
const KRATOS_POSTGRES_SAMPLE: usize = 90;
const KRATOS_SQLITE_SAMPLE: usize = 50;

#[test]
fn chirpstack_redoes_every_revision_on_sqlite() {
    if corpus("chirpstack").is_none() {
        return;
    }
    let case = Case {
        tool: "diesel",
        source: "chirpstack/migrations_sqlite",
        dialect: "sqlite",
        read: 14,
    };
    let (up, _, redo) = redo_history(&case, None, None, 14);
    assert_eq!(up.code, 0, "{}", up.stderr);
    assert_eq!(redo.stopped, None);
    assert_eq!(redo.failures, []);
    assert_eq!(redo.upgraded, 14);
}

fn kratos_on_postgres(redo: usize) {
    let (Some(_), Some(base)) = (
        corpus("kratos"),
        server_url("MIGRATE_TEST_POSTGRES_URL", "kratos_redo_on_postgres"),
    ) else {
        return;
    };
    let (up, plan, redone) = redo_history(&kratos("postgres", 341), Some(&base), None, redo);
    assert_eq!(up.code, 0, "{}", up.stderr);
    assert_eq!(redone.stopped, None);
    assert_eq!(redone.upgraded, 341);
    assert_failures("kratos-postgres", &plan, &redone, redo);
}

/// kratos on PostgreSQL: upgrade head; the redo of the first
/// [`KRATOS_POSTGRES_SAMPLE`] revisions fails exactly where `tests/redo/kratos-postgres.txt` says.
#[test]
fn kratos_redoes_a_sample_on_postgres() {
    kratos_on_postgres(KRATOS_POSTGRES_SAMPLE);
}

/// The redo of every kratos revision on PostgreSQL (minutes):
/// `cargo test -p migrate-cli --all-features --test import -- --ignored kratos_redoes_every`.
#[test]
#[ignore = "minutes long; run with --ignored (README, Importing another tool's history)"]
fn kratos_redoes_every_revision_on_postgres() {
    kratos_on_postgres(341);
}

/// kratos on MariaDB stops at the same revision forward and in the redo:
/// its `INSERT`s leave a NOT NULL column without a default, which only a
/// non-strict `sql_mode` accepts (MariaDB's default is strict); the redos
/// before it fail where `tests/redo/kratos-mysql.txt` says.
#[test]
fn kratos_redoes_every_revision_on_mariadb() {
    let (Some(_), Some(base)) = (
        corpus("kratos"),
        server_url(
            "MIGRATE_TEST_MYSQL_URL",
            "kratos_redoes_every_revision_on_mariadb",
        ),
    ) else {
        return;
    };
    let (up, plan, redone) = redo_history(&kratos("mysql", 345), Some(&base), None, 345);
    assert_eq!(up.code, 1, "{}", up.stderr);
    assert!(
        up.stderr
            .contains("upgrade of revision 20200317160354000002 failed")
            && up
                .stderr
                .contains("Field 'created_at' doesn't have a default value"),
        "{}",
        up.stderr
    );
    let stopped = redone.stopped.clone().expect("the redo stops too");
    assert_eq!(stopped.revision, "20200317160354000002");
    assert!(
        stopped
            .message
            .contains("Field 'created_at' doesn't have a default value"),
        "{stopped:?}"
    );
    assert_failures("kratos-mysql", &plan, &redone, 345);
}

fn kratos_on_sqlite(redo: usize) {
    if corpus("kratos").is_none() {
        return;
    }
    let (up, plan, redone) = redo_history(&kratos("sqlite", 684), None, None, redo);
    assert_eq!(up.code, 0, "{}", up.stderr);
    assert_eq!(redone.stopped, None);
    assert_eq!(redone.upgraded, 684);
    assert_failures("kratos-sqlite", &plan, &redone, redo);
}

/// kratos on SQLite: upgrade head; the redo of the first [`KRATOS_SQLITE_SAMPLE`]
/// revisions fails exactly where `tests/redo/kratos-sqlite.txt` says (its
/// downs insert into the `_tmp` table of the *next* version's rebuild).
#[test]
fn kratos_redoes_a_sample_on_sqlite() {
    kratos_on_sqlite(KRATOS_SQLITE_SAMPLE);
}

/// The redo of every kratos revision on SQLite:
/// `cargo test -p migrate-cli --all-features --test import -- --ignored kratos_redoes_every`.
#[test]
#[ignore = "minutes long; run with --ignored (README, Importing another tool's history)"]
fn kratos_redoes_every_revision_on_sqlite() {
    kratos_on_sqlite(684);
}
