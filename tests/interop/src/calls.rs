//! Shared pieces of the call interop tests: the signals each side plays,
//! what a direction of a call must achieve, and a timed audio call between
//! any two [`CallPeer`]s.

use std::time::{Duration, Instant};

use handset_harness::{AudioMatch, CallPeer, TestSignal};

/// How long to wait for a peer's reaction.
pub const T: Duration = Duration::from_secs(5);
/// How long each audio call lasts before hanging up.
pub const TALK: Duration = Duration::from_secs(3);
/// Lag search range: both peers record from their first decoded packet, so the lag is small.
pub const MAX_LAG: Duration = Duration::from_millis(800);

/// What one direction of a call must at least achieve.
#[derive(Clone, Copy, Debug)]
pub struct Expect {
    /// Global normalized correlation.
    pub correlation: f64,
    /// Median of the 250 ms windows.
    pub windowed: f64,
}

/// A 30 s speech-like signal (longer than any call: baresip hangs up when its source ends),
/// different per seed so that each direction is told apart.
pub fn signal(seed: u64) -> TestSignal {
    TestSignal::speech_like(8000, Duration::from_secs(30), Duration::from_secs(1), seed)
}

/// Prints how long a test took (visible with `--nocapture` or when it fails).
pub struct Timer(&'static str, Instant);

impl Drop for Timer {
    fn drop(&mut self) {
        eprintln!("[calls] {} took {:.2?}", self.0, self.1.elapsed());
    }
}

/// Starts a [`Timer`].
pub fn timer(name: &'static str) -> Timer {
    Timer(name, Instant::now())
}

/// `caller` dials `callee`, both talk for [`TALK`], the caller hangs up; returns how the
/// callee's recording matches `caller_src` and the caller's recording matches `callee_src`.
pub fn audio_call(
    what: &str,
    caller: &mut dyn CallPeer,
    callee: &mut dyn CallPeer,
    caller_src: &TestSignal,
    callee_src: &TestSignal,
) -> (AudioMatch, AudioMatch) {
    caller.dial(&callee.aor()).unwrap();
    callee
        .wait_established(T)
        .unwrap_or_else(|e| panic!("{e:#}\n{}", caller.report()));
    caller.wait_established(T).unwrap();
    std::thread::sleep(TALK);
    caller.hangup().unwrap();
    caller.wait_closed(T).unwrap();
    callee.wait_closed(T).unwrap();
    let forward = callee.recording(T).unwrap().compare(caller_src, MAX_LAG);
    let backward = caller.recording(T).unwrap().compare(callee_src, MAX_LAG);
    eprintln!("{what} {} -> {}: {forward}", caller.label(), callee.label());
    eprintln!(
        "{what} {} -> {}: {backward}",
        callee.label(),
        caller.label()
    );
    (forward, backward)
}

/// Asserts that one direction of a call carried the signal.
pub fn check(m: &AudioMatch, e: Expect, what: &str) {
    assert!(
        m.alignment.correlation >= e.correlation,
        "{what}: correlation below {}: {m}",
        e.correlation
    );
    assert!(
        m.windowed_median >= e.windowed,
        "{what}: windowed median below {}: {m}",
        e.windowed
    );
    // a 3 s call holds about 8 tone segments and 3 markers; every one must come through
    assert!(m.segments.checked >= 5, "{what}: {m}");
    assert_eq!(
        m.segments.matched, m.segments.checked,
        "{what}: {m} {:?}",
        m.segments.mismatches
    );
    assert!(m.markers_expected >= 2, "{what}: {m}");
    assert!(m.markers_matched + 1 >= m.markers_expected, "{what}: {m}");
    assert!(m.duration >= Duration::from_secs(2), "{what}: {m}");
    // the source is about -16.5 dBFS overall; no codec here changes that by 8 dB
    assert!((-25.0..-8.0).contains(&m.level_dbfs), "{what}: {m}");
}
