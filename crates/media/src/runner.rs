//! Real sockets and real time around an [`AudioSession`]: one tokio task per
//! call moves datagrams between two UDP sockets and the session, and audio
//! between the session and the device streams (which run on their own
//! threads and are only ever touched through their lock-free rings, so the
//! task never blocks).

use std::net::{IpAddr, SocketAddr};
use std::ops::RangeInclusive;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use rand::Rng;
use tokio::net::UdpSocket;
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver, UnboundedSender};
use tokio::task::JoinHandle;
use tokio::time::MissedTickBehavior;

use crate::device::{
    AudioBackend, CaptureStream, DeviceError, DeviceEvent, PlaybackStream, StreamParams,
};
use crate::error::MediaError;
use crate::params::MediaParams;
use crate::processing::CaptureProcessor;
use crate::session::{AudioSession, MediaEvent, MediaStats, SessionConfig, Transmit};

pub use crate::params::{CodecChoice, SrtpParams};

/// Device streams run at 48 kHz whatever the codec: the rate of most sound
/// cards and of the noise suppressor, and a codec change needs no reopen.
pub const DEVICE_RATE: u32 = 48_000;
const FRAME: Duration = Duration::from_millis(20);
const FRAME_SAMPLES: usize = (DEVICE_RATE / 50) as usize;
/// Audio queued ahead of the speaker: enough to ride out a late tick,
/// little enough not to add noticeable delay.
const PLAYBACK_AHEAD: usize = 2 * FRAME_SAMPLES;
/// How often the task moves audio between rings and session.
const TICK: Duration = Duration::from_millis(10);
/// Attempts at finding a free even/odd port pair.
const BIND_ATTEMPTS: usize = 64;

/// The UDP sockets of one audio stream: RTP on an even port, RTCP on the
/// next (RFC 3550 11). With rtcp-mux the RTCP socket stays bound but idle.
#[derive(Debug)]
pub struct MediaSocket {
    rtp: UdpSocket,
    rtcp: UdpSocket,
}

impl MediaSocket {
    /// Bind a pair on `ip`, within `ports` when given (e.g. a firewall's
    /// RTP range), else on ephemeral ports.
    pub async fn bind(
        ip: IpAddr,
        ports: Option<RangeInclusive<u16>>,
    ) -> std::io::Result<MediaSocket> {
        let mut last_err = None;
        match ports {
            Some(range) => {
                let start = u32::from(*range.start()).max(2);
                let lo = start + start % 2;
                let hi = u32::from(*range.end());
                if lo >= hi {
                    return Err(std::io::Error::new(
                        std::io::ErrorKind::InvalidInput,
                        "port range holds no even/odd pair",
                    ));
                }
                // pairs (p, p + 1) with p even, lo <= p and p + 1 <= hi
                let pairs = (hi - 1 - lo) / 2 + 1;
                // start at a random pair so concurrent calls don't all race for the first
                let first = rand::rng().random_range(0..pairs);
                for i in 0..pairs {
                    let p = (lo + ((first + i) % pairs) * 2) as u16;
                    match Self::pair(ip, p).await {
                        Ok(s) => return Ok(s),
                        Err(e) => last_err = Some(e),
                    }
                }
            }
            None => {
                for _ in 0..BIND_ATTEMPTS {
                    let probe = UdpSocket::bind(SocketAddr::new(ip, 0)).await?;
                    let p = probe.local_addr()?.port();
                    let p = p - p % 2;
                    drop(probe);
                    if p < 1024 {
                        continue;
                    }
                    match Self::pair(ip, p).await {
                        Ok(s) => return Ok(s),
                        Err(e) => last_err = Some(e),
                    }
                }
            }
        }
        Err(last_err.unwrap_or_else(|| {
            std::io::Error::new(std::io::ErrorKind::AddrInUse, "no free RTP port pair")
        }))
    }

    async fn pair(ip: IpAddr, port: u16) -> std::io::Result<MediaSocket> {
        let rtp = UdpSocket::bind(SocketAddr::new(ip, port)).await?;
        let rtcp = UdpSocket::bind(SocketAddr::new(ip, port + 1)).await?;
        Ok(MediaSocket { rtp, rtcp })
    }

    /// The RTP port (even).
    pub fn rtp_port(&self) -> u16 {
        self.rtp.local_addr().map(|a| a.port()).unwrap_or(0)
    }

    /// The RTCP port (RTP + 1).
    pub fn rtcp_port(&self) -> u16 {
        self.rtcp.local_addr().map(|a| a.port()).unwrap_or(0)
    }

    /// The RTP socket's address.
    pub fn local_rtp(&self) -> std::io::Result<SocketAddr> {
        self.rtp.local_addr()
    }

    fn send(&self, t: &Transmit, mux: bool) {
        let sock = if t.rtcp && !mux {
            &self.rtcp
        } else {
            &self.rtp
        };
        // UDP: a full socket buffer loses the packet as the network would
        if let Err(e) = sock.try_send_to(&t.data, t.to) {
            tracing::debug!(error = %e, to = %t.to, "media send failed");
        }
    }
}

/// Where the call's audio comes from and goes to.
#[derive(Clone)]
pub struct AudioIo {
    /// The device backend; `None` runs without any audio device (RTP keeps
    /// flowing with silence, or with the echo).
    pub backend: Option<Arc<dyn AudioBackend>>,
    /// Microphone name, `None` for the default.
    pub input: Option<String>,
    /// Speaker name, `None` for the default.
    pub output: Option<String>,
    /// Send back what is received instead of the microphone (echo-test peer).
    pub echo: bool,
    /// Run the noise suppressor on the microphone.
    pub noise_suppression: bool,
    /// Cancel the speaker's echo from the microphone (with the `webrtc-aec`
    /// feature; ignored without it).
    pub echo_cancellation: bool,
}

impl std::fmt::Debug for AudioIo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AudioIo")
            .field("backend", &self.backend.as_ref().map(|b| b.name()))
            .field("input", &self.input)
            .field("output", &self.output)
            .field("echo", &self.echo)
            .field("noise_suppression", &self.noise_suppression)
            .field("echo_cancellation", &self.echo_cancellation)
            .finish()
    }
}

impl AudioIo {
    /// Default devices of `backend`, no echo, noise suppression and echo
    /// cancellation on.
    pub fn new(backend: Arc<dyn AudioBackend>) -> Self {
        Self {
            backend: Some(backend),
            input: None,
            output: None,
            echo: false,
            noise_suppression: true,
            echo_cancellation: true,
        }
    }

    /// No audio devices at all.
    pub fn none() -> Self {
        Self {
            backend: None,
            input: None,
            output: None,
            echo: false,
            noise_suppression: false,
            echo_cancellation: false,
        }
    }
}

enum Command {
    Update(Box<MediaParams>),
    Dtmf(String),
    Mute(bool),
    Stop,
}

/// A running call's media. Dropping it stops the media task too (without
/// waiting for it); [`MediaHandle::stop`] waits and returns the final stats.
#[derive(Debug)]
pub struct MediaHandle {
    cmd: UnboundedSender<Command>,
    stats: Arc<Mutex<MediaStats>>,
    events: Option<UnboundedReceiver<MediaEvent>>,
    task: JoinHandle<MediaStats>,
    rtp_port: u16,
}

impl std::fmt::Debug for Command {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Command::Update(_) => "Update",
            Command::Dtmf(_) => "Dtmf",
            Command::Mute(_) => "Mute",
            Command::Stop => "Stop",
        })
    }
}

/// Open a device stream; a named device that cannot be opened falls back to
/// the default, reported like a device lost mid-call.
fn open_with_fallback<S>(
    name: &Option<String>,
    events: &UnboundedSender<MediaEvent>,
    open: impl Fn(&StreamParams) -> Result<S, DeviceError>,
) -> Result<S, DeviceError> {
    let mut p = StreamParams::new(DEVICE_RATE);
    p.frame = FRAME;
    p.device = name.clone();
    match open(&p) {
        Ok(s) => Ok(s),
        Err(e) if name.is_some() => {
            tracing::warn!(device = ?name, error = %e, "audio device unavailable; using the default");
            p.device = None;
            let s = open(&p)?;
            let _ = events.send(MediaEvent::DeviceFellBackToDefault {
                from: name.clone().unwrap_or_default(),
                to: "default".into(),
            });
            Ok(s)
        }
        Err(e) => Err(e),
    }
}

impl MediaHandle {
    /// Start the media of a call on `socket`.
    pub async fn start(
        socket: MediaSocket,
        params: MediaParams,
        audio: AudioIo,
    ) -> Result<MediaHandle, MediaError> {
        let config = SessionConfig {
            playout_rate: Some(DEVICE_RATE),
            ..SessionConfig::default()
        };
        Self::start_with(socket, params, audio, config).await
    }

    /// [`MediaHandle::start`] with local session settings (CNAME, jitter
    /// buffer, RTCP interval).
    pub async fn start_with(
        socket: MediaSocket,
        params: MediaParams,
        audio: AudioIo,
        mut config: SessionConfig,
    ) -> Result<MediaHandle, MediaError> {
        config.playout_rate = Some(DEVICE_RATE);
        let session = AudioSession::new(params, config, Instant::now())?;
        let (ev_tx, ev_rx) = unbounded_channel();
        let (capture, playback) = match &audio.backend {
            Some(b) => {
                let capture = if audio.echo {
                    None
                } else {
                    Some(open_with_fallback(&audio.input, &ev_tx, |p| {
                        b.open_capture(p)
                    })?)
                };
                let playback = Some(open_with_fallback(&audio.output, &ev_tx, |p| {
                    b.open_playback(p)
                })?);
                (capture, playback)
            }
            None => (None, None),
        };
        let stats = Arc::new(Mutex::new(session.stats()));
        let (cmd_tx, cmd_rx) = unbounded_channel();
        let rtp_port = socket.rtp_port();
        let pump = Pump {
            // in echo mode the microphone is not used: nothing to process
            processor: CaptureProcessor::new(
                DEVICE_RATE,
                audio.noise_suppression && !audio.echo,
                audio.echo_cancellation && !audio.echo,
            ),
            session,
            capture,
            playback,
            echo: audio.echo,
            frame: vec![0; FRAME_SAMPLES],
            capture_clock: None,
            playout_clock: None,
            events: ev_tx,
            stats: stats.clone(),
        };
        let task = tokio::spawn(pump.run(socket, cmd_rx));
        Ok(MediaHandle {
            cmd: cmd_tx,
            stats,
            events: Some(ev_rx),
            task,
            rtp_port,
        })
    }

    /// Apply renegotiated parameters (re-INVITE/UPDATE). A failure (say an
    /// unknown codec) is logged and the old parameters stay in force.
    pub fn update(&self, params: MediaParams) {
        let _ = self.cmd.send(Command::Update(Box::new(params)));
    }

    /// Send DTMF digits.
    pub fn send_dtmf(&self, digits: &str) {
        let _ = self.cmd.send(Command::Dtmf(digits.to_owned()));
    }

    /// Mute or unmute the microphone.
    pub fn set_mute(&self, on: bool) {
        let _ = self.cmd.send(Command::Mute(on));
    }

    /// The latest statistics (refreshed every 10 ms).
    pub fn stats(&self) -> MediaStats {
        self.stats
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The event stream; `Some` the first time only.
    pub fn events(&mut self) -> Option<UnboundedReceiver<MediaEvent>> {
        self.events.take()
    }

    /// The local RTP port.
    pub fn rtp_port(&self) -> u16 {
        self.rtp_port
    }

    /// Send RTCP BYE, close the device streams (a WAV recording is complete
    /// when this returns) and return the final statistics.
    pub async fn stop(self) -> MediaStats {
        let _ = self.cmd.send(Command::Stop);
        match self.task.await {
            Ok(s) => s,
            Err(e) => {
                tracing::error!(error = %e, "media task failed");
                self.stats
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .clone()
            }
        }
    }
}

/// The task's state apart from the sockets.
struct Pump {
    session: AudioSession,
    capture: Option<CaptureStream>,
    playback: Option<PlaybackStream>,
    processor: CaptureProcessor,
    echo: bool,
    frame: Vec<i16>,
    /// Wall-clock pacing of frames when no device clock drives a direction.
    capture_clock: Option<Instant>,
    playout_clock: Option<Instant>,
    events: UnboundedSender<MediaEvent>,
    stats: Arc<Mutex<MediaStats>>,
}

/// Frames due on a wall clock by `now`; resynchronises after a long stall
/// rather than bursting.
fn due_frames(clock: &mut Option<Instant>, now: Instant) -> u32 {
    let next = clock.get_or_insert(now);
    if now.saturating_duration_since(*next) > 10 * FRAME {
        *next = now;
    }
    let mut n = 0;
    while *next <= now {
        *next += FRAME;
        n += 1;
    }
    n
}

impl Pump {
    async fn run(
        mut self,
        socket: MediaSocket,
        mut cmds: UnboundedReceiver<Command>,
    ) -> MediaStats {
        let mut rtp_buf = vec![0u8; 2048];
        let mut rtcp_buf = vec![0u8; 2048];
        let mut tick = tokio::time::interval(TICK);
        tick.set_missed_tick_behavior(MissedTickBehavior::Skip);
        loop {
            let deadline = self
                .session
                .poll_timeout()
                .map(tokio::time::Instant::from_std);
            tokio::select! {
                cmd = cmds.recv() => match cmd {
                    None | Some(Command::Stop) => break,
                    Some(Command::Update(p)) => {
                        if let Err(e) = self.session.reconfigure(*p, Instant::now()) {
                            tracing::warn!(error = %e, "media update rejected; previous parameters kept");
                        }
                    }
                    Some(Command::Dtmf(d)) => {
                        self.session.send_dtmf(&d);
                    }
                    Some(Command::Mute(m)) => self.session.set_mute(m),
                },
                r = socket.rtp.recv_from(&mut rtp_buf) => match r {
                    Ok((n, from)) => self.session.handle_datagram(Instant::now(), from, &rtp_buf[..n]),
                    // ICMP port unreachable surfaces here on some systems: not fatal
                    Err(e) => tracing::debug!(error = %e, "RTP receive error"),
                },
                r = socket.rtcp.recv_from(&mut rtcp_buf) => match r {
                    Ok((n, from)) => self.session.handle_datagram(Instant::now(), from, &rtcp_buf[..n]),
                    Err(e) => tracing::debug!(error = %e, "RTCP receive error"),
                },
                _ = tick.tick() => {
                    self.pump_audio(Instant::now());
                    self.device_events();
                    *self.stats.lock().unwrap_or_else(PoisonError::into_inner) = self.session.stats();
                }
                _ = sleep_until_opt(deadline) => self.session.handle_timeout(Instant::now()),
            }
            self.flush(&socket);
        }
        self.session.close(Instant::now());
        self.flush(&socket);
        // dropping the streams joins their threads: the WAV file is finalised
        self.capture = None;
        self.playback = None;
        let stats = self.session.stats();
        *self.stats.lock().unwrap_or_else(PoisonError::into_inner) = stats.clone();
        stats
    }

    fn flush(&mut self, socket: &MediaSocket) {
        let mux = self.session.params().rtcp_mux;
        while let Some(t) = self.session.poll_transmit() {
            socket.send(&t, mux);
        }
        while let Some(e) = self.session.poll_event() {
            let _ = self.events.send(e);
        }
    }

    fn pump_audio(&mut self, now: Instant) {
        let mut frame = std::mem::take(&mut self.frame);
        // playout first, so the echo canceller has the far end before the mic
        match self.playback.as_mut() {
            Some(pb) => {
                while pb.buffered() + FRAME_SAMPLES <= PLAYBACK_AHEAD {
                    self.session.pull_playout(now, &mut frame);
                    self.processor.far_end(&frame);
                    if self.echo {
                        push(&mut self.session, now, &frame);
                    }
                    if pb.write(&frame) < frame.len() {
                        break;
                    }
                }
            }
            None => {
                for _ in 0..due_frames(&mut self.playout_clock, now) {
                    self.session.pull_playout(now, &mut frame);
                    if self.echo {
                        push(&mut self.session, now, &frame);
                    }
                }
            }
        }
        if !self.echo {
            match self.capture.as_mut() {
                Some(c) => {
                    while c.read_frame(&mut frame) {
                        self.processor.process(&mut frame);
                        push(&mut self.session, now, &frame);
                    }
                }
                None => {
                    // no microphone: silence keeps RTP (and its clock) going
                    frame.fill(0);
                    for _ in 0..due_frames(&mut self.capture_clock, now) {
                        push(&mut self.session, now, &frame);
                    }
                }
            }
        }
        self.frame = frame;
    }

    fn device_events(&mut self) {
        let mut seen = Vec::new();
        if let Some(c) = self.capture.as_mut() {
            while let Some(e) = c.poll_event() {
                seen.push(e);
            }
        }
        if let Some(p) = self.playback.as_mut() {
            while let Some(e) = p.poll_event() {
                seen.push(e);
            }
        }
        for e in seen {
            let ev = match e {
                DeviceEvent::FellBackToDefault { from, to } => {
                    tracing::warn!(%from, %to, "audio device lost; continuing on the default");
                    MediaEvent::DeviceFellBackToDefault { from, to }
                }
                DeviceEvent::Disconnected(name) => {
                    MediaEvent::DeviceError(format!("{name} disconnected"))
                }
                DeviceEvent::Error(msg) => MediaEvent::DeviceError(msg),
                DeviceEvent::EndOfInput => {
                    tracing::debug!("audio input file ended; sending silence");
                    continue;
                }
            };
            let _ = self.events.send(ev);
        }
    }
}

fn push(session: &mut AudioSession, now: Instant, frame: &[i16]) {
    if let Err(e) = session.push_capture(now, frame, DEVICE_RATE) {
        tracing::warn!(error = %e, "captured audio rejected");
    }
}

async fn sleep_until_opt(t: Option<tokio::time::Instant>) {
    match t {
        Some(t) => tokio::time::sleep_until(t).await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::NullBackend;
    use std::sync::mpsc::{channel, Sender};

    /// A null backend whose streams report events the test injects.
    struct Flaky {
        inner: NullBackend,
        tx: Mutex<Option<Sender<DeviceEvent>>>,
    }

    impl AudioBackend for Flaky {
        fn name(&self) -> &'static str {
            "flaky"
        }
        fn input_devices(&self) -> Result<Vec<crate::device::DeviceInfo>, DeviceError> {
            self.inner.input_devices()
        }
        fn output_devices(&self) -> Result<Vec<crate::device::DeviceInfo>, DeviceError> {
            self.inner.output_devices()
        }
        fn open_capture(&self, p: &StreamParams) -> Result<CaptureStream, DeviceError> {
            if p.device.as_deref() == Some("usb headset") {
                return Err(DeviceError::NotFound("usb headset".into()));
            }
            let mut s = self.inner.open_capture(p)?;
            let (tx, rx) = channel();
            s.events = rx;
            *self.tx.lock().unwrap() = Some(tx);
            Ok(s)
        }
        fn open_playback(&self, p: &StreamParams) -> Result<PlaybackStream, DeviceError> {
            self.inner.open_playback(p)
        }
    }

    #[tokio::test]
    async fn device_loss_and_missing_device_surface_as_events() {
        let backend = Arc::new(Flaky {
            inner: NullBackend::new(),
            tx: Mutex::new(None),
        });
        let sock = MediaSocket::bind("127.0.0.1".parse().unwrap(), None)
            .await
            .unwrap();
        assert_eq!(sock.rtp_port() % 2, 0);
        assert_eq!(sock.rtcp_port(), sock.rtp_port() + 1);
        let params = MediaParams::new(CodecChoice::pcmu(), "127.0.0.1:9".parse().unwrap());
        let mut io = AudioIo::new(backend.clone());
        io.input = Some("usb headset".into());
        let mut h = MediaHandle::start(sock, params, io).await.unwrap();
        let mut ev = h.events().unwrap();
        assert!(h.events().is_none());
        assert_eq!(
            ev.recv().await,
            Some(MediaEvent::DeviceFellBackToDefault {
                from: "usb headset".into(),
                to: "default".into()
            })
        );
        let tx = backend.tx.lock().unwrap().clone().unwrap();
        tx.send(DeviceEvent::FellBackToDefault {
            from: "default".into(),
            to: "hdmi".into(),
        })
        .unwrap();
        let got = tokio::time::timeout(Duration::from_secs(2), ev.recv())
            .await
            .unwrap();
        assert_eq!(
            got,
            Some(MediaEvent::DeviceFellBackToDefault {
                from: "default".into(),
                to: "hdmi".into()
            })
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
        let stats = h.stop().await;
        // silence from the null microphone still went out
        assert!(stats.packets_sent > 0);
    }

    #[tokio::test]
    async fn port_ranges() {
        let ip: IpAddr = "127.0.0.1".parse().unwrap();
        let a = MediaSocket::bind(ip, Some(41000..=41003)).await.unwrap();
        let b = MediaSocket::bind(ip, Some(41000..=41003)).await.unwrap();
        let mut ports = [a.rtp_port(), b.rtp_port()];
        ports.sort();
        assert_eq!(ports, [41000, 41002]);
        assert!(MediaSocket::bind(ip, Some(41000..=41003)).await.is_err());
        assert!(MediaSocket::bind(ip, Some(41001..=41001)).await.is_err());
        // an odd start rounds up to the next even port
        let c = MediaSocket::bind(ip, Some(41005..=41007)).await.unwrap();
        assert_eq!(c.rtp_port(), 41006);
    }
}
