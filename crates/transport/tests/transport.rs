//! The transports over real sockets on 127.0.0.1: UDP, TCP framing and flow
//! reuse, keep-alives, TLS with certificates made at test time, WebSocket, and
//! RFC 3263 resolution through a DNS server the test runs.

use std::net::SocketAddr;
use std::time::Duration;

use handset_harness::{DnsServer, TestCa};
use handset_transport::{
    Resolver, ResolverConfig, Target, TlsClientConfig, TlsServerConfig, TransportConfig,
    TransportEvent, TransportKind, TransportLayer,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc::Receiver;

const MSG: &[u8] = b"OPTIONS sip:a@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1;branch=z9hG4bK1\r\nContent-Length: 5\r\n\r\nhello";

fn local_cfg() -> TransportConfig {
    TransportConfig {
        udp_bind: Some("127.0.0.1:0".parse().unwrap()),
        tcp_bind: Some("127.0.0.1:0".parse().unwrap()),
        tls: TlsClientConfig {
            extra_ca_pem: vec![],
            use_system_roots: false,
        },
        network_poll: None,
        ..TransportConfig::default()
    }
}

async fn next(rx: &mut Receiver<TransportEvent>) -> TransportEvent {
    tokio::time::timeout(Duration::from_secs(5), rx.recv())
        .await
        .expect("event in time")
        .expect("channel open")
}

async fn next_message(
    rx: &mut Receiver<TransportEvent>,
) -> (Vec<u8>, SocketAddr, handset_transport::FlowId) {
    loop {
        if let TransportEvent::Message {
            data, remote, flow, ..
        } = next(rx).await
        {
            return (data, remote, flow);
        }
    }
}

#[tokio::test]
async fn udp_both_ways() {
    let (a, mut ra) = TransportLayer::new(local_cfg()).await.unwrap();
    let (b, mut rb) = TransportLayer::new(local_cfg()).await.unwrap();
    let b_addr = b.local_addr(TransportKind::Udp).unwrap();
    a.send(&Target::new(TransportKind::Udp, b_addr), MSG)
        .await
        .unwrap();
    let (data, from, _) = next_message(&mut rb).await;
    assert_eq!(data, MSG);
    b.send(
        &Target::new(TransportKind::Udp, from),
        b"SIP/2.0 200 OK\r\n\r\n",
    )
    .await
    .unwrap();
    assert_eq!(next_message(&mut ra).await.0, b"SIP/2.0 200 OK\r\n\r\n");
    // keep-alives are not messages
    a.send_keepalive_udp(b_addr).await.unwrap();
    a.send(&Target::new(TransportKind::Udp, b_addr), MSG)
        .await
        .unwrap();
    assert_eq!(next_message(&mut rb).await.0, MSG);
}

#[tokio::test]
async fn tcp_framing_reuse_flows_and_keepalive() {
    let (server, mut rs) = TransportLayer::new(local_cfg()).await.unwrap();
    let addr = server.local_addr(TransportKind::Tcp).unwrap();
    assert_eq!(
        addr.port(),
        server.local_addr(TransportKind::Udp).unwrap().port(),
        "TCP shares the UDP port"
    );
    // a raw client writes one message in pieces and two in one write
    let mut raw = tokio::net::TcpStream::connect(addr).await.unwrap();
    raw.write_all(&MSG[..20]).await.unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;
    raw.write_all(&MSG[20..]).await.unwrap();
    raw.write_all(&[MSG, MSG].concat()).await.unwrap();
    let (d1, _, flow) = next_message(&mut rs).await;
    let (d2, _, flow2) = next_message(&mut rs).await;
    let (d3, _, _) = next_message(&mut rs).await;
    assert_eq!(
        (d1.as_slice(), d2.as_slice(), d3.as_slice()),
        (MSG, MSG, MSG)
    );
    assert_eq!(flow, flow2);
    // the response goes back on the same connection
    server
        .send_on_flow(flow, b"SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n")
        .await
        .unwrap();
    let mut buf = vec![0u8; 256];
    let n = raw.read(&mut buf).await.unwrap();
    assert!(buf[..n].starts_with(b"SIP/2.0 200 OK"));
    // a ping gets a pong
    raw.write_all(b"\r\n\r\n").await.unwrap();
    let n = raw.read(&mut buf).await.unwrap();
    assert_eq!(&buf[..n], b"\r\n");
    // closing is reported
    drop(raw);
    loop {
        if let TransportEvent::FlowClosed { flow: f, .. } = next(&mut rs).await {
            assert_eq!(f, flow);
            break;
        }
    }
}

#[tokio::test]
async fn tcp_client_reuses_its_connection() {
    let (server, mut rs) = TransportLayer::new(local_cfg()).await.unwrap();
    let (client, _rc) = TransportLayer::new(local_cfg()).await.unwrap();
    let t = Target::new(
        TransportKind::Tcp,
        server.local_addr(TransportKind::Tcp).unwrap(),
    );
    let s1 = client.send(&t, MSG).await.unwrap();
    let s2 = client.send(&t, MSG).await.unwrap();
    assert!(s1.new_connection && !s2.new_connection);
    assert_eq!(s1.flow, s2.flow);
    assert_eq!(
        s1.local.ip(),
        "127.0.0.1".parse::<std::net::IpAddr>().unwrap()
    );
    next_message(&mut rs).await;
    next_message(&mut rs).await;
    // refused connections fail at once
    let dead = Target::new(
        TransportKind::Tcp,
        format!("127.0.0.1:{}", handset_harness::free_port())
            .parse()
            .unwrap(),
    );
    let e = client.send(&dead, MSG).await.unwrap_err();
    assert!(e.to_string().contains("cannot connect"), "{e}");
}

async fn tls_pair(
    cert: handset_harness::IssuedCert,
    ca: &TestCa,
) -> (
    TransportLayer,
    Receiver<TransportEvent>,
    TransportLayer,
    SocketAddr,
) {
    let mut scfg = local_cfg();
    scfg.tls_listen = Some((
        "127.0.0.1:0".parse().unwrap(),
        TlsServerConfig {
            cert_pem: cert.chain_path.clone(),
            key_pem: cert.key_path.clone(),
        },
    ));
    let (server, rs) = TransportLayer::new(scfg).await.unwrap();
    let mut ccfg = local_cfg();
    ccfg.tls.extra_ca_pem = vec![ca.ca_path().to_path_buf()];
    let (client, _) = TransportLayer::new(ccfg).await.unwrap();
    let addr = server.local_addr(TransportKind::Tls).unwrap();
    std::mem::forget(cert);
    (server, rs, client, addr)
}

#[tokio::test]
async fn tls_verified_against_the_configured_ca() {
    let ca = TestCa::new();
    let (_server, mut rs, client, addr) =
        tls_pair(ca.issue_files(&["127.0.0.1", "localhost"]), &ca).await;
    let t = Target {
        kind: TransportKind::Tls,
        addr,
        server_name: Some("127.0.0.1".into()),
        ws_path: None,
    };
    client.send(&t, MSG).await.unwrap();
    assert_eq!(next_message(&mut rs).await.0, MSG);
    // by DNS name too
    let t = Target {
        server_name: Some("localhost".into()),
        ..t
    };
    client.send(&t, MSG).await.unwrap();
}

#[tokio::test]
async fn tls_wrong_host_and_unknown_issuer_are_refused_in_words() {
    let ca = TestCa::new();
    let (_s, _rs, client, addr) = tls_pair(ca.issue_wrong_host(), &ca).await;
    let t = Target {
        kind: TransportKind::Tls,
        addr,
        server_name: Some("127.0.0.1".into()),
        ws_path: None,
    };
    let e = client.send(&t, MSG).await.unwrap_err().to_string();
    assert!(e.contains("not valid for '127.0.0.1'"), "{e}");

    let other_ca = TestCa::new();
    let (_s, _rs, client, addr) = tls_pair(other_ca.issue_files(&["127.0.0.1"]), &ca).await;
    let t = Target {
        kind: TransportKind::Tls,
        addr,
        server_name: Some("127.0.0.1".into()),
        ws_path: None,
    };
    let e = client.send(&t, MSG).await.unwrap_err().to_string();
    assert!(e.contains("unknown authority"), "{e}");
}

// the handshake callback's error type is tungstenite's, large by design
#[allow(clippy::result_large_err)]
async fn ws_server(select_sip: bool) -> (SocketAddr, tokio::task::JoinHandle<Vec<String>>) {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    let task = tokio::spawn(async move {
        let (s, _) = l.accept().await.unwrap();
        let cb = move |_req: &Request, mut resp: Response| {
            if select_sip {
                resp.headers_mut()
                    .insert("Sec-WebSocket-Protocol", "sip".parse().unwrap());
            }
            Ok(resp)
        };
        let mut got = Vec::new();
        let Ok(mut ws) = tokio_tungstenite::accept_hdr_async(s, cb).await else {
            return got;
        };
        while let Some(Ok(m)) = ws.next().await {
            if let tokio_tungstenite::tungstenite::Message::Text(t) = m {
                got.push(t.to_string());
                let _ = ws
                    .send(tokio_tungstenite::tungstenite::Message::text(
                        "SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n",
                    ))
                    .await;
            }
        }
        got
    });
    (addr, task)
}

#[tokio::test]
async fn websocket_with_sip_subprotocol() {
    let (addr, server) = ws_server(true).await;
    let (client, mut rc) = TransportLayer::new(local_cfg()).await.unwrap();
    let t = Target::new(TransportKind::Ws, addr);
    client.send(&t, MSG).await.unwrap();
    let (data, _, flow) = next_message(&mut rc).await;
    assert!(data.starts_with(b"SIP/2.0 200 OK"));
    client.close_flow(flow).await;
    let got = server.await.unwrap();
    assert_eq!(got, vec![String::from_utf8(MSG.to_vec()).unwrap()]);
}

#[tokio::test]
async fn websocket_without_sip_subprotocol_is_refused() {
    let (addr, _server) = ws_server(false).await;
    let (client, _rc) = TransportLayer::new(local_cfg()).await.unwrap();
    let e = client
        .send(&Target::new(TransportKind::Ws, addr), MSG)
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("'sip' subprotocol"), "{e}");
}

#[tokio::test]
async fn rfc3263_resolution_through_a_real_dns_server() {
    let dns = DnsServer::start();
    dns.add_naptr("pbx.test", 10, 10, "s", "SIP+D2T", "_sip._tcp.pbx.test");
    dns.add_naptr("pbx.test", 20, 10, "s", "SIP+D2U", "_sip._udp.pbx.test");
    dns.add_srv("_sip._tcp.pbx.test", 10, 0, 5070, "a.pbx.test");
    dns.add_srv("_sip._tcp.pbx.test", 20, 0, 5080, "b.pbx.test");
    dns.add_srv("_sip._udp.pbx.test", 10, 0, 5090, "a.pbx.test");
    dns.add_a("a.pbx.test", "127.0.0.2".parse().unwrap());
    dns.add_a("b.pbx.test", "127.0.0.3".parse().unwrap());
    dns.add_a("plain.test", "127.0.0.4".parse().unwrap());
    let r = Resolver::new(ResolverConfig {
        nameservers: Some(vec![dns.addr()]),
        timeout: Duration::from_secs(2),
    })
    .unwrap();
    let uri = |s: &str| match handset_sip::message::Uri::parse(s).unwrap() {
        handset_sip::message::Uri::Sip(u) => u,
        _ => unreachable!(),
    };
    let t = r.resolve(&uri("sip:pbx.test"), None).await.unwrap();
    let got: Vec<String> = t.iter().map(|t| t.to_string()).collect();
    assert_eq!(
        got,
        vec![
            "tcp:127.0.0.2:5070",
            "tcp:127.0.0.3:5080",
            "udp:127.0.0.2:5090"
        ],
        "NAPTR order, then SRV priority"
    );
    assert!(
        t.iter()
            .all(|t| t.server_name.as_deref() == Some("pbx.test")),
        "TLS checks the SIP domain"
    );
    let t = r
        .resolve(&uri("sip:pbx.test"), Some(TransportKind::Udp))
        .await
        .unwrap();
    assert_eq!(t[0].to_string(), "udp:127.0.0.2:5090");
    let t = r
        .resolve(&uri("sip:plain.test"), Some(TransportKind::Tcp))
        .await
        .unwrap();
    assert_eq!(
        t[0].to_string(),
        "tcp:127.0.0.4:5060",
        "no SRV: A record and default port"
    );
    let t = r.resolve(&uri("sip:plain.test:5099"), None).await.unwrap();
    assert_eq!(t[0].to_string(), "udp:127.0.0.4:5099");
    let t = r.resolve(&uri("sips:127.0.0.9"), None).await.unwrap();
    assert_eq!(t[0].to_string(), "tls:127.0.0.9:5061");
    let e = r
        .resolve(&uri("sip:nothing.test"), Some(TransportKind::Udp))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("nothing.test"), "{e}");
}
