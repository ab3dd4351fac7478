//! PostgreSQL's extensions, functions (and procedures) and triggers in the
//! model, followed from the statements' text (sqlparser and PostgreSQL's
//! own parser both reach here, so the text is the one form both give):
//! `CREATE [OR REPLACE] FUNCTION|PROCEDURE`, `DROP FUNCTION|PROCEDURE|ROUTINE`,
//! `ALTER FUNCTION|PROCEDURE ... RENAME TO|SET SCHEMA`, `CREATE [OR
//! REPLACE] [CONSTRAINT] TRIGGER`, `DROP TRIGGER`, `ALTER TRIGGER ... RENAME
//! TO`, `CREATE|DROP EXTENSION`.
//!
//! A function is keyed by name and holds the argument types of its
//! overloads as the server identifies them (`integer, text`), or `None`
//! when the model cannot be sure of them (a type it cannot print as the
//! server does, a drop that may have left another overload). A trigger is
//! keyed `<table>.<trigger>` in its table's schema and goes with its table.
//! None of these statements gets an `unknown-object` error (an extension
//! or a `DO` block may have made the function or trigger); the one
//! certain error is a second `CREATE EXTENSION` of an extension the
//! history created, without `IF NOT EXISTS`.
//!
//! SQLite and MariaDB triggers are followed here too (`CREATE TRIGGER`,
//! `DROP TRIGGER`), keyed by their own name (one per schema there), and go
//! with their table.

use std::collections::{BTreeMap, BTreeSet};

use sqlparser::ast::{Ident, ObjectName};

use super::apply::{Problem, ProblemKind};
use super::{
    key, CompactString, Dialect, Extension, Function, FunctionDef, Name, Naming, Object, ObjectKey,
    ObjectKind, Schema, Trigger,
};

/// A token of a statement's head.
#[derive(Debug, Clone, PartialEq)]
enum Tok {
    /// A word (keyword or unquoted identifier), as written.
    Word(String),
    /// A `"quoted"` identifier, unquoted.
    Quoted(String),
    /// A string literal or a number, or a dollar-quoted body (not kept).
    Literal,
    /// Any other character.
    Punct(char),
}

/// The tokens of `text` up to its first dollar-quoted body (the head of a
/// function), comments skipped; at most `limit` tokens.
fn tokens(text: &str, limit: usize) -> Vec<Tok> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() && out.len() < limit {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '-' && chars.get(i + 1) == Some(&'-') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && chars.get(i + 1) == Some(&'*') {
            i += 2;
            while i + 1 < chars.len() && !(chars[i] == '*' && chars[i + 1] == '/') {
                i += 1;
            }
            i += 2;
        } else if c == '$' {
            // A dollar-quoted body: the head is over.
            break;
        } else if c == '\'' {
            i += 1;
            while i < chars.len() {
                if chars[i] == '\'' {
                    if chars.get(i + 1) == Some(&'\'') {
                        i += 2;
                        continue;
                    }
                    break;
                }
                i += 1;
            }
            i += 1;
            out.push(Tok::Literal);
        } else if c == '"' || c == '`' {
            let mut word = String::new();
            i += 1;
            while i < chars.len() {
                if chars[i] == c {
                    if chars.get(i + 1) == Some(&c) {
                        word.push(c);
                        i += 2;
                        continue;
                    }
                    break;
                }
                word.push(chars[i]);
                i += 1;
            }
            i += 1;
            out.push(Tok::Quoted(word));
        } else if c.is_ascii_digit() {
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '.') {
                i += 1;
            }
            out.push(Tok::Literal);
        } else if c.is_alphabetic() || c == '_' {
            let mut word = String::new();
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                word.push(chars[i]);
                i += 1;
            }
            out.push(Tok::Word(word));
        } else {
            out.push(Tok::Punct(c));
            i += 1;
        }
    }
    out
}

/// Whether `tok` is the keyword `word` (lower case).
/// The index after `IF EXISTS` when it stands at `at`, else `at`.
fn past_if_exists(toks: &[Tok], at: usize) -> usize {
    if is(toks.get(at), "if") && is(toks.get(at + 1), "exists") {
        at + 2
    } else {
        at
    }
}

fn is(tok: Option<&Tok>, word: &str) -> bool {
    matches!(tok, Some(Tok::Word(w)) if w.eq_ignore_ascii_case(word))
}

/// The type of a function argument as `oidvectortypes` prints it, for the
/// built-in types whose name the server prints one way; `None` for any
/// other (a user type, a schema-qualified one, `%TYPE`).
fn signature_type(toks: &[Tok]) -> Option<String> {
    let mut words = Vec::new();
    let mut dims = 0;
    let mut i = 0;
    while i < toks.len() {
        match &toks[i] {
            Tok::Word(w) if dims == 0 => words.push(w.to_lowercase()),
            // A type modifier: `numeric(10, 2)`, `varchar(20)`.
            Tok::Punct('(') => {
                while i < toks.len() && toks[i] != Tok::Punct(')') {
                    i += 1;
                }
            }
            Tok::Punct('[') => {
                dims += 1;
                while i < toks.len() && toks[i] != Tok::Punct(']') {
                    i += 1;
                }
            }
            _ => return None,
        }
        i += 1;
    }
    let base = match words.join(" ").as_str() {
        "int" | "integer" | "int4" => "integer",
        "bigint" | "int8" => "bigint",
        "smallint" | "int2" => "smallint",
        "text" => "text",
        "varchar" | "character varying" => "character varying",
        "char" | "character" | "bpchar" => "character",
        "boolean" | "bool" => "boolean",
        "numeric" | "decimal" => "numeric",
        "real" | "float4" => "real",
        "double precision" | "float8" | "float" => "double precision",
        "timestamp" | "timestamp without time zone" => "timestamp without time zone",
        "timestamptz" | "timestamp with time zone" => "timestamp with time zone",
        "time" | "time without time zone" => "time without time zone",
        "timetz" | "time with time zone" => "time with time zone",
        "date" => "date",
        "interval" => "interval",
        "uuid" => "uuid",
        "json" => "json",
        "jsonb" => "jsonb",
        "bytea" => "bytea",
        "inet" => "inet",
        "regclass" => "regclass",
        "oid" => "oid",
        "anyelement" => "anyelement",
        "anyarray" => "anyarray",
        _ => return None,
    };
    Some(format!("{base}{}", "[]".repeat(dims)))
}

/// The identity of an argument list (the tokens between the parentheses):
/// the input arguments' types joined by `, `; `None` when one of them is
/// not sure.
fn signature(args: &[Tok]) -> Option<String> {
    if args.is_empty() {
        return Some(String::new());
    }
    let mut parts: Vec<&[Tok]> = Vec::new();
    let (mut depth, mut start) = (0usize, 0);
    for (i, t) in args.iter().enumerate() {
        match t {
            Tok::Punct('(') | Tok::Punct('[') => depth += 1,
            Tok::Punct(')') | Tok::Punct(']') => depth = depth.saturating_sub(1),
            Tok::Punct(',') if depth == 0 => {
                parts.push(&args[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&args[start..]);
    let mut types = Vec::new();
    for part in parts {
        let end = part
            .iter()
            .position(|t| is(Some(t), "default") || *t == Tok::Punct('='))
            .unwrap_or(part.len());
        let mut part = &part[..end];
        match part.first() {
            Some(Tok::Word(w)) if w.eq_ignore_ascii_case("out") => continue,
            Some(Tok::Word(w))
                if ["in", "inout", "variadic"]
                    .iter()
                    .any(|m| w.eq_ignore_ascii_case(m)) =>
            {
                part = &part[1..]
            }
            _ => {}
        }
        // `type` or `name type`.
        let ty = signature_type(part).or_else(|| match part.first() {
            Some(Tok::Word(_) | Tok::Quoted(_)) => signature_type(&part[1..]),
            _ => None,
        })?;
        types.push(ty);
    }
    Some(types.join(", "))
}

/// The tokens between the parenthesis at `open` and its match, and the
/// index after the closing one.
fn parenthesised(toks: &[Tok], open: usize) -> Option<(&[Tok], usize)> {
    if toks.get(open) != Some(&Tok::Punct('(')) {
        return None;
    }
    let mut depth = 0usize;
    for (i, t) in toks.iter().enumerate().skip(open) {
        match t {
            Tok::Punct('(') => depth += 1,
            Tok::Punct(')') => {
                depth -= 1;
                if depth == 0 {
                    return Some((&toks[open + 1..i], i + 1));
                }
            }
            _ => {}
        }
    }
    None
}

/// What `CREATE OR REPLACE` cannot change of a routine: its argument list
/// (`args`, the tokens between the parentheses) and the `RETURNS` clause in
/// `rest` (the tokens after them, up to the first option), lower-cased.
fn routine_head(args: &[Tok], rest: &[Tok]) -> String {
    const OPTIONS: &[&str] = &[
        "language",
        "as",
        "immutable",
        "stable",
        "volatile",
        "strict",
        "security",
        "called",
        "cost",
        "rows",
        "parallel",
        "set",
        "window",
        "leakproof",
        "not",
        "support",
        "transform",
        "return",
        "begin",
        "external",
    ];
    // A one-word alias of a type is written as the server names the type
    // (`pg_get_functiondef`'s `integer` for `int4`), so that the same head
    // compares equal either way.
    let show = |t: &Tok| match t {
        Tok::Word(w) => {
            let w = w.to_lowercase();
            match w.as_str() {
                "int" | "int4" => "integer".to_string(),
                "int8" => "bigint".to_string(),
                "int2" => "smallint".to_string(),
                "varchar" => "character varying".to_string(),
                "bpchar" => "character".to_string(),
                "bool" => "boolean".to_string(),
                "decimal" => "numeric".to_string(),
                "float4" => "real".to_string(),
                "float8" => "double precision".to_string(),
                "timestamptz" => "timestamp with time zone".to_string(),
                "timetz" => "time with time zone".to_string(),
                _ => w,
            }
        }
        Tok::Quoted(q) => format!("\"{q}\""),
        Tok::Literal => "?".to_string(),
        Tok::Punct(c) => c.to_string(),
    };
    let mut out: Vec<String> = args.iter().map(show).collect();
    if is(rest.first(), "returns") {
        out.push("returns".to_string());
        let mut depth = 0usize;
        for t in &rest[1..] {
            match t {
                Tok::Punct('(') => depth += 1,
                Tok::Punct(')') => depth = depth.saturating_sub(1),
                Tok::Word(w) if depth == 0 && OPTIONS.iter().any(|o| w.eq_ignore_ascii_case(o)) => {
                    break
                }
                _ => {}
            }
            out.push(show(t));
        }
    }
    out.join(" ")
}

/// The body of a routine's declaration: the dollar-quoted or single-quoted
/// string after the `AS` that stands outside any string or comment, as the
/// server keeps it (`pg_proc.prosrc`); `None` when there is none (a `BEGIN
/// ATOMIC` or `RETURN` body) or it is written otherwise (`E'...'`).
pub(super) fn routine_body(text: &str) -> Option<String> {
    let b = text.as_bytes();
    let mut i = 0;
    let word_at = |i: usize, w: &str| {
        b.len() >= i + w.len()
            && b[i..i + w.len()].eq_ignore_ascii_case(w.as_bytes())
            && (i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_'))
            && b.get(i + w.len())
                .is_none_or(|c| !(c.is_ascii_alphanumeric() || *c == b'_'))
    };
    // The end of the dollar quote opening at `i`, and its tag's length.
    let dollar = |i: usize| -> Option<usize> {
        let close = text[i + 1..].find('$')? + i + 1;
        text[i + 1..close]
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_')
            .then_some(close)
    };
    while i < b.len() {
        match b[i] {
            b'-' if b.get(i + 1) == Some(&b'-') => {
                i = text[i..].find('\n').map_or(b.len(), |n| i + n);
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                i = text[i + 2..].find("*/").map_or(b.len(), |n| i + n + 4);
            }
            b'\'' => {
                i += 1;
                while i < b.len() && !(b[i] == b'\'' && b.get(i + 1) != Some(&b'\'')) {
                    i += if b[i] == b'\'' { 2 } else { 1 };
                }
                i += 1;
            }
            b'"' => {
                i = text[i + 1..].find('"').map_or(b.len(), |n| i + n + 2);
            }
            b'$' if dollar(i).is_some() => {
                let close = dollar(i)?;
                let tag = &text[i..=close];
                i = text[close + 1..]
                    .find(tag)
                    .map_or(b.len(), |n| close + 1 + n + tag.len());
            }
            _ if word_at(i, "as") => {
                let rest = text[i + 2..].trim_start();
                let at = text.len() - rest.len();
                return if rest.starts_with('$') {
                    let close = dollar(at)?;
                    let tag = &text[at..=close];
                    let end = text[close + 1..].find(tag)? + close + 1;
                    Some(text[close + 1..end].to_string())
                } else if let Some(quoted) = rest.strip_prefix('\'') {
                    let mut out = String::new();
                    let mut chars = quoted.chars().peekable();
                    while let Some(c) = chars.next() {
                        if c == '\'' {
                            if chars.peek() == Some(&'\'') {
                                chars.next();
                            } else {
                                return Some(out);
                            }
                        }
                        out.push(c);
                    }
                    None
                } else {
                    None
                };
            }
            _ => i += 1,
        }
    }
    None
}

/// Whether `text` is a `CREATE [OR REPLACE] FUNCTION|PROCEDURE`.
pub fn is_routine(text: &str) -> bool {
    let toks = tokens(text, 4);
    let at = if is(toks.get(1), "or") { 3 } else { 1 };
    is(toks.first(), "create") && (is(toks.get(at), "function") || is(toks.get(at), "procedure"))
}

impl Schema {
    /// Follows a `CREATE [OR REPLACE] FUNCTION|PROCEDURE` from its text
    /// alone (one no parser here gives a tree of), as the history's replay
    /// does.
    pub fn declare_routine(&mut self, text: &str, problems: &mut Vec<Problem>) {
        self.begin_statement(text);
        self.pg_object_text(text, problems);
    }

    /// A dotted name at `at` (`a`, `a.b`, `"A".b`), folded as the dialect
    /// folds, and the index after it.
    fn name_at(&self, toks: &[Tok], mut at: usize) -> Option<(Name, usize)> {
        let mut parts = Vec::new();
        loop {
            let ident = match toks.get(at)? {
                Tok::Word(w) => Ident::new(w.clone()),
                Tok::Quoted(q) => Ident::with_quote('"', q.clone()),
                _ => return None,
            };
            parts.push(ident);
            at += 1;
            if toks.get(at) == Some(&Tok::Punct('.')) {
                at += 1;
            } else {
                break;
            }
        }
        Some((self.dialect.object_name(&ObjectName::from(parts)), at))
    }

    /// Follows a statement on extensions, functions or triggers
    /// (PostgreSQL only; any other statement is left alone).
    pub(super) fn pg_object_text(&mut self, text: &str, problems: &mut Vec<Problem>) {
        if matches!(self.dialect, Dialect::Sqlite | Dialect::MySql) {
            self.trigger_text(text);
            return;
        }
        if self.dialect != Dialect::Postgres {
            return;
        }
        let toks = tokens(text, 400);
        let word = |i: usize| match toks.get(i) {
            Some(Tok::Word(w)) => w.to_lowercase(),
            _ => String::new(),
        };
        let mut at = 1;
        if word(0) == "create" && word(1) == "or" && word(2) == "replace" {
            at = 3;
        }
        match (word(0).as_str(), word(at).as_str()) {
            ("create", "function" | "procedure") => self.create_function(&toks, at + 1, text),
            ("create", "trigger") => self.create_trigger(&toks, at + 1),
            ("create", "constraint") if word(at + 1) == "trigger" => {
                self.create_trigger(&toks, at + 2)
            }
            ("create", "extension") => self.create_extension(&toks, text, problems),
            ("drop", "function" | "procedure" | "routine") => self.drop_functions(&toks),
            ("drop", "trigger") => self.drop_trigger(&toks),
            ("drop", "extension") => self.drop_extensions(&toks),
            ("alter", "function" | "procedure" | "routine") => self.alter_function(&toks),
            ("alter", "trigger") => self.alter_trigger(&toks),
            _ => {}
        }
    }

    /// Puts the overloads `signatures` of `name` (`None`: not known), with
    /// the declaration of the one `defined` (its signature and text).
    fn put_function(
        &mut self,
        name: Name,
        signatures: Option<BTreeSet<String>>,
        defined: Option<(String, FunctionDef)>,
    ) {
        let k = key(ObjectKind::Function, &name);
        let (merged, mut definitions) = match self.objects.get(&k) {
            Some(Object::Function(existing)) => (
                match (&existing.signatures, signatures) {
                    (Some(old), Some(new)) => Some(old.union(&new).cloned().collect()),
                    _ => None,
                },
                existing.definitions.clone(),
            ),
            _ => (signatures, BTreeMap::new()),
        };
        if let Some((signature, definition)) = defined {
            definitions.insert(signature, definition);
        }
        self.settle(&k);
        self.insert(
            k,
            Object::Function(Function {
                name,
                signatures: merged,
                definitions,
            }),
        );
    }

    fn create_function(&mut self, toks: &[Tok], at: usize, text: &str) {
        let Some((name, after)) = self.name_at(toks, at) else {
            return;
        };
        let parts = parenthesised(toks, after);
        let signature = parts.and_then(|(args, _)| signature(args));
        let defined = signature.clone().map(|s| {
            let head = parts.map(|(args, next)| routine_head(args, &toks[next..]));
            let sql = text.trim().trim_end_matches(';').trim_end().to_string();
            let body = routine_body(&sql);
            (s, FunctionDef { sql, head, body })
        });
        self.put_function(name, signature.map(|s| [s].into()), defined);
    }

    /// `DROP FUNCTION [IF EXISTS] name[(args)][, ...] [CASCADE | RESTRICT]`.
    fn drop_functions(&mut self, toks: &[Tok]) {
        let mut at = past_if_exists(toks, 2);
        let cascade = toks.iter().any(|t| is(Some(t), "cascade"));
        let mut dropped = Vec::new();
        while let Some((name, after)) = self.name_at(toks, at) {
            let (args, next) = match parenthesised(toks, after) {
                Some((args, next)) => (Some(signature(args)), next),
                None => (None, after),
            };
            dropped.push((name, args));
            if toks.get(next) == Some(&Tok::Punct(',')) {
                at = next + 1;
            } else {
                break;
            }
        }
        if cascade {
            let names: Vec<CompactString> = dropped.iter().map(|(n, _)| n.name.clone()).collect();
            self.uncertain_users_of(&names);
        }
        for (name, args) in dropped {
            let k = key(ObjectKind::Function, &name);
            let Some(Object::Function(mut function)) = self.objects.get(&k).cloned() else {
                continue;
            };
            function.signatures = match (function.signatures, args) {
                // One overload named by its types.
                (Some(mut signatures), Some(Some(signature)))
                    if signatures.contains(&signature) =>
                {
                    signatures.remove(&signature);
                    function.definitions.remove(&signature);
                    Some(signatures)
                }
                // The only overload (the server refuses a bare name that
                // is not unique).
                (Some(signatures), _) if signatures.len() <= 1 => Some(BTreeSet::new()),
                (Some(_), _) => None,
                // Overloads not known: taken as the only one.
                (None, _) => Some(BTreeSet::new()),
            };
            if cascade {
                let triggers: Vec<ObjectKey> = self
                    .objects
                    .iter()
                    .filter(|(_, o)| matches!(o, Object::Trigger(t) if t.function.as_ref() == Some(&name)))
                    .map(|(k, _)| k.clone())
                    .collect();
                for t in triggers {
                    self.remove(&t);
                }
            }
            if function.signatures.as_ref().is_some_and(BTreeSet::is_empty) {
                self.remove(&k);
            } else {
                self.insert(k, Object::Function(function));
            }
        }
    }

    /// What a `DROP FUNCTION ... CASCADE` of the functions `names` may take
    /// with it besides their triggers: a view, index, default, generated
    /// column or constraint whose text calls one of them (or whose text
    /// the model does not know), with what depends on it, becomes uncertain.
    fn uncertain_users_of(&mut self, names: &[CompactString]) {
        let calls = |text: &str| {
            text.split(|c: char| !(c.is_alphanumeric() || c == '_'))
                .any(|w| names.iter().any(|n| w.eq_ignore_ascii_case(n)))
        };
        let mut users: Vec<ObjectKey> = Vec::new();
        for (k, object) in self.objects.iter() {
            let uses = match object {
                Object::View(view) => view.definition.as_deref().is_none_or(calls),
                Object::Index(index) => {
                    !index.constraint && index.definition.as_deref().is_none_or(calls)
                }
                Object::Table(table) => {
                    table.columns.iter().any(|c| match &c.sql {
                        Some(sql) => {
                            sql.default.as_deref().is_some_and(calls)
                                || sql.generated.as_deref().is_some_and(calls)
                        }
                        None => c.has_default,
                    }) || table
                        .constraints
                        .iter()
                        .any(|c| c.definition.as_deref().is_some_and(calls))
                }
                _ => false,
            };
            if uses {
                users.push(k.clone());
            }
        }
        users.sort();
        for k in users {
            for dependent in self.dependents(&k.name) {
                self.make_uncertain(dependent);
            }
            self.make_uncertain(k);
        }
    }

    /// `ALTER FUNCTION name[(args)] RENAME TO new | SET SCHEMA s`.
    fn alter_function(&mut self, toks: &[Tok]) {
        let at = past_if_exists(toks, 2);
        let Some((name, after)) = self.name_at(toks, at) else {
            return;
        };
        let next = parenthesised(toks, after).map_or(after, |(_, next)| next);
        let to = if is(toks.get(next), "rename") && is(toks.get(next + 1), "to") {
            match self.name_at(toks, next + 2) {
                Some((to, _)) => name.sibling(to.name),
                None => return,
            }
        } else if is(toks.get(next), "set") && is(toks.get(next + 1), "schema") {
            let schema = match toks.get(next + 2) {
                Some(Tok::Word(w)) => Ident::new(w.clone()),
                Some(Tok::Quoted(q)) => Ident::with_quote('"', q.clone()),
                _ => return,
            };
            self.dialect.object_name(&ObjectName::from(vec![
                schema,
                Ident::with_quote('"', name.name.clone()),
            ]))
        } else {
            return;
        };
        let k = key(ObjectKind::Function, &name);
        let Some(Object::Function(function)) = self.objects.get(&k).cloned() else {
            return;
        };
        if function.signatures.as_ref().is_some_and(|s| s.len() > 1) {
            // Which overload moved is not followed.
            self.make_function_uncertain(&k);
            self.make_function_uncertain(&key(ObjectKind::Function, &to));
            return;
        }
        self.remove(&k);
        // The declaration names the function by its old name: not known.
        self.put_function(to, function.signatures, None);
    }

    fn make_function_uncertain(&mut self, k: &ObjectKey) {
        if !self.objects.contains_key(k) {
            self.put_function(k.name.clone(), None, None);
        }
        self.mark_uncertain(k.clone());
    }

    /// `CREATE [OR REPLACE] [CONSTRAINT] TRIGGER name {BEFORE | AFTER |
    /// INSTEAD OF} events ON table ... EXECUTE {FUNCTION | PROCEDURE} f(...)`.
    fn create_trigger(&mut self, toks: &[Tok], at: usize) {
        let Some((trigger, after)) = self.name_at(toks, at) else {
            return;
        };
        let Some(on) = (after..toks.len()).find(|i| is(toks.get(*i), "on")) else {
            return;
        };
        let Some((table, _)) = self.name_at(toks, on + 1) else {
            return;
        };
        let function = (on..toks.len())
            .find(|i| {
                is(toks.get(*i), "execute")
                    && (is(toks.get(i + 1), "function") || is(toks.get(i + 1), "procedure"))
            })
            .and_then(|i| self.name_at(toks, i + 2))
            .map(|(f, _)| f);
        let name = trigger_name(&table, &trigger.name);
        let k = key(ObjectKind::Trigger, &name);
        self.settle(&k);
        self.insert(
            k,
            Object::Trigger(Trigger {
                name,
                table,
                function,
            }),
        );
    }

    /// `DROP TRIGGER [IF EXISTS] name ON table [CASCADE | RESTRICT]`.
    fn drop_trigger(&mut self, toks: &[Tok]) {
        let at = past_if_exists(toks, 2);
        let Some((trigger, after)) = self.name_at(toks, at) else {
            return;
        };
        if !is(toks.get(after), "on") {
            return;
        }
        let Some((table, _)) = self.name_at(toks, after + 1) else {
            return;
        };
        self.remove(&key(
            ObjectKind::Trigger,
            &trigger_name(&table, &trigger.name),
        ));
    }

    /// `ALTER TRIGGER name ON table RENAME TO new`.
    fn alter_trigger(&mut self, toks: &[Tok]) {
        let Some((trigger, after)) = self.name_at(toks, 2) else {
            return;
        };
        if !is(toks.get(after), "on") {
            return;
        }
        let Some((table, next)) = self.name_at(toks, after + 1) else {
            return;
        };
        if !(is(toks.get(next), "rename") && is(toks.get(next + 1), "to")) {
            return;
        }
        let Some((to, _)) = self.name_at(toks, next + 2) else {
            return;
        };
        let from = key(ObjectKind::Trigger, &trigger_name(&table, &trigger.name));
        if let Some(Object::Trigger(mut t)) = self.remove(&from) {
            t.name = trigger_name(&table, &to.name);
            let k = key(ObjectKind::Trigger, &t.name);
            self.settle(&k);
            self.insert(k, Object::Trigger(t));
        }
    }

    /// Follows `CREATE TRIGGER` and `DROP TRIGGER` on SQLite and MariaDB,
    /// where a trigger's name is one per schema (not per table as on
    /// PostgreSQL): the key is the trigger's own name.
    ///
    /// SQLite: `CREATE [TEMP] TRIGGER [IF NOT EXISTS] name ... ON table
    /// ... BEGIN ... END`; MariaDB: `CREATE [OR REPLACE] [DEFINER = user]
    /// TRIGGER [IF NOT EXISTS] name ... ON table FOR EACH ROW ...`; both
    /// `DROP TRIGGER [IF EXISTS] name`. True when the statement was one of
    /// these and followed (a trigger there cannot change the schema: SQLite
    /// allows only data statements in its body, MariaDB no statement that
    /// commits), so a statement no parser here accepts need not make the
    /// model open.
    pub(super) fn trigger_text(&mut self, text: &str) -> bool {
        let toks = tokens(text, 60);
        let word = |i: usize| match toks.get(i) {
            Some(Tok::Word(w)) => w.to_lowercase(),
            _ => String::new(),
        };
        match word(0).as_str() {
            "create" => {
                // Past `OR REPLACE`, `TEMP`, `DEFINER = ...`; an `EVENT`
                // is not a trigger.
                let Some(at) = (1..toks.len().min(16)).find(|i| word(*i) == "trigger") else {
                    return false;
                };
                if (1..at).any(|i| word(i) == "event") {
                    return false;
                }
                let mut at = at + 1;
                if word(at) == "if" && word(at + 1) == "not" && word(at + 2) == "exists" {
                    at += 3;
                }
                let Some((trigger, after)) = self.name_at(&toks, at) else {
                    return false;
                };
                let Some(on) = (after..toks.len()).find(|i| word(*i) == "on") else {
                    return false;
                };
                let Some((table, _)) = self.name_at(&toks, on + 1) else {
                    return false;
                };
                // An unqualified trigger lives in its table's schema.
                let name = if trigger.schema.is_none() {
                    table.sibling(trigger.name)
                } else {
                    trigger
                };
                let k = key(ObjectKind::Trigger, &name);
                self.settle(&k);
                self.insert(
                    k,
                    Object::Trigger(Trigger {
                        name,
                        table,
                        function: None,
                    }),
                );
                true
            }
            "drop" if word(1) == "trigger" => {
                let mut at = 2;
                if word(at) == "if" && word(at + 1) == "exists" {
                    at += 2;
                }
                let Some((trigger, _)) = self.name_at(&toks, at) else {
                    return false;
                };
                let k = key(ObjectKind::Trigger, &trigger);
                self.settle(&k);
                self.remove(&k);
                true
            }
            _ => false,
        }
    }

    /// Re-keys the triggers of the relation `from`, now named `to`.
    pub(super) fn rename_triggers(&mut self, from: &Name, to: &Name) {
        let moved: Vec<ObjectKey> = self
            .referrers
            .get(from)
            .map(|keys| {
                keys.iter()
                    .filter(|k| k.kind == ObjectKind::Trigger)
                    .cloned()
                    .collect()
            })
            .unwrap_or_default();
        for k in moved {
            let cause = self.uncertain.get(&k).cloned();
            if self.dialect != Dialect::Postgres {
                // Keyed by its own name: only its table changes.
                if let Some(Object::Trigger(mut t)) = self.remove(&k) {
                    t.table = to.clone();
                    self.insert(k.clone(), Object::Trigger(t));
                }
                continue;
            }
            if let Some(Object::Trigger(mut t)) = self.remove(&k) {
                let short = t
                    .name
                    .name
                    .strip_prefix(&format!("{}.", from.name))
                    .unwrap_or(&t.name.name)
                    .to_string();
                t.table = to.clone();
                t.name = trigger_name(to, &short);
                let k = key(ObjectKind::Trigger, &t.name);
                self.insert(k.clone(), Object::Trigger(t));
                if let Some(cause) = cause {
                    self.mark_uncertain_by(k, cause);
                }
            }
        }
    }

    /// `CREATE EXTENSION [IF NOT EXISTS] name ... [CASCADE]`.
    fn create_extension(&mut self, toks: &[Tok], text: &str, problems: &mut Vec<Problem>) {
        let mut at = 2;
        let if_not_exists =
            is(toks.get(at), "if") && is(toks.get(at + 1), "not") && is(toks.get(at + 2), "exists");
        if if_not_exists {
            at += 3;
        }
        let Some((name, _)) = self.name_at(toks, at) else {
            return;
        };
        // In every database from `template1`.
        if name.name == "plpgsql" {
            return;
        }
        let k = key(ObjectKind::Extension, &name);
        if self.objects.contains_key(&k) {
            if !if_not_exists && !self.is_uncertain(&k) {
                problems.push(Problem {
                    kind: ProblemKind::Duplicate,
                    message: format!("extension {} already exists", name.name),
                });
            }
            return;
        }
        if toks.iter().any(|t| is(Some(t), "cascade")) {
            // It installs the extensions it needs, which the model does
            // not know.
            self.set_open();
        }
        self.settle(&k);
        let sql = text.trim().trim_end_matches(';').trim_end().to_string();
        self.insert(
            k,
            Object::Extension(Extension {
                name,
                sql: Some(sql),
            }),
        );
    }

    /// `DROP EXTENSION [IF EXISTS] name[, ...] [CASCADE | RESTRICT]`.
    fn drop_extensions(&mut self, toks: &[Tok]) {
        let mut at = past_if_exists(toks, 2);
        if toks.iter().any(|t| is(Some(t), "cascade")) {
            // Columns of its types, and whatever uses its functions, go
            // too: anything may have changed.
            self.opaque("execute");
        }
        while let Some((name, after)) = self.name_at(toks, at) {
            self.remove(&key(ObjectKind::Extension, &name));
            if toks.get(after) == Some(&Tok::Punct(',')) {
                at = after + 1;
            } else {
                break;
            }
        }
    }
}

/// The model's name of the trigger `trigger` on `table`.
pub(super) fn trigger_name(table: &Name, trigger: &str) -> Name {
    table.sibling(format!("{}.{trigger}", table.name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_print_as_the_server_identifies_them() {
        let sig = |text: &str| {
            let toks = tokens(text, 100);
            parenthesised(&toks, 0).and_then(|(args, _)| signature(args))
        };
        assert_eq!(sig("()"), Some(String::new()));
        assert_eq!(
            sig("(a int, b varchar(20) DEFAULT 'x', OUT c text)"),
            Some("integer, character varying".to_string())
        );
        assert_eq!(
            sig("(double precision, timestamptz, \"text\" text[])"),
            Some("double precision, timestamp with time zone, text[]".to_string())
        );
        assert_eq!(
            sig("(IN x numeric(10, 2), VARIADIC y int[])"),
            Some("numeric, integer[]".to_string())
        );
        assert_eq!(sig("(x my_type)"), None);
        assert_eq!(sig("(x public.t%TYPE)"), None);
    }

    #[test]
    fn a_routine_keeps_its_body_and_head() {
        assert_eq!(
            routine_body("CREATE FUNCTION f() RETURNS int AS $x$ SELECT 'as' $$ $x$ LANGUAGE sql"),
            Some(" SELECT 'as' $$ ".to_string())
        );
        assert_eq!(
            routine_body("CREATE FUNCTION f() RETURNS text LANGUAGE sql AS 'SELECT ''a'''"),
            Some("SELECT 'a'".to_string())
        );
        assert_eq!(
            routine_body(
                "CREATE FUNCTION \"as\"(a int DEFAULT 'as') RETURNS int -- as\nAS $$ 1 $$"
            ),
            Some(" 1 ".to_string())
        );
        assert_eq!(
            routine_body("CREATE FUNCTION f() RETURNS int LANGUAGE sql RETURN 1"),
            None
        );
        let head = |text: &str| {
            let toks = tokens(text, 400);
            let open = toks.iter().position(|t| *t == Tok::Punct('(')).unwrap();
            let (args, next) = parenthesised(&toks, open).unwrap();
            routine_head(args, &toks[next..])
        };
        assert_eq!(
            head("CREATE FUNCTION f(n Int) RETURNS SETOF text STABLE AS $$ x $$"),
            "n integer returns setof text"
        );
        assert_eq!(
            head("CREATE FUNCTION f(n int) RETURNS TABLE (a int) LANGUAGE sql AS $$ x $$"),
            "n integer returns table ( a integer )"
        );
        assert_eq!(
            head("CREATE FUNCTION f(int4, float8) RETURNS bool AS $$ x $$"),
            head("CREATE FUNCTION f(integer, double precision) RETURNS boolean AS $$ x $$")
        );
        assert!(is_routine(
            "create or replace procedure p() language sql as $$ $$"
        ));
        assert!(!is_routine("CREATE TABLE function (a int)"));
    }

    #[test]
    fn a_second_create_extension_is_a_duplicate_unless_guarded() {
        use crate::lint::test_support::hits;
        let guarded = "-- migrate:upgrade\nCREATE EXTENSION pg_trgm;\n\
            CREATE EXTENSION IF NOT EXISTS pg_trgm;\nCREATE EXTENSION plpgsql;\n\
            -- migrate:downgrade\nDROP EXTENSION pg_trgm;\n";
        assert_eq!(hits("duplicate-object", &[guarded]), 0);
        let twice = "-- migrate:upgrade\nCREATE EXTENSION pg_trgm;\nCREATE EXTENSION pg_trgm;\n\
            -- migrate:downgrade\nDROP EXTENSION pg_trgm;\n";
        assert_eq!(hits("duplicate-object", &[twice]), 1);
    }

    #[test]
    fn a_downgrade_that_leaves_a_function_or_trigger_is_reported() {
        use crate::lint::test_support::hits;
        let table =
            "-- migrate:upgrade\nCREATE TABLE t (id int);\n-- migrate:downgrade\nDROP TABLE t;\n";
        let up = "CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;\n\
            CREATE TRIGGER t_f BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION f();\n";
        let sound = format!("-- migrate:upgrade\n{up}-- migrate:downgrade\nDROP TRIGGER t_f ON t;\nDROP FUNCTION f();\n");
        assert_eq!(hits("downgrade-mismatch", &[table, &sound]), 0);
        let leaves =
            format!("-- migrate:upgrade\n{up}-- migrate:downgrade\nDROP FUNCTION f() CASCADE;\n");
        // CASCADE makes the model unsure of what else went: quiet.
        assert_eq!(hits("downgrade-mismatch", &[table, &leaves]), 0);
        let trigger_left =
            format!("-- migrate:upgrade\n{up}-- migrate:downgrade\nDROP FUNCTION IF EXISTS g();\n");
        assert!(hits("downgrade-mismatch", &[table, &trigger_left]) >= 1);
    }
}
