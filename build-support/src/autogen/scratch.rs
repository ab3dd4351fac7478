//! The guard of the scratch database: before the declared schema runs in a
//! database of its own on MySQL or MariaDB (`revision --autogenerate
//! --from-database` reads the server's print of it there), every name it
//! holds is checked. A database-qualified name (`livedb.t`, in a table, a
//! foreign key, a view's query, ...) would make the server write into, or
//! read from, another database than the scratch one: such a statement is
//! refused, with its file, line and the name, before anything runs.

use std::ops::ControlFlow;
use std::path::Path;

use sqlparser::ast::{
    visit_expressions, visit_relations, ColumnOption, CreateTableLikeKind, Expr, ObjectName,
    SchemaName, Statement, TableConstraint,
};

use super::{error, Declared};
use crate::codes::Code;
use crate::diagnostic::{Diagnostic, Label};
use crate::schema::Dialect;

/// The statements of the declared schema (as [`read`](super::read) read
/// it: no file is read again) that must not run in a scratch database of
/// MySQL or MariaDB, each an error naming its file, line and what it names:
/// a name qualified by a database (any database: the scratch one's name is
/// made up, so a qualified name is always another's), a `CREATE SCHEMA` or
/// `CREATE DATABASE` (which makes a database), a MariaDB executable comment
/// (`/*M! ... */`, whose text the server runs and the parser skips), and a
/// statement the parser does not read (its names are not known). Empty
/// when every statement keeps to the database it runs in.
pub fn scratch_refusals(declared: &Declared) -> Vec<Diagnostic> {
    declared
        .texts()
        .flat_map(|(file, text)| refusals_in(file, text))
        .collect()
}

/// [`scratch_refusals`] of one file's text.
fn refusals_in(file: &Path, text: &str) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let at = |line: u32, span: std::ops::Range<usize>, message: String| {
        error(
            Code::SqlSyntax,
            format!(
                "{}:{line}: {message}; the declared schema runs in a scratch database of its own \
                 (`--from-database` on MySQL/MariaDB), so nothing runs: write it unqualified",
                file.display()
            ),
            Some(Label {
                file: file.to_path_buf(),
                span,
                message: "names another database".to_string(),
                primary: true,
            }),
        )
    };
    if let Some((offset, line)) = executable_comment(text) {
        out.push(at(
            line,
            offset..offset + 3,
            "a MariaDB executable comment (`/*M! ... */`) holds SQL the server runs but the \
             schema model does not read, so the databases it names are not known"
                .to_string(),
        ));
    }
    let statements = match crate::split::split_sql(text, Dialect::MySql) {
        Ok(statements) => statements,
        Err(diagnostics) => {
            out.extend(diagnostics.into_iter().map(|mut d| {
                for label in &mut d.labels {
                    label.file = file.to_path_buf();
                }
                d
            }));
            return out;
        }
    };
    for mut statement in statements {
        let line = statement.line;
        let span = statement.span.clone();
        let parsed = crate::parse::parse_statement(file, text, &mut statement, Dialect::MySql);
        let Some(ast) = parsed.ok().and_then(|p| p.ast) else {
            out.push(at(
                line,
                span,
                "the statement is not read by the schema model, so the databases it names are \
                 not known"
                    .to_string(),
            ));
            continue;
        };
        if let Some(named) = other_database(&ast) {
            out.push(at(line, span, named));
        }
    }
    out
}

/// The byte offset and line of the first MariaDB executable comment
/// (`/*M!`) outside string literals and quoted names, if any. (MySQL's
/// `/*! ... */` is read by the parser as the SQL it holds, so its names are
/// checked with the statement's.)
fn executable_comment(text: &str) -> Option<(usize, u32)> {
    let dialect = sqlparser::dialect::MySqlDialect {};
    let tokens = sqlparser::tokenizer::Tokenizer::new(&dialect, text)
        .tokenize_with_location()
        .ok()?;
    tokens.iter().find_map(|t| match &t.token {
        sqlparser::tokenizer::Token::Whitespace(
            sqlparser::tokenizer::Whitespace::MultiLineComment(comment),
        ) if comment.starts_with("M!") => {
            let line = t.span.start.line;
            let start: usize = text
                .split_inclusive('\n')
                .take(line.saturating_sub(1) as usize)
                .map(str::len)
                .sum();
            let column = t.span.start.column.saturating_sub(1) as usize;
            let offset = start
                + text[start..]
                    .char_indices()
                    .nth(column)
                    .map_or(0, |(i, _)| i);
            Some((offset, line as u32))
        }
        _ => None,
    })
}

/// What in `statement` names a database, said for the error: the first
/// qualified name of a relation (a table made, read or referenced, a view,
/// a sequence, a routine), a call of another database's function, a
/// `db.table.column` reference, or the database a `CREATE SCHEMA` makes.
fn other_database(statement: &Statement) -> Option<String> {
    let qualified = |name: &ObjectName| name.0.len() > 1;
    let named = |name: &ObjectName| {
        let database = name.0.first().map(|p| p.to_string()).unwrap_or_default();
        format!("`{name}` names the database {database}")
    };
    if let Statement::CreateSchema { schema_name, .. } = statement {
        let name = match schema_name {
            SchemaName::Simple(n) | SchemaName::NamedAuthorization(n, _) => n.to_string(),
            SchemaName::UnnamedAuthorization(i) => i.to_string(),
        };
        return Some(format!("`CREATE SCHEMA {name}` makes the database {name}"));
    }
    let mut own: Vec<&ObjectName> = Vec::new();
    match statement {
        Statement::CreateTable(create) => {
            own.push(&create.name);
            if let Some(clone) = &create.clone {
                own.push(clone);
            }
            match &create.like {
                Some(CreateTableLikeKind::Parenthesized(like))
                | Some(CreateTableLikeKind::Plain(like)) => own.push(&like.name),
                None => {}
            }
            for constraint in &create.constraints {
                if let TableConstraint::ForeignKey(fk) = constraint {
                    own.push(&fk.foreign_table);
                }
            }
            for column in &create.columns {
                for option in &column.options {
                    if let ColumnOption::ForeignKey(fk) = &option.option {
                        own.push(&fk.foreign_table);
                    }
                }
            }
        }
        Statement::CreateIndex(create) => {
            own.push(&create.table_name);
            if let Some(name) = &create.name {
                own.push(name);
            }
        }
        Statement::CreateView(create) => own.push(&create.name),
        Statement::CreateSequence { name, .. } => own.push(name),
        Statement::CreateFunction(create) => own.push(&create.name),
        Statement::CreateProcedure { name, .. } => own.push(name),
        _ => {}
    }
    if let Some(name) = own.into_iter().find(|n| qualified(n)) {
        return Some(named(name));
    }
    let mut found = None;
    let _ = visit_relations(statement, |name| {
        if qualified(name) {
            found = Some(named(name));
            return ControlFlow::Break(());
        }
        ControlFlow::Continue(())
    });
    if found.is_some() {
        return found;
    }
    let _ = visit_expressions(statement, |expr| {
        match expr {
            Expr::Function(f) if qualified(&f.name) => {
                found = Some(format!(
                    "`{}` calls a function of the database {}",
                    f.name,
                    f.name.0.first().map(|p| p.to_string()).unwrap_or_default()
                ));
            }
            Expr::CompoundIdentifier(parts) if parts.len() > 2 => {
                let text: Vec<String> = parts.iter().map(|p| p.to_string()).collect();
                found = Some(format!(
                    "`{}` names the database {}",
                    text.join("."),
                    text[0]
                ));
            }
            _ => return ControlFlow::Continue(()),
        }
        ControlFlow::Break(())
    });
    found
}
