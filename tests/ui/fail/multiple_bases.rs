static PLAN: migrate_runtime::Plan =
    migrate_runtime::embed_migrations!("fixtures/multiple_bases/migrations", unwatched);

fn main() {
    let _ = PLAN.revisions();
}
