//! In-band DTMF generation: keypad tones mixed into the outgoing audio for
//! peers that did not negotiate telephone-event.

use std::collections::VecDeque;
use std::time::Duration;

use super::event_code;

const ROWS: [f64; 4] = [697.0, 770.0, 852.0, 941.0];
const COLS: [f64; 4] = [1209.0, 1336.0, 1477.0, 1633.0];
/// Per-tone amplitude: about -10 dBm0 each on the G.711 scale, the level
/// of a keypad and well inside Q.24's acceptance range.
const AMPLITUDE: f64 = 7000.0;

fn freqs(code: u8) -> (f64, f64) {
    // event codes: 0-9, 10 '*', 11 '#', 12-15 'A'-'D'; keypad layout rows/columns
    let (r, c) = match code {
        1..=9 => ((code - 1) / 3, (code - 1) % 3),
        0 => (3, 1),
        10 => (3, 0),
        11 => (3, 2),
        _ => (code - 12, 3),
    };
    (ROWS[r as usize], COLS[c as usize])
}

/// Produces keypad tones, one digit after another, with a pause between.
#[derive(Debug, Clone)]
pub struct InbandDtmfGenerator {
    rate: f64,
    tone: usize,
    gap: usize,
    queue: VecDeque<u8>,
    /// The digit's two frequencies and the sample position within tone + gap.
    current: Option<((f64, f64), usize)>,
}

impl InbandDtmfGenerator {
    /// A generator for audio at `rate` Hz with `tone` on and `gap` off per digit.
    pub fn new(rate: u32, tone: Duration, gap: Duration) -> Self {
        let r = f64::from(rate.max(8000));
        Self {
            rate: r,
            tone: (tone.as_secs_f64() * r) as usize,
            gap: (gap.as_secs_f64() * r) as usize,
            queue: VecDeque::new(),
            current: None,
        }
    }

    /// Queue digits; characters that are not DTMF are skipped. Returns how
    /// many were queued.
    pub fn send(&mut self, digits: &str) -> usize {
        let before = self.queue.len();
        self.queue.extend(digits.chars().filter_map(event_code));
        self.queue.len() - before
    }

    /// True while a digit or its trailing pause is being produced.
    pub fn is_active(&self) -> bool {
        self.current.is_some() || !self.queue.is_empty()
    }

    /// Overwrite `out` with tone (or the silence between digits) while
    /// active; returns false, leaving `out` alone, when idle.
    pub fn fill(&mut self, out: &mut [i16]) -> bool {
        if !self.is_active() {
            return false;
        }
        for s in out.iter_mut() {
            if self.current.is_none() {
                match self.queue.pop_front() {
                    Some(code) => self.current = Some((freqs(code), 0)),
                    None => {
                        *s = 0;
                        continue;
                    }
                }
            }
            let Some(((fr, fc), pos)) = self.current.as_mut() else {
                continue;
            };
            *s = if *pos < self.tone {
                let t = *pos as f64 / self.rate;
                let w = 2.0 * std::f64::consts::PI * t;
                (AMPLITUDE * ((w * *fr).sin() + (w * *fc).sin())) as i16
            } else {
                0
            };
            *pos += 1;
            if *pos >= self.tone + self.gap {
                self.current = None;
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dtmf::InbandDtmfDetector;

    #[test]
    fn detector_hears_generated_digits() {
        for rate in [8000u32, 16000, 48000] {
            let mut g = InbandDtmfGenerator::new(
                rate,
                Duration::from_millis(100),
                Duration::from_millis(60),
            );
            assert_eq!(g.send("159*0#ABCD x"), 10);
            let mut d = InbandDtmfDetector::new(rate);
            let mut frame = vec![0i16; rate as usize / 50];
            let mut got = String::new();
            for _ in 0..150 {
                frame.fill(1);
                if !g.fill(&mut frame) {
                    frame.fill(0);
                }
                if let Some(digit) = d.process(&frame) {
                    got.push(digit.digit);
                }
            }
            assert_eq!(got, "159*0#ABCD", "at {rate} Hz");
            assert!(!g.is_active());
            assert!(!g.fill(&mut frame));
        }
    }
}
