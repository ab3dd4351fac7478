static PLAN: migrate_runtime::Plan =
    migrate_runtime::embed_migrations!("fixtures/illegal_revision_id/migrations", unwatched);

fn main() {
    let _ = PLAN.revisions();
}
