//! Whatever bytes arrive on a media port, the RTP and RTCP parsers return a
//! packet or an error, never a panic.
#![no_main]

use handset_media::rtcp::parse_compound;
use handset_media::rtp::RtpPacket;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = RtpPacket::parse(data);
    let _ = parse_compound(data);
});
