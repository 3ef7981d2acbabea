//! RFC 4733 telephone-event packets.
//!
//! Sender: the first packet of an event carries the marker bit; updates
//! follow every 50 ms with the same RTP timestamp (the event start) and a
//! growing duration; the end is sent three times with the E bit. Receiver:
//! packets are grouped by timestamp and each event is reported once, when it
//! ends (or when its end packets were lost and something else began).

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use super::{event_char, event_code, DtmfDigit};

/// Bytes of a telephone-event payload.
pub const EVENT_PAYLOAD_LEN: usize = 4;

/// Sender timing and level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DtmfConfig {
    /// How long each digit sounds.
    pub tone: Duration,
    /// Pause between digits.
    pub gap: Duration,
    /// Interval between update packets.
    pub update: Duration,
    /// Interval between the three end packets.
    pub end_spacing: Duration,
    /// Level in -dBm0 (0..=63; 10 is a typical keypad).
    pub volume: u8,
}

impl Default for DtmfConfig {
    fn default() -> Self {
        Self {
            tone: Duration::from_millis(100),
            gap: Duration::from_millis(60),
            update: Duration::from_millis(50),
            end_spacing: Duration::from_millis(20),
            volume: 10,
        }
    }
}

/// One telephone-event packet to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DtmfPacket {
    /// The 4-byte payload.
    pub payload: [u8; EVENT_PAYLOAD_LEN],
    /// Marker bit (first packet of an event).
    pub marker: bool,
    /// RTP timestamp: the event's start, the same for all its packets.
    pub timestamp: u32,
    /// True for the end packets.
    pub end: bool,
}

fn payload(event: u8, end: bool, volume: u8, duration: u16) -> [u8; 4] {
    let d = duration.to_be_bytes();
    [event, (u8::from(end) << 7) | (volume & 0x3F), d[0], d[1]]
}

#[derive(Debug, Clone, Copy)]
enum Phase {
    Idle,
    Tone {
        event: u8,
        start: Instant,
        ts: u32,
        next: Instant,
    },
    End {
        event: u8,
        ts: u32,
        duration: u16,
        left: u8,
        next: Instant,
    },
    Gap {
        until: Instant,
    },
}

/// Sends queued digits as telephone events; sans-io.
#[derive(Debug)]
pub struct DtmfSender {
    clock_rate: u32,
    cfg: DtmfConfig,
    queue: VecDeque<u8>,
    phase: Phase,
}

impl DtmfSender {
    /// A sender for a telephone-event stream at `clock_rate` (8000 or 48000).
    pub fn new(clock_rate: u32, cfg: DtmfConfig) -> Self {
        // a tone whose duration overflows 16 bits would need segmenting; keep below
        let max_tone = Duration::from_secs_f64(f64::from(u16::MAX) / f64::from(clock_rate.max(1)));
        let cfg = DtmfConfig {
            tone: cfg.tone.min(max_tone),
            ..cfg
        };
        Self {
            clock_rate: clock_rate.max(1),
            cfg,
            queue: VecDeque::with_capacity(32),
            phase: Phase::Idle,
        }
    }

    /// Queue digits; characters that are not DTMF are skipped. Returns how
    /// many were queued.
    pub fn send(&mut self, digits: &str) -> usize {
        let before = self.queue.len();
        self.queue.extend(digits.chars().filter_map(event_code));
        self.queue.len() - before
    }

    /// True while a digit is being sent or queued.
    pub fn is_active(&self) -> bool {
        !matches!(self.phase, Phase::Idle) && !matches!(self.phase, Phase::Gap { .. })
            || !self.queue.is_empty()
    }

    /// True while packets of an event are going out (audio should pause).
    pub fn is_sending(&self) -> bool {
        matches!(self.phase, Phase::Tone { .. } | Phase::End { .. })
    }

    fn ticks(&self, d: Duration) -> u16 {
        (d.as_secs_f64() * f64::from(self.clock_rate))
            .round()
            .min(f64::from(u16::MAX)) as u16
    }

    /// When `poll` next has something to do.
    pub fn poll_timeout(&self) -> Option<Instant> {
        match self.phase {
            Phase::Idle => None,
            Phase::Tone { next, .. } | Phase::End { next, .. } => Some(next),
            Phase::Gap { until } => Some(until),
        }
    }

    /// The next packet due at `now`, if any. `media_ts` is the RTP timestamp
    /// the audio stream would use now; a new event starts there.
    pub fn poll(&mut self, now: Instant, media_ts: u32) -> Option<DtmfPacket> {
        loop {
            match self.phase {
                Phase::Idle => {
                    let event = self.queue.pop_front()?;
                    self.phase = Phase::Tone {
                        event,
                        start: now,
                        ts: media_ts,
                        next: now + self.cfg.update,
                    };
                    // the first packet announces one frame's worth, as most stacks do
                    let d = self.ticks(Duration::from_millis(20));
                    return Some(DtmfPacket {
                        payload: payload(event, false, self.cfg.volume, d),
                        marker: true,
                        timestamp: media_ts,
                        end: false,
                    });
                }
                Phase::Tone {
                    event,
                    start,
                    ts,
                    next,
                } => {
                    if now < next {
                        return None;
                    }
                    let elapsed = now.saturating_duration_since(start);
                    if elapsed >= self.cfg.tone {
                        self.phase = Phase::End {
                            event,
                            ts,
                            duration: self.ticks(self.cfg.tone),
                            left: 3,
                            next: now,
                        };
                        continue;
                    }
                    self.phase = Phase::Tone {
                        event,
                        start,
                        ts,
                        next: (next + self.cfg.update).min(start + self.cfg.tone),
                    };
                    return Some(DtmfPacket {
                        payload: payload(event, false, self.cfg.volume, self.ticks(elapsed)),
                        marker: false,
                        timestamp: ts,
                        end: false,
                    });
                }
                Phase::End {
                    event,
                    ts,
                    duration,
                    left,
                    next,
                } => {
                    if now < next {
                        return None;
                    }
                    self.phase = if left > 1 {
                        Phase::End {
                            event,
                            ts,
                            duration,
                            left: left - 1,
                            next: now + self.cfg.end_spacing,
                        }
                    } else {
                        Phase::Gap {
                            until: now + self.cfg.gap,
                        }
                    };
                    return Some(DtmfPacket {
                        payload: payload(event, true, self.cfg.volume, duration),
                        marker: false,
                        timestamp: ts,
                        end: true,
                    });
                }
                Phase::Gap { until } => {
                    if now < until {
                        return None;
                    }
                    self.phase = Phase::Idle;
                    if self.queue.is_empty() {
                        return None;
                    }
                }
            }
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Current {
    ts: u32,
    event: u8,
    duration: u16,
    volume: u8,
    last_seen: Instant,
}

/// Receives telephone events and reports each digit once; sans-io.
#[derive(Debug)]
pub struct DtmfReceiver {
    clock_rate: u32,
    current: Option<Current>,
    /// Start timestamps of recently reported events (retransmitted ends are ignored).
    reported: [Option<u32>; 8],
    reported_pos: usize,
    out: VecDeque<DtmfDigit>,
}

/// An event with no packet for this long is over even without an end packet.
const END_TIMEOUT: Duration = Duration::from_millis(250);

impl DtmfReceiver {
    /// A receiver for a telephone-event stream at `clock_rate`.
    pub fn new(clock_rate: u32) -> Self {
        Self {
            clock_rate: clock_rate.max(1),
            current: None,
            reported: [None; 8],
            reported_pos: 0,
            out: VecDeque::with_capacity(8),
        }
    }

    fn was_reported(&self, ts: u32) -> bool {
        self.reported.contains(&Some(ts))
    }

    fn report(&mut self, c: Current) {
        self.reported[self.reported_pos] = Some(c.ts);
        self.reported_pos = (self.reported_pos + 1) % self.reported.len();
        if let Some(digit) = event_char(c.event) {
            self.out.push_back(DtmfDigit {
                digit,
                duration: Duration::from_secs_f64(
                    f64::from(c.duration) / f64::from(self.clock_rate),
                ),
                volume: c.volume,
            });
        }
    }

    /// Feed one telephone-event packet. Malformed payloads are ignored.
    pub fn handle(&mut self, payload: &[u8], timestamp: u32, now: Instant) {
        if payload.len() < EVENT_PAYLOAD_LEN {
            return;
        }
        let event = payload[0];
        let end = payload[1] & 0x80 != 0;
        let volume = payload[1] & 0x3F;
        let duration = u16::from_be_bytes([payload[2], payload[3]]);
        if self.was_reported(timestamp) {
            return;
        }
        if let Some(c) = self.current {
            if c.ts != timestamp {
                // a new event began: the previous one lost its end packets
                self.current = None;
                self.report(c);
            }
        }
        let c = self.current.get_or_insert(Current {
            ts: timestamp,
            event,
            duration,
            volume,
            last_seen: now,
        });
        c.duration = c.duration.max(duration);
        c.last_seen = now;
        if end {
            let c = *c;
            self.current = None;
            self.report(c);
        }
    }

    /// When [`DtmfReceiver::handle_timeout`] should run.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.current.map(|c| c.last_seen + END_TIMEOUT)
    }

    /// Close an event whose end packets never came.
    pub fn handle_timeout(&mut self, now: Instant) {
        if let Some(c) = self.current {
            if now >= c.last_seen + END_TIMEOUT {
                self.current = None;
                self.report(c);
            }
        }
    }

    /// The next reported digit.
    pub fn poll_digit(&mut self) -> Option<DtmfDigit> {
        self.out.pop_front()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Run the sender to completion, returning (time offset, packet).
    fn drain(tx: &mut DtmfSender, t0: Instant) -> Vec<(Duration, DtmfPacket)> {
        let mut out = Vec::new();
        let mut now = t0;
        let mut media_ts = 1000u32;
        for _ in 0..1000 {
            while let Some(p) = tx.poll(now, media_ts) {
                out.push((now - t0, p));
            }
            match tx.poll_timeout() {
                Some(t) => {
                    media_ts += ((t - now).as_secs_f64() * 8000.0) as u32;
                    now = t;
                }
                None => break,
            }
        }
        out
    }

    #[test]
    fn sender_packet_sequence() {
        for rate in [8000u32, 48000] {
            let mut tx = DtmfSender::new(rate, DtmfConfig::default());
            assert_eq!(tx.send("1x#"), 2);
            let t0 = Instant::now();
            let pkts = drain(&mut tx, t0);
            // per digit: start, update at 50 ms, then 3 ends
            assert_eq!(pkts.len(), 10, "{pkts:?}");
            let first = &pkts[..5];
            assert!(first[0].1.marker && !first[0].1.end);
            assert_eq!(first[0].1.payload[0], 1);
            assert!(first
                .iter()
                .all(|(_, p)| p.timestamp == first[0].1.timestamp));
            assert_eq!(first[1].0, Duration::from_millis(50));
            assert_eq!(
                u16::from_be_bytes([first[1].1.payload[2], first[1].1.payload[3]]) as u32,
                rate / 20
            );
            for (_, p) in &first[2..] {
                assert!(p.end && !p.marker);
                assert_eq!(p.payload[1], 0x80 | 10);
                assert_eq!(
                    u16::from_be_bytes([p.payload[2], p.payload[3]]) as u32,
                    rate / 10
                );
            }
            assert_eq!(pkts[5].1.payload[0], 11);
            assert!(pkts[5].1.marker);
            assert_ne!(pkts[5].1.timestamp, first[0].1.timestamp);
            // the second digit starts after tone + 2 end spacings + gap
            assert_eq!(pkts[5].0, Duration::from_millis(100 + 40 + 60));
            assert!(!tx.is_active());
        }
    }

    #[test]
    fn receiver_reports_once_with_duration() {
        let t0 = Instant::now();
        let mut tx = DtmfSender::new(48000, DtmfConfig::default());
        tx.send("123#");
        let pkts = drain(&mut tx, t0);
        let mut rx = DtmfReceiver::new(48000);
        for (at, p) in &pkts {
            rx.handle(&p.payload, p.timestamp, t0 + *at);
            // a duplicated copy of every packet changes nothing
            rx.handle(&p.payload, p.timestamp, t0 + *at);
        }
        let mut got = String::new();
        while let Some(d) = rx.poll_digit() {
            assert_eq!(d.duration, Duration::from_millis(100));
            assert_eq!(d.volume, 10);
            got.push(d.digit);
        }
        assert_eq!(got, "123#");
    }

    #[test]
    fn lost_end_packets_are_recovered() {
        let t0 = Instant::now();
        let mut rx = DtmfReceiver::new(8000);
        rx.handle(&payload(5, false, 10, 160), 100, t0);
        rx.handle(
            &payload(5, false, 10, 400),
            100,
            t0 + Duration::from_millis(50),
        );
        // next digit begins: 5 is reported with the longest duration seen
        rx.handle(
            &payload(9, false, 10, 160),
            2000,
            t0 + Duration::from_millis(200),
        );
        assert_eq!(
            rx.poll_digit().map(|d| (d.digit, d.duration)),
            Some(('5', Duration::from_millis(50)))
        );
        // and 9 is closed by the timeout
        assert_eq!(rx.poll_timeout(), Some(t0 + Duration::from_millis(450)));
        rx.handle_timeout(t0 + Duration::from_millis(300));
        assert!(rx.poll_digit().is_none());
        rx.handle_timeout(t0 + Duration::from_millis(450));
        assert_eq!(rx.poll_digit().map(|d| d.digit), Some('9'));
        // late retransmission of 9's packets does not report it again
        rx.handle(
            &payload(9, true, 10, 800),
            2000,
            t0 + Duration::from_millis(500),
        );
        assert!(rx.poll_digit().is_none());
        // truncated payloads are ignored
        rx.handle(&[1, 2], 3000, t0);
        assert!(rx.poll_timeout().is_none());
    }
}
