//! The caller's ends of capture and playback streams, and the pacing and
//! lifetime helpers the file and null backends share.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, Sender};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use ringbuf::traits::{Consumer, Observer, Producer, Split};
use ringbuf::{HeapCons, HeapProd, HeapRb};

use super::DeviceEvent;

/// Ring capacity in frames: room for scheduling hiccups of the consumer.
pub(crate) const RING_FRAMES: usize = 16;

pub(crate) fn ring(frame_samples: usize) -> (HeapProd<i16>, HeapCons<i16>) {
    HeapRb::<i16>::new(frame_samples * RING_FRAMES).split()
}

/// Stops a backend thread on drop.
#[derive(Debug)]
pub(crate) struct Worker {
    pub(crate) stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Worker {
    pub(crate) fn spawn(
        name: &str,
        f: impl FnOnce(Arc<AtomicBool>) + Send + 'static,
    ) -> std::io::Result<Self> {
        let stop = Arc::new(AtomicBool::new(false));
        let s = stop.clone();
        let thread = std::thread::Builder::new()
            .name(name.to_owned())
            .spawn(move || f(s))?;
        Ok(Self {
            stop,
            thread: Some(thread),
        })
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        if let Some(t) = self.thread.take() {
            if t.join().is_err() {
                tracing::warn!("audio worker thread panicked");
            }
        }
    }
}

/// Sleeps to absolute frame deadlines so pacing never drifts; after a stall
/// of more than a few frames it starts afresh rather than bursting.
pub(crate) struct Pacer {
    next: Instant,
    frame: Duration,
}

impl Pacer {
    pub(crate) fn new(frame: Duration) -> Self {
        Self {
            next: Instant::now() + frame,
            frame,
        }
    }

    /// Wait for the next frame; false when asked to stop.
    pub(crate) fn wait(&mut self, stop: &AtomicBool) -> bool {
        loop {
            if stop.load(Ordering::Acquire) {
                return false;
            }
            let now = Instant::now();
            if now >= self.next {
                break;
            }
            // sleep in short slices so a stop request is seen promptly
            std::thread::sleep((self.next - now).min(Duration::from_millis(20)));
        }
        self.next += self.frame;
        let now = Instant::now();
        if now > self.next + 4 * self.frame {
            self.next = now + self.frame;
        }
        true
    }
}

/// Frames captured from a microphone (or file), mono i16.
pub struct CaptureStream {
    pub(crate) cons: HeapCons<i16>,
    pub(crate) events: Receiver<DeviceEvent>,
    pub(crate) frame_samples: usize,
    pub(crate) sample_rate: u32,
    pub(crate) overruns: Arc<AtomicU64>,
    pub(crate) _worker: Worker,
}

impl std::fmt::Debug for CaptureStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CaptureStream")
            .field("sample_rate", &self.sample_rate)
            .field("frame_samples", &self.frame_samples)
            .finish_non_exhaustive()
    }
}

impl CaptureStream {
    /// Samples per frame.
    pub fn frame_samples(&self) -> usize {
        self.frame_samples
    }

    /// Sample rate of the frames.
    pub fn sample_rate(&self) -> u32 {
        self.sample_rate
    }

    /// Whole frames waiting.
    pub fn available_frames(&self) -> usize {
        self.cons.occupied_len() / self.frame_samples
    }

    /// Take one frame into `out` (which must hold `frame_samples`); false if
    /// no whole frame is ready. Never blocks.
    pub fn read_frame(&mut self, out: &mut [i16]) -> bool {
        let n = self.frame_samples;
        if out.len() < n || self.cons.occupied_len() < n {
            return false;
        }
        self.cons.pop_slice(&mut out[..n]) == n
    }

    /// Samples the device produced while the ring was full (consumer too slow).
    pub fn overruns(&self) -> u64 {
        self.overruns.load(Ordering::Relaxed)
    }

    /// The next device event, if any.
    pub fn poll_event(&mut self) -> Option<DeviceEvent> {
        self.events.try_recv().ok()
    }
}

/// Frames to play on a speaker (or record to a file), mono i16.
pub struct PlaybackStream {
    pub(crate) prod: HeapProd<i16>,
    pub(crate) events: Receiver<DeviceEvent>,
    pub(crate) frame_samples: usize,
    pub(crate) sample_rate: u32,
    pub(crate) underruns: Arc<AtomicU64>,
    pub(crate) _worker: Worker,
}

impl std::fmt::Debug for PlaybackStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PlaybackStream")
            .field("sample_rate", &self.sample_rate)
            .field("frame_samples", &self.frame_samples)
            .finish_non_exhaustive()
    }
}

impl PlaybackStream {
    /// Samples per frame.
    pub fn frame_samples(&self) -> usize {
        self.frame_samples
    }

    /// Sample rate of the frames.
    pub fn sample_rate(&self) -> u32 {
        self.sample_rate
    }

    /// Samples queued and not yet played.
    pub fn buffered(&self) -> usize {
        self.prod.occupied_len()
    }

    /// Queue samples; returns how many fit. Never blocks.
    pub fn write(&mut self, samples: &[i16]) -> usize {
        self.prod.push_slice(samples)
    }

    /// Frames the device wanted while the ring was empty.
    pub fn underruns(&self) -> u64 {
        self.underruns.load(Ordering::Relaxed)
    }

    /// The next device event, if any.
    pub fn poll_event(&mut self) -> Option<DeviceEvent> {
        self.events.try_recv().ok()
    }
}

/// Report an event, ignoring a caller that has gone away.
pub(crate) fn emit(tx: &Sender<DeviceEvent>, e: DeviceEvent) {
    let _ = tx.send(e);
}

/// Push to a capture ring, counting what did not fit.
pub(crate) fn push_counted(prod: &mut HeapProd<i16>, samples: &[i16], overruns: &AtomicU64) {
    let n = prod.push_slice(samples);
    if n < samples.len() {
        overruns.fetch_add((samples.len() - n) as u64, Ordering::Relaxed);
    }
}

/// Pop a frame from a playback ring, zero-filling and counting a shortfall.
pub(crate) fn pop_counted(cons: &mut HeapCons<i16>, out: &mut [i16], underruns: &AtomicU64) {
    let n = cons.pop_slice(out);
    if n < out.len() {
        out[n..].fill(0);
        underruns.fetch_add(1, Ordering::Relaxed);
    }
}
