//! The error type of the media plane's public entry points.

use thiserror::Error;

use crate::codec::CodecError;
use crate::device::DeviceError;
use crate::resample::ResampleError;
use crate::srtp::SrtpError;

/// Why a media session could not start or be reconfigured. Problems with
/// individual packets are never errors: they are dropped and counted.
#[derive(Debug, Error)]
pub enum MediaError {
    /// The codec is unknown or its parameters are unusable.
    #[error("codec: {0}")]
    Codec(#[from] CodecError),
    /// The negotiated clock rate does not match the codec's.
    #[error("codec {name} runs at {expected} Hz, SDP says {got} Hz")]
    ClockRate {
        /// Encoding name.
        name: String,
        /// The codec's RTP clock rate.
        expected: u32,
        /// The rate in the SDP.
        got: u32,
    },
    /// The SRTP suite or keys are unusable.
    #[error("SRTP: {0}")]
    Srtp(#[from] SrtpError),
    /// A sample-rate conversion cannot be set up.
    #[error(transparent)]
    Resample(#[from] ResampleError),
    /// An audio device could not be opened.
    #[error("audio device: {0}")]
    Device(#[from] DeviceError),
    /// Socket trouble.
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
    /// The media task is gone.
    #[error("media task stopped")]
    Stopped,
}
