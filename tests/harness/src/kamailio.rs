//! A real Kamailio 5.6 registrar/proxy on 127.0.0.1 with UDP, TCP, TLS, WS and WSS listeners.
//!
//! ```no_run
//! use handset_harness::{Kamailio, KamailioOptions};
//! use std::time::Duration;
//! let kam = Kamailio::start(KamailioOptions::default()); // users 101..=105, password "pw<user>"
//! // point the client at kam.udp_addr() / kam.tcp_addr() / kam.tls_addr() / kam.ws_url()
//! // and trust kam.ca().ca_path() for TLS/WSS
//! let b = kam.wait_registered("101", Duration::from_secs(5));
//! assert_eq!(b.transport.as_deref(), Some("udp"));
//! ```
//!
//! The config is `templates/kamailio.cfg` (embedded) with the ports, paths and options filled
//! in; the SQLite DB gets Kamailio's own schema (`/usr/share/kamailio/db_sqlite/`) and the
//! users. Everything lives in a temp dir, kept (and its path printed with the log tail) when
//! the test panics.

use std::fmt::Write as _;
use std::fs::{self, OpenOptions};
use std::io::Write as _;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use tempfile::TempDir;

use crate::ports::{free_port, is_free};
use crate::process::{require_binary, tail_file, wait_until, PeerProcess};
use crate::tls_ca::{IssuedCert, TestCa};
use crate::Transport;

/// The Kamailio config template (placeholders `@NAME@`).
pub const KAMAILIO_CFG_TEMPLATE: &str = include_str!("../templates/kamailio.cfg");

/// Where Debian's kamailio package puts its modules.
pub const KAMAILIO_MODULES_DIR: &str = "/usr/lib/x86_64-linux-gnu/kamailio/modules/";
/// Where Debian's kamailio package puts the SQLite schema.
pub const KAMAILIO_SQLITE_SCHEMA_DIR: &str = "/usr/share/kamailio/db_sqlite";

/// Digest algorithm Kamailio challenges with.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum DigestAlgorithm {
    /// `algorithm=MD5` (Kamailio's default).
    #[default]
    Md5,
    /// `algorithm=SHA-256` (`modparam("auth", "algorithm", "SHA-256")`, supported by 5.6;
    /// auth_db then computes HA1 with SHA-256 from the plain password).
    Sha256,
}

/// Which certificate the TLS and WSS listeners present.
#[derive(Clone, Debug, Default)]
pub enum TlsCert {
    /// Signed by the instance's [`TestCa`], SANs 127.0.0.1 and localhost.
    #[default]
    Valid,
    /// Signed by the CA but only for `wrong.example` (hostname mismatch).
    WrongHost,
    /// Self-signed for 127.0.0.1 and localhost, not from the CA.
    SelfSigned,
    /// Signed by the CA for 127.0.0.1 and localhost, expired in 2001.
    Expired,
    /// Given files.
    Files {
        /// PEM certificate (may hold the chain).
        cert: PathBuf,
        /// PEM private key.
        key: PathBuf,
    },
}

/// What to start Kamailio with.
#[derive(Clone, Debug)]
pub struct KamailioOptions {
    /// Subscribers `(user, password)` in domain 127.0.0.1.
    pub users: Vec<(String, String)>,
    /// Digest algorithm of the challenges.
    pub algorithm: DigestAlgorithm,
    /// Certificate of the TLS/WSS listeners.
    pub tls_cert: TlsCert,
    /// CA to issue the certificate from; a new one when `None`. Available as [`Kamailio::ca`].
    pub ca: Option<Arc<TestCa>>,
    /// Kamailio `debug` level: 1 notice (default: warnings, errors and the config's one line
    /// per request/reply/auth challenge), 2 info (plus module start-up chatter), 3 debug.
    pub debug: i8,
    /// `registrar` `min_expires`: lower Expires are raised to it (default 1, so clients may
    /// refresh quickly in tests).
    pub min_expires: u32,
    /// `registrar` `max_expires` (default 3600).
    pub max_expires: u32,
}

impl Default for KamailioOptions {
    /// Users 101..=105 with passwords `pw101`..`pw105`, MD5, a valid certificate.
    fn default() -> Self {
        KamailioOptions {
            users: (101..=105)
                .map(|u| (u.to_string(), format!("pw{u}")))
                .collect(),
            algorithm: DigestAlgorithm::Md5,
            tls_cert: TlsCert::Valid,
            ca: None,
            debug: 1,
            min_expires: 1,
            max_expires: 3600,
        }
    }
}

/// One registered contact, parsed from `kamcmd ul.dump`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Binding {
    /// Address of record: the user part (Kamailio runs with `use_domain` 0), e.g. `101`.
    pub aor: String,
    /// The Contact URI as registered.
    pub contact: String,
    /// Seconds left; `None` when Kamailio prints no number (e.g. `permanent`).
    pub expires: Option<u64>,
    /// Transport of the socket it came in on: `udp`, `tcp`, `tls`, `ws` or `wss`.
    pub transport: Option<String>,
    /// The Kamailio socket, e.g. `udp:127.0.0.1:20001`.
    pub socket: Option<String>,
    /// Source address when it differs from the Contact (NAT/connection handling), e.g.
    /// `sip:127.0.0.1:41234;transport=ws`.
    pub received: Option<String>,
    /// The client's User-Agent.
    pub user_agent: Option<String>,
    /// Call-ID of the REGISTER.
    pub call_id: Option<String>,
    /// `+sip.instance` if given.
    pub instance: Option<String>,
    /// Reg-Id (RFC 5626) if given, else 0.
    pub reg_id: u32,
}

/// A running (or stopped, restartable) Kamailio instance. Killed on drop.
pub struct Kamailio {
    dir: Option<TempDir>,
    dir_path: PathBuf,
    cfg_path: PathBuf,
    db_path: PathBuf,
    ctl_path: PathBuf,
    log_path: PathBuf,
    port: u16,
    tls_port: u16,
    ws_port: u16,
    wss_port: u16,
    ca: Arc<TestCa>,
    cert: Option<IssuedCert>,
    opts: KamailioOptions,
    proc: Option<PeerProcess>,
    starts: u32,
}

impl std::fmt::Debug for Kamailio {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Kamailio")
            .field("dir", &self.dir_path)
            .field("port", &self.port)
            .field("tls_port", &self.tls_port)
            .field("ws_port", &self.ws_port)
            .field("wss_port", &self.wss_port)
            .finish()
    }
}

fn shared_temp_root() -> PathBuf {
    // the ctl unix socket path must stay short (108 bytes)
    let t = std::env::temp_dir();
    if t.as_os_str().len() > 60 {
        PathBuf::from("/tmp")
    } else {
        t
    }
}

/// Runs `kamailio -c -f <cfg>` and returns its output on failure.
pub fn check_config(cfg: &Path) -> Result<()> {
    let out = Command::new(require_binary("kamailio"))
        .arg("-c")
        .arg("-f")
        .arg(cfg)
        .output()
        .context("run kamailio -c")?;
    if out.status.success() {
        Ok(())
    } else {
        bail!(
            "kamailio -c -f {} failed ({}):\n{}{}",
            cfg.display(),
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    }
}

/// Parses the output of `kamcmd ul.dump` into bindings.
pub fn parse_ul_dump(text: &str) -> Vec<Binding> {
    let mut out = Vec::new();
    let mut aor = String::new();
    let mut cur: Option<Binding> = None;
    for line in text.lines() {
        let t = line.trim();
        if let Some(v) = t.strip_prefix("AoR:") {
            aor = v.trim().to_string();
            continue;
        }
        if t == "Contact: {" {
            if let Some(b) = cur.take() {
                out.push(b);
            }
            cur = Some(Binding {
                aor: aor.clone(),
                ..Binding::default()
            });
            continue;
        }
        let Some(b) = cur.as_mut() else { continue };
        if t == "}" {
            // closes the Contact block (inner blocks do not exist inside Contact)
            out.push(cur.take().unwrap());
            continue;
        }
        let Some((k, v)) = t.split_once(':') else {
            continue;
        };
        let v = v.trim().to_string();
        let set = |v: String| if v == "[not set]" { None } else { Some(v) };
        match k {
            "Address" => b.contact = v,
            "Expires" => b.expires = v.parse().ok(),
            "Socket" => {
                b.transport = v.split(':').next().map(str::to_lowercase);
                b.socket = set(v);
            }
            "Received" => b.received = set(v),
            "User-Agent" => b.user_agent = set(v),
            "Call-ID" => b.call_id = set(v),
            "Instance" => b.instance = set(v),
            "Reg-Id" => b.reg_id = v.parse().unwrap_or(0),
            _ => {}
        }
    }
    if let Some(b) = cur {
        out.push(b);
    }
    // WS/WSS connections come in on a tcp/tls socket; the Received URI says `transport=ws`
    // for both (Kamailio 5.6), so WS on a tls socket is WSS
    for b in &mut out {
        let ws = b
            .received
            .as_deref()
            .is_some_and(|r| r.to_lowercase().contains("transport=ws"));
        if ws {
            let tls = b.transport.as_deref() == Some("tls");
            b.transport = Some(if tls { "wss" } else { "ws" }.into());
        }
    }
    out
}

/// The user part of an AoR given as `101`, `101@host` or `sip:101@host;params`.
fn aor_user(aor: &str) -> &str {
    let s = aor
        .strip_prefix("sips:")
        .or_else(|| aor.strip_prefix("sip:"))
        .unwrap_or(aor);
    s.split(['@', ';', '>']).next().unwrap_or(s)
}

impl Kamailio {
    /// Starts Kamailio and waits until it answers on its control socket.
    ///
    /// # Panics
    /// When Kamailio is not installed or does not start (the message holds its log tail).
    pub fn start(opts: KamailioOptions) -> Kamailio {
        match Self::try_start(opts) {
            Ok(k) => k,
            Err(e) => panic!("Kamailio did not start: {e:#}"),
        }
    }

    /// Like [`start`](Self::start) but returns an error instead of panicking (it still panics
    /// when Kamailio is not installed).
    pub fn try_start(opts: KamailioOptions) -> Result<Kamailio> {
        require_binary("kamailio");
        require_binary("kamcmd");
        let dir = tempfile::Builder::new()
            .prefix("kam-")
            .tempdir_in(shared_temp_root())
            .context("temp dir")?;
        let dir_path = dir.path().to_path_buf();
        let ca = opts.ca.clone().unwrap_or_else(|| Arc::new(TestCa::new()));
        let mut k = Kamailio {
            cfg_path: dir_path.join("kamailio.cfg"),
            db_path: dir_path.join("kamailio.db"),
            ctl_path: dir_path.join("ctl.sock"),
            log_path: dir_path.join("kamailio.log"),
            dir: Some(dir),
            dir_path,
            port: free_port(),
            tls_port: free_port(),
            ws_port: free_port(),
            wss_port: free_port(),
            ca,
            cert: None,
            opts,
            proc: None,
            starts: 0,
        };
        k.write_files()?;
        k.launch()?;
        Ok(k)
    }

    fn write_files(&mut self) -> Result<()> {
        // TLS certificate
        let (cert, key) = match &self.opts.tls_cert {
            TlsCert::Valid => {
                let c = self.ca.issue_files(&["127.0.0.1", "localhost"]);
                let r = (c.chain_path.clone(), c.key_path.clone());
                self.cert = Some(c);
                r
            }
            TlsCert::WrongHost => {
                let c = self.ca.issue_wrong_host();
                let r = (c.chain_path.clone(), c.key_path.clone());
                self.cert = Some(c);
                r
            }
            TlsCert::Expired => {
                let c = self.ca.issue_expired(&["127.0.0.1", "localhost"]);
                let r = (c.chain_path.clone(), c.key_path.clone());
                self.cert = Some(c);
                r
            }
            TlsCert::SelfSigned => {
                let c = TestCa::self_signed(&["127.0.0.1", "localhost"]);
                let r = (c.cert_path.clone(), c.key_path.clone());
                self.cert = Some(c);
                r
            }
            TlsCert::Files { cert, key } => (cert.clone(), key.clone()),
        };
        // copy into our dir so the files outlive the CA's temp dir if needed
        let cert_copy = self.dir_path.join("server.crt");
        let key_copy = self.dir_path.join("server.key");
        let ca_copy = self.dir_path.join("ca.crt");
        fs::copy(&cert, &cert_copy).with_context(|| format!("copy {}", cert.display()))?;
        fs::copy(&key, &key_copy).with_context(|| format!("copy {}", key.display()))?;
        fs::write(&ca_copy, self.ca.ca_pem())?;
        let tls_cfg = self.dir_path.join("tls.cfg");
        fs::write(
            &tls_cfg,
            format!(
                "# written by handset-harness\n\
                 [server:default]\n\
                 method = TLSv1.2+\n\
                 verify_certificate = no\n\
                 require_certificate = no\n\
                 private_key = {key}\n\
                 certificate = {cert}\n\
                 ca_list = {ca}\n\n\
                 [client:default]\n\
                 method = TLSv1.2+\n\
                 verify_certificate = no\n\
                 require_certificate = no\n",
                key = key_copy.display(),
                cert = cert_copy.display(),
                ca = ca_copy.display()
            ),
        )?;

        // config
        let mut cfg = String::new();
        if self.opts.algorithm == DigestAlgorithm::Sha256 {
            cfg.push_str("#!define WITH_SHA256\n");
        }
        let body = KAMAILIO_CFG_TEMPLATE
            .replace("@PORT@", &self.port.to_string())
            .replace("@TLS_PORT@", &self.tls_port.to_string())
            .replace("@WS_PORT@", &self.ws_port.to_string())
            .replace("@WSS_PORT@", &self.wss_port.to_string())
            .replace("@DB@", &self.db_path.display().to_string())
            .replace("@CTL@", &self.ctl_path.display().to_string())
            .replace("@TLS_CFG@", &tls_cfg.display().to_string())
            .replace("@DEBUG@", &self.opts.debug.to_string())
            .replace("@MIN_EXPIRES@", &self.opts.min_expires.to_string())
            .replace("@MAX_EXPIRES@", &self.opts.max_expires.to_string())
            .replace("@MPATH@", KAMAILIO_MODULES_DIR);
        // the first line must stay "#!KAMAILIO"
        let (first, rest) = body.split_once('\n').unwrap_or((&body, ""));
        let cfg = format!("{first}\n{cfg}{rest}");
        fs::write(&self.cfg_path, cfg)?;

        // database
        let conn = rusqlite::Connection::open(&self.db_path).context("create SQLite DB")?;
        for part in ["standard", "auth_db", "msilo", "presence"] {
            let f = Path::new(KAMAILIO_SQLITE_SCHEMA_DIR).join(format!("{part}-create.sql"));
            let sql = fs::read_to_string(&f).unwrap_or_else(|e| {
                panic!(
                    "peer 'kamailio-sqlite-modules' is not installed ({}: {e}): run scripts/install-deps.sh",
                    f.display()
                )
            });
            conn.execute_batch(&sql)
                .with_context(|| format!("load {}", f.display()))?;
        }
        conn.pragma_update(None, "journal_mode", "WAL")?;
        drop(conn);
        for (u, p) in self.opts.users.clone() {
            self.add_user(&u, &p);
        }
        Ok(())
    }

    fn launch(&mut self) -> Result<()> {
        let _ = fs::remove_file(&self.ctl_path);
        let mut log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log_path)?;
        self.starts += 1;
        writeln!(
            log,
            "===== handset-harness: start #{} of kamailio (udp/tcp {} tls {} ws {} wss {}) =====",
            self.starts, self.port, self.tls_port, self.ws_port, self.wss_port
        )?;
        let mut cmd = Command::new(require_binary("kamailio"));
        cmd.arg("-f")
            .arg(&self.cfg_path)
            .args(["-DD", "-E", "-m", "32", "-M", "8"])
            .current_dir(&self.dir_path)
            .stdin(Stdio::null())
            .stdout(Stdio::from(log.try_clone()?))
            .stderr(Stdio::from(log));
        // SIGTERM on test-process death: Kamailio's main then stops its workers itself
        let proc = PeerProcess::spawn("kamailio", cmd, libc::SIGTERM).context("spawn kamailio")?;
        self.proc = Some(proc);
        let started = Instant::now();
        loop {
            if self.kamcmd_quiet(&["core.uptime"]).is_ok() {
                return Ok(());
            }
            if let Some(st) = self.proc.as_mut().and_then(|p| p.try_wait()) {
                bail!(
                    "kamailio exited ({st}) during start; log {}:\n{}",
                    self.log_path.display(),
                    self.log_tail(40)
                );
            }
            if started.elapsed() > Duration::from_secs(10) {
                bail!(
                    "kamailio not ready after 10 s; log {}:\n{}",
                    self.log_path.display(),
                    self.log_tail(40)
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn kamcmd_quiet(&self, args: &[&str]) -> Result<String> {
        let out = Command::new(require_binary("kamcmd"))
            .arg("-s")
            .arg(format!("unix:{}", self.ctl_path.display()))
            .args(args)
            .stdin(Stdio::null())
            .output()
            .context("run kamcmd")?;
        if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).into_owned())
        } else {
            Err(anyhow!(
                "kamcmd {args:?} failed ({}): {}{}",
                out.status,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ))
        }
    }

    /// Runs `kamcmd -s unix:<ctl> <args…>` and returns its stdout (e.g. `["ul.dump"]`,
    /// `["tls.list"]`, `["core.tcp_list"]`).
    pub fn kamcmd(&self, args: &[&str]) -> Result<String> {
        self.kamcmd_quiet(args)
    }

    /// The listener for `transport` (UDP and TCP share one port).
    pub fn addr(&self, transport: Transport) -> SocketAddr {
        match transport {
            Transport::Udp | Transport::Tcp => self.udp_addr(),
            Transport::Tls => self.tls_addr(),
            Transport::Ws => self.ws_addr(),
            Transport::Wss => self.wss_addr(),
        }
    }

    /// UDP listener (same port as TCP).
    pub fn udp_addr(&self) -> SocketAddr {
        SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::LOCALHOST, self.port))
    }

    /// TCP listener (same port as UDP).
    pub fn tcp_addr(&self) -> SocketAddr {
        self.udp_addr()
    }

    /// TLS listener (SIP over TLS).
    pub fn tls_addr(&self) -> SocketAddr {
        SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::LOCALHOST, self.tls_port))
    }

    /// WebSocket listener (plain TCP accepting the HTTP upgrade).
    pub fn ws_addr(&self) -> SocketAddr {
        SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::LOCALHOST, self.ws_port))
    }

    /// Secure WebSocket listener (TLS, same certificate as [`tls_addr`](Self::tls_addr)).
    pub fn wss_addr(&self) -> SocketAddr {
        SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::LOCALHOST, self.wss_port))
    }

    /// `ws://127.0.0.1:<port>/` — connect with subprotocol `sip`.
    pub fn ws_url(&self) -> String {
        format!("ws://127.0.0.1:{}/", self.ws_port)
    }

    /// `wss://127.0.0.1:<port>/` — connect with subprotocol `sip`.
    pub fn wss_url(&self) -> String {
        format!("wss://127.0.0.1:{}/", self.wss_port)
    }

    /// The SIP domain and realm: `127.0.0.1`.
    pub fn domain(&self) -> &'static str {
        "127.0.0.1"
    }

    /// `sip:<user>@127.0.0.1`.
    pub fn aor(&self, user: &str) -> String {
        format!("sip:{user}@127.0.0.1")
    }

    /// The CA that issued the TLS certificate (trust it in clients).
    pub fn ca(&self) -> &Arc<TestCa> {
        &self.ca
    }

    /// The certificate the TLS/WSS listeners present (None for [`TlsCert::Files`]).
    pub fn server_cert(&self) -> Option<&IssuedCert> {
        self.cert.as_ref()
    }

    /// Adds (or replaces) subscriber `user` with `password`; works while Kamailio runs
    /// (auth_db reads the DB on every request).
    pub fn add_user(&self, user: &str, password: &str) {
        let conn = rusqlite::Connection::open(&self.db_path).expect("open Kamailio DB");
        conn.busy_timeout(Duration::from_secs(5)).ok();
        conn.execute(
            "DELETE FROM subscriber WHERE username = ?1 AND domain = '127.0.0.1'",
            [user],
        )
        .expect("delete subscriber");
        conn.execute(
            "INSERT INTO subscriber (username, domain, password) VALUES (?1, '127.0.0.1', ?2)",
            [user, password],
        )
        .expect("insert subscriber");
    }

    /// Removes subscriber `user` (its next request gets 401/407 again and again).
    pub fn remove_user(&self, user: &str) {
        let conn = rusqlite::Connection::open(&self.db_path).expect("open Kamailio DB");
        conn.busy_timeout(Duration::from_secs(5)).ok();
        conn.execute("DELETE FROM subscriber WHERE username = ?1", [user])
            .expect("delete subscriber");
    }

    /// Messages msilo stored for offline users: `(to, from, body)`.
    pub fn stored_messages(&self) -> Vec<(String, String, String)> {
        let conn = rusqlite::Connection::open(&self.db_path).expect("open Kamailio DB");
        conn.busy_timeout(Duration::from_secs(5)).ok();
        let mut st = conn
            // msilo's schema: dst_addr is the recipient, src_addr the sender
            .prepare("SELECT dst_addr, src_addr, body FROM silo ORDER BY id")
            .expect("query silo");
        st.query_map([], |r| {
            // SQLite keeps the body as TEXT or BLOB depending on how it was written
            let body = match r.get_ref(2)? {
                rusqlite::types::ValueRef::Text(b) | rusqlite::types::ValueRef::Blob(b) => {
                    String::from_utf8_lossy(b).into_owned()
                }
                _ => String::new(),
            };
            Ok((r.get(0)?, r.get(1)?, body))
        })
        .expect("query silo")
        .filter_map(|r| r.ok())
        .collect()
    }

    /// All current registrations (`kamcmd ul.dump`); empty when Kamailio is down.
    pub fn registrations(&self) -> Vec<Binding> {
        match self.kamcmd_quiet(&["ul.dump"]) {
            Ok(text) => parse_ul_dump(&text),
            Err(_) => Vec::new(),
        }
    }

    /// Bindings of one AoR (`101`, `101@127.0.0.1` or `sip:101@127.0.0.1`).
    pub fn bindings_of(&self, aor: &str) -> Vec<Binding> {
        let user = aor_user(aor);
        self.registrations()
            .into_iter()
            .filter(|b| aor_user(&b.aor) == user)
            .collect()
    }

    /// Polls (every 50 ms) until a binding of `aor` satisfies `pred`, up to `timeout`.
    pub fn wait_for_binding(
        &self,
        aor: &str,
        timeout: Duration,
        mut pred: impl FnMut(&Binding) -> bool,
    ) -> Option<Binding> {
        let mut found = None;
        wait_until(timeout, Duration::from_millis(50), || {
            found = self.bindings_of(aor).into_iter().find(|b| pred(b));
            found.is_some()
        });
        found
    }

    /// Waits until `aor` has a binding and returns it.
    ///
    /// # Panics
    /// On timeout, with the current registrations and Kamailio's log tail.
    pub fn wait_registered(&self, aor: &str, timeout: Duration) -> Binding {
        match self.wait_for_binding(aor, timeout, |_| true) {
            Some(b) => b,
            None => panic!(
                "{aor} not registered at Kamailio within {timeout:?}; bindings: {:#?}\n{}",
                self.registrations(),
                self.log_report(60)
            ),
        }
    }

    /// Waits until `aor` has no binding left; false on timeout.
    pub fn wait_unregistered(&self, aor: &str, timeout: Duration) -> bool {
        wait_until(timeout, Duration::from_millis(50), || {
            self.bindings_of(aor).is_empty()
        })
    }

    /// True while the Kamailio main process runs.
    pub fn is_running(&mut self) -> bool {
        self.proc.as_mut().is_some_and(|p| p.is_running())
    }

    /// PID of the main process, if running.
    pub fn pid(&mut self) -> Option<u32> {
        let p = self.proc.as_mut()?;
        p.is_running().then(|| p.pid())
    }

    /// SIGKILL to Kamailio and all its workers (a crash); returns once they are gone and the
    /// ports are free. Registrations are lost. [`restart`](Self::restart) brings it back.
    pub fn kill(&mut self) {
        if let Some(mut p) = self.proc.take() {
            p.kill();
        }
        self.wait_ports_free();
    }

    /// Graceful stop (SIGTERM, SIGKILL after 5 s). [`restart`](Self::restart) brings it back.
    pub fn stop(&mut self) {
        if let Some(mut p) = self.proc.take() {
            p.terminate(Duration::from_secs(5));
        }
        self.wait_ports_free();
    }

    /// Stops Kamailio if it runs and starts it again on the same ports with the same config
    /// and DB (users and stored messages stay; registrations, kept in memory, are gone).
    ///
    /// # Panics
    /// When it does not come back (with the log tail).
    pub fn restart(&mut self) {
        self.stop();
        if let Err(e) = self.launch() {
            panic!("Kamailio did not restart: {e:#}");
        }
    }

    fn wait_ports_free(&self) {
        let ports = [self.port, self.tls_port, self.ws_port, self.wss_port];
        if !wait_until(Duration::from_secs(5), Duration::from_millis(20), || {
            ports.iter().all(|&p| is_free(p))
        }) {
            eprintln!("handset-harness: Kamailio ports {ports:?} still busy 5 s after stop");
        }
    }

    /// The temp dir holding config, DB, certificates and log.
    pub fn dir(&self) -> &Path {
        &self.dir_path
    }

    /// Path of the generated kamailio.cfg.
    pub fn config_path(&self) -> &Path {
        &self.cfg_path
    }

    /// Path of the SQLite DB.
    pub fn db_path(&self) -> &Path {
        &self.db_path
    }

    /// Path of Kamailio's log (stderr of every start, appended).
    pub fn log_path(&self) -> &Path {
        &self.log_path
    }

    /// The last `lines` lines of Kamailio's log.
    pub fn log_tail(&self, lines: usize) -> String {
        tail_file(&self.log_path, lines)
    }

    /// A block for panic messages: log path and its last `lines` lines.
    pub fn log_report(&self, lines: usize) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "----- Kamailio log {} (last {lines} lines) -----",
            self.log_path.display()
        );
        s.push_str(&self.log_tail(lines));
        s.push_str("\n----- end of Kamailio log -----");
        s
    }

    /// Keeps the temp dir after drop (its path is returned), e.g. to inspect a failure.
    pub fn keep_dir(&mut self) -> PathBuf {
        if let Some(d) = self.dir.take() {
            let _ = d.keep();
        }
        self.dir_path.clone()
    }
}

impl Drop for Kamailio {
    fn drop(&mut self) {
        if let Some(mut p) = self.proc.take() {
            p.kill();
        }
        if std::thread::panicking() {
            let dir = self.keep_dir();
            eprintln!(
                "handset-harness: test panicked; Kamailio dir kept at {}\n{}",
                dir.display(),
                self.log_report(80)
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_ul_dump() {
        let text = "{\n\tDomains: {\n\t\tDomain: {\n\t\t\tDomain: location\n\t\t\tAoRs: {\n\t\t\t\tInfo: {\n\t\t\t\t\tAoR: 101\n\t\t\t\t\tHashID: 1\n\t\t\t\t\tContacts: {\n\t\t\t\t\t\tContact: {\n\t\t\t\t\t\t\tAddress: sip:101@127.0.0.1:5081;transport=tcp\n\t\t\t\t\t\t\tExpires: 599\n\t\t\t\t\t\t\tReceived: sip:127.0.0.1:41000;transport=tcp\n\t\t\t\t\t\t\tSocket: tcp:127.0.0.1:5070\n\t\t\t\t\t\t\tPath: [not set]\n\t\t\t\t\t\t}\n\t\t\t\t\t\tContact: {\n\t\t\t\t\t\t\tAddress: sip:x@df.invalid;transport=ws\n\t\t\t\t\t\t\tExpires: 30\n\t\t\t\t\t\t\tReceived: sip:127.0.0.1:41001;transport=ws\n\t\t\t\t\t\t\tSocket: tcp:127.0.0.1:5072\n\t\t\t\t\t\t}\n\t\t\t\t\t}\n\t\t\t\t}\n\t\t\t\tInfo: {\n\t\t\t\t\tAoR: 102\n\t\t\t\t\tContacts: {\n\t\t\t\t\t\tContact: {\n\t\t\t\t\t\t\tAddress: sip:102@127.0.0.1:5083\n\t\t\t\t\t\t\tExpires: permanent\n\t\t\t\t\t\t\tReceived: [not set]\n\t\t\t\t\t\t\tSocket: udp:127.0.0.1:5070\n\t\t\t\t\t\t}\n\t\t\t\t\t}\n\t\t\t\t}\n\t\t\t}\n\t\t}\n\t}\n}\n";
        let b = parse_ul_dump(text);
        assert_eq!(b.len(), 3);
        assert_eq!(b[0].aor, "101");
        assert_eq!(b[0].expires, Some(599));
        assert_eq!(b[0].transport.as_deref(), Some("tcp"));
        assert_eq!(b[1].transport.as_deref(), Some("ws"));
        assert_eq!(b[2].aor, "102");
        assert_eq!(b[2].expires, None);
        assert_eq!(b[2].received, None);
        assert_eq!(b[2].transport.as_deref(), Some("udp"));
    }

    #[test]
    fn aor_forms() {
        assert_eq!(aor_user("101"), "101");
        assert_eq!(aor_user("sip:101@127.0.0.1;x"), "101");
        assert_eq!(aor_user("101@127.0.0.1"), "101");
    }
}
