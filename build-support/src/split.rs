//! Sections and statements, found on sqlparser's tokenizer.
//!
//! The body of a file (everything after the header) is tokenized **once**
//! with the configured dialect. Section markers are `--` comment tokens:
//!
//! ```sql
//! -- migrate:upgrade
//! -- migrate:upgrade transaction:false
//! -- migrate:downgrade
//! ```
//!
//! so a marker inside a dollar-quoted body or a block comment is not one.
//! Statements end at a top-level `;`: strings, quoted identifiers, dollar
//! quotes and comments are single tokens, so a `;` inside them never
//! splits. A `;` inside parentheses does not split either (PostgreSQL's
//! `CREATE RULE ... DO (a; b)`), nor one inside the `BEGIN ... END` body
//! of a `CREATE TRIGGER`, `FUNCTION` or `PROCEDURE` (SQLite triggers,
//! `BEGIN ATOMIC` bodies, MySQL routines). MySQL's client-side `DELIMITER`
//! command is not SQL and is rejected with advice.
//!
//! Each statement keeps its exact byte range (the text is never re-printed),
//! its line and column, the comments before it, and its tokens, which the
//! parser consumes without tokenizing again. The checksum is fed on the way.
//!
//! Memory: the body is tokenized in chunks of about `CHUNK` bytes, cut at a
//! token boundary (mid-line if need be, see `last_cut`; a chunk with no
//! such boundary is retried twice as long), and `split_file_with` hands
//! each statement's tokens to its sink every `FLUSH` tokens and the
//! statement itself as soon as it ends, so the caller can parse it on the
//! way and drop its tokens. A token takes 88 bytes against a few bytes of
//! SQL: holding a 50 MB file's tokens at once took gigabytes.

use std::ops::Range;
use std::path::Path;

use sqlparser::tokenizer::{Location, Token, TokenWithSpan, Tokenizer, Whitespace};

use crate::checksum::ChecksumBuilder;
use crate::codes::Code;
use crate::config::Dialect;
use crate::directive::{directive_of, Directive, DIRECTIVES_HELP};
use crate::header::error_at;
use crate::Diagnostic;

pub use crate::directive::SectionKind;

/// A section of a file with its statements.
#[derive(Debug, Clone)]
pub struct Section {
    /// Upgrade or downgrade.
    pub kind: SectionKind,
    /// False for `transaction:false`.
    pub transactional: bool,
    /// Byte range of the marker comment.
    pub marker: Range<usize>,
    /// 1-based line of the marker.
    pub line: u32,
    /// The statements in order.
    pub statements: Vec<Statement>,
}

/// The size of the text tokenized at once (see the module docs).
pub(crate) const CHUNK: usize = 64 << 10;

/// How many tokens a statement collects before [`split_file_with`] offers
/// them to its sink ([`StatementSink::tokens`]).
pub(crate) const FLUSH: usize = 1024;

/// What [`split_file_with`] hands the statements to while it reads them.
pub(crate) trait StatementSink {
    /// The statement being collected holds [`FLUSH`] tokens or more: the
    /// sink may take them (the splitter goes on adding the next ones), so
    /// that a long statement's tokens are not all held at once.
    fn tokens(&mut self, statement: &mut Statement, section: &Section);
    /// The statement has ended: the sink keeps it (it is not added to its
    /// section's `statements`). `section` is the index of its section in
    /// [`Split::sections`].
    fn end(&mut self, statement: Statement, section: &Section, index: usize);
}

/// One statement as found by the splitter.
#[derive(Debug, Clone)]
pub struct Statement {
    /// Byte range of the text, from the first token to the end of the last
    /// one (no `;`, no surrounding whitespace).
    pub span: Range<usize>,
    /// 1-based line of the first token.
    pub line: u32,
    /// 1-based column (in characters) of the first token.
    pub column: u32,
    /// Byte ranges of the comments between the previous statement (or the
    /// marker) and this one.
    pub leading_comments: Vec<Range<usize>>,
    /// The reason given by `-- migrate:unchecked -- <reason>`, if marked.
    pub unchecked: Option<String>,
    /// The tokens (without whitespace and comments, which the parser would
    /// skip, and without the final `;`), with absolute lines and columns.
    pub tokens: Vec<TokenWithSpan>,
}

/// The result of splitting a file's body.
#[derive(Debug, Clone)]
pub struct Split {
    /// Sections in file order.
    pub sections: Vec<Section>,
    /// The checksum over all sections' tokens (see `crate::checksum`).
    pub checksum: [u8; 32],
    /// Errors found while splitting.
    pub diagnostics: Vec<Diagnostic>,
}

/// Byte offsets from the tokenizer's (line, column) locations.
///
/// Tokens come in order, so a cursor that walks forward makes the
/// conversion linear in the text length overall.
pub(crate) struct Cursor<'a> {
    text: &'a str,
    line_starts: Vec<usize>,
    line: u64,
    column: u64,
    byte: usize,
}

impl<'a> Cursor<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(
            text.bytes()
                .enumerate()
                .filter(|(_, b)| *b == b'\n')
                .map(|(i, _)| i + 1),
        );
        Cursor {
            text,
            line_starts,
            line: 1,
            column: 1,
            byte: 0,
        }
    }

    /// The byte offset of a 1-based (line, column-in-characters) location,
    /// clamped to the text.
    pub(crate) fn byte_of(&mut self, location: Location) -> usize {
        let line = location.line.max(1);
        let column = location.column.max(1);
        if line != self.line || column < self.column {
            let index = usize::try_from(line - 1).unwrap_or(usize::MAX);
            match self.line_starts.get(index) {
                Some(start) => {
                    self.line = line;
                    self.column = 1;
                    self.byte = *start;
                }
                None => return self.text.len(),
            }
        }
        let rest = &self.text[self.byte..];
        let mut chars = rest.char_indices();
        while self.column < column {
            match chars.next() {
                Some((_, '\n')) | None => break,
                Some((_, c)) => {
                    self.byte += c.len_utf8();
                    self.column += 1;
                }
            }
        }
        self.byte
    }

    /// The byte range of a token.
    pub(crate) fn range_of(&mut self, token: &TokenWithSpan) -> Range<usize> {
        let start = self.byte_of(token.span.start);
        let end = self.byte_of(token.span.end).max(start);
        start..end
    }
}

/// Splits the body of a migration file: `text[body_start..]`, where
/// `body_start` is a line start and `body_line` its 1-based line number.
pub fn split_file(
    file: &Path,
    text: &str,
    body_start: usize,
    body_line: u32,
    dialect: Dialect,
) -> Split {
    let mut splitter = Splitter::new(file, text, dialect, true);
    splitter.run(body_start, body_line);
    splitter.finish()
}

/// [`split_file`], handing each statement to `sink` (its tokens as they
/// come, then the statement as soon as it ends) instead of keeping it in
/// its section.
pub(crate) fn split_file_with(
    file: &Path,
    text: &str,
    body_start: usize,
    body_line: u32,
    dialect: Dialect,
    sink: &mut dyn StatementSink,
) -> Split {
    let mut splitter = Splitter::new(file, text, dialect, true);
    splitter.sink = Some(sink);
    splitter.run(body_start, body_line);
    splitter.finish()
}

/// Splits a bare SQL text (no header, no markers: `-- migrate:` comments
/// are plain comments) as one upgrade section. For running other tools'
/// migration files through the same splitter.
pub fn split_sql(text: &str, dialect: Dialect) -> Result<Vec<Statement>, Vec<Diagnostic>> {
    let mut splitter = Splitter::new(Path::new(""), text, dialect, false);
    splitter.open_section(SectionKind::Upgrade, true, 0..0, 1);
    splitter.run(0, 1);
    let split = splitter.finish();
    if split.diagnostics.is_empty() {
        Ok(split
            .sections
            .into_iter()
            .flat_map(|section| section.statements)
            .collect())
    } else {
        Err(split.diagnostics)
    }
}

struct Splitter<'a> {
    file: &'a Path,
    text: &'a str,
    dialect: Dialect,
    directives: bool,
    sections: Vec<Section>,
    diagnostics: Vec<Diagnostic>,
    checksum: ChecksumBuilder,
    /// The statement being collected.
    current: Option<Statement>,
    /// Comments (and a pending `unchecked`) before the next statement.
    pending_comments: Vec<Range<usize>>,
    pending_unchecked: Option<(Option<String>, Range<usize>)>,
    paren_depth: u32,
    block_depth: u32,
    /// Words seen in the current statement (up to a few), to recognise
    /// `CREATE ... TRIGGER|FUNCTION|PROCEDURE`.
    words_seen: u8,
    starts_with_create: bool,
    has_body: bool,
    /// An `END` was seen in a body; whether it closes a block depends on
    /// the next token.
    pending_end: bool,
    /// The next word is the `CASE` of an `END CASE`.
    closing_case: bool,
    /// Reported SQL before the first section once already.
    outside_reported: bool,
    /// Called with each statement as it ends.
    sink: Option<&'a mut dyn StatementSink>,
    /// The text tokenized at once ([`CHUNK`]; small in tests).
    chunk: usize,
}

impl<'a> Splitter<'a> {
    fn new(file: &'a Path, text: &'a str, dialect: Dialect, directives: bool) -> Self {
        Splitter {
            file,
            text,
            dialect,
            directives,
            sections: Vec::new(),
            diagnostics: Vec::new(),
            checksum: ChecksumBuilder::new(),
            current: None,
            pending_comments: Vec::new(),
            pending_unchecked: None,
            paren_depth: 0,
            block_depth: 0,
            words_seen: 0,
            starts_with_create: false,
            has_body: false,
            pending_end: false,
            closing_case: false,
            outside_reported: false,
            sink: None,
            chunk: CHUNK,
        }
    }

    fn run(&mut self, body_start: usize, body_line: u32) {
        let body_start = body_start.min(self.text.len());
        let body = &self.text[body_start..];
        let mut cursor = Cursor::new(self.text);
        // The chunk being tokenized starts at `start` in `body`, at 1-based
        // line `line_offset + 1` of the file and, on that line, after
        // `column_offset` characters (a chunk may start mid-line).
        let mut start: usize = 0;
        let mut line_offset = u64::from(body_line.max(1)) - 1;
        let mut column_offset: u64 = 0;
        let mut size = self.chunk;
        // The last token and the last non-whitespace token before the chunk:
        // the tokenizer reads them to classify the next token.
        let mut context: Vec<TokenWithSpan> = Vec::new();
        let mut buf: Vec<TokenWithSpan> = Vec::new();
        let shift = |mut location: Location, line_offset: u64, column_offset: u64| {
            if location.line == 1 {
                location.column += column_offset;
            }
            location.line += line_offset;
            location
        };
        loop {
            let end = chunk_end(body, start, size);
            let at_end = end == body.len();
            buf.clear();
            buf.extend(context.iter().cloned());
            let skip = buf.len();
            let result = Tokenizer::new(
                crate::config::sqlparser_dialect(self.dialect),
                &body[start..end],
            )
            .tokenize_with_location_into_buf_with_mapper(&mut buf, |mut token| {
                token.span.start = shift(token.span.start, line_offset, column_offset);
                token.span.end = shift(token.span.end, line_offset, column_offset);
                token
            });
            // Cut after a token that the next one follows directly (see
            // [`last_cut`]); the rest is tokenized again with the next chunk.
            // A chunk that does not tokenize (a string or comment runs past
            // its end) is cut before the error all the same.
            let cut = match (&result, at_end) {
                (Ok(()), true) => Some(buf.len()),
                (_, false) => last_cut(&buf[skip..]).map(|cut| skip + cut),
                (Err(_), true) => None,
            };
            if let (Err(err), None) = (&result, cut) {
                if !at_end {
                    size = size.saturating_mul(2);
                    continue;
                }
                let location = shift(err.location, line_offset, column_offset);
                let at = cursor.byte_of(location);
                let end = next_char_end(self.text, at);
                let message = err.message.clone();
                let mut diagnostic = error_at(
                    self.file,
                    Code::SqlSyntax,
                    format!("cannot tokenize the SQL: {message}"),
                    at..end,
                    &message,
                );
                diagnostic.notes.push(format!(
                    "at line {}, column {}",
                    location.line, location.column
                ));
                self.diagnostics.push(diagnostic);
                // The tokens after an unterminated string or comment are not
                // meaningful: stop here rather than report follow-on errors.
                self.sections.clear();
                self.current = None;
                return;
            }
            let Some(cut) = cut else {
                size = size.saturating_mul(2);
                continue;
            };
            buf.truncate(cut);
            let next = buf.last().map(|t| t.span.end);
            context.clear();
            if let Some(i) = buf
                .iter()
                .rposition(|t| !matches!(t.token, Token::Whitespace(_)))
            {
                if i + 1 < buf.len() {
                    context.push(buf[i].clone());
                }
            }
            context.extend(buf.last().cloned());
            let mut stopped = false;
            for token in buf.drain(skip..) {
                if !self.handle(token, &mut cursor) {
                    stopped = true;
                    break;
                }
            }
            if stopped || at_end {
                break;
            }
            // The next chunk starts just after the last token kept.
            let Some(next) = next else {
                break;
            };
            let next_start = cursor.byte_of(next);
            if next_start <= body_start + start {
                break;
            }
            start = (next_start - body_start).min(body.len());
            line_offset = next.line - 1;
            column_offset = next.column - 1;
            size = self.chunk;
            if start >= body.len() {
                break;
            }
        }
        self.resolve_pending_end(&Token::EOF);
        self.end_statement();
    }

    /// Handles one token; false when splitting must stop.
    fn handle(&mut self, token: TokenWithSpan, cursor: &mut Cursor<'_>) -> bool {
        let range = cursor.range_of(&token);
        match &token.token {
            Token::Whitespace(Whitespace::SingleLineComment { comment, prefix }) => {
                let directive = if self.directives && prefix == "--" {
                    directive_of(comment)
                } else {
                    None
                };
                match directive {
                    Some(directive) => self.directive(directive, &token, range),
                    None => self.comment(range),
                }
            }
            Token::Whitespace(Whitespace::MultiLineComment(_)) => self.comment(range),
            Token::Whitespace(_) => {}
            _ => {
                self.resolve_pending_end(&token.token);
                if matches!(token.token, Token::SemiColon)
                    && self.paren_depth == 0
                    && self.block_depth == 0
                {
                    self.end_statement();
                } else if !self.significant(&token, range) {
                    return false;
                } else if let Some(current) = &mut self.current {
                    current.tokens.push(token);
                    if current.tokens.len() >= FLUSH {
                        if let (Some(sink), Some(section)) = (&mut self.sink, self.sections.last())
                        {
                            sink.tokens(current, section);
                        }
                    }
                }
            }
        }
        true
    }

    /// `END IF`, `END LOOP`, ... close blocks that never opened one, so an
    /// `END` only closes a block once the next token is known.
    fn resolve_pending_end(&mut self, next: &Token) {
        if !std::mem::take(&mut self.pending_end) {
            return;
        }
        let qualifier = match next {
            Token::Word(word) if word.quote_style.is_none() => word.value.to_ascii_uppercase(),
            _ => String::new(),
        };
        match qualifier.as_str() {
            "IF" | "LOOP" | "WHILE" | "REPEAT" => {}
            // `END CASE` closes the CASE statement it names; that CASE is
            // not the start of another one.
            "CASE" => {
                self.block_depth = self.block_depth.saturating_sub(1);
                self.closing_case = true;
            }
            _ => self.block_depth = self.block_depth.saturating_sub(1),
        }
    }

    fn finish(mut self) -> Split {
        self.end_statement();
        self.flush_pending();
        Split {
            sections: self.sections,
            checksum: self.checksum.finish(),
            diagnostics: self.diagnostics,
        }
    }

    fn open_section(
        &mut self,
        kind: SectionKind,
        transactional: bool,
        marker: Range<usize>,
        line: u32,
    ) {
        self.checksum
            .section(kind == SectionKind::Upgrade, transactional);
        self.sections.push(Section {
            kind,
            transactional,
            marker,
            line,
            statements: Vec::new(),
        });
    }

    fn comment(&mut self, range: Range<usize>) {
        match &mut self.current {
            Some(_) => {}
            None => {
                let trimmed = self.text[range.clone()].trim_end().len();
                self.pending_comments
                    .push(range.start..range.start + trimmed);
            }
        }
    }

    fn directive(&mut self, directive: Directive, token: &TokenWithSpan, range: Range<usize>) {
        let range = range.start..range.start + self.text[range.clone()].trim_end().len();
        let line = u32::try_from(token.span.start.line).unwrap_or(u32::MAX);
        match directive {
            Directive::Section {
                kind,
                transactional,
            } => {
                self.end_statement();
                self.flush_pending();
                self.open_section(kind, transactional, range, line);
            }
            Directive::Unchecked(reason) => {
                if self.current.is_some() {
                    let mut diagnostic = error_at(
                        self.file,
                        Code::MisplacedDirective,
                        "`-- migrate:unchecked` inside a statement".to_string(),
                        range,
                        "applies to no statement",
                    );
                    diagnostic.help =
                        Some("put it on its own line before the statement".to_string());
                    self.diagnostics.push(diagnostic);
                    return;
                }
                if reason.is_none() {
                    let mut diagnostic = error_at(
                        self.file,
                        Code::UncheckedWithoutReason,
                        "`-- migrate:unchecked` needs a reason".to_string(),
                        range.clone(),
                        "no reason given",
                    );
                    diagnostic.help = Some(
                        "say why no parser here accepts it: `-- migrate:unchecked -- <reason>`"
                            .to_string(),
                    );
                    self.diagnostics.push(diagnostic);
                }
                self.pending_comments.push(range.clone());
                self.pending_unchecked = Some((reason, range));
            }
            Directive::Allow => self.comment(range),
            Directive::Unknown(name) => {
                let mut diagnostic = error_at(
                    self.file,
                    Code::UnknownDirective,
                    format!("unknown directive `migrate:{name}`"),
                    range,
                    "not a directive",
                );
                diagnostic.help = Some(DIRECTIVES_HELP.to_string());
                self.diagnostics.push(diagnostic);
            }
            Directive::BadOption(kind, option) => {
                let mut diagnostic = error_at(
                    self.file,
                    Code::UnknownDirective,
                    format!("unknown section option `{option}`"),
                    range.clone(),
                    "expected `transaction:false`",
                );
                diagnostic.help = Some(format!(
                    "write `-- migrate:{} transaction:false` for statements that cannot run in a transaction",
                    match kind {
                        SectionKind::Upgrade => "upgrade",
                        SectionKind::Downgrade => "downgrade",
                    }
                ));
                self.diagnostics.push(diagnostic);
                // Keep going in a section of that kind, so its statements are
                // still checked and not reported as outside any section.
                self.end_statement();
                self.flush_pending();
                self.open_section(kind, true, range, line);
            }
        }
    }

    /// Handles a token that is not whitespace, a comment or a splitting `;`.
    /// Returns false when splitting must stop.
    fn significant(&mut self, token: &TokenWithSpan, range: Range<usize>) -> bool {
        if self.sections.is_empty() {
            if !self.outside_reported {
                self.outside_reported = true;
                let mut diagnostic = error_at(
                    self.file,
                    Code::SqlOutsideSection,
                    "SQL before the first `-- migrate:upgrade` section".to_string(),
                    range.start..line_end(self.text, range.start),
                    "outside any section",
                );
                diagnostic.help = Some(
                    "put `-- migrate:upgrade` on the line before the first statement".to_string(),
                );
                self.diagnostics.push(diagnostic);
            }
            return true;
        }
        if self.current.is_none() {
            if let Token::Word(word) = &token.token {
                if word.quote_style.is_none() && word.value.eq_ignore_ascii_case("DELIMITER") {
                    let mut diagnostic = error_at(
                        self.file,
                        Code::MysqlDelimiter,
                        "MySQL's `DELIMITER` command is not supported".to_string(),
                        range.start..line_end(self.text, range.start),
                        "a command of the mysql client, not SQL",
                    );
                    diagnostic.help = Some(
                        "remove the DELIMITER lines and end each statement with `;`: the `;` inside a trigger's or routine's BEGIN ... END body does not end the statement"
                            .to_string(),
                    );
                    self.diagnostics.push(diagnostic);
                    return false;
                }
            }
            let (unchecked, _) = self.pending_unchecked.take().unwrap_or((None, 0..0));
            self.current = Some(Statement {
                span: range.clone(),
                line: u32::try_from(token.span.start.line).unwrap_or(u32::MAX),
                column: u32::try_from(token.span.start.column).unwrap_or(u32::MAX),
                leading_comments: std::mem::take(&mut self.pending_comments),
                unchecked,
                tokens: Vec::new(),
            });
            self.words_seen = 0;
            self.starts_with_create = false;
            self.has_body = false;
            self.paren_depth = 0;
            self.block_depth = 0;
        }
        match &token.token {
            Token::LParen => self.paren_depth += 1,
            Token::RParen => self.paren_depth = self.paren_depth.saturating_sub(1),
            Token::Word(word) if word.quote_style.is_none() => {
                if self.words_seen < 8 {
                    if self.words_seen == 0 {
                        self.starts_with_create = word.value.eq_ignore_ascii_case("CREATE");
                    } else if self.starts_with_create
                        && ["TRIGGER", "FUNCTION", "PROCEDURE"]
                            .iter()
                            .any(|k| word.value.eq_ignore_ascii_case(k))
                    {
                        self.has_body = true;
                    }
                    self.words_seen += 1;
                }
                let closing_case = std::mem::take(&mut self.closing_case);
                if self.has_body {
                    if word.value.eq_ignore_ascii_case("BEGIN")
                        || (word.value.eq_ignore_ascii_case("CASE") && !closing_case)
                    {
                        self.block_depth += 1;
                    } else if word.value.eq_ignore_ascii_case("END") {
                        self.pending_end = true;
                    }
                }
            }
            _ => {}
        }
        self.checksum.token(&self.text[range.clone()]);
        if let Some(current) = &mut self.current {
            current.span.end = range.end;
        }
        true
    }

    fn end_statement(&mut self) {
        if let Some(statement) = self.current.take() {
            self.checksum.end_statement();
            let index = self.sections.len().wrapping_sub(1);
            if let Some(section) = self.sections.last_mut() {
                match &mut self.sink {
                    Some(sink) => sink.end(statement, section, index),
                    None => section.statements.push(statement),
                }
            }
        }
        self.paren_depth = 0;
        self.block_depth = 0;
        self.pending_end = false;
        self.closing_case = false;
    }

    /// Reports an `unchecked` directive that no statement follows.
    fn flush_pending(&mut self) {
        if let Some((_, range)) = self.pending_unchecked.take() {
            let mut diagnostic = error_at(
                self.file,
                Code::MisplacedDirective,
                "`-- migrate:unchecked` is not followed by a statement".to_string(),
                range,
                "applies to no statement",
            );
            diagnostic.help = Some("put it on the line before the statement it marks".to_string());
            self.diagnostics.push(diagnostic);
        }
        self.pending_comments.clear();
    }
}

/// Where a chunk's tokens may be cut: the number of tokens to keep, so that
/// tokenizing the text after them (with the last tokens as context) gives
/// the tokens the whole text gives.
///
/// A cut goes after a space, tab or newline that the next token follows
/// directly (so both were complete: the tokenizer finished each before
/// starting the one after), never inside a `COPY` statement nor just before the
/// word `COPY` (sqlparser's tokenizer reads `COPY ... FROM STDIN` data after
/// the `;`, deciding from the first word after the previous `;`), and not
/// after COPY data cut short by the chunk's end.
fn last_cut(tokens: &[TokenWithSpan]) -> Option<usize> {
    let mut cut = None;
    // Whether the tokenizer's current statement (since the last `;`)
    // starts with `COPY`; `None` before its first token.
    let mut copy: Option<bool> = None;
    for (i, token) in tokens.iter().enumerate() {
        match &token.token {
            Token::CopyData {
                terminated: false, ..
            } => return cut,
            Token::SemiColon => {
                copy = None;
                continue;
            }
            Token::Whitespace(_) => {}
            Token::Word(word) if copy.is_none() => {
                copy = Some(word.keyword == sqlparser::keywords::Keyword::COPY);
            }
            _ => {
                copy.get_or_insert(false);
            }
        }
        if copy == Some(true)
            || !matches!(
                token.token,
                Token::Whitespace(Whitespace::Space | Whitespace::Tab | Whitespace::Newline)
            )
        {
            continue;
        }
        // The next token must be whole too (a token after it), since its
        // word is looked at.
        let (Some(next), true) = (tokens.get(i + 1), i + 2 < tokens.len()) else {
            continue;
        };
        let follows = next.span.start == token.span.end;
        let plain = match &next.token {
            Token::Whitespace(_) | Token::CopyData { .. } => false,
            Token::Word(word) => word.keyword != sqlparser::keywords::Keyword::COPY,
            _ => true,
        };
        if follows && plain {
            cut = Some(i + 1);
        }
    }
    cut
}

/// Where a chunk of about `size` bytes from `start` ends: at the end of a
/// line when one ends soon after, else at a character boundary (the
/// tokens are cut again at a token boundary, see [`last_cut`]).
fn chunk_end(text: &str, start: usize, size: usize) -> usize {
    let at = start.saturating_add(size);
    let line_end = line_end_after(text, at);
    if line_end - start <= size.saturating_add(size / 2) {
        return line_end;
    }
    let mut end = at.min(text.len());
    while !text.is_char_boundary(end) {
        end += 1;
    }
    end.max((start + 1).min(text.len()))
}

/// The end of the line that contains `at` in `text` (just after its `\n`),
/// or the end of the text.
fn line_end_after(text: &str, at: usize) -> usize {
    if at >= text.len() {
        return text.len();
    }
    match text.as_bytes()[at..].iter().position(|b| *b == b'\n') {
        Some(i) => at + i + 1,
        None => text.len(),
    }
}

fn line_end(text: &str, from: usize) -> usize {
    let rest = &text[from..];
    let end = rest.find('\n').unwrap_or(rest.len());
    from + rest[..end].trim_end().len()
}

fn next_char_end(text: &str, at: usize) -> usize {
    text[at..].chars().next().map_or(at, |c| at + c.len_utf8())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Splitting in chunks of a few bytes gives what splitting the whole
    /// body at once gives: strings, dollar quotes, comments and COPY data
    /// that cross a chunk's end, CR and CRLF line endings, errors.
    #[test]
    fn chunks_change_nothing() {
        let body =
            "-- migrate:upgrade\nCREATE TABLE t (x text);\nINSERT INTO t VALUES ('a;\nb;\n');\n\
            /* a;\ncomment; */ SELECT 1;\r\nSELECT 2;\rSELECT 3;\n\
            CREATE FUNCTION f() RETURNS int AS $$\nBEGIN\n  RETURN 1;\nEND;\n$$ LANGUAGE plpgsql;\n\
            COPY t FROM STDIN;\na\nb;\n\\.\nSELECT 4;\n-- migrate:downgrade\nDROP TABLE t;\n";
        let texts = [
            body.to_string(),
            body.repeat(3),
            format!("{body}SELECT 'unterminated;\nstill;\n"),
            // Long lines, cut mid-line; a `copy ... FROM stdin` that is not
            // a COPY statement.
            format!(
                "-- migrate:upgrade\nINSERT INTO t VALUES {}(2, 'ü');\nSELECT 1{} ; SELECT a copy FROM stdin;\nSELECT 5 /* x */;\n{body}",
                "(1, 'a b', 'é\r\n'), ".repeat(20),
                " + 1".repeat(50)
            ),
        ];
        let shape = |split: &Split| {
            let statements: Vec<_> = split
                .sections
                .iter()
                .flat_map(|s| &s.statements)
                .map(|s| {
                    (
                        s.span.clone(),
                        s.line,
                        s.column,
                        s.leading_comments.clone(),
                        s.tokens
                            .iter()
                            .map(|t| (t.token.to_string(), t.span))
                            .collect::<Vec<_>>(),
                    )
                })
                .collect();
            let errors: Vec<_> = split
                .diagnostics
                .iter()
                .map(|d| (d.message.clone(), d.labels[0].span.clone()))
                .collect();
            // A file that does not tokenize has no meaningful checksum.
            let checksum = errors.is_empty().then_some(split.checksum);
            (statements, errors, checksum, split.sections.len())
        };
        for text in &texts {
            for dialect in [Dialect::Postgres, Dialect::Generic, Dialect::MySql] {
                let run = |chunk: usize| {
                    let mut splitter = Splitter::new(Path::new("f.sql"), text, dialect, true);
                    splitter.chunk = chunk;
                    splitter.run(0, 1);
                    shape(&splitter.finish())
                };
                let whole = run(usize::MAX / 2);
                for chunk in [1, 7, 30, 100] {
                    assert_eq!(run(chunk), whole, "chunk {chunk}, {dialect:?}");
                }
            }
        }
    }

    /// One line per section, then one indented line per statement:
    /// `line:column text` and the comments before it; then the errors.
    fn render(text: &str, split: &Split) -> String {
        let mut out = Vec::new();
        for section in &split.sections {
            out.push(format!(
                "{:?}{} @{} {:?}",
                section.kind,
                if section.transactional { "" } else { " notx" },
                section.line,
                &text[section.marker.clone()]
            ));
            for statement in &section.statements {
                let comments: Vec<&str> = statement
                    .leading_comments
                    .iter()
                    .map(|c| &text[c.clone()])
                    .collect();
                out.push(format!(
                    "  {}:{} {:?}{}{}",
                    statement.line,
                    statement.column,
                    &text[statement.span.clone()],
                    if comments.is_empty() {
                        String::new()
                    } else {
                        format!(" comments={comments:?}")
                    },
                    match &statement.unchecked {
                        Some(reason) => format!(" unchecked={reason:?}"),
                        None => String::new(),
                    }
                ));
            }
        }
        for d in &split.diagnostics {
            out.push(format!(
                "{}: {} @{:?}",
                d.code,
                d.message,
                &text[d.labels[0].span.clone()]
            ));
        }
        out.join("\n")
    }

    #[track_caller]
    fn check_dialect(dialect: Dialect, text: &str, expect: &str) {
        let split = split_file(Path::new("m/a.sql"), text, 0, 1, dialect);
        assert_eq!(render(text, &split), expect.trim());
    }

    #[track_caller]
    fn check(text: &str, expect: &str) {
        check_dialect(Dialect::Postgres, text, expect);
    }

    /// The statements of a bare SQL text, one per line.
    #[track_caller]
    fn check_sql(dialect: Dialect, text: &str, expect: &[&str]) {
        let statements = split_sql(text, dialect).expect("splits");
        let texts: Vec<&str> = statements.iter().map(|s| &text[s.span.clone()]).collect();
        assert_eq!(texts, expect);
    }

    #[test]
    fn sections_and_statements() {
        check(
            "-- migrate:upgrade\nCREATE TABLE t (x int);\n  INSERT INTO t VALUES (1) ;\n\n-- migrate:downgrade transaction:false\n-- drop it\nDROP TABLE t\n",
            r#"
Upgrade @1 "-- migrate:upgrade"
  2:1 "CREATE TABLE t (x int)"
  3:3 "INSERT INTO t VALUES (1)"
Downgrade notx @5 "-- migrate:downgrade transaction:false"
  7:1 "DROP TABLE t" comments=["-- drop it"]"#,
        );
    }

    #[test]
    fn quoting_keeps_semicolons() {
        check_sql(
            Dialect::Postgres,
            "SELECT ';' AS a; SELECT $$ ; $$; SELECT $tag$ a; $x$ ; $tag$; SELECT E'\\'; still'; SELECT \"a;b\" FROM t",
            &[
                "SELECT ';' AS a",
                "SELECT $$ ; $$",
                "SELECT $tag$ a; $x$ ; $tag$",
                "SELECT E'\\'; still'",
                "SELECT \"a;b\" FROM t",
            ],
        );
        check_sql(
            Dialect::Postgres,
            "SELECT 1 -- not; here\n; /* nor ; here */ SELECT 2;",
            &["SELECT 1", "SELECT 2"],
        );
        check_sql(
            Dialect::Postgres,
            "CREATE FUNCTION f() RETURNS trigger AS $$\nBEGIN\n  NEW.x := 1;\n  RETURN NEW;\nEND;\n$$ LANGUAGE plpgsql;\nSELECT 1",
            &[
                "CREATE FUNCTION f() RETURNS trigger AS $$\nBEGIN\n  NEW.x := 1;\n  RETURN NEW;\nEND;\n$$ LANGUAGE plpgsql",
                "SELECT 1",
            ],
        );
    }

    #[test]
    fn bodies_keep_semicolons() {
        check_sql(
            Dialect::Sqlite,
            "CREATE TRIGGER tr AFTER INSERT ON t BEGIN\n  UPDATE t SET x = CASE WHEN 1 THEN 2 END;\n  DELETE FROM u;\nEND;\nSELECT 1;",
            &[
                "CREATE TRIGGER tr AFTER INSERT ON t BEGIN\n  UPDATE t SET x = CASE WHEN 1 THEN 2 END;\n  DELETE FROM u;\nEND",
                "SELECT 1",
            ],
        );
        check_sql(
            Dialect::MySql,
            "CREATE PROCEDURE p() BEGIN CASE x WHEN 1 THEN SELECT 1; ELSE SELECT 2; END CASE; WHILE 0 DO SELECT 3; END WHILE; END; SELECT 4",
            &[
                "CREATE PROCEDURE p() BEGIN CASE x WHEN 1 THEN SELECT 1; ELSE SELECT 2; END CASE; WHILE 0 DO SELECT 3; END WHILE; END",
                "SELECT 4",
            ],
        );
        check_sql(
            Dialect::MySql,
            "CREATE PROCEDURE p() BEGIN IF 1 THEN SELECT 1; END IF; SELECT 2; END; SELECT 3",
            &[
                "CREATE PROCEDURE p() BEGIN IF 1 THEN SELECT 1; END IF; SELECT 2; END",
                "SELECT 3",
            ],
        );
        check_sql(
            Dialect::Postgres,
            "CREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO a VALUES (1); INSERT INTO b VALUES (2)); BEGIN; COMMIT",
            &[
                "CREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO a VALUES (1); INSERT INTO b VALUES (2))",
                "BEGIN",
                "COMMIT",
            ],
        );
    }

    #[test]
    fn crlf_and_unicode_spans() {
        check(
            "-- migrate:upgrade\r\nINSERT INTO t VALUES ('héllo');\r\n  SELECT 'ü'\r\n",
            r#"
Upgrade @1 "-- migrate:upgrade"
  2:1 "INSERT INTO t VALUES ('héllo')"
  3:3 "SELECT 'ü'""#,
        );
    }

    #[test]
    fn directives() {
        check(
            "-- migrate:upgrade\n-- migrate:unchecked -- pg 18 syntax\n-- migrate:allow ban-drop-column\nALTER TABLE t DROP COLUMN x;\n",
            r#"
Upgrade @1 "-- migrate:upgrade"
  4:1 "ALTER TABLE t DROP COLUMN x" comments=["-- migrate:unchecked -- pg 18 syntax", "-- migrate:allow ban-drop-column"] unchecked="pg 18 syntax""#,
        );
        check(
            "-- migrate:upgrade\n-- migrate:unchecked\nSELECT 1;\n-- migrate:unchecked -- why\n",
            r#"
Upgrade @1 "-- migrate:upgrade"
  3:1 "SELECT 1" comments=["-- migrate:unchecked"]
unchecked-without-reason: `-- migrate:unchecked` needs a reason @"-- migrate:unchecked"
misplaced-directive: `-- migrate:unchecked` is not followed by a statement @"-- migrate:unchecked -- why""#,
        );
        check(
            "-- migrate:upgrad\nSELECT 1;\n-- migrate:upgrade transaction:flase\n",
            r#"
Upgrade @3 "-- migrate:upgrade transaction:flase"
unknown-directive: unknown directive `migrate:upgrad` @"-- migrate:upgrad"
sql-outside-section: SQL before the first `-- migrate:upgrade` section @"SELECT 1;"
unknown-directive: unknown section option `transaction:flase` @"-- migrate:upgrade transaction:flase""#,
        );
    }

    #[test]
    fn marker_inside_a_body_is_not_a_marker() {
        check(
            "-- migrate:upgrade\nSELECT $$\n-- migrate:downgrade\n$$;\n/* -- migrate:downgrade */",
            r#"
Upgrade @1 "-- migrate:upgrade"
  2:1 "SELECT $$\n-- migrate:downgrade\n$$""#,
        );
    }

    #[test]
    fn errors() {
        check(
            "-- migrate:upgrade\nSELECT 'unterminated;\n",
            r#"sql-syntax: cannot tokenize the SQL: Unterminated string literal @"'""#,
        );
        check_dialect(
            Dialect::MySql,
            "-- migrate:upgrade\nDELIMITER $$\nCREATE PROCEDURE p() BEGIN SELECT 1; END$$\n",
            r#"
Upgrade @1 "-- migrate:upgrade"
mysql-delimiter: MySQL's `DELIMITER` command is not supported @"DELIMITER $$""#,
        );
    }

    #[test]
    fn body_offset_lines_are_absolute() {
        let text = "-- revision: a\n-- down_revision: none\n\n-- migrate:upgrade\nSELECT\n  1;";
        let split = split_file(Path::new("m/a.sql"), text, 38, 3, Dialect::Generic);
        assert_eq!(
            render(text, &split),
            "Upgrade @4 \"-- migrate:upgrade\"\n  5:1 \"SELECT\\n  1\""
        );
        let tokens = &split.sections[0].statements[0].tokens;
        assert_eq!(tokens.last().map(|t| t.span.start.line), Some(6));
    }

    #[test]
    fn checksum_ignores_comments_and_whitespace() {
        let sum =
            |text: &str| split_file(Path::new("a.sql"), text, 0, 1, Dialect::Postgres).checksum;
        let base =
            sum("-- migrate:upgrade\nCREATE TABLE t (x int);\n-- migrate:downgrade\nDROP TABLE t;");
        assert_eq!(
            base,
            sum("-- migrate:upgrade\n-- a comment\nCREATE  TABLE t\n(x /* c */ int)\n;\n\n-- migrate:downgrade\nDROP TABLE t")
        );
        assert_ne!(base, sum("-- migrate:upgrade\nCREATE TABLE t (x bigint);\n-- migrate:downgrade\nDROP TABLE t;"));
        assert_ne!(base, sum("-- migrate:upgrade transaction:false\nCREATE TABLE t (x int);\n-- migrate:downgrade\nDROP TABLE t;"));
        assert_ne!(base, sum("-- migrate:upgrade\nCREATE TABLE \"T\" (x int);\n-- migrate:downgrade\nDROP TABLE t;"));
        assert_ne!(
            sum("-- migrate:upgrade\nINSERT INTO t VALUES ('a');"),
            sum("-- migrate:upgrade\nINSERT INTO t VALUES ('A');")
        );
    }
}
