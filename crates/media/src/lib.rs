//! Handset's media plane (partial build).
pub mod rtcp;
pub mod rtp;
