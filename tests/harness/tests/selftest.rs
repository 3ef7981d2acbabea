//! Self-tests of handset-harness against the real peers (Kamailio, baresip, SIPp) and the
//! in-process DNS server. Run: `cargo test -p handset-harness -- --test-threads=2`.

mod common;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::{Duration, Instant};

use common::{status, tls_connect, Challenge, SipClient};
use handset_harness::kamailio::check_config;
use handset_harness::{
    require_binary, Baresip, BaresipOptions, CallPeer, DigestAlgorithm, DnsServer, Kamailio,
    KamailioOptions, Linphone, LinphoneOptions, Sipp, SippOptions, TestCa, TestSignal, TlsCert,
    Transport,
};

const T: Duration = Duration::from_secs(5);

/// Prints how long a test took (visible with `--nocapture` or when it fails).
struct Timer(&'static str, Instant);
impl Timer {
    fn new(name: &'static str) -> Timer {
        Timer(name, Instant::now())
    }
}
impl Drop for Timer {
    fn drop(&mut self) {
        eprintln!("[selftest] {} took {:.2?}", self.0, self.1.elapsed());
    }
}

#[test]
#[should_panic(
    expected = "peer 'handset-no-such-peer' is not installed: run scripts/install-deps.sh"
)]
fn missing_peer_panics_with_install_hint() {
    require_binary("handset-no-such-peer");
}

#[test]
fn kamailio_configs_pass_kamailio_check() {
    let _t = Timer::new("kamailio_configs_pass_kamailio_check");
    for algorithm in [DigestAlgorithm::Md5, DigestAlgorithm::Sha256] {
        let kam = Kamailio::start(KamailioOptions {
            algorithm,
            ..KamailioOptions::default()
        });
        check_config(kam.config_path()).unwrap_or_else(|e| panic!("{algorithm:?}: {e:#}"));
    }
}

/// Kamailio listens on UDP, TCP, TLS, WS and WSS; a client registers over each and
/// `registrations()` reports the binding with the right transport.
#[test]
fn kamailio_registers_over_udp_tcp_tls_ws_wss() {
    let _t = Timer::new("kamailio_registers_over_udp_tcp_tls_ws_wss");
    let kam = Kamailio::start(KamailioOptions::default());
    let mut clients = Vec::new();
    for (i, t) in Transport::ALL.into_iter().enumerate() {
        let user = (101 + i).to_string();
        let mut c = SipClient::connect(t, kam.addr(t), kam.ca());
        let resp = c.register(&user, &format!("pw{user}"), kam.domain(), 300);
        assert_eq!(
            status(&resp),
            200,
            "REGISTER over {t}: {resp}\n{}",
            kam.log_report(40)
        );
        let b = kam.wait_registered(&user, T);
        assert_eq!(b.transport.as_deref(), Some(t.as_str()), "{b:?}");
        assert!(b.expires.is_some_and(|e| e > 250 && e <= 300), "{b:?}");
        assert_eq!(b.user_agent.as_deref(), Some("harness-selftest"));
        clients.push(c);
    }
    assert_eq!(kam.registrations().len(), 5, "{:#?}", kam.registrations());
    // a wrong password is refused (403 after the challenge is answered)
    let mut c = SipClient::connect(Transport::Udp, kam.udp_addr(), kam.ca());
    let resp = c.register("101", "wrong", kam.domain(), 60);
    assert!(matches!(status(&resp), 401 | 403), "{resp}");
}

/// TLS listener presents a CA-signed certificate for 127.0.0.1/localhost; with
/// `TlsCert::WrongHost` or `TlsCert::SelfSigned` a verifying client refuses it.
#[test]
fn kamailio_tls_certificates_valid_wrong_host_self_signed() {
    let _t = Timer::new("kamailio_tls_certificates_valid_wrong_host_self_signed");
    let ca = std::sync::Arc::new(TestCa::new());
    let start = |tls_cert| {
        Kamailio::start(KamailioOptions {
            tls_cert,
            ca: Some(ca.clone()),
            ..KamailioOptions::default()
        })
    };
    let good = start(TlsCert::Valid);
    for name in ["127.0.0.1", "localhost"] {
        tls_connect(good.tls_addr(), name, &ca).unwrap_or_else(|e| panic!("{name}: {e}"));
        tls_connect(good.wss_addr(), name, &ca).unwrap_or_else(|e| panic!("wss {name}: {e}"));
    }
    let wrong = start(TlsCert::WrongHost);
    let err = tls_connect(wrong.tls_addr(), "127.0.0.1", &ca).expect_err("wrong host accepted");
    assert!(
        err.to_string().contains("not valid for name"),
        "unexpected error: {err}"
    );
    tls_connect(wrong.tls_addr(), "wrong.example", &ca).expect("valid for wrong.example");
    let rogue = start(TlsCert::SelfSigned);
    let err = tls_connect(rogue.tls_addr(), "127.0.0.1", &ca).expect_err("self-signed accepted");
    assert!(
        err.to_string().to_lowercase().contains("unknownissuer")
            || err.to_string().to_lowercase().contains("unknown issuer"),
        "unexpected error: {err}"
    );
    let expired = start(TlsCert::Expired);
    let err = tls_connect(expired.tls_addr(), "127.0.0.1", &ca).expect_err("expired accepted");
    assert!(
        err.to_string().to_lowercase().contains("expired"),
        "unexpected error: {err}"
    );
}

/// `DigestAlgorithm::Sha256` makes Kamailio challenge with algorithm=SHA-256 and accept a
/// SHA-256 response computed from the plain password.
#[test]
fn kamailio_sha256_digest() {
    let _t = Timer::new("kamailio_sha256_digest");
    let kam = Kamailio::start(KamailioOptions {
        algorithm: DigestAlgorithm::Sha256,
        ..KamailioOptions::default()
    });
    let mut c = SipClient::connect(Transport::Udp, kam.udp_addr(), kam.ca());
    // look at the challenge first
    c.send(&format!(
        "REGISTER sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP {};rport;branch=z9hG4bK{}\r\nFrom: <sip:102@127.0.0.1>;tag=1\r\nTo: <sip:102@127.0.0.1>\r\nCall-ID: {}\r\nCSeq: 1 REGISTER\r\nContact: <sip:102@{}>\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n",
        c.local,
        common::token(),
        common::token(),
        c.local
    ));
    let resp = c.recv(T).expect("challenge");
    assert_eq!(status(&resp), 401, "{resp}");
    let ch = Challenge::parse(&resp, "WWW-Authenticate").unwrap();
    assert_eq!(ch.algorithm, "SHA-256", "{resp}");
    let resp = c.register("102", "pw102", kam.domain(), 60);
    assert_eq!(status(&resp), 200, "{resp}\n{}", kam.log_report(30));
    kam.wait_registered("102", T);
    // a user added while Kamailio runs can register at once
    kam.add_user("201", "pw201");
    let resp = c.register("201", "pw201", kam.domain(), 60);
    assert_eq!(status(&resp), 200, "{resp}");
}

/// A WS-registered user gets MESSAGE and INVITE over its own WebSocket connection (nathelper:
/// fix_nated_register + lookup's $du), and so does a WSS-registered one.
#[test]
fn ws_and_wss_users_get_requests_over_their_connection() {
    let _t = Timer::new("ws_and_wss_users_get_requests_over_their_connection");
    let kam = Kamailio::start(KamailioOptions::default());
    let mut ws = SipClient::connect(Transport::Ws, kam.ws_addr(), kam.ca());
    assert_eq!(status(&ws.register("104", "pw104", kam.domain(), 300)), 200);
    let mut wss = SipClient::connect(Transport::Wss, kam.wss_addr(), kam.ca());
    assert_eq!(
        status(&wss.register("105", "pw105", kam.domain(), 300)),
        200
    );
    let b = kam.wait_registered("104", T);
    assert!(
        b.received
            .as_deref()
            .is_some_and(|r| r.contains("transport=ws")),
        "{b:?}"
    );

    // MESSAGE from a foreign domain (not challenged) over UDP
    let mut sender = SipClient::connect(Transport::Udp, kam.udp_addr(), kam.ca());
    for (user, client) in [("104", &mut ws), ("105", &mut wss)] {
        let text = format!("hello {user}");
        sender.send(&format!(
            "MESSAGE sip:{user}@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP {};rport;branch=z9hG4bK{}\r\nFrom: <sip:tester@elsewhere.example>;tag={}\r\nTo: <sip:{user}@127.0.0.1>\r\nCall-ID: {}\r\nCSeq: 1 MESSAGE\r\nMax-Forwards: 70\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\r\n{text}",
            sender.local,
            common::token(),
            common::token(),
            common::token(),
            text.len()
        ));
        let got = client
            .recv_until(T, |m| m.starts_with("MESSAGE "))
            .unwrap_or_else(|| panic!("{user}: no MESSAGE over WS\n{}", kam.log_report(40)));
        assert!(got.ends_with(&text), "{got}");
        client.reply(&got, 200, "OK");
        let resp = sender
            .recv_until(T, |m| status(m) >= 200)
            .expect("final response to MESSAGE");
        assert_eq!(status(&resp), 200, "{resp}");
    }

    // INVITE from baresip (UDP) reaches the WS user; it refuses with 486
    let alice = Baresip::start(BaresipOptions::for_kamailio(
        &kam,
        "101",
        "pw101",
        Transport::Udp,
    ));
    let mut ctrl = alice.ctrl().unwrap();
    assert!(ctrl.dial("sip:104@127.0.0.1").unwrap().ok);
    let invite = ws
        .recv_until(T, |m| m.starts_with("INVITE "))
        .unwrap_or_else(|| panic!("no INVITE over WS\n{}", kam.log_report(40)));
    assert!(invite.contains("Record-Route:"), "{invite}");
    ws.reply(&invite, 486, "Busy Here");
    let closed = ctrl.wait_event("CALL_CLOSED", T).unwrap();
    assert!(closed.to_string().contains("486"), "{closed}");
}

/// baresip registers to Kamailio over UDP, TCP and TLS (trusting the test CA).
#[test]
fn baresip_registers_over_udp_tcp_tls() {
    let _t = Timer::new("baresip_registers_over_udp_tcp_tls");
    let kam = Kamailio::start(KamailioOptions::default());
    let mut phones = Vec::new();
    for (user, t) in [
        ("101", Transport::Udp),
        ("102", Transport::Tcp),
        ("103", Transport::Tls),
    ] {
        phones.push(Baresip::start(BaresipOptions::for_kamailio(
            &kam,
            user,
            &format!("pw{user}"),
            t,
        )));
        let b = kam.wait_registered(user, T);
        assert_eq!(b.transport.as_deref(), Some(t.as_str()), "{b:?}");
        assert!(
            b.user_agent
                .as_deref()
                .is_some_and(|u| u.contains("baresip")),
            "{b:?}"
        );
    }
    // a graceful stop un-registers
    phones[0].stop();
    assert!(
        kam.wait_unregistered("101", T),
        "{:#?}",
        kam.registrations()
    );
}

/// A call between two baresips through Kamailio (TCP caller, UDP callee auto-answering):
/// established, audio recorded on both sides, hung up.
#[test]
fn baresip_call_through_kamailio() {
    let _t = Timer::new("baresip_call_through_kamailio");
    let kam = Kamailio::start(KamailioOptions::default());
    let callee = Baresip::start(BaresipOptions::for_kamailio(
        &kam,
        "101",
        "pw101",
        Transport::Udp,
    ));
    let caller = Baresip::start(BaresipOptions::for_kamailio(
        &kam,
        "102",
        "pw102",
        Transport::Tcp,
    ));
    let mut ctrl = caller.ctrl().unwrap();
    assert!(ctrl.dial("sip:101@127.0.0.1").unwrap().ok);
    ctrl.wait_event("CALL_ESTABLISHED", T).unwrap();
    std::thread::sleep(Duration::from_millis(1000));
    assert!(ctrl.hangup().unwrap().ok);
    ctrl.wait_event("CALL_CLOSED", T).unwrap();
    for p in [&callee, &caller] {
        let recs = p.recordings();
        assert!(
            recs.iter()
                .any(|r| r.to_string_lossy().ends_with("-dec.wav")),
            "{}: {recs:?}",
            p.aor()
        );
    }
    assert!(callee
        .wait_log(0, "established", Duration::from_millis(10))
        .is_some());
}

/// Killing Kamailio (SIGKILL to all its processes) and restarting it on the same ports loses
/// every binding (usrloc is in memory); baresip registers again at its next refresh.
#[test]
fn kamailio_kill_and_restart_loses_bindings() {
    let _t = Timer::new("kamailio_kill_and_restart_loses_bindings");
    let mut kam = Kamailio::start(KamailioOptions::default());
    let mut opts = BaresipOptions::for_kamailio(&kam, "101", "pw101", Transport::Udp);
    opts.regint = 6;
    let phone = Baresip::start(opts);
    kam.wait_registered("101", T);
    // a raw client that never refreshes
    let mut raw = SipClient::connect(Transport::Udp, kam.udp_addr(), kam.ca());
    assert_eq!(
        status(&raw.register("102", "pw102", kam.domain(), 3600)),
        200
    );
    kam.wait_registered("102", T);
    let addrs = (kam.udp_addr(), kam.tls_addr(), kam.ws_url());
    let pid = kam.pid().unwrap();

    kam.kill();
    assert!(!kam.is_running());
    assert!(kam.registrations().is_empty());
    kam.restart();
    assert!(kam.is_running());
    assert_ne!(kam.pid().unwrap(), pid);
    assert_eq!((kam.udp_addr(), kam.tls_addr(), kam.ws_url()), addrs);
    assert!(
        kam.bindings_of("102").is_empty(),
        "binding survived the restart: {:#?}",
        kam.registrations()
    );
    // reachable again on the same port: a new REGISTER works
    let mut raw = SipClient::connect(Transport::Udp, kam.udp_addr(), kam.ca());
    assert_eq!(status(&raw.register("103", "pw103", kam.domain(), 60)), 200);
    // baresip refreshes (regint 6 s) and is registered again
    let b = kam.wait_registered("101", Duration::from_secs(10));
    assert!(b.user_agent.unwrap_or_default().contains("baresip"));
    assert!(phone.log().lines().iter().all(|l| !l.contains("403")));
    assert!(kam.log_tail(400).contains("start #2 of kamailio"));
}

/// The DNS server answers NAPTR, SRV, A and AAAA records and NXDOMAIN for unknown names,
/// from inside a tokio runtime (hickory-resolver).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dns_server_answers_naptr_srv_a_aaaa() {
    use hickory_resolver::config::{NameServerConfigGroup, ResolverConfig, ResolverOpts};
    use hickory_resolver::name_server::TokioConnectionProvider;
    use hickory_resolver::proto::rr::{RData, RecordType};
    use hickory_resolver::Resolver;

    let _t = Timer::new("dns_server_answers_naptr_srv_a_aaaa");
    let dns = DnsServer::start();
    dns.add_naptr(
        "example.test",
        10,
        10,
        "s",
        "SIPS+D2T",
        "_sips._tcp.example.test",
    );
    dns.add_naptr(
        "example.test",
        20,
        10,
        "s",
        "SIP+D2U",
        "_sip._udp.example.test",
    );
    dns.add_srv("_sip._udp.example.test", 10, 60, 5070, "pbx1.example.test");
    dns.add_srv("_sip._udp.example.test", 20, 0, 5080, "pbx2.example.test");
    dns.add_srv("_sips._tcp.example.test", 10, 0, 5061, "pbx1.example.test");
    dns.add_a("pbx1.example.test", Ipv4Addr::new(127, 0, 0, 1));
    dns.add_a("pbx2.example.test", Ipv4Addr::new(127, 0, 0, 2));
    dns.add_aaaa("pbx1.example.test", Ipv6Addr::LOCALHOST);

    let group = NameServerConfigGroup::from_ips_clear(&[dns.addr().ip()], dns.addr().port(), true);
    let mut opts = ResolverOpts::default();
    opts.cache_size = 0;
    opts.ip_strategy = hickory_resolver::config::LookupIpStrategy::Ipv4AndIpv6;
    opts.attempts = 1;
    let mut builder = Resolver::builder_with_config(
        ResolverConfig::from_parts(None, vec![], group),
        TokioConnectionProvider::default(),
    );
    *builder.options_mut() = opts;
    let resolver = builder.build();

    let naptr = resolver
        .lookup("example.test.", RecordType::NAPTR)
        .await
        .unwrap();
    let mut services: Vec<(u16, String, String)> = naptr
        .iter()
        .filter_map(|r| match r {
            RData::NAPTR(n) => Some((
                n.order(),
                String::from_utf8_lossy(n.services()).into_owned(),
                n.replacement().to_string(),
            )),
            _ => None,
        })
        .collect();
    services.sort();
    assert_eq!(
        services,
        vec![
            (
                10,
                "SIPS+D2T".to_string(),
                "_sips._tcp.example.test.".to_string()
            ),
            (
                20,
                "SIP+D2U".to_string(),
                "_sip._udp.example.test.".to_string()
            ),
        ]
    );

    let srv = resolver
        .srv_lookup("_sip._udp.example.test.")
        .await
        .unwrap();
    let mut targets: Vec<(u16, u16, String)> = srv
        .iter()
        .map(|s| (s.priority(), s.port(), s.target().to_string()))
        .collect();
    targets.sort();
    assert_eq!(
        targets,
        vec![
            (10, 5070, "pbx1.example.test.".to_string()),
            (20, 5080, "pbx2.example.test.".to_string())
        ]
    );

    let ips: Vec<IpAddr> = resolver
        .lookup_ip("pbx1.example.test.")
        .await
        .unwrap()
        .iter()
        .collect();
    assert!(ips.contains(&IpAddr::V4(Ipv4Addr::LOCALHOST)), "{ips:?}");
    assert!(ips.contains(&IpAddr::V6(Ipv6Addr::LOCALHOST)), "{ips:?}");

    let err = resolver
        .lookup_ip("nothing.example.test.")
        .await
        .unwrap_err();
    assert!(err.is_nx_domain(), "{err:?}");

    // records can be removed while it runs
    dns.remove("pbx2.example.test", None);
    let err = resolver.lookup_ip("pbx2.example.test.").await.unwrap_err();
    assert!(err.is_nx_domain(), "{err:?}");
}

/// The DNS server also works from plain (non-async) tests: a blocking query over UDP.
#[test]
fn dns_server_from_sync_code() {
    let dns = DnsServer::start();
    dns.add_a("sync.example.test", Ipv4Addr::new(127, 0, 0, 9));
    let sock = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    sock.set_read_timeout(Some(T)).unwrap();
    // hand-made query: id 0x1234, RD, one question sync.example.test A IN
    let mut q = vec![0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0];
    for label in ["sync", "example", "test"] {
        q.push(label.len() as u8);
        q.extend_from_slice(label.as_bytes());
    }
    q.extend_from_slice(&[0, 0, 1, 0, 1]);
    sock.send_to(&q, dns.addr()).unwrap();
    let mut buf = [0u8; 512];
    let n = sock.recv(&mut buf).unwrap();
    let resp = &buf[..n];
    assert_eq!(&resp[..2], &[0x12, 0x34]);
    assert_eq!(resp[3] & 0x0f, 0, "rcode");
    assert_eq!(u16::from_be_bytes([resp[6], resp[7]]), 1, "one answer");
    assert_eq!(&resp[n - 4..], &[127, 0, 0, 9]);
}

/// SIPp's built-in UAC places calls to SIPp's built-in UAS.
#[test]
fn sipp_uac_calls_sipp_uas() {
    let _t = Timer::new("sipp_uac_calls_sipp_uas");
    let uas = Sipp::spawn(SippOptions::builtin("uas"));
    let mut uac = SippOptions::builtin("uac");
    uac.remote = Some(uas.addr());
    uac.calls = Some(2);
    uac.rate = Some(10);
    let run = Sipp::run(uac);
    assert!(run.success(), "{}", run.report());
    assert!(
        run.messages.contains("INVITE sip:service@"),
        "{}",
        run.report()
    );
    assert!(run.messages.contains("SIP/2.0 200 OK"), "{}", run.report());
    assert!(!run.stats.is_empty());
    let uas_run = uas.stop();
    assert!(
        uas_run.messages.contains("BYE sip:"),
        "{}",
        uas_run.report()
    );
}

/// A custom SIPp scenario (XML text) sends OPTIONS to Kamailio and checks its 200 Keepalive.
#[test]
fn sipp_options_scenario_against_kamailio() {
    let _t = Timer::new("sipp_options_scenario_against_kamailio");
    let kam = Kamailio::start(KamailioOptions::default());
    let mut opts = SippOptions::xml(OPTIONS_SCENARIO);
    opts.remote = Some(kam.udp_addr());
    opts.calls = Some(1);
    opts.timeout = Duration::from_secs(10);
    let run = Sipp::run(opts);
    assert!(run.success(), "{}\n{}", run.report(), kam.log_report(20));
    assert!(
        run.messages.contains("SIP/2.0 200 Keepalive"),
        "{}",
        run.report()
    );

    // and a failing expectation is reported as failure (exit code 1)
    let mut opts = SippOptions::xml(&OPTIONS_SCENARIO.replace("Keepalive", "NoSuchReason"));
    opts.remote = Some(kam.udp_addr());
    opts.calls = Some(1);
    let run = Sipp::run(opts);
    assert_eq!(run.code, Some(1), "{}", run.report());
}

const OPTIONS_SCENARIO: &str = r#"<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="options keepalive">
  <send retrans="500">
    <![CDATA[
      OPTIONS sip:[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:sipp@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: 1 OPTIONS
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>
  <recv response="200">
    <action>
      <ereg regexp="SIP/2.0 200 Keepalive" search_in="msg" check_it="true" assign_to="status"/>
      <log message="got [$status]"/>
    </action>
  </recv>
</scenario>
"#;

/// Peers are killed (whole process group) when the test that owns them panics, and the
/// panic output carries their log tails.
#[test]
fn peers_are_killed_when_a_test_panics() {
    let _t = Timer::new("peers_are_killed_when_a_test_panics");
    let (tx, rx) = std::sync::mpsc::channel();
    let worker = std::thread::spawn(move || {
        let mut kam = Kamailio::start(KamailioOptions::default());
        let phone = Baresip::start(BaresipOptions::for_kamailio(
            &kam,
            "101",
            "pw101",
            Transport::Udp,
        ));
        let sipp = Sipp::spawn(SippOptions::builtin("uas"));
        tx.send((
            kam.pid().unwrap(),
            phone.pid(),
            kam.dir().to_path_buf(),
            phone.dir().to_path_buf(),
        ))
        .unwrap();
        let _keep = sipp;
        panic!("deliberate panic with live peers");
    });
    assert!(worker.join().is_err());
    let (kam_pid, phone_pid, kam_dir, phone_dir) = rx.recv().unwrap();
    let alive = |pid: u32| {
        std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .map(|s| !s.rsplit_once(')').unwrap().1.trim_start().starts_with('Z'))
            .unwrap_or(false)
    };
    assert!(!alive(kam_pid), "kamailio {kam_pid} survived the panic");
    assert!(!alive(phone_pid), "baresip {phone_pid} survived the panic");
    // no Kamailio worker of that instance is left either
    let cfg = kam_dir.join("kamailio.cfg").display().to_string();
    let left: Vec<String> = std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| std::fs::read(e.path().join("cmdline")).ok())
        .map(|c| String::from_utf8_lossy(&c).replace('\0', " "))
        .filter(|c| c.contains(&cfg))
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
    // the dirs were kept for inspection; clean up
    assert!(kam_dir.join("kamailio.log").exists());
    let _ = std::fs::remove_dir_all(kam_dir);
    let _ = std::fs::remove_dir_all(phone_dir);
}

/// True while `pid` exists and is not a zombie.
fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|s| !s.rsplit_once(')').unwrap().1.trim_start().starts_with('Z'))
        .unwrap_or(false)
}

/// Command lines of live processes containing `needle`.
fn processes_with(needle: &str) -> Vec<String> {
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| std::fs::read(e.path().join("cmdline")).ok())
        .map(|c| String::from_utf8_lossy(&c).replace('\0', " "))
        .filter(|c| c.contains(needle))
        .collect()
}

/// Two linphonecs at once (they share nothing: no `/tmp/linphonec-<uid>` socket), over UDP
/// and TCP, with their codecs; `stop` leaves no process behind, and neither does drop.
#[test]
fn two_linphonecs_register_and_stop_cleanly() {
    let _t = Timer::new("two_linphonecs_register_and_stop_cleanly");
    let kam = Kamailio::start(KamailioOptions::default());
    let mut a = Linphone::start(LinphoneOptions::for_kamailio(&kam, "103", "pw103"));
    let mut ob = LinphoneOptions::for_kamailio(&kam, "104", "pw104").codecs(&["opus", "G722"]);
    ob.transport = Transport::Tcp;
    ob.registrar = kam.tcp_addr();
    let b = Linphone::start(ob);
    for (user, transport) in [("103", "udp"), ("104", "tcp")] {
        let binding = kam.wait_registered(user, T);
        assert_eq!(binding.transport.as_deref(), Some(transport), "{binding:?}");
        assert!(
            binding
                .user_agent
                .as_deref()
                .is_some_and(|u| u.contains("Linphone")),
            "{binding:?}"
        );
    }
    let codecs = b.query("codec list", T).unwrap();
    let enabled: Vec<&String> = codecs.iter().filter(|l| l.ends_with(" enabled")).collect();
    assert_eq!(enabled.len(), 2, "{codecs:?}");
    assert!(
        enabled[0].contains("opus") && enabled[1].contains("G722"),
        "{enabled:?}"
    );

    let (pa, pb) = (a.pid(), b.pid());
    let (da, db) = (a.dir().display().to_string(), b.dir().display().to_string());
    a.stop();
    assert!(!alive(pa));
    assert!(processes_with(&da).is_empty());
    assert!(kam.wait_unregistered("103", T), "quit un-registers");
    drop(b);
    assert!(!alive(pb));
    assert!(processes_with(&db).is_empty(), "{:?}", processes_with(&db));
}

/// A source WAV at another rate than `ausrc_srate` is refused before baresip starts (aufile
/// would play it at the wrong speed), and a codec name baresip does not know fails the start
/// instead of silently offering every codec.
#[test]
fn baresip_refuses_wrong_source_rate_and_unknown_codec() {
    let _t = Timer::new("baresip_refuses_wrong_source_rate_and_unknown_codec");
    let dir = tempfile::tempdir().unwrap();
    let wav = dir.path().join("s.wav");
    TestSignal::chirp(8000, Duration::from_secs(1), 300.0, 3000.0)
        .write_wav(&wav, 8000, 1)
        .unwrap();
    let addr = "127.0.0.1:9".parse().unwrap();
    let mut o = BaresipOptions::new("101", "pw101", addr).codecs(&["G722"]);
    o.register = false;
    o.source_wav = Some(wav);
    let e = Baresip::try_start(o).unwrap_err().to_string();
    assert!(
        e.contains("8000 Hz / 1 ch") && e.contains("16000 Hz"),
        "{e}"
    );

    let mut o = BaresipOptions::new("101", "pw101", addr).codecs(&["AMR-WB"]);
    o.register = false;
    let e = format!("{:#}", Baresip::try_start(o).unwrap_err());
    assert!(e.contains("audio codec not found"), "{e}");
}

/// A call between two baresips through Kamailio with the CallPeer helpers: manual answer,
/// DTMF both ways, hold seen by the held side only, the codec in use.
#[test]
fn baresip_call_helpers() {
    let _t = Timer::new("baresip_call_helpers");
    let kam = Kamailio::start(KamailioOptions::default());
    let mut a = Baresip::start(
        BaresipOptions::for_kamailio(&kam, "101", "pw101", Transport::Udp).codecs(&["G722"]),
    );
    let mut ob = BaresipOptions::for_kamailio(&kam, "102", "pw102", Transport::Tcp)
        .codecs(&["G722", "PCMU"]);
    ob.auto_answer = false;
    let mut b = Baresip::start(ob);
    assert_eq!(b.sample_rate(), 16000);
    a.dial(&b.aor()).unwrap();
    b.wait_incoming(T).unwrap();
    assert!(a.wait_established(Duration::from_millis(300)).is_err());
    b.answer().unwrap();
    a.wait_established(T).unwrap();
    b.wait_established(T).unwrap();
    assert_eq!(a.audio_codec().as_deref(), Some("G722"));
    a.send_dtmf("42").unwrap();
    b.send_dtmf("*").unwrap();
    assert_eq!(b.wait_dtmf(2, T), "42");
    assert_eq!(a.wait_dtmf(1, T), "*");
    b.hold().unwrap();
    a.wait_held(T).unwrap();
    assert!(!b.is_held().unwrap(), "the holder is not held");
    assert_eq!(b.audio_direction().as_deref(), Some("sendonly"));
    b.resume().unwrap();
    a.wait_resumed(T).unwrap();
    b.hangup().unwrap();
    assert_eq!(a.wait_closed(T).unwrap(), "Connection reset by peer");
    b.wait_closed(T).unwrap();
    assert!(a.is_held().is_err(), "no call any more");
    // every event was recorded from the start, whoever asked
    let types: Vec<String> = b
        .events()
        .iter()
        .filter_map(|e| e["type"].as_str().map(str::to_string))
        .collect();
    for t in [
        "CALL_INCOMING",
        "CALL_ESTABLISHED",
        "CALL_DTMF_START",
        "CALL_CLOSED",
    ] {
        assert!(types.iter().any(|x| x == t), "{t} missing from {types:?}");
    }
}

/// A MESSAGE to an unregistered user is stored (202) and delivered by msilo when the user
/// registers: Kamailio's own m_dump request goes through itself as outbound proxy, which needs
/// the port-less `sip:104@127.0.0.1` to be "myself" (alias 127.0.0.1:5060).
#[test]
fn offline_message_is_delivered_on_register() {
    let _t = Timer::new("offline_message_is_delivered_on_register");
    let kam = Kamailio::start(KamailioOptions::default());
    let mut sender = SipClient::connect(Transport::Udp, kam.udp_addr(), kam.ca());
    let text = "while you were out";
    sender.send(&format!(
        "MESSAGE sip:104@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP {};rport;branch=z9hG4bK{}\r\nFrom: <sip:tester@elsewhere.example>;tag={}\r\nTo: <sip:104@127.0.0.1>\r\nCall-ID: {}\r\nCSeq: 1 MESSAGE\r\nMax-Forwards: 70\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\r\n{text}",
        sender.local,
        common::token(),
        common::token(),
        common::token(),
        text.len()
    ));
    let resp = sender.recv_until(T, |m| status(m) >= 200).expect("reply");
    assert_eq!(status(&resp), 202, "{resp}");
    let stored = kam.stored_messages();
    assert_eq!(stored.len(), 1, "{stored:?}");
    assert!(
        stored[0].0.contains("104") && stored[0].2 == text,
        "{stored:?}"
    );
    let mut client = SipClient::connect(Transport::Udp, kam.udp_addr(), kam.ca());
    assert_eq!(
        status(&client.register("104", "pw104", kam.domain(), 300)),
        200
    );
    let got = client
        .recv_until(T, |m| m.starts_with("MESSAGE "))
        .unwrap_or_else(|| panic!("no stored MESSAGE\n{}", kam.log_report(40)));
    assert!(got.ends_with(text), "{got}");
    // msilo deletes delivered messages only on its clean timer: not waited for here
    client.reply(&got, 200, "OK");
}
