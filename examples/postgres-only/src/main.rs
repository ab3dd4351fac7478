//! A PostgreSQL-only service: it depends on `migrate-runtime` with
//! `default-features = false, features = ["macros", "postgres"]`, so its
//! build holds neither SQLite nor the MySQL driver, and it applies the
//! blog's PostgreSQL history at startup.
//!
//! ```text
//! DATABASE_URL=postgres://... cargo run -p blog-postgres-only
//! ```
//!
//! A URL of a driver left out is refused with the feature to enable (run it
//! with `sqlite::memory:` to see the message).

use std::process::ExitCode;

use migrate_runtime::{embed_migrations, Migrator, Plan};

static MIGRATIONS: Plan = embed_migrations!("../blog/migrations/postgres");

fn main() -> ExitCode {
    let Ok(url) = std::env::var("DATABASE_URL") else {
        eprintln!("error: set DATABASE_URL to a PostgreSQL database");
        return ExitCode::from(2);
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: could not start tokio: {error}");
            return ExitCode::FAILURE;
        }
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
