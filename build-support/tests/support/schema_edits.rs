//! A seeded generator of schema edits for the autogenerate tests: each case
//! is a random schema (the history's) and the same schema after a few edits
//! (add, drop and alter of tables, columns, defaults, nullability, types,
//! indexes, unique and check constraints, foreign keys; several at once),
//! both as plain `CREATE` statements. Shared by the unit tests of
//! `migrate_build::autogen` (model round trip) and `tests/tests/autogen.rs`
//! (real servers); the includer provides `Dialect` in the parent module.

use super::Dialect;
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
}

#[derive(Clone)]
struct Tab {
    name: String,
    cols: Vec<Col>,
    unique: Vec<String>,
    checks: Vec<String>,
    fk: Option<String>,
    indexes: Vec<(String, String, bool)>,
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
        out.push_str(&format!(
            "CREATE TABLE {} (\n  {}\n);\n",
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

/// A case: the history's schema and the declared one, for `seed`.
pub fn case(d: Dialect, seed: u64) -> (String, String) {
    let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let mut tables = schema(&mut rng, d);
    let mut next = 0;
    for _ in 0..rng.below(3) {
        edit(&mut rng, d, &mut tables, &mut next);
    }
    let before = render(d, &tables);
    for _ in 0..1 + rng.below(4) {
        edit(&mut rng, d, &mut tables, &mut next);
    }
    (before, render(d, &tables))
}
