//! A mutation fuzzer over the file format (issue 8): valid histories are
//! mutated (pieces of syntax inserted, ranges deleted, duplicated or moved,
//! characters replaced, deep expressions spliced in) and the whole
//! directory goes through [`migrate_build::compile`] (headers, splitter,
//! parsers, graph, plan order, lock, lints). It must never panic, abort or
//! hang; every reported span must be inside its file and on character
//! boundaries; the renderer must show every diagnostic.
//!
//! Outside the default test run (it is meant to run for minutes):
//!
//! ```sh
//! MIGRATE_FUZZ_CASES=20000 cargo test --release -p migrate-build --test fuzz_files -- --ignored --nocapture
//! ```
//!
//! `PROPTEST_RNG_SEED` (or a failure persisted under
//! `proptest-regressions/`) replays a run.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use migrate_build::{compile, Diagnostic, Options, Severity, Style};
use proptest::prelude::*;

/// Seed histories: `(file name, text)` per revision, `migrate.toml` first
/// when there is one.
fn seeds() -> Vec<Vec<(String, String)>> {
    let postgres = vec![
        (
            "migrate.toml".to_string(),
            "dialect = \"postgres\"\n".to_string(),
        ),
        (
            "a1_users.sql".to_string(),
            "-- revision: a1\n-- down_revision: none\n-- message: users\n\n-- migrate:upgrade\n\
             CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL, name varchar(20));\n\
             CREATE INDEX users_email ON users (email);\n\
             INSERT INTO users (id, email) VALUES (1, 'a@example.com'), (2, 'b''s@example.com');\n\n\
             -- migrate:downgrade\nDROP TABLE users;\n"
                .to_string(),
        ),
        (
            "b2_posts.sql".to_string(),
            "-- revision: b2\n-- down_revision: a1\n-- branch_labels: blog\n\n-- migrate:upgrade\n\
             CREATE TABLE posts (id bigint PRIMARY KEY, user_id bigint REFERENCES users (id), body text);\n\
             ALTER TABLE users ADD COLUMN age int NOT NULL DEFAULT 0;\n\
             -- migrate:unchecked -- PL/pgSQL\nDO $$ BEGIN PERFORM 1; END $$;\n\
             -- migrate:upgrade transaction:false\n\
             CREATE INDEX CONCURRENTLY IF NOT EXISTS posts_user ON posts (user_id);\n\n\
             -- migrate:downgrade transaction:false\n-- migrate:unchecked -- PostgreSQL only\nDROP INDEX CONCURRENTLY posts_user;\n\
             -- migrate:downgrade\nALTER TABLE users DROP COLUMN age;\nDROP TABLE posts;\n"
                .to_string(),
        ),
        (
            "c3_merge.sql".to_string(),
            "-- revision: c3\n-- down_revision: b2\n-- depends_on: a1\n\n-- migrate:upgrade\n\
             -- migrate:allow ban-drop-column -- the column is unused\n\
             ALTER TABLE users DROP COLUMN name;\n\
             UPDATE users SET email = lower(email) WHERE id IN (SELECT user_id FROM posts);\n\
             -- migrate:unchecked -- server-specific\nREINDEX TABLE users;\n\n\
             -- migrate:downgrade\nALTER TABLE users ADD COLUMN name varchar(20);\n"
                .to_string(),
        ),
    ];
    let sqlite = vec![
        (
            "migrate.toml".to_string(),
            "dialect = \"sqlite\"\n".to_string(),
        ),
        (
            "0001_t.sql".to_string(),
            "-- revision: 0001\n-- down_revision: none\n\n-- migrate:upgrade\n\
             CREATE TABLE t (id INTEGER PRIMARY KEY, x TEXT);\n\
             CREATE TRIGGER tr AFTER INSERT ON t BEGIN UPDATE t SET x = 'y'; END;\n\n\
             -- migrate:downgrade\nDROP TABLE t;\n"
                .to_string(),
        ),
        (
            "0002_deep.sql".to_string(),
            format!(
                "-- revision: 0002\n-- down_revision: 0001\n\n-- migrate:upgrade\n\
                 SELECT 1{};\nSELECT {}1{};\n\n-- migrate:downgrade\nSELECT 1;\n",
                " + 1".repeat(1_500),
                "(".repeat(40),
                ")".repeat(40)
            ),
        ),
    ];
    let mysql = vec![
        (
            "migrate.toml".to_string(),
            "dialect = \"mysql\"\n".to_string(),
        ),
        (
            "m1_x.sql".to_string(),
            "-- revision: m1\n-- down_revision: none\n\n-- migrate:upgrade\n\
             CREATE TABLE `t` (id BIGINT PRIMARY KEY, v VARCHAR(10)) ENGINE=InnoDB;\n\
             -- migrate:unchecked -- a MySQL routine\nCREATE PROCEDURE p() BEGIN SELECT 1; SELECT 2; END;\n\
             /*!50001 CREATE TABLE x (y int) */;\n\n\
             -- migrate:downgrade\nDROP PROCEDURE p;\nDROP TABLE `t`;\n"
                .to_string(),
        ),
    ];
    vec![postgres, sqlite, mysql]
}

/// Syntax that exercises the header parser, splitter and parsers.
const PIECES: &[&str] = &[
    "-- revision: a1\n",
    "-- down_revision: none\n",
    "-- down_revision: a1, a1\n",
    "-- down_revision: b2\n",
    "-- depends_on: blog@head\n",
    "-- branch_labels: blog\n",
    "-- migrate:upgrade\n",
    "-- migrate:downgrade\n",
    "-- migrate:upgrade transaction:false\n",
    "-- migrate:unchecked -- why\n",
    "-- migrate:allow-file ban-drop-table -- why\n",
    "-- migrate:bogus\n",
    ";",
    ";\n",
    "'",
    "\"",
    "`",
    "$$",
    "$a$",
    "/*",
    "*/",
    "(",
    ")",
    "[",
    "::int",
    " + 1",
    " OR x",
    "CASE WHEN x THEN ",
    " END",
    "(SELECT ",
    "BEGIN ",
    "END;",
    "DELIMITER $$\n",
    "\r",
    "\r\n",
    "\n",
    "\u{feff}",
    "é",
    "\u{202e}",
    "\0",
    "DROP TABLE users;\n",
    "CREATE TABLE users (id int);\n",
    "ALTER TABLE posts RENAME TO p2;\n",
    "TRUNCATE users CASCADE;\n",
    "BEGIN;\nCOMMIT;\n",
    "COPY t FROM STDIN;\n1\t2\n\\.\n",
];

/// One edit of a file.
#[derive(Debug, Clone)]
enum Mutation {
    /// Insert a piece at a position (fractions of the length).
    Insert(f64, usize),
    /// Insert a piece `n` times (deep expressions, long lines).
    Repeat(f64, usize, usize),
    /// Delete a range.
    Delete(f64, f64),
    /// Copy a range to another position.
    Duplicate(f64, f64, f64),
    /// Replace a character.
    Replace(f64, char),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let at = 0.0..=1.0f64;
    prop_oneof![
        4 => (at.clone(), 0..PIECES.len()).prop_map(|(a, p)| Mutation::Insert(a, p)),
        1 => (at.clone(), 0..PIECES.len(), 1..3_000usize).prop_map(|(a, p, n)| Mutation::Repeat(a, p, n)),
        2 => (at.clone(), 0.0..0.2f64).prop_map(|(a, l)| Mutation::Delete(a, l)),
        1 => (at.clone(), 0.0..0.3f64, at.clone()).prop_map(|(a, l, b)| Mutation::Duplicate(a, l, b)),
        2 => (at, any::<char>()).prop_map(|(a, c)| Mutation::Replace(a, c)),
    ]
}

/// The char boundary at or before `fraction` of `text`.
fn boundary(text: &str, fraction: f64) -> usize {
    let mut at = ((text.len() as f64) * fraction.clamp(0.0, 1.0)) as usize;
    at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

fn apply(text: &mut String, mutation: &Mutation) {
    match *mutation {
        Mutation::Insert(a, p) => {
            let at = boundary(text, a);
            text.insert_str(at, PIECES[p]);
        }
        Mutation::Repeat(a, p, n) => {
            let at = boundary(text, a);
            text.insert_str(at, &PIECES[p].repeat(n));
        }
        Mutation::Delete(a, l) => {
            let start = boundary(text, a);
            let end = boundary(text, (a + l).min(1.0)).max(start);
            text.replace_range(start..end, "");
        }
        Mutation::Duplicate(a, l, b) => {
            let start = boundary(text, a);
            let end = boundary(text, (a + l).min(1.0)).max(start);
            let copy = text[start..end].to_string();
            let at = boundary(text, b);
            text.insert_str(at, &copy);
        }
        Mutation::Replace(a, c) => {
            let at = boundary(text, a);
            if let Some(old) = text[at..].chars().next() {
                text.replace_range(at..at + old.len_utf8(), c.encode_utf8(&mut [0; 4]));
            }
        }
    }
}

#[track_caller]
fn check_span(text: &str, span: &Range<usize>, what: &str) {
    assert!(
        span.start <= span.end && span.end <= text.len(),
        "{what} {span:?} outside a text of {} bytes",
        text.len()
    );
    assert!(
        text.is_char_boundary(span.start) && text.is_char_boundary(span.end),
        "{what} {span:?} not on character boundaries"
    );
}

fn check_diagnostics(
    diagnostics: &[Diagnostic],
    files: &[(String, String)],
    sources: &migrate_build::Sources,
) {
    for diagnostic in diagnostics {
        assert!(!diagnostic.message.is_empty());
        for label in &diagnostic.labels {
            let name = label
                .file
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("");
            if let Some((_, text)) = files.iter().find(|(n, _)| n == name) {
                check_span(text, &label.span, diagnostic.code.as_str());
            }
        }
    }
    let shown = migrate_build::render(diagnostics, sources, Style::Plain);
    assert_eq!(diagnostics.is_empty(), shown.is_empty());
}

static CASES: AtomicUsize = AtomicUsize::new(0);
static FAILED_BUILDS: AtomicUsize = AtomicUsize::new(0);
static WARNED: AtomicUsize = AtomicUsize::new(0);

fn run_case(dir: &Path, seed: usize, target: usize, mutations: &[Mutation]) {
    let seeds = seeds();
    let mut files = seeds[seed % seeds.len()].clone();
    let target = target % files.len();
    for mutation in mutations {
        apply(&mut files[target].1, mutation);
    }
    if dir.exists() {
        std::fs::remove_dir_all(dir).expect("clear");
    }
    std::fs::create_dir_all(dir).expect("create");
    for (name, text) in &files {
        std::fs::write(dir.join(name), text).expect("write");
    }
    CASES.fetch_add(1, Ordering::Relaxed);
    match compile(dir, &Options::new().display_dir("migrations")) {
        Ok(compiled) => {
            if !compiled.warnings.is_empty() {
                WARNED.fetch_add(1, Ordering::Relaxed);
            }
            check_diagnostics(&compiled.warnings, &files, &compiled.sources);
            for revision in &compiled.revisions {
                for section in revision.upgrade.iter().chain(&revision.downgrade) {
                    for statement in &section.statements {
                        check_span(&revision.source, &statement.span, "statement");
                    }
                }
            }
            let _ = migrate_build::codegen::plan_expr(&compiled);
        }
        Err(failure) => {
            FAILED_BUILDS.fetch_add(1, Ordering::Relaxed);
            assert!(failure.errors().count() > 0);
            assert!(failure
                .diagnostics
                .iter()
                .all(|d| d.severity == Severity::Error || d.severity == Severity::Warning));
            check_diagnostics(&failure.diagnostics, &files, &failure.sources);
        }
    }
}

fn cases() -> u32 {
    std::env::var("MIGRATE_FUZZ_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(2_000)
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: cases(),
        // In process (proptest's `timeout` would fork each case, and the
        // totals below would stay at zero); a hang shows as a stuck run.
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    #[ignore = "a fuzzer: run with --ignored (see the module docs)"]
    fn mutated_histories_never_panic(
        seed in 0..3usize,
        target in 0..8usize,
        mutations in prop::collection::vec(mutation(), 1..5),
    ) {
        let root = std::env::temp_dir().join(format!("migrate-fuzz-{}", std::process::id()));
        run_case(&root.join("migrations"), seed, target, &mutations);
    }
}

#[test]
#[ignore = "prints the fuzzer's totals after a run"]
fn zz_report() {
    eprintln!(
        "fuzz: {} cases, {} failed to build, {} built with warnings",
        CASES.load(Ordering::Relaxed),
        FAILED_BUILDS.load(Ordering::Relaxed),
        WARNED.load(Ordering::Relaxed)
    );
}

/// The seeds themselves compile (so mutations start from valid histories).
#[test]
fn seeds_compile() {
    let root = tempfile::tempdir().expect("tempdir");
    for (index, files) in seeds().iter().enumerate() {
        let dir = root.path().join(format!("s{index}"));
        std::fs::create_dir_all(&dir).expect("create");
        for (name, text) in files {
            std::fs::write(dir.join(name), text).expect("write");
        }
        if let Err(failure) = compile(&dir, &Options::new()) {
            panic!("seed {index}:\n{failure}");
        }
    }
    let _ = PathBuf::new();
}
