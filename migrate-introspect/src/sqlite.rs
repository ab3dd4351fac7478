//! SQLite's catalog, read from `sqlite_master` and the `pragma_*` functions.

use std::collections::{BTreeMap, BTreeSet};

use migrate_build::schema::{
    key, sqlite_index_predicate, sqlite_text, Column, ColumnSql, Constraint, ConstraintKind,
    ForeignKeyActions, Index, IndexPredicate, Name, Object, ObjectKind, Table, Trigger, View,
};
use sqlx::Row;

use crate::{Catalog, Error};

/// Reads the catalog of the SQLite database behind `conn` (schema `main`).
pub async fn introspect(conn: &mut sqlx::SqliteConnection) -> Result<Catalog, Error> {
    let pool = conn;
    let mut out = Catalog::new();
    let rows = sqlx::query(
        "SELECT type, lower(name), lower(tbl_name), sql FROM sqlite_master \
         WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name",
    )
    .fetch_all(&mut *pool)
    .await?;
    let mut tables: BTreeMap<Name, Table> = BTreeMap::new();
    for row in &rows {
        let kind: String = row.get(0);
        let name = Name::bare(row.get::<String, _>(1));
        match kind.as_str() {
            "table" => {
                tables.insert(name.clone(), Table::new(name));
            }
            "view" => {
                out.insert(
                    key(ObjectKind::View, &name),
                    Object::View(View {
                        name,
                        materialized: false,
                        depends_on: BTreeSet::new(),
                        // The text as the model prints its own.
                        definition: row
                            .get::<Option<String>, _>(3)
                            .as_deref()
                            .and_then(sqlite_text),
                        comment: None,
                    }),
                );
            }
            // Triggers by name (one name per database), with their table.
            "trigger" => {
                let table = Name::bare(row.get::<String, _>(2));
                out.insert(
                    key(ObjectKind::Trigger, &name),
                    Object::Trigger(Trigger {
                        name,
                        table,
                        function: None,
                    }),
                );
            }
            _ => {}
        }
    }
    for table in tables.values_mut() {
        let columns = sqlx::query(
            "SELECT lower(name), lower(type), \"notnull\", dflt_value IS NOT NULL, pk, dflt_value \
             FROM pragma_table_info(?) ORDER BY cid",
        )
        .bind(table.name.name.as_str())
        .fetch_all(&mut *pool)
        .await?;
        let mut primary = Vec::new();
        for row in columns {
            let pk: i64 = row.get(4);
            let name: String = row.get(0);
            if pk > 0 {
                primary.push((pk, name.clone()));
            }
            let data_type: String = row.get(1);
            table.columns_mut().push(Column {
                name: name.into(),
                data_type: data_type.as_str().into(),
                nullable: !row.get::<bool, _>(2),
                has_default: row.get(3),
                sql: Some(ColumnSql {
                    data_type: data_type.into(),
                    // As the model prints its own (sqlparser's print).
                    default: row.get::<Option<String>, _>(5).map(|text| {
                        migrate_build::schema::sqlite_expression(&text)
                            .unwrap_or(text)
                            .into()
                    }),
                    generated: None,
                }),
            });
        }
        primary.sort();
        if !primary.is_empty() {
            table.constraints.push(Constraint {
                name: Default::default(),
                generated_name: true,
                kind: ConstraintKind::PrimaryKey,
                columns: primary.into_iter().map(|(_, c)| c.into()).collect(),
                references: None,
                definition: None,
                actions: None,
            });
        }
        let indexes = sqlx::query(
            "SELECT lower(l.name), l.\"unique\", l.origin, m.sql FROM pragma_index_list(?) l \
             LEFT JOIN sqlite_master m ON m.type = 'index' AND m.name = l.name \
             WHERE l.name NOT LIKE 'sqlite_autoindex_%'",
        )
        .bind(table.name.name.as_str())
        .fetch_all(&mut *pool)
        .await?;
        for row in indexes {
            let name = Name::bare(row.get::<String, _>(0));
            let columns: Vec<Option<String>> =
                sqlx::query_scalar("SELECT lower(name) FROM pragma_index_info(?) ORDER BY seqno")
                    .bind(name.name.as_str())
                    .fetch_all(&mut *pool)
                    .await?;
            table.indexes.insert(name.clone());
            out.insert(
                key(ObjectKind::Index, &name),
                Object::Index(Index {
                    name,
                    table: table.name.clone(),
                    columns: columns.into_iter().map(|c| c.map(Into::into)).collect(),
                    unique: row.get(1),
                    constraint: row.get::<String, _>(2) != "c",
                    implicit: false,
                    definition: row
                        .get::<Option<String>, _>(3)
                        .as_deref()
                        .and_then(sqlite_text)
                        .map(Into::into),
                    method: None,
                    // The text SQLite keeps of a `CREATE INDEX`; an index
                    // of a constraint has none, and no `WHERE`.
                    predicate: match row.get::<Option<String>, _>(3) {
                        Some(sql) => sqlite_index_predicate(&sql),
                        None => IndexPredicate::Whole,
                    },
                }),
            );
        }
        let foreign = sqlx::query(
            "SELECT DISTINCT lower(\"table\"), lower(on_delete), lower(on_update) \
             FROM pragma_foreign_key_list(?)",
        )
        .bind(table.name.name.as_str())
        .fetch_all(&mut *pool)
        .await?;
        for row in foreign {
            table.constraints.push(Constraint {
                name: Default::default(),
                generated_name: true,
                kind: ConstraintKind::ForeignKey,
                columns: Vec::new(),
                references: Some(Name::bare(row.get::<String, _>(0))),
                definition: None,
                actions: Some(ForeignKeyActions {
                    on_delete: row.get(1),
                    on_update: row.get(2),
                }),
            });
        }
    }
    for (name, table) in tables {
        out.insert(key(ObjectKind::Table, &name), Object::Table(table));
    }
    Ok(out)
}

/// The DDL of the SQLite database behind `conn`: `sqlite_master.sql`, the
/// text SQLite keeps of each table, view and index (with what `ALTER TABLE`
/// changed written into it), as `(object, statement)`: tables in creation
/// order, then views, then indexes. Triggers are left out (their text
/// is not rebuilt); so are the tables named in `skip` (the tool's own) with their
/// indexes, and SQLite's own objects.
pub async fn definitions(
    conn: &mut sqlx::SqliteConnection,
    skip: &[String],
) -> Result<Vec<(String, String)>, Error> {
    let rows = sqlx::query(
        "SELECT type, name, tbl_name, sql FROM sqlite_master \
         WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' AND type IN ('table', 'view', 'index') \
         ORDER BY CASE type WHEN 'table' THEN 0 WHEN 'view' THEN 1 ELSE 2 END, rowid",
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut out = Vec::new();
    for row in rows {
        let (kind, name, table, sql): (String, String, String, String) =
            (row.get(0), row.get(1), row.get(2), row.get(3));
        if skip.iter().any(|s| s.eq_ignore_ascii_case(&table)) {
            continue;
        }
        out.push((format!("{kind} {name}"), sql));
    }
    Ok(out)
}
