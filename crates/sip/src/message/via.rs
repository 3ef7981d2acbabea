//! The Via header value (RFC 3261 20.42, RFC 3581 rport, RFC 5118 IPv6).

use std::fmt;

use super::params::Params;
use super::uri::{split_host_port, Host, UriError};
use crate::text::{is_lws, is_token};

/// The magic cookie that marks an RFC 3261 branch (17.2.3).
pub const BRANCH_MAGIC: &str = "z9hG4bK";

/// Why a Via value was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ViaError {
    /// `SIP/2.0/UDP` part missing or malformed.
    #[error("malformed Via sent-protocol")]
    Protocol,
    /// The sent-by host or port is wrong.
    #[error("malformed Via sent-by: {0}")]
    SentBy(#[from] UriError),
    /// Parameters cannot be parsed.
    #[error("malformed Via parameters")]
    Params,
}

/// One Via value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Via {
    /// Protocol name and version, normally `SIP/2.0`.
    pub protocol: String,
    /// Transport token, upper-cased (`UDP`, `TCP`, `TLS`, `WS`, `WSS`, or an extension).
    pub transport: String,
    /// sent-by host.
    pub host: Host,
    /// sent-by port.
    pub port: Option<u16>,
    /// Parameters: branch, received, rport, maddr, ttl, extensions.
    pub params: Params,
}

impl Via {
    /// A Via for this UA with a fresh `rport` request (RFC 3581).
    pub fn new(transport: &str, host: Host, port: Option<u16>, branch: &str) -> Via {
        let mut params = Params::new();
        params.set("branch", Some(branch));
        params.set("rport", None);
        Via {
            protocol: "SIP/2.0".into(),
            transport: transport.to_ascii_uppercase(),
            host,
            port,
            params,
        }
    }

    /// Parses one Via value.
    pub fn parse(s: &str) -> Result<Via, ViaError> {
        let s = s.trim_matches(is_lws);
        // sent-protocol: name SLASH version SLASH transport, with optional LWS around slashes
        let mut parts = Vec::new();
        let mut rest = s;
        for i in 0..3 {
            let rest_trim = rest.trim_start_matches(is_lws);
            let end = if i < 2 {
                rest_trim.find('/').ok_or(ViaError::Protocol)?
            } else {
                rest_trim.find(is_lws).ok_or(ViaError::Protocol)?
            };
            let tok = rest_trim[..end].trim_end_matches(is_lws);
            if !is_token(tok) {
                return Err(ViaError::Protocol);
            }
            parts.push(tok);
            rest = if i < 2 {
                &rest_trim[end + 1..]
            } else {
                &rest_trim[end..]
            };
        }
        let rest = rest.trim_start_matches(is_lws);
        let (sent_by, params_s) = match rest.find(';') {
            Some(i) => (rest[..i].trim_end_matches(is_lws), Some(&rest[i + 1..])),
            None => (rest.trim_end_matches(is_lws), None),
        };
        // LWS is allowed around the colon of sent-by (HCOLON-like in some stacks' output)
        let sent_by_compact: String = sent_by.chars().filter(|c| !is_lws(*c)).collect();
        let (host, port) = split_host_port(&sent_by_compact)?;
        let host = Host::parse(host)?;
        let params = match params_s {
            None => Params::new(),
            Some(p) => Params::parse(p).ok_or(ViaError::Params)?,
        };
        Ok(Via {
            protocol: format!("{}/{}", parts[0], parts[1]),
            transport: parts[2].to_ascii_uppercase(),
            host,
            port,
            params,
        })
    }

    /// The branch parameter.
    pub fn branch(&self) -> Option<&str> {
        self.params.get("branch").filter(|b| !b.is_empty())
    }

    /// True when the branch carries the RFC 3261 magic cookie.
    pub fn has_rfc3261_branch(&self) -> bool {
        // the bare cookie (RFC 4475 badbranch) identifies nothing: match the old way
        self.branch()
            .is_some_and(|b| b.starts_with(BRANCH_MAGIC) && b.len() > BRANCH_MAGIC.len())
    }

    /// `received` parameter.
    pub fn received(&self) -> Option<&str> {
        self.params.get("received").filter(|v| !v.is_empty())
    }

    /// `rport` value when the server filled it in.
    pub fn rport(&self) -> Option<u16> {
        self.params.get("rport").and_then(|v| v.parse().ok())
    }

    /// `host[:port]` of sent-by, as used in transaction matching.
    pub fn sent_by(&self) -> String {
        match self.port {
            Some(p) => format!("{}:{}", self.host, p),
            None => self.host.to_string(),
        }
    }
}

impl fmt::Display for Via {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}/{} {}{}",
            self.protocol,
            self.transport,
            self.sent_by(),
            self.params
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_spaced_and_ipv6() {
        let v =
            Via::parse("SIP  /   2.0  /   UDP   192.0.2.2:5060 ; branch=z9hG4bK390skdjuw ; rport")
                .unwrap();
        assert_eq!(v.transport, "UDP");
        assert_eq!(v.port, Some(5060));
        assert_eq!(v.branch(), Some("z9hG4bK390skdjuw"));
        assert!(v.has_rfc3261_branch());
        let v = Via::parse(
            "SIP/2.0/UDP [2001:db8::9:1];branch=z9hG4bKas3-111;received=2001:db8::9:255",
        )
        .unwrap();
        assert_eq!(v.host, Host::V6("2001:db8::9:1".parse().unwrap()));
        assert_eq!(v.received(), Some("2001:db8::9:255"));
    }

    #[test]
    fn unknown_transport_kept() {
        let v = Via::parse("SIP/2.0/SCTP t1.example.com;branch=z9hG4bKkdjuw").unwrap();
        assert_eq!(v.transport, "SCTP");
        let v = Via::parse("SIP/2.0/a-new-transport t2.example.com;branch=z9hG4bK1").unwrap();
        assert_eq!(v.transport, "A-NEW-TRANSPORT");
    }

    #[test]
    fn bad() {
        assert!(Via::parse("SIP/2.0 host").is_err());
        assert!(Via::parse("SIP/2.0/UDP").is_err());
        assert!(Via::parse("SIP/2.0/UDP host:99999").is_err());
    }
}
