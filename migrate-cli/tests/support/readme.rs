//! The README's tables are the code's output: a test that prints a table
//! also checks that README.md holds it, line for line.

use std::path::Path;

/// Panics unless README.md (at the workspace root) contains `table`
/// verbatim; the message holds the table to paste.
pub fn assert_readme_holds(what: &str, table: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md");
    let readme = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    assert!(
        readme.contains(table),
        "README.md's {what} differs from what the code computes now; replace it with:\n\n{table}"
    );
}
