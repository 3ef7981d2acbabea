//! Whatever bytes arrive, the parser returns a message or an error, and an
//! accepted message serializes to bytes that parse again.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(m) = handset_sip::message::parse(data) {
        let again = handset_sip::message::parse(&m.to_bytes());
        assert!(again.is_ok(), "re-serialized message must parse");
    }
    let _ = handset_sip::message::parse_exact(data);
    let mut framer = handset_sip::framing::StreamFramer::new(1 << 16);
    framer.push(data);
    while let Ok(Some(_)) = framer.next_frame() {}
});
