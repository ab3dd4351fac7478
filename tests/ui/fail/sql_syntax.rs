static PLAN: migrate_runtime::Plan =
    migrate_runtime::embed_migrations!("fixtures/sql_syntax/migrations", unwatched);

fn main() {
    let _ = PLAN.revisions();
}
