//! In-band DTMF detection with the Goertzel algorithm, for peers that send
//! keypad tones as audio. Works at any sample rate on any frame size.
//!
//! Checks follow ITU-T Q.24 practice: one tone from each group, each well
//! above the others of its group, twist within +4/-8 dB, and the two tones
//! carrying most of the signal's energy; a digit must hold for two blocks
//! (about 50 ms) and is reported once, when it ends, with its duration.

use std::time::Duration;

use super::DtmfDigit;

const ROWS: [f64; 4] = [697.0, 770.0, 852.0, 941.0];
const COLS: [f64; 4] = [1209.0, 1336.0, 1477.0, 1633.0];
const KEYS: [[char; 4]; 4] = [
    ['1', '2', '3', 'A'],
    ['4', '5', '6', 'B'],
    ['7', '8', '9', 'C'],
    ['*', '0', '#', 'D'],
];
/// Minimum mean power per sample of the tone pair (about -36 dBFS).
const MIN_POWER: f64 = 500.0;

/// Streaming in-band DTMF detector.
#[derive(Debug, Clone)]
pub struct InbandDtmfDetector {
    rate: u32,
    block: usize,
    coeff: [f64; 8],
    q1: [f64; 8],
    q2: [f64; 8],
    energy: f64,
    pos: usize,
    /// Candidate from the last block and how many blocks it held.
    candidate: Option<char>,
    hits: u32,
    /// Digit currently sounding and its length in blocks.
    active: Option<char>,
    active_blocks: u32,
    misses: u32,
}

impl InbandDtmfDetector {
    /// A detector for audio at `rate` Hz.
    pub fn new(rate: u32) -> Self {
        let rate = rate.max(8000);
        // 25.6 ms blocks (205 samples at 8 kHz): resolves the 70 Hz row spacing
        let block = (f64::from(rate) * 0.0256).round() as usize;
        let mut coeff = [0.0; 8];
        for (c, f) in coeff.iter_mut().zip(ROWS.iter().chain(COLS.iter())) {
            *c = 2.0 * (2.0 * std::f64::consts::PI * f / f64::from(rate)).cos();
        }
        Self {
            rate,
            block,
            coeff,
            q1: [0.0; 8],
            q2: [0.0; 8],
            energy: 0.0,
            pos: 0,
            candidate: None,
            hits: 0,
            active: None,
            active_blocks: 0,
            misses: 0,
        }
    }

    fn classify(&self) -> Option<char> {
        let mut p = [0.0f64; 8];
        for (k, v) in p.iter_mut().enumerate() {
            *v = self.q1[k] * self.q1[k] + self.q2[k] * self.q2[k]
                - self.coeff[k] * self.q1[k] * self.q2[k];
        }
        let (r, pr) = argmax(&p[..4]);
        let (c, pc) = argmax(&p[4..]);
        let n = self.block as f64;
        // Goertzel power of a sine of amplitude A is (N A / 2)^2; mean power A^2/2
        let tone_power = (pr + pc) * 2.0 / (n * n);
        if tone_power < MIN_POWER {
            return None;
        }
        // the pair must carry most of the energy (rejects speech and noise)
        let mean_power = self.energy / n;
        if tone_power < 0.6 * mean_power {
            return None;
        }
        // twist: high group may be 4 dB above or 8 dB below the low group
        let twist = pc / pr;
        if !(0.158..=2.51).contains(&twist) {
            return None;
        }
        // each tone 6 dB (x4) above the others of its group
        let clear = |group: &[f64], best: usize, pb: f64| {
            group
                .iter()
                .enumerate()
                .all(|(i, v)| i == best || v * 4.0 < pb)
        };
        if !clear(&p[..4], r, pr) || !clear(&p[4..], c, pc) {
            return None;
        }
        Some(KEYS[r][c])
    }

    fn end_block(&mut self) -> Option<DtmfDigit> {
        let found = self.classify();
        self.q1 = [0.0; 8];
        self.q2 = [0.0; 8];
        self.energy = 0.0;
        self.pos = 0;

        if found.is_some() && found == self.candidate {
            self.hits += 1;
        } else {
            self.candidate = found;
            self.hits = u32::from(found.is_some());
        }
        let mut report = None;
        match self.active {
            Some(d) if found == Some(d) => {
                self.active_blocks += 1;
                self.misses = 0;
            }
            Some(d) => {
                self.misses += 1;
                // a single bad block (noise burst) does not end the digit
                if self.misses >= 2 {
                    report = Some(DtmfDigit {
                        digit: d,
                        duration: Duration::from_secs_f64(
                            self.active_blocks as f64 * self.block as f64 / f64::from(self.rate),
                        ),
                        volume: 0,
                    });
                    self.active = None;
                    self.misses = 0;
                }
            }
            None => {}
        }
        if self.active.is_none() && self.hits >= 2 {
            if let Some(d) = self.candidate {
                self.active = Some(d);
                self.active_blocks = self.hits;
                self.misses = 0;
            }
        }
        report
    }

    /// Feed decoded audio; returns a digit when one has just ended. With
    /// frames of 20 ms at most one digit can end per call.
    pub fn process(&mut self, pcm: &[i16]) -> Option<DtmfDigit> {
        let mut out = None;
        for &s in pcm {
            let x = f64::from(s);
            self.energy += x * x;
            for k in 0..8 {
                let q0 = self.coeff[k] * self.q1[k] - self.q2[k] + x;
                self.q2[k] = self.q1[k];
                self.q1[k] = q0;
            }
            self.pos += 1;
            if self.pos == self.block {
                if let Some(d) = self.end_block() {
                    out = Some(d);
                }
            }
        }
        out
    }
}

fn argmax(v: &[f64]) -> (usize, f64) {
    v.iter()
        .copied()
        .enumerate()
        .fold((0, f64::MIN), |b, (i, x)| if x > b.1 { (i, x) } else { b })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::{linear_to_ulaw, ulaw_to_linear};

    fn key_freqs(c: char) -> (f64, f64) {
        for (r, row) in KEYS.iter().enumerate() {
            for (k, key) in row.iter().enumerate() {
                if *key == c {
                    return (ROWS[r], COLS[k]);
                }
            }
        }
        unreachable!()
    }

    fn tones(rate: u32, digits: &str, on_ms: u32, off_ms: u32, twist_db: f64) -> Vec<i16> {
        let mut out = Vec::new();
        let on = (rate * on_ms / 1000) as usize;
        let off = (rate * off_ms / 1000) as usize;
        let high_gain = 10f64.powf(twist_db / 20.0);
        for c in digits.chars() {
            let (fl, fh) = key_freqs(c);
            for i in 0..on {
                let t = i as f64 / f64::from(rate);
                let v = 6000.0
                    * ((2.0 * std::f64::consts::PI * fl * t).sin()
                        + high_gain * (2.0 * std::f64::consts::PI * fh * t).sin());
                out.push(v as i16);
            }
            out.extend(std::iter::repeat_n(0i16, off));
        }
        out
    }

    fn detect(rate: u32, pcm: &[i16]) -> String {
        let mut d = InbandDtmfDetector::new(rate);
        let mut s = String::new();
        for frame in pcm.chunks(rate as usize / 50) {
            if let Some(x) = d.process(frame) {
                s.push(x.digit);
            }
        }
        s
    }

    #[test]
    fn detects_all_keys_at_several_rates() {
        for rate in [8000, 16000, 48000] {
            let pcm = tones(rate, "0123456789*#ABCD", 80, 60, 0.0);
            assert_eq!(detect(rate, &pcm), "0123456789*#ABCD", "{rate} Hz");
        }
    }

    #[test]
    fn reports_duration_once_and_survives_g711() {
        let pcm: Vec<i16> = tones(8000, "123#", 120, 80, -3.0)
            .into_iter()
            .map(|s| ulaw_to_linear(linear_to_ulaw(s)))
            .collect();
        let mut d = InbandDtmfDetector::new(8000);
        let mut got = Vec::new();
        for f in pcm.chunks(160) {
            if let Some(x) = d.process(f) {
                got.push(x);
            }
        }
        assert_eq!(got.iter().map(|x| x.digit).collect::<String>(), "123#");
        for x in got {
            assert!(
                x.duration >= Duration::from_millis(75) && x.duration <= Duration::from_millis(130),
                "{x:?}"
            );
        }
    }

    #[test]
    fn rejects_single_tones_noise_and_bad_twist() {
        let rate = 8000;
        let sine: Vec<i16> = (0..8000)
            .map(|i| {
                ((2.0 * std::f64::consts::PI * 1000.0 * i as f64 / 8000.0).sin() * 10000.0) as i16
            })
            .collect();
        assert_eq!(detect(rate, &sine), "");
        let mut x = 7u32;
        let noise: Vec<i16> = (0..16000)
            .map(|_| {
                x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                ((x >> 16) as i16) / 4
            })
            .collect();
        assert_eq!(detect(rate, &noise), "");
        // 12 dB of twist is outside what Q.24 accepts
        assert_eq!(detect(rate, &tones(rate, "5", 100, 60, 12.0)), "");
        // too short to be a key press (one block)
        assert_eq!(detect(rate, &tones(rate, "5", 30, 60, 0.0)), "");
    }
}
