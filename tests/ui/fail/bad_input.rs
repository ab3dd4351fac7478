static ABSOLUTE: migrate_runtime::Plan = migrate_runtime::embed_migrations!("/etc/migrations", unwatched);
static OPTION: migrate_runtime::Plan = migrate_runtime::embed_migrations!("migrations", watched);
static EMPTY: migrate_runtime::Plan = migrate_runtime::embed_migrations!();

fn main() {}
