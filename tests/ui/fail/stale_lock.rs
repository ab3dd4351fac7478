static PLAN: migrate_runtime::Plan =
    migrate_runtime::embed_migrations!("fixtures/stale_lock/migrations", unwatched);

fn main() {
    let _ = PLAN.revisions();
}
