//! Registration against a scripted registrar, in virtual time.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use handset_sip::auth::{digest_response, Challenge, Credentials};
use handset_sip::message::{
    parse, HeaderAccess, HeaderName, Message, Method, Request, Response, SipUri, Uri,
};
use handset_sip::registration::{LocalAddr, RegFailure, RegState, RegistrationConfig};
use handset_sip::transaction::{Peer, Transport};
use handset_sip::ua::{UaConfig, UaEvent, UserAgent};

const REALM: &str = "example.test";

fn peer(port: u16) -> Peer {
    Peer::new(Transport::Udp, SocketAddr::from(([192, 0, 2, 1], port)))
}

/// A registrar that challenges, checks digests and holds bindings.
struct Registrar {
    password: String,
    nonce: u32,
    bound: bool,
    answer: bool,
    status_override: Option<u16>,
    registers: u32,
    /// false: a PBX that answers OPTIONS for a user itself with 404
    forwards_options: bool,
}

impl Registrar {
    fn new(password: &str) -> Self {
        Registrar {
            password: password.into(),
            nonce: 0,
            bound: false,
            answer: true,
            status_override: None,
            registers: 0,
            forwards_options: true,
        }
    }

    fn challenge(&mut self, req: &Request, stale: bool) -> Response {
        self.nonce += 1;
        let mut r = Response::for_request(req, 401, Some("reg"));
        r.headers.push(
            HeaderName::WwwAuthenticate,
            format!(
                "Digest realm=\"{REALM}\", nonce=\"n{}\", qop=\"auth\", algorithm=SHA-256{}",
                self.nonce,
                if stale { ", stale=true" } else { "" }
            ),
        );
        r
    }

    fn authorized(&self, req: &Request) -> bool {
        let Some(h) = req.headers.get(&HeaderName::Authorization) else {
            return false;
        };
        let field = |n: &str| {
            h.split(',').find_map(|p| {
                p.trim()
                    .strip_prefix("Digest ")
                    .unwrap_or(p.trim())
                    .strip_prefix(&format!("{n}="))
                    .map(|v| v.trim_matches('"').to_string())
            })
        };
        let (Some(nonce), Some(nc), Some(cnonce), Some(resp)) = (
            field("nonce"),
            field("nc"),
            field("cnonce"),
            field("response"),
        ) else {
            return false;
        };
        if nonce != format!("n{}", self.nonce) {
            return false;
        }
        let ch = Challenge::parse(
            &format!(
                "Digest realm=\"{REALM}\", nonce=\"{nonce}\", qop=\"auth\", algorithm=SHA-256"
            ),
            false,
        )
        .unwrap();
        let creds = Credentials {
            username: "101".into(),
            password: self.password.clone(),
        };
        let expected = digest_response(
            &ch,
            &creds,
            &req.method,
            &req.uri.to_string(),
            &req.body,
            u32::from_str_radix(&nc, 16).unwrap(),
            &cnonce,
        );
        expected.contains(&format!("response=\"{resp}\""))
    }

    fn handle(&mut self, req: &Request) -> Option<Response> {
        if !self.answer {
            return None;
        }
        if let Some(s) = self.status_override {
            return Some(Response::for_request(req, s, Some("reg")));
        }
        match req.method {
            Method::Register => {
                self.registers += 1;
                if !self.authorized(req) {
                    return Some(self.challenge(req, false));
                }
                let expires = req.expires().unwrap_or(3600);
                self.bound = expires > 0;
                let mut r = Response::for_request(req, 200, Some("reg"));
                if self.bound {
                    let c = req
                        .headers
                        .get(&HeaderName::Contact)
                        .unwrap()
                        .split(';')
                        .next()
                        .unwrap()
                        .to_string();
                    let line = req.contacts()[0]
                        .uri
                        .as_sip()
                        .unwrap()
                        .params
                        .get("line")
                        .unwrap()
                        .to_string();
                    r.headers.push(
                        HeaderName::Contact,
                        format!(
                            "{};line={line}>;expires={}",
                            c.trim_end_matches('>'),
                            expires.min(60)
                        ),
                    );
                }
                Some(r)
            }
            _ => None,
        }
    }
}

struct Harness {
    ua: UserAgent,
    now: Instant,
    t0: Instant,
    events: Vec<UaEvent>,
    sent: Vec<(Instant, Peer, Request)>,
}

impl Harness {
    fn new() -> Self {
        let mut ua = UserAgent::new(UaConfig::default());
        ua.set_local(
            Transport::Udp,
            LocalAddr {
                host: "192.0.2.100".parse::<std::net::IpAddr>().unwrap().into(),
                port: Some(5062),
            },
        );
        let now = Instant::now();
        Harness {
            ua,
            now,
            t0: now,
            events: Vec::new(),
            sent: Vec::new(),
        }
    }

    fn config(password: &str, targets: Vec<Peer>) -> RegistrationConfig {
        let aor: SipUri = match Uri::parse("sip:101@example.test").unwrap() {
            Uri::Sip(u) => u,
            _ => unreachable!(),
        };
        let mut c = RegistrationConfig::new(
            aor,
            Credentials {
                username: "101".into(),
                password: password.into(),
            },
            targets,
        );
        c.expires = 60;
        c
    }

    /// Delivers everything the UA sends to `regs` (by port) until quiet, then
    /// advances time to `until`, repeating.
    fn run(&mut self, regs: &mut [(u16, &mut Registrar)], until: Duration) {
        let end = self.t0 + until;
        loop {
            while let Some(t) = self.ua.poll_transmit() {
                let Ok(Message::Request(req)) = parse(&t.data) else {
                    continue;
                };
                self.sent.push((self.now, t.peer, req.clone()));
                if req.method == Method::Options {
                    // the registrar relays our probe to the bound contact, which answers
                    let bound = regs
                        .iter()
                        .any(|(p, r)| *p == t.peer.addr.port() && r.bound && r.forwards_options);
                    if regs
                        .iter()
                        .any(|(p, r)| *p == t.peer.addr.port() && r.answer)
                    {
                        if bound {
                            self.ua.handle_input(self.now, t.peer, &req.to_bytes());
                            let _ = self.ua.poll_transmit(); // our own 200, relayed back
                            let ok = Response::for_request(&req, 200, Some("me"));
                            self.ua.handle_input(self.now, t.peer, &ok.to_bytes());
                        } else {
                            let nf = Response::for_request(&req, 404, Some("reg"));
                            self.ua.handle_input(self.now, t.peer, &nf.to_bytes());
                        }
                    }
                    continue;
                }
                if let Some((_, r)) = regs.iter_mut().find(|(p, _)| *p == t.peer.addr.port()) {
                    if let Some(resp) = r.handle(&req) {
                        self.ua.handle_input(self.now, t.peer, &resp.to_bytes());
                    }
                }
            }
            while let Some(e) = self.ua.poll_event() {
                self.events.push(e);
            }
            match self.ua.poll_timeout() {
                Some(t) if t <= end => {
                    self.now = t.max(self.now);
                    self.ua.handle_timeout(self.now);
                }
                _ => {
                    self.now = end;
                    break;
                }
            }
        }
    }

    fn states(&self) -> Vec<RegState> {
        self.events
            .iter()
            .filter_map(|e| match e {
                UaEvent::Registration { state, .. } => Some(state.clone()),
                _ => None,
            })
            .collect()
    }

    fn registers_sent(&self) -> usize {
        self.sent
            .iter()
            .filter(|(_, _, r)| r.method == Method::Register)
            .count()
    }
}

#[test]
fn registers_with_sha256_digest_and_refreshes() {
    let mut h = Harness::new();
    let mut reg = Registrar::new("pw101");
    h.ua.add_account(h.now, 1, Harness::config("pw101", vec![peer(5060)]));
    h.run(&mut [(5060, &mut reg)], Duration::from_secs(1));
    assert!(
        matches!(
            h.states().last(),
            Some(RegState::Registered { expires: 60, .. })
        ),
        "{:?}",
        h.states()
    );
    assert_eq!(
        h.registers_sent(),
        2,
        "one challenge, one authorized REGISTER"
    );
    // granted 60 s: refreshed at 30 s with the cached nonce (nc=2), then again
    h.run(&mut [(5060, &mut reg)], Duration::from_secs(95));
    let refreshes: Vec<u64> = h
        .sent
        .iter()
        .filter(|(_, _, r)| r.method == Method::Register)
        .map(|(t, _, _)| (*t - h.t0).as_secs())
        .collect();
    assert_eq!(refreshes, vec![0, 0, 30, 60, 90]);
    let last = &h
        .sent
        .iter()
        .rev()
        .find(|(_, _, r)| r.method == Method::Register)
        .unwrap()
        .2;
    assert!(last
        .headers
        .get(&HeaderName::Authorization)
        .unwrap()
        .contains("algorithm=SHA-256"));
    assert!(matches!(
        h.states().last(),
        Some(RegState::Registered { .. })
    ));
}

#[test]
fn wrong_password_fails_once_without_retry_storm() {
    let mut h = Harness::new();
    let mut reg = Registrar::new("right");
    h.ua.add_account(h.now, 1, Harness::config("wrong", vec![peer(5060)]));
    h.run(&mut [(5060, &mut reg)], Duration::from_secs(3600));
    assert_eq!(
        h.states().last(),
        Some(&RegState::Failed(RegFailure::AuthenticationFailed {
            user: "101".into(),
            domain: "example.test".into()
        }))
    );
    assert_eq!(
        reg.registers, 2,
        "one unauthenticated and one authenticated attempt, then silence for an hour"
    );
    assert_eq!(
        RegFailure::AuthenticationFailed {
            user: "101".into(),
            domain: "example.test".into()
        }
        .to_string(),
        "authentication failed for 101@example.test"
    );
}

#[test]
fn fails_over_to_second_target_on_timeout_and_on_503() {
    let mut h = Harness::new();
    let mut dead = Registrar::new("pw101");
    dead.answer = false;
    let mut live = Registrar::new("pw101");
    h.ua.add_account(
        h.now,
        1,
        Harness::config("pw101", vec![peer(5060), peer(5070)]),
    );
    h.run(
        &mut [(5060, &mut dead), (5070, &mut live)],
        Duration::from_secs(40),
    );
    let Some(RegState::Registered { server, .. }) = h.states().last().cloned() else {
        panic!("{:?}", h.states())
    };
    assert_eq!(server, peer(5070));
    let switched = h.sent.iter().find(|(_, p, _)| *p == peer(5070)).unwrap().0 - h.t0;
    assert_eq!(
        switched,
        Duration::from_secs(32),
        "after Timer F on the first target"
    );

    let mut h = Harness::new();
    let mut busy = Registrar::new("pw101");
    busy.status_override = Some(503);
    let mut live = Registrar::new("pw101");
    h.ua.add_account(
        h.now,
        1,
        Harness::config("pw101", vec![peer(5060), peer(5070)]),
    );
    h.run(
        &mut [(5060, &mut busy), (5070, &mut live)],
        Duration::from_secs(1),
    );
    assert!(
        matches!(h.states().last(), Some(RegState::Registered { server, .. }) if *server == peer(5070))
    );
}

#[test]
fn lost_binding_detected_by_probe_and_reregistered() {
    let mut h = Harness::new();
    let mut reg = Registrar::new("pw101");
    let mut cfg = Harness::config("pw101", vec![peer(5060)]);
    cfg.keepalive = Some(Duration::from_secs(5));
    h.ua.add_account(h.now, 1, cfg);
    h.run(&mut [(5060, &mut reg)], Duration::from_secs(6));
    assert!(
        h.sent.iter().any(|(_, _, r)| r.method == Method::Options),
        "probe sent"
    );
    let before = h.registers_sent();
    // the registrar restarts and forgets every binding
    reg.bound = false;
    h.run(&mut [(5060, &mut reg)], Duration::from_secs(12));
    assert!(
        h.registers_sent() > before,
        "re-registered after the probe found no binding"
    );
    let rereg_at = h
        .sent
        .iter()
        .filter(|(_, _, r)| r.method == Method::Register)
        .nth(before)
        .unwrap()
        .0
        - h.t0;
    assert!(
        rereg_at <= Duration::from_secs(11),
        "within one keep-alive interval: {rereg_at:?}"
    );
    assert!(reg.bound);
}

#[test]
fn dead_flow_detected_by_probe_timeout() {
    let mut h = Harness::new();
    let mut reg = Registrar::new("pw101");
    let mut cfg = Harness::config("pw101", vec![peer(5060)]);
    cfg.keepalive = Some(Duration::from_secs(5));
    cfg.probe_timeout = Duration::from_secs(2);
    h.ua.add_account(h.now, 1, cfg);
    h.run(&mut [(5060, &mut reg)], Duration::from_secs(1));
    reg.answer = false;
    h.run(&mut [(5060, &mut reg)], Duration::from_secs(8));
    assert!(
        matches!(
            h.states().last(),
            Some(RegState::Registering | RegState::Retrying { .. })
        ),
        "{:?}",
        h.states()
    );
    reg.answer = true;
    reg.bound = false;
    h.run(&mut [(5060, &mut reg)], Duration::from_secs(20));
    assert!(
        matches!(h.states().last(), Some(RegState::Registered { .. })),
        "{:?}",
        h.states()
    );
}

#[test]
fn interval_too_brief_raises_expires() {
    let mut h = Harness::new();
    let mut reg = Registrar::new("pw101");
    h.ua.add_account(h.now, 1, Harness::config("pw101", vec![peer(5060)]));
    // answer the first REGISTER with 423 by hand
    let t = h.ua.poll_transmit().unwrap();
    let Ok(Message::Request(req)) = parse(&t.data) else {
        panic!()
    };
    let r = Response::for_request(&req, 423, Some("x")).with_header(HeaderName::MinExpires, "120");
    h.ua.handle_input(h.now, t.peer, &r.to_bytes());
    let t = h.ua.poll_transmit().unwrap();
    let Ok(Message::Request(req)) = parse(&t.data) else {
        panic!()
    };
    assert_eq!(req.expires(), Some(120));
    let _ = &mut reg;
}

#[test]
fn unregister_sends_expires_zero() {
    let mut h = Harness::new();
    let mut reg = Registrar::new("pw101");
    h.ua.add_account(h.now, 1, Harness::config("pw101", vec![peer(5060)]));
    h.run(&mut [(5060, &mut reg)], Duration::from_secs(1));
    h.ua.remove_account(h.now, 1);
    h.run(&mut [(5060, &mut reg)], Duration::from_secs(2));
    let last = &h
        .sent
        .iter()
        .rev()
        .find(|(_, _, r)| r.method == Method::Register)
        .unwrap()
        .2;
    assert_eq!(last.expires(), Some(0));
    assert!(!reg.bound);
    assert_eq!(h.states().last(), Some(&RegState::Unregistered));
}

#[test]
fn pbx_that_never_forwards_options_costs_one_reregistration_only() {
    let mut h = Harness::new();
    let mut reg = Registrar::new("pw101");
    reg.forwards_options = false;
    let mut cfg = Harness::config("pw101", vec![peer(5060)]);
    cfg.keepalive = Some(Duration::from_secs(5));
    h.ua.add_account(h.now, 1, cfg);
    h.run(&mut [(5060, &mut reg)], Duration::from_secs(59));
    // 2 to register, 2 for the one check after the first 404, then only refreshes (at 30 s)
    assert_eq!(
        reg.registers,
        5,
        "{:?}",
        h.sent
            .iter()
            .map(|(t, _, r)| ((*t - h.t0).as_secs(), r.method.to_string()))
            .collect::<Vec<_>>()
    );
    assert!(matches!(
        h.states().last(),
        Some(RegState::Registered { .. })
    ));
}
