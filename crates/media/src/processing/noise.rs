//! Noise suppression with RNNoise (the pure-Rust `nnnoiseless` port): a
//! small recurrent network that estimates per-band gains every 10 ms at
//! 48 kHz. Other rates are converted on the way in and out.

use nnnoiseless::DenoiseState;

use crate::resample::Resampler;

const NS_RATE: u32 = 48_000;
const NS_FRAME: usize = DenoiseState::FRAME_SIZE;

/// Streaming noise suppressor for mono i16 audio at any rate.
pub struct NoiseSuppressor {
    state: Box<DenoiseState<'static>>,
    to_ns: Option<Resampler>,
    from_ns: Option<Resampler>,
    /// 48 kHz input not yet making a whole RNNoise frame.
    pending: Vec<f32>,
    /// Output at the caller's rate not yet handed back.
    ready: Vec<i16>,
    frame_in: Vec<f32>,
    frame_out: Vec<f32>,
    scratch: Vec<i16>,
    scratch2: Vec<i16>,
    /// RNNoise's first output frame is a fade-in artefact.
    first: bool,
    /// Voice probability of the last frame (RNNoise's built-in VAD).
    vad: f32,
}

impl std::fmt::Debug for NoiseSuppressor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NoiseSuppressor")
            .field("vad", &self.vad)
            .finish_non_exhaustive()
    }
}

impl NoiseSuppressor {
    /// A suppressor for audio at `rate` Hz.
    pub fn new(rate: u32) -> Result<Self, crate::resample::ResampleError> {
        let (to_ns, from_ns) = if rate == NS_RATE {
            (None, None)
        } else {
            (
                Some(Resampler::new(rate, NS_RATE)?),
                Some(Resampler::new(NS_RATE, rate)?),
            )
        };
        Ok(Self {
            state: DenoiseState::new(),
            to_ns,
            from_ns,
            pending: Vec::with_capacity(4 * NS_FRAME),
            ready: Vec::with_capacity(4 * NS_FRAME),
            frame_in: vec![0.0; NS_FRAME],
            frame_out: vec![0.0; NS_FRAME],
            scratch: Vec::new(),
            scratch2: Vec::new(),
            first: true,
            vad: 0.0,
        })
    }

    /// Probability (0..=1) that the last frame held speech.
    pub fn voice_probability(&self) -> f32 {
        self.vad
    }

    /// Denoise `pcm` in place. At 48 kHz in multiples of 10 ms there is no
    /// added delay; otherwise up to one RNNoise frame of it, silence at first.
    pub fn process(&mut self, pcm: &mut [i16]) {
        match self.to_ns.as_mut() {
            None => self.pending.extend(pcm.iter().map(|s| f32::from(*s))),
            Some(rs) => {
                let need = rs.max_output_len(pcm.len());
                self.scratch.resize(need, 0);
                match rs.process(pcm, &mut self.scratch) {
                    Ok(n) => self
                        .pending
                        .extend(self.scratch[..n].iter().map(|s| f32::from(*s))),
                    Err(e) => {
                        tracing::warn!(error = %e, "noise suppressor input conversion failed");
                        return;
                    }
                }
            }
        }
        while self.pending.len() >= NS_FRAME {
            self.frame_in.copy_from_slice(&self.pending[..NS_FRAME]);
            self.pending.drain(..NS_FRAME);
            self.vad = self
                .state
                .process_frame(&mut self.frame_out, &self.frame_in);
            if self.first {
                self.first = false;
                self.frame_out.fill(0.0);
            }
            self.scratch2.clear();
            self.scratch2.extend(
                self.frame_out
                    .iter()
                    .map(|v| v.round().clamp(-32768.0, 32767.0) as i16),
            );
            match self.from_ns.as_mut() {
                None => self.ready.extend_from_slice(&self.scratch2),
                Some(rs) => {
                    let need = rs.max_output_len(self.scratch2.len());
                    self.scratch.resize(need, 0);
                    if let Ok(n) = rs.process(&self.scratch2, &mut self.scratch) {
                        self.ready.extend_from_slice(&self.scratch[..n]);
                    }
                }
            }
        }
        if self.ready.len() < pcm.len() {
            // start-up: prime with silence so later frames come out whole
            let short = pcm.len() - self.ready.len();
            self.ready.splice(0..0, std::iter::repeat_n(0, short));
        }
        pcm.copy_from_slice(&self.ready[..pcm.len()]);
        self.ready.drain(..pcm.len());
    }
}
