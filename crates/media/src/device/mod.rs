//! Audio devices behind one trait, with three backends: `null` (silence in,
//! discard out), `wav` (files as microphone and speaker) and, with the `cpal`
//! feature, real devices.
//!
//! Every backend runs its own threads, off any async runtime, and hands
//! frames through preallocated lock-free SPSC rings: capture produces into
//! a ring the call consumes; the call produces into a playback ring the device
//! consumes. Streams stop their threads when dropped.

#[cfg(feature = "cpal")]
mod cpal_backend;
mod null;
mod stream;
mod wav;

#[cfg(feature = "cpal")]
pub use cpal_backend::CpalBackend;
pub use null::NullBackend;
pub use stream::{CaptureStream, PlaybackStream};
pub use wav::{read_wav_mono, WavBackend};

use std::time::Duration;

use thiserror::Error;

use crate::resample::ResampleError;

/// Device and backend failures.
#[derive(Debug, Error)]
pub enum DeviceError {
    /// No device of that name.
    #[error("audio device not found: {0}")]
    NotFound(String),
    /// The backend (ALSA, CoreAudio, ...) refused.
    #[error("audio backend: {0}")]
    Backend(String),
    /// The requested format cannot be provided.
    #[error("unsupported stream parameters: {0}")]
    Unsupported(String),
    /// Reading or writing a WAV file failed.
    #[error("wav: {0}")]
    Wav(#[from] hound::Error),
    /// Rate conversion set-up failed.
    #[error(transparent)]
    Resample(#[from] ResampleError),
    /// A backend thread could not be started.
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
}

/// A device as listed to the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceInfo {
    /// Name to pass back in [`StreamParams::device`].
    pub name: String,
    /// True for the system default.
    pub is_default: bool,
}

/// What the caller wants from a capture or playback stream: mono i16 frames
/// at `sample_rate`, `frame` long (10 or 20 ms); the backend converts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamParams {
    /// Device name, `None` for the default.
    pub device: Option<String>,
    /// Sample rate of the frames exchanged with the caller.
    pub sample_rate: u32,
    /// Frame length.
    pub frame: Duration,
}

impl StreamParams {
    /// Default device at `sample_rate`, 20 ms frames.
    pub fn new(sample_rate: u32) -> Self {
        Self {
            device: None,
            sample_rate,
            frame: Duration::from_millis(20),
        }
    }

    /// Samples per frame.
    pub fn frame_samples(&self) -> usize {
        (u128::from(self.sample_rate) * self.frame.as_nanos() / 1_000_000_000) as usize
    }

    fn validate(&self) -> Result<(), DeviceError> {
        if self.sample_rate < 8000 || self.sample_rate > 192_000 {
            return Err(DeviceError::Unsupported(format!(
                "rate {}",
                self.sample_rate
            )));
        }
        if self.frame < Duration::from_millis(5) || self.frame > Duration::from_millis(100) {
            return Err(DeviceError::Unsupported(format!("frame {:?}", self.frame)));
        }
        Ok(())
    }
}

/// Something that happened to a stream, reported asynchronously.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeviceEvent {
    /// The backend reported an error; the stream may have stopped.
    Error(String),
    /// The device went away (unplugged).
    Disconnected(String),
    /// After losing `from`, the stream continues on the default device `to`.
    FellBackToDefault {
        /// The device that was lost.
        from: String,
        /// The device now in use.
        to: String,
    },
    /// A file source reached its end (and now delivers silence).
    EndOfInput,
}

/// A provider of capture and playback streams.
pub trait AudioBackend: Send + Sync {
    /// Short backend name for logs ("null", "wav", "cpal").
    fn name(&self) -> &'static str;
    /// Microphones.
    fn input_devices(&self) -> Result<Vec<DeviceInfo>, DeviceError>;
    /// Speakers and headsets.
    fn output_devices(&self) -> Result<Vec<DeviceInfo>, DeviceError>;
    /// Start capturing.
    fn open_capture(&self, params: &StreamParams) -> Result<CaptureStream, DeviceError>;
    /// Start playing.
    fn open_playback(&self, params: &StreamParams) -> Result<PlaybackStream, DeviceError>;
}
