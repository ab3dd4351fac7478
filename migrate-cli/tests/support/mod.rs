//! What the integration tests of `cargo migrate` share: running the binary,
//! a database of its own per test, the shared corpus.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

use sqlx::Connection as _;

pub const CORPUS: &str = "/work/shared/corpus";

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

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

/// Imports `source` with `--mark-unchecked --allow-imported-errors`; returns
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

pub fn server_url(variable: &str) -> Option<String> {
    match std::env::var(variable) {
        Ok(url) => Some(url),
        Err(_) => {
            assert!(
                std::env::var_os("CI").is_none(),
                "{variable} must be set under CI"
            );
            eprintln!("skipped: {variable} is not set");
            None
        }
    }
}

/// A database of its own on the server at `base_url`: its URL and name.
pub fn fresh_database(base_url: &str, prefix: &str) -> (String, String) {
    let name = format!("{prefix}_{:08x}", rand::random::<u32>());
    block_on(async {
        if base_url.starts_with("postgres") {
            let mut conn = sqlx::PgConnection::connect(base_url)
                .await
                .expect("connect");
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&mut conn)
                .await
                .expect("create database");
        } else {
            let mut conn = sqlx::MySqlConnection::connect(base_url)
                .await
                .expect("connect");
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&mut conn)
                .await
                .expect("create database");
        }
    });
    let (before, query) = match base_url.split_once('?') {
        Some((path, query)) => (path, format!("?{query}")),
        None => (base_url, String::new()),
    };
    let server = before.rsplit_once('/').map_or(before, |(server, _)| server);
    (format!("{server}/{name}{query}"), name)
}

pub fn drop_database(base_url: &str, name: &str) {
    block_on(async {
        if base_url.starts_with("postgres") {
            if let Ok(mut conn) = sqlx::PgConnection::connect(base_url).await {
                let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&mut conn)
                    .await;
            }
        } else if let Ok(mut conn) = sqlx::MySqlConnection::connect(base_url).await {
            let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name}"))
                .execute(&mut conn)
                .await;
        }
    });
}

pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(future)
}
