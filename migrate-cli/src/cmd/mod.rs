//! One module per group of verbs.

pub mod autogenerate;
pub mod database;
pub mod db;
pub mod drift;
pub mod import;
pub mod init;
pub mod lint;
pub mod lock;
pub mod revision;
