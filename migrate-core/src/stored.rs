//! The stored downgrade: the `downgrade_sql` column of the version table,
//! which lets an older binary revert a revision it does not know.
//!
//! The text is JSON of one fixed shape,
//! `{"file":…,"sections":[{"transactional":…,"line":…,"statements":[{"sql":…,"line":…}]}]}`,
//! written compact, with the keys in that order and the escapes serde_json
//! writes (`\"`, `\\`, `\b`, `\t`, `\n`, `\f`, `\r`, other control
//! characters as `\u00xx`; everything else as is), so the rows match byte
//! for byte what earlier versions wrote with serde_json and what they read.
//! Reading takes any JSON text of that shape (any whitespace, key order,
//! escapes, unknown keys ignored), as serde_json's derive did.

use std::borrow::Cow;

use crate::plan::{Section, Statement};

/// A stored downgrade that cannot be read; the message says what and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} at byte {offset}")]
pub struct StoredError {
    message: String,
    offset: usize,
}

/// Encodes a revision's file name and downgrade sections.
pub fn encode_downgrade(file: &str, sections: &[Section]) -> String {
    let mut out = String::with_capacity(64 + file.len());
    out.push_str("{\"file\":");
    push_string(&mut out, file);
    out.push_str(",\"sections\":[");
    for (i, section) in sections.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str("{\"transactional\":");
        out.push_str(if section.transactional {
            "true"
        } else {
            "false"
        });
        out.push_str(",\"line\":");
        out.push_str(&section.line.to_string());
        out.push_str(",\"statements\":[");
        for (j, statement) in section.statements.iter().enumerate() {
            if j > 0 {
                out.push(',');
            }
            out.push_str("{\"sql\":");
            push_string(&mut out, &statement.sql);
            out.push_str(",\"line\":");
            out.push_str(&statement.line.to_string());
            out.push('}');
        }
        out.push_str("]}");
    }
    out.push_str("]}");
    out
}

/// Decodes a stored downgrade into its file name and sections.
pub fn decode_downgrade(text: &str) -> Result<(String, Vec<Section>), StoredError> {
    let mut reader = Reader { text, pos: 0 };
    let value = reader.value(0)?;
    reader.skip_whitespace();
    if reader.pos != text.len() {
        return Err(reader.error("trailing characters"));
    }
    let mut file = None;
    let mut sections = None;
    for (key, value) in object(value, "the stored downgrade")? {
        match key.as_str() {
            "file" => set(&mut file, string(value, "`file`")?, "file")?,
            "sections" => {
                let mut list = Vec::new();
                for item in array(value, "`sections`")? {
                    list.push(section(item)?);
                }
                set(&mut sections, list, "sections")?;
            }
            _ => {}
        }
    }
    Ok((
        file.ok_or_else(|| missing("file"))?,
        sections.ok_or_else(|| missing("sections"))?,
    ))
}

fn section(value: Value) -> Result<Section, StoredError> {
    let (mut transactional, mut line, mut statements) = (None, None, None);
    for (key, value) in object(value, "a section")? {
        match key.as_str() {
            "transactional" => match value {
                Value::Bool(b) => set(&mut transactional, b, "transactional")?,
                _ => return Err(plain("`transactional` is not a boolean")),
            },
            "line" => set(&mut line, number(value, "`line`")?, "line")?,
            "statements" => {
                let mut list = Vec::new();
                for item in array(value, "`statements`")? {
                    list.push(statement(item)?);
                }
                set(&mut statements, list, "statements")?;
            }
            _ => {}
        }
    }
    Ok(Section {
        transactional: transactional.ok_or_else(|| missing("transactional"))?,
        line: line.ok_or_else(|| missing("line"))?,
        statements: Cow::Owned(statements.ok_or_else(|| missing("statements"))?),
    })
}

fn statement(value: Value) -> Result<Statement, StoredError> {
    let (mut sql, mut line) = (None, None);
    for (key, value) in object(value, "a statement")? {
        match key.as_str() {
            "sql" => set(&mut sql, string(value, "`sql`")?, "sql")?,
            "line" => set(&mut line, number(value, "`line`")?, "line")?,
            _ => {}
        }
    }
    Ok(Statement {
        sql: Cow::Owned(sql.ok_or_else(|| missing("sql"))?),
        line: line.ok_or_else(|| missing("line"))?,
    })
}

fn plain(message: &str) -> StoredError {
    StoredError {
        message: message.to_string(),
        offset: 0,
    }
}

fn missing(field: &str) -> StoredError {
    plain(&format!("missing field `{field}`"))
}

fn set<T>(slot: &mut Option<T>, value: T, field: &str) -> Result<(), StoredError> {
    if slot.replace(value).is_some() {
        return Err(plain(&format!("duplicate field `{field}`")));
    }
    Ok(())
}

fn object(value: Value, what: &str) -> Result<Vec<(String, Value)>, StoredError> {
    match value {
        Value::Object(members) => Ok(members),
        _ => Err(plain(&format!("{what} is not an object"))),
    }
}

fn array(value: Value, what: &str) -> Result<Vec<Value>, StoredError> {
    match value {
        Value::Array(items) => Ok(items),
        _ => Err(plain(&format!("{what} is not an array"))),
    }
}

fn string(value: Value, what: &str) -> Result<String, StoredError> {
    match value {
        Value::String(s) => Ok(s),
        _ => Err(plain(&format!("{what} is not a string"))),
    }
}

fn number(value: Value, what: &str) -> Result<u32, StoredError> {
    match value {
        Value::Number(text) => text
            .parse()
            .map_err(|_| plain(&format!("{what} is not a line number: {text}"))),
        _ => Err(plain(&format!("{what} is not a number"))),
    }
}

/// Appends `s` as a JSON string, escaped as serde_json escapes it.
fn push_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            c if c < ' ' => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                let b = c as usize;
                out.push_str("\\u00");
                out.push(char::from(HEX[b >> 4]));
                out.push(char::from(HEX[b & 0xf]));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// A JSON value; numbers are kept as their text.
enum Value {
    Null,
    Bool(bool),
    Number(String),
    String(String),
    Array(Vec<Value>),
    Object(Vec<(String, Value)>),
}

/// Nesting deeper than this is not a stored downgrade (which nests 4 deep).
const MAX_DEPTH: usize = 64;

struct Reader<'a> {
    text: &'a str,
    pos: usize,
}

impl Reader<'_> {
    fn error(&self, message: &str) -> StoredError {
        StoredError {
            message: message.to_string(),
            offset: self.pos,
        }
    }

    fn skip_whitespace(&mut self) {
        let bytes = self.text.as_bytes();
        while matches!(bytes.get(self.pos), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    fn expect(&mut self, byte: u8) -> Result<(), StoredError> {
        self.skip_whitespace();
        if self.peek() == Some(byte) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.error(&format!("expected `{}`", char::from(byte))))
        }
    }

    fn literal(&mut self, word: &str, value: Value) -> Result<Value, StoredError> {
        if self.text[self.pos..].starts_with(word) {
            self.pos += word.len();
            Ok(value)
        } else {
            Err(self.error("expected a value"))
        }
    }

    fn value(&mut self, depth: usize) -> Result<Value, StoredError> {
        if depth > MAX_DEPTH {
            return Err(self.error("nested too deep"));
        }
        self.skip_whitespace();
        match self.peek() {
            Some(b'{') => {
                self.pos += 1;
                let mut members = Vec::new();
                self.skip_whitespace();
                if self.peek() == Some(b'}') {
                    self.pos += 1;
                    return Ok(Value::Object(members));
                }
                loop {
                    self.skip_whitespace();
                    if self.peek() != Some(b'"') {
                        return Err(self.error("expected a key"));
                    }
                    let key = self.string()?;
                    self.expect(b':')?;
                    members.push((key, self.value(depth + 1)?));
                    self.skip_whitespace();
                    match self.peek() {
                        Some(b',') => self.pos += 1,
                        Some(b'}') => {
                            self.pos += 1;
                            return Ok(Value::Object(members));
                        }
                        _ => return Err(self.error("expected `,` or `}`")),
                    }
                }
            }
            Some(b'[') => {
                self.pos += 1;
                let mut items = Vec::new();
                self.skip_whitespace();
                if self.peek() == Some(b']') {
                    self.pos += 1;
                    return Ok(Value::Array(items));
                }
                loop {
                    items.push(self.value(depth + 1)?);
                    self.skip_whitespace();
                    match self.peek() {
                        Some(b',') => self.pos += 1,
                        Some(b']') => {
                            self.pos += 1;
                            return Ok(Value::Array(items));
                        }
                        _ => return Err(self.error("expected `,` or `]`")),
                    }
                }
            }
            Some(b'"') => Ok(Value::String(self.string()?)),
            Some(b't') => self.literal("true", Value::Bool(true)),
            Some(b'f') => self.literal("false", Value::Bool(false)),
            Some(b'n') => self.literal("null", Value::Null),
            Some(b'-' | b'0'..=b'9') => {
                let start = self.pos;
                while matches!(
                    self.peek(),
                    Some(b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9')
                ) {
                    self.pos += 1;
                }
                Ok(Value::Number(self.text[start..self.pos].to_string()))
            }
            _ => Err(self.error("expected a value")),
        }
    }

    /// A string, the reader on its opening quote.
    fn string(&mut self) -> Result<String, StoredError> {
        self.pos += 1;
        let mut out = String::new();
        loop {
            let rest = &self.text[self.pos..];
            let plain = rest
                .find(|c: char| c == '"' || c == '\\' || c < ' ')
                .ok_or_else(|| self.error("unterminated string"))?;
            out.push_str(&rest[..plain]);
            self.pos += plain;
            match self.peek() {
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.pos += 1;
                    let escape = self
                        .peek()
                        .ok_or_else(|| self.error("unterminated string"))?;
                    self.pos += 1;
                    match escape {
                        b'"' => out.push('"'),
                        b'\\' => out.push('\\'),
                        b'/' => out.push('/'),
                        b'b' => out.push('\u{8}'),
                        b'f' => out.push('\u{c}'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        b'u' => {
                            let first = self.hex4()?;
                            let c = if (0xD800..0xDC00).contains(&first) {
                                if !self.text[self.pos..].starts_with("\\u") {
                                    return Err(self.error("lone surrogate in string"));
                                }
                                self.pos += 2;
                                let second = self.hex4()?;
                                if !(0xDC00..0xE000).contains(&second) {
                                    return Err(self.error("lone surrogate in string"));
                                }
                                0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
                            } else {
                                first
                            };
                            out.push(
                                char::from_u32(c)
                                    .ok_or_else(|| self.error("lone surrogate in string"))?,
                            );
                        }
                        _ => {
                            self.pos -= 1;
                            return Err(self.error("invalid escape"));
                        }
                    }
                }
                _ => return Err(self.error("control character in string")),
            }
        }
    }

    fn hex4(&mut self) -> Result<u32, StoredError> {
        let digits = self
            .text
            .get(self.pos..self.pos + 4)
            .filter(|d| d.bytes().all(|b| b.is_ascii_hexdigit()))
            .ok_or_else(|| self.error("invalid \\u escape"))?;
        self.pos += 4;
        u32::from_str_radix(digits, 16).map_err(|_| self.error("invalid \\u escape"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The layout earlier versions stored with serde_json's derive.
    #[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
    struct OldDowngrade {
        file: String,
        sections: Vec<OldSection>,
    }

    #[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
    struct OldSection {
        transactional: bool,
        line: u32,
        statements: Vec<OldStatement>,
    }

    #[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
    struct OldStatement {
        sql: String,
        line: u32,
    }

    fn old(file: &str, sections: &[Section]) -> OldDowngrade {
        OldDowngrade {
            file: file.to_string(),
            sections: sections
                .iter()
                .map(|s| OldSection {
                    transactional: s.transactional,
                    line: s.line,
                    statements: s
                        .statements
                        .iter()
                        .map(|st| OldStatement {
                            sql: st.sql.to_string(),
                            line: st.line,
                        })
                        .collect(),
                })
                .collect(),
        }
    }

    fn sections() -> impl Strategy<Value = Vec<Section>> {
        let statement = (any::<String>(), any::<u32>()).prop_map(|(sql, line)| Statement {
            sql: Cow::Owned(sql),
            line,
        });
        let section = (
            any::<bool>(),
            any::<u32>(),
            proptest::collection::vec(statement, 0..4),
        )
            .prop_map(|(transactional, line, statements)| Section {
                transactional,
                line,
                statements: Cow::Owned(statements),
            });
        proptest::collection::vec(section, 0..4)
    }

    proptest! {
        /// Byte for byte what serde_json wrote, and read back by both.
        #[test]
        fn writes_what_serde_json_wrote(file in any::<String>(), sections in sections()) {
            let ours = encode_downgrade(&file, &sections);
            let theirs = serde_json::to_string(&old(&file, &sections)).unwrap();
            prop_assert_eq!(&ours, &theirs);
            let back: OldDowngrade = serde_json::from_str(&ours).unwrap();
            prop_assert_eq!(back, old(&file, &sections));
            prop_assert_eq!(decode_downgrade(&ours).unwrap(), (file, sections));
        }

        /// Any JSON text serde_json reads as the old layout reads the same.
        #[test]
        fn reads_what_serde_json_reads(file in any::<String>(), sections in sections()) {
            let pretty = serde_json::to_string_pretty(&old(&file, &sections)).unwrap();
            prop_assert_eq!(decode_downgrade(&pretty).unwrap(), (file.clone(), sections.clone()));
            // Every character escaped as `\uXXXX` (surrogate pairs above the BMP).
            let mut escaped = String::new();
            for unit in file.encode_utf16() {
                escaped.push_str(&format!("\\u{unit:04X}"));
            }
            let text = format!("{{ \"sections\" : [], \"extra\": [1, -2.5e3, null, {{\"a\": true}}], \"file\" : \"{escaped}\" }}");
            let theirs: OldDowngrade = serde_json::from_str(&text).unwrap();
            prop_assert_eq!(&theirs.file, &file);
            prop_assert_eq!(decode_downgrade(&text).unwrap(), (file, Vec::new()));
        }
    }

    #[test]
    fn rejects_what_serde_json_rejects() {
        for text in [
            "",
            "{",
            "[]",
            "{\"file\":\"a\"}",
            "{\"sections\":[]}",
            "{\"file\":1,\"sections\":[]}",
            "{\"file\":\"a\",\"sections\":[]} x",
            "{\"file\":\"a\",\"file\":\"b\",\"sections\":[]}",
            "{\"file\":\"a\\q\",\"sections\":[]}",
            "{\"file\":\"\\ud800\",\"sections\":[]}",
            "{\"file\":\"a\",\"sections\":[{\"transactional\":true,\"line\":-1,\"statements\":[]}]}",
            "{\"file\":\"a\",\"sections\":[{\"transactional\":1,\"line\":1,\"statements\":[]}]}",
            "{\"file\":\"a\",\"sections\":[{\"transactional\":true,\"line\":1,\"statements\":[{\"sql\":\"x\"}]}]}",
            "{\"file\":\"a\nb\",\"sections\":[]}",
        ] {
            assert!(
                serde_json::from_str::<OldDowngrade>(text).is_err(),
                "serde_json reads {text:?}"
            );
            assert!(decode_downgrade(text).is_err(), "read {text:?}");
        }
        let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        assert!(decode_downgrade(&deep).is_err());
    }
}
