//! What the integration tests of `cargo migrate` share beyond
//! `migrate-test-support`: running the binary, the shared corpus.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

pub const CORPUS: &str = "/work/shared/corpus";

/// One run of `cargo migrate`.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `cargo migrate ARGS` in `cwd`, with `url` as DATABASE_URL.
pub fn cargo_migrate(cwd: &Path, url: Option<&str>, args: &[&str]) -> Run {
    let mut command = Command::new(env!("CARGO_BIN_EXE_cargo-migrate"));
    command
        .arg("migrate")
        .args(args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .env_remove("DATABASE_URL");
    if let Some(url) = url {
        command.env("DATABASE_URL", url);
    }
    let output = command.output().expect("cargo-migrate runs");
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// `path` under the shared corpus; missing: `None`, a failure under `CI`.
pub fn corpus(path: &str) -> Option<PathBuf> {
    let path = Path::new(CORPUS).join(path);
    if path.exists() {
        return Some(path);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "{} is missing",
        path.display()
    );
    eprintln!("skipped: {} not found", path.display());
    None
}

pub mod readme;
