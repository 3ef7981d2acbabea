//! RFC 3261 section 17 transactions, with the RFC 6026 "Accepted" states, sans-io.
//!
//! [`Endpoint`] owns every client and server transaction. Feed it what the
//! network delivered ([`Endpoint::handle_input`]) and the passing of time
//! ([`Endpoint::handle_timeout`]); drain what it wants sent
//! ([`Endpoint::poll_transmit`]) and what the transaction user must know
//! ([`Endpoint::poll_event`]); sleep until [`Endpoint::poll_timeout`].

mod client_invite;
mod client_non_invite;
mod endpoint;
mod key;
mod server_invite;
mod server_non_invite;
mod timers;

pub use endpoint::{Endpoint, EndpointConfig, EndpointError, Transmit, TxEvent};
pub use key::TransactionKey;
pub use timers::TimerConfig;

use std::fmt;
use std::net::SocketAddr;

/// The transport a message travels on, as far as the SIP core cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Transport {
    /// UDP (unreliable: the core retransmits).
    Udp,
    /// TCP.
    Tcp,
    /// TLS over TCP.
    Tls,
    /// WebSocket (RFC 7118).
    Ws,
    /// Secure WebSocket.
    Wss,
}

impl Transport {
    /// Reliable transports need no retransmission and no wait states.
    pub fn is_reliable(self) -> bool {
        !matches!(self, Transport::Udp)
    }

    /// The Via transport token.
    pub fn via_token(self) -> &'static str {
        match self {
            Transport::Udp => "UDP",
            Transport::Tcp => "TCP",
            Transport::Tls => "TLS",
            Transport::Ws => "WS",
            Transport::Wss => "WSS",
        }
    }

    /// Parses a Via transport token or `transport=` parameter.
    pub fn from_token(s: &str) -> Option<Transport> {
        Some(match s.to_ascii_uppercase().as_str() {
            "UDP" => Transport::Udp,
            "TCP" => Transport::Tcp,
            "TLS" => Transport::Tls,
            "WS" => Transport::Ws,
            "WSS" => Transport::Wss,
            _ => return None,
        })
    }
}

impl fmt::Display for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.via_token())
    }
}

/// Where a message came from or goes to. `flow` names a connection of a
/// connection-oriented transport so responses can go back on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Peer {
    /// Transport.
    pub transport: Transport,
    /// Remote address.
    pub addr: SocketAddr,
    /// The connection, for reliable transports, as the I/O layer numbers them.
    pub flow: Option<u64>,
}

impl Peer {
    /// A peer without a known connection.
    pub fn new(transport: Transport, addr: SocketAddr) -> Self {
        Peer {
            transport,
            addr,
            flow: None,
        }
    }
}

impl fmt::Display for Peer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}",
            self.transport.via_token().to_ascii_lowercase(),
            self.addr
        )
    }
}

/// Identifies one transaction inside an [`Endpoint`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TransactionId(pub u64);

impl fmt::Display for TransactionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "tx{}", self.0)
    }
}

/// What a state machine asks the endpoint to do.
#[derive(Debug)]
pub(crate) enum Action {
    /// Send these bytes to the transaction's peer.
    Transmit(Vec<u8>),
    /// Hand a response to the transaction user.
    Response(crate::message::Response),
    /// The transaction timed out (Timer B, F or H).
    Timeout,
    /// The transaction is over and can be forgotten.
    Terminated,
}
