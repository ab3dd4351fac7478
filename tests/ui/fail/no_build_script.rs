// No build script calls `migrate_build::watch`, and `unwatched` is not
// given: the macro refuses, because Cargo would not rebuild on a new file.
static PLAN: migrate_runtime::Plan = migrate_runtime::embed_migrations!("fixtures/linear/migrations");

fn main() {
    let _ = PLAN.revisions();
}
