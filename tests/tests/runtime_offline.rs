//! Offline SQL (`sql("base:head")`) per dialect, as snapshots.

use migrate_runtime::{Dialect, Error, Migrator, TransactionMode};
use migrate_tests::{branchy_plan, PlanBuilder};

#[test]
fn upgrade_scripts_per_dialect() {
    let migrator = Migrator::new(branchy_plan());
    insta::assert_snapshot!(
        "postgres_base_head",
        migrator.sql("base:head", Dialect::Postgres).unwrap()
    );
    insta::assert_snapshot!(
        "sqlite_base_head",
        migrator.sql("base:head", Dialect::Sqlite).unwrap()
    );
    insta::assert_snapshot!(
        "mysql_base_head",
        migrator.sql("base:head", Dialect::MySql).unwrap()
    );
}

#[test]
fn downgrade_and_partial_ranges() {
    let migrator = Migrator::new(branchy_plan());
    insta::assert_snapshot!(
        "postgres_head_bbbb",
        migrator.sql("head:bbbb0002", Dialect::Postgres).unwrap()
    );
    let upgrade = migrator.sql("bbbb0002:head", Dialect::Postgres).unwrap();
    assert!(
        !upgrade.contains("CREATE TABLE IF NOT EXISTS"),
        "starts from an existing table"
    );
    assert!(upgrade.contains("-- Running upgrade aaaa0001 -> cccc0003"));
    let generic = migrator.sql("base:head", Dialect::Generic).unwrap_err();
    assert!(
        matches!(&generic, Error::Offline(why) if why.contains("choose postgres, sqlite or mysql")),
        "{generic}"
    );
    let relative = migrator.sql("+1:head", Dialect::Postgres).unwrap_err();
    assert!(relative.to_string().contains("+1"), "{relative}");
    // From one branch to its sibling: Alembic's `upgrade b:c --sql` applies
    // the sibling only (the target's ancestors not yet applied).
    let sibling = migrator
        .sql("bbbb0002:cccc0003", Dialect::Postgres)
        .unwrap();
    assert!(sibling.contains("-- Running upgrade aaaa0001 -> cccc0003"));
    assert!(!sibling.contains("-- Running downgrade"), "{sibling}");
}

#[test]
fn transaction_false_sections_stand_outside_and_single_mode_merges() {
    let plan = PlanBuilder::new()
        .rev(
            "aaaa0001",
            &[],
            &["CREATE TABLE posts (id INTEGER, published_at TIMESTAMPTZ)"],
            &["DROP TABLE posts"],
        )
        .revision(
            "bbbb0002",
            &["aaaa0001"],
            &[
                (true, &["ALTER TABLE posts ADD COLUMN title TEXT"]),
                (
                    false,
                    &["CREATE INDEX CONCURRENTLY idx_published ON posts (published_at)"],
                ),
            ],
            &[
                (false, &["DROP INDEX CONCURRENTLY idx_published"]),
                (true, &["ALTER TABLE posts DROP COLUMN title"]),
            ],
        )
        .rev(
            "cccc0003",
            &["bbbb0002"],
            &["CREATE TABLE tags (id INTEGER)"],
            &["DROP TABLE tags"],
        )
        .leak();
    insta::assert_snapshot!(
        "postgres_transaction_false",
        Migrator::new(plan)
            .sql("base:head", Dialect::Postgres)
            .unwrap()
    );
    insta::assert_snapshot!(
        "postgres_single_transaction",
        Migrator::new(plan)
            .transaction_mode(TransactionMode::Single)
            .sql("base:head", Dialect::Postgres)
            .unwrap()
    );
}
