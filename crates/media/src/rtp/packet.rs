//! Zero-copy RTP packet view and an allocation-free writer.

use thiserror::Error;

/// Size of the fixed RTP header.
pub const RTP_HEADER_LEN: usize = 12;
/// The CSRC count is a 4-bit field.
pub const MAX_CSRC: usize = 15;

/// Why a datagram is not an RTP packet we can use. The caller counts these;
/// none of them is fatal to the session.
#[derive(Debug, Error, Clone, Copy, PartialEq, Eq)]
pub enum RtpError {
    /// Fewer bytes than the header, CSRC list or extension announce.
    #[error("truncated RTP packet")]
    Truncated,
    /// The version field is not 2 (STUN, ZRTP or garbage on the port).
    #[error("RTP version {0} unsupported")]
    BadVersion(u8),
    /// The padding count is zero or larger than the payload.
    #[error("bad RTP padding length")]
    BadPadding,
    /// The output buffer is too small for the packet being written.
    #[error("output buffer too small for RTP packet")]
    BufferTooSmall,
    /// A header extension whose length is not a multiple of 32-bit words.
    #[error("header extension data must be a multiple of 4 bytes")]
    BadExtensionLength,
}

/// A header extension (RFC 3550 5.3.1), kept raw; [`HeaderExtension::elements`]
/// walks RFC 8285 one- and two-byte elements when the profile says so.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeaderExtension<'a> {
    /// The 16-bit "defined by profile" field (0xBEDE for RFC 8285 one-byte).
    pub profile: u16,
    /// The extension body, a multiple of 4 bytes.
    pub data: &'a [u8],
}

/// One RFC 8285 extension element.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExtensionElement<'a> {
    /// The local identifier negotiated with `a=extmap`.
    pub id: u8,
    /// The element's value.
    pub data: &'a [u8],
}

/// Iterator over RFC 8285 elements; stops silently at malformed data since
/// extensions are advisory.
#[derive(Debug, Clone)]
pub struct ExtensionElements<'a> {
    data: &'a [u8],
    two_byte: bool,
}

impl<'a> HeaderExtension<'a> {
    /// The RFC 8285 elements, or an empty iterator for other profiles.
    pub fn elements(&self) -> ExtensionElements<'a> {
        let (data, two_byte) = match self.profile {
            0xBEDE => (self.data, false),
            p if p & 0xFFF0 == 0x1000 => (self.data, true),
            _ => (&[][..], false),
        };
        ExtensionElements { data, two_byte }
    }
}

impl<'a> Iterator for ExtensionElements<'a> {
    type Item = ExtensionElement<'a>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let (&first, rest) = self.data.split_first()?;
            if first == 0 {
                // padding byte between elements
                self.data = rest;
                continue;
            }
            let (id, len, body) = if self.two_byte {
                let (&len, body) = rest.split_first()?;
                (first, len as usize, body)
            } else {
                let id = first >> 4;
                if id == 15 {
                    // reserved id: the rest of the extension must be ignored
                    self.data = &[];
                    return None;
                }
                (id, (first & 0x0F) as usize + 1, rest)
            };
            if body.len() < len {
                self.data = &[];
                return None;
            }
            let (data, rest) = body.split_at(len);
            self.data = rest;
            return Some(ExtensionElement { id, data });
        }
    }
}

/// The RTP header fields. Plain data: cheap to copy and to build for sending.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RtpHeader {
    /// True when the packet carried padding (the count is stripped on parse).
    pub padding: bool,
    /// The marker bit: start of a talkspurt for audio.
    pub marker: bool,
    /// The 7-bit payload type.
    pub payload_type: u8,
    /// The 16-bit sequence number.
    pub sequence: u16,
    /// The media timestamp in the payload's clock rate.
    pub timestamp: u32,
    /// The synchronisation source.
    pub ssrc: u32,
    csrc_count: u8,
    csrc: [u32; MAX_CSRC],
}

impl RtpHeader {
    /// A header with no CSRCs.
    pub fn new(payload_type: u8, sequence: u16, timestamp: u32, ssrc: u32) -> Self {
        Self {
            payload_type: payload_type & 0x7F,
            sequence,
            timestamp,
            ssrc,
            ..Self::default()
        }
    }

    /// The contributing sources.
    pub fn csrcs(&self) -> &[u32] {
        &self.csrc[..self.csrc_count as usize]
    }

    /// Replace the contributing sources; more than 15 is truncated because the
    /// field cannot say more.
    pub fn set_csrcs(&mut self, csrcs: &[u32]) {
        let n = csrcs.len().min(MAX_CSRC);
        self.csrc[..n].copy_from_slice(&csrcs[..n]);
        self.csrc_count = n as u8;
    }

    /// Bytes taken by the fixed header and CSRC list.
    pub fn len(&self) -> usize {
        RTP_HEADER_LEN + 4 * self.csrc_count as usize
    }

    /// Never true: a header always has its 12 fixed bytes. Present for clippy's
    /// `len_without_is_empty`.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// Write header, optional extension and payload into `out`; returns the
    /// packet length. No padding is written (we never need it unencrypted).
    pub fn write(
        &self,
        extension: Option<HeaderExtension<'_>>,
        payload: &[u8],
        out: &mut [u8],
    ) -> Result<usize, RtpError> {
        let ext_len = match extension {
            Some(e) if e.data.len() % 4 != 0 => return Err(RtpError::BadExtensionLength),
            Some(e) if e.data.len() / 4 > u16::MAX as usize => {
                return Err(RtpError::BadExtensionLength)
            }
            Some(e) => 4 + e.data.len(),
            None => 0,
        };
        let total = self.len() + ext_len + payload.len();
        if out.len() < total {
            return Err(RtpError::BufferTooSmall);
        }
        out[0] = 0x80 | (u8::from(extension.is_some()) << 4) | self.csrc_count;
        out[1] = (u8::from(self.marker) << 7) | (self.payload_type & 0x7F);
        out[2..4].copy_from_slice(&self.sequence.to_be_bytes());
        out[4..8].copy_from_slice(&self.timestamp.to_be_bytes());
        out[8..12].copy_from_slice(&self.ssrc.to_be_bytes());
        let mut pos = RTP_HEADER_LEN;
        for c in self.csrcs() {
            out[pos..pos + 4].copy_from_slice(&c.to_be_bytes());
            pos += 4;
        }
        if let Some(e) = extension {
            out[pos..pos + 2].copy_from_slice(&e.profile.to_be_bytes());
            out[pos + 2..pos + 4].copy_from_slice(&((e.data.len() / 4) as u16).to_be_bytes());
            out[pos + 4..pos + 4 + e.data.len()].copy_from_slice(e.data);
            pos += ext_len;
        }
        out[pos..pos + payload.len()].copy_from_slice(payload);
        Ok(total)
    }
}

/// A parsed RTP packet borrowing the datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RtpPacket<'a> {
    /// The header fields.
    pub header: RtpHeader,
    /// The header extension, if the X bit was set.
    pub extension: Option<HeaderExtension<'a>>,
    /// The payload with any padding removed.
    pub payload: &'a [u8],
}

impl<'a> RtpPacket<'a> {
    /// Parse a datagram. Never panics: every length is checked before slicing.
    pub fn parse(buf: &'a [u8]) -> Result<Self, RtpError> {
        if buf.len() < RTP_HEADER_LEN {
            return Err(RtpError::Truncated);
        }
        let version = buf[0] >> 6;
        if version != 2 {
            return Err(RtpError::BadVersion(version));
        }
        let padding = buf[0] & 0x20 != 0;
        let has_ext = buf[0] & 0x10 != 0;
        let cc = buf[0] & 0x0F;
        let mut header = RtpHeader {
            padding,
            marker: buf[1] & 0x80 != 0,
            payload_type: buf[1] & 0x7F,
            sequence: u16::from_be_bytes([buf[2], buf[3]]),
            timestamp: u32::from_be_bytes([buf[4], buf[5], buf[6], buf[7]]),
            ssrc: u32::from_be_bytes([buf[8], buf[9], buf[10], buf[11]]),
            csrc_count: cc,
            csrc: [0; MAX_CSRC],
        };
        let mut pos = RTP_HEADER_LEN;
        if buf.len() < pos + 4 * cc as usize {
            return Err(RtpError::Truncated);
        }
        for slot in header.csrc.iter_mut().take(cc as usize) {
            *slot = u32::from_be_bytes([buf[pos], buf[pos + 1], buf[pos + 2], buf[pos + 3]]);
            pos += 4;
        }
        let extension = if has_ext {
            if buf.len() < pos + 4 {
                return Err(RtpError::Truncated);
            }
            let profile = u16::from_be_bytes([buf[pos], buf[pos + 1]]);
            let words = u16::from_be_bytes([buf[pos + 2], buf[pos + 3]]) as usize;
            let start = pos + 4;
            let end = start + 4 * words;
            if buf.len() < end {
                return Err(RtpError::Truncated);
            }
            pos = end;
            Some(HeaderExtension {
                profile,
                data: &buf[start..end],
            })
        } else {
            None
        };
        let mut end = buf.len();
        if padding {
            let pad = buf[end - 1] as usize;
            if pad == 0 || pad > end - pos {
                return Err(RtpError::BadPadding);
            }
            end -= pad;
        }
        Ok(Self {
            header,
            extension,
            payload: &buf[pos..end],
        })
    }
}

/// RFC 5761 demultiplexing for rtcp-mux: RTCP packet types 192..=223 fall in
/// the second byte's range that RTP payload types 64..=95 would use, which
/// are therefore never assigned to RTP.
pub fn is_rtcp(buf: &[u8]) -> bool {
    buf.len() >= 2 && buf[0] >> 6 == 2 && (192..=223).contains(&buf[1])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_with_csrc_and_extension() {
        let mut h = RtpHeader::new(111, 65535, 0xDEAD_BEEF, 0x1234_5678);
        h.marker = true;
        h.set_csrcs(&[1, 2, 3]);
        let ext = HeaderExtension {
            profile: 0xBEDE,
            data: &[0x10, 0xAA, 0x21, 0xBB, 0xCC, 0, 0, 0],
        };
        let mut buf = [0u8; 100];
        let n = h.write(Some(ext), b"hello", &mut buf).unwrap();
        assert_eq!(n, 12 + 12 + 4 + 8 + 5);
        let p = RtpPacket::parse(&buf[..n]).unwrap();
        assert_eq!(p.header, h);
        assert_eq!(p.payload, b"hello");
        assert_eq!(p.extension, Some(ext));
        let els: Vec<_> = p.extension.unwrap().elements().collect();
        assert_eq!(els.len(), 2);
        assert_eq!(
            els[0],
            ExtensionElement {
                id: 1,
                data: &[0xAA]
            }
        );
        assert_eq!(
            els[1],
            ExtensionElement {
                id: 2,
                data: &[0xBB, 0xCC]
            }
        );
    }

    #[test]
    fn parses_known_bytes() {
        // V=2 P=0 X=0 CC=0 M=1 PT=0 seq=1 ts=160 ssrc=0x01020304
        let b = [0x80, 0x80, 0, 1, 0, 0, 0, 160, 1, 2, 3, 4, 0xFF, 0x7F];
        let p = RtpPacket::parse(&b).unwrap();
        assert!(p.header.marker);
        assert_eq!(p.header.payload_type, 0);
        assert_eq!(p.header.sequence, 1);
        assert_eq!(p.header.timestamp, 160);
        assert_eq!(p.header.ssrc, 0x0102_0304);
        assert_eq!(p.payload, &[0xFF, 0x7F]);
    }

    #[test]
    fn padding_is_stripped() {
        let mut b = vec![0xA0, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 9, 9, 0, 0, 3];
        let p = RtpPacket::parse(&b).unwrap();
        assert!(p.header.padding);
        assert_eq!(p.payload, &[9, 9]);
        *b.last_mut().unwrap() = 0;
        assert_eq!(RtpPacket::parse(&b), Err(RtpError::BadPadding));
        *b.last_mut().unwrap() = 200;
        assert_eq!(RtpPacket::parse(&b), Err(RtpError::BadPadding));
    }

    #[test]
    fn truncated_and_foreign_are_errors() {
        assert_eq!(RtpPacket::parse(&[0x80; 5]), Err(RtpError::Truncated));
        // CC=2 but no CSRC bytes
        assert_eq!(
            RtpPacket::parse(&[0x82, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1]),
            Err(RtpError::Truncated)
        );
        // X bit with missing extension header and with short body
        assert_eq!(
            RtpPacket::parse(&[0x90, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0xBE]),
            Err(RtpError::Truncated)
        );
        assert_eq!(
            RtpPacket::parse(&[0x90, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0xBE, 0xDE, 0, 2, 0, 0]),
            Err(RtpError::Truncated)
        );
        // a STUN binding request starts with 0x00 0x01
        let stun = [0u8, 1, 0, 0, 0x21, 0x12, 0xA4, 0x42, 0, 0, 0, 0, 0, 0, 0, 0];
        assert_eq!(RtpPacket::parse(&stun), Err(RtpError::BadVersion(0)));
    }

    #[test]
    fn never_panics_on_any_short_input() {
        // every prefix of a rich packet and a sweep of first bytes
        let mut h = RtpHeader::new(8, 7, 7, 7);
        h.set_csrcs(&[9; 15]);
        let ext = HeaderExtension {
            profile: 0x1000,
            data: &[1, 2, 0xAA, 0xBB],
        };
        let mut buf = [0u8; 200];
        let n = h.write(Some(ext), &[1; 20], &mut buf).unwrap();
        for i in 0..=n {
            let _ = RtpPacket::parse(&buf[..i]);
        }
        for b0 in 0..=255u8 {
            let mut d = buf;
            d[0] = b0;
            d[n - 1] = 0xFF;
            let _ = RtpPacket::parse(&d[..n]);
        }
        let e = RtpPacket::parse(&buf[..n]).unwrap().extension.unwrap();
        let els: Vec<_> = e.elements().collect();
        assert_eq!(
            els,
            vec![ExtensionElement {
                id: 1,
                data: &[0xAA, 0xBB]
            }]
        );
    }

    #[test]
    fn write_errors() {
        let h = RtpHeader::new(0, 0, 0, 0);
        let mut small = [0u8; 12];
        assert_eq!(
            h.write(None, &[1], &mut small),
            Err(RtpError::BufferTooSmall)
        );
        let bad = HeaderExtension {
            profile: 1,
            data: &[1, 2, 3],
        };
        assert_eq!(
            h.write(Some(bad), &[], &mut [0u8; 64]),
            Err(RtpError::BadExtensionLength)
        );
    }

    #[test]
    fn rtcp_demux() {
        assert!(is_rtcp(&[0x81, 200, 0, 6]));
        assert!(is_rtcp(&[0x80, 201, 0, 1]));
        assert!(!is_rtcp(&[0x80, 0, 0, 1]));
        assert!(!is_rtcp(&[0x80, 0x80 | 96, 0, 1]));
        assert!(!is_rtcp(&[0x80]));
    }
}
