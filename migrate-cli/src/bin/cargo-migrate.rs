//! The `cargo migrate` entry point: `cargo` runs `cargo-migrate migrate <verb>`.

use std::process::ExitCode;

use clap::Parser;

/// Cargo passes the subcommand name as the first argument, so the binary
/// parses `cargo migrate ...` with `migrate` as its only subcommand (the
/// layout of `cargo-sqlx`).
#[derive(Parser, Debug)]
#[command(bin_name = "cargo", version, styles = clap::builder::Styles::styled())]
enum Cli {
    /// Alembic's verbs for a migrations directory.
    Migrate(migrate_cli::Opt),
}

fn main() -> ExitCode {
    // A `.env` file supplies DATABASE_URL as it does for sqlx-cli; it is read
    // before parsing so that clap's `env` fallback sees it. A missing file is
    // not an error.
    let _ = dotenvy::dotenv();
    let Cli::Migrate(opt) = Cli::parse();
    migrate_cli::main_with(opt)
}
