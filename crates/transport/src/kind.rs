//! The vocabulary shared by the layer and its users.

use std::fmt;
use std::net::SocketAddr;

/// A transport protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TransportKind {
    /// UDP.
    Udp,
    /// TCP.
    Tcp,
    /// TLS over TCP.
    Tls,
    /// WebSocket (RFC 7118).
    Ws,
    /// WebSocket over TLS.
    Wss,
}

impl TransportKind {
    /// The Via transport token.
    pub fn as_via_str(self) -> &'static str {
        match self {
            TransportKind::Udp => "UDP",
            TransportKind::Tcp => "TCP",
            TransportKind::Tls => "TLS",
            TransportKind::Ws => "WS",
            TransportKind::Wss => "WSS",
        }
    }

    /// Connection-oriented transports: no retransmissions, flows to reuse.
    pub fn is_reliable(self) -> bool {
        self != TransportKind::Udp
    }

    /// TLS underneath.
    pub fn is_secure(self) -> bool {
        matches!(self, TransportKind::Tls | TransportKind::Wss)
    }

    /// The port a URI without one implies.
    pub fn default_port(self) -> u16 {
        match self {
            TransportKind::Udp | TransportKind::Tcp => 5060,
            TransportKind::Tls => 5061,
            TransportKind::Ws => 80,
            TransportKind::Wss => 443,
        }
    }
}

impl fmt::Display for TransportKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.as_via_str().to_ascii_lowercase())
    }
}

/// Where to send.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Target {
    /// Protocol.
    pub kind: TransportKind,
    /// Address.
    pub addr: SocketAddr,
    /// Name the TLS certificate must carry (and the WebSocket Host); the SIP
    /// domain, not the SRV target (RFC 5922).
    pub server_name: Option<String>,
    /// WebSocket resource path (`/` by default).
    pub ws_path: Option<String>,
}

impl Target {
    /// A target without a server name.
    pub fn new(kind: TransportKind, addr: SocketAddr) -> Self {
        Target {
            kind,
            addr,
            server_name: None,
            ws_path: None,
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.kind, self.addr)
    }
}

/// One connection, or the UDP socket ([`FlowId::UDP`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FlowId(pub u64);

impl FlowId {
    /// The UDP socket.
    pub const UDP: FlowId = FlowId(0);
}

impl fmt::Display for FlowId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "flow{}", self.0)
    }
}

/// What a send used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sent {
    /// The flow.
    pub flow: FlowId,
    /// Our address on it (what Via and Contact should say).
    pub local: SocketAddr,
    /// True when the connection was opened by this send.
    pub new_connection: bool,
}

/// What the layer reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransportEvent {
    /// A complete SIP message.
    Message {
        /// Protocol.
        kind: TransportKind,
        /// The flow it came on.
        flow: FlowId,
        /// Our address.
        local: SocketAddr,
        /// The sender.
        remote: SocketAddr,
        /// The message bytes.
        data: Vec<u8>,
    },
    /// A connection ended.
    FlowClosed {
        /// The flow.
        flow: FlowId,
        /// Protocol.
        kind: TransportKind,
        /// The peer.
        remote: SocketAddr,
        /// Why, in words.
        reason: String,
    },
    /// A keep-alive answer arrived (CRLF, or a WebSocket pong).
    Pong {
        /// The flow.
        flow: FlowId,
    },
    /// The machine's addresses changed.
    NetworkChanged,
}
