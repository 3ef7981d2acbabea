//! baresip 1.0 as a second, headless softphone, controlled over `ctrl_tcp`.
//!
//! ```no_run
//! use handset_harness::{Baresip, BaresipOptions, CallPeer, Kamailio, KamailioOptions, Transport};
//! use std::time::Duration;
//! let kam = Kamailio::start(KamailioOptions::default());
//! let mut bob = Baresip::start(BaresipOptions::for_kamailio(&kam, "102", "pw102", Transport::Tcp));
//! bob.dial("sip:101@127.0.0.1").unwrap();
//! bob.wait_established(Duration::from_secs(5)).unwrap();
//! bob.send_dtmf("123#").unwrap();
//! ```
//!
//! Traps handled here (all met on baresip 1.0.0):
//! - `sip_listen` port P also binds TLS on P + 1: the harness reserves both.
//! - No audio player module is loaded: `audio_player` on the null device busy-loops at 90 % of
//!   a core. What arrives is recorded by `sndfile` (`dump-…-dec.wav` received, `-enc.wav` sent),
//!   at the decoder's rate (8000 PCMU/PCMA, 16000 G.722, 48000 stereo Opus).
//! - `aufile` is a source only; its WAV must be S16LE at exactly `ausrc_srate`/`ausrc_channels`
//!   (checked at start), and the call hangs up when the file ends: the default source is a
//!   generated 10-minute tone.
//! - `audio_codecs` entries are `name/srate/channels` with srate 8000 and 1 channel when left
//!   out, and a codec that does not match is dropped with only a warning (an empty list then
//!   means *every* codec). So `opus` must be `opus/48000/2` and `G722` `G722/16000/1`: the
//!   harness writes them so and fails the start on `account: audio codec not found`.
//! - `net_interface 127.0.0.1`, else the SDP carries the eth0 address (`lo` makes it exit).
//! - SIGTERM takes about 2 s to exit (10–15 s with presence): [`Baresip::stop`] waits.
//! - It answers 200 to MESSAGE without printing the text: check receipt at SIP level.
//! - It does not verify the server certificate on TLS even with `sip_cafile` (1.0.0):
//!   it cannot serve "bad certificate refused" tests. It has no SIP over WebSocket.
//! - `ctrl_tcp` serves one client at a time and sends events only to the connected client: the
//!   harness keeps one connection from start to stop, records every event, and hands out
//!   views of it ([`Baresip::ctrl`]). Connecting a second client yourself would cut it off.
//! - In-call commands (`hold`, `resume`, `sndcode`, `audio_debug`) exist only while a call is
//!   up (the menu registers them on the first call).
//! - Received DTMF (RFC 4733) arrives as `CALL_DTMF_START` events with the digit in `param`
//!   (and a `received event: 'D' (end=0)` log line). `sndcode <digits>` sends a string.
//! - Any re-INVITE (hold, resume) drops the receive-side audio filters: the `rx pipeline`
//!   loses `sndfile`, so the `-dec.wav` recording stops at the first hold although audio keeps
//!   flowing. Compare audio of calls without re-INVITEs, or record on the other peer.
//! - Being put on hold produces no event: `audio_debug` shows the negotiated direction of the
//!   audio stream (` audio dir=recvonly` when the remote sent `a=sendonly`, `inactive` for
//!   `a=inactive`), which [`Baresip::remote_hold`] polls.

use std::collections::HashMap;
use std::fs;
use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, Shutdown, SocketAddr, SocketAddrV4, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use serde_json::Value;
use tempfile::TempDir;

use crate::audio::TestSignal;
use crate::kamailio::Kamailio;
use crate::peer::{CallPeer, PeerRecording};
use crate::ports::{free_port, free_port_pair, free_port_range};
use crate::process::{require_binary, wait_until, LogCapture, PeerProcess};
use crate::wav::{read_wav, write_sine_wav};
use crate::Transport;

/// Where Debian's baresip-core package puts its modules.
pub const BARESIP_MODULES_DIR: &str = "/usr/lib/baresip/modules";

/// SRTP (SDES, RFC 4568) for the audio stream, baresip's `mediaenc` account parameter.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Srtp {
    /// Plain RTP (default).
    #[default]
    Off,
    /// `mediaenc=srtp`: offers RTP/AVP with `a=crypto`, encrypts when the peer answers with
    /// a key.
    Optional,
    /// `mediaenc=srtp-mand`: offers RTP/SAVP; calls without SRTP fail.
    Mandatory,
}

/// How to start baresip.
#[derive(Clone, Debug)]
pub struct BaresipOptions {
    /// Account user, e.g. `101`.
    pub user: String,
    /// Digest password.
    pub password: String,
    /// Host part of the AoR (default `127.0.0.1`).
    pub domain: String,
    /// Registrar address, also used as outbound proxy for every request (`outbound=…;lr`).
    pub registrar: SocketAddr,
    /// Transport towards the registrar: UDP, TCP or TLS (baresip 1.0 has no WS).
    pub transport: Transport,
    /// Register at start (default true). When false (`regint=0`), no REGISTER is sent.
    pub register: bool,
    /// Requested registration interval in seconds (default 600).
    pub regint: u32,
    /// Answer incoming calls automatically (default true); otherwise `answermode=manual`
    /// and [`Baresip::answer`] accepts.
    pub auto_answer: bool,
    /// Audio codecs in order of preference: `PCMU` (default), `PCMA`, `G722`, `opus` (any
    /// case), or a full baresip spec such as `opus/48000/2`.
    pub audio_codecs: Vec<String>,
    /// What baresip plays into calls, written at the right rate and channel count at start.
    /// Takes precedence over `source_wav`. Make it longer than the call: baresip hangs up when
    /// the file ends.
    pub source_signal: Option<TestSignal>,
    /// A WAV played into calls: S16LE at exactly `sample_rate`/`channels` (checked at start),
    /// longer than the call. `None` (and no `source_signal`): a 10-minute 440 Hz tone.
    pub source_wav: Option<PathBuf>,
    /// `ausrc_srate`/`auplay_srate`; `None`: the first codec's rate (48000 Opus, 16000 G.722,
    /// else 8000).
    pub sample_rate: Option<u32>,
    /// `ausrc_channels`/`auplay_channels` (default 1).
    pub channels: u16,
    /// Record calls with `sndfile` (default true).
    pub record: bool,
    /// Where `sndfile` writes; default `<temp dir>/recordings`.
    pub record_dir: Option<PathBuf>,
    /// SRTP for calls (default off).
    pub srtp: Srtp,
    /// `sip_cafile`: CA trusted for TLS (not verified by baresip 1.0, see the module docs).
    pub ca_file: Option<PathBuf>,
    /// Load `contact` + `presence` (PUBLISH every 60 s); makes SIGTERM take 10–15 s.
    pub presence: bool,
    /// `jitter_buffer_delay` min-max frames (default 5-10).
    pub jitter_buffer: (u32, u32),
    /// Raw lines appended to `config`.
    pub extra_config: Vec<String>,
    /// Appended to the account line, e.g. `;mwi=no`.
    pub extra_account_params: String,
    /// Time allowed for `baresip is ready.` and the registration's 200 (default 10 s).
    pub ready_timeout: Duration,
}

impl BaresipOptions {
    /// Options for `user`/`password` at `registrar` over UDP with the defaults above.
    pub fn new(user: &str, password: &str, registrar: SocketAddr) -> BaresipOptions {
        BaresipOptions {
            user: user.to_string(),
            password: password.to_string(),
            domain: "127.0.0.1".to_string(),
            registrar,
            transport: Transport::Udp,
            register: true,
            regint: 600,
            auto_answer: true,
            audio_codecs: vec!["PCMU".to_string()],
            source_signal: None,
            source_wav: None,
            sample_rate: None,
            channels: 1,
            record: true,
            record_dir: None,
            srtp: Srtp::Off,
            ca_file: None,
            presence: false,
            jitter_buffer: (5, 10),
            extra_config: Vec::new(),
            extra_account_params: String::new(),
            ready_timeout: Duration::from_secs(10),
        }
    }

    /// Options registering at `kam` over `transport` (its address for that transport), with
    /// the Kamailio test CA as `sip_cafile`.
    ///
    /// # Panics
    /// For WS/WSS, which baresip 1.0 lacks.
    pub fn for_kamailio(
        kam: &Kamailio,
        user: &str,
        password: &str,
        transport: Transport,
    ) -> BaresipOptions {
        let mut o = BaresipOptions::new(user, password, kam.addr(transport));
        o.transport = transport;
        o.domain = kam.domain().to_string();
        o.ca_file = Some(kam.ca().ca_path().to_path_buf());
        o
    }

    /// Sets the codec list (builder style).
    pub fn codecs(mut self, codecs: &[&str]) -> Self {
        self.audio_codecs = codecs.iter().map(|c| c.to_string()).collect();
        self
    }

    /// Sets the source signal (builder style).
    pub fn source(mut self, signal: &TestSignal) -> Self {
        self.source_signal = Some(signal.clone());
        self
    }

    /// The `ausrc_srate` these options lead to.
    pub fn effective_sample_rate(&self) -> u32 {
        self.sample_rate.unwrap_or_else(|| {
            self.audio_codecs
                .first()
                .map(|c| codec_spec(c).1)
                .unwrap_or(8000)
        })
    }
}

/// baresip's `name/srate/channels` for a codec name, and its sample rate.
fn codec_spec(c: &str) -> (String, u32) {
    if c.contains('/') {
        let rate = c
            .split('/')
            .nth(1)
            .and_then(|r| r.parse().ok())
            .unwrap_or(8000);
        return (c.to_string(), rate);
    }
    match c.to_ascii_lowercase().as_str() {
        "opus" => ("opus/48000/2".to_string(), 48000),
        "g722" => ("G722/16000/1".to_string(), 16000),
        "l16" => ("L16/16000/1".to_string(), 16000),
        _ => (c.to_ascii_uppercase(), 8000),
    }
}

/// A running baresip; killed on drop (its log tail is printed if the test panicked).
pub struct Baresip {
    dir: Option<TempDir>,
    dir_path: PathBuf,
    proc: PeerProcess,
    log: LogCapture,
    sip_port: u16,
    ctrl_port: u16,
    rtp_ports: (u16, u16),
    record_dir: PathBuf,
    sample_rate: u32,
    ctrl: Arc<CtrlShared>,
    /// Next event index each `wait_*` of [`CallPeer`] looks at.
    cursors: HashMap<&'static str, usize>,
    opts: BaresipOptions,
}

impl std::fmt::Debug for Baresip {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Baresip")
            .field("user", &self.opts.user)
            .field("sip_port", &self.sip_port)
            .field("ctrl_port", &self.ctrl_port)
            .field("dir", &self.dir_path)
            .finish()
    }
}

/// Checks that `path` is a WAV that `aufile` plays as is: 16-bit PCM at `rate`/`channels`.
fn check_source_wav(path: &Path, rate: u32, channels: u16) -> Result<()> {
    let (r, ch, samples) =
        read_wav(path).with_context(|| format!("source WAV {}", path.display()))?;
    if r != rate || ch != channels {
        bail!(
            "source WAV {} is {r} Hz / {ch} ch but baresip's ausrc is {rate} Hz / {channels} ch \
             (aufile does not resample)",
            path.display()
        );
    }
    if samples.is_empty() {
        bail!("source WAV {} is empty", path.display());
    }
    Ok(())
}

impl Baresip {
    /// Starts baresip and waits for `baresip is ready.` and (when registering) the 200 OK.
    ///
    /// # Panics
    /// When baresip is missing or does not get ready (with its log tail).
    pub fn start(opts: BaresipOptions) -> Baresip {
        match Self::try_start(opts) {
            Ok(b) => b,
            Err(e) => panic!("baresip did not start: {e:#}"),
        }
    }

    /// Like [`start`](Self::start) but returns an error (it still panics when baresip is missing).
    pub fn try_start(opts: BaresipOptions) -> Result<Baresip> {
        let bin = require_binary("baresip");
        if matches!(opts.transport, Transport::Ws | Transport::Wss) {
            bail!("baresip 1.0 has no SIP over WebSocket");
        }
        let dir = tempfile::Builder::new().prefix("baresip-").tempdir()?;
        let dir_path = dir.path().to_path_buf();
        let (sip_port, _tls_port) = free_port_pair();
        let ctrl_port = free_port();
        let rtp_first = free_port_range(20);
        let rtp_ports = (rtp_first, rtp_first + 19);
        let record_dir = opts
            .record_dir
            .clone()
            .unwrap_or_else(|| dir_path.join("recordings"));
        fs::create_dir_all(&record_dir)?;

        let codecs: Vec<String> = opts.audio_codecs.iter().map(|c| codec_spec(c).0).collect();
        let srate = opts.effective_sample_rate();
        let source = match (&opts.source_signal, &opts.source_wav) {
            (Some(sig), _) => {
                let p = dir_path.join("source.wav");
                sig.write_wav(&p, srate, opts.channels)?;
                p
            }
            (None, Some(p)) => {
                check_source_wav(p, srate, opts.channels)?;
                p.clone()
            }
            (None, None) => {
                let p = dir_path.join("source.wav");
                write_sine_wav(&p, srate, opts.channels, 600, 440.0)?;
                p
            }
        };

        let mut cfg = String::new();
        let mut line = |k: &str, v: &str| {
            cfg.push_str(k);
            cfg.push('\t');
            cfg.push_str(v);
            cfg.push('\n');
        };
        line("poll_method", "epoll");
        line("net_interface", "127.0.0.1");
        line("sip_listen", &format!("127.0.0.1:{sip_port}"));
        if let Some(ca) = &opts.ca_file {
            line("sip_cafile", &ca.display().to_string());
        }
        line("call_local_timeout", "120");
        line("call_max_calls", "4");
        line("audio_source", &format!("aufile,{}", source.display()));
        line("ausrc_srate", &srate.to_string());
        line("auplay_srate", &srate.to_string());
        line("ausrc_channels", &opts.channels.to_string());
        line("auplay_channels", &opts.channels.to_string());
        line("audio_level", "no");
        line("rtp_ports", &format!("{}-{}", rtp_ports.0, rtp_ports.1));
        line("rtcp_mux", "no");
        line(
            "jitter_buffer_delay",
            &format!("{}-{}", opts.jitter_buffer.0, opts.jitter_buffer.1),
        );
        line("rtp_stats", "yes");
        line("module_path", BARESIP_MODULES_DIR);
        for m in ["g711.so", "g722.so", "opus.so", "aufile.so"] {
            line("module", m);
        }
        if opts.srtp != Srtp::Off {
            line("module", "srtp.so");
        }
        if opts.record {
            line("module", "sndfile.so");
            line("snd_path", &record_dir.display().to_string());
        }
        line("module_app", "account.so");
        line("module_app", "menu.so");
        if opts.presence {
            line("module_app", "contact.so");
            line("module_app", "presence.so");
        }
        line("module_app", "ctrl_tcp.so");
        line("ctrl_tcp_listen", &format!("127.0.0.1:{ctrl_port}"));
        line("opus_bitrate", "32000");
        for l in &opts.extra_config {
            cfg.push_str(l);
            cfg.push('\n');
        }
        fs::write(dir_path.join("config"), cfg)?;

        // AoR without port; every request goes through the registrar as outbound proxy
        // (without `outbound`, baresip 1.0 sends a call to sip:x@127.0.0.1 straight to :5060)
        let t = opts.transport.as_str();
        let mut account = format!(
            "<sip:{user}@{domain};transport={t}>;outbound=\"sip:{ip}:{port};transport={t};lr\";auth_user={user};auth_pass={pw};audio_codecs={codecs};regint={regint}",
            user = opts.user,
            domain = opts.domain,
            ip = opts.registrar.ip(),
            port = opts.registrar.port(),
            pw = opts.password,
            codecs = codecs.join(","),
            regint = if opts.register { opts.regint } else { 0 },
        );
        account.push_str(if opts.auto_answer {
            ";answermode=auto"
        } else {
            ";answermode=manual"
        });
        match opts.srtp {
            Srtp::Off => {}
            Srtp::Optional => account.push_str(";mediaenc=srtp"),
            Srtp::Mandatory => account.push_str(";mediaenc=srtp-mand"),
        }
        if opts.presence {
            account.push_str(";pubint=60");
        }
        account.push_str(&opts.extra_account_params);
        fs::write(dir_path.join("accounts"), format!("{account}\n"))?;
        fs::write(dir_path.join("contacts"), "")?;

        let log = LogCapture::new(&dir_path.join("baresip.log"))?;
        let mut cmd = Command::new(bin);
        cmd.arg("-f")
            .arg(&dir_path)
            .current_dir(&dir_path)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut proc =
            PeerProcess::spawn("baresip", cmd, libc::SIGKILL).context("spawn baresip")?;
        // PeerProcess owns the Child; take its pipes through a raw handle
        let (out, err) = proc_pipes(&mut proc);
        if let Some(o) = out {
            log.attach(o);
        }
        if let Some(e) = err {
            log.attach(e);
        }
        let timeout = opts.ready_timeout;
        let ready = log.wait_for(0, timeout, |l| l.contains("baresip is ready."));
        let tail = |log: &LogCapture| {
            format!(
                "----- baresip {} log (last 40 lines) -----\n{}\n-----",
                opts.user,
                log.tail(40)
            )
        };
        if ready.is_none() {
            bail!("no 'baresip is ready.' within {timeout:?}:\n{}", tail(&log));
        }
        if let Some(l) = log
            .lines()
            .iter()
            .find(|l| l.contains("audio codec not found"))
        {
            bail!("{l} (codecs {codecs:?}):\n{}", tail(&log));
        }
        // the listener is up once the modules are loaded, which is before "ready"
        let ctrl_addr = SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::LOCALHOST, ctrl_port));
        let ctrl = CtrlShared::connect(ctrl_addr).context("connect to ctrl_tcp")?;
        let b = Baresip {
            dir: Some(dir),
            dir_path,
            proc,
            log,
            sip_port,
            ctrl_port,
            rtp_ports,
            record_dir,
            sample_rate: srate,
            ctrl,
            cursors: HashMap::new(),
            opts,
        };
        if b.opts.register && !b.wait_registered_since(0, timeout) {
            bail!(
                "{} did not register (no 200 OK) within {timeout:?}:\n{}",
                b.aor(),
                b.log_tail(40)
            );
        }
        Ok(b)
    }

    /// The AoR, `sip:<user>@<domain>`.
    pub fn aor(&self) -> String {
        format!("sip:{}@{}", self.opts.user, self.opts.domain)
    }

    /// The options it was started with.
    pub fn options(&self) -> &BaresipOptions {
        &self.opts
    }

    /// `ausrc_srate`: the rate of the source it plays.
    pub fn sample_rate(&self) -> u32 {
        self.sample_rate
    }

    /// Its SIP port P (UDP and TCP); TLS is on P + 1.
    pub fn sip_port(&self) -> u16 {
        self.sip_port
    }

    /// 127.0.0.1:P (UDP and TCP).
    pub fn sip_addr(&self) -> SocketAddr {
        SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::LOCALHOST, self.sip_port))
    }

    /// A URI reaching it directly, bypassing the registrar: `sip:<user>@127.0.0.1:P` (UDP).
    pub fn direct_uri(&self) -> String {
        format!("sip:{}@127.0.0.1:{}", self.opts.user, self.sip_port)
    }

    /// The `ctrl_tcp` address.
    pub fn ctrl_addr(&self) -> SocketAddr {
        SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::LOCALHOST, self.ctrl_port))
    }

    /// Its RTP port range (inclusive).
    pub fn rtp_ports(&self) -> (u16, u16) {
        self.rtp_ports
    }

    /// A view of the harness's `ctrl_tcp` connection that sees events from now on. Views
    /// share the connection (baresip serves one client); each has its own event cursor.
    pub fn ctrl(&self) -> io::Result<BaresipCtrl> {
        Ok(BaresipCtrl {
            cursor: self.ctrl.event_count(),
            shared: self.ctrl.clone(),
        })
    }

    /// Every `ctrl_tcp` event received since start.
    pub fn events(&self) -> Vec<Value> {
        self.ctrl.state.lock().unwrap().events.clone()
    }

    /// Sends a command (as typed at baresip's long-command prompt without the `/`) and
    /// returns its output; errors when baresip answers `ok: false`.
    pub fn command(&self, command: &str, params: Option<&str>) -> Result<String> {
        let r = self.ctrl.command(command, params)?;
        if !r.ok {
            bail!(
                "baresip {} refused '{command}{}': {}",
                self.opts.user,
                params.map(|p| format!(" {p}")).unwrap_or_default(),
                r.data
            );
        }
        Ok(r.data)
    }

    /// Waits for the next event of type `kind` at index ≥ the cursor of `slot`, advancing it.
    fn wait_event_slot(
        &mut self,
        slot: &'static str,
        kind: &str,
        timeout: Duration,
    ) -> Result<Value> {
        let from = self.cursors.get(slot).copied().unwrap_or(0);
        match self
            .ctrl
            .wait_event_from(from, timeout, |e| event_type(e) == kind)
        {
            Some((i, e)) => {
                self.cursors.insert(slot, i + 1);
                Ok(e)
            }
            None => bail!(
                "baresip {}: no {kind} event within {timeout:?}; events: {:?}",
                self.opts.user,
                self.ctrl
                    .events_from(from)
                    .iter()
                    .map(|e| event_type(e).to_string())
                    .collect::<Vec<_>>()
            ),
        }
    }

    /// The negotiated direction of the current call's audio stream from `audio_debug`
    /// (`sendrecv`, `sendonly` = we hold, `recvonly` = the remote holds us, `inactive`), or
    /// `None` without a call.
    pub fn audio_direction(&self) -> Option<String> {
        let out = self.ctrl.command("audio_debug", None).ok()?;
        if !out.ok {
            return None;
        }
        out.data.lines().find_map(|l| {
            l.trim_start()
                .strip_prefix("audio dir=")
                .and_then(|r| r.split_whitespace().next())
                .map(str::to_string)
        })
    }

    /// The codec the current call sends with, from `audio_debug` (`PCMU`, `G722`, `opus`…),
    /// or `None` without a call.
    pub fn audio_codec(&self) -> Option<String> {
        let out = self.ctrl.command("audio_debug", None).ok()?;
        out.data.lines().find_map(|l| {
            l.trim_start()
                .strip_prefix("tx:")
                .and_then(|r| r.trim_start().strip_prefix("encode:"))
                .and_then(|r| r.split_whitespace().next())
                .map(str::to_string)
        })
    }

    /// True when the remote has put the current call on hold (`a=sendonly` or `a=inactive`
    /// in its last offer).
    pub fn remote_hold(&self) -> bool {
        matches!(
            self.audio_direction().as_deref(),
            Some("recvonly") | Some("inactive")
        )
    }

    /// Waits for `SRTP is Enabled` in the log (at index ≥ `from`) and returns the cryptosuite.
    pub fn wait_srtp(&self, from: usize, timeout: Duration) -> Result<String> {
        let l = self
            .wait_log(from, "SRTP is Enabled", timeout)
            .ok_or_else(|| {
                anyhow!(
                    "no 'SRTP is Enabled' within {timeout:?}:\n{}",
                    self.log_tail(30)
                )
            })?;
        Ok(l.split("cryptosuite=")
            .nth(1)
            .map(|s| s.trim_end_matches(')').to_string())
            .unwrap_or_default())
    }

    /// Everything baresip printed.
    pub fn log(&self) -> &LogCapture {
        &self.log
    }

    /// The last `n` log lines.
    pub fn log_tail(&self, n: usize) -> String {
        format!(
            "----- baresip {} log {} (last {n} lines) -----\n{}\n----- end of baresip log -----",
            self.opts.user,
            self.log.path().display(),
            self.log.tail(n)
        )
    }

    /// Waits for a log line at index `>= from` containing `needle`.
    pub fn wait_log(&self, from: usize, needle: &str, timeout: Duration) -> Option<String> {
        self.log
            .wait_for(from, timeout, |l| l.contains(needle))
            .map(|(_, l)| l)
    }

    /// Waits for a registration 200 OK logged at line index `>= from` (use
    /// `log().len()` before an event as `from`). baresip 1.0 logs the 200 only when the
    /// registration state changes (first success, success after a failure): a plain refresh
    /// prints nothing, so check refreshes at the registrar ([`Kamailio::wait_registered`]).
    pub fn wait_registered_since(&self, from: usize, timeout: Duration) -> bool {
        let prefix = format!("{}@", self.opts.user);
        self.log
            .wait_for(from, timeout, |l| {
                l.starts_with(&prefix) && l.contains("} 200 ") && l.contains("binding")
            })
            .is_some()
    }

    /// Recorded WAV files (`dump-…-dec.wav` received, `dump-…-enc.wav` sent), sorted.
    pub fn recordings(&self) -> Vec<PathBuf> {
        let mut v: Vec<PathBuf> = fs::read_dir(&self.record_dir)
            .map(|d| {
                d.flatten()
                    .map(|e| e.path())
                    .filter(|p| p.extension().is_some_and(|e| e == "wav"))
                    .collect()
            })
            .unwrap_or_default();
        v.sort();
        v
    }

    /// The file `sndfile` last opened for received (decoded) audio, from its log line
    /// `sndfile: dumping decode audio to <path>` (file names carry only a 1-second timestamp).
    pub fn last_received_recording(&self) -> Option<PathBuf> {
        self.log.lines().iter().rev().find_map(|l| {
            l.split("dumping decode audio to ")
                .nth(1)
                .map(|p| PathBuf::from(p.trim()))
        })
    }

    /// The recordings directory.
    pub fn record_dir(&self) -> &Path {
        &self.record_dir
    }

    /// The config directory (`config`, `accounts`, `contacts`, log).
    pub fn dir(&self) -> &Path {
        &self.dir_path
    }

    /// PID of the baresip process.
    pub fn pid(&self) -> u32 {
        self.proc.pid()
    }

    /// True while it runs.
    pub fn is_running(&mut self) -> bool {
        self.proc.is_running()
    }

    /// SIGTERM (it un-registers and hangs up), waits up to 5 s (20 s with presence), then
    /// SIGKILL. Its ports are free afterwards.
    pub fn stop(&mut self) -> Option<ExitStatus> {
        let t = if self.opts.presence { 20 } else { 5 };
        let st = self.proc.terminate(Duration::from_secs(t));
        self.ctrl.shutdown();
        st
    }

    /// SIGKILL (no un-REGISTER).
    pub fn kill(&mut self) -> Option<ExitStatus> {
        let st = self.proc.kill();
        self.ctrl.shutdown();
        st
    }

    /// Keeps the config dir after drop and returns its path.
    pub fn keep_dir(&mut self) -> PathBuf {
        if let Some(d) = self.dir.take() {
            let _ = d.keep();
        }
        self.dir_path.clone()
    }
}

fn event_type(e: &Value) -> &str {
    e.get("type").and_then(Value::as_str).unwrap_or("?")
}

impl CallPeer for Baresip {
    fn label(&self) -> String {
        format!("baresip {}", self.opts.user)
    }

    fn aor(&self) -> String {
        Baresip::aor(self)
    }

    /// `dial <uri>`.
    fn dial(&mut self, uri: &str) -> Result<()> {
        self.command("dial", Some(uri)).map(drop)
    }

    /// `accept`.
    fn answer(&mut self) -> Result<()> {
        self.command("accept", None).map(drop)
    }

    /// `hangup`.
    fn hangup(&mut self) -> Result<()> {
        self.command("hangup", None).map(drop)
    }

    /// `hold`: re-INVITE with `a=sendonly`.
    fn hold(&mut self) -> Result<()> {
        self.command("hold", None).map(drop)
    }

    /// `resume`: re-INVITE with `a=sendrecv`.
    fn resume(&mut self) -> Result<()> {
        self.command("resume", None).map(drop)
    }

    /// `sndcode <digits>`: RFC 4733 events, queued and sent back to back (each at least
    /// 100 ms plus 3 end packets).
    fn send_dtmf(&mut self, digits: &str) -> Result<()> {
        self.command("sndcode", Some(digits)).map(drop)
    }

    fn wait_incoming(&mut self, timeout: Duration) -> Result<()> {
        self.wait_event_slot("incoming", "CALL_INCOMING", timeout)
            .map(drop)
    }

    fn wait_established(&mut self, timeout: Duration) -> Result<()> {
        self.wait_event_slot("established", "CALL_ESTABLISHED", timeout)
            .map(drop)
    }

    /// The `CALL_CLOSED` event's `param`, e.g. `Connection reset by user`.
    fn wait_closed(&mut self, timeout: Duration) -> Result<String> {
        let e = self.wait_event_slot("closed", "CALL_CLOSED", timeout)?;
        Ok(e.get("param")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string())
    }

    /// Digits of `CALL_DTMF_START` events.
    fn wait_dtmf(&mut self, count: usize, timeout: Duration) -> String {
        let deadline = Instant::now() + timeout;
        let mut digits = String::new();
        while digits.len() < count {
            let from = self.cursors.get("dtmf").copied().unwrap_or(0);
            let left = deadline.saturating_duration_since(Instant::now());
            match self
                .ctrl
                .wait_event_from(from, left, |e| event_type(e) == "CALL_DTMF_START")
            {
                Some((i, e)) => {
                    self.cursors.insert("dtmf", i + 1);
                    digits.push_str(e.get("param").and_then(Value::as_str).unwrap_or("?"));
                }
                None => break,
            }
        }
        digits
    }

    /// From the audio direction in `audio_debug` (`recvonly`/`inactive`: held).
    fn is_held(&mut self) -> Result<bool> {
        match self.audio_direction() {
            Some(d) => Ok(d == "recvonly" || d == "inactive"),
            None => bail!("baresip {} has no call", self.opts.user),
        }
    }

    /// The last `-dec.wav` (what it received, at the decoder's rate).
    fn recording(&mut self, timeout: Duration) -> Result<PeerRecording> {
        let mut path = None;
        wait_until(timeout, Duration::from_millis(50), || {
            path = self.last_received_recording().filter(|p| p.exists());
            path.is_some()
        });
        let path = path.ok_or_else(|| {
            anyhow!(
                "baresip {} recorded nothing (record: {}) in {}",
                self.opts.user,
                self.opts.record,
                self.record_dir.display()
            )
        })?;
        PeerRecording::load(&path)
    }

    fn report(&self) -> String {
        self.log_tail(60)
    }
}

fn proc_pipes(
    proc: &mut PeerProcess,
) -> (
    Option<std::process::ChildStdout>,
    Option<std::process::ChildStderr>,
) {
    let child = proc.child_mut();
    (child.stdout.take(), child.stderr.take())
}

impl Drop for Baresip {
    fn drop(&mut self) {
        self.proc.kill();
        self.ctrl.shutdown();
        if std::thread::panicking() {
            let dir = self.keep_dir();
            eprintln!(
                "handset-harness: test panicked; baresip dir kept at {}\n{}",
                dir.display(),
                self.log_tail(60)
            );
        }
    }
}

/// A reply to a `ctrl_tcp` command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CtrlResponse {
    /// `ok` field.
    pub ok: bool,
    /// `data` field (command output text).
    pub data: String,
}

/// What the reader thread collected from one `ctrl_tcp` connection.
#[derive(Debug, Default)]
struct CtrlState {
    events: Vec<Value>,
    responses: HashMap<String, Value>,
    closed: Option<String>,
}

/// One `ctrl_tcp` connection: a reader thread files events and responses (by token).
#[derive(Debug)]
struct CtrlShared {
    writer: Mutex<TcpStream>,
    state: Mutex<CtrlState>,
    cv: Condvar,
    next_token: AtomicU32,
}

impl CtrlShared {
    /// Connects (retrying for 2 s: the listener may lag the process start) and starts the
    /// reader thread.
    fn connect(addr: SocketAddr) -> io::Result<Arc<CtrlShared>> {
        let deadline = Instant::now() + Duration::from_secs(2);
        let stream = loop {
            match TcpStream::connect_timeout(&addr, Duration::from_secs(2)) {
                Ok(s) => break s,
                Err(e) if Instant::now() >= deadline => return Err(e),
                Err(_) => std::thread::sleep(Duration::from_millis(20)),
            }
        };
        stream.set_nodelay(true).ok();
        let reader = stream.try_clone()?;
        let shared = Arc::new(CtrlShared {
            writer: Mutex::new(stream),
            state: Mutex::new(CtrlState::default()),
            cv: Condvar::new(),
            next_token: AtomicU32::new(1),
        });
        let s = shared.clone();
        std::thread::Builder::new()
            .name("baresip-ctrl".into())
            .spawn(move || s.read_loop(reader))?;
        Ok(shared)
    }

    fn read_loop(&self, mut stream: TcpStream) {
        let mut buf = Vec::new();
        let mut chunk = [0u8; 8192];
        let why = loop {
            match stream.read(&mut chunk) {
                Ok(0) => break "baresip closed the ctrl_tcp connection".to_string(),
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => break format!("ctrl_tcp read failed: {e}"),
            }
            loop {
                match take_netstring(&mut buf) {
                    Ok(Some(msg)) => {
                        let Ok(v) = serde_json::from_slice::<Value>(&msg) else {
                            continue;
                        };
                        let mut st = self.state.lock().unwrap();
                        if v.get("event").and_then(Value::as_bool) == Some(true) {
                            st.events.push(v);
                        } else if let Some(t) = v.get("token").and_then(Value::as_str) {
                            st.responses.insert(t.to_string(), v.clone());
                        }
                        self.cv.notify_all();
                    }
                    Ok(None) => break,
                    Err(e) => {
                        let mut st = self.state.lock().unwrap();
                        st.closed = Some(format!("{e:#}"));
                        self.cv.notify_all();
                        return;
                    }
                }
            }
        };
        self.state.lock().unwrap().closed = Some(why);
        self.cv.notify_all();
    }

    fn shutdown(&self) {
        let _ = self.writer.lock().unwrap().shutdown(Shutdown::Both);
    }

    fn event_count(&self) -> usize {
        self.state.lock().unwrap().events.len()
    }

    fn events_from(&self, from: usize) -> Vec<Value> {
        let st = self.state.lock().unwrap();
        st.events
            .get(from..)
            .map(<[Value]>::to_vec)
            .unwrap_or_default()
    }

    /// First event at index ≥ `from` matching `pred`, waiting up to `timeout`.
    fn wait_event_from(
        &self,
        from: usize,
        timeout: Duration,
        mut pred: impl FnMut(&Value) -> bool,
    ) -> Option<(usize, Value)> {
        let deadline = Instant::now() + timeout;
        let mut st = self.state.lock().unwrap();
        let mut next = from;
        loop {
            while next < st.events.len() {
                if pred(&st.events[next]) {
                    return Some((next, st.events[next].clone()));
                }
                next += 1;
            }
            let now = Instant::now();
            if now >= deadline || st.closed.is_some() {
                return None;
            }
            st = self.cv.wait_timeout(st, deadline - now).unwrap().0;
        }
    }

    fn command(&self, command: &str, params: Option<&str>) -> Result<CtrlResponse> {
        let token = format!("h{}", self.next_token.fetch_add(1, Ordering::Relaxed));
        let mut msg = serde_json::json!({ "command": command, "token": token });
        if let Some(p) = params {
            msg["params"] = Value::String(p.to_string());
        }
        let body = msg.to_string();
        self.writer
            .lock()
            .unwrap()
            .write_all(format!("{}:{},", body.len(), body).as_bytes())
            .with_context(|| format!("send ctrl_tcp command {command}"))?;
        let deadline = Instant::now() + Duration::from_secs(5);
        let mut st = self.state.lock().unwrap();
        loop {
            if let Some(v) = st.responses.remove(&token) {
                return Ok(CtrlResponse {
                    ok: v.get("ok").and_then(Value::as_bool).unwrap_or(false),
                    data: v
                        .get("data")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_string(),
                });
            }
            if let Some(why) = &st.closed {
                bail!("no ctrl_tcp response to {command}: {why}");
            }
            let now = Instant::now();
            if now >= deadline {
                bail!("no ctrl_tcp response to {command} within 5 s");
            }
            st = self.cv.wait_timeout(st, deadline - now).unwrap().0;
        }
    }
}

fn take_netstring(buf: &mut Vec<u8>) -> Result<Option<Vec<u8>>> {
    let Some(colon) = buf.iter().position(|&b| b == b':') else {
        return Ok(None);
    };
    let len: usize = std::str::from_utf8(&buf[..colon])
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .ok_or_else(|| {
            anyhow!(
                "bad netstring length {:?}",
                String::from_utf8_lossy(&buf[..colon])
            )
        })?;
    if buf.len() < colon + 1 + len + 1 {
        return Ok(None);
    }
    let msg = buf[colon + 1..colon + 1 + len].to_vec();
    if buf[colon + 1 + len] != b',' {
        bail!("netstring not terminated by ','");
    }
    buf.drain(..colon + 2 + len);
    Ok(Some(msg))
}

/// A `ctrl_tcp` client: netstring-framed JSON commands, and the events baresip streams.
///
/// Obtained from [`Baresip::ctrl`] it is a view of the harness's own connection with its own
/// event cursor; [`BaresipCtrl::connect`] opens a new connection (which cuts off any other
/// client, baresip serves one).
#[derive(Debug)]
pub struct BaresipCtrl {
    shared: Arc<CtrlShared>,
    cursor: usize,
}

impl BaresipCtrl {
    /// Connects to a baresip `ctrl_tcp` listener.
    pub fn connect(addr: SocketAddr) -> io::Result<BaresipCtrl> {
        Ok(BaresipCtrl {
            shared: CtrlShared::connect(addr)?,
            cursor: 0,
        })
    }

    /// Sends command `command` (a menu command name such as `dial`, `hangup`, `accept`,
    /// `reginfo`, `callstat`, `hold`, `sndcode`) with optional `params` and waits up to 5 s
    /// for its response.
    pub fn command(&mut self, command: &str, params: Option<&str>) -> Result<CtrlResponse> {
        self.shared.command(command, params)
    }

    /// `dial <uri>`.
    pub fn dial(&mut self, uri: &str) -> Result<CtrlResponse> {
        self.command("dial", Some(uri))
    }

    /// `hangup` (the current call).
    pub fn hangup(&mut self) -> Result<CtrlResponse> {
        self.command("hangup", None)
    }

    /// `accept` (answer the incoming call when not auto-answering).
    pub fn accept(&mut self) -> Result<CtrlResponse> {
        self.command("accept", None)
    }

    /// The next event, waiting up to `timeout`; an error once the connection is gone.
    pub fn next_event(&mut self, timeout: Duration) -> Result<Option<Value>> {
        match self.shared.wait_event_from(self.cursor, timeout, |_| true) {
            Some((i, e)) => {
                self.cursor = i + 1;
                Ok(Some(e))
            }
            None => match &self.shared.state.lock().unwrap().closed {
                Some(why) => Err(anyhow!("{why}")),
                None => Ok(None),
            },
        }
    }

    /// Waits for an event of type `kind` (e.g. `CALL_INCOMING`, `CALL_ESTABLISHED`,
    /// `CALL_CLOSED`, `CALL_DTMF_START`, `REGISTER_OK`), dropping other events; errors on
    /// timeout.
    pub fn wait_event(&mut self, kind: &str, timeout: Duration) -> Result<Value> {
        let from = self.cursor;
        match self
            .shared
            .wait_event_from(from, timeout, |e| event_type(e) == kind)
        {
            Some((i, e)) => {
                self.cursor = i + 1;
                Ok(e)
            }
            None => {
                let seen: Vec<String> = self
                    .shared
                    .events_from(from)
                    .iter()
                    .map(|e| event_type(e).to_string())
                    .collect();
                self.cursor += seen.len();
                bail!("no {kind} event within {timeout:?} (saw {seen:?})")
            }
        }
    }

    /// Events received and not yet taken.
    pub fn drain_events(&mut self) -> Vec<Value> {
        let v = self.shared.events_from(self.cursor);
        self.cursor += v.len();
        v
    }
}
