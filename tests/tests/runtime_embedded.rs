//! The runtime over plans compiled by `embed_migrations!`: the checksum is
//! the compiler's, over SQL tokens, so an edited statement in an applied
//! revision is refused and an edited comment is not.

use migrate_runtime::{embed_migrations, Error, Migrator, Plan};
use migrate_tests::TestDb;

static ORIGINAL: Plan = embed_migrations!("fixtures/runtime/tamper_original/migrations", unwatched);
static COMMENT_EDITED: Plan =
    embed_migrations!("fixtures/runtime/tamper_comment/migrations", unwatched);
static STATEMENT_EDITED: Plan =
    embed_migrations!("fixtures/runtime/tamper_statement/migrations", unwatched);

async fn tampering(t: &TestDb) {
    let report = Migrator::new(&ORIGINAL)
        .upgrade(&t.db, "head")
        .await
        .unwrap();
    assert_eq!(report.ids(), ["a1b2c3d4e5f6", "0f9e8d7c6b5a"]);

    let error = Migrator::new(&STATEMENT_EDITED)
        .upgrade(&t.db, "head")
        .await
        .unwrap_err();
    let text = error.to_string();
    assert!(
        matches!(&error, Error::ChecksumMismatch { revision, .. } if revision == "0f9e8d7c6b5a"),
        "{text}"
    );
    assert!(text.contains("0f9e8d7c6b5a_create_posts.sql"), "{text}");
    assert!(matches!(
        Migrator::new(&STATEMENT_EDITED).check(&t.db).await,
        Err(Error::ChecksumMismatch { .. })
    ));

    assert!(Migrator::new(&COMMENT_EDITED)
        .upgrade(&t.db, "head")
        .await
        .unwrap()
        .is_empty());
    Migrator::new(&COMMENT_EDITED).check(&t.db).await.unwrap();
    // Opting out for one run lets the edited plan through.
    Migrator::new(&STATEMENT_EDITED)
        .verify_checksums(false)
        .check(&t.db)
        .await
        .unwrap();
}

#[tokio::test]
async fn tampering_sqlite() {
    tampering(&TestDb::sqlite().await).await;
}

#[tokio::test]
async fn tampering_postgres() {
    let Some(t) = TestDb::postgres("tampering_postgres").await else {
        return;
    };
    tampering(&t).await;
    t.drop_database().await;
}

#[tokio::test]
async fn tampering_mysql() {
    let Some(t) = TestDb::mysql("tampering_mysql").await else {
        return;
    };
    tampering(&t).await;
    t.drop_database().await;
}

#[test]
fn the_embedded_checksums_differ_only_for_the_statement_edit() {
    let checksum = |plan: &Plan| plan.get("0f9e8d7c6b5a").unwrap().checksum_hex();
    assert_eq!(checksum(&ORIGINAL), checksum(&COMMENT_EDITED));
    assert_ne!(checksum(&ORIGINAL), checksum(&STATEMENT_EDITED));
}
