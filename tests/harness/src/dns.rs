//! An in-process authoritative DNS server (hickory-server) for RFC 3263 tests.
//!
//! It listens on 127.0.0.1:<free port> over UDP and TCP and runs on its own thread with its
//! own tokio runtime, so sync tests and `#[tokio::test]`s can both use it. It is authoritative
//! for the root zone: every name the test did not add gets NXDOMAIN (with an SOA), a name
//! that exists but lacks the asked type gets NOERROR with no answer (NODATA).
//!
//! ```no_run
//! use handset_harness::DnsServer;
//! let dns = DnsServer::start();
//! dns.add_naptr("example.test", 10, 10, "s", "SIP+D2T", "_sip._tcp.example.test");
//! dns.add_srv("_sip._tcp.example.test", 10, 10, 5070, "pbx.example.test");
//! dns.add_a("pbx.example.test", "127.0.0.1".parse().unwrap());
//! // point the resolver under test at dns.addr()
//! ```
//! Records can be added and removed while it runs. The default TTL is 5 s ([`DnsServer::set_ttl`]).

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::str::FromStr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{mpsc, Arc};
use std::time::Duration;

use hickory_proto::rr::rdata::{CNAME, NAPTR, SOA, SRV, TXT};
use hickory_proto::rr::{LowerName, Name, RData, Record, RecordType};
use hickory_server::authority::{Catalog, ZoneType};
use hickory_server::store::in_memory::InMemoryAuthority;
use hickory_server::ServerFuture;

use crate::ports::free_port;

/// A running DNS server; stopped on drop.
pub struct DnsServer {
    addr: SocketAddr,
    authority: Arc<InMemoryAuthority>,
    handle: tokio::runtime::Handle,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
    ttl: AtomicU32,
    serial: AtomicU32,
}

impl std::fmt::Debug for DnsServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DnsServer")
            .field("addr", &self.addr)
            .finish()
    }
}

/// Parses `name` as an absolute DNS name (a trailing dot is optional).
fn fqdn(name: &str) -> Name {
    let mut n = Name::from_str(name).unwrap_or_else(|e| panic!("bad DNS name {name:?}: {e}"));
    n.set_fqdn(true);
    n
}

impl DnsServer {
    /// Starts the server on 127.0.0.1:<free port> (UDP and TCP) and returns once it listens.
    ///
    /// # Panics
    /// When the sockets cannot be bound or the runtime cannot start.
    pub fn start() -> DnsServer {
        let port = free_port();
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        let root = Name::root();
        let mut authority = InMemoryAuthority::empty(root.clone(), ZoneType::Primary, false);
        let soa = SOA::new(
            fqdn("ns.harness.test"),
            fqdn("hostmaster.harness.test"),
            1,
            3600,
            600,
            86400,
            1,
        );
        authority.upsert_mut(Record::from_rdata(root.clone(), 1, RData::SOA(soa)), 1);
        let authority = Arc::new(authority);
        let mut catalog = Catalog::new();
        catalog.upsert(LowerName::new(&root), vec![authority.clone()]);

        let (ready_tx, ready_rx) = mpsc::channel();
        let (shutdown_tx, shutdown_rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name(format!("harness-dns-{port}"))
            .spawn(move || {
                let rt = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt,
                    Err(e) => {
                        let _ = ready_tx.send(Err(format!("tokio runtime: {e}")));
                        return;
                    }
                };
                let handle = rt.handle().clone();
                rt.block_on(async move {
                    let udp = match tokio::net::UdpSocket::bind(addr).await {
                        Ok(s) => s,
                        Err(e) => {
                            let _ = ready_tx.send(Err(format!("bind udp {addr}: {e}")));
                            return;
                        }
                    };
                    let tcp = match tokio::net::TcpListener::bind(addr).await {
                        Ok(s) => s,
                        Err(e) => {
                            let _ = ready_tx.send(Err(format!("bind tcp {addr}: {e}")));
                            return;
                        }
                    };
                    let mut server = ServerFuture::new(catalog);
                    server.register_socket(udp);
                    server.register_listener(tcp, Duration::from_secs(5));
                    let _ = ready_tx.send(Ok(handle));
                    let _ = shutdown_rx.await;
                    let _ = server.shutdown_gracefully().await;
                });
            })
            .expect("spawn DNS thread");
        let handle = match ready_rx.recv() {
            Ok(Ok(h)) => h,
            Ok(Err(e)) => panic!("DNS server did not start: {e}"),
            Err(_) => panic!("DNS server thread died during start"),
        };
        DnsServer {
            addr,
            authority,
            handle,
            shutdown: Some(shutdown_tx),
            thread: Some(thread),
            ttl: AtomicU32::new(5),
            serial: AtomicU32::new(2),
        }
    }

    /// The address it answers on (UDP and TCP).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// TTL of records added from now on (seconds; default 5).
    pub fn set_ttl(&self, ttl: u32) {
        self.ttl.store(ttl, Ordering::Relaxed);
    }

    /// Runs `f` on the server's runtime and waits for it (works from sync and async code).
    fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(
                Arc<InMemoryAuthority>,
            ) -> std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send>>
            + Send
            + 'static,
    ) -> T {
        let (tx, rx) = mpsc::channel();
        let auth = self.authority.clone();
        self.handle.spawn(async move {
            let _ = tx.send(f(auth).await);
        });
        rx.recv().expect("DNS server runtime stopped")
    }

    /// Adds a record with the current TTL.
    pub fn add_record(&self, name: &str, rdata: RData) {
        let record = Record::from_rdata(fqdn(name), self.ttl.load(Ordering::Relaxed), rdata);
        let serial = self.serial.fetch_add(1, Ordering::Relaxed);
        let ok = self.run(move |auth| Box::pin(async move { auth.upsert(record, serial).await }));
        assert!(ok, "DNS server refused record for {name}");
    }

    /// Adds a NAPTR record: `flags` usually `"s"`, `service` one of `SIP+D2U`, `SIP+D2T`,
    /// `SIPS+D2T`, `SIP+D2W`, `SIPS+D2W`; `replacement` the SRV name (e.g. `_sip._udp.example.test`).
    pub fn add_naptr(
        &self,
        domain: &str,
        order: u16,
        preference: u16,
        flags: &str,
        service: &str,
        replacement: &str,
    ) {
        let rdata = NAPTR::new(
            order,
            preference,
            flags.as_bytes().into(),
            service.as_bytes().into(),
            Box::default(),
            fqdn(replacement),
        );
        self.add_record(domain, RData::NAPTR(rdata));
    }

    /// Adds an SRV record `name` (e.g. `_sip._tcp.example.test`) → `target:port`.
    pub fn add_srv(&self, name: &str, priority: u16, weight: u16, port: u16, target: &str) {
        self.add_record(
            name,
            RData::SRV(SRV::new(priority, weight, port, fqdn(target))),
        );
    }

    /// Adds an A record.
    pub fn add_a(&self, name: &str, ip: Ipv4Addr) {
        self.add_record(name, RData::A(ip.into()));
    }

    /// Adds an AAAA record.
    pub fn add_aaaa(&self, name: &str, ip: Ipv6Addr) {
        self.add_record(name, RData::AAAA(ip.into()));
    }

    /// Adds a CNAME record `name` → `target`.
    pub fn add_cname(&self, name: &str, target: &str) {
        self.add_record(name, RData::CNAME(CNAME(fqdn(target))));
    }

    /// Adds a TXT record.
    pub fn add_txt(&self, name: &str, text: &str) {
        self.add_record(name, RData::TXT(TXT::new(vec![text.to_string()])));
    }

    /// Removes every record of `name` of type `rtype` (all types when `None`); the name then
    /// answers NXDOMAIN if nothing is left.
    pub fn remove(&self, name: &str, rtype: Option<RecordType>) {
        let lower = LowerName::new(&fqdn(name));
        self.run(move |auth| {
            Box::pin(async move {
                let mut records = auth.records_mut().await;
                let keep: BTreeMap<_, _> = std::mem::take(&mut *records)
                    .into_iter()
                    .filter(|(k, _)| !(k.name == lower && rtype.is_none_or(|t| t == k.record_type)))
                    .collect();
                *records = keep;
            })
        });
    }
}

impl Drop for DnsServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
