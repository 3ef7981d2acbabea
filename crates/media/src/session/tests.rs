//! Two sessions back to back through a simulated network, in virtual time.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use proptest::prelude::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::*;
use crate::rtcp::{parse_compound, RtcpPacket};
use crate::rtp::RtpHeader;

const FRAME: Duration = Duration::from_millis(20);

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

/// What the simulated network does to each datagram.
#[derive(Debug, Clone, Copy)]
struct Impairment {
    /// Probability a datagram is dropped.
    loss: f64,
    /// Fixed one-way delay.
    base_ms: u64,
    /// Extra delay drawn uniformly from 0..=jitter_ms.
    jitter_ms: u64,
    /// Probability of 50 ms of extra delay (reorders past several packets).
    reorder: f64,
}

impl Impairment {
    const CLEAN: Self = Self {
        loss: 0.0,
        base_ms: 10,
        jitter_ms: 0,
        reorder: 0.0,
    };
}

struct InFlight {
    at: Instant,
    from: SocketAddr,
    to: SocketAddr,
    data: Vec<u8>,
}

/// One endpoint: a session with its RTP (and RTCP) address.
struct Peer {
    s: AudioSession,
    rtp: SocketAddr,
    rtcp: SocketAddr,
    /// Every RTP packet it sent, in order (plaintext).
    wire: Vec<Vec<u8>>,
    played: Vec<i16>,
    events: Vec<MediaEvent>,
}

struct Call {
    a: Peer,
    b: Peer,
    net: Vec<InFlight>,
    rng: StdRng,
    imp: Impairment,
    now: Instant,
    t0: Instant,
    /// Capture source of A (`None` = silence) at A's capture rate.
    tone_a: Option<f64>,
    tone_b: Option<f64>,
    capture_rate: u32,
    phase: usize,
    dropped: u64,
}

fn session(
    codec: &CodecChoice,
    local: u16,
    remote: u16,
    mux: bool,
    seed: u64,
    t0: Instant,
) -> Peer {
    let mut p = MediaParams::new(codec.clone(), addr(&format!("127.0.0.1:{remote}")));
    p.telephone_event_pt = Some(101);
    p.rtcp_mux = mux;
    let cfg = SessionConfig {
        seed: Some(seed),
        rtcp_min_interval: Duration::from_secs(1),
        playout_rate: Some(48_000),
        ..SessionConfig::default()
    };
    let rtp = addr(&format!("127.0.0.1:{local}"));
    let rtcp = if mux {
        rtp
    } else {
        addr(&format!("127.0.0.1:{}", local + 1))
    };
    Peer {
        s: AudioSession::new(p, cfg, t0).unwrap(),
        rtp,
        rtcp,
        wire: Vec::new(),
        played: Vec::new(),
        events: Vec::new(),
    }
}

impl Call {
    fn new(codec: CodecChoice, imp: Impairment, mux: bool, seed: u64) -> Self {
        let t0 = Instant::now();
        Self {
            a: session(&codec, 4000, 5000, mux, seed, t0),
            b: session(&codec, 5000, 4000, mux, seed + 1, t0),
            net: Vec::new(),
            rng: StdRng::seed_from_u64(seed),
            imp,
            now: t0,
            t0,
            tone_a: Some(440.0),
            tone_b: None,
            capture_rate: 48_000,
            phase: 0,
            dropped: 0,
        }
    }

    fn tone(&self, f: Option<f64>) -> Vec<i16> {
        let n = (self.capture_rate / 50) as usize;
        (0..n)
            .map(|i| match f {
                Some(f) => {
                    let t = (self.phase + i) as f64 / f64::from(self.capture_rate);
                    ((2.0 * std::f64::consts::PI * f * t).sin() * 8000.0) as i16
                }
                None => 0,
            })
            .collect()
    }

    fn drain(
        peer: &mut Peer,
        net: &mut Vec<InFlight>,
        rng: &mut StdRng,
        imp: Impairment,
        now: Instant,
        dropped: &mut u64,
    ) {
        while let Some(t) = peer.s.poll_transmit() {
            if !t.rtcp {
                peer.wire.push(t.data.clone());
            }
            let from = if t.rtcp { peer.rtcp } else { peer.rtp };
            if rng.random_bool(imp.loss) {
                *dropped += 1;
                continue;
            }
            let mut delay = imp.base_ms + rng.random_range(0..=imp.jitter_ms);
            if rng.random_bool(imp.reorder) {
                delay += 50;
            }
            net.push(InFlight {
                at: now + Duration::from_millis(delay),
                from,
                to: t.to,
                data: t.data,
            });
        }
        while let Some(e) = peer.s.poll_event() {
            peer.events.push(e);
        }
    }

    /// Advance virtual time by `ms` milliseconds in 1 ms steps.
    fn run(&mut self, ms: u64) {
        for _ in 0..ms {
            self.now += Duration::from_millis(1);
            let now = self.now;
            let elapsed = (now - self.t0).as_millis() as u64;
            if elapsed % 20 == 0 {
                let fa = self.tone(self.tone_a);
                let fb = self.tone(self.tone_b);
                self.phase += fa.len();
                let rate = self.capture_rate;
                self.a.s.push_capture(now, &fa, rate).unwrap();
                self.b.s.push_capture(now, &fb, rate).unwrap();
                for p in [&mut self.a, &mut self.b] {
                    let mut out = vec![0i16; (p.s.playout_rate() / 50) as usize];
                    p.s.pull_playout(now, &mut out);
                    p.played.extend_from_slice(&out);
                }
            }
            for p in [&mut self.a, &mut self.b] {
                if p.s.poll_timeout().is_some_and(|t| t <= now) {
                    p.s.handle_timeout(now);
                }
            }
            Self::drain(
                &mut self.a,
                &mut self.net,
                &mut self.rng,
                self.imp,
                now,
                &mut self.dropped,
            );
            Self::drain(
                &mut self.b,
                &mut self.net,
                &mut self.rng,
                self.imp,
                now,
                &mut self.dropped,
            );
            let mut i = 0;
            while i < self.net.len() {
                if self.net[i].at <= now {
                    let d = self.net.swap_remove(i);
                    let target = if d.to == self.a.rtp || d.to == self.a.rtcp {
                        Some(&mut self.a)
                    } else if d.to == self.b.rtp || d.to == self.b.rtcp {
                        Some(&mut self.b)
                    } else {
                        None // nobody there
                    };
                    if let Some(p) = target {
                        p.s.handle_datagram(now, d.from, &d.data);
                    }
                } else {
                    i += 1;
                }
            }
        }
    }

    fn dtmf_received(p: &Peer) -> String {
        p.events
            .iter()
            .filter_map(|e| match e {
                MediaEvent::Dtmf(c) => Some(*c),
                _ => None,
            })
            .collect()
    }
}

/// Fraction of the signal's power at `freq`, averaged over 100 ms blocks so
/// that phase jumps from concealment or time-scaling do not matter; 1.0 is a
/// pure tone.
fn tone_purity(x: &[i16], rate: u32, freq: f64) -> f64 {
    let n = (rate / 10) as usize;
    let mut ratios = Vec::new();
    for block in x.chunks_exact(n) {
        let w = 2.0 * std::f64::consts::PI * freq / f64::from(rate);
        let (mut re, mut im, mut total) = (0.0, 0.0, 0.0);
        for (i, s) in block.iter().enumerate() {
            let v = f64::from(*s);
            re += v * (w * i as f64).cos();
            im += v * (w * i as f64).sin();
            total += v * v;
        }
        // a sine of amplitude A: |sum|^2 = (N A / 2)^2, energy N A^2 / 2
        let tone_energy = 2.0 * (re * re + im * im) / n as f64;
        ratios.push(if total > 0.0 {
            tone_energy / total
        } else {
            0.0
        });
    }
    ratios.iter().sum::<f64>() / ratios.len().max(1) as f64
}

fn rms(x: &[i16]) -> f64 {
    (x.iter().map(|s| f64::from(*s).powi(2)).sum::<f64>() / x.len().max(1) as f64).sqrt()
}

/// The end-to-end check for one codec over an impaired network.
fn impaired_call(codec: CodecChoice, seed: u64) {
    let imp = Impairment {
        loss: 0.05,
        base_ms: 25,
        jitter_ms: 30,
        reorder: 0.02,
    };
    let mut call = Call::new(codec.clone(), imp, false, seed);
    call.run(3000);
    assert_eq!(call.a.s.send_dtmf("159#*0D"), 7);
    call.run(9000);

    // the tone comes out at the far end
    let played = &call.b.played[48_000..]; // skip the first second
    let purity = tone_purity(played, 48_000, 440.0);
    let level = rms(played);
    // 8000 amplitude sine: RMS 5657; concealment fades some frames
    assert!(purity > 0.75, "{}: tone purity {purity:.3}", codec.name);
    assert!(
        level > 3500.0 && level < 7000.0,
        "{}: rms {level:.0}",
        codec.name
    );

    // every digit arrives, once, in order
    assert_eq!(Call::dtmf_received(&call.b), "159#*0D", "{}", codec.name);

    // statistics match the injected impairment
    let b = call.b.s.stats();
    let a = call.a.s.stats();
    assert!(
        (b.loss_percent - 5.0).abs() < 2.5,
        "{}: loss {:.2} %",
        codec.name,
        b.loss_percent
    );
    // uniform 0..30 ms delay: E|D| = 30/3 = 10 ms, reordering adds a little
    assert!(
        b.jitter_ms > 6.0 && b.jitter_ms < 20.0,
        "{}: jitter {:.1}",
        codec.name,
        b.jitter_ms
    );
    // 2 x 25 ms plus two draws of 0..30 ms
    let rtt = a.rtt_ms.expect("RTT from B's reports");
    assert!(rtt > 45.0 && rtt < 125.0, "{}: rtt {rtt:.1}", codec.name);
    let remote = a.remote_loss_percent.expect("B's report reached A");
    assert!(remote < 15.0, "{}: remote loss {remote:.1}", codec.name);
    assert!(b.concealed_frames > 0);
    assert!(
        b.mos > 3.0 && b.mos < 4.5,
        "{}: MOS {:.2}",
        codec.name,
        b.mos
    );
    assert_eq!(b.malformed_dropped + b.foreign_dropped + b.srtp_rejected, 0);
    assert!(b.packets_received > 500 && a.packets_sent > 550);
    assert_eq!(b.codec, codec.name);
    eprintln!(
        "{}: purity {purity:.3} rms {level:.0} loss {:.2}% jitter {:.3} ms rtt {rtt:.1} ms remote loss {remote:.1}% mos {:.2} concealed {} buffer {:.0} ms",
        codec.name, b.loss_percent, b.jitter_ms, b.mos, b.concealed_frames, b.jitter_buffer_ms
    );
}

#[test]
fn pcmu_over_lossy_jittery_network() {
    impaired_call(CodecChoice::pcmu(), 11);
}

#[test]
fn g722_over_lossy_jittery_network() {
    impaired_call(CodecChoice::g722(), 12);
}

#[test]
fn opus_over_lossy_jittery_network() {
    impaired_call(CodecChoice::opus(111), 13);
}

#[test]
fn clean_call_with_rtcp_mux_at_codec_rate() {
    let mut call = Call::new(CodecChoice::pcma(), Impairment::CLEAN, true, 3);
    call.capture_rate = 8000;
    call.tone_b = Some(1000.0);
    call.run(4000);
    let a = call.a.s.stats();
    let b = call.b.s.stats();
    assert_eq!(b.packets_lost, 0);
    assert_eq!(b.concealed_frames, 0);
    assert!(b.jitter_ms < 0.5, "{}", b.jitter_ms);
    assert!(tone_purity(&call.b.played[48_000..], 48_000, 440.0) > 0.95);
    assert!(tone_purity(&call.a.played[48_000..], 48_000, 1000.0) > 0.95);
    // both send and both receive reports over the one port: 2 x 10 ms
    let rtt = a.rtt_ms.unwrap();
    assert!((rtt - 20.0).abs() < 3.0, "{rtt}");
    assert_eq!(b.remote_loss_percent, Some(0.0));
    assert!(a.mos > 4.2, "{}", a.mos);
}

#[test]
fn voice_pauses_while_an_event_is_sent() {
    let mut call = Call::new(CodecChoice::pcmu(), Impairment::CLEAN, false, 4);
    call.run(500);
    call.a.s.send_dtmf("7");
    call.run(1000);
    let headers: Vec<RtpHeader> = call
        .a
        .wire
        .iter()
        .map(|d| RtpPacket::parse(d).unwrap().header)
        .collect();
    let first = headers.iter().position(|h| h.payload_type == 101).unwrap();
    let last = headers.iter().rposition(|h| h.payload_type == 101).unwrap();
    assert!(headers[first].marker);
    assert_eq!(last - first + 1, 5, "start, one update, three ends");
    assert!(headers[first..=last].iter().all(|h| h.payload_type == 101));
    // voice resumes with a marker, and one sequence space throughout
    assert!(headers[last + 1].marker);
    for w in headers.windows(2) {
        assert_eq!(w[1].sequence, w[0].sequence.wrapping_add(1));
        assert_eq!(w[1].ssrc, w[0].ssrc);
    }
    // the event started at the media timestamp of the next voice frame
    assert_eq!(
        headers[first].timestamp,
        headers[first - 1].timestamp.wrapping_add(160)
    );
    assert!(
        headers[last + 1]
            .timestamp
            .wrapping_sub(headers[first].timestamp)
            >= 160 * 6
    );
    assert_eq!(Call::dtmf_received(&call.b), "7");
}

#[test]
fn inband_dtmf_without_telephone_event() {
    let mut call = Call::new(CodecChoice::pcmu(), Impairment::CLEAN, false, 5);
    for p in [&mut call.a, &mut call.b] {
        let mut params = p.s.params().clone();
        params.telephone_event_pt = None;
        p.s.reconfigure(params, call.now).unwrap();
    }
    call.tone_a = None;
    call.run(300);
    assert_eq!(call.a.s.send_dtmf("42#"), 3);
    call.run(1500);
    assert!(call
        .a
        .wire
        .iter()
        .all(|d| RtpPacket::parse(d).unwrap().header.payload_type == 0));
    assert_eq!(Call::dtmf_received(&call.b), "42#");
}

#[test]
fn symmetric_rtp_learns_the_real_source() {
    let mut call = Call::new(CodecChoice::pcmu(), Impairment::CLEAN, true, 6);
    // B's SDP names an address nobody listens on (a NAT's private side)
    let mut params = call.b.s.params().clone();
    params.remote_rtp = addr("192.0.2.1:9");
    call.b.s.reconfigure(params, call.now).unwrap();
    call.tone_b = Some(1000.0);
    call.run(2000);
    assert_eq!(
        call.b.events,
        vec![MediaEvent::RemoteAddressLearned(call.a.rtp)]
    );
    assert_eq!(call.b.s.remote_rtp(), call.a.rtp);
    assert_eq!(call.b.s.remote_rtcp(), call.a.rtp);
    assert!(tone_purity(&call.a.played[48_000..], 48_000, 1000.0) > 0.9);
    assert!(call.a.s.stats().rtt_ms.is_some());
}

#[test]
fn reinvite_changes_codec_keeping_ssrc_and_sequence() {
    let mut call = Call::new(CodecChoice::pcmu(), Impairment::CLEAN, false, 7);
    call.run(2000);
    let ssrc = call.a.s.ssrc();
    let before = call.a.wire.len();
    for p in [&mut call.a, &mut call.b] {
        let mut params = p.s.params().clone();
        params.codec = CodecChoice::opus(111);
        p.s.reconfigure(params, call.now).unwrap();
    }
    call.run(3000);
    assert_eq!(call.a.s.ssrc(), ssrc);
    let headers: Vec<RtpHeader> = call
        .a
        .wire
        .iter()
        .map(|d| RtpPacket::parse(d).unwrap().header)
        .collect();
    assert_eq!(headers[before - 1].payload_type, 0);
    assert_eq!(headers[before].payload_type, 111);
    assert!(headers[before].marker);
    for w in headers.windows(2) {
        assert_eq!(w[1].sequence, w[0].sequence.wrapping_add(1));
        assert!(crate::rtp::ts_newer(w[1].timestamp, w[0].timestamp));
    }
    let b = call.b.s.stats();
    assert_eq!(b.codec, "opus");
    assert_eq!(b.packets_lost, 0);
    // the last two seconds are opus and still the tone
    let tail = &call.b.played[call.b.played.len() - 96_000..];
    assert!(tone_purity(tail, 48_000, 440.0) > 0.9);
}

#[test]
fn direction_mute_and_bye() {
    let mut call = Call::new(CodecChoice::g722(), Impairment::CLEAN, false, 8);
    call.run(1000);
    // muted: RTP keeps flowing, carrying silence
    call.a.s.set_mute(true);
    let sent = call.a.s.stats().packets_sent;
    call.run(1000);
    assert!(call.a.s.stats().packets_sent >= sent + 49);
    let n = call.b.played.len();
    assert!(rms(&call.b.played[n - 24_000..]) < 50.0);
    call.a.s.set_mute(false);

    // A puts the call on hold: sendonly from B's view, inactive for A
    let mut params = call.a.s.params().clone();
    params.send = false;
    params.recv = false;
    call.a.s.reconfigure(params.clone(), call.now).unwrap();
    call.run(300);
    let sent = call.a.s.stats().packets_sent;
    let received = call.a.s.stats().packets_received;
    call.run(3000);
    assert_eq!(call.a.s.stats().packets_sent, sent);
    assert_eq!(call.a.s.stats().packets_received, received);
    assert!(call.a.played[call.a.played.len() - 48_000..]
        .iter()
        .all(|s| *s == 0));
    // RTCP still flows both ways and A now reports as a receiver only
    assert!(call.b.s.stats().rtt_ms.is_some());

    // resume
    params.send = true;
    params.recv = true;
    call.a.s.reconfigure(params, call.now).unwrap();
    call.run(1500);
    let n = call.b.played.len();
    assert!(tone_purity(&call.b.played[n - 24_000..], 48_000, 440.0) > 0.9);

    // hang up: BYE reaches B
    call.a.s.close(call.now);
    let bye = call.a.s.poll_transmit().unwrap();
    assert!(bye.rtcp);
    let packets = parse_compound(&bye.data).unwrap();
    assert!(matches!(packets[0], RtcpPacket::SenderReport(_)));
    assert!(matches!(packets[1], RtcpPacket::SourceDescription(_)));
    assert!(matches!(packets.last(), Some(RtcpPacket::Bye(_))));
    call.b.s.handle_datagram(call.now, call.a.rtcp, &bye.data);
    assert_eq!(call.b.s.poll_event(), Some(MediaEvent::RemoteBye));
    assert!(call.a.s.poll_timeout().is_none());
    let before = call.a.s.stats().packets_sent;
    call.run(200);
    assert_eq!(call.a.s.stats().packets_sent, before);
}

#[test]
fn srtp_call_rejects_tampered_and_replayed_packets() {
    let mut call = Call::new(CodecChoice::pcmu(), Impairment::CLEAN, false, 9);
    let (ka, kb) = (vec![0x5Au8; 30], vec![0xA5u8; 30]);
    for (p, local, remote) in [(&mut call.a, &ka, &kb), (&mut call.b, &kb, &ka)] {
        let mut params = p.s.params().clone();
        params.srtp = Some(crate::params::SrtpParams {
            suite: "AES_CM_128_HMAC_SHA1_32".into(),
            local_key_salt: local.clone(),
            remote_key_salt: remote.clone(),
        });
        p.s.reconfigure(params, call.now).unwrap();
    }
    call.run(2000);
    // one already delivered (the newest are still in flight)
    let last = call.a.wire[call.a.wire.len() - 5].clone();
    // 12 header + 160 µ-law + 4 tag, and the payload is not µ-law of a tone
    assert_eq!(last.len(), 12 + 160 + 4);
    let b = call.b.s.stats();
    assert_eq!(b.srtp_rejected, 0);
    assert_eq!(b.packets_lost, 0);
    assert!(b.rtt_ms.is_some(), "SRTCP reports got through");
    let now = call.now;
    call.b.s.handle_datagram(now, call.a.rtp, &last);
    let mut tampered = last.clone();
    tampered[40] ^= 0x01;
    call.b.s.handle_datagram(now, call.a.rtp, &tampered);
    let b2 = call.b.s.stats();
    assert_eq!(b2.srtp_rejected, 2);
    assert_eq!(b2.packets_received, b.packets_received);
    call.run(1000);
    let n = call.b.played.len();
    assert!(tone_purity(&call.b.played[n - 48_000..], 48_000, 440.0) > 0.95);
    // a plain-RTP peer is refused entirely
    let mut plain = vec![0u8; 172];
    RtpHeader::new(0, 1, 160, call.a.s.ssrc())
        .write(None, &[0xFF; 160], &mut plain)
        .unwrap();
    call.b.s.handle_datagram(call.now, call.a.rtp, &plain);
    assert_eq!(call.b.s.stats().srtp_rejected, 3);
}

#[test]
fn garbage_is_counted_never_played() {
    let t0 = Instant::now();
    let mut s = session(&CodecChoice::pcmu(), 4000, 5000, false, 1, t0).s;
    let from = addr("127.0.0.1:5000");
    let good = |seq: u16, ssrc: u32, pt: u8| {
        let mut out = vec![0u8; 12 + 160];
        RtpHeader::new(pt, seq, u32::from(seq) * 160, ssrc)
            .write(None, &[0xFF; 160], &mut out)
            .unwrap();
        out
    };
    s.handle_datagram(t0, from, &good(1, 7, 0));
    let malformed: Vec<Vec<u8>> = vec![
        vec![],
        vec![0x80],
        vec![0x80, 0, 0, 1, 0, 0], // truncated header
        vec![0x8F, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 7, 1, 2], // CC=15, no CSRCs
        vec![0xA0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 7, 9, 0], // padding count 0
        vec![0x90, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 7, 0xBE, 0xDE, 0, 9], // extension past end
        vec![0, 1, 0, 0, 0x21, 0x12, 0xA4, 0x42, 0, 0, 0, 0, 0, 0, 0, 0], // STUN
        vec![0x81, 201, 0, 7, 0, 0, 0, 1], // RR longer than the datagram
        vec![0x81, 200, 0, 1, 0, 0, 0, 1], // SR without sender info
        vec![0x80; 3000],          // oversized
    ];
    for m in &malformed {
        s.handle_datagram(t0, from, m);
    }
    s.handle_datagram(t0, from, &good(2, 8, 0)); // another source
    s.handle_datagram(t0, from, &good(3, 7, 18)); // G.729, not negotiated
    let st = s.stats();
    assert_eq!(st.malformed_dropped, malformed.len() as u64);
    assert_eq!(st.foreign_dropped, 2);
    assert_eq!(st.packets_received, 1);
}

fn any_datagram() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..300),
        // valid-looking RTP headers with our payload types and random bodies
        (
            any::<bool>(),
            0..4u8,
            any::<u16>(),
            proptest::collection::vec(any::<u8>(), 0..300)
        )
            .prop_map(|(te, pt_pick, seq, body)| {
                let pt = [0u8, 101, 111, 13][pt_pick as usize];
                let mut h = RtpHeader::new(pt, seq, u32::from(seq) * 160, 7);
                h.marker = te;
                let mut out = vec![0u8; 12 + body.len()];
                h.write(None, &body, &mut out).unwrap();
                out
            }),
        // RTCP common headers with random bodies
        (
            192u8..=223,
            any::<u8>(),
            proptest::collection::vec(any::<u8>(), 0..200)
        )
            .prop_map(|(pt, b0, body)| {
                let mut out = vec![0x80 | (b0 & 0x3F), pt, 0, (body.len() / 4) as u8];
                out.extend_from_slice(&body);
                out
            }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(64)
    ))]

    #[test]
    fn random_datagrams_never_panic(
        packets in proptest::collection::vec(any_datagram(), 1..40),
        opus in any::<bool>(),
        srtp in any::<bool>(),
    ) {
        let t0 = Instant::now();
        let codec = if opus { CodecChoice::opus(111) } else { CodecChoice::pcmu() };
        let mut s = session(&codec, 4000, 5000, true, 1, t0).s;
        if srtp {
            let mut params = s.params().clone();
            params.srtp = Some(crate::params::SrtpParams {
                suite: "AES_CM_128_HMAC_SHA1_80".into(),
                local_key_salt: vec![1; 30],
                remote_key_salt: vec![2; 30],
            });
            s.reconfigure(params, t0).unwrap();
        }
        let from = addr("127.0.0.1:5000");
        let mut out = vec![0i16; 960];
        for (i, p) in packets.iter().enumerate() {
            let now = t0 + FRAME * i as u32;
            s.handle_datagram(now, from, p);
            s.pull_playout(now, &mut out);
            if s.poll_timeout().is_some_and(|t| t <= now) {
                s.handle_timeout(now);
            }
            while s.poll_transmit().is_some() {}
        }
        let st = s.stats();
        prop_assert!(
            st.packets_received + st.malformed_dropped + st.foreign_dropped + st.srtp_rejected
                <= packets.len() as u64
        );
        if srtp {
            // nothing forged without the key gets in
            prop_assert_eq!(st.packets_received, 0);
        }
    }
}
