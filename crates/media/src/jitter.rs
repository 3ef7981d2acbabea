//! Adaptive jitter buffer, sans-io: `push(packet, arrival)` as packets come,
//! `pop(now)` every frame (20 ms) for the next frame of decoded audio.
//!
//! - Packets are kept in a fixed ring indexed by extended sequence number, so
//!   reordering costs nothing and duplicates and late arrivals are recognised.
//! - Playout follows the RTP timestamps: a timestamp gap with consecutive
//!   sequence numbers is a transmission pause (DTX, VAD) filled with comfort
//!   noise; a sequence gap is loss, recovered with Opus FEC from the next
//!   packet when possible and concealed by the decoder otherwise.
//! - When the buffer runs dry the decoder's concealment stretches the audio
//!   *without* skipping the missing timestamps (as WebRTC's NetEq does), so a
//!   delay spike raises the playout delay instead of losing packets.
//! - The target delay is the 95th percentile of recent packet delay relative
//!   to the fastest packet, between 20 and 200 ms. When the buffer holds more
//!   than the target the excess is removed: whole frames of silence are
//!   dropped, or one pitch period of speech is cut with a cross-fade
//!   (time-scale compression). The target rises at once and falls slowly.
//!
//! Everything is sized at construction; `push` and `pop` never allocate.

use std::time::{Duration, Instant};

use crate::codec::{AudioDecoder, MAX_FRAME_SAMPLES, MAX_PAYLOAD};
use crate::rtp::{RtpPacket, SeqUnwrapper, TimestampUnwrapper};

/// Number of relative delays kept for the percentile (about 2.5 s at 20 ms).
const DELAY_WINDOW: usize = 128;
/// Packets over which the fastest transit is the reference (about 1 s):
/// short enough that sender/receiver clock drift does not look like jitter.
const BASE_WINDOW: usize = 50;
/// Pops between adaptation decisions (0.5 s at 20 ms).
const ADAPT_EVERY: u32 = 25;
/// Silence above this RMS is treated as speech by the compressor.
const SILENCE_RMS: f64 = 200.0;
/// A timestamp gap longer than this is a resync, not a pause to fill.
const MAX_FILL_GAP: Duration = Duration::from_secs(3);
/// After this long without packets, rebuffer as for a new stream.
const IDLE_AFTER: Duration = Duration::from_secs(1);

/// Jitter buffer configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JitterConfig {
    /// Lowest target delay.
    pub min_delay: Duration,
    /// Highest target delay.
    pub max_delay: Duration,
    /// Delay to buffer before the first frame plays.
    pub initial_delay: Duration,
    /// Playout frame length (the `pop` cadence).
    pub frame: Duration,
    /// Packet slots (a power of two is not required).
    pub capacity: usize,
}

impl Default for JitterConfig {
    fn default() -> Self {
        Self {
            min_delay: Duration::from_millis(20),
            max_delay: Duration::from_millis(200),
            initial_delay: Duration::from_millis(40),
            frame: Duration::from_millis(20),
            capacity: 64,
        }
    }
}

/// What a popped frame contains.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum FrameKind {
    /// Decoded from received packets.
    Normal,
    /// Comfort noise or silence for a transmission pause.
    ComfortNoise,
    /// Nothing to play yet (buffering or idle): silence.
    Empty,
    /// Stretched by concealment while waiting for a late packet.
    Expanded,
    /// Rebuilt from the next packet's in-band FEC.
    Fec,
    /// Concealed by the decoder for a lost packet.
    Concealed,
}

/// A frame of decoded audio at the codec's sample rate.
#[derive(Debug)]
pub struct Frame<'a> {
    /// Exactly one frame of samples.
    pub samples: &'a [i16],
    /// The most degraded source that went into it.
    pub kind: FrameKind,
}

/// What `push` did with a packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PushOutcome {
    /// Stored for playout.
    Accepted,
    /// Already stored or played.
    Duplicate,
    /// Arrived after its playout time.
    Late,
    /// Empty or larger than any codec frame.
    Invalid,
    /// A new SSRC or a jump too far to bridge: playout restarted.
    Reset,
}

/// Counters and levels for the quality graphs.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct JitterStats {
    /// Packets accepted.
    pub received: u64,
    /// Packets decoded for playout.
    pub played: u64,
    /// Packets that arrived after their playout time.
    pub late: u64,
    /// Packets missing at playout time (network loss plus late).
    pub lost: u64,
    /// Frames concealed for lost packets.
    pub concealed: u64,
    /// Frames recovered with FEC.
    pub fec_recovered: u64,
    /// Duplicate packets dropped.
    pub duplicates: u64,
    /// Invalid packets dropped.
    pub invalid: u64,
    /// Frames of comfort noise played for transmission pauses.
    pub comfort_noise: u64,
    /// Frames stretched while the buffer was empty.
    pub expanded: u64,
    /// Samples removed to bring the delay down.
    pub compressed_samples: u64,
    /// Playout restarts (new SSRC, big jumps, idle).
    pub resets: u64,
    /// Audio currently buffered, ms.
    pub depth_ms: f64,
    /// Current target delay, ms.
    pub target_ms: f64,
}

#[derive(Debug, Clone)]
struct Slot {
    seq: u64,
    ts: i64,
    len: usize,
    used: bool,
    data: Box<[u8]>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Waiting for packets; `since` is the first arrival.
    Buffering {
        since: Option<Instant>,
    },
    Playing,
}

/// The adaptive jitter buffer; owns the decoder so it can decode, conceal
/// and recover at the right moments.
pub struct JitterBuffer {
    cfg: JitterConfig,
    decoder: Box<dyn AudioDecoder>,
    sample_rate: u32,
    clock_rate: u32,
    frame_samples: usize,
    frame_ticks: i64,

    slots: Vec<Slot>,
    count: usize,
    seq: SeqUnwrapper,
    ts: TimestampUnwrapper,
    ssrc: Option<u32>,
    state: State,
    next_seq: u64,
    next_ts: i64,
    /// Bit i set: sequence `next_seq - 1 - i` was played.
    played_mask: u64,
    /// Ticks of audio stretched during the current underrun.
    underrun_ticks: i64,

    pcm: Vec<i16>,
    pcm_len: usize,
    out: Vec<i16>,

    epoch: Option<Instant>,
    transit: [f64; BASE_WINDOW],
    transit_len: usize,
    transit_pos: usize,
    rel: [f64; DELAY_WINDOW],
    rel_len: usize,
    rel_pos: usize,
    scratch: [f64; DELAY_WINDOW],
    target_ms: f64,
    pops: u32,
    window_min_depth: f64,
    drop_budget: usize,

    stats: JitterStats,
}

impl std::fmt::Debug for JitterBuffer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JitterBuffer")
            .field("state", &self.state)
            .field("count", &self.count)
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

impl JitterBuffer {
    /// A buffer feeding `decoder`, framing playout per `cfg.frame`.
    pub fn new(decoder: Box<dyn AudioDecoder>, cfg: JitterConfig) -> Self {
        let info = decoder.info().clone();
        let frame_samples =
            (u128::from(info.sample_rate) * cfg.frame.as_nanos() / 1_000_000_000) as usize;
        let frame_ticks =
            (u128::from(info.clock_rate) * cfg.frame.as_nanos() / 1_000_000_000) as i64;
        let capacity = cfg.capacity.max(4);
        let slots = (0..capacity)
            .map(|_| Slot {
                seq: 0,
                ts: 0,
                len: 0,
                used: false,
                data: vec![0u8; MAX_PAYLOAD].into_boxed_slice(),
            })
            .collect();
        let target_ms = ms(cfg.initial_delay).clamp(ms(cfg.min_delay), ms(cfg.max_delay));
        Self {
            cfg,
            decoder,
            sample_rate: info.sample_rate,
            clock_rate: info.clock_rate,
            frame_samples,
            frame_ticks,
            slots,
            count: 0,
            seq: SeqUnwrapper::new(),
            ts: TimestampUnwrapper::new(),
            ssrc: None,
            state: State::Buffering { since: None },
            next_seq: 0,
            next_ts: 0,
            played_mask: 0,
            underrun_ticks: 0,
            // room for leftovers, one maximal packet and a compression look-ahead
            pcm: vec![0; 4 * frame_samples + MAX_FRAME_SAMPLES],
            pcm_len: 0,
            out: vec![0; frame_samples],
            epoch: None,
            transit: [0.0; BASE_WINDOW],
            transit_len: 0,
            transit_pos: 0,
            rel: [0.0; DELAY_WINDOW],
            rel_len: 0,
            rel_pos: 0,
            scratch: [0.0; DELAY_WINDOW],
            target_ms,
            pops: 0,
            window_min_depth: f64::MAX,
            drop_budget: 0,
            stats: JitterStats::default(),
        }
    }

    /// Samples per popped frame.
    pub fn frame_samples(&self) -> usize {
        self.frame_samples
    }

    /// Sample rate of popped frames.
    pub fn sample_rate(&self) -> u32 {
        self.sample_rate
    }

    /// The decoder (e.g. to read its codec info).
    pub fn decoder(&self) -> &dyn AudioDecoder {
        self.decoder.as_ref()
    }

    /// Counters, depth and target.
    pub fn stats(&self) -> JitterStats {
        let mut s = self.stats;
        s.depth_ms = self.depth_ms();
        s.target_ms = self.target_ms;
        s
    }

    /// Audio buffered ahead of playout, in ms.
    pub fn depth_ms(&self) -> f64 {
        let mut samples = self.pcm_len as f64;
        if self.state == State::Playing {
            if let Some(end) = self.newest_end() {
                samples += (self.ticks_to_samples(end - self.next_ts)).max(0) as f64;
            }
        } else if let Some(end) = self.newest_end() {
            if let Some(start) = self.oldest_ts() {
                samples += self.ticks_to_samples(end - start).max(0) as f64;
            }
        }
        samples * 1000.0 / f64::from(self.sample_rate)
    }

    fn ticks_to_samples(&self, ticks: i64) -> i64 {
        ticks * i64::from(self.sample_rate) / i64::from(self.clock_rate)
    }

    fn samples_to_ticks(&self, samples: usize) -> i64 {
        samples as i64 * i64::from(self.clock_rate) / i64::from(self.sample_rate)
    }

    fn newest_end(&self) -> Option<i64> {
        self.slots
            .iter()
            .filter(|s| s.used)
            .map(|s| s.ts + self.packet_ticks(s))
            .max()
    }

    fn oldest_ts(&self) -> Option<i64> {
        self.slots.iter().filter(|s| s.used).map(|s| s.ts).min()
    }

    fn packet_ticks(&self, s: &Slot) -> i64 {
        let n = self
            .decoder
            .samples_in(&s.data[..s.len])
            .filter(|n| *n > 0)
            .unwrap_or(self.frame_samples);
        self.samples_to_ticks(n)
    }

    fn slot_index(&self, seq: u64) -> usize {
        (seq % self.slots.len() as u64) as usize
    }

    fn clear_slots(&mut self) {
        for s in &mut self.slots {
            s.used = false;
        }
        self.count = 0;
    }

    /// Drop everything and start over (new call leg or explicit reset).
    pub fn reset(&mut self) {
        self.clear_slots();
        self.seq.reset();
        self.ts.reset();
        self.ssrc = None;
        self.restart_playout();
        self.decoder.reset();
        self.epoch = None;
        self.transit_len = 0;
        self.transit_pos = 0;
        self.rel_len = 0;
        self.rel_pos = 0;
    }

    fn restart_playout(&mut self) {
        self.state = State::Buffering { since: None };
        self.pcm_len = 0;
        self.played_mask = 0;
        self.underrun_ticks = 0;
        self.drop_budget = 0;
    }

    /// Store a received packet.
    pub fn push(&mut self, packet: &RtpPacket<'_>, arrival: Instant) -> PushOutcome {
        let payload = packet.payload;
        if payload.is_empty() || payload.len() > MAX_PAYLOAD {
            self.stats.invalid += 1;
            return PushOutcome::Invalid;
        }
        let mut outcome = PushOutcome::Accepted;
        if self.ssrc.is_some_and(|s| s != packet.header.ssrc) {
            tracing::debug!(old = ?self.ssrc, new = packet.header.ssrc, "jitter buffer: SSRC changed");
            self.reset();
            self.stats.resets += 1;
            outcome = PushOutcome::Reset;
        }
        self.ssrc = Some(packet.header.ssrc);
        let seq = self.seq.unwrap(packet.header.sequence);
        let ts = self.ts.unwrap(packet.header.timestamp);

        if self.state == State::Playing {
            if seq < self.next_seq {
                let back = self.next_seq - 1 - seq;
                if back < 64 && self.played_mask & (1 << back) != 0 {
                    self.stats.duplicates += 1;
                    return PushOutcome::Duplicate;
                }
                self.stats.late += 1;
                return PushOutcome::Late;
            }
            if seq >= self.next_seq + self.slots.len() as u64 {
                // too far ahead to bridge: the sender jumped; start over from here
                tracing::debug!(
                    seq,
                    next = self.next_seq,
                    "jitter buffer: sequence jump, restarting"
                );
                self.clear_slots();
                self.restart_playout();
                self.stats.resets += 1;
                outcome = PushOutcome::Reset;
            }
        }

        let idx = self.slot_index(seq);
        let slot = &mut self.slots[idx];
        if slot.used {
            if slot.seq == seq {
                self.stats.duplicates += 1;
                return PushOutcome::Duplicate;
            }
            // an old packet never played (only possible while buffering): replace it
            self.count -= 1;
        }
        slot.seq = seq;
        slot.ts = ts;
        slot.len = payload.len();
        slot.used = true;
        slot.data[..payload.len()].copy_from_slice(payload);
        self.count += 1;
        self.stats.received += 1;

        if let State::Buffering { since: None } = self.state {
            self.state = State::Buffering {
                since: Some(arrival),
            };
        }
        self.record_delay(ts, arrival);
        outcome
    }

    fn record_delay(&mut self, ts: i64, arrival: Instant) {
        let epoch = *self.epoch.get_or_insert(arrival);
        let arrival_ms = arrival.saturating_duration_since(epoch).as_secs_f64() * 1000.0;
        let ts_ms = ts as f64 * 1000.0 / f64::from(self.clock_rate);
        let transit = arrival_ms - ts_ms;
        self.transit[self.transit_pos] = transit;
        self.transit_pos = (self.transit_pos + 1) % BASE_WINDOW;
        self.transit_len = (self.transit_len + 1).min(BASE_WINDOW);
        let base = self.transit[..self.transit_len]
            .iter()
            .copied()
            .fold(f64::MAX, f64::min);
        self.rel[self.rel_pos] = transit - base;
        self.rel_pos = (self.rel_pos + 1) % DELAY_WINDOW;
        self.rel_len = (self.rel_len + 1).min(DELAY_WINDOW);
    }

    /// 95th percentile of delay relative to the fastest recent packet, ms.
    fn delay_percentile(&mut self) -> f64 {
        let n = self.rel_len;
        if n < 2 {
            return 0.0;
        }
        self.scratch[..n].copy_from_slice(&self.rel[..n]);
        let k = ((n as f64 * 0.95) as usize).min(n - 1);
        let (_, v, _) = self.scratch[..n].select_nth_unstable_by(k, |a, b| a.total_cmp(b));
        *v
    }

    fn adapt(&mut self) {
        let frame_ms = ms(self.cfg.frame);
        let wanted = (self.delay_percentile() + frame_ms / 2.0)
            .clamp(ms(self.cfg.min_delay), ms(self.cfg.max_delay));
        if wanted > self.target_ms {
            self.target_ms = wanted;
        } else {
            // fall slowly: a tenth of the difference per half second
            self.target_ms -= (self.target_ms - wanted) * 0.1;
        }
        // remove excess that persisted through the whole window
        let excess = self.window_min_depth - self.target_ms;
        if excess > frame_ms / 2.0 && self.window_min_depth < f64::MAX {
            let drop_ms = excess - frame_ms / 4.0;
            self.drop_budget = (drop_ms * f64::from(self.sample_rate) / 1000.0) as usize;
        } else {
            self.drop_budget = 0;
        }
        self.window_min_depth = f64::MAX;
    }

    fn find_slot(&self, seq: u64) -> Option<usize> {
        let i = self.slot_index(seq);
        (self.slots[i].used && self.slots[i].seq == seq).then_some(i)
    }

    /// The earliest buffered packet after `next_seq`.
    fn earliest_after(&self) -> Option<usize> {
        (self.next_seq + 1..self.next_seq + self.slots.len() as u64).find_map(|s| self.find_slot(s))
    }

    fn take_slot(&mut self, i: usize) {
        self.slots[i].used = false;
        self.count -= 1;
    }

    /// Add audio to the PCM queue; returns the kind, or `None` if nothing
    /// could be produced (not playing).
    fn fill_once(&mut self) -> Option<FrameKind> {
        let start = self.pcm_len;
        let room = self.pcm.len() - start;
        if let Some(i) = self.find_slot(self.next_seq) {
            let (ts, len) = (self.slots[i].ts, self.slots[i].len);
            let gap = ts - self.next_ts - self.underrun_ticks;
            self.underrun_ticks = 0;
            let max_gap = (MAX_FILL_GAP.as_secs_f64() * f64::from(self.clock_rate)) as i64;
            if gap > 0 && gap <= max_gap {
                // a pause in transmission: fill it, or skip it if we are behind
                let n = (self.ticks_to_samples(gap) as usize)
                    .min(self.frame_samples)
                    .min(room);
                let ticks = self.samples_to_ticks(n).max(1);
                if self.drop_budget >= n {
                    self.drop_budget -= n;
                    self.stats.compressed_samples += n as u64;
                    self.next_ts += ticks;
                    return Some(FrameKind::ComfortNoise);
                }
                self.decoder.comfort_noise(&mut self.pcm[start..start + n]);
                self.pcm_len += n;
                self.next_ts += ticks;
                self.stats.comfort_noise += 1;
                return Some(FrameKind::ComfortNoise);
            }
            let n = self
                .decoder
                .samples_in(&self.slots[i].data[..len])
                .unwrap_or(self.frame_samples);
            let kind = if n <= room {
                match self
                    .decoder
                    .decode(&self.slots[i].data[..len], &mut self.pcm[start..])
                {
                    Ok(m) => {
                        self.pcm_len += m;
                        self.next_ts = ts + self.samples_to_ticks(m);
                        self.stats.played += 1;
                        FrameKind::Normal
                    }
                    Err(e) => {
                        tracing::debug!(error = %e, "jitter buffer: undecodable payload, concealing");
                        self.conceal_into(start, self.frame_samples.min(room));
                        self.next_ts = ts + self.frame_ticks;
                        FrameKind::Concealed
                    }
                }
            } else {
                self.conceal_into(start, self.frame_samples.min(room));
                self.next_ts = ts + self.frame_ticks;
                FrameKind::Concealed
            };
            self.take_slot(i);
            self.next_seq += 1;
            self.played_mask = (self.played_mask << 1) | u64::from(kind == FrameKind::Normal);
            return Some(kind);
        }

        if self.count == 0 {
            // dry: stretch with concealment, keep the timestamp so a late packet still plays
            let n = self.frame_samples.min(room);
            self.decoder.conceal(&mut self.pcm[start..start + n]);
            self.pcm_len += n;
            self.underrun_ticks += self.samples_to_ticks(n);
            self.stats.expanded += 1;
            let idle = (IDLE_AFTER.as_secs_f64() * f64::from(self.clock_rate)) as i64;
            if self.underrun_ticks > idle {
                tracing::debug!("jitter buffer: idle, rebuffering");
                self.restart_playout();
                self.stats.resets += 1;
            }
            return Some(FrameKind::Expanded);
        }

        // next_seq is missing but later packets are here: it is lost (or too late)
        let i = self.earliest_after()?;
        let (seq, ts, len) = (self.slots[i].seq, self.slots[i].ts, self.slots[i].len);
        let gap = ts - self.next_ts - self.underrun_ticks;
        self.underrun_ticks = 0;
        let gap_samples = self.ticks_to_samples(gap);
        if gap_samples <= 0 {
            // the missing packets carried no time (or timestamps overlap): skip them
            self.skip_to(seq);
            return self.fill_once();
        }
        let gap_samples = gap_samples as usize;
        if gap_samples > self.frame_samples {
            // several frames missing: conceal one now, recover the last one later
            let n = self.frame_samples.min(room);
            self.conceal_into(start, n);
            self.next_ts += self.samples_to_ticks(n);
            return Some(FrameKind::Concealed);
        }
        let n = gap_samples.min(room);
        let kind = if self.decoder.supports_fec() {
            match self
                .decoder
                .decode_fec(&self.slots[i].data[..len], &mut self.pcm[start..start + n])
            {
                Ok(_) => {
                    self.stats.fec_recovered += 1;
                    FrameKind::Fec
                }
                Err(_) => {
                    self.decoder.conceal(&mut self.pcm[start..start + n]);
                    self.stats.concealed += 1;
                    FrameKind::Concealed
                }
            }
        } else {
            self.decoder.conceal(&mut self.pcm[start..start + n]);
            self.stats.concealed += 1;
            FrameKind::Concealed
        };
        self.pcm_len += n;
        self.next_ts = ts;
        self.skip_to(seq);
        Some(kind)
    }

    fn conceal_into(&mut self, start: usize, n: usize) {
        self.decoder.conceal(&mut self.pcm[start..start + n]);
        self.pcm_len += n;
        self.stats.concealed += 1;
    }

    fn skip_to(&mut self, seq: u64) {
        let skipped = seq - self.next_seq;
        self.stats.lost += skipped;
        self.played_mask = if skipped >= 64 {
            0
        } else {
            self.played_mask << skipped
        };
        self.next_seq = seq;
    }

    fn try_start(&mut self, now: Instant) -> bool {
        let State::Buffering { since: Some(since) } = self.state else {
            return false;
        };
        let waited = now.saturating_duration_since(since);
        if ms(waited) + 1e-9 < self.target_ms && self.depth_ms() + 1e-9 < self.target_ms {
            return false;
        }
        let Some((seq, ts)) = self
            .slots
            .iter()
            .filter(|s| s.used)
            .map(|s| (s.seq, s.ts))
            .min()
        else {
            return false;
        };
        self.next_seq = seq;
        self.next_ts = ts;
        self.pcm_len = 0;
        self.played_mask = 0;
        self.underrun_ticks = 0;
        self.state = State::Playing;
        true
    }

    /// Remove excess delay from the PCM queue: drop silence outright, or cut
    /// one pitch period of speech with a cross-fade.
    fn compress(&mut self) {
        let frame = self.frame_samples;
        // look ahead one more frame if the next packet is here
        while self.pcm_len < 2 * frame && self.find_slot(self.next_seq).is_some() {
            if self.fill_once().is_none() {
                break;
            }
        }
        if self.pcm_len <= frame {
            return;
        }
        let spare = self.pcm_len - frame;
        let head = &self.pcm[..frame];
        let rms = (head.iter().map(|s| f64::from(*s).powi(2)).sum::<f64>() / frame as f64).sqrt();
        if rms < SILENCE_RMS {
            let n = self.drop_budget.min(spare).min(frame);
            self.pcm.copy_within(n..self.pcm_len, 0);
            self.pcm_len -= n;
            self.drop_budget -= n;
            self.stats.compressed_samples += n as u64;
            return;
        }
        let min_p = (self.sample_rate as usize * 25 / 10_000).max(2); // 2.5 ms
        let max_p = (self.sample_rate as usize * 15 / 1000)
            .min(spare)
            .min(self.pcm_len / 2);
        if max_p < min_p {
            return;
        }
        let step = (self.sample_rate / 8000).max(1) as usize;
        let (mut best_p, mut best_c) = (0, 0.0f64);
        let mut p = min_p;
        while p <= max_p {
            let (mut xy, mut xx, mut yy) = (0.0f64, 1.0f64, 1.0f64);
            let mut i = 0;
            while i < p {
                let x = f64::from(self.pcm[i]);
                let y = f64::from(self.pcm[i + p]);
                xy += x * y;
                xx += x * x;
                yy += y * y;
                i += step;
            }
            let c = xy / (xx * yy).sqrt();
            if c > best_c {
                best_c = c;
                best_p = p;
            }
            p += step;
        }
        if best_c < 0.5 || best_p > self.drop_budget.max(min_p) {
            return;
        }
        let p = best_p;
        for i in 0..p {
            let w = (i as f64 + 0.5) / p as f64;
            let a = f64::from(self.pcm[i]);
            let b = f64::from(self.pcm[i + p]);
            self.pcm[i] = (a * (1.0 - w) + b * w) as i16;
        }
        self.pcm.copy_within(2 * p..self.pcm_len, p);
        self.pcm_len -= p;
        self.drop_budget = self.drop_budget.saturating_sub(p);
        self.stats.compressed_samples += p as u64;
    }

    /// The next frame of audio; call once per frame period.
    pub fn pop(&mut self, now: Instant) -> Frame<'_> {
        if self.state != State::Playing && !self.try_start(now) {
            self.out.fill(0);
            return Frame {
                samples: &self.out,
                kind: FrameKind::Empty,
            };
        }
        let mut kind = FrameKind::Normal;
        while self.pcm_len < self.frame_samples {
            match self.fill_once() {
                Some(k) => kind = kind.max(k),
                None => break,
            }
            if self.state != State::Playing {
                break;
            }
        }
        if self.drop_budget > 0 && self.state == State::Playing {
            self.compress();
        }
        let n = self.frame_samples.min(self.pcm_len);
        self.out[..n].copy_from_slice(&self.pcm[..n]);
        self.out[n..].fill(0);
        self.pcm.copy_within(n..self.pcm_len, 0);
        self.pcm_len -= n;
        if self.state != State::Playing && n == 0 {
            kind = FrameKind::Empty;
        }

        self.window_min_depth = self.window_min_depth.min(self.depth_ms());
        self.pops += 1;
        if self.pops % ADAPT_EVERY == 0 {
            self.adapt();
        }
        Frame {
            samples: &self.out,
            kind,
        }
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::{AudioEncoder, CodecParams, CodecRegistry};
    use crate::rtp::RtpHeader;

    const F: Duration = Duration::from_millis(20);

    struct Sender {
        enc: Box<dyn AudioEncoder>,
        seq: u16,
        ts: u32,
        ssrc: u32,
        phase: usize,
        buf: Vec<u8>,
    }

    impl Sender {
        fn new(codec: &str) -> (Self, Box<dyn AudioDecoder>) {
            let (enc, dec) = CodecRegistry::default()
                .create(codec, &CodecParams::new(96))
                .unwrap();
            (
                Self {
                    enc,
                    seq: 65530,
                    ts: u32::MAX - 1000,
                    ssrc: 42,
                    phase: 0,
                    buf: vec![0; 1500],
                },
                dec,
            )
        }

        /// Next packet of a 440 Hz tone (or silence); `None` when DTX suppressed it.
        fn next(&mut self, silent: bool) -> Option<Vec<u8>> {
            let info = self.enc.info().clone();
            let n = info.frame_samples();
            let pcm: Vec<i16> = (0..n)
                .map(|i| {
                    if silent {
                        0
                    } else {
                        let t = (self.phase + i) as f64 / f64::from(info.sample_rate);
                        ((2.0 * std::f64::consts::PI * 440.0 * t).sin() * 8000.0) as i16
                    }
                })
                .collect();
            self.phase += n;
            let len = self.enc.encode(&pcm, &mut self.buf).unwrap();
            let ts = self.ts;
            self.ts = self.ts.wrapping_add(info.frame_ticks());
            if len == 0 {
                return None;
            }
            let h = RtpHeader::new(96, self.seq, ts, self.ssrc);
            self.seq = self.seq.wrapping_add(1);
            let mut out = vec![0u8; 12 + len];
            h.write(None, &self.buf[..len], &mut out).unwrap();
            Some(out)
        }
    }

    fn push(jb: &mut JitterBuffer, bytes: &[u8], at: Instant) -> PushOutcome {
        jb.push(&RtpPacket::parse(bytes).unwrap(), at)
    }

    #[test]
    fn in_order_stream_plays_normally_at_minimum_delay() {
        let (mut tx, dec) = Sender::new("PCMU");
        let mut jb = JitterBuffer::new(dec, JitterConfig::default());
        let t0 = Instant::now();
        let mut kinds = Vec::new();
        for i in 0..200u32 {
            let now = t0 + F * i;
            let p = tx.next(false).unwrap();
            assert_eq!(push(&mut jb, &p, now), PushOutcome::Accepted);
            kinds.push(jb.pop(now + Duration::from_millis(5)).kind);
        }
        assert_eq!(kinds[0], FrameKind::Empty);
        assert!(
            kinds[3..].iter().all(|k| *k == FrameKind::Normal),
            "{kinds:?}"
        );
        let s = jb.stats();
        assert_eq!((s.lost, s.late, s.concealed, s.duplicates), (0, 0, 0, 0));
        // started at 40 ms, falling a tenth of the way per half second
        assert!(s.target_ms <= 31.0, "target {}", s.target_ms);
        assert!(s.depth_ms <= 40.0, "depth {}", s.depth_ms);
    }

    #[test]
    fn reorders_and_drops_duplicates() {
        let (mut tx, dec) = Sender::new("PCMU");
        let mut jb = JitterBuffer::new(dec, JitterConfig::default());
        let t0 = Instant::now();
        let pkts: Vec<_> = (0..100).map(|_| tx.next(false).unwrap()).collect();
        let mut order: Vec<usize> = (0..100).collect();
        for k in (10..90).step_by(7) {
            order.swap(k, k + 1);
        }
        for (i, &k) in order.iter().enumerate() {
            let now = t0 + F * i as u32;
            push(&mut jb, &pkts[k], now);
            if i % 10 == 0 {
                assert_eq!(push(&mut jb, &pkts[k], now), PushOutcome::Duplicate);
            }
            let kind = jb.pop(now + Duration::from_millis(10)).kind;
            if i > 5 {
                assert_eq!(kind, FrameKind::Normal, "frame {i}");
            }
        }
        let s = jb.stats();
        assert_eq!(s.duplicates, 10);
        assert_eq!((s.lost, s.late, s.concealed), (0, 0, 0));
        // a packet replayed after it was played is a duplicate too
        assert_eq!(
            push(&mut jb, &pkts[95], t0 + F * 101),
            PushOutcome::Duplicate
        );
    }

    #[test]
    fn loss_is_concealed_and_late_packets_counted() {
        let (mut tx, dec) = Sender::new("PCMA");
        let mut jb = JitterBuffer::new(dec, JitterConfig::default());
        let t0 = Instant::now();
        let pkts: Vec<_> = (0..100).map(|_| tx.next(false).unwrap()).collect();
        let mut kinds = Vec::new();
        for (i, p) in pkts.iter().enumerate() {
            let now = t0 + F * i as u32;
            if i % 10 != 5 {
                push(&mut jb, p, now);
            }
            kinds.push(jb.pop(now + Duration::from_millis(1)).kind);
        }
        let s = jb.stats();
        assert_eq!(s.lost, 10, "{s:?}");
        assert_eq!(s.concealed, 10);
        assert_eq!(
            kinds.iter().filter(|k| **k == FrameKind::Concealed).count(),
            10
        );
        // the missing packet turns up after its slot was concealed
        assert_eq!(push(&mut jb, &pkts[15], t0 + F * 100), PushOutcome::Late);
        assert_eq!(jb.stats().late, 1);
    }

    #[test]
    fn opus_uses_fec_from_next_packet() {
        let (mut tx, dec) = Sender::new("opus");
        let mut jb = JitterBuffer::new(dec, JitterConfig::default());
        let t0 = Instant::now();
        let mut fec = 0;
        for i in 0..100u32 {
            let p = tx.next(false).unwrap();
            let now = t0 + F * i;
            if i % 10 != 5 {
                push(&mut jb, &p, now);
            }
            if jb.pop(now + Duration::from_millis(1)).kind == FrameKind::Fec {
                fec += 1;
            }
        }
        let s = jb.stats();
        assert_eq!(fec, 10);
        assert_eq!(s.fec_recovered, 10);
        assert_eq!(s.lost, 10);
        assert_eq!(s.concealed, 0);
    }

    #[test]
    fn delay_spike_expands_instead_of_losing_and_target_adapts() {
        let (mut tx, dec) = Sender::new("PCMU");
        let mut jb = JitterBuffer::new(dec, JitterConfig::default());
        let t0 = Instant::now();
        // four spikes: six packets held back and delivered together (120 ms late)
        let mut held = Vec::new();
        let mut kinds = Vec::new();
        let mut max_target = 0f64;
        for i in 0..700u32 {
            let now = t0 + F * i;
            let p = tx.next(false).unwrap();
            if (100..300).contains(&i) && i % 50 < 6 {
                held.push(p);
            } else {
                for h in held.drain(..) {
                    push(&mut jb, &h, now);
                }
                push(&mut jb, &p, now);
            }
            kinds.push(jb.pop(now + Duration::from_millis(2)).kind);
            max_target = max_target.max(jb.stats().target_ms);
        }
        let s = jb.stats();
        assert!(kinds.contains(&FrameKind::Expanded), "{kinds:?}");
        assert_eq!((s.lost, s.late), (0, 0), "{s:?}");
        // the spikes raised the target at once; afterwards it decayed and the
        // excess delay was cut back
        assert!(max_target > 60.0, "{max_target}");
        assert!(s.target_ms < 40.0 && s.depth_ms < 60.0, "{s:?}");
        assert!(s.compressed_samples > 0, "{s:?}");
    }

    #[test]
    fn random_jitter_grows_target_and_shrinks_it_after() {
        let (mut tx, dec) = Sender::new("PCMU");
        let mut jb = JitterBuffer::new(dec, JitterConfig::default());
        let t0 = Instant::now();
        let mut x = 1u64;
        let mut rnd = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        // packets sent every 20 ms, each delayed 0..80 ms; events sorted by time
        let mut events: Vec<(Duration, Vec<u8>)> = (0..500u32)
            .map(|i| {
                (
                    F * i + Duration::from_millis(rnd() % 80),
                    tx.next(false).unwrap(),
                )
            })
            .collect();
        events.sort_by_key(|e| e.0);
        let mut e = 0;
        for tick in 0..520u32 {
            let now = F * tick + Duration::from_millis(3);
            while e < events.len() && events[e].0 <= now {
                push(&mut jb, &events[e].1, t0 + events[e].0);
                e += 1;
            }
            jb.pop(t0 + now);
        }
        let s = jb.stats();
        let losses = (s.lost as f64) / 500.0;
        assert!(s.target_ms > 60.0 && s.target_ms <= 200.0, "{s:?}");
        assert!(losses < 0.05, "{s:?}");
        // then, after a 400 ms pause, a clean network: target and depth come down, slowly
        tx.ts = tx.ts.wrapping_add(20 * 160);
        let mut prev = s.target_ms;
        for tick in 520..1300u32 {
            let p = tx.next(false).unwrap();
            push(&mut jb, &p, t0 + F * tick);
            jb.pop(t0 + F * tick + Duration::from_millis(3));
            if tick % 25 == 0 {
                let t = jb.stats().target_ms;
                assert!(
                    t <= prev + 1e-9 && prev - t < 20.0,
                    "too fast: {prev} -> {t}"
                );
                prev = t;
            }
        }
        let s = jb.stats();
        assert!(s.target_ms < 30.0, "{s:?}");
        assert!(s.depth_ms < 60.0, "{s:?}");
    }

    #[test]
    fn dtx_pause_is_comfort_noise_not_loss() {
        let (mut tx, dec) = Sender::new("opus");
        let mut jb = JitterBuffer::new(dec, JitterConfig::default());
        let t0 = Instant::now();
        let mut suppressed = 0;
        for i in 0..300u32 {
            let silent = (100..200).contains(&i);
            let now = t0 + F * i;
            match tx.next(silent) {
                Some(p) => {
                    push(&mut jb, &p, now);
                }
                None => suppressed += 1,
            }
            jb.pop(now + Duration::from_millis(2));
        }
        let s = jb.stats();
        assert!(suppressed > 50);
        assert_eq!((s.lost, s.late, s.concealed), (0, 0, 0), "{s:?}");
        assert!(
            s.comfort_noise + s.expanded >= suppressed as u64 - 5,
            "{s:?}"
        );
        assert!(s.depth_ms < 80.0, "{s:?}");
    }

    #[test]
    fn ssrc_change_and_timestamp_jump_restart_cleanly() {
        let (mut tx, dec) = Sender::new("G722");
        let mut jb = JitterBuffer::new(dec, JitterConfig::default());
        let t0 = Instant::now();
        let mut i = 0u32;
        let mut kinds = Vec::new();
        let step =
            |jb: &mut JitterBuffer, tx: &mut Sender, i: &mut u32, kinds: &mut Vec<FrameKind>| {
                let now = t0 + F * *i;
                let p = tx.next(false).unwrap();
                let r = push(jb, &p, now);
                kinds.push(jb.pop(now + Duration::from_millis(2)).kind);
                *i += 1;
                r
            };
        for _ in 0..50 {
            step(&mut jb, &mut tx, &mut i, &mut kinds);
        }
        tx.ssrc = 7;
        tx.seq = 1000;
        assert_eq!(
            step(&mut jb, &mut tx, &mut i, &mut kinds),
            PushOutcome::Reset
        );
        for _ in 0..50 {
            step(&mut jb, &mut tx, &mut i, &mut kinds);
        }
        // a marker-bit talkspurt 10 minutes later in timestamp terms
        tx.ts = tx.ts.wrapping_add(8000 * 600);
        for _ in 0..50 {
            step(&mut jb, &mut tx, &mut i, &mut kinds);
        }
        let s = jb.stats();
        assert_eq!(s.resets, 1);
        assert_eq!((s.lost, s.late), (0, 0), "{s:?}");
        assert!(
            kinds[140..].iter().all(|k| *k == FrameKind::Normal),
            "{:?}",
            &kinds[100..]
        );
        assert!(s.depth_ms < 60.0);
    }

    #[test]
    fn fast_sender_clock_is_compensated() {
        let (mut tx, dec) = Sender::new("PCMU");
        let mut jb = JitterBuffer::new(dec, JitterConfig::default());
        let t0 = Instant::now();
        // sender clock 1 % fast: a packet every 19.8 ms
        let mut next_send = Duration::ZERO;
        for tick in 0..1500u32 {
            let now = F * tick;
            while next_send <= now {
                push(&mut jb, &tx.next(false).unwrap(), t0 + next_send);
                next_send += Duration::from_micros(19_800);
            }
            jb.pop(t0 + now + Duration::from_millis(1));
        }
        let s = jb.stats();
        assert!(s.depth_ms < 60.0, "{s:?}");
        // 1 % of 30 s at 8 kHz had to go
        assert!(s.compressed_samples > 2000, "{s:?}");
        assert_eq!(s.lost, 0);
    }

    #[test]
    fn garbage_payloads_do_not_panic() {
        let (_, dec) = Sender::new("opus");
        let mut jb = JitterBuffer::new(dec, JitterConfig::default());
        let t0 = Instant::now();
        for i in 0..100u16 {
            let payload: Vec<u8> = (0..(i % 50) + 1)
                .map(|b| (b as u8).wrapping_mul(i as u8))
                .collect();
            let h = RtpHeader::new(96, i, u32::from(i) * 960, 1);
            let mut buf = vec![0u8; 12 + payload.len()];
            h.write(None, &payload, &mut buf).unwrap();
            push(&mut jb, &buf, t0 + F * u32::from(i));
            let f = jb.pop(t0 + F * u32::from(i));
            assert_eq!(f.samples.len(), 960);
        }
        let big = vec![0x80u8; 1600];
        let mut pkt = big.clone();
        pkt[1] = 96;
        assert_eq!(push(&mut jb, &pkt, t0), PushOutcome::Invalid);
    }
}
