//! Starting, watching and stopping peer processes.
//!
//! Every peer is spawned
//! - in its own process group (so a kill reaches the workers Kamailio forks:
//!   SIGKILL on Kamailio's main process alone leaves its children holding the ports),
//! - with a parent-death signal (`PR_SET_PDEATHSIG`), so peers die with the test
//!   process even when it is killed or aborts without unwinding. The signal fires
//!   when the *thread* that forked the child exits, so all peers are forked from
//!   one harness thread that lives as long as the process.
//!
//! The test process also becomes a child subreaper, so the workers of a killed
//! peer are re-parented to it and reaped here instead of piling up as zombies
//! under a PID 1 that does not reap (as in many containers).
//!
//! [`PeerProcess`] kills its process group on drop, which also runs when a test panics.

use std::collections::VecDeque;
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus};
use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// Finds an executable named `name` on `PATH`, then in `/usr/sbin` and `/sbin`.
///
/// # Panics
/// When it is not installed, with `peer '<name>' is not installed: run scripts/install-deps.sh`.
/// Tests that need a peer fail; they never skip silently.
pub fn require_binary(name: &str) -> PathBuf {
    find_binary(name)
        .unwrap_or_else(|| panic!("peer '{name}' is not installed: run scripts/install-deps.sh"))
}

/// Like [`require_binary`] but returns `None` instead of panicking.
pub fn find_binary(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin", "/sbin", "/usr/local/sbin"].map(PathBuf::from))
        .map(|dir| dir.join(name))
        .find(|p| is_executable(p))
}

fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(p)
        .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

/// Polls `f` every `interval` until it returns true or `timeout` passes; returns the last result.
pub fn wait_until(timeout: Duration, interval: Duration, mut f: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if f() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(interval);
    }
}

/// The last `lines` lines of a text file (empty if it cannot be read).
pub fn tail_file(path: &Path, lines: usize) -> String {
    let mut f = match File::open(path) {
        Ok(f) => f,
        Err(e) => return format!("<cannot read {}: {e}>", path.display()),
    };
    // read at most the last 256 KiB
    let len = f.metadata().map(|m| m.len()).unwrap_or(0);
    let _ = f.seek(SeekFrom::Start(len.saturating_sub(256 * 1024)));
    let mut buf = Vec::new();
    let _ = f.read_to_end(&mut buf);
    let text = String::from_utf8_lossy(&buf);
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

type SpawnRequest = (Command, mpsc::Sender<io::Result<Child>>);

/// The one long-lived thread that forks every peer (see the module docs).
fn spawner() -> &'static Mutex<mpsc::Sender<SpawnRequest>> {
    static SPAWNER: OnceLock<Mutex<mpsc::Sender<SpawnRequest>>> = OnceLock::new();
    SPAWNER.get_or_init(|| {
        // SAFETY: plain prctl call without pointers.
        unsafe {
            libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
        }
        let (tx, rx) = mpsc::channel::<SpawnRequest>();
        std::thread::Builder::new()
            .name("harness-spawner".into())
            .spawn(move || {
                for (mut cmd, reply) in rx {
                    let _ = reply.send(cmd.spawn());
                }
            })
            .expect("spawn the harness spawner thread");
        Mutex::new(tx)
    })
}

/// Spawns `cmd` in a new process group with a parent-death signal `death_signal`.
pub fn spawn_peer(mut cmd: Command, death_signal: i32) -> io::Result<Child> {
    let parent = std::process::id() as libc::pid_t;
    cmd.process_group(0);
    // SAFETY: only async-signal-safe calls (prctl, getppid) between fork and exec.
    unsafe {
        cmd.pre_exec(move || {
            if libc::prctl(
                libc::PR_SET_PDEATHSIG,
                death_signal as libc::c_ulong,
                0,
                0,
                0,
            ) != 0
            {
                return Err(io::Error::last_os_error());
            }
            if libc::getppid() != parent {
                return Err(io::Error::other(
                    "test process exited before the peer started",
                ));
            }
            Ok(())
        });
    }
    let (tx, rx) = mpsc::channel();
    spawner()
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .send((cmd, tx))
        .map_err(|_| io::Error::other("harness spawner thread is gone"))?;
    rx.recv()
        .map_err(|_| io::Error::other("harness spawner thread is gone"))?
}

/// Sends `sig` to every process of process group `pgid`.
fn kill_group(pgid: u32, sig: i32) {
    // SAFETY: plain kill(2).
    unsafe {
        libc::kill(-(pgid as libc::pid_t), sig);
    }
}

/// Reaps zombies of group `pgid` re-parented to this (subreaper) process.
fn reap_group(pgid: u32) {
    let me = std::process::id();
    let Ok(dir) = fs::read_dir("/proc") else {
        return;
    };
    for entry in dir.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        let Ok(stat) = fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // fields after "(comm)": state ppid pgrp ...
        let Some(rest) = stat.rsplit_once(')').map(|(_, r)| r) else {
            continue;
        };
        let f: Vec<&str> = rest.split_whitespace().collect();
        if f.len() > 2 && f[1] == me.to_string() && f[2] == pgid.to_string() {
            let mut status = 0;
            // SAFETY: waitpid on a child of ours; WNOHANG never blocks.
            unsafe {
                libc::waitpid(pid as libc::pid_t, &mut status, libc::WNOHANG);
            }
        }
    }
}

/// True while any process of group `pgid` other than zombies exists.
fn group_alive(pgid: u32) -> bool {
    let Ok(dir) = fs::read_dir("/proc") else {
        return false;
    };
    dir.flatten().any(|entry| {
        entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
            .and_then(|pid| fs::read_to_string(format!("/proc/{pid}/stat")).ok())
            .and_then(|stat| {
                let rest = stat.rsplit_once(')')?.1.to_string();
                let f: Vec<String> = rest.split_whitespace().map(str::to_string).collect();
                Some(f.len() > 2 && f[2] == pgid.to_string() && f[0] != "Z" && f[0] != "X")
            })
            .unwrap_or(false)
    })
}

/// A running peer: a child process in its own process group, killed (whole group) on drop.
#[derive(Debug)]
pub struct PeerProcess {
    name: String,
    child: Child,
    status: Option<ExitStatus>,
}

impl PeerProcess {
    /// Spawns `cmd` as peer `name` (used in messages), in its own process group; the peer gets
    /// `death_signal` if the test process dies (SIGTERM lets Kamailio stop its workers).
    pub fn spawn(name: &str, cmd: Command, death_signal: i32) -> io::Result<PeerProcess> {
        let child = spawn_peer(cmd, death_signal)?;
        Ok(PeerProcess {
            name: name.to_string(),
            child,
            status: None,
        })
    }

    /// The peer's name given at spawn.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// PID of the main process (also its process group id).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The underlying child (e.g. to take its stdout/stderr pipes).
    pub fn child_mut(&mut self) -> &mut Child {
        &mut self.child
    }

    /// The exit status if the main process has exited (reaps it).
    pub fn try_wait(&mut self) -> Option<ExitStatus> {
        if self.status.is_none() {
            self.status = self.child.try_wait().ok().flatten();
        }
        self.status
    }

    /// True while the main process runs.
    pub fn is_running(&mut self) -> bool {
        self.try_wait().is_none()
    }

    /// Sends `sig` to the main process only.
    pub fn signal(&mut self, sig: i32) {
        if self.is_running() {
            // SAFETY: plain kill(2) on our own child.
            unsafe {
                libc::kill(self.child.id() as libc::pid_t, sig);
            }
        }
    }

    /// Waits up to `timeout` for the main process to exit.
    pub fn wait_timeout(&mut self, timeout: Duration) -> Option<ExitStatus> {
        wait_until(timeout, Duration::from_millis(10), || !self.is_running());
        self.status
    }

    /// SIGKILL to the whole process group, then waits until every process of it is gone
    /// (at most 5 s) and reaps them. Idempotent.
    pub fn kill(&mut self) -> Option<ExitStatus> {
        let pgid = self.child.id();
        kill_group(pgid, libc::SIGKILL);
        if self.status.is_none() {
            self.status = self.child.wait().ok();
        }
        wait_until(Duration::from_secs(5), Duration::from_millis(5), || {
            reap_group(pgid);
            !group_alive(pgid)
        });
        reap_group(pgid);
        self.status
    }

    /// SIGTERM to the main process; after `timeout` without exit, [`kill`](Self::kill).
    /// Any process of the group still alive afterwards is killed too.
    pub fn terminate(&mut self, timeout: Duration) -> Option<ExitStatus> {
        self.signal(libc::SIGTERM);
        if self.wait_timeout(timeout).is_none() {
            return self.kill();
        }
        let pgid = self.child.id();
        if group_alive(pgid) {
            wait_until(
                Duration::from_millis(500),
                Duration::from_millis(10),
                || {
                    reap_group(pgid);
                    !group_alive(pgid)
                },
            );
            if group_alive(pgid) {
                self.kill();
            }
        }
        reap_group(pgid);
        self.status
    }
}

impl Drop for PeerProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Lines a peer printed, kept in memory and appended to a log file, with waiting for a line.
///
/// Reader threads copy the peer's stdout/stderr pipes; [`LogCapture::wait_for`] waits until a
/// line (after a cursor) matches.
#[derive(Clone, Debug)]
pub struct LogCapture {
    inner: Arc<(Mutex<LogState>, Condvar)>,
    path: PathBuf,
}

#[derive(Debug, Default)]
struct LogState {
    lines: Vec<String>,
    open_streams: usize,
    attached: bool,
}

impl LogCapture {
    /// A capture that appends to the file at `path` (created).
    pub fn new(path: &Path) -> io::Result<LogCapture> {
        OpenOptions::new().create(true).append(true).open(path)?;
        Ok(LogCapture {
            inner: Arc::new((Mutex::new(LogState::default()), Condvar::new())),
            path: path.to_path_buf(),
        })
    }

    /// Copies `stream` line by line into the capture on a new thread until EOF.
    pub fn attach(&self, stream: impl Read + Send + 'static) {
        let this = self.clone();
        {
            let mut st = this.inner.0.lock().unwrap();
            st.open_streams += 1;
            st.attached = true;
        }
        std::thread::spawn(move || {
            let mut file = OpenOptions::new().append(true).open(&this.path).ok();
            let mut reader = BufReader::new(stream);
            let mut buf = Vec::new();
            loop {
                buf.clear();
                match reader.read_until(b'\n', &mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {
                        let line = String::from_utf8_lossy(&buf).trim_end().to_string();
                        if let Some(f) = file.as_mut() {
                            let _ = writeln!(f, "{line}");
                        }
                        let (m, cv) = &*this.inner;
                        m.lock().unwrap().lines.push(line);
                        cv.notify_all();
                    }
                }
            }
            let (m, cv) = &*this.inner;
            m.lock().unwrap().open_streams -= 1;
            cv.notify_all();
        });
    }

    /// Path of the log file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Number of lines seen so far: a cursor for [`wait_for`](Self::wait_for).
    pub fn len(&self) -> usize {
        self.inner.0.lock().unwrap().lines.len()
    }

    /// True when no line was seen yet.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// All lines seen so far.
    pub fn lines(&self) -> Vec<String> {
        self.inner.0.lock().unwrap().lines.clone()
    }

    /// Waits up to `timeout` for a line at index `>= from` for which `pred` is true; returns
    /// its index and text. Returns `None` on timeout or when every stream reached EOF.
    pub fn wait_for(
        &self,
        from: usize,
        timeout: Duration,
        mut pred: impl FnMut(&str) -> bool,
    ) -> Option<(usize, String)> {
        let deadline = Instant::now() + timeout;
        let (m, cv) = &*self.inner;
        let mut st = m.lock().unwrap();
        let mut next = from;
        loop {
            while next < st.lines.len() {
                if pred(&st.lines[next]) {
                    return Some((next, st.lines[next].clone()));
                }
                next += 1;
            }
            if st.attached && st.open_streams == 0 {
                return None;
            }
            let now = Instant::now();
            if now >= deadline {
                return None;
            }
            st = cv.wait_timeout(st, deadline - now).unwrap().0;
        }
    }

    /// The last `n` lines.
    pub fn tail(&self, n: usize) -> String {
        let st = self.inner.0.lock().unwrap();
        let v: VecDeque<&String> = st.lines.iter().rev().take(n).collect();
        v.into_iter().rev().cloned().collect::<Vec<_>>().join("\n")
    }
}
