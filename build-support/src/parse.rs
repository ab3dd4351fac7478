//! Parsing each statement: sqlparser first, PostgreSQL's own parser second.
//!
//! sqlparser parses from the splitter's tokens (no second tokenization).
//! It rejects a small share of valid PostgreSQL (DO blocks, REINDEX, some
//! ALTER SEQUENCE forms, ...): with the `pg-query` feature and the postgres
//! dialect, such a statement is handed to libpg_query, the real PostgreSQL
//! 18 parser, and accepted without a syntax tree. A statement nobody
//! accepts is a build error quoting both parsers, with the two ways
//! through: the feature, or `-- migrate:unchecked -- <reason>`.
//!
//! Depth. sqlparser builds a chain of infix operators (`1 + 1 + ...`,
//! `x::int::int...`, `a OR b OR ...`) in a loop, but every later walk of
//! the tree (drop, clone, the lint visitors, `Display`) recurses once per
//! level, so a statement of 100,000 terms overflowed the stack after the
//! parse had succeeded. Before parsing, [`depth_bound`] estimates from the
//! tokens how deep the tree can get; above [`MAX_DEPTH`] no tree is built
//! and the statement is accepted as [`CheckedBy::TooDeep`]: applied as
//! written, not analysed, with a `statement-too-deep` warning naming its
//! file and line (the server may well accept it, so refusing it would be a
//! false build error). Nesting that sqlparser itself refuses (its recursion
//! limit, 50 levels of parentheses, subqueries or `CASE`) is treated the
//! same way, after PostgreSQL's parser has had its say where it is built in.
//!
//! Memory. The tree is kept only for the statements the model or a rule
//! reads ([`keeps_tree`]); a data statement (`INSERT`, `UPDATE`, `DELETE`,
//! ...) is checked and its tree dropped at once, so a file of a million
//! `INSERT`s does not hold a million trees.

use std::ops::Range;
use std::path::Path;

use sqlparser::keywords::Keyword;
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::{Location, Token, TokenWithSpan};

use crate::config::Dialect;
use crate::header::error_at;
use crate::split::{Cursor, Statement};
use crate::{CheckedBy, Diagnostic, Label};

/// True when this build can fall back on PostgreSQL's parser.
pub const PG_QUERY_ENABLED: bool = cfg!(feature = "pg-query");

/// The deepest syntax tree the compiler builds, as estimated by
/// [`depth_bound`]. A deeper statement is [`CheckedBy::TooDeep`].
///
/// Walking a tree of this depth takes well under a megabyte of stack in a
/// debug build (the proc macro runs unoptimised inside rustc); cloning one,
/// the costliest walk, overflowed 8 MiB between 1,000 and 2,000 levels.
pub const MAX_DEPTH: usize = 1_000;

/// The stack of the threads that compile (sqlparser recurses per level of
/// nesting: 4,000 levels of `(SELECT ...)` fit in it in a debug build).
pub const PARSE_STACK: usize = 64 << 20;

/// sqlparser's recursion limit. A statement within [`MAX_DEPTH`] never
/// reaches it (a level of the bound is at most a few recursions), so a
/// deep statement is never refused with a misleading syntax error.
const RECURSION_LIMIT: usize = 4 * MAX_DEPTH;

/// What the parsers made of one statement.
#[derive(Debug, Clone)]
pub struct Parsed {
    /// The tree, when sqlparser accepted it and [`keeps_tree`] says so.
    pub ast: Option<Box<sqlparser::ast::Statement>>,
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
    let too_deep = Ok(Parsed {
        ast: None,
        checked_by: CheckedBy::TooDeep,
    });
    let tokens = std::mem::take(&mut statement.tokens);
    if depth_bound(&tokens) > MAX_DEPTH {
        return too_deep;
    }
    // sqlparser reads `DROP INDEX CONCURRENTLY` as an index named
    // `concurrently`; the rest of the statement is the plain form's, so it is
    // parsed without that word (the lint rules that care read it from the
    // text).
    let tokens = match dialect {
        Dialect::Postgres | Dialect::Generic => without_drop_index_concurrently(tokens),
        _ => tokens,
    };
    let sql_error = match sqlparser_one(tokens, dialect) {
        Ok(ast) => {
            return Ok(Parsed {
                ast: keeps_tree(&ast).then(|| Box::new(ast)),
                checked_by: CheckedBy::Sqlparser,
            })
        }
        Err(error) => error,
    };
    let sql = &text[statement.span.clone()];
    let pg_error = if dialect == Dialect::Postgres {
        match pg_query_check(sql) {
            Some(PgQuery::Accepted) => {
                return Ok(Parsed {
                    ast: None,
                    checked_by: CheckedBy::PgQuery,
                })
            }
            Some(PgQuery::Rejected(message)) => Some(message),
            Some(PgQuery::TooDeep) => return too_deep,
            None => None,
        }
    } else {
        None
    };
    if sql_error.too_deep {
        return too_deep;
    }
    Err(syntax_error(
        file,
        text,
        statement,
        dialect,
        &sql_error,
        pg_error.as_deref(),
    ))
}

/// `DROP INDEX CONCURRENTLY ...` without its `CONCURRENTLY`; any other
/// statement as it is.
fn without_drop_index_concurrently(mut tokens: Vec<TokenWithSpan>) -> Vec<TokenWithSpan> {
    let words: Vec<(usize, Keyword)> = tokens
        .iter()
        .enumerate()
        .filter(|(_, token)| !matches!(token.token, Token::Whitespace(_)))
        .take(3)
        .map(|(position, token)| match &token.token {
            Token::Word(word) => (position, word.keyword),
            _ => (position, Keyword::NoKeyword),
        })
        .collect();
    match words.as_slice() {
        [(_, Keyword::DROP), (_, Keyword::INDEX), (position, Keyword::CONCURRENTLY)] => {
            tokens.remove(*position);
            tokens
        }
        _ => tokens,
    }
}

/// An upper bound, estimated from the tokens alone, of how deep sqlparser's
/// syntax tree for them can be (and so of how deep every walk of it
/// recurses).
///
/// Each parenthesis, bracket or brace opens a group; a comma starts a new
/// item of the current group (list items never nest in each other); any
/// other token that is not an identifier, a literal or a `.` may add a
/// level in the current item (an operator, a cast, a keyword). The bound
/// is the largest sum, along the current chain of groups, of the levels
/// counted in each open item, plus the number of open groups. It counts
/// generously (`a = 1 AND b = 2` counts 3 where the tree has 2 levels), which
/// is the safe side: what it misjudges is only ever analysed less.
pub fn depth_bound(tokens: &[TokenWithSpan]) -> usize {
    // Levels counted in the current item of each open group.
    let mut groups: Vec<usize> = vec![0];
    let mut levels = 0usize;
    let mut deepest = 0usize;
    for token in tokens {
        match &token.token {
            Token::LParen | Token::LBracket | Token::LBrace => groups.push(0),
            Token::RParen | Token::RBracket | Token::RBrace => {
                if groups.len() > 1 {
                    levels -= groups.pop().unwrap_or(0);
                }
            }
            Token::Comma => {
                if let Some(item) = groups.last_mut() {
                    levels -= *item;
                    *item = 0;
                }
            }
            Token::Word(word)
                if word.keyword == Keyword::NoKeyword || word.quote_style.is_some() => {}
            Token::Word(word)
                if matches!(
                    word.keyword,
                    Keyword::WHEN
                        | Keyword::THEN
                        | Keyword::ELSE
                        | Keyword::END
                        | Keyword::AS
                        | Keyword::NULL
                        | Keyword::TRUE
                        | Keyword::FALSE
                        | Keyword::DEFAULT
                ) => {}
            Token::Number(..)
            | Token::SingleQuotedString(_)
            | Token::DoubleQuotedString(_)
            | Token::DollarQuotedString(_)
            | Token::NationalStringLiteral(_)
            | Token::EscapedStringLiteral(_)
            | Token::HexStringLiteral(_)
            | Token::Placeholder(_)
            | Token::Period
            | Token::SemiColon
            | Token::Whitespace(_)
            | Token::EOF => {}
            _ => {
                if let Some(item) = groups.last_mut() {
                    *item += 1;
                    levels += 1;
                }
            }
        }
        deepest = deepest.max(levels + groups.len() - 1);
    }
    deepest
}

/// Whether the compiler keeps the syntax tree of this statement: only the
/// statements the schema model or a lint rule reads. Data statements are
/// checked by the parse and their trees dropped at once.
pub fn keeps_tree(statement: &sqlparser::ast::Statement) -> bool {
    use sqlparser::ast::Statement as S;
    !matches!(
        statement,
        S::Insert(_) | S::Update(_) | S::Delete(_) | S::Merge(_) | S::Copy { .. }
    )
}

/// Parses tokens that must hold exactly one statement. Call it on a thread
/// with [`PARSE_STACK`] of stack, on tokens within [`MAX_DEPTH`].
pub fn sqlparser_one(
    tokens: Vec<sqlparser::tokenizer::TokenWithSpan>,
    dialect: Dialect,
) -> Result<sqlparser::ast::Statement, SqlparserError> {
    let mut parser = Parser::new(crate::config::sqlparser_dialect(dialect))
        .with_recursion_limit(RECURSION_LIMIT)
        .with_tokens_with_locations(tokens);
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
            too_deep: false,
        });
    }
    match statements.len() {
        1 => Ok(statements.remove(0)),
        n => Err(SqlparserError {
            message: format!(
                "the splitter found one statement where sqlparser reads {n} (a bug: please report it)"
            ),
            location: None,
            too_deep: false,
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
    /// The statement nests deeper than sqlparser's recursion limit: it is
    /// not known to be wrong.
    pub too_deep: bool,
}

impl From<ParserError> for SqlparserError {
    fn from(error: ParserError) -> Self {
        let too_deep = matches!(error, ParserError::RecursionLimitExceeded);
        let message = match error {
            ParserError::TokenizerError(m) | ParserError::ParserError(m) => m,
            ParserError::RecursionLimitExceeded => "recursion limit exceeded".to_string(),
        };
        let location = location_in(&message);
        SqlparserError {
            message,
            location,
            too_deep,
        }
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

/// PostgreSQL's parser's verdict on one statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PgQuery {
    /// Exactly one statement, accepted.
    Accepted,
    /// A syntax error, or not exactly one statement.
    Rejected(String),
    /// The parser could not finish (its own stack-depth limit, or a tree
    /// deeper than the reader of its output accepts): not known to be wrong.
    TooDeep,
}

/// PostgreSQL's verdict on `sql`, `None` without the feature.
#[cfg(feature = "pg-query")]
pub fn pg_query_check(sql: &str) -> Option<PgQuery> {
    Some(
        match pg_query::parse(sql, pg_query::ParserOptions::DEFAULT) {
            Ok(result) => match result.protobuf.stmts.len() {
                1 => PgQuery::Accepted,
                n => PgQuery::Rejected(format!("PostgreSQL reads {n} statements here")),
            },
            Err(pg_query::Error::Parse(message)) if message.contains("stack depth limit") => {
                PgQuery::TooDeep
            }
            Err(pg_query::Error::Parse(message)) => PgQuery::Rejected(message),
            // Decoding the tree failed (its recursion limit): the statement
            // parsed.
            Err(_) => PgQuery::TooDeep,
        },
    )
}

/// PostgreSQL's verdict on `sql`, `None` without the feature.
#[cfg(not(feature = "pg-query"))]
pub fn pg_query_check(_sql: &str) -> Option<PgQuery> {
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
