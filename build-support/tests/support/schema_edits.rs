//! A seeded generator of schema edits for the autogenerate tests: each case
//! is a random schema (the history's) and the same schema after a few edits
//! (add, drop and alter of tables, columns, defaults, nullability, types,
//! indexes, unique and check constraints, foreign keys; several at once),
//! both as plain `CREATE` statements. Besides the tables, each case draws
//! from a second stream (so the tables of a seed stay as they were) the
//! comments on tables and columns (PostgreSQL, MySQL) and, on PostgreSQL,
//! an enum with a defaulted column (labels added, removed, reordered), a
//! sequence (added, dropped, its options changed when PostgreSQL's own
//! parser is built in: sqlparser does not read `ALTER SEQUENCE`) and a
//! domain (added, dropped, re-defined under a defaulted column). Shared by the unit tests of
//! `migrate_build::autogen` (model round trip) and `tests/tests/autogen.rs`
//! (real servers); the includer provides `Dialect` and `PG_QUERY` (whether
//! the compiler has PostgreSQL's parser) in the parent module.

use super::{Dialect, PG_QUERY};
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

#[derive(Clone)]
struct Col {
    name: String,
    ty: &'static str,
    not_null: bool,
    default: Option<&'static str>,
    comment: Option<String>,
}

#[derive(Clone)]
struct Tab {
    name: String,
    cols: Vec<Col>,
    unique: Vec<String>,
    checks: Vec<String>,
    fk: Option<String>,
    indexes: Vec<(String, String, bool)>,
    comment: Option<String>,
}

fn types(d: Dialect) -> &'static [&'static str] {
    match d {
        Dialect::MySql => &["INT", "BIGINT", "VARCHAR(40)", "TEXT", "DATE"],
        Dialect::Sqlite => &["INTEGER", "TEXT", "REAL", "BLOB"],
        _ => &[
            "INTEGER",
            "BIGINT",
            "TEXT",
            "VARCHAR(40)",
            "BOOLEAN",
            "DATE",
        ],
    }
}

fn default_for(ty: &str) -> Option<&'static str> {
    match ty {
        "INT" | "INTEGER" | "BIGINT" | "REAL" => Some("0"),
        "VARCHAR(40)" => Some("'x'"),
        "BOOLEAN" => Some("false"),
        _ => None,
    }
}

fn column(rng: &mut Rng, d: Dialect, n: usize) -> Col {
    let ty = types(d)[rng.below(types(d).len())];
    let default = if rng.chance(30) {
        default_for(ty)
    } else {
        None
    };
    Col {
        name: format!("c{n}"),
        ty,
        not_null: rng.chance(30),
        default,
        comment: None,
    }
}

fn render(d: Dialect, tables: &[Tab]) -> String {
    let mut out = String::new();
    for t in tables {
        let mut lines = vec![format!("id {} PRIMARY KEY", types(d)[0])];
        for c in &t.cols {
            let mut l = format!("{} {}", c.name, c.ty);
            if let Some(def) = c.default {
                l.push_str(&format!(" DEFAULT {def}"));
            }
            if c.not_null {
                l.push_str(" NOT NULL");
            }
            if let Some(comment) = &c.comment {
                l.push_str(&format!(" COMMENT {}", mysql_literal(comment)));
            }
            lines.push(l);
        }
        if let Some(target) = &t.fk {
            lines.push(format!("ref_id {}", types(d)[0]));
            lines.push(format!(
                "CONSTRAINT {}_ref_fk FOREIGN KEY (ref_id) REFERENCES {target} (id)",
                t.name
            ));
        }
        for u in &t.unique {
            lines.push(format!("CONSTRAINT {}_{u}_uq UNIQUE ({u})", t.name));
        }
        for c in &t.checks {
            lines.push(format!(
                "CONSTRAINT {}_{c}_ck CHECK ({c} IS NOT NULL)",
                t.name
            ));
        }
        let comment = t
            .comment
            .as_ref()
            .map(|c| format!(" COMMENT = {}", mysql_literal(c)))
            .unwrap_or_default();
        out.push_str(&format!(
            "CREATE TABLE {} (\n  {}\n){comment};\n",
            t.name,
            lines.join(",\n  ")
        ));
        for (name, col, unique) in &t.indexes {
            let u = if *unique { "UNIQUE " } else { "" };
            out.push_str(&format!("CREATE {u}INDEX {name} ON {} ({col});\n", t.name));
        }
    }
    out
}

/// A MySQL string literal (a backslash is an escape there).
fn mysql_literal(text: &str) -> String {
    format!("'{}'", text.replace('\\', "\\\\").replace('\'', "''"))
}

fn schema(rng: &mut Rng, d: Dialect) -> Vec<Tab> {
    let mut tables = Vec::new();
    for i in 0..1 + rng.below(4) {
        let cols = (0..1 + rng.below(4)).map(|n| column(rng, d, n)).collect();
        tables.push(Tab {
            name: format!("t{i}"),
            cols,
            unique: Vec::new(),
            checks: Vec::new(),
            fk: None,
            indexes: Vec::new(),
            comment: None,
        });
    }
    tables
}

fn indexable(d: Dialect, c: &Col) -> bool {
    // MySQL indexes TEXT only with a prefix length.
    !(d == Dialect::MySql && c.ty == "TEXT")
}

fn edit(rng: &mut Rng, d: Dialect, tables: &mut Vec<Tab>, next: &mut usize) {
    let t = rng.below(tables.len());
    match rng.below(11) {
        0 => {
            let name = format!("t{}", 10 + *next);
            *next += 1;
            let cols = (0..1 + rng.below(3)).map(|n| column(rng, d, n)).collect();
            tables.push(Tab {
                name,
                cols,
                unique: Vec::new(),
                checks: Vec::new(),
                fk: None,
                indexes: Vec::new(),
                comment: None,
            });
        }
        1 if tables.len() > 1 => {
            let gone = tables.remove(t).name;
            for other in tables.iter_mut() {
                if other.fk.as_deref() == Some(gone.as_str()) {
                    other.fk = None;
                }
            }
        }
        2 => {
            let n = 20 + *next;
            *next += 1;
            let mut c = column(rng, d, n);
            // Only what a table with rows can take.
            if c.not_null && c.default.is_none() {
                c.not_null = false;
            }
            tables[t].cols.push(c);
        }
        3 if !tables[t].cols.is_empty() => {
            let i = rng.below(tables[t].cols.len());
            let name = tables[t].cols[i].name.clone();
            let tab = &mut tables[t];
            tab.cols.remove(i);
            tab.unique.retain(|u| *u != name);
            tab.checks.retain(|u| *u != name);
            tab.indexes.retain(|x| x.1 != name);
        }
        4 if !tables[t].cols.is_empty() => {
            let i = rng.below(tables[t].cols.len());
            let c = &mut tables[t].cols[i];
            c.default = if c.default.is_some() {
                None
            } else {
                default_for(c.ty)
            };
        }
        5 if !tables[t].cols.is_empty() => {
            let i = rng.below(tables[t].cols.len());
            let c = &mut tables[t].cols[i];
            c.not_null = !c.not_null;
        }
        6 if !tables[t].cols.is_empty() => {
            let i = rng.below(tables[t].cols.len());
            let ty = match d {
                // PostgreSQL casts only within a family without a hand-written USING.
                Dialect::Postgres => match tables[t].cols[i].ty {
                    "INTEGER" => "BIGINT",
                    "BIGINT" => "INTEGER",
                    "TEXT" => "VARCHAR(40)",
                    "VARCHAR(40)" => "TEXT",
                    other => other,
                },
                _ => types(d)[rng.below(types(d).len())],
            };
            let name = tables[t].cols[i].name.clone();
            let c = &mut tables[t].cols[i];
            c.ty = ty;
            c.default = c.default.and_then(|_| default_for(ty));
            if !indexable(d, c) {
                let tab = &mut tables[t];
                tab.unique.retain(|u| *u != name);
                tab.indexes.retain(|x| x.1 != name);
            }
        }
        7 if !tables[t].cols.is_empty() => {
            let i = rng.below(tables[t].cols.len());
            let c = tables[t].cols[i].clone();
            let name = format!("{}_{}_idx", tables[t].name, c.name);
            if indexable(d, &c) && !tables[t].indexes.iter().any(|x| x.0 == name) {
                let unique = rng.chance(30);
                tables[t].indexes.push((name, c.name, unique));
            } else {
                tables[t].indexes.clear();
            }
        }
        8 if !tables[t].cols.is_empty() => {
            let i = rng.below(tables[t].cols.len());
            let c = tables[t].cols[i].clone();
            if indexable(d, &c) && !tables[t].unique.contains(&c.name) {
                tables[t].unique.push(c.name);
            } else {
                tables[t].unique.clear();
            }
        }
        9 if !tables[t].cols.is_empty() => {
            let i = rng.below(tables[t].cols.len());
            let c = tables[t].cols[i].name.clone();
            if tables[t].checks.contains(&c) {
                tables[t].checks.retain(|x| *x != c);
            } else {
                tables[t].checks.push(c);
            }
        }
        // A foreign key to a table declared before, so that the declared
        // schema runs in order on an empty database.
        10 if t > 0 => {
            let target = tables[rng.below(t)].name.clone();
            let tab = &mut tables[t];
            tab.fk = if tab.fk.is_some() || target == tab.name {
                None
            } else {
                Some(target)
            };
        }
        _ => {}
    }
}

/// The objects besides the tables: an enum with a table using it, a
/// sequence, a domain (PostgreSQL only).
#[derive(Clone)]
struct Extras {
    labels: Vec<&'static str>,
    /// The default of the enum's column (one of `labels`).
    label_default: Option<&'static str>,
    /// `INCREMENT BY`, `MINVALUE`, `MAXVALUE`, `CACHE`, `CYCLE`; `None`: no sequence.
    sequence: Option<(i64, i64, i64, i64, bool)>,
    /// The domain's definition (an index into `DOMAINS`), with a table
    /// whose defaulted column is of it; `None`: no domain.
    domain: Option<usize>,
}

/// The definitions a domain takes (both hold its column's default).
const DOMAINS: [&str; 2] = [
    "AS INTEGER CHECK (VALUE > 0)",
    "AS BIGINT DEFAULT 1 CHECK (VALUE >= 0)",
];

fn extras(rng: &mut Rng) -> Extras {
    Extras {
        labels: vec!["sad", "ok", "happy"],
        label_default: rng.chance(50).then_some("ok"),
        sequence: rng.chance(70).then_some((1, 1, 1000, 1, false)),
        domain: rng.chance(50).then(|| rng.below(DOMAINS.len())),
    }
}

fn edit_extras(rng: &mut Rng, x: &mut Extras) {
    match rng.below(6) {
        // A label at the end (ADD VALUE), or one removed or moved (a re-created type).
        0 => {
            if x.labels.len() < 4 && rng.chance(50) {
                x.labels.push("angry");
            } else if x.labels.len() > 2 {
                let i = rng.below(x.labels.len());
                let gone = x.labels.remove(i);
                if x.label_default == Some(gone) {
                    x.label_default = Some(x.labels[0]);
                }
            }
        }
        1 => {
            x.labels.reverse();
        }
        2 => {
            x.label_default = match x.label_default {
                Some(_) => None,
                None => Some(x.labels[rng.below(x.labels.len())]),
            }
        }
        3 => {
            x.sequence = match x.sequence {
                Some(_) if rng.chance(30) => None,
                Some((inc, min, max, cache, cycle)) if PG_QUERY => match rng.below(4) {
                    0 => Some((inc + 1, min, max, cache, cycle)),
                    1 => Some((inc, min, max * 2, cache, cycle)),
                    2 => Some((inc, min, max, cache + 9, cycle)),
                    _ => Some((inc, min, max, cache, !cycle)),
                },
                Some(options) => Some(options),
                // Without PostgreSQL's parser a sequence dropped and added
                // again keeps the options it had (a change would be ALTER
                // SEQUENCE).
                None if PG_QUERY => Some((2, 1, 500, 1, true)),
                None => Some((1, 1, 1000, 1, false)),
            }
        }
        // A domain added, dropped or re-defined.
        _ => {
            x.domain = match x.domain {
                Some(_) if rng.chance(40) => None,
                Some(at) => Some((at + 1) % DOMAINS.len()),
                None => Some(rng.below(DOMAINS.len())),
            }
        }
    }
}

fn render_extras(x: &Extras) -> String {
    let labels: Vec<String> = x.labels.iter().map(|l| format!("'{l}'")).collect();
    let mut out = format!(
        "CREATE TYPE mood AS ENUM ({});
",
        labels.join(", ")
    );
    let default = x
        .label_default
        .map(|l| format!(" DEFAULT '{l}'"))
        .unwrap_or_default();
    out.push_str(&format!(
        "CREATE TABLE feelings (\n  id INTEGER PRIMARY KEY,\n  m mood{default},\n  n mood\n);\n"
    ));
    if let Some((inc, min, max, cache, cycle)) = x.sequence {
        let cycle = if cycle { "CYCLE" } else { "NO CYCLE" };
        out.push_str(&format!(
            "CREATE SEQUENCE counter INCREMENT BY {inc} MINVALUE {min} MAXVALUE {max} CACHE {cache} {cycle};\n"
        ));
    }
    if let Some(at) = x.domain {
        out.push_str(&format!(
            "CREATE DOMAIN positive {};\nCREATE TABLE rated (id INTEGER PRIMARY KEY, p positive DEFAULT 3);\n",
            DOMAINS[at]
        ));
    }
    out
}

/// Comments on `tables` and their columns, drawn from `rng`: PostgreSQL's
/// `COMMENT ON` statements, or (MySQL) `table -> (table comment, column ->
/// comment)` for the `CREATE TABLE`. A table's own comment is drawn too,
/// so it is added, changed and removed on a table that stays (on MySQL, an
/// unchecked `ALTER TABLE ... COMMENT =` the model follows).
fn comments(rng: &mut Rng, tables: &[Tab]) -> Vec<(String, Option<String>, String)> {
    let texts = ["main data", "it's here", "100% \\ done"];
    let mut out = Vec::new();
    for t in tables {
        if rng.chance(33) {
            let text = texts[rng.below(texts.len())];
            out.push((t.name.clone(), None, text.to_string()));
        }
        for c in &t.cols {
            if rng.chance(25) {
                let text = texts[rng.below(texts.len())];
                out.push((t.name.clone(), Some(c.name.clone()), text.to_string()));
            }
        }
    }
    out
}

fn render_commented(d: Dialect, tables: &[Tab], rng: &mut Rng) -> String {
    let notes = match d {
        Dialect::Postgres | Dialect::MySql => comments(rng, tables),
        _ => Vec::new(),
    };
    if d == Dialect::MySql {
        let mut tables = tables.to_vec();
        for t in &mut tables {
            for c in &mut t.cols {
                c.comment = notes
                    .iter()
                    .find(|(n, col, _)| *n == t.name && col.as_deref() == Some(c.name.as_str()))
                    .map(|(_, _, text)| text.clone());
            }
            t.comment = notes
                .iter()
                .find(|(n, col, _)| *n == t.name && col.is_none())
                .map(|(_, _, text)| text.clone());
        }
        return render(d, &tables);
    }
    let mut out = render(d, tables);
    for (table, column, text) in notes {
        let text = text.replace('\'', "''");
        match column {
            Some(column) => out.push_str(&format!(
                "COMMENT ON COLUMN {table}.{column} IS '{text}';\n"
            )),
            None => out.push_str(&format!("COMMENT ON TABLE {table} IS '{text}';\n")),
        }
    }
    out
}

/// A case: the history's schema and the declared one, for `seed`.
pub fn case(d: Dialect, seed: u64) -> (String, String) {
    let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let mut other = Rng(seed.wrapping_mul(0xD1B5_4A32_D192_ED03) | 1);
    let mut tables = schema(&mut rng, d);
    let mut next = 0;
    for _ in 0..rng.below(3) {
        edit(&mut rng, d, &mut tables, &mut next);
    }
    let mut before = render_commented(d, &tables, &mut other);
    for _ in 0..1 + rng.below(4) {
        edit(&mut rng, d, &mut tables, &mut next);
    }
    let mut after = render_commented(d, &tables, &mut other);
    if d == Dialect::Postgres {
        let mut x = extras(&mut other);
        before.push_str(&render_extras(&x));
        for _ in 0..1 + other.below(3) {
            edit_extras(&mut other, &mut x);
        }
        after.push_str(&render_extras(&x));
    }
    (before, after)
}
