//! From account settings to the URIs and peers the SIP core works with.

use handset_sip::message::{SipScheme, SipUri, Uri};
use handset_sip::transaction::{Peer, Transport};
use handset_transport::{Target, TransportKind};

use crate::config::{AccountConfig, TransportChoice};

/// The SIP core's transport for a transport-layer kind.
pub fn to_sip(kind: TransportKind) -> Transport {
    match kind {
        TransportKind::Udp => Transport::Udp,
        TransportKind::Tcp => Transport::Tcp,
        TransportKind::Tls => Transport::Tls,
        TransportKind::Ws => Transport::Ws,
        TransportKind::Wss => Transport::Wss,
    }
}

/// The transport layer's kind for a SIP-core transport.
pub fn to_kind(t: Transport) -> TransportKind {
    match t {
        Transport::Udp => TransportKind::Udp,
        Transport::Tcp => TransportKind::Tcp,
        Transport::Tls => TransportKind::Tls,
        Transport::Ws => TransportKind::Ws,
        Transport::Wss => TransportKind::Wss,
    }
}

/// The transport kind an account asked for.
pub fn kind_of(choice: TransportChoice) -> TransportKind {
    match choice {
        TransportChoice::Udp => TransportKind::Udp,
        TransportChoice::Tcp => TransportKind::Tcp,
        TransportChoice::Tls => TransportKind::Tls,
        TransportChoice::Ws => TransportKind::Ws,
        TransportChoice::Wss => TransportKind::Wss,
    }
}

/// The account's address of record, `sip:user@domain`.
pub fn aor(cfg: &AccountConfig) -> Result<SipUri, String> {
    match Uri::parse(&format!("sip:{}@{}", cfg.user, cfg.domain)) {
        Ok(Uri::Sip(u)) => Ok(u),
        _ => Err(format!(
            "'{}@{}' is not a valid SIP address",
            cfg.user, cfg.domain
        )),
    }
}

/// The URI to resolve (RFC 3263) to find the registrar or outbound proxy.
pub fn server_uri(cfg: &AccountConfig) -> Result<SipUri, String> {
    let host = cfg.server.as_deref().unwrap_or(&cfg.domain);
    let mut u = match Uri::parse(&format!("sip:{host}")) {
        Ok(Uri::Sip(u)) => u,
        _ => return Err(format!("server '{host}' must be host[:port]")),
    };
    match cfg.transport {
        TransportChoice::Udp => {
            u.params.set("transport", Some("udp"));
        }
        TransportChoice::Tcp => u.params.set("transport", Some("tcp")),
        TransportChoice::Tls => u.scheme = SipScheme::Sips,
        TransportChoice::Ws => u.params.set("transport", Some("ws")),
        TransportChoice::Wss => {
            u.scheme = SipScheme::Sips;
            u.params.set("transport", Some("ws"));
        }
    }
    Ok(u)
}

/// A resolved target as the SIP core's peer.
pub fn peer_of(t: &Target) -> Peer {
    Peer::new(to_sip(t.kind), t.addr)
}
