//! RTP (RFC 3550 section 5): packet parsing and writing, sequence-number
//! unwrapping and timestamp arithmetic.

mod packet;
mod seq;
mod timestamp;

pub use packet::{
    is_rtcp, ExtensionElement, ExtensionElements, HeaderExtension, RtpError, RtpHeader, RtpPacket,
    MAX_CSRC, RTP_HEADER_LEN,
};
pub use seq::{seq_newer, SeqUnwrapper};
pub use timestamp::{
    duration_to_ticks, ticks_to_duration, ticks_to_ms, ts_diff, ts_newer, TimestampUnwrapper,
};
