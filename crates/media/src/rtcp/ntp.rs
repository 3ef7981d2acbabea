//! NTP wall-clock timestamps for sender reports, derived from a monotonic
//! clock so that a wall-clock step during a call does not corrupt RTT.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Seconds between the NTP era (1900) and the Unix epoch.
const NTP_UNIX_OFFSET: u64 = 2_208_988_800;

/// A 64-bit NTP timestamp: 32.32 fixed-point seconds since 1900.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct NtpTime(pub u64);

impl NtpTime {
    /// The middle 32 bits, used by LSR/DLSR (RFC 3550 6.4.1).
    pub fn mid32(self) -> u32 {
        (self.0 >> 16) as u32
    }

    /// From a duration since the NTP era.
    pub fn from_duration(d: Duration) -> Self {
        let frac = (u64::from(d.subsec_nanos()) << 32) / 1_000_000_000;
        Self((d.as_secs() << 32) | frac)
    }
}

/// Converts [`Instant`]s to NTP time from an anchor pair taken once.
#[derive(Debug, Clone, Copy)]
pub struct NtpClock {
    anchor_instant: Instant,
    anchor_ntp: Duration,
}

impl NtpClock {
    /// Anchor at the current wall-clock time.
    pub fn new(now: Instant) -> Self {
        let unix = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        Self::with_anchor(now, unix + Duration::from_secs(NTP_UNIX_OFFSET))
    }

    /// Anchor `now` at `since_1900` (deterministic tests).
    pub fn with_anchor(now: Instant, since_1900: Duration) -> Self {
        Self {
            anchor_instant: now,
            anchor_ntp: since_1900,
        }
    }

    /// NTP time at `at`; instants before the anchor clamp to it.
    pub fn ntp(&self, at: Instant) -> NtpTime {
        NtpTime::from_duration(self.anchor_ntp + at.saturating_duration_since(self.anchor_instant))
    }
}

/// A duration in 1/65536 s units (DLSR), saturating.
pub(crate) fn to_ntp_short(d: Duration) -> u32 {
    let v = (d.as_nanos() << 16) / 1_000_000_000;
    v.min(u128::from(u32::MAX)) as u32
}

/// 1/65536 s units back to a duration.
pub(crate) fn from_ntp_short(v: u32) -> Duration {
    Duration::from_nanos((u64::from(v) * 1_000_000_000) >> 16)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mid32_and_short_format() {
        let t = NtpTime::from_duration(Duration::from_millis(1500));
        assert_eq!(t.0 >> 32, 1);
        assert_eq!(t.0 as u32, 1 << 31);
        assert_eq!(t.mid32(), (1 << 16) | (1 << 15));
        assert_eq!(to_ntp_short(Duration::from_millis(500)), 32768);
        assert_eq!(from_ntp_short(65536), Duration::from_secs(1));
    }

    #[test]
    fn clock_advances_with_instants() {
        let now = Instant::now();
        let c = NtpClock::with_anchor(now, Duration::from_secs(100));
        assert_eq!(c.ntp(now).0 >> 32, 100);
        assert_eq!(c.ntp(now + Duration::from_secs(2)).0 >> 32, 102);
        assert!(NtpClock::new(now).ntp(now).0 >> 32 > NTP_UNIX_OFFSET);
    }
}
