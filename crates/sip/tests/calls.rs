//! Two user agents calling each other directly over a simulated network, in
//! virtual time: setup, teardown, CANCEL, re-INVITE/UPDATE, glare, PRACK,
//! session timers.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use handset_sip::call::{CallEvent, CallState, EndReason, OutgoingCall};
use handset_sip::message::{parse, HeaderAccess, HeaderName, Message, Method, NameAddr, Uri};
use handset_sip::registration::LocalAddr;
use handset_sip::transaction::{Peer, Transport};
use handset_sip::ua::{CallId, UaConfig, UaEvent, UserAgent};

const A: ([u8; 4], u16) = ([192, 0, 2, 1], 5060);
const B: ([u8; 4], u16) = ([192, 0, 2, 2], 5060);

fn addr(x: ([u8; 4], u16)) -> SocketAddr {
    SocketAddr::from(x)
}

struct Net {
    a: UserAgent,
    b: UserAgent,
    t0: Instant,
    now: Instant,
    ev_a: Vec<UaEvent>,
    ev_b: Vec<UaEvent>,
    /// drop every message from A whose text starts with this
    drop_from_a: Option<String>,
    drop_all_from_a: bool,
    log: Vec<(u64, char, String)>,
}

fn ua(ip: ([u8; 4], u16)) -> UserAgent {
    let mut u = UserAgent::new(UaConfig::default());
    u.set_local(
        Transport::Udp,
        LocalAddr {
            host: addr(ip).ip().into(),
            port: Some(ip.1),
        },
    );
    u
}

impl Net {
    fn new() -> Self {
        let now = Instant::now();
        Net {
            a: ua(A),
            b: ua(B),
            t0: now,
            now,
            ev_a: vec![],
            ev_b: vec![],
            drop_from_a: None,
            drop_all_from_a: false,
            log: vec![],
        }
    }

    fn step(&mut self) -> bool {
        let mut moved = false;
        while let Some(t) = self.a.poll_transmit() {
            moved = true;
            let text = String::from_utf8_lossy(&t.data).to_string();
            let first = text.lines().next().unwrap_or("").to_string();
            self.log
                .push(((self.now - self.t0).as_millis() as u64, 'A', first.clone()));
            if self.drop_all_from_a
                || self
                    .drop_from_a
                    .as_ref()
                    .is_some_and(|p| first.starts_with(p.as_str()))
            {
                continue;
            }
            assert_eq!(t.peer.addr, addr(B));
            self.b
                .handle_input(self.now, Peer::new(Transport::Udp, addr(A)), &t.data);
        }
        while let Some(t) = self.b.poll_transmit() {
            moved = true;
            let text = String::from_utf8_lossy(&t.data).to_string();
            self.log.push((
                (self.now - self.t0).as_millis() as u64,
                'B',
                text.lines().next().unwrap_or("").to_string(),
            ));
            assert_eq!(t.peer.addr, addr(A));
            self.a
                .handle_input(self.now, Peer::new(Transport::Udp, addr(B)), &t.data);
        }
        while let Some(e) = self.a.poll_event() {
            moved = true;
            self.ev_a.push(e);
        }
        while let Some(e) = self.b.poll_event() {
            moved = true;
            self.ev_b.push(e);
        }
        moved
    }

    fn settle(&mut self) {
        while self.step() {}
    }

    /// Runs until `d` from now, firing timers.
    fn run_for(&mut self, d: Duration) {
        let end = self.now + d;
        loop {
            self.settle();
            let next = [self.a.poll_timeout(), self.b.poll_timeout()]
                .into_iter()
                .flatten()
                .min();
            match next {
                Some(t) if t <= end => {
                    self.now = t.max(self.now);
                    self.a.handle_timeout(self.now);
                    self.b.handle_timeout(self.now);
                }
                _ => {
                    self.now = end;
                    self.settle();
                    return;
                }
            }
        }
    }

    fn call(&mut self, offer: &str) -> CallId {
        let setup = OutgoingCall {
            from: NameAddr::parse("\"Alice\" <sip:alice@192.0.2.1>").unwrap(),
            target: Uri::parse("sip:bob@192.0.2.2").unwrap(),
            peer: Peer::new(Transport::Udp, addr(B)),
            route: vec![],
            contact: self
                .a
                .contact_for(&Peer::new(Transport::Udp, addr(B)), None),
            credentials: None,
            offer: Some(offer.as_bytes().to_vec()),
            user_agent: "test".into(),
            extra_headers: vec![],
        };
        let id = self.a.place_call(self.now, setup);
        self.settle();
        id
    }

    fn incoming(&self) -> CallId {
        self.ev_b
            .iter()
            .find_map(|e| match e {
                UaEvent::IncomingCall { call, .. } => Some(*call),
                _ => None,
            })
            .expect("incoming call")
    }

    fn call_events(evs: &[UaEvent]) -> Vec<CallEvent> {
        evs.iter()
            .filter_map(|e| match e {
                UaEvent::Call { event, .. } => Some(event.clone()),
                _ => None,
            })
            .collect()
    }

    fn ended(evs: &[UaEvent]) -> Option<EndReason> {
        Net::call_events(evs).into_iter().find_map(|e| match e {
            CallEvent::Ended { reason } => Some(reason),
            _ => None,
        })
    }
}

#[test]
fn call_answer_hangup() {
    let mut n = Net::new();
    let a = n.call("offer-1");
    let b = n.incoming();
    n.b.with_call(n.now, b, |c, now| c.ring(now, None));
    n.settle();
    assert!(Net::call_events(&n.ev_a)
        .iter()
        .any(|e| matches!(e, CallEvent::Progress { status: 180, .. })));
    n.b.with_call(n.now, b, |c, now| c.answer(now, b"answer-1".to_vec()));
    n.settle();
    assert!(Net::call_events(&n.ev_a).contains(&CallEvent::Answered {
        sdp: Some(b"answer-1".to_vec())
    }));
    assert!(Net::call_events(&n.ev_b).contains(&CallEvent::Confirmed { sdp: None }));
    assert_eq!(n.a.call(a).unwrap().state(), CallState::Confirmed);
    n.a.with_call(n.now, a, |c, now| c.hangup(now));
    n.settle();
    assert_eq!(Net::ended(&n.ev_a), Some(EndReason::LocalHangup));
    assert_eq!(Net::ended(&n.ev_b), Some(EndReason::RemoteHangup));
    assert!(n.a.call(a).is_none() && n.b.call(b).is_none());
    n.run_for(Duration::from_secs(40));
    let firsts: Vec<&str> = n.log.iter().map(|(_, _, l)| l.as_str()).collect();
    assert!(firsts.iter().any(|l| l.starts_with("ACK ")));
    assert!(firsts.iter().any(|l| l.starts_with("BYE ")));
    assert!(
        !firsts.iter().any(|l| l.starts_with("SIP/2.0 481")),
        "no stray requests: {firsts:?}"
    );
}

#[test]
fn cancel_before_answer_is_a_missed_call() {
    let mut n = Net::new();
    let a = n.call("offer");
    let b = n.incoming();
    n.b.with_call(n.now, b, |c, now| c.ring(now, None));
    n.settle();
    n.a.with_call(n.now, a, |c, now| c.hangup(now));
    n.settle();
    assert_eq!(Net::ended(&n.ev_b), Some(EndReason::CancelledByCaller));
    assert_eq!(Net::ended(&n.ev_a), Some(EndReason::LocalHangup));
    assert!(n
        .log
        .iter()
        .any(|(_, who, l)| *who == 'B' && l.starts_with("SIP/2.0 487")));
}

#[test]
fn hangup_before_any_provisional_waits_for_one() {
    let mut n = Net::new();
    n.drop_from_a = None;
    // B never rings: only 100 Trying (sent by its transaction layer) comes back
    let a = n.call("offer");
    n.a.with_call(n.now, a, |c, now| c.hangup(now));
    n.settle();
    assert!(
        n.log
            .iter()
            .any(|(_, who, l)| *who == 'A' && l.starts_with("CANCEL ")),
        "100 Trying counts as provisional: {:?}",
        n.log
    );
    assert_eq!(Net::ended(&n.ev_a), Some(EndReason::LocalHangup));
}

#[test]
fn decline_busy() {
    let mut n = Net::new();
    n.call("offer");
    let b = n.incoming();
    n.b.with_call(n.now, b, |c, _| c.decline(486));
    n.settle();
    assert_eq!(
        Net::ended(&n.ev_a),
        Some(EndReason::Rejected {
            status: 486,
            reason: "Busy Here".into()
        })
    );
    assert_eq!(Net::ended(&n.ev_b), Some(EndReason::Declined(486)));
}

fn established(n: &mut Net) -> (CallId, CallId) {
    let a = n.call("v1");
    let b = n.incoming();
    n.b.with_call(n.now, b, |c, now| c.answer(now, b"bv1".to_vec()));
    n.settle();
    n.ev_a.clear();
    n.ev_b.clear();
    (a, b)
}

#[test]
fn reinvite_and_update_offer_answer() {
    let mut n = Net::new();
    let (a, b) = established(&mut n);
    assert!(n.a.call(a).unwrap().dialog().is_some());
    let mut ok = false;
    n.a.with_call(n.now, a, |c, now| {
        ok = c.reoffer(now, b"hold".to_vec(), false)
    });
    assert!(ok);
    n.settle();
    assert!(Net::call_events(&n.ev_b).contains(&CallEvent::RemoteOffer {
        sdp: b"hold".to_vec(),
        method: Method::Invite
    }));
    n.b.with_call(n.now, b, |c, _| c.answer_offer(b"held".to_vec()));
    n.settle();
    assert!(
        Net::call_events(&n.ev_a).contains(&CallEvent::OfferAnswered {
            sdp: Some(b"held".to_vec())
        })
    );
    // UPDATE (B's 200 said Allow: UPDATE)
    n.a.with_call(n.now, a, |c, now| {
        ok = c.reoffer(now, b"resume".to_vec(), true)
    });
    n.settle();
    assert!(Net::call_events(&n.ev_b).contains(&CallEvent::RemoteOffer {
        sdp: b"resume".to_vec(),
        method: Method::Update
    }));
    n.b.with_call(n.now, b, |c, _| c.reject_offer(488, "no common codec"));
    n.settle();
    assert!(Net::call_events(&n.ev_a).contains(&CallEvent::OfferRejected { status: 488 }));
    assert_eq!(
        n.a.call(a).unwrap().state(),
        CallState::Confirmed,
        "a refused offer leaves the call up"
    );
}

#[test]
fn glare_resolves_by_retry() {
    let mut n = Net::new();
    let (a, b) = established(&mut n);
    // both offer at the same instant; deliver nothing until both are queued
    n.a.with_call(n.now, a, |c, now| {
        c.reoffer(now, b"a-offer".to_vec(), false);
    });
    n.b.with_call(n.now, b, |c, now| {
        c.reoffer(now, b"b-offer".to_vec(), false);
    });
    n.settle();
    assert!(
        n.log
            .iter()
            .filter(|(_, _, l)| l.starts_with("SIP/2.0 491"))
            .count()
            >= 1
    );
    // answer whatever offer arrives until both sides' offers went through
    for _ in 0..20 {
        n.run_for(Duration::from_millis(500));
        for (ua, evs) in [(&mut n.a, &mut n.ev_a), (&mut n.b, &mut n.ev_b)] {
            let offers: Vec<(CallId, Vec<u8>)> = evs
                .drain(..)
                .filter_map(|e| match e {
                    UaEvent::Call {
                        call,
                        event: CallEvent::RemoteOffer { sdp, .. },
                    } => Some((call, sdp)),
                    _ => None,
                })
                .collect();
            for (id, sdp) in offers {
                ua.with_call(n.now, id, |c, _| {
                    c.answer_offer([b"ans-".as_slice(), &sdp].concat())
                });
            }
        }
    }
    let all: Vec<&str> = n.log.iter().map(|(_, _, l)| l.as_str()).collect();
    assert!(
        all.iter().filter(|l| l.starts_with("INVITE ")).count() >= 3,
        "someone retried: {all:?}"
    );
    assert_eq!(n.a.call(a).unwrap().state(), CallState::Confirmed);
}

#[test]
fn early_media_is_sent_reliably_and_pracked() {
    let mut n = Net::new();
    n.call("offer");
    let b = n.incoming();
    n.b.with_call(n.now, b, |c, now| c.ring(now, Some(b"early".to_vec())));
    n.settle();
    assert!(n
        .log
        .iter()
        .any(|(_, who, l)| *who == 'A' && l.starts_with("PRACK ")));
    assert!(Net::call_events(&n.ev_a).iter().any(
        |e| matches!(e, CallEvent::Progress { status: 183, sdp: Some(s), .. } if s == b"early")
    ));
    n.run_for(Duration::from_secs(5));
    let count_183 = n
        .log
        .iter()
        .filter(|(_, who, l)| *who == 'B' && l.starts_with("SIP/2.0 183"))
        .count();
    assert_eq!(count_183, 1, "PRACK stopped the retransmissions");
}

#[test]
fn unpracked_reliable_provisional_is_retransmitted_then_gives_up() {
    let mut n = Net::new();
    n.call("offer");
    let b = n.incoming();
    n.drop_from_a = Some("PRACK".into());
    n.b.with_call(n.now, b, |c, now| c.ring(now, Some(b"early".to_vec())));
    n.run_for(Duration::from_secs(40));
    let count_183 = n
        .log
        .iter()
        .filter(|(_, who, l)| *who == 'B' && l.starts_with("SIP/2.0 183"))
        .count();
    assert!(count_183 >= 5, "retransmitted: {count_183}");
    assert_eq!(Net::ended(&n.ev_b), Some(EndReason::Timeout));
}

#[test]
fn session_timer_refreshes_and_expires() {
    let mut n = Net::new();
    let (a, _b) = established(&mut n);
    assert_eq!(n.a.call(a).unwrap().session_interval(), Some(1800));
    // an hour passes: the caller (refresher) refreshes every 900 s, the call lives
    n.run_for(Duration::from_secs(3600));
    let refreshes = n
        .log
        .iter()
        .filter(|(_, who, l)| *who == 'A' && l.starts_with("UPDATE "))
        .count();
    assert!(refreshes >= 3, "refreshed {refreshes} times: {:?}", n.log);
    assert_eq!(Net::ended(&n.ev_b), None);
    // the caller vanishes: the callee ends the session when it expires
    n.drop_all_from_a = true;
    n.run_for(Duration::from_secs(1800));
    assert_eq!(Net::ended(&n.ev_b), Some(EndReason::SessionExpired));
}

#[test]
fn lost_invite_is_retransmitted() {
    let mut n = Net::new();
    n.drop_all_from_a = true;
    n.call("offer");
    n.run_for(Duration::from_millis(400));
    n.drop_all_from_a = false;
    n.run_for(Duration::from_millis(200));
    n.incoming();
    let invites = n
        .log
        .iter()
        .filter(|(_, _, l)| l.starts_with("INVITE "))
        .count();
    assert_eq!(invites, 2);
}

#[test]
fn bye_for_unknown_dialog_gets_481() {
    let mut n = Net::new();
    let bye = "BYE sip:bob@192.0.2.2 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKx1\r\nFrom: <sip:a@192.0.2.1>;tag=1\r\nTo: <sip:bob@192.0.2.2>;tag=2\r\nCall-ID: nope\r\nCSeq: 2 BYE\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n";
    n.b.handle_input(n.now, Peer::new(Transport::Udp, addr(A)), bye.as_bytes());
    let t = n.b.poll_transmit().unwrap();
    let Message::Response(r) = parse(&t.data).unwrap() else {
        panic!()
    };
    assert_eq!(r.status, 481);
    assert!(r.to_header().unwrap().tag().is_some());
    let _ = HeaderName::Via;
}
