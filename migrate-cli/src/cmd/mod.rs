//! One module per group of verbs.

pub mod init;
pub mod lock;
pub mod revision;
