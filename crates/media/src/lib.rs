//! Handset's media plane: codecs, RTP/RTCP, jitter buffer, DTMF, devices,
//! and the audio session that ties them together for one call.
#![warn(missing_docs)]
pub mod codec;
pub mod device;
pub mod dtmf;
pub mod error;
pub mod jitter;
pub mod params;
pub mod quality;
pub mod resample;
pub mod rtcp;
pub mod rtp;
pub mod session;
pub mod srtp;

pub use error::MediaError;
pub use params::{CodecChoice, MediaParams, SrtpParams};
pub use session::{AudioSession, MediaEvent, MediaStats, SessionConfig, Transmit};
