static PLAN: migrate_runtime::Plan =
    migrate_runtime::embed_migrations!("fixtures/unknown_depends_on/migrations", unwatched);

fn main() {
    let _ = PLAN.revisions();
}
