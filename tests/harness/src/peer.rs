//! What every softphone under test can do, so one test body drives baresip, linphonec and
//! (later) `handset-cli` alike, and what a peer recorded from a call.
//!
//! ```no_run
//! use handset_harness::{CallPeer, TestSignal};
//! use std::time::{Duration, Instant};
//! fn audio_flows(caller: &mut dyn CallPeer, callee: &mut dyn CallPeer, source: &TestSignal) {
//!     let t = Duration::from_secs(5);
//!     caller.dial(&callee.aor()).unwrap();
//!     callee.wait_established(t).unwrap();
//!     std::thread::sleep(Duration::from_secs(3));
//!     caller.hangup().unwrap();
//!     callee.wait_closed(t).unwrap();
//!     let m = callee.recording(t).unwrap().compare(source, Duration::from_millis(600));
//!     assert!(m.alignment.correlation > 0.9, "{m}");
//! }
//! ```

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use crate::audio::{
    best_alignment_rates, detect_markers, median_correlation, resample, rms_dbfs,
    windowed_alignment, Alignment, SegmentReport, TestSignal,
};
use crate::wav::read_wav;

/// A softphone in a test: place and answer calls, hold, DTMF, and what it observed.
///
/// One call at a time. `wait_*` methods that observe events (incoming, established, closed,
/// DTMF) consume what they return: the second `wait_established` waits for the next call.
/// `wait_held`/`wait_resumed` observe the current state instead.
pub trait CallPeer {
    /// Short name for messages, e.g. `baresip 101`.
    fn label(&self) -> String;
    /// The address of record others dial, e.g. `sip:101@127.0.0.1`.
    fn aor(&self) -> String;
    /// Calls `uri`.
    fn dial(&mut self, uri: &str) -> Result<()>;
    /// Answers the incoming call (peers started with auto-answer need not).
    fn answer(&mut self) -> Result<()>;
    /// Ends the current call.
    fn hangup(&mut self) -> Result<()>;
    /// Puts the current call on hold (re-INVITE with `a=sendonly`).
    fn hold(&mut self) -> Result<()>;
    /// Takes the current call off hold.
    fn resume(&mut self) -> Result<()>;
    /// Sends `digits` (`0-9*#`) as RFC 4733 telephone events.
    fn send_dtmf(&mut self, digits: &str) -> Result<()>;
    /// Waits for the next incoming call.
    fn wait_incoming(&mut self, timeout: Duration) -> Result<()>;
    /// Waits until the next call is established (answered, media set up).
    fn wait_established(&mut self, timeout: Duration) -> Result<()>;
    /// Waits until the current call ended; returns the reason the peer gave.
    fn wait_closed(&mut self, timeout: Duration) -> Result<String>;
    /// DTMF digits received and not yet returned, waiting up to `timeout` until there are at
    /// least `count` of them; returns what arrived (possibly fewer on timeout).
    fn wait_dtmf(&mut self, count: usize, timeout: Duration) -> String;
    /// True while the remote side has this peer on hold (its last offer said `a=sendonly` or
    /// `a=inactive`); an error without a call.
    fn is_held(&mut self) -> Result<bool>;
    /// Waits until the remote side has put this peer on hold.
    fn wait_held(&mut self, timeout: Duration) -> Result<()> {
        poll_held(self, true, timeout)
    }
    /// Waits until the remote side has taken this peer off hold.
    fn wait_resumed(&mut self, timeout: Duration) -> Result<()> {
        poll_held(self, false, timeout)
    }
    /// What the peer received in its last call (call after the call ended: peers finalise
    /// the file at call end).
    fn recording(&mut self, timeout: Duration) -> Result<PeerRecording>;
    /// The peer's recent log, for failure messages.
    fn report(&self) -> String;
}

/// Polls [`CallPeer::is_held`] every 20 ms until it equals `held`.
fn poll_held<P: CallPeer + ?Sized>(peer: &mut P, held: bool, timeout: Duration) -> Result<()> {
    let deadline = Instant::now() + timeout;
    loop {
        let last = peer.is_held();
        if matches!(last, Ok(h) if h == held) {
            return Ok(());
        }
        if Instant::now() >= deadline {
            bail!(
                "{}: {} within {timeout:?} (last: {last:?})\n{}",
                peer.label(),
                if held {
                    "not put on hold"
                } else {
                    "not taken off hold"
                },
                peer.report()
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Audio a peer received, as mono samples at the rate it was recorded at.
#[derive(Clone, Debug)]
pub struct PeerRecording {
    /// The file it came from.
    pub path: PathBuf,
    /// Sample rate of the file.
    pub rate: u32,
    /// Channels in the file (the samples here are their mean).
    pub channels: u16,
    /// Mono samples.
    pub samples: Vec<i16>,
}

impl PeerRecording {
    /// Reads a 16-bit PCM WAV; multi-channel files are down-mixed (Opus decodes to stereo).
    pub fn load(path: &Path) -> Result<PeerRecording> {
        let (rate, channels, data) =
            read_wav(path).with_context(|| format!("read recording {}", path.display()))?;
        let ch = channels.max(1) as usize;
        let samples = data
            .chunks(ch)
            .map(|f| (f.iter().map(|&s| s as i32).sum::<i32>() / f.len() as i32) as i16)
            .collect();
        Ok(PeerRecording {
            path: path.to_path_buf(),
            rate,
            channels,
            samples,
        })
    }

    /// Length of the recording.
    pub fn duration(&self) -> Duration {
        Duration::from_secs_f64(self.samples.len() as f64 / self.rate.max(1) as f64)
    }

    /// The stretch from `from` to `to` (clamped to the recording), e.g. the part after a
    /// resume. Compare it with a `max_lag` of at least `from` plus the delay: its start is
    /// that far into the reference.
    pub fn slice(&self, from: Duration, to: Duration) -> PeerRecording {
        let at =
            |d: Duration| ((d.as_secs_f64() * self.rate as f64) as usize).min(self.samples.len());
        let (a, b) = (at(from), at(to));
        PeerRecording {
            samples: self.samples[a..b.max(a)].to_vec(),
            ..self.clone()
        }
    }

    /// The samples at another rate.
    pub fn samples_at(&self, rate: u32) -> Vec<i16> {
        resample(&self.samples, self.rate, rate)
    }

    /// Compares the recording with the `reference` that the far end played: global
    /// alignment (lag within ±`max_lag`), windowed correlation (250 ms windows, ±100 ms local
    /// lag), tone segments (±20 Hz) and markers, all at the lower of the two rates.
    pub fn compare(&self, reference: &TestSignal, max_lag: Duration) -> AudioMatch {
        let (alignment, rate) = best_alignment_rates(
            &reference.samples,
            reference.rate,
            &self.samples,
            self.rate,
            max_lag,
        );
        let refr = resample(&reference.samples, reference.rate, rate);
        let recv = resample(&self.samples, self.rate, rate);
        let windows = windowed_alignment(
            &refr,
            &recv,
            rate,
            &alignment,
            Duration::from_millis(250),
            // linphonec's adaptive jitter buffer moves the delay by up to 70 ms in a call
            // with re-INVITEs (measured -18..+52 ms)
            Duration::from_millis(100),
        );
        let reference_at = reference.resampled(rate);
        let segments = reference_at.segment_matches(&recv, rate, alignment.lag_samples, 20.0);
        let markers = detect_markers(&recv, rate);
        // Where each reference marker should be in the recording: shifted by the local lag of
        // the window around it (the delay changes when a jitter buffer adapts), else the
        // global lag.
        let global = alignment.lag_secs(rate);
        let local_lag = |t: f64| {
            windows
                .iter()
                .min_by(|(a, _), (b, _)| {
                    let da = (a.as_secs_f64() + 0.125 - t).abs();
                    let db = (b.as_secs_f64() + 0.125 - t).abs();
                    da.partial_cmp(&db).unwrap()
                })
                .filter(|(w, _)| (w.as_secs_f64() + 0.125 - t).abs() < 0.5)
                .map_or(global, |(_, a)| a.lag_secs(rate))
        };
        let len = recv.len() as f64 / rate as f64;
        let expected: Vec<f64> = reference
            .markers
            .iter()
            .map(|m| m.as_secs_f64() + local_lag(m.as_secs_f64() + global))
            .filter(|t| *t >= 0.0 && *t + 0.02 < len)
            .collect();
        let markers_matched = expected
            .iter()
            .filter(|t| {
                markers
                    .iter()
                    .any(|m| (m.as_secs_f64() - **t).abs() < 0.005)
            })
            .count();
        let lags: Vec<f64> = windows.iter().map(|(_, a)| a.lag_secs(rate)).collect();
        let lag_range = (
            lags.iter().copied().fold(global, f64::min),
            lags.iter().copied().fold(global, f64::max),
        );
        AudioMatch {
            rate,
            alignment,
            windowed_median: median_correlation(&windows),
            lag_range,
            windows: windows.len(),
            segments,
            markers_expected: expected.len(),
            markers_matched,
            level_dbfs: rms_dbfs(&recv),
            duration: self.duration(),
        }
    }
}

/// How a [`PeerRecording`] compares with the reference (see [`PeerRecording::compare`]).
#[derive(Clone, Debug)]
pub struct AudioMatch {
    /// Rate the comparison ran at.
    pub rate: u32,
    /// Global alignment: one-way delay and correlation.
    pub alignment: Alignment,
    /// Median correlation of the active 250 ms windows.
    pub windowed_median: f64,
    /// Active windows compared.
    pub windows: usize,
    /// Smallest and largest lag in seconds (global and per window): how much the delay moved
    /// during the call.
    pub lag_range: (f64, f64),
    /// Tone segments checked and matched.
    pub segments: SegmentReport,
    /// Reference markers that fall inside the recording.
    pub markers_expected: usize,
    /// Of those, markers found within 5 ms of where the lag puts them.
    pub markers_matched: usize,
    /// Level of the whole recording.
    pub level_dbfs: f64,
    /// Length of the recording.
    pub duration: Duration,
}

impl fmt::Display for AudioMatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "correlation {:.4} at lag {:+.1} ms (overlap {:.2} s), windowed median {:.4} over {} windows \
             (lags {:+.1}..{:+.1} ms), segments {}/{}, markers {}/{}, level {:.1} dBFS, recording {:.2} s at {} Hz",
            self.alignment.correlation,
            self.alignment.lag_secs(self.rate) * 1000.0,
            self.alignment.overlap as f64 / self.rate as f64,
            self.windowed_median,
            self.windows,
            self.lag_range.0 * 1000.0,
            self.lag_range.1 * 1000.0,
            self.segments.matched,
            self.segments.checked,
            self.markers_matched,
            self.markers_expected,
            self.level_dbfs,
            self.duration.as_secs_f64(),
            self.rate,
        )
    }
}
