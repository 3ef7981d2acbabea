//! Waveform-repetition packet-loss concealment for codecs without their own
//! (G.711, G.722), after the approach of ITU-T G.711 Appendix I: repeat the
//! last pitch period, fade out over 60 ms of continued loss, and cross-fade
//! back into the first good frame.
//!
//! All buffers are sized at construction; concealment never allocates.

/// Longest pitch period searched, in ms (66 Hz).
const MAX_PITCH_MS: u32 = 15;
/// Shortest pitch period searched, in ms (500 Hz).
const MIN_PITCH_MS: u32 = 2;
/// Concealed audio starts fading after this much loss...
const FADE_START_MS: u32 = 10;
/// ...and is silent after this much.
const FADE_END_MS: u32 = 60;
/// Cross-fade length back into real audio.
const MERGE_MS: u32 = 4;

/// Concealment state for one decoder.
#[derive(Debug, Clone)]
pub struct Plc {
    rate: u32,
    /// The most recent output, newest last.
    history: Vec<i16>,
    /// One pitch period of source material being repeated.
    period: Vec<i16>,
    period_len: usize,
    period_pos: usize,
    /// Samples concealed in the current loss burst; 0 when not concealing.
    lost: usize,
}

impl Plc {
    /// Concealment for audio at `rate` Hz.
    pub fn new(rate: u32) -> Self {
        let hist = (rate * (3 * MAX_PITCH_MS + MAX_PITCH_MS) / 1000) as usize;
        Self {
            rate,
            history: vec![0; hist],
            period: vec![0; (rate * MAX_PITCH_MS / 1000) as usize],
            period_len: 0,
            period_pos: 0,
            lost: 0,
        }
    }

    fn ms(&self, ms: u32) -> usize {
        (self.rate * ms / 1000) as usize
    }

    fn push_history(&mut self, samples: &[i16]) {
        let h = self.history.len();
        if samples.len() >= h {
            self.history.copy_from_slice(&samples[samples.len() - h..]);
        } else {
            self.history.copy_within(samples.len().., 0);
            self.history[h - samples.len()..].copy_from_slice(samples);
        }
    }

    /// Autocorrelation pitch search over the tail of the history; works on a
    /// decimated signal above 8 kHz to keep the cost flat across rates.
    fn find_pitch(&self) -> usize {
        let step = (self.rate / 8000).max(1) as usize;
        let min = self.ms(MIN_PITCH_MS).max(step);
        let max = self.ms(MAX_PITCH_MS);
        let win = max; // correlate one maximal period
        let h = &self.history;
        let end = h.len();
        let mut best = (min, f64::MIN);
        let mut lag = min;
        while lag <= max {
            let mut xy = 0f64;
            let mut yy = 1f64;
            let mut i = end - win;
            while i < end {
                let x = f64::from(h[i]);
                let y = f64::from(h[i - lag]);
                xy += x * y;
                yy += y * y;
                i += step;
            }
            let score = xy / yy.sqrt();
            if score > best.1 {
                best = (lag, score);
            }
            lag += step;
        }
        best.0
    }

    /// Feed a correctly decoded frame; if it ends a loss burst, its start is
    /// cross-faded with the continued concealment so there is no click.
    pub fn good_frame(&mut self, frame: &mut [i16]) {
        if self.lost > 0 {
            let merge = self.ms(MERGE_MS).min(frame.len());
            let gain = self.gain();
            for (i, s) in frame.iter_mut().take(merge).enumerate() {
                let synth = f32::from(self.next_period_sample()) * gain;
                let w = (i as f32 + 1.0) / (merge as f32 + 1.0);
                *s = (synth * (1.0 - w) + f32::from(*s) * w) as i16;
            }
            self.lost = 0;
        }
        self.push_history(frame);
    }

    fn next_period_sample(&mut self) -> i16 {
        if self.period_len == 0 {
            return 0;
        }
        let s = self.period[self.period_pos];
        self.period_pos = (self.period_pos + 1) % self.period_len;
        s
    }

    fn gain(&self) -> f32 {
        let start = self.ms(FADE_START_MS);
        let end = self.ms(FADE_END_MS);
        if self.lost <= start {
            1.0
        } else if self.lost >= end {
            0.0
        } else {
            1.0 - (self.lost - start) as f32 / (end - start) as f32
        }
    }

    /// Fill `out` with concealment.
    pub fn conceal(&mut self, out: &mut [i16]) {
        if self.lost == 0 {
            let p = self.find_pitch();
            let h = self.history.len();
            self.period[..p].copy_from_slice(&self.history[h - p..]);
            self.period_len = p;
            self.period_pos = 0;
            // smooth the seam where the period wraps onto itself
            let ov = (p / 4).max(1);
            for i in 0..ov {
                let w = (i as f32 + 1.0) / (ov as f32 + 1.0);
                let a = f32::from(self.history[h - p - ov + i]);
                let b = f32::from(self.period[p - ov + i]);
                self.period[p - ov + i] = (a * (1.0 - w) + b * w) as i16;
            }
        }
        for s in out.iter_mut() {
            let g = self.gain();
            *s = (f32::from(self.next_period_sample()) * g) as i16;
            self.lost += 1;
        }
        self.push_history(out);
    }

    /// Forget everything.
    pub fn reset(&mut self) {
        self.history.fill(0);
        self.period_len = 0;
        self.lost = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sine(n: usize, rate: f32, f: f32, phase: usize) -> Vec<i16> {
        (0..n)
            .map(|i| {
                ((2.0 * std::f32::consts::PI * f * (i + phase) as f32 / rate).sin() * 10000.0)
                    as i16
            })
            .collect()
    }

    #[test]
    fn conceals_a_periodic_signal_closely_then_fades() {
        let mut plc = Plc::new(8000);
        let mut good = sine(480, 8000.0, 200.0, 0);
        plc.good_frame(&mut good);
        let mut out = vec![0i16; 80]; // 10 ms, before fading starts
        plc.conceal(&mut out);
        let truth = sine(80, 8000.0, 200.0, 480);
        let err: f64 = out
            .iter()
            .zip(&truth)
            .map(|(a, b)| (f64::from(*a) - f64::from(*b)).powi(2))
            .sum();
        let sig: f64 = truth.iter().map(|b| f64::from(*b).powi(2)).sum();
        assert!(10.0 * (sig / err).log10() > 10.0, "snr too low");
        // keep concealing: silent after 60 ms
        let mut rest = vec![0i16; 480];
        plc.conceal(&mut rest);
        assert!(rest[400..].iter().all(|s| *s == 0));
    }

    #[test]
    fn merge_is_smooth() {
        let mut plc = Plc::new(16000);
        let mut a = sine(640, 16000.0, 300.0, 0);
        plc.good_frame(&mut a);
        let mut lost = vec![0i16; 320];
        plc.conceal(&mut lost);
        let mut next = sine(320, 16000.0, 300.0, 960);
        plc.good_frame(&mut next);
        let jump = (i32::from(next[0]) - i32::from(lost[319])).abs();
        assert!(jump < 3000, "jump {jump}");
    }
}
