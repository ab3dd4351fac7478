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
        MigrateConnection::Postgres(pool) => postgres(&mut *pool.acquire().await?).await,
        MigrateConnection::Sqlite(pool) => sqlite(&mut *pool.acquire().await?).await,
        MigrateConnection::MySql(pool) => mysql(&mut *pool.acquire().await?).await,
    }
}

const PG_USER_SCHEMA: &str = "n.nspname NOT IN ('pg_catalog', 'information_schema') \
     AND n.nspname NOT LIKE 'pg_toast%' AND n.nspname NOT LIKE 'pg_temp%'";

/// Not a member of an extension.
const PG_NOT_EXTENSION: &str = "NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.objid = c.oid \
     AND e.classid = 'pg_class'::regclass AND e.deptype = 'e')";

async fn postgres(pool: &mut sqlx::PgConnection) -> Result<Catalog, sqlx::Error> {
    let mut out = Catalog::new();
    let mut tables: BTreeMap<Name, Table> = BTreeMap::new();
    let rows = sqlx::query(&format!(
        "SELECT n.nspname::text, c.relname::text FROM pg_class c \
         JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE c.relkind IN ('r', 'p') AND {PG_USER_SCHEMA} AND {PG_NOT_EXTENSION}"
    ))
    .fetch_all(&mut *pool)
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
    .fetch_all(&mut *pool)
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
    .fetch_all(&mut *pool)
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
    .fetch_all(&mut *pool)
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
                          FROM pg_rewrite w JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = w.oid \
                          JOIN pg_class r ON r.oid = d.refobjid \
                          JOIN pg_namespace rn ON rn.oid = r.relnamespace \
                          WHERE w.ev_class = c.oid AND d.refclassid = 'pg_class'::regclass \
                          AND d.refobjid <> c.oid), '') \
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE c.relkind IN ('v', 'm') AND {PG_USER_SCHEMA} AND {PG_NOT_EXTENSION}"
    ))
    .fetch_all(&mut *pool)
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
    .fetch_all(&mut *pool)
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
    .fetch_all(&mut *pool)
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

async fn sqlite(pool: &mut sqlx::SqliteConnection) -> Result<Catalog, sqlx::Error> {
    let mut out = Catalog::new();
    let rows = sqlx::query(
        "SELECT type, lower(name), lower(tbl_name) FROM sqlite_master \
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
        .fetch_all(&mut *pool)
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
        .fetch_all(&mut *pool)
        .await?;
        for row in indexes {
            let name = Name::bare(row.get::<String, _>(0));
            let columns: Vec<Option<String>> =
                sqlx::query_scalar("SELECT lower(name) FROM pragma_index_info(?) ORDER BY seqno")
                    .bind(&name.name)
                    .fetch_all(&mut *pool)
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
                .fetch_all(&mut *pool)
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

async fn mysql(pool: &mut sqlx::MySqlConnection) -> Result<Catalog, sqlx::Error> {
    let mut out = Catalog::new();
    let mut tables: BTreeMap<Name, Table> = BTreeMap::new();
    let rows = sqlx::query(
        "SELECT CAST(lower(table_name) AS CHAR), CAST(table_type AS CHAR) \
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
    .fetch_all(&mut *pool)
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
    // MariaDB gives each JSON column a CHECK (json_valid(`col`)) named after
    // the column (MySQL has a native JSON type): the server's, not the
    // history's, so left out of the normal form.
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
         FROM information_schema.table_constraints c WHERE c.table_schema = DATABASE() \
         AND NOT (c.constraint_type = 'CHECK' AND EXISTS (SELECT 1 FROM information_schema.check_constraints cc \
              WHERE cc.constraint_schema = c.table_schema AND cc.table_name = c.table_name \
              AND cc.constraint_name = c.constraint_name \
              AND cc.check_clause = concat('json_valid(`', c.constraint_name, '`)')))",
    )
    .fetch_all(&mut *pool)
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

/// A statement the server refused, with what the model said of it.
#[derive(Debug, Clone)]
pub struct Refused {
    /// The revision's id.
    pub revision: String,
    /// The statement's first line.
    pub statement: String,
    /// The server's message.
    pub error: String,
    /// The `unknown-object` / `duplicate-object` problems the model reported
    /// for the statement (empty: the model did not see it coming).
    pub model: Vec<String>,
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}: {}", self.revision, self.statement, self.error)?;
        if self.model.is_empty() {
            write!(f, " (the model reports nothing)")
        } else {
            write!(f, " (the model: {})", self.model.join("; "))
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
    /// Statements the server refused. The model skips them too (it follows
    /// what the server holds), after noting what it would have reported.
    pub server_errors: Vec<Refused>,
    /// Model against catalog after the revision.
    pub comparison: Comparison,
    /// The catalog after the revision.
    pub catalog: Catalog,
}

/// Compiles `upgrade` (SQL text) as revision `id` of `dialect`.
pub fn compile_revision(
    id: &str,
    parent: &str,
    upgrade: &str,
    transactional: bool,
    dialect: migrate_build::config::Dialect,
) -> Result<migrate_build::CompiledRevision, Vec<migrate_build::Diagnostic>> {
    compile_revision_with_downgrade(id, parent, upgrade, None, transactional, dialect)
}

/// Compiles `upgrade` and, when given, `downgrade` (SQL text, with its
/// section's transaction mode) as revision `id` of `dialect`.
pub fn compile_revision_with_downgrade(
    id: &str,
    parent: &str,
    upgrade: &str,
    downgrade: Option<(&str, bool)>,
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
    if let Some((down, down_transactional)) = downgrade {
        let marker = if down_transactional {
            "-- migrate:downgrade\n"
        } else {
            "-- migrate:downgrade transaction:false\n"
        };
        text.push_str(&format!("\n{marker}{down}\n"));
    }
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

/// The first line of a statement, for messages.
fn first_line(sql: &str) -> String {
    sql.lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with("--"))
        .unwrap_or("")
        .to_string()
}

/// Model errors (not the `uncertain-object` warnings) as messages.
fn errors(revision: &str, sql: &str, problems: Vec<migrate_build::schema::Problem>) -> Vec<String> {
    problems
        .into_iter()
        .filter(|p| p.kind != migrate_build::schema::ProblemKind::Uncertain)
        .map(|p| format!("{revision}: {}: {}", first_line(sql), p.message))
        .collect()
}

async fn execute(db: &MigrateConnection, sql: &str) -> Result<(), sqlx::Error> {
    match db {
        MigrateConnection::Sqlite(pool) => sqlx::raw_sql(sql).execute(pool).await.map(|_| ()),
        MigrateConnection::Postgres(pool) => sqlx::raw_sql(sql).execute(pool).await.map(|_| ()),
        MigrateConnection::MySql(pool) => sqlx::raw_sql(sql).execute(pool).await.map(|_| ()),
    }
}

/// Runs `revision`'s upgrade statement by statement on `db` and on
/// `model`, then compares the model with the catalog. A statement the
/// server refuses is replayed on a copy of the model only, to record what
/// the model says of it: the model goes on from what the server holds.
pub async fn step(
    db: &MigrateConnection,
    model: &mut Schema,
    revision: &migrate_build::CompiledRevision,
    how: Compare,
) -> Step {
    let mut out = Step {
        revision: revision.id.clone(),
        false_errors: Vec::new(),
        server_errors: Vec::new(),
        comparison: Comparison::default(),
        catalog: Catalog::new(),
    };
    model.set_origin(&revision.id);
    for section in &revision.upgrade {
        for statement in &section.statements {
            let sql = &revision.source[statement.span.clone()];
            match execute(db, sql).await {
                Ok(()) => {
                    let problems = model.apply(statement, &revision.source);
                    out.false_errors.extend(errors(&revision.id, sql, problems));
                }
                Err(e) => {
                    let mut copy = model.clone();
                    let problems = copy.apply(statement, &revision.source);
                    out.server_errors.push(Refused {
                        revision: revision.id.clone(),
                        statement: first_line(sql),
                        error: e.to_string(),
                        model: errors(&revision.id, sql, problems),
                    });
                }
            }
        }
    }
    match introspect(db).await {
        Ok(catalog) => {
            out.comparison = compare(model, &catalog, how);
            out.catalog = catalog;
        }
        Err(e) => out.server_errors.push(Refused {
            revision: revision.id.clone(),
            statement: "introspection".to_string(),
            error: e.to_string(),
            model: Vec::new(),
        }),
    }
    out
}

/// What a revision's downgrade did on the server, run right after its
/// upgrade inside a transaction that is rolled back (PostgreSQL and SQLite
/// undo DDL with it), so the database stays at the upgrade's result.
#[derive(Debug)]
pub enum RoundTrip {
    /// The catalog after the downgrade differs from the one before the
    /// upgrade (empty: it is the same).
    Ran(Vec<String>),
    /// A downgrade statement failed: the statement and the server's message.
    Failed(String),
}

/// Runs `revision`'s downgrade in a transaction on `db`, reads the catalog,
/// rolls back, and compares that catalog with `before` (the one before the
/// upgrade). `CONCURRENTLY`, which cannot run in a transaction, is left out:
/// it changes how an index is built, not the catalog.
pub async fn downgrade_round_trip(
    db: &MigrateConnection,
    revision: &migrate_build::CompiledRevision,
    before: &Catalog,
) -> Result<RoundTrip, sqlx::Error> {
    let statements: Vec<String> = revision
        .downgrade
        .iter()
        .flat_map(|s| &s.statements)
        .map(|st| {
            let sql = &revision.source[st.span.clone()];
            sql.replace(" CONCURRENTLY", "")
                .replace(" concurrently", "")
        })
        .collect();
    macro_rules! round_trip {
        ($pool:expr, $introspect:ident) => {{
            let mut tx = $pool.begin().await?;
            let mut failed = None;
            for sql in &statements {
                if let Err(e) = sqlx::raw_sql(sql).execute(&mut *tx).await {
                    failed = Some(format!("{}: {e}", first_line(sql)));
                    break;
                }
            }
            let result = match failed {
                Some(failure) => RoundTrip::Failed(failure),
                None => RoundTrip::Ran(catalog_differences(before, &$introspect(&mut *tx).await?)),
            };
            tx.rollback().await?;
            result
        }};
    }
    Ok(match db {
        MigrateConnection::Postgres(pool) => round_trip!(pool, postgres),
        MigrateConnection::Sqlite(pool) => round_trip!(pool, sqlite),
        MigrateConnection::MySql(_) => {
            return Err(sqlx::Error::Protocol(
                "MariaDB commits DDL at once: no round trip in a transaction".to_string(),
            ))
        }
    })
}

/// How two catalogs differ, in the normal form the model is compared in:
/// columns by name with normal type, nullability and default; constraints
/// by kind, name and columns; indexes by table, columns and uniqueness;
/// views; sequences with owner; enum labels.
pub fn catalog_differences(before: &Catalog, after: &Catalog) -> Vec<String> {
    fn parts(object: &Object) -> BTreeSet<String> {
        match object {
            Object::Table(t) => t
                .columns
                .iter()
                .map(|c| {
                    // Unlimited `varchar` and `text` are one type (as the
                    // model's downgrade check treats them).
                    let data_type = match normal_type(&c.data_type).as_str() {
                        "character varying" => "text".to_string(),
                        other => other.to_string(),
                    };
                    format!(
                        "column {} {} null={} default={}",
                        c.name, data_type, c.nullable, c.has_default
                    )
                })
                .chain(t.constraints.iter().map(|c| {
                    format!(
                        "constraint {:?} {} {:?} {:?}",
                        c.kind, c.name, c.columns, c.references
                    )
                }))
                .collect(),
            // Expression columns are not compared (their text is not read).
            Object::Index(i) if i.columns.is_empty() || i.columns.iter().any(Option::is_none) => {
                [format!("on {} unique={}", i.table, i.unique)].into()
            }
            Object::Index(i) => [format!(
                "on {} {:?} unique={}",
                i.table, i.columns, i.unique
            )]
            .into(),
            Object::View(v) => [format!("materialized={}", v.materialized)].into(),
            Object::Sequence(s) => [format!("owned by {:?}", s.owned_by)].into(),
            Object::Type(t) => [format!("labels {:?}", t.labels)].into(),
        }
    }
    let mut keys: BTreeSet<&ObjectKey> = before.keys().collect();
    keys.extend(after.keys());
    let mut out = Vec::new();
    for k in keys {
        let label = format!("{} {}", k.kind.noun(), k.name);
        match (before.get(k), after.get(k)) {
            (Some(_), None) => out.push(format!("{label} is missing after the downgrade")),
            (None, Some(_)) => out.push(format!("{label} is still present after the downgrade")),
            (Some(b), Some(a)) => {
                let (b, a) = (parts(b), parts(a));
                if a != b {
                    out.push(format!(
                        "{label}: {:?} after the downgrade, {:?} before",
                        a.difference(&b).collect::<Vec<_>>(),
                        b.difference(&a).collect::<Vec<_>>()
                    ));
                }
            }
            (None, None) => {}
        }
    }
    out
}
