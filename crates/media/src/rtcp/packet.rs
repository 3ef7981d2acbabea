//! RTCP packet parsing and writing (RFC 3550 6.4-6.7), compound packets.
//!
//! RTCP is sent every few seconds, so these types own their data; the hot
//! audio path never touches them.

use thiserror::Error;

const PT_SR: u8 = 200;
const PT_RR: u8 = 201;
const PT_SDES: u8 = 202;
const PT_BYE: u8 = 203;
const PT_APP: u8 = 204;

/// SDES item type of the canonical name.
pub const SDES_CNAME: u8 = 1;

/// Why an RTCP datagram was rejected.
#[derive(Debug, Error, Clone, Copy, PartialEq, Eq)]
pub enum RtcpError {
    /// Shorter than a header or than its length field says.
    #[error("truncated RTCP packet")]
    Truncated,
    /// Version field not 2.
    #[error("RTCP version {0} unsupported")]
    BadVersion(u8),
    /// Not an RTCP packet type (192..=223).
    #[error("RTCP packet type {0} out of range")]
    BadPacketType(u8),
    /// Report count, padding or item lengths inconsistent with the length.
    #[error("malformed RTCP {0} packet")]
    Malformed(&'static str),
    /// More items than a count field can hold.
    #[error("too many items for an RTCP count field")]
    TooMany,
}

/// A reception report block (RFC 3550 6.4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ReportBlock {
    /// The source this block reports on.
    pub ssrc: u32,
    /// Fraction lost since the last report, as a fixed-point /256 value.
    pub fraction_lost: u8,
    /// Cumulative packets lost (24-bit signed; duplicates can make it negative).
    pub cumulative_lost: i32,
    /// Extended highest sequence number received.
    pub extended_highest_seq: u32,
    /// Interarrival jitter in timestamp units.
    pub jitter: u32,
    /// Middle 32 bits of the last SR's NTP time from this source, or 0.
    pub last_sr: u32,
    /// Delay since that SR in 1/65536 s, or 0.
    pub delay_since_last_sr: u32,
}

/// The sender-information part of an SR.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SenderInfo {
    /// NTP wall-clock time of this report.
    pub ntp: u64,
    /// The RTP timestamp corresponding to the same instant.
    pub rtp_timestamp: u32,
    /// Packets sent since starting.
    pub packet_count: u32,
    /// Payload octets sent since starting.
    pub octet_count: u32,
}

/// Sender report.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SenderReport {
    /// The sender's SSRC.
    pub ssrc: u32,
    /// Its sender information.
    pub info: SenderInfo,
    /// Reception reports about other sources.
    pub reports: Vec<ReportBlock>,
}

/// Receiver report.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ReceiverReport {
    /// The reporter's SSRC.
    pub ssrc: u32,
    /// Reception reports.
    pub reports: Vec<ReportBlock>,
}

/// One SDES item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SdesItem {
    /// Item type (1 = CNAME, 2 = NAME, ...).
    pub kind: u8,
    /// Item text, at most 255 bytes.
    pub value: Vec<u8>,
}

/// One SDES chunk: a source and its items.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SdesChunk {
    /// The described source.
    pub ssrc: u32,
    /// Its items.
    pub items: Vec<SdesItem>,
}

impl SdesChunk {
    /// The CNAME item, if present and UTF-8.
    pub fn cname(&self) -> Option<&str> {
        self.items
            .iter()
            .find(|i| i.kind == SDES_CNAME)
            .and_then(|i| std::str::from_utf8(&i.value).ok())
    }
}

/// Source description packet.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SourceDescription {
    /// The chunks.
    pub chunks: Vec<SdesChunk>,
}

/// BYE packet.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Bye {
    /// Sources leaving.
    pub sources: Vec<u32>,
    /// Optional reason text.
    pub reason: Option<Vec<u8>>,
}

/// APP packet, kept raw.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct App {
    /// 5-bit subtype.
    pub subtype: u8,
    /// The sender's SSRC.
    pub ssrc: u32,
    /// Four ASCII characters naming the application.
    pub name: [u8; 4],
    /// Application data (multiple of 4 bytes on the wire).
    pub data: Vec<u8>,
}

/// One RTCP packet of a compound datagram.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RtcpPacket {
    /// SR.
    SenderReport(SenderReport),
    /// RR.
    ReceiverReport(ReceiverReport),
    /// SDES.
    SourceDescription(SourceDescription),
    /// BYE.
    Bye(Bye),
    /// APP.
    App(App),
    /// Any other type (feedback, XR, ...), kept raw without its 4-byte header.
    Other {
        /// Packet type.
        packet_type: u8,
        /// The 5-bit count/format field.
        count: u8,
        /// Body after the common header, padding removed.
        body: Vec<u8>,
    },
}

fn be32(b: &[u8]) -> u32 {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

fn parse_blocks(body: &[u8], count: usize) -> Result<Vec<ReportBlock>, RtcpError> {
    if body.len() < count * 24 {
        return Err(RtcpError::Malformed("report block"));
    }
    Ok(body
        .chunks_exact(24)
        .take(count)
        .map(|b| {
            // 24-bit two's complement
            let raw = (u32::from(b[5]) << 16) | (u32::from(b[6]) << 8) | u32::from(b[7]);
            let cumulative_lost = ((raw << 8) as i32) >> 8;
            ReportBlock {
                ssrc: be32(&b[0..4]),
                fraction_lost: b[4],
                cumulative_lost,
                extended_highest_seq: be32(&b[8..12]),
                jitter: be32(&b[12..16]),
                last_sr: be32(&b[16..20]),
                delay_since_last_sr: be32(&b[20..24]),
            }
        })
        .collect())
}

fn parse_sdes(body: &[u8], count: usize) -> Result<SourceDescription, RtcpError> {
    let mut chunks = Vec::with_capacity(count);
    let mut pos = 0;
    for _ in 0..count {
        if body.len() < pos + 4 {
            return Err(RtcpError::Malformed("SDES"));
        }
        let mut chunk = SdesChunk {
            ssrc: be32(&body[pos..]),
            items: Vec::new(),
        };
        pos += 4;
        loop {
            let Some(&kind) = body.get(pos) else {
                return Err(RtcpError::Malformed("SDES"));
            };
            if kind == 0 {
                // end of list, then pad to the next 32-bit boundary
                pos = (pos + 4) & !3;
                break;
            }
            let Some(&len) = body.get(pos + 1) else {
                return Err(RtcpError::Malformed("SDES"));
            };
            let start = pos + 2;
            let end = start + len as usize;
            if end > body.len() {
                return Err(RtcpError::Malformed("SDES"));
            }
            chunk.items.push(SdesItem {
                kind,
                value: body[start..end].to_vec(),
            });
            pos = end;
        }
        chunks.push(chunk);
    }
    Ok(SourceDescription { chunks })
}

impl RtcpPacket {
    fn parse_one(pt: u8, count: u8, body: &[u8]) -> Result<Self, RtcpError> {
        let count_us = count as usize;
        Ok(match pt {
            PT_SR => {
                if body.len() < 24 {
                    return Err(RtcpError::Malformed("SR"));
                }
                RtcpPacket::SenderReport(SenderReport {
                    ssrc: be32(body),
                    info: SenderInfo {
                        ntp: (u64::from(be32(&body[4..])) << 32) | u64::from(be32(&body[8..])),
                        rtp_timestamp: be32(&body[12..]),
                        packet_count: be32(&body[16..]),
                        octet_count: be32(&body[20..]),
                    },
                    reports: parse_blocks(&body[24..], count_us)?,
                })
            }
            PT_RR => {
                if body.len() < 4 {
                    return Err(RtcpError::Malformed("RR"));
                }
                RtcpPacket::ReceiverReport(ReceiverReport {
                    ssrc: be32(body),
                    reports: parse_blocks(&body[4..], count_us)?,
                })
            }
            PT_SDES => RtcpPacket::SourceDescription(parse_sdes(body, count_us)?),
            PT_BYE => {
                if body.len() < 4 * count_us {
                    return Err(RtcpError::Malformed("BYE"));
                }
                let sources = body.chunks_exact(4).take(count_us).map(be32).collect();
                let rest = &body[4 * count_us..];
                let reason = match rest.first() {
                    Some(&len) if rest.len() > len as usize => {
                        Some(rest[1..=len as usize].to_vec())
                    }
                    Some(_) => return Err(RtcpError::Malformed("BYE")),
                    None => None,
                };
                RtcpPacket::Bye(Bye { sources, reason })
            }
            PT_APP => {
                if body.len() < 8 {
                    return Err(RtcpError::Malformed("APP"));
                }
                RtcpPacket::App(App {
                    subtype: count,
                    ssrc: be32(body),
                    name: [body[4], body[5], body[6], body[7]],
                    data: body[8..].to_vec(),
                })
            }
            _ => RtcpPacket::Other {
                packet_type: pt,
                count,
                body: body.to_vec(),
            },
        })
    }

    /// Append this packet's wire form to `out`.
    pub fn write(&self, out: &mut Vec<u8>) -> Result<(), RtcpError> {
        let start = out.len();
        // common header, length patched below
        out.extend_from_slice(&[0x80, 0, 0, 0]);
        let (pt, count) = match self {
            RtcpPacket::SenderReport(sr) => {
                out.extend_from_slice(&sr.ssrc.to_be_bytes());
                out.extend_from_slice(&sr.info.ntp.to_be_bytes());
                out.extend_from_slice(&sr.info.rtp_timestamp.to_be_bytes());
                out.extend_from_slice(&sr.info.packet_count.to_be_bytes());
                out.extend_from_slice(&sr.info.octet_count.to_be_bytes());
                write_blocks(&sr.reports, out);
                (PT_SR, sr.reports.len())
            }
            RtcpPacket::ReceiverReport(rr) => {
                out.extend_from_slice(&rr.ssrc.to_be_bytes());
                write_blocks(&rr.reports, out);
                (PT_RR, rr.reports.len())
            }
            RtcpPacket::SourceDescription(sdes) => {
                for chunk in &sdes.chunks {
                    out.extend_from_slice(&chunk.ssrc.to_be_bytes());
                    for item in &chunk.items {
                        let len = item.value.len().min(255);
                        out.push(item.kind);
                        out.push(len as u8);
                        out.extend_from_slice(&item.value[..len]);
                    }
                    // terminating null item plus padding to 32 bits (at least one zero)
                    out.push(0);
                    while (out.len() - start) % 4 != 0 {
                        out.push(0);
                    }
                }
                (PT_SDES, sdes.chunks.len())
            }
            RtcpPacket::Bye(bye) => {
                for s in &bye.sources {
                    out.extend_from_slice(&s.to_be_bytes());
                }
                if let Some(r) = &bye.reason {
                    let len = r.len().min(255);
                    out.push(len as u8);
                    out.extend_from_slice(&r[..len]);
                    while (out.len() - start) % 4 != 0 {
                        out.push(0);
                    }
                }
                (PT_BYE, bye.sources.len())
            }
            RtcpPacket::App(app) => {
                out.extend_from_slice(&app.ssrc.to_be_bytes());
                out.extend_from_slice(&app.name);
                out.extend_from_slice(&app.data);
                while (out.len() - start) % 4 != 0 {
                    out.push(0);
                }
                (PT_APP, app.subtype as usize)
            }
            RtcpPacket::Other {
                packet_type,
                count,
                body,
            } => {
                out.extend_from_slice(body);
                while (out.len() - start) % 4 != 0 {
                    out.push(0);
                }
                (*packet_type, *count as usize)
            }
        };
        if count > 31 {
            out.truncate(start);
            return Err(RtcpError::TooMany);
        }
        let words = (out.len() - start) / 4 - 1;
        if words > u16::MAX as usize {
            out.truncate(start);
            return Err(RtcpError::TooMany);
        }
        out[start] = 0x80 | count as u8;
        out[start + 1] = pt;
        out[start + 2..start + 4].copy_from_slice(&(words as u16).to_be_bytes());
        Ok(())
    }
}

fn write_blocks(blocks: &[ReportBlock], out: &mut Vec<u8>) {
    for b in blocks {
        out.extend_from_slice(&b.ssrc.to_be_bytes());
        out.push(b.fraction_lost);
        let lost = b.cumulative_lost.clamp(-0x80_0000, 0x7F_FFFF) as u32 & 0xFF_FFFF;
        out.extend_from_slice(&lost.to_be_bytes()[1..]);
        out.extend_from_slice(&b.extended_highest_seq.to_be_bytes());
        out.extend_from_slice(&b.jitter.to_be_bytes());
        out.extend_from_slice(&b.last_sr.to_be_bytes());
        out.extend_from_slice(&b.delay_since_last_sr.to_be_bytes());
    }
}

/// Parse a compound RTCP datagram (also accepts a single, reduced-size
/// packet, RFC 5506). Any malformed packet rejects the datagram, as RFC 3550
/// A.2 validity checks require.
pub fn parse_compound(buf: &[u8]) -> Result<Vec<RtcpPacket>, RtcpError> {
    let mut out = Vec::new();
    let mut pos = 0;
    if buf.len() < 4 {
        return Err(RtcpError::Truncated);
    }
    while pos < buf.len() {
        let rest = &buf[pos..];
        if rest.len() < 4 {
            return Err(RtcpError::Truncated);
        }
        let version = rest[0] >> 6;
        if version != 2 {
            return Err(RtcpError::BadVersion(version));
        }
        let pt = rest[1];
        if !(192..=223).contains(&pt) {
            return Err(RtcpError::BadPacketType(pt));
        }
        let len = 4 * (usize::from(u16::from_be_bytes([rest[2], rest[3]])) + 1);
        if rest.len() < len {
            return Err(RtcpError::Truncated);
        }
        let mut body = &rest[4..len];
        if rest[0] & 0x20 != 0 {
            // padding only allowed on the last packet, count in its last byte
            let pad = *body.last().ok_or(RtcpError::Malformed("padding"))? as usize;
            if pad == 0 || pad > body.len() || pos + len != buf.len() {
                return Err(RtcpError::Malformed("padding"));
            }
            body = &body[..body.len() - pad];
        }
        out.push(RtcpPacket::parse_one(pt, rest[0] & 0x1F, body)?);
        pos += len;
    }
    Ok(out)
}

/// Write packets back to back into `out` (cleared first).
pub fn write_compound(packets: &[RtcpPacket], out: &mut Vec<u8>) -> Result<(), RtcpError> {
    out.clear();
    for p in packets {
        p.write(out)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block(ssrc: u32, lost: i32) -> ReportBlock {
        ReportBlock {
            ssrc,
            fraction_lost: 25,
            cumulative_lost: lost,
            extended_highest_seq: 0x0001_0005,
            jitter: 80,
            last_sr: 0x1234_5678,
            delay_since_last_sr: 65536,
        }
    }

    #[test]
    fn compound_round_trip() {
        let packets = vec![
            RtcpPacket::SenderReport(SenderReport {
                ssrc: 1,
                info: SenderInfo {
                    ntp: 0x0102_0304_0506_0708,
                    rtp_timestamp: 160,
                    packet_count: 10,
                    octet_count: 1600,
                },
                reports: vec![block(2, 3), block(3, -2)],
            }),
            RtcpPacket::SourceDescription(SourceDescription {
                chunks: vec![SdesChunk {
                    ssrc: 1,
                    items: vec![SdesItem {
                        kind: SDES_CNAME,
                        value: b"alice@host".to_vec(),
                    }],
                }],
            }),
            RtcpPacket::App(App {
                subtype: 3,
                ssrc: 1,
                name: *b"HSET",
                data: vec![1, 2, 3, 4],
            }),
            RtcpPacket::Bye(Bye {
                sources: vec![1],
                reason: Some(b"hangup".to_vec()),
            }),
            RtcpPacket::Other {
                packet_type: 205,
                count: 1,
                body: vec![0, 0, 0, 1, 0, 0, 0, 2],
            },
        ];
        let mut buf = Vec::new();
        write_compound(&packets, &mut buf).unwrap();
        assert_eq!(buf.len() % 4, 0);
        let parsed = parse_compound(&buf).unwrap();
        assert_eq!(parsed, packets);
        match &parsed[1] {
            RtcpPacket::SourceDescription(s) => assert_eq!(s.chunks[0].cname(), Some("alice@host")),
            _ => unreachable!(),
        }
    }

    #[test]
    fn rr_known_bytes() {
        // RR from ssrc 0x11 with one block about 0x22: 10% lost, 5 cumulative
        let b = [
            0x81, 201, 0, 7, 0, 0, 0, 0x11, 0, 0, 0, 0x22, 25, 0, 0, 5, 0, 1, 0, 9, 0, 0, 0, 40, 0,
            0, 0, 0, 0, 0, 0, 0,
        ];
        let p = parse_compound(&b).unwrap();
        let RtcpPacket::ReceiverReport(rr) = &p[0] else {
            panic!("not RR")
        };
        assert_eq!(rr.ssrc, 0x11);
        assert_eq!(rr.reports[0].ssrc, 0x22);
        assert_eq!(rr.reports[0].fraction_lost, 25);
        assert_eq!(rr.reports[0].cumulative_lost, 5);
        assert_eq!(rr.reports[0].extended_highest_seq, 0x0001_0009);
        assert_eq!(rr.reports[0].jitter, 40);
        let mut out = Vec::new();
        p[0].write(&mut out).unwrap();
        assert_eq!(out, b);
    }

    #[test]
    fn empty_rr_and_bye_without_reason() {
        let packets = vec![
            RtcpPacket::ReceiverReport(ReceiverReport {
                ssrc: 9,
                reports: vec![],
            }),
            RtcpPacket::Bye(Bye {
                sources: vec![9, 10],
                reason: None,
            }),
        ];
        let mut buf = Vec::new();
        write_compound(&packets, &mut buf).unwrap();
        assert_eq!(buf.len(), 8 + 12);
        assert_eq!(parse_compound(&buf).unwrap(), packets);
    }

    #[test]
    fn malformed_is_error_never_panic() {
        assert_eq!(parse_compound(&[0x80, 200]), Err(RtcpError::Truncated));
        assert_eq!(
            parse_compound(&[0x40, 200, 0, 0]),
            Err(RtcpError::BadVersion(1))
        );
        assert_eq!(
            parse_compound(&[0x80, 100, 0, 0]),
            Err(RtcpError::BadPacketType(100))
        );
        // length says 2 words, only one present
        assert_eq!(
            parse_compound(&[0x80, 201, 0, 2, 0, 0, 0, 1]),
            Err(RtcpError::Truncated)
        );
        // RR claims one block but has none
        assert!(parse_compound(&[0x81, 201, 0, 1, 0, 0, 0, 1]).is_err());
        // SDES item running past the end
        assert!(parse_compound(&[0x81, 202, 0, 2, 0, 0, 0, 1, 1, 9, 0, 0]).is_err());
        // fuzz every truncation and bit flips of a real compound
        let mut buf = Vec::new();
        write_compound(
            &[
                RtcpPacket::SenderReport(SenderReport {
                    ssrc: 1,
                    info: SenderInfo::default(),
                    reports: vec![block(2, 1)],
                }),
                RtcpPacket::SourceDescription(SourceDescription {
                    chunks: vec![SdesChunk {
                        ssrc: 1,
                        items: vec![SdesItem {
                            kind: 1,
                            value: b"x".to_vec(),
                        }],
                    }],
                }),
                RtcpPacket::Bye(Bye {
                    sources: vec![1],
                    reason: Some(b"r".to_vec()),
                }),
            ],
            &mut buf,
        )
        .unwrap();
        for i in 0..buf.len() {
            let _ = parse_compound(&buf[..i]);
            for bit in 0..8 {
                let mut m = buf.clone();
                m[i] ^= 1 << bit;
                let _ = parse_compound(&m);
            }
        }
    }

    #[test]
    fn too_many_blocks_rejected() {
        let rr = RtcpPacket::ReceiverReport(ReceiverReport {
            ssrc: 1,
            reports: vec![block(1, 0); 32],
        });
        let mut out = vec![7];
        assert_eq!(rr.write(&mut out), Err(RtcpError::TooMany));
        assert_eq!(out, vec![7]);
    }
}
