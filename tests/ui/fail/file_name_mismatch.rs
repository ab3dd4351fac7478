static PLAN: migrate_runtime::Plan =
    migrate_runtime::embed_migrations!("fixtures/file_name_mismatch/migrations", unwatched);

fn main() {
    let _ = PLAN.revisions();
}
