//! Transaction retransmission and timeout tables, run in virtual time.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use handset_sip::message::{
    new_branch, new_call_id, parse, HeaderAccess, Message, Method, NameAddr, Request,
    RequestBuilder, Response, Uri, Via,
};
use handset_sip::transaction::{Endpoint, EndpointConfig, Peer, Transport, TxEvent};

fn peer(transport: Transport) -> Peer {
    Peer::new(transport, "192.0.2.10:5060".parse::<SocketAddr>().unwrap())
}

fn request(method: Method) -> Request {
    let from = NameAddr::parse("<sip:alice@atlanta.example>").unwrap();
    let to = NameAddr::parse("<sip:bob@biloxi.example>").unwrap();
    let via = Via::new(
        "UDP",
        "192.0.2.1".parse::<std::net::IpAddr>().unwrap().into(),
        Some(5060),
        &new_branch(),
    );
    RequestBuilder::new(
        method,
        Uri::parse("sip:bob@biloxi.example").unwrap(),
        from,
        to,
        &new_call_id(),
        1,
    )
    .via(&via)
    .build()
}

/// Runs the endpoint until `until`, jumping from timer to timer, and returns the
/// offsets (ms) at which something was transmitted plus the events seen.
fn run(ep: &mut Endpoint, t0: Instant, until: Duration) -> (Vec<u64>, Vec<TxEvent>) {
    let mut sent = Vec::new();
    let mut events = Vec::new();
    let mut now = t0;
    loop {
        while let Some(t) = ep.poll_transmit() {
            let _ = t;
            sent.push((now - t0).as_millis() as u64);
        }
        while let Some(e) = ep.poll_event() {
            events.push(e);
        }
        match ep.poll_timeout() {
            Some(t) if t - t0 <= until => {
                now = t;
                ep.handle_timeout(now);
            }
            _ => break,
        }
    }
    (sent, events)
}

fn timeouts(events: &[TxEvent]) -> usize {
    events
        .iter()
        .filter(|e| matches!(e, TxEvent::Timeout { .. }))
        .count()
}

#[test]
fn invite_client_udp_timer_a_and_b() {
    let mut ep = Endpoint::new(EndpointConfig::default());
    let t0 = Instant::now();
    ep.send_request(t0, request(Method::Invite), peer(Transport::Udp))
        .unwrap();
    let (sent, events) = run(&mut ep, t0, Duration::from_secs(60));
    // Timer A doubles from T1 without cap; Timer B fires at 64*T1 = 32 s
    assert_eq!(sent, vec![0, 500, 1500, 3500, 7500, 15500, 31500]);
    assert_eq!(timeouts(&events), 1);
    assert!(ep.is_empty());
}

#[test]
fn invite_client_tcp_has_no_retransmissions() {
    let mut ep = Endpoint::new(EndpointConfig::default());
    let t0 = Instant::now();
    ep.send_request(t0, request(Method::Invite), peer(Transport::Tcp))
        .unwrap();
    let (sent, events) = run(&mut ep, t0, Duration::from_secs(60));
    assert_eq!(sent, vec![0]);
    assert_eq!(timeouts(&events), 1);
}

#[test]
fn non_invite_client_udp_timer_e_capped_at_t2_and_f() {
    let mut ep = Endpoint::new(EndpointConfig::default());
    let t0 = Instant::now();
    ep.send_request(t0, request(Method::Options), peer(Transport::Udp))
        .unwrap();
    let (sent, events) = run(&mut ep, t0, Duration::from_secs(60));
    assert_eq!(
        sent,
        vec![0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500]
    );
    assert_eq!(timeouts(&events), 1);
}

#[test]
fn non_invite_client_proceeding_retransmits_every_t2() {
    let mut ep = Endpoint::new(EndpointConfig::default());
    let t0 = Instant::now();
    let req = request(Method::Register);
    let tx = ep
        .send_request(t0, req.clone(), peer(Transport::Udp))
        .unwrap();
    ep.poll_transmit().unwrap();
    let trying = Response::for_request(&req, 100, None);
    ep.handle_input(
        t0 + Duration::from_millis(100),
        peer(Transport::Udp),
        &trying.to_bytes(),
    );
    assert!(
        matches!(ep.poll_event(), Some(TxEvent::Response { tx: t, response }) if t == tx && response.status == 100)
    );
    let (sent, _) = run(&mut ep, t0, Duration::from_secs(20));
    assert_eq!(sent, vec![500, 4500, 8500, 12500, 16500]);
}

#[test]
fn final_response_then_timer_k() {
    let mut ep = Endpoint::new(EndpointConfig::default());
    let t0 = Instant::now();
    let req = request(Method::Options);
    let tx = ep
        .send_request(t0, req.clone(), peer(Transport::Udp))
        .unwrap();
    ep.poll_transmit();
    let ok = Response::for_request(&req, 200, Some("x"));
    ep.handle_input(t0, peer(Transport::Udp), &ok.to_bytes());
    // a retransmitted 200 in Completed is absorbed
    ep.handle_input(t0, peer(Transport::Udp), &ok.to_bytes());
    let (sent, events) = run(&mut ep, t0, Duration::from_secs(10));
    assert!(sent.is_empty());
    let responses = events
        .iter()
        .filter(|e| matches!(e, TxEvent::Response { .. }))
        .count();
    assert_eq!(responses, 1);
    assert!(events.contains(&TxEvent::Terminated { tx }));
    assert!(ep.is_empty(), "Timer K (T4) ended it");
}

#[test]
fn invite_client_non_2xx_is_acked_and_ack_repeated() {
    let mut ep = Endpoint::new(EndpointConfig::default());
    let t0 = Instant::now();
    let req = request(Method::Invite);
    ep.send_request(t0, req.clone(), peer(Transport::Udp))
        .unwrap();
    ep.poll_transmit();
    let busy = Response::for_request(&req, 486, Some("callee"));
    ep.handle_input(t0, peer(Transport::Udp), &busy.to_bytes());
    let ack = ep.poll_transmit().expect("ACK sent");
    let Message::Request(ack) = parse(&ack.data).unwrap() else {
        panic!()
    };
    assert_eq!(ack.method, Method::Ack);
    assert_eq!(ack.cseq().unwrap().seq, req.cseq().unwrap().seq);
    assert_eq!(ack.to_header().unwrap().tag(), Some("callee"));
    assert_eq!(
        ack.top_via().unwrap().branch(),
        req.top_via().unwrap().branch()
    );
    ep.handle_input(
        t0 + Duration::from_secs(1),
        peer(Transport::Udp),
        &busy.to_bytes(),
    );
    assert!(
        ep.poll_transmit().is_some(),
        "ACK repeated for a retransmitted final"
    );
    let (_, events) = run(&mut ep, t0, Duration::from_secs(40));
    assert!(
        events
            .iter()
            .any(|e| matches!(e, TxEvent::Terminated { .. })),
        "Timer D ended it"
    );
    assert!(ep.is_empty());
}

#[test]
fn invite_client_2xx_retransmissions_reach_the_tu() {
    let mut ep = Endpoint::new(EndpointConfig::default());
    let t0 = Instant::now();
    let req = request(Method::Invite);
    ep.send_request(t0, req.clone(), peer(Transport::Udp))
        .unwrap();
    ep.poll_transmit();
    let ok = Response::for_request(&req, 200, Some("callee"));
    ep.handle_input(t0, peer(Transport::Udp), &ok.to_bytes());
    ep.handle_input(
        t0 + Duration::from_millis(500),
        peer(Transport::Udp),
        &ok.to_bytes(),
    );
    let n = std::iter::from_fn(|| ep.poll_event())
        .filter(|e| matches!(e, TxEvent::Response { response, .. } if response.status == 200))
        .count();
    assert_eq!(
        n, 2,
        "RFC 6026 Accepted state passes 2xx retransmissions up"
    );
    assert!(
        ep.poll_transmit().is_none(),
        "the transaction does not ACK a 2xx"
    );
    let (_, events) = run(&mut ep, t0, Duration::from_secs(40));
    assert!(
        events
            .iter()
            .any(|e| matches!(e, TxEvent::Terminated { .. })),
        "Timer M ended it"
    );
    // after that a 2xx is stray and still reaches the TU
    ep.handle_input(
        t0 + Duration::from_secs(41),
        peer(Transport::Udp),
        &ok.to_bytes(),
    );
    assert!(matches!(
        ep.poll_event(),
        Some(TxEvent::StrayResponse { .. })
    ));
}

fn server_invite(
    ep: &mut Endpoint,
    t0: Instant,
    transport: Transport,
) -> (Request, handset_sip::transaction::TransactionId) {
    let req = request(Method::Invite);
    ep.handle_input(t0, peer(transport), &req.to_bytes());
    let trying = ep.poll_transmit().expect("100 Trying");
    assert!(String::from_utf8_lossy(&trying.data).starts_with("SIP/2.0 100"));
    let Some(TxEvent::Request {
        tx: Some(tx),
        request,
        ..
    }) = ep.poll_event()
    else {
        panic!("request event")
    };
    (request, tx)
}

#[test]
fn invite_server_error_retransmitted_by_timer_g_until_h() {
    let mut ep = Endpoint::new(EndpointConfig::default());
    let t0 = Instant::now();
    let (req, tx) = server_invite(&mut ep, t0, Transport::Udp);
    ep.send_response(t0, tx, Response::for_request(&req, 486, Some("me")))
        .unwrap();
    let (sent, events) = run(&mut ep, t0, Duration::from_secs(40));
    assert_eq!(
        sent,
        vec![0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500]
    );
    assert_eq!(timeouts(&events), 1, "Timer H: no ACK");
}

#[test]
fn invite_server_ack_stops_g_then_timer_i() {
    let mut ep = Endpoint::new(EndpointConfig::default());
    let t0 = Instant::now();
    let (req, tx) = server_invite(&mut ep, t0, Transport::Udp);
    let resp = Response::for_request(&req, 603, Some("me"));
    ep.send_response(t0, tx, resp.clone()).unwrap();
    ep.poll_transmit();
    // the client's ACK for a non-2xx has the INVITE's branch
    let mut ack = req.clone();
    ack.method = Method::Ack;
    ack.headers
        .set(handset_sip::message::HeaderName::CSeq, "1 ACK");
    ack.headers.set(
        handset_sip::message::HeaderName::To,
        resp.headers
            .get(&handset_sip::message::HeaderName::To)
            .unwrap(),
    );
    ep.handle_input(
        t0 + Duration::from_millis(200),
        peer(Transport::Udp),
        &ack.to_bytes(),
    );
    assert!(ep.poll_event().is_none(), "ACK absorbed by the transaction");
    let (sent, events) = run(&mut ep, t0, Duration::from_secs(10));
    assert!(sent.is_empty());
    assert_eq!(timeouts(&events), 0);
    assert!(ep.is_empty(), "Timer I (T4) ended it");
}

#[test]
fn invite_server_2xx_retransmitted_until_ack() {
    let mut ep = Endpoint::new(EndpointConfig::default());
    let t0 = Instant::now();
    let (req, tx) = server_invite(&mut ep, t0, Transport::Udp);
    let ok = Response::for_request(&req, 200, Some("me"));
    ep.send_response(t0, tx, ok.clone()).unwrap();
    ep.poll_transmit();
    ep.handle_timeout(t0 + Duration::from_millis(500));
    assert!(ep.poll_transmit().is_some(), "2xx retransmitted at T1");
    // the ACK for a 2xx has a new branch
    let mut ack = request(Method::Ack);
    ack.headers.set(
        handset_sip::message::HeaderName::CallId,
        req.call_id().unwrap(),
    );
    ack.headers.set(
        handset_sip::message::HeaderName::From,
        req.headers
            .get(&handset_sip::message::HeaderName::From)
            .unwrap(),
    );
    ack.headers
        .set(handset_sip::message::HeaderName::CSeq, "1 ACK");
    ep.handle_input(
        t0 + Duration::from_millis(600),
        peer(Transport::Udp),
        &ack.to_bytes(),
    );
    assert!(
        matches!(ep.poll_event(), Some(TxEvent::Request { tx: None, request, .. }) if request.method == Method::Ack)
    );
    let (sent, events) = run(&mut ep, t0, Duration::from_secs(40));
    assert!(sent.is_empty(), "no retransmission after the ACK");
    assert_eq!(timeouts(&events), 0);
    // INVITE retransmissions inside Timer L are absorbed, not a new call
    assert!(ep.is_empty());
}

#[test]
fn invite_server_unacked_2xx_times_out() {
    let mut ep = Endpoint::new(EndpointConfig::default());
    let t0 = Instant::now();
    let (req, tx) = server_invite(&mut ep, t0, Transport::Udp);
    ep.send_response(t0, tx, Response::for_request(&req, 200, Some("me")))
        .unwrap();
    let (sent, events) = run(&mut ep, t0, Duration::from_secs(40));
    assert_eq!(
        sent,
        vec![0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500]
    );
    assert_eq!(
        timeouts(&events),
        1,
        "the TU learns the 2xx was never ACKed"
    );
}

#[test]
fn request_retransmission_gets_last_response() {
    let mut ep = Endpoint::new(EndpointConfig::default());
    let t0 = Instant::now();
    let req = request(Method::Message);
    ep.handle_input(t0, peer(Transport::Udp), &req.to_bytes());
    let Some(TxEvent::Request {
        tx: Some(tx),
        request,
        ..
    }) = ep.poll_event()
    else {
        panic!()
    };
    ep.send_response(t0, tx, Response::for_request(&request, 200, Some("me")))
        .unwrap();
    ep.poll_transmit().unwrap();
    ep.handle_input(
        t0 + Duration::from_millis(500),
        peer(Transport::Udp),
        &req.to_bytes(),
    );
    assert!(
        ep.poll_event().is_none(),
        "a retransmission is not a new request"
    );
    let again = ep.poll_transmit().unwrap();
    assert!(String::from_utf8_lossy(&again.data).starts_with("SIP/2.0 200"));
    let (_, events) = run(&mut ep, t0, Duration::from_secs(40));
    assert!(
        events.contains(&TxEvent::Terminated { tx }),
        "Timer J ended it"
    );
}

#[test]
fn cancel_answers_200_and_tells_the_tu() {
    let mut ep = Endpoint::new(EndpointConfig::default());
    let t0 = Instant::now();
    let (req, invite_tx) = server_invite(&mut ep, t0, Transport::Udp);
    let mut cancel = req.clone();
    cancel.method = Method::Cancel;
    cancel
        .headers
        .set(handset_sip::message::HeaderName::CSeq, "1 CANCEL");
    ep.handle_input(t0, peer(Transport::Udp), &cancel.to_bytes());
    let ok = ep.poll_transmit().unwrap();
    assert!(String::from_utf8_lossy(&ok.data).starts_with("SIP/2.0 200"));
    assert!(
        matches!(ep.poll_event(), Some(TxEvent::Cancelled { invite, .. }) if invite == invite_tx)
    );
    // a CANCEL for nothing gets 481
    let mut stray = request(Method::Cancel);
    stray
        .headers
        .set(handset_sip::message::HeaderName::CSeq, "1 CANCEL");
    ep.handle_input(t0, peer(Transport::Udp), &stray.to_bytes());
    let r = ep.poll_transmit().unwrap();
    assert!(String::from_utf8_lossy(&r.data).starts_with("SIP/2.0 481"));
}

#[test]
fn malformed_request_answered_400_with_reason() {
    let mut ep = Endpoint::new(EndpointConfig::default());
    let t0 = Instant::now();
    let bad = "INVITE sip:bob@biloxi.example SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKx\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:b@c>\r\nCall-ID: abc\r\nCSeq: 99999999999 INVITE\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n";
    ep.handle_input(t0, peer(Transport::Udp), bad.as_bytes());
    let t = ep.poll_transmit().expect("400 sent");
    // the answer echoes the broken CSeq as RFC 3261 8.2.6.2 says, so read its first line
    let text = String::from_utf8_lossy(&t.data);
    let status_line = text.lines().next().unwrap();
    assert!(status_line.starts_with("SIP/2.0 400 "), "{status_line}");
    assert!(
        status_line.contains("CSeq"),
        "reason says what is wrong: {status_line}"
    );
    assert!(text.contains("Call-ID: abc\r\n"));
    assert!(matches!(
        ep.poll_event(),
        Some(TxEvent::Malformed {
            answered: Some(400),
            ..
        })
    ));
    // garbage without a Via can only be dropped
    ep.handle_input(t0, peer(Transport::Udp), b"\x16\x03\x01\x02\x00garbage");
    assert!(ep.poll_transmit().is_none());
    assert!(matches!(
        ep.poll_event(),
        Some(TxEvent::Malformed { answered: None, .. })
    ));
}

#[test]
fn received_and_rport_are_stamped() {
    let mut ep = Endpoint::new(EndpointConfig::default());
    let t0 = Instant::now();
    let req = request(Method::Options);
    let src = Peer::new(Transport::Udp, "203.0.113.7:40000".parse().unwrap());
    ep.handle_input(t0, src, &req.to_bytes());
    let Some(TxEvent::Request { request, .. }) = ep.poll_event() else {
        panic!()
    };
    let via = request.top_via().unwrap();
    assert_eq!(via.received(), Some("203.0.113.7"));
    assert_eq!(via.rport(), Some(40000));
}
