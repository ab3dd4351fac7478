//! The PostgreSQL-only service applies the blog's PostgreSQL history to a
//! fresh database on the real server, then finds nothing to do.
//!
//! (Inside `cargo test --workspace` Cargo unifies features, so this binary
//! may hold the other drivers too; `.ci/run` builds and runs it on its own,
//! with only `postgres`.)

use std::process::{Command, Output};

use sqlx::{Connection as _, PgConnection};

/// `MIGRATE_TEST_POSTGRES_URL`, or `None` (said on stderr) outside CI.
fn admin_url(test: &str) -> Option<String> {
    match std::env::var("MIGRATE_TEST_POSTGRES_URL") {
        Ok(url) => Some(url),
        Err(_) if std::env::var_os("CI").is_some() => {
            panic!("{test}: CI is set but MIGRATE_TEST_POSTGRES_URL is not")
        }
        Err(_) => {
            skipped(test, "MIGRATE_TEST_POSTGRES_URL is not set");
            None
        }
    }
}

/// Says which test did not run, past the harness's output capture.
fn skipped(test: &str, why: &str) {
    use std::io::Write as _;
    let _ = writeln!(
        std::io::stderr(),
        "skipped {test}: {why} (this test did not run)"
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
    let Some(admin_url) = admin_url(test) else {
        return;
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio");
    let name = format!("blog_pg_only_{}", std::process::id());
    let url = with_database(&admin_url, &name);
    let admin = runtime.block_on(PgConnection::connect(&admin_url));
    let mut admin = match admin {
        Ok(admin) => admin,
        Err(error) if std::env::var_os("CI").is_some() => {
            panic!("{test}: CI is set but PostgreSQL is unreachable: {error}")
        }
        Err(error) => {
            skipped(test, &format!("PostgreSQL is unreachable: {error}"));
            return;
        }
    };
    runtime.block_on(async {
        for sql in [
            format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
            format!("CREATE DATABASE {name}"),
        ] {
            sqlx::raw_sql(&sql)
                .execute(&mut admin)
                .await
                .expect("fresh database");
        }
    });

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
    runtime.block_on(async {
        sqlx::raw_sql(&format!("DROP DATABASE {name} WITH (FORCE)"))
            .execute(&mut admin)
            .await
            .expect("drop the database");
    });
}
