//! Opening the file: pragmas, integrity, and what to do when it is damaged.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use rusqlite::{Connection, ErrorCode, OpenFlags};

use crate::{migrate, Store, StoreError};

/// How to open.
#[derive(Debug, Clone, Default)]
pub struct OpenOptions {
    /// When the file is damaged, move it to [`backup_path`] and start a new
    /// database instead of failing. The application asks the user first.
    pub replace_corrupt: bool,
}

/// Where a damaged database is moved: beside it, with a timestamp.
pub fn backup_path(path: &Path) -> PathBuf {
    let stamp = crate::now_ms();
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "handset.db".into());
    path.with_file_name(format!("{name}.corrupt-{stamp}"))
}

/// Pragmas every connection gets.
pub fn configure(conn: &Connection) -> Result<(), StoreError> {
    conn.busy_timeout(Duration::from_secs(2))?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    // WAL: readers never block the writer, and a committed write survives a crash
    let mode: String = conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") && !mode.eq_ignore_ascii_case("memory") {
        tracing::warn!(%mode, "WAL not available");
    }
    // FULL: a committed message is on disk even if the machine loses power
    conn.pragma_update(None, "synchronous", "FULL")?;
    Ok(())
}

fn classify(path: &Path, e: rusqlite::Error) -> StoreError {
    match e.sqlite_error_code() {
        Some(ErrorCode::NotADatabase) | Some(ErrorCode::DatabaseCorrupt) => StoreError::Corrupt {
            path: path.to_path_buf(),
            reason: e.to_string(),
        },
        Some(ErrorCode::DatabaseBusy) | Some(ErrorCode::DatabaseLocked) => StoreError::Locked {
            path: path.to_path_buf(),
        },
        _ => StoreError::Sqlite(e),
    }
}

fn try_open(path: &Path) -> Result<Connection, StoreError> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| classify(path, e))?;
    configure(&conn).map_err(|e| match e {
        StoreError::Sqlite(e) => classify(path, e),
        other => other,
    })?;
    let check: String = conn
        .query_row("PRAGMA quick_check", [], |r| r.get(0))
        .map_err(|e| classify(path, e))?;
    if check != "ok" {
        return Err(StoreError::Corrupt {
            path: path.to_path_buf(),
            reason: check,
        });
    }
    migrate::migrate(&conn).map_err(|e| match e {
        StoreError::Sqlite(e) => classify(path, e),
        other => other,
    })?;
    Ok(conn)
}

/// Opens `path`, handling damage as `opts` says.
pub fn open(path: &Path, opts: OpenOptions) -> Result<Store, StoreError> {
    if let Some(dir) = path.parent() {
        if !dir.as_os_str().is_empty() {
            std::fs::create_dir_all(dir)?;
        }
    }
    let conn = match try_open(path) {
        Ok(c) => c,
        Err(StoreError::Corrupt { reason, .. }) if opts.replace_corrupt => {
            let backup = backup_path(path);
            std::fs::rename(path, &backup)?;
            for suffix in ["-wal", "-shm"] {
                let side = PathBuf::from(format!("{}{suffix}", path.display()));
                if side.exists() {
                    let _ = std::fs::rename(
                        &side,
                        PathBuf::from(format!("{}{suffix}", backup.display())),
                    );
                }
            }
            tracing::warn!(backup = %backup.display(), %reason, "damaged database moved aside; starting a new one");
            try_open(path)?
        }
        Err(e) => return Err(e),
    };
    Ok(Store {
        conn: Mutex::new(conn),
        path: Some(path.to_path_buf()),
    })
}
