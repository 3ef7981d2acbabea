//! The static RTP payload types of RFC 3551 6, which mean something even
//! without an `a=rtpmap` (many PBXs and older phones send `m=audio … 0 8 18`
//! with no rtpmaps at all).

use super::attrs::Rtpmap;

/// `(payload type, encoding, clock rate, channels)`. G722 says 8000 although
/// it samples at 16 kHz: RFC 3551 4.5.2 kept the clock rate of the original
/// (erroneous) assignment for compatibility.
const STATIC: &[(u8, &str, u32, u16)] = &[
    (0, "PCMU", 8000, 1),
    (3, "GSM", 8000, 1),
    (4, "G723", 8000, 1),
    (5, "DVI4", 8000, 1),
    (6, "DVI4", 16000, 1),
    (7, "LPC", 8000, 1),
    (8, "PCMA", 8000, 1),
    (9, "G722", 8000, 1),
    (10, "L16", 44100, 2),
    (11, "L16", 44100, 1),
    (12, "QCELP", 8000, 1),
    (13, "CN", 8000, 1),
    (14, "MPA", 90000, 1),
    (15, "G728", 8000, 1),
    (16, "DVI4", 11025, 1),
    (17, "DVI4", 22050, 1),
    (18, "G729", 8000, 1),
    (25, "CelB", 90000, 1),
    (26, "JPEG", 90000, 1),
    (28, "nv", 90000, 1),
    (31, "H261", 90000, 1),
    (32, "MPV", 90000, 1),
    (33, "MP2T", 90000, 1),
    (34, "H263", 90000, 1),
];

/// The RFC 3551 meaning of a static payload type.
pub fn static_payload(payload_type: u8) -> Option<Rtpmap> {
    STATIC
        .iter()
        .find(|(pt, ..)| *pt == payload_type)
        .map(|&(pt, name, rate, channels)| Rtpmap::new(pt, name, rate, channels))
}

/// The static payload type for a codec, if it has one.
pub fn static_payload_type(encoding: &str, clock_rate: u32, channels: u16) -> Option<u8> {
    STATIC
        .iter()
        .find(|(_, name, rate, ch)| {
            name.eq_ignore_ascii_case(encoding) && *rate == clock_rate && *ch == channels
        })
        .map(|(pt, ..)| *pt)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn well_known() {
        assert_eq!(static_payload(0).unwrap().to_string(), "0 PCMU/8000");
        assert_eq!(static_payload(9).unwrap().clock_rate, 8000);
        assert_eq!(static_payload(18).unwrap().encoding, "G729");
        assert_eq!(static_payload(13).unwrap().encoding, "CN");
        assert_eq!(static_payload(96), None);
        assert_eq!(static_payload_type("pcma", 8000, 1), Some(8));
        assert_eq!(static_payload_type("opus", 48000, 2), None);
    }
}
