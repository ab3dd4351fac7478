//! MariaDB's own rules for a table's keys, as its server applies them each
//! time it rebuilds a table's key list (`CREATE TABLE`, `ALTER TABLE`,
//! `CREATE INDEX`): which index a foreign key gets, and which of those it
//! drops again (`mysql_prepare_create_table` and `foreign_key_prefix` in
//! MariaDB's `sql_table.cc`; checked against MariaDB 10.11 by
//! `tests/tests/schema_model.rs`).
//!
//! A `FOREIGN KEY` always brings a key of its own, marked *generated* (the
//! model's [`Index::implicit`](super::Index::implicit)), named after the
//! constraint, else after the index name written after `FOREIGN KEY`, else
//! after its first column. When the server lists the keys (the table's
//! existing ones first, then the statement's in order), a generated key
//! whose columns are the leading columns of another key is left out: of two
//! generated keys the shorter goes (the earlier one when they are alike), and
//! a generated key goes before any key the statement wrote. So the index
//! InnoDB needs for a foreign key exists only while no other index can serve
//! it, and an index the statement writes silently replaces it. The flag is
//! kept with the table, so a generated key still goes after its foreign key
//! was dropped.

use sqlparser::ast::{
    ColumnOption, DataType, Expr, FunctionArg, FunctionArgExpr, FunctionArguments,
};

/// One key of a table, as far as these rules look at it.
#[derive(Debug, Clone, Copy)]
pub(super) struct Key<'a> {
    /// Its columns in order; `None` for one the model cannot name (a
    /// prefix length, an expression): equal to no other column.
    pub columns: &'a [Option<super::CompactString>],
    /// Made by the server for a foreign key.
    pub generated: bool,
}

/// MariaDB's `foreign_key_prefix`: true when one of the two keys is
/// generated and its columns lead the other's (of two generated keys, the
/// shorter's lead the longer's).
fn serves(a: Key<'_>, b: Key<'_>) -> bool {
    let (short, long) = match (a.generated, b.generated) {
        (false, false) => return false,
        (true, true) if a.columns.len() > b.columns.len() => (b, a),
        (true, _) => (a, b),
        (false, true) => (b, a),
    };
    short.columns.len() <= long.columns.len()
        && short
            .columns
            .iter()
            .zip(long.columns)
            .all(|(x, y)| x.is_some() && x == y)
}

/// Which of `keys` (in the server's order: the table's existing keys, then
/// the statement's) the server leaves out, by position: each key is
/// compared with the keys before it that are still in; at the first one it
/// serves or is served by, the generated one of the two goes (of two
/// generated keys the shorter, else the earlier).
pub(super) fn left_out(keys: &[Key<'_>]) -> Vec<bool> {
    let mut out = vec![false; keys.len()];
    for i in 0..keys.len() {
        for j in 0..i {
            if out[j] || !serves(keys[i], keys[j]) {
                continue;
            }
            let (key, earlier) = (keys[i], keys[j]);
            if !earlier.generated || (key.generated && key.columns.len() < earlier.columns.len()) {
                out[i] = true;
            } else {
                out[j] = true;
            }
            break;
        }
    }
    out
}

/// The next `<table>_ibfk_<n>` number InnoDB gives an unnamed foreign key:
/// one more than the highest `n` among `names` (the table's constraint
/// names, lower-cased) of that form, or 1.
pub(super) fn next_foreign_key_number<'a>(
    table: &str,
    names: impl Iterator<Item = &'a str>,
) -> usize {
    let prefix = format!("{table}_ibfk_");
    names
        .filter_map(|n| n.strip_prefix(&prefix)?.parse::<usize>().ok())
        .max()
        .unwrap_or(0)
        + 1
}

/// A constraint name after its table was renamed from `from` to `to`:
/// InnoDB renames `<from>_ibfk_<rest>` to `<to>_ibfk_<rest>` (any name of
/// that form, given or generated) and keeps every other name.
pub(super) fn renamed_constraint(name: &str, from: &str, to: &str) -> Option<String> {
    let rest = name.strip_prefix(from)?.strip_prefix("_ibfk_")?;
    Some(format!("{to}_ibfk_{rest}"))
}

/// MariaDB's `JSON` type is `LONGTEXT` with a `CHECK (json_valid(col))`
/// written with the column (named after it, dropped with it, not by `DROP
/// CONSTRAINT`), which `SHOW CREATE TABLE` prints as `longtext ... CHECK
/// (json_valid(`col`))`. True when `option`, on a column `column` of type
/// `data_type`, is that check: the type `LONGTEXT` or `JSON`, the check
/// unnamed and exactly `json_valid(<the column>)`. Such a column is a JSON
/// column, however it was written; a check of any other shape stays a
/// check (`information_schema` leaves out exactly these, see
/// `migrate_introspect`'s MySQL reader).
pub(super) fn is_json_check(
    data_type: &DataType,
    column: &str,
    named: bool,
    option: &ColumnOption,
) -> bool {
    if named || !matches!(data_type, DataType::LongText | DataType::JSON) {
        return false;
    }
    let ColumnOption::Check(check) = option else {
        return false;
    };
    let Expr::Function(function) = check.expr.as_ref() else {
        return false;
    };
    let FunctionArguments::List(list) = &function.args else {
        return false;
    };
    let [FunctionArg::Unnamed(FunctionArgExpr::Expr(Expr::Identifier(argument)))] =
        list.args.as_slice()
    else {
        return false;
    };
    // Nothing else in the call (`DISTINCT`, a `FILTER`, an `OVER`).
    argument.value.to_lowercase() == column
        && function.to_string().to_lowercase() == format!("json_valid({argument})").to_lowercase()
}

/// `node` (a default, a check, a generated column's clause, as sqlparser
/// read it) with its string literals as `dialect` must write them.
/// sqlparser keeps a string literal's value with MySQL's escapes read
/// (`'a\\b'` holds one backslash) and prints it with only its quotes
/// doubled, so on MySQL and MariaDB, which read a backslash in a literal as
/// an escape, each backslash of the value is doubled again: the printed
/// text then means the value it was read from (`'\%'` and `'\\%'` both hold
/// `\%`, printed `'\\%'`). Other dialects' nodes are borrowed as they are.
pub(super) fn escaped<T>(dialect: super::Dialect, node: &T) -> std::borrow::Cow<'_, T>
where
    T: Clone + sqlparser::ast::VisitMut,
{
    use sqlparser::ast::{visit_expressions_mut, Value};
    if dialect != super::Dialect::MySql {
        return std::borrow::Cow::Borrowed(node);
    }
    let mut copy = node.clone();
    let _ = visit_expressions_mut(&mut copy, |e| {
        if let Expr::Value(v) = e {
            if let Value::SingleQuotedString(s) | Value::DoubleQuotedString(s) = &mut v.value {
                if s.contains('\\') {
                    *s = s.replace('\\', "\\\\");
                }
            }
        }
        std::ops::ControlFlow::<()>::Continue(())
    });
    std::borrow::Cow::Owned(copy)
}

/// The text of a column's `DEFAULT` expression (`expr`, as sqlparser read
/// it) in `dialect`, its literals [`escaped`].
pub(super) fn default_text(dialect: super::Dialect, expr: &Expr) -> String {
    escaped(dialect, expr).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cols(names: &[&str]) -> Vec<Option<crate::schema::CompactString>> {
        names.iter().map(|n| Some((*n).into())).collect()
    }

    #[test]
    fn a_written_index_replaces_the_generated_one() {
        let generated = cols(&["pid"]);
        let written = cols(&["pid", "x"]);
        let keys = [
            Key {
                columns: &generated,
                generated: true,
            },
            Key {
                columns: &written,
                generated: false,
            },
        ];
        assert_eq!(left_out(&keys), [true, false]);
        // A generated key written after an index that serves it is left out.
        let keys = [keys[1], keys[0]];
        assert_eq!(left_out(&keys), [false, true]);
    }

    #[test]
    fn of_two_generated_keys_the_shorter_goes() {
        let short = cols(&["pid"]);
        let long = cols(&["pid", "x"]);
        let g = |columns| Key {
            columns,
            generated: true,
        };
        assert_eq!(left_out(&[g(&short), g(&long)]), [true, false]);
        assert_eq!(left_out(&[g(&long), g(&short)]), [false, true]);
        assert_eq!(left_out(&[g(&short), g(&short)]), [true, false]);
    }

    #[test]
    fn written_keys_never_go_and_unknown_columns_serve_nothing() {
        let a = cols(&["pid"]);
        let w = |columns| Key {
            columns,
            generated: false,
        };
        assert_eq!(left_out(&[w(&a), w(&a)]), [false, false]);
        let unknown = vec![None];
        let keys = [
            Key {
                columns: &unknown,
                generated: true,
            },
            w(&unknown),
        ];
        assert_eq!(left_out(&keys), [false, false]);
    }

    #[test]
    fn foreign_key_numbers_and_renames() {
        let names = ["primary", "t_ibfk_2", "t_ibfk_5", "tt_ibfk_9", "t_ibfk_x"];
        assert_eq!(next_foreign_key_number("t", names.into_iter()), 6);
        assert_eq!(next_foreign_key_number("u", names.into_iter()), 1);
        assert_eq!(
            renamed_constraint("t_ibfk_2", "t", "u").as_deref(),
            Some("u_ibfk_2")
        );
        assert_eq!(renamed_constraint("myfk", "t", "u"), None);
    }
}
