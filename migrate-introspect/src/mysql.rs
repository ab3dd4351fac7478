//! MySQL's and MariaDB's catalog, read from `information_schema` (the
//! connection's current database).

use std::collections::{BTreeMap, BTreeSet};

use migrate_build::schema::{
    key, Column, ColumnSql, Constraint, ConstraintKind, ForeignKeyActions, Index, IndexPredicate,
    Name, Object, ObjectKind, Table, Trigger, View,
};
use sqlx::Row;

use crate::{Catalog, Error};

/// Reads the catalog of the MySQL or MariaDB database behind `conn`
/// (`DATABASE()`).
pub async fn introspect(conn: &mut sqlx::MySqlConnection) -> Result<Catalog, Error> {
    let pool = conn;
    let mut out = Catalog::new();
    let mut tables: BTreeMap<Name, Table> = BTreeMap::new();
    let rows = sqlx::query(
        "SELECT CAST(lower(table_name) AS CHAR), CAST(table_type AS CHAR), \
                CAST(table_comment AS CHAR) \
         FROM information_schema.tables WHERE table_schema = DATABASE()",
    )
    .fetch_all(&mut *pool)
    .await?;
    for row in rows {
        let name = Name::bare(row.get::<String, _>(0));
        let kind: String = row.get(1);
        if kind == "VIEW" {
            out.insert(
                key(ObjectKind::View, &name),
                Object::View(View {
                    name,
                    materialized: false,
                    depends_on: BTreeSet::new(),
                    definition: None,
                }),
            );
        } else {
            let comment: Option<String> = row.get(2);
            let mut table = Table::new(name.clone());
            table.comment = comment.filter(|c| !c.is_empty());
            tables.insert(name, table);
        }
    }
    let rows = sqlx::query(
        "SELECT CAST(lower(table_name) AS CHAR), CAST(lower(column_name) AS CHAR), \
                CAST(lower(column_type) AS CHAR), CAST(is_nullable AS CHAR), \
                CAST(column_default IS NOT NULL OR extra LIKE '%auto_increment%' AS SIGNED), \
                CAST(column_default AS CHAR), CAST(lower(extra) AS CHAR), \
                CAST(column_comment AS CHAR) \
         FROM information_schema.columns WHERE table_schema = DATABASE() \
         ORDER BY table_name, ordinal_position",
    )
    .fetch_all(&mut *pool)
    .await?;
    for row in rows {
        let name = Name::bare(row.get::<String, _>(0));
        if let Some(table) = tables.get_mut(&name) {
            let data_type: String = row.get(2);
            let extra: Option<String> = row.get(6);
            let extra = extra.unwrap_or_default();
            // `extra` says `auto_increment`, or `virtual generated` /
            // `stored generated` (whose expression `column_default` holds
            // on MariaDB).
            let (default, generated) = if extra.contains("auto_increment") {
                (None, Some("AUTO_INCREMENT".to_string()))
            } else if extra.contains("generated") {
                (None, Some(extra.to_uppercase()))
            } else {
                (row.get(5), None)
            };
            let comment: Option<String> = row.get(7);
            if let Some(comment) = comment.filter(|c| !c.is_empty()) {
                table.column_comments.insert(row.get(1), comment);
            }
            table.columns_mut().push(Column {
                name: row.get(1),
                data_type: data_type.clone(),
                nullable: row.get::<String, _>(3) == "YES",
                has_default: row.get::<i64, _>(4) != 0,
                sql: Some(ColumnSql {
                    data_type,
                    default,
                    generated,
                }),
            });
        }
    }
    let rows = sqlx::query(
        "SELECT CAST(lower(table_name) AS CHAR), CAST(lower(index_name) AS CHAR), \
                CAST(non_unique AS SIGNED), CAST(lower(column_name) AS CHAR), \
                CAST(lower(index_type) AS CHAR) \
         FROM information_schema.statistics WHERE table_schema = DATABASE() \
         ORDER BY table_name, index_name, seq_in_index",
    )
    .fetch_all(&mut *pool)
    .await?;
    for row in rows {
        let table = Name::bare(row.get::<String, _>(0));
        let index: String = row.get(1);
        let name = Name::bare(format!("{}.{index}", table.name));
        let column: Option<String> = row.get(3);
        let entry = out.entry(key(ObjectKind::Index, &name)).or_insert_with(|| {
            Object::Index(Index {
                name: name.clone(),
                table: table.clone(),
                columns: Vec::new(),
                unique: row.get::<i64, _>(2) == 0,
                constraint: false,
                implicit: false,
                definition: None,
                method: row.get(4),
                // MariaDB has no partial index.
                predicate: IndexPredicate::Whole,
            })
        });
        if let Object::Index(i) = entry {
            i.columns.push(column);
        }
        if let Some(t) = tables.get_mut(&table) {
            t.indexes.insert(name);
        }
    }
    // Constraints, their columns and the check clauses are read by three
    // set-based queries and joined here: `information_schema` on MariaDB
    // opens every table of the schema for each query, so a correlated
    // subquery per constraint cost a second per read of kratos's schema.
    let rows = sqlx::query(
        "SELECT CAST(lower(table_name) AS CHAR), CAST(lower(constraint_name) AS CHAR), \
                CAST(lower(column_name) AS CHAR), CAST(coalesce(lower(referenced_table_name), '') AS CHAR) \
         FROM information_schema.key_column_usage WHERE table_schema = DATABASE() \
         ORDER BY table_name, constraint_name, ordinal_position",
    )
    .fetch_all(&mut *pool)
    .await?;
    let mut key_columns: BTreeMap<(String, String), (Vec<String>, String)> = BTreeMap::new();
    for row in rows {
        let entry = key_columns.entry((row.get(0), row.get(1))).or_default();
        entry.0.push(row.get(2));
        let referenced: String = row.get(3);
        if !referenced.is_empty() {
            entry.1 = referenced;
        }
    }
    // MariaDB gives each JSON column a CHECK (json_valid(`col`)) named after
    // the column (MySQL has a native JSON type): the server's, not the
    // history's, so left out of the normal form.
    let json_checks: BTreeSet<(String, String)> = sqlx::query(
        "SELECT CAST(lower(table_name) AS CHAR), CAST(lower(constraint_name) AS CHAR) \
         FROM information_schema.check_constraints WHERE constraint_schema = DATABASE() \
         AND check_clause = concat('json_valid(`', constraint_name, '`)')",
    )
    .fetch_all(&mut *pool)
    .await?
    .into_iter()
    .map(|row| (row.get(0), row.get(1)))
    .collect();
    // The actions of the foreign keys (`RESTRICT` where none was declared).
    let actions: BTreeMap<(String, String), ForeignKeyActions> = sqlx::query(
        "SELECT CAST(lower(table_name) AS CHAR), CAST(lower(constraint_name) AS CHAR), \
                CAST(lower(delete_rule) AS CHAR), CAST(lower(update_rule) AS CHAR) \
         FROM information_schema.referential_constraints WHERE constraint_schema = DATABASE()",
    )
    .fetch_all(&mut *pool)
    .await?
    .into_iter()
    .map(|row| {
        (
            (row.get(0), row.get(1)),
            ForeignKeyActions {
                on_delete: row.get(2),
                on_update: row.get(3),
            },
        )
    })
    .collect();
    let rows = sqlx::query(
        "SELECT CAST(lower(table_name) AS CHAR), CAST(lower(constraint_name) AS CHAR), \
                CAST(constraint_type AS CHAR) \
         FROM information_schema.table_constraints WHERE table_schema = DATABASE()",
    )
    .fetch_all(&mut *pool)
    .await?;
    for row in rows {
        let (table_name, constraint_name): (String, String) = (row.get(0), row.get(1));
        let kind = match row.get::<String, _>(2).as_str() {
            "PRIMARY KEY" => ConstraintKind::PrimaryKey,
            "UNIQUE" => ConstraintKind::Unique,
            "FOREIGN KEY" => ConstraintKind::ForeignKey,
            "CHECK" => ConstraintKind::Check,
            _ => ConstraintKind::Other,
        };
        let pair = (table_name, constraint_name);
        if kind == ConstraintKind::Check && json_checks.contains(&pair) {
            continue;
        }
        let Some(table) = tables.get_mut(&Name::bare(pair.0.clone())) else {
            continue;
        };
        let (columns, referenced) = key_columns.get(&pair).cloned().unwrap_or_default();
        let fk_actions = (kind == ConstraintKind::ForeignKey)
            .then(|| actions.get(&pair).cloned())
            .flatten();
        table.constraints.push(Constraint {
            name: pair.1,
            generated_name: false,
            kind,
            columns,
            references: (!referenced.is_empty()).then(|| Name::bare(referenced)),
            definition: None,
            actions: fk_actions,
        });
    }
    for (name, table) in tables {
        out.insert(key(ObjectKind::Table, &name), Object::Table(table));
    }
    // Triggers by name (one name per schema), with their table.
    let rows = sqlx::query(
        "SELECT CAST(lower(trigger_name) AS CHAR), CAST(lower(event_object_table) AS CHAR) \
         FROM information_schema.triggers WHERE trigger_schema = DATABASE()",
    )
    .fetch_all(&mut *pool)
    .await?;
    for row in rows {
        let name = Name::bare(row.get::<String, _>(0));
        out.insert(
            key(ObjectKind::Trigger, &name),
            Object::Trigger(Trigger {
                name,
                table: Name::bare(row.get::<String, _>(1)),
                function: None,
            }),
        );
    }
    Ok(out)
}
