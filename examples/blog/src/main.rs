//! The blog of the Alembic guide (users, posts, tags) on
//! `migrate-runtime`: the schema lives in `migrations/<backend>/*.sql`, is
//! checked and embedded at build time, and is applied at startup.
//!
//! ```text
//! cargo run -p blog                       # migrate blog.db, then write a post
//! DATABASE_URL=postgres://... cargo run -p blog
//! cargo run -p blog -- migrate current    # the Alembic verbs, same binary
//! cargo run -p blog -- migrate downgrade -1
//! cargo run -p blog -- migrate check --drift   # the database against the embedded history
//! ```
//!
//! A plan is validated for one SQL dialect, so each backend whose SQL
//! differs has its own directory: `migrations/sqlite` (the default) and
//! `migrations/postgres` (its published_at index is built `CONCURRENTLY`,
//! in a `transaction:false` section). The URL's scheme picks the plan.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use migrate_runtime::cli::MigrateOpt;
use migrate_runtime::{embed_migrations, redact_url, MigrateConnection, Migrator, Plan};

static SQLITE: Plan = embed_migrations!("migrations/sqlite");
static POSTGRES: Plan = embed_migrations!("migrations/postgres");

/// Where the blog lives when `DATABASE_URL` is unset: a file in the
/// working directory, created on first run.
const DEFAULT_URL: &str = "sqlite://blog.db";

#[derive(Parser)]
#[command(
    name = "blog",
    about = "The blog of the Alembic guide, migrated at startup"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Migration verbs over the embedded plan (`blog migrate upgrade head`, `current`, `history`, ...).
    Migrate(MigrateOpt),
}

/// The embedded history for a database URL's backend.
fn plan_for(url: &str) -> Result<&'static Plan, String> {
    let scheme = url.split(':').next().unwrap_or_default();
    match scheme.to_ascii_lowercase().as_str() {
        "sqlite" => Ok(&SQLITE),
        "postgres" | "postgresql" => Ok(&POSTGRES),
        _ => Err(format!(
            "the blog has histories for SQLite and PostgreSQL only, not {}",
            redact_url(url)
        )),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: could not start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match cli.command {
        Some(Command::Migrate(mut opt)) => {
            let url = opt
                .database_url
                .get_or_insert_with(|| DEFAULT_URL.to_string())
                .clone();
            let plan = match plan_for(&url) {
                Ok(plan) => plan,
                Err(message) => {
                    eprintln!("error: {message}");
                    return ExitCode::FAILURE;
                }
            };
            // `check --drift` compares the database with the embedded plan's
            // schema model (migrate-introspect); the other verbs are the runtime's.
            let drift = migrate_introspect::drift::Embedded;
            let code = runtime.block_on(migrate_runtime::cli::run_with_drift(
                &Migrator::new(plan),
                opt,
                &drift,
            ));
            ExitCode::from(u8::try_from(code).unwrap_or(1))
        }
        None => match runtime.block_on(serve()) {
            Ok(()) => ExitCode::SUCCESS,
            Err(message) => {
                eprintln!("error: {message}");
                ExitCode::FAILURE
            }
        },
    }
}

/// Migrates to head at startup, then does a little real work.
async fn serve() -> Result<(), String> {
    let url = std::env::var("DATABASE_URL").unwrap_or_else(|_| DEFAULT_URL.to_string());
    let plan = plan_for(&url)?;
    println!("database: {}", redact_url(&url));
    let db = Migrator::connect(&url).await.map_err(|e| e.to_string())?;
    let migrator = Migrator::new(plan);
    let report = migrator
        .upgrade(&db, "head")
        .await
        .map_err(|e| e.to_string())?;
    if report.is_empty() {
        println!("migrations: nothing to do, the database is at head");
    }
    for applied in &report.revisions {
        let message = plan
            .get(&applied.revision)
            .map(|revision| revision.message())
            .unwrap_or_default();
        println!(
            "migrations: applied {} ({message}) in {} ms",
            applied.revision,
            applied.duration.as_millis()
        );
    }
    let counts = write_a_post(&db).await.map_err(|e| e.to_string())?;
    println!(
        "blog: {} user(s), {} post(s), {} tag(s)",
        counts.0, counts.1, counts.2
    );
    db.close().await;
    Ok(())
}

/// Upserts the author and the `rust` tag, publishes a post with that tag,
/// and counts users, posts and tags. The same SQL runs on both backends
/// (`ON CONFLICT` and `RETURNING` exist in PostgreSQL and SQLite 3.35+).
async fn write_a_post(db: &MigrateConnection) -> Result<(i64, i64, i64), sqlx::Error> {
    const AUTHOR: &str = "INSERT INTO users (email, name) VALUES ($1, $2) \
         ON CONFLICT (email) DO UPDATE SET name = excluded.name RETURNING id";
    const POST: &str = "INSERT INTO posts (author_id, title, body, status, published_at) \
         VALUES ($1, $2, $3, 'published', CURRENT_TIMESTAMP) RETURNING id";
    const TAG: &str = "INSERT INTO tags (name) VALUES ($1) \
         ON CONFLICT (name) DO UPDATE SET name = excluded.name RETURNING id";
    const POST_TAG: &str = "INSERT INTO post_tags (post_id, tag_id) VALUES ($1, $2)";
    const COUNTS: &str = "SELECT (SELECT COUNT(*) FROM users), (SELECT COUNT(*) FROM posts), \
         (SELECT COUNT(*) FROM tags)";
    macro_rules! work {
        ($pool:expr) => {{
            let mut tx = $pool.begin().await?;
            let author: i64 = sqlx::query_scalar(AUTHOR)
                .bind("ada@example.com")
                .bind("Ada")
                .fetch_one(&mut *tx)
                .await?;
            let post: i64 = sqlx::query_scalar(POST)
                .bind(author)
                .bind("Migrations compiled by Cargo")
                .bind("The history is checked before the binary exists.")
                .fetch_one(&mut *tx)
                .await?;
            let tag: i64 = sqlx::query_scalar(TAG)
                .bind("rust")
                .fetch_one(&mut *tx)
                .await?;
            sqlx::query(POST_TAG)
                .bind(post)
                .bind(tag)
                .execute(&mut *tx)
                .await?;
            let counts: (i64, i64, i64) = sqlx::query_as(COUNTS).fetch_one(&mut *tx).await?;
            tx.commit().await?;
            Ok(counts)
        }};
    }
    match db {
        MigrateConnection::Sqlite(pool) => work!(pool),
        MigrateConnection::Postgres(pool) => work!(pool),
        MigrateConnection::MySql(_) => Err(sqlx::Error::Configuration(
            "the blog has no MySQL history".into(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use migrate_runtime::Dialect;

    #[test]
    fn each_backend_gets_its_own_history() {
        assert_eq!(
            plan_for("sqlite://blog.db").unwrap().dialect(),
            Dialect::Sqlite
        );
        assert_eq!(
            plan_for("postgres://u:secret@localhost/blog")
                .unwrap()
                .dialect(),
            Dialect::Postgres
        );
        let error = plan_for("mysql://u:secret@localhost/blog").unwrap_err();
        assert!(!error.contains("secret"), "{error}");
    }

    #[test]
    fn both_histories_have_the_same_revisions() {
        let ids = |plan: &Plan| -> Vec<String> {
            plan.revisions()
                .iter()
                .map(|r| r.id().to_string())
                .collect()
        };
        assert_eq!(ids(&SQLITE), ids(&POSTGRES));
        assert_eq!(SQLITE.heads().len(), 1);
        assert_eq!(SQLITE.heads()[0].id(), "e507293c4f56");
        let merge = SQLITE.get("d4f6182b3e45").unwrap();
        assert!(merge.is_merge());
    }

    #[test]
    fn the_postgres_index_is_built_outside_a_transaction() {
        let revision = POSTGRES.get("e507293c4f56").unwrap();
        let concurrent = revision
            .upgrade()
            .iter()
            .find(|section| !section.transactional())
            .expect("a transaction:false section");
        assert!(concurrent.statements()[0].sql().contains("CONCURRENTLY"));
    }
}
