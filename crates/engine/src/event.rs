//! Events the engine emits, serialised as they reach the UI.

use serde::Serialize;
use ts_rs::TS;

use handset_sip::registration::RegState;

use crate::calls::{CallId, CallInfo, CallQuality};

/// Identifies an account inside a running engine.
pub type AccountId = u32;

/// A registration state in a form the UI can show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export, export_to = "../../../frontend/src/api/generated/")]
pub struct RegistrationInfo {
    /// `unregistered`, `registering`, `registered`, `retrying` or `failed`.
    pub state: String,
    /// Granted lifetime (registered).
    pub expires: Option<u32>,
    /// Bound Contact (registered).
    pub contact: Option<String>,
    /// Server that answered, `transport:ip:port` (registered).
    pub server: Option<String>,
    /// What went wrong, in words (retrying, failed).
    pub reason: Option<String>,
    /// Milliseconds until the next attempt (retrying).
    #[ts(type = "number | null")]
    pub retry_in_ms: Option<u64>,
}

impl From<&RegState> for RegistrationInfo {
    fn from(s: &RegState) -> Self {
        let mut info = RegistrationInfo {
            state: String::new(),
            expires: None,
            contact: None,
            server: None,
            reason: None,
            retry_in_ms: None,
        };
        match s {
            RegState::Unregistered => info.state = "unregistered".into(),
            RegState::Registering => info.state = "registering".into(),
            RegState::Registered {
                expires,
                contact,
                server,
            } => {
                info.state = "registered".into();
                info.expires = Some(*expires);
                info.contact = Some(contact.clone());
                info.server = Some(server.to_string());
            }
            RegState::Retrying { reason, retry_in } => {
                info.state = "retrying".into();
                info.reason = Some(reason.clone());
                info.retry_in_ms = Some(retry_in.as_millis() as u64);
            }
            RegState::Failed(f) => {
                info.state = "failed".into();
                info.reason = Some(f.to_string());
            }
        }
        info
    }
}

/// Everything the engine tells its users.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(tag = "type", rename_all = "camelCase")]
#[ts(export, export_to = "../../../frontend/src/api/generated/")]
pub enum Event {
    /// An account's registration changed.
    #[serde(rename_all = "camelCase")]
    Registration {
        /// The account.
        account: AccountId,
        /// Its state.
        info: RegistrationInfo,
    },
    /// A SIP message could not be parsed (shown in diagnostics).
    #[serde(rename_all = "camelCase")]
    MalformedInput {
        /// Sender.
        source: String,
        /// Why.
        reason: String,
    },
    /// A transport-level problem worth showing (TLS certificate refused…).
    #[serde(rename_all = "camelCase")]
    TransportError {
        /// Destination.
        target: String,
        /// The error in words.
        reason: String,
    },
    /// A call changed (placed, ringing, answered, held, ended…).
    #[serde(rename_all = "camelCase")]
    Call {
        /// The call as it is now.
        info: CallInfo,
    },
    /// Someone is calling: show the incoming-call window.
    #[serde(rename_all = "camelCase")]
    IncomingCall {
        /// The call.
        info: CallInfo,
    },
    /// A DTMF digit arrived from the other side.
    #[serde(rename_all = "camelCase")]
    Dtmf {
        /// The call.
        #[ts(type = "number")]
        call: CallId,
        /// The digit (0-9, *, #, A-D).
        digit: String,
        /// `rfc4733` or `info`.
        method: String,
    },
    /// Live call quality (every few seconds, and once at the end).
    #[serde(rename_all = "camelCase")]
    CallQuality {
        /// The call.
        #[ts(type = "number")]
        call: CallId,
        /// The figures.
        quality: CallQuality,
    },
    /// Media trouble worth showing (no common codec, device lost…).
    #[serde(rename_all = "camelCase")]
    MediaProblem {
        /// The call.
        #[ts(type = "number")]
        call: CallId,
        /// In words.
        reason: String,
    },
    /// A chat message arrived (already stored).
    #[serde(rename_all = "camelCase")]
    MessageReceived {
        /// The message.
        message: crate::runtime::messaging::ChatMessage,
    },
    /// One of our messages moved on: sent, delivered, read, or failed.
    #[serde(rename_all = "camelCase")]
    MessageStatus {
        /// Its id.
        message_id: String,
        /// `sent`, `delivered`, `read`, `failed` or `pending` (kept for a retry).
        status: String,
        /// Why it failed or waits.
        reason: Option<String>,
    },
    /// Our presence was accepted by the account's presence server.
    #[serde(rename_all = "camelCase")]
    PresencePublished {
        /// The account.
        account: AccountId,
        /// `available`, `busy`, `dnd`…
        status: String,
    },
}
