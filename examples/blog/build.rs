// Rebuild when a migration file is added, removed or edited (a proc macro
// cannot watch a directory on stable Rust). One call per history.
fn main() {
    migrate_build::watch("migrations/sqlite");
    migrate_build::watch("migrations/postgres");
}
