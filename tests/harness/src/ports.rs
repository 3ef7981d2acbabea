//! Free ports on 127.0.0.1 for peers started by a test.
//!
//! Ports come from 20000..32000 (below Linux's default ephemeral range, so the
//! kernel does not hand them to outgoing connections). Each test process claims
//! a block of [`BLOCK_SIZE`] ports by holding an exclusive `flock` on
//! `$TMPDIR/handset-harness-ports/block-<n>.lock` for its whole life, so two
//! test processes using the harness never hand out the same port. Inside the
//! process ports are handed out once (a cursor that only moves forward), so
//! concurrent tests in one process never collide either. Every port is also
//! bind-checked on UDP and TCP before it is handed out, which skips ports used
//! by anything else on the machine.

use std::fs::{self, File, OpenOptions};
use std::net::{Ipv4Addr, SocketAddrV4, TcpListener, UdpSocket};
use std::os::unix::io::AsRawFd;
use std::path::PathBuf;
use std::sync::Mutex;

/// Lowest port the harness hands out.
pub const PORT_MIN: u16 = 20000;
/// One past the highest port the harness hands out.
pub const PORT_MAX: u16 = 32000;
/// Ports in one per-process block.
pub const BLOCK_SIZE: u16 = 250;

struct Allocator {
    /// Lock files of the blocks this process owns (kept open: the lock lives as long as the fd).
    locks: Vec<File>,
    /// Next candidate port and end of the current block.
    next: u16,
    end: u16,
    /// Blocks already tried by this process (owned or busy).
    tried: Vec<u16>,
}

static ALLOC: Mutex<Allocator> = Mutex::new(Allocator {
    locks: Vec::new(),
    next: 0,
    end: 0,
    tried: Vec::new(),
});

fn lock_dir() -> PathBuf {
    std::env::temp_dir().join("handset-harness-ports")
}

impl Allocator {
    /// Claims another block; panics when every block is taken.
    fn claim_block(&mut self) {
        let blocks = (PORT_MAX - PORT_MIN) / BLOCK_SIZE;
        let dir = lock_dir();
        let _ = fs::create_dir_all(&dir);
        // start at a pseudo-random block so unrelated users of fixed ports are spread out
        let start = (std::process::id() as u16) % blocks;
        for i in 0..blocks {
            let b = (start + i) % blocks;
            if self.tried.contains(&b) {
                continue;
            }
            self.tried.push(b);
            let path = dir.join(format!("block-{b}.lock"));
            let Ok(file) = OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .open(&path)
            else {
                continue;
            };
            // SAFETY: flock on a valid, open fd.
            let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
            if rc != 0 {
                continue;
            }
            self.locks.push(file);
            self.next = PORT_MIN + b * BLOCK_SIZE;
            self.end = self.next + BLOCK_SIZE;
            return;
        }
        panic!(
            "handset-harness: no free port block left in {PORT_MIN}..{PORT_MAX} (lock files in {})",
            dir.display()
        );
    }

    /// Hands out `n` consecutive ports that are all free on UDP and TCP.
    fn take(&mut self, n: u16) -> u16 {
        assert!(
            n > 0 && n <= BLOCK_SIZE,
            "port range of {n} ports is not supported"
        );
        loop {
            if self.end == 0 || self.next + n > self.end {
                self.claim_block();
            }
            let first = self.next;
            match (first..first + n).find(|&p| !is_free(p)) {
                None => {
                    self.next = first + n;
                    return first;
                }
                Some(busy) => self.next = busy + 1,
            }
        }
    }
}

/// True when `port` can be bound on 127.0.0.1 for both UDP and TCP right now.
pub fn is_free(port: u16) -> bool {
    let addr = SocketAddrV4::new(Ipv4Addr::LOCALHOST, port);
    UdpSocket::bind(addr).is_ok() && TcpListener::bind(addr).is_ok()
}

/// A port free on both UDP and TCP on 127.0.0.1, never handed out before in this process.
pub fn free_port() -> u16 {
    free_port_range(1)
}

/// Two consecutive free ports `(p, p + 1)`, e.g. for baresip whose `sip_listen` port P also
/// binds TLS on P + 1, or an RTP/RTCP pair.
pub fn free_port_pair() -> (u16, u16) {
    let p = free_port_range(2);
    (p, p + 1)
}

/// The first of `n` consecutive ports (at most [`BLOCK_SIZE`]) free on UDP and TCP.
pub fn free_port_range(n: u16) -> u16 {
    ALLOC.lock().unwrap_or_else(|e| e.into_inner()).take(n)
}

/// `n` free ports, not necessarily consecutive.
pub fn free_ports(n: usize) -> Vec<u16> {
    (0..n).map(|_| free_port()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn ports_are_unique_and_free() {
        let mut seen = HashSet::new();
        for _ in 0..50 {
            let p = free_port();
            assert!((PORT_MIN..PORT_MAX).contains(&p));
            assert!(seen.insert(p), "port {p} handed out twice");
        }
        let r = free_port_range(10);
        for p in r..r + 10 {
            assert!(seen.insert(p));
        }
        let (a, b) = free_port_pair();
        assert_eq!(b, a + 1);
    }

    #[test]
    fn concurrent_threads_never_collide() {
        let handles: Vec<_> = (0..8)
            .map(|_| std::thread::spawn(|| free_ports(20)))
            .collect();
        let mut seen = HashSet::new();
        for h in handles {
            for p in h.join().unwrap() {
                assert!(seen.insert(p), "port {p} handed out twice");
            }
        }
    }
}
