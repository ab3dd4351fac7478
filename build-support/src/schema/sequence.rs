//! A sequence's options (`AS`, `INCREMENT`, `MINVALUE`, `MAXVALUE`,
//! `START`, `CACHE`, `CYCLE`), resolved as the server resolves them: every
//! option a statement leaves out takes the server's default, so a declared
//! sequence and one read from a catalog compare field by field.

use sqlparser::ast::{Expr, UnaryOperator, Value};
use sqlparser::tokenizer::{Token, Tokenizer};

use super::{pg_choose_name, Dialect, Name, Naming};

/// A sequence's options with every default filled in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SequenceOptions {
    /// `bigint`, `integer` or `smallint` (PostgreSQL's `AS`; `bigint` elsewhere).
    pub data_type: String,
    /// `INCREMENT BY`.
    pub increment: i64,
    /// `MINVALUE`.
    pub min_value: i64,
    /// `MAXVALUE`.
    pub max_value: i64,
    /// `START WITH`.
    pub start: i64,
    /// `CACHE`.
    pub cache: i64,
    /// `CYCLE`.
    pub cycle: bool,
}

/// What one `CREATE SEQUENCE` or `ALTER SEQUENCE` says; `None` where it
/// says nothing. `min_value: Some(None)` is `NO MINVALUE`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SequenceChange {
    /// `AS type`, normalised (`bigint`, `integer`, `smallint`).
    pub data_type: Option<String>,
    /// `INCREMENT [BY] n`.
    pub increment: Option<i64>,
    /// `MINVALUE n` / `NO MINVALUE`.
    pub min_value: Option<Option<i64>>,
    /// `MAXVALUE n` / `NO MAXVALUE`.
    pub max_value: Option<Option<i64>>,
    /// `START [WITH] n`.
    pub start: Option<i64>,
    /// `CACHE n`.
    pub cache: Option<i64>,
    /// `[NO] CYCLE`.
    pub cycle: Option<bool>,
}

/// The bounds of a sequence type.
fn bounds(dialect: Dialect, data_type: &str) -> (i64, i64) {
    match (dialect, data_type) {
        (Dialect::MySql, _) => (-9_223_372_036_854_775_807, 9_223_372_036_854_775_806),
        (_, "smallint") => (i16::MIN as i64, i16::MAX as i64),
        (_, "integer") => (i32::MIN as i64, i32::MAX as i64),
        _ => (i64::MIN, i64::MAX),
    }
}

/// The default minimum and maximum of a sequence of `data_type` that
/// counts up (`increment > 0`) or down.
fn default_range(dialect: Dialect, data_type: &str, increment: i64) -> (i64, i64) {
    let (low, high) = bounds(dialect, data_type);
    if increment > 0 {
        (1, high)
    } else {
        (low, -1)
    }
}

/// A sequence type's name as the options keep it, or `None` when it is
/// not one of the integer types.
pub fn sequence_type(text: &str) -> Option<String> {
    match text.trim().to_ascii_lowercase().as_str() {
        "bigint" | "int8" => Some("bigint".to_string()),
        "integer" | "int" | "int4" => Some("integer".to_string()),
        "smallint" | "int2" => Some("smallint".to_string()),
        _ => None,
    }
}

/// The integer type under a serial pseudo-type (`serial` is `integer`,
/// `bigserial` `bigint`, `smallserial` `smallint`, and their `serial4`,
/// `serial8`, `serial2` spellings), `None` for any other type.
pub fn serial_base(declared: &str) -> Option<&'static str> {
    match declared.trim().to_ascii_lowercase().as_str() {
        "serial" | "serial4" => Some("integer"),
        "bigserial" | "serial8" => Some("bigint"),
        "smallserial" | "serial2" => Some("smallint"),
        _ => None,
    }
}

/// The serial pseudo-type whose column `table.column` of `column_type`
/// would make exactly `sequence` with `options`, as PostgreSQL makes it:
/// named `<table>_<column>_seq` (truncated as the server truncates it) in
/// the table's schema, of the column's type, every other option its
/// default. `None` when the sequence is anything else (renamed, of another
/// type, with an option of its own): it must then be written out as a
/// `CREATE SEQUENCE` and an `OWNED BY`.
pub fn serial_for(
    table: &Name,
    column: &str,
    column_type: &str,
    sequence: &Name,
    options: &SequenceOptions,
) -> Option<&'static str> {
    let data_type = sequence_type(column_type)?;
    let plain = SequenceOptions::created(
        Dialect::Postgres,
        &SequenceChange {
            data_type: Some(data_type.clone()),
            ..SequenceChange::default()
        },
    );
    let name = pg_choose_name(&table.name, Some(column), "seq", |_| false);
    if *options != plain || sequence.schema != table.schema || sequence.name != name {
        return None;
    }
    Some(match data_type.as_str() {
        "bigint" => "bigserial",
        "smallint" => "smallserial",
        _ => "serial",
    })
}

/// The sequence a column default reads when the default is exactly
/// `nextval('name')` (with or without the `::regclass` cast the server
/// prints), the name folded as the server reads a `regclass` literal
/// (unquoted parts lower case, the default schema left out); `None` for
/// any other default.
pub fn nextval_sequence(dialect: Dialect, default: &str) -> Option<Name> {
    let pg = sqlparser::dialect::PostgreSqlDialect {};
    let tokens = |text: &str| -> Option<Vec<Token>> {
        let tokens = Tokenizer::new(&pg, text).tokenize().ok()?;
        Some(
            tokens
                .into_iter()
                .filter(|t| !matches!(t, Token::Whitespace(_)))
                .collect(),
        )
    };
    let word = |t: &Token, w: &str| matches!(t, Token::Word(x) if x.quote_style.is_none() && x.value.eq_ignore_ascii_case(w));
    let call = tokens(default)?;
    let literal = match call.as_slice() {
        [f, Token::LParen, Token::SingleQuotedString(s), Token::RParen] if word(f, "nextval") => s,
        [f, Token::LParen, Token::SingleQuotedString(s), Token::DoubleColon, cast, Token::RParen]
            if word(f, "nextval") && word(cast, "regclass") =>
        {
            s
        }
        _ => return None,
    };
    // The literal's text is a name: `seq`, `schema.seq`, `"Seq"`.
    let name = super::names::dotted_name(&tokens(literal)?)?;
    if name.0.len() > 3 {
        return None;
    }
    Some(dialect.object_name(&name))
}

impl SequenceOptions {
    /// The options of `CREATE SEQUENCE` with `change` (the server's defaults
    /// for the rest).
    pub fn created(dialect: Dialect, change: &SequenceChange) -> SequenceOptions {
        let data_type = change
            .data_type
            .clone()
            .unwrap_or_else(|| "bigint".to_string());
        let increment = change.increment.unwrap_or(1);
        let (low, high) = default_range(dialect, &data_type, increment);
        let min_value = change.min_value.flatten().unwrap_or(low);
        let max_value = change.max_value.flatten().unwrap_or(high);
        let start = change
            .start
            .unwrap_or(if increment > 0 { min_value } else { max_value });
        SequenceOptions {
            data_type,
            increment,
            min_value,
            max_value,
            start,
            cache: change
                .cache
                .unwrap_or(if dialect == Dialect::MySql { 1000 } else { 1 }),
            cycle: change.cycle.unwrap_or(false),
        }
    }

    /// These options after `ALTER SEQUENCE` with `change` (PostgreSQL's
    /// rules: a new type moves a bound that was the old type's own bound).
    pub fn altered(&self, dialect: Dialect, change: &SequenceChange) -> SequenceOptions {
        let mut out = self.clone();
        if let Some(data_type) = &change.data_type {
            let (old_low, old_high) = bounds(dialect, &self.data_type);
            let (low, high) = bounds(dialect, data_type);
            if out.max_value == old_high {
                out.max_value = high;
            }
            if out.min_value == old_low {
                out.min_value = low;
            }
            out.data_type = data_type.clone();
        }
        if let Some(increment) = change.increment {
            out.increment = increment;
        }
        let (low, high) = default_range(dialect, &out.data_type, out.increment);
        if let Some(min) = change.min_value {
            out.min_value = min.unwrap_or(low);
        }
        if let Some(max) = change.max_value {
            out.max_value = max.unwrap_or(high);
        }
        if let Some(start) = change.start {
            out.start = start;
        }
        if let Some(cache) = change.cache {
            out.cache = cache;
        }
        if let Some(cycle) = change.cycle {
            out.cycle = cycle;
        }
        out
    }

    /// The clauses of a `CREATE SEQUENCE` that makes these options (those
    /// that differ from the defaults), empty for a plain sequence.
    pub fn create_clauses(&self, dialect: Dialect) -> String {
        let base = SequenceOptions::created(
            dialect,
            &SequenceChange {
                data_type: Some(self.data_type.clone()),
                increment: Some(self.increment),
                ..SequenceChange::default()
            },
        );
        let mut out = Vec::new();
        if self.data_type != "bigint" {
            out.push(format!("AS {}", self.data_type));
        }
        if self.increment != 1 {
            out.push(format!("INCREMENT BY {}", self.increment));
        }
        let rest = base.clauses_to(self);
        if !rest.is_empty() {
            out.push(rest);
        }
        out.join(" ")
    }

    /// [`SequenceOptions::create_clauses`] with the type always stated
    /// (`AS bigint` too): a column's sequence, whose type need not be the
    /// column's.
    pub fn create_clauses_typed(&self, dialect: Dialect) -> String {
        let clauses = self.create_clauses(dialect);
        if clauses.starts_with("AS ") {
            clauses
        } else {
            format!("AS {} {clauses}", self.data_type)
                .trim_end()
                .to_string()
        }
    }

    /// The clauses that turn `self` into `to` (`AS integer INCREMENT BY 2
    /// ...`), empty when they agree.
    pub fn clauses_to(&self, to: &SequenceOptions) -> String {
        let mut out = Vec::new();
        if self.data_type != to.data_type {
            out.push(format!("AS {}", to.data_type));
        }
        if self.increment != to.increment {
            out.push(format!("INCREMENT BY {}", to.increment));
        }
        if self.min_value != to.min_value {
            out.push(format!("MINVALUE {}", to.min_value));
        }
        if self.max_value != to.max_value {
            out.push(format!("MAXVALUE {}", to.max_value));
        }
        if self.start != to.start {
            out.push(format!("START WITH {}", to.start));
        }
        if self.cache != to.cache {
            out.push(format!("CACHE {}", to.cache));
        }
        if self.cycle != to.cycle {
            out.push(if to.cycle { "CYCLE" } else { "NO CYCLE" }.to_string());
        }
        out.join(" ")
    }
}

/// An integer literal (with its sign), or `None` for anything else.
fn integer(expr: &Expr) -> Option<i64> {
    match expr {
        Expr::Value(v) => match &v.value {
            Value::Number(n, _) => n.parse().ok(),
            _ => None,
        },
        Expr::UnaryOp {
            op: UnaryOperator::Minus,
            expr,
        } => integer(expr).and_then(|n| n.checked_neg()),
        Expr::UnaryOp {
            op: UnaryOperator::Plus,
            expr,
        } => integer(expr),
        Expr::Nested(inner) => integer(inner),
        _ => None,
    }
}

/// What `CREATE SEQUENCE`'s options say, or `None` when one of them is not
/// read (a value that is not an integer literal, a type that is not an
/// integer type).
pub fn change_of(options: &[sqlparser::ast::SequenceOptions]) -> Option<SequenceChange> {
    use sqlparser::ast::SequenceOptions as O;
    let mut change = SequenceChange::default();
    for option in options {
        match option {
            O::DataType(data_type) => {
                change.data_type = Some(sequence_type(&data_type.to_string())?)
            }
            O::IncrementBy(expr, _) => change.increment = Some(integer(expr)?),
            O::MinValue(expr) => {
                change.min_value = Some(match expr {
                    Some(expr) => Some(integer(expr)?),
                    None => None,
                })
            }
            O::MaxValue(expr) => {
                change.max_value = Some(match expr {
                    Some(expr) => Some(integer(expr)?),
                    None => None,
                })
            }
            O::StartWith(expr, _) => change.start = Some(integer(expr)?),
            O::Cache(expr) => change.cache = Some(integer(expr)?),
            O::Cycle(no) => change.cycle = Some(!no),
            O::OwnedBy(_) => {}
        }
    }
    Some(change)
}

/// What the words of an `ALTER SEQUENCE` after its name say (lower case,
/// `=` as a word of its own or not at all), `Ok(None)` for none of the
/// options; `Err(())` for a word it does not read (the options are then
/// not known). `OWNED BY`, `RENAME TO`, `RESTART` and `OWNER TO` are
/// skipped: they are not options.
#[allow(clippy::result_unit_err)]
pub fn change_of_words(words: &[&str]) -> Result<Option<SequenceChange>, ()> {
    let mut change = SequenceChange::default();
    let mut any = false;
    let mut i = 0;
    let number = |i: usize| -> Result<i64, ()> {
        words.get(i).and_then(|w| w.parse::<i64>().ok()).ok_or(())
    };
    let skip = |i: usize, words_: &[&str]| -> usize {
        let mut i = i;
        while matches!(words_.get(i), Some(&"by") | Some(&"with") | Some(&"=")) {
            i += 1;
        }
        i
    };
    while i < words.len() {
        match (words[i], words.get(i + 1).copied()) {
            ("as", Some(t)) => {
                change.data_type = Some(sequence_type(t).ok_or(())?);
                i += 2;
            }
            ("increment", _) => {
                let at = skip(i + 1, words);
                change.increment = Some(number(at)?);
                i = at + 1;
            }
            ("minvalue", _) => {
                let at = skip(i + 1, words);
                change.min_value = Some(Some(number(at)?));
                i = at + 1;
            }
            ("maxvalue", _) => {
                let at = skip(i + 1, words);
                change.max_value = Some(Some(number(at)?));
                i = at + 1;
            }
            ("no", Some("minvalue")) | ("nominvalue", _) => {
                change.min_value = Some(None);
                i += if words[i] == "no" { 2 } else { 1 };
            }
            ("no", Some("maxvalue")) | ("nomaxvalue", _) => {
                change.max_value = Some(None);
                i += if words[i] == "no" { 2 } else { 1 };
            }
            ("no", Some("cycle")) | ("nocycle", _) => {
                change.cycle = Some(false);
                i += if words[i] == "no" { 2 } else { 1 };
            }
            ("cycle", _) => {
                change.cycle = Some(true);
                i += 1;
            }
            ("start", _) => {
                let at = skip(i + 1, words);
                change.start = Some(number(at)?);
                i = at + 1;
            }
            ("cache", _) => {
                let at = skip(i + 1, words);
                change.cache = Some(number(at)?);
                i = at + 1;
            }
            ("no", Some("cache")) | ("nocache", _) => {
                change.cache = Some(1);
                i += if words[i] == "no" { 2 } else { 1 };
            }
            ("restart", _) => {
                // The current value only; `RESTART [WITH] n`.
                let at = skip(i + 1, words);
                i = if number(at).is_ok() { at + 1 } else { i + 1 };
                continue;
            }
            ("owned", Some("by")) | ("rename", Some("to")) | ("owner", Some("to")) => {
                i += 3;
                continue;
            }
            _ => return Err(()),
        }
        any = true;
    }
    Ok(any.then_some(change))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_alterations_resolve_as_postgres_does() {
        let d = Dialect::Postgres;
        let plain = SequenceOptions::created(d, &SequenceChange::default());
        assert_eq!(
            (plain.min_value, plain.max_value, plain.start, plain.cache),
            (1, i64::MAX, 1, 1)
        );
        let down = SequenceOptions::created(
            d,
            &SequenceChange {
                increment: Some(-1),
                data_type: Some("integer".into()),
                ..Default::default()
            },
        );
        assert_eq!(
            (down.min_value, down.max_value, down.start),
            (i32::MIN as i64, -1, -1)
        );
        let words = ["as", "integer", "increment", "by", "5", "no", "cycle"];
        let change = change_of_words(&words).unwrap().unwrap();
        let altered = plain.altered(d, &change);
        assert_eq!(altered.max_value, i32::MAX as i64);
        assert_eq!(altered.increment, 5);
        assert_eq!(
            plain.clauses_to(&altered),
            format!("AS integer INCREMENT BY 5 MAXVALUE {}", i32::MAX)
        );
        assert_eq!(change_of_words(&["owned", "by", "t.c"]), Ok(None));
        assert_eq!(
            plain.create_clauses_typed(d),
            "AS bigint",
            "a column's sequence states its type"
        );
    }

    #[test]
    fn nextval_names_the_sequence_as_the_server_reads_it() {
        let d = Dialect::Postgres;
        let read = |text: &str| nextval_sequence(d, text).map(|n| n.to_string());
        assert_eq!(
            read("nextval('t_id_seq'::regclass)").as_deref(),
            Some("t_id_seq")
        );
        assert_eq!(read("NEXTVAL( 'T_Id_Seq' )").as_deref(), Some("t_id_seq"));
        assert_eq!(
            read("nextval('public.t_id_seq')").as_deref(),
            Some("t_id_seq")
        );
        assert_eq!(
            read("nextval('s.\"Odd\"'::regclass)").as_deref(),
            Some("s.Odd")
        );
        for other in [
            "nextval('a'::regclass) + 1",
            "nextval(x)",
            "currval('a')",
            "'nextval'",
            "nextval('a b')",
        ] {
            assert_eq!(read(other), None, "{other}");
        }
    }

    #[test]
    fn serial_only_for_what_serial_makes() {
        let d = Dialect::Postgres;
        let t = Name::bare("robot");
        let of = |data_type: &str| {
            SequenceOptions::created(
                d,
                &SequenceChange {
                    data_type: Some(data_type.into()),
                    ..Default::default()
                },
            )
        };
        let own = Name::bare("robot_id_seq");
        assert_eq!(
            serial_for(&t, "id", "integer", &own, &of("integer")),
            Some("serial")
        );
        assert_eq!(
            serial_for(&t, "id", "bigint", &own, &of("bigint")),
            Some("bigserial")
        );
        assert_eq!(
            serial_for(&t, "id", "smallint", &own, &of("smallint")),
            Some("smallserial")
        );
        // Renamed, another type, an option of its own, another schema.
        let old = Name::bare("old_id_seq");
        assert_eq!(serial_for(&t, "id", "integer", &old, &of("integer")), None);
        assert_eq!(serial_for(&t, "id", "bigint", &own, &of("integer")), None);
        let mut bounded = of("bigint");
        bounded.max_value = 9_007_199_254_740_991;
        assert_eq!(serial_for(&t, "id", "bigint", &own, &bounded), None);
        let elsewhere = Name {
            schema: Some("s".into()),
            name: "robot_id_seq".into(),
        };
        assert_eq!(
            serial_for(&t, "id", "integer", &elsewhere, &of("integer")),
            None
        );
        // The name is cut as the server cuts it.
        let long = Name::bare("a".repeat(60));
        let cut = Name::bare(pg_choose_name(&long.name, Some("id"), "seq", |_| false));
        assert!(cut.name.len() <= 63);
        assert_eq!(
            serial_for(&long, "id", "integer", &cut, &of("integer")),
            Some("serial")
        );
        assert_eq!(serial_for(&t, "id", "text", &own, &of("bigint")), None);
        assert_eq!(serial_base("SERIAL8"), Some("bigint"));
        assert_eq!(change_of_words(&["set", "schema", "x"]), Err(()));
    }
}
