//! The receiving half: which source we listen to, reception statistics,
//! the jitter buffer and conversion of playout to the device rate.

use std::time::{Duration, Instant};

use crate::codec::AudioDecoder;
use crate::dtmf::{DtmfDigit, InbandDtmfDetector};
use crate::error::MediaError;
use crate::jitter::{FrameKind, JitterBuffer, JitterConfig, PushOutcome};
use crate::resample::Resampler;
use crate::rtcp::ReceptionStats;
use crate::rtp::RtpPacket;

/// A new source replaces the locked one only after the locked one has been
/// silent this long: a PBX that re-anchors media or a transfer changes SSRC,
/// a stray or spoofed stream interleaved with the real one does not win.
const SWITCH_QUIET: Duration = Duration::from_millis(200);
/// Consecutive packets a new source needs before it replaces the old.
const SWITCH_PACKETS: u32 = 3;

/// Verdict on a packet's source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum SourceCheck {
    /// The locked source (or the first one seen, now locked).
    Accepted,
    /// The locked source went quiet and this one took over.
    Switched,
    /// Not our source.
    Foreign,
}

/// Locks onto one SSRC.
#[derive(Debug, Default)]
pub(super) struct SourceLock {
    pub ssrc: Option<u32>,
    last_seen: Option<Instant>,
    candidate: Option<(u32, u32)>,
}

impl SourceLock {
    pub fn check(&mut self, ssrc: u32, now: Instant) -> SourceCheck {
        match self.ssrc {
            None => {
                self.ssrc = Some(ssrc);
                self.last_seen = Some(now);
                SourceCheck::Accepted
            }
            Some(s) if s == ssrc => {
                self.last_seen = Some(now);
                self.candidate = None;
                SourceCheck::Accepted
            }
            Some(_) => {
                let count = match self.candidate {
                    Some((c, n)) if c == ssrc => n + 1,
                    _ => 1,
                };
                self.candidate = Some((ssrc, count));
                let quiet = self
                    .last_seen
                    .is_none_or(|t| now.saturating_duration_since(t) >= SWITCH_QUIET);
                if quiet && count >= SWITCH_PACKETS {
                    tracing::info!(old = ?self.ssrc, new = ssrc, "remote RTP source changed");
                    self.ssrc = Some(ssrc);
                    self.last_seen = Some(now);
                    self.candidate = None;
                    SourceCheck::Switched
                } else {
                    SourceCheck::Foreign
                }
            }
        }
    }

    pub fn reset(&mut self) {
        *self = Self::default();
    }
}

/// Reception state for the locked source.
pub(super) struct RtpReceiver {
    pub stats: ReceptionStats,
    /// Losses of sources we listened to before the current one.
    pub lost_before: i64,
    pub jitter: JitterBuffer,
    inband: Option<InbandDtmfDetector>,
    out_rate: u32,
    resampler: Option<Resampler>,
    /// Playout at `out_rate` not yet handed out.
    fifo: Vec<i16>,
    scratch: Vec<i16>,
    pub packets: u64,
    pub bytes: u64,
}

impl RtpReceiver {
    pub fn new(
        decoder: Box<dyn AudioDecoder>,
        jitter: JitterConfig,
        out_rate: u32,
        inband_dtmf: bool,
        now: Instant,
    ) -> Result<Self, MediaError> {
        let info = decoder.info().clone();
        let jb = JitterBuffer::new(decoder, jitter);
        let resampler = if out_rate == info.sample_rate {
            None
        } else {
            Some(Resampler::new(info.sample_rate, out_rate)?)
        };
        Ok(Self {
            stats: ReceptionStats::new(info.clock_rate, now),
            lost_before: 0,
            inband: inband_dtmf.then(|| InbandDtmfDetector::new(info.sample_rate)),
            out_rate,
            resampler,
            fifo: Vec::with_capacity(
                4 * jb.frame_samples() * out_rate as usize / info.sample_rate as usize + 16,
            ),
            scratch: vec![
                0;
                2 * jb.frame_samples() * out_rate as usize / info.sample_rate as usize
                    + 64
            ],
            jitter: jb,
            packets: 0,
            bytes: 0,
        })
    }

    /// Swap the decoder (codec change): a fresh jitter buffer; statistics
    /// carry on when the clock rate is unchanged.
    pub fn replace_decoder(
        &mut self,
        decoder: Box<dyn AudioDecoder>,
        jitter: JitterConfig,
        inband_dtmf: bool,
        now: Instant,
    ) -> Result<(), MediaError> {
        let same_clock = decoder.info().clock_rate == self.jitter.decoder().info().clock_rate;
        let mut fresh = Self::new(decoder, jitter, self.out_rate, inband_dtmf, now)?;
        if same_clock {
            fresh.stats = self.stats.clone();
            fresh.lost_before = self.lost_before;
        } else {
            fresh.lost_before = self.lost_total();
        }
        fresh.packets = self.packets;
        fresh.bytes = self.bytes;
        *self = fresh;
        Ok(())
    }

    /// Turn the in-band DTMF detector on (no telephone-event) or off.
    pub fn set_inband_dtmf(&mut self, on: bool) {
        if on != self.inband.is_some() {
            self.inband = on.then(|| InbandDtmfDetector::new(self.jitter.sample_rate()));
        }
    }

    /// Start statistics afresh for a new source, keeping the loss count.
    pub fn new_source(&mut self, now: Instant) {
        self.lost_before = self.lost_total();
        self.stats = ReceptionStats::new(self.jitter.decoder().info().clock_rate, now);
    }

    pub fn lost_total(&self) -> i64 {
        self.lost_before + i64::from(self.stats.cumulative_lost())
    }

    /// A voice packet of the locked source.
    pub fn on_audio(&mut self, packet: &RtpPacket<'_>, len: usize, now: Instant) -> PushOutcome {
        self.stats
            .update(packet.header.sequence, packet.header.timestamp, now);
        self.packets += 1;
        self.bytes += len as u64;
        self.jitter.push(packet, now)
    }

    /// A telephone-event packet: it shares the sequence space but not the
    /// clock behaviour, so it only counts for loss.
    pub fn on_event(&mut self, seq: u16, len: usize) {
        self.stats.update_sequence(seq);
        self.packets += 1;
        self.bytes += len as u64;
    }

    /// Fill `out` at the device rate from the jitter buffer, popping one
    /// jitter-buffer frame per frame period. `digit` receives in-band DTMF
    /// heard in the audio.
    pub fn pull(&mut self, now: Instant, out: &mut [i16], mut digit: impl FnMut(DtmfDigit)) {
        while self.fifo.len() < out.len() {
            let frame = self.jitter.pop(now);
            let kind = frame.kind;
            if let Some(det) = self.inband.as_mut() {
                if kind != FrameKind::Empty {
                    if let Some(d) = det.process(frame.samples) {
                        digit(d);
                    }
                }
            }
            match self.resampler.as_mut() {
                None => self.fifo.extend_from_slice(frame.samples),
                Some(rs) => {
                    let need = rs.max_output_len(frame.samples.len());
                    if self.scratch.len() < need {
                        self.scratch.resize(need, 0);
                    }
                    match rs.process(frame.samples, &mut self.scratch) {
                        Ok(n) => self.fifo.extend_from_slice(&self.scratch[..n]),
                        Err(e) => {
                            tracing::warn!(error = %e, "playout resampling failed");
                            break;
                        }
                    }
                }
            }
        }
        let n = out.len().min(self.fifo.len());
        out[..n].copy_from_slice(&self.fifo[..n]);
        out[n..].fill(0);
        self.fifo.drain(..n);
    }

    /// Discard pending playout (receiving turned off).
    pub fn clear_playout(&mut self) {
        self.fifo.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_switches_only_after_quiet_and_persistence() {
        let t0 = Instant::now();
        let ms = |m| t0 + Duration::from_millis(m);
        let mut l = SourceLock::default();
        assert_eq!(l.check(1, t0), SourceCheck::Accepted);
        // an interleaved stranger never wins while 1 keeps talking
        for i in 0..20 {
            assert_eq!(l.check(2, ms(i * 20 + 10)), SourceCheck::Foreign);
            assert_eq!(l.check(1, ms(i * 20 + 20)), SourceCheck::Accepted);
        }
        // 1 stops; 2 takes over on its third packet after the quiet period
        assert_eq!(l.check(2, ms(500)), SourceCheck::Foreign);
        assert_eq!(l.check(2, ms(520)), SourceCheck::Foreign);
        assert_eq!(l.check(2, ms(640)), SourceCheck::Switched);
        assert_eq!(l.ssrc, Some(2));
        assert_eq!(l.check(1, ms(660)), SourceCheck::Foreign);
        l.reset();
        assert_eq!(l.check(1, ms(700)), SourceCheck::Accepted);
    }
}
