//! The PostgreSQL-only service applies the blog's PostgreSQL history to a
//! fresh database on the real server, then finds nothing to do.
//!
//! (Inside `cargo test --workspace` Cargo unifies features, so this binary
//! may hold the other drivers too; `.ci/run` builds and runs it on its own,
//! with only `postgres`.)

use std::process::{Command, Output};

use migrate_test_support::{drop_database, fresh_database, server_url, POSTGRES};
use sqlx::{Connection as _, PgConnection};

fn service(url: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_blog-postgres-only"))
        .env("DATABASE_URL", url)
        .output()
        .expect("the service runs")
}

fn stdout_of(output: &Output) -> String {
    assert!(
        output.status.success(),
        "the service failed ({}): {}{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn applies_the_blog_history_on_postgres() {
    let test = "applies_the_blog_history_on_postgres";
    let Some(admin_url) = server_url(POSTGRES, test) else {
        return;
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio");
    let (url, name) = fresh_database(&admin_url, "blog_pg_only");

    let first = stdout_of(&service(&url));
    assert_eq!(
        first.lines().collect::<Vec<_>>(),
        [
            "applied a1c3e5f70b12",
            "applied b2d4f6081c23",
            "applied c3e5071a2d34",
            "applied d4f6182b3e45",
            "applied e507293c4f56",
        ],
        "{first}"
    );
    let second = stdout_of(&service(&url));
    assert_eq!(second.trim(), "nothing to do: at head");

    let tables: Vec<String> = runtime.block_on(async {
        let mut db = PgConnection::connect(&url).await.expect("the blog database");
        let tables = sqlx::query_scalar(
            "SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1",
        )
        .fetch_all(&mut db)
        .await
        .expect("tables");
        let _ = db.close().await;
        tables
    });
    for table in ["users", "posts", "tags", "post_tags", "migrate_version"] {
        assert!(tables.iter().any(|t| t == table), "{table} in {tables:?}");
    }
    drop_database(&admin_url, &name);
}
