//! Handset's SIP core, sans-io.
//!
//! Nothing in this crate opens a socket or reads a clock: state machines take
//! bytes and instants in and hand back what to send and when to be woken, in the
//! style of quinn-proto and str0m. Tests drive them in virtual time.
//!
//! - [`message`]: parsing, validation and serialization of SIP messages.
//! - [`framing`]: splitting a byte stream (TCP, TLS) into messages.
//! - [`body`]: CPIM, IMDN, is-composing, PIDF/RPID, dialog-info, message-summary, sipfrag, park notices.
//! - [`auth`]: digest authentication (MD5, SHA-256).
//! - [`call`]: one INVITE session: setup, re-offers, PRACK, session timers, teardown.
//! - [`dialog`]: dialog state, route sets and in-dialog requests.
//! - [`transaction`]: RFC 3261 client and server transactions and their timers.
//! - [`registration`]: one account's registration, refresh, failover and binding probe.
//! - [`uas`]: the checks a UAS makes before processing a request.
//! - [`ua`]: the user-agent core tying transactions and registrations together.

pub mod auth;
pub mod body;
pub mod call;
pub mod dialog;
pub mod framing;
pub mod message;
pub mod registration;
pub mod sdp;
pub mod text;
pub mod transaction;
pub mod ua;
pub mod uas;
