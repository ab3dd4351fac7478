//! `cargo migrate database create|drop|reset`: what sqlx-cli's `database`
//! verbs do, on the database named in the URL (sqlx's `MigrateDatabase`).

use std::io::{BufRead as _, IsTerminal as _, Write as _};
use std::path::Path;

use anyhow::{bail, Context as _};
use clap::{Args as _, FromArgMatches as _};
use migrate_runtime::cli::{Command as Verb, MoveArgs, Printer};
use migrate_runtime::{redact_text, redact_url, Dialect};
use sqlx::migrate::MigrateDatabase as _;

/// `database` verbs.
#[derive(clap::Subcommand, Debug)]
pub enum DatabaseCommand {
    /// Create the database named in the URL (PostgreSQL, MariaDB/MySQL), or the SQLite file.
    Create,
    /// Drop the database named in the URL, or delete the SQLite file.
    Drop(Confirm),
    /// Drop the database, create it again, then `upgrade head`.
    Reset(Confirm),
}

/// How `drop` and `reset` are confirmed.
#[derive(clap::Args, Debug)]
pub struct Confirm {
    /// Do not ask: drop without confirmation (needed when stdin is not a terminal).
    #[arg(short = 'y', long = "yes")]
    pub yes: bool,
}

/// Runs a `database` verb on the database at `url`.
pub fn run(
    dir: &Path,
    command: &DatabaseCommand,
    database_url: Option<&str>,
    connect_timeout: std::time::Duration,
    printer: &Printer,
) -> anyhow::Result<()> {
    let url = database_url.ok_or(migrate_runtime::cli::Error::NoDatabaseUrl)?;
    let (dialect, url) = backend(url)?;
    let shown = redact_url(&url);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    match command {
        DatabaseCommand::Create => runtime.block_on(create_db(dialect, &url, &shown, printer)),
        DatabaseCommand::Drop(confirm) => {
            confirmed(confirm, "drop", &shown)?;
            runtime.block_on(drop_db(dialect, &url, &shown, printer))
        }
        DatabaseCommand::Reset(confirm) => {
            // The directory must be able to run before anything is dropped.
            let loaded = crate::load::load(dir, crate::load::TOLERATED_BY_WRITE_VERBS, printer)?;
            let plan = loaded.config.dialect;
            if !plan.runs_on(dialect) {
                return Err(migrate_runtime::Error::DialectMismatch {
                    plan,
                    target: dialect,
                    offline: false,
                }
                .into());
            }
            confirmed(confirm, "reset", &shown)?;
            runtime.block_on(async {
                drop_db(dialect, &url, &shown, printer).await?;
                create_db(dialect, &url, &shown, printer).await
            })?;
            crate::cmd::db::run(dir, &upgrade_head()?, Some(&url), connect_timeout, printer)
        }
    }
}

/// The backend a URL names, and the URL sqlx reads (`mariadb:` is `mysql:`).
fn backend(url: &str) -> anyhow::Result<(Dialect, String)> {
    let dialect = Dialect::of_url(url)
        .ok_or_else(|| migrate_runtime::Error::UnsupportedUrl(redact_url(url)))?;
    let sqlx_url = match url.get(..8) {
        Some(scheme) if scheme.eq_ignore_ascii_case("mariadb:") => format!("mysql:{}", &url[8..]),
        _ => url.to_string(),
    };
    Ok((dialect, sqlx_url))
}

/// `-y`, or a `y` typed at the terminal; refuses otherwise.
fn confirmed(confirm: &Confirm, verb: &str, shown: &str) -> anyhow::Result<()> {
    if confirm.yes {
        return Ok(());
    }
    if !std::io::stdin().is_terminal() {
        bail!("`database {verb}` deletes every table and row of {shown}: pass `-y` to confirm (there is no terminal to ask on)");
    }
    eprint!("Delete every table and row of {shown} ({verb})? [y/N] ");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .context("cannot read the answer")?;
    if matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes") {
        Ok(())
    } else {
        bail!("not confirmed: nothing was dropped")
    }
}

fn failed(what: &str, shown: &str, error: sqlx::Error) -> anyhow::Error {
    anyhow::anyhow!(
        "could not {what} {shown}: {}",
        redact_text(&error.to_string())
    )
}

async fn exists(dialect: Dialect, url: &str) -> Result<bool, sqlx::Error> {
    match dialect {
        Dialect::Postgres => sqlx::Postgres::database_exists(url).await,
        Dialect::MySql => sqlx::MySql::database_exists(url).await,
        _ => sqlx::Sqlite::database_exists(url).await,
    }
}

async fn create_db(
    dialect: Dialect,
    url: &str,
    shown: &str,
    printer: &Printer,
) -> anyhow::Result<()> {
    if exists(dialect, url)
        .await
        .map_err(|e| failed("reach", shown, e))?
    {
        printer.status("Exists", format!("{shown} (nothing to create)"));
        return Ok(());
    }
    let created = match dialect {
        Dialect::Postgres => sqlx::Postgres::create_database(url).await,
        Dialect::MySql => sqlx::MySql::create_database(url).await,
        _ => sqlx::Sqlite::create_database(url).await,
    };
    created.map_err(|e| failed("create", shown, e))?;
    printer.status("Created", shown);
    Ok(())
}

async fn drop_db(
    dialect: Dialect,
    url: &str,
    shown: &str,
    printer: &Printer,
) -> anyhow::Result<()> {
    if !exists(dialect, url)
        .await
        .map_err(|e| failed("reach", shown, e))?
    {
        printer.status("Absent", format!("{shown} (nothing to drop)"));
        return Ok(());
    }
    let dropped = match dialect {
        Dialect::Postgres => sqlx::Postgres::drop_database(url).await,
        Dialect::MySql => sqlx::MySql::drop_database(url).await,
        _ => sqlx::Sqlite::drop_database(url).await,
    };
    dropped.map_err(|e| failed("drop", shown, e))?;
    printer.status("Dropped", shown);
    Ok(())
}

/// `upgrade head`, parsed as the verb's own arguments (so every option keeps its default).
fn upgrade_head() -> anyhow::Result<Verb> {
    let matches = MoveArgs::augment_args(clap::Command::new("upgrade"))
        .try_get_matches_from(["upgrade", "head"])?;
    Ok(Verb::Upgrade(MoveArgs::from_arg_matches(&matches)?))
}
