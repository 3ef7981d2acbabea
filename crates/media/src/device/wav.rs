//! The WAV backend: a file as the microphone (looped, or signalling its end)
//! and the speaker recorded to a file. Used by tests, benchmarks and the CLI
//! for unattended calls.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicU64;
use std::sync::mpsc::channel;
use std::sync::Arc;

use ringbuf::traits::Consumer;

use super::stream::{emit, push_counted, ring, Pacer, Worker};
use super::{
    AudioBackend, CaptureStream, DeviceError, DeviceEvent, DeviceInfo, PlaybackStream, StreamParams,
};
use crate::resample::{downmix_to_mono, Resampler};

/// Files in place of devices.
#[derive(Debug, Clone, Default)]
pub struct WavBackend {
    input: Option<PathBuf>,
    output: Option<PathBuf>,
    looped: bool,
}

impl WavBackend {
    /// Read the microphone from `input` and record the speaker to `output`;
    /// either may be absent (silence in, discard out).
    pub fn new(input: Option<PathBuf>, output: Option<PathBuf>) -> Self {
        Self {
            input,
            output,
            looped: false,
        }
    }

    /// Restart the input file at its end instead of signalling
    /// [`DeviceEvent::EndOfInput`] and continuing with silence.
    pub fn looped(mut self, looped: bool) -> Self {
        self.looped = looped;
        self
    }
}

/// Read a WAV file as mono i16 at `rate` (converting format, channels and rate).
pub fn read_wav_mono(path: &Path, rate: u32) -> Result<Vec<i16>, DeviceError> {
    let mut reader = hound::WavReader::open(path)?;
    let spec = reader.spec();
    let interleaved: Vec<i16> = match spec.sample_format {
        hound::SampleFormat::Int if spec.bits_per_sample <= 16 => {
            let shift = 16 - spec.bits_per_sample;
            reader
                .samples::<i16>()
                .map(|s| s.map(|v| v << shift))
                .collect::<Result<_, _>>()?
        }
        hound::SampleFormat::Int => {
            let shift = u32::from(spec.bits_per_sample.saturating_sub(16));
            reader
                .samples::<i32>()
                .map(|s| s.map(|v| (v >> shift) as i16))
                .collect::<Result<_, _>>()?
        }
        hound::SampleFormat::Float => reader
            .samples::<f32>()
            .map(|s| s.map(|v| (v.clamp(-1.0, 1.0) * 32767.0) as i16))
            .collect::<Result<_, _>>()?,
    };
    let channels = usize::from(spec.channels.max(1));
    let mut mono = vec![0i16; interleaved.len() / channels];
    downmix_to_mono(&interleaved, channels, &mut mono);
    let mut rs = Resampler::new(spec.sample_rate, rate)?;
    if rs.is_passthrough() {
        return Ok(mono);
    }
    let mut out = vec![0i16; rs.max_output_len(mono.len())];
    let n = rs.process(&mono, &mut out)?;
    out.truncate(n);
    Ok(out)
}

fn wav_device(path: &Option<PathBuf>) -> Vec<DeviceInfo> {
    vec![DeviceInfo {
        name: path
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| "silence".into()),
        is_default: true,
    }]
}

impl AudioBackend for WavBackend {
    fn name(&self) -> &'static str {
        "wav"
    }

    fn input_devices(&self) -> Result<Vec<DeviceInfo>, DeviceError> {
        Ok(wav_device(&self.input))
    }

    fn output_devices(&self) -> Result<Vec<DeviceInfo>, DeviceError> {
        Ok(wav_device(&self.output))
    }

    fn open_capture(&self, params: &StreamParams) -> Result<CaptureStream, DeviceError> {
        params.validate()?;
        let n = params.frame_samples();
        // decoded up front: file I/O and conversion stay out of the paced loop
        let source = match &self.input {
            Some(p) => read_wav_mono(p, params.sample_rate)?,
            None => Vec::new(),
        };
        let (mut prod, cons) = ring(n);
        let (tx, events) = channel();
        let overruns = Arc::new(AtomicU64::new(0));
        let ov = overruns.clone();
        let looped = self.looped;
        let frame = params.frame;
        let worker = Worker::spawn("handset-wav-capture", move |stop| {
            let mut buf = vec![0i16; n];
            let mut pos = 0usize;
            let mut ended = source.is_empty();
            let mut pacer = Pacer::new(frame);
            while pacer.wait(&stop) {
                let mut filled = 0;
                while filled < n {
                    if ended {
                        buf[filled..].fill(0);
                        break;
                    }
                    let take = (n - filled).min(source.len() - pos);
                    buf[filled..filled + take].copy_from_slice(&source[pos..pos + take]);
                    filled += take;
                    pos += take;
                    if pos == source.len() {
                        if looped {
                            pos = 0;
                        } else {
                            ended = true;
                            emit(&tx, DeviceEvent::EndOfInput);
                        }
                    }
                }
                push_counted(&mut prod, &buf, &ov);
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
        let (tx, events) = channel();
        let underruns = Arc::new(AtomicU64::new(0));
        let un = underruns.clone();
        let mut writer = match &self.output {
            Some(p) => Some(hound::WavWriter::create(
                p,
                hound::WavSpec {
                    channels: 1,
                    sample_rate: params.sample_rate,
                    bits_per_sample: 16,
                    sample_format: hound::SampleFormat::Int,
                },
            )?),
            None => None,
        };
        let frame = params.frame;
        let worker = Worker::spawn("handset-wav-playback", move |stop| {
            let mut buf = vec![0i16; n];
            let mut pacer = Pacer::new(frame);
            while pacer.wait(&stop) {
                // an empty ring is recorded as silence so the file keeps real time
                let got = cons.pop_slice(&mut buf);
                if got < n {
                    buf[got..].fill(0);
                    un.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
                if let Some(w) = writer.as_mut() {
                    for s in &buf {
                        if let Err(e) = w.write_sample(*s) {
                            emit(&tx, DeviceEvent::Error(e.to_string()));
                            writer = None;
                            break;
                        }
                    }
                }
            }
            if let Some(w) = writer {
                if let Err(e) = w.finalize() {
                    emit(&tx, DeviceEvent::Error(e.to_string()));
                }
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

    fn write_tone(path: &Path, rate: u32, channels: u16, secs: f64) {
        let spec = hound::WavSpec {
            channels,
            sample_rate: rate,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let mut w = hound::WavWriter::create(path, spec).unwrap();
        for i in 0..(f64::from(rate) * secs) as usize {
            let v = ((2.0 * std::f64::consts::PI * 500.0 * i as f64 / f64::from(rate)).sin()
                * 10000.0) as i16;
            for _ in 0..channels {
                w.write_sample(v).unwrap();
            }
        }
        w.finalize().unwrap();
    }

    #[test]
    fn reads_converts_and_signals_end() {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("in.wav");
        write_tone(&src, 44100, 2, 0.1);
        let mono = read_wav_mono(&src, 16000).unwrap();
        assert!(mono.len().abs_diff(1600) <= 2);

        let b = WavBackend::new(Some(src), None);
        let p = StreamParams::new(8000);
        let mut cap = b.open_capture(&p).unwrap();
        let mut buf = [0i16; 160];
        let t0 = Instant::now();
        let mut frames = 0;
        let mut ended = false;
        while t0.elapsed() < Duration::from_millis(300) {
            while cap.read_frame(&mut buf) {
                frames += 1;
            }
            if cap.poll_event() == Some(DeviceEvent::EndOfInput) {
                ended = true;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        assert!(ended);
        assert!(frames >= 10);
    }

    #[test]
    fn records_playback_in_real_time() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out.wav");
        {
            let b = WavBackend::new(None, Some(out.clone()));
            let mut play = b.open_playback(&StreamParams::new(16000)).unwrap();
            let frame = vec![1234i16; 320];
            for _ in 0..5 {
                play.write(&frame);
            }
            std::thread::sleep(Duration::from_millis(250));
        }
        let rec = read_wav_mono(&out, 16000).unwrap();
        // 5 frames of audio, then silence for the rest of ~250 ms
        assert!(
            rec.len() >= 320 * 10 && rec.len() <= 320 * 15,
            "{}",
            rec.len()
        );
        assert_eq!(rec.iter().filter(|s| **s == 1234).count(), 1600);
    }

    #[test]
    fn looped_input_never_ends() {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("short.wav");
        write_tone(&src, 8000, 1, 0.03);
        let b = WavBackend::new(Some(src), None).looped(true);
        let mut cap = b.open_capture(&StreamParams::new(8000)).unwrap();
        std::thread::sleep(Duration::from_millis(150));
        let mut buf = [0i16; 160];
        let mut loud = 0;
        while cap.read_frame(&mut buf) {
            loud += usize::from(buf.iter().any(|s| s.abs() > 5000));
        }
        assert!(loud >= 5);
        assert_eq!(cap.poll_event(), None);
        assert!(WavBackend::new(Some(dir.path().join("missing.wav")), None)
            .open_capture(&StreamParams::new(8000))
            .is_err());
    }
}
