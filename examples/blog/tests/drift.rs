//! `blog migrate check --drift`: the application's own binary compares the
//! database with the schema model of its embedded plan (the blog's history
//! has a branch and a merge), on SQLite and PostgreSQL. A migrated database
//! has no drift (exit 0); a column added and an index dropped by hand are
//! reported, exactly those two, as text and as JSON (exit 1).

use std::path::Path;
use std::process::{Command, Output};

use migrate_test_support::{drop_database, fresh_database, server_url, POSTGRES};

fn blog(dir: &Path, url: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_blog"))
        .current_dir(dir)
        .args(args)
        .env("NO_COLOR", "1")
        .env("DATABASE_URL", url)
        .output()
        .expect("the blog runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Runs SQL on the database by hand (not through the tool).
async fn by_hand(url: &str, sql: &str) {
    use sqlx::Connection as _;
    if url.starts_with("sqlite") {
        let mut conn = sqlx::SqliteConnection::connect(url).await.expect("opens");
        sqlx::raw_sql(sql).execute(&mut conn).await.expect(sql);
    } else {
        let mut conn = sqlx::PgConnection::connect(url).await.expect("connects");
        sqlx::raw_sql(sql).execute(&mut conn).await.expect(sql);
    }
}

fn drift_by_hand(dir: &Path, url: &str, database: &str) {
    let served = blog(dir, url, &[]);
    assert!(served.status.success(), "{}", text(&served.stderr));

    let clean = blog(dir, url, &["migrate", "check", "--drift"]);
    assert_eq!(
        clean.status.code(),
        Some(0),
        "{}{}",
        text(&clean.stdout),
        text(&clean.stderr)
    );
    assert!(
        text(&clean.stderr)
            .contains("no drift: the database matches the history's schema at e507293c4f56"),
        "{}",
        text(&clean.stderr)
    );
    let clean_json = blog(
        dir,
        url,
        &["migrate", "check", "--drift", "--format", "json"],
    );
    assert_eq!(clean_json.status.code(), Some(0));
    let json: serde_json::Value = serde_json::from_slice(&clean_json.stdout).expect("JSON");
    assert_eq!(json["drift"], false, "{json}");
    assert_eq!(json["differences"], serde_json::json!([]), "{json}");
    assert_eq!(
        json["current"],
        serde_json::json!(["e507293c4f56"]),
        "{json}"
    );

    tokio::runtime::Runtime::new()
        .expect("tokio")
        .block_on(by_hand(
            url,
            "ALTER TABLE posts ADD COLUMN subtitle TEXT; DROP INDEX idx_posts_author_id;",
        ));

    let drifted = blog(dir, url, &["migrate", "check", "--drift"]);
    assert_eq!(drifted.status.code(), Some(1), "{}", text(&drifted.stderr));
    assert_eq!(
        text(&drifted.stdout),
        format!(
            "drift: the database ({database}) differs from the history's schema at e507293c4f56:\n  \
             index idx_posts_author_id: in the model, not in the database\n  \
             table posts: column subtitle: in the database, not in the model\n"
        )
    );
    assert!(
        text(&drifted.stderr)
            .contains("error: the database has drifted from the history's schema: 2 differences"),
        "{}",
        text(&drifted.stderr)
    );
    let drifted_json = blog(
        dir,
        url,
        &["migrate", "check", "--drift", "--format", "json"],
    );
    assert_eq!(drifted_json.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&drifted_json.stdout).expect("JSON");
    assert_eq!(json["drift"], true, "{json}");
    assert_eq!(
        json["differences"],
        serde_json::json!([
            {"object": "index idx_posts_author_id", "detail": "in the model, not in the database"},
            {"object": "table posts", "detail": "column subtitle: in the database, not in the model"},
        ]),
        "{json}"
    );
}

#[test]
fn embedded_drift_on_sqlite() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let url = format!("sqlite://{}/blog.db?mode=rwc", dir.path().display());
    drift_by_hand(dir.path(), &url, "SQLite");
}

#[test]
fn embedded_drift_on_postgres() {
    let Some(admin_url) = server_url(POSTGRES, "embedded_drift_on_postgres") else {
        return;
    };
    let (url, name) = fresh_database(&admin_url, "blog_drift");
    let dir = tempfile::tempdir().expect("temporary directory");
    drift_by_hand(dir.path(), &url, "PostgreSQL");
    drop_database(&admin_url, &name);
}
