//! Opus (RFC 6716, RTP format RFC 7587) over libopus via the `opus` crate.
//!
//! Always 48 kHz mono here: the RTP clock is 48 kHz by RFC 7587 whatever the
//! audio bandwidth, and a softphone has one microphone. In-band FEC and DTX
//! are on by default; the decoder recovers a lost frame from the FEC data of
//! the next packet when the jitter buffer has it.

use ::opus::{Application, Bitrate, Channels, Decoder, Encoder};

use super::{check_frame, AudioDecoder, AudioEncoder, CodecError, CodecInfo};

const RATE: u32 = 48_000;

/// Encoder settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpusSettings {
    /// Target bitrate in bit/s.
    pub bitrate: u32,
    /// Include LBRR data so the receiver can rebuild a lost frame.
    pub fec: bool,
    /// Stop sending during silence (a packet every 400 ms keeps comfort noise alive).
    pub dtx: bool,
    /// Expected loss in percent; libopus only spends bits on FEC when this is > 0.
    pub expected_loss: u8,
    /// Encoder complexity 0..=10.
    pub complexity: u8,
}

impl Default for OpusSettings {
    fn default() -> Self {
        Self {
            bitrate: 32_000,
            fec: true,
            dtx: true,
            expected_loss: 10,
            complexity: 9,
        }
    }
}

fn info(payload_type: u8, ptime_ms: u32) -> Result<CodecInfo, CodecError> {
    // Opus frames are 2.5..=60 ms; we keep to the ones SDP ptime can express
    if ![10, 20, 40, 60].contains(&ptime_ms) {
        return Err(CodecError::UnsupportedPtime(ptime_ms));
    }
    Ok(CodecInfo {
        name: "opus",
        payload_type,
        sample_rate: RATE,
        clock_rate: RATE,
        ptime_ms,
    })
}

/// Opus encoder.
pub struct OpusEncoder {
    info: CodecInfo,
    enc: Encoder,
}

impl std::fmt::Debug for OpusEncoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpusEncoder")
            .field("info", &self.info)
            .finish_non_exhaustive()
    }
}

impl OpusEncoder {
    /// A VoIP-tuned encoder.
    pub fn new(
        payload_type: u8,
        ptime_ms: u32,
        settings: OpusSettings,
    ) -> Result<Self, CodecError> {
        let info = info(payload_type, ptime_ms)?;
        let mut enc = Encoder::new(RATE, Channels::Mono, Application::Voip)?;
        enc.set_bitrate(Bitrate::Bits(settings.bitrate.clamp(6000, 510_000) as i32))?;
        enc.set_inband_fec(settings.fec)?;
        enc.set_dtx(settings.dtx)?;
        enc.set_packet_loss_perc(i32::from(settings.expected_loss.min(100)))?;
        enc.set_complexity(i32::from(settings.complexity.min(10)))?;
        Ok(Self { info, enc })
    }
}

impl AudioEncoder for OpusEncoder {
    fn info(&self) -> &CodecInfo {
        &self.info
    }

    fn encode(&mut self, pcm: &[i16], out: &mut [u8]) -> Result<usize, CodecError> {
        check_frame(&self.info, pcm)?;
        let n = self.enc.encode(pcm, out)?;
        // libopus: a packet of 2 bytes or less during DTX need not be sent
        Ok(if n <= 2 { 0 } else { n })
    }

    fn set_bitrate(&mut self, bps: u32) -> Result<(), CodecError> {
        self.enc
            .set_bitrate(Bitrate::Bits(bps.clamp(6000, 510_000) as i32))?;
        Ok(())
    }

    fn set_expected_loss(&mut self, percent: u8) -> Result<(), CodecError> {
        self.enc.set_packet_loss_perc(i32::from(percent.min(100)))?;
        Ok(())
    }
}

/// Opus decoder with libopus PLC, FEC recovery and comfort noise.
pub struct OpusDecoder {
    info: CodecInfo,
    dec: Decoder,
}

impl std::fmt::Debug for OpusDecoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpusDecoder")
            .field("info", &self.info)
            .finish_non_exhaustive()
    }
}

impl OpusDecoder {
    /// A 48 kHz mono decoder (stereo packets are downmixed by libopus).
    pub fn new(payload_type: u8, ptime_ms: u32) -> Result<Self, CodecError> {
        Ok(Self {
            info: info(payload_type, ptime_ms)?,
            dec: Decoder::new(RATE, Channels::Mono)?,
        })
    }

    /// libopus needs PLC/FEC lengths in whole 2.5 ms units.
    fn plc_len(len: usize) -> usize {
        len / 120 * 120
    }
}

impl AudioDecoder for OpusDecoder {
    fn info(&self) -> &CodecInfo {
        &self.info
    }

    fn decode(&mut self, payload: &[u8], out: &mut [i16]) -> Result<usize, CodecError> {
        if payload.is_empty() {
            // an empty slice means "lost" to libopus; a zero-length payload is just invalid
            return Err(CodecError::InvalidPayload);
        }
        Ok(self.dec.decode(payload, out, false)?)
    }

    fn conceal(&mut self, out: &mut [i16]) -> usize {
        let n = Self::plc_len(out.len());
        match self.dec.decode(&[], &mut out[..n], false) {
            Ok(m) => {
                out[m..].fill(0);
            }
            Err(e) => {
                tracing::debug!(error = %e, "opus PLC failed");
                out.fill(0);
            }
        }
        out.len()
    }

    fn supports_fec(&self) -> bool {
        true
    }

    fn decode_fec(&mut self, next_payload: &[u8], out: &mut [i16]) -> Result<usize, CodecError> {
        if next_payload.is_empty() {
            return Ok(self.conceal(out));
        }
        let n = Self::plc_len(out.len());
        let m = self.dec.decode(next_payload, &mut out[..n], true)?;
        out[m..].fill(0);
        Ok(out.len())
    }

    fn comfort_noise(&mut self, out: &mut [i16]) -> usize {
        // after a DTX packet libopus' PLC path produces its comfort noise
        self.conceal(out)
    }

    fn samples_in(&self, payload: &[u8]) -> Option<usize> {
        if payload.is_empty() {
            return None;
        }
        self.dec.get_nb_samples(payload).ok()
    }

    fn reset(&mut self) {
        if let Err(e) = self.dec.reset_state() {
            tracing::debug!(error = %e, "opus reset failed");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::g722::tests::snr_db;

    fn speechlike(n: usize) -> Vec<i16> {
        (0..n)
            .map(|i| {
                let t = i as f64 / 48000.0;
                let env = 0.6 + 0.4 * (2.0 * std::f64::consts::PI * 3.0 * t).sin();
                let s = (2.0 * std::f64::consts::PI * 220.0 * t).sin()
                    + 0.5 * (2.0 * std::f64::consts::PI * 660.0 * t).sin()
                    + 0.3 * (2.0 * std::f64::consts::PI * 1500.0 * t).sin();
                (s * env * 6000.0) as i16
            })
            .collect()
    }

    #[test]
    fn encodes_decodes_with_reasonable_snr_and_bitrate() {
        let pcm = speechlike(48000);
        let mut e = OpusEncoder::new(111, 20, OpusSettings::default()).unwrap();
        let mut d = OpusDecoder::new(111, 20).unwrap();
        let mut out = Vec::new();
        let mut bytes = [0u8; 1500];
        let mut frame = [0i16; 960];
        let mut total = 0;
        for chunk in pcm.chunks_exact(960) {
            let n = e.encode(chunk, &mut bytes).unwrap();
            assert!(n > 2);
            total += n;
            assert_eq!(d.samples_in(&bytes[..n]), Some(960));
            let m = d.decode(&bytes[..n], &mut frame).unwrap();
            out.extend_from_slice(&frame[..m]);
        }
        let kbps = total as f64 * 8.0 / 1000.0;
        let snr = snr_db(&pcm[4800..40000], &out[4800..], 480);
        eprintln!("opus 32k: {kbps:.1} kbit/s, SNR {snr:.1} dB");
        assert!(kbps > 20.0 && kbps < 45.0);
        assert!(snr > 10.0);
    }

    #[test]
    fn dtx_suppresses_silence_and_fec_recovers() {
        let mut e = OpusEncoder::new(111, 20, OpusSettings::default()).unwrap();
        let mut bytes = [0u8; 1500];
        let silence = [0i16; 960];
        let sent = (0..50)
            .filter(|_| e.encode(&silence, &mut bytes).unwrap() > 0)
            .count();
        assert!(sent < 15, "DTX sent {sent} of 50 silent frames");

        // FEC: drop packet k, rebuild it from packet k+1
        let pcm = speechlike(48000);
        let mut e = OpusEncoder::new(111, 20, OpusSettings::default()).unwrap();
        let packets: Vec<Vec<u8>> = pcm
            .chunks_exact(960)
            .map(|c| {
                let n = e.encode(c, &mut bytes).unwrap();
                bytes[..n].to_vec()
            })
            .collect();
        let mut with_fec = OpusDecoder::new(111, 20).unwrap();
        let mut with_plc = OpusDecoder::new(111, 20).unwrap();
        let (mut a, mut b) = (Vec::new(), Vec::new());
        let mut f = [0i16; 960];
        for (i, p) in packets.iter().enumerate() {
            if i % 5 == 3 {
                with_fec.decode_fec(&packets[i + 1], &mut f).unwrap();
                a.extend_from_slice(&f);
                with_plc.conceal(&mut f);
                b.extend_from_slice(&f);
            } else {
                let n = with_fec.decode(p, &mut f).unwrap();
                a.extend_from_slice(&f[..n]);
                let n = with_plc.decode(p, &mut f).unwrap();
                b.extend_from_slice(&f[..n]);
            }
        }
        let snr_fec = snr_db(&pcm[4800..40000], &a[4800..], 480);
        let snr_plc = snr_db(&pcm[4800..40000], &b[4800..], 480);
        eprintln!("opus 20% loss: FEC {snr_fec:.1} dB, PLC {snr_plc:.1} dB");
        assert!(snr_fec > snr_plc);
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        let mut d = OpusDecoder::new(111, 20).unwrap();
        let mut f = [0i16; 5760];
        assert!(d.decode(&[], &mut f).is_err());
        for len in 1..40u8 {
            let junk: Vec<u8> = (0..len).map(|i| i.wrapping_mul(37) ^ 0xA5).collect();
            let _ = d.decode(&junk, &mut f);
        }
        assert!(OpusDecoder::new(111, 25).is_err());
    }
}
