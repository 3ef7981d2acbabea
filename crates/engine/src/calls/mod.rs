//! Calls as the application sees them: what it asks for ([`CallRequest`]),
//! what it is told ([`CallInfo`], [`CallQuality`]), and the engine's own
//! bookkeeping per call. The SIP side lives in `handset_sip::call`, media in
//! `handset_media`; the runtime glues them together in `control.rs`.

pub(crate) mod dial;
pub(crate) mod media;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::event::AccountId;

/// Identifies a call inside a running engine.
pub type CallId = u64;

/// A call to place.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export, export_to = "../../../frontend/src/api/generated/")]
pub struct CallRequest {
    /// The account to call from.
    pub account: AccountId,
    /// What the user dialled: a number, an extension, `user@host`, or a
    /// `sip:`/`tel:`/`callto:` URI.
    pub target: String,
}

/// Whether we placed the call or received it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export, export_to = "../../../frontend/src/api/generated/")]
pub enum CallDirection {
    /// We called.
    Outgoing,
    /// They called.
    Incoming,
}

/// Where a call stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export, export_to = "../../../frontend/src/api/generated/")]
pub enum CallPhase {
    /// INVITE sent, nothing back yet.
    Dialing,
    /// The far end rings (180), or plays early media (183).
    Ringing,
    /// Someone calls us and waits for an answer.
    Incoming,
    /// Connected.
    Active,
    /// Over; `end_reason` says why.
    Ended,
}

/// A snapshot of one call, sent with every change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export, export_to = "../../../frontend/src/api/generated/")]
pub struct CallInfo {
    /// The call.
    #[ts(type = "number")]
    pub id: CallId,
    /// The account it belongs to, if any matched.
    pub account: Option<AccountId>,
    /// Who started it.
    pub direction: CallDirection,
    /// Where it stands.
    pub phase: CallPhase,
    /// The other party's address.
    pub remote_uri: String,
    /// The other party's display name, when given.
    pub remote_name: Option<String>,
    /// We put the call on hold.
    pub held: bool,
    /// The other side put us on hold (we hear its music on hold, if any).
    pub remote_held: bool,
    /// Our microphone is muted.
    pub muted: bool,
    /// Negotiated codec (`PCMU`, `G722`, `opus`…).
    pub codec: Option<String>,
    /// Media is encrypted (SRTP).
    pub secure: bool,
    /// Unix time in ms when the call started.
    #[ts(type = "number")]
    pub started_ms: u64,
    /// Unix time in ms when it was answered.
    #[ts(type = "number | null")]
    pub answered_ms: Option<u64>,
    /// Why it ended, in words.
    pub end_reason: Option<String>,
    /// The SIP status that ended it (486, 603, 487…), when one did.
    pub end_status: Option<u16>,
}

impl CallInfo {
    /// A call starting now, not yet held, muted or encrypted.
    pub(crate) fn starting(
        id: CallId,
        account: Option<AccountId>,
        direction: CallDirection,
        phase: CallPhase,
        remote_uri: String,
        remote_name: Option<String>,
    ) -> Self {
        CallInfo {
            id,
            account,
            direction,
            phase,
            remote_uri,
            remote_name,
            held: false,
            remote_held: false,
            muted: false,
            codec: None,
            secure: false,
            started_ms: unix_ms(),
            answered_ms: None,
            end_reason: None,
            end_status: None,
        }
    }
}

/// Live call-quality figures for the in-call indicator.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export, export_to = "../../../frontend/src/api/generated/")]
pub struct CallQuality {
    /// Codec in use.
    pub codec: String,
    /// Packets sent and received.
    #[ts(type = "number")]
    pub packets_sent: u64,
    /// Packets received.
    #[ts(type = "number")]
    pub packets_received: u64,
    /// Share of incoming packets lost, percent.
    pub loss_percent: f64,
    /// Interarrival jitter, ms.
    pub jitter_ms: f64,
    /// Round-trip time from RTCP, ms.
    pub rtt_ms: Option<f64>,
    /// E-model MOS estimate, 1–4.5.
    pub mos: f64,
    /// Loss the far end reports for what we send, percent.
    pub remote_loss_percent: f64,
}

/// Milliseconds since the Unix epoch, for timestamps the UI shows.
pub(crate) fn unix_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}
