//! Test harness for Handset: starts REAL SIP peers on 127.0.0.1 with free ports, waits until
//! they are ready, and stops them (on drop too, also when a test panics).
//!
//! - [`Kamailio`]: registrar/proxy with UDP, TCP, TLS, WS and WSS listeners, digest auth
//!   (MD5 or SHA-256), offline messages (msilo), presence; `registrations()` from `ul.dump`.
//! - [`Baresip`]: a second softphone, headless, driven over `ctrl_tcp` ([`BaresipCtrl`]):
//!   codecs, source signal, recording, SRTP, hold, DTMF.
//! - [`Linphone`]: linphonec on a pseudo-terminal, a third softphone.
//! - [`CallPeer`]: what every softphone under test does (dial, answer, hangup, hold, DTMF,
//!   wait for events, recording), so one test body drives any of them; [`PeerRecording`]
//!   and [`AudioMatch`] compare what a peer received with the [`TestSignal`] the far end played.
//! - [`audio`]: deterministic test signals with markers, cross-correlation with lag search,
//!   Goertzel tones, levels, marker onsets, resampling.
//! - [`Sipp`]: SIPp runs with built-in or custom scenarios, logs captured.
//! - [`DnsServer`]: in-process authoritative DNS (NAPTR/SRV/A/AAAA) for RFC 3263 tests.
//! - [`TestCa`]: a CA made at test time and server certificates (valid, wrong host,
//!   self-signed, expired).
//! - [`free_port`] and friends: ports unique across threads and test processes.
//!
//! Peers that are not installed make the test panic with
//! `peer '<name>' is not installed: run scripts/install-deps.sh` ([`require_binary`]).
//! Nothing here reads files outside the repository except the installed peers' own files
//! (Kamailio's SQL schema and modules, baresip's modules).

#![warn(missing_docs)]

pub mod audio;
pub mod baresip;
pub mod dns;
pub mod handset;
pub mod kamailio;
pub mod linphone;
pub mod peer;
pub mod ports;
pub mod process;
pub mod sipp;
pub mod tls_ca;
pub mod wav;

pub use audio::{best_alignment, Alignment, TestSignal};
pub use baresip::{Baresip, BaresipCtrl, BaresipOptions, CtrlResponse, Srtp};
pub use dns::DnsServer;
pub use handset::{Handset, HandsetOptions};
pub use kamailio::{Binding, DigestAlgorithm, Kamailio, KamailioOptions, TlsCert};
pub use linphone::{Linphone, LinphoneOptions};
pub use peer::{AudioMatch, CallPeer, PeerRecording};
pub use ports::{free_port, free_port_pair, free_port_range, free_ports};
pub use process::{require_binary, wait_until, LogCapture, PeerProcess};
pub use sipp::{Scenario, Sipp, SippOptions, SippRun, SippTransport};
pub use tls_ca::{IssuedCert, TestCa};

/// A SIP transport.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Transport {
    /// SIP over UDP.
    Udp,
    /// SIP over TCP.
    Tcp,
    /// SIP over TLS.
    Tls,
    /// SIP over WebSocket (RFC 7118).
    Ws,
    /// SIP over secure WebSocket.
    Wss,
}

impl Transport {
    /// Lower-case name as in a `transport=` URI parameter: `udp`, `tcp`, `tls`, `ws`, `wss`.
    pub fn as_str(self) -> &'static str {
        match self {
            Transport::Udp => "udp",
            Transport::Tcp => "tcp",
            Transport::Tls => "tls",
            Transport::Ws => "ws",
            Transport::Wss => "wss",
        }
    }

    /// All five transports.
    pub const ALL: [Transport; 5] = [
        Transport::Udp,
        Transport::Tcp,
        Transport::Tls,
        Transport::Ws,
        Transport::Wss,
    ];
}

impl std::fmt::Display for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
