//! Transport errors, worded for the person who reads them in a log or a dialog.

use std::net::SocketAddr;

/// What can go wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransportError {
    /// A socket could not be bound.
    #[error("cannot listen on {addr}: {reason}")]
    Bind {
        /// Address.
        addr: SocketAddr,
        /// OS error.
        reason: String,
    },
    /// No such transport is open (e.g. UDP not configured).
    #[error("{0} transport is not available")]
    Unavailable(String),
    /// Connecting failed.
    #[error("cannot connect to {addr}: {reason}")]
    Connect {
        /// Address.
        addr: SocketAddr,
        /// OS error.
        reason: String,
    },
    /// Connecting took too long.
    #[error("connecting to {0} timed out")]
    ConnectTimeout(SocketAddr),
    /// The TLS handshake failed; `reason` says why in plain words.
    #[error("TLS with {addr} failed: {reason}")]
    Tls {
        /// Address.
        addr: SocketAddr,
        /// Why.
        reason: String,
    },
    /// The WebSocket handshake failed.
    #[error("WebSocket handshake with {addr} failed: {reason}")]
    WebSocket {
        /// Address.
        addr: SocketAddr,
        /// Why.
        reason: String,
    },
    /// Writing failed.
    #[error("sending to {addr} failed: {reason}")]
    Send {
        /// Address.
        addr: SocketAddr,
        /// OS error.
        reason: String,
    },
    /// The flow is closed.
    #[error("connection {0} is closed")]
    FlowClosed(String),
    /// A configuration value is wrong (a CA file that cannot be read…).
    #[error("{0}")]
    Config(String),
}
