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
//! parse had succeeded. Before parsing, `DepthBound` estimates from the
//! tokens how deep the tree can get; above `MAX_DEPTH` no tree is built
//! and the statement is accepted as [`CheckedBy::TooDeep`]: applied as
//! written, not analysed, with a `statement-too-deep` warning naming its
//! file and line (the server may well accept it, so refusing it would be a
//! false build error). Nesting that sqlparser itself refuses (its recursion
//! limit, 50 levels of parentheses, subqueries or `CASE`) is treated the
//! same way, after PostgreSQL's parser has had its say where it is built in.
//!
//! Memory. The tree is kept only for the statements the model or a rule
//! reads (`keeps_tree`); a data statement (`INSERT`, `UPDATE`, `DELETE`,
//! ...) is checked and its tree dropped at once, so a file of a million
//! `INSERT`s does not hold a million trees.

use std::ops::Range;
use std::path::Path;

use sqlparser::keywords::Keyword;
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::{Location, Token, TokenWithSpan, Tokenizer};

use crate::codes::Code;
use crate::config::Dialect;
use crate::header::error_at;
use crate::split::{Cursor, Statement};
use crate::{CheckedBy, Diagnostic, Label};

/// True when this build can fall back on PostgreSQL's parser.
pub const PG_QUERY_ENABLED: bool = cfg!(feature = "pg-query");

/// The deepest syntax tree the compiler builds, as estimated by
/// [`DepthBound`]. A deeper statement is [`CheckedBy::TooDeep`].
///
/// Walking a tree of this depth takes well under a megabyte of stack in a
/// debug build (the proc macro runs unoptimised inside rustc); cloning one,
/// the costliest walk, overflowed 8 MiB between 1,000 and 2,000 levels.
pub(crate) const MAX_DEPTH: usize = 1_000;

/// The stack of the threads that compile (sqlparser recurses per level of
/// nesting: 4,000 levels of `(SELECT ...)` fit in it in a debug build).
pub(crate) const PARSE_STACK: usize = 64 << 20;

/// sqlparser's recursion limit. A statement within [`MAX_DEPTH`] never
/// reaches it (a level of the bound is at most a few recursions), so a
/// deep statement is never refused with a misleading syntax error.
const RECURSION_LIMIT: usize = 4 * MAX_DEPTH;

/// What the parsers made of one statement.
#[derive(Debug, Clone)]
pub(crate) struct Parsed {
    /// The tree, when sqlparser accepted it and [`keeps_tree`] says so.
    pub ast: Option<Box<sqlparser::ast::Statement>>,
    /// Who accepted it.
    pub checked_by: CheckedBy,
}

/// Parses one statement, consuming its tokens. `text` is the whole file.
pub(crate) fn parse_statement(
    file: &Path,
    text: &str,
    statement: &mut Statement,
    dialect: Dialect,
) -> Result<Parsed, Diagnostic> {
    let mut parse = Incremental::new(statement, dialect);
    parse.extend(std::mem::take(&mut statement.tokens));
    parse.finish(file, text, statement)
}

/// The tokens of rows an `INSERT ... VALUES` holds before they are checked
/// on their own, and the size of a batch of list items checked on their own
/// (see [`Incremental`]).
const BATCH: usize = 4096;

/// The tokens a list (a group or a `CASE`) keeps before its later items
/// are set aside (see [`Incremental`]).
const BUDGET: usize = 4096;

/// One statement parsed as its tokens arrive from the splitter, so that a
/// long statement's tokens (88 bytes each) and tree are never all held at
/// once.
///
/// - The depth bound ([`DepthBound`]) is counted on the way; past
///   [`MAX_DEPTH`] the tokens are dropped (the statement is `TooDeep`).
/// - An `INSERT` (or `REPLACE`) whose `VALUES` list is longer than
///   `BATCH` tokens is checked in pieces: the tokens up to `VALUES`, then
///   each run of whole rows `( ... )` or `ROW( ... )`, parsed as a statement
///   of its own and dropped; the last run with whatever follows the rows
///   (`ON CONFLICT ...`, `RETURNING ...`). The rows of a `VALUES` list are
///   independent in the grammar, so the pieces parse exactly when the whole
///   does; the tree of an `INSERT` is not kept anyway ([`keeps_tree`]).
/// - In any statement, a long list: the items of a group (`( ... )`,
///   `[ ... ]`: an `IN` list, an `ARRAY[...]`, a `CREATE TABLE`'s columns,
///   a function's arguments, the rows of a `VALUES` in a subquery) or the
///   `WHEN ... THEN ...` arms of a `CASE`. Once a list holds [`BUDGET`]
///   tokens, its later items are set aside (only where they are in the
///   file is kept), except the last one, which is kept with what follows.
///   The statement is parsed as kept (the *skeleton*), then, for each batch
///   of about `BATCH` tokens of items set aside, the skeleton with the
///   batch put back in its place, tokenized again from the file. Items of
///   a list are parsed one after another by the same rule, so each piece
///   checks its items in their real context, after the real first items
///   and before the real last one. An item with a clause keyword at the
///   list's level (`FROM`, `WHERE`, `ORDER`, ...: a subquery's `SELECT a,
///   b FROM t, u` holds two lists) ends the list: the items after it start
///   a new one. If the skeleton or a piece does not parse, the statement is
///   tokenized and parsed again whole, so an error is always the whole
///   statement's (no false error). Statements with a `BEGIN ... END` body
///   (`CREATE TRIGGER|FUNCTION|PROCEDURE`) are always parsed whole.
/// - A statement checked in pieces keeps no tree; when it is one the model
///   would read (a `CREATE TABLE`, a view), it is [`CheckedBy::TooLarge`]:
///   applied as written, its effects unknown to the model.
pub(crate) struct Incremental {
    dialect: Dialect,
    depth: DepthBound,
    /// Marked unchecked: nothing is kept.
    unchecked: bool,
    /// Deeper than [`MAX_DEPTH`]: nothing is kept.
    too_deep: bool,
    /// The first error of a piece checked on its own: nothing more is kept.
    error: Option<SqlparserError>,
    /// The tokens kept (for an `INSERT ... VALUES`, the head up to
    /// `VALUES`, then the rows not checked yet).
    tokens: Vec<TokenWithSpan>,
    rows: Rows,
    /// The open groups and `CASE`s, innermost last.
    frames: Vec<Frame>,
    /// Batches of list items set aside, checked at the end.
    aside: Vec<Aside>,
    /// Words seen (up to 8), to recognise a statement with a body.
    words: u8,
    starts_with_create: bool,
    /// A `CREATE TRIGGER|FUNCTION|PROCEDURE`: parsed whole.
    has_body: bool,
    /// Pieces checked on their own.
    pieces: usize,
}

/// A group or a `CASE` whose items [`Incremental`] may set aside.
#[derive(Debug, Clone)]
struct Frame {
    /// `CASE ... END` (items start at `WHEN`) or a group (items after `,`).
    case: bool,
    /// Where the list's kept tokens start, to weigh them against [`BUDGET`].
    start: usize,
    /// Where the current item starts in the kept tokens (its separator).
    item_start: usize,
    /// Where the current item starts in the file.
    item_from: Location,
    /// The end of the last token of the current item.
    item_to: Location,
    /// Tokens of the current item.
    item_tokens: usize,
    /// The current item is not the list's first.
    later_item: bool,
    /// The current item has a clause keyword at the list's level.
    clause: bool,
    /// Setting items aside: where they go back in the kept tokens.
    aside_at: Option<usize>,
    /// The batch being collected: from, to, tokens.
    batch: Option<(Location, Location, usize)>,
}

/// A batch of items set aside: they go back at `at` of the kept tokens;
/// `depth` is the depth of their list in the frames.
#[derive(Debug, Clone)]
struct Aside {
    at: usize,
    depth: usize,
    from: Location,
    to: Location,
}

/// Words that start a clause of a query or a statement: an item holding one
/// at its list's level ends the list.
const CLAUSE_KEYWORDS: &[Keyword] = &[
    Keyword::SELECT,
    Keyword::FROM,
    Keyword::WHERE,
    Keyword::GROUP,
    Keyword::HAVING,
    Keyword::ORDER,
    Keyword::PARTITION,
    Keyword::LIMIT,
    Keyword::OFFSET,
    Keyword::FETCH,
    Keyword::UNION,
    Keyword::EXCEPT,
    Keyword::INTERSECT,
    Keyword::WINDOW,
    Keyword::QUALIFY,
    Keyword::RETURNING,
    Keyword::JOIN,
    Keyword::INTO,
    Keyword::VALUES,
    Keyword::WITH,
    Keyword::TABLE,
    Keyword::SET,
    Keyword::FOR,
    Keyword::INSERT,
    Keyword::UPDATE,
    Keyword::DELETE,
    Keyword::MERGE,
    Keyword::BEGIN,
];

/// Where an [`Incremental`] is in an `INSERT ... VALUES` statement.
#[derive(Debug, Clone, Copy)]
enum Rows {
    /// Before the first token.
    Start,
    /// In an `INSERT`, looking for `VALUES` outside parentheses.
    Seeking { depth: u32 },
    /// Where a row may start; `head` tokens (up to `VALUES`) come first.
    RowStart { head: usize },
    /// After `ROW`.
    RowKeyword { head: usize },
    /// Inside a row's parentheses.
    InRow { head: usize, depth: u32 },
    /// After a row.
    AfterRow { head: usize },
    /// Not an `INSERT ... VALUES`, or past its rows.
    Whole,
}

impl Incremental {
    /// Starts the parse of `statement` (its tokens are fed separately).
    pub fn new(statement: &Statement, dialect: Dialect) -> Incremental {
        Incremental {
            dialect,
            depth: DepthBound::default(),
            unchecked: statement.unchecked.is_some(),
            too_deep: false,
            error: None,
            tokens: Vec::new(),
            rows: Rows::Start,
            frames: Vec::new(),
            aside: Vec::new(),
            words: 0,
            starts_with_create: false,
            has_body: false,
            pieces: 0,
        }
    }

    /// Feeds the next tokens.
    pub fn extend(&mut self, tokens: impl IntoIterator<Item = TokenWithSpan>) {
        for token in tokens {
            self.push(token);
        }
    }

    /// Feeds the next token.
    pub fn push(&mut self, token: TokenWithSpan) {
        if self.unchecked || self.too_deep {
            return;
        }
        self.depth.push(&token.token);
        if self.depth.deepest() > MAX_DEPTH {
            self.too_deep = true;
            self.tokens = Vec::new();
            self.aside = Vec::new();
            return;
        }
        if self.error.is_some() {
            return;
        }
        let keyword = match &token.token {
            Token::Word(word) if word.quote_style.is_none() => word.keyword,
            _ => Keyword::NoKeyword,
        };
        if keyword != Keyword::NoKeyword && self.words < 8 {
            if self.words == 0 {
                self.starts_with_create = keyword == Keyword::CREATE;
            } else if self.starts_with_create
                && matches!(
                    keyword,
                    Keyword::TRIGGER | Keyword::FUNCTION | Keyword::PROCEDURE
                )
            {
                self.has_body = true;
            }
            self.words += 1;
        }
        if !self.has_body && matches!(self.rows, Rows::Start | Rows::Seeking { .. } | Rows::Whole) {
            self.list(&token, keyword);
        }
        self.rows = match (self.rows, &token.token) {
            (Rows::Start, _) if matches!(keyword, Keyword::INSERT | Keyword::REPLACE) => {
                Rows::Seeking { depth: 0 }
            }
            (Rows::Start, _) => Rows::Whole,
            (Rows::Seeking { depth: 0 }, _) if keyword == Keyword::VALUES => Rows::RowStart {
                head: self.tokens.len() + 1,
            },
            (Rows::Seeking { depth }, Token::LParen) => Rows::Seeking { depth: depth + 1 },
            (Rows::Seeking { depth }, Token::RParen) => Rows::Seeking {
                depth: depth.saturating_sub(1),
            },
            (Rows::RowStart { head } | Rows::RowKeyword { head }, Token::LParen) => {
                Rows::InRow { head, depth: 1 }
            }
            (Rows::RowStart { head }, _) if keyword == Keyword::ROW => Rows::RowKeyword { head },
            (Rows::InRow { head, depth }, Token::LParen) => Rows::InRow {
                head,
                depth: depth + 1,
            },
            (Rows::InRow { head, depth: 1 }, Token::RParen) => Rows::AfterRow { head },
            (Rows::InRow { head, depth }, Token::RParen) => Rows::InRow {
                head,
                depth: depth - 1,
            },
            (Rows::AfterRow { head }, Token::Comma) => {
                if self.tokens.len() - head >= BATCH {
                    self.check_piece(head);
                    self.rows = Rows::RowStart { head };
                    return;
                }
                Rows::RowStart { head }
            }
            (Rows::RowStart { .. } | Rows::RowKeyword { .. } | Rows::AfterRow { .. }, _) => {
                Rows::Whole
            }
            (rows, _) => rows,
        };
        if let Some(frame) = self.frames.last_mut() {
            frame.item_to = token.span.end;
            frame.item_tokens += 1;
        }
        self.tokens.push(token);
    }

    /// Follows the lists of the statement before `token` is kept: a
    /// separator ends an item (set aside, or kept), a bracket or `CASE`
    /// opens a list, a closing one or `END` closes it.
    fn list(&mut self, token: &TokenWithSpan, keyword: Keyword) {
        let separator = match self.frames.last() {
            Some(frame) if frame.case => keyword == Keyword::WHEN,
            Some(_) => matches!(token.token, Token::Comma),
            None => false,
        };
        if separator {
            self.end_item();
            let at = self.tokens.len();
            if let Some(frame) = self.frames.last_mut() {
                frame.item_start = at;
                frame.item_from = token.span.start;
                frame.item_tokens = 0;
                frame.clause = false;
                // A `CASE`'s first item is its operand: the first arm is a
                // later item.
                frame.later_item = true;
            }
            return;
        }
        if CLAUSE_KEYWORDS.contains(&keyword) {
            if let Some(frame) = self.frames.last_mut() {
                frame.clause = true;
            }
        }
        let closes = match &token.token {
            Token::RParen | Token::RBracket | Token::RBrace => {
                // A `CASE` left open inside the group closes with it.
                while self.frames.last().is_some_and(|f| f.case) {
                    self.close_frame();
                }
                true
            }
            _ => keyword == Keyword::END && self.frames.last().is_some_and(|f| f.case),
        };
        if closes {
            self.close_frame();
            return;
        }
        let opens = match &token.token {
            Token::LParen | Token::LBracket | Token::LBrace => Some(false),
            _ if keyword == Keyword::CASE => Some(true),
            _ => None,
        };
        if let Some(case) = opens {
            let start = self.tokens.len() + 1;
            self.frames.push(Frame {
                case,
                start,
                item_start: start,
                item_from: token.span.end,
                item_to: token.span.end,
                item_tokens: 0,
                later_item: false,
                clause: false,
                aside_at: None,
                batch: None,
            });
        }
    }

    /// The current item of the innermost list has ended.
    fn end_item(&mut self) {
        let depth = self.frames.len();
        let kept = self.tokens.len();
        let Some(frame) = self.frames.last_mut() else {
            return;
        };
        if frame.clause {
            // A new list starts after this item.
            Self::flush(frame, depth, &mut self.aside);
            frame.aside_at = None;
            frame.start = kept;
            return;
        }
        if !frame.later_item {
            return;
        }
        match frame.aside_at {
            Some(_) => {
                let item_start = frame.item_start;
                let (from, tokens) = match frame.batch {
                    Some((from, _, tokens)) => (from, tokens),
                    None => (frame.item_from, 0),
                };
                let tokens = tokens + frame.item_tokens;
                frame.batch = Some((from, frame.item_to, tokens));
                if tokens >= BATCH {
                    Self::flush(frame, depth, &mut self.aside);
                }
                // The item's tokens go, and with them what its own lists set
                // aside (they are in the batch's text).
                self.tokens.truncate(item_start);
                self.aside
                    .retain(|aside| aside.depth <= depth || aside.at < item_start);
            }
            None if kept - frame.start >= BUDGET => frame.aside_at = Some(kept),
            None => {}
        }
    }

    /// Records the batch being collected.
    fn flush(frame: &mut Frame, depth: usize, aside: &mut Vec<Aside>) {
        if let (Some((from, to, _)), Some(at)) = (frame.batch.take(), frame.aside_at) {
            aside.push(Aside {
                at,
                depth,
                from,
                to,
            });
        }
    }

    /// Closes the innermost list: its last item stays.
    fn close_frame(&mut self) {
        let depth = self.frames.len();
        if let Some(mut frame) = self.frames.pop() {
            Self::flush(&mut frame, depth, &mut self.aside);
        }
    }

    /// Parses the head and the rows after it on their own, keeping the head.
    fn check_piece(&mut self, head: usize) {
        let rows = self.tokens.split_off(head);
        let mut piece = Vec::with_capacity(head + rows.len());
        piece.extend(self.tokens.iter().cloned());
        piece.extend(rows);
        self.pieces += 1;
        if let Err(error) = sqlparser_one(piece, self.dialect) {
            self.error = Some(error);
            self.tokens = Vec::new();
        }
    }

    /// The skeleton and each batch set aside, parsed: the skeleton's tree,
    /// or `None` when one of them does not parse.
    fn check_aside(&mut self, text: &str) -> Option<sqlparser::ast::Statement> {
        let dialect = self.dialect;
        let tokens = std::mem::take(&mut self.tokens);
        let skeleton = sqlparser_one(for_sqlparser(tokens.clone()), dialect).ok()?;
        let mut cursor = Cursor::new(text);
        for aside in std::mem::take(&mut self.aside) {
            let from = cursor.byte_of(aside.from);
            let to = cursor.byte_of(aside.to).max(from);
            let batch = tokenize(text.get(from..to)?, dialect)?;
            let at = aside.at.min(tokens.len());
            let mut piece = Vec::with_capacity(tokens.len() + batch.len());
            piece.extend(tokens[..at].iter().cloned());
            piece.extend(batch);
            piece.extend(tokens[at..].iter().cloned());
            self.pieces += 1;
            sqlparser_one(for_sqlparser(piece), dialect).ok()?;
        }
        Some(skeleton)
    }

    /// The verdict on the whole statement. `text` is the whole file.
    pub fn finish(
        mut self,
        file: &Path,
        text: &str,
        statement: &Statement,
    ) -> Result<Parsed, Diagnostic> {
        let dialect = self.dialect;
        if self.unchecked {
            return Ok(Parsed {
                ast: None,
                checked_by: CheckedBy::Unchecked,
            });
        }
        let too_deep = Ok(Parsed {
            ast: None,
            checked_by: CheckedBy::TooDeep,
        });
        if self.too_deep {
            return too_deep;
        }
        while !self.frames.is_empty() {
            self.close_frame();
        }
        let in_pieces = |ast: &sqlparser::ast::Statement| Parsed {
            ast: None,
            checked_by: if keeps_tree(ast) {
                CheckedBy::TooLarge
            } else {
                CheckedBy::Sqlparser
            },
        };
        let sql_error = match self.error.take() {
            Some(error) => error,
            None if !self.aside.is_empty() => {
                if let Some(ast) = self.check_aside(text) {
                    return Ok(in_pieces(&ast));
                }
                // Judged whole, so that an error is the statement's own.
                let tokens = tokenize_at(&text[statement.span.clone()], statement, dialect)
                    .unwrap_or_default();
                match sqlparser_one(for_sqlparser(tokens), dialect) {
                    Ok(ast) => return Ok(in_pieces(&ast)),
                    Err(error) => error,
                }
            }
            None => {
                // sqlparser reads `DROP INDEX CONCURRENTLY` as an index named
                // `concurrently`; the rest of the statement is the plain
                // form's, so it is parsed without that word (the lint rules
                // that care read it from the text).
                let tokens = for_sqlparser(std::mem::take(&mut self.tokens));
                match sqlparser_one(tokens, dialect) {
                    Ok(ast) => {
                        return Ok(Parsed {
                            ast: (self.pieces == 0 && keeps_tree(&ast)).then(|| Box::new(ast)),
                            checked_by: CheckedBy::Sqlparser,
                        })
                    }
                    Err(error) => error,
                }
            }
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
}

/// The tokens of `sql` without whitespace and comments (locations relative
/// to `sql`); `None` when it does not tokenize.
fn tokenize(sql: &str, dialect: Dialect) -> Option<Vec<TokenWithSpan>> {
    let mut tokens = Tokenizer::new(crate::config::sqlparser_dialect(dialect), sql)
        .tokenize_with_location()
        .ok()?;
    tokens.retain(|t| !matches!(t.token, Token::Whitespace(_)));
    Some(tokens)
}

/// The tokens of a statement's text with the locations they have in the
/// file, as the splitter gives them.
fn tokenize_at(sql: &str, statement: &Statement, dialect: Dialect) -> Option<Vec<TokenWithSpan>> {
    let line = u64::from(statement.line.max(1)) - 1;
    let column = u64::from(statement.column.max(1)) - 1;
    let shift = |mut location: Location| {
        if location.line == 1 {
            location.column += column;
        }
        location.line += line;
        location
    };
    let mut tokens = Vec::new();
    Tokenizer::new(crate::config::sqlparser_dialect(dialect), sql)
        .tokenize_with_location_into_buf_with_mapper(&mut tokens, |mut token| {
            token.span.start = shift(token.span.start);
            token.span.end = shift(token.span.end);
            token
        })
        .ok()?;
    tokens.retain(|t| !matches!(t.token, Token::Whitespace(_)));
    Some(tokens)
}
/// A statement's tokens as sqlparser reads them: `DROP INDEX CONCURRENTLY
/// ...` without its `CONCURRENTLY`, and a `PRAGMA`'s value that is a name
/// (`ON`, `OFF`, `WAL`, `NORMAL`) or a signed number (`-2000`) as one
/// literal (sqlparser takes only a number or a string there; SQLite takes
/// either, `pragma-value` in its grammar); any other statement as it is.
fn for_sqlparser(tokens: Vec<TokenWithSpan>) -> Vec<TokenWithSpan> {
    pragma_value_as_literal(without_drop_index_concurrently(tokens))
}

/// `PRAGMA [schema.]name = value` or `PRAGMA [schema.]name(value)` with a
/// value that is a name, as a quoted string of that name, or a signed
/// number, as one number; any other statement as it is.
fn pragma_value_as_literal(mut tokens: Vec<TokenWithSpan>) -> Vec<TokenWithSpan> {
    let words: Vec<usize> = (0..tokens.len())
        .filter(|i| !matches!(tokens[*i].token, Token::Whitespace(_)))
        .collect();
    let is_pragma = words.first().is_some_and(
        |i| matches!(&tokens[*i].token, Token::Word(w) if w.keyword == Keyword::PRAGMA),
    );
    let Some(at) = words
        .iter()
        .position(|i| matches!(tokens[*i].token, Token::Eq | Token::LParen))
        .filter(|_| is_pragma)
    else {
        return tokens;
    };
    let (Some(&value), next) = (words.get(at + 1), words.get(at + 2).copied()) else {
        return tokens;
    };
    match (&tokens[value].token, next.map(|n| &tokens[n].token)) {
        (Token::Minus | Token::Plus, Some(Token::Number(number, long))) => {
            let next = next.unwrap_or(value);
            let sign = if tokens[value].token == Token::Minus {
                "-"
            } else {
                ""
            };
            let merged = Token::Number(format!("{sign}{number}"), *long);
            tokens[value].span.end = tokens[next].span.end;
            tokens[value].token = merged;
            tokens.drain(value + 1..=next);
        }
        (Token::Word(word), _) => {
            tokens[value].token = Token::SingleQuotedString(word.value.clone());
        }
        _ => {}
    }
    tokens
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
#[cfg(test)]
pub(crate) fn depth_bound(tokens: &[TokenWithSpan]) -> usize {
    let mut bound = DepthBound::default();
    for token in tokens {
        bound.push(&token.token);
    }
    bound.deepest()
}

/// The bound `depth_bound` describes (how deep sqlparser's tree can get,
/// estimated from the tokens), counted one token at a time.
#[derive(Debug, Clone)]
pub(crate) struct DepthBound {
    /// Levels counted in the current item of each open group.
    groups: Vec<usize>,
    levels: usize,
    deepest: usize,
}

impl Default for DepthBound {
    fn default() -> Self {
        DepthBound {
            groups: vec![0],
            levels: 0,
            deepest: 0,
        }
    }
}

impl DepthBound {
    /// The bound over the tokens pushed so far.
    pub fn deepest(&self) -> usize {
        self.deepest
    }

    /// Counts the next token.
    pub fn push(&mut self, token: &Token) {
        let groups = &mut self.groups;
        match token {
            Token::LParen | Token::LBracket | Token::LBrace => groups.push(0),
            Token::RParen | Token::RBracket | Token::RBrace => {
                if groups.len() > 1 {
                    self.levels -= groups.pop().unwrap_or(0);
                }
            }
            Token::Comma => {
                if let Some(item) = groups.last_mut() {
                    self.levels -= *item;
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
                    self.levels += 1;
                }
            }
        }
        self.deepest = self.deepest.max(self.levels + groups.len() - 1);
    }
}

/// Whether the compiler keeps the syntax tree of this statement: only the
/// statements the schema model or a lint rule reads. Data statements are
/// checked by the parse and their trees dropped at once.
pub(crate) fn keeps_tree(statement: &sqlparser::ast::Statement) -> bool {
    use sqlparser::ast::Statement as S;
    !matches!(
        statement,
        S::Insert(_) | S::Update(_) | S::Delete(_) | S::Merge(_) | S::Copy { .. }
    )
}

/// Parses tokens that must hold exactly one statement. Call it on a thread
/// with `PARSE_STACK` of stack, on tokens within `MAX_DEPTH`.
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
        Code::SqlSyntax,
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The verdict of the incremental parse (in pieces, as the compiler
    /// runs it) and of sqlparser on the whole statement at once: the
    /// sqlparser message, or `ok`.
    fn verdicts(sql: &str) -> (String, String, usize) {
        let text = format!("-- migrate:upgrade\n{sql};\n");
        let split = crate::split::split_file(Path::new("a.sql"), &text, 0, 1, Dialect::Postgres);
        assert!(split.diagnostics.is_empty(), "{:?}", split.diagnostics);
        let mut statement = split.sections[0].statements[0].clone();
        let whole = match sqlparser_one(statement.tokens.clone(), Dialect::Postgres) {
            Ok(_) => "ok".to_string(),
            Err(error) => error.message,
        };
        let mut parse = Incremental::new(&statement, Dialect::Postgres);
        for token in std::mem::take(&mut statement.tokens) {
            parse.push(token);
        }
        // Pieces checked so far, and batches set aside (checked at the end).
        let pieces = parse.pieces + parse.aside.len();
        let incremental = match parse.finish(Path::new("a.sql"), &text, &statement) {
            Ok(parsed) => {
                assert!(
                    matches!(
                        parsed.checked_by,
                        CheckedBy::Sqlparser | CheckedBy::TooLarge
                    ),
                    "{:?}",
                    parsed.checked_by
                );
                "ok".to_string()
            }
            Err(diagnostic) => diagnostic
                .notes
                .iter()
                .find_map(|n| n.strip_prefix("sqlparser: "))
                .unwrap_or_default()
                .to_string(),
        };
        (incremental, whole, pieces)
    }

    /// An `INSERT` of thousands of rows checked in pieces gets the verdict
    /// of the whole statement: accepted, or the same error at the same place
    /// (in a middle row, in the tail after the rows, in a `ROW(...)` form).
    #[test]
    fn long_insert_in_pieces_is_judged_as_a_whole() {
        let rows = |n: usize, bad: Option<usize>| {
            (0..n)
                .map(|i| {
                    if Some(i) == bad {
                        format!("({i}, 'x' 'y')")
                    } else {
                        format!("({i}, 'v{i}', now())")
                    }
                })
                .collect::<Vec<_>>()
                .join(",\n")
        };
        let cases = [
            format!("INSERT INTO t (a, b, c) VALUES {}", rows(3000, None)),
            format!("INSERT INTO t (a, b, c) VALUES {}", rows(3000, Some(2500))),
            format!("INSERT INTO t (a, b, c) VALUES {}", rows(3000, Some(10))),
            format!(
                "INSERT INTO t (a, b, c) VALUES {} ON CONFLICT (a) DO UPDATE SET b = 1, c = 2 RETURNING a",
                rows(3000, None)
            ),
            format!(
                "INSERT INTO t (a, b, c) VALUES {} ON CONFLICT (a) DO UPDATE SET b = , c = 2",
                rows(3000, None)
            ),
            format!("INSERT INTO t VALUES {}, ", rows(3000, None)),
            format!(
                "INSERT INTO t VALUES {}",
                (0..3000)
                    .map(|i| format!("ROW({i}, 'v')"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ];
        for (index, sql) in cases.iter().enumerate() {
            let (incremental, whole, pieces) = verdicts(sql);
            assert!(pieces > 0, "case {index} was checked in {pieces} pieces");
            assert_eq!(incremental, whole, "case {index}");
        }
        assert_eq!(verdicts(&cases[0]).1, "ok");
        assert_ne!(verdicts(&cases[1]).1, "ok");
    }

    /// A long `IN` list of a data statement, checked in pieces, gets the
    /// verdict of the whole statement.
    #[test]
    fn long_in_list_in_pieces_is_judged_as_a_whole() {
        let items = |n: usize, bad: Option<usize>| {
            (0..n)
                .map(|i| match Some(i) {
                    b if b == bad => "1 +".to_string(),
                    _ if i % 3 == 0 => format!("'v{i}'"),
                    _ if i % 3 == 1 => format!("lower('A{i}')"),
                    _ => format!("(SELECT {i} WHERE 1 IN (1, 2))"),
                })
                .collect::<Vec<_>>()
                .join(", ")
        };
        let cases = [
            format!(
                "DELETE FROM t WHERE id IN ({}) AND x = 1",
                items(5000, None)
            ),
            format!(
                "DELETE FROM t WHERE id IN ({}) AND x = 1",
                items(5000, Some(4000))
            ),
            format!(
                "DELETE FROM t WHERE id IN ({}) AND x = 1",
                items(5000, Some(0))
            ),
            format!(
                "UPDATE t SET a = 1 WHERE id NOT IN ({}) RETURNING a",
                items(5000, None)
            ),
            format!(
                "UPDATE t SET a = 1 WHERE id IN ({}, ) AND",
                items(5000, None)
            ),
            format!(
                "INSERT INTO t SELECT * FROM u WHERE id IN ({}) AND b IN (1, 2)",
                items(5000, None)
            ),
        ];
        for (index, sql) in cases.iter().enumerate() {
            let (incremental, whole, pieces) = verdicts(sql);
            assert!(pieces > 0, "case {index} was checked in {pieces} pieces");
            assert_eq!(
                incremental == "ok",
                whole == "ok",
                "case {index}: {incremental} / {whole}"
            );
        }
        assert_eq!(verdicts(&cases[0]).1, "ok");
        assert_eq!(verdicts(&cases[1]).0, verdicts(&cases[1]).1);
    }

    /// Long lists in any statement (a `CASE`'s arms, an `ARRAY[...]`, a
    /// `CREATE TABLE`'s columns, a subquery's select and `FROM` lists,
    /// nested lists), checked in batches: the verdict is the whole
    /// statement's, accepted or the same error.
    #[test]
    fn long_lists_in_pieces_are_judged_as_a_whole() {
        let list = |n: usize, item: &dyn Fn(usize) -> String, bad: Option<(usize, &str)>| {
            (0..n)
                .map(|i| match bad {
                    Some((at, text)) if at == i => text.to_string(),
                    _ => item(i),
                })
                .collect::<Vec<_>>()
        };
        let arm = |i: usize| format!("WHEN {i} THEN 'v{i}'");
        let number = |i: usize| i.to_string();
        let column = |i: usize| format!("c{i} text NOT NULL DEFAULT 'x'");
        let name = |i: usize| format!("{i} AS c{i}");
        let cases = [
            (
                format!(
                    "UPDATE t SET a = CASE id {} ELSE a END",
                    list(3000, &arm, None).join(" ")
                ),
                true,
            ),
            (
                format!(
                    "UPDATE t SET a = CASE id {} ELSE a END",
                    list(3000, &arm, Some((2000, "WHEN 1 THEN 1 1"))).join(" ")
                ),
                false,
            ),
            (
                format!(
                    "SELECT CASE WHEN a THEN 1 {} END FROM t",
                    list(3000, &arm, None).join(" ")
                ),
                true,
            ),
            (
                format!(
                    "CREATE VIEW v AS SELECT ARRAY[{}] AS a",
                    list(9000, &number, None).join(", ")
                ),
                true,
            ),
            (
                format!(
                    "CREATE VIEW v AS SELECT ARRAY[{}] AS a",
                    list(9000, &number, Some((6000, "1 +"))).join(", ")
                ),
                false,
            ),
            (
                format!(
                    "CREATE TABLE wide ({})",
                    list(3000, &column, None).join(", ")
                ),
                true,
            ),
            (
                format!(
                    "CREATE TABLE wide ({}, PRIMARY KEY (c0)) WITH (fillfactor = 70)",
                    list(3000, &column, None).join(", ")
                ),
                true,
            ),
            (
                format!(
                    "CREATE TABLE wide ({})",
                    list(3000, &column, Some((1500, "c text NOT NOT NULL"))).join(", ")
                ),
                false,
            ),
            (
                format!(
                    "CREATE VIEW v AS SELECT * FROM (SELECT {} FROM t, u WHERE x IN ({})) s",
                    list(3000, &name, None).join(", "),
                    list(9000, &number, None).join(", ")
                ),
                true,
            ),
            // The select list of a subquery is set aside in batches; an item
            // with a second `FROM` ends that list, and the whole is wrong.
            (
                format!(
                    "CREATE VIEW v AS SELECT * FROM (SELECT {} FROM t, {} FROM u) s",
                    list(3000, &name, None).join(", "),
                    list(3000, &name, None).join(", ")
                ),
                false,
            ),
            (
                format!(
                    "SELECT ARRAY[{}]",
                    (0..4)
                        .map(|_| format!("ARRAY[{}]", list(3000, &number, None).join(", ")))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                true,
            ),
            (
                format!(
                    "SELECT f({}) FROM t",
                    list(9000, &number, Some((8999, "1,"))).join(", ")
                ),
                false,
            ),
        ];
        for (index, (sql, valid)) in cases.iter().enumerate() {
            let (incremental, whole, pieces) = verdicts(sql);
            assert!(pieces > 0, "case {index} was checked in {pieces} pieces");
            assert_eq!(whole == "ok", *valid, "case {index}: {whole}");
            assert_eq!(incremental, whole, "case {index}");
        }
    }

    /// A statement the model reads, checked in pieces, keeps no tree and is
    /// `TooLarge` (its effects unknown); a data statement stays `Sqlparser`.
    #[test]
    fn a_statement_checked_in_pieces_keeps_no_tree() {
        let numbers = (0..9000)
            .map(|i| i.to_string())
            .collect::<Vec<_>>()
            .join(", ");
        for (sql, checked_by) in [
            (
                format!("CREATE VIEW v AS SELECT ARRAY[{numbers}] AS a"),
                CheckedBy::TooLarge,
            ),
            (
                format!("DELETE FROM t WHERE id IN ({numbers})"),
                CheckedBy::Sqlparser,
            ),
            ("CREATE TABLE t (id int)".to_string(), CheckedBy::Sqlparser),
        ] {
            let text = format!("-- migrate:upgrade\n{sql};\n");
            let split =
                crate::split::split_file(Path::new("a.sql"), &text, 0, 1, Dialect::Postgres);
            let mut statement = split.sections[0].statements[0].clone();
            let parsed =
                parse_statement(Path::new("a.sql"), &text, &mut statement, Dialect::Postgres)
                    .expect("parses");
            assert_eq!(parsed.checked_by, checked_by, "{}", &sql[..20]);
            assert_eq!(parsed.ast.is_some(), sql.len() < 100);
        }
    }

    /// The depth bound counted token by token is the one over all tokens.
    #[test]
    fn depth_bound_streams() {
        let sql = format!("SELECT {}1{}", "(1 + ".repeat(40), ")".repeat(40));
        let text = format!("-- migrate:upgrade\n{sql};\n");
        let split = crate::split::split_file(Path::new("a.sql"), &text, 0, 1, Dialect::Postgres);
        let tokens = &split.sections[0].statements[0].tokens;
        let mut bound = DepthBound::default();
        let mut most = 0;
        for (i, token) in tokens.iter().enumerate() {
            bound.push(&token.token);
            most = most.max(depth_bound(&tokens[..=i]));
            assert_eq!(bound.deepest(), most);
        }
        assert!(most >= 80);
    }

    /// SQLite's `PRAGMA` takes a name or a signed number as its value
    /// (`foreign_keys = OFF`, `journal_mode(WAL)`, `cache_size = -2000`),
    /// which sqlparser alone refuses; each parses, keeps its tree, and a
    /// value that is neither still fails.
    #[test]
    fn pragma_values_that_are_names_or_signed_numbers_parse() {
        let parse = |sql: &str| {
            let text = format!("-- migrate:upgrade transaction:false\n{sql};\n");
            let split = crate::split::split_file(Path::new("a.sql"), &text, 0, 1, Dialect::Sqlite);
            assert!(split.diagnostics.is_empty(), "{:?}", split.diagnostics);
            let mut statement = split.sections[0].statements[0].clone();
            parse_statement(Path::new("a.sql"), &text, &mut statement, Dialect::Sqlite)
                .map(|parsed| parsed.ast.map(|ast| ast.to_string()))
                .map_err(|d| d.message)
        };
        for (sql, tree) in [
            ("PRAGMA foreign_keys = OFF", "PRAGMA foreign_keys = 'OFF'"),
            ("PRAGMA foreign_keys = on", "PRAGMA foreign_keys = 'on'"),
            (
                "PRAGMA main.journal_mode(WAL)",
                "PRAGMA main.journal_mode('WAL')",
            ),
            (
                "PRAGMA synchronous = NORMAL",
                "PRAGMA synchronous = 'NORMAL'",
            ),
            ("PRAGMA cache_size = -2000", "PRAGMA cache_size = -2000"),
            ("PRAGMA foreign_keys = 0", "PRAGMA foreign_keys = 0"),
            ("PRAGMA foreign_key_check", "PRAGMA foreign_key_check"),
        ] {
            assert_eq!(parse(sql), Ok(Some(tree.to_string())), "{sql}");
        }
        assert!(parse("PRAGMA foreign_keys = (1 + 1)").is_err());
        assert!(parse("PRAGMA foreign_keys = OFF OFF").is_err());
    }
}
