//! The null backend: a silent microphone and a speaker that discards, both
//! paced by a timer so a call runs at real speed with no audio hardware.

use std::sync::atomic::AtomicU64;
use std::sync::mpsc::channel;
use std::sync::Arc;

use super::stream::{pop_counted, push_counted, ring, Pacer, Worker};
use super::{AudioBackend, CaptureStream, DeviceError, DeviceInfo, PlaybackStream, StreamParams};

/// Silence in, nothing out.
#[derive(Debug, Default, Clone, Copy)]
pub struct NullBackend;

impl NullBackend {
    /// The null backend.
    pub fn new() -> Self {
        Self
    }
}

fn null_device() -> Vec<DeviceInfo> {
    vec![DeviceInfo {
        name: "null".into(),
        is_default: true,
    }]
}

impl AudioBackend for NullBackend {
    fn name(&self) -> &'static str {
        "null"
    }

    fn input_devices(&self) -> Result<Vec<DeviceInfo>, DeviceError> {
        Ok(null_device())
    }

    fn output_devices(&self) -> Result<Vec<DeviceInfo>, DeviceError> {
        Ok(null_device())
    }

    fn open_capture(&self, params: &StreamParams) -> Result<CaptureStream, DeviceError> {
        params.validate()?;
        let n = params.frame_samples();
        let (mut prod, cons) = ring(n);
        let (_tx, events) = channel();
        let overruns = Arc::new(AtomicU64::new(0));
        let ov = overruns.clone();
        let frame = params.frame;
        let worker = Worker::spawn("handset-null-capture", move |stop| {
            let silence = vec![0i16; n];
            let mut pacer = Pacer::new(frame);
            while pacer.wait(&stop) {
                push_counted(&mut prod, &silence, &ov);
            }
        })?;
        Ok(CaptureStream {
            cons,
            events,
            frame_samples: n,
            sample_rate: params.sample_rate,
            overruns,
            _worker: worker,
        })
    }

    fn open_playback(&self, params: &StreamParams) -> Result<PlaybackStream, DeviceError> {
        params.validate()?;
        let n = params.frame_samples();
        let (prod, mut cons) = ring(n);
        let (_tx, events) = channel();
        let underruns = Arc::new(AtomicU64::new(0));
        let un = underruns.clone();
        let frame = params.frame;
        let worker = Worker::spawn("handset-null-playback", move |stop| {
            let mut sink = vec![0i16; n];
            let mut pacer = Pacer::new(frame);
            while pacer.wait(&stop) {
                pop_counted(&mut cons, &mut sink, &un);
            }
        })?;
        Ok(PlaybackStream {
            prod,
            events,
            frame_samples: n,
            sample_rate: params.sample_rate,
            underruns,
            _worker: worker,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    #[test]
    fn paced_silence_and_sink() {
        let b = NullBackend::new();
        assert_eq!(b.input_devices().unwrap()[0].name, "null");
        let p = StreamParams {
            device: None,
            sample_rate: 16000,
            frame: Duration::from_millis(10),
        };
        let mut cap = b.open_capture(&p).unwrap();
        let mut play = b.open_playback(&p).unwrap();
        assert_eq!(cap.frame_samples(), 160);
        let t0 = Instant::now();
        let mut frames = 0;
        let mut buf = [1i16; 160];
        while t0.elapsed() < Duration::from_millis(200) {
            while cap.read_frame(&mut buf) {
                assert!(buf.iter().all(|s| *s == 0));
                frames += 1;
            }
            play.write(&buf);
            std::thread::sleep(Duration::from_millis(5));
        }
        // about 20 frames in 200 ms: paced, not a busy loop
        assert!((15..=25).contains(&frames), "{frames}");
        assert!(play.buffered() < 16 * 160);
        assert!(b.open_capture(&StreamParams::new(1000)).is_err());
    }
}
