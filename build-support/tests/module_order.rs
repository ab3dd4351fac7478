//! The compiler's stages run one way (ARCHITECTURE.md, "Module order"):
//! reads every `crate::` path in the code (tests left out) of
//! `build-support/src` and fails when a module uses a later stage, or two
//! modules use each other. Items re-exported at the crate root (`use
//! crate::{Diagnostic, CompiledRevision}`) count as uses of the module that
//! defines them.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The stages, first to last: a module may use only modules before it.
const ORDER: &[&str] = &[
    "codes",
    "diagnostic",
    "render",
    "checksum",
    "compiled",
    "directive",
    "header",
    "source",
    "config",
    "split",
    "parse",
    "revision",
    "cache",
    "graph",
    "plan",
    "lock",
    "schema",
    "lint",
    "compile",
    "autogen",
    "codegen",
    "fingerprint",
    "build_script",
    "emit",
];

/// Uses of a later stage that remain, each with what removes it. The test
/// also fails when one of them is gone, so that the list stays true. Empty:
/// any new use of a later stage fails the test.
const KNOWN: &[(&str, &str)] = &[];

/// Source files of `src`, by module (the first path component).
fn modules(src: &Path) -> BTreeMap<String, String> {
    let mut out: BTreeMap<String, String> = BTreeMap::new();
    let mut stack = vec![src.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("read src") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let file_name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            // Test modules kept in files of their own.
            if !file_name.ends_with(".rs") || matches!(file_name, "tests.rs" | "test_support.rs") {
                continue;
            }
            let relative = path.strip_prefix(src).expect("under src");
            let first = relative.components().next().expect("a component");
            let name = first.as_os_str().to_str().expect("UTF-8");
            let module = name.trim_end_matches(".rs").to_string();
            let text = std::fs::read_to_string(&path).expect("read");
            // The code before the unit tests.
            let code = match text.find("#[cfg(test)]\nmod tests") {
                Some(at) => text[..at].to_string(),
                None => text,
            };
            out.entry(module).or_default().push_str(&code);
        }
    }
    out
}

/// `pub use module::{A, B};` at the crate root: item name -> module.
fn root_items(lib: &str) -> BTreeMap<String, String> {
    let mut items = BTreeMap::new();
    for line in lib.lines() {
        let Some(rest) = line.trim().strip_prefix("pub use ") else {
            continue;
        };
        let Some((module, names)) = rest.trim_end_matches(';').split_once("::") else {
            continue;
        };
        for name in names.trim_matches(|c| c == '{' || c == '}').split(',') {
            items.insert(name.trim().to_string(), module.to_string());
        }
    }
    items
}

/// The modules `code` uses through `crate::` paths.
fn uses(code: &str, root: &BTreeMap<String, String>) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for line in code.lines() {
        let line = line.trim_start();
        if line.starts_with("//") {
            continue;
        }
        let mut rest = line;
        while let Some(at) = rest.find("crate::") {
            rest = &rest[at + "crate::".len()..];
            let names: Vec<&str> = if let Some(group) = rest.strip_prefix('{') {
                let end = group.find('}').unwrap_or(group.len());
                group[..end].split(',').collect()
            } else {
                vec![rest]
            };
            for name in names {
                let name: String = name
                    .trim()
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if let Some(module) = root.get(&name) {
                    found.insert(module.clone());
                } else if !name.is_empty() {
                    found.insert(name);
                }
            }
        }
    }
    found
}

#[test]
fn no_stage_uses_a_later_one() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let modules = modules(&src);
    let lib = &modules["lib"];
    let root = root_items(lib);
    let rank = |name: &str| ORDER.iter().position(|m| *m == name);
    let mut wrong = Vec::new();
    let mut known_seen = BTreeSet::new();
    for (module, code) in &modules {
        if module == "lib" || module == "test_support" {
            continue;
        }
        let Some(own) = rank(module) else {
            wrong.push(format!("`{module}` is not in ORDER: give it its place"));
            continue;
        };
        for used in uses(code, &root) {
            if used == *module || !modules.contains_key(&used) || used == "test_support" {
                continue;
            }
            let Some(other) = rank(&used) else {
                continue;
            };
            if other < own {
                continue;
            }
            if KNOWN.contains(&(module.as_str(), used.as_str())) {
                known_seen.insert((module.clone(), used.clone()));
                continue;
            }
            wrong.push(format!("`{module}` uses `{used}`, a later stage"));
        }
    }
    for (module, used) in KNOWN {
        if !known_seen.contains(&(module.to_string(), used.to_string())) {
            wrong.push(format!(
                "`{module}` no longer uses `{used}`: remove it from KNOWN"
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// The check itself sees a use of a later stage, through a path and
/// through a root re-export.
#[test]
fn the_check_sees_uses() {
    let root = root_items("pub use compile::{compile, Compiled};\n");
    let found = uses(
        "use crate::{Compiled, split};\nfn f() { crate::lint::check(); }\n// crate::emit\n",
        &root,
    );
    assert_eq!(
        found.into_iter().collect::<Vec<_>>(),
        ["compile", "lint", "split"]
    );
}
