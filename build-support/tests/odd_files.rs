//! Files the attack of issue 8 (item 13) found mishandled, compiled whole:
//! each gives one clear error naming the file and line, and nothing else.

use migrate_build::{compile, Options, Style};

/// Compiles one file `name` with `text` in a fresh directory; returns the
/// error codes and the rendered diagnostics.
fn compile_one(name: &str, text: &str) -> (Vec<&'static str>, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join(name), text).expect("write");
    let options = Options::new().display_dir("migrations");
    let failure = compile(dir.path(), &options).expect_err("the file is refused");
    let codes = failure.errors().map(|d| d.code.as_str()).collect();
    (codes, failure.render(Style::Plain))
}

#[test]
fn cr_line_endings_are_named() {
    let (codes, rendered) = compile_one(
        "abc_mac.sql",
        "-- revision: abc\r-- down_revision: none\r\r-- migrate:upgrade\rCREATE TABLE t (id INT);\r\r-- migrate:downgrade\rDROP TABLE t;\r",
    );
    assert_eq!(codes, ["cr-line-endings"], "{rendered}");
    insta::assert_snapshot!(rendered);
}

#[test]
fn a_parent_listed_twice_is_an_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("a1_first.sql"),
        "-- revision: a1\n-- down_revision: none\n\n-- migrate:upgrade\nCREATE TABLE t (id INT);\n",
    )
    .expect("write");
    std::fs::write(
        dir.path().join("b2_second.sql"),
        "-- revision: b2\n-- down_revision: a1, a1\n\n-- migrate:upgrade\nCREATE TABLE u (id INT);\n",
    )
    .expect("write");
    let options = Options::new().display_dir("migrations");
    let failure = compile(dir.path(), &options).expect_err("refused");
    let codes: Vec<&str> = failure.errors().map(|d| d.code.as_str()).collect();
    let rendered = failure.render(Style::Plain);
    assert_eq!(codes, ["header-repeated-id"], "{rendered}");
    assert!(
        rendered.contains("migrations/b2_second.sql:2:"),
        "{rendered}"
    );
}

/// A revision file whose extension is `.sql` in another case is refused,
/// named, rather than left out of the plan without a word (sqlx and
/// Alembic skip such a file silently). Hidden files stay skipped.
#[test]
fn an_upper_case_extension_is_named() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("a1_first.sql"),
        "-- revision: a1\n-- down_revision: none\n\n-- migrate:upgrade\nCREATE TABLE t (id INT);\n",
    )
    .expect("write");
    for name in ["b2_second.SQL", "c3_third.Sql", ".#b2_second.SQL"] {
        std::fs::write(
            dir.path().join(name),
            "-- revision: b2\n-- down_revision: a1\n\n-- migrate:upgrade\nCREATE TABLE u (id INT);\n",
        )
        .expect("write");
    }
    let options = Options::new().display_dir("migrations");
    let failure = compile(dir.path(), &options).expect_err("refused");
    let codes: Vec<&str> = failure.errors().map(|d| d.code.as_str()).collect();
    let rendered = failure.render(Style::Plain);
    assert_eq!(
        codes,
        ["illegal-file-name", "illegal-file-name"],
        "{rendered}"
    );
    insta::assert_snapshot!(rendered);

    // Renamed, the same file is a revision.
    std::fs::remove_file(dir.path().join("c3_third.Sql")).expect("remove");
    std::fs::rename(
        dir.path().join("b2_second.SQL"),
        dir.path().join("b2_second.sql"),
    )
    .expect("rename");
    let compiled = compile(dir.path(), &options).expect("compiles");
    let ids: Vec<&str> = compiled.revisions.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, ["a1", "b2"]);
}
