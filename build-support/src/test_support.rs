//! Builders for unit tests: revisions with real header text and spans, so
//! graph diagnostics point at the right bytes.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::CompiledRevision;

/// A revision `id` with these parents, its source text holding the headers.
pub(crate) fn revision(id: &str, parents: &[&str]) -> CompiledRevision {
    let mut source = String::new();
    let mut header_spans = BTreeMap::new();
    source.push_str("-- revision: ");
    header_spans.insert(
        "revision".to_string(),
        source.len()..source.len() + id.len(),
    );
    source.push_str(id);
    source.push('\n');
    source.push_str("-- down_revision: ");
    let value = if parents.is_empty() {
        "none".to_string()
    } else {
        parents.join(", ")
    };
    header_spans.insert(
        "down_revision".to_string(),
        source.len()..source.len() + value.len(),
    );
    source.push_str(&value);
    source.push_str("\n\n-- migrate:upgrade\nSELECT 1;\n");
    CompiledRevision {
        file: PathBuf::from(format!("migrations/{id}_x.sql")),
        source,
        id: id.to_string(),
        down_revisions: parents.iter().map(|p| p.to_string()).collect(),
        depends_on: Vec::new(),
        branch_labels: Vec::new(),
        message: String::new(),
        create_date: String::new(),
        upgrade: Vec::new(),
        downgrade: Vec::new(),
        checksum: [0; 32],
        header_spans,
    }
}
