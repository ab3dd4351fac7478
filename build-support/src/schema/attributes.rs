//! Attributes of constraints and indexes in the form the catalogs print
//! them: foreign-key actions, index methods, and the `WHERE` of a partial
//! index reprinted as PostgreSQL's `pg_get_expr` prints it (where the
//! model can be sure of that text; otherwise it says so).

use sqlparser::ast::{
    BinaryOperator, CreateIndex, Expr, ForeignKeyConstraint, ReferentialAction, UnaryOperator,
    Value,
};
use sqlparser::dialect::SQLiteDialect;
use sqlparser::parser::Parser;

use super::{Dialect, ForeignKeyActions, IndexPredicate, Naming, Schema, Table};

/// One action in the catalogs' form (`no action` when none is declared).
fn action(action: Option<ReferentialAction>) -> String {
    match action {
        None | Some(ReferentialAction::NoAction) => "no action",
        Some(ReferentialAction::Restrict) => "restrict",
        Some(ReferentialAction::Cascade) => "cascade",
        Some(ReferentialAction::SetNull) => "set null",
        Some(ReferentialAction::SetDefault) => "set default",
    }
    .to_string()
}

/// The actions a foreign key declares.
pub(super) fn foreign_key_actions(fk: &ForeignKeyConstraint) -> ForeignKeyActions {
    ForeignKeyActions {
        on_delete: action(fk.on_delete),
        on_update: action(fk.on_update),
    }
}

/// The access method of a `CREATE INDEX` where the model can be sure of it:
/// PostgreSQL's `USING` (btree when none); `None` elsewhere (MariaDB's
/// InnoDB makes a `USING HASH` index a btree, other engines differ).
pub(super) fn index_method(create: &CreateIndex, dialect: Dialect) -> Option<String> {
    match dialect {
        Dialect::Postgres => Some(
            create
                .using
                .as_ref()
                .map(|using| using.to_string().to_lowercase())
                .unwrap_or_else(|| "btree".to_string()),
        ),
        _ => None,
    }
}

/// The `WHERE` of a `CREATE INDEX` that SQLite keeps in `sqlite_master.sql`
/// (`sql`), as the model prints it for a SQLite index: the catalog side of
/// [`Schema`]'s predicate on SQLite. [`IndexPredicate::Unknown`] when the
/// text does not parse.
pub fn sqlite_index_predicate(sql: &str) -> IndexPredicate {
    match Parser::parse_sql(&SQLiteDialect {}, sql) {
        Ok(statements) => match statements.as_slice() {
            [sqlparser::ast::Statement::CreateIndex(create)] => match &create.predicate {
                None => IndexPredicate::Whole,
                Some(expr) => IndexPredicate::Where(expr.to_string()),
            },
            _ => IndexPredicate::Unknown,
        },
        Err(_) => IndexPredicate::Unknown,
    }
}

/// The text SQLite keeps of an index or view (`sqlite_master.sql`, the
/// statement as written, with what `ALTER TABLE ... RENAME` changed in it)
/// in the form the model keeps its text: what follows the table of a
/// `CREATE INDEX` (`(lower(b)) WHERE c`), what follows the name of a
/// `CREATE VIEW` (`AS SELECT ...`), both as sqlparser prints them. `None`
/// when the text does not parse as one of those.
pub fn sqlite_text(sql: &str) -> Option<String> {
    let statements = Parser::parse_sql(&SQLiteDialect {}, sql).ok()?;
    match statements.as_slice() {
        [sqlparser::ast::Statement::CreateIndex(create)] => {
            Some(super::apply::index_definition(create))
        }
        [sqlparser::ast::Statement::CreateView(view)] => Some(super::apply::view_definition(view)),
        _ => None,
    }
}

/// A default's text (SQLite's `pragma_table_info.dflt_value`, the
/// expression as written, or the model's) in one form for both: as
/// sqlparser prints it, without parentheses around the whole. `None` when
/// it does not parse as an expression.
pub fn sqlite_expression(text: &str) -> Option<String> {
    let mut parser = Parser::new(&SQLiteDialect {}).try_with_sql(text).ok()?;
    let mut expr = parser.parse_expr().ok()?;
    parser
        .expect_token(&sqlparser::tokenizer::Token::EOF)
        .ok()?;
    while let sqlparser::ast::Expr::Nested(inner) = expr {
        expr = *inner;
    }
    Some(expr.to_string())
}

impl Schema {
    /// The `WHERE` texts of `indexes` are not sure any more (a column they
    /// read changed type): a partial index stays partial.
    pub(super) fn unsure_predicates(&mut self, indexes: &super::NameSet) {
        for name in indexes {
            let k = super::key(super::ObjectKind::Index, name);
            if let Some(super::Object::Index(index)) = self.objects.get(&k) {
                if matches!(index.predicate, IndexPredicate::Where(_)) {
                    let mut index = index.clone();
                    index.predicate = IndexPredicate::Partial;
                    self.insert(k, super::Object::Index(index));
                }
            }
        }
    }

    /// The `WHERE` of `create` in the form its dialect's catalog gives it.
    pub(super) fn index_predicate(&self, create: &CreateIndex) -> IndexPredicate {
        let Some(expr) = &create.predicate else {
            return IndexPredicate::Whole;
        };
        match self.dialect {
            Dialect::Sqlite => IndexPredicate::Where(expr.to_string()),
            Dialect::Postgres => {
                let table = self.table(&self.dialect.object_name(&create.table_name));
                match table.and_then(|t| PgPrinter { table: t }.print(expr)) {
                    Some(text) => IndexPredicate::Where(text),
                    None => IndexPredicate::Partial,
                }
            }
            _ => IndexPredicate::Partial,
        }
    }
}

/// Prints a condition as PostgreSQL's `pg_get_expr` prints it, for the few
/// forms whose reprint does not depend on the server's choice of casts:
/// columns of known type, non-negative integers against integer columns,
/// booleans, `NOT`, `IS [NOT] NULL|TRUE|FALSE`, comparisons, `AND` / `OR`
/// (flattened as the server's parser does). `None` for anything else.
struct PgPrinter<'a> {
    table: &'a Table,
}

/// What a printed operand is, for the casts the server would add.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Operand {
    /// A column of an integer type, or an integer literal.
    Integer,
    /// A boolean column or literal, or a condition.
    Boolean,
}

impl PgPrinter<'_> {
    fn print(&self, expr: &Expr) -> Option<String> {
        let (text, kind) = self.operand(expr)?;
        (kind == Operand::Boolean).then_some(text)
    }

    fn column(&self, ident: &sqlparser::ast::Ident) -> Option<(String, Operand)> {
        // Quoted names and names that need quotes print differently.
        if ident.quote_style.is_some()
            || !ident
                .value
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            || ident.value.starts_with(|c: char| c.is_ascii_digit())
        {
            return None;
        }
        let column = self.table.column(&ident.value)?;
        let kind = match column.data_type.as_str() {
            "integer" | "bigint" | "smallint" | "int" | "int4" | "int8" | "int2" | "serial"
            | "bigserial" => Operand::Integer,
            "boolean" | "bool" => Operand::Boolean,
            _ => return None,
        };
        Some((ident.value.clone(), kind))
    }

    /// The operands of an `AND` (or `OR`) chain as the server's parser
    /// flattens it: only along the left side (`makeAndExpr`), parentheses
    /// or not; a right operand stays one.
    fn chain<'e>(expr: &'e Expr, op: &BinaryOperator, out: &mut Vec<&'e Expr>) {
        match expr {
            Expr::BinaryOp { left, op: o, right } if o == op => {
                Self::chain(left, op, out);
                out.push(right);
            }
            Expr::Nested(inner) => match inner.as_ref() {
                Expr::BinaryOp { op: o, .. } if o == op => Self::chain(inner, op, out),
                _ => out.push(expr),
            },
            _ => out.push(expr),
        }
    }

    fn operand(&self, expr: &Expr) -> Option<(String, Operand)> {
        use Operand::*;
        match expr {
            Expr::Nested(inner) => self.operand(inner),
            Expr::Identifier(ident) => self.column(ident),
            Expr::Value(value) => match &value.value {
                Value::Boolean(b) => Some((b.to_string(), Boolean)),
                Value::Number(n, false)
                    if !n.is_empty()
                        && n.chars().all(|c| c.is_ascii_digit())
                        && n.parse::<i32>().is_ok() =>
                {
                    Some((n.trim_start_matches('0').to_string(), Integer)).map(|(t, k)| {
                        if t.is_empty() {
                            ("0".to_string(), k)
                        } else {
                            (t, k)
                        }
                    })
                }
                _ => None,
            },
            Expr::UnaryOp {
                op: UnaryOperator::Not,
                expr,
            } => {
                let (text, kind) = self.operand(expr)?;
                (kind == Boolean).then(|| (format!("(NOT {text})"), Boolean))
            }
            Expr::IsNull(inner) => Some((format!("({} IS NULL)", self.operand(inner)?.0), Boolean)),
            Expr::IsNotNull(inner) => {
                Some((format!("({} IS NOT NULL)", self.operand(inner)?.0), Boolean))
            }
            Expr::IsTrue(inner)
            | Expr::IsFalse(inner)
            | Expr::IsNotTrue(inner)
            | Expr::IsNotFalse(inner) => {
                let (text, kind) = self.operand(inner)?;
                if kind != Boolean {
                    return None;
                }
                let test = match expr {
                    Expr::IsTrue(_) => "IS TRUE",
                    Expr::IsFalse(_) => "IS FALSE",
                    Expr::IsNotTrue(_) => "IS NOT TRUE",
                    _ => "IS NOT FALSE",
                };
                Some((format!("({text} {test})"), Boolean))
            }
            Expr::BinaryOp { left, op, right } => match op {
                BinaryOperator::And | BinaryOperator::Or => {
                    let mut parts = Vec::new();
                    Self::chain(expr, op, &mut parts);
                    let printed = parts
                        .iter()
                        .map(|part| self.print(part))
                        .collect::<Option<Vec<_>>>()?;
                    let word = if *op == BinaryOperator::And {
                        " AND "
                    } else {
                        " OR "
                    };
                    Some((format!("({})", printed.join(word)), Boolean))
                }
                BinaryOperator::Eq
                | BinaryOperator::NotEq
                | BinaryOperator::Lt
                | BinaryOperator::LtEq
                | BinaryOperator::Gt
                | BinaryOperator::GtEq => {
                    let (l, lk) = self.operand(left)?;
                    let (r, rk) = self.operand(right)?;
                    if lk != rk {
                        return None;
                    }
                    let op = match op {
                        BinaryOperator::Eq => "=",
                        BinaryOperator::NotEq => "<>",
                        BinaryOperator::Lt => "<",
                        BinaryOperator::LtEq => "<=",
                        BinaryOperator::Gt => ">",
                        _ => ">=",
                    };
                    Some((format!("({l} {op} {r})"), Boolean))
                }
                _ => None,
            },
            _ => None,
        }
    }
}
