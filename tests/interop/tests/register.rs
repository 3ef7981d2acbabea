//! Registration against a real Kamailio over UDP, TCP, TLS and WebSocket:
//! digest MD5 and SHA-256, wrong password, a certificate that must be
//! refused, re-registration after the registrar restarts, and RFC 3263 SRV
//! failover through a DNS server the test controls.

use std::time::{Duration, Instant};

use handset_harness::{DigestAlgorithm, DnsServer, Kamailio, KamailioOptions, TlsCert, Transport};
use handset_interop::{cli, run, Running};

const T: Duration = Duration::from_secs(20);

fn register_args(kam: &Kamailio, transport: Transport) -> Vec<String> {
    let server = kam.addr(transport).to_string();
    let mut a: Vec<String> = [
        "register",
        "--user",
        "101",
        "--domain",
        "127.0.0.1",
        "--server",
        &server,
        "--transport",
        transport.as_str(),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    if matches!(transport, Transport::Tls | Transport::Wss) {
        a.push("--ca-file".into());
        a.push(kam.ca().ca_path().display().to_string());
    }
    a
}

fn registers_over(transport: Transport, algorithm: DigestAlgorithm) {
    let kam = Kamailio::start(KamailioOptions {
        algorithm,
        ..Default::default()
    });
    let mut args = register_args(&kam, transport);
    args.extend(["--duration", "3"].map(String::from));
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut running = Running::spawn(cli(&argv, Some("pw101")));
    let line = running.wait_stdout("registered", T).unwrap_or_else(|| {
        panic!(
            "no registration over {transport:?}\n{}\n{}",
            running.report(),
            kam.log_report(40)
        )
    });
    assert!(line.contains("expires"), "{line}");
    let binding = kam.wait_registered("101", Duration::from_secs(5));
    assert_eq!(
        binding.transport.as_deref(),
        Some(transport.as_str()),
        "{binding:?}"
    );
    let status = running.wait(T).expect("exits after --duration");
    assert!(status.success(), "{}", running.report());
    assert!(
        kam.wait_unregistered("101", Duration::from_secs(5)),
        "unregistered on exit: {:?}",
        kam.registrations()
    );
}

#[test]
fn registers_over_udp() {
    registers_over(Transport::Udp, DigestAlgorithm::Md5);
}

#[test]
fn registers_over_tcp() {
    registers_over(Transport::Tcp, DigestAlgorithm::Md5);
}

#[test]
fn registers_over_tls_with_verified_certificate() {
    registers_over(Transport::Tls, DigestAlgorithm::Md5);
}

#[test]
fn registers_over_websocket() {
    registers_over(Transport::Ws, DigestAlgorithm::Md5);
}

#[test]
fn registers_with_sha256_digest() {
    registers_over(Transport::Udp, DigestAlgorithm::Sha256);
}

#[test]
fn wrong_password_fails_once_without_retry_storm() {
    let kam = Kamailio::start(KamailioOptions::default());
    let args = register_args(&kam, Transport::Udp);
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = run(cli(&argv, Some("wrong")), T);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "stderr: {stderr}");
    assert!(
        stderr.contains("authentication failed for 101@127.0.0.1"),
        "stderr: {stderr}"
    );
    std::thread::sleep(Duration::from_secs(2));
    let registers = kam
        .log_tail(500)
        .lines()
        .filter(|l| l.contains("REQ REGISTER"))
        .count();
    assert!(
        registers <= 3,
        "{registers} REGISTERs for one wrong password:\n{}",
        kam.log_tail(50)
    );
    assert!(kam.registrations().is_empty());
}

#[test]
fn certificate_for_another_host_is_refused() {
    let kam = Kamailio::start(KamailioOptions {
        tls_cert: TlsCert::WrongHost,
        ..Default::default()
    });
    let args = register_args(&kam, Transport::Tls);
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = run(cli(&argv, Some("pw101")), T);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "stderr: {stderr}");
    assert!(
        stderr.to_lowercase().contains("certificate"),
        "says why: {stderr}"
    );
    assert!(kam.registrations().is_empty());
}

#[test]
fn self_signed_certificate_is_refused() {
    let kam = Kamailio::start(KamailioOptions {
        tls_cert: TlsCert::SelfSigned,
        ..Default::default()
    });
    let args = register_args(&kam, Transport::Tls);
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = run(cli(&argv, Some("pw101")), T);
    assert_eq!(
        out.status.code(),
        Some(1),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn reregisters_after_restart(transport: Transport) {
    let mut kam = Kamailio::start(KamailioOptions::default());
    let mut args = register_args(&kam, transport);
    args.extend(["--duration", "60", "--keepalive", "1"].map(String::from));
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    let running = Running::spawn(cli(&argv, Some("pw101")));
    assert!(
        running.wait_stdout("registered", T).is_some(),
        "{}",
        running.report()
    );
    kam.wait_registered("101", Duration::from_secs(5));
    // registered for a moment, as a phone would be, before the registrar dies
    std::thread::sleep(Duration::from_secs(2));
    kam.kill();
    std::thread::sleep(Duration::from_millis(1500));
    kam.restart();
    let back = Instant::now();
    assert!(kam.registrations().is_empty(), "a restart forgets bindings");
    kam.wait_registered("101", Duration::from_secs(5));
    let took = back.elapsed();
    eprintln!("{transport:?}: re-registered {took:?} after the restart");
    assert!(
        took <= Duration::from_secs(5),
        "took {took:?}\n{}",
        running.report()
    );
}

#[test]
fn reregisters_within_5s_after_kamailio_restart_udp() {
    reregisters_after_restart(Transport::Udp);
}

#[test]
fn reregisters_within_5s_after_kamailio_restart_tcp() {
    reregisters_after_restart(Transport::Tcp);
}

#[test]
fn srv_failover_to_the_second_target() {
    let kam = Kamailio::start(KamailioOptions::default());
    let dns = DnsServer::start();
    let dead = handset_harness::free_port();
    // the first SRV target is a port nobody listens on; the second is Kamailio
    dns.add_srv("_sip._tcp.pbx.test", 10, 0, dead, "a.pbx.test");
    dns.add_srv(
        "_sip._tcp.pbx.test",
        20,
        0,
        kam.tcp_addr().port(),
        "b.pbx.test",
    );
    dns.add_srv("_sip._udp.pbx.test", 10, 0, dead, "a.pbx.test");
    dns.add_srv(
        "_sip._udp.pbx.test",
        20,
        0,
        kam.udp_addr().port(),
        "b.pbx.test",
    );
    dns.add_a("a.pbx.test", "127.0.0.1".parse().unwrap());
    dns.add_a("b.pbx.test", "127.0.0.1".parse().unwrap());
    let dns_addr = dns.addr().to_string();
    for (transport, extra) in [("tcp", vec![]), ("udp", vec!["--t1", "100"])] {
        let mut argv = vec![
            "register",
            "--user",
            "101",
            "--domain",
            "127.0.0.1",
            "--server",
            "pbx.test",
            "--transport",
            transport,
            "--dns-server",
            &dns_addr,
        ];
        argv.extend(extra.iter().copied());
        let started = Instant::now();
        let out = run(cli(&argv, Some("pw101")), T);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{transport}: {stdout}\n{}\n{}",
            String::from_utf8_lossy(&out.stderr),
            kam.log_report(30)
        );
        assert!(
            stdout.contains(&format!(
                "127.0.0.1:{}",
                if transport == "tcp" {
                    kam.tcp_addr().port()
                } else {
                    kam.udp_addr().port()
                }
            )),
            "{transport}: registered through the second target: {stdout}"
        );
        eprintln!(
            "{transport}: failover registration took {:?}",
            started.elapsed()
        );
    }
}
