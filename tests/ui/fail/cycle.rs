static PLAN: migrate_runtime::Plan =
    migrate_runtime::embed_migrations!("fixtures/cycle/migrations", unwatched);

fn main() {
    let _ = PLAN.revisions();
}
