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
    // The views' texts, read only when there are views (the query opens
    // each of them).
    let mut view_texts: BTreeMap<String, String> = BTreeMap::new();
    if rows.iter().any(|row| row.get::<String, _>(1) == "VIEW") {
        let database: String = sqlx::query_scalar("SELECT CAST(DATABASE() AS CHAR)")
            .fetch_one(&mut *pool)
            .await?;
        view_texts = sqlx::query(
            "SELECT CAST(lower(table_name) AS CHAR), CAST(view_definition AS CHAR) \
             FROM information_schema.views WHERE table_schema = DATABASE()",
        )
        .fetch_all(&mut *pool)
        .await?
        .into_iter()
        .map(|row| (row.get(0), unqualified(&row.get::<String, _>(1), &database)))
        .collect();
    }
    for row in rows {
        let name = Name::bare(row.get::<String, _>(0));
        let kind: String = row.get(1);
        if kind == "VIEW" {
            let definition = view_texts.get(name.name.as_str()).cloned();
            out.insert(
                key(ObjectKind::View, &name),
                Object::View(View {
                    name,
                    materialized: false,
                    depends_on: BTreeSet::new(),
                    definition,
                    comment: None,
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
                CAST(column_comment AS CHAR), CAST(generation_expression AS CHAR) \
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
            // `stored generated` (MySQL; MariaDB also `persistent
            // generated`), whose expression is `generation_expression`.
            let (default, generated) = if extra.contains("auto_increment") {
                (None, Some("AUTO_INCREMENT".to_string()))
            } else if extra.contains("generated") {
                let expression: Option<String> = row.get(8);
                let kind = if extra.contains("virtual") {
                    "VIRTUAL"
                } else {
                    "STORED"
                };
                (
                    None,
                    Some(format!(
                        "GENERATED ALWAYS AS ({}) {kind}",
                        expression.unwrap_or_default()
                    )),
                )
            } else {
                (row.get::<Option<String>, _>(5).map(Into::into), None)
            };
            let comment: Option<String> = row.get(7);
            if let Some(comment) = comment.filter(|c| !c.is_empty()) {
                table
                    .column_comments
                    .insert(row.get::<String, _>(1).into(), comment);
            }
            table.columns_mut().push(Column {
                name: row.get::<String, _>(1).into(),
                data_type: data_type.as_str().into(),
                nullable: row.get::<String, _>(3) == "YES",
                has_default: row.get::<i64, _>(4) != 0,
                sql: Some(ColumnSql {
                    data_type: data_type.into(),
                    default,
                    generated: generated.map(Into::into),
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
                method: row.get::<Option<String>, _>(4).map(Into::into),
                // MariaDB has no partial index.
                predicate: IndexPredicate::Whole,
            })
        });
        if let Object::Index(i) = entry {
            i.columns.push(column.map(Into::into));
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
    // The check clauses, as the server prints them. MariaDB's JSON is
    // LONGTEXT with a CHECK (json_valid(`col`)) named after the column (MySQL
    // has a native JSON type): such a check on a longtext column is the
    // column's type, as the model holds it (`schema::mariadb`), so it is
    // left out; a check of any other shape, or on another type, stays.
    let mut json_checks: BTreeSet<(String, String)> = BTreeSet::new();
    let mut check_clauses: BTreeMap<(String, String), String> = BTreeMap::new();
    for row in sqlx::query(
        "SELECT CAST(lower(table_name) AS CHAR), CAST(lower(constraint_name) AS CHAR), \
                CAST(check_clause AS CHAR), \
                CAST(check_clause = concat('json_valid(`', constraint_name, '`)') AS SIGNED) \
         FROM information_schema.check_constraints WHERE constraint_schema = DATABASE()",
    )
    .fetch_all(&mut *pool)
    .await?
    {
        let pair: (String, String) = (row.get(0), row.get(1));
        let on_longtext = || {
            tables
                .get(&Name::bare(pair.0.clone()))
                .and_then(|t| t.column(&pair.1))
                .is_some_and(|c| c.data_type == "longtext")
        };
        if row.get::<i64, _>(3) != 0 && on_longtext() {
            json_checks.insert(pair);
        } else {
            check_clauses.insert(pair, row.get(2));
        }
    }
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
        let definition = (kind == ConstraintKind::Check)
            .then(|| check_clauses.get(&pair).cloned())
            .flatten();
        table.constraints.push(Constraint {
            name: pair.1.into(),
            generated_name: false,
            kind,
            columns: columns.into_iter().map(Into::into).collect(),
            references: (!referenced.is_empty()).then(|| Name::bare(referenced)),
            definition: definition.map(Into::into),
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

/// `name` quoted as MySQL and MariaDB need it.
fn ident(name: &str) -> String {
    format!("`{}`", name.replace('`', "``"))
}

/// A view's text (`information_schema.views.view_definition`) without the
/// database's name, with which the server qualifies every name.
fn unqualified(text: &str, database: &str) -> String {
    text.replace(&format!("{}.", ident(database)), "")
}

/// The DDL that re-creates the tables and views of the MySQL or MariaDB
/// database behind `conn` (`DATABASE()`), from the server's own text:
/// `SHOW CREATE TABLE` for each table, its foreign keys taken out and added
/// after every table by `ALTER TABLE ... ADD CONSTRAINT` (so that any order
/// and a cycle of references run), its `AUTO_INCREMENT=` counter left out
/// (a state, not a definition); `information_schema.views` for each view
/// (names of the database's own objects unqualified), those a view reads
/// first. `(object, statement)` in an order that runs on an empty database.
/// Tables named in `skip` (the tool's own) are left out; so are triggers,
/// routines and events, which the model does not hold.
pub async fn definitions(
    conn: &mut sqlx::MySqlConnection,
    skip: &[String],
) -> Result<Vec<(String, String)>, Error> {
    let rows = sqlx::query(
        "SELECT CAST(table_name AS CHAR), CAST(table_type AS CHAR), \
                CAST(coalesce(view_definition, '') AS CHAR), CAST(t.table_schema AS CHAR) \
         FROM information_schema.tables t LEFT JOIN information_schema.views v \
         USING (table_schema, table_name) \
         WHERE t.table_schema = DATABASE() ORDER BY table_name",
    )
    .fetch_all(&mut *conn)
    .await?;
    let names: Vec<String> = rows.iter().map(|row| row.get::<String, _>(0)).collect();
    let sensitive = case_sensitive_names(&mut *conn).await?;
    let collisions = case_collisions(&names, sensitive);
    if !collisions.is_empty() {
        return Err(Error::NotRead(collisions));
    }
    let mut out = Vec::new();
    let mut foreign = Vec::new();
    let mut views: Vec<(String, String)> = Vec::new();
    for row in rows {
        let (name, kind, view, database): (String, String, String, String) =
            (row.get(0), row.get(1), row.get(2), row.get(3));
        if kind == "VIEW" {
            let query = unqualified(&view, &database);
            views.push((name, query));
            continue;
        }
        // The tool's own tables, compared as the server compares names.
        let skipped = |s: &String| {
            if sensitive {
                *s == name
            } else {
                s.eq_ignore_ascii_case(&name)
            }
        };
        if skip.iter().any(skipped) {
            continue;
        }
        let row = sqlx::query(&format!("SHOW CREATE TABLE {}", ident(&name)))
            .fetch_one(&mut *conn)
            .await?;
        let text: String = row.try_get(1)?;
        let (create, keys) = split_foreign_keys(&text);
        out.push((format!("table {name}"), create));
        for key in keys {
            foreign.push((
                format!("a foreign key of table {name}"),
                format!("ALTER TABLE {} ADD {key}", ident(&name)),
            ));
        }
    }
    out.extend(foreign);
    // Views after the views they read.
    let mut placed: BTreeSet<String> = BTreeSet::new();
    while !views.is_empty() {
        let ready = views
            .iter()
            .position(|(name, query)| {
                views.iter().all(|(other, _)| {
                    other == name || placed.contains(other) || !query.contains(&ident(other))
                })
            })
            .unwrap_or(0);
        let (name, query) = views.remove(ready);
        out.push((
            format!("view {name}"),
            format!("CREATE VIEW {} AS {query}", ident(&name)),
        ));
        placed.insert(name);
    }
    Ok(out)
}

/// Whether the server compares table names case-sensitively
/// (`@@lower_case_table_names` is 0: `T` and `t` are two tables).
async fn case_sensitive_names(conn: &mut sqlx::MySqlConnection) -> Result<bool, Error> {
    let setting: i64 = sqlx::query_scalar("SELECT CAST(@@lower_case_table_names AS SIGNED)")
        .fetch_one(&mut *conn)
        .await?;
    Ok(setting == 0)
}

/// The tables and views of `names` whose names differ only in case, said
/// for [`Error::NotRead`], where the server holds them apart (`sensitive`):
/// the model compares MySQL names case-insensitively, so it would take
/// them for one.
fn case_collisions(names: &[String], sensitive: bool) -> Vec<String> {
    if !sensitive {
        return Vec::new();
    }
    let mut by_folded: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for name in names {
        by_folded.entry(name.to_lowercase()).or_default().push(name);
    }
    by_folded
        .into_values()
        .filter(|spellings| spellings.len() > 1)
        .map(|spellings| {
            format!(
                "tables {} (names that differ only in case: two tables on this server, \
                 whose lower_case_table_names is 0, one in the model)",
                spellings.join(" and ")
            )
        })
        .collect()
}

/// `SHOW CREATE TABLE`'s text without its foreign keys (returned, each as
/// `CONSTRAINT ... FOREIGN KEY ...`) and without the `AUTO_INCREMENT=`
/// table option. The server writes one definition a line, each but the
/// last ending with a comma, between `(` and the line starting with `)`.
fn split_foreign_keys(text: &str) -> (String, Vec<String>) {
    let (Some(open), Some(close)) = (text.find("(\n"), text.rfind("\n)")) else {
        return (text.to_string(), Vec::new());
    };
    let mut items = Vec::new();
    let mut keys = Vec::new();
    for line in text[open + 2..close].lines() {
        let item = line.trim().trim_end_matches(',').to_string();
        let is_foreign_key = item.starts_with("CONSTRAINT ") && item.contains(" FOREIGN KEY ");
        if is_foreign_key {
            keys.push(item);
        } else if !item.is_empty() {
            items.push(item);
        }
    }
    let options: Vec<&str> = text[close + 2..]
        .split(' ')
        .filter(|o| !o.starts_with("AUTO_INCREMENT="))
        .collect();
    (
        format!(
            "{}\n  {}\n){}",
            &text[..open + 1],
            items.join(",\n  "),
            options.join(" ")
        ),
        keys,
    )
}

/// The server's own text of a declared schema: `sql` runs in a database of
/// its own made for it (MySQL has no transactional DDL to roll back), its
/// [`definitions`] are read there, and the database is dropped, whatever
/// happened, and the connection sent back to the database it was on.
pub async fn canonical_definitions(
    conn: &mut sqlx::MySqlConnection,
    sql: &str,
) -> Result<Vec<(String, String)>, Error> {
    let scratch = Scratch::create(&mut *conn, "autogen_canonical").await?;
    let result = async {
        sqlx::Executor::execute(
            &mut *conn,
            sqlx::raw_sql(&format!("USE {}", ident(&scratch.name))),
        )
        .await?;
        sqlx::Executor::execute(&mut *conn, sqlx::raw_sql(sql))
            .await
            .map_err(Error::Declared)?;
        definitions(&mut *conn, &[]).await
    }
    .await;
    scratch.finish(conn, result).await
}

/// A database of its own for DDL whose result is read and thrown away
/// (MySQL has no transactional DDL to roll back): made by
/// [`Scratch::create`], dropped by [`Scratch::finish`] whatever happened
/// in it, with the connection sent back to the database it was on.
struct Scratch {
    /// The scratch database's name.
    name: String,
    /// The connection's database before (`DATABASE()`).
    original: Option<String>,
}

impl Scratch {
    /// Makes a database named after `purpose`, this process and the time.
    async fn create(conn: &mut sqlx::MySqlConnection, purpose: &str) -> Result<Scratch, Error> {
        let original: Option<String> = sqlx::query_scalar("SELECT CAST(DATABASE() AS CHAR)")
            .fetch_one(&mut *conn)
            .await?;
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or_default();
        let name = format!("migrate_{purpose}_{}_{nanos}", std::process::id());
        if let Err(source) = sqlx::Executor::execute(
            &mut *conn,
            sqlx::raw_sql(&format!("CREATE DATABASE {}", ident(&name))),
        )
        .await
        {
            return Err(Error::ScratchNotCreated { name, source });
        }
        Ok(Scratch { name, original })
    }

    /// Drops the database and sends the connection back where it was, in
    /// every case; then `result`, or the first error of the two.
    async fn finish<T>(
        self,
        conn: &mut sqlx::MySqlConnection,
        result: Result<T, Error>,
    ) -> Result<T, Error> {
        let back = match &self.original {
            Some(database) => sqlx::Executor::execute(
                &mut *conn,
                sqlx::raw_sql(&format!("USE {}", ident(database))),
            )
            .await
            .map(drop),
            None => Ok(()),
        };
        let dropped = sqlx::Executor::execute(
            &mut *conn,
            sqlx::raw_sql(&format!("DROP DATABASE IF EXISTS {}", ident(&self.name))),
        )
        .await
        .map(drop);
        let out = result?;
        back?;
        dropped?;
        Ok(out)
    }
}

/// The server's own print of each of `declared` (texts of the model), as
/// [`introspect`] reads the database's: in a scratch database
/// (`Scratch`), each table a text is on gets a stand-in (`CREATE TABLE
/// ... LIKE`, the real one's columns, keys and checks), the check is added
/// to it (`check_clause`), the default set on its column
/// (`column_default`), the generated column added to it
/// (`generation_expression`), each then taken off again; a view is made
/// there with the connection still on the database, so that its query
/// reads the database's own tables (`view_definition`, unqualified as
/// [`introspect`] gives it). `Err` with the server's message for a text it
/// refuses. `catalog` is the database's, read just before.
pub async fn reprint(
    conn: &mut sqlx::MySqlConnection,
    catalog: &Catalog,
    declared: &[crate::Declared],
) -> Result<Vec<Result<String, String>>, Error> {
    let scratch = Scratch::create(&mut *conn, "reprint").await?;
    let result = reprint_in(&mut *conn, &scratch.name, catalog, declared).await;
    scratch.finish(conn, result).await
}

async fn reprint_in(
    conn: &mut sqlx::MySqlConnection,
    scratch: &str,
    catalog: &Catalog,
    declared: &[crate::Declared],
) -> Result<Vec<Result<String, String>>, Error> {
    use crate::Declared;
    let database: String = sqlx::query_scalar("SELECT CAST(DATABASE() AS CHAR)")
        .fetch_one(&mut *conn)
        .await?;
    // The tables' names as the server spells them (the catalog folds them).
    let spelled: BTreeMap<String, String> = sqlx::query_scalar::<_, String>(
        "SELECT CAST(table_name AS CHAR) FROM information_schema.tables \
         WHERE table_schema = DATABASE() AND table_type = 'BASE TABLE'",
    )
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(|name| (name.to_lowercase(), name))
    .collect();
    let spelling = |n: &Name| {
        spelled
            .get(n.name.as_str())
            .cloned()
            .unwrap_or(n.name.to_string())
    };
    let stand_in = |n: &Name| format!("{}.{}", ident(scratch), ident(&spelling(n)));
    let mut tables: BTreeSet<&Name> = BTreeSet::new();
    for d in declared {
        if !matches!(d, Declared::View { .. }) {
            tables.extend(d.relations());
        }
    }
    for n in tables {
        if catalog.contains_key(&key(ObjectKind::Table, n)) {
            // One it cannot make: the texts on it are refused too.
            let _ = sqlx::Executor::execute(
                &mut *conn,
                sqlx::raw_sql(&format!(
                    "CREATE TABLE {} LIKE {}",
                    stand_in(n),
                    ident(&spelling(n))
                )),
            )
            .await;
        }
    }
    let literal = |text: &str| format!("'{}'", text.replace('\\', "\\\\").replace('\'', "''"));
    let column_query = |n: &Name, column: &str, what: &str| {
        format!(
            "SELECT CAST({what} AS CHAR) FROM information_schema.columns \
             WHERE table_schema = {} AND table_name = {} AND lower(column_name) = {}",
            literal(scratch),
            literal(&spelling(n)),
            literal(column)
        )
    };
    // The defaults of one table are set by one statement and read back by
    // one query (each `ALTER TABLE` is a statement of its own on the server);
    // where the server refuses the statement, one by one below.
    let mut by_table: BTreeMap<&Name, Vec<(usize, &str, &str)>> = BTreeMap::new();
    for (i, d) in declared.iter().enumerate() {
        if let Declared::Default {
            table,
            column,
            definition,
        } = d
        {
            by_table
                .entry(table)
                .or_default()
                .push((i, column.as_str(), definition.as_str()));
        }
    }
    let mut batched: BTreeMap<usize, Result<String, String>> = BTreeMap::new();
    for (table, defaults) in by_table {
        let clauses: Vec<String> = defaults
            .iter()
            .map(|(_, column, definition)| {
                format!("ALTER COLUMN {} SET DEFAULT {definition}", ident(column))
            })
            .collect();
        let sql = format!("ALTER TABLE {} {}", stand_in(table), clauses.join(", "));
        if sqlx::Executor::execute(&mut *conn, sqlx::raw_sql(&sql))
            .await
            .is_err()
        {
            continue;
        }
        let printed: BTreeMap<String, Option<String>> = sqlx::query(&format!(
            "SELECT CAST(lower(column_name) AS CHAR), CAST(column_default AS CHAR) \
             FROM information_schema.columns WHERE table_schema = {} AND table_name = {}",
            literal(scratch),
            literal(&spelling(table))
        ))
        .fetch_all(&mut *conn)
        .await?
        .into_iter()
        .map(|row| (row.get(0), row.get(1)))
        .collect();
        for (i, column, _) in defaults {
            let text = printed.get(column).cloned().flatten();
            batched.insert(
                i,
                text.ok_or_else(|| "the server keeps no text of it".to_string()),
            );
        }
    }
    let mut out = Vec::new();
    for (i, d) in declared.iter().enumerate() {
        if let Some(text) = batched.remove(&i) {
            out.push(text);
            continue;
        }
        let (make, read, undo) = match d {
            Declared::Check { table, definition } => (
                format!(
                    "ALTER TABLE {} ADD CONSTRAINT migrate_reprint {definition}",
                    stand_in(table)
                ),
                format!(
                    "SELECT CAST(check_clause AS CHAR) FROM information_schema.check_constraints \
                     WHERE constraint_schema = {} AND table_name = {} \
                     AND constraint_name = 'migrate_reprint'",
                    literal(scratch),
                    literal(&spelling(table))
                ),
                Some(format!(
                    "ALTER TABLE {} DROP CONSTRAINT migrate_reprint",
                    stand_in(table)
                )),
            ),
            Declared::Default {
                table,
                column,
                definition,
            } => (
                format!(
                    "ALTER TABLE {} ALTER COLUMN {} SET DEFAULT {definition}",
                    stand_in(table),
                    ident(column)
                ),
                column_query(table, column, "column_default"),
                None,
            ),
            Declared::Generated {
                table,
                data_type,
                definition,
                ..
            } => (
                format!(
                    "ALTER TABLE {} ADD COLUMN migrate_reprint {data_type} \
                     GENERATED ALWAYS AS ({definition}) VIRTUAL",
                    stand_in(table)
                ),
                column_query(table, "migrate_reprint", "generation_expression"),
                Some(format!(
                    "ALTER TABLE {} DROP COLUMN migrate_reprint",
                    stand_in(table)
                )),
            ),
            Declared::View { definition, .. } => (
                format!(
                    "CREATE VIEW {}.migrate_reprint {definition}",
                    ident(scratch)
                ),
                format!(
                    "SELECT CAST(view_definition AS CHAR) FROM information_schema.views \
                     WHERE table_schema = {} AND table_name = 'migrate_reprint'",
                    literal(scratch)
                ),
                Some(format!("DROP VIEW {}.migrate_reprint", ident(scratch))),
            ),
            Declared::Index { .. } => {
                out.push(Err("MariaDB has no index on an expression".to_string()));
                continue;
            }
        };
        let text = match sqlx::Executor::execute(&mut *conn, sqlx::raw_sql(&make)).await {
            Ok(_) => {
                let text: Option<String> = sqlx::query_scalar(&read)
                    .fetch_optional(&mut *conn)
                    .await?
                    .flatten();
                if let Some(undo) = &undo {
                    sqlx::Executor::execute(&mut *conn, sqlx::raw_sql(undo)).await?;
                }
                match (d, text) {
                    (Declared::View { .. }, Some(text)) => Ok(unqualified(&text, &database)),
                    (_, Some(text)) => Ok(text),
                    (_, None) => Err("the server keeps no text of it".to_string()),
                }
            }
            Err(e) => Err(e.to_string()),
        };
        out.push(text);
    }
    Ok(out)
}
