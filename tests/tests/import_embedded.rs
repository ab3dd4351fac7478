//! An imported history is an ordinary migrations directory: `cargo migrate
//! import` writes real histories of `shared/corpus/` (docs.rs with sqlx,
//! chirpstack with diesel, kratos with pop) into the `migrations/` of a
//! generated application crate, with no edit by hand; `cargo build` compiles
//! them with `embed_migrations!` (through the build script's `watch`), and the
//! binary applies each one on PostgreSQL. Afterwards the version table holds
//! every imported revision with the checksum the importer's files compile to,
//! and the catalog equals the one `cargo migrate upgrade head`'s path (the
//! owned plan the CLI builds at run time) gives on another fresh database.
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

/// One history: where it comes from and the directory it is imported into.
struct History {
    dir: &'static str,
    tool: SourceTool,
    source: &'static str,
    revisions: usize,
    /// A table its head creates.
    table: &'static str,
}

const HISTORIES: [History; 3] = [
    History {
        dir: "docs_rs",
        tool: SourceTool::Sqlx,
        source: "docs-rs/migrations",
        revisions: 33,
        table: "releases",
    },
    History {
        dir: "chirpstack",
        tool: SourceTool::Diesel,
        source: "chirpstack/migrations_postgres",
        revisions: 31,
        table: "device_profile",
    },
    History {
        dir: "kratos",
        tool: SourceTool::Pop,
        source: "kratos/migrations",
        revisions: 341,
        table: "identities",
    },
];

const MAIN_RS: &str = r#"use migrate_runtime::{embed_migrations, Migrator, Plan};

static DOCS_RS: Plan = embed_migrations!("migrations/docs_rs");
static CHIRPSTACK: Plan = embed_migrations!("migrations/chirpstack");
static KRATOS: Plan = embed_migrations!("migrations/kratos");

/// `import-embedded HISTORY URL`: upgrades the database to head.
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let plan: &'static Plan = match args[1].as_str() {
        "docs_rs" => &DOCS_RS,
        "chirpstack" => &CHIRPSTACK,
        "kratos" => &KRATOS,
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

/// `cargo migrate import --from TOOL SOURCE --dialect postgres
/// --mark-unchecked --allow-imported-errors` into `dir` (the command's own
/// function, as the binary runs it).
fn import(dir: &Path, tool: SourceTool, source: &Path) -> Result<(), String> {
    let args = ImportArgs {
        from: tool,
        source: source.to_path_buf(),
        downgrade_sql: None,
        alembic_versions: None,
        dialect: Some(migrate_cli::InitDialect::Postgres),
        mark_unchecked: true,
        allow_imported_errors: true,
    };
    let printer = migrate_runtime::cli::Printer::new(&Default::default());
    migrate_cli::cmd::import::import(dir, &args, migrate_cli::OutputFormat::Json, &printer)
        .map_err(|error| format!("{error:#}"))
}

/// The version table's rows: (revision, checksum, state), by revision.
async fn version_rows(url: &str) -> Vec<(String, String, String)> {
    let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(url)
        .await
        .expect("connect");
    let rows =
        sqlx::query("SELECT revision, checksum, state FROM migrate_version ORDER BY revision")
            .fetch_all(&mut conn)
            .await
            .expect("the version table");
    rows.iter()
        .map(|row| (row.get(0), row.get(1), row.get(2)))
        .collect()
}

#[test]
fn imported_histories_build_with_embed_migrations_and_apply_on_postgres() {
    let (Some(_), Some(base)) = (
        corpus("kratos"),
        server_url(
            "MIGRATE_TEST_POSTGRES_URL",
            "imported_histories_build_with_embed_migrations_and_apply_on_postgres",
        ),
    ) else {
        return;
    };
    let crate_dir = fixture_crate(
        "import-embedded",
        "fn main() {\n    migrate_build::watch(\"migrations/docs_rs\");\n    \
         migrate_build::watch(\"migrations/chirpstack\");\n    migrate_build::watch(\"migrations/kratos\");\n}\n",
        MAIN_RS,
    );
    let root = crate_dir.path();
    for history in &HISTORIES {
        let source = Path::new(CORPUS).join(history.source);
        import(
            &root.join("migrations").join(history.dir),
            history.tool,
            &source,
        )
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
    for history in &HISTORIES {
        let dir = root.join("migrations").join(history.dir);
        // What `cargo migrate` would apply: the plan it builds at run time.
        let compiled = migrate_build::compile(&dir, &migrate_build::Options::new())
            .unwrap_or_else(|_| panic!("{} compiled in the build", history.dir));
        let plan = migrate_build::plan::plan(&compiled.config, &compiled.revisions);
        assert_eq!(plan.revisions().len(), history.revisions, "{}", history.dir);
        let (embedded_url, embedded_db) = fresh_database(&base, "import_embedded");
        let (cli_url, cli_db) = fresh_database(&base, "import_cli");
        let started = std::time::Instant::now();
        let (run, rows, embedded, cli) = block_on(async {
            for url in [&embedded_url, &cli_url] {
                // chirpstack's first revision needs pg_trgm (its SOURCE.md).
                if history.dir == "chirpstack" {
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
            let rows = version_rows(&embedded_url).await;
            let db = MigrateConnection::connect(&cli_url).await.expect("connect");
            Migrator::new(plan.clone())
                .upgrade(&db, "head")
                .await
                .expect("the CLI's plan applies");
            let cli = introspect(&db).await.expect("the catalog");
            db.close().await;
            let db = MigrateConnection::connect(&embedded_url)
                .await
                .expect("connect");
            let embedded = introspect(&db).await.expect("the catalog");
            db.close().await;
            (run, rows, embedded, cli)
        });
        drop_database(&base, &embedded_db);
        drop_database(&base, &cli_db);
        eprintln!("{}: applied twice in {:?}", history.dir, started.elapsed());
        assert!(
            run.status.success(),
            "{}: {}",
            history.dir,
            String::from_utf8_lossy(&run.stderr)
        );
        assert_eq!(
            String::from_utf8_lossy(&run.stdout).trim(),
            format!("applied {}", history.revisions)
        );
        let mut expected: Vec<(String, String, String)> = plan
            .revisions()
            .iter()
            .map(|r| (r.id().to_string(), r.checksum_hex(), "applied".to_string()))
            .collect();
        expected.sort();
        assert_eq!(rows, expected, "{}: the version table", history.dir);
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
    let error = import(&root.join("migrations"), SourceTool::Diesel, &source)
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
