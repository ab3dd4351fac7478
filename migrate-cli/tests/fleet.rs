//! `cargo migrate ... --fleet FILE`: the report, the exit code, JSON, the
//! masked URLs, `--sql` per target, and a fleet run killed with SIGKILL
//! midway then run again (PostgreSQL schemas: every revision applied once).

use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use migrate_test_support::{drop_database, fresh_database, server_url};
use sqlx::Connection as _;

fn cargo_migrate(dir: &Path, args: &[&str], url: Option<&str>) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_cargo-migrate"));
    command
        .arg("migrate")
        .args(args)
        .current_dir(dir)
        .env_remove("DATABASE_URL")
        .env("NO_COLOR", "1");
    if let Some(url) = url {
        command.env("DATABASE_URL", url);
    }
    command
}

fn run(dir: &Path, args: &[&str], url: Option<&str>) -> (i32, String, String) {
    let Output {
        status,
        stdout,
        stderr,
    } = cargo_migrate(dir, args, url)
        .output()
        .expect("cargo-migrate runs");
    (
        status.code().unwrap_or(-1),
        String::from_utf8_lossy(&stdout).into_owned(),
        String::from_utf8_lossy(&stderr).into_owned(),
    )
}

/// A migrations directory of `count` revisions for `dialect`; each writes
/// its id into `log` (so a second apply would show) and, on PostgreSQL,
/// sleeps `sleep` seconds.
fn history(root: &Path, dialect: &str, count: usize, sleep: f64) {
    let dir = root.join("migrations");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("migrate.toml"),
        format!("dialect = \"{dialect}\"\n"),
    )
    .unwrap();
    for n in 1..=count {
        let id = format!("f{n:011}");
        let parent = if n == 1 {
            "none".to_string()
        } else {
            format!("f{:011}", n - 1)
        };
        let mut up = String::new();
        if n == 1 {
            up.push_str("CREATE TABLE log (rev TEXT NOT NULL);\n");
        }
        up.push_str(&format!(
            "CREATE TABLE t{n} (id INT);\nINSERT INTO log (rev) VALUES ('{id}');\n"
        ));
        if sleep > 0.0 {
            up.push_str(&format!("SELECT pg_sleep({sleep});\n"));
        }
        let down = if n == 1 {
            "DROP TABLE t1;\nDROP TABLE log;\n".to_string()
        } else {
            format!("DROP TABLE t{n};\nDELETE FROM log WHERE rev = '{id}';\n")
        };
        std::fs::write(
            dir.join(format!("{id}_step_{n}.sql")),
            format!(
                "-- message: step {n}\n-- revision: {id}\n-- down_revision: {parent}\n\n-- migrate:upgrade\n{up}\n-- migrate:downgrade\n{down}"
            ),
        )
        .unwrap();
    }
}

#[test]
fn a_fleet_of_sqlite_files() {
    let root = tempfile::tempdir().unwrap();
    history(root.path(), "sqlite", 3, 0.0);
    let urls: Vec<String> = (0..5)
        .map(|i| format!("sqlite:{}", root.path().join(format!("t{i}.db")).display()))
        .collect();
    // The third target is made to fail: `t2` exists already.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let mut conn = sqlx::SqliteConnection::connect(&format!("{}?mode=rwc", urls[2]))
            .await
            .unwrap();
        sqlx::query("CREATE TABLE t2 (x INT)")
            .execute(&mut conn)
            .await
            .unwrap();
    });
    let mut file = String::from("# five tenants\n");
    for url in &urls {
        file.push_str(url);
        file.push('\n');
    }
    // A server that refuses: its password is never shown.
    file.push_str("postgres://app:s3cret@127.0.0.1:1/nothing\n");
    std::fs::write(root.path().join("targets.txt"), &file).unwrap();
    let dir = root.path();

    let (code, stdout, stderr) = run(
        dir,
        &[
            "upgrade",
            "head",
            "--fleet",
            "targets.txt",
            "--connect-timeout",
            "1",
        ],
        None,
    );
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(stdout.ends_with("4 at head, 2 failed\n"), "{stdout}");
    assert!(
        stdout.contains(&format!(
            "{}: applied f00000000001, f00000000002, f00000000003",
            urls[0]
        )),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("{}: failed: ", urls[2])),
        "{stdout}"
    );
    assert!(stdout.contains("t2"), "{stdout}");
    assert!(
        !stdout.contains("s3cret") && !stderr.contains("s3cret"),
        "{stdout}{stderr}"
    );
    assert!(
        stdout.contains("postgres://app:***@127.0.0.1:1/nothing: failed"),
        "{stdout}"
    );
    assert!(stderr.contains("error: 2 of 6 targets failed"), "{stderr}");

    // Resume as JSON: the four at head do nothing.
    let (code, stdout, _) = run(
        dir,
        &[
            "upgrade",
            "head",
            "--fleet",
            "targets.txt",
            "--format",
            "json",
            "--connect-timeout",
            "1",
        ],
        None,
    );
    assert_eq!(code, 1);
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["failed"], 2);
    assert_eq!(report["summary"], "4 at head, 2 failed");
    assert_eq!(report["targets"][0]["status"], "ok");
    assert_eq!(report["targets"][0]["revisions"], serde_json::json!([]));
    assert_eq!(report["targets"][2]["status"], "failed");
    assert!(!stdout.contains("s3cret"));

    // The file without the refused server and the failing file.
    let healthy: Vec<&str> = urls
        .iter()
        .map(String::as_str)
        .filter(|u| *u != urls[2])
        .collect();
    std::fs::write(root.path().join("healthy.txt"), healthy.join("\n")).unwrap();
    let (code, stdout, _) = run(dir, &["current", "--fleet", "healthy.txt"], None);
    assert_eq!(code, 0, "{stdout}");
    assert!(stdout.ends_with("4 at f00000000003\n"), "{stdout}");
    let (code, stdout, _) = run(dir, &["downgrade", "-1", "--fleet", "healthy.txt"], None);
    assert_eq!(code, 0, "{stdout}");
    assert!(stdout.ends_with("4 at -1\n"), "{stdout}");
    let (code, stdout, _) = run(dir, &["check", "--fleet", "healthy.txt"], None);
    assert_eq!(code, 1, "{stdout}");
    assert!(stdout.ends_with("4 behind\n"), "{stdout}");
    let (code, stdout, _) = run(dir, &["stamp", "head", "--fleet", "healthy.txt"], None);
    assert_eq!(code, 0, "{stdout}");
    let (code, stdout, _) = run(dir, &["check", "--fleet", "healthy.txt"], None);
    assert_eq!(code, 0, "{stdout}");
    assert!(stdout.ends_with("4 at head\n"), "{stdout}");

    // One script a target, no database touched.
    let (code, stdout, _) = run(
        dir,
        &["upgrade", "head", "--sql", "--fleet", "healthy.txt"],
        None,
    );
    assert_eq!(code, 0, "{stdout}");
    assert_eq!(
        stdout.matches("-- fleet target: sqlite:").count(),
        4,
        "{stdout}"
    );
    assert_eq!(stdout.matches("CREATE TABLE t3").count(), 4);

    // The same targets from a query on a control database.
    let control = format!("sqlite:{}", root.path().join("control.db").display());
    runtime.block_on(async {
        let mut conn = sqlx::SqliteConnection::connect(&format!("{control}?mode=rwc"))
            .await
            .unwrap();
        sqlx::query("CREATE TABLE tenants (url TEXT NOT NULL)")
            .execute(&mut conn)
            .await
            .unwrap();
        for url in &healthy {
            sqlx::query("INSERT INTO tenants (url) VALUES (?)")
                .bind(*url)
                .execute(&mut conn)
                .await
                .unwrap();
        }
    });
    let query = [
        "current",
        "--targets-query",
        "SELECT url FROM tenants ORDER BY url",
    ];
    let (code, stdout, stderr) = run(dir, &query, Some(&control));
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.ends_with("4 at f00000000003\n"), "{stdout}");
    assert!(
        stdout.starts_with(&format!("{}: at f00000000003\n", urls[0])),
        "{stdout}"
    );

    // Bad input names the file and line.
    std::fs::write(root.path().join("bad.txt"), "tenant 1\n").unwrap();
    let (code, _, stderr) = run(dir, &["upgrade", "head", "--fleet", "bad.txt"], None);
    assert_eq!(code, 1);
    assert!(stderr.contains("bad.txt:1"), "{stderr}");
}

/// `SELECT` of one BIGINT.
async fn count(conn: &mut sqlx::PgConnection, sql: &str) -> i64 {
    sqlx::query_scalar(sql)
        .fetch_one(conn)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// A count summed over every `tenant_%` schema, in one query.
fn per_schema(query: &str) -> String {
    format!(
        "SELECT CAST(COALESCE(SUM((xpath('/row/c/text()', query_to_xml(format('{query}', nspname), false, true, '')))[1]::text::bigint), 0) AS BIGINT) \
         FROM pg_namespace n WHERE nspname LIKE 'tenant\\_%' \
         AND EXISTS (SELECT 1 FROM pg_tables WHERE schemaname = n.nspname AND tablename = 'migrate_version')"
    )
}

#[test]
fn a_schema_fleet_killed_midway_resumes() {
    let Some(base) = server_url(
        "MIGRATE_TEST_POSTGRES_URL",
        "a_schema_fleet_killed_midway_resumes",
    ) else {
        return;
    };
    let (url, name) = fresh_database(&base, "fleet_kill");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let root = tempfile::tempdir().unwrap();
    history(root.path(), "postgres", 5, 0.02);
    let targets = 200;
    let mut file = String::new();
    for i in 0..targets {
        file.push_str(&format!("tenant_{i:03}\n"));
    }
    std::fs::write(root.path().join("tenants.txt"), file).unwrap();
    let args = [
        "upgrade",
        "head",
        "--fleet",
        "tenants.txt",
        "--concurrency",
        "8",
    ];
    let mut child = cargo_migrate(root.path(), &args, Some(&url))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut db = runtime.block_on(sqlx::PgConnection::connect(&url)).unwrap();
    // Kill once a few dozen targets are done, well before the end.
    let started = Instant::now();
    let rows_sql = per_schema("SELECT COUNT(*) AS c FROM %I.migrate_version");
    loop {
        let rows = runtime.block_on(count(&mut db, &rows_sql));
        if rows >= 150 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "the fleet made no progress"
        );
        assert!(
            child.try_wait().unwrap().is_none(),
            "the fleet ended before the kill"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let rows_at_kill = runtime.block_on(count(&mut db, &rows_sql));
    assert!(
        rows_at_kill < 5 * targets,
        "killed after the end: {rows_at_kill} rows"
    );

    let (code, stdout, stderr) = run(root.path(), &args, Some(&url));
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(
        stdout.ends_with(&format!("{targets} at head\n")),
        "{stdout}"
    );
    let check = run(
        root.path(),
        &["check", "--fleet", "tenants.txt"],
        Some(&url),
    );
    assert_eq!(check.0, 0, "{}{}", check.1, check.2);

    // Every revision applied exactly once, in every schema.
    let applied = runtime.block_on(count(
        &mut db,
        &per_schema("SELECT COUNT(*) AS c FROM %I.migrate_version WHERE state = ''applied''"),
    ));
    assert_eq!(applied, 5 * targets);
    let logged = runtime.block_on(count(
        &mut db,
        &per_schema("SELECT COUNT(*) AS c FROM %I.log"),
    ));
    assert_eq!(logged, 5 * targets, "a revision ran twice or not at all");
    let distinct = runtime.block_on(count(
        &mut db,
        &per_schema("SELECT COUNT(DISTINCT rev) AS c FROM %I.log"),
    ));
    assert_eq!(distinct, 5 * targets);
    runtime.block_on(db.close()).unwrap();
    drop_database(&base, &name);
}
