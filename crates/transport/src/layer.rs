//! The transport layer: sockets, listeners and the table of open flows.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, UdpSocket as StdUdp};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::StreamExt;
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::sync::{mpsc, Mutex as AsyncMutex};
use tokio::task::JoinHandle;
use tokio_rustls::{TlsAcceptor, TlsConnector};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tracing::{debug, warn};

use crate::kind::{FlowId, Sent, Target, TransportEvent, TransportKind};
use crate::stream::{read_stream, read_ws, BoxIo, ReadEnd, ReaderCtx, Writer};
use crate::tls::{self, TlsClientConfig, TlsServerConfig};
use crate::TransportError;

/// What to open.
#[derive(Debug, Clone)]
pub struct TransportConfig {
    /// Bind a UDP socket here.
    pub udp_bind: Option<SocketAddr>,
    /// Listen for TCP here (the same port as UDP when that is 0: any free port).
    pub tcp_bind: Option<SocketAddr>,
    /// Listen for TLS here, with this certificate.
    pub tls_listen: Option<(SocketAddr, TlsServerConfig)>,
    /// Client TLS settings.
    pub tls: TlsClientConfig,
    /// Largest SIP message accepted.
    pub max_message_size: usize,
    /// How long a connect (TCP + TLS + WebSocket handshake) may take.
    pub connect_timeout: Duration,
    /// Poll the machine's addresses this often and report changes.
    pub network_poll: Option<Duration>,
}

impl Default for TransportConfig {
    fn default() -> Self {
        TransportConfig {
            udp_bind: Some(SocketAddr::from(([0, 0, 0, 0], 0))),
            tcp_bind: Some(SocketAddr::from(([0, 0, 0, 0], 0))),
            tls_listen: None,
            tls: TlsClientConfig::default(),
            max_message_size: 64 * 1024,
            connect_timeout: Duration::from_secs(5),
            network_poll: Some(Duration::from_secs(5)),
        }
    }
}

struct FlowEntry {
    kind: TransportKind,
    remote: SocketAddr,
    local: SocketAddr,
    writer: Arc<AsyncMutex<Writer>>,
    reader: Option<JoinHandle<()>>,
}

struct Inner {
    cfg: TransportConfig,
    events: mpsc::Sender<TransportEvent>,
    udp: Option<Arc<UdpSocket>>,
    tcp_local: Option<SocketAddr>,
    tls_local: Option<SocketAddr>,
    tls_client: Arc<rustls::ClientConfig>,
    flows: Mutex<HashMap<FlowId, FlowEntry>>,
    by_remote: Mutex<HashMap<(TransportKind, SocketAddr), FlowId>>,
    next_flow: AtomicU64,
    tasks: Mutex<Vec<JoinHandle<()>>>,
}

/// A handle on the transports; clones share them.
#[derive(Clone)]
pub struct TransportLayer {
    inner: Arc<Inner>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // the tables stay consistent under every panic path (single inserts/removes)
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl TransportLayer {
    /// Opens the configured sockets and returns the layer and its events.
    pub async fn new(
        cfg: TransportConfig,
    ) -> Result<(TransportLayer, mpsc::Receiver<TransportEvent>), TransportError> {
        let (events, rx) = mpsc::channel(4096);
        let tls_client = tls::client_config(&cfg.tls)?;
        let udp = match cfg.udp_bind {
            Some(addr) => Some(Arc::new(UdpSocket::bind(addr).await.map_err(|e| {
                TransportError::Bind {
                    addr,
                    reason: e.to_string(),
                }
            })?)),
            None => None,
        };
        // TCP on the UDP port when possible: one port for both is what peers expect
        let tcp = match cfg.tcp_bind {
            Some(addr) => {
                let same = match (&udp, addr.port()) {
                    (Some(u), 0) => u
                        .local_addr()
                        .ok()
                        .map(|a| SocketAddr::new(addr.ip(), a.port())),
                    _ => None,
                };
                let l = match same {
                    Some(a) => match TcpListener::bind(a).await {
                        Ok(l) => l,
                        Err(_) => {
                            TcpListener::bind(addr)
                                .await
                                .map_err(|e| TransportError::Bind {
                                    addr,
                                    reason: e.to_string(),
                                })?
                        }
                    },
                    None => TcpListener::bind(addr)
                        .await
                        .map_err(|e| TransportError::Bind {
                            addr,
                            reason: e.to_string(),
                        })?,
                };
                Some(l)
            }
            None => None,
        };
        let tls_listener = match &cfg.tls_listen {
            Some((addr, sc)) => {
                let acceptor = TlsAcceptor::from(tls::server_config(sc)?);
                let l = TcpListener::bind(addr)
                    .await
                    .map_err(|e| TransportError::Bind {
                        addr: *addr,
                        reason: e.to_string(),
                    })?;
                Some((l, acceptor))
            }
            None => None,
        };
        let inner = Arc::new(Inner {
            tcp_local: tcp.as_ref().and_then(|l| l.local_addr().ok()),
            tls_local: tls_listener.as_ref().and_then(|(l, _)| l.local_addr().ok()),
            cfg,
            events,
            udp,
            tls_client,
            flows: Mutex::new(HashMap::new()),
            by_remote: Mutex::new(HashMap::new()),
            next_flow: AtomicU64::new(1),
            tasks: Mutex::new(Vec::new()),
        });
        let layer = TransportLayer { inner };
        if let Some(sock) = layer.inner.udp.clone() {
            let t = tokio::spawn(udp_reader(
                sock,
                layer.inner.events.clone(),
                layer.inner.cfg.max_message_size,
            ));
            lock(&layer.inner.tasks).push(t);
        }
        if let Some(l) = tcp {
            let me = layer.clone();
            let t = tokio::spawn(async move {
                loop {
                    match l.accept().await {
                        Ok((s, remote)) => {
                            let _ = s.set_nodelay(true);
                            let local = s.local_addr().unwrap_or(remote);
                            me.add_stream_flow(TransportKind::Tcp, Box::new(s), local, remote);
                        }
                        Err(e) => warn!(error = %e, "TCP accept failed"),
                    }
                }
            });
            lock(&layer.inner.tasks).push(t);
        }
        if let Some((l, acceptor)) = tls_listener {
            let me = layer.clone();
            let t = tokio::spawn(async move {
                loop {
                    let Ok((s, remote)) = l.accept().await else {
                        continue;
                    };
                    let me = me.clone();
                    let acceptor = acceptor.clone();
                    tokio::spawn(async move {
                        let local = s.local_addr().unwrap_or(remote);
                        match acceptor.accept(s).await {
                            Ok(tls) => {
                                me.add_stream_flow(
                                    TransportKind::Tls,
                                    Box::new(tls),
                                    local,
                                    remote,
                                );
                            }
                            Err(e) => debug!(%remote, error = %e, "TLS accept failed"),
                        }
                    });
                }
            });
            lock(&layer.inner.tasks).push(t);
        }
        if let Some(every) = layer.inner.cfg.network_poll {
            let t = tokio::spawn(crate::netwatch::watch(every, layer.inner.events.clone()));
            lock(&layer.inner.tasks).push(t);
        }
        Ok((layer, rx))
    }

    /// The local address of a listener (UDP, TCP, TLS).
    pub fn local_addr(&self, kind: TransportKind) -> Option<SocketAddr> {
        match kind {
            TransportKind::Udp => self.inner.udp.as_ref().and_then(|u| u.local_addr().ok()),
            TransportKind::Tcp => self.inner.tcp_local,
            TransportKind::Tls => self.inner.tls_local,
            TransportKind::Ws | TransportKind::Wss => None,
        }
    }

    /// The local IP the OS would use to reach `remote` (no packet is sent).
    pub fn local_ip_towards(&self, remote: IpAddr) -> IpAddr {
        let bind: SocketAddr = match remote {
            IpAddr::V4(_) => (Ipv4Addr::UNSPECIFIED, 0).into(),
            IpAddr::V6(_) => (Ipv6Addr::UNSPECIFIED, 0).into(),
        };
        StdUdp::bind(bind)
            .and_then(|s| {
                s.connect(SocketAddr::new(remote, 9))?;
                s.local_addr()
            })
            .map(|a| a.ip())
            .unwrap_or(remote)
    }

    /// Sends one message to `target`, opening a connection if needed.
    pub async fn send(&self, target: &Target, data: &[u8]) -> Result<Sent, TransportError> {
        if target.kind == TransportKind::Udp {
            let udp = self
                .inner
                .udp
                .as_ref()
                .ok_or_else(|| TransportError::Unavailable("UDP".into()))?;
            udp.send_to(data, target.addr)
                .await
                .map_err(|e| TransportError::Send {
                    addr: target.addr,
                    reason: e.to_string(),
                })?;
            let local = udp.local_addr().map_err(|e| TransportError::Send {
                addr: target.addr,
                reason: e.to_string(),
            })?;
            return Ok(Sent {
                flow: FlowId::UDP,
                local,
                new_connection: false,
            });
        }
        let existing = lock(&self.inner.by_remote)
            .get(&(target.kind, target.addr))
            .copied();
        let (flow, new_connection) = match existing {
            Some(f) if lock(&self.inner.flows).contains_key(&f) => (f, false),
            _ => (self.connect(target).await?, true),
        };
        let (writer, local) = {
            let flows = lock(&self.inner.flows);
            let e = flows
                .get(&flow)
                .ok_or_else(|| TransportError::FlowClosed(flow.to_string()))?;
            (e.writer.clone(), e.local)
        };
        let res = writer.lock().await.send(data).await;
        if let Err(e) = res {
            self.drop_flow(flow, &format!("write failed: {e}")).await;
            return Err(TransportError::Send {
                addr: target.addr,
                reason: e.to_string(),
            });
        }
        Ok(Sent {
            flow,
            local,
            new_connection,
        })
    }

    /// Sends on a given connection (a response on the connection the request came in on).
    pub async fn send_on_flow(&self, flow: FlowId, data: &[u8]) -> Result<(), TransportError> {
        let (writer, remote) = {
            let flows = lock(&self.inner.flows);
            let e = flows
                .get(&flow)
                .ok_or_else(|| TransportError::FlowClosed(flow.to_string()))?;
            (e.writer.clone(), e.remote)
        };
        let res = writer.lock().await.send(data).await;
        if let Err(e) = res {
            self.drop_flow(flow, &format!("write failed: {e}")).await;
            return Err(TransportError::Send {
                addr: remote,
                reason: e.to_string(),
            });
        }
        Ok(())
    }

    /// Sends a keep-alive ping on a connection.
    pub async fn send_keepalive(&self, flow: FlowId) -> Result<(), TransportError> {
        let writer = lock(&self.inner.flows)
            .get(&flow)
            .map(|e| e.writer.clone())
            .ok_or_else(|| TransportError::FlowClosed(flow.to_string()))?;
        let res = writer.lock().await.ping().await;
        res.map_err(|e| TransportError::FlowClosed(format!("{flow}: {e}")))
    }

    /// Sends a CRLFCRLF keep-alive over UDP (keeps NAT bindings open).
    pub async fn send_keepalive_udp(&self, addr: SocketAddr) -> Result<(), TransportError> {
        let udp = self
            .inner
            .udp
            .as_ref()
            .ok_or_else(|| TransportError::Unavailable("UDP".into()))?;
        udp.send_to(b"\r\n\r\n", addr)
            .await
            .map(|_| ())
            .map_err(|e| TransportError::Send {
                addr,
                reason: e.to_string(),
            })
    }

    /// The open connection to `(kind, addr)`, if any.
    pub fn flow_to(&self, kind: TransportKind, addr: SocketAddr) -> Option<FlowId> {
        lock(&self.inner.by_remote).get(&(kind, addr)).copied()
    }

    /// Closes a connection.
    pub async fn close_flow(&self, flow: FlowId) {
        self.drop_flow(flow, "closed locally").await;
    }

    /// Closes everything.
    pub async fn shutdown(&self) {
        let flows: Vec<FlowId> = lock(&self.inner.flows).keys().copied().collect();
        for f in flows {
            self.drop_flow(f, "shutting down").await;
        }
        for t in lock(&self.inner.tasks).drain(..) {
            t.abort();
        }
    }

    async fn drop_flow(&self, flow: FlowId, reason: &str) {
        let entry = lock(&self.inner.flows).remove(&flow);
        if let Some(e) = entry {
            {
                let mut idx = lock(&self.inner.by_remote);
                if idx.get(&(e.kind, e.remote)) == Some(&flow) {
                    idx.remove(&(e.kind, e.remote));
                }
            }
            if let Some(r) = e.reader {
                r.abort();
            }
            e.writer.lock().await.close().await;
            let _ = self
                .inner
                .events
                .send(TransportEvent::FlowClosed {
                    flow,
                    kind: e.kind,
                    remote: e.remote,
                    reason: reason.to_string(),
                })
                .await;
        }
    }

    async fn connect(&self, target: &Target) -> Result<FlowId, TransportError> {
        let fut = self.connect_inner(target);
        match tokio::time::timeout(self.inner.cfg.connect_timeout, fut).await {
            Ok(r) => r,
            Err(_) => Err(TransportError::ConnectTimeout(target.addr)),
        }
    }

    async fn connect_inner(&self, target: &Target) -> Result<FlowId, TransportError> {
        let addr = target.addr;
        let tcp = TcpStream::connect(addr)
            .await
            .map_err(|e| TransportError::Connect {
                addr,
                reason: e.to_string(),
            })?;
        let _ = tcp.set_nodelay(true);
        let local = tcp.local_addr().map_err(|e| TransportError::Connect {
            addr,
            reason: e.to_string(),
        })?;
        let io: BoxIo = if target.kind.is_secure() {
            let name = tls::server_name(target.server_name.as_deref(), addr)?;
            let shown = target
                .server_name
                .clone()
                .unwrap_or_else(|| addr.ip().to_string());
            let connector = TlsConnector::from(self.inner.tls_client.clone());
            let s = connector
                .connect(name, tcp)
                .await
                .map_err(|e| tls::explain(addr, &shown, &e))?;
            Box::new(s)
        } else {
            Box::new(tcp)
        };
        match target.kind {
            TransportKind::Tcp | TransportKind::Tls => {
                Ok(self.add_stream_flow(target.kind, io, local, addr))
            }
            TransportKind::Ws | TransportKind::Wss => {
                let scheme = if target.kind == TransportKind::Wss {
                    "wss"
                } else {
                    "ws"
                };
                let host = target
                    .server_name
                    .clone()
                    .unwrap_or_else(|| addr.to_string());
                let path = target.ws_path.clone().unwrap_or_else(|| "/".into());
                let url = format!("{scheme}://{host}{path}");
                let mut req =
                    url.as_str()
                        .into_client_request()
                        .map_err(|e| TransportError::WebSocket {
                            addr,
                            reason: e.to_string(),
                        })?;
                req.headers_mut()
                    .insert("Sec-WebSocket-Protocol", HeaderValue::from_static("sip"));
                let (ws, resp) = tokio_tungstenite::client_async(req, io)
                    .await
                    .map_err(|e| {
                        let reason = match e.to_string() {
                            r if r.contains("SubProtocol") => {
                                format!("server did not select the 'sip' subprotocol ({r})")
                            }
                            r => r,
                        };
                        TransportError::WebSocket { addr, reason }
                    })?;
                let proto = resp
                    .headers()
                    .get("Sec-WebSocket-Protocol")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("");
                if !proto.eq_ignore_ascii_case("sip") {
                    return Err(TransportError::WebSocket {
                        addr,
                        reason: format!(
                            "server did not select the 'sip' subprotocol (got '{proto}')"
                        ),
                    });
                }
                let (sink, stream) = ws.split();
                let flow = self.register(target.kind, local, addr, Writer::Ws(sink));
                let ctx = ReaderCtx {
                    flow,
                    kind: target.kind,
                    local,
                    remote: addr,
                    max: self.inner.cfg.max_message_size,
                    events: self.inner.events.clone(),
                };
                let me = self.clone();
                let task = tokio::spawn(async move {
                    let end = read_ws(stream, &ctx).await;
                    me.reader_ended(flow, end).await;
                });
                self.set_reader(flow, task);
                Ok(flow)
            }
            TransportKind::Udp => unreachable!("UDP has no connections"),
        }
    }

    fn register(
        &self,
        kind: TransportKind,
        local: SocketAddr,
        remote: SocketAddr,
        writer: Writer,
    ) -> FlowId {
        let flow = FlowId(self.inner.next_flow.fetch_add(1, Ordering::Relaxed));
        lock(&self.inner.flows).insert(
            flow,
            FlowEntry {
                kind,
                remote,
                local,
                writer: Arc::new(AsyncMutex::new(writer)),
                reader: None,
            },
        );
        lock(&self.inner.by_remote).insert((kind, remote), flow);
        flow
    }

    fn set_reader(&self, flow: FlowId, task: JoinHandle<()>) {
        if let Some(e) = lock(&self.inner.flows).get_mut(&flow) {
            e.reader = Some(task);
        }
    }

    fn add_stream_flow(
        &self,
        kind: TransportKind,
        io: BoxIo,
        local: SocketAddr,
        remote: SocketAddr,
    ) -> FlowId {
        let (r, w) = tokio::io::split(io);
        let flow = self.register(kind, local, remote, Writer::Stream(w));
        let ctx = ReaderCtx {
            flow,
            kind,
            local,
            remote,
            max: self.inner.cfg.max_message_size,
            events: self.inner.events.clone(),
        };
        let me = self.clone();
        let task = tokio::spawn(async move {
            let pong_me = me.clone();
            let end = read_stream(r, &ctx, move || {
                let me = pong_me.clone();
                tokio::spawn(async move {
                    let w = lock(&me.inner.flows).get(&flow).map(|e| e.writer.clone());
                    if let Some(w) = w {
                        let _ = w.lock().await.pong().await;
                    }
                });
            })
            .await;
            me.reader_ended(flow, end).await;
        });
        self.set_reader(flow, task);
        flow
    }

    async fn reader_ended(&self, flow: FlowId, end: ReadEnd) {
        let reason = match end {
            ReadEnd::Eof => "closed by peer".to_string(),
            ReadEnd::Error(e) => e,
        };
        // the reader is this task: take it out so drop_flow does not abort itself
        if let Some(e) = lock(&self.inner.flows).get_mut(&flow) {
            e.reader = None;
        }
        self.drop_flow(flow, &reason).await;
    }
}

async fn udp_reader(sock: Arc<UdpSocket>, events: mpsc::Sender<TransportEvent>, max: usize) {
    let local = sock
        .local_addr()
        .unwrap_or_else(|_| SocketAddr::from(([0, 0, 0, 0], 0)));
    let mut buf = vec![0u8; max.max(1500)];
    loop {
        match sock.recv_from(&mut buf).await {
            Ok((n, remote)) => {
                let data = &buf[..n];
                // RFC 5626 keep-alives and stray CRLFs are not messages
                if data.iter().all(|b| matches!(b, b'\r' | b'\n' | 0)) {
                    continue;
                }
                let ev = TransportEvent::Message {
                    kind: TransportKind::Udp,
                    flow: FlowId::UDP,
                    local,
                    remote,
                    data: data.to_vec(),
                };
                if events.send(ev).await.is_err() {
                    return;
                }
            }
            // ICMP errors surface here on some systems; the socket stays usable
            Err(e) => debug!(error = %e, "UDP receive error"),
        }
    }
}
