//! RTCP transmission interval (RFC 3550 6.3 and A.7) with timer
//! reconsideration, sans-io: the caller asks when to wake up and tells it the
//! time when it does.

use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// e - 3/2: compensates the randomisation so the mean interval is not shortened
/// by timer reconsideration (6.3.1).
const COMPENSATION: f64 = std::f64::consts::E - 1.5;

/// Decides when the next compound RTCP packet goes out.
#[derive(Debug)]
pub struct RtcpScheduler {
    rng: StdRng,
    /// RTCP bandwidth in octets per second (5 % of the session bandwidth).
    rtcp_bw: f64,
    members: u32,
    senders: u32,
    we_sent: bool,
    avg_rtcp_size: f64,
    initial: bool,
    min_interval: Duration,
    tp: Instant,
    tn: Instant,
}

impl RtcpScheduler {
    /// A scheduler for a session of `session_bps` (e.g. 64 000 for G.711),
    /// starting at `now`. The first report is due after the halved initial
    /// minimum (2.5 s), randomised.
    pub fn new(now: Instant, session_bps: u32) -> Self {
        Self::with_rng(now, session_bps, StdRng::from_os_rng())
    }

    /// Same with a fixed seed, for reproducible tests.
    pub fn with_seed(now: Instant, session_bps: u32, seed: u64) -> Self {
        Self::with_rng(now, session_bps, StdRng::seed_from_u64(seed))
    }

    fn with_rng(now: Instant, session_bps: u32, rng: StdRng) -> Self {
        let mut s = Self {
            rng,
            rtcp_bw: f64::from(session_bps.max(1000)) / 8.0 * 0.05,
            members: 2,
            senders: 1,
            we_sent: false,
            // an SR with one block plus SDES, with UDP/IP overhead
            avg_rtcp_size: 128.0,
            initial: true,
            min_interval: Duration::from_secs(5),
            tp: now,
            tn: now,
        };
        s.tn = now + s.interval();
        s
    }

    /// Override the 5 s minimum (RFC 3550 allows a smaller one scaled by
    /// bandwidth; tests use it to run fast).
    pub fn set_min_interval(&mut self, min: Duration) {
        self.min_interval = min;
        if self.initial {
            // the first report is still pending: time it with the new minimum
            self.tn = self.tp + self.interval();
        }
    }

    /// Update the membership counts (2 members in a plain call).
    pub fn set_members(&mut self, members: u32, senders: u32) {
        self.members = members.max(1);
        self.senders = senders.min(self.members);
    }

    /// Whether we sent RTP since the last report (changes the bandwidth split).
    pub fn set_we_sent(&mut self, we_sent: bool) {
        self.we_sent = we_sent;
    }

    /// Fold a received RTCP packet's size (bytes incl. 28 of UDP/IPv4) into the average.
    pub fn on_received(&mut self, size: usize) {
        self.avg_rtcp_size = size as f64 / 16.0 + self.avg_rtcp_size * 15.0 / 16.0;
    }

    /// The deterministic interval of A.7 before randomisation.
    fn deterministic(&self) -> f64 {
        let min = if self.initial {
            self.min_interval.as_secs_f64() / 2.0
        } else {
            self.min_interval.as_secs_f64()
        };
        let mut n = f64::from(self.members);
        let c;
        if f64::from(self.senders) <= f64::from(self.members) * 0.25 {
            if self.we_sent {
                c = self.avg_rtcp_size / (0.25 * self.rtcp_bw);
                n = f64::from(self.senders);
            } else {
                c = self.avg_rtcp_size / (0.75 * self.rtcp_bw);
                n -= f64::from(self.senders);
            }
        } else {
            c = self.avg_rtcp_size / self.rtcp_bw;
        }
        (n * c).max(min)
    }

    fn interval(&mut self) -> Duration {
        let t = self.deterministic() * self.rng.random_range(0.5..1.5) / COMPENSATION;
        Duration::from_secs_f64(t)
    }

    /// When [`RtcpScheduler::handle_timeout`] should next be called.
    pub fn poll_timeout(&self) -> Instant {
        self.tn
    }

    /// Call at (or after) [`RtcpScheduler::poll_timeout`]. Returns true when a
    /// report must be sent now; the caller then calls [`RtcpScheduler::on_sent`].
    /// Otherwise the timer was reconsidered and moved.
    pub fn handle_timeout(&mut self, now: Instant) -> bool {
        if now < self.tn {
            return false;
        }
        let t = self.interval();
        if self.tp + t <= now {
            true
        } else {
            self.tn = self.tp + t;
            false
        }
    }

    /// Record a report of `size` bytes (incl. UDP/IP overhead) sent at `now`
    /// and schedule the next one.
    pub fn on_sent(&mut self, now: Instant, size: usize) {
        self.avg_rtcp_size = size as f64 / 16.0 + self.avg_rtcp_size * 15.0 / 16.0;
        self.tp = now;
        self.initial = false;
        self.tn = now + self.interval();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_report_comes_early_then_about_every_five_seconds() {
        let t0 = Instant::now();
        let mut s = RtcpScheduler::with_seed(t0, 64_000, 7);
        let first = s.poll_timeout() - t0;
        // 2.5 s * [0.5,1.5) / 1.218
        assert!(
            first >= Duration::from_millis(1020) && first < Duration::from_millis(3080),
            "{first:?}"
        );
        let mut sent = Vec::new();
        while sent.len() < 200 {
            let now = s.poll_timeout();
            if s.handle_timeout(now) {
                s.on_sent(now, 120);
                sent.push(now);
            }
        }
        let gaps: Vec<f64> = sent
            .windows(2)
            .map(|w| (w[1] - w[0]).as_secs_f64())
            .collect();
        let mean = gaps.iter().sum::<f64>() / gaps.len() as f64;
        // randomised between 5*0.5/1.218 and 5*1.5/1.218
        assert!(gaps.iter().all(|g| *g >= 2.05 && *g <= 6.16), "{gaps:?}");
        // reconsideration plus the e-3/2 compensation bring the mean back to ~5 s
        assert!((mean - 5.0).abs() < 0.5, "mean {mean}");
        assert!(
            gaps.iter().any(|g| (g - mean).abs() > 0.5),
            "not randomised"
        );
    }

    #[test]
    fn early_call_does_nothing() {
        let t0 = Instant::now();
        let mut s = RtcpScheduler::with_seed(t0, 64_000, 1);
        assert!(!s.handle_timeout(t0));
        assert!(s.poll_timeout() > t0);
    }

    #[test]
    fn low_bandwidth_stretches_interval() {
        let t0 = Instant::now();
        let mut s = RtcpScheduler::with_seed(t0, 1000, 1);
        s.set_members(50, 1);
        s.on_sent(t0, 200);
        // 49 receivers share 75 % of 6.25 B/s: far above the 5 s floor
        assert!(s.poll_timeout() - t0 > Duration::from_secs(60));
    }
}
