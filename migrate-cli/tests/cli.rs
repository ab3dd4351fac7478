//! End-to-end tests of `cargo migrate` on a temporary project: the Alembic
//! guide's workflow on SQLite, PostgreSQL and MariaDB, the one-line errors,
//! and the git conflict on `migrate.lock`.
//!
//! PostgreSQL and MariaDB run when MIGRATE_TEST_POSTGRES_URL /
//! MIGRATE_TEST_MYSQL_URL are set (each test creates a database of its own);
//! otherwise they print that they were skipped.

use std::path::{Path, PathBuf};
use std::process::Command;

use migrate_test_support::{drop_database, fresh_database, server_url, unused_database};
use sqlx::Connection as _;
use tempfile::TempDir;

/// A temporary project and the database URL its commands use.
struct Project {
    dir: TempDir,
    url: String,
    transcript: String,
}

/// The result of one command.
struct Output {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Project {
    /// A Cargo package (a `Cargo.toml`) in a temporary directory.
    fn new(url: String) -> Project {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(
            dir.path().join("Cargo.toml"),
            "[package]\nname = \"app\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
        )
        .expect("write Cargo.toml");
        Project {
            dir,
            url,
            transcript: String::new(),
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Runs `cargo migrate <args>` in the project, without recording it.
    fn run_quietly(&self, args: &[&str]) -> Output {
        let output = Command::new(env!("CARGO_BIN_EXE_cargo-migrate"))
            .arg("migrate")
            .args(args)
            .current_dir(self.path())
            .env("DATABASE_URL", &self.url)
            .env("NO_COLOR", "1")
            .output()
            .expect("cargo-migrate runs");
        Output {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// Runs `cargo migrate <args>`, records it in the transcript, and checks the exit code.
    fn run(&mut self, args: &[&str], expected_code: i32) -> Output {
        let output = self.run_quietly(args);
        let shown: Vec<String> = args
            .iter()
            .map(|arg| {
                if arg.contains(' ') {
                    format!("{arg:?}")
                } else {
                    arg.to_string()
                }
            })
            .collect();
        self.transcript
            .push_str(&format!("$ cargo migrate {}\n", shown.join(" ")));
        if output.code != 0 {
            self.transcript
                .push_str(&format!("[exit {}]\n", output.code));
        }
        // An offline script's statements belong to the runtime's tests; the
        // transcript keeps its outline (one `-- Running ...` line per step).
        let offline = args.contains(&"--sql");
        for line in output.stdout.lines() {
            if !offline || line.starts_with("-- ") {
                self.transcript.push_str(&format!("  {line}\n"));
            }
        }
        for line in output.stderr.lines() {
            self.transcript.push_str(&format!("! {line}\n"));
        }
        self.transcript.push('\n');
        assert_eq!(
            output.code,
            expected_code,
            "`cargo migrate {}`\nstdout:\n{}\nstderr:\n{}",
            args.join(" "),
            output.stdout,
            output.stderr
        );
        output
    }

    /// `revision -m MSG --rev-id ID [extra]`, then fills the new file with SQL as a user would.
    fn revision(
        &mut self,
        id: &str,
        message: &str,
        extra: &[&str],
        upgrade: &str,
        downgrade: &str,
    ) -> PathBuf {
        let mut args = vec!["revision", "-m", message, "--rev-id", id];
        args.extend_from_slice(extra);
        let output = self.run(&args, 0);
        let file = self.path().join(output.stdout.trim());
        let text = std::fs::read_to_string(&file).expect("the printed path exists");
        let header_end = text
            .find("-- migrate:upgrade")
            .expect("template has an upgrade section");
        let filled = format!(
            "{}-- migrate:upgrade\n{upgrade}\n\n-- migrate:downgrade\n{downgrade}\n",
            &text[..header_end]
        );
        std::fs::write(&file, filled).expect("write SQL");
        file
    }

    fn set_dialect(&self, dialect: &str) {
        let path = self.path().join("migrations/migrate.toml");
        let text = std::fs::read_to_string(&path).expect("migrate.toml");
        let text: String = text
            .lines()
            .map(|line| {
                if line.starts_with("dialect = ") {
                    format!("dialect = \"{dialect}\"\n")
                } else {
                    format!("{line}\n")
                }
            })
            .collect();
        std::fs::write(&path, text).expect("write migrate.toml");
    }
}

/// Replaces what changes from run to run: durations, dates, the database name.
fn settings(database_name: Option<&str>) -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.add_filter(r"\(\d+ ms\)", "([ms])");
    settings.add_filter(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", "[date]");
    if let Some(name) = database_name {
        settings.add_filter(&regex_escape(name), "[db]");
    }
    settings.set_prepend_module_to_snapshot(false);
    settings
}

fn regex_escape(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c.to_string()
            } else {
                format!("\\{c}")
            }
        })
        .collect()
}

/// The Alembic guide's workflow, command for command, plus branching and
/// merging; returns the transcript.
fn workflow(project: &mut Project, dialect: &str) -> String {
    project.run(&["init"], 0);
    assert!(project.path().join("build.rs").exists());
    assert!(project.path().join("migrations/migrate.lock").exists());
    project.set_dialect(dialect);

    project.revision(
        "a1a1a1a1a1a1",
        "create users",
        &[],
        "CREATE TABLE users (id INTEGER PRIMARY KEY, name VARCHAR(100) NOT NULL);",
        "DROP TABLE users;",
    );
    project.revision(
        "b2b2b2b2b2b2",
        "create posts",
        &[],
        "CREATE TABLE posts (id INTEGER PRIMARY KEY, title VARCHAR(200) NOT NULL);",
        "DROP TABLE posts;",
    );
    project.revision(
        "c3c3c3c3c3c3",
        "create comments",
        &[],
        "CREATE TABLE comments (id INTEGER PRIMARY KEY, body VARCHAR(500));",
        "DROP TABLE comments;",
    );
    project.run(&["upgrade", "head"], 0);
    project.run(&["current"], 0);
    project.run(&["history", "--verbose"], 0);
    project.run(&["downgrade", "-1"], 0);
    project.run(&["current"], 0);
    project.run(&["downgrade", "b2b2"], 0);
    project.run(&["downgrade", "base"], 0);
    project.run(&["current"], 0);
    project.run(&["upgrade", "+1"], 0);
    project.run(&["upgrade", "head"], 0);

    // A second line of work branching from `create posts`.
    project.revision(
        "d4d4d4d4d4d4",
        "create tags",
        &["--head", "b2b2b2b2b2b2", "--splice"],
        "CREATE TABLE tags (id INTEGER PRIMARY KEY, label VARCHAR(50));",
        "DROP TABLE tags;",
    );
    let heads = project.run(&["heads"], 0);
    assert_eq!(heads.stdout.lines().count(), 2, "{}", heads.stdout);
    project.run(&["revision", "-m", "refused"], 1);
    let refused = project.run(&["upgrade", "head"], 1);
    assert!(refused.stderr.contains("c3c3c3c3c3c3") && refused.stderr.contains("d4d4d4d4d4d4"));
    project.run(&["branches"], 0);
    project.run(
        &[
            "merge",
            "heads",
            "-m",
            "merge tags",
            "--rev-id",
            "e5e5e5e5e5e5",
        ],
        0,
    );
    project.run(&["heads"], 0);
    project.run(&["upgrade", "head"], 0);
    project.run(&["history", "-r", "b2b2:"], 0);
    project.run(&["show", "e5e5"], 0);
    project.run(&["check"], 0);

    project.run(&["stamp", "c3c3c3c3c3c3"], 0);
    project.run(&["current"], 0);
    project.run(&["check"], 1);
    project.run(&["stamp", "head"], 0);
    project.run(&["check"], 0);
    project.run(&["upgrade", "head"], 0);
    let script = project.run(&["upgrade", "head", "--sql"], 0).stdout;
    for table in ["users", "posts", "comments", "tags"] {
        assert!(
            script.contains(&format!("CREATE TABLE {table} (")),
            "{script}"
        );
    }
    let script = project.run(&["downgrade", "head:b2b2", "--sql"], 0).stdout;
    assert!(
        script.contains("DROP TABLE tags;") && script.contains("DROP TABLE comments;"),
        "{script}"
    );
    assert!(!script.contains("DROP TABLE posts;"), "{script}");
    let lock =
        std::fs::read_to_string(project.path().join("migrations/migrate.lock")).expect("lock");
    project.transcript.push_str("migrations/migrate.lock:\n");
    project.transcript.push_str(&lock);
    std::mem::take(&mut project.transcript)
}

#[test]
fn sqlite_workflow() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite:{}", dir.path().join("app.db").display());
    let mut project = Project::new(url.clone());
    let transcript = workflow(&mut project, "sqlite");
    settings(Some(&url)).bind(|| insta::assert_snapshot!("workflow_sqlite", transcript));
}

fn server_workflow(variable: &str, dialect: &str, snapshot: &str) {
    let Some(base_url) = server_url(variable, snapshot) else {
        return;
    };
    let (url, name) = fresh_database(&base_url, "cli_e2e");
    let mut project = Project::new(url);
    let transcript = workflow(&mut project, dialect);
    drop_database(&base_url, &name);
    settings(Some(&name)).bind(|| insta::assert_snapshot!(snapshot, transcript));
}

#[test]
fn postgres_workflow() {
    server_workflow("MIGRATE_TEST_POSTGRES_URL", "postgres", "workflow_postgres");
}

/// The same URL with a password added after the user name (the test server
/// trusts local connections, so any password is accepted).
fn with_password(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let (user, host) = rest.split_once('@')?;
    (!user.contains(':')).then(|| format!("{scheme}://{user}:s3cret@{host}"))
}

#[test]
fn postgres_output_never_shows_the_password() {
    let Some(base_url) = server_url(
        "MIGRATE_TEST_POSTGRES_URL",
        "postgres_output_never_shows_the_password",
    ) else {
        return;
    };
    let (url, name) = fresh_database(&base_url, "cli_secret");
    let Some(secret_url) = with_password(&url) else {
        eprintln!("skipped: MIGRATE_TEST_POSTGRES_URL already carries a password");
        drop_database(&base_url, &name);
        return;
    };
    let mut project = two_revision_project();
    project.url = secret_url;
    project.set_dialect("postgres");
    let outputs = [
        project.run_quietly(&["upgrade", "head", "-v"]),
        project.run_quietly(&["current", "--verbose"]),
        project.run_quietly(&["upgrade", "nope"]),
        project.run_quietly(&["check", "--format", "json"]),
    ];
    drop_database(&base_url, &name);
    assert_eq!(outputs[0].code, 0, "{}", outputs[0].stderr);
    assert!(outputs[1].stdout.contains(":***@"), "{}", outputs[1].stdout);
    for output in &outputs {
        assert!(!output.stdout.contains("s3cret") && !output.stderr.contains("s3cret"));
    }
}

#[test]
fn mariadb_workflow() {
    server_workflow("MIGRATE_TEST_MYSQL_URL", "mysql", "workflow_mariadb");
}

/// A SQLite project with two revisions whose ids share the prefix `abcd`.
fn two_revision_project() -> Project {
    // The database file lives in the project directory itself.
    let mut project = Project::new(String::new());
    project.url = format!("sqlite:{}", project.path().join("app.db").display());
    project.run(&["init"], 0);
    project.set_dialect("sqlite");
    project.revision(
        "abcd11111111",
        "one",
        &[],
        "CREATE TABLE one (id INTEGER);",
        "DROP TABLE one;",
    );
    project.revision(
        "abcd22222222",
        "two",
        &[],
        "CREATE TABLE two (id INTEGER);",
        "DROP TABLE two;",
    );
    project
}

/// Asserts a failed command printed exactly one line, `error: ...`, and
/// nothing else; returns that line.
fn one_line_error(output: &Output) -> String {
    assert_eq!(output.code, 1, "stderr: {}", output.stderr);
    assert!(output.stdout.is_empty(), "stdout: {}", output.stdout);
    let lines: Vec<&str> = output.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "expected one line, got:\n{}", output.stderr);
    assert!(lines[0].starts_with("error: "), "{}", lines[0]);
    assert!(
        !output.stderr.contains("s3cret"),
        "password leaked: {}",
        output.stderr
    );
    assert!(
        !output.stderr.to_lowercase().contains("backtrace"),
        "{}",
        output.stderr
    );
    lines[0].to_string()
}

#[test]
fn errors_are_one_line_and_never_show_a_password() {
    let project = two_revision_project();
    let mut lines = vec![
        one_line_error(&project.run_quietly(&["upgrade", "x!y"])),
        one_line_error(&project.run_quietly(&["upgrade", "ffff1234"])),
        one_line_error(&project.run_quietly(&["upgrade", "abcd"])),
        one_line_error(&project.run_quietly(&["show", "abcd"])),
    ];
    let started = std::time::Instant::now();
    lines.push(one_line_error(&project.run_quietly(&[
        "current",
        "--database-url",
        "postgres://app:s3cret@127.0.0.1:1/prod",
    ])));
    assert!(
        started.elapsed() < std::time::Duration::from_secs(15),
        "an unreachable server must fail fast"
    );
    lines.push(one_line_error(&project.run_quietly(&[
        "current",
        "--database-url",
        "mysql://app:s3cret@127.0.0.1:1/prod",
    ])));
    lines.push(one_line_error(&project.run_quietly(&[
        "current",
        "--database-url",
        "postgres://app:s3cret@[::1/prod",
    ])));
    lines.push(one_line_error(&project.run_quietly(&[
        "current",
        "--database-url",
        "oracle://app:s3cret@db/prod",
    ])));
    let without_url = Command::new(env!("CARGO_BIN_EXE_cargo-migrate"))
        .args(["migrate", "current"])
        .current_dir(project.path())
        .env_remove("DATABASE_URL")
        .env("NO_COLOR", "1")
        .output()
        .expect("runs");
    lines.push(one_line_error(&Output {
        code: without_url.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&without_url.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&without_url.stderr).into_owned(),
    }));
    insta::assert_snapshot!("errors", lines.join("\n"));
}

#[test]
fn usage_errors_exit_2_and_help_documents_exit_codes() {
    let project = two_revision_project();
    assert_eq!(project.run_quietly(&["frobnicate"]).code, 2);
    assert_eq!(project.run_quietly(&["upgrade"]).code, 2);
    assert_eq!(project.run_quietly(&["heads", "--format", "sarif"]).code, 2);
    let echoed = project.run_quietly(&["current", "postgres://app:s3cret@db/prod"]);
    assert_eq!(echoed.code, 2);
    assert!(
        echoed.stderr.contains("postgres://app:******@db/prod"),
        "{}",
        echoed.stderr
    );
    assert!(!echoed.stderr.contains("s3cret"), "{}", echoed.stderr);
    let help = project.run_quietly(&["--help"]);
    assert_eq!(help.code, 0);
    assert!(
        help.stdout.contains("Exit codes: 0 success, 1 failure"),
        "{}",
        help.stdout
    );
    assert!(help.stdout.contains("DATABASE_URL"), "{}", help.stdout);
}

#[test]
fn a_url_in_migrate_toml_is_refused_without_showing_it() {
    let project = two_revision_project();
    let toml = project.path().join("migrations/migrate.toml");
    let mut text = std::fs::read_to_string(&toml).expect("toml");
    text.push_str("url = \"postgres://admin:s3cret@prod.server/mydb\"\n");
    std::fs::write(&toml, text).expect("write");
    let output = project.run_quietly(&["heads"]);
    assert_eq!(output.code, 1);
    assert!(
        output.stderr.contains("error[config-credentials]"),
        "{}",
        output.stderr
    );
    assert!(output.stderr.contains("DATABASE_URL"), "{}", output.stderr);
    assert!(!output.stderr.contains("s3cret"), "{}", output.stderr);
}

#[test]
fn dotenv_supplies_the_database_url() {
    let project = two_revision_project();
    let db = project.path().join("from-dotenv.db");
    std::fs::write(
        project.path().join(".env"),
        format!("DATABASE_URL=sqlite:{}\n", db.display()),
    )
    .expect("write .env");
    let output = Command::new(env!("CARGO_BIN_EXE_cargo-migrate"))
        .args(["migrate", "upgrade", "head"])
        .current_dir(project.path())
        .env_remove("DATABASE_URL")
        .output()
        .expect("runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(db.exists(), "the .env URL was used");
}

#[test]
fn read_verbs_speak_json() {
    let mut project = two_revision_project();
    project.run(&["upgrade", "head"], 0);
    let parse = |args: &[&str]| -> serde_json::Value {
        let output = project.run_quietly(args);
        assert_eq!(output.code, 0, "{}", output.stderr);
        serde_json::from_str(&output.stdout)
            .unwrap_or_else(|error| panic!("{args:?}: {error}: {}", output.stdout))
    };
    let history = parse(&["history", "--format", "json"]);
    assert_eq!(history[0]["id"], "abcd22222222");
    assert_eq!(
        history[1]["down_revisions"].as_array().map(Vec::len),
        Some(0)
    );
    assert_eq!(parse(&["heads", "--format", "json"])[0]["head"], true);
    assert_eq!(
        parse(&["current", "--format", "json"])["current"][0]["id"],
        "abcd22222222"
    );
    assert_eq!(
        parse(&["show", "abcd1", "--format", "json"])["message"],
        "one"
    );
    assert_eq!(
        parse(&["branches", "--format", "json"]),
        serde_json::json!([])
    );
    assert_eq!(parse(&["check", "--format", "json"])["at_head"], true);
    assert_eq!(
        parse(&["downgrade", "-1", "--format", "json"])["revisions"][0]["id"],
        "abcd22222222"
    );
    assert_eq!(parse(&["lint", "--format", "json"]), serde_json::json!([]));
}

/// Every row of the Alembic guide's quick reference, with the same arguments.
#[test]
fn alembic_quick_reference_rows_work_verbatim() {
    let mut project = Project::new(String::new());
    project.url = format!("sqlite:{}", project.path().join("app.db").display());
    // alembic init alembic
    project.run(&["init", "migrations"], 0);
    project.set_dialect("sqlite");
    // alembic revision -m "message" (twice, filled in as a user would)
    for (id, table) in [
        ("aaaa00000001", "users"),
        ("bbbb00000002", "posts"),
        ("cccc00000003", "tags"),
    ] {
        let file = project.revision(
            id,
            "message",
            &[],
            &format!("CREATE TABLE {table} (id INTEGER);"),
            &format!("DROP TABLE {table};"),
        );
        assert!(file
            .file_name()
            .is_some_and(|name| name.to_string_lossy().ends_with("_message.sql")));
    }
    project.run(&["upgrade", "head"], 0); // apply all
    project.run(&["downgrade", "-1"], 0); // roll back one
    project.run(&["upgrade", "+1"], 0); // apply one
    project.run(&["downgrade", "aaaa"], 0); // roll back to a revision
    assert_eq!(
        project.run(&["current"], 0).stdout,
        "aaaa00000001, message\n"
    );
    project.run(&["downgrade", "base"], 0); // roll back all
    project.run(&["current"], 0);
    project.run(&["history", "--verbose"], 0);
    project.run(&["heads"], 0);
    // alembic merge heads (no message needed)
    project.revision(
        "dddd00000004",
        "side",
        &["--head", "aaaa00000001", "--splice"],
        "CREATE TABLE side (id INTEGER);",
        "DROP TABLE side;",
    );
    assert_eq!(project.run(&["heads"], 0).stdout.lines().count(), 2);
    project.run(&["merge", "heads"], 0);
    assert_eq!(project.run(&["heads"], 0).stdout.lines().count(), 1);
    project.run(&["upgrade", "head"], 0);
    project.run(&["check"], 0);
}

/// Two branches that each add a revision conflict in git on migrate.lock.
#[test]
fn parallel_revisions_conflict_in_git_on_the_lock_file() {
    let git_available = Command::new("git")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !git_available {
        eprintln!("skipped: git is not installed");
        return;
    }
    let mut project = two_revision_project();
    let root = project.path().to_path_buf();
    let git = |args: &[&str]| -> std::process::Output {
        Command::new("git")
            .args(args)
            .current_dir(&root)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("HOME", &root)
            .output()
            .expect("git runs")
    };
    let ok = |output: std::process::Output| {
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    };
    ok(git(&["init", "-q", "-b", "main"]));
    ok(git(&["config", "user.name", "Test"]));
    ok(git(&["config", "user.email", "test@example.invalid"]));
    ok(git(&["add", "migrations"]));
    ok(git(&["commit", "-q", "-m", "two revisions"]));

    ok(git(&["checkout", "-q", "-b", "feature-a"]));
    project.revision(
        "aaaa33333333",
        "feature a",
        &[],
        "CREATE TABLE a (id INTEGER);",
        "DROP TABLE a;",
    );
    ok(git(&["add", "migrations"]));
    ok(git(&["commit", "-q", "-m", "feature a"]));

    ok(git(&["checkout", "-q", "main"]));
    ok(git(&["checkout", "-q", "-b", "feature-b"]));
    project.revision(
        "bbbb44444444",
        "feature b",
        &[],
        "CREATE TABLE b (id INTEGER);",
        "DROP TABLE b;",
    );
    ok(git(&["add", "migrations"]));
    ok(git(&["commit", "-q", "-m", "feature b"]));

    let merge = git(&["merge", "-q", "feature-a"]);
    assert!(!merge.status.success(), "the merge must conflict");
    let conflicts =
        String::from_utf8_lossy(&git(&["diff", "--name-only", "--diff-filter=U"]).stdout)
            .into_owned();
    assert_eq!(conflicts.trim(), "migrations/migrate.lock");
    let lock =
        std::fs::read_to_string(project.path().join("migrations/migrate.lock")).expect("lock");
    assert!(
        lock.contains("<<<<<<<") && lock.contains("aaaa33333333") && lock.contains("bbbb44444444"),
        "{lock}"
    );
}

#[test]
fn check_fails_on_a_stale_lock_that_read_verbs_only_warn_about() {
    let mut project = two_revision_project();
    project.run(&["upgrade", "head"], 0);
    // A revision added by hand, without `cargo migrate revision`: the lock is stale.
    std::fs::write(
        project.path().join("migrations/abcd33333333_by_hand.sql"),
        "-- message: by hand\n-- revision: abcd33333333\n-- down_revision: abcd22222222\n\n\
         -- migrate:upgrade\nCREATE TABLE three (id INTEGER);\n-- migrate:downgrade\nDROP TABLE three;\n",
    )
    .expect("write");
    let heads = project.run(&["heads"], 0);
    assert!(
        heads
            .stderr
            .contains("warning: migrate.lock names a different set"),
        "{}",
        heads.stderr
    );
    let check = project.run(&["check"], 1);
    assert!(
        check.stderr.contains("error[stale-lock]"),
        "{}",
        check.stderr
    );
    assert!(
        check.stderr.contains("cargo migrate lock"),
        "{}",
        check.stderr
    );
    project.run(&["lock"], 0);
    // Fresh lock; the database is now behind the new head.
    let behind = project.run(&["check"], 1);
    assert!(
        behind.stderr.contains("pending abcd33333333"),
        "{}",
        behind.stderr
    );
    project.run(&["upgrade", "head"], 0);
    project.run(&["check"], 0);
    // Without a database URL, `check` still gates the directory and the lock.
    let no_url = Command::new(env!("CARGO_BIN_EXE_cargo-migrate"))
        .args(["migrate", "check"])
        .current_dir(project.path())
        .env_remove("DATABASE_URL")
        .output()
        .expect("runs");
    assert!(
        no_url.status.success(),
        "{}",
        String::from_utf8_lossy(&no_url.stderr)
    );
}

#[test]
fn init_edits_an_existing_build_rs_and_never_overwrites() {
    let mut project = Project::new("sqlite::memory:".to_string());
    std::fs::write(
        project.path().join("build.rs"),
        "fn main() {\n    println!(\"cargo:rerun-if-changed=x\");\n}\n",
    )
    .expect("write build.rs");
    let output = project.run(&["init"], 0);
    assert!(
        output.stdout.contains("embed_migrations!(\"migrations\")"),
        "{}",
        output.stdout
    );
    assert!(output.stdout.contains("migrate-build"), "{}", output.stdout);
    let build_rs = std::fs::read_to_string(project.path().join("build.rs")).expect("build.rs");
    assert_eq!(
        build_rs,
        "fn main() {\n    migrate_build::watch(\"migrations\");\n    println!(\"cargo:rerun-if-changed=x\");\n}\n"
    );
    let toml =
        std::fs::read_to_string(project.path().join("migrations/migrate.toml")).expect("toml");
    assert!(toml
        .lines()
        .all(|line| line.is_empty() || line.starts_with('#') || line.starts_with("dialect")));
    assert!(toml.contains("\ndialect = \"generic\"\n"), "{toml}");
    let other = Project::new(String::new());
    assert_eq!(
        other
            .run_quietly(&["init", "db/migrations", "--dialect", "postgres"])
            .code,
        0
    );
    let postgres =
        std::fs::read_to_string(other.path().join("db/migrations/migrate.toml")).expect("toml");
    assert!(
        postgres.contains("\ndialect = \"postgres\"\n"),
        "{postgres}"
    );
    assert!(std::fs::read_to_string(other.path().join("build.rs"))
        .expect("build.rs")
        .contains("watch(\"db/migrations\")"));
    let again = project.run(&["init"], 1);
    assert!(again.stderr.contains("already exists"), "{}", again.stderr);
    assert_eq!(
        std::fs::read_to_string(project.path().join("build.rs")).expect("build.rs"),
        build_rs
    );
    // A fresh revision on an empty directory is a base.
    let output = project.run(&["revision", "-m", "First one!"], 0);
    let path = output.stdout.trim();
    let name = Path::new(path)
        .file_name()
        .expect("name")
        .to_string_lossy()
        .into_owned();
    assert_eq!(name.len(), "123456789abc_first_one.sql".len(), "{name}");
    assert!(name.ends_with("_first_one.sql") && name[..12].chars().all(|c| c.is_ascii_hexdigit()));
    let text = std::fs::read_to_string(project.path().join(path)).expect("file");
    assert!(text.contains("-- down_revision: none\n"), "{text}");
    assert!(
        std::fs::read_to_string(project.path().join("migrations/migrate.lock"))
            .expect("lock")
            .contains(&name[..12])
    );
}

fn fixture_cases() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&root)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|entry| entry.path())
                .collect()
        })
        .unwrap_or_default();
    cases.retain(|case| case.join("migrations").is_dir());
    cases.sort();
    cases
}

/// `cargo migrate check` prints, for every fixture history, exactly what the
/// macro's `compile_error!` holds (`migrate_build::compile`, plain style).
#[test]
fn check_prints_the_builds_diagnostics_for_every_fixture() {
    let cases = fixture_cases();
    assert!(cases.len() > 5, "fixtures not found");
    for case in cases {
        let expected = migrate_build::compile(
            &case.join("migrations"),
            &migrate_build::Options::new().display_dir("migrations"),
        );
        let output = Command::new(env!("CARGO_BIN_EXE_cargo-migrate"))
            .args(["migrate", "check", "--dir", "migrations"])
            .current_dir(&case)
            .env_remove("DATABASE_URL")
            .env("NO_COLOR", "1")
            .output()
            .expect("runs");
        let stderr = String::from_utf8_lossy(&output.stderr);
        match expected {
            Err(failure) => {
                assert_eq!(
                    output.status.code(),
                    Some(1),
                    "{}: {stderr}",
                    case.display()
                );
                // The CLI masks URL passwords; so does the expectation.
                let rendered =
                    migrate_cli::load::mask_passwords(&failure.render(migrate_build::Style::Plain));
                assert!(
                    stderr.contains(&rendered),
                    "{}:\nexpected\n{rendered}\ngot\n{stderr}",
                    case.display()
                );
            }
            Ok(_) => assert_eq!(
                output.status.code(),
                Some(0),
                "{}: {stderr}",
                case.display()
            ),
        }
    }
}

/// The tolerant loader of the read verbs builds the same plan as the build.
#[test]
fn run_options_for_edited_and_unknown_revisions() {
    let mut project = two_revision_project();
    project.run(&["upgrade", "head", "--single-transaction"], 0);
    // An applied statement edited by hand: refused, unless the edit is intended.
    let two = project.path().join("migrations/abcd22222222_two.sql");
    let text = std::fs::read_to_string(&two).expect("read");
    std::fs::write(
        &two,
        text.replace(
            "CREATE TABLE two (id INTEGER);",
            "CREATE TABLE two (id BIGINT);",
        ),
    )
    .expect("write");
    let refused = project.run(&["downgrade", "-1"], 1);
    assert!(refused.stderr.contains("checksum"), "{}", refused.stderr);
    project.run(&["upgrade", "head", "--ignore-checksums"], 0);
    // The newest revision's file disappears (an older checkout): the database knows more.
    std::fs::remove_file(&two).expect("remove");
    project.run(&["lock"], 0);
    let unknown = project.run(&["downgrade", "base"], 1);
    assert!(
        unknown.stderr.contains("abcd22222222"),
        "{}",
        unknown.stderr
    );
    project.run(&["downgrade", "base", "--revert-unknown"], 0);
    assert!(project.run(&["current"], 0).stdout.is_empty());
}

#[test]
fn revision_flags_follow_alembic() {
    let mut project = two_revision_project();
    // Not a head: refused without --splice.
    let refused = project.run(&["revision", "-m", "side", "--head", "abcd1"], 1);
    assert!(
        refused.stderr.contains("not a head revision") && refused.stderr.contains("--splice"),
        "{}",
        refused.stderr
    );
    // A second base with its own label, then a revision on that branch by label.
    project.revision(
        "feed00000001",
        "audit log",
        &["--head", "base", "--branch-label", "audit"],
        "CREATE TABLE audit (id INTEGER);",
        "DROP TABLE audit;",
    );
    let on_label = project.revision(
        "feed00000002",
        "audit index",
        &["--head", "audit@head"],
        "CREATE INDEX audit_id ON audit (id);",
        "DROP INDEX audit_id;",
    );
    let text = std::fs::read_to_string(&on_label).expect("read");
    assert!(text.contains("-- down_revision: feed00000001\n"), "{text}");
    // A dependency across branches, by label.
    let dependent = project.revision(
        "abcd33333333",
        "uses audit",
        &["--head", "abcd22222222", "--depends-on", "audit"],
        "CREATE TABLE three (id INTEGER);",
        "DROP TABLE three;",
    );
    let text = std::fs::read_to_string(&dependent).expect("read");
    assert!(
        text.contains("-- down_revision: abcd22222222\n")
            || text.contains("-- down_revision: feed00000002\n"),
        "{text}"
    );
    assert!(text.contains("-- depends_on: feed00000001\n"), "{text}");
    // Labels are unique and ids are checked.
    let duplicate_label = project.run(
        &[
            "revision",
            "-m",
            "x",
            "--head",
            "audit@head",
            "--branch-label",
            "audit",
        ],
        1,
    );
    assert!(
        duplicate_label.stderr.contains("already used"),
        "{}",
        duplicate_label.stderr
    );
    let bad_id = project.run(
        &[
            "revision",
            "-m",
            "x",
            "--head",
            "audit@head",
            "--rev-id",
            "bad-id",
        ],
        1,
    );
    assert!(
        bad_id.stderr.contains("invalid revision id"),
        "{}",
        bad_id.stderr
    );
    let taken = project.run(
        &[
            "revision",
            "-m",
            "x",
            "--head",
            "audit@head",
            "--rev-id",
            "feed00000001",
        ],
        1,
    );
    assert!(taken.stderr.contains("already exists"), "{}", taken.stderr);
    // Merging a revision that is not a head is refused; naming one twice too.
    let not_head = project.run(&["merge", "abcd1", "feed00000002", "-m", "m"], 1);
    assert!(
        not_head.stderr.contains("not a head revision"),
        "{}",
        not_head.stderr
    );
    project.run(&["upgrade", "heads"], 0);
    let current = project.run(&["history", "-i", "--format", "json"], 0);
    let entries: serde_json::Value = serde_json::from_str(&current.stdout).expect("json");
    let marked: Vec<&str> = entries
        .as_array()
        .expect("array")
        .iter()
        .filter(|entry| entry["current"] == true)
        .map(|entry| entry["id"].as_str().expect("id"))
        .collect();
    assert!(!marked.is_empty(), "{}", current.stdout);
    project.run(&["check"], 0);
}

#[test]
fn colour_only_when_asked_or_on_a_terminal() {
    let project = two_revision_project();
    // Not a terminal: plain, whatever NO_COLOR says.
    let plain = project.run_quietly(&["upgrade", "head"]);
    assert!(!plain.stderr.contains('\x1b'), "{:?}", plain.stderr);
    let forced = project.run_quietly(&["downgrade", "-1", "--color", "always"]);
    assert!(
        forced.stderr.contains("\x1b[1;32m  Downgraded\x1b[0m"),
        "{:?}",
        forced.stderr
    );
    let never = project.run_quietly(&["upgrade", "nope", "--color", "never"]);
    assert!(never.stderr.starts_with("error: "), "{:?}", never.stderr);
}

#[test]
fn a_half_done_revision_shows_in_current_until_stamped() {
    let mut project = two_revision_project();
    project.revision(
        "abcd33333333",
        "seed",
        &[],
        "CREATE TABLE seed (id INTEGER PRIMARY KEY);\nINSERT INTO seed (id) VALUES (1);\nINSERT INTO seed (id) VALUES (1);",
        "DROP TABLE seed;",
    );
    let file = project.path().join("migrations/abcd33333333_seed.sql");
    let text = std::fs::read_to_string(&file).expect("read");
    std::fs::write(
        &file,
        text.replace(
            "-- migrate:upgrade\n",
            "-- migrate:upgrade transaction:false\n",
        ),
    )
    .expect("write");
    let failed = project.run(&["upgrade", "head"], 1);
    assert!(
        failed.stderr.contains("abcd33333333_seed.sql:"),
        "{}",
        failed.stderr
    );
    let current = project.run(&["current"], 0);
    assert!(
        current
            .stdout
            .contains("abcd33333333_seed.sql) failed during upgrade in an earlier run; statements that ran: #1 ("),
        "{}",
        current.stdout
    );
    // The third statement returned the error: it did not complete, and it
    // is never one that "did not run".
    assert!(
        current.stdout.contains("; did not complete: #3 ("),
        "{}",
        current.stdout
    );
    assert!(
        !current.stdout.contains("not run: #3"),
        "{}",
        current.stdout
    );
    project.run(&["upgrade", "head"], 1);
    // Resolved by hand (the seed row is there), then recorded.
    project.run(&["stamp", "head"], 0);
    let current = project.run(&["current"], 0);
    assert_eq!(current.stdout, "abcd33333333 (head), seed\n");
    project.run(&["check"], 0);
}

/// Runs SQL on the database at `url` (SQLite, PostgreSQL or MySQL).
fn exec_on(url: &str, sql: &str) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let result = if url.starts_with("sqlite") {
            let mut conn = sqlx::SqliteConnection::connect(url).await.expect("open");
            sqlx::query(sql).execute(&mut conn).await.map(|_| ())
        } else if url.starts_with("postgres") {
            let mut conn = sqlx::PgConnection::connect(url).await.expect("connect");
            sqlx::query(sql).execute(&mut conn).await.map(|_| ())
        } else {
            let mut conn = sqlx::MySqlConnection::connect(url).await.expect("connect");
            sqlx::query(sql).execute(&mut conn).await.map(|_| ())
        };
        result.unwrap_or_else(|e| panic!("{sql}: {e}"));
    });
}

/// Issue 8, item 10: a middle row of the version table deleted by hand.
/// `upgrade head` (at head by the summary) and `check` both refuse, naming
/// the missing revision and the `stamp` that records it; after that stamp
/// both pass. Returns `upgrade head`'s stderr.
fn hand_deleted_row(url: String, dialect: &str) -> String {
    let mut project = Project::new(url.clone());
    project.run(&["init"], 0);
    project.set_dialect(dialect);
    project.revision(
        "abcd11111111",
        "seeds",
        &[],
        "CREATE TABLE seeds (id INTEGER);",
        "DROP TABLE seeds;",
    );
    project.revision(
        "abcd22222222",
        "seed",
        &[],
        "INSERT INTO seeds (id) VALUES (1);",
        "DELETE FROM seeds;",
    );
    project.revision(
        "abcd33333333",
        "late",
        &[],
        "CREATE TABLE late (id INTEGER);",
        "DROP TABLE late;",
    );
    project.run(&["upgrade", "head"], 0);
    exec_on(
        &url,
        "DELETE FROM migrate_version WHERE revision = 'abcd22222222'",
    );
    let refused = project.run(&["upgrade", "head"], 1);
    let checked = project.run(&["check"], 1);
    for output in [&refused, &checked] {
        assert!(
            output.stderr.contains("its ancestor abcd22222222 is not")
                && output.stderr.contains("`stamp abcd33333333`"),
            "{}",
            output.stderr
        );
    }
    project.run(&["stamp", "abcd33333333"], 0);
    project.run(&["check"], 0);
    project.run(&["upgrade", "head"], 0);
    refused.stderr
}

#[test]
fn hand_deleted_row_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite:{}", dir.path().join("app.db").display());
    let stderr = hand_deleted_row(url, "sqlite");
    settings(None).bind(|| insta::assert_snapshot!("hand_deleted_row", stderr));
    for (variable, dialect) in [
        ("MIGRATE_TEST_POSTGRES_URL", "postgres"),
        ("MIGRATE_TEST_MYSQL_URL", "mysql"),
    ] {
        let Some(base_url) = server_url(variable, &format!("hand_deleted_row on {dialect}")) else {
            continue;
        };
        let (url, name) = fresh_database(&base_url, "cli_edit");
        let on_server = hand_deleted_row(url, dialect);
        drop_database(&base_url, &name);
        assert_eq!(on_server, stderr, "{dialect}");
    }
}

/// Issue 8, item 13: entries of the directory that are skipped (a
/// subdirectory, a directory named `*.sql`, a `*.sql` link to nothing) are
/// warned about, next to the lint warnings; with `-q` none is printed.
#[cfg(unix)]
#[test]
fn skipped_entries_warn_and_quiet_means_quiet() {
    let mut project = two_revision_project();
    project.revision(
        "abcd33333333",
        "drop one",
        &[],
        "DROP TABLE one;",
        "CREATE TABLE one (id INTEGER);",
    );
    let migrations = project.path().join("migrations");
    std::fs::create_dir(migrations.join("old")).expect("mkdir");
    std::fs::create_dir(migrations.join("x.sql")).expect("mkdir");
    std::os::unix::fs::symlink("/nonexistent/gone.sql", migrations.join("gone.sql"))
        .expect("symlink");
    project.run(&["upgrade", "head"], 0);
    let loud = project.run(&["check"], 0);
    assert!(
        loud.stderr.contains("warning[ban-drop-table]"),
        "{}",
        loud.stderr
    );
    let skipped: Vec<&str> = loud
        .stderr
        .lines()
        .filter(|line| line.contains("skipped-entry"))
        .collect();
    insta::assert_snapshot!("skipped_entries", skipped.join("\n"));
    for args in [
        &["check", "-q"][..],
        &["-q", "upgrade", "head"],
        &["heads", "-q"],
    ] {
        let quiet = project.run(args, 0);
        assert_eq!(quiet.stderr, "", "{args:?}");
    }
}

/// Nine good revisions and a tenth that fails, in a project on `url`.
fn nine_good_and_a_bad_one(url: String, dialect: &str, bad_sql: &str, bad_down: &str) -> Project {
    let mut project = Project::new(url);
    project.run(&["init"], 0);
    project.set_dialect(dialect);
    for i in 1..=9 {
        project.revision(
            &format!("f{i:011}"),
            &format!("table {i}"),
            &[],
            &format!("CREATE TABLE t{i} (id INTEGER PRIMARY KEY);"),
            &format!("DROP TABLE t{i};"),
        );
    }
    project.revision("f00000000010", "the bad one", &[], bad_sql, bad_down);
    project
}

/// The revisions the version table says are applied, sorted.
fn applied_rows(url: &str) -> Vec<String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let query =
            "SELECT revision FROM migrate_version WHERE state = 'applied' ORDER BY revision";
        let rows: Vec<(String,)> = if url.starts_with("postgres") {
            let mut conn = sqlx::PgConnection::connect(url).await.expect("connect");
            sqlx::query_as(query)
                .fetch_all(&mut conn)
                .await
                .expect("rows")
        } else if url.starts_with("mysql") {
            let mut conn = sqlx::MySqlConnection::connect(url).await.expect("connect");
            sqlx::query_as(query)
                .fetch_all(&mut conn)
                .await
                .expect("rows")
        } else {
            let mut conn = sqlx::SqliteConnection::connect(url).await.expect("connect");
            sqlx::query_as(query)
                .fetch_all(&mut conn)
                .await
                .expect("rows")
        };
        rows.into_iter().map(|(id,)| id).collect()
    })
}

/// What a failed run says it committed, in text and in JSON, is what the
/// version table holds (before: only the tenth's error, and nothing on
/// stdout with `--format json`).
fn a_failed_run_reports_what_it_committed(url: String, dialect: &str) {
    let nine: Vec<String> = (1..=9).map(|i| format!("f{i:011}")).collect();
    let project = nine_good_and_a_bad_one(
        url.clone(),
        dialect,
        "INSERT INTO t1 (id) VALUES (1);\nINSERT INTO t1 (id) VALUES (1);",
        "DELETE FROM t1;",
    );
    let text = project.run_quietly(&["upgrade", "head"]);
    assert_eq!(text.code, 1, "{}", text.stderr);
    let upgraded: Vec<&str> = text
        .stderr
        .lines()
        .filter_map(|line| line.trim_start().strip_prefix("Upgraded "))
        .collect();
    assert_eq!(upgraded.len(), 9, "{}", text.stderr);
    for (line, id) in upgraded.iter().zip(&nine) {
        assert!(line.contains(&format!("-> {id},")), "{line}");
    }
    let error_at = text.stderr.find("error:").expect("an error line");
    let last_upgraded = text.stderr.rfind("Upgraded ").expect("upgraded lines");
    assert!(last_upgraded < error_at, "{}", text.stderr);
    assert!(
        text.stderr.contains("9 revisions upgraded and committed"),
        "{}",
        text.stderr
    );
    assert!(text.stderr.contains("f00000000010"), "{}", text.stderr);
    assert_eq!(applied_rows(&url), nine);

    // JSON from a fresh start: downgrade to base first.
    let down = project.run_quietly(&["downgrade", "base"]);
    assert_eq!(down.code, 0, "{}", down.stderr);
    assert!(applied_rows(&url).is_empty());
    let json = project.run_quietly(&["upgrade", "head", "--format", "json"]);
    assert_eq!(json.code, 1, "{}", json.stderr);
    let document: serde_json::Value =
        serde_json::from_str(&json.stdout).expect("a JSON document on stdout");
    let claimed: Vec<String> = document["revisions"]
        .as_array()
        .expect("revisions")
        .iter()
        .map(|entry| entry["id"].as_str().expect("id").to_string())
        .collect();
    assert_eq!(claimed, nine, "{document:#}");
    assert_eq!(document["failed"]["id"], "f00000000010", "{document:#}");
    assert!(document["failed"]["line"].is_u64(), "{document:#}");
    assert!(
        document["error"]
            .as_str()
            .is_some_and(|error| error.contains("t1")),
        "{document:#}"
    );
    assert_eq!(applied_rows(&url), nine);
}

#[test]
fn a_failed_run_reports_what_it_committed_on_sqlite() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite:{}?mode=rwc", dir.path().join("app.db").display());
    a_failed_run_reports_what_it_committed(url, "sqlite");
}

#[test]
fn a_failed_run_reports_what_it_committed_on_postgres() {
    let Some(base_url) = server_url(
        "MIGRATE_TEST_POSTGRES_URL",
        "a_failed_run_reports_what_it_committed_on_postgres",
    ) else {
        return;
    };
    let (url, name) = fresh_database(&base_url, "cli_failed_run");
    a_failed_run_reports_what_it_committed(url.clone(), "postgres");

    // Streamed: the nine lines are out while the tenth is still running.
    let project = nine_good_and_a_bad_one(
        url.clone(),
        "postgres",
        "SELECT pg_sleep(4);\nSELECT 1;",
        "SELECT 1;",
    );
    let down = project.run_quietly(&["downgrade", "base"]);
    assert_eq!(down.code, 0, "{}", down.stderr);
    let mut child = Command::new(env!("CARGO_BIN_EXE_cargo-migrate"))
        .args(["migrate", "upgrade", "head"])
        .current_dir(project.path())
        .env("DATABASE_URL", &url)
        .env("NO_COLOR", "1")
        .stderr(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("spawn");
    let stderr = child.stderr.take().expect("stderr");
    let mut lines = std::io::BufRead::lines(std::io::BufReader::new(stderr));
    let mut upgraded = 0;
    while upgraded < 9 {
        let line = lines.next().expect("a line").expect("utf-8");
        if line.trim_start().starts_with("Upgraded ") {
            upgraded += 1;
        }
    }
    assert!(
        child.try_wait().expect("try_wait").is_none(),
        "the nine lines came only when the run ended"
    );
    let status = child.wait().expect("wait");
    drop_database(&base_url, &name);
    assert!(status.success());
}

/// A `dialect = "postgres"` history of two revisions, the second creating
/// an index with `CONCURRENTLY` (outside a transaction), on `url`.
fn postgres_history(url: String) -> Project {
    let mut project = Project::new(url);
    project.run(&["init", "--dialect", "postgres"], 0);
    project.revision(
        "aaaa11111111",
        "users",
        &[],
        "CREATE TABLE users (id BIGINT PRIMARY KEY, email TEXT NOT NULL);",
        "DROP TABLE users;",
    );
    let file = project.revision("bbbb22222222", "index", &[], "SELECT 1;", "SELECT 1;");
    let text = std::fs::read_to_string(&file).expect("read");
    let header = &text[..text.find("-- migrate:upgrade").expect("upgrade")];
    std::fs::write(
        &file,
        format!(
            "{header}-- migrate:upgrade transaction:false\n\
             CREATE INDEX CONCURRENTLY IF NOT EXISTS users_email ON users (email);\n\n\
             -- migrate:downgrade transaction:false\n\
             DROP INDEX CONCURRENTLY IF EXISTS users_email;\n"
        ),
    )
    .expect("write");
    project
}

/// The first column of the first row `sql` returns on PostgreSQL, as text.
fn pg_text(url: &str, sql: &str) -> Option<String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let mut conn = sqlx::PgConnection::connect(url).await.expect("connect");
        sqlx::query_scalar(sql)
            .fetch_optional(&mut conn)
            .await
            .expect("query")
    })
}

/// Whether index `name` is valid in the catalog (`None`: there is none).
fn pg_index_valid(url: &str, name: &str) -> Option<bool> {
    pg_text(
        url,
        &format!("SELECT CAST(i.indisvalid AS TEXT) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = '{name}'"),
    )
    .map(|valid| valid == "true")
}

/// The version row of `revision`: state and statements done.
fn pg_version_row(url: &str, revision: &str) -> Option<(String, i64)> {
    let row = pg_text(
        url,
        &format!("SELECT state || ' ' || statements_done FROM migrate_version WHERE revision = '{revision}'"),
    )?;
    let (state, done) = row.split_once(' ').expect("state and count");
    Some((state.to_string(), done.parse().expect("a count")))
}

/// A `CREATE UNIQUE INDEX CONCURRENTLY` that fails on duplicates leaves an
/// INVALID index behind (PostgreSQL keeps a failed concurrent build). The
/// failure says so, the revision is marked failed (never "rolled back, the
/// database is as before": an `IF NOT EXISTS` run again would skip the
/// broken index), and `current` names the statement as the one that failed,
/// with what the catalog shows, not as one that did not run. Judged by the
/// catalog and the version table.
#[test]
fn a_failed_concurrent_index_is_reported_with_what_it_left_on_postgres() {
    let Some(base_url) = server_url(
        "MIGRATE_TEST_POSTGRES_URL",
        "a_failed_concurrent_index_is_reported_with_what_it_left_on_postgres",
    ) else {
        return;
    };
    let (url, name) = fresh_database(&base_url, "cli_invalid_index");
    let mut project = Project::new(url.clone());
    project.run(&["init", "--dialect", "postgres"], 0);
    project.revision(
        "aaaa11111111",
        "users",
        &[],
        "CREATE TABLE users (id BIGINT PRIMARY KEY, name TEXT);\nINSERT INTO users VALUES (1, 'a'), (2, 'a');",
        "DROP TABLE users;",
    );
    let bare = |project: &mut Project, id: &str, message: &str, up: &str, down: &str| {
        let file = project.revision(id, message, &[], "SELECT 1;", "SELECT 1;");
        let text = std::fs::read_to_string(&file).expect("read");
        let header = &text[..text.find("-- migrate:upgrade").expect("upgrade")];
        std::fs::write(
            &file,
            format!(
                "{header}-- migrate:upgrade transaction:false\n{up}\n\n-- migrate:downgrade transaction:false\n{down}\n"
            ),
        )
        .expect("write");
    };
    // The failing statement first: nothing else of the revision committed.
    bare(
        &mut project,
        "bbbb22222222",
        "unique",
        "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS ux_users_name ON users (name);\nSELECT 1;",
        "DROP INDEX CONCURRENTLY IF EXISTS ux_users_name;",
    );
    let failed = project.run(&["upgrade", "head"], 1);
    assert!(
        failed.stderr.contains("(statement 1 of 2)"),
        "{}",
        failed.stderr
    );
    assert!(
        failed
            .stderr
            .contains("it left index ux_users_name in the catalog, INVALID"),
        "{}",
        failed.stderr
    );
    assert!(!failed.stderr.contains("as before"), "{}", failed.stderr);
    assert_eq!(pg_index_valid(&url, "ux_users_name"), Some(false));
    assert_eq!(
        pg_version_row(&url, "bbbb22222222"),
        Some(("failed".to_string(), 0))
    );
    let current = project.run(&["current"], 0);
    assert!(
        current
            .stdout
            .contains("none of its statements ran; did not complete: #1 (")
            && current
                .stdout
                .contains("(it left index ux_users_name in the catalog, INVALID")
            && current.stdout.contains("not run: #2 ("),
        "{}",
        current.stdout
    );
    let json = project.run(&["current", "--format", "json"], 0);
    let json: serde_json::Value = serde_json::from_str(&json.stdout).expect("json");
    assert_eq!(json["unresolved"][0]["stopped_at"]["index"], 1, "{json}");

    // Resolved by hand, then the statement fails second in its revision.
    exec_on(&url, "DROP INDEX ux_users_name");
    project.run(&["stamp", "aaaa11111111"], 0);
    std::fs::remove_file(project.path().join("migrations/bbbb22222222_unique.sql")).expect("rm");
    std::fs::remove_file(project.path().join("migrations/migrate.lock")).ok();
    bare(
        &mut project,
        "cccc33333333",
        "indexes",
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS ix_users_name ON users (name);\nCREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS ux_users_name ON users (name);\nSELECT 1;",
        "DROP INDEX CONCURRENTLY IF EXISTS ux_users_name;\nDROP INDEX CONCURRENTLY IF EXISTS ix_users_name;",
    );
    let failed = project.run(&["upgrade", "head"], 1);
    assert!(
        failed.stderr.contains("(statement 2 of 3)"),
        "{}",
        failed.stderr
    );
    assert_eq!(pg_index_valid(&url, "ix_users_name"), Some(true));
    assert_eq!(pg_index_valid(&url, "ux_users_name"), Some(false));
    assert_eq!(
        pg_version_row(&url, "cccc33333333"),
        Some(("failed".to_string(), 1))
    );
    let current = project.run(&["current"], 0);
    assert!(
        current.stdout.contains("statements that ran: #1 (")
            && current.stdout.contains("; did not complete: #2 (")
            && current
                .stdout
                .contains("(it left index ux_users_name in the catalog, INVALID")
            && current.stdout.contains("not run: #3 (")
            && !current.stdout.contains("not run: #2"),
        "{}",
        current.stdout
    );
    drop_database(&base_url, &name);
}

/// Issue 11 item 4: a history validated for one database is refused on
/// another before anything runs (before: two revisions applied on SQLite,
/// the third failed half way; `--sql --dialect sqlite` printed
/// `CONCURRENTLY`); a generic history runs anywhere.
#[test]
fn another_databases_history_is_refused_before_anything_runs() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("app.db");
    let project = postgres_history(format!("sqlite:{}?mode=rwc", db.display()));
    for args in [
        &["upgrade", "head"][..],
        &["downgrade", "base"],
        &["stamp", "head"],
    ] {
        let output = project.run_quietly(args);
        let error = one_line_error(&output);
        assert!(
            error.contains("written for PostgreSQL")
                && error.contains("the database is SQLite")
                && error.contains("nothing was run"),
            "{args:?}: {error}"
        );
    }
    assert!(!db.exists(), "the CLI refused before connecting");
    let script = project.run_quietly(&["upgrade", "head", "--sql", "--dialect", "sqlite"]);
    let error = one_line_error(&script);
    assert!(error.contains("a SQLite script was asked for"), "{error}");
    assert!(!script.stdout.contains("CONCURRENTLY"), "{}", script.stdout);
    let script = project.run_quietly(&["upgrade", "head", "--sql", "--dialect", "postgres"]);
    assert_eq!(script.code, 0, "{}", script.stderr);
    assert!(script.stdout.contains("CONCURRENTLY"), "{}", script.stdout);

    // The same history in the generic dialect (minus what only PostgreSQL
    // reads) runs on SQLite.
    let mut generic = two_revision_project();
    generic.set_dialect("generic");
    generic.run(&["upgrade", "head"], 0);

    let Some(base_url) = server_url(
        "MIGRATE_TEST_POSTGRES_URL",
        "another_databases_history_is_refused_before_anything_runs",
    ) else {
        return;
    };
    let (url, name) = fresh_database(&base_url, "cli_dialect");
    let mut sqlite_history = two_revision_project();
    sqlite_history.url = url.clone();
    let refused = sqlite_history.run_quietly(&["upgrade", "head"]);
    let postgres = postgres_history(url.clone());
    let applied = postgres.run_quietly(&["upgrade", "head"]);
    let rows = applied_rows(&url);
    drop_database(&base_url, &name);
    let error = one_line_error(&refused);
    assert!(
        error.contains("written for SQLite") && error.contains("the database is PostgreSQL"),
        "{error}"
    );
    assert_eq!(applied.code, 0, "{}", applied.stderr);
    assert_eq!(rows, ["aaaa11111111", "bbbb22222222"]);
}

/// Asserts a read verb answered (exit 0, `expected` on stdout) and printed
/// the directory's errors after, with `code` among them.
fn answered_with_errors_after(output: &Output, expected: &str, code: &str) {
    assert_eq!(output.code, 0, "{}", output.stderr);
    assert!(output.stdout.contains(expected), "{}", output.stdout);
    let error = output
        .stderr
        .find(&format!("error[{code}]"))
        .unwrap_or_else(|| panic!("no error[{code}] in:\n{}", output.stderr));
    let summary = output
        .stderr
        .rfind("warning: `migrations` has ")
        .unwrap_or_else(|| panic!("no summary in:\n{}", output.stderr));
    assert!(error < summary, "{}", output.stderr);
}

/// Issue 11 item 5: right after `revision -m` (an empty upgrade), with a
/// lint error, or during a git conflict in migrate.lock, the read verbs
/// answer and print the errors after (before: they refused); the verbs that
/// write to the database still refuse.
#[test]
fn read_verbs_answer_while_a_file_is_broken() {
    let mut project = two_revision_project();
    project.run(&["upgrade", "head"], 0);

    // An empty upgrade, as `revision` writes it.
    project.run(&["revision", "-m", "draft", "--rev-id", "cccc33333333"], 0);
    let history = project.run_quietly(&["history"]);
    answered_with_errors_after(
        &history,
        "abcd22222222 -> cccc33333333 (head), draft",
        "empty-upgrade",
    );
    let heads = project.run_quietly(&["heads"]);
    answered_with_errors_after(&heads, "cccc33333333 (head), draft", "empty-upgrade");
    let current = project.run_quietly(&["current"]);
    answered_with_errors_after(&current, "abcd22222222, two", "empty-upgrade");
    let show = project.run_quietly(&["show", "cccc"]);
    answered_with_errors_after(&show, "Rev: cccc33333333 (head)", "empty-upgrade");
    let json = project.run_quietly(&["history", "--format", "json"]);
    assert_eq!(json.code, 0, "{}", json.stderr);
    let entries: serde_json::Value = serde_json::from_str(&json.stdout).expect("JSON");
    assert_eq!(entries[0]["id"], "cccc33333333", "{entries:#}");
    // A revision that is not there is still an error of the verb's own.
    assert_eq!(project.run_quietly(&["show", "ffff"]).code, 1);
    for args in [
        &["upgrade", "head"][..],
        &["downgrade", "base"],
        &["stamp", "head"],
        &["check"],
    ] {
        let refused = project.run_quietly(args);
        assert_eq!(refused.code, 1, "{args:?}: {}", refused.stderr);
        assert!(
            refused.stderr.contains("error[empty-upgrade]"),
            "{args:?}: {}",
            refused.stderr
        );
    }

    // A lint error (the table does not exist at that point of the history).
    let draft = std::fs::read_dir(project.path().join("migrations"))
        .expect("dir")
        .map(|entry| entry.expect("entry").path())
        .find(|path| path.to_string_lossy().contains("cccc33333333"))
        .expect("the draft");
    let text = std::fs::read_to_string(&draft).expect("read");
    std::fs::write(
        &draft,
        text.replacen(
            "-- migrate:upgrade\n",
            "-- migrate:upgrade\nALTER TABLE nowhere ADD COLUMN x INTEGER;\n",
            1,
        )
        .replacen(
            "-- migrate:downgrade\n",
            "-- migrate:downgrade\nALTER TABLE nowhere DROP COLUMN x;\n",
            1,
        ),
    )
    .expect("write");
    let history = project.run_quietly(&["history"]);
    answered_with_errors_after(&history, "-> cccc33333333 (head), draft", "unknown-object");
    let refused = project.run_quietly(&["upgrade", "head"]);
    assert_eq!(refused.code, 1, "{}", refused.stderr);
    std::fs::remove_file(&draft).expect("remove the draft");
    project.run(&["lock"], 0);

    // Two branches each added a revision: migrate.lock holds git's conflict
    // markers, and the history has two heads.
    for (id, parent) in [
        ("aaaa33333333", "abcd22222222"),
        ("bbbb44444444", "abcd22222222"),
    ] {
        std::fs::write(
            project.path().join(format!("migrations/{id}_feature.sql")),
            format!(
                "-- message: feature {id}\n-- revision: {id}\n-- down_revision: {parent}\n\n\
                 -- migrate:upgrade\nCREATE TABLE t_{id} (id INTEGER);\n\
                 -- migrate:downgrade\nDROP TABLE t_{id};\n"
            ),
        )
        .expect("write");
    }
    let lock_path = project.path().join("migrations/migrate.lock");
    let lock = std::fs::read_to_string(&lock_path).expect("lock");
    std::fs::write(
        &lock_path,
        format!("{lock}<<<<<<< HEAD\nbbbb44444444\n=======\naaaa33333333\n>>>>>>> feature-a\n"),
    )
    .expect("write");
    let heads = project.run_quietly(&["heads"]);
    answered_with_errors_after(
        &heads,
        "aaaa33333333 (head), feature aaaa33333333",
        "invalid-lock",
    );
    assert!(
        heads.stdout.contains("bbbb44444444 (head)"),
        "{}",
        heads.stdout
    );
    let history = project.run_quietly(&["history"]);
    answered_with_errors_after(&history, "abcd22222222 -> bbbb44444444", "invalid-lock");
    let current = project.run_quietly(&["current"]);
    answered_with_errors_after(&current, "abcd22222222", "invalid-lock");
    let refused = project.run_quietly(&["upgrade", "heads"]);
    assert_eq!(refused.code, 1, "{}", refused.stderr);
    assert!(
        refused.stderr.contains("error[invalid-lock]"),
        "{}",
        refused.stderr
    );
    project.run(&["lock"], 0);
    project.run(&["upgrade", "heads"], 0);
}

/// Issue 11 item 7: `upgrade` refuses a stale migrate.lock as `cargo build`
/// and `check` do (before: a warning, and the upgrade ran).
#[test]
fn upgrade_refuses_a_stale_lock() {
    let mut project = two_revision_project();
    std::fs::write(
        project.path().join("migrations/abcd33333333_by_hand.sql"),
        "-- message: by hand\n-- revision: abcd33333333\n-- down_revision: abcd22222222\n\n\
         -- migrate:upgrade\nCREATE TABLE three (id INTEGER);\n-- migrate:downgrade\nDROP TABLE three;\n",
    )
    .expect("write");
    let refused = project.run_quietly(&["upgrade", "head"]);
    assert_eq!(refused.code, 1, "{}", refused.stderr);
    assert!(
        refused.stderr.contains("error[stale-lock]"),
        "{}",
        refused.stderr
    );
    assert!(
        refused.stderr.contains("cargo migrate lock"),
        "{}",
        refused.stderr
    );
    assert!(!project.path().join("app.db").exists() || applied_rows(&project.url).is_empty());
    project.run(&["lock"], 0);
    project.run(&["upgrade", "head"], 0);
}

/// Issue 11 item 7: `init` outside a Cargo package says so instead of
/// writing a build.rs Cargo would never run, and its hint names the
/// features the printed code needs.
#[test]
fn init_needs_a_package_and_names_the_features_its_code_needs() {
    let dir = tempfile::tempdir().expect("temp dir");
    let run = |cwd: &Path, args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_cargo-migrate"))
            .arg("migrate")
            .args(args)
            .current_dir(cwd)
            .env("NO_COLOR", "1")
            .output()
            .expect("runs")
    };
    let outside = run(dir.path(), &["init"]);
    let stderr = String::from_utf8_lossy(&outside.stderr);
    assert!(outside.status.success(), "{stderr}");
    assert!(stderr.contains("no Cargo.toml in"), "{stderr}");
    assert!(stderr.contains("cargo init"), "{stderr}");
    assert!(!dir.path().join("build.rs").exists());
    assert!(dir.path().join("migrations/migrate.toml").exists());
    // In a subdirectory of a package: the package's directory is named.
    std::fs::write(dir.path().join("Cargo.toml"), "[package]\nname = \"app\"\n").expect("write");
    let sub = dir.path().join("src");
    std::fs::create_dir(&sub).expect("mkdir");
    let nested = run(&sub, &["init"]);
    let stderr = String::from_utf8_lossy(&nested.stderr);
    assert!(
        stderr.contains(&format!("(`{}`)", dir.path().display())),
        "{stderr}"
    );
    assert!(!sub.join("build.rs").exists());

    let project = Project::new(String::new());
    let output = project.run_quietly(&["init"]);
    assert_eq!(output.code, 0, "{}", output.stderr);
    assert!(project.path().join("build.rs").exists());
    assert!(
        output.stdout.contains("migrate_runtime::cli::MigrateOpt")
            && output
                .stdout
                .contains(r#"migrate-runtime = { version = "0.1", features = ["cli"] }"#)
            && output
                .stdout
                .contains(r#"clap = { version = "4", features = ["derive"] }"#),
        "{}",
        output.stdout
    );
}

/// Issue 11 item 7: `cargo migrate completions bash|zsh|fish` prints a
/// script for `cargo migrate` that its shell reads without a syntax error.
#[test]
fn completions_for_bash_zsh_and_fish() {
    let project = Project::new(String::new());
    for (shell, check) in [("bash", "bash"), ("zsh", "zsh"), ("fish", "fish")] {
        let output = project.run_quietly(&["completions", shell]);
        assert_eq!(output.code, 0, "{shell}: {}", output.stderr);
        for word in [
            "migrate",
            "upgrade",
            "downgrade",
            "history",
            "database",
            "database-url",
        ] {
            assert!(output.stdout.contains(word), "{shell} lacks {word}");
        }
        let script = project.path().join(format!("completion.{shell}"));
        std::fs::write(&script, &output.stdout).expect("write");
        match Command::new(check).arg("-n").arg(&script).output() {
            Ok(checked) => assert!(
                checked.status.success(),
                "{shell} -n: {}",
                String::from_utf8_lossy(&checked.stderr)
            ),
            Err(_) => eprintln!("{check} is not installed: the script's syntax was not checked"),
        }
    }
}

/// `database create`, `drop` (refused without `-y` off a terminal) and
/// `reset` (drop, create, upgrade head) on the database `url` names;
/// `exists` tells whether it is there.
fn database_verbs(url: String, dialect: &str, exists: &dyn Fn() -> bool) {
    let mut project = Project::new(url.clone());
    project.run(&["init"], 0);
    project.set_dialect(dialect);
    project.revision(
        "aaaa11111111",
        "one",
        &[],
        "CREATE TABLE one (id INTEGER);",
        "DROP TABLE one;",
    );
    assert!(!exists());
    let created = project.run(&["database", "create"], 0);
    assert!(created.stderr.contains("Created"), "{}", created.stderr);
    assert!(exists());
    project.run(&["database", "create"], 0);
    project.run(&["upgrade", "head"], 0);
    assert_eq!(applied_rows(&url), ["aaaa11111111"]);

    let refused = project.run(&["database", "drop"], 1);
    assert!(refused.stderr.contains("pass `-y`"), "{}", refused.stderr);
    assert!(exists());
    let refused = project.run(&["database", "reset"], 1);
    assert!(refused.stderr.contains("pass `-y`"), "{}", refused.stderr);
    assert_eq!(applied_rows(&url), ["aaaa11111111"]);

    // reset: a database at `base` again, then at head.
    project.run(&["downgrade", "base"], 0);
    assert!(applied_rows(&url).is_empty());
    let reset = project.run(&["database", "reset", "-y"], 0);
    assert!(
        reset.stderr.contains("Dropped") && reset.stderr.contains("Created"),
        "{}",
        reset.stderr
    );
    assert_eq!(applied_rows(&url), ["aaaa11111111"]);
    project.run(&["database", "drop", "-y"], 0);
    assert!(!exists());
    project.run(&["database", "drop", "-y"], 0);
}

/// Issue 11 item 7, on SQLite: the file is the database.
#[test]
fn database_create_drop_reset_on_sqlite() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("app.db");
    let url = format!("sqlite:{}", file.display());
    database_verbs(url, "sqlite", &|| file.exists());
}

/// Whether the server at `base_url` has a database called `name`.
fn server_has_database(base_url: &str, name: &str) -> bool {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        if base_url.starts_with("postgres") {
            let mut conn = sqlx::PgConnection::connect(base_url)
                .await
                .expect("connect");
            sqlx::query("SELECT 1 FROM pg_database WHERE datname = $1")
                .bind(name)
                .fetch_optional(&mut conn)
                .await
                .expect("query")
                .is_some()
        } else {
            let mut conn = sqlx::MySqlConnection::connect(base_url)
                .await
                .expect("connect");
            sqlx::query("SELECT 1 FROM information_schema.schemata WHERE schema_name = ?")
                .bind(name)
                .fetch_optional(&mut conn)
                .await
                .expect("query")
                .is_some()
        }
    })
}

fn server_database_verbs(variable: &str, dialect: &str) {
    let Some(base_url) = server_url(variable, &format!("database verbs on {dialect}")) else {
        return;
    };
    let (url, name) = unused_database(&base_url, "cli_dbverbs");
    let outcome = std::panic::catch_unwind(|| {
        database_verbs(url.clone(), dialect, &|| {
            server_has_database(&base_url, &name)
        });
    });
    drop_database(&base_url, &name);
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

/// Issue 11 item 7, on PostgreSQL: the database named in the URL.
#[test]
fn database_create_drop_reset_on_postgres() {
    server_database_verbs("MIGRATE_TEST_POSTGRES_URL", "postgres");
}

/// Issue 11 item 7, on MariaDB: the database named in the URL.
#[test]
fn database_create_drop_reset_on_mariadb() {
    server_database_verbs("MIGRATE_TEST_MYSQL_URL", "mysql");
}

/// A `dialect = "postgres"` history whose second revision holds a statement
/// sqlparser rejects and PostgreSQL accepts (`ALTER SEQUENCE ... OWNED BY`).
fn owned_by_history(url: String) -> Project {
    let mut project = Project::new(url);
    project.run(&["init", "--dialect", "postgres"], 0);
    project.revision(
        "aaaa11111111",
        "users",
        &[],
        "CREATE TABLE users (id BIGINT PRIMARY KEY);\nCREATE SEQUENCE users_seq;",
        "DROP SEQUENCE users_seq;\nDROP TABLE users;",
    );
    project.revision(
        "bbbb22222222",
        "own the sequence",
        &[],
        "ALTER SEQUENCE users_seq OWNED BY users.id;",
        "ALTER SEQUENCE users_seq OWNED BY NONE;",
    );
    project
}

/// Issue 11 item 3: built with `--features pg-query`, `cargo migrate`
/// accepts what a build with migrate-runtime's `pg-query` accepts (before:
/// the app built, and `upgrade head` failed with `sql-syntax`).
#[cfg(feature = "pg-query")]
#[test]
fn with_pg_query_the_cli_accepts_what_the_build_accepts() {
    let Some(base_url) = server_url(
        "MIGRATE_TEST_POSTGRES_URL",
        "with_pg_query_the_cli_accepts_what_the_build_accepts",
    ) else {
        return;
    };
    let (url, name) = fresh_database(&base_url, "cli_pg_query");
    let project = owned_by_history(url.clone());
    let check = project.run_quietly(&["check"]);
    let upgrade = project.run_quietly(&["upgrade", "head"]);
    let rows = if upgrade.code == 0 {
        applied_rows(&url)
    } else {
        Vec::new()
    };
    drop_database(&base_url, &name);
    assert_eq!(upgrade.code, 0, "{}", upgrade.stderr);
    assert_eq!(rows, ["aaaa11111111", "bbbb22222222"]);
    // `check` compiled the directory and found the database behind.
    assert!(check.stderr.contains("pending"), "{}", check.stderr);
}

/// Issue 11 item 3: without the feature, the same history is refused with
/// the way to a `cargo migrate` that parses as the build does.
#[cfg(not(feature = "pg-query"))]
#[test]
fn without_pg_query_the_cli_says_how_to_parse_as_the_build() {
    let project = owned_by_history("postgres://nobody@127.0.0.1:1/none".to_string());
    let refused = project.run_quietly(&["upgrade", "head"]);
    assert_eq!(refused.code, 1, "{}", refused.stderr);
    assert!(
        refused.stderr.contains("error[sql-syntax]"),
        "{}",
        refused.stderr
    );
    assert!(
        refused
            .stderr
            .contains("cargo install migrate-cli --features pg-query")
            && refused.stderr.contains("libclang"),
        "{}",
        refused.stderr
    );
}

/// A project on SQLite whose revisions are written as given: `(id, headers,
/// table)`, each creating and dropping its own table.
fn graph_project(revisions: &[(&str, &str, &str)]) -> Project {
    let mut project = Project::new(String::new());
    project.url = format!("sqlite:{}", project.path().join("app.db").display());
    project.run(&["init"], 0);
    project.set_dialect("sqlite");
    for (id, headers, table) in revisions {
        let text = format!(
            "-- revision: {id}\n{headers}\n-- message: {table}\n\n-- migrate:upgrade\n\
             CREATE TABLE {table} (id INTEGER);\n\n-- migrate:downgrade\nDROP TABLE {table};\n"
        );
        std::fs::write(
            project.path().join(format!("migrations/{id}_{table}.sql")),
            text,
        )
        .expect("write revision");
    }
    project.run(&["lock"], 0);
    project
}

/// Issue 9: a `depends_on` naming a branch label is an edge of the plan
/// (resolved by the compiler to the revision carrying the label), so
/// `upgrade <rev>` applies the dependency first, and `downgrade` of the
/// dependency reverts its dependant.
#[test]
fn depends_on_a_branch_label_is_honoured_by_upgrade_to_a_revision() {
    let mut project = graph_project(&[
        ("a1000000", "-- down_revision: none", "base_t"),
        (
            "b2000000",
            "-- down_revision: a1000000\n-- branch_labels: side",
            "side_t",
        ),
        (
            "c3000000",
            "-- down_revision: a1000000\n-- depends_on: side",
            "dependant_t",
        ),
        (
            "d4000000",
            "-- down_revision: b2000000, c3000000",
            "merge_t",
        ),
    ]);
    project.run(&["upgrade", "c3000000"], 0);
    let tables = sqlite_tables(&project.url);
    assert_eq!(
        tables,
        ["base_t", "dependant_t", "side_t"],
        "the dependency b2 (label `side`) must be applied with c3"
    );
    // Reverting to the base reverts the labelled revision and its dependant.
    project.run(&["downgrade", "a1000000"], 0);
    assert_eq!(sqlite_tables(&project.url), ["base_t"]);
}

/// The user tables of the SQLite database at `url`, sorted.
fn sqlite_tables(url: &str) -> Vec<String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let mut conn = sqlx::SqliteConnection::connect(url).await.expect("open");
        let names: Vec<String> = sqlx::query_scalar(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'migrate_version%' ORDER BY name",
        )
        .fetch_all(&mut conn)
        .await
        .expect("tables");
        names
    })
}

/// Issue 9: heads with `depends_on`. Versioned heads ignore dependency
/// edges, as `alembic heads` does: `b2` (which `c3` depends on) and `c3` are
/// both heads. The build, `heads` and `merge heads` must say the same: the
/// build refuses the two heads and advises the merge, `heads` lists both,
/// and `merge heads` joins exactly those two, after which all agree on one.
#[test]
fn heads_with_depends_on_agree_between_the_build_heads_and_merge() {
    let mut project = graph_project(&[
        ("a1000000", "-- down_revision: none", "base_t"),
        ("b2000000", "-- down_revision: a1000000", "side_t"),
        (
            "c3000000",
            "-- down_revision: a1000000\n-- depends_on: b2000000",
            "dependant_t",
        ),
    ]);
    let heads = project.run(&["heads"], 0);
    assert!(
        heads.stdout.contains("b2000000") && heads.stdout.contains("c3000000"),
        "{}",
        heads.stdout
    );
    let check = project.run(&["check"], 1);
    assert!(
        check.stderr.contains("b2000000")
            && check.stderr.contains("c3000000")
            && check.stderr.contains("merge heads"),
        "{}",
        check.stderr
    );
    let merge = project.run(&["merge", "heads", "-m", "join", "--rev-id", "d4000000"], 0);
    let merged = std::fs::read_dir(project.path().join("migrations"))
        .expect("migrations")
        .filter_map(Result::ok)
        .find(|e| e.file_name().to_string_lossy().starts_with("d4000000"))
        .unwrap_or_else(|| panic!("no merge file: {}", merge.stdout));
    let text = std::fs::read_to_string(merged.path()).expect("merge file");
    assert!(
        text.contains("-- down_revision: b2000000, c3000000"),
        "{text}"
    );
    let heads = project.run(&["heads"], 0);
    assert!(heads.stdout.contains("d4000000"), "{}", heads.stdout);
    assert!(!heads.stdout.contains("c3000000"), "{}", heads.stdout);
    project.run(&["upgrade", "head"], 0);
    project.run(&["check"], 0);
    assert_eq!(
        sqlite_tables(&project.url),
        ["base_t", "dependant_t", "side_t"]
    );
}

/// Issue 9: `show l@head` and `upgrade l@head` resolve the same revision:
/// with two heads, the head of the branch labelled `l` (`c3`), never the
/// other branch's head (`d4`, labelled `m`).
#[test]
fn label_at_head_is_the_same_revision_for_show_and_upgrade() {
    let mut project = graph_project(&[
        ("a1000000", "-- down_revision: none", "base_t"),
        (
            "b2000000",
            "-- down_revision: a1000000\n-- branch_labels: l",
            "l_one_t",
        ),
        ("c3000000", "-- down_revision: b2000000", "l_two_t"),
        (
            "d4000000",
            "-- down_revision: a1000000\n-- branch_labels: m",
            "m_one_t",
        ),
    ]);
    let show = project.run(&["show", "l@head"], 0);
    assert!(show.stdout.contains("c3000000"), "{}", show.stdout);
    assert!(!show.stdout.contains("d4000000"), "{}", show.stdout);
    project.run(&["upgrade", "l@head"], 0);
    assert_eq!(
        sqlite_tables(&project.url),
        ["base_t", "l_one_t", "l_two_t"]
    );
    let show = project.run(&["show", "m@head"], 0);
    assert!(show.stdout.contains("d4000000"), "{}", show.stdout);
    project.run(&["upgrade", "m@head"], 0);
    assert_eq!(
        sqlite_tables(&project.url),
        ["base_t", "l_one_t", "l_two_t", "m_one_t"]
    );
}

/// Issue 9: a schema-qualified version table (`app.versions`) gets one
/// answer everywhere: the build refuses it (`check`), and so do the verbs
/// that would write it (`upgrade`), with the same reason, before they
/// connect; a plain name is accepted by both and is the table written.
#[test]
fn a_schema_qualified_version_table_gets_the_same_answer_from_build_and_verbs() {
    let mut project = graph_project(&[("a1000000", "-- down_revision: none", "base_t")]);
    let toml = project.path().join("migrations/migrate.toml");
    let original = std::fs::read_to_string(&toml).expect("migrate.toml");
    std::fs::write(
        &toml,
        format!("{original}version_table = \"app.versions\"\n"),
    )
    .expect("write migrate.toml");
    let check = project.run(&["check"], 1);
    let upgrade = project.run(&["upgrade", "head"], 1);
    for output in [&check, &upgrade] {
        assert!(output.stderr.contains("app.versions"), "{}", output.stderr);
    }
    let reason = |stderr: &str| {
        stderr
            .lines()
            .find(|line| line.contains("app.versions"))
            .map(str::to_string)
    };
    assert_eq!(reason(&check.stderr), reason(&upgrade.stderr));
    assert!(
        !project.path().join("app.db").exists() || sqlite_tables(&project.url).is_empty(),
        "nothing ran"
    );
    std::fs::write(
        &toml,
        format!("{original}version_table = \"app_versions\"\n"),
    )
    .expect("write migrate.toml");
    project.run(&["upgrade", "head"], 0);
    project.run(&["check"], 0);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let rows: i64 = runtime.block_on(async {
        let mut conn = sqlx::SqliteConnection::connect(&project.url)
            .await
            .expect("open");
        sqlx::query_scalar("SELECT count(*) FROM app_versions WHERE revision = 'a1000000'")
            .fetch_one(&mut conn)
            .await
            .expect("the version table is app_versions")
    });
    assert_eq!(rows, 1);
}

/// A PostgreSQL project (no server needed: autogenerate compares with the
/// history's head) whose declared schema is `schema`, written as given.
fn declared_schema_project(schema: &str) -> Project {
    let mut project = Project::new(String::new());
    project.run(&["init"], 0);
    project.set_dialect("postgres");
    std::fs::write(project.path().join("migrations/schema.sql"), schema).expect("schema written");
    project
}

/// Errors of the declared schema render as the compiler renders a
/// revision's: code, message, ` --> file:line:col`, the source line with a
/// caret under the statement: a syntax error, an `INSERT`, a `DO` block.
#[cfg(feature = "pg-query")]
#[test]
fn declared_schema_errors_render_with_file_line_and_caret() {
    let project = declared_schema_project(
        "CREATE TABLE users (id INTEGER PRIMARY KEY);\n\
         \n\
         INSERT INTO users VALUES (1);\n\
         DO $$ BEGIN PERFORM 1; END $$;\n\
         CREATE TABLE posts (id INTEGER PRIMARY KEY title TEXT);\n",
    );
    let out = project.run_quietly(&["revision", "--autogenerate", "-m", "x"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert_eq!(out.stdout, "");
    insta::assert_snapshot!("declared_schema_errors", out.stderr);
}

/// A foreign key to a table the declared schema declares nowhere (and the
/// history's head does not hold) is an error naming the file, the line,
/// the table and the missing table; declared later, or in another file of
/// a schema directory, it is not.
#[test]
fn a_foreign_key_to_an_undeclared_table_is_an_error() {
    let project = declared_schema_project(
        "CREATE TABLE users (id INTEGER PRIMARY KEY);\n\
         CREATE TABLE posts (id INTEGER PRIMARY KEY,\n  author INTEGER REFERENCES authors (id));\n",
    );
    let out = project.run_quietly(&["revision", "--autogenerate", "-m", "x", "--check"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr.contains(
            "error[unknown-object]: migrations/schema.sql:2: table posts: a foreign key references table authors"
        ) && out.stderr.contains(" --> migrations/schema.sql:2:1"),
        "{}",
        out.stderr
    );
    // Declared after the table that references it: no error.
    std::fs::write(
        project.path().join("migrations/schema.sql"),
        "CREATE TABLE posts (id INTEGER PRIMARY KEY, author INTEGER REFERENCES authors (id));\n\
         CREATE TABLE authors (id INTEGER PRIMARY KEY);\n",
    )
    .expect("schema written");
    let out = project.run_quietly(&["revision", "--autogenerate", "-m", "x", "--check"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(!out.stderr.contains("unknown-object"), "{}", out.stderr);
    assert!(
        out.stdout.contains("CREATE TABLE authors"),
        "{}",
        out.stdout
    );
}

/// `schema = "schema"`: a directory of `*.sql` files, read in name order
/// (a reference from the first file to a table of the second is no
/// error), and no `skipped-entry` warning for it.
#[test]
fn a_declared_schema_directory_is_read_and_not_warned_about() {
    let project = declared_schema_project("");
    let migrations = project.path().join("migrations");
    std::fs::remove_file(migrations.join("schema.sql")).expect("rm");
    let toml = std::fs::read_to_string(migrations.join("migrate.toml")).expect("toml");
    std::fs::write(
        migrations.join("migrate.toml"),
        format!("{toml}schema = \"schema\"\n"),
    )
    .expect("toml written");
    std::fs::create_dir(migrations.join("schema")).expect("mkdir");
    std::fs::write(
        migrations.join("schema/a_posts.sql"),
        "CREATE TABLE posts (id INTEGER PRIMARY KEY, author INTEGER REFERENCES users (id));\n",
    )
    .expect("write");
    std::fs::write(
        migrations.join("schema/b_users.sql"),
        "CREATE TABLE users (id INTEGER PRIMARY KEY);\n",
    )
    .expect("write");
    let out = project.run_quietly(&["revision", "--autogenerate", "-m", "x", "--check"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stdout.contains("CREATE TABLE posts"), "{}", out.stdout);
    assert!(out.stdout.contains("CREATE TABLE users"), "{}", out.stdout);
    assert!(!out.stderr.contains("warning"), "{}", out.stderr);
    let lint = project.run_quietly(&["lint"]);
    assert_eq!(lint.code, 0, "{}", lint.stderr);
    assert!(!lint.stderr.contains("skipped"), "{}", lint.stderr);
}

/// The declared schema is read with a revision's limits: a FIFO, a link to
/// `/dev/zero` or a file over the size limit is refused at once with its
/// name, never read until it ends.
#[cfg(unix)]
#[test]
fn a_declared_schema_that_is_not_a_regular_file_or_too_large_is_refused() {
    let project = declared_schema_project("");
    let schema = project.path().join("migrations/schema.sql");
    std::fs::remove_file(&schema).expect("rm");
    let refused = |why: &str| {
        let started = std::time::Instant::now();
        let out = project.run_quietly(&["revision", "--autogenerate", "-m", "x"]);
        assert!(started.elapsed() < std::time::Duration::from_secs(20));
        assert_eq!(out.code, 1, "{}", out.stderr);
        assert!(
            out.stderr
                .contains(&format!("cannot read `migrations/schema.sql`: {why}")),
            "{}",
            out.stderr
        );
    };
    std::os::unix::fs::symlink("/dev/zero", &schema).expect("symlink");
    refused("it is a device, not a regular file");
    std::fs::remove_file(&schema).expect("rm");
    let made = Command::new("mkfifo")
        .arg(&schema)
        .status()
        .expect("mkfifo");
    assert!(made.success());
    refused("it is a FIFO (named pipe), not a regular file");
    std::fs::remove_file(&schema).expect("rm");
    std::fs::File::create(&schema)
        .and_then(|f| f.set_len(257 << 20))
        .expect("sparse file");
    refused("it is larger than 256 MiB, the most a SQL file may hold");
}
