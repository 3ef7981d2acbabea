//! Maps SDP encoding names to codec constructors.

use super::g711::{G711Decoder, G711Encoder, G711Law};
use super::g722::{G722Decoder, G722Encoder};
use super::opus::{OpusDecoder, OpusEncoder, OpusSettings};
use super::{AudioDecoder, AudioEncoder, CodecError};

/// Negotiated parameters for one codec instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CodecParams {
    /// Payload type from the SDP answer.
    pub payload_type: u8,
    /// Packet time in ms (SDP `a=ptime`, default 20).
    pub ptime_ms: u32,
    /// Opus settings (ignored by other codecs).
    pub opus: OpusSettings,
}

impl CodecParams {
    /// Defaults for `payload_type` at 20 ms.
    pub fn new(payload_type: u8) -> Self {
        Self {
            payload_type,
            ptime_ms: 20,
            opus: OpusSettings::default(),
        }
    }
}

/// A codec the registry can build, as SDP describes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CodecDescriptor {
    /// Encoding name for `a=rtpmap`.
    pub name: &'static str,
    /// RTP clock rate for `a=rtpmap`.
    pub clock_rate: u32,
    /// Channel count for `a=rtpmap` (Opus is always written "/2", RFC 7587).
    pub channels: u8,
    /// Static payload type, or the dynamic one we offer.
    pub default_payload_type: u8,
    /// `a=fmtp` parameters we offer, if any.
    pub fmtp: Option<&'static str>,
}

type Builder = fn(&CodecParams) -> Result<CodecPair, CodecError>;

/// A codec's encoder and decoder, built together for one negotiated payload type.
pub type CodecPair = (Box<dyn AudioEncoder>, Box<dyn AudioDecoder>);

/// The codecs Handset speaks, in preference order.
#[derive(Debug, Clone)]
pub struct CodecRegistry {
    entries: Vec<(CodecDescriptor, Builder)>,
}

fn g711(law: G711Law, p: &CodecParams) -> Result<CodecPair, CodecError> {
    Ok((
        Box::new(G711Encoder::new(law, p.payload_type, p.ptime_ms)?),
        Box::new(G711Decoder::new(law, p.payload_type, p.ptime_ms)?),
    ))
}

impl Default for CodecRegistry {
    fn default() -> Self {
        let entries: Vec<(CodecDescriptor, Builder)> = vec![
            (
                CodecDescriptor {
                    name: "opus",
                    clock_rate: 48000,
                    channels: 2,
                    default_payload_type: 111,
                    fmtp: Some("minptime=10;useinbandfec=1;usedtx=1"),
                },
                |p| {
                    Ok((
                        Box::new(OpusEncoder::new(p.payload_type, p.ptime_ms, p.opus)?),
                        Box::new(OpusDecoder::new(p.payload_type, p.ptime_ms)?),
                    ))
                },
            ),
            (
                CodecDescriptor {
                    name: "G722",
                    clock_rate: 8000,
                    channels: 1,
                    default_payload_type: 9,
                    fmtp: None,
                },
                |p| {
                    Ok((
                        Box::new(G722Encoder::new(p.payload_type, p.ptime_ms)?),
                        Box::new(G722Decoder::new(p.payload_type, p.ptime_ms)?),
                    ))
                },
            ),
            (
                CodecDescriptor {
                    name: "PCMU",
                    clock_rate: 8000,
                    channels: 1,
                    default_payload_type: 0,
                    fmtp: None,
                },
                |p| g711(G711Law::Ulaw, p),
            ),
            (
                CodecDescriptor {
                    name: "PCMA",
                    clock_rate: 8000,
                    channels: 1,
                    default_payload_type: 8,
                    fmtp: None,
                },
                |p| g711(G711Law::Alaw, p),
            ),
        ];
        Self { entries }
    }
}

impl CodecRegistry {
    /// Descriptors in preference order, for building an SDP offer.
    pub fn descriptors(&self) -> impl Iterator<Item = &CodecDescriptor> {
        self.entries.iter().map(|(d, _)| d)
    }

    /// Look up a codec by SDP name (case-insensitive, as SDP requires).
    pub fn find(&self, name: &str) -> Option<&CodecDescriptor> {
        self.entries
            .iter()
            .map(|(d, _)| d)
            .find(|d| d.name.eq_ignore_ascii_case(name))
    }

    /// Build an encoder/decoder pair for `name`.
    pub fn create(&self, name: &str, params: &CodecParams) -> Result<CodecPair, CodecError> {
        let (_, build) = self
            .entries
            .iter()
            .find(|(d, _)| d.name.eq_ignore_ascii_case(name))
            .ok_or_else(|| CodecError::UnknownCodec(name.to_owned()))?;
        build(params)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_every_codec_by_sdp_name() {
        let r = CodecRegistry::default();
        for (name, rate, clock, frame) in [
            ("PCMU", 8000, 8000, 160),
            ("pcma", 8000, 8000, 160),
            ("G722", 16000, 8000, 320),
            ("OPUS", 48000, 48000, 960),
        ] {
            let (e, d) = r.create(name, &CodecParams::new(96)).unwrap();
            assert_eq!(e.info().sample_rate, rate);
            assert_eq!(e.info().clock_rate, clock);
            assert_eq!(e.info().frame_samples(), frame);
            assert_eq!(d.info().payload_type, 96);
        }
        assert!(matches!(
            r.create("G729", &CodecParams::new(18)),
            Err(CodecError::UnknownCodec(_))
        ));
        assert_eq!(r.find("g722").unwrap().default_payload_type, 9);
        assert_eq!(r.descriptors().count(), 4);
    }

    #[test]
    fn ptime_changes_framing() {
        let r = CodecRegistry::default();
        let mut p = CodecParams::new(0);
        p.ptime_ms = 30;
        let (e, _) = r.create("PCMU", &p).unwrap();
        assert_eq!(e.info().frame_samples(), 240);
        assert_eq!(e.info().frame_ticks(), 240);
    }
}
