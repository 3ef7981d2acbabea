//! A minimal SIP client for the harness self-tests: just enough to REGISTER with digest
//! auth (MD5/SHA-256) and exchange requests over UDP, TCP, TLS, WS and WSS. Handset's own SIP
//! stack is not used here on purpose: these tests prove the peers, not Handset.

#![allow(dead_code)]

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use handset_harness::{TestCa, Transport};
use md5::{Digest as _, Md5};
use sha2::Sha256;

/// A fresh token for branches, tags and Call-IDs.
pub fn token() -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    let t = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!(
        "{:x}{:x}{}",
        t,
        N.fetch_add(1, Ordering::Relaxed),
        std::process::id()
    )
}

/// rustls client config trusting only `ca`.
pub fn tls_config(ca: &TestCa) -> Arc<rustls::ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(rustls::pki_types::CertificateDer::from(ca.ca_der()))
        .unwrap();
    Arc::new(
        rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth(),
    )
}

/// Opens a TLS connection to `addr` for server name `name`, verifying against `ca`; the
/// handshake is completed (so certificate errors surface here).
pub fn tls_connect(
    addr: SocketAddr,
    name: &str,
    ca: &TestCa,
) -> io::Result<rustls::StreamOwned<rustls::ClientConnection, TcpStream>> {
    let tcp = TcpStream::connect_timeout(&addr, Duration::from_secs(2))?;
    tcp.set_read_timeout(Some(Duration::from_secs(3)))?;
    let server_name = rustls::pki_types::ServerName::try_from(name.to_string())
        .map_err(|e| io::Error::other(e.to_string()))?;
    let conn = rustls::ClientConnection::new(tls_config(ca), server_name)
        .map_err(|e| io::Error::other(e.to_string()))?;
    let mut s = rustls::StreamOwned::new(conn, tcp);
    while s.conn.is_handshaking() {
        s.conn.complete_io(&mut s.sock)?;
    }
    Ok(s)
}

type WsStream<S> = tungstenite::WebSocket<S>;

enum Conn {
    Udp(UdpSocket, SocketAddr),
    Tcp(TcpStream, Vec<u8>),
    Tls(
        Box<rustls::StreamOwned<rustls::ClientConnection, TcpStream>>,
        Vec<u8>,
    ),
    Ws(Box<WsStream<TcpStream>>),
    Wss(Box<WsStream<rustls::StreamOwned<rustls::ClientConnection, TcpStream>>>),
}

/// One client connection/socket to a SIP server.
pub struct SipClient {
    conn: Conn,
    /// Transport used.
    pub transport: Transport,
    /// Host:port for Via/Contact (`xyz.invalid` for WS).
    pub local: String,
}

fn ws_request(url: &str) -> tungstenite::handshake::client::Request {
    use tungstenite::client::IntoClientRequest;
    let mut req = url.into_client_request().unwrap();
    req.headers_mut()
        .insert("Sec-WebSocket-Protocol", "sip".parse().unwrap());
    req
}

impl SipClient {
    /// Connects to `server` over `transport` (`ca` for TLS/WSS, `url` for WS/WSS).
    pub fn connect(transport: Transport, server: SocketAddr, ca: &TestCa) -> SipClient {
        match transport {
            Transport::Udp => {
                let s = UdpSocket::bind("127.0.0.1:0").unwrap();
                let local = s.local_addr().unwrap().to_string();
                SipClient {
                    conn: Conn::Udp(s, server),
                    transport,
                    local,
                }
            }
            Transport::Tcp => {
                let s = TcpStream::connect_timeout(&server, Duration::from_secs(2)).unwrap();
                let local = s.local_addr().unwrap().to_string();
                SipClient {
                    conn: Conn::Tcp(s, Vec::new()),
                    transport,
                    local,
                }
            }
            Transport::Tls => {
                let s = tls_connect(server, "127.0.0.1", ca).expect("TLS handshake");
                let local = s.sock.local_addr().unwrap().to_string();
                SipClient {
                    conn: Conn::Tls(Box::new(s), Vec::new()),
                    transport,
                    local,
                }
            }
            Transport::Ws => {
                let tcp = TcpStream::connect_timeout(&server, Duration::from_secs(2)).unwrap();
                let url = format!("ws://{server}/");
                let (ws, resp) = tungstenite::client::client(ws_request(&url), tcp)
                    .expect("WebSocket handshake");
                assert_eq!(
                    resp.headers()
                        .get("Sec-WebSocket-Protocol")
                        .map(|v| v.to_str().unwrap()),
                    Some("sip")
                );
                SipClient {
                    conn: Conn::Ws(Box::new(ws)),
                    transport,
                    local: format!("{}.invalid", &token()[..10]),
                }
            }
            Transport::Wss => {
                let tls = tls_connect(server, "127.0.0.1", ca).expect("TLS handshake");
                let url = format!("wss://{server}/");
                let (ws, _) = tungstenite::client::client(ws_request(&url), tls)
                    .expect("WebSocket handshake");
                SipClient {
                    conn: Conn::Wss(Box::new(ws)),
                    transport,
                    local: format!("{}.invalid", &token()[..10]),
                }
            }
        }
    }

    /// Via transport token.
    pub fn via_transport(&self) -> &'static str {
        match self.transport {
            Transport::Udp => "UDP",
            Transport::Tcp => "TCP",
            Transport::Tls => "TLS",
            Transport::Ws => "WS",
            Transport::Wss => "WSS",
        }
    }

    /// Sends one message.
    pub fn send(&mut self, msg: &str) {
        match &mut self.conn {
            Conn::Udp(s, to) => {
                s.send_to(msg.as_bytes(), *to).unwrap();
            }
            Conn::Tcp(s, _) => s.write_all(msg.as_bytes()).unwrap(),
            Conn::Tls(s, _) => {
                s.write_all(msg.as_bytes()).unwrap();
                s.flush().unwrap();
            }
            Conn::Ws(ws) => ws
                .send(tungstenite::Message::text(msg.to_string()))
                .unwrap(),
            Conn::Wss(ws) => ws
                .send(tungstenite::Message::text(msg.to_string()))
                .unwrap(),
        }
    }

    /// Receives one message within `timeout`.
    pub fn recv(&mut self, timeout: Duration) -> Option<String> {
        let deadline = Instant::now() + timeout;
        match &mut self.conn {
            Conn::Udp(s, _) => {
                s.set_read_timeout(Some(timeout)).unwrap();
                let mut buf = vec![0u8; 65535];
                let (n, _) = s.recv_from(&mut buf).ok()?;
                Some(String::from_utf8_lossy(&buf[..n]).into_owned())
            }
            Conn::Tcp(s, buf) => {
                s.set_read_timeout(Some(Duration::from_millis(100)))
                    .unwrap();
                read_framed(s, buf, deadline)
            }
            Conn::Tls(s, buf) => {
                s.sock
                    .set_read_timeout(Some(Duration::from_millis(100)))
                    .unwrap();
                read_framed(s.as_mut(), buf, deadline)
            }
            Conn::Ws(ws) => {
                ws.get_mut()
                    .set_read_timeout(Some(Duration::from_millis(100)))
                    .unwrap();
                read_ws(ws.as_mut(), deadline)
            }
            Conn::Wss(ws) => {
                ws.get_mut()
                    .sock
                    .set_read_timeout(Some(Duration::from_millis(100)))
                    .unwrap();
                read_ws(ws.as_mut(), deadline)
            }
        }
    }

    /// Receives messages until one satisfies `pred` (others, e.g. 100 Trying, are skipped).
    pub fn recv_until(
        &mut self,
        timeout: Duration,
        mut pred: impl FnMut(&str) -> bool,
    ) -> Option<String> {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return None;
            }
            let m = self.recv(left)?;
            if pred(&m) {
                return Some(m);
            }
        }
    }

    /// REGISTERs `user` at `domain` with `password` (answering one challenge) and returns the
    /// final response.
    pub fn register(&mut self, user: &str, password: &str, domain: &str, expires: u32) -> String {
        let call_id = token();
        let tag = token();
        let contact = match self.transport {
            Transport::Udp | Transport::Tcp | Transport::Tls => format!(
                "<sip:{user}@{};transport={}>",
                self.local,
                self.transport.as_str()
            ),
            Transport::Ws | Transport::Wss => format!(
                "<sip:{user}@{};transport={}>",
                self.local,
                self.transport.as_str()
            ),
        };
        let mut auth: Option<String> = None;
        for cseq in 1..=3 {
            let mut msg = format!(
                "REGISTER sip:{domain} SIP/2.0\r\n\
                 Via: SIP/2.0/{} {};rport;branch=z9hG4bK{}\r\n\
                 Max-Forwards: 70\r\n\
                 From: <sip:{user}@{domain}>;tag={tag}\r\n\
                 To: <sip:{user}@{domain}>\r\n\
                 Call-ID: {call_id}\r\n\
                 CSeq: {cseq} REGISTER\r\n\
                 Contact: {contact}\r\n\
                 Expires: {expires}\r\n\
                 User-Agent: harness-selftest\r\n",
                self.via_transport(),
                self.local,
                token()
            );
            if let Some(a) = &auth {
                msg.push_str(&format!("Authorization: {a}\r\n"));
            }
            msg.push_str("Content-Length: 0\r\n\r\n");
            self.send(&msg);
            let resp = self
                .recv_until(Duration::from_secs(3), |m| {
                    m.starts_with("SIP/2.0") && status(m) >= 200
                })
                .expect("no final response to REGISTER");
            if status(&resp) == 401 && auth.is_none() {
                let ch = Challenge::parse(&resp, "WWW-Authenticate").expect("challenge");
                auth = Some(ch.authorization(user, password, "REGISTER", &format!("sip:{domain}")));
                continue;
            }
            return resp;
        }
        unreachable!()
    }

    /// Replies to request `req` with `code reason` (copies Via/From/To/Call-ID/CSeq, adds a
    /// To tag).
    pub fn reply(&mut self, req: &str, code: u16, reason: &str) {
        let mut out = format!("SIP/2.0 {code} {reason}\r\n");
        for line in req.split("\r\n").skip(1) {
            let lower = line.to_ascii_lowercase();
            if lower.starts_with("via:")
                || lower.starts_with("v:")
                || lower.starts_with("from:")
                || lower.starts_with("f:")
                || lower.starts_with("call-id:")
                || lower.starts_with("i:")
                || lower.starts_with("cseq:")
            {
                out.push_str(line);
                out.push_str("\r\n");
            } else if lower.starts_with("to:") || lower.starts_with("t:") {
                out.push_str(line);
                if !lower.contains("tag=") {
                    out.push_str(&format!(";tag={}", token()));
                }
                out.push_str("\r\n");
            }
        }
        out.push_str("Content-Length: 0\r\n\r\n");
        self.send(&out);
    }
}

fn header_end(buf: &[u8]) -> Option<usize> {
    buf.windows(4).position(|w| w == b"\r\n\r\n").map(|p| p + 4)
}

fn content_length(head: &str) -> usize {
    head.split("\r\n")
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            let k = k.trim().to_ascii_lowercase();
            (k == "content-length" || k == "l").then(|| v.trim().parse().ok())?
        })
        .unwrap_or(0)
}

fn read_framed(s: &mut impl Read, buf: &mut Vec<u8>, deadline: Instant) -> Option<String> {
    loop {
        // skip CRLF keep-alives
        while buf.starts_with(b"\r\n") {
            buf.drain(..2);
        }
        if let Some(h) = header_end(buf) {
            let head = String::from_utf8_lossy(&buf[..h]).into_owned();
            let total = h + content_length(&head);
            if buf.len() >= total {
                let msg = String::from_utf8_lossy(&buf[..total]).into_owned();
                buf.drain(..total);
                return Some(msg);
            }
        }
        if Instant::now() >= deadline {
            return None;
        }
        let mut chunk = [0u8; 8192];
        match s.read(&mut chunk) {
            Ok(0) => return None,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e)
                if e.kind() == io::ErrorKind::WouldBlock || e.kind() == io::ErrorKind::TimedOut => {
            }
            Err(_) => return None,
        }
    }
}

fn read_ws<S: Read + Write>(ws: &mut WsStream<S>, deadline: Instant) -> Option<String> {
    loop {
        match ws.read() {
            Ok(tungstenite::Message::Text(t)) => return Some(t.to_string()),
            Ok(tungstenite::Message::Binary(b)) => {
                return Some(String::from_utf8_lossy(&b).into_owned())
            }
            Ok(_) => {}
            Err(tungstenite::Error::Io(e))
                if e.kind() == io::ErrorKind::WouldBlock || e.kind() == io::ErrorKind::TimedOut => {
            }
            Err(_) => return None,
        }
        if Instant::now() >= deadline {
            return None;
        }
    }
}

/// Status code of a response (0 for a request).
pub fn status(msg: &str) -> u16 {
    msg.strip_prefix("SIP/2.0 ")
        .and_then(|r| r.get(..3))
        .and_then(|c| c.parse().ok())
        .unwrap_or(0)
}

/// A digest challenge.
#[derive(Debug)]
pub struct Challenge {
    pub realm: String,
    pub nonce: String,
    pub algorithm: String,
    pub qop: Option<String>,
    pub opaque: Option<String>,
}

impl Challenge {
    /// Parses header `name` (WWW-Authenticate or Proxy-Authenticate) of `msg`.
    pub fn parse(msg: &str, name: &str) -> Option<Challenge> {
        let prefix = format!("{}:", name.to_ascii_lowercase());
        let line = msg
            .split("\r\n")
            .find(|l| l.to_ascii_lowercase().starts_with(&prefix))?;
        let v = line[prefix.len()..].trim();
        let v = v.strip_prefix("Digest").unwrap_or(v);
        let mut ch = Challenge {
            realm: String::new(),
            nonce: String::new(),
            algorithm: "MD5".into(),
            qop: None,
            opaque: None,
        };
        for part in v.split(',') {
            let Some((k, val)) = part.trim().split_once('=') else {
                continue;
            };
            let val = val.trim().trim_matches('"').to_string();
            match k.trim().to_ascii_lowercase().as_str() {
                "realm" => ch.realm = val,
                "nonce" => ch.nonce = val,
                "algorithm" => ch.algorithm = val,
                "qop" => ch.qop = Some(val),
                "opaque" => ch.opaque = Some(val),
                _ => {}
            }
        }
        Some(ch)
    }

    fn hash(&self, s: &str) -> String {
        if self.algorithm.eq_ignore_ascii_case("SHA-256") {
            hex::encode(Sha256::digest(s.as_bytes()))
        } else {
            hex::encode(Md5::digest(s.as_bytes()))
        }
    }

    /// The Authorization header value (RFC 2617/7616; qop=auth when offered).
    pub fn authorization(&self, user: &str, password: &str, method: &str, uri: &str) -> String {
        let ha1 = self.hash(&format!("{user}:{}:{password}", self.realm));
        let ha2 = self.hash(&format!("{method}:{uri}"));
        let mut out = format!(
            "Digest username=\"{user}\", realm=\"{}\", nonce=\"{}\", uri=\"{uri}\", algorithm={}",
            self.realm, self.nonce, self.algorithm
        );
        let response = if self.qop.as_deref().is_some_and(|q| q.contains("auth")) {
            let cnonce = token();
            let nc = "00000001";
            out.push_str(&format!(", qop=auth, nc={nc}, cnonce=\"{cnonce}\""));
            self.hash(&format!("{ha1}:{}:{nc}:{cnonce}:auth:{ha2}", self.nonce))
        } else {
            self.hash(&format!("{ha1}:{}:{ha2}", self.nonce))
        };
        out.push_str(&format!(", response=\"{response}\""));
        if let Some(o) = &self.opaque {
            out.push_str(&format!(", opaque=\"{o}\""));
        }
        out
    }
}
