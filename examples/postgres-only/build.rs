// Rebuild when the blog's PostgreSQL history changes.
fn main() {
    migrate_build::watch("../blog/migrations/postgres");
}
