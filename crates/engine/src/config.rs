//! Engine and account settings, as stored and as sent by the UI.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;
use ts_rs::TS;

use serde::{Deserialize, Serialize};

pub use crate::calls::media::MediaSettings;

/// The transport an account registers over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default, TS)]
#[serde(rename_all = "lowercase")]
#[ts(export, export_to = "../../../frontend/src/api/generated/")]
pub enum TransportChoice {
    /// UDP (the default, like every desk phone).
    #[default]
    Udp,
    /// TCP.
    Tcp,
    /// TLS, certificates verified.
    Tls,
    /// WebSocket (RFC 7118).
    Ws,
    /// WebSocket over TLS.
    Wss,
}

impl TransportChoice {
    /// Parses `udp`, `tcp`, `tls`, `ws`, `wss` (any case).
    pub fn parse(s: &str) -> Option<TransportChoice> {
        Some(match s.to_ascii_lowercase().as_str() {
            "udp" => TransportChoice::Udp,
            "tcp" => TransportChoice::Tcp,
            "tls" => TransportChoice::Tls,
            "ws" => TransportChoice::Ws,
            "wss" => TransportChoice::Wss,
            _ => return None,
        })
    }
}

/// One SIP account. Secrets are not here: the password is handed to
/// [`crate::Engine::add_account`] from the platform's secret store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export, export_to = "../../../frontend/src/api/generated/")]
pub struct AccountConfig {
    /// Name shown to others.
    #[serde(default)]
    pub display_name: Option<String>,
    /// User part of the address of record (the extension).
    pub user: String,
    /// Domain of the address of record.
    pub domain: String,
    /// Authentication user when it differs from `user`.
    #[serde(default)]
    pub auth_user: Option<String>,
    /// Registrar or outbound proxy as `host[:port]`; the domain when absent
    /// (then RFC 3263 DNS lookups choose the server).
    #[serde(default)]
    pub server: Option<String>,
    /// Transport.
    #[serde(default)]
    pub transport: TransportChoice,
    /// Requested registration lifetime in seconds.
    #[serde(default = "default_expires")]
    pub expires: u32,
    /// Seconds between binding checks / keep-alives while registered.
    #[serde(default = "default_keepalive")]
    pub keepalive_secs: u32,
    /// Whether to register at all (a local account for direct calls does not).
    #[serde(default = "default_true")]
    pub register: bool,
}

fn default_expires() -> u32 {
    600
}
fn default_keepalive() -> u32 {
    30
}
fn default_true() -> bool {
    true
}

impl AccountConfig {
    /// A registering account with defaults for everything optional.
    pub fn new(user: &str, domain: &str) -> Self {
        AccountConfig {
            display_name: None,
            user: user.to_string(),
            domain: domain.to_string(),
            auth_user: None,
            server: None,
            transport: TransportChoice::Udp,
            expires: default_expires(),
            keepalive_secs: default_keepalive(),
            register: true,
        }
    }

    /// Checks the values a user typed; the error says what to fix.
    pub fn validate(&self) -> Result<(), String> {
        let bad_user = |u: &str| {
            u.is_empty() || u.contains(|c: char| c.is_whitespace() || c == '@' || c == ':')
        };
        if bad_user(&self.user) {
            return Err(format!(
                "user '{}' must be non-empty, without spaces, '@' or ':'",
                self.user
            ));
        }
        if self.domain.is_empty()
            || self
                .domain
                .contains(|c: char| c.is_whitespace() || c == '@' || c == '/')
        {
            return Err(format!(
                "domain '{}' is not a host name or address",
                self.domain
            ));
        }
        if let Some(s) = &self.server {
            if s.is_empty() || s.contains(char::is_whitespace) {
                return Err(format!("server '{s}' must be host[:port]"));
            }
        }
        if !(30..=86_400).contains(&self.expires) {
            return Err(format!(
                "expires {} must be between 30 and 86400 seconds",
                self.expires
            ));
        }
        if self.keepalive_secs > 3600 {
            return Err(format!(
                "keep-alive {} s is longer than an hour",
                self.keepalive_secs
            ));
        }
        Ok(())
    }
}

/// Engine-wide settings.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// Address to bind UDP and TCP listeners to (port 0: any free port).
    pub bind: SocketAddr,
    /// Extra CA certificates (PEM) trusted for TLS besides the system roots.
    pub extra_ca: Vec<PathBuf>,
    /// DNS servers to ask instead of the system's (tests use their own).
    pub dns_servers: Option<Vec<SocketAddr>>,
    /// RFC 3261 T1; lower only on networks known to be fast.
    pub t1: Duration,
    /// User-Agent string.
    pub user_agent: String,
    /// +sip.instance URN identifying this installation.
    pub instance_id: Option<String>,
    /// Audio devices, codecs and SRTP for calls.
    pub media: MediaSettings,
    /// The database for messages (and their outbox); a private in-memory one
    /// when `None`, which loses messages on exit.
    pub store: Option<std::sync::Arc<handset_store::Store>>,
    /// Answering a call puts the other connected calls on hold (a desk
    /// phone's habit); off for servers such as an echo peer.
    pub hold_others_on_answer: bool,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            bind: SocketAddr::from(([0, 0, 0, 0], 0)),
            extra_ca: Vec::new(),
            dns_servers: None,
            t1: Duration::from_millis(500),
            user_agent: concat!("Handset/", env!("CARGO_PKG_VERSION")).to_string(),
            instance_id: None,
            media: MediaSettings::default(),
            hold_others_on_answer: true,
            store: None,
        }
    }
}
