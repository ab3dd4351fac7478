static PLAN: migrate_runtime::Plan =
    migrate_runtime::embed_migrations!("fixtures/no_transaction/migrations", unwatched);

fn main() {
    assert_eq!(PLAN.dialect(), migrate_runtime::Dialect::Postgres);
    let revision = &PLAN.revisions()[1];
    let upgrade: Vec<bool> = revision
        .upgrade()
        .iter()
        .map(|s| s.transactional())
        .collect();
    assert_eq!(upgrade, [true, false]);
    let downgrade: Vec<bool> = revision
        .downgrade()
        .iter()
        .map(|s| s.transactional())
        .collect();
    assert_eq!(downgrade, [false, true]);
    assert_eq!(
        revision.upgrade()[1].statements()[0].sql(),
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_users_created_at\n    ON users (created_at DESC) WHERE created_at IS NOT NULL"
    );
    assert_eq!(revision.upgrade()[1].line(), 8);
    assert_eq!(
        revision.downgrade()[0].statements()[0].sql(),
        "DROP INDEX CONCURRENTLY IF EXISTS idx_users_created_at"
    );
}
