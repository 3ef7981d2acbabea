//! Every message of RFC 4475 section 3 and RFC 5118 section 4, from
//! `tests/data/sip/` (see its README): valid ones parse to the right fields,
//! invalid ones are refused with the status the RFC asks for, and the
//! semantically odd ones get the answer a user agent owes them.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Instant;

use handset_sip::message::{parse, parse_exact, HeaderAccess, Message, Uri};
use handset_sip::transaction::{Peer, Transport};
use handset_sip::ua::{UaConfig, UaEvent, UserAgent};
use serde_json::Value;

fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/sip")
}

fn manifest() -> Vec<Value> {
    let text = std::fs::read_to_string(data_dir().join("manifest.json")).expect("manifest.json");
    serde_json::from_str::<Vec<Value>>(&text).expect("manifest is JSON")
}

fn name(e: &Value) -> String {
    e["file"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .trim_end_matches(".dat")
        .to_string()
}

fn read(e: &Value) -> Vec<u8> {
    std::fs::read(data_dir().join(e["file"].as_str().unwrap())).unwrap()
}

/// What a user agent (not a proxy or registrar) answers: the final status it
/// sends, or `None` when the request is accepted for processing / a response
/// is absorbed.
fn ua_outcome(data: &[u8]) -> (Option<u16>, bool) {
    let mut ua = UserAgent::new(UaConfig::default());
    let src = Peer::new(
        Transport::Udp,
        "192.0.2.77:5060".parse::<SocketAddr>().unwrap(),
    );
    ua.handle_input(Instant::now(), src, data);
    let mut status = None;
    while let Some(t) = ua.poll_transmit() {
        let text = String::from_utf8_lossy(&t.data).to_string();
        let code: u16 = text.get(8..11).and_then(|c| c.parse().ok()).unwrap_or(0);
        if code >= 200 {
            status = Some(code);
        }
    }
    let mut delivered = false;
    while let Some(e) = ua.poll_event() {
        if matches!(e, UaEvent::Request { .. } | UaEvent::IncomingCall { .. }) {
            delivered = true;
        }
    }
    (status, delivered)
}

fn check_fields(e: &Value, m: &Message) {
    let n = name(e);
    match m {
        Message::Request(r) => {
            assert_eq!(e["kind"], "request", "{n}");
            assert_eq!(
                r.method.to_string(),
                e["method"].as_str().unwrap(),
                "{n}: method"
            );
            let expected = e["request_uri"].as_str().unwrap();
            let exp_uri = Uri::parse(expected)
                .unwrap_or_else(|err| panic!("{n}: manifest URI {expected}: {err}"));
            assert!(
                r.uri.equivalent(&exp_uri),
                "{n}: request-uri {} vs {expected}",
                r.uri
            );
        }
        Message::Response(r) => {
            assert_eq!(e["kind"], "response", "{n}");
            assert_eq!(
                r.status as u64,
                e["status"].as_u64().unwrap(),
                "{n}: status"
            );
        }
    }
    if let Some(c) = e["call_id"].as_str() {
        assert_eq!(m.call_id(), Some(c), "{n}: call-id");
    }
    if let Some(s) = e["cseq_seq"].as_u64() {
        let cseq = m.cseq().unwrap_or_else(|| panic!("{n}: cseq"));
        assert_eq!(cseq.seq as u64, s, "{n}: cseq seq");
        assert_eq!(
            cseq.method.to_string(),
            e["cseq_method"].as_str().unwrap(),
            "{n}: cseq method"
        );
    }
    if let Some(t) = e["from_tag"].as_str() {
        assert_eq!(m.from_header().unwrap().tag(), Some(t), "{n}: from tag");
    }
    match e["to_tag"].as_str() {
        Some(t) => assert_eq!(
            m.to_header().unwrap().tag(),
            Some(t),
            "{n}: to tag (wsinv loses it in rsip)"
        ),
        None => assert_eq!(
            m.to_header().and_then(|t| t.tag().map(str::to_string)),
            None,
            "{n}: no to tag"
        ),
    }
    if let Some(v) = e["via_count"].as_u64() {
        assert_eq!(m.vias().len() as u64, v, "{n}: via count");
    }
    if let Some(b) = e["top_via_branch"].as_str() {
        assert_eq!(m.top_via().unwrap().branch(), Some(b), "{n}: top branch");
    }
    if let Some(c) = e["contact_count"].as_u64() {
        assert_eq!(m.contacts().len() as u64, c, "{n}: contacts");
    }
    let body = e["content_length_header"]
        .as_u64()
        .unwrap_or(e["body_len"].as_u64().unwrap());
    assert_eq!(
        m.body().len() as u64,
        body,
        "{n}: body cut at Content-Length"
    );
}

#[test]
fn all_61_messages_are_present() {
    let m = manifest();
    assert_eq!(m.iter().filter(|e| e["rfc"] == "4475").count(), 49);
    assert_eq!(m.iter().filter(|e| e["rfc"] == "5118").count(), 12);
}

#[test]
fn valid_messages_parse_to_the_right_fields_and_round_trip() {
    for e in manifest().iter().filter(|e| e["class"] == "valid") {
        let data = read(e);
        let n = name(e);
        let m = parse(&data).unwrap_or_else(|err| panic!("{n} must parse: {err}"));
        m.check_mandatory()
            .unwrap_or_else(|err| panic!("{n}: {err}"));
        check_fields(e, &m);
        let again = parse(&m.to_bytes())
            .unwrap_or_else(|err| panic!("{n} re-serialized must parse: {err}"));
        assert_eq!(again, m, "{n}: serialize/parse round trip");
        if n != "dblreq" {
            parse_exact(&data).unwrap_or_else(|err| panic!("{n} exact: {err}"));
        }
        if !m.headers().is_empty() {
            if let Message::Request(_) = m {
                let (status, delivered) = ua_outcome(&data);
                // valid requests reach the application, or are answered by the UA
                // itself: OPTIONS 200, REGISTER 405 (a phone is not a registrar), and
                // 481 for a To tag naming a dialog this fresh UA does not have
                let in_dialog = m.to_header().is_some_and(|t| t.tag().is_some());
                let ok = delivered
                    || matches!(status, Some(200 | 405 | 501))
                    || (in_dialog && status == Some(481));
                assert!(ok, "{n}: status {status:?}");
            }
        }
    }
}

#[test]
fn specific_valid_details() {
    let m = manifest();
    let get = |n: &str| parse(&read(m.iter().find(|e| name(e) == n).unwrap())).unwrap();
    // esc01: escapes are equivalent to the characters they stand for
    let Message::Request(r) = get("esc01") else {
        panic!()
    };
    assert_eq!(r.uri.user().as_deref(), Some("sips:user@example.com"));
    // escnull: %00 does not cut the user part short
    let to = get("escnull").to_header().unwrap();
    assert_eq!(to.uri.user().as_deref(), Some("null-\0-null"));
    // esc02: an escaped method name is an unknown method, not REGISTER
    let Message::Request(r) = get("esc02") else {
        panic!()
    };
    assert_eq!(r.method.to_string(), "RE%47IST%45R");
    // semiuri: ';' in the user part is not a URI parameter
    let Message::Request(r) = get("semiuri") else {
        panic!()
    };
    assert_eq!(r.uri.user().as_deref(), Some("user;par=u@example.net"));
    assert!(r.uri.as_sip().unwrap().params.is_empty());
    // transports: unknown Via transports are kept
    let vias = get("transports").vias();
    assert!(vias.iter().any(|v| v.transport == "UNKNOWN"));
    // noreason: empty reason phrase
    let Message::Response(r) = get("noreason") else {
        panic!()
    };
    assert_eq!(r.reason, "");
    // port-ambiguous: the :5070 is inside the brackets, part of the address
    let Message::Request(r) = get("port-ambiguous") else {
        panic!()
    };
    let u = r.uri.as_sip().unwrap();
    assert_eq!(u.host.to_string(), "[2001:db8::10:5070]");
    assert_eq!(u.port, None);
    let Message::Request(r) = get("port-unambiguous") else {
        panic!()
    };
    assert_eq!(r.uri.as_sip().unwrap().port, Some(5070));
    // via-received without brackets keeps all of its colons
    let v = get("via-received-param-no-delim").top_via().unwrap();
    assert_eq!(v.received(), Some("2001:db8::9:255"));
}

#[test]
fn invalid_messages_are_refused_with_the_rfc_status() {
    for e in manifest().iter().filter(|e| e["class"] == "invalid") {
        let data = read(e);
        let n = name(e);
        let err = parse(&data).expect_err(&n);
        let (status, delivered) = ua_outcome(&data);
        assert!(!delivered, "{n} must not reach the application");
        match e["expect_status"].as_u64() {
            // responses (bigcode, scalarlg) are dropped, never answered
            None => assert_eq!(status, None, "{n}"),
            // mismatch02: RFC 4475 allows 400 as well as 501
            Some(501) => assert!(matches!(status, Some(400 | 501)), "{n}: {status:?}"),
            Some(s) => assert_eq!(status, Some(s as u16), "{n}: {err}"),
        }
    }
}

#[test]
fn semantic_messages_get_a_user_agents_answer() {
    for e in manifest().iter().filter(|e| e["class"] == "semantic") {
        let data = read(e);
        let n = name(e);
        let (status, delivered) = ua_outcome(&data);
        let role = e["expect_role"].as_str().unwrap_or("any");
        let expected = e["expect_status"].as_u64().map(|s| s as u16);
        match (n.as_str(), role) {
            // a bare "z9hG4bK" branch: RFC 4475 allows falling back to RFC 2543
            // matching instead of 400, which is what Handset does
            ("badbranch", _) => assert!(
                delivered || matches!(status, Some(200 | 400)),
                "{n}: {status:?}"
            ),
            // 483 is a proxy's answer; a UA is the destination and answers OPTIONS itself
            ("zeromf", "proxy") => assert_eq!(status, Some(200), "{n}"),
            // REGISTER at a phone, not a registrar: 405 Method Not Allowed
            (_, "registrar") => {
                assert!(parse(&data).is_ok(), "{n} parses");
                assert_eq!(status, Some(405), "{n}");
            }
            (_, _) => match expected {
                Some(s) => assert_eq!(status, Some(s), "{n}: {}", e["note"]),
                None => assert_eq!(status, None, "{n}: nothing to refuse"),
            },
        }
    }
}

#[test]
fn contact_parameters_are_header_parameters_in_addr_spec_form() {
    let m = manifest();
    let msg = parse(&read(m.iter().find(|e| name(e) == "cparam01").unwrap())).unwrap();
    let c = &msg.contacts()[0];
    assert!(
        c.params.contains("unknownparam"),
        "cparam01: a contact-param"
    );
    assert!(c.uri.as_sip().unwrap().params.is_empty());
    let msg = parse(&read(m.iter().find(|e| name(e) == "cparam02").unwrap())).unwrap();
    let c = &msg.contacts()[0];
    assert!(
        c.uri.as_sip().unwrap().params.contains("unknownparam"),
        "cparam02: a URI param"
    );
}
