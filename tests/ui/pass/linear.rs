static PLAN: migrate_runtime::Plan =
    migrate_runtime::embed_migrations!("fixtures/linear/migrations", unwatched);

fn main() {
    let ids: Vec<&str> = PLAN.revisions().iter().map(|r| r.id()).collect();
    assert_eq!(ids, ["a1000000000a", "a2000000000b", "a3000000000c"]);
    let heads: Vec<&str> = PLAN.heads().iter().map(|r| r.id()).collect();
    assert_eq!(heads, ["a3000000000c"]);
    let seed = &PLAN.revisions()[2];
    assert_eq!(seed.down_revisions(), ["a2000000000b"]);
    assert_eq!(seed.message(), "seed users");
    assert_eq!(
        seed.file(),
        "fixtures/linear/migrations/a3000000000c_seed_users.sql"
    );
    let statements = seed.upgrade()[0].statements();
    assert_eq!(statements.len(), 2);
    // Byte for byte, quotes included, without the `;`.
    assert_eq!(
        statements[1].sql(),
        "INSERT INTO users (id, email) VALUES (2, 'o''brien@example.com')"
    );
    assert_eq!(statements[1].line(), 7);
    assert_eq!(seed.downgrade()[0].statements().len(), 1);
    assert!(seed.upgrade()[0].transactional());
    assert_ne!(seed.checksum(), &[0u8; 32]);
    assert_ne!(PLAN.revisions()[0].checksum(), seed.checksum());
    assert_eq!(PLAN.version_table(), "migrate_version");
    assert_eq!(PLAN.dialect(), migrate_runtime::Dialect::Generic);
}
