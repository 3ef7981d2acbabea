//! DTMF: RFC 4733 telephone-events (sender and receiver), and in-band tone
//! generation and detection for peers that carry DTMF as audio.

mod inband;
mod rfc4733;
mod tones;

pub use inband::InbandDtmfDetector;
pub use rfc4733::{DtmfConfig, DtmfPacket, DtmfReceiver, DtmfSender, EVENT_PAYLOAD_LEN};
pub use tones::InbandDtmfGenerator;

use std::time::Duration;

/// A digit that was received (or detected), reported once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DtmfDigit {
    /// One of `0-9 * # A-D`.
    pub digit: char,
    /// How long the key was held.
    pub duration: Duration,
    /// Power level in -dBm0 (RFC 4733), 0 when unknown (in-band).
    pub volume: u8,
}

/// RFC 4733 event code of a DTMF character (`0-9 * # A-D`, case-insensitive).
pub fn event_code(c: char) -> Option<u8> {
    match c.to_ascii_uppercase() {
        d @ '0'..='9' => Some(d as u8 - b'0'),
        '*' => Some(10),
        '#' => Some(11),
        d @ 'A'..='D' => Some(d as u8 - b'A' + 12),
        _ => None,
    }
}

/// The character of an RFC 4733 DTMF event code.
pub fn event_char(code: u8) -> Option<char> {
    match code {
        0..=9 => Some((b'0' + code) as char),
        10 => Some('*'),
        11 => Some('#'),
        12..=15 => Some((b'A' + code - 12) as char),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for c in "0123456789*#ABCD".chars() {
            assert_eq!(event_char(event_code(c).unwrap()), Some(c));
        }
        assert_eq!(event_code('a'), Some(12));
        assert_eq!(event_code('x'), None);
        assert_eq!(event_char(16), None);
    }
}
