static PLAN: migrate_runtime::Plan =
    migrate_runtime::embed_migrations!("fixtures/header_unknown_key/migrations", unwatched);

fn main() {
    let _ = PLAN.revisions();
}
