//! Runs the blog binary as a user would: on SQLite in an empty working
//! directory (no `DATABASE_URL`), and on a fresh PostgreSQL database when
//! `MIGRATE_TEST_POSTGRES_URL` is set.

use std::path::Path;
use std::process::{Command, Output};

use sqlx::{PgPool, SqlitePool};

fn blog(dir: &Path, url: Option<&str>, args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_blog"));
    command.current_dir(dir).args(args).env("NO_COLOR", "1");
    match url {
        Some(url) => command.env("DATABASE_URL", url),
        None => command.env_remove("DATABASE_URL"),
    };
    command.output().expect("the blog runs")
}

fn stdout_of(output: &Output) -> String {
    assert!(
        output.status.success(),
        "blog failed ({}): {}{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

const REVISIONS: [&str; 5] = [
    "a1c3e5f70b12",
    "b2d4f6081c23",
    "c3e5071a2d34",
    "d4f6182b3e45",
    "e507293c4f56",
];

/// The first run applies every revision and writes a post; the second has
/// nothing to migrate; the migrate verbs move the same database.
fn first_second_and_verbs(dir: &Path, url: Option<&str>) {
    let first = stdout_of(&blog(dir, url, &[]));
    for id in REVISIONS {
        assert!(first.contains(&format!("applied {id}")), "{first}");
    }
    assert!(
        first.contains("blog: 1 user(s), 1 post(s), 1 tag(s)"),
        "{first}"
    );
    let second = stdout_of(&blog(dir, url, &[]));
    assert!(second.contains("nothing to do"), "{second}");
    assert!(
        second.contains("blog: 1 user(s), 2 post(s), 1 tag(s)"),
        "{second}"
    );

    let current = stdout_of(&blog(dir, url, &["migrate", "current"]));
    assert!(current.contains("e507293c4f56"), "{current}");
    assert!(blog(dir, url, &["migrate", "check"]).status.success());
    stdout_of(&blog(dir, url, &["migrate", "downgrade", "-1"]));
    let check = blog(dir, url, &["migrate", "check"]);
    assert_eq!(check.status.code(), Some(1), "check fails below head");
    stdout_of(&blog(dir, url, &["migrate", "upgrade", "head"]));
    assert!(blog(dir, url, &["migrate", "check"]).status.success());
    stdout_of(&blog(dir, url, &["migrate", "downgrade", "base"]));
}

fn sorted(mut names: Vec<String>) -> Vec<String> {
    names.sort();
    names
}

#[test]
fn sqlite_file_in_the_working_directory() {
    let dir = tempfile::tempdir().expect("temporary directory");
    first_second_and_verbs(dir.path(), None);
    assert!(dir.path().join("blog.db").exists(), "blog.db is created");
    let runtime = tokio::runtime::Runtime::new().expect("tokio");
    let tables = runtime.block_on(async {
        let url = format!("sqlite://{}", dir.path().join("blog.db").display());
        let pool = SqlitePool::connect(&url).await.expect("blog.db opens");
        let tables: Vec<String> = sqlx::query_scalar(
            "SELECT name FROM sqlite_master WHERE type IN ('table', 'index') AND name NOT LIKE 'sqlite_%'",
        )
        .fetch_all(&pool)
        .await
        .expect("tables");
        pool.close().await;
        tables
    });
    assert_eq!(
        sorted(tables),
        ["migrate_version", "migrate_version_summary"],
        "downgrade base leaves only the version tables"
    );
}

/// `scheme://auth@host/db?query` with another database.
fn with_database(url: &str, database: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let authority = base.find("://").map_or(0, |p| p + 3);
    let path = base[authority..]
        .find('/')
        .map_or(base.len(), |p| p + authority);
    match query {
        Some(query) => format!("{}/{database}?{query}", &base[..path]),
        None => format!("{}/{database}", &base[..path]),
    }
}

#[test]
fn postgres_with_a_concurrent_index() {
    let Ok(admin_url) = std::env::var("MIGRATE_TEST_POSTGRES_URL") else {
        assert!(
            std::env::var_os("CI").is_none(),
            "postgres_with_a_concurrent_index: CI is set but MIGRATE_TEST_POSTGRES_URL is not"
        );
        // Past the harness's capture, so that the skip is seen.
        use std::io::Write as _;
        let _ = writeln!(
            std::io::stderr(),
            "skipped postgres_with_a_concurrent_index: MIGRATE_TEST_POSTGRES_URL is not set (this test did not run)"
        );
        return;
    };
    let runtime = tokio::runtime::Runtime::new().expect("tokio");
    let name = format!("blog_t_{}", std::process::id());
    let url = with_database(&admin_url, &name);
    runtime.block_on(async {
        let admin = PgPool::connect(&admin_url).await.expect("postgres");
        // Two messages: a multi-statement string is one implicit transaction.
        for sql in [
            format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
            format!("CREATE DATABASE {name}"),
        ] {
            sqlx::raw_sql(&sql)
                .execute(&admin)
                .await
                .expect("fresh database");
        }
        admin.close().await;
    });
    let dir = tempfile::tempdir().expect("temporary directory");
    stdout_of(&blog(dir.path(), Some(&url), &[]));
    let indexes = runtime.block_on(async {
        let pool = PgPool::connect(&url).await.expect("blog database");
        let indexes: Vec<String> = sqlx::query_scalar(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'idx_posts_published_at'",
        )
        .fetch_all(&pool)
        .await
        .expect("indexes");
        pool.close().await;
        indexes
    });
    assert_eq!(indexes.len(), 1);
    assert!(
        indexes[0].contains("WHERE (published_at IS NOT NULL)"),
        "{indexes:?}"
    );
    stdout_of(&blog(
        dir.path(),
        Some(&url),
        &["migrate", "downgrade", "base"],
    ));
    first_second_and_verbs(dir.path(), Some(&url));
    runtime.block_on(async {
        let pool = PgPool::connect(&url).await.expect("blog database");
        let tables: Vec<String> = sqlx::query_scalar(
            "SELECT tablename::text FROM pg_tables WHERE schemaname = current_schema()",
        )
        .fetch_all(&pool)
        .await
        .expect("tables");
        pool.close().await;
        assert_eq!(
            sorted(tables),
            ["migrate_version", "migrate_version_summary"],
            "downgrade base leaves only the version tables"
        );
        let admin = PgPool::connect(&admin_url).await.expect("postgres");
        let _ = sqlx::raw_sql(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .execute(&admin)
            .await;
        admin.close().await;
    });
}
