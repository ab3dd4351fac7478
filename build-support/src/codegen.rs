//! The Rust source of an embedded plan: one constant expression of type
//! `::migrate_runtime::Plan` made of string literals, integers and byte
//! arrays, with no code per revision.
//!
//! It is produced as text, not tokens, so that `build.rs` (which has no
//! proc-macro crates) can write it to `OUT_DIR` and the macro can
//! `include!` it; the macro's unwatched path parses the same text into
//! tokens. Static data keeps rustc's work proportional to the history's
//! size: refinery's generated code per migration takes 82 s to rebuild at
//! 1,000 migrations, static data about 4 s.
//!
//! The whole expression is ONE inline `const { ... }` block: inside it every
//! nested `&[...]` is extended to `'static`, so the macro works in a
//! `static`, a `const` or a `let`. One block per slice (as sqlx does for its
//! single slice) would make thousands of const items, and the incremental
//! dev build of a crate embedding 1,000 revisions took 79 s instead of 4.7 s.

use std::fmt::Write as _;

use crate::compile::{Compiled, Failure};
use crate::render::Style;
use crate::CompiledSection;

/// The `Plan` expression for a compiled directory.
pub fn plan_expr(compiled: &Compiled) -> String {
    // Roughly the SQL plus fixed overhead per revision and statement.
    let sql_bytes: usize = compiled.revisions.iter().map(|r| r.source.len()).sum();
    let mut out = String::with_capacity(sql_bytes + compiled.revisions.len() * 600 + 512);
    // Short local names keep a 10,000-revision plan small for rustc to lex.
    out.push_str(
        "const {\n#[allow(unused_imports)]\nuse ::migrate_runtime::{Plan as P, Revision as R, Section as S, Statement as T, Dialect as D};\n\
         use ::std::borrow::Cow::Borrowed as B;\n\
         P { revisions: B(&[\n",
    );
    for revision in &compiled.revisions {
        out.push_str("R { id: B(");
        push_str_lit(&mut out, &revision.id);
        out.push_str("), down_revisions: ");
        push_text_list(&mut out, &revision.down_revisions);
        out.push_str(", depends_on: ");
        push_text_list(&mut out, &revision.depends_on);
        out.push_str(", branch_labels: ");
        push_text_list(&mut out, &revision.branch_labels);
        out.push_str(", message: B(");
        push_str_lit(&mut out, &revision.message);
        out.push_str("), create_date: B(");
        push_str_lit(&mut out, &revision.create_date);
        out.push_str("), file: B(");
        push_str_lit(&mut out, &revision.file.to_string_lossy());
        out.push_str("), checksum: [");
        for (position, byte) in revision.checksum.iter().enumerate() {
            if position > 0 {
                out.push(',');
            }
            let _ = write!(out, "{byte}");
        }
        out.push_str("], upgrade: ");
        push_sections(&mut out, &revision.source, &revision.upgrade);
        out.push_str(", downgrade: ");
        push_sections(&mut out, &revision.source, &revision.downgrade);
        out.push_str(" },\n");
    }
    out.push_str("]), version_table: B(");
    push_str_lit(&mut out, &compiled.config.version_table);
    out.push_str("), dialect: D::");
    out.push_str(dialect_variant(compiled.config.dialect.name()));
    out.push_str(" }\n}\n");
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

fn dialect_variant(name: &str) -> &'static str {
    match name {
        "postgres" => "Postgres",
        "sqlite" => "Sqlite",
        "mysql" => "MySql",
        _ => "Generic",
    }
}

fn push_text_list(out: &mut String, items: &[String]) {
    if items.is_empty() {
        out.push_str("B(&[])");
        return;
    }
    out.push_str("B(&[");
    for item in items {
        out.push_str("B(");
        push_str_lit(out, item);
        out.push_str("),");
    }
    out.push_str("])");
}

fn push_sections(out: &mut String, source: &str, sections: &[CompiledSection]) {
    if sections.is_empty() {
        out.push_str("B(&[])");
        return;
    }
    out.push_str("B(&[");
    for section in sections {
        let _ = write!(
            out,
            "S {{ transactional: {}, line: {}, statements: B(&[",
            section.transactional, section.line
        );
        for statement in &section.statements {
            out.push_str("T { sql: B(");
            push_str_lit(out, source.get(statement.span.clone()).unwrap_or(""));
            let _ = write!(out, "), line: {} }},", statement.line);
        }
        out.push_str("]) },");
    }
    out.push_str("])");
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
}
