//! `cargo migrate import` on every real history in `shared/corpus/`: the
//! imported directory is compiled by the real compiler (`migrate_build::compile`,
//! what `embed_migrations!` runs) and applied on the real server of its
//! dialect with `cargo migrate upgrade head` / `downgrade base`.
//!
//! Kept fast for CI: every history is imported and compiled (well under a
//! second each); the histories are applied on the servers when
//! MIGRATE_TEST_POSTGRES_URL / MIGRATE_TEST_MYSQL_URL are set (a failure,
//! not a skip, under `CI`). Where a source history is itself broken, the
//! test asserts the precise failure.

use std::path::{Path, PathBuf};
use std::process::Command;

use migrate_test_support::{block_on, drop_database, fresh_database, server_url};
use sqlx::Connection as _;

const CORPUS: &str = "/work/shared/corpus";

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn cargo_migrate(cwd: &Path, url: Option<&str>, args: &[&str]) -> Run {
    let mut command = Command::new(env!("CARGO_BIN_EXE_cargo-migrate"));
    command
        .arg("migrate")
        .args(args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .env_remove("DATABASE_URL");
    if let Some(url) = url {
        command.env("DATABASE_URL", url);
    }
    let output = command.output().expect("cargo-migrate runs");
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

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

fn corpus(path: &str) -> Option<PathBuf> {
    let path = Path::new(CORPUS).join(path);
    if path.exists() {
        return Some(path);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "{} is missing",
        path.display()
    );
    eprintln!("skipped: {} not found", path.display());
    None
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
            "-- message: initial\n-- revision: 20231021111635\n-- down_revision: none\n-- source: sqlx 20231021111635_initial\n\n-- migrate:upgrade\n"
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
    assert_eq!(codes, ["requires-no-transaction"; 2]);
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
    drop_database(&base, &name);
    assert_eq!(up.code, 0, "{}", up.stderr);
    assert_eq!(down.code, 0, "{}", down.stderr);
    assert_eq!(current.code, 0, "{}", current.stderr);
    assert!(
        !current.stdout.contains("20"),
        "back at base: {}",
        current.stdout
    );
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
        sqlx::query("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            .execute(&mut conn)
            .await
            .expect("pg_trgm");
    });
    let up = apply(work.path(), &url, &["upgrade", "head"]);
    drop_database(&base, &name);
    assert_eq!(bare.code, 1, "{}", bare.stderr);
    assert!(bare.stderr.contains("gin_trgm_ops"), "{}", bare.stderr);
    assert!(bare.stderr.contains("00000000000000"), "{}", bare.stderr);
    assert_eq!(up.code, 0, "{}", up.stderr);
}

#[test]
fn chirpstack_applies_on_sqlite() {
    applies_on_sqlite("diesel", "chirpstack/migrations_sqlite", 14);
}

/// Imports `source` with `tool` as a SQLite history of `read` migrations,
/// compiles it and upgrades a fresh SQLite file to head.
fn applies_on_sqlite(tool: &'static str, source: &'static str, read: usize) {
    let project = source.split('/').next().expect("a corpus project");
    if corpus(project).is_none() {
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let case = Case {
        tool,
        source,
        dialect: "sqlite",
        read,
    };
    import_and_compile(&case, work.path());
    let url = format!("sqlite://{}?mode=rwc", work.path().join("app.db").display());
    let up = apply(work.path(), &url, &["upgrade", "head"]);
    assert_eq!(up.code, 0, "{}", up.stderr);
}

#[test]
fn kratos_applies_on_postgres_and_mariadb() {
    if corpus("kratos").is_none() {
        return;
    }
    for (variable, dialect, read) in [
        ("MIGRATE_TEST_POSTGRES_URL", "postgres", 341),
        ("MIGRATE_TEST_MYSQL_URL", "mysql", 345),
    ] {
        let Some(base) = server_url(variable, "kratos_applies_on_postgres_and_mariadb") else {
            continue;
        };
        let work = tempfile::tempdir().unwrap();
        let case = Case {
            tool: "pop",
            source: "kratos/migrations",
            dialect,
            read,
        };
        import_and_compile(&case, work.path());
        let (url, name) = fresh_database(&base, "import_kratos");
        let up = apply(work.path(), &url, &["upgrade", "head"]);
        drop_database(&base, &name);
        if dialect == "mysql" {
            // kratos inserts rows without a value for a NOT NULL column with
            // no default, which only a non-strict sql_mode accepts; MariaDB's
            // default mode is strict, so the history stops there, rolled back.
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
            continue;
        }
        assert_eq!(up.code, 0, "{dialect}: {}", up.stderr);
    }
}

#[test]
fn kratos_applies_on_sqlite() {
    applies_on_sqlite("pop", "kratos/migrations", 684);
}
