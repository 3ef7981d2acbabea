//! Conversations, messages, the outbox that never loses a message, and
//! full-text search.

use rusqlite::{OptionalExtension, Row};
use serde::{Deserialize, Serialize};

use crate::{now_ms, Store, StoreError};

/// A messaging channel, shown as separate sections.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    /// Team chat over SIP between extensions.
    Messages,
    /// SMS/MMS through the gateway.
    Sms,
    /// WhatsApp through the gateway.
    Whatsapp,
}

impl Channel {
    /// Column value.
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Messages => "messages",
            Channel::Sms => "sms",
            Channel::Whatsapp => "whatsapp",
        }
    }

    fn parse(s: &str) -> Channel {
        match s {
            "sms" => Channel::Sms,
            "whatsapp" => Channel::Whatsapp,
            _ => Channel::Messages,
        }
    }
}

/// Which way a message went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// Received.
    In,
    /// Sent by us.
    Out,
}

/// Where a message is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MessageStatus {
    /// Stored, not yet accepted by the network (retried until it is).
    Pending,
    /// Accepted by the server.
    Sent,
    /// Delivery receipt received.
    Delivered,
    /// Read receipt received.
    Read,
    /// Given up, with a reason.
    Failed,
    /// An incoming message.
    Received,
}

impl MessageStatus {
    fn as_str(self) -> &'static str {
        match self {
            MessageStatus::Pending => "pending",
            MessageStatus::Sent => "sent",
            MessageStatus::Delivered => "delivered",
            MessageStatus::Read => "read",
            MessageStatus::Failed => "failed",
            MessageStatus::Received => "received",
        }
    }

    fn parse(s: &str) -> MessageStatus {
        match s {
            "sent" => MessageStatus::Sent,
            "delivered" => MessageStatus::Delivered,
            "read" => MessageStatus::Read,
            "failed" => MessageStatus::Failed,
            "received" => MessageStatus::Received,
            _ => MessageStatus::Pending,
        }
    }
}

/// A conversation in a list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Conversation {
    /// Row id.
    pub id: i64,
    /// Channel.
    pub channel: Channel,
    /// `direct` or `group`.
    pub kind: String,
    /// Account.
    pub account_id: Option<i64>,
    /// Remote URI or number (direct).
    pub peer: Option<String>,
    /// Group id (group).
    pub group_id: Option<String>,
    /// Group name or peer's name.
    pub title: Option<String>,
    /// Group description.
    pub description: Option<String>,
    /// Last activity, unix ms.
    pub last_activity: i64,
    /// Unread incoming messages.
    pub unread: u32,
    /// The newest message's text.
    pub last_message: Option<String>,
    /// Group members' URIs.
    pub members: Vec<String>,
}

/// A message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Message {
    /// Row id.
    pub id: i64,
    /// Conversation.
    pub conversation_id: i64,
    /// Globally unique id (CPIM/IMDN Message-ID).
    pub message_id: String,
    /// Direction.
    pub direction: Direction,
    /// Sender URI.
    pub sender: String,
    /// MIME type of the body.
    pub content_type: String,
    /// Text (always rendered as text).
    pub body: String,
    /// Creation time (sender's clock), unix ms.
    pub created_at: i64,
    /// State.
    pub status: MessageStatus,
    /// Why it failed (last failure for pending ones).
    pub failure: Option<String>,
    /// Send attempts so far.
    pub attempts: u32,
    /// Read by us (incoming).
    pub read: bool,
}

/// An outgoing message to store before sending.
#[derive(Debug, Clone)]
pub struct NewOutgoing {
    /// Conversation.
    pub conversation_id: i64,
    /// Globally unique id.
    pub message_id: String,
    /// Our URI.
    pub sender: String,
    /// MIME type.
    pub content_type: String,
    /// Text.
    pub body: String,
}

/// A received message.
#[derive(Debug, Clone)]
pub struct NewIncoming {
    /// Conversation.
    pub conversation_id: i64,
    /// The sender's id for it.
    pub message_id: String,
    /// Sender URI.
    pub sender: String,
    /// MIME type.
    pub content_type: String,
    /// Text.
    pub body: String,
    /// Sender's timestamp, unix ms.
    pub created_at: i64,
}

/// A search result: the message and its text with matches between
/// `\u{1}` and `\u{2}` (the UI splits on them and renders text, never HTML).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchHit {
    /// The message.
    pub message: Message,
    /// Body with highlight markers.
    pub highlighted: String,
}

fn msg_row(r: &Row) -> rusqlite::Result<Message> {
    let dir: String = r.get("direction")?;
    let status: String = r.get("status")?;
    Ok(Message {
        id: r.get("id")?,
        conversation_id: r.get("conversation_id")?,
        message_id: r.get("message_id")?,
        direction: if dir == "in" {
            Direction::In
        } else {
            Direction::Out
        },
        sender: r.get("sender")?,
        content_type: r.get("content_type")?,
        body: r.get("body")?,
        created_at: r.get("created_at")?,
        status: MessageStatus::parse(&status),
        failure: r.get("failure")?,
        attempts: r.get("attempts")?,
        read: r.get("read")?,
    })
}

/// Turns what a user typed into an FTS5 query that cannot be a syntax error:
/// every word quoted, the last one as a prefix (search as you type).
fn fts_query(input: &str) -> Option<String> {
    let words: Vec<String> = input
        .split_whitespace()
        .map(|w| format!("\"{}\"", w.replace('"', "\"\"")))
        .collect();
    if words.is_empty() {
        return None;
    }
    let mut q = words.join(" ");
    q.push('*');
    Some(q)
}

impl Store {
    /// The direct conversation with `peer` on `channel`, created if needed.
    pub fn direct_conversation(
        &self,
        channel: Channel,
        account_id: Option<i64>,
        peer: &str,
        title: Option<&str>,
    ) -> Result<i64, StoreError> {
        let conn = self.conn();
        let existing: Option<i64> = conn
            .query_row(
                "SELECT id FROM conversations WHERE channel = ?1 AND kind = 'direct' AND account_id IS ?2 AND peer = ?3",
                rusqlite::params![channel.as_str(), account_id, peer],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(id) = existing {
            return Ok(id);
        }
        conn.execute(
            "INSERT INTO conversations(channel, kind, account_id, peer, title, last_activity) VALUES (?1, 'direct', ?2, ?3, ?4, ?5)",
            rusqlite::params![channel.as_str(), account_id, peer, title, now_ms()],
        )?;
        Ok(conn.last_insert_rowid())
    }

    /// Creates or updates a group chat identified by `group_id`; returns its id.
    pub fn upsert_group(
        &self,
        account_id: Option<i64>,
        group_id: &str,
        title: &str,
        description: Option<&str>,
        members: &[String],
    ) -> Result<i64, StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let id: Option<i64> = tx
            .query_row(
                "SELECT id FROM conversations WHERE group_id = ?1",
                [group_id],
                |r| r.get(0),
            )
            .optional()?;
        let id = match id {
            Some(id) => {
                tx.execute(
                    "UPDATE conversations SET title = ?1, description = ?2 WHERE id = ?3",
                    rusqlite::params![title, description, id],
                )?;
                id
            }
            None => {
                tx.execute(
                    "INSERT INTO conversations(channel, kind, account_id, group_id, title, description, last_activity) VALUES ('messages', 'group', ?1, ?2, ?3, ?4, ?5)",
                    rusqlite::params![account_id, group_id, title, description, now_ms()],
                )?;
                tx.last_insert_rowid()
            }
        };
        tx.execute("DELETE FROM group_members WHERE conversation_id = ?1", [id])?;
        for m in members {
            tx.execute(
                "INSERT OR IGNORE INTO group_members(conversation_id, uri) VALUES (?1, ?2)",
                rusqlite::params![id, m],
            )?;
        }
        tx.commit()?;
        Ok(id)
    }

    /// Conversations, most recent activity first, optionally of one channel.
    pub fn conversations(&self, channel: Option<Channel>) -> Result<Vec<Conversation>, StoreError> {
        let conn = self.conn();
        let mut st = conn.prepare(
            "SELECT c.*,
                (SELECT COUNT(*) FROM messages m WHERE m.conversation_id = c.id AND m.direction = 'in' AND m.read = 0) AS unread,
                (SELECT body FROM messages m WHERE m.conversation_id = c.id ORDER BY created_at DESC, id DESC LIMIT 1) AS last_message
             FROM conversations c
             WHERE ?1 IS NULL OR c.channel = ?1
             ORDER BY c.last_activity DESC, c.id DESC",
        )?;
        let mut out = st
            .query_map([channel.map(Channel::as_str)], |r| {
                let ch: String = r.get("channel")?;
                Ok(Conversation {
                    id: r.get("id")?,
                    channel: Channel::parse(&ch),
                    kind: r.get("kind")?,
                    account_id: r.get("account_id")?,
                    peer: r.get("peer")?,
                    group_id: r.get("group_id")?,
                    title: r.get("title")?,
                    description: r.get("description")?,
                    last_activity: r.get("last_activity")?,
                    unread: r.get("unread")?,
                    last_message: r.get("last_message")?,
                    members: Vec::new(),
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        let mut mst =
            conn.prepare("SELECT uri FROM group_members WHERE conversation_id = ?1 ORDER BY uri")?;
        for c in out.iter_mut().filter(|c| c.kind == "group") {
            c.members = mst
                .query_map([c.id], |r| r.get(0))?
                .collect::<Result<Vec<_>, _>>()?;
        }
        Ok(out)
    }

    /// Stores an outgoing message as pending, due now. It is on disk when this returns.
    pub fn enqueue_outgoing(&self, m: &NewOutgoing) -> Result<Message, StoreError> {
        if m.body.len() > 1 << 20 {
            return Err(StoreError::Invalid("message", "larger than 1 MiB".into()));
        }
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let now = now_ms();
        tx.execute(
            "INSERT INTO messages(conversation_id, message_id, direction, sender, content_type, body, created_at, status, next_attempt_at)
             VALUES (?1, ?2, 'out', ?3, ?4, ?5, ?6, 'pending', ?6)",
            rusqlite::params![m.conversation_id, m.message_id, m.sender, m.content_type, m.body, now],
        )?;
        let id = tx.last_insert_rowid();
        tx.execute(
            "UPDATE conversations SET last_activity = ?1 WHERE id = ?2",
            (now, m.conversation_id),
        )?;
        let msg = tx.query_row("SELECT * FROM messages WHERE id = ?1", [id], msg_row)?;
        tx.commit()?;
        Ok(msg)
    }

    /// Pending messages whose next attempt is due, oldest first, so that each
    /// conversation's order is kept.
    pub fn due_outbox(&self, now: i64, limit: u32) -> Result<Vec<Message>, StoreError> {
        let conn = self.conn();
        let mut st = conn.prepare(
            "SELECT * FROM messages WHERE direction = 'out' AND status = 'pending' AND next_attempt_at <= ?1
             ORDER BY created_at, id LIMIT ?2",
        )?;
        let rows = st
            .query_map((now, limit), msg_row)?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// The oldest pending message of each conversation, when it is due: a
    /// message waiting for a retry holds back the ones after it, so each
    /// conversation arrives in order.
    pub fn outbox_heads(&self, now: i64, limit: u32) -> Result<Vec<Message>, StoreError> {
        let conn = self.conn();
        let mut st = conn.prepare_cached(
            "SELECT m.* FROM messages m
             WHERE m.direction = 'out' AND m.status = 'pending' AND m.next_attempt_at <= ?1
               AND m.id = (SELECT m2.id FROM messages m2
                           WHERE m2.conversation_id = m.conversation_id AND m2.direction = 'out' AND m2.status = 'pending'
                           ORDER BY m2.created_at, m2.id LIMIT 1)
             ORDER BY m.created_at, m.id LIMIT ?2",
        )?;
        let rows = st
            .query_map((now, limit), msg_row)?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// The peer address of a direct conversation.
    pub fn conversation_peer(&self, conversation_id: i64) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn()
            .query_row(
                "SELECT peer FROM conversations WHERE id = ?1",
                [conversation_id],
                |r| r.get::<_, Option<String>>(0),
            )
            .optional()?
            .flatten())
    }

    /// When the next pending message is due, if any.
    pub fn next_outbox_due(&self) -> Result<Option<i64>, StoreError> {
        Ok(self.conn().query_row(
            "SELECT MIN(next_attempt_at) FROM messages WHERE direction = 'out' AND status = 'pending'",
            [],
            |r| r.get(0),
        )?)
    }

    /// Records a failed attempt: the message stays pending until `retry_at`.
    pub fn outbox_retry(
        &self,
        message_id: &str,
        reason: &str,
        retry_at: i64,
    ) -> Result<u32, StoreError> {
        let conn = self.conn();
        conn.execute(
            "UPDATE messages SET attempts = attempts + 1, failure = ?1, next_attempt_at = ?2
             WHERE message_id = ?3 AND direction = 'out' AND status = 'pending'",
            rusqlite::params![reason, retry_at, message_id],
        )?;
        Ok(conn
            .query_row(
                "SELECT attempts FROM messages WHERE message_id = ?1 AND direction = 'out'",
                [message_id],
                |r| r.get(0),
            )
            .optional()?
            .unwrap_or(0))
    }

    /// Moves an outgoing message forward (pending → sent → delivered → read,
    /// or → failed). Never moves it backwards: receipts can arrive out of order.
    pub fn set_outgoing_status(
        &self,
        message_id: &str,
        status: MessageStatus,
        failure: Option<&str>,
    ) -> Result<bool, StoreError> {
        let conn = self.conn();
        let current: Option<String> = conn
            .query_row(
                "SELECT status FROM messages WHERE message_id = ?1 AND direction = 'out'",
                [message_id],
                |r| r.get(0),
            )
            .optional()?;
        let Some(current) = current.map(|s| MessageStatus::parse(&s)) else {
            return Ok(false);
        };
        let forward = match (current, status) {
            (MessageStatus::Failed, _) => status == MessageStatus::Pending,
            (_, MessageStatus::Failed) => current == MessageStatus::Pending,
            (c, s) => s > c,
        };
        if !forward {
            return Ok(false);
        }
        conn.execute(
            "UPDATE messages SET status = ?1, failure = ?2, next_attempt_at = CASE WHEN ?1 = 'pending' THEN ?3 ELSE next_attempt_at END
             WHERE message_id = ?4 AND direction = 'out'",
            rusqlite::params![status.as_str(), failure, now_ms(), message_id],
        )?;
        Ok(true)
    }

    /// Stores an incoming message unless one with the same id is already
    /// stored (retransmissions and resent offline copies): `None` then.
    pub fn insert_incoming(&self, m: &NewIncoming) -> Result<Option<Message>, StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let n = tx.execute(
            "INSERT OR IGNORE INTO messages(conversation_id, message_id, direction, sender, content_type, body, created_at, received_at, status)
             VALUES (?1, ?2, 'in', ?3, ?4, ?5, ?6, ?7, 'received')",
            rusqlite::params![m.conversation_id, m.message_id, m.sender, m.content_type, m.body, m.created_at, now_ms()],
        )?;
        if n == 0 {
            return Ok(None);
        }
        let id = tx.last_insert_rowid();
        tx.execute(
            "UPDATE conversations SET last_activity = MAX(last_activity, ?1) WHERE id = ?2",
            (now_ms(), m.conversation_id),
        )?;
        let msg = tx.query_row("SELECT * FROM messages WHERE id = ?1", [id], msg_row)?;
        tx.commit()?;
        Ok(Some(msg))
    }

    /// A conversation's messages in order; `before` pages back from a row id.
    pub fn messages(
        &self,
        conversation_id: i64,
        before: Option<i64>,
        limit: u32,
    ) -> Result<Vec<Message>, StoreError> {
        let conn = self.conn();
        let mut st = conn.prepare(
            "SELECT * FROM (SELECT * FROM messages WHERE conversation_id = ?1 AND (?2 IS NULL OR id < ?2)
                            ORDER BY created_at DESC, id DESC LIMIT ?3)
             ORDER BY created_at, id",
        )?;
        let rows = st
            .query_map(rusqlite::params![conversation_id, before, limit], msg_row)?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// Marks a conversation read; returns the ids of messages newly read, for read receipts.
    pub fn mark_read(&self, conversation_id: i64) -> Result<Vec<String>, StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let ids: Vec<String> = {
            let mut st = tx.prepare("SELECT message_id FROM messages WHERE conversation_id = ?1 AND direction = 'in' AND read = 0")?;
            let rows = st
                .query_map([conversation_id], |r| r.get(0))?
                .collect::<Result<Vec<_>, _>>()?;
            rows
        };
        tx.execute("UPDATE messages SET read = 1 WHERE conversation_id = ?1 AND direction = 'in' AND read = 0", [conversation_id])?;
        tx.commit()?;
        Ok(ids)
    }

    /// A message by its global id and direction.
    pub fn message(
        &self,
        message_id: &str,
        direction: Direction,
    ) -> Result<Option<Message>, StoreError> {
        let d = if direction == Direction::In {
            "in"
        } else {
            "out"
        };
        Ok(self
            .conn()
            .query_row(
                "SELECT * FROM messages WHERE message_id = ?1 AND direction = ?2",
                (message_id, d),
                msg_row,
            )
            .optional()?)
    }

    /// Full-text search over every message (diacritics ignored), best match first.
    pub fn search(&self, input: &str, limit: u32) -> Result<Vec<SearchHit>, StoreError> {
        let Some(q) = fts_query(input) else {
            return Ok(Vec::new());
        };
        let conn = self.conn();
        let mut st = conn.prepare_cached(
            "SELECT m.*, highlight(messages_fts, 0, char(1), char(2)) AS hl
             FROM messages_fts JOIN messages m ON m.id = messages_fts.rowid
             WHERE messages_fts MATCH ?1 ORDER BY rank LIMIT ?2",
        )?;
        let rows = st
            .query_map(rusqlite::params![q, limit], |r| {
                Ok(SearchHit {
                    message: msg_row(r)?,
                    highlighted: r.get("hl")?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fts_query_is_always_valid() {
        assert_eq!(fts_query("  "), None);
        assert_eq!(
            fts_query("he said \"hi").unwrap(),
            "\"he\" \"said\" \"\"\"hi\"*"
        );
    }
}
