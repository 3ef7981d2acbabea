//! SIPp 3.6 runs: built-in `uac`/`uas` or scenario files, with messages, errors and
//! statistics captured.
//!
//! ```no_run
//! use handset_harness::{Sipp, SippOptions};
//! let uas = Sipp::spawn(SippOptions::builtin("uas"));          // background, killed on drop
//! let mut uac = SippOptions::builtin("uac");
//! uac.remote = Some(uas.addr());
//! uac.calls = Some(1);
//! let run = Sipp::run(uac);                                      // foreground, bounded by timeout
//! assert!(run.success(), "{}", run.report());
//! ```
//! SIPp runs in the foreground with `-nostdin` (never `-bg`: a daemonised SIPp escapes the
//! harness's process group and parent-death signal). Each run has its own temp dir holding
//! `messages.log` (`-trace_msg`), `errors.log` (`-trace_err`), `stats.csv` (`-trace_stat`),
//! `screen.log` (`-trace_screen`), `logs.log` (`-trace_logs`) and stdout/stderr.

use std::fs;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tempfile::TempDir;

use crate::ports::free_port;
use crate::process::{require_binary, PeerProcess};

/// Which scenario SIPp plays.
#[derive(Clone, Debug)]
pub enum Scenario {
    /// A built-in scenario (`-sn`): `uac`, `uas`, `regexp`, `3pcc-*`, `branchc`, `branchs`,
    /// `uac_pcap`.
    Builtin(String),
    /// A scenario file (`-sf`).
    File(PathBuf),
    /// Scenario XML text, written to `scenario.xml` in the run's dir.
    Xml(String),
}

/// SIPp transport mode (`-t`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SippTransport {
    /// `u1`: UDP, one socket.
    #[default]
    Udp,
    /// `t1`: TCP, one socket.
    Tcp,
    /// `l1`: TLS, one socket (SIPp needs `-tls_cert`/`-tls_key`, pass them in `extra_args`).
    Tls,
}

/// How to run SIPp.
#[derive(Clone, Debug)]
pub struct SippOptions {
    /// The scenario.
    pub scenario: Scenario,
    /// Remote host:port (the UAC's target); none for a UAS.
    pub remote: Option<SocketAddr>,
    /// Local port (`-p`); `None`: a free port.
    pub local_port: Option<u16>,
    /// Transport (`-t`).
    pub transport: SippTransport,
    /// Stop after this many calls (`-m`).
    pub calls: Option<u32>,
    /// Call rate per second (`-r`).
    pub rate: Option<u32>,
    /// Service/user part of the Request-URI (`-s`).
    pub service: Option<String>,
    /// Digest credentials (`-au`, `-ap`).
    pub auth: Option<(String, String)>,
    /// `-key name value` pairs (`[name]` in scenarios).
    pub keys: Vec<(String, String)>,
    /// `-set name value` pairs (`$name` variables in scenarios).
    pub vars: Vec<(String, String)>,
    /// Global timeout (`-timeout`, with `-timeout_error`); the harness kills SIPp 5 s later
    /// if it still runs. Default 15 s.
    pub timeout: Duration,
    /// More arguments, appended last.
    pub extra_args: Vec<String>,
}

impl SippOptions {
    fn with(scenario: Scenario) -> SippOptions {
        SippOptions {
            scenario,
            remote: None,
            local_port: None,
            transport: SippTransport::Udp,
            calls: None,
            rate: None,
            service: None,
            auth: None,
            keys: Vec::new(),
            vars: Vec::new(),
            timeout: Duration::from_secs(15),
            extra_args: Vec::new(),
        }
    }

    /// A built-in scenario (`uac`, `uas`, …).
    pub fn builtin(name: &str) -> SippOptions {
        Self::with(Scenario::Builtin(name.to_string()))
    }

    /// A scenario file.
    pub fn file(path: &Path) -> SippOptions {
        Self::with(Scenario::File(path.to_path_buf()))
    }

    /// Scenario XML given as text (e.g. `include_str!` of a file under `tests/`).
    pub fn xml(xml: &str) -> SippOptions {
        Self::with(Scenario::Xml(xml.to_string()))
    }
}

/// The outcome of a SIPp run, with its captured files.
#[derive(Debug)]
pub struct SippRun {
    /// Exit status; `None` if it had to be killed after the timeout.
    pub status: Option<ExitStatus>,
    /// SIPp's exit code: 0 all calls succeeded, 1 some failed, 97 internal exit command,
    /// 99 normal exit without calls processed, 254/255 fatal (e.g. cannot bind).
    pub code: Option<i32>,
    /// Whether the harness had to kill it (stuck past its timeout).
    pub killed: bool,
    /// stdout + stderr (the final statistics screen).
    pub output: String,
    /// `-trace_msg` file: every message sent and received.
    pub messages: String,
    /// `-trace_err` file: unexpected messages and errors.
    pub errors: String,
    /// `-trace_stat` CSV.
    pub stats: String,
    /// `-trace_logs` file (`<log>` actions of the scenario).
    pub logs: String,
    /// The run's directory (kept until this value is dropped).
    pub dir: PathBuf,
    _dir: Option<Arc<TempDir>>,
}

impl SippRun {
    /// True when SIPp exited 0 (every call succeeded).
    pub fn success(&self) -> bool {
        self.code == Some(0)
    }

    /// A multi-line summary for assertion messages: code, errors, the tail of messages.
    pub fn report(&self) -> String {
        let tail = |s: &str, n: usize| {
            let l: Vec<&str> = s.lines().collect();
            l[l.len().saturating_sub(n)..].join("\n")
        };
        format!(
            "----- SIPp run in {}: code {:?}{} -----\n--- output ---\n{}\n--- errors ---\n{}\n--- messages (tail) ---\n{}\n----- end of SIPp run -----",
            self.dir.display(),
            self.code,
            if self.killed { " (killed after timeout)" } else { "" },
            tail(&self.output, 30),
            tail(&self.errors, 30),
            tail(&self.messages, 60)
        )
    }
}

/// A SIPp process running in the background (e.g. a UAS); killed on drop.
pub struct Sipp {
    proc: PeerProcess,
    dir: Arc<TempDir>,
    port: u16,
    timeout: Duration,
    started: Instant,
}

impl std::fmt::Debug for Sipp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sipp")
            .field("port", &self.port)
            .field("dir", &self.dir.path())
            .finish()
    }
}

fn read(p: &Path) -> String {
    fs::read(p)
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default()
}

impl Sipp {
    /// Starts SIPp with `opts` in the background and waits until its port is bound
    /// (at most 5 s).
    ///
    /// # Panics
    /// When sipp is not installed or exits at once (with its output).
    pub fn spawn(opts: SippOptions) -> Sipp {
        let bin = require_binary("sipp");
        let dir = Arc::new(
            tempfile::Builder::new()
                .prefix("sipp-")
                .tempdir()
                .expect("temp dir"),
        );
        let port = opts.local_port.unwrap_or_else(free_port);
        let d = dir.path();
        let mut cmd = Command::new(bin);
        match &opts.scenario {
            Scenario::Builtin(n) => {
                cmd.arg("-sn").arg(n);
            }
            Scenario::File(p) => {
                cmd.arg("-sf").arg(p);
            }
            Scenario::Xml(x) => {
                let p = d.join("scenario.xml");
                fs::write(&p, x).expect("write scenario");
                cmd.arg("-sf").arg(p);
            }
        }
        if let Some(r) = opts.remote {
            cmd.arg(r.to_string());
        }
        cmd.args(["-i", "127.0.0.1", "-p", &port.to_string(), "-nostdin"]);
        cmd.arg("-t").arg(match opts.transport {
            SippTransport::Udp => "u1",
            SippTransport::Tcp => "t1",
            SippTransport::Tls => "l1",
        });
        if let Some(m) = opts.calls {
            cmd.arg("-m").arg(m.to_string());
        }
        if let Some(r) = opts.rate {
            cmd.arg("-r").arg(r.to_string());
        }
        if let Some(s) = &opts.service {
            cmd.arg("-s").arg(s);
        }
        if let Some((u, p)) = &opts.auth {
            cmd.arg("-au").arg(u).arg("-ap").arg(p);
        }
        for (k, v) in &opts.keys {
            cmd.arg("-key").arg(k).arg(v);
        }
        for (k, v) in &opts.vars {
            cmd.arg("-set").arg(k).arg(v);
        }
        let ms = opts.timeout.as_millis().max(1);
        cmd.arg("-timeout")
            .arg(format!("{ms}ms"))
            .arg("-timeout_error");
        cmd.arg("-trace_msg")
            .arg("-message_file")
            .arg(d.join("messages.log"));
        cmd.arg("-trace_err")
            .arg("-error_file")
            .arg(d.join("errors.log"));
        cmd.arg("-trace_stat").arg("-stf").arg(d.join("stats.csv"));
        cmd.arg("-trace_screen")
            .arg("-screen_file")
            .arg(d.join("screen.log"));
        cmd.arg("-trace_logs")
            .arg("-log_file")
            .arg(d.join("logs.log"));
        cmd.args(&opts.extra_args);
        let out = fs::File::create(d.join("output.log")).expect("output file");
        cmd.current_dir(d)
            .stdin(Stdio::null())
            .stdout(Stdio::from(out.try_clone().expect("dup")))
            .stderr(Stdio::from(out));
        fs::write(d.join("command.txt"), format!("{cmd:?}\n")).ok();
        let mut proc = PeerProcess::spawn("sipp", cmd, libc::SIGKILL).expect("spawn sipp");
        // wait until its UDP/TCP port is bound (or it exited, e.g. a UAC that already finished)
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(5)
            && proc.is_running()
            && crate::ports::is_free(port)
        {
            std::thread::sleep(Duration::from_millis(10));
        }
        Sipp {
            proc,
            dir,
            port,
            timeout: opts.timeout,
            started,
        }
    }

    /// Runs SIPp in the foreground until it exits (bounded by `opts.timeout` + 5 s).
    pub fn run(opts: SippOptions) -> SippRun {
        // a free port picked for SIPp can be taken by another test before SIPp
        // binds it; with no fixed port asked for, try again on a fresh one
        let mut attempt = 0;
        loop {
            let run = Self::spawn(opts.clone()).wait();
            attempt += 1;
            let bind_failed = run.errors.contains("Unable to bind main socket");
            if !bind_failed || opts.local_port.is_some() || attempt >= 3 {
                return run;
            }
        }
    }

    /// Its local address (127.0.0.1:port).
    pub fn addr(&self) -> SocketAddr {
        SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::LOCALHOST, self.port))
    }

    /// Its local port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The run's directory.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// True while it runs.
    pub fn is_running(&mut self) -> bool {
        self.proc.is_running()
    }

    /// Waits until it exits by itself (killing it 5 s after its timeout) and collects the run.
    pub fn wait(mut self) -> SippRun {
        let limit = (self.timeout + Duration::from_secs(5)).saturating_sub(self.started.elapsed());
        let status = self.proc.wait_timeout(limit);
        let killed = status.is_none();
        let status = if killed { self.proc.kill() } else { status };
        self.collect(status, killed)
    }

    /// Stops it now (SIGTERM, then SIGKILL after 2 s) and collects the run.
    pub fn stop(mut self) -> SippRun {
        let status = self.proc.terminate(Duration::from_secs(2));
        self.collect(status, false)
    }

    fn collect(&self, status: Option<ExitStatus>, killed: bool) -> SippRun {
        let d = self.dir.path();
        SippRun {
            code: status.and_then(|s| s.code()),
            status,
            killed,
            output: read(&d.join("output.log")),
            messages: read(&d.join("messages.log")),
            errors: read(&d.join("errors.log")),
            stats: read(&d.join("stats.csv")),
            logs: read(&d.join("logs.log")),
            dir: d.to_path_buf(),
            _dir: Some(self.dir.clone()),
        }
    }
}
