//! `adding-field-with-default`: since PostgreSQL 11 a constant (or stable,
//! like `now()`) default is stored once and costs nothing, but a volatile one
//! (`random()`, `gen_random_uuid()`, `clock_timestamp()`) and a stored
//! generated column rewrite the whole table under an ACCESS EXCLUSIVE lock.

use std::ops::ControlFlow;

use sqlparser::ast::{AlterTableOperation, ColumnOption, Expr, GeneratedExpressionMode};

use super::{Finding, StmtCtx};
use crate::lint::Rule;
use crate::schema::Naming;

/// Functions that are not volatile (immutable or stable) and common in defaults.
const NOT_VOLATILE: &[&str] = &[
    "now",
    "current_timestamp",
    "current_date",
    "current_time",
    "localtimestamp",
    "localtime",
    "transaction_timestamp",
    "statement_timestamp",
    "current_user",
    "session_user",
    "lower",
    "upper",
    "coalesce",
    "concat",
    "to_json",
    "to_jsonb",
    "json_build_object",
    "jsonb_build_object",
    "json_build_array",
    "jsonb_build_array",
    "array",
    "timezone",
    "make_interval",
    "to_timestamp",
    "date_trunc",
];

pub(crate) fn check(ctx: &StmtCtx<'_>, out: &mut Vec<Finding>) {
    let Some((alter, table)) = ctx.alter_existing_table() else {
        return;
    };
    for operation in &alter.operations {
        let AlterTableOperation::AddColumn { column_def, .. } = operation else {
            continue;
        };
        let column = ctx.dialect.fold(&column_def.name);
        for option in &column_def.options {
            let why = match &option.option {
                ColumnOption::Default(expr) => match volatile_call(expr) {
                    Some(function) => format!("the volatile default {function}()"),
                    None => continue,
                },
                ColumnOption::Generated {
                    generation_expr: Some(_),
                    generation_expr_mode: Some(GeneratedExpressionMode::Stored),
                    ..
                } => "a stored generated value".to_string(),
                _ => continue,
            };
            out.push(ctx.finding(
                Rule::AddingFieldWithDefault,
                format!(
                    "adding column {table}.{column} with {why} rewrites the whole table while \
                     blocking reads and writes"
                ),
                "add the column without the default, set the default in a second statement, \
                 then backfill existing rows in batches",
            ));
        }
    }
}

/// The first call in `expr` to a function not known to be non-volatile.
fn volatile_call(expr: &Expr) -> Option<String> {
    let mut found = None;
    let _ = sqlparser::ast::visit_expressions(expr, |e| {
        if let Expr::Function(function) = e {
            let name = function.name.to_string().to_lowercase();
            let short = name.rsplit('.').next().unwrap_or(&name).to_string();
            if !NOT_VOLATILE.contains(&short.as_str()) {
                found = Some(short);
                return ControlFlow::Break(());
            }
        }
        ControlFlow::Continue(())
    });
    found
}

#[cfg(test)]
mod tests {
    use crate::lint::test_support::{hits, rendered, SETUP};

    const RULE: &str = "adding-field-with-default";

    #[test]
    fn volatile_default_trips() {
        let up = "-- migrate:upgrade\nALTER TABLE t ADD COLUMN token uuid DEFAULT gen_random_uuid();\n-- migrate:downgrade\nALTER TABLE t DROP COLUMN token;\n";
        assert_eq!(hits(RULE, &[SETUP, up]), 1);
        insta::assert_snapshot!(rendered(&[SETUP, up]));
    }

    #[test]
    fn constant_and_stable_defaults_are_fine() {
        let up = "-- migrate:upgrade\nALTER TABLE t ADD COLUMN created timestamptz NOT NULL DEFAULT now();\nALTER TABLE t ADD COLUMN flag boolean NOT NULL DEFAULT false;\n-- migrate:downgrade\nALTER TABLE t DROP COLUMN flag;\nALTER TABLE t DROP COLUMN created;\n";
        assert_eq!(hits(RULE, &[SETUP, up]), 0);
    }

    #[test]
    fn migrate_allow_silences() {
        let up = "-- migrate:upgrade\n-- migrate:allow adding-field-with-default -- t is tiny\nALTER TABLE t ADD COLUMN token uuid DEFAULT gen_random_uuid();\n-- migrate:downgrade\nALTER TABLE t DROP COLUMN token;\n";
        assert_eq!(hits(RULE, &[SETUP, up]), 0);
    }
}
