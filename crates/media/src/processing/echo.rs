//! Acoustic echo cancellation with WebRTC's AudioProcessing module (AEC
//! with the extended filter and delay-agnostic mode, so the unknown and
//! drifting delay between the playout ring and the microphone needs no
//! calibration). Works on 10 ms frames at 48 kHz, in f32.

use webrtc_audio_processing::{
    Config, EchoCancellation, EchoCancellationSuppressionLevel, InitializationConfig, Processor,
};

/// The module's fixed rate and frame (10 ms).
pub const AEC_RATE: u32 = 48_000;
const AEC_FRAME: usize = 480;

/// Removes the far end's echo from the microphone signal.
pub struct EchoCanceller {
    ap: Processor,
    far: Vec<f32>,
    near: Vec<f32>,
    ready: Vec<i16>,
    frame: Vec<f32>,
}

impl std::fmt::Debug for EchoCanceller {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EchoCanceller").finish_non_exhaustive()
    }
}

fn to_f32(s: i16) -> f32 {
    f32::from(s) / 32768.0
}

fn to_i16(v: f32) -> i16 {
    (v * 32768.0).round().clamp(-32768.0, 32767.0) as i16
}

impl EchoCanceller {
    /// A canceller for mono audio at [`AEC_RATE`].
    pub fn new() -> Result<Self, String> {
        let init = InitializationConfig {
            num_capture_channels: 1,
            num_render_channels: 1,
            ..InitializationConfig::default()
        };
        let mut ap = Processor::new(&init).map_err(|e| e.to_string())?;
        ap.set_config(Config {
            echo_cancellation: Some(EchoCancellation {
                // moderate keeps double talk audible; high clips it
                suppression_level: EchoCancellationSuppressionLevel::Moderate,
                enable_extended_filter: true,
                enable_delay_agnostic: true,
                stream_delay_ms: None,
            }),
            enable_high_pass_filter: true,
            ..Config::default()
        });
        Ok(Self {
            ap,
            far: Vec::with_capacity(4 * AEC_FRAME),
            near: Vec::with_capacity(4 * AEC_FRAME),
            ready: Vec::with_capacity(4 * AEC_FRAME),
            frame: vec![0.0; AEC_FRAME],
        })
    }

    /// Audio about to be played: the echo reference.
    pub fn far_end(&mut self, pcm: &[i16]) {
        self.far.extend(pcm.iter().copied().map(to_f32));
        while self.far.len() >= AEC_FRAME {
            self.frame.copy_from_slice(&self.far[..AEC_FRAME]);
            self.far.drain(..AEC_FRAME);
            if let Err(e) = self.ap.process_render_frame(&mut self.frame) {
                tracing::debug!(error = %e, "AEC render frame rejected");
            }
        }
    }

    /// Cancel echo in captured audio, in place. Whole 10 ms frames add no
    /// delay; other lengths are buffered (silence at first).
    pub fn process(&mut self, pcm: &mut [i16]) {
        self.near.extend(pcm.iter().copied().map(to_f32));
        while self.near.len() >= AEC_FRAME {
            self.frame.copy_from_slice(&self.near[..AEC_FRAME]);
            self.near.drain(..AEC_FRAME);
            if let Err(e) = self.ap.process_capture_frame(&mut self.frame) {
                tracing::debug!(error = %e, "AEC capture frame rejected");
            }
            self.ready.extend(self.frame.iter().copied().map(to_i16));
        }
        if self.ready.len() < pcm.len() {
            let short = pcm.len() - self.ready.len();
            self.ready.splice(0..0, std::iter::repeat_n(0, short));
        }
        pcm.copy_from_slice(&self.ready[..pcm.len()]);
        self.ready.drain(..pcm.len());
    }

    /// The module's own echo-return-loss-enhancement estimate, dB.
    pub fn erle_db(&self) -> Option<f64> {
        self.ap.get_stats().echo_return_loss_enhancement
    }
}
