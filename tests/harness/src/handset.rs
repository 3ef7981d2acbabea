//! `handset-cli phone` as a [`CallPeer`]: the project's own softphone driven
//! through its interactive mode (commands on stdin, engine events as JSON
//! lines on stdout), so the interop tests run the same bodies against it as
//! against baresip and linphonec.

use std::collections::HashMap;
use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{ChildStdin, Command, Stdio};
use std::time::Duration;

use anyhow::{bail, Context, Result};
use serde_json::Value;

use crate::audio::TestSignal;
use crate::kamailio::Kamailio;
use crate::peer::{CallPeer, PeerRecording};
use crate::process::{wait_until, LogCapture, PeerProcess};

/// How to start a `handset-cli phone`.
#[derive(Clone, Debug)]
pub struct HandsetOptions {
    /// The `handset-cli` binary.
    pub cli: PathBuf,
    /// Extension.
    pub user: String,
    /// Password (passed through the environment, as a user would).
    pub password: String,
    /// Registrar, when registering.
    pub registrar: Option<SocketAddr>,
    /// Codec preference (`pcmu`, `g722`, `opus`…).
    pub codecs: Vec<String>,
    /// What it plays as its microphone.
    pub source: Option<TestSignal>,
    /// `off`, `optional` or `mandatory`.
    pub srtp: String,
    /// Answer incoming calls at once.
    pub auto_answer: bool,
}

impl HandsetOptions {
    /// A phone registered at `kam` as `user` with password `pw<user>` style credentials.
    pub fn for_kamailio(cli: &Path, kam: &Kamailio, user: &str, password: &str) -> Self {
        HandsetOptions {
            cli: cli.to_path_buf(),
            user: user.to_string(),
            password: password.to_string(),
            registrar: Some(kam.udp_addr()),
            codecs: vec!["opus".into(), "g722".into(), "pcmu".into(), "pcma".into()],
            source: None,
            srtp: "optional".into(),
            auto_answer: false,
        }
    }

    /// Codec preference.
    pub fn codecs(mut self, codecs: &[&str]) -> Self {
        self.codecs = codecs.iter().map(|c| c.to_string()).collect();
        self
    }

    /// What it plays.
    pub fn source(mut self, signal: &TestSignal) -> Self {
        self.source = Some(signal.clone());
        self
    }

    /// SRTP policy.
    pub fn srtp(mut self, policy: &str) -> Self {
        self.srtp = policy.to_string();
        self
    }

    /// Answer calls at once.
    pub fn auto_answer(mut self) -> Self {
        self.auto_answer = true;
        self
    }
}

/// A running `handset-cli phone`.
pub struct Handset {
    opts: HandsetOptions,
    proc: PeerProcess,
    stdin: ChildStdin,
    out: LogCapture,
    dir: tempfile::TempDir,
    record: PathBuf,
    cursors: HashMap<&'static str, usize>,
}

impl Handset {
    /// Starts the phone and waits until it is registered (or ready, without a registrar).
    pub fn start(opts: HandsetOptions) -> Result<Handset> {
        let dir = tempfile::Builder::new().prefix("handset-").tempdir()?;
        let record = dir.path().join("received.wav");
        let mut cmd = Command::new(&opts.cli);
        cmd.arg("phone")
            .args(["--user", &opts.user, "--bind", "127.0.0.1:0"])
            .args(["--codec", &opts.codecs.join(",")])
            .args(["--srtp", &opts.srtp])
            .arg("--record")
            .arg(&record)
            .env("HANDSET_PASSWORD", &opts.password)
            .env("HANDSET_LOG", "info")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        match opts.registrar {
            Some(r) => {
                cmd.args(["--server", &r.to_string(), "--domain", "127.0.0.1"]);
            }
            None => {
                cmd.arg("--no-register");
            }
        }
        if let Some(s) = &opts.source {
            let wav = dir.path().join("source.wav");
            s.write_wav(&wav, s.rate, 1)?;
            cmd.arg("--play").arg(&wav);
        }
        if opts.auto_answer {
            cmd.arg("--auto-answer");
        }
        let mut proc = PeerProcess::spawn("handset-cli", cmd, libc_sigterm())
            .with_context(|| format!("starting {}", opts.cli.display()))?;
        let out = LogCapture::new(&dir.path().join("phone.log"))?;
        let child = proc.child_mut();
        let stdin = child.stdin.take().context("stdin")?;
        out.attach(child.stdout.take().context("stdout")?);
        out.attach(child.stderr.take().context("stderr")?);
        let h = Handset {
            opts,
            proc,
            stdin,
            out,
            dir,
            record,
            cursors: HashMap::new(),
        };
        let ready = if h.opts.registrar.is_some() {
            h.out.wait_for(0, Duration::from_secs(10), |l| {
                l.contains(r#""type":"registration""#) && l.contains(r#""state":"registered""#)
            })
        } else {
            h.out.wait_for(0, Duration::from_secs(10), |l| {
                l.contains(r#""type":"ready""#)
            })
        };
        if ready.is_none() {
            bail!("handset-cli did not become ready\n{}", h.report());
        }
        Ok(h)
    }

    fn send(&mut self, line: &str) -> Result<()> {
        writeln!(self.stdin, "{line}")?;
        self.stdin.flush()?;
        Ok(())
    }

    /// The next JSON event after the cursor `slot` that `pred` accepts.
    fn wait_event(
        &mut self,
        slot: &'static str,
        timeout: Duration,
        mut pred: impl FnMut(&Value) -> bool,
    ) -> Option<Value> {
        let from = self.cursors.get(slot).copied().unwrap_or(0);
        let (i, line) = self.out.wait_for(from, timeout, |l| {
            serde_json::from_str::<Value>(l).is_ok_and(|v| pred(&v))
        })?;
        self.cursors.insert(slot, i + 1);
        serde_json::from_str(&line).ok()
    }

    /// The last state of the current call, from the newest `call` event.
    fn last_call(&self) -> Option<Value> {
        self.out
            .lines()
            .iter()
            .rev()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .find(|v| v["type"] == "call")
            .map(|v| v["info"].clone())
    }

    /// The directory of its files (log, recording, source).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Every line it printed.
    pub fn output(&self) -> &LogCapture {
        &self.out
    }
}

fn libc_sigterm() -> i32 {
    15
}

fn event_is(v: &Value, ty: &str) -> bool {
    v["type"] == ty
}

fn phase_is(v: &Value, phase: &str) -> bool {
    event_is(v, "call") && v["info"]["phase"] == phase
}

impl CallPeer for Handset {
    fn label(&self) -> String {
        format!("handset {}", self.opts.user)
    }

    fn aor(&self) -> String {
        format!("sip:{}@127.0.0.1", self.opts.user)
    }

    fn dial(&mut self, uri: &str) -> Result<()> {
        self.send(&format!("dial {uri}"))
    }

    fn answer(&mut self) -> Result<()> {
        self.send("answer")
    }

    fn hangup(&mut self) -> Result<()> {
        self.send("hangup")
    }

    fn hold(&mut self) -> Result<()> {
        self.send("hold")
    }

    fn resume(&mut self) -> Result<()> {
        self.send("resume")
    }

    fn send_dtmf(&mut self, digits: &str) -> Result<()> {
        self.send(&format!("dtmf {digits}"))
    }

    fn wait_incoming(&mut self, timeout: Duration) -> Result<()> {
        self.wait_event("incoming", timeout, |v| event_is(v, "incomingCall"))
            .map(drop)
            .with_context(|| format!("no incoming call\n{}", self.report()))
    }

    fn wait_established(&mut self, timeout: Duration) -> Result<()> {
        self.wait_event("established", timeout, |v| phase_is(v, "active"))
            .map(drop)
            .with_context(|| format!("no established call\n{}", self.report()))
    }

    fn wait_closed(&mut self, timeout: Duration) -> Result<String> {
        let v = self
            .wait_event("closed", timeout, |v| phase_is(v, "ended"))
            .with_context(|| format!("the call did not end\n{}", self.report()))?;
        Ok(v["info"]["endReason"]
            .as_str()
            .unwrap_or_default()
            .to_string())
    }

    fn wait_dtmf(&mut self, count: usize, timeout: Duration) -> String {
        let deadline = std::time::Instant::now() + timeout;
        let mut digits = String::new();
        while digits.len() < count {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match self.wait_event("dtmf", left, |v| event_is(v, "dtmf")) {
                Some(v) => digits.push_str(v["digit"].as_str().unwrap_or("?")),
                None => break,
            }
        }
        digits
    }

    fn is_held(&mut self) -> Result<bool> {
        match self.last_call() {
            Some(info) if info["phase"] == "active" => Ok(info["remoteHeld"] == true),
            Some(info) => bail!("no active call (phase {})", info["phase"]),
            None => bail!("no call"),
        }
    }

    fn recording(&mut self, timeout: Duration) -> Result<PeerRecording> {
        let p = self.record.clone();
        wait_until(timeout, Duration::from_millis(50), || {
            std::fs::metadata(&p).is_ok_and(|m| m.len() > 44)
        });
        PeerRecording::load(&p)
    }

    fn report(&self) -> String {
        format!(
            "----- handset-cli {} output {} (last 40 lines) -----\n{}\n----- end of handset-cli output -----",
            self.opts.user,
            self.out.path().display(),
            self.out.tail(40)
        )
    }
}

impl Drop for Handset {
    fn drop(&mut self) {
        let _ = self.send("quit");
        if self.proc.wait_timeout(Duration::from_secs(4)).is_none() {
            self.proc.kill();
        }
        if std::thread::panicking() {
            let kept = self.dir.path().to_path_buf();
            eprintln!("{}", self.report());
            // keep the files of a failed test for a look
            std::mem::forget(std::mem::replace(
                &mut self.dir,
                tempfile::Builder::new()
                    .prefix("handset-unused-")
                    .tempdir()
                    .expect("temp dir"),
            ));
            eprintln!(
                "handset-harness: handset-cli dir kept at {}",
                kept.display()
            );
        }
    }
}
