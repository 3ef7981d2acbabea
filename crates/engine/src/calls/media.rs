//! How a negotiated session becomes media parameters, and the media settings
//! an engine runs with.

use std::fmt;
use std::ops::RangeInclusive;
use std::sync::Arc;

use handset_media::device::{AudioBackend, NullBackend};
use handset_media::runner::AudioIo;
use handset_media::{CodecChoice, MediaParams, MediaStats, SrtpParams};
use handset_sip::sdp::{AudioCaps, CodecCap, Direction, Negotiated, SrtpPolicy};

use crate::calls::CallQuality;

/// Audio settings for every call of an engine.
#[derive(Clone)]
pub struct MediaSettings {
    /// Where sound comes from and goes to (cpal devices, WAV files, nothing).
    pub backend: Arc<dyn AudioBackend>,
    /// Microphone by name; the default device when `None`.
    pub input: Option<String>,
    /// Speaker by name; the default device when `None`.
    pub output: Option<String>,
    /// Send back what is received (an echo test peer) instead of the microphone.
    pub echo: bool,
    /// Noise suppression on the capture path.
    pub noise_suppression: bool,
    /// Acoustic echo cancellation on the capture path (speakerphone use).
    pub echo_cancellation: bool,
    /// Codec names in preference order (`opus`, `g722`, `pcmu`, `pcma`).
    pub codecs: Vec<String>,
    /// SRTP policy.
    pub srtp: SrtpPolicy,
    /// Local UDP ports for RTP, when a firewall wants a range.
    pub rtp_ports: Option<RangeInclusive<u16>>,
}

impl Default for MediaSettings {
    fn default() -> Self {
        MediaSettings {
            backend: Arc::new(NullBackend::new()),
            input: None,
            output: None,
            echo: false,
            noise_suppression: false,
            echo_cancellation: true,
            codecs: vec!["opus".into(), "g722".into(), "pcmu".into(), "pcma".into()],
            srtp: SrtpPolicy::Optional,
            rtp_ports: None,
        }
    }
}

impl fmt::Debug for MediaSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MediaSettings")
            .field("backend", &self.backend.name())
            .field("input", &self.input)
            .field("output", &self.output)
            .field("echo", &self.echo)
            .field("codecs", &self.codecs)
            .field("srtp", &self.srtp)
            .finish()
    }
}

impl MediaSettings {
    /// Checks codec names; the error names the unknown one.
    pub fn validate(&self) -> Result<(), String> {
        if self.codecs.is_empty() {
            return Err("at least one codec must be enabled".into());
        }
        for c in &self.codecs {
            if CodecCap::by_name(c).is_none() {
                return Err(format!(
                    "unknown codec '{c}' (known: opus, g722, pcmu, pcma)"
                ));
            }
        }
        Ok(())
    }

    /// What we offer and accept, with a fresh SRTP key for one call.
    pub(crate) fn caps(&self, direction: Direction) -> AudioCaps {
        AudioCaps {
            codecs: self
                .codecs
                .iter()
                .filter_map(|c| CodecCap::by_name(c))
                .collect(),
            telephone_event: true,
            ptime: 20,
            srtp: self.srtp,
            srtp_key: if self.srtp == SrtpPolicy::Off {
                Vec::new()
            } else {
                let mut key = vec![0u8; 30];
                rand::Rng::fill(&mut rand::rng(), &mut key[..]);
                key
            },
            direction,
            rtcp_mux: false,
        }
    }

    pub(crate) fn audio_io(&self) -> AudioIo {
        AudioIo {
            backend: Some(self.backend.clone()),
            input: self.input.clone(),
            output: self.output.clone(),
            echo: self.echo,
            noise_suppression: self.noise_suppression,
            // an echo test peer must send back what it hears, echo included
            echo_cancellation: self.echo_cancellation && !self.echo,
        }
    }
}

/// Media parameters for what was negotiated; `early` holds our own audio
/// back until the call is answered.
pub(crate) fn params_for(n: &Negotiated, muted_by_hold: bool, early: bool) -> MediaParams {
    MediaParams {
        codec: CodecChoice {
            name: n.codec.encoding.clone(),
            payload_type: n.codec.payload_type,
            clock_rate: n.codec.clock_rate,
            channels: n.codec.channels,
            fmtp: n.codec.fmtp.clone(),
            ptime_ms: n.ptime,
        },
        telephone_event_pt: n.telephone_event,
        remote_rtp: n.remote_rtp,
        remote_rtcp: Some(n.remote_rtcp),
        rtcp_mux: n.rtcp_mux,
        send: n.direction.can_send() && !muted_by_hold && !early,
        recv: n.direction.can_recv(),
        srtp: n.srtp.as_ref().map(|k| SrtpParams {
            suite: k.suite.as_str().to_string(),
            local_key_salt: k.local_key_salt.clone(),
            remote_key_salt: k.remote_key_salt.clone(),
        }),
    }
}

/// The UI's view of the media statistics.
pub(crate) fn quality_of(s: &MediaStats) -> CallQuality {
    CallQuality {
        codec: s.codec.clone(),
        packets_sent: s.packets_sent,
        packets_received: s.packets_received,
        loss_percent: s.loss_percent,
        jitter_ms: s.jitter_ms,
        rtt_ms: s.rtt_ms,
        mos: s.mos,
        remote_loss_percent: s.remote_loss_percent.unwrap_or(0.0),
    }
}
