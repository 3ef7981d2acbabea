//! baresip 1.0 as a second, headless softphone, controlled over `ctrl_tcp`.
//!
//! ```no_run
//! use handset_harness::{Baresip, BaresipOptions, Kamailio, KamailioOptions, Transport};
//! use std::time::Duration;
//! let kam = Kamailio::start(KamailioOptions::default());
//! let bob = Baresip::start(BaresipOptions::for_kamailio(&kam, "102", "pw102", Transport::Tcp));
//! let mut ctrl = bob.ctrl().unwrap();
//! ctrl.dial("sip:101@127.0.0.1").unwrap();
//! ctrl.wait_event("CALL_ESTABLISHED", Duration::from_secs(5)).unwrap();
//! ```
//!
//! Traps handled here (all met on baresip 1.0.0):
//! - `sip_listen` port P also binds TLS on P + 1: the harness reserves both.
//! - No audio player module is loaded: `audio_player` on the null device busy-loops at 90 % of
//!   a core. What arrives is recorded by `sndfile` (`dump-…-dec.wav` received, `-enc.wav` sent).
//! - `aufile` is a source only; its WAV must be S16LE at exactly `ausrc_srate`/`ausrc_channels`,
//!   and the call hangs up when the file ends: the default source is a generated 10-minute tone.
//! - `audio_codecs=opus` silently falls back to PCMU: `opus` is written as `opus/48000/2` and
//!   the sample rates become 48000.
//! - `net_interface 127.0.0.1`, else the SDP carries the eth0 address (`lo` makes it exit).
//! - SIGTERM takes about 2 s to exit (10–15 s with presence): [`Baresip::stop`] waits.
//! - It answers 200 to MESSAGE without printing the text: check receipt at SIP level.
//! - It does not verify the server certificate on TLS even with `sip_cafile` (1.0.0):
//!   it cannot serve "bad certificate refused" tests. It has no SIP over WebSocket.
//! - `ctrl_tcp` serves one client at a time: a new connection replaces the previous one.

use std::collections::VecDeque;
use std::fs;
use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use serde_json::Value;
use tempfile::TempDir;

use crate::kamailio::Kamailio;
use crate::ports::{free_port, free_port_pair, free_port_range};
use crate::process::{require_binary, LogCapture, PeerProcess};
use crate::wav::write_sine_wav;
use crate::Transport;

/// Where Debian's baresip-core package puts its modules.
pub const BARESIP_MODULES_DIR: &str = "/usr/lib/baresip/modules";

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
    /// Answer incoming calls automatically (default true).
    pub auto_answer: bool,
    /// Audio codecs in order, e.g. `["PCMU"]` (default), `["opus"]`, `["G722", "PCMA"]`.
    pub audio_codecs: Vec<String>,
    /// WAV played into calls: S16LE at `sample_rate`/`channels`, longer than the call.
    /// `None`: a 10-minute 440 Hz tone is generated.
    pub source_wav: Option<PathBuf>,
    /// `ausrc_srate`/`auplay_srate`; `None`: 48000 when the first codec is Opus, else 8000.
    pub sample_rate: Option<u32>,
    /// `ausrc_channels`/`auplay_channels` (default 1).
    pub channels: u16,
    /// Record calls with `sndfile` (default true).
    pub record: bool,
    /// Where `sndfile` writes; default `<temp dir>/recordings`.
    pub record_dir: Option<PathBuf>,
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
            source_wav: None,
            sample_rate: None,
            channels: 1,
            record: true,
            record_dir: None,
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

/// The codec name baresip understands (`opus` must be `opus/48000/2`).
fn codec_name(c: &str) -> String {
    if c.eq_ignore_ascii_case("opus") {
        "opus/48000/2".to_string()
    } else {
        c.to_string()
    }
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

        let codecs: Vec<String> = opts.audio_codecs.iter().map(|c| codec_name(c)).collect();
        let opus_first = codecs.first().is_some_and(|c| c.starts_with("opus"));
        let srate = opts
            .sample_rate
            .unwrap_or(if opus_first { 48000 } else { 8000 });
        let source = match &opts.source_wav {
            Some(p) => p.clone(),
            None => {
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
        if opts.auto_answer {
            account.push_str(";answermode=auto");
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
        let b = Baresip {
            dir: Some(dir),
            dir_path,
            proc,
            log,
            sip_port,
            ctrl_port,
            rtp_ports,
            record_dir,
            opts,
        };
        let timeout = b.opts.ready_timeout;
        if b.log
            .wait_for(0, timeout, |l| l.contains("baresip is ready."))
            .is_none()
        {
            bail!(
                "no 'baresip is ready.' within {timeout:?}:\n{}",
                b.log_tail(40)
            );
        }
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

    /// Connects a `ctrl_tcp` client (replacing any previous client: baresip serves one).
    pub fn ctrl(&self) -> io::Result<BaresipCtrl> {
        BaresipCtrl::connect(self.ctrl_addr())
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
        self.proc.terminate(Duration::from_secs(t))
    }

    /// SIGKILL (no un-REGISTER).
    pub fn kill(&mut self) -> Option<ExitStatus> {
        self.proc.kill()
    }

    /// Keeps the config dir after drop and returns its path.
    pub fn keep_dir(&mut self) -> PathBuf {
        if let Some(d) = self.dir.take() {
            let _ = d.keep();
        }
        self.dir_path.clone()
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

/// A small synchronous `ctrl_tcp` client: netstring-framed JSON commands and events.
///
/// Events (`{"event":true,"type":"CALL_ESTABLISHED",…}`) that arrive while waiting for a
/// response are queued for [`next_event`](Self::next_event)/[`wait_event`](Self::wait_event).
#[derive(Debug)]
pub struct BaresipCtrl {
    stream: TcpStream,
    buf: Vec<u8>,
    events: VecDeque<Value>,
    next_token: u32,
}

impl BaresipCtrl {
    /// Connects to a baresip `ctrl_tcp` listener.
    pub fn connect(addr: SocketAddr) -> io::Result<BaresipCtrl> {
        let stream = TcpStream::connect_timeout(&addr, Duration::from_secs(2))?;
        stream.set_nodelay(true).ok();
        Ok(BaresipCtrl {
            stream,
            buf: Vec::new(),
            events: VecDeque::new(),
            next_token: 1,
        })
    }

    /// Sends command `command` (a menu command name such as `dial`, `hangup`, `accept`,
    /// `reginfo`, `callstat`) with optional `params` and waits up to 5 s for its response.
    pub fn command(&mut self, command: &str, params: Option<&str>) -> Result<CtrlResponse> {
        let token = format!("h{}", self.next_token);
        self.next_token += 1;
        let mut msg = serde_json::json!({ "command": command, "token": token });
        if let Some(p) = params {
            msg["params"] = Value::String(p.to_string());
        }
        let body = msg.to_string();
        self.stream
            .write_all(format!("{}:{},", body.len(), body).as_bytes())?;
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                bail!("no ctrl_tcp response to {command} within 5 s");
            }
            let Some(v) = self.read_message(left)? else {
                continue;
            };
            if v.get("response").and_then(Value::as_bool) == Some(true)
                && v.get("token").and_then(Value::as_str) == Some(token.as_str())
            {
                return Ok(CtrlResponse {
                    ok: v.get("ok").and_then(Value::as_bool).unwrap_or(false),
                    data: v
                        .get("data")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_string(),
                });
            }
            if v.get("event").and_then(Value::as_bool) == Some(true) {
                self.events.push_back(v);
            }
        }
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

    /// The next event, waiting up to `timeout`.
    pub fn next_event(&mut self, timeout: Duration) -> Result<Option<Value>> {
        if let Some(e) = self.events.pop_front() {
            return Ok(Some(e));
        }
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Ok(None);
            }
            if let Some(v) = self.read_message(left)? {
                if v.get("event").and_then(Value::as_bool) == Some(true) {
                    return Ok(Some(v));
                }
            }
        }
    }

    /// Waits for an event of type `kind` (e.g. `CALL_INCOMING`, `CALL_ESTABLISHED`,
    /// `CALL_CLOSED`, `REGISTER_OK`), dropping other events; errors on timeout.
    pub fn wait_event(&mut self, kind: &str, timeout: Duration) -> Result<Value> {
        let deadline = Instant::now() + timeout;
        let mut seen = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.next_event(left)? {
                Some(e) if e.get("type").and_then(Value::as_str) == Some(kind) => return Ok(e),
                Some(e) => seen.push(
                    e.get("type")
                        .and_then(Value::as_str)
                        .unwrap_or("?")
                        .to_string(),
                ),
                None => bail!("no {kind} event within {timeout:?} (saw {seen:?})"),
            }
        }
    }

    /// Events received so far and not yet taken.
    pub fn drain_events(&mut self) -> Vec<Value> {
        while let Ok(Some(v)) = self.read_message(Duration::from_millis(1)) {
            if v.get("event").and_then(Value::as_bool) == Some(true) {
                self.events.push_back(v);
            }
        }
        self.events.drain(..).collect()
    }

    /// Reads one netstring message, waiting at most `timeout`; `None` on timeout.
    fn read_message(&mut self, timeout: Duration) -> Result<Option<Value>> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(msg) = self.take_netstring()? {
                let v: Value = serde_json::from_slice(&msg).with_context(|| {
                    format!("bad ctrl_tcp JSON: {}", String::from_utf8_lossy(&msg))
                })?;
                return Ok(Some(v));
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Ok(None);
            }
            self.stream.set_read_timeout(Some(left))?;
            let mut chunk = [0u8; 4096];
            match self.stream.read(&mut chunk) {
                Ok(0) => return Err(anyhow!("baresip closed the ctrl_tcp connection")),
                Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
                Err(e)
                    if e.kind() == io::ErrorKind::WouldBlock
                        || e.kind() == io::ErrorKind::TimedOut =>
                {
                    return Ok(None)
                }
                Err(e) => return Err(e.into()),
            }
        }
    }

    fn take_netstring(&mut self) -> Result<Option<Vec<u8>>> {
        let Some(colon) = self.buf.iter().position(|&b| b == b':') else {
            return Ok(None);
        };
        let len: usize = std::str::from_utf8(&self.buf[..colon])
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .ok_or_else(|| {
                anyhow!(
                    "bad netstring length {:?}",
                    String::from_utf8_lossy(&self.buf[..colon])
                )
            })?;
        if self.buf.len() < colon + 1 + len + 1 {
            return Ok(None);
        }
        let msg = self.buf[colon + 1..colon + 1 + len].to_vec();
        if self.buf[colon + 1 + len] != b',' {
            bail!("netstring not terminated by ','");
        }
        self.buf.drain(..colon + 2 + len);
        Ok(Some(msg))
    }
}
