//! Handset's media plane: codecs, RTP/RTCP, jitter buffer, DTMF, devices,
//! and the audio session that ties them together for one call.
#![warn(missing_docs)]
pub mod codec;
pub mod device;
pub mod dtmf;
pub mod error;
pub mod jitter;
pub mod params;
pub mod processing;
pub mod quality;
pub mod resample;
pub mod rtcp;
pub mod rtp;
#[cfg(feature = "tokio")]
pub mod runner;
pub mod session;
pub mod srtp;

pub use error::MediaError;
pub use params::{CodecChoice, MediaParams, SrtpParams};
#[cfg(feature = "tokio")]
pub use runner::{AudioIo, MediaHandle, MediaSocket};
pub use session::{AudioSession, MediaEvent, MediaStats, SessionConfig, Transmit};
