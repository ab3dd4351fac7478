//! `cargo migrate` against a hostile directory: symbolic links planted
//! where it writes, ids and labels that would hide or inject text, a lock
//! file that is not a readable file. Through the real binary.

#![cfg(unix)]

use std::path::Path;
use std::process::Command;

struct Output {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn cargo_migrate(dir: &Path, args: &[&str]) -> Output {
    let output = Command::new(env!("CARGO_BIN_EXE_cargo-migrate"))
        .arg("migrate")
        .args(args)
        .current_dir(dir)
        .env_remove("DATABASE_URL")
        .env("NO_COLOR", "1")
        .output()
        .expect("cargo-migrate runs");
    Output {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// A project after `init`, with one revision `aaaa00000001`.
fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    assert_eq!(cargo_migrate(dir.path(), &["init"]).code, Some(0));
    let out = cargo_migrate(
        dir.path(),
        &["revision", "-m", "one", "--rev-id", "aaaa00000001"],
    );
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let file = dir.path().join(out.stdout.trim());
    let text = std::fs::read_to_string(&file).expect("read");
    std::fs::write(
        &file,
        text.replace(
            "-- migrate:upgrade\n",
            "-- migrate:upgrade\nCREATE TABLE one (id INTEGER);\n",
        ),
    )
    .expect("write");
    dir
}

fn files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("read dir")
        .map(|entry| {
            entry
                .expect("entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    names.sort();
    names
}

#[test]
fn revision_never_writes_through_a_dangling_symlink() {
    let dir = project();
    let outside = tempfile::tempdir().expect("tempdir");
    let target = outside.path().join("planted.sql");
    std::os::unix::fs::symlink(&target, dir.path().join("migrations/abc_x.sql")).expect("symlink");
    let out = cargo_migrate(dir.path(), &["revision", "-m", "x", "--rev-id", "abc"]);
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    assert!(out.stderr.contains("symbolic link"), "{}", out.stderr);
    assert!(!target.exists(), "written through the link");
    assert!(files(outside.path()).is_empty());
}

#[test]
fn a_symlinked_lock_is_refused_and_its_target_kept() {
    let dir = project();
    let outside = tempfile::tempdir().expect("tempdir");
    let victim = outside.path().join("victim.txt");
    std::fs::write(&victim, "precious\n").expect("write");
    let lock = dir.path().join("migrations/migrate.lock");
    std::fs::remove_file(&lock).expect("rm lock");
    std::os::unix::fs::symlink(&victim, &lock).expect("symlink");
    for args in [
        vec!["lock"],
        vec!["revision", "-m", "two", "--rev-id", "bbbb00000002"],
        vec!["merge", "heads", "--rev-id", "cccc00000003"],
    ] {
        let out = cargo_migrate(dir.path(), &args);
        assert_eq!(out.code, Some(1), "{args:?}: {}", out.stderr);
        assert!(
            out.stderr.contains("migrate.lock") && out.stderr.contains("symbolic link"),
            "{args:?}: {}",
            out.stderr
        );
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious\n");
    }
    assert_eq!(
        files(&dir.path().join("migrations")),
        ["aaaa00000001_one.sql", "migrate.lock", "migrate.toml"],
        "no revision file was left behind"
    );
}

#[test]
fn revision_ids_and_labels_come_from_the_documented_set() {
    let dir = project();
    let before = files(&dir.path().join("migrations"));
    for id in [
        ".a",
        "a$b",
        "a(b",
        "a`b",
        "a b",
        "a\u{202e}b",
        "a\u{200b}b",
        "a\nb",
        "a\\b",
        "a'b",
        "a_b",
        "a-b",
        "é1",
        "",
    ] {
        let out = cargo_migrate(dir.path(), &["revision", "-m", "x", "--rev-id", id]);
        assert_ne!(out.code, Some(0), "{id:?} accepted: {}", out.stdout);
        assert!(!out.stderr.contains('\u{202e}') && !out.stderr.contains('\u{200b}'));
    }
    for label in ["a\nb", "-- x", "a b", "a\u{202e}", "a:b", "a@b", ""] {
        let out = cargo_migrate(
            dir.path(),
            &[
                "revision",
                "-m",
                "x",
                "--rev-id",
                "dddd4",
                "--branch-label",
                label,
            ],
        );
        assert_ne!(out.code, Some(0), "{label:?} accepted: {}", out.stdout);
    }
    assert_eq!(
        files(&dir.path().join("migrations")),
        before,
        "no file written"
    );

    // Legal: letters, digits, dots.
    let out = cargo_migrate(
        dir.path(),
        &[
            "revision",
            "-m",
            "x",
            "--rev-id",
            "v1.2.3",
            "--branch-label",
            "feat_x-1.0",
        ],
    );
    assert_eq!(out.code, Some(0), "{}", out.stderr);

    // The same rule at build time: a header with such an id is an error.
    let migrations = dir.path().join("migrations");
    std::fs::write(
        migrations.join("a$b_x.sql"),
        "-- revision: a$b\n-- down_revision: v1.2.3\n\n-- migrate:upgrade\nSELECT 1;\n",
    )
    .expect("write");
    let out = cargo_migrate(dir.path(), &["check"]);
    assert_eq!(out.code, Some(1));
    assert!(out.stderr.contains("illegal-revision-id"), "{}", out.stderr);
}

#[test]
fn a_message_stays_one_visible_header_line() {
    let dir = project();
    let out = cargo_migrate(
        dir.path(),
        &[
            "revision",
            "-m",
            "two\nDROP TABLE x;\u{2028}\u{202e}",
            "--rev-id",
            "bbbb2",
        ],
    );
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let text = std::fs::read_to_string(dir.path().join(out.stdout.trim())).expect("read");
    assert!(
        text.starts_with("-- message: two DROP TABLE x;\n"),
        "{text:?}"
    );
}

#[test]
fn a_lock_that_is_not_a_readable_file_is_never_fresh() {
    for (case, make) in [
        (
            "directory",
            (|lock: &Path| std::fs::create_dir(lock).expect("mkdir")) as fn(&Path),
        ),
        ("not UTF-8", |lock: &Path| {
            std::fs::write(lock, b"aaaa00000001\n\xff\xfe\n").expect("write")
        }),
        ("dangling symlink", |lock: &Path| {
            std::os::unix::fs::symlink("/nonexistent/migrate.lock", lock).expect("symlink")
        }),
    ] {
        let dir = project();
        let lock = dir.path().join("migrations/migrate.lock");
        std::fs::remove_file(&lock).expect("rm");
        make(&lock);
        let out = cargo_migrate(dir.path(), &["check"]);
        assert_eq!(out.code, Some(1), "{case}: {}{}", out.stdout, out.stderr);
        assert!(
            out.stderr.contains("unreadable-lock"),
            "{case}: {}",
            out.stderr
        );
        assert!(!out.stderr.contains("fresh"), "{case}: {}", out.stderr);
        // `lock` rewrites a regular file, whatever it held, and refuses the rest.
        let out = cargo_migrate(dir.path(), &["lock"]);
        if case == "not UTF-8" {
            assert_eq!(out.code, Some(0), "{case}: lock {}", out.stderr);
            assert_eq!(cargo_migrate(dir.path(), &["check"]).code, Some(0));
        } else {
            assert_eq!(out.code, Some(1), "{case}: lock {}", out.stderr);
        }
    }
}

#[test]
fn an_empty_message_prints_no_empty_field() {
    let dir = tempfile::tempdir().expect("tempdir");
    assert_eq!(
        cargo_migrate(dir.path(), &["init", "--dialect", "sqlite"]).code,
        Some(0)
    );
    let out = cargo_migrate(dir.path(), &["revision", "-m", "", "--rev-id", "d1"]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let file = dir.path().join(out.stdout.trim());
    let text = std::fs::read_to_string(&file).expect("read");
    std::fs::write(
        &file,
        text.replace(
            "-- migrate:upgrade\n",
            "-- migrate:upgrade\nCREATE TABLE t (id INTEGER);\n",
        ),
    )
    .expect("write");
    let url = format!("sqlite:{}?mode=rwc", dir.path().join("app.db").display());
    let output = Command::new(env!("CARGO_BIN_EXE_cargo-migrate"))
        .args(["migrate", "upgrade", "head", "--database-url", &url])
        .current_dir(dir.path())
        .env("NO_COLOR", "1")
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    let line = stderr
        .lines()
        .find(|line| line.contains("Upgraded"))
        .expect("an Upgraded line");
    assert!(line.contains("<base> -> d1 ("), "{line}");
    assert!(!line.contains(", ") && !line.contains("  ("), "{line}");
}
