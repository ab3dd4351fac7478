//! Every fixture history in `tests/fixtures/<case>/migrations` (shared with
//! the trybuild cases of `migrate-tests`) compiled and, when broken,
//! rendered: the snapshots are exactly what a user sees.

use std::path::{Path, PathBuf};

use migrate_build::{compile, Options, Style};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures")
}

/// Compiles one case, shown as the trybuild cases show it.
fn compile_case(case: &str) -> Result<migrate_build::Compiled, migrate_build::Failure> {
    let dir = fixtures().join(case).join("migrations");
    let options = Options::new().display_dir(format!("fixtures/{case}/migrations"));
    compile(&dir, &options)
}

fn rendered_failure(case: &str) -> String {
    match compile_case(case) {
        Ok(_) => panic!("fixture `{case}` compiled, but it is a broken history"),
        Err(failure) => failure.render(Style::Plain),
    }
}

const PASS: &[&str] = &["linear", "branch_merge", "no_transaction"];

#[test]
fn pass_cases_compile_in_plan_order() {
    for case in PASS {
        let compiled = compile_case(case).unwrap_or_else(|f| panic!("{case}:\n{f}"));
        let ids: Vec<&str> = compiled.revisions.iter().map(|r| r.id.as_str()).collect();
        let expected: &[&str] = match *case {
            "linear" => &["a1000000000a", "a2000000000b", "a3000000000c"],
            "branch_merge" => &[
                "b1000000000a",
                "b2000000000b",
                "b3000000000c",
                "b4000000000d",
            ],
            _ => &["c1000000000a", "c2000000000b"],
        };
        assert_eq!(ids, expected, "{case}");
    }
}

#[test]
fn every_fixture_directory_has_a_test() {
    let mut known: Vec<String> = PASS.iter().map(|s| s.to_string()).collect();
    known.extend(FAIL.iter().map(|s| s.to_string()));
    // Histories other test suites own (the runtime's backend tests).
    known.extend(OTHER_SUITES.iter().map(|s| s.to_string()));
    for entry in std::fs::read_dir(fixtures()).expect("fixtures") {
        let name = entry
            .expect("entry")
            .file_name()
            .to_string_lossy()
            .into_owned();
        assert!(
            known.contains(&name),
            "fixture `{name}` is not in PASS or FAIL"
        );
    }
}

const OTHER_SUITES: &[&str] = &["runtime", "plan_fields"];

const FAIL: &[&str] = &[
    "config_unknown_key",
    "cycle",
    "duplicate_branch_label",
    "duplicate_revision",
    "empty_upgrade",
    "file_name_mismatch",
    "header_missing_key",
    "header_repeated_key",
    "header_unknown_key",
    "illegal_revision_id",
    "multiple_bases",
    "multiple_heads",
    "requires_no_transaction",
    "sql_syntax",
    "stale_lock",
    "unknown_depends_on",
    "unknown_down_revision",
];

macro_rules! fail_cases {
    ($($case:ident),* $(,)?) => {$(
        #[test]
        fn $case() {
            insta::assert_snapshot!(rendered_failure(stringify!($case)));
        }
    )*};
}

fail_cases!(
    config_unknown_key,
    cycle,
    duplicate_branch_label,
    duplicate_revision,
    empty_upgrade,
    file_name_mismatch,
    header_missing_key,
    header_repeated_key,
    header_unknown_key,
    illegal_revision_id,
    multiple_bases,
    multiple_heads,
    requires_no_transaction,
    sql_syntax,
    stale_lock,
    unknown_depends_on,
    unknown_down_revision,
);
