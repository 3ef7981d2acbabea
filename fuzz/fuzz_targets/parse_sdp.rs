//! Whatever bytes arrive as a session description, the parser returns a
//! description or an error; an accepted one writes out to text that parses
//! to the same model, and answering it never panics.
#![no_main]

use handset_sip::sdp::{self, AudioCaps, LocalMedia, Origin, Sdp};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(offer) = Sdp::parse(data) else { return };
    let again = Sdp::parse(&offer.to_bytes()).expect("written SDP parses");
    assert_eq!(again, offer);
    let ip = std::net::IpAddr::from([127, 0, 0, 1]);
    let local = LocalMedia { ip, rtp_port: 4000, rtcp_port: 4001 };
    let caps = AudioCaps { srtp_key: vec![1; 30], ..AudioCaps::default() };
    if let Ok((answer, _)) = sdp::answer(&offer, Origin::new("-", 1, 1, ip), &local, &caps) {
        let _ = sdp::accept_answer(&offer, &answer, &caps);
    }
});
