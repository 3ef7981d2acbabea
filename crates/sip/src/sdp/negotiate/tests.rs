use std::net::{IpAddr, Ipv4Addr};

use super::*;

const LOCAL_IP: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

fn local(port: u16) -> LocalMedia {
    LocalMedia {
        ip: LOCAL_IP,
        rtp_port: port,
        rtcp_port: port + 1,
    }
}

fn origin() -> Origin {
    Origin::new("handset", 42, 1, LOCAL_IP)
}

fn caps() -> AudioCaps {
    AudioCaps {
        srtp_key: (0u8..30).collect(),
        ..AudioCaps::default()
    }
}

fn sdp(text: &str) -> Sdp {
    Sdp::parse(text.replace('\n', "\r\n").as_bytes()).expect("test SDP parses")
}

/// What baresip 1.0.0 offers with g711, g722 and opus loaded.
const BARESIP_OFFER: &str = "v=0
o=- 2890 1 IN IP4 127.0.0.1
s=-
c=IN IP4 127.0.0.1
t=0 0
m=audio 10000 RTP/AVP 0 8 9 96 101
a=rtpmap:0 PCMU/8000
a=rtpmap:8 PCMA/8000
a=rtpmap:9 G722/8000
a=rtpmap:96 opus/48000/2
a=fmtp:96 stereo=1;sprop-stereo=1
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-15
a=sendrecv
a=rtcp-rsize
";

#[test]
fn offer_lists_codecs_events_and_keys() {
    let o = offer(origin(), &local(4000), &caps());
    let text = String::from_utf8(o.to_bytes()).unwrap();
    let m = &o.media[0];
    assert_eq!(m.port, 4000);
    assert_eq!(m.proto, Proto::RtpAvp, "best-effort SRTP stays on RTP/AVP");
    assert_eq!(m.payload_types(), vec![111, 9, 0, 8, 110, 101]);
    assert!(text.contains("a=rtpmap:111 opus/48000/2\r\n"), "{text}");
    assert!(text.contains("useinbandfec=1"), "{text}");
    assert!(text.contains("usedtx=1"), "{text}");
    assert!(
        text.contains("a=rtpmap:101 telephone-event/8000\r\n"),
        "{text}"
    );
    assert_eq!(m.attributes.cryptos().len(), 2);
    assert_eq!(m.attributes.direction(), Some(Direction::SendRecv));
    // and it reads back as we wrote it
    assert_eq!(Sdp::parse(&o.to_bytes()).unwrap(), o);
}

#[test]
fn mandatory_srtp_offers_savp_and_off_offers_no_keys() {
    let mut c = caps();
    c.srtp = SrtpPolicy::Mandatory;
    assert_eq!(
        offer(origin(), &local(4000), &c).media[0].proto,
        Proto::RtpSavp
    );
    c.srtp = SrtpPolicy::Off;
    let o = offer(origin(), &local(4000), &c);
    assert!(o.media[0].attributes.cryptos().is_empty());
}

#[test]
fn answer_follows_the_offerers_order_and_numbers() {
    let (ans, n) = answer(&sdp(BARESIP_OFFER), origin(), &local(5000), &caps()).unwrap();
    assert_eq!(n.codec.encoding, "PCMU");
    assert_eq!(n.codec.payload_type, 0);
    assert_eq!(n.telephone_event, Some(101));
    assert_eq!(n.remote_rtp, "127.0.0.1:10000".parse().unwrap());
    assert_eq!(n.remote_rtcp, "127.0.0.1:10001".parse().unwrap());
    assert_eq!(n.direction, Direction::SendRecv);
    assert!(n.srtp.is_none(), "the offer had no keys");
    assert_eq!(ans.media[0].payload_types(), vec![0, 101]);
    assert_eq!(ans.media[0].port, 5000);
}

#[test]
fn answer_with_our_preference_restricted_to_opus() {
    let mut c = caps();
    c.codecs = vec![CodecCap::by_name("opus").unwrap()];
    let (ans, n) = answer(&sdp(BARESIP_OFFER), origin(), &local(5000), &c).unwrap();
    assert_eq!(
        n.codec.payload_type, 96,
        "the offerer's dynamic number is kept"
    );
    assert_eq!(n.codec.clock_rate, 48000);
    let fmtp = ans.media[0].fmtp(96).unwrap();
    assert_eq!(fmtp.get("useinbandfec"), Some("1"));
    assert_eq!(fmtp.get("stereo"), Some("0"));
    // telephone-event at 8 kHz is the only one offered, so it is taken
    assert_eq!(n.telephone_event, Some(101));
}

#[test]
fn no_common_codec_is_488_with_a_warning() {
    let offer_text = BARESIP_OFFER
        .replace(
            "m=audio 10000 RTP/AVP 0 8 9 96 101",
            "m=audio 10000 RTP/AVP 3 18",
        )
        .replace("a=rtpmap:0 PCMU/8000\n", "");
    let err = answer(&sdp(&offer_text), origin(), &local(5000), &caps()).unwrap_err();
    assert_eq!(err.status, 488);
    assert_eq!(err.warning_code, 305);
    assert!(err.warning_header("handset").starts_with("305 handset \""));
}

#[test]
fn video_is_refused_with_port_zero_and_audio_goes_on() {
    let text = format!("{BARESIP_OFFER}m=video 10002 RTP/AVP 96\na=rtpmap:96 VP8/90000\n");
    let (ans, n) = answer(&sdp(&text), origin(), &local(5000), &caps()).unwrap();
    assert_eq!(ans.media.len(), 2, "one answer section per offered section");
    assert_eq!(ans.media[1].kind, MediaKind::Video);
    assert_eq!(ans.media[1].port, 0);
    assert_eq!(n.codec.encoding, "PCMU");
}

#[test]
fn video_only_offer_is_refused() {
    let text = "v=0\no=- 1 1 IN IP4 127.0.0.1\ns=-\nc=IN IP4 127.0.0.1\nt=0 0\nm=video 10002 RTP/AVP 96\na=rtpmap:96 VP8/90000\n";
    let err = answer(&sdp(text), origin(), &local(5000), &caps()).unwrap_err();
    assert_eq!(err.warning_code, 304);
}

#[test]
fn held_by_sendonly_and_by_zero_address() {
    let text = BARESIP_OFFER.replace("a=sendrecv", "a=sendonly");
    let (ans, n) = answer(&sdp(&text), origin(), &local(5000), &caps()).unwrap();
    assert!(n.held_by_peer());
    assert_eq!(n.direction, Direction::RecvOnly);
    assert_eq!(
        ans.media[0].attributes.direction(),
        Some(Direction::RecvOnly)
    );

    let text = BARESIP_OFFER.replace("c=IN IP4 127.0.0.1", "c=IN IP4 0.0.0.0");
    let (_, n) = answer(&sdp(&text), origin(), &local(5000), &caps()).unwrap();
    assert!(n.held_by_peer(), "RFC 2543 hold");
    assert!(!n.direction.can_send());

    let text = BARESIP_OFFER.replace("a=sendrecv", "a=inactive");
    let (_, n) = answer(&sdp(&text), origin(), &local(5000), &caps()).unwrap();
    assert_eq!(n.direction, Direction::Inactive);
}

#[test]
fn we_hold_with_sendonly_and_read_recvonly() {
    let mut c = caps();
    c.direction = Direction::SendOnly;
    let our = offer(origin(), &local(4000), &c);
    let (ans, n_peer) = answer(&our, origin(), &local(5000), &caps()).unwrap();
    assert_eq!(n_peer.direction, Direction::RecvOnly);
    let n = accept_answer(&our, &ans, &c).unwrap();
    assert_eq!(n.direction, Direction::SendOnly);
    assert!(!n.held_by_peer());
}

#[test]
fn sdes_keys_cross_over_between_two_handsets() {
    let alice = caps();
    let bob = AudioCaps {
        srtp_key: vec![7; 30],
        ..AudioCaps::default()
    };
    let our = offer(origin(), &local(4000), &alice);
    let (ans, nb) = answer(&our, origin(), &local(5000), &bob).unwrap();
    let na = accept_answer(&our, &ans, &alice).unwrap();
    let (ka, kb) = (na.srtp.unwrap(), nb.srtp.unwrap());
    assert_eq!(ka.suite, CryptoSuite::AesCm128HmacSha1_80);
    assert_eq!(ka.suite, kb.suite);
    assert_eq!(ka.local_key_salt, kb.remote_key_salt);
    assert_eq!(ka.remote_key_salt, kb.local_key_salt);
    assert_eq!(na.codec.encoding, "opus");
    assert_eq!(
        na.telephone_event,
        Some(110),
        "the 48 kHz event matches opus's clock"
    );
    // the answer echoes the tag of the accepted line
    assert_eq!(ans.media[0].attributes.cryptos()[0].tag, 1);
}

#[test]
fn srtp_required_by_either_side() {
    let savp_no_keys = BARESIP_OFFER.replace("RTP/AVP", "RTP/SAVP");
    let err = answer(&sdp(&savp_no_keys), origin(), &local(5000), &caps()).unwrap_err();
    assert_eq!(err.status, 488);

    let mut c = caps();
    c.srtp = SrtpPolicy::Mandatory;
    assert!(answer(&sdp(BARESIP_OFFER), origin(), &local(5000), &c).is_err());

    let dtls = BARESIP_OFFER.replace("RTP/AVP", "UDP/TLS/RTP/SAVP");
    let err = answer(&sdp(&dtls), origin(), &local(5000), &caps()).unwrap_err();
    assert!(err.text.contains("DTLS"));
}

#[test]
fn answer_to_our_offer_with_rtcp_attribute_and_mux() {
    let mut c = caps();
    c.rtcp_mux = true;
    let our = offer(origin(), &local(4000), &c);
    let ans = sdp("v=0\no=- 1 1 IN IP4 10.0.0.2\ns=-\nc=IN IP4 10.0.0.2\nt=0 0\nm=audio 7000 RTP/AVP 8 101\na=rtcp:7005 IN IP4 10.0.0.3\na=rtpmap:101 telephone-event/8000\n");
    let n = accept_answer(&our, &ans, &c).unwrap();
    assert_eq!(n.codec.encoding, "PCMA", "static type without rtpmap");
    assert_eq!(n.remote_rtcp, "10.0.0.3:7005".parse().unwrap());
    assert!(!n.rtcp_mux);
    assert!(n.srtp.is_none(), "best effort fell back to RTP");

    let ans = sdp("v=0\no=- 1 1 IN IP4 10.0.0.2\ns=-\nc=IN IP4 10.0.0.2\nt=0 0\nm=audio 7000 RTP/AVP 0\na=rtcp-mux\n");
    let n = accept_answer(&our, &ans, &c).unwrap();
    assert!(n.rtcp_mux);
    assert_eq!(n.remote_rtcp, n.remote_rtp);
}

#[test]
fn unusable_answers_are_errors() {
    let our = offer(origin(), &local(4000), &caps());
    let refused =
        sdp("v=0\no=- 1 1 IN IP4 10.0.0.2\ns=-\nc=IN IP4 10.0.0.2\nt=0 0\nm=audio 0 RTP/AVP 0\n");
    assert_eq!(
        accept_answer(&our, &refused, &caps())
            .unwrap_err()
            .warning_code,
        304
    );
    let foreign = sdp(
        "v=0\no=- 1 1 IN IP4 10.0.0.2\ns=-\nc=IN IP4 10.0.0.2\nt=0 0\nm=audio 7000 RTP/AVP 3\n",
    );
    assert_eq!(
        accept_answer(&our, &foreign, &caps())
            .unwrap_err()
            .warning_code,
        305
    );
    let hostname = sdp(
        "v=0\no=- 1 1 IN IP4 h\ns=-\nc=IN IP4 pbx.example.com\nt=0 0\nm=audio 7000 RTP/AVP 0\n",
    );
    assert!(accept_answer(&our, &hostname, &caps()).is_err());
}
