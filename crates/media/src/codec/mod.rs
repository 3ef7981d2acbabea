//! Audio codecs behind one encoder and one decoder trait, with fixed frame
//! sizes chosen from the packet time.
//!
//! Codecs work on mono 16-bit PCM at their own sample rate; the RTP clock
//! rate can differ (G.722 samples at 16 kHz but its RTP clock runs at 8 kHz,
//! RFC 3551 4.5.2), so [`CodecInfo`] keeps both.

mod g711;
mod g722;
mod opus;
mod plc;
mod registry;

pub use self::g711::{alaw_to_linear, linear_to_alaw, linear_to_ulaw, ulaw_to_linear};
pub use self::g711::{G711Decoder, G711Encoder, G711Law};
pub use self::g722::{G722Decoder, G722Encoder};
pub use self::opus::{OpusDecoder, OpusEncoder, OpusSettings};
pub use self::plc::Plc;
pub use self::registry::{CodecDescriptor, CodecPair, CodecParams, CodecRegistry};

use thiserror::Error;

/// Largest decoded frame any codec here produces: 120 ms at 48 kHz (Opus).
pub const MAX_FRAME_SAMPLES: usize = 5760;
/// Largest encoded payload we produce or accept (Opus' own limit is 1275 per frame).
pub const MAX_PAYLOAD: usize = 1500;

/// Codec failures. Decoding garbage from the network yields an error, never a panic.
#[derive(Debug, Error)]
pub enum CodecError {
    /// The encoder was given a frame of the wrong length.
    #[error("frame of {got} samples, codec expects {expected}")]
    FrameSize {
        /// Samples per frame the codec was configured for.
        expected: usize,
        /// Samples passed.
        got: usize,
    },
    /// The output slice cannot hold the result.
    #[error("output buffer too small: need {need}, have {have}")]
    BufferTooSmall {
        /// Elements needed.
        need: usize,
        /// Elements available.
        have: usize,
    },
    /// The payload cannot be decoded.
    #[error("invalid payload")]
    InvalidPayload,
    /// The packet time is not one the codec can frame.
    #[error("unsupported ptime {0} ms")]
    UnsupportedPtime(u32),
    /// libopus reported an error.
    #[error("opus: {0}")]
    Opus(#[from] ::opus::Error),
    /// The registry has no codec of that SDP name.
    #[error("unknown codec {0}")]
    UnknownCodec(String),
}

/// What a codec instance is and how it frames audio.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodecInfo {
    /// SDP encoding name as registered with IANA ("PCMU", "G722", "opus").
    pub name: &'static str,
    /// RTP payload type in use (static or negotiated).
    pub payload_type: u8,
    /// Audio sample rate the codec consumes and produces.
    pub sample_rate: u32,
    /// RTP timestamp clock rate.
    pub clock_rate: u32,
    /// Packet time in milliseconds; one encoder call encodes this much.
    pub ptime_ms: u32,
}

impl CodecInfo {
    /// PCM samples per encoded frame.
    pub fn frame_samples(&self) -> usize {
        (self.sample_rate * self.ptime_ms / 1000) as usize
    }

    /// RTP timestamp increment per frame.
    pub fn frame_ticks(&self) -> u32 {
        self.clock_rate * self.ptime_ms / 1000
    }

    /// Convert a sample count at the codec rate to RTP clock ticks.
    pub fn samples_to_ticks(&self, samples: usize) -> i64 {
        samples as i64 * i64::from(self.clock_rate) / i64::from(self.sample_rate)
    }

    /// Convert RTP clock ticks to a sample count at the codec rate.
    pub fn ticks_to_samples(&self, ticks: i64) -> i64 {
        ticks * i64::from(self.sample_rate) / i64::from(self.clock_rate)
    }
}

/// Encodes fixed-size frames of mono PCM.
pub trait AudioEncoder: Send {
    /// Codec, payload type and framing.
    fn info(&self) -> &CodecInfo;

    /// Encode exactly [`CodecInfo::frame_samples`] samples into `out` and
    /// return the payload length. `Ok(0)` means discontinuous transmission:
    /// the frame is silence the decoder will synthesise, send nothing (the RTP
    /// timestamp still advances).
    fn encode(&mut self, pcm: &[i16], out: &mut [u8]) -> Result<usize, CodecError>;

    /// Change the target bitrate, where the codec has one.
    fn set_bitrate(&mut self, _bps: u32) -> Result<(), CodecError> {
        Ok(())
    }

    /// Tell the encoder the loss rate the receiver reports, so codecs with
    /// in-band FEC can tune its redundancy.
    fn set_expected_loss(&mut self, _percent: u8) -> Result<(), CodecError> {
        Ok(())
    }
}

/// Decodes payloads to mono PCM and conceals what never arrived.
pub trait AudioDecoder: Send {
    /// Codec, payload type and framing.
    fn info(&self) -> &CodecInfo;

    /// Decode one RTP payload into `out`; returns samples written.
    fn decode(&mut self, payload: &[u8], out: &mut [i16]) -> Result<usize, CodecError>;

    /// Packet-loss concealment: fill all of `out` with a plausible
    /// continuation of what was last decoded. Returns `out.len()`.
    fn conceal(&mut self, out: &mut [i16]) -> usize;

    /// Whether [`AudioDecoder::decode_fec`] can recover a lost frame from
    /// the next packet (Opus in-band FEC).
    fn supports_fec(&self) -> bool {
        false
    }

    /// Recover the frame lost just before `next_payload` into all of `out`
    /// (whose length is the lost duration). Codecs without FEC conceal.
    fn decode_fec(&mut self, _next_payload: &[u8], out: &mut [i16]) -> Result<usize, CodecError> {
        Ok(self.conceal(out))
    }

    /// Fill `out` during a transmission pause (DTX or VAD silence). Codecs
    /// with their own comfort noise generate it; the others give silence.
    fn comfort_noise(&mut self, out: &mut [i16]) -> usize {
        out.fill(0);
        out.len()
    }

    /// Samples `payload` will decode to, if cheaply known.
    fn samples_in(&self, payload: &[u8]) -> Option<usize>;

    /// Forget all state (new source).
    fn reset(&mut self);
}

pub(crate) fn check_frame(info: &CodecInfo, pcm: &[i16]) -> Result<(), CodecError> {
    if pcm.len() != info.frame_samples() {
        return Err(CodecError::FrameSize {
            expected: info.frame_samples(),
            got: pcm.len(),
        });
    }
    Ok(())
}

pub(crate) fn check_out<T>(need: usize, out: &[T]) -> Result<(), CodecError> {
    if out.len() < need {
        return Err(CodecError::BufferTooSmall {
            need,
            have: out.len(),
        });
    }
    Ok(())
}
