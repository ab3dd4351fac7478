//! The Rust source of an embedded plan: one call of the `const fn`
//! `::migrate_runtime::Plan::embedded` with two literals, every text of the
//! plan in one string and the table of offsets, counts and resolved graph
//! indices as one byte string ([`migrate_core::Plan::encode`]).
//!
//! It is produced as text, not tokens, so that `build.rs` (which has no
//! proc-macro crates) can write it to `OUT_DIR` and the macro can
//! `include!` it; the macro's unwatched path parses the same text into
//! tokens. Two literals cost rustc next to nothing whatever the history's
//! size: one nested struct literal per revision (the previous shape) made
//! rustc peak at 9.4 GB and take 31-35 s for 10,000 tiny revisions
//! (`scripts/embed-bench.sh` measures both). The call is a constant
//! expression, so the macro works in a `static`, a `const` or a `let`.

use std::fmt::Write as _;

use crate::compile::{Compiled, Failure};
use crate::render::Style;

/// The `Plan` expression for a compiled directory.
pub fn plan_expr(compiled: &Compiled) -> String {
    let plan = crate::plan::plan(&compiled.config, &compiled.revisions);
    let (text, table) = plan.encode();
    let mut out = String::with_capacity(text.len() + table.len() * 3 + 64);
    out.push_str("::migrate_runtime::Plan::embedded(\n");
    push_str_lit(&mut out, &text);
    out.push_str(",\n");
    push_bytes_lit(&mut out, &table);
    out.push_str(",\n)\n");
    out
}

/// A `compile_error!` invocation carrying the rendered diagnostics.
pub fn error_expr(failure: &Failure) -> String {
    let rendered = failure.render(Style::Plain);
    // rustc prints `error: ` before the message; without this the first
    // line would read `error: error[cycle]: ...`.
    let message = match rendered.strip_prefix("error[") {
        Some(rest) => format!("[{rest}"),
        None => rendered,
    };
    error_message_expr(&message)
}

/// How [`error_message_expr`]'s output starts.
pub const ERROR_PREFIX: &str = "::core::compile_error!(";

/// A `compile_error!` invocation with this message.
pub fn error_message_expr(message: &str) -> String {
    let mut out = String::from(ERROR_PREFIX);
    push_str_lit(&mut out, message);
    out.push_str(")\n");
    out
}

/// A Rust byte string literal holding exactly `bytes`: printable ASCII as
/// is, anything else as `\xNN`.
fn push_bytes_lit(out: &mut String, bytes: &[u8]) {
    out.push_str("b\"");
    for byte in bytes {
        match byte {
            b'"' | b'\\' => {
                out.push('\\');
                out.push(char::from(*byte));
            }
            0x20..=0x7e => out.push(char::from(*byte)),
            _ => {
                let _ = write!(out, "\\x{byte:02x}");
            }
        }
    }
    out.push('"');
}

/// A Rust string literal holding exactly `text`. A raw string when it can
/// be (SQL is full of quotes and backslashes; raw keeps it readable and
/// byte-for-byte), an escaped literal otherwise.
fn push_str_lit(out: &mut String, text: &str) {
    // Control characters other than tab and newline (a stray \r included)
    // would be normalised by rustc inside a raw string; escape those.
    let raw_safe = !text
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t');
    if raw_safe {
        let mut hashes = 0;
        let mut run = 0;
        let mut after_quote = false;
        for c in text.chars() {
            if c == '"' {
                after_quote = true;
                run = 0;
                hashes = hashes.max(1);
            } else if c == '#' && after_quote {
                run += 1;
                hashes = hashes.max(run + 1);
            } else {
                after_quote = false;
                run = 0;
            }
        }
        let fence = "#".repeat(hashes);
        out.push('r');
        out.push_str(&fence);
        out.push('"');
        out.push_str(text);
        out.push('"');
        out.push_str(&fence);
    } else {
        let _ = write!(out, "{text:?}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lit(text: &str) -> String {
        let mut out = String::new();
        push_str_lit(&mut out, text);
        out
    }

    #[test]
    fn literals_pick_enough_hashes() {
        assert_eq!(lit("SELECT 1"), "r\"SELECT 1\"");
        assert_eq!(lit("SELECT 'a\"b'"), "r#\"SELECT 'a\"b'\"#");
        assert_eq!(lit("x\"#y"), "r##\"x\"#y\"##");
        assert_eq!(lit("a\r\nb"), "\"a\\r\\nb\"");
    }

    #[test]
    fn byte_literals_escape_what_is_not_printable() {
        let mut out = String::new();
        push_bytes_lit(&mut out, b"a\"\\\x00\x7f\xff~");
        assert_eq!(out, r#"b"a\"\\\x00\x7f\xff~""#);
    }
}
