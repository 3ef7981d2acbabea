//! Property tests of the SDP parser and offer/answer, bounded by
//! `PROPTEST_CASES` (CI runs them; `fuzz/` has the cargo-fuzz target for
//! longer runs): random bytes and mutated real offers never panic, accepted
//! descriptions round-trip, and answers to them are well-formed.

use std::net::IpAddr;

use handset_sip::sdp::{self, AudioCaps, LocalMedia, Origin, Sdp};
use proptest::prelude::*;

const OFFERS: &[&str] = &[
    "v=0\r\no=- 2890 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 10000 RTP/AVP 0 8 9 96 101\r\na=rtpmap:96 opus/48000/2\r\na=fmtp:96 stereo=1\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\na=sendrecv\r\n",
    "v=0\r\no=alice 1 2 IN IP6 ::1\r\ns=call\r\nc=IN IP6 ::1\r\nt=0 0\r\nm=audio 7000 RTP/SAVP 0\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^20|1:4\r\na=rtcp:7005 IN IP6 ::2\r\na=rtcp-mux\r\nm=video 7002 RTP/AVP 96\r\na=rtpmap:96 VP8/90000\r\n",
    "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\nm=audio 0 RTP/AVP 18\r\na=inactive\r\na=candidate:1 1 UDP 2130706431 10.0.0.1 8998 typ host\r\n",
];

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000)
}

fn exercise(data: &[u8]) {
    let Ok(offer) = Sdp::parse(data) else { return };
    let written = offer.to_bytes();
    let again = Sdp::parse(&written).expect("a description we wrote parses");
    assert_eq!(
        again,
        offer,
        "round trip of {}",
        String::from_utf8_lossy(&written)
    );
    let ip = IpAddr::from([127, 0, 0, 1]);
    let local = LocalMedia {
        ip,
        rtp_port: 4000,
        rtcp_port: 4001,
    };
    let caps = AudioCaps {
        srtp_key: vec![7; 30],
        ..AudioCaps::default()
    };
    if let Ok((answer, n)) = sdp::answer(&offer, Origin::new("-", 1, 1, ip), &local, &caps) {
        assert_eq!(
            answer.media.len(),
            offer.media.len(),
            "one answer line per offer line"
        );
        assert!(Sdp::parse(&answer.to_bytes()).is_ok());
        assert!(n.ptime >= 10);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    #[test]
    fn random_bytes_never_panic(data in prop::collection::vec(any::<u8>(), 0..1024)) {
        exercise(&data);
    }

    #[test]
    fn mutated_offers_never_panic(
        which in 0..OFFERS.len(),
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 1..8),
    ) {
        let mut data = OFFERS[which].as_bytes().to_vec();
        for (at, byte, op) in edits {
            if data.is_empty() {
                break;
            }
            let i = at.index(data.len());
            match op {
                0 => data[i] = byte,
                1 => { data.remove(i); }
                _ => data.insert(i, byte),
            }
        }
        exercise(&data);
    }
}

#[test]
fn the_seed_offers_are_answered() {
    for o in OFFERS {
        exercise(o.as_bytes());
    }
}
