//! SDES-keyed SRTP/SRTCP over the `webrtc-srtp` crate: AES-128 counter mode
//! with HMAC-SHA1 tags of 80 or 32 bits, and replay protection.

use std::fmt;

use webrtc_srtp::context::Context;
use webrtc_srtp::option::{srtcp_replay_protection, srtp_replay_protection};
use webrtc_srtp::protection_profile::ProtectionProfile;

use super::{SrtpContext, SrtpError};

const KEY_LEN: usize = 16;
const SALT_LEN: usize = 14;
/// SRTCP's E flag and 31-bit index, in front of the tag.
const SRTCP_INDEX_LEN: usize = 4;
const RTP_HEADER_LEN: usize = 12;
const RTCP_HEADER_LEN: usize = 8;
/// Packets behind the highest index still accepted once (libsrtp uses 128).
const REPLAY_WINDOW: usize = 128;

/// The SDES crypto suites we speak (RFC 4568 6.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SrtpSuite {
    /// AES_CM_128_HMAC_SHA1_80: 80-bit tags.
    AesCm128HmacSha1_80,
    /// AES_CM_128_HMAC_SHA1_32: 32-bit RTP tags (SRTCP keeps 80 bits).
    AesCm128HmacSha1_32,
}

impl SrtpSuite {
    /// The suite of an `a=crypto` line's name.
    pub fn from_sdp(name: &str) -> Option<Self> {
        match name {
            "AES_CM_128_HMAC_SHA1_80" => Some(Self::AesCm128HmacSha1_80),
            "AES_CM_128_HMAC_SHA1_32" => Some(Self::AesCm128HmacSha1_32),
            _ => None,
        }
    }

    /// The name for an `a=crypto` line.
    pub fn sdp_name(self) -> &'static str {
        match self {
            Self::AesCm128HmacSha1_80 => "AES_CM_128_HMAC_SHA1_80",
            Self::AesCm128HmacSha1_32 => "AES_CM_128_HMAC_SHA1_32",
        }
    }

    fn profile(self) -> ProtectionProfile {
        match self {
            Self::AesCm128HmacSha1_80 => ProtectionProfile::Aes128CmHmacSha1_80,
            Self::AesCm128HmacSha1_32 => ProtectionProfile::Aes128CmHmacSha1_32,
        }
    }

    /// Master key plus salt length of the `inline:` parameter.
    pub const KEY_SALT_LEN: usize = KEY_LEN + SALT_LEN;
}

/// One call's SRTP: our key protects what we send, the peer's key checks
/// and decrypts what we receive.
pub struct SdesSrtp {
    suite: SrtpSuite,
    tx: Context,
    rx: Context,
}

impl fmt::Debug for SdesSrtp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SdesSrtp")
            .field("suite", &self.suite)
            .finish_non_exhaustive()
    }
}

fn context(suite: SrtpSuite, key_salt: &[u8], which: &str) -> Result<Context, SrtpError> {
    if key_salt.len() != SrtpSuite::KEY_SALT_LEN {
        return Err(SrtpError::Other(format!(
            "{which} key and salt must be {} bytes, got {}",
            SrtpSuite::KEY_SALT_LEN,
            key_salt.len()
        )));
    }
    let (key, salt) = key_salt.split_at(KEY_LEN);
    Context::new(
        key,
        salt,
        suite.profile(),
        Some(srtp_replay_protection(REPLAY_WINDOW)),
        Some(srtcp_replay_protection(REPLAY_WINDOW)),
    )
    .map_err(|e| SrtpError::Other(e.to_string()))
}

fn map_err(e: webrtc_srtp::Error) -> SrtpError {
    use webrtc_srtp::Error as E;
    match e {
        E::SrtpSsrcDuplicated(..) | E::SrtcpSsrcDuplicated(..) | E::ErrDuplicated => {
            SrtpError::Replay
        }
        E::RtpFailedToVerifyAuthTag
        | E::RtcpFailedToVerifyAuthTag
        | E::ErrFailedToVerifyAuthTag => SrtpError::Auth,
        other => SrtpError::Other(other.to_string()),
    }
}

fn copy_out(out: &[u8], buf: &mut [u8]) -> Result<usize, SrtpError> {
    let dst = buf.get_mut(..out.len()).ok_or(SrtpError::BufferTooSmall)?;
    dst.copy_from_slice(out);
    Ok(out.len())
}

impl SdesSrtp {
    /// Contexts for `suite` (its SDP name) from our and the peer's 30-byte
    /// master key and salt.
    pub fn new(
        suite: &str,
        local_key_salt: &[u8],
        remote_key_salt: &[u8],
    ) -> Result<Self, SrtpError> {
        let suite = SrtpSuite::from_sdp(suite)
            .ok_or_else(|| SrtpError::Other(format!("unsupported crypto suite {suite}")))?;
        Ok(Self {
            suite,
            tx: context(suite, local_key_salt, "local")?,
            rx: context(suite, remote_key_salt, "remote")?,
        })
    }

    /// The suite in use.
    pub fn suite(&self) -> SrtpSuite {
        self.suite
    }

    fn rtp_tag(&self) -> usize {
        self.suite.profile().rtp_auth_tag_len()
    }

    fn rtcp_tag(&self) -> usize {
        self.suite.profile().rtcp_auth_tag_len()
    }
}

impl SrtpContext for SdesSrtp {
    fn protect_rtp(&mut self, buf: &mut [u8], len: usize) -> Result<usize, SrtpError> {
        let pkt = buf.get(..len).ok_or(SrtpError::BufferTooSmall)?;
        if len < RTP_HEADER_LEN {
            return Err(SrtpError::Other("not an RTP packet".into()));
        }
        let out = self.tx.encrypt_rtp(pkt).map_err(map_err)?;
        copy_out(&out, buf)
    }

    fn protect_rtcp(&mut self, buf: &mut [u8], len: usize) -> Result<usize, SrtpError> {
        let pkt = buf.get(..len).ok_or(SrtpError::BufferTooSmall)?;
        if len < RTCP_HEADER_LEN {
            return Err(SrtpError::Other("not an RTCP packet".into()));
        }
        let out = self.tx.encrypt_rtcp(pkt).map_err(map_err)?;
        copy_out(&out, buf)
    }

    fn unprotect_rtp(&mut self, buf: &mut [u8], len: usize) -> Result<usize, SrtpError> {
        let pkt = buf.get(..len).ok_or(SrtpError::BufferTooSmall)?;
        // the crate checks the header and the tag length itself; this only
        // keeps obviously short input away from it
        if len < RTP_HEADER_LEN + self.rtp_tag() {
            return Err(SrtpError::Auth);
        }
        let out = self.rx.decrypt_rtp(pkt).map_err(map_err)?;
        copy_out(&out, buf)
    }

    fn unprotect_rtcp(&mut self, buf: &mut [u8], len: usize) -> Result<usize, SrtpError> {
        let pkt = buf.get(..len).ok_or(SrtpError::BufferTooSmall)?;
        // the crate reads the SSRC and the index at fixed offsets before any
        // length check of its own: shorter input would make it panic
        if len < RTCP_HEADER_LEN + SRTCP_INDEX_LEN + self.rtcp_tag() {
            return Err(SrtpError::Auth);
        }
        let out = self.rx.decrypt_rtcp(pkt).map_err(map_err)?;
        copy_out(&out, buf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rtp::RtpHeader;
    use crate::srtp::SRTP_HEADROOM;
    use proptest::prelude::*;

    const A: [u8; 30] = [0x11; 30];
    const B: [u8; 30] = [0x22; 30];

    fn pair(suite: SrtpSuite) -> (SdesSrtp, SdesSrtp) {
        (
            SdesSrtp::new(suite.sdp_name(), &A, &B).unwrap(),
            SdesSrtp::new(suite.sdp_name(), &B, &A).unwrap(),
        )
    }

    fn rtp(seq: u16) -> Vec<u8> {
        let mut out = vec![0u8; 12 + 160 + SRTP_HEADROOM];
        let n = RtpHeader::new(0, seq, u32::from(seq) * 160, 0xABCD)
            .write(None, &[0x55; 160], &mut out)
            .unwrap();
        out.truncate(n);
        out
    }

    fn protect(ctx: &mut SdesSrtp, pkt: &[u8], rtcp: bool) -> Vec<u8> {
        let mut buf = pkt.to_vec();
        buf.resize(pkt.len() + SRTP_HEADROOM, 0);
        let n = if rtcp {
            ctx.protect_rtcp(&mut buf, pkt.len())
        } else {
            ctx.protect_rtp(&mut buf, pkt.len())
        }
        .unwrap();
        buf.truncate(n);
        buf
    }

    fn unprotect(ctx: &mut SdesSrtp, pkt: &[u8], rtcp: bool) -> Result<Vec<u8>, SrtpError> {
        let mut buf = pkt.to_vec();
        let n = if rtcp {
            ctx.unprotect_rtcp(&mut buf, pkt.len())
        } else {
            ctx.unprotect_rtp(&mut buf, pkt.len())
        }?;
        buf.truncate(n);
        Ok(buf)
    }

    #[test]
    fn round_trip_both_suites() {
        for (suite, tag) in [
            (SrtpSuite::AesCm128HmacSha1_80, 10),
            (SrtpSuite::AesCm128HmacSha1_32, 4),
        ] {
            let (mut a, mut b) = pair(suite);
            for seq in [65530u16, 65531, 65535, 0, 1, 2] {
                let plain = rtp(seq);
                let sec = protect(&mut a, &plain, false);
                assert_eq!(sec.len(), plain.len() + tag);
                assert_eq!(sec[..12], plain[..12], "header stays in the clear");
                assert_ne!(sec[12..plain.len()], plain[12..], "payload encrypted");
                assert_eq!(unprotect(&mut b, &sec, false).unwrap(), plain);
            }
            // RTCP: always an 80-bit tag plus the E flag and index
            let rr = [0x80, 201, 0, 1, 0, 0, 0xAB, 0xCD];
            let sec = protect(&mut b, &rr, true);
            assert_eq!(sec.len(), rr.len() + 4 + 10);
            assert_eq!(unprotect(&mut a, &sec, true).unwrap(), rr);
        }
    }

    #[test]
    fn tampering_replay_and_wrong_keys_are_rejected() {
        let (mut a, mut b) = pair(SrtpSuite::AesCm128HmacSha1_80);
        let sec = protect(&mut a, &rtp(100), false);
        let mut bad = sec.clone();
        bad[20] ^= 1;
        assert_eq!(unprotect(&mut b, &bad, false), Err(SrtpError::Auth));
        let mut bad_tag = sec.clone();
        *bad_tag.last_mut().unwrap() ^= 0x80;
        assert_eq!(unprotect(&mut b, &bad_tag, false), Err(SrtpError::Auth));
        // a rejected forgery does not burn the index: the real one still passes
        assert!(unprotect(&mut b, &sec, false).is_ok());
        assert_eq!(unprotect(&mut b, &sec, false), Err(SrtpError::Replay));
        // a later packet passes, then the earlier one replayed is still refused
        let later = protect(&mut a, &rtp(101), false);
        assert!(unprotect(&mut b, &later, false).is_ok());
        assert_eq!(unprotect(&mut b, &sec, false), Err(SrtpError::Replay));
        // RTCP replay
        let rr = [0x80, 201, 0, 1, 0, 0, 0xAB, 0xCD];
        let srtcp = protect(&mut a, &rr, true);
        assert!(unprotect(&mut b, &srtcp, true).is_ok());
        assert_eq!(unprotect(&mut b, &srtcp, true), Err(SrtpError::Replay));
        // the peer's own key does not open our packets
        let (mut a2, _) = pair(SrtpSuite::AesCm128HmacSha1_80);
        let sec2 = protect(&mut b, &rtp(7), false);
        assert_eq!(
            unprotect(&mut a2, &protect(&mut a, &rtp(8), false), false),
            Err(SrtpError::Auth)
        );
        assert!(unprotect(&mut a, &sec2, false).is_ok());
        // a 32-bit tag packet is not an 80-bit one
        let (mut a32, _) = pair(SrtpSuite::AesCm128HmacSha1_32);
        let short = protect(&mut a32, &rtp(9), false);
        assert_eq!(unprotect(&mut b, &short, false), Err(SrtpError::Auth));
    }

    #[test]
    fn bad_parameters() {
        assert!(SdesSrtp::new("AES_256_CM_HMAC_SHA1_80", &A, &B).is_err());
        assert!(SdesSrtp::new("AES_CM_128_HMAC_SHA1_80", &A[..16], &B).is_err());
        assert!(SdesSrtp::new("AES_CM_128_HMAC_SHA1_80", &A, &[]).is_err());
        let mut a = SdesSrtp::new("AES_CM_128_HMAC_SHA1_80", &A, &B).unwrap();
        let p = rtp(1);
        let mut small = p.clone();
        assert_eq!(
            a.protect_rtp(&mut small, p.len()),
            Err(SrtpError::BufferTooSmall)
        );
        assert!(a.protect_rtp(&mut [0u8; 4], 4).is_err());
        assert!(a.protect_rtcp(&mut [0u8; 4], 4).is_err());
        assert!(a.unprotect_rtp(&mut [0u8; 4], 10).is_err());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(
            std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(256)
        ))]

        #[test]
        fn random_input_never_panics(mut data in proptest::collection::vec(any::<u8>(), 0..200), rtcp_pt in 192u8..=223) {
            let (_, mut b) = pair(SrtpSuite::AesCm128HmacSha1_80);
            let len = data.len();
            let _ = b.unprotect_rtp(&mut data, len);
            if len >= 2 {
                data[0] = 0x80 | (data[0] & 0x3F);
                data[1] = rtcp_pt;
            }
            let _ = b.unprotect_rtcp(&mut data, len);
            if len >= 1 {
                data[0] = 0x80 | (data[0] & 0x3F);
            }
            let _ = b.unprotect_rtp(&mut data, len);
        }
    }
}
