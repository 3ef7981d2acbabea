//! Accounts, without secrets.

use rusqlite::Row;
use serde::{Deserialize, Serialize};

use crate::{now_ms, Store, StoreError};

/// An account as stored. The password is in the OS keyring, keyed by `id`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredAccount {
    /// Row id (0 before insertion).
    pub id: i64,
    /// Name shown to others.
    pub display_name: Option<String>,
    /// Extension / user.
    pub user: String,
    /// Domain.
    pub domain: String,
    /// Authentication user, if different.
    pub auth_user: Option<String>,
    /// Registrar or outbound proxy.
    pub server: Option<String>,
    /// udp, tcp, tls, ws, wss.
    pub transport: String,
    /// Registration lifetime.
    pub expires: u32,
    /// Keep-alive seconds.
    pub keepalive: u32,
    /// Whether it registers.
    pub register: bool,
    /// Whether it is in use.
    pub enabled: bool,
}

fn row(r: &Row) -> rusqlite::Result<StoredAccount> {
    Ok(StoredAccount {
        id: r.get("id")?,
        display_name: r.get("display_name")?,
        user: r.get("user")?,
        domain: r.get("domain")?,
        auth_user: r.get("auth_user")?,
        server: r.get("server")?,
        transport: r.get("transport")?,
        expires: r.get("expires")?,
        keepalive: r.get("keepalive")?,
        register: r.get("register")?,
        enabled: r.get("enabled")?,
    })
}

impl Store {
    /// Every account, oldest first.
    pub fn accounts(&self) -> Result<Vec<StoredAccount>, StoreError> {
        let conn = self.conn();
        let mut st = conn.prepare("SELECT * FROM accounts ORDER BY id")?;
        let rows = st.query_map([], row)?.collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// Inserts (id 0) or updates an account; returns its id.
    pub fn save_account(&self, a: &StoredAccount) -> Result<i64, StoreError> {
        let conn = self.conn();
        if a.id == 0 {
            conn.execute(
                "INSERT INTO accounts(display_name, user, domain, auth_user, server, transport, expires, keepalive, register, enabled, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                rusqlite::params![a.display_name, a.user, a.domain, a.auth_user, a.server, a.transport, a.expires, a.keepalive, a.register, a.enabled, now_ms()],
            )?;
            Ok(conn.last_insert_rowid())
        } else {
            let n = conn.execute(
                "UPDATE accounts SET display_name=?1, user=?2, domain=?3, auth_user=?4, server=?5, transport=?6, expires=?7, keepalive=?8, register=?9, enabled=?10 WHERE id=?11",
                rusqlite::params![a.display_name, a.user, a.domain, a.auth_user, a.server, a.transport, a.expires, a.keepalive, a.register, a.enabled, a.id],
            )?;
            if n == 0 {
                return Err(StoreError::NotFound("account", a.id));
            }
            Ok(a.id)
        }
    }

    /// Deletes an account (its calls and conversations stay, unlinked).
    pub fn delete_account(&self, id: i64) -> Result<(), StoreError> {
        let n = self
            .conn()
            .execute("DELETE FROM accounts WHERE id = ?1", [id])?;
        if n == 0 {
            return Err(StoreError::NotFound("account", id));
        }
        Ok(())
    }
}
