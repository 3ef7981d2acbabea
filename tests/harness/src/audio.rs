//! Deterministic test signals and the analysis that checks what a peer received.
//!
//! A call test plays a [`TestSignal`] on one side and records the other side; the recording
//! is then compared with the reference:
//! - [`best_alignment`]: normalized cross-correlation over a lag range (FFT based, so a 30 s
//!   reference and ±1 s of lag take well under a second even in a debug build). It finds the
//!   one-way delay and says how similar the waveforms are.
//! - [`windowed_alignment`]: the same per window with a small local lag search, which
//!   tolerates the lag steps a jitter buffer makes during a call.
//! - [`goertzel_power`], [`dominant_frequency`], [`TestSignal::segment_matches`]: tone checks
//!   that do not rely on the waveform (useful for perceptual codecs).
//! - [`rms_dbfs`], [`active_spans`]: levels and silence.
//! - [`detect_markers`]: onset times of the 10 ms 1 kHz marker bursts.
//! - [`resample`]: windowed-sinc resampling, because peers record at their own rate (linphonec
//!   at 48 kHz, baresip at the codec's rate).
//!
//! Everything is plain Rust without randomness from outside: the same seed gives the same
//! samples on every machine, so thresholds measured once hold in CI.

use std::f64::consts::PI;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use anyhow::{bail, Context, Result};

use crate::process::require_binary;
use crate::wav::{read_wav, write_wav};

/// Frequency of the marker bursts.
pub const MARKER_FREQ: f64 = 1000.0;
/// Length of a marker burst.
pub const MARKER_LEN: Duration = Duration::from_millis(10);
/// Silence kept on both sides of a marker so that detection never sees program material.
pub const MARKER_GUARD: Duration = Duration::from_millis(40);

/// A small deterministic PRNG (xorshift64*): reproducible signals without a dependency.
#[derive(Clone, Debug)]
pub struct Prng(u64);

impl Prng {
    /// A generator for `seed` (0 is replaced by a fixed non-zero value).
    pub fn new(seed: u64) -> Prng {
        Prng(if seed == 0 {
            0x9E37_79B9_7F4A_7C15
        } else {
            seed
        })
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in `[lo, hi)`.
    pub fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }

    /// Approximately standard normal (sum of 12 uniforms).
    pub fn gauss(&mut self) -> f64 {
        (0..12).map(|_| self.unit()).sum::<f64>() - 6.0
    }
}

/// What one stretch of a [`TestSignal`] contains.
#[derive(Clone, Debug, PartialEq)]
pub enum SegmentKind {
    /// A tone mix whose strongest component is `dominant` Hz (weaker partials elsewhere).
    Tones {
        /// Frequency of the strongest component.
        dominant: f64,
    },
    /// A linear sweep from `from` to `to` Hz.
    Chirp {
        /// Start frequency.
        from: f64,
        /// End frequency.
        to: f64,
    },
    /// A 1 kHz marker burst.
    Marker,
}

/// A stretch of a [`TestSignal`].
#[derive(Clone, Debug, PartialEq)]
pub struct Segment {
    /// Start, from the beginning of the signal.
    pub start: Duration,
    /// Length.
    pub len: Duration,
    /// Content.
    pub kind: SegmentKind,
}

/// A generated mono test signal with the layout it was built from.
#[derive(Clone, Debug)]
pub struct TestSignal {
    /// Sample rate.
    pub rate: u32,
    /// Mono S16 samples.
    pub samples: Vec<i16>,
    /// Onset times of the marker bursts.
    pub markers: Vec<Duration>,
    /// Every non-silent stretch (tones, chirps, markers) in time order.
    pub segments: Vec<Segment>,
}

/// A frequency is kept at least this far from the marker frequency so that marker detection
/// never fires on program material.
const MARKER_KEEP_OUT: f64 = 180.0;

fn samples_of(d: Duration, rate: u32) -> usize {
    (d.as_secs_f64() * rate as f64).round() as usize
}

fn dur_of(samples: usize, rate: u32) -> Duration {
    Duration::from_secs_f64(samples as f64 / rate as f64)
}

/// Raised-cosine fade of `ramp` samples at both ends (no clicks: clicks spread energy over
/// every frequency and would blur the tone checks).
fn envelope(i: usize, n: usize, ramp: usize) -> f64 {
    let ramp = ramp.min(n / 2).max(1);
    if i < ramp {
        0.5 - 0.5 * (PI * i as f64 / ramp as f64).cos()
    } else if i >= n - ramp {
        0.5 - 0.5 * (PI * (n - 1 - i) as f64 / ramp as f64).cos()
    } else {
        1.0
    }
}

/// A random frequency in `[lo, hi)` away from the marker frequency.
fn pick_freq(rng: &mut Prng, lo: f64, hi: f64) -> f64 {
    loop {
        let f = rng.range(lo, hi).round();
        if (f - MARKER_FREQ).abs() >= MARKER_KEEP_OUT {
            return f;
        }
    }
}

impl TestSignal {
    /// A speech-like sequence `length` long at `rate`: a chirp first (an unambiguous alignment
    /// anchor), then tone mixes of 120–320 ms separated by 30–90 ms pauses, like syllables.
    /// Each mix has a dominant tone and two partials 10 dB lower, all within 250–3300 Hz so
    /// that narrowband codecs pass them. A marker burst starts every `marker_every` (with
    /// [`MARKER_GUARD`] silence around it), the first one at `marker_every / 2`. Level about
    /// -15 dBFS RMS while active, so codecs neither clip nor drown it in quantisation noise.
    pub fn speech_like(rate: u32, length: Duration, marker_every: Duration, seed: u64) -> Self {
        let mut rng = Prng::new(seed);
        let n = samples_of(length, rate);
        let mut x = vec![0f64; n];
        let mut segments = Vec::new();
        let mut markers = Vec::new();
        let guard = samples_of(MARKER_GUARD, rate);
        let mlen = samples_of(MARKER_LEN, rate);
        let every = samples_of(marker_every, rate).max(mlen + 2 * guard + 1);
        let mut next_marker = every / 2;
        let ramp = samples_of(Duration::from_millis(8), rate);
        let top = (rate as f64 / 2.0 * 0.85).min(3300.0);

        let mut pos = samples_of(Duration::from_millis(20), rate);
        let mut first = true;
        while pos < n {
            // markers take precedence: place one when the next stretch would reach into its guard
            let (len, kind) = if first {
                (
                    samples_of(Duration::from_millis(400), rate),
                    // above the marker frequency: a sweep through 1 kHz looks like a marker
                    SegmentKind::Chirp {
                        from: MARKER_FREQ + 2.0 * MARKER_KEEP_OUT,
                        to: top,
                    },
                )
            } else {
                (
                    samples_of(Duration::from_millis(rng.range(120.0, 320.0) as u64), rate),
                    SegmentKind::Tones {
                        dominant: pick_freq(&mut rng, 250.0, top),
                    },
                )
            };
            if pos + len + guard > next_marker {
                // silence up to the marker, the burst, then the guard after it
                let m = next_marker.max(pos + guard);
                if m + mlen > n {
                    break;
                }
                for (i, v) in x[m..m + mlen].iter_mut().enumerate() {
                    // full scale but faded over 1 ms so the burst stays narrowband
                    let e = envelope(i, mlen, (rate / 1000) as usize);
                    *v = 0.95 * e * (2.0 * PI * MARKER_FREQ * i as f64 / rate as f64).sin();
                }
                markers.push(dur_of(m, rate));
                segments.push(Segment {
                    start: dur_of(m, rate),
                    len: MARKER_LEN,
                    kind: SegmentKind::Marker,
                });
                pos = m + mlen + guard;
                next_marker = m + every;
                continue;
            }
            if pos + len > n {
                break;
            }
            let seg = &mut x[pos..pos + len];
            match &kind {
                SegmentKind::Chirp { from, to } => {
                    let k = (to - from) / (len as f64 / rate as f64);
                    for (i, v) in seg.iter_mut().enumerate() {
                        let t = i as f64 / rate as f64;
                        let phase = 2.0 * PI * (from * t + 0.5 * k * t * t);
                        *v = 0.25 * envelope(i, len, ramp) * phase.sin();
                    }
                }
                SegmentKind::Tones { dominant } => {
                    let partials = [
                        (*dominant, 0.22, rng.range(0.0, 2.0 * PI)),
                        (
                            pick_freq(&mut rng, 250.0, top),
                            0.07,
                            rng.range(0.0, 2.0 * PI),
                        ),
                        (
                            pick_freq(&mut rng, 250.0, top),
                            0.07,
                            rng.range(0.0, 2.0 * PI),
                        ),
                    ];
                    for (i, v) in seg.iter_mut().enumerate() {
                        let t = i as f64 / rate as f64;
                        let s: f64 = partials
                            .iter()
                            .map(|(f, a, p)| a * (2.0 * PI * f * t + p).sin())
                            .sum();
                        *v = envelope(i, len, ramp) * s;
                    }
                }
                SegmentKind::Marker => unreachable!(),
            }
            segments.push(Segment {
                start: dur_of(pos, rate),
                len: dur_of(len, rate),
                kind,
            });
            first = false;
            pos += len + samples_of(Duration::from_millis(rng.range(30.0, 90.0) as u64), rate);
        }
        TestSignal {
            rate,
            samples: x.iter().map(|v| to_i16(v * 32767.0)).collect(),
            markers,
            segments,
        }
    }

    /// A linear chirp `from`→`to` Hz over `length` at -12 dBFS, without markers.
    pub fn chirp(rate: u32, length: Duration, from: f64, to: f64) -> TestSignal {
        let n = samples_of(length, rate);
        let k = (to - from) / length.as_secs_f64();
        let ramp = samples_of(Duration::from_millis(8), rate);
        let samples = (0..n)
            .map(|i| {
                let t = i as f64 / rate as f64;
                let v =
                    0.25 * envelope(i, n, ramp) * (2.0 * PI * (from * t + 0.5 * k * t * t)).sin();
                to_i16(v * 32767.0)
            })
            .collect();
        TestSignal {
            rate,
            samples,
            markers: Vec::new(),
            segments: vec![Segment {
                start: Duration::ZERO,
                len: length,
                kind: SegmentKind::Chirp { from, to },
            }],
        }
    }

    /// Length of the signal.
    pub fn duration(&self) -> Duration {
        dur_of(self.samples.len(), self.rate)
    }

    /// The same signal at another sample rate (markers and segments keep their times).
    pub fn resampled(&self, rate: u32) -> TestSignal {
        TestSignal {
            rate,
            samples: resample(&self.samples, self.rate, rate),
            markers: self.markers.clone(),
            segments: self.segments.clone(),
        }
    }

    /// Writes it as a mono S16LE WAV at `rate` (resampled when needed), or with `channels`
    /// identical channels: what baresip's `aufile` needs (exactly `ausrc_srate`/`ausrc_channels`).
    pub fn write_wav(&self, path: &Path, rate: u32, channels: u16) -> Result<()> {
        let mono = resample(&self.samples, self.rate, rate);
        let mut out = Vec::with_capacity(mono.len() * channels as usize);
        for s in mono {
            for _ in 0..channels {
                out.push(s);
            }
        }
        write_wav(path, rate, channels, &out).with_context(|| format!("write {}", path.display()))
    }

    /// Checks each tone segment of the reference that lies fully inside `received` (a
    /// recording at `rate` in which reference time 0 is at `lag_samples`, as found by
    /// [`best_alignment`]): the received stretch's strongest frequency among the segment's
    /// neighbourhood must be within `tolerance_hz` of the segment's dominant tone. The edges of
    /// each segment (15 ms) are skipped so that small lag errors do not matter.
    pub fn segment_matches(
        &self,
        received: &[i16],
        rate: u32,
        lag_samples: i64,
        tolerance_hz: f64,
    ) -> SegmentReport {
        let mut report = SegmentReport::default();
        let edge = Duration::from_millis(15);
        for seg in &self.segments {
            let SegmentKind::Tones { dominant } = seg.kind else {
                continue;
            };
            if seg.len <= edge * 2 + Duration::from_millis(40) {
                continue;
            }
            let a = samples_of(seg.start + edge, rate) as i64 + lag_samples;
            let b = samples_of(seg.start + seg.len - edge, rate) as i64 + lag_samples;
            if a < 0 || b as usize > received.len() {
                continue;
            }
            let part = &received[a as usize..b as usize];
            let found = dominant_frequency(
                part,
                rate,
                150.0,
                (rate as f64 / 2.0 - 100.0).min(3600.0),
                5.0,
            );
            report.checked += 1;
            if (found - dominant).abs() <= tolerance_hz {
                report.matched += 1;
            } else {
                report.mismatches.push((seg.start, dominant, found));
            }
        }
        report
    }
}

/// Result of [`TestSignal::segment_matches`].
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SegmentReport {
    /// Tone segments inside the recording.
    pub checked: usize,
    /// Of those, segments whose dominant frequency matched.
    pub matched: usize,
    /// `(segment start, expected Hz, found Hz)` of the others.
    pub mismatches: Vec<(Duration, f64, f64)>,
}

impl SegmentReport {
    /// `matched / checked` (0 when nothing was checked).
    pub fn ratio(&self) -> f64 {
        if self.checked == 0 {
            0.0
        } else {
            self.matched as f64 / self.checked as f64
        }
    }
}

fn to_i16(v: f64) -> i16 {
    v.round().clamp(-32768.0, 32767.0) as i16
}

/// Speech from `espeak-ng`, converted by `sox` to mono S16 at `rate`.
///
/// # Panics
/// When espeak-ng or sox is not installed (`scripts/install-deps.sh` installs both).
pub fn espeak_speech(text: &str, rate: u32) -> Result<Vec<i16>> {
    let espeak = require_binary("espeak-ng");
    let sox = require_binary("sox");
    let dir = tempfile::tempdir()?;
    let raw = dir.path().join("speech.wav");
    let out = dir.path().join("speech-conv.wav");
    let st = Command::new(espeak)
        .arg("-w")
        .arg(&raw)
        .arg(text)
        .status()
        .context("run espeak-ng")?;
    if !st.success() {
        bail!("espeak-ng failed: {st}");
    }
    let st = Command::new(sox)
        .arg(&raw)
        .args([
            "-r",
            &rate.to_string(),
            "-c",
            "1",
            "-b",
            "16",
            "-e",
            "signed-integer",
        ])
        .arg(&out)
        .status()
        .context("run sox")?;
    if !st.success() {
        bail!("sox failed: {st}");
    }
    let (r, ch, s) = read_wav(&out)?;
    if r != rate || ch != 1 {
        bail!("sox wrote {r} Hz / {ch} channels, asked {rate} Hz mono");
    }
    Ok(s)
}

// ---------------------------------------------------------------------------------------------
// Levels

/// RMS of `samples` relative to full scale (1.0 = a full-scale square wave).
pub fn rms(samples: &[i16]) -> f64 {
    if samples.is_empty() {
        return 0.0;
    }
    let e: f64 = samples.iter().map(|&s| (s as f64) * (s as f64)).sum();
    (e / samples.len() as f64).sqrt() / 32768.0
}

/// RMS in dBFS (-inf for digital silence is returned as -120).
pub fn rms_dbfs(samples: &[i16]) -> f64 {
    let r = rms(samples);
    if r <= 1e-6 {
        -120.0
    } else {
        20.0 * r.log10()
    }
}

/// True when the RMS of `samples` is below `threshold_dbfs` (e.g. -50).
pub fn is_silent(samples: &[i16], threshold_dbfs: f64) -> bool {
    rms_dbfs(samples) < threshold_dbfs
}

/// Stretches `(start, end)` where the level in `window`-long windows is at or above
/// `threshold_dbfs`; adjacent active windows are merged.
pub fn active_spans(
    samples: &[i16],
    rate: u32,
    window: Duration,
    threshold_dbfs: f64,
) -> Vec<(Duration, Duration)> {
    let w = samples_of(window, rate).max(1);
    let mut spans: Vec<(usize, usize)> = Vec::new();
    for (k, chunk) in samples.chunks(w).enumerate() {
        if rms_dbfs(chunk) >= threshold_dbfs {
            let (a, b) = (k * w, k * w + chunk.len());
            match spans.last_mut() {
                Some(last) if last.1 == a => last.1 = b,
                _ => spans.push((a, b)),
            }
        }
    }
    spans
        .into_iter()
        .map(|(a, b)| (dur_of(a, rate), dur_of(b, rate)))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Tones

/// Goertzel power of `freq` in `samples`, normalised so that a full-scale sine at `freq`
/// gives about 0.5 (the mean power of that sine); independent of the length.
pub fn goertzel_power(samples: &[i16], rate: u32, freq: f64) -> f64 {
    if samples.is_empty() {
        return 0.0;
    }
    let w = 2.0 * PI * freq / rate as f64;
    let coeff = 2.0 * w.cos();
    let (mut s1, mut s2) = (0f64, 0f64);
    for &x in samples {
        let s0 = x as f64 / 32768.0 + coeff * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    let p = s1 * s1 + s2 * s2 - coeff * s1 * s2;
    let n = samples.len() as f64;
    2.0 * p / (n * n)
}

/// Share of the power of `samples` at `freq` (0..1, about 1 for a pure tone at `freq`).
pub fn tone_ratio(samples: &[i16], rate: u32, freq: f64) -> f64 {
    let total = rms(samples).powi(2);
    if total <= 1e-12 {
        0.0
    } else {
        (goertzel_power(samples, rate, freq) / total).min(1.0)
    }
}

/// The frequency in `lo..=hi` (scanned every `step` Hz, then refined to 1 Hz) with the most
/// Goertzel power in `samples`. A Hann window keeps strong partials from leaking.
pub fn dominant_frequency(samples: &[i16], rate: u32, lo: f64, hi: f64, step: f64) -> f64 {
    let n = samples.len();
    if n == 0 {
        return 0.0;
    }
    let windowed: Vec<i16> = samples
        .iter()
        .enumerate()
        .map(|(i, &s)| {
            let w = 0.5 - 0.5 * (2.0 * PI * i as f64 / (n.max(2) - 1) as f64).cos();
            (s as f64 * w) as i16
        })
        .collect();
    let best = |from: f64, to: f64, step: f64| {
        let mut f = from;
        let (mut bf, mut bp) = (from, -1.0);
        while f <= to {
            let p = goertzel_power(&windowed, rate, f);
            if p > bp {
                bp = p;
                bf = f;
            }
            f += step;
        }
        bf
    };
    let coarse = best(lo, hi, step);
    best((coarse - step).max(lo), (coarse + step).min(hi), 1.0)
}

// ---------------------------------------------------------------------------------------------
// Markers

/// Onset times of 10 ms 1 kHz bursts in `samples` (precision about one sample at 8 kHz).
///
/// A 10 ms window slides in 1 ms hops; a window counts when 1 kHz carries at least 60 % of its
/// power and its level is at least -30 dBFS (a full-scale burst attenuated by up to 25 dB).
/// Within each run of such windows the onset is where the 1 kHz power peaks, refined
/// sample by sample.
pub fn detect_markers(samples: &[i16], rate: u32) -> Vec<Duration> {
    let w = samples_of(MARKER_LEN, rate).max(8);
    let hop = (rate as usize / 1000).max(1);
    if samples.len() < w {
        return Vec::new();
    }
    let hit = |a: usize| {
        let win = &samples[a..a + w];
        rms_dbfs(win) >= -30.0 && tone_ratio(win, rate, MARKER_FREQ) >= 0.6
    };
    let mut out = Vec::new();
    let mut a = 0;
    while a + w <= samples.len() {
        if !hit(a) {
            a += hop;
            continue;
        }
        // the run of hits: from a to the last hit window
        let mut b = a;
        while b + hop + w <= samples.len() && hit(b + hop) {
            b += hop;
        }
        let lo = a.saturating_sub(hop);
        let hi = (b + hop).min(samples.len() - w);
        let (mut best, mut bp) = (a, -1.0);
        for s in lo..=hi {
            let p = goertzel_power(&samples[s..s + w], rate, MARKER_FREQ);
            if p > bp {
                bp = p;
                best = s;
            }
        }
        out.push(dur_of(best, rate));
        a = b + w;
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Resampling

/// Resamples mono `samples` from `from` Hz to `to` Hz with a Kaiser-windowed sinc (cutoff at
/// 95 % of the lower Nyquist frequency). Identity when the rates are equal.
pub fn resample(samples: &[i16], from: u32, to: u32) -> Vec<i16> {
    if from == to || samples.is_empty() {
        return samples.to_vec();
    }
    let x: Vec<f64> = samples.iter().map(|&s| s as f64).collect();
    resample_f64(&x, from, to).into_iter().map(to_i16).collect()
}

fn bessel_i0(x: f64) -> f64 {
    let mut sum = 1.0;
    let mut term = 1.0;
    let q = x * x / 4.0;
    for k in 1..30 {
        term *= q / (k * k) as f64;
        sum += term;
        if term < 1e-12 * sum {
            break;
        }
    }
    sum
}

fn resample_f64(x: &[f64], from: u32, to: u32) -> Vec<f64> {
    let ratio = to as f64 / from as f64;
    // cutoff as a fraction of the input Nyquist frequency
    let fc = ratio.min(1.0) * 0.95;
    let zero_crossings = 12.0;
    let half = (zero_crossings / fc).ceil() as i64;
    let beta = 8.0;
    let i0b = bessel_i0(beta);
    let out_len = ((x.len() as f64) * ratio).floor() as usize;
    // Tabulate the kernel: evaluating sin and Bessel per tap is slow in debug builds.
    let table_res = 512.0;
    let table_len = (half as f64 * table_res) as usize + 2;
    let table: Vec<f64> = (0..table_len)
        .map(|i| {
            let d = i as f64 / table_res;
            let u = d / half as f64;
            if u >= 1.0 {
                return 0.0;
            }
            let arg = PI * fc * d;
            let sinc = if arg.abs() < 1e-12 {
                1.0
            } else {
                arg.sin() / arg
            };
            fc * sinc * bessel_i0(beta * (1.0 - u * u).sqrt()) / i0b
        })
        .collect();
    let kernel = |d: f64| {
        let p = d.abs() * table_res;
        let i = p as usize;
        if i + 1 >= table.len() {
            return 0.0;
        }
        let f = p - i as f64;
        table[i] * (1.0 - f) + table[i + 1] * f
    };
    let mut out = Vec::with_capacity(out_len);
    for j in 0..out_len {
        let t = j as f64 / ratio;
        let c = t.floor() as i64;
        let mut acc = 0.0;
        for k in (c - half + 1)..=(c + half) {
            if k < 0 || k as usize >= x.len() {
                continue;
            }
            acc += x[k as usize] * kernel(t - k as f64);
        }
        out.push(acc);
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Alignment

/// Where a received signal matches a reference, and how well.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Alignment {
    /// Normalized cross-correlation at the best lag over the overlapping stretch, in -1..=1
    /// (1: identical up to gain).
    pub correlation: f64,
    /// Magnitude of [`lag_samples`](Self::lag_samples) as time.
    pub lag: Duration,
    /// `received[j + lag_samples] ≈ reference[j]`: positive when the received copy is late
    /// (the usual case: network and jitter-buffer delay), negative when the recording starts
    /// after the reference did.
    pub lag_samples: i64,
    /// Samples over which the correlation was computed.
    pub overlap: usize,
}

impl Alignment {
    /// The lag in seconds with its sign (see [`lag_samples`](Self::lag_samples)).
    pub fn lag_secs(&self, rate: u32) -> f64 {
        self.lag_samples as f64 / rate as f64
    }
}

/// In-place iterative radix-2 FFT over `(re, im)`; `inverse` computes the unscaled inverse.
fn fft(re: &mut [f64], im: &mut [f64], inverse: bool) {
    let n = re.len();
    debug_assert!(n.is_power_of_two() && im.len() == n);
    let mut j = 0;
    for i in 1..n {
        let mut bit = n >> 1;
        while j & bit != 0 {
            j ^= bit;
            bit >>= 1;
        }
        j |= bit;
        if i < j {
            re.swap(i, j);
            im.swap(i, j);
        }
    }
    let mut len = 2;
    while len <= n {
        let ang = 2.0 * PI / len as f64 * if inverse { 1.0 } else { -1.0 };
        let (wr, wi) = (ang.cos(), ang.sin());
        for start in (0..n).step_by(len) {
            let (mut cr, mut ci) = (1.0, 0.0);
            for k in 0..len / 2 {
                let a = start + k;
                let b = a + len / 2;
                let (xr, xi) = (re[b] * cr - im[b] * ci, re[b] * ci + im[b] * cr);
                re[b] = re[a] - xr;
                im[b] = im[a] - xi;
                re[a] += xr;
                im[a] += xi;
                let nr = cr * wr - ci * wi;
                ci = cr * wi + ci * wr;
                cr = nr;
            }
        }
        len <<= 1;
    }
}

/// Normalized cross-correlation of `received` against `reference` (both at `rate`) for every
/// lag in `-max_lag..=max_lag`; returns the lag with the highest correlation.
///
/// The correlation at a lag is computed over the stretch where both signals exist and is
/// normalised by the energies of exactly that stretch, so a recording that holds only part
/// of a long reference (the usual case: the source is longer than the call) still scores 1
/// when it is an exact copy. Lags whose overlap is shorter than half the received signal (or
/// of the reference, if shorter) are not considered: tiny overlaps correlate by chance.
/// Silent stretches in the received signal (before media flows) lower the score only a
/// little because they add no energy.
pub fn best_alignment(
    reference: &[i16],
    received: &[i16],
    rate: u32,
    max_lag: Duration,
) -> Alignment {
    let m = samples_of(max_lag, rate) as i64;
    let min_overlap = (received.len().min(reference.len()) / 2).max(1);
    align_range(reference, received, rate, -m, m, min_overlap)
}

/// The best lag in `lo..=hi` samples (`received[j + lag] ≈ reference[j]`) by FFT
/// cross-correlation, each lag normalised over its overlap; lags overlapping fewer than
/// `min_overlap` samples are skipped. A zero [`Alignment`] when no lag qualifies.
fn align_range(
    reference: &[i16],
    received: &[i16],
    rate: u32,
    lo: i64,
    hi: i64,
    min_overlap: usize,
) -> Alignment {
    let none = Alignment {
        correlation: 0.0,
        lag: Duration::ZERO,
        lag_samples: 0,
        overlap: 0,
    };
    let r = received.len() as i64;
    // received[j] pairs with reference[j - lag]: only reference[-hi .. r - lo) can pair
    let k0 = (-hi).clamp(0, reference.len() as i64);
    let k1 = (r - lo).clamp(0, reference.len() as i64);
    if r == 0 || k1 <= k0 || hi < lo {
        return none;
    }
    let refs = &reference[k0 as usize..k1 as usize];
    let mean = |s: &[i16]| s.iter().map(|&v| v as f64).sum::<f64>() / s.len() as f64;
    let (mr, mx) = (mean(refs), mean(received));
    let refc: Vec<f64> = refs.iter().map(|&v| v as f64 - mr).collect();
    let recc: Vec<f64> = received.iter().map(|&v| v as f64 - mx).collect();

    // a[u] = reference[u - hi] (zero where it does not exist), so that
    // c(lag) = sum_j received[j] a[j + s] with s = hi - lag in 0..=hi-lo
    let a_len = (r + hi - lo) as usize;
    let n = (a_len + received.len()).next_power_of_two();
    let mut ar = vec![0f64; n];
    let mut ai = vec![0f64; n];
    let mut br = vec![0f64; n];
    let mut bi = vec![0f64; n];
    for (k, v) in refc.iter().enumerate() {
        let u = k as i64 + k0 + hi;
        if (0..a_len as i64).contains(&u) {
            ar[u as usize] = *v;
        }
    }
    br[..recc.len()].copy_from_slice(&recc);
    fft(&mut ar, &mut ai, false);
    fft(&mut br, &mut bi, false);
    // conj(B) * A
    for k in 0..n {
        let (xr, xi) = (br[k], -bi[k]);
        let (yr, yi) = (ar[k], ai[k]);
        ar[k] = xr * yr - xi * yi;
        ai[k] = xr * yi + xi * yr;
    }
    fft(&mut ar, &mut ai, true);

    // prefix sums of squares for the per-lag normalisation
    let prefix = |s: &[f64]| {
        let mut p = vec![0f64; s.len() + 1];
        for (i, v) in s.iter().enumerate() {
            p[i + 1] = p[i] + v * v;
        }
        p
    };
    let (pref, prec) = (prefix(&refc), prefix(&recc));
    let mut best = none;
    best.correlation = f64::NEG_INFINITY;
    for lag in lo..=hi {
        // received[j] with reference[j - lag] for j in [j0, j1), reference index within [k0, k1)
        let j0 = (lag + k0).max(0);
        let j1 = r.min(k1 + lag);
        if j1 - j0 < min_overlap as i64 {
            continue;
        }
        let c = ar[(hi - lag) as usize] / n as f64;
        let er = prec[j1 as usize] - prec[j0 as usize];
        let ef = pref[(j1 - lag - k0) as usize] - pref[(j0 - lag - k0) as usize];
        if er <= 0.0 || ef <= 0.0 {
            continue;
        }
        let v = c / (er * ef).sqrt();
        if v > best.correlation {
            best = Alignment {
                correlation: v,
                lag: dur_of(lag.unsigned_abs() as usize, rate),
                lag_samples: lag,
                overlap: (j1 - j0) as usize,
            };
        }
    }
    if best.correlation == f64::NEG_INFINITY {
        return none;
    }
    best
}

/// [`best_alignment`] for signals at different rates: both are brought to the lower rate
/// first (the received copy cannot carry more than the narrower of the two anyway). The lag
/// is in samples of that common rate, returned with it.
pub fn best_alignment_rates(
    reference: &[i16],
    reference_rate: u32,
    received: &[i16],
    received_rate: u32,
    max_lag: Duration,
) -> (Alignment, u32) {
    let rate = reference_rate.min(received_rate);
    let a = resample(reference, reference_rate, rate);
    let b = resample(received, received_rate, rate);
    (best_alignment(&a, &b, rate, max_lag), rate)
}

/// Correlation per `window` of the received signal after a global alignment: each window of
/// `received` (skipping silent ones, below -45 dBFS) is searched within ±`local_lag` around the
/// global lag. Jitter buffers shift the delay during a call by a frame or two; this measures
/// similarity without penalising those steps. Returns one [`Alignment`] per active window,
/// with the window's start in `received` (its `lag_samples` is the local lag).
pub fn windowed_alignment(
    reference: &[i16],
    received: &[i16],
    rate: u32,
    global: &Alignment,
    window: Duration,
    local_lag: Duration,
) -> Vec<(Duration, Alignment)> {
    let w = samples_of(window, rate).max(1);
    let dl = samples_of(local_lag, rate) as i64;
    let mut out = Vec::new();
    let mut start = 0usize;
    while start + w <= received.len() {
        let win = &received[start..start + w];
        start += w;
        if rms_dbfs(win) < -45.0 {
            continue;
        }
        let j0 = (start - w) as i64;
        // win[i] = received[j0 + i] pairs with reference[j0 + i - lag]: a lag of lag - j0
        // for the window alone; the whole window must overlap
        let g = global.lag_samples;
        let a = align_range(reference, win, rate, g - dl - j0, g + dl - j0, w);
        let best = (a.overlap == w).then(|| Alignment {
            lag: dur_of((a.lag_samples + j0).unsigned_abs() as usize, rate),
            lag_samples: a.lag_samples + j0,
            ..a
        });
        if let Some(b) = best {
            out.push((dur_of(j0 as usize, rate), b));
        }
    }
    out
}

/// Normalized correlation of two equally long stretches (means removed).
pub fn ncc(a: &[i16], b: &[i16]) -> f64 {
    let n = a.len().min(b.len());
    if n == 0 {
        return 0.0;
    }
    let ma = a[..n].iter().map(|&v| v as f64).sum::<f64>() / n as f64;
    let mb = b[..n].iter().map(|&v| v as f64).sum::<f64>() / n as f64;
    let (mut ab, mut aa, mut bb) = (0.0, 0.0, 0.0);
    for i in 0..n {
        let (x, y) = (a[i] as f64 - ma, b[i] as f64 - mb);
        ab += x * y;
        aa += x * x;
        bb += y * y;
    }
    if aa <= 0.0 || bb <= 0.0 {
        0.0
    } else {
        ab / (aa * bb).sqrt()
    }
}

/// Median of the correlations of [`windowed_alignment`] (0 when empty): a single robust
/// number for "the received audio is the reference".
pub fn median_correlation(windows: &[(Duration, Alignment)]) -> f64 {
    if windows.is_empty() {
        return 0.0;
    }
    let mut v: Vec<f64> = windows.iter().map(|(_, a)| a.correlation).collect();
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

// ---------------------------------------------------------------------------------------------
// G.711, for simulating what PCMU/PCMA calls do to a signal

/// G.711 µ-law encoding of one sample (the classic 16-bit reference algorithm).
pub fn ulaw_encode(sample: i16) -> u8 {
    const BIAS: i32 = 0x84;
    const CLIP: i32 = 32635;
    let mut s = sample as i32;
    let sign = if s < 0 {
        s = -s;
        0x80
    } else {
        0
    };
    s = s.min(CLIP) + BIAS;
    // exponent: position of the highest set bit of s >> 7 (0..=7)
    let top = (s >> 7) as u8;
    let exponent = if top == 0 {
        0
    } else {
        7 - top.leading_zeros() as i32
    };
    let mantissa = (s >> (exponent + 3)) & 0x0F;
    !((sign | (exponent << 4) | mantissa) as u8)
}

/// G.711 µ-law decoding of one byte.
pub fn ulaw_decode(byte: u8) -> i16 {
    let u = !byte;
    let exponent = ((u >> 4) & 0x07) as i32;
    let mantissa = (u & 0x0F) as i32;
    let magnitude = (((mantissa << 3) + 0x84) << exponent) - 0x84;
    if u & 0x80 != 0 {
        -magnitude as i16
    } else {
        magnitude as i16
    }
}

/// G.711 A-law encoding of one sample (Sun's reference `linear2alaw`).
pub fn alaw_encode(sample: i16) -> u8 {
    let mut v = (sample as i32) >> 3;
    let mask = if v >= 0 {
        0xD5
    } else {
        v = -v - 1;
        0x55
    };
    let seg = [0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF]
        .iter()
        .position(|&end| v <= end)
        .unwrap_or(8) as i32;
    let aval = if seg >= 8 {
        0x7F
    } else if seg < 2 {
        (seg << 4) | ((v >> 1) & 0x0F)
    } else {
        (seg << 4) | ((v >> seg) & 0x0F)
    };
    (aval ^ mask) as u8
}

/// G.711 A-law decoding of one byte.
pub fn alaw_decode(byte: u8) -> i16 {
    let a = (byte ^ 0x55) as i32;
    let mut t = (a & 0x0F) << 4;
    let seg = (a & 0x70) >> 4;
    match seg {
        0 => t += 8,
        1 => t += 0x108,
        _ => {
            t += 0x108;
            t <<= seg - 1;
        }
    }
    if a & 0x80 != 0 {
        t as i16
    } else {
        -t as i16
    }
}

/// What a PCMU round trip does to `samples`.
pub fn ulaw_roundtrip(samples: &[i16]) -> Vec<i16> {
    samples
        .iter()
        .map(|&s| ulaw_decode(ulaw_encode(s)))
        .collect()
}

/// What a PCMA round trip does to `samples`.
pub fn alaw_roundtrip(samples: &[i16]) -> Vec<i16> {
    samples
        .iter()
        .map(|&s| alaw_decode(alaw_encode(s)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const RATE: u32 = 8000;

    fn signal() -> TestSignal {
        TestSignal::speech_like(RATE, Duration::from_secs(6), Duration::from_secs(1), 7)
    }

    /// `x` delayed by `delay` samples (silence first), scaled by `gain`, with white noise at
    /// `noise_dbfs` RMS, cut to `len` samples.
    fn degrade(
        x: &[i16],
        delay: usize,
        gain: f64,
        noise_dbfs: Option<f64>,
        len: usize,
    ) -> Vec<i16> {
        let mut rng = Prng::new(99);
        let sigma = noise_dbfs.map(|d| 32768.0 * 10f64.powf(d / 20.0));
        (0..len)
            .map(|i| {
                let v = if i >= delay && i - delay < x.len() {
                    x[i - delay] as f64 * gain
                } else {
                    0.0
                };
                to_i16(v + sigma.map_or(0.0, |s| s * rng.gauss()))
            })
            .collect()
    }

    #[test]
    fn signal_is_deterministic_and_laid_out() {
        let a = signal();
        let b = signal();
        assert_eq!(a.samples, b.samples);
        assert_ne!(
            a.samples,
            TestSignal::speech_like(RATE, Duration::from_secs(6), Duration::from_secs(1), 8)
                .samples
        );
        assert_eq!(a.samples.len(), 48000);
        // a marker every second from 0.5 s: 0.5, 1.5, … 5.5
        assert_eq!(a.markers.len(), 6, "{:?}", a.markers);
        assert!(matches!(a.segments[0].kind, SegmentKind::Chirp { .. }));
        let tones = a
            .segments
            .iter()
            .filter(|s| matches!(s.kind, SegmentKind::Tones { .. }))
            .count();
        assert!(tones >= 15, "{tones} tone segments");
        // active level about -15 dBFS (between -20 and -10)
        let active: Vec<i16> = a.samples.iter().copied().filter(|&s| s != 0).collect();
        let level = rms_dbfs(&active);
        assert!((-22.0..-10.0).contains(&level), "{level} dBFS");
        // no segment overlaps a marker's guard
        for m in &a.markers {
            for s in &a.segments {
                if s.kind == SegmentKind::Marker {
                    continue;
                }
                let (ss, se) = (s.start, s.start + s.len);
                assert!(
                    se + MARKER_GUARD <= *m
                        || ss >= *m + MARKER_LEN + MARKER_GUARD - Duration::from_micros(200),
                    "segment {s:?} within the guard of marker {m:?}"
                );
            }
        }
    }

    #[test]
    fn exact_copy_correlates_one_at_the_right_lag() {
        let s = signal();
        // delay 80 ms = 640 samples, recording 4 s
        let rx = degrade(&s.samples, 640, 1.0, None, 32000);
        let a = best_alignment(&s.samples, &rx, RATE, Duration::from_millis(500));
        assert_eq!(a.lag_samples, 640);
        assert_eq!(a.lag, Duration::from_millis(80));
        assert!(a.correlation > 0.9999, "{a:?}");
    }

    #[test]
    fn recording_that_starts_late_gives_a_negative_lag() {
        let s = signal();
        // the recording misses the first 300 samples of the reference
        let rx: Vec<i16> = s.samples[300..300 + 24000].to_vec();
        let a = best_alignment(&s.samples, &rx, RATE, Duration::from_millis(500));
        assert_eq!(a.lag_samples, -300, "{a:?}");
        assert!(a.correlation > 0.9999);
    }

    #[test]
    fn attenuation_does_not_matter() {
        let s = signal();
        let rx = degrade(&s.samples, 123, 0.1, None, 30000);
        let a = best_alignment(&s.samples, &rx, RATE, Duration::from_millis(300));
        assert_eq!(a.lag_samples, 123);
        // only i16 rounding of a 20 dB quieter copy: still > 0.999
        assert!(a.correlation > 0.999, "{a:?}");
    }

    #[test]
    fn noise_lowers_correlation_as_expected() {
        let s = signal();
        // signal about -15 dBFS while active (and silent in pauses): noise at -35 dBFS is ~17 dB
        // below the overall signal power; measured correlation 0.993 -> threshold 0.97
        let rx = degrade(&s.samples, 400, 1.0, Some(-35.0), 32000);
        let a = best_alignment(&s.samples, &rx, RATE, Duration::from_millis(500));
        assert_eq!(a.lag_samples, 400);
        assert!(a.correlation > 0.97, "{a:?}");
        // noise at -20 dBFS (about 3 dB below the signal): measured 0.83; still found, lower score
        let rx = degrade(&s.samples, 400, 1.0, Some(-20.0), 32000);
        let b = best_alignment(&s.samples, &rx, RATE, Duration::from_millis(500));
        assert_eq!(b.lag_samples, 400);
        assert!(b.correlation > 0.5 && b.correlation < 0.9, "{b:?}");
    }

    #[test]
    fn unrelated_signal_scores_low() {
        let s = signal();
        let other =
            TestSignal::speech_like(RATE, Duration::from_secs(6), Duration::from_secs(1), 1234);
        let a = best_alignment(
            &s.samples,
            &other.samples[..32000],
            RATE,
            Duration::from_millis(500),
        );
        // shared markers at the same times give some correlation; measured 0.17, limit 0.5
        assert!(a.correlation < 0.5, "{a:?}");
        let noise = degrade(&[], 0, 1.0, Some(-15.0), 32000);
        let b = best_alignment(&s.samples, &noise, RATE, Duration::from_millis(500));
        // white noise: measured 0.02
        assert!(b.correlation < 0.1, "{b:?}");
    }

    #[test]
    fn g711_round_trips_correlate_above_0_99() {
        let s = signal();
        for (name, rx) in [
            ("PCMU", ulaw_roundtrip(&s.samples)),
            ("PCMA", alaw_roundtrip(&s.samples)),
        ] {
            let rx = degrade(&rx, 160, 1.0, None, 40000);
            let a = best_alignment(&s.samples, &rx, RATE, Duration::from_millis(500));
            assert_eq!(a.lag_samples, 160, "{name}");
            // G.711 SNR is ~38 dB: measured 0.99992 (PCMU) and 0.99993 (PCMA)
            assert!(a.correlation > 0.998, "{name}: {a:?}");
        }
    }

    #[test]
    fn g711_codecs_match_reference_tables() {
        // ITU-T G.711 reference points
        assert_eq!(ulaw_encode(0), 0xFF);
        assert_eq!(ulaw_encode(-1), 0x7F);
        assert_eq!(ulaw_encode(32767), 0x80);
        assert_eq!(ulaw_encode(-32768), 0x00);
        assert_eq!(ulaw_decode(0x80), 32124);
        assert_eq!(ulaw_decode(0xFF), 0);
        assert_eq!(alaw_encode(0), 0xD5);
        assert_eq!(alaw_encode(-1), 0x55);
        assert_eq!(alaw_decode(0xD5), 8);
        assert_eq!(alaw_decode(0xAA), 32256);
        // round trips stay within the step size of the segment
        for v in (-32768i32..32768).step_by(97) {
            let v = v as i16;
            let u = ulaw_decode(ulaw_encode(v)) as i32;
            let a = alaw_decode(alaw_encode(v)) as i32;
            let tol = (v as i32).abs() / 16 + 16;
            assert!((u - v as i32).abs() <= tol, "ulaw {v} -> {u}");
            assert!((a - v as i32).abs() <= tol, "alaw {v} -> {a}");
        }
    }

    #[test]
    fn resampled_copy_aligns_across_rates() {
        let s = signal();
        // a 48 kHz recording (as linphonec writes) of the 8 kHz reference, delayed 50 ms
        let up = resample(&s.samples, 8000, 48000);
        let rx = degrade(&up, 2400, 0.8, None, 48000 * 4);
        let (a, rate) =
            best_alignment_rates(&s.samples, 8000, &rx, 48000, Duration::from_millis(400));
        assert_eq!(rate, 8000);
        assert!((a.lag_samples - 400).abs() <= 1, "{a:?}");
        // band-limited round trip 8k -> 48k -> 8k: measured 0.99998
        assert!(a.correlation > 0.995, "{a:?}");
        // 16 kHz too (G.722's rate)
        let rx16 = degrade(
            &resample(&s.samples, 8000, 16000),
            320,
            1.0,
            None,
            16000 * 4,
        );
        let (b, _) =
            best_alignment_rates(&s.samples, 8000, &rx16, 16000, Duration::from_millis(400));
        assert!((b.lag_samples - 160).abs() <= 1, "{b:?}");
        assert!(b.correlation > 0.995, "{b:?}");
    }

    #[test]
    fn windowed_alignment_tolerates_lag_steps() {
        let s = signal();
        // the delay steps from 80 ms to 100 ms halfway (a jitter buffer growing by a frame)
        let mut rx = degrade(&s.samples, 640, 1.0, None, 16000);
        rx.extend(degrade(&s.samples, 800, 1.0, None, 32000)[16000..].iter());
        let g = best_alignment(&s.samples, &rx, RATE, Duration::from_millis(500));
        let w = windowed_alignment(
            &s.samples,
            &rx,
            RATE,
            &g,
            Duration::from_millis(250),
            Duration::from_millis(30),
        );
        let med = median_correlation(&w);
        // the global figure suffers (measured 0.53), the windowed median does not (1.0)
        assert!(g.correlation < 0.8, "{g:?}");
        assert!(med > 0.999, "{med}");
        assert!(w
            .iter()
            .any(|(t, a)| a.lag_samples == 640 && *t < Duration::from_secs(2)));
        assert!(w
            .iter()
            .any(|(t, a)| a.lag_samples == 800 && *t >= Duration::from_secs(2)));
    }

    #[test]
    fn goertzel_and_dominant_frequency() {
        let tone: Vec<i16> = (0..1600)
            .map(|i| to_i16(16384.0 * (2.0 * PI * 1234.0 * i as f64 / 8000.0).sin()))
            .collect();
        // half-scale sine: power 0.125
        let p = goertzel_power(&tone, 8000, 1234.0);
        assert!((p - 0.125).abs() < 0.005, "{p}");
        assert!(goertzel_power(&tone, 8000, 2000.0) < 1e-4);
        assert!(tone_ratio(&tone, 8000, 1234.0) > 0.95);
        let f = dominant_frequency(&tone, 8000, 200.0, 3800.0, 5.0);
        assert!((f - 1234.0).abs() <= 2.0, "{f}");
    }

    #[test]
    fn segments_match_through_g711_and_not_against_another_signal() {
        let s = signal();
        let rx = degrade(&ulaw_roundtrip(&s.samples), 480, 0.7, Some(-45.0), 44000);
        let a = best_alignment(&s.samples, &rx, RATE, Duration::from_millis(500));
        let rep = s.segment_matches(&rx, RATE, a.lag_samples, 15.0);
        assert!(rep.checked >= 15, "{rep:?}");
        // every segment's dominant tone survives: measured 16 of 16; another signal: 0 of 16
        assert_eq!(rep.matched, rep.checked, "{rep:?}");
        let other =
            TestSignal::speech_like(RATE, Duration::from_secs(6), Duration::from_secs(1), 5);
        let bad = s.segment_matches(&other.samples, RATE, 0, 15.0);
        assert!(bad.ratio() < 0.3, "{bad:?}");
    }

    #[test]
    fn markers_are_found_at_their_onsets() {
        let s = signal();
        assert_eq!(detect_markers(&s.samples, RATE), s.markers);
        // delayed by 37 ms, attenuated 12 dB, through PCMU with noise at -50 dBFS
        let rx = degrade(&ulaw_roundtrip(&s.samples), 296, 0.25, Some(-50.0), 48000);
        let found = detect_markers(&rx, RATE);
        assert_eq!(found.len(), s.markers.len(), "{found:?}");
        for (f, m) in found.iter().zip(&s.markers) {
            let err = f.as_secs_f64() - (m.as_secs_f64() + 0.037);
            // within one sample at 8 kHz
            assert!(err.abs() <= 0.000_125 + 1e-9, "marker {m:?} found at {f:?}");
        }
        // at 48 kHz as well
        let up = s.resampled(48000);
        let found = detect_markers(&up.samples, 48000);
        assert_eq!(found.len(), s.markers.len());
        for (f, m) in found.iter().zip(&s.markers) {
            assert!(
                (f.as_secs_f64() - m.as_secs_f64()).abs() < 0.0005,
                "{f:?} vs {m:?}"
            );
        }
        // nothing in silence or noise
        assert!(detect_markers(&degrade(&[], 0, 1.0, Some(-30.0), 16000), RATE).is_empty());
    }

    #[test]
    fn levels_and_silence() {
        assert_eq!(rms_dbfs(&[0; 100]), -120.0);
        assert!(is_silent(&[0; 100], -60.0));
        let s = signal();
        assert!(!is_silent(&s.samples, -40.0));
        let mut x = vec![0i16; 8000];
        x.extend_from_slice(&s.samples[4000..12000]);
        x.extend(vec![0i16; 8000]);
        let spans = active_spans(&x, RATE, Duration::from_millis(20), -50.0);
        assert!(!spans.is_empty());
        assert!(spans[0].0 >= Duration::from_millis(980), "{spans:?}");
        assert!(
            spans.last().unwrap().1 <= Duration::from_millis(2020),
            "{spans:?}"
        );
    }

    #[test]
    fn chirp_sweeps() {
        let c = TestSignal::chirp(8000, Duration::from_secs(1), 300.0, 3300.0);
        let early = dominant_frequency(&c.samples[400..1200], 8000, 100.0, 3900.0, 5.0);
        let late = dominant_frequency(&c.samples[6800..7600], 8000, 100.0, 3900.0, 5.0);
        assert!((early - 600.0).abs() < 60.0, "{early}");
        assert!((late - 3000.0).abs() < 60.0, "{late}");
    }

    #[test]
    fn write_wav_at_the_peer_rate() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("s.wav");
        let s = signal();
        s.write_wav(&p, 48000, 2).unwrap();
        let (r, ch, data) = read_wav(&p).unwrap();
        assert_eq!((r, ch, data.len()), (48000, 2, 48000 * 6 * 2));
    }

    #[test]
    fn espeak_speech_is_available() {
        let s = espeak_speech("one two three", 8000).unwrap();
        assert!(s.len() > 4000);
        assert!(!is_silent(&s, -40.0));
    }
}
