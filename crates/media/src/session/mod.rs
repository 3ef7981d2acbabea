//! One audio RTP/RTCP session, sans-io: no sockets, no threads, no clock.
//!
//! The owner feeds it captured PCM ([`AudioSession::push_capture`]),
//! datagrams from the network ([`AudioSession::handle_datagram`]) and the
//! time ([`AudioSession::handle_timeout`] when [`AudioSession::poll_timeout`]
//! says), and takes out datagrams to send ([`AudioSession::poll_transmit`]),
//! audio to play ([`AudioSession::pull_playout`]) and events
//! ([`AudioSession::poll_event`]). Because time only moves when the owner
//! says so, tests run calls of minutes in milliseconds, with a simulated
//! network in between.
//!
//! The audio clocks drive the media: each captured frame is sent when it is
//! complete and each playout request pops the jitter buffer, so the sound
//! card's pace (not a timer) sets the packet rate, as in any softphone.

mod receiver;
mod reports;
mod sender;
mod stats;

pub use stats::MediaStats;

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Serialize;

use crate::codec::{CodecPair, CodecRegistry};
use crate::dtmf::{DtmfConfig, DtmfReceiver, DtmfSender, InbandDtmfGenerator};
use crate::error::MediaError;
use crate::jitter::JitterConfig;
use crate::params::{CodecChoice, MediaParams};
use crate::rtcp::{NtpClock, ReportBlock, RtcpScheduler};
use crate::rtp::{is_rtcp, RtpPacket};
use crate::srtp::{self, SrtpContext, SRTP_HEADROOM};

use receiver::{RtpReceiver, SourceCheck, SourceLock};
use sender::RtpSender;

/// Datagrams longer than this are not audio RTP/RTCP and are dropped unread.
const MAX_DATAGRAM: usize = 2048;
/// Bound on queued output when the owner falls behind draining it.
const MAX_QUEUED: usize = 512;

/// A datagram to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transmit {
    /// Destination.
    pub to: SocketAddr,
    /// The (SRTP-protected, if keyed) packet.
    pub data: Vec<u8>,
    /// RTCP rather than RTP: goes out of the RTCP port unless rtcp-mux.
    pub rtcp: bool,
}

/// Something the call's owner may want to show or act on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum MediaEvent {
    /// The peer pressed a key (RFC 4733 or in-band); reported once per digit.
    Dtmf(char),
    /// Media arrived from another address than the SDP gave (NAT); we now
    /// send there (symmetric RTP, RFC 4961).
    RemoteAddressLearned(SocketAddr),
    /// The peer sent RTCP BYE for its stream.
    RemoteBye,
    /// An audio device disappeared and the stream moved to the default.
    DeviceFellBackToDefault {
        /// The device that was lost.
        from: String,
        /// The device now in use.
        to: String,
    },
    /// An audio device reported a failure.
    DeviceError(String),
}

/// Local choices that signalling does not negotiate.
#[derive(Debug, Clone)]
pub struct SessionConfig {
    /// RTCP canonical name; a random one per call by default (RFC 7022).
    pub cname: String,
    /// Our SSRC; random when `None`.
    pub ssrc: Option<u32>,
    /// Rate of [`AudioSession::pull_playout`]'s output; the codec's own
    /// rate when `None`.
    pub playout_rate: Option<u32>,
    /// Jitter-buffer bounds.
    pub jitter: JitterConfig,
    /// Minimum RTCP interval (RFC 3550 says 5 s; tests shorten it).
    pub rtcp_min_interval: Duration,
    /// RFC 4733 timing and level, also used for in-band tones.
    pub dtmf: DtmfConfig,
    /// Seed for SSRC, sequence, timestamp and RTCP timing; random if `None`.
    pub seed: Option<u64>,
}

impl Default for SessionConfig {
    fn default() -> Self {
        let tag: u64 = rand::rng().random();
        Self {
            cname: format!("{tag:016x}@handset"),
            ssrc: None,
            playout_rate: None,
            jitter: JitterConfig::default(),
            rtcp_min_interval: Duration::from_secs(5),
            dtmf: DtmfConfig::default(),
            seed: None,
        }
    }
}

/// One audio stream's RTP/RTCP state machine.
pub struct AudioSession {
    params: MediaParams,
    config: SessionConfig,
    registry: CodecRegistry,
    sender: RtpSender,
    receiver: RtpReceiver,
    lock: SourceLock,
    dtmf_tx: Option<DtmfSender>,
    /// Digits were queued: run `handle_timeout` at once to start them.
    dtmf_kick: bool,
    inband_tx: InbandDtmfGenerator,
    dtmf_rx: DtmfReceiver,
    srtp: Box<dyn SrtpContext>,
    rtp_dest: SocketAddr,
    rtcp_dest: SocketAddr,
    scheduler: RtcpScheduler,
    ntp: NtpClock,
    /// We sent RTP in the interval before the last report (RFC 3550 6.3.8:
    /// a sender is one that sent in the last two intervals).
    sent_prev_interval: bool,
    muted: bool,
    closed: bool,
    transmits: VecDeque<Transmit>,
    events: VecDeque<MediaEvent>,
    frame: Vec<i16>,
    rx_buf: Vec<u8>,
    last_now: Instant,
    malformed: u64,
    foreign: u64,
    srtp_rejected: u64,
    rtt: Option<Duration>,
    remote_report: Option<ReportBlock>,
}

impl std::fmt::Debug for AudioSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AudioSession")
            .field("ssrc", &self.sender.ssrc)
            .field("params", &self.params)
            .field("rtp_dest", &self.rtp_dest)
            .finish_non_exhaustive()
    }
}

fn build_codec(registry: &CodecRegistry, codec: &CodecChoice) -> Result<CodecPair, MediaError> {
    let desc = registry
        .find(&codec.name)
        .ok_or_else(|| crate::codec::CodecError::UnknownCodec(codec.name.clone()))?;
    if desc.clock_rate != codec.clock_rate {
        return Err(MediaError::ClockRate {
            name: codec.name.clone(),
            expected: desc.clock_rate,
            got: codec.clock_rate,
        });
    }
    Ok(registry.create(&codec.name, &codec.codec_params())?)
}

impl AudioSession {
    /// A session for `params`, starting at `now`.
    pub fn new(
        params: MediaParams,
        config: SessionConfig,
        now: Instant,
    ) -> Result<Self, MediaError> {
        let registry = CodecRegistry::default();
        let (enc, dec) = build_codec(&registry, &params.codec)?;
        let srtp = srtp::context_for(params.srtp.as_ref())?;
        let mut rng = match config.seed {
            Some(s) => StdRng::seed_from_u64(s),
            None => StdRng::from_os_rng(),
        };
        let ssrc = config.ssrc.unwrap_or_else(|| rng.random());
        // random initial sequence and timestamp (RFC 3550 5.1) defeat
        // known-plaintext attacks on SRTP and make restarts recognisable
        let sender = RtpSender::new(ssrc, rng.random(), rng.random(), enc);
        let info = sender.info().clone();
        let out_rate = config.playout_rate.unwrap_or(info.sample_rate);
        let receiver = RtpReceiver::new(
            dec,
            config.jitter,
            out_rate,
            params.telephone_event_pt.is_none(),
            now,
        )?;
        let bps = match info.name {
            "opus" => 48_000,
            _ => 80_000,
        };
        let mut scheduler = RtcpScheduler::with_seed(now, bps, rng.random());
        scheduler.set_min_interval(config.rtcp_min_interval);
        let mut s = Self {
            rtp_dest: params.remote_rtp,
            rtcp_dest: params.rtcp_destination(),
            dtmf_tx: params
                .telephone_event_pt
                .map(|_| DtmfSender::new(info.clock_rate, config.dtmf)),
            dtmf_kick: false,
            inband_tx: InbandDtmfGenerator::new(
                info.sample_rate,
                config.dtmf.tone,
                config.dtmf.gap,
            ),
            dtmf_rx: DtmfReceiver::new(info.clock_rate),
            frame: Vec::with_capacity(info.frame_samples()),
            params,
            config,
            registry,
            sender,
            receiver,
            lock: SourceLock::default(),
            srtp,
            scheduler,
            ntp: NtpClock::new(now),
            sent_prev_interval: false,
            muted: false,
            closed: false,
            transmits: VecDeque::with_capacity(64),
            events: VecDeque::with_capacity(8),
            rx_buf: Vec::with_capacity(MAX_DATAGRAM + SRTP_HEADROOM),
            last_now: now,
            malformed: 0,
            foreign: 0,
            srtp_rejected: 0,
            rtt: None,
            remote_report: None,
        };
        s.log_start();
        Ok(s)
    }

    fn log_start(&mut self) {
        tracing::info!(
            ssrc = self.sender.ssrc,
            codec = %self.params.codec.name,
            pt = self.params.codec.payload_type,
            remote = %self.rtp_dest,
            srtp = self.params.srtp.is_some(),
            "audio session started"
        );
    }

    /// Our SSRC.
    pub fn ssrc(&self) -> u32 {
        self.sender.ssrc
    }

    /// The negotiated parameters in force.
    pub fn params(&self) -> &MediaParams {
        &self.params
    }

    /// Where RTP goes now (the SDP address or the learned one).
    pub fn remote_rtp(&self) -> SocketAddr {
        self.rtp_dest
    }

    /// Where RTCP goes now.
    pub fn remote_rtcp(&self) -> SocketAddr {
        self.rtcp_dest
    }

    /// Sample rate [`AudioSession::pull_playout`] produces.
    pub fn playout_rate(&self) -> u32 {
        self.config
            .playout_rate
            .unwrap_or(self.sender.info().sample_rate)
    }

    /// The codec's own sample rate (capture at this rate needs no conversion).
    pub fn codec_rate(&self) -> u32 {
        self.sender.info().sample_rate
    }

    /// Apply a re-INVITE's outcome: a new address, codec, payload types,
    /// direction or keys. SSRC, sequence numbers and timestamps carry on.
    /// On error nothing changed.
    pub fn reconfigure(&mut self, params: MediaParams, now: Instant) -> Result<(), MediaError> {
        self.last_now = now;
        let codec_changed = params.codec != self.params.codec;
        let pair = if codec_changed {
            Some(build_codec(&self.registry, &params.codec)?)
        } else {
            None
        };
        let srtp = if params.srtp != self.params.srtp {
            Some(srtp::context_for(params.srtp.as_ref())?)
        } else {
            None
        };
        let inband_rx = params.telephone_event_pt.is_none();
        if let Some((enc, dec)) = pair {
            self.receiver
                .replace_decoder(dec, self.config.jitter, inband_rx, now)?;
            self.sender.set_encoder(enc);
            self.frame = Vec::with_capacity(self.sender.info().frame_samples());
        } else {
            self.receiver.set_inband_dtmf(inband_rx);
        }
        let info = self.sender.info().clone();
        if codec_changed || params.telephone_event_pt != self.params.telephone_event_pt {
            self.dtmf_tx = params
                .telephone_event_pt
                .map(|_| DtmfSender::new(info.clock_rate, self.config.dtmf));
            self.dtmf_rx = DtmfReceiver::new(info.clock_rate);
            self.inband_tx = InbandDtmfGenerator::new(
                info.sample_rate,
                self.config.dtmf.tone,
                self.config.dtmf.gap,
            );
        }
        if let Some(ctx) = srtp {
            self.srtp = ctx;
        }
        if params.remote_rtp != self.params.remote_rtp {
            // a different far end: its stream is a new source
            self.rtp_dest = params.remote_rtp;
            self.lock.reset();
        }
        if params.remote_rtp != self.params.remote_rtp
            || params.remote_rtcp != self.params.remote_rtcp
            || params.rtcp_mux != self.params.rtcp_mux
        {
            self.rtcp_dest = if params.rtcp_mux {
                self.rtp_dest
            } else {
                params.rtcp_destination()
            };
        }
        if !params.recv {
            self.receiver.clear_playout();
        }
        tracing::info!(
            codec = %params.codec.name,
            pt = params.codec.payload_type,
            remote = %self.rtp_dest,
            send = params.send,
            recv = params.recv,
            "audio session reconfigured"
        );
        self.params = params;
        Ok(())
    }

    /// Mute the microphone: silence is sent in its place so RTP keeps
    /// flowing (NATs stay open, the peer sees no media timeout).
    pub fn set_mute(&mut self, on: bool) {
        self.muted = on;
    }

    /// Whether muted.
    pub fn is_muted(&self) -> bool {
        self.muted
    }

    /// Queue DTMF digits (`0-9 * # A-D`; others skipped): RFC 4733 events
    /// when telephone-event was negotiated, in-band tones otherwise.
    /// Returns how many were queued.
    pub fn send_dtmf(&mut self, digits: &str) -> usize {
        match self.dtmf_tx.as_mut() {
            Some(tx) => {
                self.dtmf_kick = true;
                tx.send(digits)
            }
            None => self.inband_tx.send(digits),
        }
    }

    /// Captured microphone audio, mono, at `rate` Hz (any rate; converted).
    /// Every complete codec frame is encoded and queued for sending.
    pub fn push_capture(&mut self, now: Instant, pcm: &[i16], rate: u32) -> Result<(), MediaError> {
        self.last_now = now;
        if self.closed {
            return Ok(());
        }
        self.sender.push_pcm(pcm, rate)?;
        let mut frame = std::mem::take(&mut self.frame);
        while self.sender.take_frame(&mut frame) {
            if self.muted {
                frame.fill(0);
            }
            // keypad tones still go out while muted: IVRs are often driven muted
            self.inband_tx.fill(&mut frame);
            let paused =
                !self.params.send || self.dtmf_tx.as_ref().is_some_and(DtmfSender::is_sending);
            if paused {
                self.sender.skip_frame(now);
            } else if let Some(packet) = self.sender.encode(now, &frame) {
                self.queue(packet, false);
            }
        }
        self.frame = frame;
        Ok(())
    }

    /// Fill `out` with audio to play at [`AudioSession::playout_rate`]. Call
    /// at the pace the device consumes it; silence when not receiving.
    pub fn pull_playout(&mut self, now: Instant, out: &mut [i16]) {
        self.last_now = now;
        if !self.params.recv || self.closed {
            out.fill(0);
            return;
        }
        let events = &mut self.events;
        self.receiver.pull(now, out, |d| {
            tracing::debug!(digit = %d.digit, "in-band DTMF received");
            events.push_back(MediaEvent::Dtmf(d.digit));
        });
    }

    /// A datagram received on the RTP or RTCP port (told apart by content,
    /// RFC 5761, so one entry point serves muxed and separate ports).
    /// Anything malformed, unauthenticated or from a stranger is dropped and
    /// counted; nothing here can panic on bad input.
    pub fn handle_datagram(&mut self, now: Instant, from: SocketAddr, data: &[u8]) {
        self.last_now = now;
        if self.closed {
            return;
        }
        // RTP and RTCP headers stay in the clear under SRTP: check them first
        // so garbage is "malformed", not "failed authentication"
        if data.len() < 8 || data.len() > MAX_DATAGRAM || data[0] >> 6 != 2 {
            self.malformed += 1;
            return;
        }
        let rtcp = is_rtcp(data);
        if !rtcp && data.len() < crate::rtp::RTP_HEADER_LEN {
            self.malformed += 1;
            return;
        }
        let mut buf = std::mem::take(&mut self.rx_buf);
        buf.clear();
        buf.extend_from_slice(data);
        buf.resize(data.len() + SRTP_HEADROOM, 0);
        let res = if rtcp {
            self.srtp.unprotect_rtcp(&mut buf, data.len())
        } else {
            self.srtp.unprotect_rtp(&mut buf, data.len())
        };
        match res {
            Ok(len) if rtcp => self.on_rtcp(now, from, &buf[..len]),
            Ok(len) => self.on_rtp(now, from, &buf[..len]),
            Err(e) => {
                tracing::debug!(error = %e, %from, "SRTP rejected a packet");
                self.srtp_rejected += 1;
            }
        }
        self.rx_buf = buf;
    }

    fn on_rtp(&mut self, now: Instant, from: SocketAddr, data: &[u8]) {
        let packet = match RtpPacket::parse(data) {
            Ok(p) => p,
            Err(e) => {
                tracing::trace!(error = %e, "malformed RTP dropped");
                self.malformed += 1;
                return;
            }
        };
        let pt = packet.header.payload_type;
        let is_event = self.params.telephone_event_pt == Some(pt);
        if pt != self.params.codec.payload_type && !is_event {
            self.foreign += 1;
            return;
        }
        if !self.params.recv {
            return;
        }
        match self.lock.check(packet.header.ssrc, now) {
            SourceCheck::Foreign => {
                self.foreign += 1;
                return;
            }
            SourceCheck::Switched => {
                self.receiver.new_source(now);
                self.dtmf_rx = DtmfReceiver::new(self.sender.info().clock_rate);
            }
            SourceCheck::Accepted => {}
        }
        if from != self.rtp_dest {
            tracing::info!(sdp = %self.rtp_dest, learned = %from, "symmetric RTP: sending to the source address");
            self.rtp_dest = from;
            if self.params.rtcp_mux {
                self.rtcp_dest = from;
            }
            self.push_event(MediaEvent::RemoteAddressLearned(from));
        }
        if is_event {
            self.receiver.on_event(packet.header.sequence, data.len());
            self.dtmf_rx
                .handle(packet.payload, packet.header.timestamp, now);
            self.drain_digits();
        } else {
            self.receiver.on_audio(&packet, data.len(), now);
        }
    }

    fn drain_digits(&mut self) {
        while let Some(d) = self.dtmf_rx.poll_digit() {
            tracing::debug!(digit = %d.digit, "RFC 4733 DTMF received");
            self.push_event(MediaEvent::Dtmf(d.digit));
        }
    }

    fn push_event(&mut self, e: MediaEvent) {
        if self.events.len() >= MAX_QUEUED {
            self.events.pop_front();
        }
        self.events.push_back(e);
    }

    /// Protect and queue a packet for its destination.
    fn queue(&mut self, mut data: Vec<u8>, rtcp: bool) {
        let len = data.len();
        data.resize(len + SRTP_HEADROOM, 0);
        let res = if rtcp {
            self.srtp.protect_rtcp(&mut data, len)
        } else {
            self.srtp.protect_rtp(&mut data, len)
        };
        match res {
            Ok(n) => data.truncate(n),
            Err(e) => {
                tracing::warn!(error = %e, rtcp, "SRTP protect failed; packet not sent");
                return;
            }
        }
        if self.transmits.len() >= MAX_QUEUED {
            self.transmits.pop_front();
        }
        let to = if rtcp { self.rtcp_dest } else { self.rtp_dest };
        self.transmits.push_back(Transmit { to, data, rtcp });
    }

    /// The next datagram to send.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front()
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<MediaEvent> {
        self.events.pop_front()
    }

    /// When [`AudioSession::handle_timeout`] is next due; `None` once closed.
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.closed {
            return None;
        }
        let mut t = self.scheduler.poll_timeout();
        let mut fold = |o: Option<Instant>| {
            if let Some(o) = o {
                t = t.min(o);
            }
        };
        fold(self.dtmf_rx.poll_timeout());
        fold(self.dtmf_tx.as_ref().and_then(DtmfSender::poll_timeout));
        if self.dtmf_kick {
            fold(Some(self.last_now));
        }
        Some(t)
    }

    /// Run timers due at `now`: DTMF packets, RTCP reports.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.last_now = now;
        if self.closed {
            return;
        }
        self.dtmf_rx.handle_timeout(now);
        self.drain_digits();
        self.dtmf_kick = false;
        let te = self.params.telephone_event_pt;
        if let (Some(pt), Some(tx)) = (te, self.dtmf_tx.as_mut()) {
            let mut out = Vec::new();
            while let Some(p) = tx.poll(now, self.sender.next_timestamp()) {
                out.push(p);
            }
            for p in out {
                if self.params.send {
                    let packet = self
                        .sender
                        .event_packet(pt, p.marker, p.timestamp, &p.payload);
                    self.queue(packet, false);
                }
            }
        }
        if self.scheduler.handle_timeout(now) {
            self.send_report(now, false);
        }
    }

    /// End the session: an RTCP BYE is queued (drain it with
    /// [`AudioSession::poll_transmit`]) and nothing more is sent or taken in.
    pub fn close(&mut self, now: Instant) {
        if self.closed {
            return;
        }
        self.last_now = now;
        self.send_report(now, true);
        self.closed = true;
        tracing::info!(ssrc = self.sender.ssrc, "audio session closed");
    }

    /// Whether [`AudioSession::close`] was called.
    pub fn is_closed(&self) -> bool {
        self.closed
    }
}

#[cfg(test)]
mod tests;
