//! Replaying one statement on the model.

use std::fmt::Write as _;

use compact_str::ToCompactString as _;
use std::ops::ControlFlow;

use sqlparser::ast::{
    AlterColumnOperation, AlterIndexOperation, AlterTable, AlterTableOperation, AlterType,
    AlterTypeOperation, ColumnDef, ColumnOption, CreateIndex, CreateTable, DataType, Expr, Ident,
    ObjectName, ObjectType, RenameTableNameKind, Statement, TableConstraint,
    UserDefinedTypeRepresentation,
};

use std::collections::{BTreeSet, HashSet};

use super::attributes;
use super::dependencies::{self, KeyRename};
use super::mariadb;
use super::names::{mysql_default_index_name, pg_choose_name, pg_name_addition};
use super::{
    default_marker, key, Column, ColumnSql, CompactString, Constraint, ConstraintKind, Dialect,
    Index, IndexPredicate, Name, Object, ObjectKind, Schema, Sequence, SequenceOptions, Table,
    TypeDef, TypeKind, View,
};
use crate::{CheckedBy, CompiledStatement};

/// What kind of model error a statement causes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProblemKind {
    /// It refers to an object that does not exist at that point.
    Unknown,
    /// It creates an object that already exists.
    Duplicate,
    /// It would be one of the above, but the object is uncertain (a
    /// statement the model could not follow may have changed it): not an
    /// error, a warning naming that statement.
    Uncertain,
}

/// A statement that cannot succeed against the schema the history built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Unknown or duplicate.
    pub kind: ProblemKind,
    /// One line, e.g. `table posts does not exist at this point`.
    pub message: String,
}

impl Schema {
    /// Replays `statement` on the model and returns what cannot succeed.
    pub fn apply(&mut self, statement: &CompiledStatement, source: &str) -> Vec<Problem> {
        let mut problems = Vec::new();
        let text = source.get(statement.span.clone()).unwrap_or("");
        self.begin_statement(text);
        match (&statement.ast, statement.checked_by) {
            (Some(ast), CheckedBy::Sqlparser) => self.apply_ast(ast, text, &mut problems),
            // Parsed, tree not kept: a data statement, which changes no schema
            // (`crate::parse::keeps_tree`), unless a trigger that changes
            // the schema fires.
            (None, CheckedBy::Sqlparser) => {
                if !self.schema_triggers.is_empty() {
                    let bodies: Vec<String> = self.schema_triggers.iter().cloned().collect();
                    self.opaque(&bodies.join(" "));
                }
            }
            // A trigger on SQLite or MariaDB changes no other object.
            (_, CheckedBy::Unchecked | CheckedBy::TooDeep | CheckedBy::TooLarge)
                if matches!(self.dialect, Dialect::Sqlite | Dialect::MySql)
                    && self.trigger_text(text) => {}
            // MariaDB's `ALTER TABLE t COMMENT = '...'`, which sqlparser
            // does not read, changes that comment only.
            (_, CheckedBy::Unchecked | CheckedBy::TooDeep | CheckedBy::TooLarge)
                if self.dialect == Dialect::MySql && self.mysql_table_comment(text) => {}
            // PostgreSQL's `ALTER SEQUENCE` of options and `OWNED BY`
            // (autogenerate writes it unchecked: sqlparser does not read
            // it), on a sequence the model holds, read in full.
            (_, CheckedBy::Unchecked | CheckedBy::TooDeep | CheckedBy::TooLarge)
                if matches!(self.dialect, Dialect::Postgres | Dialect::Generic)
                    && self.sequence_text(text) => {}
            (_, CheckedBy::Unchecked | CheckedBy::TooDeep | CheckedBy::TooLarge) => {
                self.opaque(text);
                // The text of a DROP INDEX is still plain enough to follow.
                self.apply_unparsed(text);
            }
            _ => {
                self.pg_object_text(text, &mut problems);
                self.apply_unparsed(text)
            }
        }
        problems
    }

    /// Follows MariaDB's `ALTER TABLE name COMMENT [=] 'text'` (a statement
    /// sqlparser does not read, so it comes unchecked): read with
    /// sqlparser's own MySQL tokenizer, exactly those tokens and nothing
    /// else, on a table the model holds. False (the statement is then
    /// opaque, as any other) for anything else.
    fn mysql_table_comment(&mut self, text: &str) -> bool {
        use sqlparser::tokenizer::{Token, Tokenizer};
        let Ok(tokens) = Tokenizer::new(&sqlparser::dialect::MySqlDialect {}, text).tokenize()
        else {
            return false;
        };
        let mut toks: Vec<Token> = tokens
            .into_iter()
            .filter(|t| !matches!(t, Token::Whitespace(_)))
            .collect();
        if toks.last() == Some(&Token::SemiColon) {
            toks.pop();
        }
        let keyword = |at: usize, k: &str| matches!(toks.get(at), Some(Token::Word(w)) if w.quote_style.is_none() && w.value.eq_ignore_ascii_case(k));
        if !keyword(0, "ALTER") || !keyword(1, "TABLE") {
            return false;
        }
        let mut parts = Vec::new();
        let mut at = 2;
        loop {
            match toks.get(at) {
                Some(Token::Word(w)) => parts.push(match w.quote_style {
                    Some(quote) => Ident::with_quote(quote, w.value.clone()),
                    None => Ident::new(w.value.clone()),
                }),
                _ => return false,
            }
            at += 1;
            if toks.get(at) == Some(&Token::Period) {
                at += 1;
            } else {
                break;
            }
        }
        if parts.len() > 2 || !keyword(at, "COMMENT") {
            return false;
        }
        at += 1;
        if toks.get(at) == Some(&Token::Eq) {
            at += 1;
        }
        let Some(Token::SingleQuotedString(comment)) = toks.get(at) else {
            return false;
        };
        if at + 1 != toks.len() {
            return false;
        }
        let comment = Some(comment.clone()).filter(|c| !c.is_empty());
        let name = self.dialect.object_name(&ObjectName::from(parts));
        match self.table_mut(&name) {
            Some(table) => {
                table.comment = comment;
                true
            }
            None => false,
        }
    }

    /// A statement whose effect the model cannot follow: the model becomes
    /// open (a missing object is never reported again), and every object it
    /// may touch becomes uncertain: those its text names, with what depends
    /// on them, the same for the bodies of the functions it names, and every
    /// object when it runs dynamic SQL (`EXECUTE`, `PREPARE`), which can name
    /// anything.
    pub fn opaque(&mut self, text: &str) {
        self.set_open();
        // Each word of the texts is looked up in the names of the model's
        // objects (an index's also after its `.`), never collected: a long
        // statement has hundreds of thousands of words.
        let names: HashSet<String> = self
            .objects
            .keys()
            .flat_map(|k| {
                let name = k.name.name.as_str().to_lowercase();
                let index = name.rsplit_once('.').map(|(_, index)| index.to_string());
                std::iter::once(name).chain(index)
            })
            .collect();
        let mut named: HashSet<String> = HashSet::new();
        let mut texts = vec![text.to_lowercase()];
        let mut seen = BTreeSet::new();
        let mut everything = false;
        let mut i = 0;
        while i < texts.len() && !everything {
            let current = texts[i].clone();
            for word in words_of(&current) {
                if word == "execute" || word == "prepare" {
                    everything = true;
                    break;
                }
                if names.contains(word) {
                    named.insert(word.to_string());
                }
                if let Some(body) = self.functions.get(word) {
                    if seen.insert(word.to_string()) {
                        texts.push(body.clone());
                    }
                }
            }
            i += 1;
        }
        let touched: Vec<ObjectKey> = self
            .objects
            .keys()
            .filter(|k| {
                everything
                    || named.contains(&k.name.name.as_str().to_lowercase())
                    || k.name
                        .name
                        .rsplit_once('.')
                        .is_some_and(|(_, index)| named.contains(&index.to_lowercase()))
            })
            .cloned()
            .collect();
        for k in touched {
            let mut all = self.dependents(&k.name);
            all.push(k);
            for k in all {
                self.make_uncertain(k);
            }
        }
    }

    /// Marks `k` uncertain; an uncertain table's columns and constraints
    /// are not known any more either.
    pub(super) fn make_uncertain(&mut self, k: ObjectKey) {
        if k.kind == ObjectKind::Table {
            if let Some(table) = self.table_mut(&k.name) {
                table.open_columns = true;
                table.open_constraints = true;
            }
        }
        self.mark_uncertain(k);
    }

    /// What goes with the relation `name` when it is dropped with CASCADE:
    /// the views that read it (transitively), their indexes, and, for a
    /// table, its indexes and owned sequences.
    pub(super) fn dependents(&self, name: &Name) -> Vec<ObjectKey> {
        let mut doomed: Vec<Name> = vec![name.clone()];
        let mut out = Vec::new();
        let mut i = 0;
        while i < doomed.len() {
            let current = doomed[i].clone();
            let mut referrers: Vec<&ObjectKey> = self
                .referrers
                .get(&current)
                .map(|keys| keys.iter().collect())
                .unwrap_or_default();
            // In key order, so that views are found in the same order on
            // every run.
            referrers.sort();
            for (k, object) in referrers
                .into_iter()
                .filter_map(|k| self.objects.get(k).map(|object| (k, object)))
            {
                match object {
                    Object::View(view)
                        if view.depends_on.contains(&current) && !doomed.contains(&k.name) =>
                    {
                        doomed.push(k.name.clone());
                        out.push(k.clone());
                    }
                    Object::Index(index) if index.table == current => out.push(k.clone()),
                    Object::Trigger(trigger) if trigger.table == current => out.push(k.clone()),
                    Object::Sequence(sequence)
                        if sequence
                            .owned_by
                            .as_ref()
                            .is_some_and(|(t, _)| *t == current) =>
                    {
                        out.push(k.clone())
                    }
                    _ => {}
                }
            }
            i += 1;
        }
        out.sort();
        out.dedup();
        out
    }

    /// Replays a parsed statement (`text` is its source, for what the
    /// syntax tree does not say, such as the body of a function).
    pub fn apply_ast(&mut self, statement: &Statement, text: &str, problems: &mut Vec<Problem>) {
        match statement {
            Statement::CreateTable(create) => self.create_table(create, problems),
            Statement::AlterTable(alter) => self.alter_table(alter, problems),
            Statement::CreateIndex(create) => self.create_index(create, problems),
            Statement::Drop {
                object_type,
                if_exists,
                names,
                table,
                cascade,
                ..
            } => self.drop(
                *object_type,
                *if_exists,
                *cascade,
                names,
                table.as_ref(),
                problems,
            ),
            Statement::CreateView(view) => {
                let name = self.dialect.object_name(&view.name);
                let k = key(ObjectKind::View, &name);
                if self.objects.contains_key(&k) && !view.or_replace && !view.if_not_exists {
                    if self.is_uncertain(&k) {
                        self.silenced(&k, &format!("view {name} already exists"), problems);
                    } else {
                        problems.push(duplicate(ObjectKind::View, &name));
                    }
                }
                if self.objects.contains_key(&k) && (view.if_not_exists && !view.or_replace) {
                    return;
                }
                let depends_on = self.relations_read(view.query.as_ref());
                // `OR REPLACE` keeps the view, and its comment.
                let comment = match self.objects.get(&k) {
                    Some(Object::View(old)) if view.or_replace => old.comment.clone(),
                    _ => None,
                };
                self.settle(&k);
                self.insert(
                    k,
                    Object::View(View {
                        name,
                        materialized: view.materialized,
                        depends_on,
                        definition: Some(view_definition(view)),
                        comment,
                    }),
                );
            }
            Statement::AlterView(view) => {
                let name = self.dialect.object_name(&view.name);
                if !self.contains(ObjectKind::View, &name) && !view.if_exists {
                    self.report_unknown(ObjectKind::View, &name, problems);
                }
            }
            Statement::CreateType {
                name,
                representation,
            } => {
                let name = self.dialect.object_name(name);
                let (labels, kind) = match representation {
                    Some(UserDefinedTypeRepresentation::Enum { labels }) => (
                        labels.iter().map(|l| l.value.clone()).collect(),
                        TypeKind::Enum,
                    ),
                    Some(UserDefinedTypeRepresentation::Composite { .. }) => {
                        // What follows the name, as sqlparser prints it.
                        let unnamed = Statement::CreateType {
                            name: ObjectName::from(vec![sqlparser::ast::Ident::new("t")]),
                            representation: representation.clone(),
                        };
                        let text = unnamed.to_string();
                        let definition = text.strip_prefix("CREATE TYPE t ").map(str::to_string);
                        (Vec::new(), TypeKind::Composite(definition))
                    }
                    _ => (Vec::new(), TypeKind::Other),
                };
                self.create_type(name, labels, kind, None, problems);
            }
            Statement::CreateDomain(domain) => {
                let name = self.dialect.object_name(&domain.name);
                // What follows the name, as sqlparser prints it.
                let mut unnamed = domain.clone();
                unnamed.name = ObjectName::from(vec![sqlparser::ast::Ident::new("d")]);
                let text = unnamed.to_string();
                let definition = text.strip_prefix("CREATE DOMAIN d ").map(str::to_string);
                let base = Some(normalize_type(&domain.data_type));
                self.create_type(
                    name,
                    Vec::new(),
                    TypeKind::Domain(definition),
                    base,
                    problems,
                );
            }
            Statement::DropDomain(drop) => {
                let name = self.dialect.object_name(&drop.name);
                self.drop_one(ObjectKind::Type, &name, drop.if_exists, problems);
                let cascade = matches!(
                    drop.drop_behavior,
                    Some(sqlparser::ast::DropBehavior::Cascade)
                );
                if cascade && matches!(self.dialect, Dialect::Postgres | Dialect::Generic) {
                    self.pg_drop_type_dependents(&name);
                }
            }
            Statement::AlterType(alter) => self.alter_type(alter, problems),
            Statement::Comment {
                object_type,
                object_name,
                comment,
                ..
            } => self.comment_on(*object_type, object_name, comment),
            Statement::CreateSequence {
                if_not_exists,
                name,
                sequence_options,
                ..
            } => {
                let name = self.dialect.object_name(name);
                let k = key(ObjectKind::Sequence, &name);
                // A sequence the model does not know of may exist (made by an
                // extension, say): a duplicate is never reported.
                if *if_not_exists && self.objects.contains_key(&k) {
                    return;
                }
                let owned_by = sequence_options.iter().find_map(|o| match o {
                    sqlparser::ast::SequenceOptions::OwnedBy(owner) => Some(owner.clone()),
                    _ => None,
                });
                let owned_by = owned_by.flatten().and_then(|o| self.column_owner(&o));
                let options = super::sequence::change_of(sequence_options)
                    .map(|change| SequenceOptions::created(self.dialect, &change));
                self.settle(&k);
                self.insert(
                    k,
                    Object::Sequence(Sequence {
                        name,
                        owned_by,
                        options,
                    }),
                );
            }
            Statement::CreateSchema {
                schema_name:
                    sqlparser::ast::SchemaName::Simple(name)
                    | sqlparser::ast::SchemaName::NamedAuthorization(name, _),
                ..
            } => {
                let name = self.dialect.object_name(name);
                self.snapshot_routines();
                self.schemas.insert(name.name.into());
            }
            Statement::RenameTable(renames) => {
                for rename in renames {
                    let from = self.dialect.object_name(&rename.old_name);
                    let to = self.dialect.object_name(&rename.new_name);
                    self.rename_relation(&from, to, problems);
                }
            }
            Statement::AlterIndex {
                name,
                operation: AlterIndexOperation::RenameIndex { index_name },
            } => {
                let from = self.dialect.object_name(name);
                let to = self.dialect.object_name(index_name);
                let to = if to.schema.is_none() {
                    from.sibling(to.name)
                } else {
                    to
                };
                self.rename_index(&from, to, problems);
            }
            Statement::CreateFunction(function) => {
                let name = self.dialect.object_name(&function.name);
                self.snapshot_routines();
                self.functions.insert(name.name.into(), text.to_lowercase());
                self.pg_object_text(text, problems);
            }
            Statement::CreateProcedure { name, .. } => {
                let name = self.dialect.object_name(name);
                self.snapshot_routines();
                self.functions.insert(name.name.into(), text.to_lowercase());
                self.pg_object_text(text, problems);
            }
            // A procedure of the history runs its body; anything else
            // executed by name can do anything.
            Statement::Call(call) => {
                let name = self.dialect.object_name(&call.name);
                if self.functions.contains_key(name.name.as_str()) {
                    self.opaque(text);
                } else {
                    self.opaque("execute");
                }
            }
            Statement::Execute { .. } => self.opaque("execute"),
            Statement::Set(set) if set.to_string().to_lowercase().contains("search_path") => {
                self.set_open()
            }
            Statement::Query(query) if self.calls_user_function(query.as_ref()) => {
                self.opaque(text)
            }
            // Extensions, functions and triggers (`pg_objects`).
            _ => self.pg_object_text(text, problems),
        }
    }

    /// The relations a view's query reads, without its own CTE names.
    fn relations_read(&self, query: &sqlparser::ast::Query) -> BTreeSet<Name> {
        let mut ctes = BTreeSet::new();
        let mut read = BTreeSet::new();
        let _ = sqlparser::ast::visit_relations(query, |relation| {
            read.insert(self.dialect.object_name(relation));
            ControlFlow::<()>::Continue(())
        });
        collect_ctes(query, &mut ctes, self.dialect);
        read.retain(|n| !(n.schema.is_none() && ctes.contains(n.name.as_str())));
        read
    }

    /// `table.column` (or `schema.table.column`) of an `OWNED BY`.
    fn column_owner(&self, owner: &ObjectName) -> Option<(Name, CompactString)> {
        let parts = &owner.0;
        if parts.len() < 2 {
            return None;
        }
        let column = parts.last()?.as_ident().map(|i| self.dialect.fold(i))?;
        let table = ObjectName(parts[..parts.len() - 1].to_vec());
        Some((self.dialect.object_name(&table), column))
    }

    /// A statement only PostgreSQL's parser accepted: recognise the few that
    /// matter (`DROP INDEX CONCURRENTLY`, `ALTER SEQUENCE`, renames of views
    /// and sequences, functions and triggers), shrug at the harmless ones,
    /// and treat the rest as [`Schema::opaque`].
    fn apply_unparsed(&mut self, text: &str) {
        let words: Vec<String> = text
            .split(|c: char| c.is_whitespace() || c == ',' || c == ';')
            .filter(|w| !w.is_empty())
            .take(8)
            .map(|w| w.to_lowercase())
            .collect();
        let word = |i: usize| words.get(i).map(String::as_str).unwrap_or("");
        let lower = text.to_lowercase();
        // CREATE [OR REPLACE] FUNCTION|PROCEDURE name: its body runs when called.
        let create_at = if word(0) == "create" && word(1) == "or" && word(2) == "replace" {
            3
        } else {
            1
        };
        if word(0) == "create" && matches!(word(create_at), "function" | "procedure") {
            let raw = text
                .split_whitespace()
                .nth(create_at + 1)
                .unwrap_or("")
                .split('(')
                .next()
                .unwrap_or("");
            let name = self.unparsed_name(raw);
            self.snapshot_routines();
            self.functions.insert(name.name.into(), lower);
            return;
        }
        // CREATE TRIGGER ... EXECUTE FUNCTION f(): a data statement runs f,
        // which matters when f changes the schema.
        if word(0) == "create" && (words.iter().take(5).any(|w| w == "trigger")) {
            if words.iter().take(5).any(|w| w == "event") {
                self.opaque(text);
                return;
            }
            let tail = lower
                .rsplit_once(" function ")
                .or_else(|| lower.rsplit_once(" procedure "))
                .map(|(_, f)| f.trim().split('(').next().unwrap_or("").to_string());
            if let Some(function) = tail {
                let function = self.unparsed_name(&function).name;
                if let Some(body) = self.functions.get(function.as_str()).cloned() {
                    let changes_schema = ["create", "alter", "drop", "execute", "rename"]
                        .iter()
                        .any(|w| words_of(&body).any(|b| b == *w));
                    if changes_schema {
                        self.snapshot_routines();
                        self.schema_triggers.insert(body);
                    }
                }
            }
            return;
        }
        if word(0) == "do" {
            self.opaque(text);
            return;
        }
        if word(0) == "alter" && word(1) == "sequence" {
            self.alter_sequence_text(text);
            return;
        }
        // COMMENT ON TABLE|COLUMN that sqlparser did not read (an `E'...'`
        // string): the table's comments are not known any more.
        if word(0) == "comment" && word(1) == "on" && matches!(word(2), "table" | "column") {
            let raw = text.split_whitespace().nth(3).unwrap_or("");
            let raw = match raw.rsplit_once('.') {
                Some((table, _)) if word(2) == "column" => table,
                _ => raw,
            };
            let name = self.unparsed_name(raw);
            let k = key(ObjectKind::Table, &name);
            if self.objects.contains_key(&k) {
                self.make_uncertain(k);
            }
            return;
        }
        // ALTER [MATERIALIZED] VIEW|SEQUENCE|INDEX [IF EXISTS] name RENAME TO new
        if word(0) == "alter" {
            let mut at = 1;
            if word(at) == "materialized" {
                at += 1;
            }
            if matches!(word(at), "view" | "index" | "table") {
                let kind = word(at).to_string();
                at += 1;
                if word(at) == "if" && word(at + 1) == "exists" {
                    at += 2;
                }
                if word(at + 1) == "rename" && word(at + 2) == "to" {
                    let raw: Vec<&str> = text
                        .split(|c: char| c.is_whitespace() || c == ';')
                        .filter(|w| !w.is_empty())
                        .collect();
                    let (Some(from), Some(to)) = (raw.get(at), raw.get(at + 3)) else {
                        self.opaque(text);
                        return;
                    };
                    let from = self.unparsed_name(from);
                    let to = from.sibling(self.unparsed_name(to).name);
                    let mut problems = Vec::new();
                    if kind == "index" {
                        self.rename_index(&from, to, &mut problems);
                    } else {
                        self.rename_relation(&from, to, &mut problems);
                    }
                    return;
                }
            }
        }
        if word(0) == "drop" && word(1) == "index" {
            // DROP INDEX CONCURRENTLY [IF EXISTS] name[, ...]
            let rest = text
                .split_whitespace()
                .skip(2)
                .filter(|w| {
                    !matches!(
                        w.to_lowercase().as_str(),
                        "concurrently" | "if" | "exists" | "cascade" | "restrict"
                    )
                })
                .collect::<Vec<_>>()
                .join(" ");
            for raw in rest.split(',') {
                let name = self.unparsed_name(raw.trim().trim_end_matches(';'));
                let k = key(ObjectKind::Index, &name);
                let table_name = self.index(&name).map(|index| index.table.clone());
                self.discard(&k);
                if let Some(table_name) = table_name {
                    if let Some(table) = self.table_mut(&table_name) {
                        table.indexes.remove(&name);
                    }
                }
            }
            return;
        }
        let harmless = matches!(
            (word(0), word(1)),
            ("reindex", _)
                | ("cluster", _)
                | ("vacuum", _)
                | ("analyze", _)
                | ("grant", _)
                | ("revoke", _)
                | ("comment", _)
                | ("alter", "sequence")
                | ("alter", "function")
                | ("alter", "domain")
                | ("alter", "extension")
                | ("refresh", _)
                | ("create", "trigger")
                | ("drop", "trigger")
                | ("create", "policy")
                | ("drop", "policy")
                | ("alter", "policy")
                | ("create", "extension")
                | ("drop", "extension")
                | ("create", "function")
                | ("drop", "function")
                | ("create", "rule")
                | ("drop", "rule")
                | ("create", "statistics")
                | ("drop", "statistics")
                | ("set", _)
                | ("reset", _)
                | ("pragma", _)
        ) || (word(0) == "create" && word(1) == "or" && word(3) == "function")
            || (word(0) == "create" && word(1) == "or" && word(3) == "trigger");
        let search_path = word(0) == "set" && text.to_lowercase().contains("search_path");
        if search_path {
            self.set_open();
        } else if !harmless {
            self.opaque(text);
        }
    }

    /// Follows an unchecked `ALTER SEQUENCE name <options> [OWNED BY t.c |
    /// NONE]` on a sequence the model holds for sure, when every word of it
    /// is read ([`super::sequence::change_of_words`]); false (the statement
    /// is then opaque, as any other) for anything else: a comment or a
    /// quoted name with a space inside, a word it does not read.
    fn sequence_text(&mut self, text: &str) -> bool {
        let Some((name, _)) = alter_sequence_tokens(text) else {
            return false;
        };
        let name = self.dialect.object_name(&name);
        let k = key(ObjectKind::Sequence, &name);
        if !self.objects.contains_key(&k) || self.is_uncertain(&k) {
            return false;
        }
        let lower: Vec<String> = text
            .split(|c: char| c.is_whitespace() || c == ';')
            .filter(|w| !w.is_empty())
            .map(str::to_lowercase)
            .collect();
        let at = if lower.get(2).map(String::as_str) == Some("if") {
            5
        } else {
            3
        };
        let words: Vec<&str> = lower.iter().skip(at).map(String::as_str).collect();
        if super::sequence::change_of_words(&words).is_err() {
            return false;
        }
        self.alter_sequence_text(text);
        true
    }

    /// A declaration of ownership in a declared schema: exactly `ALTER
    /// SEQUENCE name OWNED BY table.column`, which states which column owns
    /// a sequence (written after the table, as `pg_dump` and autogenerate
    /// write a sequence that is not a `serial`'s). `None` for any other
    /// statement; else what it refers to that does not exist.
    pub fn declare_sequence_owner(&mut self, text: &str) -> Option<Vec<Problem>> {
        if !matches!(self.dialect, Dialect::Postgres | Dialect::Generic) {
            return None;
        }
        let (sequence, rest) = alter_sequence_tokens(text)?;
        let word = |t: &sqlparser::tokenizer::Token, w: &str| {
            matches!(t, sqlparser::tokenizer::Token::Word(x)
                if x.quote_style.is_none() && x.value.eq_ignore_ascii_case(w))
        };
        if rest.len() < 3 || !word(&rest[0], "owned") || !word(&rest[1], "by") {
            return None;
        }
        let owner = super::names::dotted_name(&rest[2..])?;
        if owner.0.len() < 2 || word(&rest[2], "none") {
            return None;
        }
        let name = self.dialect.object_name(&sequence);
        let (table, column) = self.column_owner(&owner)?;
        let mut problems = Vec::new();
        let k = key(ObjectKind::Sequence, &name);
        match self.objects.get(&k).cloned() {
            Some(Object::Sequence(mut s)) => {
                let known = self
                    .table(&table)
                    .is_some_and(|t| t.column(&column).is_some());
                if known {
                    s.owned_by = Some((table, column));
                    self.insert(k, Object::Sequence(s));
                } else {
                    problems.push(Problem {
                        kind: ProblemKind::Unknown,
                        message: format!("column {table}.{column} does not exist at this point"),
                    });
                }
            }
            _ => problems.push(Problem {
                kind: ProblemKind::Unknown,
                message: format!("sequence {name} does not exist at this point"),
            }),
        }
        Some(problems)
    }

    /// `ALTER SEQUENCE [IF EXISTS] name ... [OWNED BY t.c | NONE] [RENAME TO new]`.
    fn alter_sequence_text(&mut self, text: &str) {
        let raw: Vec<&str> = text
            .split(|c: char| c.is_whitespace() || c == ';')
            .filter(|w| !w.is_empty())
            .collect();
        let lower: Vec<String> = raw.iter().map(|w| w.to_lowercase()).collect();
        let mut at = 2;
        if lower.get(2).map(String::as_str) == Some("if") {
            at = 4;
        }
        let Some(name) = raw.get(at) else {
            return;
        };
        let name = self.unparsed_name(name);
        let k = key(ObjectKind::Sequence, &name);
        let position = |a: &str, b: &str| {
            lower
                .windows(2)
                .position(|w| w[0] == a && w[1] == b)
                .map(|i| i + 2)
        };
        if let Some(i) = position("owned", "by") {
            let owner = raw.get(i).copied().unwrap_or("none");
            let owned_by = if owner.eq_ignore_ascii_case("none") {
                None
            } else {
                let parts: Vec<sqlparser::ast::Ident> =
                    owner.split('.').map(|p| unparsed_ident(p.trim())).collect();
                self.column_owner(&ObjectName::from(parts))
            };
            match self.objects.get(&k).cloned() {
                Some(Object::Sequence(mut sequence)) => {
                    sequence.owned_by = owned_by;
                    self.insert(k.clone(), Object::Sequence(sequence));
                }
                // A sequence the model did not see: it exists now.
                _ => self.insert(
                    k.clone(),
                    Object::Sequence(Sequence {
                        name: name.clone(),
                        owned_by,
                        options: None,
                    }),
                ),
            }
        }
        // Options: applied to the known ones; a word the model does not
        // read makes them unknown.
        let words: Vec<&str> = lower.iter().skip(at + 1).map(String::as_str).collect();
        let change = super::sequence::change_of_words(&words);
        if !matches!(change, Ok(None)) {
            if let Some(Object::Sequence(mut sequence)) = self.objects.get(&k).cloned() {
                sequence.options = match (change, &sequence.options) {
                    (Ok(Some(change)), Some(options)) => {
                        Some(options.altered(self.dialect, &change))
                    }
                    _ => None,
                };
                self.insert(k.clone(), Object::Sequence(sequence));
            }
        }
        if let Some(i) = position("rename", "to") {
            if let Some(to) = raw.get(i) {
                let to = name.sibling(self.unparsed_name(to).name);
                let mut problems = Vec::new();
                self.rename_relation(&name, to, &mut problems);
            }
        }
    }

    /// Folds a name written in raw text (`"Schema".idx`, `public.x`).
    fn unparsed_name(&self, raw: &str) -> Name {
        let parts: Vec<sqlparser::ast::Ident> =
            raw.split('.').map(|p| unparsed_ident(p.trim())).collect();
        self.dialect.object_name(&ObjectName::from(parts))
    }

    fn calls_user_function(&self, query: &sqlparser::ast::Query) -> bool {
        if self.functions.is_empty() {
            return false;
        }
        let found = sqlparser::ast::visit_expressions(query, |expr| {
            if let Expr::Function(function) = expr {
                let name = self.dialect.object_name(&function.name);
                if self.functions.contains_key(name.name.as_str()) {
                    return ControlFlow::Break(());
                }
            }
            ControlFlow::Continue(())
        });
        found.is_break()
    }

    /// Whether a missing object is worth reporting: the model must be closed
    /// and the object in a schema it can claim to know.
    pub(crate) fn strict_about(&self, name: &Name) -> bool {
        !self.open
            && match &name.schema {
                None => true,
                Some(schema) => self.schemas.contains(schema.as_str()),
            }
    }

    fn report_unknown(&self, kind: ObjectKind, name: &Name, problems: &mut Vec<Problem>) {
        if self.strict_about(name) {
            problems.push(Problem {
                kind: ProblemKind::Unknown,
                message: format!("{} {name} does not exist at this point", kind.noun()),
            });
        }
    }

    /// The check `what` (a duplicate or a missing part) stays silent
    /// because `k` is uncertain: a warning naming the statement that made it
    /// so.
    fn silenced(&self, k: &ObjectKey, what: &str, problems: &mut Vec<Problem>) {
        if let Some(cause) = self.uncertain_cause(k) {
            problems.push(uncertain_problem(k, what, cause));
        }
    }

    /// `COMMENT ON TABLE|COLUMN ... IS 'text' | NULL` on a known table.
    /// Comments on other objects (and on a view's columns) are not
    /// modelled; no problem is reported (the statement was ignored before
    /// comments were modelled, and a view's column may be commented too).
    fn comment_on(
        &mut self,
        object_type: sqlparser::ast::CommentObject,
        object_name: &ObjectName,
        comment: &Option<String>,
    ) {
        use sqlparser::ast::CommentObject;
        let (table_name, column) = match object_type {
            CommentObject::View | CommentObject::MaterializedView => {
                let name = self.dialect.object_name(object_name);
                let materialized = object_type == CommentObject::MaterializedView;
                let k = key(ObjectKind::View, &name);
                if let Some(Object::View(view)) = self.objects.get(&k) {
                    // The server refuses the other kind's statement.
                    if view.materialized == materialized {
                        let mut view = view.clone();
                        view.comment = comment.clone().filter(|c| !c.is_empty());
                        self.insert(k, Object::View(view));
                    }
                }
                return;
            }
            CommentObject::Table => (self.dialect.object_name(object_name), None),
            CommentObject::Column => match self.column_owner(object_name) {
                Some((table, column)) => (table, Some(column)),
                None => return,
            },
            _ => return,
        };
        let comment = comment.clone().filter(|c| !c.is_empty());
        let Some(table) = self.table_mut(&table_name) else {
            return;
        };
        match column {
            None => table.comment = comment,
            Some(column) if table.column(&column).is_some() => {
                match comment {
                    Some(text) => table.column_comments.insert(column, text),
                    None => table.column_comments.remove(&column),
                };
            }
            Some(_) => {}
        }
    }

    fn create_type(
        &mut self,
        name: Name,
        labels: Vec<String>,
        kind: TypeKind,
        base: Option<CompactString>,
        problems: &mut Vec<Problem>,
    ) {
        let k = key(ObjectKind::Type, &name);
        if self.objects.contains_key(&k) {
            if !self.is_uncertain(&k) {
                problems.push(duplicate(ObjectKind::Type, &name));
                return;
            }
            self.silenced(&k, &format!("type {name} already exists"), problems);
        }
        self.settle(&k);
        self.insert(
            k,
            Object::Type(TypeDef {
                name,
                labels,
                kind,
                base,
            }),
        );
    }

    fn alter_type(&mut self, alter: &AlterType, problems: &mut Vec<Problem>) {
        let name = self.dialect.object_name(&alter.name);
        let k = key(ObjectKind::Type, &name);
        let Some(Object::Type(mut def)) = self.objects.get(&k).cloned() else {
            self.report_unknown(ObjectKind::Type, &name, problems);
            return;
        };
        match &alter.operation {
            AlterTypeOperation::AddValue(add) => {
                if !def.labels.contains(&add.value.value) {
                    use sqlparser::ast::AlterTypeAddValuePosition as At;
                    let at = match &add.position {
                        Some(At::Before(l)) => def.labels.iter().position(|x| *x == l.value),
                        Some(At::After(l)) => {
                            def.labels.iter().position(|x| *x == l.value).map(|i| i + 1)
                        }
                        None => None,
                    };
                    let at = at.unwrap_or(def.labels.len());
                    def.labels.insert(at, add.value.value.clone());
                }
                self.insert(k, Object::Type(def));
            }
            AlterTypeOperation::RenameValue(rename) => {
                // A default holding the value prints the new label.
                self.unsure_defaults_naming(None, &name.name);
                for label in &mut def.labels {
                    if *label == rename.from.value {
                        *label = rename.to.value.clone();
                    }
                }
                self.insert(k, Object::Type(def));
            }
            AlterTypeOperation::Rename(rename) => {
                let to = name.sibling(self.dialect.fold(&rename.new_name));
                let to_key = key(ObjectKind::Type, &to);
                if self.objects.contains_key(&to_key) {
                    if !self.is_uncertain(&to_key) {
                        problems.push(duplicate(ObjectKind::Type, &to));
                        return;
                    }
                    self.silenced(&to_key, &format!("type {to} already exists"), problems);
                }
                let cause = self.uncertain.get(&k).cloned();
                self.unsure_defaults_naming(None, &name.name);
                self.discard(&k);
                def.name = to;
                self.insert(to_key.clone(), Object::Type(def));
                if let Some(cause) = cause {
                    self.mark_uncertain_by(to_key, cause);
                }
            }
        }
    }

    fn create_table(&mut self, create: &CreateTable, problems: &mut Vec<Problem>) {
        let name = self.dialect.object_name(&create.name);
        let k = key(ObjectKind::Table, &name);
        if self.objects.contains_key(&k) {
            if create.if_not_exists {
                return;
            }
            if !create.or_replace && !self.is_uncertain(&k) {
                problems.push(duplicate(ObjectKind::Table, &name));
                return;
            }
            if !create.or_replace {
                self.silenced(&k, &format!("table {name} already exists"), problems);
            }
            // Replaced, or uncertain: the statement ran, so the old one is gone.
            self.drop_relation(&name, false);
        }
        // The defaults of a table of that name dropped before are gone too.
        let stale: Vec<String> = self
            .unsure_texts
            .iter()
            .filter(|(t, part)| *t == k && part.starts_with('\u{0}'))
            .map(|(_, part)| part.clone())
            .collect();
        for part in stale {
            self.set_text_unsure(&k, &part, false);
        }
        let mut table = Table {
            open_columns: create.query.is_some()
                || create.like.is_some()
                || create.clone.is_some()
                || create.partition_of.is_some()
                || create.inherits.as_ref().is_some_and(|i| !i.is_empty()),
            ..Table::new(name.clone())
        };
        table.comment = table_comment(create);
        let mut pending = Pending {
            creating: true,
            ..Pending::default()
        };
        let mut specs = Vec::new();
        // MySQL lists a statement's keys in the order written (a column's
        // own keys at the column): that order names them.
        let in_order = self.dialect == Dialect::MySql;
        // The list is sized from the statement: growing it by doubling
        // would leave a nine-column table's list at sixteen places.
        table.columns_mut().reserve_exact(create.columns.len());
        for column in create.columns.iter() {
            if table.column(&self.dialect.fold(&column.name)).is_some() {
                problems.push(Problem {
                    kind: ProblemKind::Duplicate,
                    message: format!(
                        "column {name}.{} is declared twice",
                        self.dialect.fold(&column.name)
                    ),
                });
                continue;
            }
            self.add_column_def(&mut table, column, &mut specs, &mut pending);
            if in_order {
                for spec in std::mem::take(&mut specs) {
                    self.push_constraint(&mut table, spec, &mut pending, problems);
                }
            }
        }
        for constraint in &create.constraints {
            self.table_constraint_spec(&mut table, constraint, &mut specs, &mut pending, problems);
            if in_order {
                for spec in std::mem::take(&mut specs) {
                    self.push_constraint(&mut table, spec, &mut pending, problems);
                }
            }
        }
        // PostgreSQL names the check constraints as it creates the table,
        // then builds the indexes of primary keys, uniques and exclusions in
        // order, then adds the foreign keys: names are chosen in that order.
        specs.sort_by_key(|s: &Spec| match s.kind {
            ConstraintKind::Check => 0,
            ConstraintKind::ForeignKey => 2,
            _ => 1,
        });
        for spec in specs {
            self.push_constraint(&mut table, spec, &mut pending, problems);
        }
        self.settle_mysql_keys(&mut table, &mut pending);
        self.settle(&k);
        self.insert(k, Object::Table(table));
        self.flush(pending, problems);
    }

    /// MySQL: the keys `table` has after a statement added `pending`'s,
    /// by the server's rule (`mariadb::left_out`): the generated key of a
    /// foreign key that another key can serve goes, whether it is new or
    /// already there; then the unnamed new keys get their names, in order,
    /// each its first column unless an earlier key holds that name.
    fn settle_mysql_keys(&mut self, table: &mut Table, pending: &mut Pending) {
        if self.dialect != Dialect::MySql {
            return;
        }
        let existing: Vec<Index> = table
            .indexes
            .iter()
            .filter_map(|n| self.index(n).cloned())
            .collect();
        let keys: Vec<mariadb::Key<'_>> = existing
            .iter()
            .chain(pending.indexes.iter().filter(|i| i.table == table.name))
            .map(|i| mariadb::Key {
                columns: &i.columns,
                generated: i.implicit,
            })
            .collect();
        let mut out = mariadb::left_out(&keys).into_iter();
        let gone: Vec<Name> = existing
            .iter()
            .zip(out.by_ref())
            .filter(|(_, out)| *out)
            .map(|(i, _)| i.name.clone())
            .collect();
        for name in gone {
            self.discard(&key(ObjectKind::Index, &name));
            table.indexes.remove(&name);
        }
        let t = table.name.clone();
        pending
            .indexes
            .retain(|i| i.table != t || !out.next().unwrap_or(false));
        // Names: the table's keys, then the statement's in order.
        let short = |name: &Name| {
            name.name
                .split_once('.')
                .map_or(name.name.clone(), |(_, i)| CompactString::from(i))
        };
        let mut taken: HashSet<CompactString> = table.indexes.iter().map(short).collect();
        let unnamed = std::mem::take(&mut pending.unnamed);
        for index in pending.indexes.iter_mut().filter(|i| i.table == t) {
            let current = short(&index.name);
            if let Some((_, first)) = unnamed.iter().find(|(p, _)| *p == current) {
                let chosen = mysql_default_index_name(first, |n| taken.contains(n));
                index.name = mysql_index_name(&t, &chosen);
                for c in &mut table.constraints {
                    if c.name == current {
                        c.name = chosen.clone();
                    }
                }
                taken.insert(chosen);
            } else {
                taken.insert(current);
            }
        }
    }

    /// Adds what a table statement created besides the table.
    fn flush(&mut self, pending: Pending, problems: &mut Vec<Problem>) {
        for sequence in pending.sequences {
            let k = key(ObjectKind::Sequence, &sequence.name);
            self.settle(&k);
            self.insert(k, Object::Sequence(sequence));
        }
        for index in pending.indexes {
            self.add_index(index, false, problems);
        }
    }

    fn add_column_def(
        &self,
        table: &mut Table,
        column: &ColumnDef,
        specs: &mut Vec<Spec>,
        pending: &mut Pending,
    ) {
        let name = self.dialect.fold(&column.name);
        // MariaDB's JSON column, however written (`SHOW CREATE TABLE` gives
        // `longtext ... CHECK (json_valid(`c`))`): JSON, without the check.
        let json_check = (self.dialect == Dialect::MySql)
            .then(|| {
                column.options.iter().position(|o| {
                    mariadb::is_json_check(&column.data_type, &name, o.name.is_some(), &o.option)
                })
            })
            .flatten();
        // Printed once, for both the declaration and the normalised type.
        let declared = match json_check {
            Some(_) => print_type(&DataType::JSON),
            None => print_type(&column.data_type),
        };
        let mut data_type = declared.clone();
        normalize_in_place(&mut data_type);
        let mut sql = ColumnSql {
            data_type: declared,
            default: None,
            generated: None,
        };
        // The name is moved in at the end.
        let mut new = Column {
            name: CompactString::default(),
            has_default: data_type.ends_with("serial"),
            data_type,
            nullable: true,
            sql: None,
        };
        // A serial column is NOT NULL and owns a sequence of its integer
        // type with every other option the default.
        let serial = super::sequence::serial_base(&new.data_type)
            .filter(|_| matches!(self.dialect, Dialect::Postgres | Dialect::Generic));
        if serial.is_some() {
            new.has_default = true;
            new.nullable = false;
        }
        let mut owns_sequence = new.has_default;
        for (i, option) in column.options.iter().enumerate() {
            if Some(i) == json_check {
                continue;
            }
            let given = option.name.as_ref().map(|n| self.dialect.fold(n));
            let spec = |kind, references, definition: String| Spec {
                given: given.clone(),
                kind,
                columns: vec![name.clone()],
                references,
                check_column: None,
                index_name: None,
                from_index: None,
                definition: Some(definition),
                actions: None,
            };
            match &option.option {
                ColumnOption::NotNull => new.nullable = false,
                ColumnOption::Null => new.nullable = true,
                ColumnOption::Generated {
                    generation_expr, ..
                } => {
                    new.has_default = true;
                    sql.generated =
                        Some(mariadb::escaped(self.dialect, &option.option).to_compact_string());
                    // GENERATED ... AS IDENTITY owns a sequence; a generated
                    // expression does not.
                    if generation_expr.is_none() {
                        owns_sequence = true;
                        new.nullable = false;
                    }
                }
                ColumnOption::Default(expr) => {
                    new.has_default = true;
                    sql.default = Some(mariadb::default_text(self.dialect, expr).into());
                }
                ColumnOption::Comment(text) => {
                    table.column_comments.insert(name.clone(), text.clone());
                }
                ColumnOption::Identity(_)
                | ColumnOption::Materialized(_)
                | ColumnOption::Alias(_) => {
                    new.has_default = true;
                    sql.generated =
                        Some(mariadb::escaped(self.dialect, &option.option).to_compact_string());
                }
                ColumnOption::DialectSpecific(tokens) => {
                    let text = tokens
                        .iter()
                        .map(|t| t.to_string())
                        .collect::<String>()
                        .to_lowercase();
                    if text.contains("auto_increment") || text.contains("autoincrement") {
                        new.has_default = true;
                        sql.generated = Some(
                            mariadb::escaped(self.dialect, &option.option).to_compact_string(),
                        );
                    }
                }
                ColumnOption::PrimaryKey(_) => {
                    // SQLite: a key's column takes NULL unless declared
                    // NOT NULL (its catalog says so too).
                    if self.dialect != Dialect::Sqlite {
                        new.nullable = false;
                    }
                    let definition = format!("PRIMARY KEY ({})", column.name);
                    specs.push(spec(ConstraintKind::PrimaryKey, None, definition));
                }
                ColumnOption::Unique(_) => {
                    let definition = format!("UNIQUE ({})", column.name);
                    specs.push(spec(ConstraintKind::Unique, None, definition))
                }
                ColumnOption::ForeignKey(fk) => {
                    let target = self.dialect.object_name(&fk.foreign_table);
                    let mut fk = fk.clone();
                    fk.name = None;
                    fk.columns = vec![column.name.clone()];
                    let definition = fk.to_string();
                    let mut s = spec(ConstraintKind::ForeignKey, Some(target), definition);
                    s.actions = Some(attributes::foreign_key_actions(&fk));
                    specs.push(s);
                }
                ColumnOption::Check(check) => {
                    let mut check = check.clone();
                    check.name = None;
                    let definition = mariadb::escaped(self.dialect, &check).to_string();
                    let mut s = spec(ConstraintKind::Check, None, definition);
                    // MariaDB names it after the column it is written with,
                    // whatever columns it reads.
                    s.check_column = if self.dialect == Dialect::MySql {
                        Some(name.clone())
                    } else {
                        check_column(&check.expr, self.dialect)
                    };
                    specs.push(s);
                }
                _ => {}
            }
        }
        if owns_sequence && matches!(self.dialect, Dialect::Postgres | Dialect::Generic) {
            // The serial's or identity's sequence: `<table>_<column>_seq`.
            let t = table.name.clone();
            let sequence = pg_choose_name(&t.name, Some(&name), "seq", |n| {
                self.relation_taken(&t.sibling(n)) || pending.has_relation(n)
            });
            // An identity's options are not read here (its clause may hold
            // some, and the sequence follows the column's type).
            let options = serial.filter(|_| sql.generated.is_none()).map(|base| {
                SequenceOptions::created(
                    self.dialect,
                    &super::SequenceChange {
                        data_type: Some(base.to_string()),
                        ..Default::default()
                    },
                )
            });
            pending.sequences.push(Sequence {
                name: t.sibling(sequence),
                owned_by: Some((t, name.clone())),
                options,
            });
        }
        new.sql = Some(sql);
        new.name = name;
        table.columns_mut().push(new);
    }

    /// The name the server gives a constraint declared without one.
    fn generated_constraint_name(
        &self,
        table: &Table,
        spec: &Spec,
        pending: &Pending,
    ) -> CompactString {
        let t = &table.name;
        let constraint_taken = |n: &str| {
            self.constraint_name_taken(&t.schema, n)
                || table.constraints.iter().any(|c| c.name == n)
        };
        let relation_taken = |n: &str| {
            constraint_taken(n) || self.relation_taken(&t.sibling(n)) || pending.has_relation(n)
        };
        let addition = pg_name_addition(&spec.columns);
        match self.dialect {
            Dialect::MySql => match spec.kind {
                ConstraintKind::PrimaryKey => CompactString::const_new("primary"),
                ConstraintKind::Unique | ConstraintKind::Other => {
                    spec.index_name.clone().unwrap_or_else(|| {
                        let first = spec.columns.first().cloned().unwrap_or_default();
                        mysql_default_index_name(&first, |n| {
                            self.contains(ObjectKind::Index, &mysql_index_name(t, n))
                                || pending.has_index(&mysql_index_name(t, n))
                        })
                    })
                }
                // InnoDB: one more than the highest number in use; a
                // CREATE TABLE counts only its own unnamed keys.
                ConstraintKind::ForeignKey => {
                    let n = mariadb::next_foreign_key_number(
                        &t.name,
                        table
                            .constraints
                            .iter()
                            .filter(|c| !pending.creating || c.generated_name)
                            .map(|c| c.name.as_str()),
                    );
                    compact_str::format_compact!("{}_ibfk_{n}", t.name)
                }
                // A check's name is the table's own (not the schema's).
                ConstraintKind::Check => match &spec.check_column {
                    Some(column) if spec.columns.len() == 1 => column.clone(),
                    _ => {
                        let mut n = 1;
                        let taken = |n: &str| table.constraints.iter().any(|c| c.name == n);
                        while taken(&format!("constraint_{n}")) {
                            n += 1;
                        }
                        compact_str::format_compact!("constraint_{n}")
                    }
                },
            },
            _ => match spec.kind {
                ConstraintKind::PrimaryKey => pg_choose_name(&t.name, None, "pkey", relation_taken),
                ConstraintKind::Unique => {
                    pg_choose_name(&t.name, Some(&addition), "key", relation_taken)
                }
                ConstraintKind::Other => {
                    pg_choose_name(&t.name, Some(&addition), "excl", relation_taken)
                }
                ConstraintKind::ForeignKey => {
                    pg_choose_name(&t.name, Some(&addition), "fkey", constraint_taken)
                }
                ConstraintKind::Check => pg_choose_name(
                    &t.name,
                    spec.check_column.as_deref(),
                    "check",
                    constraint_taken,
                ),
            },
        }
    }

    /// Adds a constraint, naming it the way the server does when unnamed,
    /// with the index that backs it.
    fn push_constraint(
        &mut self,
        table: &mut Table,
        spec: Spec,
        pending: &mut Pending,
        problems: &mut Vec<Problem>,
    ) {
        let d = self.dialect;
        let generated_name = spec.given.is_none() && spec.from_index.is_none();
        let first_column = spec.columns.first().cloned().unwrap_or_default();
        let name = match (&spec.given, &spec.from_index) {
            (Some(given), _) => given.clone(),
            (None, Some(index)) => index.clone(),
            // MySQL's unique constraint is its index, named once the
            // statement's keys are known.
            (None, None)
                if d == Dialect::MySql
                    && matches!(spec.kind, ConstraintKind::Unique | ConstraintKind::Other) =>
            {
                pending.placeholder(&first_column)
            }
            (None, None) => self.generated_constraint_name(table, &spec, pending),
        };
        let table_key = key(ObjectKind::Table, &table.name);
        let uncertain = self.is_uncertain(&table_key);
        if !generated_name && uncertain && table.constraints.iter().any(|c| c.name == name) {
            self.silenced(
                &table_key,
                &format!("constraint {name} on table {} already exists", table.name),
                problems,
            );
        }
        if !generated_name
            && !table.open_constraints
            && !uncertain
            && table.constraints.iter().any(|c| c.name == name)
        {
            problems.push(Problem {
                kind: ProblemKind::Duplicate,
                message: format!("constraint {name} on table {} already exists", table.name),
            });
            return;
        }
        if spec.kind == ConstraintKind::PrimaryKey && d != Dialect::Sqlite {
            for column in spec.columns.iter() {
                if let Some(c) = table.column_mut(column) {
                    c.nullable = false;
                }
            }
        }
        let index_columns: Vec<Option<CompactString>> =
            spec.columns.iter().cloned().map(Some).collect();
        match (d, spec.kind) {
            (
                Dialect::Postgres | Dialect::Generic,
                ConstraintKind::PrimaryKey | ConstraintKind::Unique | ConstraintKind::Other,
            ) => pending.indexes.push(Index {
                name: table.name.sibling(name.clone()),
                table: table.name.clone(),
                columns: index_columns,
                unique: spec.kind != ConstraintKind::Other,
                constraint: true,
                implicit: false,
                definition: None,
                // A primary key or unique constraint's index is a btree;
                // an exclusion constraint's method is its own.
                method: (spec.kind != ConstraintKind::Other).then(|| "btree".to_compact_string()),
                predicate: if spec.kind == ConstraintKind::Other {
                    IndexPredicate::Unknown
                } else {
                    IndexPredicate::Whole
                },
            }),
            (Dialect::MySql, ConstraintKind::PrimaryKey | ConstraintKind::Unique) => {
                pending.indexes.push(Index {
                    name: mysql_index_name(&table.name, &name),
                    table: table.name.clone(),
                    columns: index_columns,
                    unique: true,
                    constraint: true,
                    implicit: false,
                    definition: None,
                    method: None,
                    predicate: IndexPredicate::Whole,
                })
            }
            (Dialect::MySql, ConstraintKind::ForeignKey) => {
                // The foreign key's own key, named after the constraint
                // (or the index name written after FOREIGN KEY, which
                // MariaDB also gives the constraint), else after its first
                // column; whether it stays is the server's key-list rule
                // (`settle_mysql_keys`).
                let index_name = match &spec.given {
                    Some(given) => given.clone(),
                    None => pending.placeholder(&first_column),
                };
                pending.indexes.push(Index {
                    name: mysql_index_name(&table.name, &index_name),
                    table: table.name.clone(),
                    columns: index_columns,
                    unique: false,
                    constraint: false,
                    implicit: true,
                    definition: None,
                    method: None,
                    predicate: IndexPredicate::Whole,
                });
            }
            _ => {}
        }
        self.set_text_unsure(&key(ObjectKind::Table, &table.name), &name, false);
        table.constraints.push(Constraint {
            name,
            generated_name,
            kind: spec.kind,
            columns: spec.columns,
            references: spec.references,
            definition: spec.definition.map(CompactString::from),
            actions: spec.actions,
        });
    }

    fn table_constraint_spec(
        &mut self,
        table: &mut Table,
        constraint: &TableConstraint,
        specs: &mut Vec<Spec>,
        pending: &mut Pending,
        problems: &mut Vec<Problem>,
    ) {
        let d = self.dialect;
        let fold_cols = |cols: &[sqlparser::ast::IndexColumn]| -> Vec<CompactString> {
            cols.iter()
                .filter_map(|c| column_of(&c.column.expr).map(|i| d.fold(i)))
                .collect()
        };
        let given = |name: &Option<sqlparser::ast::Ident>| name.as_ref().map(|n| d.fold(n));
        let mut spec = Spec {
            given: None,
            kind: ConstraintKind::Check,
            columns: Vec::new(),
            references: None,
            check_column: None,
            index_name: None,
            from_index: None,
            definition: constraint_definition(&mariadb::escaped(d, constraint)),
            actions: None,
        };
        match constraint {
            TableConstraint::PrimaryKey(pk) => {
                spec.given = given(&pk.name);
                spec.kind = ConstraintKind::PrimaryKey;
                spec.columns = fold_cols(&pk.columns);
            }
            TableConstraint::Unique(unique) => {
                spec.given = given(&unique.name);
                spec.kind = ConstraintKind::Unique;
                spec.columns = fold_cols(&unique.columns);
                spec.index_name = given(&unique.index_name);
                if d == Dialect::MySql {
                    // The constraint is its index: one name.
                    spec.given = spec.given.take().or(spec.index_name.clone());
                }
            }
            TableConstraint::ForeignKey(fk) => {
                spec.given = given(&fk.name);
                spec.kind = ConstraintKind::ForeignKey;
                spec.columns = fk.columns.iter().map(|c| d.fold(c)).collect();
                spec.references = Some(d.object_name(&fk.foreign_table));
                spec.actions = Some(attributes::foreign_key_actions(fk));
                spec.index_name = given(&fk.index_name);
                if d == Dialect::MySql {
                    // MariaDB names the constraint after the index name
                    // written after FOREIGN KEY when it has no other.
                    spec.given = spec.given.take().or(spec.index_name.clone());
                }
            }
            TableConstraint::Check(check) => {
                spec.given = given(&check.name);
                let column = check_column(&check.expr, d);
                spec.columns = column.iter().cloned().collect();
                // MariaDB names an unnamed check after its column only when
                // it is written with the column; a table's own check is
                // `CONSTRAINT_<n>`.
                if d != Dialect::MySql {
                    spec.check_column = column;
                }
            }
            TableConstraint::Index(index) => {
                let cols: Vec<Option<CompactString>> = index
                    .columns
                    .iter()
                    .map(|c| column_of(&c.column.expr).map(|i| d.fold(i)))
                    .collect();
                let index_name = given(&index.name).or_else(|| {
                    let first = cols.first()?.as_ref()?;
                    // MySQL names it once the statement's keys are known.
                    if d == Dialect::MySql {
                        return Some(pending.placeholder(first));
                    }
                    Some(mysql_default_index_name(first, |n| {
                        let k = mysql_index_name(&table.name, n);
                        self.contains(ObjectKind::Index, &k) || pending.has_index(&k)
                    }))
                });
                if let Some(index_name) = index_name {
                    let name = if d == Dialect::MySql {
                        mysql_index_name(&table.name, &index_name)
                    } else {
                        table.name.sibling(index_name)
                    };
                    let using = index
                        .index_type
                        .as_ref()
                        .map(|t| format!("USING {t} "))
                        .unwrap_or_default();
                    let definition = format!(
                        "{using}({})",
                        index
                            .columns
                            .iter()
                            .map(|c| c.to_string())
                            .collect::<Vec<_>>()
                            .join(", ")
                    );
                    pending.indexes.push(Index {
                        name,
                        table: table.name.clone(),
                        columns: cols,
                        unique: false,
                        constraint: false,
                        implicit: false,
                        definition: Some(definition.into()),
                        method: None,
                        predicate: IndexPredicate::Whole,
                    });
                }
                return;
            }
            TableConstraint::PrimaryKeyUsingIndex(using)
            | TableConstraint::UniqueUsingIndex(using) => {
                spec.kind = if matches!(constraint, TableConstraint::PrimaryKeyUsingIndex(_)) {
                    ConstraintKind::PrimaryKey
                } else {
                    ConstraintKind::Unique
                };
                spec.given = given(&using.name);
                let index_name = table.name.sibling(d.fold(&using.index_name));
                // PostgreSQL renames the index to the constraint's name and
                // ties it to the constraint.
                match self.remove(&key(ObjectKind::Index, &index_name)) {
                    Some(Object::Index(index)) => {
                        table.indexes.remove(&index_name);
                        spec.columns = index.columns.into_iter().flatten().collect();
                    }
                    _ => self.report_unknown(ObjectKind::Index, &index_name, problems),
                }
                spec.from_index = Some(index_name.name);
            }
            TableConstraint::FulltextOrSpatial(_) => return,
            TableConstraint::Exclude(exclude) => {
                spec.given = given(&exclude.name);
                spec.kind = ConstraintKind::Other;
                spec.columns = exclude
                    .elements
                    .iter()
                    .filter_map(|e| column_of(&e.column.column.expr).map(|i| d.fold(i)))
                    .collect();
            }
        }
        specs.push(spec);
    }

    fn alter_table(&mut self, alter: &AlterTable, problems: &mut Vec<Problem>) {
        let name = self.dialect.object_name(&alter.name);
        let k = key(ObjectKind::Table, &name);
        let Some(mut table) = self.take_table(&k) else {
            // ALTER TABLE renames views, sequences and indexes too.
            let rename = alter.operations.iter().find_map(|o| match o {
                AlterTableOperation::RenameTable { table_name } => Some(table_name),
                _ => None,
            });
            if let (Some(RenameTableNameKind::As(new) | RenameTableNameKind::To(new)), true) = (
                rename,
                self.relation_taken(&name) && alter.operations.len() == 1,
            ) {
                let to = name.sibling(self.dialect.object_name(new).name);
                self.rename_relation(&name, to, problems);
                return;
            }
            if !alter.if_exists {
                self.report_unknown(ObjectKind::Table, &name, problems);
            }
            return;
        };
        let mut pending = Pending::default();
        let mut rename_to = None;
        for operation in &alter.operations {
            self.alter_table_operation(
                &mut table,
                operation,
                &mut pending,
                &mut rename_to,
                problems,
            );
        }
        self.settle_mysql_keys(&mut table, &mut pending);
        self.insert(k, Object::Table(table));
        self.flush(pending, problems);
        if let Some(to) = rename_to {
            self.rename_relation(&name, to, problems);
        }
    }

    fn alter_table_operation(
        &mut self,
        table: &mut Table,
        operation: &AlterTableOperation,
        pending: &mut Pending,
        rename_to: &mut Option<Name>,
        problems: &mut Vec<Problem>,
    ) {
        let d = self.dialect;
        let table_key = key(ObjectKind::Table, &table.name);
        let uncertain = self.is_uncertain(&table_key);
        let strict = self.strict_about(&table.name) && !uncertain;
        let cause = self.uncertain.get(&table_key).cloned();
        let missing_column = |table: &Table, column: &str, problems: &mut Vec<Problem>| {
            let what = format!(
                "column {}.{column} does not exist at this point",
                table.name
            );
            if strict && !table.open_columns {
                problems.push(Problem {
                    kind: ProblemKind::Unknown,
                    message: what,
                });
            } else if let Some(cause) = &cause {
                problems.push(uncertain_problem(&table_key, &what, cause));
            }
        };
        match operation {
            AlterTableOperation::AddColumn {
                if_not_exists,
                column_def,
                ..
            } => {
                let column = d.fold(&column_def.name);
                if table.column(&column).is_some() {
                    let what = format!("column {}.{column} already exists", table.name);
                    if !if_not_exists && !uncertain {
                        problems.push(Problem {
                            kind: ProblemKind::Duplicate,
                            message: what,
                        });
                    } else if !if_not_exists {
                        self.silenced(&key(ObjectKind::Table, &table.name), &what, problems);
                    }
                    if !uncertain {
                        return;
                    }
                    self.drop_column(table, &column);
                }
                let mut specs = Vec::new();
                self.add_column_def(table, column_def, &mut specs, pending);
                // A column of that name dropped before may have left its
                // default unsure: this one's is fresh.
                self.set_text_unsure(&table_key, &default_marker(&column), false);
                specs.sort_by_key(|s: &Spec| match s.kind {
                    ConstraintKind::Check => 0,
                    ConstraintKind::ForeignKey => 2,
                    _ => 1,
                });
                for spec in specs {
                    self.push_constraint(table, spec, pending, problems);
                }
            }
            AlterTableOperation::DropColumn {
                column_names,
                if_exists,
                drop_behavior,
                ..
            } => {
                let cascade = matches!(drop_behavior, Some(sqlparser::ast::DropBehavior::Cascade));
                let pg = matches!(d, Dialect::Postgres | Dialect::Generic);
                for ident in column_names {
                    let column = d.fold(ident);
                    if table.column(&column).is_none() {
                        if !if_exists {
                            missing_column(table, &column, problems);
                        }
                        continue;
                    }
                    if pg {
                        self.pg_drop_column_dependents(table, &column, cascade);
                    }
                    self.drop_column(table, &column);
                }
                // Elsewhere CASCADE drops the views that read those columns;
                // the model does not know which columns a view reads there.
                if cascade && !pg {
                    for k in self.dependents(&table.name) {
                        if k.kind == ObjectKind::View {
                            self.mark_uncertain(k);
                        }
                    }
                }
            }
            AlterTableOperation::RenameColumn {
                old_column_name,
                new_column_name,
            } => {
                let old = d.fold(old_column_name);
                let new = d.fold(new_column_name);
                self.rename_column(table, &old, &new, problems, &missing_column);
            }
            AlterTableOperation::ChangeColumn {
                old_name,
                new_name,
                data_type,
                options,
                ..
            } => {
                let old = d.fold(old_name);
                let new = d.fold(new_name);
                if old != new {
                    self.rename_column(table, &old, &new, problems, &missing_column);
                }
                self.modify_column(table, &new, data_type, options, problems, &missing_column);
            }
            AlterTableOperation::ModifyColumn {
                col_name,
                data_type,
                options,
                ..
            } => {
                let column = d.fold(col_name);
                self.modify_column(
                    table,
                    &column,
                    data_type,
                    options,
                    problems,
                    &missing_column,
                );
            }
            AlterTableOperation::AlterColumn { column_name, op } => {
                let column = d.fold(column_name);
                let Some(c) = table.column_mut(&column) else {
                    missing_column(table, &column, problems);
                    return;
                };
                match op {
                    AlterColumnOperation::SetNotNull => c.nullable = false,
                    AlterColumnOperation::DropNotNull => c.nullable = true,
                    AlterColumnOperation::SetDefault { value } => {
                        c.has_default = true;
                        if let Some(sql) = &mut c.sql {
                            sql.default = Some(mariadb::default_text(self.dialect, value).into());
                        }
                        self.set_text_unsure(&table_key, &default_marker(&column), false);
                    }
                    AlterColumnOperation::DropDefault => {
                        c.has_default = false;
                        if let Some(sql) = &mut c.sql {
                            sql.default = None;
                        }
                        self.set_text_unsure(&table_key, &default_marker(&column), false);
                    }
                    AlterColumnOperation::SetDataType { data_type, .. } => {
                        c.data_type = normalize_type(data_type);
                        if let Some(sql) = &mut c.sql {
                            sql.data_type = data_type.to_compact_string();
                        }
                        // The server rebuilds the indexes and may cast
                        // in their `WHERE` now.
                        let indexes = table.indexes.clone();
                        self.unsure_predicates(&indexes);
                        // It rebuilds the checks and expression indexes
                        // that read the column from its own stored text,
                        // whose casts may stay.
                        self.unsure_texts_reading(table, &column);
                        // And it converts the default's stored expression
                        // to the new type.
                        self.set_text_unsure(&table_key, &default_marker(&column), true);
                    }
                    AlterColumnOperation::AddGenerated { .. } => {
                        c.has_default = true;
                        c.nullable = false;
                        if let Some(sql) = &mut c.sql {
                            let text = op.to_string();
                            sql.generated = Some(
                                text.strip_prefix("ADD ")
                                    .unwrap_or(&text)
                                    .to_compact_string(),
                            );
                        }
                        if matches!(d, Dialect::Postgres | Dialect::Generic) {
                            let t = table.name.clone();
                            let sequence = pg_choose_name(&t.name, Some(&column), "seq", |n| {
                                self.relation_taken(&t.sibling(n)) || pending.has_relation(n)
                            });
                            pending.sequences.push(Sequence {
                                name: t.sibling(sequence),
                                owned_by: Some((t, column.clone())),
                                options: None,
                            });
                        }
                    }
                    AlterColumnOperation::GenericOptions { .. } => {}
                }
            }
            AlterTableOperation::RenameTable { table_name } => {
                let (RenameTableNameKind::As(new) | RenameTableNameKind::To(new)) = table_name;
                let new = d.object_name(new);
                // PostgreSQL keeps a renamed table in its schema.
                let new = if new.schema.is_none() && d == Dialect::Postgres {
                    table.name.sibling(new.name)
                } else {
                    new
                };
                *rename_to = Some(new);
            }
            AlterTableOperation::AddConstraint {
                constraint,
                not_valid,
            } => {
                let mut specs = Vec::new();
                self.table_constraint_spec(table, constraint, &mut specs, pending, problems);
                for mut spec in specs {
                    // PostgreSQL prints a check it has not validated with
                    // `NOT VALID` (`pg_get_constraintdef`) until `VALIDATE
                    // CONSTRAINT`.
                    if *not_valid && spec.kind == ConstraintKind::Check {
                        if let Some(text) = &mut spec.definition {
                            text.push_str(" NOT VALID");
                        }
                    }
                    self.push_constraint(table, spec, pending, problems);
                }
            }
            AlterTableOperation::ValidateConstraint { name } => {
                let name = d.fold(name);
                if let Some(c) = table.constraints.iter_mut().find(|c| c.name == name) {
                    if let Some(text) = &mut c.definition {
                        if let Some(valid) = text.strip_suffix(" NOT VALID") {
                            *text = valid.to_compact_string();
                        }
                    }
                }
            }
            AlterTableOperation::DropConstraint {
                if_exists, name, ..
            } => {
                let name = d.fold(name);
                self.drop_constraint(table, &name, None, *if_exists, problems);
            }
            AlterTableOperation::DropForeignKey { name, .. } => {
                let name = d.fold(name);
                self.drop_constraint(
                    table,
                    &name,
                    Some(ConstraintKind::ForeignKey),
                    false,
                    problems,
                );
            }
            AlterTableOperation::DropPrimaryKey { .. } => {
                table
                    .constraints
                    .retain(|c| c.kind != ConstraintKind::PrimaryKey);
                let primary = mysql_index_name(&table.name, "primary");
                if self.discard(&key(ObjectKind::Index, &primary)) {
                    table.indexes.remove(&primary);
                }
            }
            AlterTableOperation::DropIndex { name } => {
                let folded = d.fold(name);
                let index_name = mysql_index_name(&table.name, &folded);
                if self.discard(&key(ObjectKind::Index, &index_name)) {
                    table.indexes.remove(&index_name);
                    // A unique constraint is its index.
                    table
                        .constraints
                        .retain(|c| !(c.name == folded && c.kind == ConstraintKind::Unique));
                } else if !uncertain
                    && !table
                        .constraints
                        .iter()
                        .any(|c| c.kind == ConstraintKind::ForeignKey || c.name == folded)
                {
                    // MySQL creates an index for each foreign key by itself,
                    // so an unknown index on a table with one is plausible.
                    self.report_unknown(ObjectKind::Index, &index_name, problems);
                }
            }
            AlterTableOperation::RenameConstraint { old_name, new_name } => {
                let old = d.fold(old_name);
                let new = d.fold(new_name);
                if let Some(c) = table.constraints.iter_mut().find(|c| c.name == old) {
                    c.name = new.clone();
                    c.generated_name = false;
                    // The index of a primary key or unique constraint follows.
                    let from = table.name.sibling(old);
                    let k = key(ObjectKind::Index, &from);
                    if let Some(Object::Index(mut index)) = self.objects.get(&k).cloned() {
                        if index.constraint {
                            self.discard(&k);
                            let to = table.name.sibling(new);
                            index.name = to.clone();
                            table.indexes.remove(&from);
                            table.indexes.insert(to.clone());
                            self.insert(key(ObjectKind::Index, &to), Object::Index(index));
                        }
                    }
                } else {
                    table.open_constraints = true;
                }
            }
            _ => {}
        }
    }

    fn rename_column(
        &mut self,
        table: &mut Table,
        old: &str,
        new: &str,
        problems: &mut Vec<Problem>,
        missing_column: &dyn Fn(&Table, &str, &mut Vec<Problem>),
    ) {
        if table.column(old).is_none() {
            missing_column(table, old, problems);
            return;
        }
        if old != new && table.column(new).is_some() {
            let table_key = key(ObjectKind::Table, &table.name);
            let what = format!("column {}.{new} already exists", table.name);
            if !self.is_uncertain(&table_key) {
                problems.push(Problem {
                    kind: ProblemKind::Duplicate,
                    message: what,
                });
                return;
            }
            self.silenced(&table_key, &what, problems);
        }
        if old != new && table.column(new).is_some() {
            table.columns_mut().retain(|c| c.name != new);
        }
        if let Some(c) = table.column_mut(old) {
            c.name = new.to_compact_string();
        }
        if old != new {
            // The server's stored defaults and generation expressions
            // follow the rename; the model's texts do not.
            let table_key = key(ObjectKind::Table, &table.name);
            if self.default_unsure(&table_key, old) {
                self.set_text_unsure(&table_key, &default_marker(old), false);
                self.set_text_unsure(&table_key, &default_marker(new), true);
            }
            self.unsure_defaults_naming(Some(table), old);
            table.column_comments.remove(new);
            if let Some(comment) = table.column_comments.remove(old) {
                table
                    .column_comments
                    .insert(new.to_compact_string(), comment);
            }
        }
        let d = self.dialect;
        for constraint in &mut table.constraints {
            for c in &mut constraint.columns {
                if c == old {
                    *c = new.to_compact_string();
                }
            }
            // The server prints a key with the column's new name (a foreign
            // key on both of its sides when it references its own table).
            let key_kind = matches!(
                constraint.kind,
                ConstraintKind::ForeignKey | ConstraintKind::PrimaryKey | ConstraintKind::Unique
            );
            if key_kind && old != new {
                let own = constraint.kind == ConstraintKind::ForeignKey
                    && constraint.references.as_ref() == Some(&table.name);
                constraint.definition = constraint.definition.as_ref().and_then(|text| {
                    let text = dependencies::key_renamed(text, &KeyRename::Column(old, new), d)?;
                    if own {
                        dependencies::key_renamed(&text, &KeyRename::Referred(old, new), d)
                            .map(Into::into)
                    } else {
                        Some(text.into())
                    }
                });
            }
            // The server prints a check with the column's new name.
            if constraint.kind == ConstraintKind::Check && old != new {
                if let Some(text) = &constraint.definition {
                    if dependencies::check_reads(text, old, d) == Some(true) {
                        constraint.definition =
                            dependencies::check_renamed(text, old, new, d).map(Into::into);
                    }
                }
            }
        }
        // The foreign keys of other tables that reference the column.
        if old != new {
            let referencing: Vec<ObjectKey> = self
                .objects
                .iter()
                .filter(|(k, o)| {
                    k.name != table.name
                        && matches!(o, Object::Table(t) if t.constraints.iter().any(|c| {
                            c.kind == ConstraintKind::ForeignKey
                                && c.references.as_ref() == Some(&table.name)
                        }))
                })
                .map(|(k, _)| k.clone())
                .collect();
            for k in referencing {
                if let Some(Object::Table(mut other)) = self.objects.get(&k).cloned() {
                    for c in &mut other.constraints {
                        if c.kind == ConstraintKind::ForeignKey
                            && c.references.as_ref() == Some(&table.name)
                        {
                            c.definition = c.definition.as_ref().and_then(|text| {
                                dependencies::key_renamed(text, &KeyRename::Referred(old, new), d)
                                    .map(Into::into)
                            });
                        }
                    }
                    self.insert(k, Object::Table(other));
                }
            }
        }
        // A view that may read the column: PostgreSQL prints it with the new
        // name, kept as the output column's name (`t.new AS old`), which
        // the model's text does not say: not known any more.
        if old != new {
            let views: Vec<ObjectKey> = self
                .objects
                .iter()
                .filter(|(_, o)| {
                    matches!(o, Object::View(v) if v.definition.is_some()
                        && dependencies::view_reads(v, &table.name, old) != Some(false))
                })
                .map(|(k, _)| k.clone())
                .collect();
            for k in views {
                if let Some(Object::View(mut view)) = self.objects.get(&k).cloned() {
                    view.definition = None;
                    self.insert(k, Object::View(view));
                }
            }
        }
        for index_name in table.indexes.clone() {
            let k = key(ObjectKind::Index, &index_name);
            if let Some(Object::Index(mut index)) = self.objects.get(&k).cloned() {
                let text_renamed = match &index.definition {
                    Some(text)
                        if old != new && dependencies::index_reads(text, old, d) == Some(true) =>
                    {
                        index.definition =
                            dependencies::index_renamed(text, old, new, d).map(Into::into);
                        true
                    }
                    _ => false,
                };
                // The server reprints a `WHERE` with the new name; the
                // model's text of it would not be sure any more.
                let reprinted = old != new
                    && matches!(&index.predicate, IndexPredicate::Where(text)
                        if text
                            .split(|c: char| !(c.is_alphanumeric() || c == '_'))
                            .any(|w| w.eq_ignore_ascii_case(old)));
                if reprinted {
                    index.predicate = IndexPredicate::Partial;
                }
                if index.columns.iter().any(|c| c.as_deref() == Some(old))
                    || reprinted
                    || text_renamed
                {
                    for c in index.columns.iter_mut().flatten() {
                        if c == old {
                            *c = new.to_compact_string();
                        }
                    }
                    self.insert(k, Object::Index(index));
                }
            }
        }
        // The column's sequence stays its own, under its old name.
        let owned: Vec<ObjectKey> = self
            .objects
            .iter()
            .filter(|(_, o)| {
                matches!(o, Object::Sequence(s)
                    if s.owned_by.as_ref().is_some_and(|(t, c)| *t == table.name && c == old))
            })
            .map(|(k, _)| k.clone())
            .collect();
        for k in owned {
            if let Some(Object::Sequence(mut sequence)) = self.objects.get(&k).cloned() {
                sequence.owned_by = Some((table.name.clone(), new.to_compact_string()));
                self.insert(k, Object::Sequence(sequence));
            }
        }
    }

    /// Marks unsure the texts of `table`'s checks and expression indexes
    /// that may read `column` ([`Schema::text_unsure`]).
    fn unsure_texts_reading(&mut self, table: &Table, column: &str) {
        let d = self.dialect;
        let table_key = key(ObjectKind::Table, &table.name);
        for c in &table.constraints {
            if c.kind == ConstraintKind::Check
                && c.definition
                    .as_deref()
                    .and_then(|t| dependencies::check_reads(t, column, d))
                    != Some(false)
            {
                self.set_text_unsure(&table_key, &c.name, true);
            }
        }
        for name in &table.indexes {
            let k = key(ObjectKind::Index, name);
            let reads = match self.objects.get(&k) {
                Some(Object::Index(index)) if index.columns.iter().any(Option::is_none) => {
                    index
                        .definition
                        .as_deref()
                        .and_then(|t| dependencies::index_reads(t, column, d))
                        != Some(false)
                }
                _ => false,
            };
            if reads {
                self.set_text_unsure(&k, "", true);
            }
        }
    }

    fn modify_column(
        &mut self,
        table: &mut Table,
        column: &str,
        data_type: &DataType,
        options: &[ColumnOption],
        problems: &mut Vec<Problem>,
        missing_column: &dyn Fn(&Table, &str, &mut Vec<Problem>),
    ) {
        if table.column(column).is_none() {
            missing_column(table, column, problems);
            return;
        }
        // MySQL's MODIFY/CHANGE restate the whole column, its comment too.
        match options.iter().find_map(|o| match o {
            ColumnOption::Comment(text) => Some(text.clone()),
            _ => None,
        }) {
            Some(text) => table
                .column_comments
                .insert(column.to_compact_string(), text),
            None => table.column_comments.remove(column),
        };
        self.set_text_unsure(
            &key(ObjectKind::Table, &table.name),
            &default_marker(column),
            false,
        );
        let Some(c) = table.column_mut(column) else {
            return;
        };
        // MariaDB's JSON column, however written (see `add_column_def`).
        let json = self.dialect == Dialect::MySql
            && options
                .iter()
                .any(|o| mariadb::is_json_check(data_type, column, false, o));
        let data_type = if json { &DataType::JSON } else { data_type };
        c.data_type = normalize_type(data_type);
        c.nullable = !options
            .iter()
            .any(|o| matches!(o, ColumnOption::NotNull | ColumnOption::PrimaryKey(_)));
        c.has_default = options.iter().any(|o| {
            matches!(o, ColumnOption::Default(_))
                || matches!(o, ColumnOption::DialectSpecific(t)
                    if t.iter().any(|t| t.to_string().eq_ignore_ascii_case("auto_increment")))
        });
        c.sql = Some(ColumnSql {
            data_type: data_type.to_compact_string(),
            default: options.iter().find_map(|o| match o {
                ColumnOption::Default(e) => Some(mariadb::default_text(self.dialect, e).into()),
                _ => None,
            }),
            generated: options.iter().find_map(|o| match o {
                ColumnOption::DialectSpecific(t)
                    if t.iter()
                        .any(|t| t.to_string().eq_ignore_ascii_case("auto_increment")) =>
                {
                    Some(o.to_compact_string())
                }
                _ => None,
            }),
        });
        // MariaDB: the check written with the column is restated too (one
        // not written is dropped; it is named after the column).
        if self.dialect == Dialect::MySql {
            table.constraints.retain(|c| {
                !(c.kind == ConstraintKind::Check
                    && c.generated_name
                    && c.name == column
                    && c.columns.len() == 1
                    && c.columns[0] == column)
            });
            for option in options {
                if let ColumnOption::Check(check) = option {
                    let mut check = check.clone();
                    check.name = None;
                    table.constraints.push(Constraint {
                        name: column.to_compact_string(),
                        generated_name: true,
                        kind: ConstraintKind::Check,
                        columns: vec![column.to_compact_string()],
                        references: None,
                        definition: Some(
                            mariadb::escaped(self.dialect, &check).to_compact_string(),
                        ),
                        actions: None,
                    });
                }
            }
        }
    }

    pub(super) fn drop_column(&mut self, table: &mut Table, column: &str) {
        table.columns_mut().retain(|c| c.name != column);
        table.column_comments.remove(column);
        table
            .constraints
            .retain(|c| !c.columns.iter().any(|c| c == column));
        for index_name in table.indexes.clone() {
            let k = key(ObjectKind::Index, &index_name);
            if let Some(Object::Index(index)) = self.objects.get(&k) {
                if index.columns.iter().any(|c| c.as_deref() == Some(column)) {
                    self.discard(&k);
                    table.indexes.remove(&index_name);
                }
            }
        }
        let owned: Vec<ObjectKey> = self
            .objects
            .iter()
            .filter(|(_, o)| {
                matches!(o, Object::Sequence(s)
                    if s.owned_by.as_ref().is_some_and(|(t, c)| *t == table.name && c == column))
            })
            .map(|(k, _)| k.clone())
            .collect();
        for k in owned {
            self.discard(&k);
        }
    }

    fn drop_constraint(
        &mut self,
        table: &mut Table,
        name: &str,
        kind: Option<ConstraintKind>,
        if_exists: bool,
        problems: &mut Vec<Problem>,
    ) {
        let before = table.constraints.len();
        table
            .constraints
            .retain(|c| !(c.name == name && kind.is_none_or(|k| k == c.kind)));
        // A primary key's or unique constraint's index goes with it (and a
        // unique index dropped by the constraint's name, on MySQL).
        let index_name = match self.dialect {
            Dialect::MySql => mysql_index_name(&table.name, name),
            _ => table.name.sibling(name.to_string()),
        };
        // PostgreSQL: only an index that backs a constraint goes by the
        // constraint's name; MySQL: a unique index is its constraint.
        let mysql = self.dialect == Dialect::MySql;
        let backed = matches!(
            self.objects.get(&key(ObjectKind::Index, &index_name)),
            Some(Object::Index(index))
                if index.constraint || (mysql && table.constraints.len() == before)
        );
        if backed && kind.is_none() {
            self.discard(&key(ObjectKind::Index, &index_name));
            table.indexes.remove(&index_name);
            return;
        }
        if table.constraints.len() != before {
            return;
        }
        // A name the server may have given one of the constraints whose
        // name the model worked out: if the model got it wrong, this may be
        // one of them. On PostgreSQL only a name of that form (a generated
        // one up to its number, or `..._pkey`, `_key`, `_fkey`, `_check`,
        // `_excl`) can be.
        let guessed =
            table.constraints.iter().any(|c| {
                c.generated_name && (mysql || super::may_be_generated(name, Some(&c.name)))
            }) || (!mysql && super::may_be_generated(name, None));
        let table_key = key(ObjectKind::Table, &table.name);
        if !if_exists && self.is_uncertain(&table_key) {
            let what = format!(
                "constraint {name} on table {} does not exist at this point",
                table.name
            );
            self.silenced(&table_key, &what, problems);
        }
        if guessed || table.open_constraints || table.open_columns {
            // Our guess of the generated name may be wrong: stop trusting the list.
            table.open_constraints = true;
            return;
        }
        if !if_exists
            && self.strict_about(&table.name)
            && !self.is_uncertain(&key(ObjectKind::Table, &table.name))
        {
            problems.push(Problem {
                kind: ProblemKind::Unknown,
                message: format!(
                    "constraint {name} on table {} does not exist at this point",
                    table.name
                ),
            });
        }
    }

    /// Renames a table, view, sequence or index (`ALTER TABLE ... RENAME`
    /// accepts them all on PostgreSQL); what refers to it follows.
    fn rename_relation(&mut self, from: &Name, to: Name, problems: &mut Vec<Problem>) {
        let kind = [
            ObjectKind::Table,
            ObjectKind::View,
            ObjectKind::Sequence,
            ObjectKind::Index,
        ]
        .into_iter()
        .find(|kind| self.contains(*kind, from));
        let Some(kind) = kind else {
            self.report_unknown(ObjectKind::Table, from, problems);
            return;
        };
        if kind == ObjectKind::Index {
            self.rename_index(from, to, problems);
            return;
        }
        let from_key = key(kind, from);
        let to_key = key(kind, &to);
        if self.relation_taken(&to) && to != *from {
            let blocking_is_certain = [
                ObjectKind::Table,
                ObjectKind::View,
                ObjectKind::Sequence,
                ObjectKind::Index,
            ]
            .into_iter()
            .any(|k| self.contains(k, &to) && !self.is_uncertain(&key(k, &to)));
            if blocking_is_certain && self.dialect != Dialect::MySql {
                problems.push(duplicate(kind, &to));
                return;
            }
            if blocking_is_certain && self.contains(ObjectKind::Table, &to) {
                problems.push(duplicate(kind, &to));
                return;
            }
            if !blocking_is_certain {
                let blocking = key(kind, &to);
                self.silenced(
                    &blocking,
                    &format!("{} {to} already exists", kind.noun()),
                    problems,
                );
            }
        }
        let cause = self.uncertain.get(&from_key).cloned();
        let Some(object) = self.remove(&from_key) else {
            return;
        };
        let object = match object {
            Object::Table(mut table) => {
                table.name = to.clone();
                // MySQL keys its indexes by table, and InnoDB renames the
                // foreign keys named `<table>_ibfk_<n>` with it.
                if self.dialect == Dialect::MySql {
                    for c in &mut table.constraints {
                        if c.kind == ConstraintKind::ForeignKey {
                            if let Some(name) =
                                mariadb::renamed_constraint(&c.name, &from.name, &to.name)
                            {
                                c.name = name.into();
                            }
                        }
                    }
                    let old: Vec<Name> = table.indexes.iter().cloned().collect();
                    table.indexes.clear();
                    for index_name in old {
                        if let Some(Object::Index(mut index)) =
                            self.remove(&key(ObjectKind::Index, &index_name))
                        {
                            let short = index_name
                                .name
                                .split_once('.')
                                .map_or(index_name.name.clone(), |(_, i)| i.to_compact_string());
                            index.name = mysql_index_name(&to, &short);
                            table.indexes.insert(index.name.clone());
                            self.insert(key(ObjectKind::Index, &index.name), Object::Index(index));
                        }
                    }
                }
                Object::Table(table)
            }
            Object::View(mut view) => {
                view.name = to.clone();
                Object::View(view)
            }
            Object::Sequence(mut sequence) => {
                sequence.name = to.clone();
                Object::Sequence(sequence)
            }
            other => other,
        };
        self.insert(to_key.clone(), object);
        if let Some(cause) = cause {
            self.mark_uncertain_by(to_key.clone(), cause);
        }
        self.replace_references(from, &to);
        if kind == ObjectKind::Table {
            let moved: Vec<String> = self
                .unsure_texts
                .iter()
                .filter(|(k, _)| *k == from_key)
                .map(|(_, part)| part.clone())
                .collect();
            for part in moved {
                self.set_text_unsure(&from_key, &part, false);
                self.set_text_unsure(&to_key, &part, true);
            }
        }
        self.unsure_defaults_naming(None, &from.name);
    }

    /// Marks unsure the defaults and generation expressions of `table`'s
    /// columns (`None`: of every table's) whose text names `word` (a
    /// column, sequence, type or table the history renamed): the server's
    /// stored expression follows the rename, the model's text does not
    /// ([`Schema::default_unsure`]).
    pub(super) fn unsure_defaults_naming(&mut self, table: Option<&Table>, word: &str) {
        let word = word.to_lowercase();
        let naming = |t: &Table| -> Vec<CompactString> {
            t.columns
                .iter()
                .filter(|c| {
                    c.sql.as_ref().is_some_and(|s| {
                        s.default
                            .iter()
                            .chain(&s.generated)
                            .any(|text| words_of(&text.to_lowercase()).any(|w| w == word))
                    })
                })
                .map(|c| c.name.clone())
                .collect()
        };
        let marks: Vec<(ObjectKey, Vec<CompactString>)> = match table {
            Some(t) => vec![(key(ObjectKind::Table, &t.name), naming(t))],
            None => self
                .objects
                .iter()
                .filter_map(|(k, o)| match o {
                    Object::Table(t) => Some((k.clone(), naming(t))),
                    _ => None,
                })
                .filter(|(_, columns)| !columns.is_empty())
                .collect(),
        };
        for (k, columns) in marks {
            for column in columns {
                self.set_text_unsure(&k, &default_marker(&column), true);
            }
        }
    }

    /// Points whatever refers to the relation `from` (indexes, foreign keys,
    /// views, owned sequences) at `to`: PostgreSQL tracks them by identity.
    fn replace_references(&mut self, from: &Name, to: &Name) {
        let mut changed = Vec::new();
        for (k, object) in self.objects.iter() {
            let mut object = object.clone();
            let hit = match &mut object {
                Object::Index(index) if index.table == *from => {
                    index.table = to.clone();
                    true
                }
                Object::View(view) if view.depends_on.contains(from) => {
                    view.depends_on.remove(from);
                    view.depends_on.insert(to.clone());
                    // The server prints the view with the new name.
                    if let Some(text) = &view.definition {
                        view.definition =
                            dependencies::view_relation_renamed(text, from, to, self.dialect);
                    }
                    true
                }
                Object::Sequence(sequence) => match &mut sequence.owned_by {
                    Some((table, _)) if table == from => {
                        *table = to.clone();
                        true
                    }
                    _ => false,
                },
                Object::Table(table) => {
                    let mut hit = false;
                    for c in &mut table.constraints {
                        if c.references.as_ref() == Some(from) {
                            c.references = Some(to.clone());
                            // The server prints the key with the new name.
                            if let Some(text) = &c.definition {
                                c.definition = dependencies::key_renamed(
                                    text,
                                    &dependencies::KeyRename::Table(from, to),
                                    self.dialect,
                                )
                                .map(Into::into);
                            }
                            hit = true;
                        }
                    }
                    hit
                }
                _ => false,
            };
            if hit {
                changed.push((k.clone(), object));
            }
        }
        for (k, object) in changed {
            self.insert(k, object);
        }
        self.rename_triggers(from, to);
    }

    fn rename_index(&mut self, from: &Name, to: Name, problems: &mut Vec<Problem>) {
        let from_key = key(ObjectKind::Index, from);
        let Some(Object::Index(mut index)) = self.objects.get(&from_key).cloned() else {
            self.report_unknown(ObjectKind::Index, from, problems);
            return;
        };
        let to_key = key(ObjectKind::Index, &to);
        if self.relation_taken(&to) && to != *from {
            let certain = [
                ObjectKind::Table,
                ObjectKind::View,
                ObjectKind::Sequence,
                ObjectKind::Index,
            ]
            .into_iter()
            .any(|k| self.contains(k, &to) && !self.is_uncertain(&key(k, &to)));
            if certain {
                problems.push(duplicate(ObjectKind::Index, &to));
                return;
            }
            self.silenced(&to_key, &format!("index {to} already exists"), problems);
        }
        let cause = self.uncertain.get(&from_key).cloned();
        self.discard(&from_key);
        if let Some(Object::Table(mut table)) = self
            .objects
            .get(&key(ObjectKind::Table, &index.table))
            .cloned()
        {
            table.indexes.remove(from);
            table.indexes.insert(to.clone());
            // The constraint of a primary key or unique index is renamed with it.
            if index.constraint {
                for c in &mut table.constraints {
                    if c.name == from.name {
                        c.name = to.name.clone();
                        c.generated_name = false;
                    }
                }
            }
            self.insert(key(ObjectKind::Table, &index.table), Object::Table(table));
        }
        index.name = to;
        self.insert(to_key.clone(), Object::Index(index));
        if let Some(cause) = cause {
            self.mark_uncertain_by(to_key, cause);
        }
    }

    fn create_index(&mut self, create: &CreateIndex, problems: &mut Vec<Problem>) {
        let d = self.dialect;
        let table_name = d.object_name(&create.table_name);
        let on_view = self.table(&table_name).is_none();
        if on_view && !self.contains(ObjectKind::View, &table_name) {
            self.report_unknown(ObjectKind::Table, &table_name, problems);
            return;
        }
        let mut columns = Vec::new();
        if let Some(table) = self.table(&table_name) {
            let table_key = key(ObjectKind::Table, &table_name);
            let uncertain = self.is_uncertain(&table_key);
            let strict = self.strict_about(&table_name) && !table.open_columns && !uncertain;
            for column in create.columns.iter() {
                if let Some(ident) = column_of(&column.column.expr) {
                    let folded = d.fold(ident);
                    if table.column(&folded).is_none() {
                        let what =
                            format!("column {table_name}.{folded} does not exist at this point");
                        if strict {
                            problems.push(Problem {
                                kind: ProblemKind::Unknown,
                                message: what,
                            });
                        } else if uncertain {
                            self.silenced(&table_key, &what, problems);
                        }
                    }
                }
            }
        }
        for column in create.columns.iter() {
            columns.push(column_of(&column.column.expr).map(|i| d.fold(i)));
        }
        let index_name = match &create.name {
            Some(name) => {
                let name = d.object_name(name);
                match d {
                    Dialect::MySql => mysql_index_name(&table_name, &name.name),
                    _ if name.schema.is_none() => table_name.sibling(name.name),
                    _ => name,
                }
            }
            None => {
                // PostgreSQL's ChooseIndexColumnNames: a column's name, a
                // function's name for a call, `expr` otherwise, each made
                // unique in the list with a number.
                let mut parts: Vec<CompactString> = Vec::new();
                for c in create.columns.iter() {
                    let base = index_column_name(&c.column.expr, d);
                    let mut candidate = base.clone();
                    let mut n = 0;
                    while parts.contains(&candidate) {
                        n += 1;
                        candidate = compact_str::format_compact!("{base}{n}");
                    }
                    parts.push(candidate);
                }
                let addition = pg_name_addition(&parts);
                let name = pg_choose_name(&table_name.name, Some(&addition), "idx", |n| {
                    self.relation_taken(&table_name.sibling(n))
                });
                table_name.sibling(name)
            }
        };
        let definition = index_definition(create);
        let index = Index {
            name: index_name,
            table: table_name,
            columns,
            unique: create.unique,
            constraint: false,
            implicit: false,
            definition: Some(definition.into()),
            method: attributes::index_method(create, d).map(Into::into),
            predicate: self.index_predicate(create),
        };
        // MySQL: a new index may serve a foreign key whose generated index
        // then goes (an index of that name already there is the usual
        // duplicate, and the statement changes nothing).
        let table_key = key(ObjectKind::Table, &index.table);
        if let (Dialect::MySql, false, Some(Object::Table(table))) = (
            d,
            self.contains(ObjectKind::Index, &index.name),
            self.objects.get(&table_key),
        ) {
            let mut table = table.clone();
            let mut pending = Pending {
                indexes: vec![index],
                ..Pending::default()
            };
            self.settle_mysql_keys(&mut table, &mut pending);
            self.insert(table_key, Object::Table(table));
            self.flush(pending, problems);
            return;
        }
        self.add_index(index, create.if_not_exists, problems);
    }

    fn add_index(&mut self, index: Index, if_not_exists: bool, problems: &mut Vec<Problem>) {
        let k = key(ObjectKind::Index, &index.name);
        if self.objects.contains_key(&k) {
            let uncertain = self.is_uncertain(&k);
            if !if_not_exists && !uncertain {
                problems.push(duplicate(ObjectKind::Index, &index.name));
            } else if !if_not_exists {
                self.silenced(
                    &k,
                    &format!("index {} already exists", index.name),
                    problems,
                );
            }
            if !uncertain {
                return;
            }
        }
        // IF NOT EXISTS on PostgreSQL skips any relation of that name.
        if if_not_exists && self.dialect != Dialect::MySql && self.relation_taken(&index.name) {
            return;
        }
        self.settle(&k);
        self.set_text_unsure(&k, "", false);
        let table = index.table.clone();
        let name = index.name.clone();
        self.insert(k, Object::Index(index));
        if let Some(table) = self.table_mut(&table) {
            table.indexes.insert(name);
        }
    }

    fn drop(
        &mut self,
        object_type: ObjectType,
        if_exists: bool,
        cascade: bool,
        names: &[ObjectName],
        table: Option<&ObjectName>,
        problems: &mut Vec<Problem>,
    ) {
        let d = self.dialect;
        for object in names {
            let name = d.object_name(object);
            match object_type {
                ObjectType::Table => {
                    if self.contains(ObjectKind::Table, &name) {
                        self.drop_relation(&name, cascade);
                    } else if !if_exists {
                        self.report_unknown(ObjectKind::Table, &name, problems);
                    }
                }
                ObjectType::View | ObjectType::MaterializedView => {
                    if self.contains(ObjectKind::View, &name) {
                        self.drop_relation(&name, cascade);
                    } else if !if_exists {
                        self.report_unknown(ObjectKind::View, &name, problems);
                    }
                }
                ObjectType::Type => {
                    self.drop_one(ObjectKind::Type, &name, if_exists, problems);
                    if cascade && matches!(d, Dialect::Postgres | Dialect::Generic) {
                        self.pg_drop_type_dependents(&name);
                    } else if cascade {
                        // Columns of the type go with it; which ones is not
                        // worth modelling.
                        let users: Vec<ObjectKey> = self
                            .objects
                            .iter()
                            .filter(|(_, o)| {
                                matches!(o, Object::Table(t)
                                    if t.columns.iter().any(|c| c.data_type.contains(name.name.as_str())))
                            })
                            .map(|(k, _)| k.clone())
                            .collect();
                        for k in users {
                            self.make_uncertain(k);
                        }
                    }
                }
                // Sequences may come from places the model does not see, so
                // an unknown sequence is never reported.
                ObjectType::Sequence => {
                    self.discard(&key(ObjectKind::Sequence, &name));
                }
                ObjectType::Index => {
                    let index_name = match (d, table) {
                        (Dialect::MySql, Some(table)) => {
                            mysql_index_name(&d.object_name(table), &name.name)
                        }
                        _ => name,
                    };
                    self.drop_index(&index_name, if_exists, problems);
                }
                ObjectType::Schema => {
                    self.snapshot_routines();
                    self.schemas.remove(name.name.as_str());
                    let doomed: Vec<ObjectKey> = self
                        .objects
                        .keys()
                        .filter(|k| k.name.schema.as_deref() == Some(name.name.as_str()))
                        .cloned()
                        .collect();
                    for k in doomed {
                        self.discard(&k);
                    }
                }
                _ => {}
            }
        }
    }

    fn drop_one(
        &mut self,
        kind: ObjectKind,
        name: &Name,
        if_exists: bool,
        problems: &mut Vec<Problem>,
    ) {
        if !self.discard(&key(kind, name)) && !if_exists {
            self.report_unknown(kind, name, problems);
        }
    }

    fn drop_index(&mut self, name: &Name, if_exists: bool, problems: &mut Vec<Problem>) {
        let k = key(ObjectKind::Index, name);
        let table_name = self.index(name).map(|index| index.table.clone());
        // Discarded, not removed: no copy of the index for the journal.
        self.discard(&k);
        if let Some(table_name) = table_name {
            if let Some(table) = self.table_mut(&table_name) {
                table.indexes.remove(name);
            }
            if self.dialect == Dialect::MySql {
                // A unique constraint is its index.
                let short = name.name.split_once('.').map_or("", |(_, i)| i).to_string();
                if let Some(Object::Table(mut table)) = self
                    .objects
                    .get(&key(ObjectKind::Table, &table_name))
                    .cloned()
                {
                    let before = table.constraints.len();
                    table
                        .constraints
                        .retain(|c| !(c.kind == ConstraintKind::Unique && c.name == short));
                    if table.constraints.len() != before {
                        self.insert(key(ObjectKind::Table, &table_name), Object::Table(table));
                    }
                }
            }
            return;
        }
        if if_exists {
            return;
        }
        self.report_unknown(ObjectKind::Index, name, problems);
    }

    /// Drops a table or view with what goes with it: its indexes and owned
    /// sequences, the foreign keys that point at it, and the views that read
    /// it (CASCADE; without it those views cannot have existed, since the
    /// server refuses, so the model stops trusting them).
    pub(super) fn drop_relation(&mut self, name: &Name, cascade: bool) {
        let kind = if self.contains(ObjectKind::Table, name) {
            ObjectKind::Table
        } else {
            ObjectKind::View
        };
        let dependents = self.dependents(name);
        self.discard(&key(kind, name));
        let mut dropped_views: BTreeSet<Name> = BTreeSet::new();
        dropped_views.insert(name.clone());
        for k in &dependents {
            if k.kind == ObjectKind::View && cascade {
                dropped_views.insert(k.name.clone());
            }
        }
        for k in dependents {
            let goes = match self.objects.get(&k) {
                Some(Object::View(_)) => cascade,
                Some(Object::Index(index)) => dropped_views.contains(&index.table),
                Some(Object::Trigger(trigger)) => dropped_views.contains(&trigger.table),
                Some(Object::Sequence(sequence)) => sequence
                    .owned_by
                    .as_ref()
                    .is_some_and(|(t, _)| dropped_views.contains(t)),
                _ => false,
            };
            if goes {
                self.discard(&k);
            } else {
                self.make_uncertain(k);
            }
        }
        // Foreign keys of other tables that point at a dropped table go with
        // it on PostgreSQL; SQLite and MySQL keep them (a dangling reference
        // is what their table-rebuild recipe relies on).
        if !matches!(self.dialect, Dialect::Postgres | Dialect::Generic) {
            return;
        }
        let mut referring: Vec<ObjectKey> = dropped_views
            .iter()
            .filter_map(|name| self.referrers.get(name))
            .flatten()
            .filter(|k| {
                matches!(self.objects.get(*k), Some(Object::Table(t))
                    if t.constraints.iter().any(|c| c.references.as_ref().is_some_and(|r| dropped_views.contains(r))))
            })
            .cloned()
            .collect();
        referring.sort();
        referring.dedup();
        for k in referring {
            if let Some(Object::Table(mut table)) = self.objects.get(&k).cloned() {
                table.constraints.retain(|c| {
                    c.references
                        .as_ref()
                        .is_none_or(|r| !dropped_views.contains(r))
                });
                self.insert(k, Object::Table(table));
            }
        }
    }
}

/// What a table statement creates besides the table, added once the table
/// is in the model.
#[derive(Default)]
struct Pending {
    indexes: Vec<Index>,
    sequences: Vec<Sequence>,
    /// MySQL: the statement is a `CREATE TABLE` (InnoDB numbers its unnamed
    /// foreign keys from 1, an `ALTER TABLE` from the highest number in use).
    creating: bool,
    /// MySQL: unnamed keys of the statement, named once the server's list
    /// of keys is known (`Schema::settle_mysql_keys`): the placeholder
    /// (index and, for a unique key, constraint name) and the first column.
    unnamed: Vec<(CompactString, CompactString)>,
}

impl Pending {
    /// A placeholder name for an unnamed MySQL key on `first_column`, to be
    /// replaced by the server's choice once every key of the statement is
    /// known. It cannot collide with a real name (it holds a NUL).
    fn placeholder(&mut self, first_column: &str) -> CompactString {
        let name = compact_str::format_compact!("\u{0}{}", self.unnamed.len());
        self.unnamed
            .push((name.clone(), CompactString::from(first_column)));
        name
    }

    /// Whether a pending index or sequence has this (unqualified) name.
    fn has_relation(&self, name: &str) -> bool {
        self.indexes.iter().any(|i| i.name.name == name)
            || self.sequences.iter().any(|s| s.name.name == name)
    }

    fn has_index(&self, name: &Name) -> bool {
        self.indexes.iter().any(|i| i.name == *name)
    }
}

/// A constraint as declared, before the server names it.
struct Spec {
    given: Option<CompactString>,
    kind: ConstraintKind,
    columns: Vec<CompactString>,
    references: Option<Name>,
    /// For a check: the one column its expression reads, if only one.
    check_column: Option<CompactString>,
    /// MySQL: the index name written after `UNIQUE` / `FOREIGN KEY`.
    index_name: Option<CompactString>,
    /// `USING INDEX`: the index that becomes the constraint's.
    from_index: Option<CompactString>,
    /// The constraint without its name, as sqlparser prints it.
    definition: Option<String>,
    /// A foreign key's actions.
    actions: Option<super::ForeignKeyActions>,
}

/// What follows the view's name in `view` as the model keeps it: its
/// column list, if any, and `AS` with the query as sqlparser prints it.
pub(super) fn view_definition(view: &sqlparser::ast::CreateView) -> String {
    let columns = if view.columns.is_empty() {
        String::new()
    } else {
        let names: Vec<String> = view.columns.iter().map(|c| c.name.to_string()).collect();
        format!("({}) ", names.join(", "))
    };
    format!("{columns}AS {}", view.query)
}

/// What follows the table in `create` as sqlparser prints it
/// (`USING gin (a, lower(b)) WHERE c`): the parts after the table, printed
/// one by one as sqlparser's `CREATE INDEX` prints them (the head, with the
/// index's and table's names, is not printed at all: printing the whole
/// statement to cut it off was most of `CREATE INDEX`'s replay). A
/// statement with `ASYNC` is kept whole, printed without its name,
/// `UNIQUE`, `CONCURRENTLY` and `IF NOT EXISTS`.
pub(super) fn index_definition(create: &CreateIndex) -> String {
    if create.r#async {
        let mut bare = create.clone();
        bare.name = None;
        bare.unique = false;
        bare.concurrently = false;
        bare.if_not_exists = false;
        return bare.to_string().trim().to_string();
    }
    fn list<T: std::fmt::Display>(out: &mut String, items: &[T], separator: &str) {
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                out.push_str(separator);
            }
            let _ = write!(out, "{item}");
        }
    }
    let mut out = String::new();
    if let Some(using) = &create.using {
        let _ = write!(out, "USING {using} ");
    }
    out.push('(');
    list(&mut out, &create.columns, ", ");
    out.push(')');
    if !create.include.is_empty() {
        out.push_str(" INCLUDE (");
        list(&mut out, &create.include, ", ");
        out.push(')');
    }
    match create.nulls_distinct {
        Some(true) => out.push_str(" NULLS DISTINCT"),
        Some(false) => out.push_str(" NULLS NOT DISTINCT"),
        None => {}
    }
    if !create.with.is_empty() {
        out.push_str(" WITH (");
        list(&mut out, &create.with, ", ");
        out.push(')');
    }
    if let Some(predicate) = &create.predicate {
        let _ = write!(out, " WHERE {predicate}");
    }
    if !create.index_options.is_empty() {
        out.push(' ');
        list(&mut out, &create.index_options, " ");
    }
    if !create.alter_options.is_empty() {
        out.push(' ');
        list(&mut out, &create.alter_options, " ");
    }
    out.truncate(out.trim_end().len());
    out
}

/// A table constraint without its name, as sqlparser prints it; `None`
/// for the kinds autogenerate does not write (`USING INDEX`, full text).
pub(super) fn constraint_definition(constraint: &TableConstraint) -> Option<String> {
    Some(match constraint {
        TableConstraint::PrimaryKey(pk) => {
            let mut pk = pk.clone();
            pk.name = None;
            pk.to_string()
        }
        TableConstraint::Unique(unique) => {
            let mut unique = unique.clone();
            unique.name = None;
            unique.to_string()
        }
        TableConstraint::ForeignKey(fk) => {
            let mut fk = fk.clone();
            fk.name = None;
            fk.to_string()
        }
        TableConstraint::Check(check) => {
            let mut check = check.clone();
            check.name = None;
            check.to_string()
        }
        TableConstraint::Exclude(exclude) => {
            let mut exclude = exclude.clone();
            exclude.name = None;
            exclude.to_string()
        }
        _ => return None,
    })
}

/// The column a check constraint's expression reads when it reads exactly
/// one (PostgreSQL then names it `<table>_<column>_check`).
fn check_column(expr: &Expr, dialect: Dialect) -> Option<CompactString> {
    let mut columns = BTreeSet::new();
    let _ = sqlparser::ast::visit_expressions(expr, |e| {
        match e {
            Expr::Identifier(i) => {
                columns.insert(dialect.fold(i));
            }
            Expr::CompoundIdentifier(parts) => {
                if let Some(last) = parts.last() {
                    columns.insert(dialect.fold(last));
                }
            }
            _ => {}
        }
        ControlFlow::<()>::Continue(())
    });
    if columns.len() == 1 {
        columns.into_iter().next()
    } else {
        None
    }
}

/// The name PostgreSQL gives an index column when it names the index
/// (`FigureIndexColname`): the column, the function called, else `expr`.
fn index_column_name(expr: &Expr, dialect: Dialect) -> CompactString {
    match expr {
        Expr::Function(f) => dialect.object_name(&f.name).name,
        Expr::Cast { expr, .. } | Expr::Nested(expr) => index_column_name(expr, dialect),
        e => column_of(e).map_or_else(|| CompactString::const_new("expr"), |i| dialect.fold(i)),
    }
}

use super::Naming;
use super::ObjectKey;

/// The warning for a check that stays silent on the uncertain object `k`.
fn uncertain_problem(k: &ObjectKey, what: &str, cause: &str) -> Problem {
    Problem {
        kind: ProblemKind::Uncertain,
        message: format!(
            "{what}, unless {cause} changed it: {} {} is uncertain since then",
            k.kind.noun(),
            k.name
        ),
    }
}

fn duplicate(kind: ObjectKind, name: &Name) -> Problem {
    Problem {
        kind: ProblemKind::Duplicate,
        message: format!("{} {name} already exists", kind.noun()),
    }
}

/// MySQL index names live per table.
fn mysql_index_name(table: &Name, index: &str) -> Name {
    table.sibling(format!("{}.{index}", table.name))
}

/// The column an index expression names, if it is a plain column.
fn column_of(expr: &Expr) -> Option<&sqlparser::ast::Ident> {
    match expr {
        Expr::Identifier(ident) => Some(ident),
        Expr::CompoundIdentifier(parts) => parts.last(),
        Expr::Nested(inner) => column_of(inner),
        _ => None,
    }
}

/// Type text with PostgreSQL's aliases unified, so that `int` and `INTEGER`
/// compare equal in the downgrade check.
pub fn normalize_type(data_type: &DataType) -> CompactString {
    normalize_printed_type(print_type(data_type))
}

/// `data_type` as sqlparser prints it, into a buffer sized for most types
/// (the replay and the type rules print every declared column's type).
fn print_type(data_type: &DataType) -> CompactString {
    let mut text = CompactString::default();
    let _ = write!(text, "{data_type}");
    text
}

/// [`normalize_type`] of a type as sqlparser printed it; the text is kept
/// when it is already normal, as most types are.
fn normalize_printed_type(mut text: CompactString) -> CompactString {
    normalize_in_place(&mut text);
    text
}

/// [`normalize_type`] written into `out` (cleared first), for a caller that
/// normalises many types and reuses one buffer (the type rules).
pub(crate) fn normalize_type_into(data_type: &DataType, out: &mut CompactString) {
    out.clear();
    let _ = write!(out, "{data_type}");
    normalize_in_place(out);
}

/// Lower-cases `text` and puts the canonical name of its base type (the part
/// before any `(`) in place of an alias, in place.
fn normalize_in_place(text: &mut CompactString) {
    if text.is_ascii() {
        text.make_ascii_lowercase();
    } else {
        *text = CompactString::from(text.as_str().to_lowercase());
    }
    let end = text.find('(').unwrap_or(text.len());
    let written = &text[..end];
    let base = written.trim();
    let canonical = match base {
        "int" | "int4" | "integer" => "integer",
        "int8" | "bigint" => "bigint",
        "int2" | "smallint" => "smallint",
        "serial4" | "serial" => "serial",
        "serial8" | "bigserial" => "bigserial",
        "serial2" | "smallserial" => "smallserial",
        "bool" | "boolean" => "boolean",
        "varchar" | "character varying" => "character varying",
        "char" | "character" => "character",
        "float8" | "double precision" | "double" => "double precision",
        "float4" | "real" => "real",
        "decimal" | "numeric" => "numeric",
        "timestamptz" | "timestamp with time zone" => "timestamp with time zone",
        "timestamp" | "timestamp without time zone" => "timestamp",
        "timetz" | "time with time zone" => "time with time zone",
        _ => {
            if base.len() != written.len() {
                let base = CompactString::from(base);
                text.replace_range(..end, &base);
            }
            return;
        }
    };
    if canonical != written {
        text.replace_range(..end, canonical);
    }
}

/// One identifier written in raw text (`"Name"`, `` `name` ``, `name`).
/// The name and the tokens after it of `ALTER SEQUENCE [IF EXISTS] name
/// ...` (without spaces and the closing `;`), `None` for another statement,
/// or one with a comment, or a quoted name holding a space, a dot or a `;`
/// (which the words of [`Schema::alter_sequence_text`] would cut).
fn alter_sequence_tokens(text: &str) -> Option<(ObjectName, Vec<sqlparser::tokenizer::Token>)> {
    use sqlparser::tokenizer::{Token, Tokenizer, Whitespace};
    let dialect = sqlparser::dialect::PostgreSqlDialect {};
    let tokens = Tokenizer::new(&dialect, text).tokenize().ok()?;
    let mut toks = Vec::new();
    for t in tokens {
        match t {
            Token::Whitespace(Whitespace::Space | Whitespace::Newline | Whitespace::Tab) => {}
            Token::Whitespace(_) => return None,
            Token::Word(w)
                if w.quote_style.is_some()
                    && w.value
                        .contains(|c: char| c.is_whitespace() || c == '.' || c == ';') =>
            {
                return None
            }
            t => toks.push(t),
        }
    }
    if toks.last() == Some(&Token::SemiColon) {
        toks.pop();
    }
    let word = |t: Option<&Token>, w: &str| matches!(t, Some(Token::Word(x)) if x.quote_style.is_none() && x.value.eq_ignore_ascii_case(w));
    if !word(toks.first(), "alter") || !word(toks.get(1), "sequence") {
        return None;
    }
    let mut at = 2;
    if word(toks.get(2), "if") && word(toks.get(3), "exists") {
        at = 4;
    }
    let mut end = at + 1;
    while toks.get(end) == Some(&Token::Period) {
        end += 2;
    }
    let name = super::names::dotted_name(toks.get(at..end)?)?;
    Some((name, toks.split_off(end)))
}

fn unparsed_ident(part: &str) -> sqlparser::ast::Ident {
    if part.len() >= 2 && (part.starts_with('"') || part.starts_with('`')) {
        sqlparser::ast::Ident::with_quote('"', &part[1..part.len() - 1])
    } else {
        sqlparser::ast::Ident::new(part)
    }
}

/// The identifier-like words of a lower-cased text.
fn words_of(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '$'))
        .filter(|w| !w.is_empty())
}

/// The names of the common table expressions anywhere in `query`.
fn collect_ctes(
    query: &sqlparser::ast::Query,
    out: &mut BTreeSet<CompactString>,
    dialect: Dialect,
) {
    use sqlparser::ast::{Visit, Visitor};
    struct Ctes<'a> {
        out: &'a mut BTreeSet<CompactString>,
        dialect: Dialect,
    }
    impl Visitor for Ctes<'_> {
        type Break = ();
        fn pre_visit_query(&mut self, query: &sqlparser::ast::Query) -> ControlFlow<()> {
            if let Some(with) = &query.with {
                for cte in &with.cte_tables {
                    self.out.insert(self.dialect.fold(&cte.alias.name));
                }
            }
            ControlFlow::Continue(())
        }
    }
    let _ = query.visit(&mut Ctes { out, dialect });
}

/// The table comment of a `CREATE TABLE` (MySQL's `COMMENT [=] '...'`).
fn table_comment(create: &CreateTable) -> Option<String> {
    use sqlparser::ast::{CommentDef, CreateTableOptions, SqlOption};
    let options = match &create.table_options {
        CreateTableOptions::With(o)
        | CreateTableOptions::Options(o)
        | CreateTableOptions::Plain(o)
        | CreateTableOptions::TableProperties(o) => o.as_slice(),
        CreateTableOptions::None => &[],
    };
    options
        .iter()
        .find_map(|o| match o {
            SqlOption::Comment(CommentDef::WithEq(c) | CommentDef::WithoutEq(c)) => Some(c),
            _ => None,
        })
        .or(match &create.comment {
            Some(CommentDef::WithEq(c) | CommentDef::WithoutEq(c)) => Some(c),
            None => None,
        })
        .filter(|c| !c.is_empty())
        .cloned()
}

#[cfg(test)]
mod tests {
    use super::index_definition;
    use sqlparser::ast::Statement;
    use sqlparser::dialect::{GenericDialect, MySqlDialect, PostgreSqlDialect};
    use sqlparser::parser::Parser;

    /// The definition printed part by part is the statement as sqlparser
    /// prints it, less its head up to the table.
    #[test]
    fn index_definition_is_the_printed_statement_after_the_table() {
        let postgres = [
            "CREATE INDEX i ON t (a)",
            "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS i ON s.t USING gin (a, lower(b)) WHERE c > 0",
            "CREATE INDEX ON t (a DESC NULLS LAST, (b + 1))",
            "CREATE INDEX i ON t USING btree (a) INCLUDE (b, c) NULLS NOT DISTINCT WITH (fillfactor = 70)",
            "CREATE UNIQUE INDEX \"I\" ON \"T\" (\"A\") NULLS DISTINCT",
            "CREATE INDEX i ON t (a text_pattern_ops) WHERE deleted_at IS NULL AND b <> 'x'",
        ];
        let mysql = [
            "CREATE INDEX i ON t (a(10), b) USING BTREE",
            "CREATE UNIQUE INDEX i USING HASH ON t (a)",
        ];
        let parsed = postgres
            .iter()
            .map(|sql| (*sql, Parser::parse_sql(&PostgreSqlDialect {}, sql)))
            .chain(
                mysql
                    .iter()
                    .map(|sql| (*sql, Parser::parse_sql(&MySqlDialect {}, sql))),
            )
            .chain(
                postgres
                    .iter()
                    .map(|sql| (*sql, Parser::parse_sql(&GenericDialect {}, sql))),
            );
        let mut checked = 0;
        for (sql, statements) in parsed {
            let Ok(statements) = statements else { continue };
            let Some(Statement::CreateIndex(create)) = statements.first() else {
                panic!("{sql}: not a CREATE INDEX");
            };
            let text = create.to_string();
            let table = format!(" ON {}", create.table_name);
            let at = text.find(&table).expect("the table") + table.len();
            assert_eq!(index_definition(create), text[at..].trim(), "{sql}");
            checked += 1;
        }
        assert!(checked >= 10, "only {checked} statements parsed");
    }
}
