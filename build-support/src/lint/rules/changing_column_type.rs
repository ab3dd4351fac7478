//! `changing-column-type`: ALTER COLUMN TYPE rewrites the table (and its
//! indexes) under an ACCESS EXCLUSIVE lock, and the running application may
//! not understand the new type. strong_migrations' whitelist of changes that
//! need no rewrite is exempt.

use sqlparser::ast::{AlterColumnOperation, AlterTableOperation, DataType};

use super::{Finding, StmtCtx};
use crate::lint::Rule;
use crate::schema::normalize_type;
use crate::schema::Naming;

pub(crate) fn check(ctx: &StmtCtx<'_>, out: &mut Vec<Finding>) {
    let Some((alter, table)) = ctx.alter_table() else {
        return;
    };
    for operation in &alter.operations {
        let (column, data_type): (_, &DataType) = match operation {
            AlterTableOperation::AlterColumn {
                column_name,
                op: AlterColumnOperation::SetDataType { data_type, .. },
            } => (column_name, data_type),
            AlterTableOperation::ModifyColumn {
                col_name,
                data_type,
                ..
            } => (col_name, data_type),
            AlterTableOperation::ChangeColumn {
                old_name,
                data_type,
                ..
            } => (old_name, data_type),
            _ => continue,
        };
        let column = ctx.dialect.fold(column);
        if ctx.column_is_new(&table, &column) {
            continue;
        }
        let new = normalize_type(data_type);
        let old = ctx
            .schema
            .table(&table)
            .and_then(|t| t.column(&column))
            .map(|c| c.data_type.clone());
        if old.as_deref().is_some_and(|old| safe_change(old, &new)) {
            continue;
        }
        let from = old.map_or(String::new(), |old| format!(" from {old}"));
        out.push(ctx.finding(
            Rule::ChangingColumnType,
            format!(
                "changing the type of {table}.{column}{from} to {new} rewrites the table while \
                 blocking reads and writes, and can break the running application"
            ),
            "add a new column of the new type, write to both, backfill, switch reads, then drop \
             the old column",
        ));
    }
}

/// Changes PostgreSQL makes without a rewrite (strong_migrations' list).
fn safe_change(old: &str, new: &str) -> bool {
    if old == new {
        return true;
    }
    let (old_base, old_args) = split(old);
    let (new_base, new_args) = split(new);
    match (old_base, new_base) {
        ("character varying", "text") | ("cidr", "inet") => true,
        ("character varying", "character varying") => match (old_args.first(), new_args.first()) {
            (_, None) => true,
            (Some(o), Some(n)) => n >= o,
            (None, Some(_)) => false,
        },
        ("text", "character varying") => new_args.is_empty(),
        ("numeric", "numeric") => match (old_args.as_slice(), new_args.as_slice()) {
            (_, []) => true,
            ([op, os], [np, ns]) => np >= op && ns == os,
            ([op], [np]) => np >= op,
            _ => false,
        },
        (
            "timestamp" | "timestamp with time zone" | "time" | "interval",
            "timestamp" | "timestamp with time zone" | "time" | "interval",
        ) if old_base == new_base => match (old_args.first(), new_args.first()) {
            (_, None) => true,
            (Some(o), Some(n)) => n >= o,
            (None, Some(_)) => false,
        },
        _ => false,
    }
}

/// `character varying(20)` -> (`character varying`, [20]).
fn split(t: &str) -> (&str, Vec<u64>) {
    match t.find('(') {
        Some(i) => {
            let args = t[i + 1..]
                .split(')')
                .next()
                .unwrap_or("")
                .split(',')
                .filter_map(|a| a.trim().parse().ok())
                .collect();
            let rest = t[i..].split_once(')').map_or("", |(_, r)| r).trim();
            // `timestamp(3) with time zone` keeps its suffix in the base.
            let base = if rest.is_empty() { t[..i].trim() } else { t };
            if rest.is_empty() {
                (base, args)
            } else {
                (base, Vec::new())
            }
        }
        None => (t, Vec::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::safe_change;
    use crate::lint::test_support::{hits, rendered, SETUP};

    const RULE: &str = "changing-column-type";

    #[test]
    fn rewriting_change_trips() {
        let up = "-- migrate:upgrade\nALTER TABLE t ALTER COLUMN n TYPE bigint;\n-- migrate:downgrade\nALTER TABLE t ALTER COLUMN n TYPE integer;\n";
        // The downgrade's narrowing rewrites the table too.
        assert_eq!(hits(RULE, &[SETUP, up]), 2);
        insta::assert_snapshot!(rendered(&[SETUP, up]));
    }

    #[test]
    fn widening_varchar_is_fine() {
        let up = "-- migrate:upgrade\nALTER TABLE t ALTER COLUMN v TYPE varchar(40);\n-- migrate:downgrade\nALTER TABLE t ALTER COLUMN v TYPE text;\n";
        assert_eq!(hits(RULE, &[SETUP, up]), 0);
        assert!(safe_change("character varying(20)", "text"));
        assert!(safe_change("numeric(10,2)", "numeric(12,2)"));
        assert!(!safe_change("numeric(10,2)", "numeric(12,3)"));
        assert!(!safe_change(
            "character varying(20)",
            "character varying(10)"
        ));
        assert!(!safe_change("integer", "bigint"));
    }

    #[test]
    fn migrate_allow_silences() {
        let up = "-- migrate:upgrade\n-- migrate:allow changing-column-type -- t has a hundred rows\nALTER TABLE t ALTER COLUMN n TYPE bigint;\n-- migrate:downgrade\n-- migrate:allow changing-column-type -- same\nALTER TABLE t ALTER COLUMN n TYPE integer;\n";
        assert_eq!(hits(RULE, &[SETUP, up]), 0);
    }
}
