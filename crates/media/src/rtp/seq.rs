//! Extending 16-bit sequence numbers to a monotonic 64-bit counter.

/// True if `a` is newer than `b` in 16-bit serial arithmetic (RFC 1982).
pub fn seq_newer(a: u16, b: u16) -> bool {
    a != b && a.wrapping_sub(b) < 0x8000
}

/// Turns wrapping 16-bit sequence numbers into a monotonic extended number:
/// the low 16 bits are the wire value and the upper bits count wraps, like the
/// RTCP "extended highest sequence number" (RFC 3550 A.1).
///
/// Each input is placed at the candidate nearest to the highest number seen,
/// so reordering across a wrap works in both directions.
#[derive(Debug, Clone, Default)]
pub struct SeqUnwrapper {
    highest: Option<u64>,
}

impl SeqUnwrapper {
    /// A fresh unwrapper; the first number seen starts one full cycle up so
    /// that late packets from before it never underflow.
    pub fn new() -> Self {
        Self::default()
    }

    /// The extended value of `seq`.
    pub fn unwrap(&mut self, seq: u16) -> u64 {
        let ext = match self.highest {
            None => (1u64 << 16) + u64::from(seq),
            Some(h) => {
                let delta = seq.wrapping_sub(h as u16) as i16 as i64;
                (h as i64 + delta).max(0) as u64
            }
        };
        if self.highest.is_none_or(|h| ext > h) {
            self.highest = Some(ext);
        }
        ext
    }

    /// Highest extended number seen, if any.
    pub fn highest(&self) -> Option<u64> {
        self.highest
    }

    /// Forget history (new SSRC).
    pub fn reset(&mut self) {
        self.highest = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newer() {
        assert!(seq_newer(1, 0));
        assert!(seq_newer(0, 65535));
        assert!(!seq_newer(65535, 0));
        assert!(!seq_newer(5, 5));
    }

    #[test]
    fn unwraps_forward_and_reordered_across_wrap() {
        let mut u = SeqUnwrapper::new();
        let a = u.unwrap(65534);
        assert_eq!(u.unwrap(65535), a + 1);
        assert_eq!(u.unwrap(1), a + 3);
        assert_eq!(u.unwrap(0), a + 2); // late, across the wrap
        assert_eq!(u.unwrap(2), a + 4);
        assert_eq!(u.highest(), Some(a + 4));
        // many wraps
        let mut s = 2u16;
        let mut last = a + 4;
        for _ in 0..300_000 {
            s = s.wrapping_add(1);
            let e = u.unwrap(s);
            assert_eq!(e, last + 1);
            last = e;
        }
        assert_eq!(last as u16, s);
    }

    #[test]
    fn very_old_packet_does_not_underflow() {
        let mut u = SeqUnwrapper::new();
        let first = u.unwrap(10);
        assert_eq!(first & 0xFFFF, 10);
        assert_eq!(u.unwrap(9), first - 1);
        assert!(u.unwrap(40000) < first);
    }
}
