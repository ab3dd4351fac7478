static PLAN: migrate_runtime::Plan =
    migrate_runtime::embed_migrations!("fixtures/requires_no_transaction/migrations", unwatched);

fn main() {
    let _ = PLAN.revisions();
}
