//! Handset's local database: one SQLite file in WAL mode with versioned
//! migrations, and a repository per table group.
//!
//! Every write is committed before the call returns, so a crash or `kill -9`
//! loses nothing that a caller was told is stored. A file that is not a
//! database, or one from a newer Handset, is never silently replaced: it is
//! reported, and moved aside to a backup only when asked to start afresh.

mod accounts;
mod calls;
mod contacts;
mod error;
mod messages;
mod migrate;
mod open;
mod settings;

pub use accounts::StoredAccount;
pub use calls::{CallDirection, CallRecord, NewCall};
pub use contacts::{Contact, ContactPoint, NewContact};
pub use error::StoreError;
pub use messages::{
    Channel, Conversation, Direction, Message, MessageStatus, NewIncoming, NewOutgoing, SearchHit,
};
pub use migrate::SCHEMA_VERSION;
pub use open::{backup_path, OpenOptions};

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use rusqlite::Connection;

/// The database. Cheap to share behind an `Arc`; calls serialise on one connection.
pub struct Store {
    conn: Mutex<Connection>,
    path: Option<PathBuf>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path()).finish()
    }
}

impl Store {
    /// Opens (creating if needed) the database at `path` and migrates it.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        open::open(path, OpenOptions::default())
    }

    /// Opens with explicit options (e.g. moving a corrupt file aside).
    pub fn open_with(path: &Path, opts: OpenOptions) -> Result<Store, StoreError> {
        open::open(path, opts)
    }

    /// A private in-memory database (tests, previews).
    pub fn in_memory() -> Result<Store, StoreError> {
        let conn = Connection::open_in_memory()?;
        open::configure(&conn)?;
        migrate::migrate(&conn)?;
        Ok(Store {
            conn: Mutex::new(conn),
            path: None,
        })
    }

    /// Where the file is, if it is one.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        // a panic while holding the lock leaves SQLite consistent (every
        // statement is atomic), so the poisoned guard is safe to reuse
        self.conn.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The schema version of the open database.
    pub fn schema_version(&self) -> Result<u32, StoreError> {
        migrate::version(&self.conn())
    }
}

/// Milliseconds since the Unix epoch, the time unit of every column.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}
