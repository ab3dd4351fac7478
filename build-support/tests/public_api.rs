//! A consumer of `migrate-build` that uses only what the README calls the
//! stable API (section "`migrate-build` as a library"): `compile`,
//! `Options`, `Compiled`, `Failure`, the compiled revisions, `Diagnostic`
//! and its rendering, the typed codes and the lint report. It compiles only
//! while those items stay public, and checks that they do what a build
//! script, the macro and the CLI use them for.

use migrate_build::{
    compile, render, CheckedBy, Code, Compiled, CompiledRevision, Diagnostic, Failure, Level,
    Options, Rule, Severity, Sources, Style,
};

fn write(dir: &std::path::Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).expect("write");
}

#[test]
fn a_consumer_of_the_public_items() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "a1_users.sql",
        "-- revision: a1\n-- down_revision: none\n-- migrate:upgrade\nCREATE TABLE users (id BIGINT PRIMARY KEY);\nDROP TABLE users;\n-- migrate:downgrade\nSELECT 1;\n",
    );
    let options = Options::new().display_dir("migrations").skip_lock(true);
    let compiled: Compiled = compile(dir.path(), &options).expect("compiles");
    let revision: &CompiledRevision = &compiled.revisions[0];
    assert_eq!(revision.id, "a1");
    let statement = &revision.upgrade[0].statements[1];
    assert_eq!(statement.checked_by, CheckedBy::Sqlparser);
    // The lint report, as text, JSON and SARIF.
    let warnings: &[Diagnostic] = &compiled.warnings;
    assert!(warnings.iter().all(|d| d.severity == Severity::Warning));
    let _: String = compiled.render_warnings(Style::Plain);
    let json = migrate_build::lint::json(warnings, &compiled.sources);
    assert!(json.trim_start().starts_with(['{', '[']), "{json}");
    let sarif = migrate_build::lint::sarif(warnings, &compiled.sources);
    assert!(sarif.contains("\"version\""), "{sarif}");
    assert_eq!(Level::from_name("warn"), Some(Level::Warn));
    assert_eq!(
        "ban-drop-table".parse::<Code>().ok(),
        Some(Rule::BanDropTable.code())
    );

    // A second base: a failure whose errors render with the file names.
    write(
        dir.path(),
        "b2_other.sql",
        "-- revision: b2\n-- down_revision: none\n-- migrate:upgrade\nSELECT 1;\n",
    );
    let failure: Failure = compile(dir.path(), &options).unwrap_err();
    assert!(failure.errors().any(|d| d.code == Code::MultipleBases));
    let text = render(&failure.diagnostics, &failure.sources, Style::Plain);
    assert!(text.contains("migrations/b2_other.sql"), "{text}");
    // Tolerated codes come back as warnings.
    static TOLERATED: &[Code] = &[Code::MultipleBases, Code::MultipleHeads];
    let tolerated = compile(dir.path(), &options.clone().tolerate(TOLERATED)).expect("tolerated");
    assert!(tolerated
        .warnings
        .iter()
        .any(|d| d.code == Code::MultipleBases));
    let mut sources = Sources::new();
    sources.insert("m/x.sql", "SELECT 1;");
    // `watch` is the build script's one line (it needs Cargo's environment).
    let _: fn(&'static str) = migrate_build::watch;
}
