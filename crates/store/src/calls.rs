//! Call history.

use rusqlite::Row;
use serde::{Deserialize, Serialize};

use crate::{Store, StoreError};

/// Which way a call went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CallDirection {
    /// We were called.
    Incoming,
    /// We called.
    Outgoing,
}

impl CallDirection {
    fn as_str(self) -> &'static str {
        match self {
            CallDirection::Incoming => "incoming",
            CallDirection::Outgoing => "outgoing",
        }
    }
}

/// A call as it starts.
#[derive(Debug, Clone)]
pub struct NewCall {
    /// Account used.
    pub account_id: Option<i64>,
    /// Direction.
    pub direction: CallDirection,
    /// Remote URI.
    pub remote_uri: String,
    /// Remote display name.
    pub remote_name: Option<String>,
    /// Start, unix ms.
    pub started_at: i64,
    /// Video call.
    pub video: bool,
    /// SIP Call-ID, for the diagnostics ladder.
    pub sip_call_id: Option<String>,
}

/// A row of the history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CallRecord {
    /// Row id.
    pub id: i64,
    /// Account used.
    pub account_id: Option<i64>,
    /// Direction.
    pub direction: CallDirection,
    /// Remote URI.
    pub remote_uri: String,
    /// Remote display name.
    pub remote_name: Option<String>,
    /// Start, unix ms.
    pub started_at: i64,
    /// Answer time.
    pub answered_at: Option<i64>,
    /// End time.
    pub ended_at: Option<i64>,
    /// Why it ended.
    pub end_reason: Option<String>,
    /// Unanswered incoming call.
    pub missed: bool,
    /// The user has seen it in the Missed list.
    pub seen: bool,
    /// Video.
    pub video: bool,
    /// Average MOS estimate.
    pub avg_mos: Option<f64>,
}

impl CallRecord {
    /// Talk time in seconds (0 when never answered).
    pub fn duration_secs(&self) -> i64 {
        match (self.answered_at, self.ended_at) {
            (Some(a), Some(e)) if e > a => (e - a) / 1000,
            _ => 0,
        }
    }
}

fn row(r: &Row) -> rusqlite::Result<CallRecord> {
    let dir: String = r.get("direction")?;
    Ok(CallRecord {
        id: r.get("id")?,
        account_id: r.get("account_id")?,
        direction: if dir == "incoming" {
            CallDirection::Incoming
        } else {
            CallDirection::Outgoing
        },
        remote_uri: r.get("remote_uri")?,
        remote_name: r.get("remote_name")?,
        started_at: r.get("started_at")?,
        answered_at: r.get("answered_at")?,
        ended_at: r.get("ended_at")?,
        end_reason: r.get("end_reason")?,
        missed: r.get("missed")?,
        seen: r.get("seen")?,
        video: r.get("video")?,
        avg_mos: r.get("avg_mos")?,
    })
}

impl Store {
    /// Records a call as it starts; returns its id.
    pub fn start_call(&self, c: &NewCall) -> Result<i64, StoreError> {
        let conn = self.conn();
        conn.execute(
            "INSERT INTO calls(account_id, direction, remote_uri, remote_name, started_at, video, sip_call_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            rusqlite::params![c.account_id, c.direction.as_str(), c.remote_uri, c.remote_name, c.started_at, c.video, c.sip_call_id],
        )?;
        Ok(conn.last_insert_rowid())
    }

    /// Marks a call answered.
    pub fn call_answered(&self, id: i64, at: i64) -> Result<(), StoreError> {
        self.conn()
            .execute("UPDATE calls SET answered_at = ?1 WHERE id = ?2", (at, id))?;
        Ok(())
    }

    /// Closes a call; an incoming call never answered becomes missed.
    pub fn call_ended(
        &self,
        id: i64,
        at: i64,
        reason: &str,
        avg_mos: Option<f64>,
    ) -> Result<(), StoreError> {
        self.conn().execute(
            "UPDATE calls SET ended_at = ?1, end_reason = ?2, avg_mos = ?3,
                 missed = (direction = 'incoming' AND answered_at IS NULL)
             WHERE id = ?4",
            rusqlite::params![at, reason, avg_mos, id],
        )?;
        Ok(())
    }

    /// History, newest first; `missed_only` for the Missed filter.
    pub fn call_history(
        &self,
        missed_only: bool,
        limit: u32,
    ) -> Result<Vec<CallRecord>, StoreError> {
        let conn = self.conn();
        let sql = if missed_only {
            "SELECT * FROM calls WHERE missed = 1 ORDER BY started_at DESC, id DESC LIMIT ?1"
        } else {
            "SELECT * FROM calls ORDER BY started_at DESC, id DESC LIMIT ?1"
        };
        let mut st = conn.prepare(sql)?;
        let rows = st.query_map([limit], row)?.collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// Missed calls not yet seen (the badge).
    pub fn unseen_missed(&self) -> Result<u32, StoreError> {
        Ok(self.conn().query_row(
            "SELECT COUNT(*) FROM calls WHERE missed = 1 AND seen = 0",
            [],
            |r| r.get(0),
        )?)
    }

    /// Clears the missed-calls badge.
    pub fn mark_missed_seen(&self) -> Result<(), StoreError> {
        self.conn().execute(
            "UPDATE calls SET seen = 1 WHERE missed = 1 AND seen = 0",
            [],
        )?;
        Ok(())
    }
}
