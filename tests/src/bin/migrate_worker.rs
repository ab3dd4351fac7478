//! A tiny migrating process for the multi-process tests: the crash test
//! kills it at random moments, the concurrency test starts eight at once.
//!
//! ```text
//! migrate_worker <url> <upgrade|downgrade> <target> [--revisions N] [--single] [--embedded] [--kill-plan]
//! ```
//!
//! It migrates the generated history of `N` revisions (default 10, see
//! `migrate_tests::generated`) for the URL's dialect or, with `--embedded`,
//! the `fixtures/linear` history compiled into the binary by
//! `embed_migrations!` or, with `--kill-plan`, the kill-test history of
//! `migrate_tests::kill`. It prints `ready`
//! once connected, then one `applied <id>` (or `reverted <id>`) line per
//! revision it moved, and exits 0; on an error it prints the error on
//! stderr and exits 1 (2 for bad arguments).

use std::process::ExitCode;
use std::time::Duration;

use migrate_runtime::{
    embed_migrations, Direction, MigrateConnection, Migrator, Plan, TransactionMode,
};
use migrate_tests::generated::generated_plan;

/// Three revisions in the generic dialect: users, posts, two seeded users
/// (a second apply of the seed would hit the primary key).
static LINEAR: Plan = embed_migrations!("fixtures/linear/migrations", unwatched);

struct Args {
    url: String,
    direction: Direction,
    target: String,
    revisions: usize,
    single: bool,
    embedded: bool,
    kill_plan: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut positional = Vec::new();
    let mut revisions = 10;
    let mut single = false;
    let mut embedded = false;
    let mut kill_plan = false;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--revisions" => {
                revisions = args
                    .next()
                    .and_then(|n| n.parse().ok())
                    .ok_or("--revisions takes a number")?;
            }
            "--single" => single = true,
            "--embedded" => embedded = true,
            "--kill-plan" => kill_plan = true,
            _ => positional.push(arg),
        }
    }
    let [url, direction, target] = <[String; 3]>::try_from(positional).map_err(|_| {
        "usage: migrate_worker <url> <upgrade|downgrade> <target> [--revisions N] [--single]"
    })?;
    let direction = match direction.as_str() {
        "upgrade" => Direction::Upgrade,
        "downgrade" => Direction::Downgrade,
        other => return Err(format!("unknown direction `{other}`")),
    };
    Ok(Args {
        url,
        direction,
        target,
        revisions,
        single,
        embedded,
        kill_plan,
    })
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    let Some(dialect) = migrate_runtime::Dialect::of_url(&args.url) else {
        eprintln!("unsupported URL scheme");
        return ExitCode::from(2);
    };
    let db = match MigrateConnection::connect(&args.url).await {
        Ok(db) => db,
        Err(error) => {
            eprintln!("{error}");
            return ExitCode::from(1);
        }
    };
    println!("ready");
    let mode = if args.single {
        TransactionMode::Single
    } else {
        TransactionMode::PerRevision
    };
    let migrator = if args.embedded {
        Migrator::new(&LINEAR)
    } else if args.kill_plan {
        Migrator::new(migrate_tests::kill::kill_plan(dialect))
    } else {
        Migrator::new(generated_plan(args.revisions, dialect))
    };
    let migrator = migrator
        .transaction_mode(mode)
        .lock_timeout(Duration::from_secs(120));
    let result = match args.direction {
        Direction::Upgrade => migrator.upgrade(&db, args.target.as_str()).await,
        Direction::Downgrade => migrator.downgrade(&db, args.target.as_str()).await,
    };
    db.close().await;
    match result {
        Ok(report) => {
            let verb = match args.direction {
                Direction::Upgrade => "applied",
                Direction::Downgrade => "reverted",
            };
            for id in report.ids() {
                println!("{verb} {id}");
            }
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("{error}");
            ExitCode::from(1)
        }
    }
}
