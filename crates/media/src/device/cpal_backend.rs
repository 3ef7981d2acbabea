//! Real devices through cpal (ALSA on Linux, CoreAudio, WASAPI, AAudio...).
//!
//! Each stream gets a control thread that owns the cpal stream (which need
//! not be `Send` on every platform), builds it, and rebuilds it when the
//! device errors out: on an unplugged device it falls back to the system
//! default and reports [`DeviceEvent::FellBackToDefault`]. The audio callback
//! converts format, channels and rate with buffers allocated when the stream
//! is built, and exchanges samples with the call through the lock-free ring.
//! The ring end is moved into the callback and handed back to the control
//! thread when cpal drops the callback, so a rebuild never needs a lock.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError, Sender};
use std::sync::Arc;
use std::time::Duration;

use cpal::traits::{DeviceTrait, HostTrait, StreamTrait};
use cpal::{FromSample, Sample, SampleFormat, SizedSample};
use ringbuf::traits::{Consumer, Producer};
use ringbuf::{HeapCons, HeapProd};

use super::stream::{emit, ring, Worker};
use super::{
    AudioBackend, CaptureStream, DeviceError, DeviceEvent, DeviceInfo, PlaybackStream, StreamParams,
};
use crate::resample::Resampler;

/// Device samples converted per step inside a callback.
const CHUNK: usize = 1024;

/// Devices of the platform's default host.
#[derive(Debug, Default, Clone, Copy)]
pub struct CpalBackend;

impl CpalBackend {
    /// The default host's devices.
    pub fn new() -> Self {
        Self
    }
}

fn backend_err(e: impl std::fmt::Display) -> DeviceError {
    DeviceError::Backend(e.to_string())
}

fn list(
    devices: impl Iterator<Item = cpal::Device>,
    default: Option<cpal::Device>,
) -> Vec<DeviceInfo> {
    let default = default.map(|d| d.to_string());
    devices
        .map(|d| {
            let name = d.to_string();
            DeviceInfo {
                is_default: default.as_deref() == Some(name.as_str()),
                name,
            }
        })
        .collect()
}

/// A ring end that returns to its owner when the callback holding it is dropped.
struct Returning<T> {
    inner: Option<T>,
    back: Sender<T>,
}

impl<T> Drop for Returning<T> {
    fn drop(&mut self) {
        if let Some(t) = self.inner.take() {
            let _ = self.back.send(t);
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Dir {
    Input,
    Output,
}

fn pick_device(
    host: &cpal::Host,
    dir: Dir,
    name: Option<&str>,
) -> Result<cpal::Device, DeviceError> {
    match name {
        Some(want) => {
            let mut devices = match dir {
                Dir::Input => host.input_devices().map_err(backend_err)?,
                Dir::Output => host.output_devices().map_err(backend_err)?,
            };
            devices
                .find(|d| d.to_string() == want)
                .ok_or_else(|| DeviceError::NotFound(want.to_owned()))
        }
        None => match dir {
            Dir::Input => host.default_input_device(),
            Dir::Output => host.default_output_device(),
        }
        .ok_or_else(|| DeviceError::NotFound("default".into())),
    }
}

struct CaptureState {
    prod: Returning<HeapProd<i16>>,
    channels: usize,
    resampler: Resampler,
    mono: Vec<i16>,
    out: Vec<i16>,
    overruns: Arc<AtomicU64>,
}

impl CaptureState {
    fn on_data<T>(&mut self, data: &[T])
    where
        T: SizedSample,
        i16: FromSample<T>,
    {
        let Some(prod) = self.prod.inner.as_mut() else {
            return;
        };
        for chunk in data.chunks(CHUNK * self.channels) {
            let frames = chunk.len() / self.channels;
            for (m, f) in self.mono.iter_mut().zip(chunk.chunks_exact(self.channels)) {
                let sum: i32 = f.iter().map(|s| i32::from(i16::from_sample(*s))).sum();
                *m = (sum / self.channels as i32) as i16;
            }
            let n = match self.resampler.process(&self.mono[..frames], &mut self.out) {
                Ok(n) => n,
                Err(_) => return,
            };
            let pushed = prod.push_slice(&self.out[..n]);
            if pushed < n {
                self.overruns
                    .fetch_add((n - pushed) as u64, Ordering::Relaxed);
            }
        }
    }
}

struct PlaybackState {
    cons: Returning<HeapCons<i16>>,
    channels: usize,
    resampler: Resampler,
    input: Vec<i16>,
    fifo: Vec<i16>,
    fifo_len: usize,
    underruns: Arc<AtomicU64>,
}

impl PlaybackState {
    fn on_data<T>(&mut self, data: &mut [T])
    where
        T: SizedSample + FromSample<i16>,
    {
        let Some(cons) = self.cons.inner.as_mut() else {
            data.fill(T::EQUILIBRIUM);
            return;
        };
        let frames = data.len() / self.channels;
        let mut written = 0;
        while written < frames {
            if self.fifo_len == 0 {
                let got = cons.pop_slice(&mut self.input);
                if got == 0 {
                    self.underruns.fetch_add(1, Ordering::Relaxed);
                    break;
                }
                match self.resampler.process(&self.input[..got], &mut self.fifo) {
                    Ok(n) => self.fifo_len = n,
                    Err(_) => break,
                }
                continue;
            }
            let n = self.fifo_len.min(frames - written);
            for (i, frame) in data[written * self.channels..(written + n) * self.channels]
                .chunks_exact_mut(self.channels)
                .enumerate()
            {
                frame.fill(T::from_sample(self.fifo[i]));
            }
            self.fifo.copy_within(n..self.fifo_len, 0);
            self.fifo_len -= n;
            written += n;
        }
        data[written * self.channels..].fill(T::EQUILIBRIUM);
    }
}

fn build_input<T>(
    device: &cpal::Device,
    config: &cpal::StreamConfig,
    mut state: CaptureState,
    errors: Sender<cpal::Error>,
) -> Result<cpal::Stream, DeviceError>
where
    T: SizedSample + Send + 'static,
    i16: FromSample<T>,
{
    device
        .build_input_stream::<T, _, _>(
            *config,
            move |data: &[T], _| state.on_data(data),
            move |e| {
                let _ = errors.send(e);
            },
            Some(Duration::from_secs(2)),
        )
        .map_err(backend_err)
}

fn build_output<T>(
    device: &cpal::Device,
    config: &cpal::StreamConfig,
    mut state: PlaybackState,
    errors: Sender<cpal::Error>,
) -> Result<cpal::Stream, DeviceError>
where
    T: SizedSample + FromSample<i16> + Send + 'static,
{
    device
        .build_output_stream::<T, _, _>(
            *config,
            move |data: &mut [T], _| state.on_data(data),
            move |e| {
                let _ = errors.send(e);
            },
            Some(Duration::from_secs(2)),
        )
        .map_err(backend_err)
}

/// The ring end a stream is built with: producer for capture, consumer for playback.
enum RingEnd {
    Prod(HeapProd<i16>),
    Cons(HeapCons<i16>),
}

struct Control {
    dir: Dir,
    params: StreamParams,
    counter: Arc<AtomicU64>,
    events: Sender<DeviceEvent>,
}

impl Control {
    fn build(
        &self,
        host: &cpal::Host,
        want: Option<&str>,
        end: RingEnd,
        back: Sender<RingEnd>,
        errors: Sender<cpal::Error>,
    ) -> Result<(cpal::Stream, String), DeviceError> {
        // hand the ring end back if we fail before cpal owns the callback
        let guard = Returning {
            inner: Some(end),
            back,
        };
        let device = pick_device(host, self.dir, want)?;
        let name = device.to_string();
        let supported = match self.dir {
            Dir::Input => device.default_input_config(),
            Dir::Output => device.default_output_config(),
        }
        .map_err(backend_err)?;
        let config = supported.config();
        let channels = usize::from(config.channels.max(1));
        let rate = config.sample_rate;
        let format = supported.sample_format();
        let mut guard = guard;
        let end = guard
            .inner
            .take()
            .ok_or_else(|| backend_err("ring end missing"))?;
        let back = guard.back.clone();
        drop(guard);
        let stream = match (self.dir, end) {
            (Dir::Input, RingEnd::Prod(p)) => {
                let resampler = Resampler::new(rate, self.params.sample_rate)?;
                let out = vec![0; resampler.max_output_len(CHUNK)];
                let (ptx, prx) = channel();
                // forward the producer back as a RingEnd when the callback is dropped
                forward(prx, back, RingEnd::Prod);
                let state = CaptureState {
                    prod: Returning {
                        inner: Some(p),
                        back: ptx,
                    },
                    channels,
                    resampler,
                    mono: vec![0; CHUNK],
                    out,
                    overruns: self.counter.clone(),
                };
                match format {
                    SampleFormat::F32 => build_input::<f32>(&device, &config, state, errors),
                    SampleFormat::I16 => build_input::<i16>(&device, &config, state, errors),
                    SampleFormat::I32 => build_input::<i32>(&device, &config, state, errors),
                    SampleFormat::U16 => build_input::<u16>(&device, &config, state, errors),
                    SampleFormat::U8 => build_input::<u8>(&device, &config, state, errors),
                    SampleFormat::F64 => build_input::<f64>(&device, &config, state, errors),
                    other => Err(DeviceError::Unsupported(format!("sample format {other:?}"))),
                }?
            }
            (Dir::Output, RingEnd::Cons(c)) => {
                let resampler = Resampler::new(self.params.sample_rate, rate)?;
                let input_len = (self.params.sample_rate as usize / 200).max(1); // 5 ms steps
                let fifo = vec![0; resampler.max_output_len(input_len)];
                let (ctx, crx) = channel();
                forward(crx, back, RingEnd::Cons);
                let state = PlaybackState {
                    cons: Returning {
                        inner: Some(c),
                        back: ctx,
                    },
                    channels,
                    resampler,
                    input: vec![0; input_len],
                    fifo,
                    fifo_len: 0,
                    underruns: self.counter.clone(),
                };
                match format {
                    SampleFormat::F32 => build_output::<f32>(&device, &config, state, errors),
                    SampleFormat::I16 => build_output::<i16>(&device, &config, state, errors),
                    SampleFormat::I32 => build_output::<i32>(&device, &config, state, errors),
                    SampleFormat::U16 => build_output::<u16>(&device, &config, state, errors),
                    SampleFormat::U8 => build_output::<u8>(&device, &config, state, errors),
                    SampleFormat::F64 => build_output::<f64>(&device, &config, state, errors),
                    other => Err(DeviceError::Unsupported(format!("sample format {other:?}"))),
                }?
            }
            _ => return Err(backend_err("ring end does not match direction")),
        };
        stream.play().map_err(backend_err)?;
        tracing::info!(device = %name, rate, channels, ?format, "audio stream started");
        Ok((stream, name))
    }

    /// The control loop: build, watch for errors, rebuild on the default device.
    fn run(self, stop: Arc<AtomicBool>, end: RingEnd, ready: Sender<Result<(), DeviceError>>) {
        let host = cpal::default_host();
        let (back_tx, back_rx) = channel::<RingEnd>();
        let mut end = Some(end);
        let mut want = self.params.device.clone();
        let mut ready = Some(ready);
        let mut lost: Option<String> = None;
        while !stop.load(Ordering::Acquire) {
            let Some(e) = end
                .take()
                .or_else(|| back_rx.recv_timeout(Duration::from_secs(2)).ok())
            else {
                emit(
                    &self.events,
                    DeviceEvent::Error("audio ring not returned by backend".into()),
                );
                return;
            };
            let (err_tx, err_rx) = channel();
            match self.build(&host, want.as_deref(), e, back_tx.clone(), err_tx) {
                Ok((stream, name)) => {
                    if let Some(r) = ready.take() {
                        let _ = r.send(Ok(()));
                    }
                    if let Some(from) = lost.take() {
                        emit(
                            &self.events,
                            DeviceEvent::FellBackToDefault {
                                from,
                                to: name.clone(),
                            },
                        );
                    }
                    let failed = watch(&stop, &err_rx);
                    drop(stream);
                    let Some(err) = failed else { return };
                    tracing::warn!(device = %name, error = %err, "audio device failed");
                    if err.kind() == cpal::ErrorKind::DeviceNotAvailable {
                        emit(&self.events, DeviceEvent::Disconnected(name.clone()));
                    } else {
                        emit(&self.events, DeviceEvent::Error(err.to_string()));
                    }
                    lost = Some(name);
                    want = None;
                    std::thread::sleep(Duration::from_millis(200));
                }
                Err(err) => {
                    if let Some(r) = ready.take() {
                        let _ = r.send(Err(err));
                        return;
                    }
                    emit(&self.events, DeviceEvent::Error(err.to_string()));
                    want = None;
                    // no device at all for now: retry slowly until stopped
                    for _ in 0..10 {
                        if stop.load(Ordering::Acquire) {
                            return;
                        }
                        std::thread::sleep(Duration::from_millis(100));
                    }
                }
            }
        }
    }
}

/// Relay a returned ring end of one type as a [`RingEnd`] from a helper thread,
/// since the callback side only knows its concrete end type.
fn forward<T: Send + 'static>(rx: Receiver<T>, back: Sender<RingEnd>, wrap: fn(T) -> RingEnd) {
    let spawned = std::thread::Builder::new()
        .name("handset-cpal-return".into())
        .spawn(move || {
            if let Ok(t) = rx.recv() {
                let _ = back.send(wrap(t));
            }
        });
    if let Err(e) = spawned {
        tracing::warn!(error = %e, "could not start ring relay thread");
    }
}

/// Wait until stopped (`None`) or a stream error that needs a rebuild.
fn watch(stop: &AtomicBool, errors: &Receiver<cpal::Error>) -> Option<cpal::Error> {
    loop {
        if stop.load(Ordering::Acquire) {
            return None;
        }
        match errors.recv_timeout(Duration::from_millis(50)) {
            // overruns and underruns are recoverable: the stream keeps going
            Ok(e) if e.kind() == cpal::ErrorKind::Xrun => {
                tracing::debug!("audio xrun");
            }
            Ok(e) => return Some(e),
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => {
                return Some(cpal::Error::new(cpal::ErrorKind::StreamInvalidated));
            }
        }
    }
}

fn open(
    dir: Dir,
    params: &StreamParams,
) -> Result<(Worker, Receiver<DeviceEvent>, Arc<AtomicU64>, RingOther), DeviceError> {
    params.validate()?;
    let n = params.frame_samples();
    let (prod, cons) = ring(n);
    let (end, other) = match dir {
        Dir::Input => (RingEnd::Prod(prod), RingOther::Cons(cons)),
        Dir::Output => (RingEnd::Cons(cons), RingOther::Prod(prod)),
    };
    let (tx, events) = channel();
    let counter = Arc::new(AtomicU64::new(0));
    let control = Control {
        dir,
        params: params.clone(),
        counter: counter.clone(),
        events: tx,
    };
    let (ready_tx, ready_rx) = channel();
    let name = match dir {
        Dir::Input => "handset-cpal-capture",
        Dir::Output => "handset-cpal-playback",
    };
    let worker = Worker::spawn(name, move |stop| control.run(stop, end, ready_tx))?;
    match ready_rx.recv_timeout(Duration::from_secs(5)) {
        Ok(Ok(())) => Ok((worker, events, counter, other)),
        Ok(Err(e)) => Err(e),
        Err(_) => Err(DeviceError::Backend("audio device did not start".into())),
    }
}

enum RingOther {
    Prod(HeapProd<i16>),
    Cons(HeapCons<i16>),
}

impl AudioBackend for CpalBackend {
    fn name(&self) -> &'static str {
        "cpal"
    }

    fn input_devices(&self) -> Result<Vec<DeviceInfo>, DeviceError> {
        let host = cpal::default_host();
        Ok(list(
            host.input_devices().map_err(backend_err)?,
            host.default_input_device(),
        ))
    }

    fn output_devices(&self) -> Result<Vec<DeviceInfo>, DeviceError> {
        let host = cpal::default_host();
        Ok(list(
            host.output_devices().map_err(backend_err)?,
            host.default_output_device(),
        ))
    }

    fn open_capture(&self, params: &StreamParams) -> Result<CaptureStream, DeviceError> {
        let (worker, events, overruns, other) = open(Dir::Input, params)?;
        let RingOther::Cons(cons) = other else {
            return Err(backend_err("ring end mismatch"));
        };
        Ok(CaptureStream {
            cons,
            events,
            frame_samples: params.frame_samples(),
            sample_rate: params.sample_rate,
            overruns,
            _worker: worker,
        })
    }

    fn open_playback(&self, params: &StreamParams) -> Result<PlaybackStream, DeviceError> {
        let (worker, events, underruns, other) = open(Dir::Output, params)?;
        let RingOther::Prod(prod) = other else {
            return Err(backend_err("ring end mismatch"));
        };
        Ok(PlaybackStream {
            prod,
            events,
            frame_samples: params.frame_samples(),
            sample_rate: params.sample_rate,
            underruns,
            _worker: worker,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listing_and_opening_fail_gracefully_without_hardware() {
        // CI machines have no sound card: this must return, not panic or hang
        let b = CpalBackend::new();
        let inputs = b.input_devices();
        let outputs = b.output_devices();
        tracing::debug!(?inputs, ?outputs);
        match b.open_capture(&StreamParams::new(16000)) {
            Ok(mut c) => {
                std::thread::sleep(Duration::from_millis(100));
                let _ = c.poll_event();
            }
            Err(e) => assert!(!e.to_string().is_empty()),
        }
        assert!(b.open_playback(&StreamParams::new(7)).is_err());
    }

    #[test]
    fn playback_state_converts_and_zero_fills() {
        let (mut prod, cons) = ring(160);
        let (tx, _rx) = channel();
        let mut st = PlaybackState {
            cons: Returning {
                inner: Some(cons),
                back: tx,
            },
            channels: 2,
            resampler: Resampler::new(8000, 16000).unwrap(),
            input: vec![0; 40],
            fifo: vec![0; 100],
            fifo_len: 0,
            underruns: Arc::new(AtomicU64::new(0)),
        };
        prod.push_slice(&[8000i16; 80]);
        let mut out = vec![1.0f32; 2 * 400];
        st.on_data(&mut out);
        // 80 input samples make ~160 output frames, the rest is silence
        assert!(out[2 * 300..].iter().all(|s| *s == 0.0));
        assert!(out[2 * 100] > 0.2);
        assert_eq!(out[2 * 100], out[2 * 100 + 1]);
        assert_eq!(st.underruns.load(Ordering::Relaxed), 1);
    }

    #[test]
    fn capture_state_downmixes_and_resamples() {
        let (prod, mut cons) = ring(160);
        let (tx, _rx) = channel();
        let rs = Resampler::new(48000, 16000).unwrap();
        let mut st = CaptureState {
            prod: Returning {
                inner: Some(prod),
                back: tx,
            },
            channels: 2,
            out: vec![0; rs.max_output_len(CHUNK)],
            resampler: rs,
            mono: vec![0; CHUNK],
            overruns: Arc::new(AtomicU64::new(0)),
        };
        let data: Vec<f32> = (0..2 * 4800)
            .map(|i| if i % 2 == 0 { 0.5 } else { 0.0 })
            .collect();
        st.on_data(&data);
        let mut got = vec![0i16; 2000];
        let n = cons.pop_slice(&mut got);
        assert_eq!(n, 1600);
        // left at 0.5 and right silent average to a quarter of full scale
        assert!((i32::from(got[1000]) - 8192).abs() < 100, "{}", got[1000]);
    }
}
