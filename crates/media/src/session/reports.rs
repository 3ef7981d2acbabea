//! RTCP for the session: compound SR/RR + SDES (+ BYE) out, reports in.

use std::net::SocketAddr;
use std::time::Instant;

use super::{AudioSession, MediaEvent};
use crate::rtcp::{
    parse_compound, rtt_from_report, write_compound, Bye, NtpTime, ReceiverReport, ReportBlock,
    RtcpPacket, SdesChunk, SdesItem, SenderInfo, SenderReport, SourceDescription, SDES_CNAME,
};

/// UDP + IPv4 header bytes, which RTCP's size average includes (RFC 3550 6.2).
const IP_UDP_OVERHEAD: usize = 28;

impl AudioSession {
    /// Queue a compound report: SR if we sent recently, else RR; SDES CNAME;
    /// and BYE when leaving.
    pub(super) fn send_report(&mut self, now: Instant, bye: bool) {
        let ssrc = self.sender.ssrc;
        let we_sent = self.sender.sent_since_report || self.sent_prev_interval;
        let reports = match self.lock.ssrc {
            Some(remote) => vec![self.receiver.stats.report_block(remote, now)],
            None => Vec::new(),
        };
        let first = if we_sent {
            RtcpPacket::SenderReport(SenderReport {
                ssrc,
                info: SenderInfo {
                    ntp: self.ntp.ntp(now).0,
                    rtp_timestamp: self.sender.timestamp_at(now),
                    // the fields are modular 32-bit counters (RFC 3550 6.4.1)
                    packet_count: self.sender.packets as u32,
                    octet_count: self.sender.octets as u32,
                },
                reports,
            })
        } else {
            RtcpPacket::ReceiverReport(ReceiverReport { ssrc, reports })
        };
        let mut packets = vec![
            first,
            RtcpPacket::SourceDescription(SourceDescription {
                chunks: vec![SdesChunk {
                    ssrc,
                    items: vec![SdesItem {
                        kind: SDES_CNAME,
                        value: self.config.cname.as_bytes().to_vec(),
                    }],
                }],
            }),
        ];
        if bye {
            packets.push(RtcpPacket::Bye(Bye {
                sources: vec![ssrc],
                reason: None,
            }));
        }
        let mut data = Vec::with_capacity(128);
        if let Err(e) = write_compound(&packets, &mut data) {
            tracing::warn!(error = %e, "could not build RTCP report");
            return;
        }
        let size = data.len() + IP_UDP_OVERHEAD;
        self.queue(data, true);
        self.sent_prev_interval = self.sender.sent_since_report;
        self.sender.sent_since_report = false;
        self.scheduler.set_we_sent(self.sent_prev_interval);
        self.scheduler.on_sent(now, size);
    }

    /// A (decrypted) RTCP compound packet.
    pub(super) fn on_rtcp(&mut self, now: Instant, from: SocketAddr, data: &[u8]) {
        let packets = match parse_compound(data) {
            Ok(p) => p,
            Err(e) => {
                tracing::trace!(error = %e, "malformed RTCP dropped");
                self.malformed += 1;
                return;
            }
        };
        self.scheduler.on_received(data.len() + IP_UDP_OVERHEAD);
        let mut from_peer = false;
        for p in &packets {
            match p {
                RtcpPacket::SenderReport(sr) => {
                    if self.lock.ssrc == Some(sr.ssrc) {
                        from_peer = true;
                        self.receiver
                            .stats
                            .on_sender_report(NtpTime(sr.info.ntp), now);
                    }
                    self.on_report_blocks(&sr.reports, now, &mut from_peer);
                }
                RtcpPacket::ReceiverReport(rr) => {
                    from_peer |= self.lock.ssrc == Some(rr.ssrc);
                    self.on_report_blocks(&rr.reports, now, &mut from_peer);
                }
                RtcpPacket::Bye(b) if self.lock.ssrc.is_some_and(|s| b.sources.contains(&s)) => {
                    tracing::info!("remote sent RTCP BYE");
                    self.push_event(MediaEvent::RemoteBye);
                }
                _ => {}
            }
        }
        // symmetric RTCP: answer where the peer's reports come from
        if from_peer && !self.params.rtcp_mux && from != self.rtcp_dest {
            tracing::debug!(sdp = %self.rtcp_dest, learned = %from, "symmetric RTCP");
            self.rtcp_dest = from;
        }
    }

    fn on_report_blocks(&mut self, blocks: &[ReportBlock], now: Instant, from_peer: &mut bool) {
        let ours = self.sender.ssrc;
        for b in blocks.iter().filter(|b| b.ssrc == ours) {
            *from_peer = true;
            if let Some(rtt) = rtt_from_report(b, self.ntp.ntp(now)) {
                self.rtt = Some(rtt);
            }
            let percent = (u32::from(b.fraction_lost) * 100 / 256) as u8;
            if let Err(e) = self.sender.encoder_mut().set_expected_loss(percent) {
                tracing::debug!(error = %e, "encoder ignored the loss report");
            }
            self.remote_report = Some(*b);
        }
    }
}
