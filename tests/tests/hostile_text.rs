//! Text from files (ids, paths, statements) can change neither the meaning
//! of the version table's values nor the statements of an offline script,
//! whatever the server's settings:
//!
//! - PostgreSQL with `standard_conforming_strings = off` (backslashes then
//!   escape in plain literals) and MariaDB with and without
//!   `NO_BACKSLASH_ESCAPES` store every id and stored downgrade exactly;
//! - a `--sql` script of a plan whose file name and id hold a line break
//!   followed by `DROP TABLE users;` runs through `psql` and the `mariadb`
//!   client without running that statement.
//!
//! The compiler refuses such ids and file names (`illegal-revision-id`,
//! `illegal-file-name`); these plans are built by hand, as an older
//! compiler or an application could build them, to show the runtime does
//! not rely on it.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use migrate_runtime::{Dialect, MigrateConnection, Migrator, Plan, Text};
use migrate_tests::{PlanBuilder, TestDb};

/// Ids a backslash-escaping server would misread: `a\4` became `a` +
/// U+0004, `a\'` ended the literal early and broke the batch.
const IDS: [&str; 3] = ["a\\4", "a\\'", "b\\\\'x"];

/// A downgrade statement whose stored JSON holds backslashes and quotes.
const DOWNGRADE: &str = "DELETE FROM items WHERE name = 'it''s \\ \"q\"'";

fn backslash_plan(dialect: Dialect) -> Plan {
    PlanBuilder::new()
        .rev(
            IDS[0],
            &[],
            &["CREATE TABLE items (name VARCHAR(100))"],
            &["DROP TABLE items"],
        )
        .rev(IDS[1], &[IDS[0]], &["SELECT 1"], &[DOWNGRADE])
        .rev(IDS[2], &[IDS[1]], &["SELECT 2"], &["SELECT 3"])
        .dialect(dialect)
        .build()
}

/// `revision -> downgrade_sql` as stored.
async fn stored(db: &MigrateConnection) -> BTreeMap<String, String> {
    let sql = "SELECT revision, downgrade_sql FROM migrate_version";
    let rows: Vec<(String, String)> =
        match db {
            MigrateConnection::Postgres(pool) => sqlx::query_as(sql).fetch_all(pool).await,
            MigrateConnection::MySql(pool) => sqlx::query_as(
                "SELECT CAST(revision AS CHAR), CAST(downgrade_sql AS CHAR) FROM migrate_version",
            )
            .fetch_all(pool)
            .await,
            MigrateConnection::Sqlite(pool) => sqlx::query_as(sql).fetch_all(pool).await,
        }
        .expect("version rows");
    rows.into_iter().collect()
}

/// The rows must hold exactly the plan's ids, and each stored downgrade
/// must hold its statements byte for byte.
fn assert_exact(rows: &BTreeMap<String, String>, context: &str) {
    let ids: Vec<&str> = rows.keys().map(String::as_str).collect();
    let mut expected = IDS.to_vec();
    expected.sort_unstable();
    assert_eq!(ids, expected, "{context}: stored ids");
    let json = &rows[IDS[1]];
    let quoted = DOWNGRADE.replace('\\', "\\\\").replace('"', "\\\"");
    assert!(
        json.contains(&format!("\"sql\":\"{quoted}\"")),
        "{context}: stored downgrade {json}"
    );
}

async fn setting(db: &MigrateConnection, query: &str) -> String {
    match db {
        MigrateConnection::Postgres(pool) => sqlx::query_scalar(query).fetch_one(pool).await,
        MigrateConnection::MySql(pool) => sqlx::query_scalar(query).fetch_one(pool).await,
        MigrateConnection::Sqlite(pool) => sqlx::query_scalar(query).fetch_one(pool).await,
    }
    .expect("setting")
}

/// Runs `script` through the server's own command-line client on `db`,
/// after `preamble`; panics when the client fails.
fn run_client(t: &TestDb, preamble: &str, script: &str) {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("script.sql");
    std::fs::write(&file, format!("{preamble}\n{script}")).expect("write script");
    let output = match t.kind {
        migrate_tests::Kind::Postgres => Command::new("psql")
            .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", &t.url, "-f"])
            .arg(&file)
            .output(),
        _ => {
            let url = url::Url::parse(&t.url).expect("MySQL URL");
            let mut command = Command::new(mysql_client());
            command
                .arg(format!("--host={}", url.host_str().unwrap_or("127.0.0.1")))
                .arg(format!("--port={}", url.port().unwrap_or(3306)))
                .arg(format!("--user={}", url.username()))
                .arg(&t.name)
                .stdin(std::fs::File::open(&file).expect("open script"));
            if let Some(password) = url.password() {
                command.env("MYSQL_PWD", password);
            }
            command.output()
        }
    }
    .expect("the database client runs (psql / mariadb)");
    assert!(
        output.status.success(),
        "client failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

fn mysql_client() -> &'static str {
    let found = |name: &str| {
        std::env::var_os("PATH")
            .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(name).is_file()))
    };
    if found("mariadb") {
        "mariadb"
    } else {
        "mysql"
    }
}

async fn server(kind: migrate_tests::Kind, test: &str) -> Option<TestDb> {
    let db = match kind {
        migrate_tests::Kind::Postgres => TestDb::postgres(test).await,
        _ => TestDb::mysql(test).await,
    };
    if db.is_none() && std::env::var_os("CI").is_some() {
        panic!("{test}: the server's URL variable is not set");
    }
    db
}

#[tokio::test]
async fn postgres_values_mean_the_same_with_standard_conforming_strings_off() {
    let Some(t) = server(migrate_tests::Kind::Postgres, "scs_off").await else {
        return;
    };
    t.exec(&format!(
        "ALTER DATABASE {} SET standard_conforming_strings = off",
        t.name
    ))
    .await;
    // The setting applies to new sessions.
    let db = t.another_pool().await;
    assert_eq!(
        setting(&db, "SHOW standard_conforming_strings").await,
        "off"
    );

    let plan: &'static Plan = Box::leak(Box::new(backslash_plan(Dialect::Postgres)));
    let migrator = Migrator::new(plan);
    migrator.upgrade(&db, "head").await.expect("upgrade");
    assert_exact(
        &stored(&db).await,
        "online, standard_conforming_strings off",
    );
    let mut current = migrator.current(&db).await.expect("current");
    current.sort();
    assert_eq!(current, [IDS[2]]);
    // Down and up again: the stored rows are found by the same literals.
    migrator.downgrade(&db, "base").await.expect("downgrade");
    assert!(stored(&db).await.is_empty());

    // The offline script, run by psql with the setting off and on.
    let script = migrator
        .sql("base:head", Dialect::Postgres)
        .expect("script");
    for (preamble, context) in [
        ("SET standard_conforming_strings = off;", "psql, off"),
        ("SET standard_conforming_strings = on;", "psql, on"),
    ] {
        t.exec("DROP TABLE IF EXISTS migrate_version, migrate_version_summary, items")
            .await;
        run_client(&t, preamble, &script);
        assert_exact(&stored(&db).await, context);
    }
    db.close().await;
    t.drop_database().await;
}

#[tokio::test]
async fn mysql_values_mean_the_same_with_and_without_backslash_escapes() {
    let Some(t) = server(migrate_tests::Kind::MySql, "backslash").await else {
        return;
    };
    let mode = setting(&t.db, "SELECT CAST(@@SESSION.sql_mode AS CHAR)").await;
    assert!(
        !mode.contains("NO_BACKSLASH_ESCAPES"),
        "the online run tests backslash escapes on: {mode}"
    );
    let plan: &'static Plan = Box::leak(Box::new(backslash_plan(Dialect::MySql)));
    let migrator = Migrator::new(plan);
    migrator.upgrade(&t.db, "head").await.expect("upgrade");
    assert_exact(&stored(&t.db).await, "online, backslash escapes");
    migrator.downgrade(&t.db, "base").await.expect("downgrade");
    assert!(stored(&t.db).await.is_empty());

    let script = migrator.sql("base:head", Dialect::MySql).expect("script");
    for (preamble, context) in [
        (
            "SET SESSION sql_mode = CONCAT(@@sql_mode, ',NO_BACKSLASH_ESCAPES');",
            "client, NO_BACKSLASH_ESCAPES",
        ),
        ("SET SESSION sql_mode = '';", "client, backslash escapes"),
    ] {
        t.exec("DROP TABLE IF EXISTS migrate_version, migrate_version_summary, items")
            .await;
        run_client(&t, preamble, &script);
        assert_exact(&stored(&t.db).await, context);
    }
    t.drop_database().await;
}

/// A plan whose file names and second id carry `DROP TABLE users;` after a
/// line break (the issue's file `a1_create_items<LF>DROP TABLE users;<LF>-- .sql`).
fn injecting_plan(dialect: Dialect) -> Plan {
    let injected = "\nDROP TABLE users;\n-- ";
    let second = format!("b2{injected}");
    PlanBuilder::new()
        .rev(
            "a1",
            &[],
            &["CREATE TABLE items (id INTEGER)"],
            &["DROP TABLE items"],
        )
        .rev(&second, &["a1"], &["SELECT 1"], &["SELECT 2"])
        .edit(|revision| {
            revision.file = Text::from(format!(
                "migrations/{}_create_items{injected}\r.sql",
                revision.id()
            ));
            revision.message = Text::from(format!("create items{injected}"));
        })
        .dialect(dialect)
        .build()
}

async fn offline_script_runs_no_injected_statement(kind: migrate_tests::Kind) {
    let Some(t) = server(kind, "injection").await else {
        return;
    };
    t.exec("CREATE TABLE users (id INTEGER)").await;
    let dialect = match kind {
        migrate_tests::Kind::Postgres => Dialect::Postgres,
        _ => Dialect::MySql,
    };
    let plan: &'static Plan = Box::leak(Box::new(injecting_plan(dialect)));
    let migrator = Migrator::new(plan);
    for range in ["base:head"] {
        let script = migrator.sql(range, dialect).expect("script");
        for line in script.lines() {
            assert!(
                !line.starts_with("DROP TABLE users"),
                "a statement line came from a file name:\n{script}"
            );
        }
        run_client(&t, "", &script);
        assert!(
            t.tables().await.contains("users"),
            "the injected DROP TABLE ran:\n{script}"
        );
        assert!(t.tables().await.contains("items"));
    }
    let rows = stored(&t.db).await;
    assert_eq!(
        rows.keys().map(String::as_str).collect::<Vec<_>>(),
        ["a1", "b2\nDROP TABLE users;\n-- "],
        "ids are stored as they are"
    );
    let downgrade = migrator.sql("head:base", dialect).expect("script");
    run_client(&t, "", &downgrade);
    assert!(t.tables().await.contains("users"));
    assert!(!t.tables().await.contains("items"));
    t.drop_database().await;
}

#[tokio::test]
async fn postgres_offline_script_runs_no_statement_from_a_file_name() {
    offline_script_runs_no_injected_statement(migrate_tests::Kind::Postgres).await;
}

#[tokio::test]
async fn mysql_offline_script_runs_no_statement_from_a_file_name() {
    offline_script_runs_no_injected_statement(migrate_tests::Kind::MySql).await;
}

/// The compiler refuses the file name outright.
#[test]
fn the_compiler_refuses_a_file_name_with_a_line_break() {
    let dir = tempfile::tempdir().expect("tempdir");
    let name = "a1_create_items\nDROP TABLE users;\n-- .sql";
    std::fs::write(
        dir.path().join(name),
        "-- revision: a1\n-- down_revision: none\n\n-- migrate:upgrade\nCREATE TABLE items (id INTEGER);\n",
    )
    .expect("write");
    let failure = migrate_build::compile(
        dir.path(),
        &migrate_build::Options::new().display_dir(Path::new("migrations")),
    )
    .expect_err("a file name with a line break is a build error");
    let rendered = failure.render(migrate_build::Style::Plain);
    assert!(rendered.contains("illegal-file-name"), "{rendered}");
    assert!(!rendered.contains("\nDROP TABLE"), "{rendered}");
}
