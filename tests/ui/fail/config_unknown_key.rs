static PLAN: migrate_runtime::Plan =
    migrate_runtime::embed_migrations!("fixtures/config_unknown_key/migrations", unwatched);

fn main() {
    let _ = PLAN.revisions();
}
