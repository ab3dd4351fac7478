//! Every verb on a history with a 100,000-term statement and 100,000 casts
//! (issue 8, item 11): they once printed their result and then aborted
//! with SIGABRT (the syntax tree overflowed the stack when dropped). Now
//! they exit normally, and `lint` shows the `statement-too-deep` warning.

use std::path::Path;
use std::process::{Command, Output};

fn write_history(dir: &Path) {
    let migrations = dir.join("migrations");
    std::fs::create_dir_all(&migrations).expect("create dir");
    let statements = [
        format!("SELECT 1{}", " + 1".repeat(100_000)),
        format!("SELECT 1{}", "::int".repeat(100_000)),
    ];
    let mut parent = "none".to_string();
    for (index, sql) in statements.iter().enumerate() {
        let id = format!("de{:010}", index + 1);
        std::fs::write(
            migrations.join(format!("{id}_deep.sql")),
            format!(
                "-- revision: {id}\n-- down_revision: {parent}\n\n-- migrate:upgrade\nCREATE TABLE t{index} (x bigint);\n{sql};\n\n-- migrate:downgrade\nDROP TABLE t{index};\n"
            ),
        )
        .expect("write");
        parent = id;
    }
}

fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cargo-migrate"))
        .arg("migrate")
        .args(args)
        .current_dir(dir)
        .env("DATABASE_URL", "sqlite:db.sqlite?mode=rwc")
        .env("NO_COLOR", "1")
        .output()
        .expect("cargo-migrate runs")
}

#[test]
fn every_verb_exits_normally_on_deep_statements() {
    let root = tempfile::tempdir().expect("tempdir");
    let dir = root.path();
    write_history(dir);
    let verbs: &[(&[&str], i32)] = &[
        (&["lint"], 0),
        (&["heads"], 0),
        (&["history", "--verbose"], 0),
        (&["branches"], 0),
        (&["show", "de0000000002"], 0),
        (&["upgrade", "head", "--sql", "--dialect", "postgres"], 0),
        (&["current"], 0),
        (&["check"], 1),
        (&["stamp", "head"], 0),
        (&["current"], 0),
        (&["stamp", "base"], 0),
        // SQLite refuses the statement itself (its expression depth limit
        // is 1,000): a clean error naming the file and line.
        (&["upgrade", "head"], 1),
        (&["lint", "--format", "json"], 0),
    ];
    for (args, code) in verbs {
        let output = run(dir, args);
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(
            output.status.code(),
            Some(*code),
            "{args:?}: {:?}\nstdout: {}\nstderr: {}",
            output.status,
            &stdout[..stdout.len().min(2000)],
            &stderr[..stderr.len().min(2000)]
        );
        assert!(!stderr.contains("overflow"), "{args:?}: {stderr}");
        match args[0] {
            "lint" => assert!(
                stdout.contains("statement-too-deep") || stderr.contains("statement-too-deep"),
                "{args:?}: {}",
                &stdout[..stdout.len().min(2000)]
            ),
            "upgrade" if args.len() == 2 => assert!(
                stderr.contains("migrations/de0000000001_deep.sql:6")
                    && stderr.contains("Expression tree is too large"),
                "{stderr}"
            ),
            _ => {}
        }
    }
}
