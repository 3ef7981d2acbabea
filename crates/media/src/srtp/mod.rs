//! SRTP (RFC 3711). The session passes every outgoing packet through
//! `protect_*` and every incoming one through `unprotect_*`, in place, in
//! buffers with [`SRTP_HEADROOM`] spare bytes. Without keys the context is
//! the identity; with SDES keys (RFC 4568) it is [`SdesSrtp`]. A DTLS-SRTP
//! context would implement the same trait without changes elsewhere.

mod sdes;

pub use sdes::{SdesSrtp, SrtpSuite};

use thiserror::Error;

/// Spare bytes after every packet for an auth tag, MKI and SRTCP index.
pub const SRTP_HEADROOM: usize = 64;

/// SRTP failures; the packet is dropped and counted.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum SrtpError {
    /// Authentication tag mismatch.
    #[error("SRTP authentication failed")]
    Auth,
    /// Replayed or too old packet index.
    #[error("SRTP replay")]
    Replay,
    /// Not enough room to add the tag.
    #[error("buffer too small for SRTP")]
    BufferTooSmall,
    /// Anything else the implementation reports.
    #[error("SRTP: {0}")]
    Other(String),
}

/// Protects and unprotects RTP/RTCP in place. `buf[..len]` is the packet,
/// the rest of `buf` is room to grow; each method returns the new length.
pub trait SrtpContext: Send {
    /// Encrypt and authenticate an outgoing RTP packet.
    fn protect_rtp(&mut self, buf: &mut [u8], len: usize) -> Result<usize, SrtpError>;
    /// Encrypt and authenticate an outgoing RTCP compound packet.
    fn protect_rtcp(&mut self, buf: &mut [u8], len: usize) -> Result<usize, SrtpError>;
    /// Verify and decrypt an incoming RTP packet.
    fn unprotect_rtp(&mut self, buf: &mut [u8], len: usize) -> Result<usize, SrtpError>;
    /// Verify and decrypt an incoming RTCP compound packet.
    fn unprotect_rtcp(&mut self, buf: &mut [u8], len: usize) -> Result<usize, SrtpError>;
}

/// Plain RTP: no protection (the default until keys are negotiated).
#[derive(Debug, Default, Clone, Copy)]
pub struct IdentitySrtp;

impl SrtpContext for IdentitySrtp {
    fn protect_rtp(&mut self, _buf: &mut [u8], len: usize) -> Result<usize, SrtpError> {
        Ok(len)
    }
    fn protect_rtcp(&mut self, _buf: &mut [u8], len: usize) -> Result<usize, SrtpError> {
        Ok(len)
    }
    fn unprotect_rtp(&mut self, _buf: &mut [u8], len: usize) -> Result<usize, SrtpError> {
        Ok(len)
    }
    fn unprotect_rtcp(&mut self, _buf: &mut [u8], len: usize) -> Result<usize, SrtpError> {
        Ok(len)
    }
}

/// The context for a stream's negotiated keys: the identity without keys.
pub fn context_for(
    params: Option<&crate::params::SrtpParams>,
) -> Result<Box<dyn SrtpContext>, SrtpError> {
    match params {
        None => Ok(Box::new(IdentitySrtp)),
        Some(p) => Ok(Box::new(SdesSrtp::new(
            &p.suite,
            &p.local_key_salt,
            &p.remote_key_salt,
        )?)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_leaves_packets_alone() {
        let mut s = IdentitySrtp;
        let mut buf = [1u8, 2, 3, 0, 0];
        assert_eq!(s.protect_rtp(&mut buf, 3), Ok(3));
        assert_eq!(s.unprotect_rtcp(&mut buf, 3), Ok(3));
        assert_eq!(buf, [1, 2, 3, 0, 0]);
    }
}
