//! Issue 10: the verbs that only write files (`init`, `revision`, `lock`)
//! depend on no runtime code: neither they nor the modules they use name
//! `migrate_runtime` outside string literals and comments (printing the
//! code a user is to paste is fine).

use std::collections::BTreeSet;
use std::path::Path;

/// `text` with comments, the contents of string literals (raw ones too)
/// and the unit tests (from `#[cfg(test)]` on) removed.
fn code_only(text: &str) -> String {
    let text = text.split("\n#[cfg(test)]").next().unwrap_or_default();
    let chars: Vec<char> = text.chars().collect();
    let mut code = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == 'r' && raw_string_starts(&chars, i) {
            // r"...", r#"..."#: ends at a quote followed by as many hashes.
            let mut hashes = 0;
            i += 1;
            while chars.get(i) == Some(&'#') {
                hashes += 1;
                i += 1;
            }
            i += 1;
            while i < chars.len() {
                if chars[i] == '"' && (1..=hashes).all(|k| chars.get(i + k) == Some(&'#')) {
                    i += hashes;
                    break;
                }
                i += 1;
            }
            i += 1;
        } else if c == '"' {
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                i += if chars[i] == '\\' { 2 } else { 1 };
            }
            i += 1;
        } else if c == '\'' && chars.get(i + 2) == Some(&'\'') {
            // A char literal such as '"'.
            i += 3;
        } else {
            code.push(c);
            i += 1;
        }
    }
    code
}

/// Whether `r` at `i` opens a raw string (`r"`, `r#"`), not ends an
/// identifier nor opens a raw identifier (`r#type`).
fn raw_string_starts(chars: &[char], i: usize) -> bool {
    let after_ident = i > 0 && (chars[i - 1].is_alphanumeric() || chars[i - 1] == '_');
    let mut j = i + 1;
    while chars.get(j) == Some(&'#') {
        j += 1;
    }
    !after_ident && chars.get(j) == Some(&'"')
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
