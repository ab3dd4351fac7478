//! Catalog introspection into the compiler's schema model, for the fidelity
//! tests: what the server holds, read into `migrate_build::schema`'s own
//! types, and the normal form both sides are compared in.
//!
//! This lives in test support because the compiler never opens a database
//! connection: the data flows from the compiler's types to here, never back.
//! PostgreSQL is read from `pg_catalog`, SQLite from `sqlite_master` and the
//! `pragma_*` functions, MariaDB from `information_schema`.

use std::collections::{BTreeMap, BTreeSet};

use migrate_build::schema::{
    key, Column, Constraint, ConstraintKind, Index, Name, Object, ObjectKey, ObjectKind, Schema,
    Sequence, Table, TypeDef, View,
};
use migrate_runtime::MigrateConnection;
use sqlx::Row;

/// A database's objects, keyed like the model's.
pub type Catalog = BTreeMap<ObjectKey, Object>;

fn pg_name(schema: String, name: String) -> Name {
    Name {
        schema: (schema != "public").then_some(schema),
        name,
    }
}

fn split_list(text: &str) -> Vec<String> {
    if text.is_empty() {
        Vec::new()
    } else {
        text.split('\u{1}').map(str::to_string).collect()
    }
}

/// Reads the catalog of the database behind `db`.
pub async fn introspect(db: &MigrateConnection) -> Result<Catalog, sqlx::Error> {
    match db {
        MigrateConnection::Postgres(pool) => postgres(pool).await,
        MigrateConnection::Sqlite(pool) => sqlite(pool).await,
        MigrateConnection::MySql(pool) => mysql(pool).await,
    }
}

const PG_USER_SCHEMA: &str = "n.nspname NOT IN ('pg_catalog', 'information_schema') \
     AND n.nspname NOT LIKE 'pg_toast%' AND n.nspname NOT LIKE 'pg_temp%'";

/// Not a member of an extension.
const PG_NOT_EXTENSION: &str = "NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.objid = c.oid \
     AND e.classid = 'pg_class'::regclass AND e.deptype = 'e')";

async fn postgres(pool: &sqlx::PgPool) -> Result<Catalog, sqlx::Error> {
    let mut out = Catalog::new();
    let mut tables: BTreeMap<Name, Table> = BTreeMap::new();
    let rows = sqlx::query(&format!(
        "SELECT n.nspname::text, c.relname::text FROM pg_class c \
         JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE c.relkind IN ('r', 'p') AND {PG_USER_SCHEMA} AND {PG_NOT_EXTENSION}"
    ))
    .fetch_all(pool)
    .await?;
    for row in rows {
        let name = pg_name(row.get(0), row.get(1));
        tables.insert(
            name.clone(),
            Table {
                name,
                columns: Vec::new(),
                constraints: Vec::new(),
                indexes: BTreeSet::new(),
                open_columns: false,
                open_constraints: false,
            },
        );
    }
    let rows = sqlx::query(&format!(
        "SELECT n.nspname::text, c.relname::text, a.attname::text, \
                format_type(a.atttypid, a.atttypmod), a.attnotnull, \
                (a.atthasdef OR a.attidentity <> '' OR a.attgenerated <> '') \
         FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid \
         JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped AND {PG_USER_SCHEMA} \
         ORDER BY c.oid, a.attnum"
    ))
    .fetch_all(pool)
    .await?;
    for row in rows {
        let name = pg_name(row.get(0), row.get(1));
        if let Some(table) = tables.get_mut(&name) {
            let not_null: bool = row.get(4);
            table.columns.push(Column {
                name: row.get(2),
                data_type: row.get(3),
                nullable: !not_null,
                has_default: row.get(5),
                sql: None,
            });
        }
    }
    let rows = sqlx::query(&format!(
        "SELECT n.nspname::text, c.relname::text, co.conname::text, co.contype::text, \
                coalesce((SELECT string_agg(a.attname::text, chr(1) ORDER BY k.ord) \
                          FROM unnest(co.conkey) WITH ORDINALITY k(attnum, ord) \
                          JOIN pg_attribute a ON a.attrelid = co.conrelid AND a.attnum = k.attnum), ''), \
                coalesce(fn.nspname::text, ''), coalesce(f.relname::text, '') \
         FROM pg_constraint co JOIN pg_class c ON c.oid = co.conrelid \
         JOIN pg_namespace n ON n.oid = c.relnamespace \
         LEFT JOIN pg_class f ON f.oid = co.confrelid \
         LEFT JOIN pg_namespace fn ON fn.oid = f.relnamespace \
         WHERE {PG_USER_SCHEMA} AND co.contype IN ('p', 'u', 'f', 'c', 'x') \
         ORDER BY co.oid"
    ))
    .fetch_all(pool)
    .await?;
    for row in rows {
        let name = pg_name(row.get(0), row.get(1));
        let Some(table) = tables.get_mut(&name) else {
            continue;
        };
        let contype: String = row.get(3);
        let kind = match contype.as_str() {
            "p" => ConstraintKind::PrimaryKey,
            "u" => ConstraintKind::Unique,
            "f" => ConstraintKind::ForeignKey,
            "c" => ConstraintKind::Check,
            _ => ConstraintKind::Other,
        };
        let referenced: String = row.get(6);
        table.constraints.push(Constraint {
            name: row.get(2),
            generated_name: false,
            kind,
            columns: split_list(&row.get::<String, _>(4)),
            references: (!referenced.is_empty()).then(|| pg_name(row.get(5), referenced)),
            definition: None,
        });
    }
    let rows = sqlx::query(&format!(
        "SELECT n.nspname::text, c.relname::text, t.relname::text, ix.indisunique, \
                EXISTS (SELECT 1 FROM pg_constraint co WHERE co.conindid = ix.indexrelid \
                        AND co.conrelid = ix.indrelid AND co.contype IN ('p', 'u', 'x')), \
                coalesce((SELECT string_agg(coalesce(a.attname::text, ''), chr(1) ORDER BY k.ord) \
                          FROM unnest(ix.indkey) WITH ORDINALITY k(attnum, ord) \
                          LEFT JOIN pg_attribute a ON a.attrelid = ix.indrelid AND a.attnum = k.attnum \
                          WHERE k.ord <= ix.indnkeyatts), '') \
         FROM pg_index ix JOIN pg_class c ON c.oid = ix.indexrelid \
         JOIN pg_class t ON t.oid = ix.indrelid \
         JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE {PG_USER_SCHEMA} AND t.relkind IN ('r', 'p', 'm') AND {PG_NOT_EXTENSION}"
    ))
    .fetch_all(pool)
    .await?;
    for row in rows {
        let name = pg_name(row.get(0), row.get(1));
        let table = pg_name(row.get(0), row.get(2));
        let columns = split_list(&row.get::<String, _>(5))
            .into_iter()
            .map(|c| (!c.is_empty()).then_some(c))
            .collect();
        if let Some(t) = tables.get_mut(&table) {
            t.indexes.insert(name.clone());
        }
        out.insert(
            key(ObjectKind::Index, &name),
            Object::Index(Index {
                name,
                table,
                columns,
                unique: row.get(3),
                constraint: row.get(4),
                definition: None,
            }),
        );
    }
    let rows = sqlx::query(&format!(
        "SELECT n.nspname::text, c.relname::text, c.relkind = 'm', \
                coalesce((SELECT string_agg(DISTINCT rn.nspname::text || chr(2) || r.relname::text, chr(1)) \
                          FROM pg_rewrite w JOIN pg_depend d ON d.objid = w.oid \
                          JOIN pg_class r ON r.oid = d.refobjid \
                          JOIN pg_namespace rn ON rn.oid = r.relnamespace \
                          WHERE w.ev_class = c.oid AND d.refclassid = 'pg_class'::regclass \
                          AND d.refobjid <> c.oid), '') \
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE c.relkind IN ('v', 'm') AND {PG_USER_SCHEMA} AND {PG_NOT_EXTENSION}"
    ))
    .fetch_all(pool)
    .await?;
    for row in rows {
        let name = pg_name(row.get(0), row.get(1));
        let depends_on = split_list(&row.get::<String, _>(3))
            .into_iter()
            .filter_map(|d| {
                let (schema, relation) = d.split_once('\u{2}')?;
                Some(pg_name(schema.to_string(), relation.to_string()))
            })
            .collect();
        out.insert(
            key(ObjectKind::View, &name),
            Object::View(View {
                name,
                materialized: row.get(2),
                depends_on,
                definition: None,
            }),
        );
    }
    let rows = sqlx::query(&format!(
        "SELECT n.nspname::text, c.relname::text, coalesce(tn.nspname::text, ''), \
                coalesce(t.relname::text, ''), coalesce(a.attname::text, '') \
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         LEFT JOIN pg_depend d ON d.objid = c.oid AND d.classid = 'pg_class'::regclass \
              AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i') \
         LEFT JOIN pg_class t ON t.oid = d.refobjid \
         LEFT JOIN pg_namespace tn ON tn.oid = t.relnamespace \
         LEFT JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid \
         WHERE c.relkind = 'S' AND {PG_USER_SCHEMA} AND {PG_NOT_EXTENSION}"
    ))
    .fetch_all(pool)
    .await?;
    for row in rows {
        let name = pg_name(row.get(0), row.get(1));
        let table: String = row.get(3);
        let owned_by = (!table.is_empty()).then(|| (pg_name(row.get(2), table), row.get(4)));
        out.insert(
            key(ObjectKind::Sequence, &name),
            Object::Sequence(Sequence { name, owned_by }),
        );
    }
    let rows = sqlx::query(&format!(
        "SELECT n.nspname::text, t.typname::text, \
                coalesce((SELECT string_agg(e.enumlabel::text, chr(1) ORDER BY e.enumsortorder) \
                          FROM pg_enum e WHERE e.enumtypid = t.oid), '') \
         FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace \
         LEFT JOIN pg_class c ON c.oid = t.typrelid \
         WHERE {PG_USER_SCHEMA} AND (t.typtype IN ('e', 'd', 'r') OR (t.typtype = 'c' AND c.relkind = 'c')) \
         AND NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.objid = t.oid \
             AND e.classid = 'pg_type'::regclass AND e.deptype = 'e')"
    ))
    .fetch_all(pool)
    .await?;
    for row in rows {
        let name = pg_name(row.get(0), row.get(1));
        out.insert(
            key(ObjectKind::Type, &name),
            Object::Type(TypeDef {
                name,
                labels: split_list(&row.get::<String, _>(2)),
            }),
        );
    }
    for (name, table) in tables {
        out.insert(key(ObjectKind::Table, &name), Object::Table(table));
    }
    Ok(out)
}

async fn sqlite(pool: &sqlx::SqlitePool) -> Result<Catalog, sqlx::Error> {
    let mut out = Catalog::new();
    let rows = sqlx::query(
        "SELECT type, lower(name), lower(tbl_name) FROM sqlite_master \
         WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name",
    )
    .fetch_all(pool)
    .await?;
    let mut tables: BTreeMap<Name, Table> = BTreeMap::new();
    for row in &rows {
        let kind: String = row.get(0);
        let name = Name::bare(row.get::<String, _>(1));
        match kind.as_str() {
            "table" => {
                tables.insert(
                    name.clone(),
                    Table {
                        name,
                        columns: Vec::new(),
                        constraints: Vec::new(),
                        indexes: BTreeSet::new(),
                        open_columns: false,
                        open_constraints: false,
                    },
                );
            }
            "view" => {
                out.insert(
                    key(ObjectKind::View, &name),
                    Object::View(View {
                        name,
                        materialized: false,
                        depends_on: BTreeSet::new(),
                        definition: None,
                    }),
                );
            }
            _ => {}
        }
    }
    for table in tables.values_mut() {
        let columns = sqlx::query(
            "SELECT lower(name), lower(type), \"notnull\", dflt_value IS NOT NULL, pk \
             FROM pragma_table_info(?) ORDER BY cid",
        )
        .bind(&table.name.name)
        .fetch_all(pool)
        .await?;
        let mut primary = Vec::new();
        for row in columns {
            let pk: i64 = row.get(4);
            let name: String = row.get(0);
            if pk > 0 {
                primary.push((pk, name.clone()));
            }
            table.columns.push(Column {
                name,
                data_type: row.get(1),
                nullable: !row.get::<bool, _>(2),
                has_default: row.get(3),
                sql: None,
            });
        }
        primary.sort();
        if !primary.is_empty() {
            table.constraints.push(Constraint {
                name: String::new(),
                generated_name: true,
                kind: ConstraintKind::PrimaryKey,
                columns: primary.into_iter().map(|(_, c)| c).collect(),
                references: None,
                definition: None,
            });
        }
        let indexes = sqlx::query(
            "SELECT lower(name), \"unique\", origin FROM pragma_index_list(?) \
             WHERE name NOT LIKE 'sqlite_autoindex_%'",
        )
        .bind(&table.name.name)
        .fetch_all(pool)
        .await?;
        for row in indexes {
            let name = Name::bare(row.get::<String, _>(0));
            let columns: Vec<Option<String>> =
                sqlx::query_scalar("SELECT lower(name) FROM pragma_index_info(?) ORDER BY seqno")
                    .bind(&name.name)
                    .fetch_all(pool)
                    .await?;
            table.indexes.insert(name.clone());
            out.insert(
                key(ObjectKind::Index, &name),
                Object::Index(Index {
                    name,
                    table: table.name.clone(),
                    columns,
                    unique: row.get(1),
                    constraint: row.get::<String, _>(2) != "c",
                    definition: None,
                }),
            );
        }
        let foreign: Vec<String> =
            sqlx::query_scalar("SELECT DISTINCT lower(\"table\") FROM pragma_foreign_key_list(?)")
                .bind(&table.name.name)
                .fetch_all(pool)
                .await?;
        for target in foreign {
            table.constraints.push(Constraint {
                name: String::new(),
                generated_name: true,
                kind: ConstraintKind::ForeignKey,
                columns: Vec::new(),
                references: Some(Name::bare(target)),
                definition: None,
            });
        }
    }
    for (name, table) in tables {
        out.insert(key(ObjectKind::Table, &name), Object::Table(table));
    }
    Ok(out)
}

async fn mysql(pool: &sqlx::MySqlPool) -> Result<Catalog, sqlx::Error> {
    let mut out = Catalog::new();
    let mut tables: BTreeMap<Name, Table> = BTreeMap::new();
    let rows = sqlx::query(
        "SELECT CAST(lower(table_name) AS CHAR), CAST(table_type AS CHAR) \
         FROM information_schema.tables WHERE table_schema = DATABASE()",
    )
    .fetch_all(pool)
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
            tables.insert(
                name.clone(),
                Table {
                    name,
                    columns: Vec::new(),
                    constraints: Vec::new(),
                    indexes: BTreeSet::new(),
                    open_columns: false,
                    open_constraints: false,
                },
            );
        }
    }
    let rows = sqlx::query(
        "SELECT CAST(lower(table_name) AS CHAR), CAST(lower(column_name) AS CHAR), \
                CAST(lower(column_type) AS CHAR), CAST(is_nullable AS CHAR), \
                CAST(column_default IS NOT NULL OR extra LIKE '%auto_increment%' AS SIGNED) \
         FROM information_schema.columns WHERE table_schema = DATABASE() \
         ORDER BY table_name, ordinal_position",
    )
    .fetch_all(pool)
    .await?;
    for row in rows {
        let name = Name::bare(row.get::<String, _>(0));
        if let Some(table) = tables.get_mut(&name) {
            table.columns.push(Column {
                name: row.get(1),
                data_type: row.get(2),
                nullable: row.get::<String, _>(3) == "YES",
                has_default: row.get::<i64, _>(4) != 0,
                sql: None,
            });
        }
    }
    let rows = sqlx::query(
        "SELECT CAST(lower(table_name) AS CHAR), CAST(lower(index_name) AS CHAR), \
                CAST(non_unique AS SIGNED), CAST(lower(column_name) AS CHAR) \
         FROM information_schema.statistics WHERE table_schema = DATABASE() \
         ORDER BY table_name, index_name, seq_in_index",
    )
    .fetch_all(pool)
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
                definition: None,
            })
        });
        if let Object::Index(i) = entry {
            i.columns.push(column);
        }
        if let Some(t) = tables.get_mut(&table) {
            t.indexes.insert(name);
        }
    }
    let rows = sqlx::query(
        "SELECT CAST(lower(c.table_name) AS CHAR), CAST(lower(c.constraint_name) AS CHAR), \
                CAST(c.constraint_type AS CHAR), \
                CAST(coalesce((SELECT group_concat(lower(k.column_name) ORDER BY k.ordinal_position SEPARATOR '\\x01') \
                      FROM information_schema.key_column_usage k \
                      WHERE k.table_schema = c.table_schema AND k.table_name = c.table_name \
                      AND k.constraint_name = c.constraint_name), '') AS CHAR), \
                CAST(coalesce((SELECT max(lower(k.referenced_table_name)) \
                      FROM information_schema.key_column_usage k \
                      WHERE k.table_schema = c.table_schema AND k.table_name = c.table_name \
                      AND k.constraint_name = c.constraint_name), '') AS CHAR) \
         FROM information_schema.table_constraints c WHERE c.table_schema = DATABASE()",
    )
    .fetch_all(pool)
    .await?;
    for row in rows {
        let name = Name::bare(row.get::<String, _>(0));
        let Some(table) = tables.get_mut(&name) else {
            continue;
        };
        let kind = match row.get::<String, _>(2).as_str() {
            "PRIMARY KEY" => ConstraintKind::PrimaryKey,
            "UNIQUE" => ConstraintKind::Unique,
            "FOREIGN KEY" => ConstraintKind::ForeignKey,
            "CHECK" => ConstraintKind::Check,
            _ => ConstraintKind::Other,
        };
        let referenced: String = row.get(4);
        table.constraints.push(Constraint {
            name: row.get(1),
            generated_name: false,
            kind,
            columns: split_list(&row.get::<String, _>(3).replace("\\x01", "\u{1}")),
            references: (!referenced.is_empty()).then(|| Name::bare(referenced)),
            definition: None,
        });
    }
    for (name, table) in tables {
        out.insert(key(ObjectKind::Table, &name), Object::Table(table));
    }
    Ok(out)
}

/// A type's text in one normal form for both sides: PostgreSQL's aliases
/// unified (`int4`, `serial` and `integer` are one), `without time zone`
/// dropped, spaces squeezed.
pub fn normal_type(text: &str) -> String {
    let text = text.to_lowercase().replace(" without time zone", "");
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let (base, rest) = match text.find(['(', '[']) {
        Some(i) => (text[..i].trim().to_string(), text[i..].to_string()),
        None => (text.clone(), String::new()),
    };
    let base = match base.as_str() {
        "int" | "int4" | "integer" | "serial" | "serial4" => "integer",
        "int8" | "bigint" | "bigserial" | "serial8" => "bigint",
        "int2" | "smallint" | "smallserial" | "serial2" => "smallint",
        "bool" | "boolean" => "boolean",
        "varchar" | "character varying" => "character varying",
        "char" | "character" | "bpchar" => "character",
        "float8" | "double precision" | "double" | "float" => "double precision",
        "float4" | "real" => "real",
        "decimal" | "numeric" => "numeric",
        "timestamptz" | "timestamp with time zone" => "timestamp with time zone",
        "timetz" | "time with time zone" => "time with time zone",
        other => other,
    }
    .to_string();
    // `char` alone is `character(1)`.
    if base == "character" && rest.is_empty() {
        return "character(1)".to_string();
    }
    format!("{base}{}", rest.replace(" (", "("))
}

/// One difference between the model and the catalog.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Mismatch {
    /// The object, e.g. `table posts`.
    pub object: String,
    /// What differs.
    pub detail: String,
}

/// What a comparison found.
#[derive(Debug, Default)]
pub struct Comparison {
    /// Objects compared (present on either side, certain in the model).
    pub compared: usize,
    /// Objects the model marks uncertain (not compared).
    pub unknown: usize,
    /// The differences.
    pub mismatches: Vec<Mismatch>,
}

/// Which parts a dialect's catalog can be compared on.
#[derive(Debug, Clone, Copy)]
pub struct Compare {
    /// Compare constraint names (PostgreSQL and MariaDB name them; SQLite does not).
    pub constraint_names: bool,
    /// Compare column types.
    pub types: bool,
    /// Compare the nullability of primary key columns (SQLite lets them
    /// hold NULL unless declared NOT NULL).
    pub key_nullability: bool,
}

impl Compare {
    /// What `kind`'s catalog supports.
    pub fn for_kind(kind: crate::Kind) -> Compare {
        match kind {
            crate::Kind::Postgres => Compare {
                constraint_names: true,
                types: true,
                key_nullability: true,
            },
            crate::Kind::MySql => Compare {
                constraint_names: true,
                types: false,
                key_nullability: true,
            },
            crate::Kind::Sqlite => Compare {
                constraint_names: false,
                types: false,
                key_nullability: false,
            },
        }
    }
}

/// Compares the model with the catalog, object by object. Objects the model
/// marks uncertain are counted, not compared; so are the columns and
/// constraints of a table the model marks open.
pub fn compare(model: &Schema, catalog: &Catalog, how: Compare) -> Comparison {
    let mut out = Comparison::default();
    let mut keys: BTreeSet<&ObjectKey> = catalog.keys().collect();
    let model_objects = model.objects();
    keys.extend(model_objects.iter().map(|(k, _)| *k));
    for k in keys {
        let label = format!("{} {}", k.kind.noun(), k.name);
        if model.is_uncertain(k) {
            out.unknown += 1;
            continue;
        }
        out.compared += 1;
        let mut miss = |detail: String| {
            out.mismatches.push(Mismatch {
                object: label.clone(),
                detail,
            })
        };
        match (model.object(k), catalog.get(k)) {
            (None, None) => {}
            (Some(_), None) => miss("in the model, not in the database".to_string()),
            (None, Some(_)) => {
                if !model.is_open() {
                    miss("in the database, not in the model".to_string())
                }
            }
            (Some(Object::Table(m)), Some(Object::Table(c))) => compare_table(m, c, how, &mut miss),
            (Some(Object::Index(m)), Some(Object::Index(c))) => {
                let expressions = m.columns.iter().chain(&c.columns).any(Option::is_none);
                if m.table != c.table {
                    miss(format!(
                        "on {} in the model, {} in the database",
                        m.table, c.table
                    ));
                }
                if m.unique != c.unique {
                    miss(format!(
                        "unique {} in the model, {} in the database",
                        m.unique, c.unique
                    ));
                }
                if !expressions && m.columns != c.columns {
                    miss(format!(
                        "columns {:?} in the model, {:?} in the database",
                        m.columns, c.columns
                    ));
                }
            }
            (Some(Object::View(m)), Some(Object::View(c))) => {
                if m.materialized != c.materialized {
                    miss(format!(
                        "materialized {} in the model, {} in the database",
                        m.materialized, c.materialized
                    ));
                }
            }
            (Some(Object::Sequence(m)), Some(Object::Sequence(c))) => {
                if m.owned_by != c.owned_by {
                    miss(format!(
                        "owned by {:?} in the model, {:?} in the database",
                        m.owned_by, c.owned_by
                    ));
                }
            }
            (Some(Object::Type(m)), Some(Object::Type(c))) => {
                if !m.labels.is_empty() && m.labels != c.labels {
                    miss(format!(
                        "labels {:?} in the model, {:?} in the database",
                        m.labels, c.labels
                    ));
                }
            }
            (Some(_), Some(_)) => miss("a different kind of object".to_string()),
        }
    }
    out.mismatches.sort();
    out
}

fn compare_table(m: &Table, c: &Table, how: Compare, miss: &mut dyn FnMut(String)) {
    if !m.open_columns {
        let model: Vec<&str> = m.columns.iter().map(|c| c.name.as_str()).collect();
        let database: Vec<&str> = c.columns.iter().map(|c| c.name.as_str()).collect();
        let (mut a, mut b) = (model.clone(), database.clone());
        a.sort();
        b.sort();
        if a != b {
            miss(format!(
                "columns {model:?} in the model, {database:?} in the database"
            ));
        }
        for mc in &m.columns {
            let Some(cc) = c.column(&mc.name) else {
                continue;
            };
            let in_key = m
                .constraints
                .iter()
                .any(|k| k.kind == ConstraintKind::PrimaryKey && k.columns.contains(&mc.name));
            if mc.nullable != cc.nullable && (how.key_nullability || !in_key) {
                miss(format!(
                    "column {} nullable {} in the model, {} in the database",
                    mc.name, mc.nullable, cc.nullable
                ));
            }
            if how.types && normal_type(&mc.data_type) != normal_type(&cc.data_type) {
                miss(format!(
                    "column {} type {} in the model, {} in the database",
                    mc.name, mc.data_type, cc.data_type
                ));
            }
        }
    }
    if !m.open_constraints && !m.open_columns {
        let shape = |t: &Table, names: bool| -> BTreeMap<String, usize> {
            let mut out = BTreeMap::new();
            for k in &t.constraints {
                // SQLite keeps no name, and reports a foreign key by target only.
                let item = if names {
                    format!("{:?} {}", k.kind, k.name)
                } else if k.kind == ConstraintKind::ForeignKey {
                    format!(
                        "{:?} -> {}",
                        k.kind,
                        k.references
                            .as_ref()
                            .map(|r| r.to_string())
                            .unwrap_or_default()
                    )
                } else if k.kind == ConstraintKind::PrimaryKey {
                    format!("{:?} {:?}", k.kind, k.columns)
                } else {
                    continue;
                };
                *out.entry(item).or_default() += 1;
            }
            if !names {
                // Foreign keys: one per target.
                for count in out.values_mut() {
                    *count = 1;
                }
            }
            out
        };
        let (a, b) = (
            shape(m, how.constraint_names),
            shape(c, how.constraint_names),
        );
        if a != b {
            miss(format!(
                "constraints {:?} in the model, {:?} in the database",
                a.keys().collect::<Vec<_>>(),
                b.keys().collect::<Vec<_>>()
            ));
        }
    }
}

/// One revision replayed on the server and on the model.
#[derive(Debug)]
pub struct Step {
    /// The revision's id.
    pub revision: String,
    /// `unknown-object` / `duplicate-object` problems the model reported
    /// for statements the server ran without error: each a false error.
    pub false_errors: Vec<String>,
    /// Problems for statements the server refused (true errors).
    pub true_errors: Vec<String>,
    /// Statements the server refused, with its message.
    pub server_errors: Vec<String>,
    /// Model against catalog after the revision.
    pub comparison: Comparison,
}

/// Compiles `upgrade` (SQL text) as revision `id` of `dialect`.
pub fn compile_revision(
    id: &str,
    parent: &str,
    upgrade: &str,
    transactional: bool,
    dialect: migrate_build::config::Dialect,
) -> Result<migrate_build::CompiledRevision, Vec<migrate_build::Diagnostic>> {
    let config = migrate_build::config::Config {
        dialect,
        ..Default::default()
    };
    let marker = if transactional {
        "-- migrate:upgrade\n"
    } else {
        "-- migrate:upgrade transaction:false\n"
    };
    let mut text = format!("-- revision: {id}\n-- down_revision: {parent}\n\n{marker}{upgrade}\n");
    // A statement no parser here accepts gets the documented way through,
    // `-- migrate:unchecked`, as a user would write it (without the
    // `pg-query` feature, sqlparser alone judges).
    for _ in 0..50 {
        let file = migrate_build::source::SourceFile {
            path: format!("migrations/{id}.sql").into(),
            text: text.clone(),
        };
        let diagnostics = match migrate_build::revision::compile_file(&file, &config) {
            Ok(revision) => return Ok(revision),
            Err(diagnostics) => diagnostics,
        };
        let Some(at) = diagnostics
            .iter()
            .filter(|d| d.code == "sql-syntax")
            .filter_map(|d| d.labels.iter().map(|l| l.span.start).min())
            .min()
        else {
            return Err(diagnostics);
        };
        let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
        text.insert_str(
            line_start,
            "-- migrate:unchecked -- not parsed by sqlparser\n",
        );
    }
    let file = migrate_build::source::SourceFile {
        path: format!("migrations/{id}.sql").into(),
        text,
    };
    migrate_build::revision::compile_file(&file, &config)
}

/// Runs `revision`'s upgrade statement by statement on `db` and on
/// `model`, then compares the model with the catalog.
pub async fn step(
    db: &MigrateConnection,
    model: &mut Schema,
    revision: &migrate_build::CompiledRevision,
    how: Compare,
) -> Step {
    let mut out = Step {
        revision: revision.id.clone(),
        false_errors: Vec::new(),
        true_errors: Vec::new(),
        server_errors: Vec::new(),
        comparison: Comparison::default(),
    };
    for section in &revision.upgrade {
        for statement in &section.statements {
            let sql = &revision.source[statement.span.clone()];
            let result = match db {
                MigrateConnection::Sqlite(pool) => {
                    sqlx::raw_sql(sql).execute(pool).await.map(|_| ())
                }
                MigrateConnection::Postgres(pool) => {
                    sqlx::raw_sql(sql).execute(pool).await.map(|_| ())
                }
                MigrateConnection::MySql(pool) => {
                    sqlx::raw_sql(sql).execute(pool).await.map(|_| ())
                }
            };
            let problems = model.apply(statement, &revision.source);
            let first_line = sql.lines().next().unwrap_or("").trim().to_string();
            match result {
                Ok(()) => out.false_errors.extend(
                    problems
                        .iter()
                        .map(|p| format!("{}: {first_line}: {}", revision.id, p.message)),
                ),
                Err(e) => {
                    out.server_errors
                        .push(format!("{}: {first_line}: {e}", revision.id));
                    out.true_errors.extend(
                        problems
                            .iter()
                            .map(|p| format!("{}: {first_line}: {}", revision.id, p.message)),
                    );
                }
            }
        }
    }
    match introspect(db).await {
        Ok(catalog) => out.comparison = compare(model, &catalog, how),
        Err(e) => out.server_errors.push(format!("introspection: {e}")),
    }
    out
}
