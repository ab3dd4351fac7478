//! Replaying one statement on the model.

use std::ops::ControlFlow;

use sqlparser::ast::{
    AlterColumnOperation, AlterIndexOperation, AlterTable, AlterTableOperation, AlterType,
    AlterTypeOperation, ColumnDef, ColumnOption, CreateIndex, CreateTable, DataType, Expr,
    ObjectName, ObjectType, RenameTableNameKind, Statement, TableConstraint,
    UserDefinedTypeRepresentation,
};

use super::{
    key, Column, Constraint, ConstraintKind, Dialect, Index, Name, Object, ObjectKind, Schema,
    Table, TypeDef,
};
use crate::{CheckedBy, CompiledStatement};

/// What kind of model error a statement causes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProblemKind {
    /// It refers to an object that does not exist at that point.
    Unknown,
    /// It creates an object that already exists.
    Duplicate,
}

/// A statement that cannot succeed against the schema the history built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Unknown or duplicate.
    pub kind: ProblemKind,
    /// One line, e.g. `table posts does not exist at this point`.
    pub message: String,
}

impl Schema {
    /// Replays `statement` on the model and returns what cannot succeed.
    pub fn apply(&mut self, statement: &CompiledStatement, source: &str) -> Vec<Problem> {
        let mut problems = Vec::new();
        match (&statement.ast, statement.checked_by) {
            (Some(ast), CheckedBy::Sqlparser) => self.apply_ast(ast, &mut problems),
            // Parsed, tree not kept: a data statement, which changes no schema
            // (`crate::parse::keeps_tree`).
            (None, CheckedBy::Sqlparser) => {}
            (_, CheckedBy::Unchecked | CheckedBy::TooDeep) => {
                self.set_open();
                // The text of a DROP INDEX is still plain enough to follow.
                let text = source.get(statement.span.clone()).unwrap_or("");
                self.apply_unparsed(text);
            }
            _ => {
                let text = source.get(statement.span.clone()).unwrap_or("");
                self.apply_unparsed(text);
            }
        }
        problems
    }

    /// Replays a parsed statement.
    pub fn apply_ast(&mut self, statement: &Statement, problems: &mut Vec<Problem>) {
        match statement {
            Statement::CreateTable(create) => self.create_table(create, problems),
            Statement::AlterTable(alter) => self.alter_table(alter, problems),
            Statement::CreateIndex(create) => self.create_index(create, problems),
            Statement::Drop {
                object_type,
                if_exists,
                names,
                table,
                ..
            } => self.drop(*object_type, *if_exists, names, table.as_ref(), problems),
            Statement::CreateView(view) => {
                let name = self.dialect.object_name(&view.name);
                let k = key(ObjectKind::View, &name);
                if self.objects.contains_key(&k) && !view.or_replace && !view.if_not_exists {
                    problems.push(duplicate(ObjectKind::View, &name));
                }
                self.insert(k, Object::View);
            }
            Statement::AlterView(view) => {
                let name = self.dialect.object_name(&view.name);
                if !self.contains(ObjectKind::View, &name) && !view.if_exists {
                    self.report_unknown(ObjectKind::View, &name, problems);
                }
            }
            Statement::CreateType {
                name,
                representation,
            } => {
                let name = self.dialect.object_name(name);
                let labels = match representation {
                    Some(UserDefinedTypeRepresentation::Enum { labels }) => {
                        labels.iter().map(|l| l.value.clone()).collect()
                    }
                    _ => Vec::new(),
                };
                self.create_type(name, labels, false, problems);
            }
            Statement::CreateDomain(domain) => {
                let name = self.dialect.object_name(&domain.name);
                self.create_type(name, Vec::new(), false, problems);
            }
            Statement::DropDomain(drop) => {
                let name = self.dialect.object_name(&drop.name);
                self.drop_one(ObjectKind::Type, &name, drop.if_exists, problems);
            }
            Statement::AlterType(alter) => self.alter_type(alter, problems),
            Statement::CreateSequence {
                if_not_exists,
                name,
                ..
            } => {
                let name = self.dialect.object_name(name);
                // A sequence OWNED BY a column goes away with its table, which
                // the model does not follow: a duplicate is never reported.
                let _ = if_not_exists;
                self.insert(key(ObjectKind::Sequence, &name), Object::Sequence);
            }
            Statement::CreateSchema {
                schema_name:
                    sqlparser::ast::SchemaName::Simple(name)
                    | sqlparser::ast::SchemaName::NamedAuthorization(name, _),
                ..
            } => {
                let name = self.dialect.object_name(name);
                self.schemas.insert(name.name);
            }
            Statement::RenameTable(renames) => {
                for rename in renames {
                    let from = self.dialect.object_name(&rename.old_name);
                    let to = self.dialect.object_name(&rename.new_name);
                    self.rename_table(&from, to, problems);
                }
            }
            Statement::AlterIndex {
                name,
                operation: AlterIndexOperation::RenameIndex { index_name },
            } => {
                let from = self.dialect.object_name(name);
                let to = self.dialect.object_name(index_name);
                let to = if to.schema.is_none() {
                    from.sibling(to.name)
                } else {
                    to
                };
                self.rename_index(&from, to, problems);
            }
            Statement::CreateFunction(function) => {
                let name = self.dialect.object_name(&function.name);
                self.functions.insert(name.name);
            }
            Statement::CreateProcedure { name, .. } => {
                let name = self.dialect.object_name(name);
                self.functions.insert(name.name);
            }
            // Anything executed by name can do anything.
            Statement::Call(_) | Statement::Execute { .. } => self.set_open(),
            Statement::Set(set) if set.to_string().to_lowercase().contains("search_path") => {
                self.set_open()
            }
            Statement::Query(query) if self.calls_user_function(query.as_ref()) => self.set_open(),
            _ => {}
        }
    }

    /// A statement only PostgreSQL's parser accepted: recognise the few that
    /// matter (`DROP INDEX CONCURRENTLY`), shrug at the harmless ones, and
    /// open the model for the rest.
    fn apply_unparsed(&mut self, text: &str) {
        let words: Vec<String> = text
            .split(|c: char| c.is_whitespace() || c == ',' || c == ';')
            .filter(|w| !w.is_empty())
            .take(8)
            .map(|w| w.to_lowercase())
            .collect();
        let word = |i: usize| words.get(i).map(String::as_str).unwrap_or("");
        if word(0) == "drop" && word(1) == "index" {
            // DROP INDEX CONCURRENTLY [IF EXISTS] name[, ...]
            let rest = text
                .split_whitespace()
                .skip(2)
                .filter(|w| {
                    !matches!(
                        w.to_lowercase().as_str(),
                        "concurrently" | "if" | "exists" | "cascade" | "restrict"
                    )
                })
                .collect::<Vec<_>>()
                .join(" ");
            for raw in rest.split(',') {
                let name = self.unparsed_name(raw.trim().trim_end_matches(';'));
                let k = key(ObjectKind::Index, &name);
                if let Some(Object::Index(index)) = self.remove(&k) {
                    if let Some(table) = self.table_mut(&index.table) {
                        table.indexes.remove(&name);
                    }
                }
            }
            return;
        }
        let harmless = matches!(
            (word(0), word(1)),
            ("reindex", _)
                | ("cluster", _)
                | ("vacuum", _)
                | ("analyze", _)
                | ("grant", _)
                | ("revoke", _)
                | ("comment", _)
                | ("alter", "sequence")
                | ("alter", "function")
                | ("alter", "domain")
                | ("alter", "extension")
                | ("refresh", _)
                | ("create", "trigger")
                | ("drop", "trigger")
                | ("create", "policy")
                | ("drop", "policy")
                | ("alter", "policy")
                | ("create", "extension")
                | ("drop", "extension")
                | ("create", "function")
                | ("drop", "function")
                | ("create", "rule")
                | ("drop", "rule")
                | ("create", "statistics")
                | ("drop", "statistics")
                | ("set", _)
                | ("reset", _)
                | ("pragma", _)
        ) || (word(0) == "create" && word(1) == "or" && word(3) == "function")
            || (word(0) == "create" && word(1) == "or" && word(3) == "trigger");
        let search_path = word(0) == "set" && text.to_lowercase().contains("search_path");
        if !harmless || search_path {
            self.set_open();
        }
    }

    /// Folds a name written in raw text (`"Schema".idx`, `public.x`).
    fn unparsed_name(&self, raw: &str) -> Name {
        let parts: Vec<sqlparser::ast::Ident> = raw
            .split('.')
            .map(|p| {
                let p = p.trim();
                if p.len() >= 2 && (p.starts_with('"') || p.starts_with('`')) {
                    sqlparser::ast::Ident::with_quote('"', &p[1..p.len() - 1])
                } else {
                    sqlparser::ast::Ident::new(p)
                }
            })
            .collect();
        self.dialect.object_name(&ObjectName::from(parts))
    }

    fn calls_user_function(&self, query: &sqlparser::ast::Query) -> bool {
        if self.functions.is_empty() {
            return false;
        }
        let found = sqlparser::ast::visit_expressions(query, |expr| {
            if let Expr::Function(function) = expr {
                let name = self.dialect.object_name(&function.name);
                if self.functions.contains(&name.name) {
                    return ControlFlow::Break(());
                }
            }
            ControlFlow::Continue(())
        });
        found.is_break()
    }

    /// Whether a missing object is worth reporting: the model must be closed
    /// and the object in a schema it can claim to know.
    fn strict_about(&self, name: &Name) -> bool {
        !self.open
            && match &name.schema {
                None => true,
                Some(schema) => self.schemas.contains(schema),
            }
    }

    fn report_unknown(&self, kind: ObjectKind, name: &Name, problems: &mut Vec<Problem>) {
        if self.strict_about(name) {
            problems.push(Problem {
                kind: ProblemKind::Unknown,
                message: format!("{} {name} does not exist at this point", kind.noun()),
            });
        }
    }

    fn create_type(
        &mut self,
        name: Name,
        labels: Vec<String>,
        if_not_exists: bool,
        problems: &mut Vec<Problem>,
    ) {
        let k = key(ObjectKind::Type, &name);
        if self.objects.contains_key(&k) {
            if !if_not_exists {
                problems.push(duplicate(ObjectKind::Type, &name));
            }
            return;
        }
        self.insert(k, Object::Type(TypeDef { name, labels }));
    }

    fn alter_type(&mut self, alter: &AlterType, problems: &mut Vec<Problem>) {
        let name = self.dialect.object_name(&alter.name);
        let k = key(ObjectKind::Type, &name);
        let Some(Object::Type(mut def)) = self.objects.get(&k).cloned() else {
            self.report_unknown(ObjectKind::Type, &name, problems);
            return;
        };
        match &alter.operation {
            AlterTypeOperation::AddValue(add) => {
                if !def.labels.contains(&add.value.value) {
                    def.labels.push(add.value.value.clone());
                }
                self.insert(k, Object::Type(def));
            }
            AlterTypeOperation::RenameValue(rename) => {
                for label in &mut def.labels {
                    if *label == rename.from.value {
                        *label = rename.to.value.clone();
                    }
                }
                self.insert(k, Object::Type(def));
            }
            AlterTypeOperation::Rename(rename) => {
                let to = name.sibling(self.dialect.fold(&rename.new_name));
                let to_key = key(ObjectKind::Type, &to);
                if self.objects.contains_key(&to_key) {
                    problems.push(duplicate(ObjectKind::Type, &to));
                    return;
                }
                self.remove(&k);
                def.name = to;
                self.insert(to_key, Object::Type(def));
            }
        }
    }

    fn create_table(&mut self, create: &CreateTable, problems: &mut Vec<Problem>) {
        let name = self.dialect.object_name(&create.name);
        let k = key(ObjectKind::Table, &name);
        if self.objects.contains_key(&k) {
            if create.if_not_exists {
                return;
            }
            if !create.or_replace {
                problems.push(duplicate(ObjectKind::Table, &name));
                return;
            }
            self.drop_table(&name);
        }
        let mut table = Table {
            name: name.clone(),
            columns: Vec::new(),
            constraints: Vec::new(),
            indexes: Default::default(),
            open_columns: create.query.is_some()
                || create.like.is_some()
                || create.clone.is_some()
                || create.partition_of.is_some()
                || create.inherits.as_ref().is_some_and(|i| !i.is_empty()),
            open_constraints: false,
        };
        let mut indexes = Vec::new();
        for column in &create.columns {
            if table.column(&self.dialect.fold(&column.name)).is_some() {
                problems.push(Problem {
                    kind: ProblemKind::Duplicate,
                    message: format!(
                        "column {name}.{} is declared twice",
                        self.dialect.fold(&column.name)
                    ),
                });
                continue;
            }
            self.add_column_def(&mut table, column, &mut indexes);
        }
        for constraint in &create.constraints {
            self.add_table_constraint(&mut table, constraint, &mut indexes, problems);
        }
        self.insert(k, Object::Table(table));
        for index in indexes {
            self.add_index(index, false, problems);
        }
    }

    fn add_column_def(&self, table: &mut Table, column: &ColumnDef, indexes: &mut Vec<Index>) {
        let name = self.dialect.fold(&column.name);
        let data_type = normalize_type(&column.data_type);
        let mut new = Column {
            name: name.clone(),
            has_default: data_type.ends_with("serial"),
            data_type,
            nullable: true,
        };
        for option in &column.options {
            let given = option.name.as_ref().map(|n| self.dialect.fold(n));
            match &option.option {
                ColumnOption::NotNull => new.nullable = false,
                ColumnOption::Null => new.nullable = true,
                ColumnOption::Default(_)
                | ColumnOption::Generated { .. }
                | ColumnOption::Identity(_)
                | ColumnOption::Materialized(_)
                | ColumnOption::Alias(_) => new.has_default = true,
                ColumnOption::DialectSpecific(tokens) => {
                    let text = tokens
                        .iter()
                        .map(|t| t.to_string())
                        .collect::<String>()
                        .to_lowercase();
                    if text.contains("auto_increment") || text.contains("autoincrement") {
                        new.has_default = true;
                    }
                }
                ColumnOption::PrimaryKey(_) => {
                    new.nullable = false;
                    self.push_constraint(
                        table,
                        given,
                        ConstraintKind::PrimaryKey,
                        vec![name.clone()],
                        None,
                    );
                }
                ColumnOption::Unique(_) => {
                    self.push_constraint(
                        table,
                        given,
                        ConstraintKind::Unique,
                        vec![name.clone()],
                        None,
                    );
                }
                ColumnOption::ForeignKey(fk) => {
                    let target = self.dialect.object_name(&fk.foreign_table);
                    self.push_constraint(
                        table,
                        given,
                        ConstraintKind::ForeignKey,
                        vec![name.clone()],
                        Some(target),
                    );
                }
                ColumnOption::Check(_) => {
                    self.push_constraint(
                        table,
                        given,
                        ConstraintKind::Check,
                        vec![name.clone()],
                        None,
                    );
                }
                _ => {}
            }
        }
        let _ = indexes;
        table.columns.push(new);
    }

    /// Adds a constraint, naming it the way PostgreSQL would when unnamed.
    fn push_constraint(
        &self,
        table: &mut Table,
        given: Option<String>,
        kind: ConstraintKind,
        columns: Vec<String>,
        references: Option<Name>,
    ) {
        let generated_name = given.is_none();
        let name = given.unwrap_or_else(|| {
            let t = &table.name.name;
            let cols = columns.join("_");
            match kind {
                ConstraintKind::PrimaryKey => format!("{t}_pkey"),
                ConstraintKind::Unique => format!("{t}_{cols}_key"),
                ConstraintKind::ForeignKey => format!("{t}_{cols}_fkey"),
                ConstraintKind::Check if columns.len() == 1 => format!("{t}_{cols}_check"),
                ConstraintKind::Check => format!("{t}_check"),
                ConstraintKind::Other => format!("{t}_{cols}_excl"),
            }
        });
        if kind == ConstraintKind::PrimaryKey {
            for column in &columns {
                if let Some(c) = table.column_mut(column) {
                    c.nullable = false;
                }
            }
        }
        table.constraints.push(Constraint {
            name,
            generated_name,
            kind,
            columns,
            references,
        });
    }

    fn add_table_constraint(
        &mut self,
        table: &mut Table,
        constraint: &TableConstraint,
        indexes: &mut Vec<Index>,
        problems: &mut Vec<Problem>,
    ) {
        let d = self.dialect;
        let fold_cols = |cols: &[sqlparser::ast::IndexColumn]| -> Vec<String> {
            cols.iter()
                .filter_map(|c| column_of(&c.column.expr).map(|i| d.fold(i)))
                .collect()
        };
        let given = |name: &Option<sqlparser::ast::Ident>| name.as_ref().map(|n| d.fold(n));
        let (name, kind, columns, references) = match constraint {
            TableConstraint::PrimaryKey(pk) => (
                given(&pk.name),
                ConstraintKind::PrimaryKey,
                fold_cols(&pk.columns),
                None,
            ),
            TableConstraint::Unique(unique) => {
                let cols = fold_cols(&unique.columns);
                if d == Dialect::MySql || d == Dialect::Sqlite {
                    let index_name = given(&unique.index_name)
                        .or_else(|| given(&unique.name))
                        .or_else(|| cols.first().cloned());
                    if let (Dialect::MySql, Some(index_name)) = (d, index_name) {
                        indexes.push(Index {
                            name: mysql_index_name(&table.name, &index_name),
                            table: table.name.clone(),
                            columns: cols.iter().cloned().map(Some).collect(),
                            unique: true,
                        });
                    }
                }
                (given(&unique.name), ConstraintKind::Unique, cols, None)
            }
            TableConstraint::ForeignKey(fk) => (
                given(&fk.name),
                ConstraintKind::ForeignKey,
                fk.columns.iter().map(|c| d.fold(c)).collect(),
                Some(d.object_name(&fk.foreign_table)),
            ),
            TableConstraint::Check(check) => {
                let mut cols = Vec::new();
                let _ = sqlparser::ast::visit_expressions(check.expr.as_ref(), |e| {
                    if let Expr::Identifier(i) = e {
                        cols.push(d.fold(i));
                    }
                    ControlFlow::<()>::Continue(())
                });
                cols.dedup();
                cols.truncate(1);
                (given(&check.name), ConstraintKind::Check, cols, None)
            }
            TableConstraint::Index(index) => {
                let cols = fold_cols(&index.columns);
                let index_name = given(&index.name).or_else(|| cols.first().cloned());
                if let Some(index_name) = index_name {
                    let name = if d == Dialect::MySql {
                        mysql_index_name(&table.name, &index_name)
                    } else {
                        table.name.sibling(index_name)
                    };
                    indexes.push(Index {
                        name,
                        table: table.name.clone(),
                        columns: cols.into_iter().map(Some).collect(),
                        unique: false,
                    });
                }
                return;
            }
            TableConstraint::PrimaryKeyUsingIndex(using)
            | TableConstraint::UniqueUsingIndex(using) => {
                let kind = if matches!(constraint, TableConstraint::PrimaryKeyUsingIndex(_)) {
                    ConstraintKind::PrimaryKey
                } else {
                    ConstraintKind::Unique
                };
                let index_name = table.name.sibling(d.fold(&using.index_name));
                let mut columns = Vec::new();
                // PostgreSQL renames the index to the constraint's name and
                // ties it to the constraint: it leaves the index namespace.
                match self.remove(&key(ObjectKind::Index, &index_name)) {
                    Some(Object::Index(index)) => {
                        table.indexes.remove(&index_name);
                        columns = index.columns.into_iter().flatten().collect();
                    }
                    _ => self.report_unknown(ObjectKind::Index, &index_name, problems),
                }
                (given(&using.name), kind, columns, None)
            }
            TableConstraint::FulltextOrSpatial(_) => return,
            TableConstraint::Exclude(exclude) => (
                given(&exclude.name),
                ConstraintKind::Other,
                Vec::new(),
                None,
            ),
        };
        if let Some(n) = &name {
            if !table.open_constraints && table.constraints.iter().any(|c| &c.name == n) {
                problems.push(Problem {
                    kind: ProblemKind::Duplicate,
                    message: format!("constraint {n} on table {} already exists", table.name),
                });
                return;
            }
        }
        self.push_constraint(table, name, kind, columns, references);
    }

    fn alter_table(&mut self, alter: &AlterTable, problems: &mut Vec<Problem>) {
        let name = self.dialect.object_name(&alter.name);
        let k = key(ObjectKind::Table, &name);
        let Some(Object::Table(mut table)) = self.objects.get(&k).cloned() else {
            if !alter.if_exists {
                self.report_unknown(ObjectKind::Table, &name, problems);
            }
            return;
        };
        self.touch(&k);
        let mut indexes = Vec::new();
        let mut rename_to = None;
        for operation in &alter.operations {
            self.alter_table_operation(
                &mut table,
                operation,
                &mut indexes,
                &mut rename_to,
                problems,
            );
        }
        self.objects.insert(k, Object::Table(table));
        for index in indexes {
            self.add_index(index, false, problems);
        }
        if let Some(to) = rename_to {
            self.rename_table(&name, to, problems);
        }
    }

    fn alter_table_operation(
        &mut self,
        table: &mut Table,
        operation: &AlterTableOperation,
        indexes: &mut Vec<Index>,
        rename_to: &mut Option<Name>,
        problems: &mut Vec<Problem>,
    ) {
        let d = self.dialect;
        let strict = self.strict_about(&table.name);
        let missing_column = |table: &Table, column: &str, problems: &mut Vec<Problem>| {
            if strict && !table.open_columns {
                problems.push(Problem {
                    kind: ProblemKind::Unknown,
                    message: format!(
                        "column {}.{column} does not exist at this point",
                        table.name
                    ),
                });
            }
        };
        match operation {
            AlterTableOperation::AddColumn {
                if_not_exists,
                column_def,
                ..
            } => {
                let column = d.fold(&column_def.name);
                if table.column(&column).is_some() {
                    if !if_not_exists {
                        problems.push(Problem {
                            kind: ProblemKind::Duplicate,
                            message: format!("column {}.{column} already exists", table.name),
                        });
                    }
                    return;
                }
                self.add_column_def(table, column_def, indexes);
            }
            AlterTableOperation::DropColumn {
                column_names,
                if_exists,
                ..
            } => {
                for ident in column_names {
                    let column = d.fold(ident);
                    if table.column(&column).is_none() {
                        if !if_exists {
                            missing_column(table, &column, problems);
                        }
                        continue;
                    }
                    self.drop_column(table, &column);
                }
            }
            AlterTableOperation::RenameColumn {
                old_column_name,
                new_column_name,
            } => {
                let old = d.fold(old_column_name);
                let new = d.fold(new_column_name);
                self.rename_column(table, &old, &new, problems, &missing_column);
            }
            AlterTableOperation::ChangeColumn {
                old_name,
                new_name,
                data_type,
                options,
                ..
            } => {
                let old = d.fold(old_name);
                let new = d.fold(new_name);
                if old != new {
                    self.rename_column(table, &old, &new, problems, &missing_column);
                }
                self.modify_column(table, &new, data_type, options, problems, &missing_column);
            }
            AlterTableOperation::ModifyColumn {
                col_name,
                data_type,
                options,
                ..
            } => {
                let column = d.fold(col_name);
                self.modify_column(
                    table,
                    &column,
                    data_type,
                    options,
                    problems,
                    &missing_column,
                );
            }
            AlterTableOperation::AlterColumn { column_name, op } => {
                let column = d.fold(column_name);
                let Some(c) = table.column_mut(&column) else {
                    missing_column(table, &column, problems);
                    return;
                };
                match op {
                    AlterColumnOperation::SetNotNull => c.nullable = false,
                    AlterColumnOperation::DropNotNull => c.nullable = true,
                    AlterColumnOperation::SetDefault { .. } => c.has_default = true,
                    AlterColumnOperation::DropDefault => c.has_default = false,
                    AlterColumnOperation::SetDataType { data_type, .. } => {
                        c.data_type = normalize_type(data_type)
                    }
                    AlterColumnOperation::AddGenerated { .. } => c.has_default = true,
                    AlterColumnOperation::GenericOptions { .. } => {}
                }
            }
            AlterTableOperation::RenameTable { table_name } => {
                let (RenameTableNameKind::As(new) | RenameTableNameKind::To(new)) = table_name;
                let new = d.object_name(new);
                // PostgreSQL keeps a renamed table in its schema.
                let new = if new.schema.is_none() && d == Dialect::Postgres {
                    table.name.sibling(new.name)
                } else {
                    new
                };
                *rename_to = Some(new);
            }
            AlterTableOperation::AddConstraint { constraint, .. } => {
                self.add_table_constraint(table, constraint, indexes, problems);
            }
            AlterTableOperation::DropConstraint {
                if_exists, name, ..
            } => {
                let name = d.fold(name);
                self.drop_constraint(table, &name, None, *if_exists, problems);
            }
            AlterTableOperation::DropForeignKey { name, .. } => {
                let name = d.fold(name);
                self.drop_constraint(
                    table,
                    &name,
                    Some(ConstraintKind::ForeignKey),
                    false,
                    problems,
                );
            }
            AlterTableOperation::DropPrimaryKey { .. } => {
                table
                    .constraints
                    .retain(|c| c.kind != ConstraintKind::PrimaryKey);
            }
            AlterTableOperation::DropIndex { name } => {
                let index_name = mysql_index_name(&table.name, &d.fold(name));
                if self.remove(&key(ObjectKind::Index, &index_name)).is_some() {
                    table.indexes.remove(&index_name);
                } else if !table
                    .constraints
                    .iter()
                    .any(|c| c.kind == ConstraintKind::ForeignKey || c.name == d.fold(name))
                {
                    // MySQL creates an index for each foreign key by itself,
                    // so an unknown index on a table with one is plausible.
                    self.report_unknown(ObjectKind::Index, &index_name, problems);
                }
            }
            AlterTableOperation::RenameConstraint { old_name, new_name } => {
                let old = d.fold(old_name);
                let new = d.fold(new_name);
                if let Some(c) = table.constraints.iter_mut().find(|c| c.name == old) {
                    c.name = new;
                    c.generated_name = false;
                } else {
                    table.open_constraints = true;
                }
            }
            _ => {}
        }
    }

    fn rename_column(
        &mut self,
        table: &mut Table,
        old: &str,
        new: &str,
        problems: &mut Vec<Problem>,
        missing_column: &dyn Fn(&Table, &str, &mut Vec<Problem>),
    ) {
        if table.column(old).is_none() {
            missing_column(table, old, problems);
            return;
        }
        if old != new && table.column(new).is_some() {
            problems.push(Problem {
                kind: ProblemKind::Duplicate,
                message: format!("column {}.{new} already exists", table.name),
            });
            return;
        }
        if let Some(c) = table.column_mut(old) {
            c.name = new.to_string();
        }
        for constraint in &mut table.constraints {
            for c in &mut constraint.columns {
                if c == old {
                    *c = new.to_string();
                }
            }
        }
        for index_name in table.indexes.clone() {
            let k = key(ObjectKind::Index, &index_name);
            if let Some(Object::Index(mut index)) = self.objects.get(&k).cloned() {
                if index.columns.iter().any(|c| c.as_deref() == Some(old)) {
                    for c in index.columns.iter_mut().flatten() {
                        if c == old {
                            *c = new.to_string();
                        }
                    }
                    self.insert(k, Object::Index(index));
                }
            }
        }
    }

    fn modify_column(
        &mut self,
        table: &mut Table,
        column: &str,
        data_type: &DataType,
        options: &[ColumnOption],
        problems: &mut Vec<Problem>,
        missing_column: &dyn Fn(&Table, &str, &mut Vec<Problem>),
    ) {
        let Some(c) = table.column_mut(column) else {
            missing_column(table, column, problems);
            return;
        };
        // MySQL's MODIFY/CHANGE restate the whole column.
        c.data_type = normalize_type(data_type);
        c.nullable = !options
            .iter()
            .any(|o| matches!(o, ColumnOption::NotNull | ColumnOption::PrimaryKey(_)));
        c.has_default = options.iter().any(|o| {
            matches!(o, ColumnOption::Default(_))
                || matches!(o, ColumnOption::DialectSpecific(t)
                    if t.iter().any(|t| t.to_string().eq_ignore_ascii_case("auto_increment")))
        });
    }

    fn drop_column(&mut self, table: &mut Table, column: &str) {
        table.columns.retain(|c| c.name != column);
        table
            .constraints
            .retain(|c| !c.columns.iter().any(|c| c == column));
        for index_name in table.indexes.clone() {
            let k = key(ObjectKind::Index, &index_name);
            if let Some(Object::Index(index)) = self.objects.get(&k) {
                if index.columns.iter().any(|c| c.as_deref() == Some(column)) {
                    self.remove(&k);
                    table.indexes.remove(&index_name);
                }
            }
        }
    }

    fn drop_constraint(
        &mut self,
        table: &mut Table,
        name: &str,
        kind: Option<ConstraintKind>,
        if_exists: bool,
        problems: &mut Vec<Problem>,
    ) {
        let before = table.constraints.len();
        table
            .constraints
            .retain(|c| !(c.name == name && kind.is_none_or(|k| k == c.kind)));
        if table.constraints.len() != before {
            return;
        }
        // A unique constraint's index, dropped by the constraint's name.
        let index_name = table.name.sibling(name.to_string());
        if table.indexes.contains(&index_name) {
            self.remove(&key(ObjectKind::Index, &index_name));
            table.indexes.remove(&index_name);
            return;
        }
        let guessed = table.constraints.iter().any(|c| c.generated_name);
        if guessed || table.open_constraints || table.open_columns {
            // Our guess of the generated name may be wrong: stop trusting the list.
            table.open_constraints = true;
            return;
        }
        if !if_exists && self.strict_about(&table.name) {
            problems.push(Problem {
                kind: ProblemKind::Unknown,
                message: format!(
                    "constraint {name} on table {} does not exist at this point",
                    table.name
                ),
            });
        }
    }

    fn rename_table(&mut self, from: &Name, to: Name, problems: &mut Vec<Problem>) {
        let from_key = key(ObjectKind::Table, from);
        let to_key = key(ObjectKind::Table, &to);
        let Some(Object::Table(mut table)) = self.objects.get(&from_key).cloned() else {
            self.report_unknown(ObjectKind::Table, from, problems);
            return;
        };
        if self.objects.contains_key(&to_key) {
            problems.push(duplicate(ObjectKind::Table, &to));
            return;
        }
        self.remove(&from_key);
        for index_name in &table.indexes {
            let k = key(ObjectKind::Index, index_name);
            if let Some(Object::Index(mut index)) = self.objects.get(&k).cloned() {
                index.table = to.clone();
                self.insert(k, Object::Index(index));
            }
        }
        table.name = to;
        self.insert(to_key, Object::Table(table));
    }

    fn rename_index(&mut self, from: &Name, to: Name, problems: &mut Vec<Problem>) {
        let from_key = key(ObjectKind::Index, from);
        let Some(Object::Index(mut index)) = self.objects.get(&from_key).cloned() else {
            self.report_unknown(ObjectKind::Index, from, problems);
            return;
        };
        let to_key = key(ObjectKind::Index, &to);
        if self.objects.contains_key(&to_key) {
            problems.push(duplicate(ObjectKind::Index, &to));
            return;
        }
        self.remove(&from_key);
        if let Some(table) = self.table_mut(&index.table) {
            table.indexes.remove(from);
            table.indexes.insert(to.clone());
        }
        index.name = to;
        self.insert(to_key, Object::Index(index));
    }

    fn create_index(&mut self, create: &CreateIndex, problems: &mut Vec<Problem>) {
        let d = self.dialect;
        let table_name = d.object_name(&create.table_name);
        let Some(table) = self.table(&table_name) else {
            // Materialized views take indexes too; their columns are not modelled.
            if self.contains(ObjectKind::View, &table_name) {
                if let Some(name) = &create.name {
                    let name = d.object_name(name);
                    let name = if name.schema.is_none() {
                        table_name.sibling(name.name)
                    } else {
                        name
                    };
                    self.add_index(
                        Index {
                            name,
                            table: table_name,
                            columns: Vec::new(),
                            unique: create.unique,
                        },
                        create.if_not_exists,
                        problems,
                    );
                }
                return;
            }
            self.report_unknown(ObjectKind::Table, &table_name, problems);
            return;
        };
        let mut columns = Vec::new();
        for column in &create.columns {
            match column_of(&column.column.expr) {
                Some(ident) => {
                    let folded = d.fold(ident);
                    if table.column(&folded).is_none()
                        && !table.open_columns
                        && self.strict_about(&table_name)
                    {
                        problems.push(Problem {
                            kind: ProblemKind::Unknown,
                            message: format!(
                                "column {table_name}.{folded} does not exist at this point"
                            ),
                        });
                    }
                    columns.push(Some(folded));
                }
                None => columns.push(None),
            }
        }
        let index_name = match &create.name {
            Some(name) => {
                let name = d.object_name(name);
                match d {
                    Dialect::MySql => mysql_index_name(&table_name, &name.name),
                    _ if name.schema.is_none() => table_name.sibling(name.name),
                    _ => name,
                }
            }
            None => {
                // PostgreSQL names an expression column after its function.
                let parts: Vec<String> = create
                    .columns
                    .iter()
                    .map(|c| match &c.column.expr {
                        Expr::Function(f) => d.object_name(&f.name).name,
                        e => column_of(e).map_or_else(|| "expr".to_string(), |i| d.fold(i)),
                    })
                    .collect();
                table_name.sibling(format!("{}_{}_idx", table_name.name, parts.join("_")))
            }
        };
        let index = Index {
            name: index_name,
            table: table_name,
            columns,
            unique: create.unique,
        };
        self.add_index(index, create.if_not_exists, problems);
    }

    fn add_index(&mut self, index: Index, if_not_exists: bool, problems: &mut Vec<Problem>) {
        let k = key(ObjectKind::Index, &index.name);
        if self.objects.contains_key(&k) {
            if !if_not_exists {
                problems.push(duplicate(ObjectKind::Index, &index.name));
            }
            return;
        }
        let table = index.table.clone();
        let name = index.name.clone();
        self.insert(k, Object::Index(index));
        if let Some(table) = self.table_mut(&table) {
            table.indexes.insert(name);
        }
    }

    fn drop(
        &mut self,
        object_type: ObjectType,
        if_exists: bool,
        names: &[ObjectName],
        table: Option<&ObjectName>,
        problems: &mut Vec<Problem>,
    ) {
        let d = self.dialect;
        for object in names {
            let name = d.object_name(object);
            match object_type {
                ObjectType::Table => {
                    if self.contains(ObjectKind::Table, &name) {
                        self.drop_table(&name);
                    } else if !if_exists {
                        self.report_unknown(ObjectKind::Table, &name, problems);
                    }
                }
                ObjectType::View | ObjectType::MaterializedView => {
                    self.drop_one(ObjectKind::View, &name, if_exists, problems);
                    // A materialized view's indexes go with it (a rare statement,
                    // so the scan is cheap overall).
                    let doomed: Vec<ObjectKey> = self
                        .objects
                        .iter()
                        .filter(|(_, o)| matches!(o, Object::Index(i) if i.table == name))
                        .map(|(k, _)| k.clone())
                        .collect();
                    for k in doomed {
                        self.remove(&k);
                    }
                }
                ObjectType::Type => self.drop_one(ObjectKind::Type, &name, if_exists, problems),
                // Serial and identity columns own sequences the model does
                // not name, so an unknown sequence is never reported.
                ObjectType::Sequence => {
                    self.remove(&key(ObjectKind::Sequence, &name));
                }
                ObjectType::Index => {
                    let index_name = match (d, table) {
                        (Dialect::MySql, Some(table)) => {
                            mysql_index_name(&d.object_name(table), &name.name)
                        }
                        _ => name,
                    };
                    self.drop_index(&index_name, if_exists, problems);
                }
                ObjectType::Schema => {
                    self.schemas.remove(&name.name);
                    let doomed: Vec<ObjectKey> = self
                        .objects
                        .keys()
                        .filter(|k| k.name.schema.as_deref() == Some(name.name.as_str()))
                        .cloned()
                        .collect();
                    for k in doomed {
                        self.remove(&k);
                    }
                }
                _ => {}
            }
        }
    }

    fn drop_one(
        &mut self,
        kind: ObjectKind,
        name: &Name,
        if_exists: bool,
        problems: &mut Vec<Problem>,
    ) {
        if self.remove(&key(kind, name)).is_none() && !if_exists {
            self.report_unknown(kind, name, problems);
        }
    }

    fn drop_index(&mut self, name: &Name, if_exists: bool, problems: &mut Vec<Problem>) {
        let k = key(ObjectKind::Index, name);
        if let Some(Object::Index(index)) = self.remove(&k) {
            if let Some(table) = self.table_mut(&index.table) {
                table.indexes.remove(name);
            }
            return;
        }
        if if_exists {
            return;
        }
        // An index that backs a constraint carries the constraint's name; the
        // scan only runs on this rare path.
        let backs_constraint = self.objects.values().any(|o| match o {
            Object::Table(t) => t.constraints.iter().any(|c| c.name == name.name),
            _ => false,
        });
        if !backs_constraint {
            self.report_unknown(ObjectKind::Index, name, problems);
        }
    }

    /// Removes a table and its indexes.
    fn drop_table(&mut self, name: &Name) {
        if let Some(Object::Table(table)) = self.remove(&key(ObjectKind::Table, name)) {
            for index in &table.indexes {
                self.remove(&key(ObjectKind::Index, index));
            }
        }
    }
}

use super::Naming;
use super::ObjectKey;

fn duplicate(kind: ObjectKind, name: &Name) -> Problem {
    Problem {
        kind: ProblemKind::Duplicate,
        message: format!("{} {name} already exists", kind.noun()),
    }
}

/// MySQL index names live per table.
fn mysql_index_name(table: &Name, index: &str) -> Name {
    table.sibling(format!("{}.{index}", table.name))
}

/// The column an index expression names, if it is a plain column.
fn column_of(expr: &Expr) -> Option<&sqlparser::ast::Ident> {
    match expr {
        Expr::Identifier(ident) => Some(ident),
        Expr::CompoundIdentifier(parts) => parts.last(),
        Expr::Nested(inner) => column_of(inner),
        _ => None,
    }
}

/// Type text with PostgreSQL's aliases unified, so that `int` and `INTEGER`
/// compare equal in the downgrade check.
pub fn normalize_type(data_type: &DataType) -> String {
    let text = data_type.to_string().to_lowercase();
    let (base, rest) = match text.find('(') {
        Some(i) => (text[..i].trim(), &text[i..]),
        None => (text.as_str(), ""),
    };
    let base = match base {
        "int" | "int4" | "integer" => "integer",
        "int8" | "bigint" => "bigint",
        "int2" | "smallint" => "smallint",
        "serial4" | "serial" => "serial",
        "serial8" | "bigserial" => "bigserial",
        "bool" | "boolean" => "boolean",
        "varchar" | "character varying" => "character varying",
        "char" | "character" => "character",
        "float8" | "double precision" | "double" => "double precision",
        "float4" | "real" => "real",
        "decimal" | "numeric" => "numeric",
        "timestamptz" | "timestamp with time zone" => "timestamp with time zone",
        "timestamp" | "timestamp without time zone" => "timestamp",
        "timetz" | "time with time zone" => "time with time zone",
        other => other,
    };
    format!("{base}{rest}")
}
