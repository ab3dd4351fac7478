//! An imported history is an ordinary migrations directory: `cargo migrate
//! import` writes every real history of `shared/corpus/` in each dialect it
//! has (docs.rs with sqlx; chirpstack with diesel, PostgreSQL and SQLite;
//! kratos with pop, PostgreSQL, SQLite and MySQL) into the `migrations/` of a
//! generated application crate, with no edit by hand; `cargo build` compiles
//! them with `embed_migrations!` (through the build script's `watch`), and the
//! binary applies each one on the server of its dialect (PostgreSQL, a SQLite
//! file, MariaDB). Afterwards the version table holds every imported revision
//! with the checksum the importer's files compile to, and the catalog equals
//! the one `cargo migrate upgrade head`'s path (the owned plan the CLI builds
//! at run time) gives on another fresh database. kratos on MariaDB stops where
//! the server refuses it (strict `sql_mode`), the same revision both ways.
//!
//! crates.io's import does not compile (a `CREATE INDEX CONCURRENTLY` in a
//! transactional down script), and the build of a crate that embeds it fails
//! with that error: the compiler reports it at build time.
//!
//! The crate is built by `migrate_tests::fixture_crate` into the target
//! directory every fixture crate shares, so the dependencies are built once.

use std::path::{Path, PathBuf};
use std::process::Command;

use migrate_cli::cmd::import::{ImportArgs, SourceTool};
use migrate_cli::InitDialect;
use migrate_runtime::{MigrateConnection, Migrator};
use migrate_test_support::{block_on, drop_database, fresh_database};
use migrate_tests::catalog::{catalog_differences, introspect};
use migrate_tests::fixture_crate::{binary, cargo_build, fixture_crate};
use migrate_tests::server_url;
use sqlx::Row as _;

const CORPUS: &str = "/work/shared/corpus";

/// `path` under the shared corpus; missing: `None`, a failure under `CI`.
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

/// Where a history is applied: the server of its dialect.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Server {
    Postgres,
    MySql,
    Sqlite,
}

/// One history: where it comes from and the directory it is imported into.
struct History {
    dir: &'static str,
    tool: SourceTool,
    source: &'static str,
    dialect: InitDialect,
    server: Server,
    revisions: usize,
    /// A table its head creates.
    table: &'static str,
    /// Where the server refuses the history on the way to head: the
    /// revision and words of the server's error (kratos on MariaDB: its
    /// `INSERT`s leave a NOT NULL column without a default, which MariaDB's
    /// default strict `sql_mode` refuses; `migrate-cli/tests/import.rs`
    /// asserts the same stop through the CLI).
    stops: Option<(&'static str, &'static str)>,
}

const HISTORIES: [History; 6] = [
    History {
        dir: "docs_rs",
        tool: SourceTool::Sqlx,
        source: "docs-rs/migrations",
        dialect: InitDialect::Postgres,
        server: Server::Postgres,
        revisions: 33,
        table: "releases",
        stops: None,
    },
    History {
        dir: "chirpstack",
        tool: SourceTool::Diesel,
        source: "chirpstack/migrations_postgres",
        dialect: InitDialect::Postgres,
        server: Server::Postgres,
        revisions: 31,
        table: "device_profile",
        stops: None,
    },
    History {
        dir: "kratos",
        tool: SourceTool::Pop,
        source: "kratos/migrations",
        dialect: InitDialect::Postgres,
        server: Server::Postgres,
        revisions: 341,
        table: "identities",
        stops: None,
    },
    History {
        dir: "chirpstack_sqlite",
        tool: SourceTool::Diesel,
        source: "chirpstack/migrations_sqlite",
        dialect: InitDialect::Sqlite,
        server: Server::Sqlite,
        revisions: 14,
        table: "device_profile",
        stops: None,
    },
    History {
        dir: "kratos_sqlite",
        tool: SourceTool::Pop,
        source: "kratos/migrations",
        dialect: InitDialect::Sqlite,
        server: Server::Sqlite,
        revisions: 684,
        table: "identities",
        stops: None,
    },
    History {
        dir: "kratos_mysql",
        tool: SourceTool::Pop,
        source: "kratos/migrations",
        dialect: InitDialect::Mysql,
        server: Server::MySql,
        revisions: 345,
        table: "identities",
        stops: Some((
            "20200317160354000002",
            "Field 'created_at' doesn't have a default value",
        )),
    },
];

const MAIN_RS: &str = r#"use migrate_runtime::{embed_migrations, Migrator, Plan};

static DOCS_RS: Plan = embed_migrations!("migrations/docs_rs");
static CHIRPSTACK: Plan = embed_migrations!("migrations/chirpstack");
static KRATOS: Plan = embed_migrations!("migrations/kratos");
static CHIRPSTACK_SQLITE: Plan = embed_migrations!("migrations/chirpstack_sqlite");
static KRATOS_SQLITE: Plan = embed_migrations!("migrations/kratos_sqlite");
static KRATOS_MYSQL: Plan = embed_migrations!("migrations/kratos_mysql");

/// `import-embedded HISTORY URL`: upgrades the database to head.
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let plan: &'static Plan = match args[1].as_str() {
        "docs_rs" => &DOCS_RS,
        "chirpstack" => &CHIRPSTACK,
        "kratos" => &KRATOS,
        "chirpstack_sqlite" => &CHIRPSTACK_SQLITE,
        "kratos_sqlite" => &KRATOS_SQLITE,
        "kratos_mysql" => &KRATOS_MYSQL,
        other => panic!("no history {other}"),
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let result: Result<usize, migrate_runtime::Error> = runtime.block_on(async {
        let migrator = Migrator::new(plan);
        let db = migrator.open(&args[2]).await?;
        let report = migrator.upgrade(&db, "head").await;
        db.close().await;
        Ok(report?.revisions.len())
    });
    match result {
        Ok(applied) => println!("applied {applied}"),
        Err(error) => {
            eprintln!("{error}");
            std::process::exit(1);
        }
    }
}
"#;

/// `cargo migrate import --from TOOL SOURCE --dialect DIALECT
/// --mark-unchecked --allow-imported-errors` into `dir` (the command's own
/// function, as the binary runs it).
fn import(dir: &Path, tool: SourceTool, source: &Path, dialect: InitDialect) -> Result<(), String> {
    let args = ImportArgs {
        from: tool,
        source: source.to_path_buf(),
        downgrade_sql: None,
        alembic_versions: None,
        dialect: Some(dialect),
        mark_unchecked: true,
        allow_imported_errors: true,
    };
    let printer = migrate_runtime::cli::Printer::new(&Default::default());
    migrate_cli::cmd::import::import(dir, &args, migrate_cli::OutputFormat::Json, &printer)
        .map_err(|error| format!("{error:#}"))
}

/// The version table's rows: (revision, checksum, state), by revision.
async fn version_rows(db: &MigrateConnection) -> Vec<(String, String, String)> {
    const ROWS: &str = "SELECT revision, checksum, state FROM migrate_version ORDER BY revision";
    macro_rules! rows {
        ($pool:expr) => {
            sqlx::query(ROWS)
                .fetch_all($pool)
                .await
                .expect("the version table")
                .iter()
                .map(|row| (row.get(0), row.get(1), row.get(2)))
                .collect()
        };
    }
    match db {
        MigrateConnection::Postgres(pool) => rows!(pool),
        MigrateConnection::MySql(pool) => rows!(pool),
        MigrateConnection::Sqlite(pool) => rows!(pool),
    }
}

/// A fresh, empty database on `history`'s server, and what drops it.
fn database(
    history: &History,
    servers: &Servers,
    prefix: &str,
    files: &Path,
) -> (String, Option<(String, String)>) {
    match history.server {
        Server::Postgres => {
            let (url, name) = fresh_database(&servers.postgres, prefix);
            (url, Some((servers.postgres.clone(), name)))
        }
        Server::MySql => {
            let (url, name) = fresh_database(&servers.mysql, prefix);
            (url, Some((servers.mysql.clone(), name)))
        }
        Server::Sqlite => {
            let path = files.join(format!("{}_{prefix}.db", history.dir));
            (format!("sqlite://{}?mode=rwc", path.display()), None)
        }
    }
}

/// The servers' base URLs.
struct Servers {
    postgres: String,
    mysql: String,
}

#[test]
fn imported_histories_build_with_embed_migrations_and_apply_on_their_servers() {
    const TEST: &str = "imported_histories_build_with_embed_migrations_and_apply_on_their_servers";
    let (Some(_), Some(postgres), Some(mysql)) = (
        corpus("kratos"),
        server_url("MIGRATE_TEST_POSTGRES_URL", TEST),
        server_url("MIGRATE_TEST_MYSQL_URL", TEST),
    ) else {
        return;
    };
    let servers = Servers { postgres, mysql };
    let build_rs: String = std::iter::once("fn main() {\n".to_string())
        .chain(
            HISTORIES
                .iter()
                .map(|h| format!("    migrate_build::watch(\"migrations/{}\");\n", h.dir)),
        )
        .chain(std::iter::once("}\n".to_string()))
        .collect();
    let crate_dir = fixture_crate("import-embedded", &build_rs, MAIN_RS);
    let root = crate_dir.path();
    for history in &HISTORIES {
        let source = Path::new(CORPUS).join(history.source);
        let dir = root.join("migrations").join(history.dir);
        import(&dir, history.tool, &source, history.dialect)
            .unwrap_or_else(|error| panic!("{}: {error}", history.source));
    }
    let started = std::time::Instant::now();
    let output = cargo_build(root, false);
    eprintln!("cargo build of the crate: {:?}", started.elapsed());
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let files = tempfile::tempdir().expect("tempdir");
    for history in &HISTORIES {
        let dir = root.join("migrations").join(history.dir);
        // What `cargo migrate` would apply: the plan it builds at run time.
        let compiled = migrate_build::compile(&dir, &migrate_build::Options::new())
            .unwrap_or_else(|_| panic!("{} compiled in the build", history.dir));
        let plan = migrate_build::plan::plan(&compiled.config, &compiled.revisions);
        assert_eq!(plan.revisions().len(), history.revisions, "{}", history.dir);
        let (embedded_url, embedded_drop) =
            database(history, &servers, "import_embedded", files.path());
        let (cli_url, cli_drop) = database(history, &servers, "import_cli", files.path());
        let started = std::time::Instant::now();
        let (run, cli_run, rows, cli_rows, embedded, cli) = block_on(async {
            // chirpstack's first revision needs pg_trgm (its SOURCE.md).
            if history.dir == "chirpstack" {
                for url in [&embedded_url, &cli_url] {
                    let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(url)
                        .await
                        .expect("connect");
                    sqlx::query("CREATE EXTENSION IF NOT EXISTS pg_trgm")
                        .execute(&mut conn)
                        .await
                        .expect("pg_trgm");
                }
            }
            let run = tokio::task::spawn_blocking({
                let url = embedded_url.clone();
                let name = history.dir;
                move || {
                    Command::new(binary("import-embedded"))
                        .args([name, url.as_str()])
                        .output()
                        .expect("run the crate")
                }
            })
            .await
            .expect("the crate's run");
            let db = MigrateConnection::connect(&cli_url).await.expect("connect");
            let cli_run = Migrator::new(plan.clone())
                .upgrade(&db, "head")
                .await
                .map(|report| report.revisions.len())
                .map_err(|error| error.to_string());
            let cli_rows = version_rows(&db).await;
            let cli = introspect(&db).await.expect("the catalog");
            db.close().await;
            let db = MigrateConnection::connect(&embedded_url)
                .await
                .expect("connect");
            let rows = version_rows(&db).await;
            let embedded = introspect(&db).await.expect("the catalog");
            db.close().await;
            (run, cli_run, rows, cli_rows, embedded, cli)
        });
        for (base, name) in [embedded_drop, cli_drop].into_iter().flatten() {
            drop_database(&base, &name);
        }
        eprintln!("{}: applied twice in {:?}", history.dir, started.elapsed());
        let stderr = String::from_utf8_lossy(&run.stderr);
        match history.stops {
            None => {
                assert!(run.status.success(), "{}: {stderr}", history.dir);
                assert_eq!(
                    String::from_utf8_lossy(&run.stdout).trim(),
                    format!("applied {}", history.revisions)
                );
                assert_eq!(cli_run, Ok(history.revisions), "{}", history.dir);
                let mut expected: Vec<(String, String, String)> = plan
                    .revisions()
                    .iter()
                    .map(|r| (r.id().to_string(), r.checksum_hex(), "applied".to_string()))
                    .collect();
                expected.sort();
                assert_eq!(rows, expected, "{}: the version table", history.dir);
            }
            Some((revision, words)) => {
                // Both stop at the same revision, with the server's words.
                assert!(!run.status.success(), "{}: it applied", history.dir);
                let cli_error = cli_run.expect_err("the CLI's plan stops too");
                for error in [stderr.as_ref(), cli_error.as_str()] {
                    assert!(
                        error.contains(revision) && error.contains(words),
                        "{}: {error}",
                        history.dir
                    );
                }
                // Every revision before it in plan order is recorded as applied.
                let before: Vec<String> = plan
                    .revisions()
                    .iter()
                    .map(|r| r.id().to_string())
                    .take_while(|id| id != revision)
                    .collect();
                let applied: Vec<&String> = rows
                    .iter()
                    .filter(|(_, _, state)| state == "applied")
                    .map(|(id, _, _)| id)
                    .collect();
                assert_eq!(applied.len(), before.len(), "{}", history.dir);
                assert!(
                    applied.iter().all(|id| before.contains(id)),
                    "{}",
                    history.dir
                );
            }
        }
        assert_eq!(rows, cli_rows, "{}: the two version tables", history.dir);
        assert!(
            embedded
                .keys()
                .any(|key| format!("{key:?}").contains(history.table)),
            "{}: no table {}",
            history.dir,
            history.table
        );
        assert_eq!(
            catalog_differences(&cli, &embedded),
            Vec::<String>::new(),
            "{}: the embedded plan and the CLI's made different schemas",
            history.dir
        );
    }
}

/// crates.io's import keeps its broken down script (`CREATE INDEX
/// CONCURRENTLY` in a transaction); a crate that embeds it does not build,
/// and `cargo build` names the file and the rule.
#[test]
fn a_crate_embedding_crates_io_fails_to_build_at_its_broken_down_script() {
    let Some(source) = corpus("crates-io/migrations") else {
        return;
    };
    let crate_dir = fixture_crate(
        "import-embedded-crates-io",
        migrate_tests::fixture_crate::WATCH_MIGRATIONS,
        "static PLAN: migrate_runtime::Plan = migrate_runtime::embed_migrations!(\"migrations\");\n\n\
         fn main() {\n    println!(\"{}\", PLAN.revisions().len());\n}\n",
    );
    let root = crate_dir.path();
    let error = import(
        &root.join("migrations"),
        SourceTool::Diesel,
        &source,
        InitDialect::Postgres,
    )
    .expect_err("the import reports the error");
    assert!(error.contains("2 error(s)"), "{error}");
    let output = cargo_build(root, false);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(
        stderr.contains("requires-no-transaction")
            && stderr.contains("20240412144536_remove_downloads_column.sql"),
        "{stderr}"
    );
}
