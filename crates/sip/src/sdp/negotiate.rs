//! RFC 3264 offer/answer for one audio stream: build an offer from what we
//! can do, answer a peer's offer, and read a peer's answer to ours. The
//! outcome, [`Negotiated`], is everything the media layer needs to start.
//!
//! Other media sections (video until it lands, T.38, MSRP) are refused in the
//! answer with port 0, as RFC 3264 6 asks, so a call with video offered still
//! connects with audio only.

use std::net::{IpAddr, SocketAddr};

use super::attrs::{Direction, Fmtp, Rtpmap};
use super::crypto::{Crypto, CryptoSuite};
use super::model::{Connection, Media, MediaKind, Origin, Proto, Sdp};

/// One codec we can send and receive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodecCap {
    /// Encoding name as in `a=rtpmap` (`PCMU`, `PCMA`, `G722`, `opus`).
    pub encoding: String,
    /// RTP clock rate (8000 for G.722, by RFC 3551's historical error).
    pub clock_rate: u32,
    /// Channels in the rtpmap (2 for opus, as RFC 7587 requires).
    pub channels: u16,
    /// Payload type we offer; static types keep their RFC 3551 number.
    pub payload_type: u8,
    /// `a=fmtp` parameters we offer.
    pub fmtp: Option<String>,
}

impl CodecCap {
    /// The codecs Handset speaks by name (`pcmu`, `pcma`, `g722`, `opus`), case-insensitively.
    pub fn by_name(name: &str) -> Option<CodecCap> {
        let cap =
            |encoding: &str, clock_rate, channels, payload_type, fmtp: Option<&str>| CodecCap {
                encoding: encoding.into(),
                clock_rate,
                channels,
                payload_type,
                fmtp: fmtp.map(Into::into),
            };
        Some(match name.to_ascii_lowercase().as_str() {
            "pcmu" | "g711u" | "ulaw" => cap("PCMU", 8000, 1, 0, None),
            "pcma" | "g711a" | "alaw" => cap("PCMA", 8000, 1, 8, None),
            "g722" => cap("G722", 8000, 1, 9, None),
            // FEC and DTX on, as the issue asks; mono is all a softphone captures
            "opus" => cap(
                "opus",
                48000,
                2,
                111,
                Some("minptime=10;useinbandfec=1;usedtx=1;stereo=0;sprop-stereo=0"),
            ),
            _ => return None,
        })
    }

    /// Our default preference: wideband first, then the G.711 pair everybody has.
    pub fn defaults() -> Vec<CodecCap> {
        ["opus", "g722", "pcmu", "pcma"]
            .iter()
            .filter_map(|n| CodecCap::by_name(n))
            .collect()
    }

    fn matches(&self, map: &Rtpmap) -> bool {
        map.is(&self.encoding)
            && map.clock_rate == self.clock_rate
            && (map.channels == self.channels || self.encoding.eq_ignore_ascii_case("opus"))
    }
}

/// Whether SRTP is used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SrtpPolicy {
    /// Plain RTP offered; an SRTP offer is still accepted.
    Off,
    /// RTP/AVP with `a=crypto` lines (RFC 4568 best effort): SRTP when the
    /// peer answers with a key, plain RTP otherwise.
    #[default]
    Optional,
    /// RTP/SAVP only; plain offers are refused with 488.
    Mandatory,
}

/// What we can do for an audio stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AudioCaps {
    /// Codecs in preference order.
    pub codecs: Vec<CodecCap>,
    /// Offer and accept RFC 4733 telephone-event.
    pub telephone_event: bool,
    /// Packet time we ask for, ms.
    pub ptime: u32,
    /// SRTP use.
    pub srtp: SrtpPolicy,
    /// Our SRTP master key and salt (30 bytes for the AES-128 suites); fresh per call.
    pub srtp_key: Vec<u8>,
    /// Direction we want (sendonly to hold, inactive when both hold).
    pub direction: Direction,
    /// Offer RTP/RTCP multiplexing (RFC 5761).
    pub rtcp_mux: bool,
}

impl Default for AudioCaps {
    fn default() -> Self {
        AudioCaps {
            codecs: CodecCap::defaults(),
            telephone_event: true,
            ptime: 20,
            srtp: SrtpPolicy::default(),
            srtp_key: Vec::new(),
            direction: Direction::SendRecv,
            rtcp_mux: false,
        }
    }
}

/// Where our media socket listens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocalMedia {
    /// Address written in `c=`.
    pub ip: IpAddr,
    /// RTP port.
    pub rtp_port: u16,
    /// RTCP port (RTP + 1 by convention).
    pub rtcp_port: u16,
}

/// SRTP keys agreed through SDES.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SrtpKeys {
    /// The suite.
    pub suite: CryptoSuite,
    /// Our master key and salt (we encrypt with it).
    pub local_key_salt: Vec<u8>,
    /// The peer's master key and salt (we decrypt with it).
    pub remote_key_salt: Vec<u8>,
}

/// The outcome of an offer/answer exchange for the audio stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Negotiated {
    /// Where to send RTP.
    pub remote_rtp: SocketAddr,
    /// Where to send RTCP (the RTP address when multiplexed).
    pub remote_rtcp: SocketAddr,
    /// RTP and RTCP share one port.
    pub rtcp_mux: bool,
    /// The codec, with the payload type to use on the wire.
    pub codec: CodecCap,
    /// Payload type of telephone-event, if agreed.
    pub telephone_event: Option<u8>,
    /// What we do: send, receive, both or neither.
    pub direction: Direction,
    /// What the peer said it does (sendonly or inactive: it holds us).
    pub remote_direction: Direction,
    /// SRTP keys when the stream is encrypted.
    pub srtp: Option<SrtpKeys>,
    /// Packet time, ms.
    pub ptime: u32,
}

impl Negotiated {
    /// Whether the peer has put us on hold (it does not want to receive).
    pub fn held_by_peer(&self) -> bool {
        !self.remote_direction.can_recv()
    }
}

/// Why an offer or answer cannot be used: the status and Warning to send.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{status} ({warning_code} {text})")]
pub struct Rejection {
    /// 488 Not Acceptable Here for offers (the caller ends the call for answers).
    pub status: u16,
    /// RFC 3261 20.43 warning code: 304 media type, 305 media format, 399 misc.
    pub warning_code: u16,
    /// Words for the Warning header and the log.
    pub text: String,
}

impl Rejection {
    fn new(warning_code: u16, text: impl Into<String>) -> Self {
        Rejection {
            status: 488,
            warning_code,
            text: text.into(),
        }
    }

    /// The value of a Warning header for this rejection.
    pub fn warning_header(&self, agent: &str) -> String {
        format!(
            "{} {} \"{}\"",
            self.warning_code,
            agent,
            self.text.replace('"', "'")
        )
    }
}

/// Suites we offer, best first; both are AES-128 with the same key length.
const SUITES: [CryptoSuite; 2] = [
    CryptoSuite::AesCm128HmacSha1_80,
    CryptoSuite::AesCm128HmacSha1_32,
];

/// Payload type we give telephone-event at 8 kHz, and at 48 kHz beside opus.
const TE_PT_8K: u8 = 101;
const TE_PT_48K: u8 = 110;

/// Builds an offer with one audio stream.
pub fn offer(origin: Origin, local: &LocalMedia, caps: &AudioCaps) -> Sdp {
    let mut sdp = session(origin, local.ip);
    let proto = match caps.srtp {
        SrtpPolicy::Mandatory => Proto::RtpSavp,
        _ => Proto::RtpAvp,
    };
    let mut formats: Vec<(Rtpmap, Option<String>)> = caps
        .codecs
        .iter()
        .map(|c| {
            (
                Rtpmap::new(c.payload_type, &c.encoding, c.clock_rate, c.channels),
                c.fmtp.clone(),
            )
        })
        .collect();
    if caps.telephone_event {
        if caps.codecs.iter().any(|c| c.clock_rate == 48000) {
            formats.push((
                Rtpmap::new(TE_PT_48K, "telephone-event", 48000, 1),
                Some("0-16".into()),
            ));
        }
        formats.push((
            Rtpmap::new(TE_PT_8K, "telephone-event", 8000, 1),
            Some("0-16".into()),
        ));
    }
    let mut m = Media::new(
        MediaKind::Audio,
        local.rtp_port,
        proto,
        formats
            .iter()
            .map(|(r, _)| r.payload_type.to_string())
            .collect(),
    );
    for (map, fmtp) in &formats {
        m.attributes.push_value("rtpmap", rtpmap_value(map));
        if let Some(f) = fmtp {
            m.attributes
                .push_value("fmtp", Fmtp::new(map.payload_type, f).to_string());
        }
    }
    m.attributes.push_value("ptime", caps.ptime.to_string());
    if local.rtcp_port != local.rtp_port.wrapping_add(1) {
        m.attributes.push_value("rtcp", local.rtcp_port.to_string());
    }
    if caps.rtcp_mux {
        m.attributes.push_flag("rtcp-mux");
    }
    if caps.srtp != SrtpPolicy::Off && !caps.srtp_key.is_empty() {
        for (i, suite) in SUITES.iter().enumerate() {
            let c = Crypto::new(i as u32 + 1, suite.clone(), caps.srtp_key.clone());
            m.attributes.push_value("crypto", c.to_string());
        }
    }
    m.attributes.set_direction(caps.direction);
    sdp.media.push(m);
    sdp
}

/// Answers a peer's offer: picks the first of the peer's codecs we support
/// (the offerer's order wins, RFC 3264 6.1), keeps its payload numbers, and
/// refuses every section but the first usable audio one.
pub fn answer(
    offer: &Sdp,
    origin: Origin,
    local: &LocalMedia,
    caps: &AudioCaps,
) -> Result<(Sdp, Negotiated), Rejection> {
    let mut sdp = session(origin, local.ip);
    let mut chosen: Option<Negotiated> = None;
    let mut last_problem = Rejection::new(304, "no audio stream offered");
    for m in &offer.media {
        let usable = chosen.is_none() && m.kind == MediaKind::Audio && !m.is_disabled();
        let attempt = if usable {
            answer_audio(offer, m, caps)
        } else {
            Err(Rejection::new(304, "media type not available"))
        };
        match attempt {
            Ok(n) => {
                sdp.media.push(answer_media(m, local, caps, &n));
                chosen = Some(n);
            }
            Err(e) => {
                if usable {
                    last_problem = e;
                }
                let mut refused = Media::new(m.kind.clone(), 0, m.proto.clone(), m.formats.clone());
                refused.formats.truncate(1);
                sdp.media.push(refused);
            }
        }
    }
    let negotiated = chosen.ok_or(last_problem)?;
    Ok((sdp, negotiated))
}

/// Reads the peer's answer to our offer.
pub fn accept_answer(
    our_offer: &Sdp,
    answer: &Sdp,
    caps: &AudioCaps,
) -> Result<Negotiated, Rejection> {
    let ours = our_offer
        .media
        .iter()
        .position(|m| m.kind == MediaKind::Audio)
        .ok_or_else(|| Rejection::new(399, "our offer had no audio"))?;
    let m = answer
        .media
        .get(ours)
        .ok_or_else(|| Rejection::new(399, "answer lacks the audio stream"))?;
    if m.is_disabled() {
        return Err(Rejection::new(304, "the peer refused the audio stream"));
    }
    // the answerer's numbers are what it expects to receive; our offer tells
    // what they mean if it left the rtpmap out
    let offered = &our_offer.media[ours];
    let codec = m
        .payload_types()
        .into_iter()
        .filter_map(|pt| m.rtpmap(pt).or_else(|| offered.rtpmap(pt)))
        .find_map(|map| {
            caps.codecs
                .iter()
                .find(|c| c.matches(&map))
                .map(|c| CodecCap {
                    payload_type: map.payload_type,
                    fmtp: m.fmtp(map.payload_type).map(|f| f.params.clone()),
                    ..c.clone()
                })
        })
        .ok_or_else(|| Rejection::new(305, "the answer has none of our codecs"))?;
    let srtp = if m.proto.is_secure() || !m.attributes.cryptos().is_empty() {
        let theirs = m.attributes.cryptos();
        let chosen = theirs
            .iter()
            .find(|c| SUITES.contains(&c.suite) && c.key().is_some_and(|k| k.key_salt.len() == 30))
            .ok_or_else(|| Rejection::new(399, "no usable SRTP key in the answer"))?;
        Some(SrtpKeys {
            suite: chosen.suite.clone(),
            local_key_salt: caps.srtp_key.clone(),
            remote_key_salt: chosen.key().map(|k| k.key_salt.clone()).unwrap_or_default(),
        })
    } else {
        if caps.srtp == SrtpPolicy::Mandatory {
            return Err(Rejection::new(
                399,
                "SRTP is required and the peer answered without it",
            ));
        }
        None
    };
    let remote_direction = peer_direction(answer, m);
    let (remote_rtp, remote_rtcp, rtcp_mux) = remote_addrs(answer, m, caps.rtcp_mux)?;
    let telephone_event = telephone_event_pt(m, &codec, None);
    Ok(Negotiated {
        remote_rtp,
        remote_rtcp,
        rtcp_mux,
        telephone_event,
        direction: caps.direction.intersect(remote_direction.reversed()),
        remote_direction,
        srtp,
        ptime: answer.ptime_of(m).unwrap_or(caps.ptime),
        codec,
    })
}

fn answer_audio(offer: &Sdp, m: &Media, caps: &AudioCaps) -> Result<Negotiated, Rejection> {
    let secure_proto = m.proto.is_secure();
    if matches!(m.proto, Proto::UdpTlsRtpSavp | Proto::UdpTlsRtpSavpf) {
        return Err(Rejection::new(
            399,
            "DTLS-SRTP is not supported; offer SDES keys",
        ));
    }
    if !m.proto.is_rtp() {
        return Err(Rejection::new(304, "not an RTP audio stream"));
    }
    let codec = m
        .payload_types()
        .into_iter()
        .filter_map(|pt| m.rtpmap(pt))
        .find_map(|map| {
            caps.codecs
                .iter()
                .find(|c| c.matches(&map))
                .map(|c| CodecCap {
                    payload_type: map.payload_type,
                    fmtp: answer_fmtp(c, m.fmtp(map.payload_type)),
                    ..c.clone()
                })
        })
        .ok_or_else(|| Rejection::new(305, "none of the offered codecs is supported"))?;
    let cryptos = m.attributes.cryptos();
    let srtp = if secure_proto || !cryptos.is_empty() {
        let usable = cryptos
            .iter()
            .find(|c| SUITES.contains(&c.suite) && c.key().is_some_and(|k| k.key_salt.len() == 30));
        match usable {
            Some(c) if !caps.srtp_key.is_empty() => Some((c.tag, c.clone())),
            _ if secure_proto => {
                return Err(Rejection::new(
                    399,
                    "no supported SRTP crypto suite offered",
                ))
            }
            _ => None,
        }
    } else {
        None
    };
    if srtp.is_none() && caps.srtp == SrtpPolicy::Mandatory {
        return Err(Rejection::new(399, "SRTP is required here"));
    }
    let (remote_rtp, remote_rtcp, rtcp_mux) = remote_addrs(offer, m, caps.rtcp_mux)?;
    let remote_direction = peer_direction(offer, m);
    let telephone_event = if caps.telephone_event {
        telephone_event_pt(m, &codec, None)
    } else {
        None
    };
    Ok(Negotiated {
        remote_rtp,
        remote_rtcp,
        rtcp_mux,
        telephone_event,
        direction: caps.direction.intersect(remote_direction.reversed()),
        remote_direction,
        srtp: srtp.map(|(_, c)| SrtpKeys {
            suite: c.suite.clone(),
            local_key_salt: caps.srtp_key.clone(),
            remote_key_salt: c.key().map(|k| k.key_salt.clone()).unwrap_or_default(),
        }),
        ptime: offer.ptime_of(m).unwrap_or(caps.ptime).clamp(10, 60),
        codec,
    })
}

fn answer_media(offered: &Media, local: &LocalMedia, caps: &AudioCaps, n: &Negotiated) -> Media {
    let mut formats = vec![n.codec.payload_type.to_string()];
    if let Some(te) = n.telephone_event {
        formats.push(te.to_string());
    }
    let mut m = Media::new(
        MediaKind::Audio,
        local.rtp_port,
        offered.proto.clone(),
        formats,
    );
    m.attributes.push_value(
        "rtpmap",
        rtpmap_value(&Rtpmap::new(
            n.codec.payload_type,
            &n.codec.encoding,
            n.codec.clock_rate,
            n.codec.channels,
        )),
    );
    if let Some(f) = &n.codec.fmtp {
        m.attributes
            .push_value("fmtp", Fmtp::new(n.codec.payload_type, f).to_string());
    }
    if let Some(te) = n.telephone_event {
        let rate = offered.rtpmap(te).map(|r| r.clock_rate).unwrap_or(8000);
        m.attributes.push_value(
            "rtpmap",
            rtpmap_value(&Rtpmap::new(te, "telephone-event", rate, 1)),
        );
        m.attributes
            .push_value("fmtp", Fmtp::new(te, "0-16").to_string());
    }
    m.attributes.push_value("ptime", n.ptime.to_string());
    if local.rtcp_port != local.rtp_port.wrapping_add(1) && !n.rtcp_mux {
        m.attributes.push_value("rtcp", local.rtcp_port.to_string());
    }
    if n.rtcp_mux {
        m.attributes.push_flag("rtcp-mux");
    }
    if let Some(keys) = &n.srtp {
        let tag = offered
            .attributes
            .cryptos()
            .iter()
            .find(|c| c.suite == keys.suite)
            .map(|c| c.tag)
            .unwrap_or(1);
        let c = Crypto::new(tag, keys.suite.clone(), caps.srtp_key.clone());
        m.attributes.push_value("crypto", c.to_string());
    }
    m.attributes.set_direction(n.direction);
    m
}

/// The fmtp of our answer: for opus, what we will do within what the peer
/// asked; other codecs here take none.
fn answer_fmtp(cap: &CodecCap, offered: Option<Fmtp>) -> Option<String> {
    if !cap.encoding.eq_ignore_ascii_case("opus") {
        return cap.fmtp.clone();
    }
    let mut params = vec!["useinbandfec=1".to_string(), "usedtx=1".to_string()];
    if let Some(rate) = offered
        .as_ref()
        .and_then(|f| f.get("maxplaybackrate").map(str::to_owned))
    {
        params.push(format!("maxplaybackrate={rate}"));
    }
    params.push("stereo=0;sprop-stereo=0".into());
    Some(params.join(";"))
}

/// Picks the telephone-event payload type whose clock matches the codec's
/// (RFC 4733 2.1), else any the peer listed.
fn telephone_event_pt(m: &Media, codec: &CodecCap, _hint: Option<u8>) -> Option<u8> {
    let events: Vec<Rtpmap> = m
        .payload_types()
        .into_iter()
        .filter_map(|pt| m.rtpmap(pt))
        .filter(Rtpmap::is_telephone_event)
        .collect();
    events
        .iter()
        .find(|r| r.clock_rate == codec.clock_rate)
        .or_else(|| events.first())
        .map(|r| r.payload_type)
}

/// The peer's direction, reading the RFC 2543 hold (`c=0.0.0.0`) as "do not
/// send to me", which old PBXs and phones still use.
fn peer_direction(sdp: &Sdp, m: &Media) -> Direction {
    let d = sdp.direction_of(m);
    if sdp.connection_of(m).is_some_and(Connection::is_unspecified) {
        d.intersect(Direction::SendOnly)
    } else {
        d
    }
}

fn remote_addrs(
    sdp: &Sdp,
    m: &Media,
    we_mux: bool,
) -> Result<(SocketAddr, SocketAddr, bool), Rejection> {
    let conn = sdp
        .connection_of(m)
        .ok_or_else(|| Rejection::new(399, "no connection address"))?;
    let ip = conn.ip().ok_or_else(|| {
        Rejection::new(
            399,
            format!("connection address `{}` is not an IP address", conn.address),
        )
    })?;
    let rtp = SocketAddr::new(ip, m.port);
    let mux = we_mux && m.attributes.rtcp_mux();
    let rtcp = if mux {
        rtp
    } else if let Some(r) = m.attributes.rtcp() {
        let rip = r.connection.as_ref().and_then(Connection::ip).unwrap_or(ip);
        SocketAddr::new(rip, r.port)
    } else {
        SocketAddr::new(ip, m.port.saturating_add(1))
    };
    Ok((rtp, rtcp, mux))
}

fn session(origin: Origin, ip: IpAddr) -> Sdp {
    let mut sdp = Sdp::new(origin);
    sdp.session_name = "Handset".into();
    sdp.connection = Some(Connection::new(ip));
    sdp
}

fn rtpmap_value(map: &Rtpmap) -> String {
    map.to_string()
}

#[cfg(test)]
mod tests;
