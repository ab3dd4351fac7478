//! A PostgreSQL-only service: it depends on `migrate-runtime` with
//! `default-features = false, features = ["macros", "postgres"]`, so its
//! build holds neither SQLite nor the MySQL driver, and it applies the
//! blog's PostgreSQL history at startup.
//!
//! ```text
//! DATABASE_URL=postgres://... cargo run -p blog-postgres-only
//! DATABASE_URL=postgres://... cargo run -p blog-postgres-only -- migrate check --drift
//! ```
//!
//! `migrate ...` runs the Alembic verbs over the embedded plan, `check
//! --drift` included (migrate-introspect with its `postgres` and `cli`
//! features only).
//!
//! A URL of a driver left out is refused with the feature to enable (run it
//! with `sqlite::memory:` to see the message).

use std::process::ExitCode;

use migrate_runtime::{embed_migrations, Migrator, Plan};

static MIGRATIONS: Plan = embed_migrations!("../blog/migrations/postgres");

/// `blog-postgres-only migrate <verb>`.
#[derive(clap::Parser)]
enum Cli {
    /// Migration verbs over the embedded plan.
    Migrate(migrate_runtime::cli::MigrateOpt),
}

/// The single-threaded tokio runtime both paths run on, or the exit code
/// after saying why it could not start.
fn runtime() -> Result<tokio::runtime::Runtime, ExitCode> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|error| {
            eprintln!("error: could not start tokio: {error}");
            ExitCode::FAILURE
        })
}

fn main() -> ExitCode {
    if std::env::args().nth(1).as_deref() == Some("migrate") {
        let Cli::Migrate(opt) = <Cli as clap::Parser>::parse();
        let runtime = match runtime() {
            Ok(runtime) => runtime,
            Err(code) => return code,
        };
        let migrator = Migrator::new(&MIGRATIONS);
        let drift = migrate_introspect::drift::Embedded;
        let code = runtime.block_on(migrate_runtime::cli::run_with_drift(&migrator, opt, &drift));
        return ExitCode::from(u8::try_from(code).unwrap_or(1));
    }
    let Ok(url) = std::env::var("DATABASE_URL") else {
        eprintln!("error: set DATABASE_URL to a PostgreSQL database");
        return ExitCode::from(2);
    };
    let runtime = match runtime() {
        Ok(runtime) => runtime,
        Err(code) => return code,
    };
    let result = runtime.block_on(async {
        let migrator = Migrator::new(&MIGRATIONS);
        let db = migrator.open(&url).await?;
        let report = migrator.upgrade(&db, "head").await;
        db.close().await;
        report
    });
    match result {
        Ok(report) if report.is_empty() => {
            println!("nothing to do: at head");
            ExitCode::SUCCESS
        }
        Ok(report) => {
            for id in report.ids() {
                println!("applied {id}");
            }
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}
