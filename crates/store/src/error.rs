//! Store errors, worded for the person who has to fix them.

use std::path::PathBuf;

/// What can go wrong with the database.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The file is not an SQLite database or is damaged.
    #[error("the database {path} is damaged or not a Handset database ({reason})")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// SQLite's words.
        reason: String,
    },
    /// Another process holds the database.
    #[error("the database {path} is locked by another process (is Handset already running?)")]
    Locked {
        /// The file.
        path: PathBuf,
    },
    /// Written by a newer Handset.
    #[error("the database was written by a newer Handset (schema {found}, this version knows {supported})")]
    TooNew {
        /// Version in the file.
        found: u32,
        /// Newest version this build knows.
        supported: u32,
    },
    /// A record does not exist.
    #[error("no {0} with id {1}")]
    NotFound(&'static str, i64),
    /// Input that cannot be stored.
    #[error("invalid {0}: {1}")]
    Invalid(&'static str, String),
    /// File system trouble (creating the folder, moving a backup).
    #[error("file error: {0}")]
    Io(#[from] std::io::Error),
    /// Any other SQLite error.
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
}
