//! Key/value settings, values as JSON.

use rusqlite::OptionalExtension;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::{Store, StoreError};

impl Store {
    /// Reads a setting.
    pub fn setting<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, StoreError> {
        let raw: Option<String> = self
            .conn()
            .query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| {
                r.get(0)
            })
            .optional()?;
        match raw {
            None => Ok(None),
            Some(s) => serde_json::from_str(&s)
                .map(Some)
                .map_err(|e| StoreError::Invalid("setting", format!("{key}: {e}"))),
        }
    }

    /// Writes a setting.
    pub fn set_setting<T: Serialize>(&self, key: &str, value: &T) -> Result<(), StoreError> {
        let json = serde_json::to_string(value)
            .map_err(|e| StoreError::Invalid("setting", e.to_string()))?;
        self.conn().execute(
            "INSERT INTO settings(key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, json),
        )?;
        Ok(())
    }
}
