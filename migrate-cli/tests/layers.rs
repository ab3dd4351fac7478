//! Issue 10: the verbs that only write files (`init`, `revision`, `lock`)
//! depend on no runtime code: neither they nor the modules they use name
//! `migrate_runtime` outside string literals and comments (printing the
//! code a user is to paste is fine).

use std::collections::BTreeSet;
use std::path::Path;

/// `text` with comments, the contents of string literals and the unit
/// tests (from `#[cfg(test)]` on) removed.
fn code_only(text: &str) -> String {
    let mut code = String::new();
    for line in text.lines() {
        if line.trim() == "#[cfg(test)]" {
            break;
        }
        let mut in_string = false;
        let mut escaped = false;
        let mut chars = line.chars().peekable();
        while let Some(c) = chars.next() {
            if in_string {
                match (escaped, c) {
                    (true, _) => escaped = false,
                    (false, '\\') => escaped = true,
                    (false, '"') => in_string = false,
                    _ => {}
                }
                continue;
            }
            match c {
                '"' => in_string = true,
                '/' if chars.peek() == Some(&'/') => break,
                _ => code.push(c),
            }
        }
        code.push('\n');
    }
    code
}

/// The `crate::x` modules a source file uses.
fn crate_modules(code: &str) -> BTreeSet<String> {
    code.match_indices("crate::")
        .map(|(at, _)| {
            code[at + "crate::".len()..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect::<String>()
        })
        .filter(|name| !name.is_empty())
        .collect()
}

#[test]
fn init_revision_and_lock_use_no_runtime_code() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut pending: Vec<String> =
        vec!["cmd/init".into(), "cmd/revision".into(), "cmd/lock".into()];
    let mut seen = BTreeSet::new();
    while let Some(module) = pending.pop() {
        if !seen.insert(module.clone()) {
            continue;
        }
        let path = src.join(format!("{module}.rs"));
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let code = code_only(&text);
        assert!(
            !code.contains("migrate_runtime"),
            "{} (used by init, revision or lock) uses runtime code",
            path.display()
        );
        for used in crate_modules(&code) {
            if src.join(format!("{used}.rs")).is_file() {
                pending.push(used);
            }
        }
    }
    assert!(
        seen.contains("scan"),
        "the walk follows `crate::` uses: {seen:?}"
    );
}
