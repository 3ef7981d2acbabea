//! Property tests of the parser: it never panics on any input, and whatever
//! it accepts serializes back to bytes it parses to the same message.
//!
//! CI runs these with a bounded case count (`PROPTEST_CASES`, default 512 per
//! property here); run with a larger count locally for a longer fuzzing session.

use std::path::PathBuf;

use handset_sip::message::{parse, parse_exact, HeaderName, Message, NameAddr, Uri, Via};
use proptest::prelude::*;

fn corpus() -> Vec<Vec<u8>> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/sip");
    let mut out = Vec::new();
    for sub in ["rfc4475", "rfc5118"] {
        for entry in std::fs::read_dir(dir.join(sub)).unwrap() {
            out.push(std::fs::read(entry.unwrap().path()).unwrap());
        }
    }
    out.sort();
    out
}

fn round_trips(m: &Message) {
    let bytes = m.to_bytes();
    let mut again = parse(&bytes).unwrap_or_else(|e| {
        panic!(
            "accepted message failed to re-parse: {e}\n{}",
            String::from_utf8_lossy(&bytes)
        )
    });
    // serialization always writes a Content-Length, even where the input had none
    let mut m = m.clone();
    m.headers_mut().remove(&HeaderName::ContentLength);
    again.headers_mut().remove(&HeaderName::ContentLength);
    assert_eq!(again, m);
}

#[derive(Debug, Clone)]
enum Mutation {
    Flip(usize, u8),
    Truncate(usize),
    Insert(usize, Vec<u8>),
    Delete(usize, usize),
    Duplicate(usize, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::Flip(i, b)),
        any::<usize>().prop_map(Mutation::Truncate),
        (
            any::<usize>(),
            prop::collection::vec(
                prop::sample::select(b"\r\n :;,<>\"\\%@[]=?&\t\x00\xff0123456789zZ".to_vec()),
                1..8
            )
        )
            .prop_map(|(i, v)| Mutation::Insert(i, v)),
        (any::<usize>(), 1usize..40).prop_map(|(i, n)| Mutation::Delete(i, n)),
        (any::<usize>(), 1usize..80).prop_map(|(i, n)| Mutation::Duplicate(i, n)),
    ]
}

fn apply(mut data: Vec<u8>, muts: &[Mutation]) -> Vec<u8> {
    for m in muts {
        if data.is_empty() {
            break;
        }
        let len = data.len();
        match m {
            Mutation::Flip(i, b) => data[i % len] ^= b | 1,
            Mutation::Truncate(i) => data.truncate(i % len),
            Mutation::Insert(i, v) => {
                let at = i % (len + 1);
                data.splice(at..at, v.iter().copied());
            }
            Mutation::Delete(i, n) => {
                let at = i % len;
                let end = (at + n).min(len);
                data.drain(at..end);
            }
            Mutation::Duplicate(i, n) => {
                let at = i % len;
                let end = (at + n).min(len);
                let chunk: Vec<u8> = data[at..end].to_vec();
                data.splice(end..end, chunk);
            }
        }
    }
    data
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(512)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(data in prop::collection::vec(any::<u8>(), 0..2048)) {
        if let Ok(m) = parse(&data) { round_trips(&m); }
        let _ = parse_exact(&data);
    }

    #[test]
    fn mutated_torture_messages_never_panic_and_round_trip(
        pick in any::<prop::sample::Index>(),
        muts in prop::collection::vec(mutation(), 1..6),
    ) {
        let corpus = corpus();
        let data = apply(corpus[pick.index(corpus.len())].clone(), &muts);
        if let Ok(m) = parse(&data) { round_trips(&m); }
        let _ = parse_exact(&data);
    }

    #[test]
    fn generated_requests_round_trip(
        user in "[a-zA-Z0-9._~!*'()&=+$,;?/-]{1,20}",
        host in "[a-z]([a-z0-9-]{0,8}[a-z0-9])?(\\.[a-z]([a-z0-9-]{0,8}[a-z0-9])?){0,3}",
        port in proptest::option::of(1u16..65535),
        display in proptest::option::of("[ -~]{0,20}"),
        tag in "[a-zA-Z0-9]{1,16}",
        seq in 0u32..2147483647,
        body in prop::collection::vec(any::<u8>(), 0..200),
        extra in prop::collection::vec(("X-[A-Za-z]{1,10}", "[ -~]{0,40}"), 0..4),
    ) {
        let uri = format!("sip:{user}@{host}{}", port.map(|p| format!(":{p}")).unwrap_or_default());
        let from = match &display {
            Some(d) => format!("{} <{uri}>;tag={tag}", handset_sip::text::quote(d)),
            None => format!("<{uri}>;tag={tag}"),
        };
        let mut text = format!(
            "MESSAGE {uri} SIP/2.0\r\nVia: SIP/2.0/UDP {host};branch=z9hG4bK{tag}\r\nFrom: {from}\r\nTo: <{uri}>\r\nCall-ID: {tag}@{host}\r\nCSeq: {seq} MESSAGE\r\nMax-Forwards: 70\r\n"
        );
        for (k, v) in &extra {
            text.push_str(&format!("{k}: {}\r\n", v.trim()));
        }
        text.push_str(&format!("Content-Type: text/plain\r\nContent-Length: {}\r\n\r\n", body.len()));
        let mut data = text.into_bytes();
        data.extend_from_slice(&body);
        let m = parse(&data).unwrap_or_else(|e| panic!("{e}\n{}", String::from_utf8_lossy(&data)));
        let Message::Request(r) = &m else { panic!() };
        prop_assert_eq!(r.body.as_slice(), body.as_slice());
        let f = NameAddr::parse(r.headers.get(&handset_sip::message::HeaderName::From).unwrap()).unwrap();
        prop_assert_eq!(f.tag(), Some(tag.as_str()));
        prop_assert_eq!(f.display.as_deref(), display.as_deref().filter(|d| !d.is_empty()).or(if display.is_some() { Some("") } else { None }));
        round_trips(&m);
    }

    #[test]
    fn uri_and_via_parsers_never_panic(s in "\\PC{0,120}") {
        if let Ok(u) = Uri::parse(&s) {
            let again = Uri::parse(&u.to_string()).unwrap();
            prop_assert!(again.equivalent(&u));
        }
        let _ = Via::parse(&s);
        let _ = NameAddr::parse(&s);
    }
}
