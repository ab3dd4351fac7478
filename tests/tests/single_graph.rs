//! One copy of the graph's rules: no function outside `migrate-core`
//! computes heads, bases, ancestry, descendants, branch points or the plan
//! order, or resolves a revision reference. This test reads the source of
//! every other crate (test modules excluded) and fails on:
//!
//! - a function named after a graph notion (`heads`, `bases`, `ancestors`,
//!   `descendants`, `branch_points`, `order`, `plan_order`, `resolve`,
//!   `resolve_revision`, `lookup`, `current_heads`...) whose body does not
//!   delegate to a `migrate_core::Graph`;
//! - a prefix lookup on revision ids (`id.starts_with(` / `id().starts_with(`);
//! - a topological sort's queue (`BinaryHeap`);
//! - a hand-written parent test (`down_revisions` with `.any(` or `contains(`
//!   on the same line).

use std::path::{Path, PathBuf};

const NOTIONS: &[&str] = &[
    "heads",
    "real_heads",
    "bases",
    "ancestors",
    "descendants",
    "branch_points",
    "branch_of",
    "order",
    "order_with",
    "plan_order",
    "resolve",
    "resolve_revision",
    "resolve_head",
    "lookup",
    "current_heads",
    "children",
];

/// Functions whose name is a graph notion but whose subject is not the
/// revision graph.
const UNRELATED: &[(&str, &str)] = &[
    // Resolves `-- migrate:allow` comments to lint rules.
    ("build-support/src/lint/allow.rs", "resolve"),
];

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The text before the file's test module (`#[cfg(test)]`), if any.
fn without_tests(text: &str) -> &str {
    match text.find("#[cfg(test)]") {
        Some(at) => &text[..at],
        None => text,
    }
}

/// The body of the function whose signature starts at `start`.
fn body(text: &str, start: usize) -> &str {
    let Some(open) = text[start..].find('{').map(|at| start + at) else {
        return "";
    };
    let mut depth = 0usize;
    for (offset, c) in text[open..].char_indices() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    return &text[open..open + offset + 1];
                }
            }
            _ => {}
        }
    }
    &text[open..]
}

fn findings(path: &Path, text: &str) -> Vec<String> {
    let text = without_tests(text);
    let mut found = Vec::new();
    for notion in NOTIONS {
        let needle = format!("fn {notion}");
        let mut from = 0;
        while let Some(at) = text[from..].find(&needle) {
            let start = from + at;
            from = start + needle.len();
            let next = text[from..].chars().next();
            if !matches!(next, Some('(') | Some('<')) {
                continue;
            }
            let body = body(text, start);
            // Delegating: it asks a `migrate_core::Graph` (or `HeadSet`), or
            // calls another function this test checks.
            let delegates = ["graph", "Graph", "migrate_core", "HeadSet", "Shape"]
                .iter()
                .any(|word| body.contains(word))
                || NOTIONS.iter().any(|other| {
                    body.contains(&format!(".{other}(")) || body.contains(&format!("::{other}("))
                });
            let unrelated = UNRELATED
                .iter()
                .any(|(file, name)| path.ends_with(file) && name == notion);
            if !delegates && !unrelated {
                let line = text[..start].lines().count() + 1;
                found.push(format!(
                    "{}:{line}: `fn {notion}` computes a graph notion without migrate-core",
                    path.display()
                ));
            }
        }
    }
    for (number, line) in text.lines().enumerate() {
        let line_no = number + 1;
        let trimmed = line.trim_start();
        if trimmed.starts_with("//") {
            continue;
        }
        if line.contains("id.starts_with(") || line.contains("id().starts_with(") {
            found.push(format!(
                "{}:{line_no}: prefix lookup on revision ids",
                path.display()
            ));
        }
        if line.contains("BinaryHeap") {
            found.push(format!("{}:{line_no}: a topological sort", path.display()));
        }
        if line.contains("down_revisions") && (line.contains(".any(") || line.contains("contains("))
        {
            found.push(format!(
                "{}:{line_no}: a hand-written parent test",
                path.display()
            ));
        }
    }
    found
}

#[test]
fn no_function_outside_migrate_core_computes_heads_or_resolves_a_reference() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_path_buf();
    let mut files = Vec::new();
    for dir in [
        "build-support/src",
        "migrate-runtime/src",
        "migrate-cli/src",
        "migrate-macros/src",
        "examples",
        "tests/src",
    ] {
        sources(&root.join(dir), &mut files);
    }
    assert!(files.len() > 20, "the sources were found");
    let mut all = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).expect("readable source");
        all.extend(findings(file.strip_prefix(&root).unwrap_or(file), &text));
    }
    assert!(
        all.is_empty(),
        "graph rules outside migrate-core:\n{}",
        all.join("\n")
    );
}

#[test]
fn the_check_finds_a_hand_written_copy() {
    let copy = "pub fn heads(revisions: &[R]) -> Vec<&R> {\n    revisions.iter().filter(|r| !revisions.iter().any(|o| o.down_revisions.contains(&r.id))).collect()\n}\n";
    let found = findings(Path::new("x.rs"), copy);
    assert_eq!(found.len(), 2, "{found:?}");
    let delegating = "pub fn heads(&self) -> Vec<usize> {\n    crate::graph::of(self).heads()\n}\n";
    assert!(findings(Path::new("x.rs"), delegating).is_empty());
}
