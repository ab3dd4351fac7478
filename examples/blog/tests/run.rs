//! Runs the blog binary as a user would: on SQLite in an empty working
//! directory (no `DATABASE_URL`), and on a fresh PostgreSQL database when
//! `MIGRATE_TEST_POSTGRES_URL` is set.

use std::path::Path;
use std::process::{Command, Output};

use migrate_test_support::{drop_database, fresh_database, server_url, POSTGRES};
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

#[test]
fn postgres_with_a_concurrent_index() {
    let Some(admin_url) = server_url(POSTGRES, "postgres_with_a_concurrent_index") else {
        return;
    };
    let runtime = tokio::runtime::Runtime::new().expect("tokio");
    let (url, name) = fresh_database(&admin_url, "blog_t");
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
    });
    drop_database(&admin_url, &name);
}
