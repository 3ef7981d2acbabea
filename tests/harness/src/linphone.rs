//! linphonec 5.1 (liblinphone's console client) as a third softphone, headless.
//!
//! ```no_run
//! use handset_harness::{CallPeer, Kamailio, KamailioOptions, Linphone, LinphoneOptions};
//! use std::time::Duration;
//! let kam = Kamailio::start(KamailioOptions::default());
//! let mut lin = Linphone::start(LinphoneOptions::for_kamailio(&kam, "103", "pw103"));
//! lin.dial("sip:101@127.0.0.1").unwrap();
//! lin.wait_established(Duration::from_secs(5)).unwrap();
//! ```
//!
//! How it is driven, and why:
//! - linphonec runs on a **pseudo-terminal** and reads commands with readline, exactly as when
//!   a person types them; its answers and call events (`Call 1 … connected.`, `Receiving tone
//!   5 from …`, `Call 1 has been paused by …`) come back on the same terminal. With a pipe
//!   instead, readline never calls its idle hook, so the core never iterates (the symptom:
//!   no REGISTER is ever sent).
//! - `linphonecsh` is not used: its daemon (`linphonec --pipe`) listens on the fixed socket
//!   `/tmp/linphonec-<uid>` (oRTP hard-codes the path), so two instances — two linphonecs in
//!   one test, or two test processes — steal each other's socket.
//! - Each instance has its own `HOME` (with `.local/share/linphone`, without which it never
//!   opens its SIP socket) and its own config file written here: ports, 127.0.0.1 binding,
//!   the account (`[proxy_0]`/`[auth_info_0]`, registered through Kamailio as outbound
//!   proxy), and the codec list (every known codec listed, only the wanted ones enabled;
//!   liblinphone appends codecs missing from the file with their default state).
//! - `soundcard use files`, `play <wav>` (what it sends, any rate: it resamples) and
//!   `record <wav>` (what it receives, written at 48 kHz mono, header finalised at call end).
//! - DTMF: a line of digits sends them as RFC 4733 events, but linphonec sleeps one second
//!   after each digit, blocking its command loop. Received digits print `Receiving tone D`.
//!   liblinphone accepts `telephone-event` only at the clock rate of an enabled codec: with
//!   Opus alone it has telephone-event/48000 and drops baresip's telephone-event/8000 from the
//!   answer, so no digit arrives. Enable PCMU as well (the call still uses Opus).
//! - Its G.722 is 6 dB off baresip's: what it receives is recorded about 5.5 dB louder, what
//!   it sends arrives about 6 dB quieter (measured with the same source both ways).
//! - Stop: `unregister` (`quit` alone does not un-REGISTER), `quit`, then SIGKILL to its
//!   process group if it is still there after 3 s.

use std::fs::{self, File};
use std::io::Write;
use std::net::SocketAddr;
use std::os::fd::{FromRawFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use tempfile::TempDir;

use crate::audio::TestSignal;
use crate::kamailio::Kamailio;
use crate::peer::{CallPeer, PeerRecording};
use crate::ports::{free_port, free_port_range};
use crate::process::{require_binary, wait_until, LogCapture, PeerProcess};
use crate::Transport;

/// Audio codecs liblinphone 5.1 knows on Debian 12 (mime, clock rate, channels), in its
/// default order. All are written to the config so that none is appended enabled by default.
const KNOWN_CODECS: &[(&str, u32, u32)] = &[
    ("opus", 48000, 2),
    ("speex", 16000, 1),
    ("speex", 8000, 1),
    ("PCMU", 8000, 1),
    ("PCMA", 8000, 1),
    ("GSM", 8000, 1),
    ("G722", 8000, 1),
    ("G729", 8000, 1),
    ("speex", 32000, 1),
    ("G726-16", 8000, 1),
    ("G726-24", 8000, 1),
    ("G726-32", 8000, 1),
    ("G726-40", 8000, 1),
    ("AAL2-G726-16", 8000, 1),
    ("AAL2-G726-24", 8000, 1),
    ("AAL2-G726-32", 8000, 1),
    ("AAL2-G726-40", 8000, 1),
    ("L16", 44100, 2),
    ("L16", 44100, 1),
];

/// How to start linphonec.
#[derive(Clone, Debug)]
pub struct LinphoneOptions {
    /// Account user, e.g. `103`.
    pub user: String,
    /// Digest password.
    pub password: String,
    /// Host part of the AoR (default `127.0.0.1`).
    pub domain: String,
    /// Registrar, also the outbound proxy of every request.
    pub registrar: SocketAddr,
    /// UDP (default) or TCP towards the registrar.
    pub transport: Transport,
    /// Register at start (default true).
    pub register: bool,
    /// Answer incoming calls automatically (`-a`, default true).
    pub auto_answer: bool,
    /// Enabled audio codecs in order: `PCMU` (default), `PCMA`, `G722`, `opus`, `speex`…
    pub audio_codecs: Vec<String>,
    /// What it plays into calls; `None`: a generated speech-like signal (seed 3), 60 s.
    pub source_signal: Option<TestSignal>,
    /// Time allowed for the start and the registration (default 10 s).
    pub ready_timeout: Duration,
    /// Raw lines appended to the config file (after the harness's sections).
    pub extra_config: Vec<String>,
}

impl LinphoneOptions {
    /// Options for `user`/`password` at `registrar` over UDP.
    pub fn new(user: &str, password: &str, registrar: SocketAddr) -> LinphoneOptions {
        LinphoneOptions {
            user: user.to_string(),
            password: password.to_string(),
            domain: "127.0.0.1".to_string(),
            registrar,
            transport: Transport::Udp,
            register: true,
            auto_answer: true,
            audio_codecs: vec!["PCMU".to_string()],
            source_signal: None,
            ready_timeout: Duration::from_secs(10),
            extra_config: Vec::new(),
        }
    }

    /// Options registering at `kam` over UDP.
    pub fn for_kamailio(kam: &Kamailio, user: &str, password: &str) -> LinphoneOptions {
        let mut o = LinphoneOptions::new(user, password, kam.addr(Transport::Udp));
        o.domain = kam.domain().to_string();
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
}

/// Writes `line` to the terminal of linphonec.
struct Terminal {
    master: Mutex<File>,
}

/// A running linphonec; killed on drop (its output tail is printed if the test panicked).
pub struct Linphone {
    dir: Option<TempDir>,
    dir_path: PathBuf,
    proc: PeerProcess,
    term: Terminal,
    out: LogCapture,
    sip_port: u16,
    rtp_port: u16,
    record_path: PathBuf,
    /// Next output line index each `wait_*` of [`CallPeer`] looks at.
    cursors: std::collections::HashMap<&'static str, usize>,
    opts: LinphoneOptions,
}

impl std::fmt::Debug for Linphone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Linphone")
            .field("user", &self.opts.user)
            .field("sip_port", &self.sip_port)
            .field("dir", &self.dir_path)
            .finish()
    }
}

/// A pseudo-terminal pair `(master, slave)` with a wide window, so that readline never wraps
/// or scrolls long command lines.
fn open_pty() -> Result<(OwnedFd, OwnedFd)> {
    let (mut master, mut slave) = (-1, -1);
    let ws = libc::winsize {
        ws_row: 50,
        ws_col: 4000,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: openpty writes two fds into the given ints; name and termios may be null.
    let rc = unsafe {
        libc::openpty(
            &mut master,
            &mut slave,
            std::ptr::null_mut(),
            std::ptr::null(),
            &ws,
        )
    };
    if rc != 0 {
        bail!("openpty: {}", std::io::Error::last_os_error());
    }
    // SAFETY: both fds were just created by openpty and are owned by nobody else.
    Ok(unsafe { (OwnedFd::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) })
}

fn codec_matches(wanted: &str, mime: &str, rate: u32) -> bool {
    match wanted.split('/').collect::<Vec<_>>().as_slice() {
        [name] => name.eq_ignore_ascii_case(mime),
        [name, r, ..] => name.eq_ignore_ascii_case(mime) && r.parse() == Ok(rate),
        _ => false,
    }
}

impl Linphone {
    /// Starts linphonec, switches it to files, and (when registering) waits for the
    /// registration.
    ///
    /// # Panics
    /// When linphonec is missing or does not get ready (with its output tail).
    pub fn start(opts: LinphoneOptions) -> Linphone {
        match Self::try_start(opts) {
            Ok(l) => l,
            Err(e) => panic!("linphonec did not start: {e:#}"),
        }
    }

    /// Like [`start`](Self::start) but returns an error (it still panics when linphonec is
    /// missing).
    pub fn try_start(opts: LinphoneOptions) -> Result<Linphone> {
        let bin = require_binary("linphonec");
        let dir = tempfile::Builder::new().prefix("linphone-").tempdir()?;
        let dir_path = dir.path().to_path_buf();
        let home = dir_path.join("home");
        fs::create_dir_all(home.join(".local/share/linphone"))?;
        fs::write(
            home.join(".inputrc"),
            "set enable-bracketed-paste off\nset horizontal-scroll-mode off\n",
        )?;
        let sip_port = free_port();
        let rtp_port = free_port_range(2);
        let (video_port, text_port) = (free_port_range(2), free_port_range(2));

        let source = dir_path.join("source.wav");
        let signal = opts.source_signal.clone().unwrap_or_else(|| {
            TestSignal::speech_like(8000, Duration::from_secs(60), Duration::from_secs(1), 3)
        });
        signal.write_wav(&source, signal.rate, 1)?;
        let record_path = dir_path.join("received.wav");

        let t = opts.transport.as_str();
        let (udp, tcp) = match opts.transport {
            Transport::Udp => (sip_port, 0),
            Transport::Tcp => (0, sip_port),
            other => bail!("linphonec harness supports UDP and TCP, not {other}"),
        };
        let mut rc =
            format!(
            "[sip]\nsip_port={udp}\nsip_tcp_port={tcp}\nsip_tls_port=0\nbind_address=127.0.0.1\n\
             use_ipv6=0\nipv6_migration_done=1\nguess_hostname=0\ncontact=sip:{user}@127.0.0.1\n\
             register_only_when_network_is_up=0\nregister_only_when_upnp_is_ok=0\n\
             auto_net_state_mon=0\nverify_server_certs=0\ninc_timeout=60\n{proxy_default}\
             \n[rtp]\naudio_rtp_port={rtp_port}\nvideo_rtp_port={video_port}\n\
             text_rtp_port={text_port}\nbind_address=127.0.0.1\n\
             \n[sound]\nechocancellation=0\necholimiter=0\nagc=0\nnoisegate=0\n\
             \n[video]\ncapture=0\ndisplay=0\nshow_local=0\n",
            user = opts.user,
            proxy_default = if opts.register { "default_proxy=0\n" } else { "" },
        );
        if opts.register {
            rc.push_str(&format!(
                "\n[proxy_0]\nreg_proxy=<sip:{ip}:{port};transport={t}>\n\
                 reg_route=<sip:{ip}:{port};transport={t};lr>\n\
                 reg_identity=\"{user}\" <sip:{user}@{domain}>\nreg_expires=600\n\
                 reg_sendregister=1\npublish=0\ndial_escape_plus=0\n\
                 \n[auth_info_0]\nusername={user}\npasswd={pw}\ndomain={domain}\n",
                ip = opts.registrar.ip(),
                port = opts.registrar.port(),
                user = opts.user,
                domain = opts.domain,
                pw = opts.password,
            ));
        }
        // wanted codecs first and enabled, then every other known codec disabled
        let mut order: Vec<(&str, u32, u32, bool)> = Vec::new();
        for w in &opts.audio_codecs {
            let found: Vec<_> = KNOWN_CODECS
                .iter()
                .filter(|(m, r, _)| codec_matches(w, m, *r))
                .collect();
            if found.is_empty() {
                bail!("unknown linphone codec {w:?}");
            }
            for (m, r, c) in found {
                if !order.iter().any(|(om, or, _, _)| om == m && or == r) {
                    order.push((m, *r, *c, true));
                }
            }
        }
        for (m, r, c) in KNOWN_CODECS {
            if !order.iter().any(|(om, or, _, _)| om == m && or == r) {
                order.push((m, *r, *c, false));
            }
        }
        for (i, (m, r, c, en)) in order.iter().enumerate() {
            rc.push_str(&format!(
                "\n[audio_codec_{i}]\nmime={m}\nrate={r}\nchannels={c}\nenabled={}\n",
                u8::from(*en)
            ));
        }
        for l in &opts.extra_config {
            rc.push_str(l);
            rc.push('\n');
        }
        let rc_path = dir_path.join("linphonerc");
        fs::write(&rc_path, rc)?;

        let (master, slave) = open_pty()?;
        let mut cmd = Command::new(bin);
        cmd.arg("-c")
            .arg(&rc_path)
            .args(["-d", "5", "-l"])
            .arg(dir_path.join("linphone-debug.log"));
        if opts.auto_answer {
            cmd.arg("-a");
        }
        cmd.current_dir(&dir_path)
            .env("HOME", &home)
            .env("TERM", "dumb")
            .env("INPUTRC", home.join(".inputrc"))
            .env("LANG", "C")
            .stdin(Stdio::from(slave.try_clone()?))
            .stdout(Stdio::from(slave.try_clone()?))
            .stderr(Stdio::from(slave));
        let proc =
            PeerProcess::spawn("linphonec", cmd, libc::SIGKILL).context("spawn linphonec")?;
        // the slave's last copy in this process went into the Command, dropped with it
        let master = File::from(master);
        let out = LogCapture::new(&dir_path.join("linphonec.out"))?;
        out.attach(master.try_clone()?);
        let l = Linphone {
            dir: Some(dir),
            dir_path,
            proc,
            term: Terminal {
                master: Mutex::new(master),
            },
            out,
            sip_port,
            rtp_port,
            record_path,
            cursors: std::collections::HashMap::new(),
            opts,
        };
        let timeout = l.opts.ready_timeout;
        let from = l.out.len();
        l.send("soundcard use files")?;
        if l.wait_out(from, "Using wav files instead of soundcard", timeout)
            .is_none()
        {
            bail!("linphonec not ready within {timeout:?}:\n{}", l.report());
        }
        l.send(&format!("play {}", source.display()))?;
        l.send(&format!("record {}", l.record_path.display()))?;
        l.check_codecs()?;
        if l.opts.register {
            l.wait_registered(timeout)?;
        }
        Ok(l)
    }

    /// Types `line` at the linphonec prompt.
    pub fn send(&self, line: &str) -> Result<()> {
        let mut m = self.term.master.lock().unwrap();
        m.write_all(format!("{line}\n").as_bytes())
            .with_context(|| format!("write '{line}' to linphonec"))?;
        m.flush()?;
        Ok(())
    }

    /// Types `line` and returns the output lines up to the next prompt (at most `timeout`).
    /// Asynchronous call events printed meanwhile are included.
    pub fn query(&self, line: &str, timeout: Duration) -> Result<Vec<String>> {
        // a marker command after the query: its "Cannot understand" line ends the answer
        let marker = format!("harness-end-{}", self.out.len());
        let from = self.out.len();
        self.send(line)?;
        self.send(&marker)?;
        let (end, _) = self
            .out
            .wait_for(from, timeout, |l| {
                l.contains(&format!("'{marker}': Cannot understand"))
            })
            .ok_or_else(|| anyhow!("no answer to '{line}' within {timeout:?}"))?;
        Ok(self.out.lines()[from..end]
            .iter()
            .map(|l| l.trim_start_matches("linphonec> ").to_string())
            .filter(|l| !l.contains(&marker) && l != line)
            .collect())
    }

    /// `codec list`, checking that exactly the wanted codecs are enabled.
    fn check_codecs(&self) -> Result<()> {
        let lines = self.query("codec list", Duration::from_secs(5))?;
        let enabled: Vec<String> = lines
            .iter()
            .filter(|l| l.trim_end().ends_with(" enabled"))
            .map(|l| l.trim().to_string())
            .collect();
        let mut missing = Vec::new();
        for w in &self.opts.audio_codecs {
            let name = w.split('/').next().unwrap_or(w).to_ascii_lowercase();
            if !enabled
                .iter()
                .any(|l| l.to_ascii_lowercase().contains(&format!(": {name} (")))
            {
                missing.push(w.clone());
            }
        }
        if !missing.is_empty() {
            bail!(
                "linphonec did not enable {missing:?}; codec list:\n{}",
                lines.join("\n")
            );
        }
        Ok(())
    }

    /// Polls `status register` until it says `registered, identity=…`.
    pub fn wait_registered(&self, timeout: Duration) -> Result<()> {
        let deadline = Instant::now() + timeout;
        loop {
            let lines = self.query("status register", Duration::from_secs(3))?;
            if lines.iter().any(|l| l.contains("registered, identity=")) {
                return Ok(());
            }
            if Instant::now() >= deadline {
                bail!(
                    "linphonec {} not registered within {timeout:?} ({lines:?}):\n{}",
                    self.opts.user,
                    self.report()
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The `calls` table (one line per call with its state, e.g. `StreamsRunning`,
    /// `PausedByRemote`).
    pub fn calls(&self) -> Result<Vec<String>> {
        self.query("calls", Duration::from_secs(3))
    }

    /// The AoR, `sip:<user>@<domain>`.
    pub fn aor(&self) -> String {
        format!("sip:{}@{}", self.opts.user, self.opts.domain)
    }

    /// Its SIP port.
    pub fn sip_port(&self) -> u16 {
        self.sip_port
    }

    /// Its RTP port (RTCP is the next one).
    pub fn rtp_port(&self) -> u16 {
        self.rtp_port
    }

    /// The options it was started with.
    pub fn options(&self) -> &LinphoneOptions {
        &self.opts
    }

    /// Where it records what it receives.
    pub fn record_path(&self) -> &Path {
        &self.record_path
    }

    /// Everything linphonec printed on its terminal.
    pub fn output(&self) -> &LogCapture {
        &self.out
    }

    /// Waits for an output line at index ≥ `from` containing `needle`.
    pub fn wait_out(
        &self,
        from: usize,
        needle: &str,
        timeout: Duration,
    ) -> Option<(usize, String)> {
        self.out.wait_for(from, timeout, |l| l.contains(needle))
    }

    /// The config directory (config, `HOME`, output and debug log).
    pub fn dir(&self) -> &Path {
        &self.dir_path
    }

    /// PID of linphonec.
    pub fn pid(&self) -> u32 {
        self.proc.pid()
    }

    /// True while it runs.
    pub fn is_running(&mut self) -> bool {
        self.proc.is_running()
    }

    /// `unregister` (waiting up to 2 s until `status register` says `registered=0`: `quit`
    /// alone destroys the core without un-registering), then `quit`, waits up to 3 s, then
    /// SIGKILL to its process group; no process of it is left afterwards.
    pub fn stop(&mut self) -> Option<ExitStatus> {
        if self.opts.register && self.proc.is_running() && self.send("unregister").is_ok() {
            let deadline = Instant::now() + Duration::from_secs(2);
            while Instant::now() < deadline {
                match self.query("status register", Duration::from_secs(1)) {
                    Ok(l) if l.iter().any(|l| l.contains("registered=0")) => break,
                    Ok(_) => std::thread::sleep(Duration::from_millis(50)),
                    Err(_) => break,
                }
            }
        }
        let _ = self.send("quit");
        if self.proc.wait_timeout(Duration::from_secs(3)).is_none() {
            return self.proc.kill();
        }
        self.proc.kill()
    }

    /// Keeps the directory after drop and returns its path.
    pub fn keep_dir(&mut self) -> PathBuf {
        if let Some(d) = self.dir.take() {
            let _ = d.keep();
        }
        self.dir_path.clone()
    }

    /// Waits for the next output line at index ≥ the cursor of `slot` matching `pred`,
    /// advancing the cursor past it.
    fn wait_slot(
        &mut self,
        slot: &'static str,
        timeout: Duration,
        what: &str,
        pred: impl FnMut(&str) -> bool,
    ) -> Result<String> {
        let from = self.cursors.get(slot).copied().unwrap_or(0);
        match self.out.wait_for(from, timeout, pred) {
            Some((i, l)) => {
                self.cursors.insert(slot, i + 1);
                Ok(l)
            }
            None => bail!(
                "linphonec {}: no {what} within {timeout:?}:\n{}",
                self.opts.user,
                self.report()
            ),
        }
    }

    /// True when the last hold-related line says the remote paused the call.
    pub fn remote_hold(&self) -> bool {
        let lines = self.out.lines();
        let paused = lines
            .iter()
            .rposition(|l| l.contains(" has been paused by "));
        let running = lines
            .iter()
            .rposition(|l| l.contains("Media streams established with") || l.contains(" ended ("));
        matches!((paused, running), (Some(p), r) if r.is_none_or(|r| r < p))
    }
}

impl CallPeer for Linphone {
    fn label(&self) -> String {
        format!("linphonec {}", self.opts.user)
    }

    fn aor(&self) -> String {
        Linphone::aor(self)
    }

    /// `call <uri>`.
    fn dial(&mut self, uri: &str) -> Result<()> {
        self.send(&format!("call {uri}"))
    }

    /// `answer`.
    fn answer(&mut self) -> Result<()> {
        self.send("answer")
    }

    /// `terminate all`.
    fn hangup(&mut self) -> Result<()> {
        self.send("terminate all")
    }

    /// `pause`.
    fn hold(&mut self) -> Result<()> {
        self.send("pause")
    }

    /// `resume`.
    fn resume(&mut self) -> Result<()> {
        self.send("resume")
    }

    /// A line of digits; linphonec blocks for one second per digit.
    fn send_dtmf(&mut self, digits: &str) -> Result<()> {
        if digits.is_empty()
            || !digits
                .chars()
                .all(|c| c.is_ascii_digit() || c == '*' || c == '#')
        {
            bail!("linphonec sends only 0-9, * and #: {digits:?}");
        }
        self.send(digits)
    }

    fn wait_incoming(&mut self, timeout: Duration) -> Result<()> {
        self.wait_slot("incoming", timeout, "incoming call", |l| {
            l.contains("Receiving new incoming call from")
        })
        .map(drop)
    }

    /// `Call N with … connected.`
    fn wait_established(&mut self, timeout: Duration) -> Result<()> {
        self.wait_slot("established", timeout, "established call", |l| {
            l.contains("Call ") && l.trim_end().ends_with(" connected.")
        })
        .map(drop)
    }

    /// The reason in `Call N with … ended (<reason>).`
    fn wait_closed(&mut self, timeout: Duration) -> Result<String> {
        let l = self.wait_slot("closed", timeout, "call end", |l| l.contains(" ended ("))?;
        Ok(l.rsplit_once(" ended (")
            .map(|(_, r)| r.trim_end().trim_end_matches(").").to_string())
            .unwrap_or_default())
    }

    /// Digits of `Receiving tone D from …` lines.
    fn wait_dtmf(&mut self, count: usize, timeout: Duration) -> String {
        let deadline = Instant::now() + timeout;
        let mut digits = String::new();
        while digits.len() < count {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.wait_slot("dtmf", left, "DTMF", |l| l.contains("Receiving tone ")) {
                Ok(l) => {
                    if let Some(d) = l
                        .split("Receiving tone ")
                        .nth(1)
                        .and_then(|r| r.chars().next())
                    {
                        digits.push(d);
                    }
                }
                Err(_) => break,
            }
        }
        digits
    }

    /// From the last hold-related line: `Call N has been paused by …` (held) versus a later
    /// `Media streams established …` or `… ended (…)`.
    fn is_held(&mut self) -> Result<bool> {
        Ok(self.remote_hold())
    }

    /// The `record` file (48 kHz mono), once it exists with some audio.
    fn recording(&mut self, timeout: Duration) -> Result<PeerRecording> {
        let p = self.record_path.clone();
        wait_until(timeout, Duration::from_millis(50), || {
            fs::metadata(&p).is_ok_and(|m| m.len() > 44)
        });
        PeerRecording::load(&p)
    }

    fn report(&self) -> String {
        format!(
            "----- linphonec {} output {} (last 40 lines) -----\n{}\n----- end of linphonec output -----",
            self.opts.user,
            self.out.path().display(),
            self.out.tail(40)
        )
    }
}

impl Drop for Linphone {
    fn drop(&mut self) {
        self.proc.kill();
        if std::thread::panicking() {
            let dir = self.keep_dir();
            eprintln!(
                "handset-harness: test panicked; linphonec dir kept at {}\n{}",
                dir.display(),
                self.report()
            );
        }
    }
}
