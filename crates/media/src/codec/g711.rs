//! G.711 µ-law and A-law (ITU-T G.711), table driven.
//!
//! Both directions use tables computed at compile time from the segment
//! rules of the standard, so they match the ITU reference (G.191 `g711.c`)
//! bit for bit; the unit tests check published code points.

use super::plc::Plc;
use super::{check_frame, check_out, AudioDecoder, AudioEncoder, CodecError, CodecInfo};

const fn ulaw_encode_slow(pcm: i16) -> u8 {
    // 14-bit magnitude with the 0x84 bias folded in, as in G.191
    const SEG_END: [i32; 8] = [0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF];
    let mut v = (pcm as i32) >> 2;
    // one's complement for negatives, as G.191 does: -1 maps to negative zero
    let mask: i32 = if v < 0 {
        v = !v;
        0x7F
    } else {
        0xFF
    };
    if v > 8159 {
        v = 8159;
    }
    v += 0x84 >> 2;
    let mut seg = 0;
    while seg < 8 && v > SEG_END[seg] {
        seg += 1;
    }
    if seg >= 8 {
        return (0x7F ^ mask) as u8;
    }
    let u = ((seg as i32) << 4) | ((v >> (seg + 1)) & 0x0F);
    (u ^ mask) as u8
}

const fn ulaw_decode_slow(u: u8) -> i16 {
    let u = !u as i32;
    let mut t = ((u & 0x0F) << 3) + 0x84;
    t <<= (u & 0x70) >> 4;
    if u & 0x80 != 0 {
        (0x84 - t) as i16
    } else {
        (t - 0x84) as i16
    }
}

const fn alaw_encode_slow(pcm: i16) -> u8 {
    const SEG_END: [i32; 8] = [0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF];
    let mut v = (pcm as i32) >> 3;
    let mask: i32 = if v >= 0 {
        0xD5
    } else {
        v = -v - 1;
        0x55
    };
    let mut seg = 0;
    while seg < 8 && v > SEG_END[seg] {
        seg += 1;
    }
    if seg >= 8 {
        return (0x7F ^ mask) as u8;
    }
    let mut a = (seg as i32) << 4;
    if seg < 2 {
        a |= (v >> 1) & 0x0F;
    } else {
        a |= (v >> seg) & 0x0F;
    }
    (a ^ mask) as u8
}

const fn alaw_decode_slow(a: u8) -> i16 {
    let a = (a ^ 0x55) as i32;
    let mut t = (a & 0x0F) << 4;
    let seg = (a & 0x70) >> 4;
    match seg {
        0 => t += 8,
        1 => t += 0x108,
        _ => {
            t += 0x108;
            t <<= seg - 1;
        }
    }
    if a & 0x80 != 0 {
        t as i16
    } else {
        -t as i16
    }
}

// µ-law only looks at the top 14 bits, A-law at the top 13: index by those.
static ULAW_ENC: [u8; 1 << 14] = {
    let mut t = [0u8; 1 << 14];
    let mut i = 0;
    while i < (1 << 14) {
        t[i] = ulaw_encode_slow(((i as i32 - 8192) << 2) as i16);
        i += 1;
    }
    t
};

static ALAW_ENC: [u8; 1 << 13] = {
    let mut t = [0u8; 1 << 13];
    let mut i = 0;
    while i < (1 << 13) {
        t[i] = alaw_encode_slow(((i as i32 - 4096) << 3) as i16);
        i += 1;
    }
    t
};

static ULAW_DEC: [i16; 256] = {
    let mut t = [0i16; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = ulaw_decode_slow(i as u8);
        i += 1;
    }
    t
};

static ALAW_DEC: [i16; 256] = {
    let mut t = [0i16; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = alaw_decode_slow(i as u8);
        i += 1;
    }
    t
};

/// Linear PCM to µ-law.
#[inline]
pub fn linear_to_ulaw(pcm: i16) -> u8 {
    ULAW_ENC[((pcm >> 2) as i32 + 8192) as usize]
}

/// µ-law to linear PCM.
#[inline]
pub fn ulaw_to_linear(u: u8) -> i16 {
    ULAW_DEC[u as usize]
}

/// Linear PCM to A-law.
#[inline]
pub fn linear_to_alaw(pcm: i16) -> u8 {
    ALAW_ENC[((pcm >> 3) as i32 + 4096) as usize]
}

/// A-law to linear PCM.
#[inline]
pub fn alaw_to_linear(a: u8) -> i16 {
    ALAW_DEC[a as usize]
}

/// Which G.711 companding law.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum G711Law {
    /// µ-law, PCMU, static payload type 0.
    Ulaw,
    /// A-law, PCMA, static payload type 8.
    Alaw,
}

impl G711Law {
    fn info(self, payload_type: u8, ptime_ms: u32) -> CodecInfo {
        CodecInfo {
            name: match self {
                G711Law::Ulaw => "PCMU",
                G711Law::Alaw => "PCMA",
            },
            payload_type,
            sample_rate: 8000,
            clock_rate: 8000,
            ptime_ms,
        }
    }
}

fn check_ptime(ptime_ms: u32) -> Result<(), CodecError> {
    // RFC 3551 allows any multiple of the sample; keep to whole ms up to 120
    if ptime_ms == 0 || ptime_ms > 120 {
        return Err(CodecError::UnsupportedPtime(ptime_ms));
    }
    Ok(())
}

/// G.711 encoder.
#[derive(Debug)]
pub struct G711Encoder {
    law: G711Law,
    info: CodecInfo,
}

impl G711Encoder {
    /// An encoder for `law` framing `ptime_ms` per packet.
    pub fn new(law: G711Law, payload_type: u8, ptime_ms: u32) -> Result<Self, CodecError> {
        check_ptime(ptime_ms)?;
        Ok(Self {
            law,
            info: law.info(payload_type, ptime_ms),
        })
    }
}

impl AudioEncoder for G711Encoder {
    fn info(&self) -> &CodecInfo {
        &self.info
    }

    fn encode(&mut self, pcm: &[i16], out: &mut [u8]) -> Result<usize, CodecError> {
        check_frame(&self.info, pcm)?;
        check_out(pcm.len(), out)?;
        match self.law {
            G711Law::Ulaw => pcm
                .iter()
                .zip(out.iter_mut())
                .for_each(|(s, o)| *o = linear_to_ulaw(*s)),
            G711Law::Alaw => pcm
                .iter()
                .zip(out.iter_mut())
                .for_each(|(s, o)| *o = linear_to_alaw(*s)),
        }
        Ok(pcm.len())
    }
}

/// G.711 decoder with waveform-repetition concealment.
#[derive(Debug)]
pub struct G711Decoder {
    law: G711Law,
    info: CodecInfo,
    plc: Plc,
}

impl G711Decoder {
    /// A decoder for `law`.
    pub fn new(law: G711Law, payload_type: u8, ptime_ms: u32) -> Result<Self, CodecError> {
        check_ptime(ptime_ms)?;
        Ok(Self {
            law,
            info: law.info(payload_type, ptime_ms),
            plc: Plc::new(8000),
        })
    }
}

impl AudioDecoder for G711Decoder {
    fn info(&self) -> &CodecInfo {
        &self.info
    }

    fn decode(&mut self, payload: &[u8], out: &mut [i16]) -> Result<usize, CodecError> {
        check_out(payload.len(), out)?;
        let out = &mut out[..payload.len()];
        match self.law {
            G711Law::Ulaw => payload
                .iter()
                .zip(out.iter_mut())
                .for_each(|(b, o)| *o = ulaw_to_linear(*b)),
            G711Law::Alaw => payload
                .iter()
                .zip(out.iter_mut())
                .for_each(|(b, o)| *o = alaw_to_linear(*b)),
        }
        self.plc.good_frame(out);
        Ok(payload.len())
    }

    fn conceal(&mut self, out: &mut [i16]) -> usize {
        self.plc.conceal(out);
        out.len()
    }

    fn comfort_noise(&mut self, out: &mut [i16]) -> usize {
        out.fill(0);
        self.plc.good_frame(out);
        out.len()
    }

    fn samples_in(&self, payload: &[u8]) -> Option<usize> {
        Some(payload.len())
    }

    fn reset(&mut self) {
        self.plc.reset();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ulaw_known_values() {
        // G.711 table 2a: code points and decoder outputs (G.191 scaling, x4)
        assert_eq!(linear_to_ulaw(0), 0xFF);
        assert_eq!(linear_to_ulaw(-1), 0x7F);
        assert_eq!(linear_to_ulaw(32767), 0x80);
        assert_eq!(linear_to_ulaw(-32768), 0x00);
        assert_eq!(linear_to_ulaw(1000), 0xCE);
        assert_eq!(linear_to_ulaw(-1000), 0x4E);
        assert_eq!(ulaw_to_linear(0xFF), 0);
        assert_eq!(ulaw_to_linear(0x7F), 0);
        assert_eq!(ulaw_to_linear(0x80), 32124);
        assert_eq!(ulaw_to_linear(0x00), -32124);
        assert_eq!(ulaw_to_linear(0xCE), 988);
        assert_eq!(ulaw_to_linear(0xF0), 120);
        assert_eq!(ulaw_to_linear(0xFE), 8);
    }

    #[test]
    fn alaw_known_values() {
        assert_eq!(linear_to_alaw(0), 0xD5);
        assert_eq!(linear_to_alaw(-1), 0x55);
        assert_eq!(linear_to_alaw(32767), 0xAA);
        assert_eq!(linear_to_alaw(-32768), 0x2A);
        assert_eq!(linear_to_alaw(1000), 0xFA);
        assert_eq!(alaw_to_linear(0xD5), 8);
        assert_eq!(alaw_to_linear(0x55), -8);
        assert_eq!(alaw_to_linear(0xAA), 32256);
        assert_eq!(alaw_to_linear(0x2A), -32256);
        assert_eq!(alaw_to_linear(0xFA), 1008);
    }

    #[test]
    fn tables_match_the_segment_rules_for_every_input() {
        for x in i16::MIN..=i16::MAX {
            assert_eq!(linear_to_ulaw(x), ulaw_encode_slow(x));
            assert_eq!(linear_to_alaw(x), alaw_encode_slow(x));
        }
    }

    #[test]
    fn code_points_are_fixed_points() {
        for c in 0..=255u8 {
            assert_eq!(linear_to_alaw(alaw_to_linear(c)), c);
            // 0x7F is µ-law's negative zero, which re-encodes as 0xFF
            if c != 0x7F {
                assert_eq!(linear_to_ulaw(ulaw_to_linear(c)), c, "{c:#x}");
            }
        }
    }

    #[test]
    fn quantisation_error_is_bounded() {
        // segment step is at most 1024 (µ) / 1024 (A) at full scale: error <= half a step
        for x in (-32000i32..32000).step_by(7) {
            let u = i32::from(ulaw_to_linear(linear_to_ulaw(x as i16)));
            let a = i32::from(alaw_to_linear(linear_to_alaw(x as i16)));
            let tol = x.abs() / 16 + 16;
            assert!((u - x).abs() <= tol, "ulaw {x} -> {u}");
            assert!((a - x).abs() <= tol, "alaw {x} -> {a}");
        }
    }

    #[test]
    fn encoder_decoder_frames() {
        let mut e = G711Encoder::new(G711Law::Ulaw, 0, 20).unwrap();
        let mut d = G711Decoder::new(G711Law::Ulaw, 0, 20).unwrap();
        assert_eq!(e.info().frame_samples(), 160);
        let pcm: Vec<i16> = (0..160)
            .map(|i| ((i as f32 * 0.3).sin() * 8000.0) as i16)
            .collect();
        let mut buf = [0u8; 160];
        assert_eq!(e.encode(&pcm, &mut buf).unwrap(), 160);
        let mut out = [0i16; 160];
        assert_eq!(d.decode(&buf, &mut out).unwrap(), 160);
        assert!(matches!(
            e.encode(&pcm[..100], &mut buf),
            Err(CodecError::FrameSize { .. })
        ));
        assert!(matches!(
            d.decode(&buf, &mut out[..10]),
            Err(CodecError::BufferTooSmall { .. })
        ));
        assert!(G711Encoder::new(G711Law::Alaw, 8, 0).is_err());
    }
}
