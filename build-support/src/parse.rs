//! Parsing each statement: sqlparser first, PostgreSQL's own parser second.
//!
//! sqlparser parses from the splitter's tokens (no second tokenization).
//! It rejects a small share of valid PostgreSQL (DO blocks, REINDEX, some
//! ALTER SEQUENCE forms, ...): with the `pg-query` feature and the postgres
//! dialect, such a statement is handed to libpg_query, the real PostgreSQL
//! 18 parser, and accepted without a syntax tree. A statement nobody
//! accepts is a build error quoting both parsers, with the two ways
//! through: the feature, or `-- migrate:unchecked -- <reason>`.

use std::ops::Range;
use std::path::Path;

use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::{Location, Token};

use crate::config::Dialect;
use crate::header::error_at;
use crate::split::{Cursor, Statement};
use crate::{CheckedBy, Diagnostic, Label};

/// True when this build can fall back on PostgreSQL's parser.
pub const PG_QUERY_ENABLED: bool = cfg!(feature = "pg-query");

/// What the parsers made of one statement.
#[derive(Debug, Clone)]
pub struct Parsed {
    /// The tree, when sqlparser accepted it.
    pub ast: Option<sqlparser::ast::Statement>,
    /// Who accepted it.
    pub checked_by: CheckedBy,
}

/// Parses one statement, consuming its tokens. `text` is the whole file.
pub fn parse_statement(
    file: &Path,
    text: &str,
    statement: &mut Statement,
    dialect: Dialect,
) -> Result<Parsed, Diagnostic> {
    if statement.unchecked.is_some() {
        statement.tokens = Vec::new();
        return Ok(Parsed {
            ast: None,
            checked_by: CheckedBy::Unchecked,
        });
    }
    let tokens = std::mem::take(&mut statement.tokens);
    let sql_error = match sqlparser_one(tokens, dialect) {
        Ok(ast) => {
            return Ok(Parsed {
                ast: Some(ast),
                checked_by: CheckedBy::Sqlparser,
            })
        }
        Err(error) => error,
    };
    let sql = &text[statement.span.clone()];
    let pg_error = if dialect == Dialect::Postgres {
        match pg_query_check(sql) {
            Some(Ok(())) => {
                return Ok(Parsed {
                    ast: None,
                    checked_by: CheckedBy::PgQuery,
                })
            }
            Some(Err(message)) => Some(message),
            None => None,
        }
    } else {
        None
    };
    Err(syntax_error(
        file,
        text,
        statement,
        dialect,
        &sql_error,
        pg_error.as_deref(),
    ))
}

/// Parses tokens that must hold exactly one statement.
pub fn sqlparser_one(
    tokens: Vec<sqlparser::tokenizer::TokenWithSpan>,
    dialect: Dialect,
) -> Result<sqlparser::ast::Statement, SqlparserError> {
    let mut parser = Parser::new(dialect.sqlparser()).with_tokens_with_locations(tokens);
    let mut statements = parser.parse_statements().map_err(SqlparserError::from)?;
    let at_end = matches!(parser.peek_token_ref().token, Token::EOF);
    if !at_end {
        let next = parser.peek_token();
        return Err(SqlparserError {
            message: format!(
                "Expected: end of statement, found: {}{}",
                next.token, next.span.start
            ),
            location: Some(next.span.start),
        });
    }
    match statements.len() {
        1 => Ok(statements.remove(0)),
        n => Err(SqlparserError {
            message: format!(
                "the splitter found one statement where sqlparser reads {n} (a bug: please report it)"
            ),
            location: None,
        }),
    }
}

/// A sqlparser error with the position it names, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqlparserError {
    /// sqlparser's message, verbatim.
    pub message: String,
    /// Where it points (absolute line and column), parsed from the message.
    pub location: Option<Location>,
}

impl From<ParserError> for SqlparserError {
    fn from(error: ParserError) -> Self {
        let message = match error {
            ParserError::TokenizerError(m) | ParserError::ParserError(m) => m,
            ParserError::RecursionLimitExceeded => "recursion limit exceeded".to_string(),
        };
        let location = location_in(&message);
        SqlparserError { message, location }
    }
}

/// sqlparser's messages end with ` at Line: L, Column: C`.
fn location_in(message: &str) -> Option<Location> {
    let at = message.rfind(" at Line: ")?;
    let rest = &message[at + " at Line: ".len()..];
    let (line, column) = rest.split_once(", Column: ")?;
    let line: u64 = line.trim().parse().ok()?;
    let column: u64 = column.trim().parse().ok()?;
    (line > 0 && column > 0).then_some(Location { line, column })
}

/// `Some(Ok)` when PostgreSQL's parser accepts exactly one statement,
/// `Some(Err(message))` when it rejects it, `None` without the feature.
#[cfg(feature = "pg-query")]
pub fn pg_query_check(sql: &str) -> Option<Result<(), String>> {
    Some(
        match pg_query::parse(sql, pg_query::ParserOptions::DEFAULT) {
            Ok(result) => match result.protobuf.stmts.len() {
                1 => Ok(()),
                n => Err(format!("PostgreSQL reads {n} statements here")),
            },
            Err(pg_query::Error::Parse(message)) => Err(message),
            Err(other) => Err(other.to_string()),
        },
    )
}

/// `Some(Ok)` when PostgreSQL's parser accepts exactly one statement,
/// `Some(Err(message))` when it rejects it, `None` without the feature.
#[cfg(not(feature = "pg-query"))]
pub fn pg_query_check(_sql: &str) -> Option<Result<(), String>> {
    None
}

fn syntax_error(
    file: &Path,
    text: &str,
    statement: &Statement,
    dialect: Dialect,
    sql_error: &SqlparserError,
    pg_error: Option<&str>,
) -> Diagnostic {
    let first_line = statement.span.start
        ..statement.span.start
            + text[statement.span.clone()]
                .find('\n')
                .unwrap_or(statement.span.len());
    let at: Option<Range<usize>> = sql_error.location.map(|location| {
        let start = Cursor::new(text).byte_of(location);
        start..word_end(text, start)
    });
    let (primary, label) = match at.clone() {
        Some(span) if span.start >= statement.span.start && span.start <= statement.span.end => {
            (span, "sqlparser stops here")
        }
        _ => (first_line.clone(), "cannot parse this statement"),
    };
    let mut diagnostic = error_at(
        file,
        "sql-syntax",
        format!(
            "{} SQL syntax error in the statement at line {}, column {}",
            dialect.display_name(),
            statement.line,
            statement.column
        ),
        primary.clone(),
        label,
    );
    let on_first_line = primary.start >= first_line.start && primary.end <= first_line.end;
    if !on_first_line {
        diagnostic.labels.push(Label {
            file: file.to_path_buf(),
            span: first_line,
            message: "in this statement".to_string(),
            primary: false,
        });
    }
    let missing_semicolon = !on_first_line && starts_a_statement(text, primary.clone());
    diagnostic
        .notes
        .push(format!("sqlparser: {}", sql_error.message));
    if let Some(pg_error) = pg_error {
        diagnostic
            .notes
            .push(format!("PostgreSQL 18 (pg_query): {pg_error}"));
    }
    if missing_semicolon {
        diagnostic.notes.push(
            "a new statement seems to start here: is the `;` of the previous one missing?"
                .to_string(),
        );
    }
    diagnostic.help = Some(if dialect == Dialect::Postgres && !PG_QUERY_ENABLED {
        "if PostgreSQL accepts this statement, enable PostgreSQL's own parser with `features = [\"pg-query\"]` on migrate-runtime (building it needs libclang-dev), or put `-- migrate:unchecked -- <reason>` on the line before it (it is then applied but not analysed)".to_string()
    } else {
        format!(
            "if {} accepts this statement, put `-- migrate:unchecked -- <reason>` on the line before it (it is then applied but not analysed)",
            match dialect {
                Dialect::Generic => "your database",
                other => other.display_name(),
            }
        )
    });
    diagnostic
}

/// True when `span` is the first word of its line and a word that starts
/// statements: the classic missing `;`.
fn starts_a_statement(text: &str, span: Range<usize>) -> bool {
    const STARTERS: &[&str] = &[
        "ALTER", "COMMENT", "CREATE", "DELETE", "DO", "DROP", "GRANT", "INSERT", "REVOKE",
        "SELECT", "TRUNCATE", "UPDATE", "WITH",
    ];
    let line_start = text[..span.start].rfind('\n').map_or(0, |at| at + 1);
    text[line_start..span.start].trim().is_empty()
        && STARTERS
            .iter()
            .any(|word| text[span.clone()].eq_ignore_ascii_case(word))
}

/// The end of the identifier-like word starting at `start` (at least one
/// character), so the label underlines the offending token.
fn word_end(text: &str, start: usize) -> usize {
    let rest = &text[start.min(text.len())..];
    let mut end = 0;
    for (i, c) in rest.char_indices() {
        if c.is_alphanumeric() || c == '_' {
            end = i + c.len_utf8();
        } else {
            if i == 0 {
                end = c.len_utf8();
            }
            break;
        }
    }
    start + end
}
