//! The numbers a call screen and call history show.

use serde::Serialize;

use super::AudioSession;
use crate::quality::{codec_impairment, mos_from_r, r_factor, EModelInput};

/// A snapshot of one audio stream's counters and quality.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct MediaStats {
    /// SDP encoding name in use.
    pub codec: String,
    /// Its payload type.
    pub payload_type: u8,
    /// RTP packets sent (voice and DTMF).
    pub packets_sent: u64,
    /// RTP packets accepted from the peer.
    pub packets_received: u64,
    /// RTP bytes sent (headers and payload, before SRTP).
    pub bytes_sent: u64,
    /// RTP bytes accepted (headers and payload, after SRTP).
    pub bytes_received: u64,
    /// Packets lost on the way to us, cumulative (RFC 3550 A.3).
    pub packets_lost: i64,
    /// Loss on the way to us, percent of expected.
    pub loss_percent: f64,
    /// Interarrival jitter of what we receive, ms (RFC 3550 A.8).
    pub jitter_ms: f64,
    /// Round-trip time from the peer's last report (LSR/DLSR), ms.
    pub rtt_ms: Option<f64>,
    /// Listening-quality estimate, 1..=4.5 (ITU-T G.107 E-model).
    pub mos: f64,
    /// Frames the decoder had to invent for lost or late packets.
    pub concealed_frames: u64,
    /// Frames rebuilt from Opus in-band FEC.
    pub fec_recovered: u64,
    /// Packets that came after their playout time.
    pub late_packets: u64,
    /// Playout delay the jitter buffer is aiming for, ms.
    pub jitter_buffer_ms: f64,
    /// Datagrams that were not valid RTP/RTCP.
    pub malformed_dropped: u64,
    /// Valid RTP of another source or an unnegotiated payload type.
    pub foreign_dropped: u64,
    /// Packets SRTP refused (failed authentication or replayed).
    pub srtp_rejected: u64,
    /// Loss the peer reports for our stream in its last report, percent.
    pub remote_loss_percent: Option<f64>,
    /// Jitter the peer reports for our stream, ms.
    pub remote_jitter_ms: Option<f64>,
}

impl AudioSession {
    /// Counters and quality now.
    pub fn stats(&self) -> MediaStats {
        let jb = self.receiver.jitter.stats();
        let rx = &self.receiver.stats;
        let clock = f64::from(self.sender.info().clock_rate);
        let rtt_ms = self.rtt.map(|d| d.as_secs_f64() * 1000.0);
        let loss = rx.loss_ratio();
        // mouth-to-ear: half the round trip (or a typical 20 ms when not yet
        // measured), the buffer, one packet of framing and the codec look-ahead
        let codec = codec_impairment(&self.params.codec.name);
        let delay_ms = rtt_ms.map_or(20.0, |r| r / 2.0)
            + jb.target_ms
            + f64::from(self.sender.info().ptime_ms)
            + codec.lookahead_ms;
        let mos = mos_from_r(r_factor(&EModelInput {
            codec,
            loss,
            burst_ratio: 1.0,
            delay_ms,
        }));
        MediaStats {
            codec: self.params.codec.name.clone(),
            payload_type: self.params.codec.payload_type,
            packets_sent: self.sender.packets,
            packets_received: self.receiver.packets,
            bytes_sent: self.sender.bytes,
            bytes_received: self.receiver.bytes,
            packets_lost: self.receiver.lost_total(),
            loss_percent: loss * 100.0,
            jitter_ms: rx.jitter_ms(),
            rtt_ms,
            mos,
            concealed_frames: jb.concealed,
            fec_recovered: jb.fec_recovered,
            late_packets: jb.late,
            jitter_buffer_ms: jb.target_ms,
            malformed_dropped: self.malformed,
            foreign_dropped: self.foreign,
            srtp_rejected: self.srtp_rejected,
            remote_loss_percent: self
                .remote_report
                .map(|b| f64::from(b.fraction_lost) * 100.0 / 256.0),
            remote_jitter_ms: self
                .remote_report
                .map(|b| f64::from(b.jitter) * 1000.0 / clock),
        }
    }
}
