//! SDP (RFC 8866): a lossless model, parser and writer, typed views of the
//! attributes a softphone needs (rtpmap, fmtp, direction, crypto, ICE), and
//! the offer/answer rules of RFC 3264 in [`negotiate`].

pub mod attrs;
pub mod crypto;
pub mod ice;
pub mod model;
pub mod negotiate;
pub mod parse;
pub mod payload;
pub mod write;

pub use attrs::{Direction, Fmtp, Rtpmap};
pub use crypto::{Crypto, CryptoSuite};
pub use ice::Candidate;
pub use model::{Attributes, Connection, Media, MediaKind, Origin, Proto, Sdp};
pub use negotiate::{
    accept_answer, answer, offer, AudioCaps, CodecCap, LocalMedia, Negotiated, Rejection, SrtpKeys,
    SrtpPolicy,
};
pub use parse::SdpError;
