//! What signalling negotiated for one audio stream: codec, payload types,
//! addresses, direction and keys. Plain data handed to
//! [`crate::session::AudioSession`] at start and on every re-INVITE.

use std::fmt;
use std::net::SocketAddr;

use serde::{Deserialize, Serialize};

use crate::codec::{CodecParams, OpusSettings};

/// The codec an SDP answer settled on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodecChoice {
    /// SDP encoding name as negotiated ("PCMU", "PCMA", "G722", "opus").
    pub name: String,
    /// The payload type both sides use for it.
    pub payload_type: u8,
    /// RTP clock rate from `a=rtpmap` (8000 for G.722, RFC 3551 4.5.2).
    pub clock_rate: u32,
    /// Channel count from `a=rtpmap` (Opus always says 2; we send mono).
    pub channels: u16,
    /// The `a=fmtp` parameters, if any.
    pub fmtp: Option<String>,
    /// Packet time (`a=ptime`); 0 means the 20 ms default.
    pub ptime_ms: u32,
}

impl CodecChoice {
    /// G.711 µ-law on its static payload type 0.
    pub fn pcmu() -> Self {
        Self::plain("PCMU", 0, 8000)
    }

    /// G.711 A-law on its static payload type 8.
    pub fn pcma() -> Self {
        Self::plain("PCMA", 8, 8000)
    }

    /// G.722 on its static payload type 9 (8 kHz RTP clock, 16 kHz audio).
    pub fn g722() -> Self {
        Self::plain("G722", 9, 8000)
    }

    /// Opus on a dynamic payload type, with FEC and DTX as we offer them.
    pub fn opus(payload_type: u8) -> Self {
        Self {
            name: "opus".into(),
            payload_type,
            clock_rate: 48000,
            channels: 2,
            fmtp: Some("minptime=10;useinbandfec=1;usedtx=1".into()),
            ptime_ms: 20,
        }
    }

    fn plain(name: &str, payload_type: u8, clock_rate: u32) -> Self {
        Self {
            name: name.into(),
            payload_type,
            clock_rate,
            channels: 1,
            fmtp: None,
            ptime_ms: 20,
        }
    }

    /// Packet time with the SDP default applied.
    pub fn ptime(&self) -> u32 {
        if self.ptime_ms == 0 {
            20
        } else {
            self.ptime_ms
        }
    }

    /// The `name=value` pairs of the fmtp line, names lower-cased.
    fn fmtp_pairs(&self) -> impl Iterator<Item = (String, &str)> {
        self.fmtp
            .as_deref()
            .unwrap_or("")
            .split(';')
            .filter_map(|kv| {
                let (k, v) = kv.split_once('=')?;
                Some((k.trim().to_ascii_lowercase(), v.trim()))
            })
    }

    /// Encoder parameters for the codec registry. For Opus the fmtp is what
    /// the peer asked to receive (RFC 7587 7): FEC and DTX only when it said
    /// so, and no more than its `maxaveragebitrate`.
    pub fn codec_params(&self) -> CodecParams {
        let mut p = CodecParams::new(self.payload_type);
        p.ptime_ms = self.ptime();
        if self.name.eq_ignore_ascii_case("opus") {
            let mut o = OpusSettings {
                fec: false,
                dtx: false,
                ..OpusSettings::default()
            };
            for (k, v) in self.fmtp_pairs() {
                match k.as_str() {
                    "useinbandfec" => o.fec = v == "1",
                    "usedtx" => o.dtx = v == "1",
                    "maxaveragebitrate" => {
                        if let Ok(b) = v.parse::<u32>() {
                            o.bitrate = o.bitrate.min(b.clamp(6000, 510_000));
                        }
                    }
                    _ => {}
                }
            }
            p.opus = o;
        }
        p
    }
}

/// SDES (RFC 4568) keys for SRTP: each side's master key and salt, as
/// decoded from the `inline:` base64 of its `a=crypto` line.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SrtpParams {
    /// "AES_CM_128_HMAC_SHA1_80" or "AES_CM_128_HMAC_SHA1_32".
    pub suite: String,
    /// Our 16-byte master key followed by our 14-byte salt.
    pub local_key_salt: Vec<u8>,
    /// The peer's master key and salt, likewise 30 bytes.
    pub remote_key_salt: Vec<u8>,
}

// keys must never reach a log line
impl fmt::Debug for SrtpParams {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SrtpParams")
            .field("suite", &self.suite)
            .field(
                "local_key_salt",
                &format_args!("<{} bytes>", self.local_key_salt.len()),
            )
            .field(
                "remote_key_salt",
                &format_args!("<{} bytes>", self.remote_key_salt.len()),
            )
            .finish()
    }
}

/// Everything negotiated for one audio stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MediaParams {
    /// The codec to send and expect.
    pub codec: CodecChoice,
    /// Payload type of `telephone-event` at the codec's clock rate, if
    /// negotiated; without it DTMF goes in-band as tones.
    pub telephone_event_pt: Option<u8>,
    /// Where the peer wants RTP (its `c=`/`m=` address).
    pub remote_rtp: SocketAddr,
    /// Its `a=rtcp` address, if it gave one.
    pub remote_rtcp: Option<SocketAddr>,
    /// RTP and RTCP share one port (RFC 5761), both sides agreed.
    pub rtcp_mux: bool,
    /// We send audio (sendrecv or sendonly from our side).
    pub send: bool,
    /// We play received audio (sendrecv or recvonly from our side).
    pub recv: bool,
    /// SDES-SRTP keys, when the profile is RTP/SAVP.
    pub srtp: Option<SrtpParams>,
}

impl MediaParams {
    /// A plain sendrecv stream to `remote_rtp` with RTCP on the next port.
    pub fn new(codec: CodecChoice, remote_rtp: SocketAddr) -> Self {
        Self {
            codec,
            telephone_event_pt: None,
            remote_rtp,
            remote_rtcp: None,
            rtcp_mux: false,
            send: true,
            recv: true,
            srtp: None,
        }
    }

    /// Where RTCP goes before anything is learned: the RTP address when
    /// muxed, else `a=rtcp`, else the RTP port + 1 (RFC 3550 11).
    pub fn rtcp_destination(&self) -> SocketAddr {
        if self.rtcp_mux {
            return self.remote_rtp;
        }
        self.remote_rtcp.unwrap_or_else(|| {
            let mut a = self.remote_rtp;
            a.set_port(a.port().wrapping_add(1));
            a
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opus_fmtp_drives_encoder_settings() {
        let mut c = CodecChoice::opus(111);
        c.fmtp = Some("minptime=10; useinbandfec=1;maxaveragebitrate=20000".into());
        let p = c.codec_params();
        assert!(p.opus.fec);
        assert!(!p.opus.dtx);
        assert_eq!(p.opus.bitrate, 20000);
        c.fmtp = None;
        c.ptime_ms = 0;
        let p = c.codec_params();
        assert!(!p.opus.fec && !p.opus.dtx);
        assert_eq!(p.ptime_ms, 20);
    }

    #[test]
    fn rtcp_address_rules() {
        let mut m = MediaParams::new(CodecChoice::pcmu(), "192.0.2.1:4000".parse().unwrap());
        assert_eq!(m.rtcp_destination(), "192.0.2.1:4001".parse().unwrap());
        m.remote_rtcp = Some("192.0.2.2:5000".parse().unwrap());
        assert_eq!(m.rtcp_destination(), "192.0.2.2:5000".parse().unwrap());
        m.rtcp_mux = true;
        assert_eq!(m.rtcp_destination(), "192.0.2.1:4000".parse().unwrap());
    }

    #[test]
    fn keys_stay_out_of_debug() {
        let s = SrtpParams {
            suite: "AES_CM_128_HMAC_SHA1_80".into(),
            local_key_salt: vec![0xAB; 30],
            remote_key_salt: vec![0xCD; 30],
        };
        let d = format!("{s:?}");
        assert!(d.contains("<30 bytes>"));
        assert!(!d.contains("171") && !d.to_lowercase().contains("ab, "));
    }
}
