//! A crate that already built picks up a new migration file, and an edited
//! statement, with `cargo build` and no other change: `migrate_build::watch`
//! in its build script makes Cargo rerun it, and the macro re-expands.
//!
//! The fixture crate is generated in a temporary directory and built by
//! `migrate_tests::fixture_crate` (one target directory for every fixture
//! crate, so only the first build compiles sqlx).

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use migrate_tests::fixture_crate::{binary, cargo_build, write, WATCH_MIGRATIONS};

/// A revision creating `table` with `sql` (the CREATE TABLE statement).
fn revision(id: &str, parent: &str, sql: &str) -> String {
    let table = sql
        .split("CREATE TABLE ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or("t");
    format!("-- revision: {id}\n-- down_revision: {parent}\n\n-- migrate:upgrade\n{sql}\n\n-- migrate:downgrade\nDROP TABLE {table};\n")
}

/// Builds the crate and runs its binary; returns what it printed and how
/// long the build took.
fn build_and_run(dir: &Path) -> (String, Duration) {
    let started = Instant::now();
    let output = cargo_build(dir, false);
    let took = started.elapsed();
    assert!(
        output.status.success(),
        "cargo build failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).expect("read Cargo.toml");
    let name = manifest
        .lines()
        .find_map(|line| line.strip_prefix("name = \""))
        .and_then(|rest| rest.strip_suffix('"'))
        .expect("the package name");
    let run = Command::new(binary(name))
        .output()
        .expect("run the fixture");
    assert!(run.status.success());
    (
        String::from_utf8_lossy(&run.stdout).trim().to_string(),
        took,
    )
}

/// The fixture crate (Cargo.toml, Cargo.lock, build.rs calling `watch`,
/// main.rs printing the plan's length, last id and checksum), with no
/// migrations yet.
fn fixture_crate(name: &str) -> tempfile::TempDir {
    migrate_tests::fixture_crate::fixture_crate(
        name,
        WATCH_MIGRATIONS,
        "static PLAN: migrate_runtime::Plan = migrate_runtime::embed_migrations!(\"migrations\");\n\n\
         fn main() {\n    let last = PLAN.revisions().last().expect(\"a revision\");\n    \
         println!(\"{} {} {}\", PLAN.revisions().len(), last.id(), last.checksum_hex());\n}\n",
    )
}

/// `cargo build` in `dir`: whether it succeeded, and its stderr.
fn build(dir: &Path) -> (bool, String) {
    let output = cargo_build(dir, false);
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// The first two revisions of the fixture's history.
fn two_revisions(migrations: &Path) {
    write(
        &migrations.join("aaaa00000001_users.sql"),
        &revision(
            "aaaa00000001",
            "none",
            "CREATE TABLE users (id INTEGER PRIMARY KEY);",
        ),
    );
    write(
        &migrations.join("aaaa00000002_posts.sql"),
        &revision(
            "aaaa00000002",
            "aaaa00000001",
            "CREATE TABLE posts (id INTEGER PRIMARY KEY);",
        ),
    );
}

/// A crate that built once with `watch` keeps the old plan in `OUT_DIR`
/// after `build.rs` stops calling it: the macro compares the directory's
/// fingerprint with the one recorded next to the plan and refuses to embed
/// it (before the fix, the build said "Finished" and the binary lacked the
/// new revision).
#[test]
fn a_stale_plan_is_refused_after_build_rs_stops_watching() {
    let crate_dir = fixture_crate("rebuild-unwatched");
    let dir = crate_dir.path();
    let migrations = dir.join("migrations");
    two_revisions(&migrations);
    let (first, _) = build_and_run(dir);
    assert!(first.starts_with("2 aaaa00000002 "), "{first}");

    std::thread::sleep(Duration::from_millis(1100));
    write(&dir.join("build.rs"), "fn main() {}\n");
    // Nothing changed in the directory: the plan still matches it.
    let (same, _) = build_and_run(dir);
    assert_eq!(same, first);

    std::thread::sleep(Duration::from_millis(1100));
    write(
        &migrations.join("aaaa00000003_tags.sql"),
        &revision(
            "aaaa00000003",
            "aaaa00000002",
            "CREATE TABLE tags (id INTEGER PRIMARY KEY);",
        ),
    );
    let (ok, stderr) = build(dir);
    assert!(!ok, "a stale plan was embedded:\n{stderr}");
    assert!(
        stderr.contains("does not match the directory")
            && stderr.contains("migrate_build::watch(\"migrations\");")
            && stderr.contains("cargo clean -p rebuild-unwatched"),
        "{stderr}"
    );

    std::thread::sleep(Duration::from_millis(1100));
    write(&dir.join("build.rs"), WATCH_MIGRATIONS);
    let (fixed, _) = build_and_run(dir);
    assert!(fixed.starts_with("3 aaaa00000003 "), "{fixed}");
}

/// The directory replaced by a copy that keeps old timestamps (`cp -a`):
/// Cargo does not rerun the build script, and the next expansion of the
/// macro (here after an edit of main.rs) refuses the old plan.
#[test]
fn a_stale_plan_is_refused_after_cp_a() {
    let crate_dir = fixture_crate("rebuild-cp-a");
    let dir = crate_dir.path();
    let migrations = dir.join("migrations");
    two_revisions(&migrations);
    // The replacement, written before the first build and kept aside.
    let copy = dir.join("copy");
    two_revisions(&copy);
    write(
        &copy.join("aaaa00000003_tags.sql"),
        &revision(
            "aaaa00000003",
            "aaaa00000002",
            "CREATE TABLE tags (id INTEGER PRIMARY KEY);",
        ),
    );
    let old = |path: &Path| {
        let status = Command::new("touch")
            .args(["-d", "2001-01-01 00:00:00"])
            .arg(path)
            .status()
            .expect("touch");
        assert!(status.success());
    };
    for entry in std::fs::read_dir(&copy).expect("read copy") {
        old(&entry.expect("entry").path());
    }
    old(&copy);
    let (first, _) = build_and_run(dir);
    assert!(first.starts_with("2 aaaa00000002 "), "{first}");

    std::thread::sleep(Duration::from_millis(1100));
    std::fs::remove_dir_all(&migrations).expect("remove");
    let status = Command::new("cp")
        .arg("-a")
        .arg(&copy)
        .arg(&migrations)
        .status()
        .expect("cp -a");
    assert!(status.success());
    let main_rs = dir.join("src/main.rs");
    let mut main = std::fs::read_to_string(&main_rs).expect("read main.rs");
    main.push_str("// an unrelated edit\n");
    write(&main_rs, &main);
    let (ok, stderr) = build(dir);
    assert!(!ok, "a stale plan was embedded:\n{stderr}");
    assert!(
        stderr.contains("does not match the directory") && stderr.contains("touch migrations/*"),
        "{stderr}"
    );
    // The advice works.
    for entry in std::fs::read_dir(&migrations).expect("read") {
        let status = Command::new("touch")
            .arg(entry.expect("entry").path())
            .status()
            .expect("touch");
        assert!(status.success());
    }
    let (fixed, _) = build_and_run(dir);
    assert!(fixed.starts_with("3 aaaa00000003 "), "{fixed}");
}

#[test]
fn a_new_or_edited_migration_file_reaches_the_binary() {
    let crate_dir = fixture_crate("rebuild-fixture");
    let dir = crate_dir.path();
    let migrations = dir.join("migrations");
    write(
        &migrations.join("aaaa00000001_users.sql"),
        &revision(
            "aaaa00000001",
            "none",
            "CREATE TABLE users (id INTEGER PRIMARY KEY);",
        ),
    );
    write(
        &migrations.join("aaaa00000002_posts.sql"),
        &revision(
            "aaaa00000002",
            "aaaa00000001",
            "CREATE TABLE posts (id INTEGER PRIMARY KEY);",
        ),
    );

    let (first, _) = build_and_run(dir);
    assert!(first.starts_with("2 aaaa00000002 "), "{first}");

    // File system timestamps must move past the last build's.
    std::thread::sleep(Duration::from_millis(1100));
    write(
        &migrations.join("aaaa00000003_tags.sql"),
        &revision(
            "aaaa00000003",
            "aaaa00000002",
            "CREATE TABLE tags (id INTEGER PRIMARY KEY);",
        ),
    );
    let (second, took) = build_and_run(dir);
    assert!(second.starts_with("3 aaaa00000003 "), "{second}");
    eprintln!("rebuild after adding a file: {took:?}");

    std::thread::sleep(Duration::from_millis(1100));
    write(
        &migrations.join("aaaa00000003_tags.sql"),
        &revision(
            "aaaa00000003",
            "aaaa00000002",
            "CREATE TABLE tags (id BIGINT PRIMARY KEY);",
        ),
    );
    let (third, _) = build_and_run(dir);
    assert!(third.starts_with("3 aaaa00000003 "), "{third}");
    assert_ne!(third, second, "the edited statement changed the checksum");

    // A comment-only edit keeps the checksum (it is taken over tokens).
    std::thread::sleep(Duration::from_millis(1100));
    write(
        &migrations.join("aaaa00000003_tags.sql"),
        &revision(
            "aaaa00000003",
            "aaaa00000002",
            "-- tags for posts\nCREATE TABLE tags (id   BIGINT PRIMARY KEY);",
        ),
    );
    let (fourth, _) = build_and_run(dir);
    assert_eq!(fourth, third);

    // A lint warning reaches `cargo build`'s own output, with file and line,
    // through the build script's `cargo:warning=` lines (stable Rust).
    std::thread::sleep(Duration::from_millis(1100));
    write(
        &migrations.join("aaaa00000004_age.sql"),
        "-- revision: aaaa00000004\n-- down_revision: aaaa00000003\n\n-- migrate:upgrade\n\
         ALTER TABLE users ADD COLUMN age INTEGER NOT NULL;\n\n-- migrate:downgrade\n\
         ALTER TABLE users DROP COLUMN age;\n",
    );
    let output = cargo_build(dir, true);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(
        stderr.contains("warning: rebuild-fixture@0.0.0: migrations/aaaa00000004_age.sql:5:")
            && stderr.contains("warning[adding-required-field]"),
        "the lint warning is missing from cargo's output:\n{stderr}"
    );
    std::fs::remove_file(migrations.join("aaaa00000004_age.sql")).expect("remove");

    // The edit-compile loop at 1,000 more revisions: the build script parses
    // them once; an unrelated Rust edit then re-expands the macro without
    // parsing any SQL (it only `include!`s the plan from OUT_DIR).
    std::thread::sleep(Duration::from_millis(1100));
    let mut parent = "aaaa00000003".to_string();
    for i in 0..1000 {
        let id = format!("bbbb{i:08x}");
        let mut text = revision(
            &id,
            &parent,
            &format!("CREATE TABLE t{i} (id BIGINT PRIMARY KEY, name VARCHAR(200) NOT NULL, email VARCHAR(320));"),
        );
        for row in 0..8 {
            text = text.replace(
                "\n\n-- migrate:downgrade",
                &format!("\nINSERT INTO t{i} (id, name) VALUES ({row}, 'row number {row} of table {i}');\n\n-- migrate:downgrade"),
            );
        }
        write(&migrations.join(format!("{id}_t{i}.sql")), &text);
        parent = id;
    }
    let (big, took) = build_and_run(dir);
    assert!(big.starts_with("1003 bbbb000003e7 "), "{big}");
    eprintln!("rebuild after adding 1,000 files (build script parses them): {took:?}");
    std::thread::sleep(Duration::from_millis(1100));
    let main_rs = dir.join("src/main.rs");
    let mut main = std::fs::read_to_string(&main_rs).expect("read main.rs");
    main.push_str("// an unrelated edit\n");
    write(&main_rs, &main);
    let (same, took) = build_and_run(dir);
    assert_eq!(same, big);
    eprintln!("rebuild after an unrelated edit of main.rs, 1,003 revisions: {took:?}");
}
