//! Microphone processing before encoding: echo cancellation (with the
//! `webrtc-aec` feature), then noise suppression, at the device rate.

#[cfg(feature = "webrtc-aec")]
mod echo;
mod noise;

#[cfg(feature = "webrtc-aec")]
pub use echo::{EchoCanceller, AEC_RATE};
pub use noise::NoiseSuppressor;

/// The capture chain for one call. A stage that cannot be set up is left
/// out (and logged): the call goes on unprocessed rather than failing.
#[derive(Debug)]
pub struct CaptureProcessor {
    #[cfg(feature = "webrtc-aec")]
    aec: Option<EchoCanceller>,
    ns: Option<NoiseSuppressor>,
}

impl CaptureProcessor {
    /// A chain for mono audio at `rate` with the stages asked for.
    pub fn new(rate: u32, noise_suppression: bool, echo_cancellation: bool) -> Self {
        let ns = if noise_suppression {
            NoiseSuppressor::new(rate)
                .map_err(|e| tracing::warn!(error = %e, "noise suppression unavailable"))
                .ok()
        } else {
            None
        };
        #[cfg(feature = "webrtc-aec")]
        let aec = if echo_cancellation && rate == AEC_RATE {
            EchoCanceller::new()
                .map_err(|e| tracing::warn!(error = %e, "echo cancellation unavailable"))
                .ok()
        } else {
            if echo_cancellation {
                tracing::warn!(rate, "echo cancellation runs at 48 kHz only; off");
            }
            None
        };
        #[cfg(not(feature = "webrtc-aec"))]
        if echo_cancellation {
            tracing::warn!("built without the webrtc-aec feature: no echo cancellation");
        }
        Self {
            #[cfg(feature = "webrtc-aec")]
            aec,
            ns,
        }
    }

    /// Whether echo cancellation is running.
    pub fn has_echo_cancellation(&self) -> bool {
        #[cfg(feature = "webrtc-aec")]
        return self.aec.is_some();
        #[cfg(not(feature = "webrtc-aec"))]
        false
    }

    /// Whether noise suppression is running.
    pub fn has_noise_suppression(&self) -> bool {
        self.ns.is_some()
    }

    /// The audio about to be played (the echo canceller's reference).
    pub fn far_end(&mut self, pcm: &[i16]) {
        #[cfg(feature = "webrtc-aec")]
        if let Some(aec) = self.aec.as_mut() {
            aec.far_end(pcm);
        }
        #[cfg(not(feature = "webrtc-aec"))]
        let _ = pcm;
    }

    /// Clean one captured frame in place.
    pub fn process(&mut self, pcm: &mut [i16]) {
        #[cfg(feature = "webrtc-aec")]
        if let Some(aec) = self.aec.as_mut() {
            aec.process(pcm);
        }
        if let Some(ns) = self.ns.as_mut() {
            ns.process(pcm);
        }
    }
}

#[cfg(test)]
mod tests;
