//! The compile benchmark's generated history, shared by `benches/compile.rs`
//! and `examples/lint_profile.rs` (each includes this file with `#[path]`).
//! It uses only `std`, so the driver and this file build at older commits
//! too.

use std::fmt::Write as _;
use std::path::Path;

/// Writes `count` revisions into `dir`.
pub fn generate(dir: &Path, count: usize) {
    std::fs::create_dir_all(dir).expect("create the directory");
    let id = |i: usize| format!("{:012x}", 0x1000_0000_0000usize + i * 7919);
    let mut parents: Vec<Vec<String>> = Vec::with_capacity(count);
    let mut i = 0;
    while i < count {
        let previous = if i == 0 { Vec::new() } else { vec![id(i - 1)] };
        if i % 100 == 50 && i + 2 < count {
            // Two siblings off the same parent, then their merge.
            parents.push(previous.clone());
            parents.push(previous);
            parents.push(vec![id(i), id(i + 1)]);
            i += 3;
        } else {
            parents.push(previous);
            i += 1;
        }
    }
    for (i, down) in parents.iter().enumerate() {
        let down = if down.is_empty() {
            "none".to_string()
        } else {
            down.join(", ")
        };
        let mut text = String::with_capacity(1200);
        let _ = write!(
            text,
            "-- revision: {id}\n-- down_revision: {down}\n-- message: create table t{i}\n-- create_date: 2025-01-01T00:00:00Z\n\n\
             -- migrate:upgrade\n\
             CREATE TABLE t{i} (\n    id BIGINT PRIMARY KEY,\n    account_id BIGINT NOT NULL,\n    name VARCHAR(200) NOT NULL,\n    \
             email VARCHAR(320),\n    status VARCHAR(20) NOT NULL DEFAULT 'active',\n    score NUMERIC(10, 2),\n    \
             created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,\n    updated_at TIMESTAMP\n);\n\n\
             ALTER TABLE t{i} ADD COLUMN notes TEXT;\n\
             CREATE INDEX idx_t{i}_account ON t{i} (account_id, created_at);\n\
             CREATE UNIQUE INDEX idx_t{i}_email ON t{i} (email);\n\
             -- seed rows; comments are not part of the checksum\n\
             INSERT INTO t{i} (id, account_id, name, email) VALUES (1, 10, 'first', 'first@example.com');\n\
             INSERT INTO t{i} (id, account_id, name, email) VALUES (2, 10, 'second', 'second@example.com');\n\
             INSERT INTO t{i} (id, account_id, name, status) VALUES (3, 11, 'third', 'inactive');\n\
             UPDATE t{i} SET score = 1.5 WHERE id = 1;\n\n\
             -- migrate:downgrade\n\
             DROP INDEX idx_t{i}_email;\nDROP INDEX idx_t{i}_account;\nDROP TABLE t{i};\n",
            id = id(i)
        );
        std::fs::write(dir.join(format!("{}_create_t{i}.sql", id(i))), text).expect("write");
    }
}
