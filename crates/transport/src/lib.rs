//! Handset's transports: the tokio layer around the sans-io SIP core.
//!
//! [`TransportLayer`] owns the UDP socket, the TCP and TLS listeners and every
//! connection (TCP, TLS, WebSocket). It frames stream bytes into SIP messages
//! with `handset_sip::framing`, answers RFC 5626 keep-alive pings, and reports
//! everything as [`TransportEvent`]s. [`Resolver`] turns a SIP URI into the
//! ordered targets of RFC 3263. Nothing SIP-specific beyond framing lives here.

mod error;
mod kind;
mod layer;
mod netwatch;
mod resolve;
mod stream;
mod tls;

pub use error::TransportError;
pub use kind::{FlowId, Sent, Target, TransportEvent, TransportKind};
pub use layer::{TransportConfig, TransportLayer};
pub use netwatch::{addresses_changed, local_addresses};
pub use resolve::{order_srv, ResolveError, Resolver, ResolverConfig, SrvRecord};
pub use tls::{TlsClientConfig, TlsServerConfig};
