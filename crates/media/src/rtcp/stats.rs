//! Reception statistics of RFC 3550 appendix A: sequence validation (A.1),
//! expected/lost/fraction lost (A.3), interarrival jitter (A.8), and RTT from
//! LSR/DLSR (6.4.1).

use std::time::{Duration, Instant};

use super::ntp::{from_ntp_short, to_ntp_short, NtpTime};
use super::packet::ReportBlock;

const MAX_DROPOUT: u16 = 3000;
const MAX_MISORDER: u16 = 100;
const MIN_SEQUENTIAL: u32 = 2;
const RTP_SEQ_MOD: u32 = 1 << 16;

/// What [`ReceptionStats::update`] made of a packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeqUpdate {
    /// Counted; the source is valid.
    Valid,
    /// The source is still on probation (A.1): not yet counted.
    Probation,
    /// A jump too large to be a dropout; the next in-sequence packet resyncs.
    BadSequence,
    /// The source was reset by a large jump confirmed by a second packet.
    Restarted,
}

/// Per-source reception state for receiver reports.
#[derive(Debug, Clone)]
pub struct ReceptionStats {
    clock_rate: u32,
    epoch: Instant,
    max_seq: u16,
    cycles: u32,
    base_seq: u32,
    bad_seq: u32,
    probation: u32,
    received: u32,
    expected_prior: u32,
    received_prior: u32,
    transit: Option<i64>,
    /// Jitter scaled by 16, the integer form of A.8.
    jitter_q4: u64,
    last_sr: Option<(u32, Instant)>,
    started: bool,
}

impl ReceptionStats {
    /// New state for a source whose payload clock runs at `clock_rate`;
    /// `epoch` is any fixed instant used to express arrivals in clock ticks.
    pub fn new(clock_rate: u32, epoch: Instant) -> Self {
        Self {
            clock_rate: clock_rate.max(1),
            epoch,
            max_seq: 0,
            cycles: 0,
            base_seq: 0,
            bad_seq: RTP_SEQ_MOD + 1,
            probation: MIN_SEQUENTIAL,
            received: 0,
            expected_prior: 0,
            received_prior: 0,
            transit: None,
            jitter_q4: 0,
            last_sr: None,
            started: false,
        }
    }

    fn init_seq(&mut self, seq: u16) {
        self.base_seq = u32::from(seq);
        self.max_seq = seq;
        self.bad_seq = RTP_SEQ_MOD + 1;
        self.cycles = 0;
        self.received = 0;
        self.received_prior = 0;
        self.expected_prior = 0;
    }

    /// Account for one received packet (A.1 `update_seq` plus A.8 jitter).
    pub fn update(&mut self, seq: u16, rtp_ts: u32, arrival: Instant) -> SeqUpdate {
        let verdict = self.update_sequence(seq);
        if matches!(verdict, SeqUpdate::Valid | SeqUpdate::Restarted) {
            self.update_jitter(rtp_ts, arrival);
        }
        verdict
    }

    /// Account for a packet in the sequence counts only. For packets whose
    /// timestamp does not follow the media clock (an RFC 4733 event keeps its
    /// start timestamp for every packet), which would otherwise read as jitter.
    pub fn update_sequence(&mut self, seq: u16) -> SeqUpdate {
        if !self.started {
            self.started = true;
            self.init_seq(seq);
            self.max_seq = seq.wrapping_sub(1);
            self.probation = MIN_SEQUENTIAL;
        }
        self.update_seq(seq)
    }

    fn update_seq(&mut self, seq: u16) -> SeqUpdate {
        let udelta = seq.wrapping_sub(self.max_seq);
        if self.probation > 0 {
            if seq == self.max_seq.wrapping_add(1) {
                self.probation -= 1;
                self.max_seq = seq;
                if self.probation == 0 {
                    self.init_seq(seq);
                    self.received += 1;
                    return SeqUpdate::Valid;
                }
            } else {
                self.probation = MIN_SEQUENTIAL - 1;
                self.max_seq = seq;
            }
            return SeqUpdate::Probation;
        } else if udelta < MAX_DROPOUT {
            if seq < self.max_seq {
                self.cycles = self.cycles.wrapping_add(RTP_SEQ_MOD);
            }
            self.max_seq = seq;
        } else if u32::from(udelta) <= RTP_SEQ_MOD - u32::from(MAX_MISORDER) {
            if u32::from(seq) == self.bad_seq {
                // two sequential packets after a jump: the sender restarted
                self.init_seq(seq);
                self.transit = None;
                self.received += 1;
                return SeqUpdate::Restarted;
            }
            self.bad_seq = (u32::from(seq) + 1) & (RTP_SEQ_MOD - 1);
            return SeqUpdate::BadSequence;
        }
        // else: duplicate or reordered packet, counted below
        self.received += 1;
        SeqUpdate::Valid
    }

    fn update_jitter(&mut self, rtp_ts: u32, arrival: Instant) {
        let arrival_ticks = (arrival.saturating_duration_since(self.epoch).as_nanos()
            * u128::from(self.clock_rate)
            / 1_000_000_000) as i64;
        // transit in wrapping 32-bit timestamp space
        let transit = i64::from((arrival_ticks as u32).wrapping_sub(rtp_ts) as i32);
        if let Some(prev) = self.transit {
            let d = (transit - prev).unsigned_abs();
            // J += (|D| - J) / 16, in fixed point: J16 += |D| - J16/16
            self.jitter_q4 = self.jitter_q4 + d - ((self.jitter_q4 + 8) >> 4);
        }
        self.transit = Some(transit);
    }

    /// Extended highest sequence number received.
    pub fn extended_highest(&self) -> u32 {
        self.cycles.wrapping_add(u32::from(self.max_seq))
    }

    /// Packets expected (A.3).
    pub fn expected(&self) -> u32 {
        if self.probation > 0 {
            return 0;
        }
        self.extended_highest()
            .wrapping_sub(self.base_seq)
            .wrapping_add(1)
    }

    /// Packets received and counted (duplicates included, as A.3 intends).
    pub fn received(&self) -> u32 {
        self.received
    }

    /// Cumulative number lost, clamped to the 24-bit signed field.
    pub fn cumulative_lost(&self) -> i32 {
        let lost = i64::from(self.expected()) - i64::from(self.received);
        lost.clamp(-0x80_0000, 0x7F_FFFF) as i32
    }

    /// Loss over the whole session as a fraction 0..=1.
    pub fn loss_ratio(&self) -> f64 {
        let e = self.expected();
        if e == 0 {
            return 0.0;
        }
        (f64::from(self.cumulative_lost().max(0)) / f64::from(e)).min(1.0)
    }

    /// Interarrival jitter in timestamp units.
    pub fn jitter(&self) -> u32 {
        (self.jitter_q4 >> 4).min(u64::from(u32::MAX)) as u32
    }

    /// Interarrival jitter in milliseconds.
    pub fn jitter_ms(&self) -> f64 {
        (self.jitter_q4 as f64 / 16.0) * 1000.0 / f64::from(self.clock_rate)
    }

    /// Record an SR from this source (for LSR/DLSR).
    pub fn on_sender_report(&mut self, ntp: NtpTime, arrival: Instant) {
        self.last_sr = Some((ntp.mid32(), arrival));
    }

    /// Build a report block and start a new interval for fraction lost (A.3).
    pub fn report_block(&mut self, ssrc: u32, now: Instant) -> ReportBlock {
        let expected = self.expected();
        let expected_interval = expected.wrapping_sub(self.expected_prior);
        self.expected_prior = expected;
        let received_interval = self.received.wrapping_sub(self.received_prior);
        self.received_prior = self.received;
        let lost_interval = i64::from(expected_interval) - i64::from(received_interval);
        let fraction_lost = if expected_interval == 0 || lost_interval <= 0 {
            0
        } else {
            ((lost_interval << 8) / i64::from(expected_interval)).min(255) as u8
        };
        let (last_sr, delay_since_last_sr) = match self.last_sr {
            Some((lsr, at)) => (lsr, to_ntp_short(now.saturating_duration_since(at))),
            None => (0, 0),
        };
        ReportBlock {
            ssrc,
            fraction_lost,
            cumulative_lost: self.cumulative_lost(),
            extended_highest_seq: self.extended_highest(),
            jitter: self.jitter(),
            last_sr,
            delay_since_last_sr,
        }
    }
}

/// Round-trip time from a report block about our stream received at `now`
/// (RFC 3550 6.4.1: A - LSR - DLSR). `None` if the peer has not seen an SR
/// yet or the result is negative (clock trouble).
pub fn rtt_from_report(block: &ReportBlock, now: NtpTime) -> Option<Duration> {
    if block.last_sr == 0 {
        return None;
    }
    let rtt = now
        .mid32()
        .wrapping_sub(block.last_sr)
        .wrapping_sub(block.delay_since_last_sr);
    // a wrapped (negative) value shows up as a huge one
    if rtt > 0x8000_0000 {
        return None;
    }
    Some(from_ntp_short(rtt))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed(stats: &mut ReceptionStats, seqs: impl IntoIterator<Item = u16>, t0: Instant) {
        for s in seqs {
            let ts = u32::from(s) * 160;
            let at = t0 + Duration::from_millis(u64::from(s) * 20);
            stats.update(s, ts, at);
        }
    }

    #[test]
    fn probation_then_counts() {
        let t0 = Instant::now();
        let mut s = ReceptionStats::new(8000, t0);
        assert_eq!(s.update(10, 0, t0), SeqUpdate::Probation);
        assert_eq!(s.update(11, 160, t0), SeqUpdate::Valid);
        assert_eq!(s.expected(), 1);
        assert_eq!(s.received(), 1);
    }

    #[test]
    fn loss_fraction_and_cumulative() {
        let t0 = Instant::now();
        let mut s = ReceptionStats::new(8000, t0);
        // 1..=100 with every tenth missing
        feed(&mut s, (1..=100u16).filter(|x| x % 10 != 5), t0);
        // base is 2 (the probation-completing packet); expected 2..=100 = 99
        assert_eq!(s.expected(), 99);
        assert_eq!(s.cumulative_lost(), 10);
        let b = s.report_block(7, t0);
        assert_eq!(b.cumulative_lost, 10);
        assert_eq!(b.fraction_lost, (10 * 256 / 99) as u8);
        assert_eq!(b.extended_highest_seq, 100);
        // next interval without loss
        feed(&mut s, 101..=150, t0);
        assert_eq!(s.report_block(7, t0).fraction_lost, 0);
        assert!((s.loss_ratio() - 10.0 / 149.0).abs() < 1e-9);
    }

    #[test]
    fn wrap_counts_cycles() {
        let t0 = Instant::now();
        let mut s = ReceptionStats::new(8000, t0);
        let mut seq = 65530u16;
        for _ in 0..20 {
            s.update(seq, 0, t0);
            seq = seq.wrapping_add(1);
        }
        assert_eq!(s.extended_highest(), 65536 + u32::from(seq.wrapping_sub(1)));
        assert_eq!(s.cumulative_lost(), 0);
    }

    #[test]
    fn restart_after_big_jump() {
        let t0 = Instant::now();
        let mut s = ReceptionStats::new(8000, t0);
        feed(&mut s, 1..=10, t0);
        assert_eq!(s.update(30000, 0, t0), SeqUpdate::BadSequence);
        assert_eq!(s.update(30001, 0, t0), SeqUpdate::Restarted);
        assert_eq!(s.expected(), 1);
    }

    #[test]
    fn jitter_zero_for_perfect_pacing_and_grows_with_noise() {
        let t0 = Instant::now();
        let mut s = ReceptionStats::new(8000, t0);
        feed(&mut s, 1..=50, t0);
        assert_eq!(s.jitter(), 0);
        // alternate +-10 ms arrival error: |D| = 20 ms = 160 ticks, J -> 160
        let mut s = ReceptionStats::new(8000, t0);
        for i in 0..2000u32 {
            let off = if i % 2 == 0 { 0 } else { 20 };
            let at = t0 + Duration::from_millis(u64::from(i) * 20 + off);
            s.update(i as u16, i * 160, at);
        }
        assert!(
            (s.jitter() as i64 - 160).abs() <= 2,
            "jitter {}",
            s.jitter()
        );
        assert!((s.jitter_ms() - 20.0).abs() < 0.5);
    }

    #[test]
    fn rtt_from_lsr_dlsr() {
        let b = ReportBlock {
            last_sr: 0x0001_0000,             // 1.0 s
            delay_since_last_sr: 0x0000_8000, // 0.5 s
            ..ReportBlock::default()
        };
        let now = NtpTime::from_duration(Duration::from_millis(1600));
        let rtt = rtt_from_report(&b, now).unwrap();
        assert!((rtt.as_secs_f64() - 0.1).abs() < 1e-4, "{rtt:?}");
        let early = NtpTime::from_duration(Duration::from_millis(1200));
        assert_eq!(rtt_from_report(&b, early), None);
        assert_eq!(rtt_from_report(&ReportBlock::default(), now), None);
    }

    #[test]
    fn lsr_dlsr_in_block() {
        let t0 = Instant::now();
        let mut s = ReceptionStats::new(8000, t0);
        s.on_sender_report(NtpTime(0x1111_2222_3333_4444), t0);
        let b = s.report_block(1, t0 + Duration::from_secs(2));
        assert_eq!(b.last_sr, 0x2222_3333);
        assert_eq!(b.delay_since_last_sr, 2 * 65536);
    }
}
