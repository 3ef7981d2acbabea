//! Handset's media plane (partial build).
pub mod codec;
pub mod device;
pub mod dtmf;
pub mod jitter;
pub mod resample;
pub mod rtcp;
pub mod rtp;
