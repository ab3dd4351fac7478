static PLAN: migrate_runtime::Plan =
    migrate_runtime::embed_migrations!("fixtures/unknown_down_revision/migrations", unwatched);

fn main() {
    let _ = PLAN.revisions();
}
