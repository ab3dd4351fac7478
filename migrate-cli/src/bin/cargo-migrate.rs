//! The `cargo migrate` entry point: `cargo` runs `cargo-migrate migrate <verb>`.

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;

/// Cargo passes the subcommand name as the first argument, so the binary
/// parses `cargo migrate ...` with `migrate` as its only subcommand (the
/// layout of `cargo-sqlx`).
#[derive(Parser, Debug)]
#[command(bin_name = "cargo", version, styles = clap::builder::Styles::styled())]
enum Cli {
    /// Alembic's verbs for a migrations directory.
    #[command(version, display_name = "cargo-migrate")]
    Migrate(migrate_cli::Opt),
}

fn main() -> ExitCode {
    // A `.env` file supplies DATABASE_URL as it does for sqlx-cli; it is read
    // before parsing so that clap's `env` fallback sees it. A missing file is
    // not an error.
    let _ = dotenvy::dotenv();
    let Cli::Migrate(opt) = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => return usage(&error),
    };
    migrate_cli::main_with(opt)
}

/// Prints clap's message (help, version or usage error) with any URL
/// password masked: a URL typed where a verb expected something else is
/// echoed back by clap.
fn usage(error: &clap::Error) -> ExitCode {
    let to_stderr = error.use_stderr();
    let terminal = if to_stderr {
        std::io::stderr().is_terminal()
    } else {
        std::io::stdout().is_terminal()
    };
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|value| !value.is_empty());
    let rendered = error.render();
    let text = if terminal && !no_color {
        rendered.ansi().to_string()
    } else {
        rendered.to_string()
    };
    let text = migrate_cli::load::mask_passwords(&text);
    if to_stderr {
        eprint!("{text}");
    } else {
        print!("{text}");
    }
    ExitCode::from(u8::try_from(error.exit_code()).unwrap_or(2))
}
