//! RTP timestamp arithmetic: wrapping differences, unwrapping and conversions
//! between clock ticks and wall-clock durations.

use std::time::Duration;

/// `a - b` in wrapping 32-bit arithmetic, as a signed number of ticks.
pub fn ts_diff(a: u32, b: u32) -> i32 {
    a.wrapping_sub(b) as i32
}

/// True if timestamp `a` is later than `b`.
pub fn ts_newer(a: u32, b: u32) -> bool {
    ts_diff(a, b) > 0
}

/// Ticks of a `clock_rate` clock in `d`, rounded down.
pub fn duration_to_ticks(d: Duration, clock_rate: u32) -> u64 {
    (d.as_nanos() * u128::from(clock_rate) / 1_000_000_000) as u64
}

/// Wall-clock length of `ticks` of a `clock_rate` clock.
pub fn ticks_to_duration(ticks: u64, clock_rate: u32) -> Duration {
    if clock_rate == 0 {
        return Duration::ZERO;
    }
    Duration::from_nanos((u128::from(ticks) * 1_000_000_000 / u128::from(clock_rate)) as u64)
}

/// Signed ticks in milliseconds, as float (for statistics).
pub fn ticks_to_ms(ticks: i64, clock_rate: u32) -> f64 {
    if clock_rate == 0 {
        return 0.0;
    }
    ticks as f64 * 1000.0 / f64::from(clock_rate)
}

/// Extends 32-bit RTP timestamps to `i64`, nearest to the last value seen, so
/// that jitter-buffer arithmetic never has to think about wrapping.
#[derive(Debug, Clone, Default)]
pub struct TimestampUnwrapper {
    last: Option<i64>,
}

impl TimestampUnwrapper {
    /// A fresh unwrapper.
    pub fn new() -> Self {
        Self::default()
    }

    /// The extended value of `ts`; starts at `ts` itself.
    pub fn unwrap(&mut self, ts: u32) -> i64 {
        let ext = match self.last {
            None => i64::from(ts),
            Some(l) => l + i64::from(ts.wrapping_sub(l as u32) as i32),
        };
        self.last = Some(ext);
        ext
    }

    /// Forget history (new SSRC).
    pub fn reset(&mut self) {
        self.last = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diff_wraps() {
        assert_eq!(ts_diff(10, u32::MAX - 9), 20);
        assert_eq!(ts_diff(u32::MAX - 9, 10), -20);
        assert!(ts_newer(5, u32::MAX));
    }

    #[test]
    fn conversions() {
        assert_eq!(duration_to_ticks(Duration::from_millis(20), 8000), 160);
        assert_eq!(duration_to_ticks(Duration::from_millis(20), 48000), 960);
        assert_eq!(ticks_to_duration(160, 8000), Duration::from_millis(20));
        assert_eq!(ticks_to_duration(1, 0), Duration::ZERO);
        assert_eq!(ticks_to_ms(-80, 8000), -10.0);
    }

    #[test]
    fn unwraps_across_boundary() {
        let mut u = TimestampUnwrapper::new();
        let a = u.unwrap(u32::MAX - 159);
        assert_eq!(u.unwrap(0), a + 160);
        assert_eq!(u.unwrap(160), a + 320);
        assert_eq!(u.unwrap(u32::MAX - 159), a); // reordered back
    }
}
