//! No output of `cargo migrate` shows a database password, whatever the
//! password holds and whether or not the URL parses: a table of URL shapes
//! x every verb that takes a URL x text and JSON, through the real binary,
//! against the real PostgreSQL and MariaDB servers of the test environment
//! (a database of its own on each).
//!
//! The servers trust local connections (PostgreSQL) or have no password
//! (MariaDB), so a parsable URL with a password connects (PostgreSQL) or is
//! refused by the server (MariaDB): both the success output (`current -v`
//! prints the URL) and the server's own error messages are covered.

use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use migrate_test_support::{drop_database, fresh_database, server_url};

/// The secret every password below contains; it must appear in no output.
const SECRET: &str = "Zq9SECRETc";

/// Passwords, by the characters that broke masking (`/`, `#`, `?`, as base64
/// passwords hold), and the other characters a password may hold.
fn passwords() -> Vec<String> {
    [
        "pa/{S}",
        "pa#{S}",
        "pa?{S}",
        "pa@{S}",
        "pa:{S}",
        "pa%{S}",
        "pa%2F{S}",
        "pa'{S}",
        "pa\"{S}",
        "pa {S}",
        "{S}",
        "q8+/{S}/x9Q==",
        "12/{S}",
        "/{S}#?@:%'\" x",
    ]
    .iter()
    .map(|shape| shape.replace("{S}", SECRET))
    .collect()
}

/// A server URL split into what comes before and after the user info.
struct Server {
    scheme: &'static str,
    user: String,
    host_and_database: String,
}

impl Server {
    fn from_env(variable: &str, scheme: &'static str) -> Option<(Server, String)> {
        let base = server_url(variable, &format!("the {scheme} URL test"))?;
        let (_, name) = fresh_database(&base, "cli_url");
        let (_, rest) = base.split_once("://").expect("a server URL");
        let (user, host) = rest.rsplit_once('@').expect("a user in the server URL");
        let user = user.split(':').next().unwrap_or(user).to_string();
        let host = host.split('/').next().unwrap_or(host);
        Some((
            Server {
                scheme,
                user,
                host_and_database: format!("{host}/{name}"),
            },
            base,
        ))
    }

    /// Every URL shape with the secret in it.
    fn urls(&self) -> Vec<String> {
        let Server {
            scheme,
            user,
            host_and_database,
        } = self;
        let mut urls: Vec<String> = passwords()
            .iter()
            .map(|password| format!("{scheme}://{user}:{password}@{host_and_database}"))
            .collect();
        urls.extend([
            // Unparsable: a port out of range, a bracket never closed.
            format!("{scheme}://{user}:{SECRET}@127.0.0.1:99999/db"),
            format!("{scheme}://{user}:{SECRET}@[::1/db"),
            // The scheme forgotten, or its slashes.
            format!("{user}:{SECRET}@{host_and_database}"),
            format!("{scheme}:{user}:{SECRET}@{host_and_database}"),
            // The password as a query parameter.
            format!("{scheme}://{user}@{host_and_database}?password={SECRET}"),
            // A user name holding the secret after an odd character.
            format!("{scheme}://a/{SECRET}@{host_and_database}"),
        ]);
        urls
    }
}

/// A project with two revisions of portable SQL.
fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let migrations = dir.path().join("migrations");
    std::fs::create_dir(&migrations).expect("mkdir");
    std::fs::write(
        migrations.join("aaaa00000001_one.sql"),
        "-- revision: aaaa00000001\n-- down_revision: none\n-- message: one\n\n\
         -- migrate:upgrade\nCREATE TABLE one (id INTEGER);\n\n-- migrate:downgrade\nDROP TABLE one;\n",
    )
    .expect("write");
    std::fs::write(
        migrations.join("bbbb00000002_two.sql"),
        "-- revision: bbbb00000002\n-- down_revision: aaaa00000001\n-- message: two\n\n\
         -- migrate:upgrade\nCREATE TABLE two (id INTEGER);\n\n-- migrate:downgrade\nDROP TABLE two;\n",
    )
    .expect("write");
    let lock = Command::new(env!("CARGO_BIN_EXE_cargo-migrate"))
        .args(["migrate", "lock"])
        .current_dir(dir.path())
        .output()
        .expect("lock runs");
    assert!(lock.status.success(), "{lock:?}");
    dir
}

/// Every verb that takes a database URL, as typed after `cargo migrate`.
const VERBS: &[&[&str]] = &[
    &["upgrade", "head"],
    &["upgrade", "head", "--sql"],
    &["downgrade", "base"],
    &["downgrade", "head:base", "--sql"],
    &["current"],
    &["current", "-v"],
    &["history", "-i"],
    &["heads", "-v"],
    &["branches"],
    &["show", "head"],
    &["check"],
    &["stamp", "head"],
];

/// One run, and whatever it printed.
struct Run {
    shown: String,
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn run(dir: &Path, url: &str, verb: &[&str], json: bool, through_env: bool) -> Run {
    let mut command = Command::new(env!("CARGO_BIN_EXE_cargo-migrate"));
    command
        .arg("migrate")
        .args(verb)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("DATABASE_URL");
    if json {
        command.args(["--format", "json"]);
    }
    if through_env {
        command.env("DATABASE_URL", url);
    } else {
        command.args(["--database-url", url]);
    }
    let output = command.output().expect("cargo-migrate runs");
    Run {
        shown: format!(
            "{} {}{} ({})",
            verb.join(" "),
            if json { "--format json " } else { "" },
            url,
            if through_env {
                "DATABASE_URL"
            } else {
                "--database-url"
            }
        ),
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Runs every case on two threads; returns each run that showed the secret,
/// and how many runs there were.
fn leaks(dir: &Path, urls: &[String]) -> (Vec<Run>, usize) {
    let mut cases = Vec::new();
    for url in urls {
        for verb in VERBS {
            for json in [false, true] {
                let through_env = cases.len() % 2 == 1;
                cases.push((url.as_str(), *verb, json, through_env));
            }
        }
    }
    let next = AtomicUsize::new(0);
    let found = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..2 {
            scope.spawn(|| loop {
                let index = next.fetch_add(1, Ordering::Relaxed);
                let Some(&(url, verb, json, through_env)) = cases.get(index) else {
                    break;
                };
                let run = run(dir, url, verb, json, through_env);
                assert!(run.code.is_some(), "killed by a signal: {}", run.shown);
                if run.stdout.contains(SECRET) || run.stderr.contains(SECRET) {
                    found.lock().expect("lock").push(run);
                }
            });
        }
    });
    (found.into_inner().expect("lock"), cases.len())
}

fn no_output_shows_the_secret(variable: &str, scheme: &'static str) {
    let Some((server, base)) = Server::from_env(variable, scheme) else {
        return;
    };
    let dir = project();
    let urls = server.urls();
    let (leaked, total) = leaks(dir.path(), &urls);
    // `current -v` of a URL that connects shows it, masked.
    let connected = run(
        dir.path(),
        &urls[passwords().iter().position(|p| p == SECRET).expect("plain")],
        &["current", "-v"],
        false,
        false,
    );
    let name = server.host_and_database.rsplit('/').next().unwrap_or("");
    drop_database(&base, name);
    let report: Vec<String> = leaked
        .iter()
        .map(|run| {
            format!(
                "{}\n  stdout: {}\n  stderr: {}",
                run.shown, run.stdout, run.stderr
            )
        })
        .collect();
    assert!(
        leaked.is_empty(),
        "{} of {total} runs showed the password:\n{}",
        leaked.len(),
        report.join("\n")
    );
    if scheme == "postgres" {
        assert_eq!(connected.code, Some(0), "{}", connected.stderr);
        assert!(
            connected
                .stdout
                .contains(&format!("postgres://{}:***@", server.user)),
            "{}",
            connected.stdout
        );
    }
}

#[test]
fn postgres_urls_never_show_their_password() {
    no_output_shows_the_secret("MIGRATE_TEST_POSTGRES_URL", "postgres");
}

#[test]
fn mysql_urls_never_show_their_password() {
    no_output_shows_the_secret("MIGRATE_TEST_MYSQL_URL", "mysql");
}

/// A URL typed where a verb expects a target or a revision is echoed back
/// by clap or by the verb's own error: masked there too.
#[test]
fn a_url_in_the_wrong_argument_is_masked() {
    let dir = project();
    for password in passwords() {
        let url = format!("postgres://app:{password}@db.invalid/prod");
        for args in [
            vec!["upgrade", url.as_str()],
            vec!["show", url.as_str()],
            vec!["stamp", url.as_str(), "--sql"],
            vec!["revision", "-m", "x", "--rev-id", url.as_str()],
            vec![url.as_str()],
        ] {
            let output = Command::new(env!("CARGO_BIN_EXE_cargo-migrate"))
                .arg("migrate")
                .args(&args)
                .current_dir(dir.path())
                .env_remove("DATABASE_URL")
                .env("NO_COLOR", "1")
                .output()
                .expect("runs");
            let stdout = String::from_utf8_lossy(&output.stdout);
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert!(
                !stdout.contains(SECRET) && !stderr.contains(SECRET),
                "{args:?}\nstdout: {stdout}\nstderr: {stderr}"
            );
        }
    }
}

/// `migrate.toml` refuses a URL with a snippet that masks its password,
/// whatever the password holds.
#[test]
fn a_url_in_migrate_toml_is_masked_in_every_format() {
    for password in passwords() {
        // A TOML basic string escapes `"`; a literal string cannot hold `'`.
        let value = format!("postgres://app:{password}@db/prod").replace('"', "\\\"");
        let dir = project();
        std::fs::write(
            dir.path().join("migrations/migrate.toml"),
            format!(
                "dialect = \"postgres\"\n[extra]\nurl = \"{value}\"\nother = \"{value}\" # x@y\n"
            ),
        )
        .expect("write");
        for args in [
            vec!["check"],
            vec!["lint"],
            vec!["lint", "--format", "json"],
            vec!["lint", "--format", "sarif"],
            vec!["history", "--format", "json"],
        ] {
            let output = Command::new(env!("CARGO_BIN_EXE_cargo-migrate"))
                .arg("migrate")
                .args(&args)
                .current_dir(dir.path())
                .env_remove("DATABASE_URL")
                .env("NO_COLOR", "1")
                .output()
                .expect("runs");
            let stdout = String::from_utf8_lossy(&output.stdout);
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert_ne!(output.status.code(), Some(0), "{args:?} accepted the URL");
            assert!(
                stdout.contains("config-credentials") || stderr.contains("config-credentials"),
                "{args:?}\nstdout: {stdout}\nstderr: {stderr}"
            );
            assert!(
                !stdout.contains(SECRET) && !stderr.contains(SECRET),
                "{password}: {args:?}\nstdout: {stdout}\nstderr: {stderr}"
            );
        }
    }
}
