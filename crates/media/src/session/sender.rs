//! The sending half: framing captured audio at the codec's rate, encoding,
//! and numbering RTP packets.

use std::time::Instant;

use crate::codec::{AudioEncoder, CodecInfo, MAX_PAYLOAD};
use crate::error::MediaError;
use crate::resample::Resampler;
use crate::rtp::{RtpHeader, RTP_HEADER_LEN};

/// RTP state that survives codec changes: one SSRC, one sequence space and a
/// timestamp that never jumps back (RFC 3550 5.1).
pub(super) struct RtpSender {
    pub ssrc: u32,
    seq: u16,
    /// Timestamp of the next frame to encode.
    ts: u32,
    encoder: Box<dyn AudioEncoder>,
    info: CodecInfo,
    /// Codec-rate samples waiting to make up a whole frame.
    fifo: Vec<i16>,
    resampler: Option<Resampler>,
    scratch: Vec<i16>,
    payload: Vec<u8>,
    /// Next voice packet starts a talkspurt (RFC 3551 4.1).
    marker: bool,
    /// When the last frame was framed and its timestamp, for SR timestamps.
    clock_ref: Option<(Instant, u32)>,
    pub packets: u64,
    /// Payload octets, as SRs count them.
    pub octets: u64,
    /// Whole RTP packets' bytes.
    pub bytes: u64,
    /// RTP went out since the last report (SR rather than RR).
    pub sent_since_report: bool,
}

impl RtpSender {
    pub fn new(ssrc: u32, seq: u16, ts: u32, encoder: Box<dyn AudioEncoder>) -> Self {
        let info = encoder.info().clone();
        Self {
            ssrc,
            seq,
            ts,
            encoder,
            fifo: Vec::with_capacity(2 * info.frame_samples()),
            info,
            resampler: None,
            scratch: Vec::new(),
            payload: vec![0; MAX_PAYLOAD],
            marker: true,
            clock_ref: None,
            packets: 0,
            octets: 0,
            bytes: 0,
            sent_since_report: false,
        }
    }

    pub fn info(&self) -> &CodecInfo {
        &self.info
    }

    pub fn encoder_mut(&mut self) -> &mut dyn AudioEncoder {
        self.encoder.as_mut()
    }

    /// Swap the codec; SSRC, sequence and timestamp carry on.
    pub fn set_encoder(&mut self, encoder: Box<dyn AudioEncoder>) {
        self.info = encoder.info().clone();
        self.encoder = encoder;
        self.fifo.clear();
        self.resampler = None;
        self.marker = true;
    }

    /// The timestamp the stream is at right now, extrapolated from the last
    /// framed frame (for SRs and for the start of a DTMF event).
    pub fn timestamp_at(&self, now: Instant) -> u32 {
        match self.clock_ref {
            Some((at, ts)) => {
                let ticks = crate::rtp::duration_to_ticks(
                    now.saturating_duration_since(at),
                    self.info.clock_rate,
                );
                ts.wrapping_add(ticks as u32)
            }
            None => self.ts,
        }
    }

    /// The timestamp of the next frame.
    pub fn next_timestamp(&self) -> u32 {
        self.ts
    }

    /// Add captured samples at `rate`, converted to the codec's rate.
    pub fn push_pcm(&mut self, pcm: &[i16], rate: u32) -> Result<(), MediaError> {
        if rate == self.info.sample_rate {
            self.fifo.extend_from_slice(pcm);
            return Ok(());
        }
        if self.resampler.as_ref().map(|r| r.input_rate()) != Some(rate) {
            self.resampler = Some(Resampler::new(rate, self.info.sample_rate)?);
        }
        if let Some(rs) = self.resampler.as_mut() {
            let need = rs.max_output_len(pcm.len());
            if self.scratch.len() < need {
                self.scratch.resize(need, 0);
            }
            let n = rs.process(pcm, &mut self.scratch)?;
            self.fifo.extend_from_slice(&self.scratch[..n]);
        }
        Ok(())
    }

    /// Move the next whole codec frame into `out`; false if there is none yet.
    pub fn take_frame(&mut self, out: &mut Vec<i16>) -> bool {
        let n = self.info.frame_samples();
        if self.fifo.len() < n {
            return false;
        }
        out.clear();
        out.extend(self.fifo.drain(..n));
        true
    }

    /// Advance the clock by one frame framed at `now` without sending it
    /// (muted by direction, paused for DTMF, or suppressed by DTX).
    pub fn skip_frame(&mut self, now: Instant) {
        self.clock_ref = Some((now, self.ts));
        self.ts = self.ts.wrapping_add(self.info.frame_ticks());
        self.marker = true;
    }

    /// Encode one frame and return the RTP packet, or `None` when the codec
    /// chose discontinuous transmission. The clock advances either way.
    pub fn encode(&mut self, now: Instant, pcm: &[i16]) -> Option<Vec<u8>> {
        let len = match self.encoder.encode(pcm, &mut self.payload) {
            Ok(n) => n,
            Err(e) => {
                tracing::warn!(error = %e, "encoding failed; frame skipped");
                0
            }
        };
        if len == 0 {
            self.skip_frame(now);
            return None;
        }
        let mut h = RtpHeader::new(self.info.payload_type, self.seq, self.ts, self.ssrc);
        h.marker = self.marker;
        self.marker = false;
        self.clock_ref = Some((now, self.ts));
        self.ts = self.ts.wrapping_add(self.info.frame_ticks());
        let packet = self.packet(h, len);
        self.octets += len as u64;
        Some(packet)
    }

    /// An RFC 4733 event packet in the same sequence space.
    pub fn event_packet(&mut self, pt: u8, marker: bool, ts: u32, payload: &[u8]) -> Vec<u8> {
        let mut h = RtpHeader::new(pt, self.seq, ts, self.ssrc);
        h.marker = marker;
        self.payload[..payload.len()].copy_from_slice(payload);
        self.octets += payload.len() as u64;
        // voice after an event starts a new talkspurt
        self.marker = true;
        self.packet(h, payload.len())
    }

    fn packet(&mut self, h: RtpHeader, len: usize) -> Vec<u8> {
        let mut out = vec![0u8; RTP_HEADER_LEN + len];
        // header without CSRCs or extension always fits exactly
        let n = h
            .write(None, &self.payload[..len], &mut out)
            .unwrap_or(out.len());
        out.truncate(n);
        self.seq = self.seq.wrapping_add(1);
        self.packets += 1;
        self.bytes += n as u64;
        self.sent_since_report = true;
        out
    }
}
