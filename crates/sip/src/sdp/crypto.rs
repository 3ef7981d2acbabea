//! SDES: the `a=crypto` attribute of RFC 4568, which carries SRTP master
//! keys in the clear inside (hopefully TLS-protected) signaling.

use std::fmt;
use std::str::FromStr;

use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};
use base64::engine::DecodePaddingMode;

/// Peers differ on whether inline keys carry `=` padding; accept both.
const STANDARD_PAD_INDIFFERENT: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);
use base64::Engine as _;

use super::model::Attributes;
use super::parse::SdpError;

/// An SRTP crypto suite.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum CryptoSuite {
    /// `AES_CM_128_HMAC_SHA1_80` (RFC 4568), the one everybody supports.
    AesCm128HmacSha1_80,
    /// `AES_CM_128_HMAC_SHA1_32` (RFC 4568).
    AesCm128HmacSha1_32,
    /// `AES_192_CM_HMAC_SHA1_80` (RFC 6188).
    Aes192CmHmacSha1_80,
    /// `AES_192_CM_HMAC_SHA1_32` (RFC 6188).
    Aes192CmHmacSha1_32,
    /// `AES_256_CM_HMAC_SHA1_80` (RFC 6188).
    Aes256CmHmacSha1_80,
    /// `AES_256_CM_HMAC_SHA1_32` (RFC 6188).
    Aes256CmHmacSha1_32,
    /// `AEAD_AES_128_GCM` (RFC 7714).
    AeadAes128Gcm,
    /// `AEAD_AES_256_GCM` (RFC 7714).
    AeadAes256Gcm,
    /// `F8_128_HMAC_SHA1_80` (RFC 4568).
    F8_128HmacSha1_80,
    /// Anything else, verbatim; its keys are not length-checked.
    Other(String),
}

const SUITES: &[(CryptoSuite, &str, usize)] = &[
    (
        CryptoSuite::AesCm128HmacSha1_80,
        "AES_CM_128_HMAC_SHA1_80",
        30,
    ),
    (
        CryptoSuite::AesCm128HmacSha1_32,
        "AES_CM_128_HMAC_SHA1_32",
        30,
    ),
    (
        CryptoSuite::Aes192CmHmacSha1_80,
        "AES_192_CM_HMAC_SHA1_80",
        38,
    ),
    (
        CryptoSuite::Aes192CmHmacSha1_32,
        "AES_192_CM_HMAC_SHA1_32",
        38,
    ),
    (
        CryptoSuite::Aes256CmHmacSha1_80,
        "AES_256_CM_HMAC_SHA1_80",
        46,
    ),
    (
        CryptoSuite::Aes256CmHmacSha1_32,
        "AES_256_CM_HMAC_SHA1_32",
        46,
    ),
    (CryptoSuite::AeadAes128Gcm, "AEAD_AES_128_GCM", 28),
    (CryptoSuite::AeadAes256Gcm, "AEAD_AES_256_GCM", 44),
    (CryptoSuite::F8_128HmacSha1_80, "F8_128_HMAC_SHA1_80", 30),
];

impl CryptoSuite {
    /// The suite name.
    pub fn as_str(&self) -> &str {
        match self {
            CryptoSuite::Other(s) => s,
            known => SUITES
                .iter()
                .find(|(s, ..)| s == known)
                .map(|(_, name, _)| *name)
                .unwrap_or_default(),
        }
    }

    /// Maps a suite name (case-sensitive upstream, but matched leniently).
    pub fn from_name(name: &str) -> CryptoSuite {
        SUITES
            .iter()
            .find(|(_, n, _)| n.eq_ignore_ascii_case(name))
            .map(|(s, ..)| s.clone())
            .unwrap_or_else(|| CryptoSuite::Other(name.to_string()))
    }

    /// Master key plus master salt length in bytes, for the known suites.
    pub fn key_salt_len(&self) -> Option<usize> {
        SUITES
            .iter()
            .find(|(s, ..)| s == self)
            .map(|(_, _, len)| *len)
    }
}

impl fmt::Display for CryptoSuite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A master key index (`|1:4`): value and its length in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Mki {
    /// MKI value.
    pub value: u64,
    /// Length of the MKI field in SRTP packets, 1..=128 bytes.
    pub length: u8,
}

/// One `inline:` key parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CryptoKey {
    /// Master key followed by master salt.
    pub key_salt: Vec<u8>,
    /// Key lifetime in packets (`|2^31`), if limited.
    pub lifetime: Option<u64>,
    /// Master key index, when several keys are in use.
    pub mki: Option<Mki>,
}

impl CryptoKey {
    /// A key without lifetime or MKI.
    pub fn new(key_salt: Vec<u8>) -> Self {
        CryptoKey {
            key_salt,
            lifetime: None,
            mki: None,
        }
    }
}

impl fmt::Display for CryptoKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "inline:{}", STANDARD.encode(&self.key_salt))?;
        if let Some(l) = self.lifetime {
            if l > 1 && l.is_power_of_two() {
                write!(f, "|2^{}", l.trailing_zeros())?;
            } else {
                write!(f, "|{l}")?;
            }
        }
        if let Some(m) = self.mki {
            write!(f, "|{}:{}", m.value, m.length)?;
        }
        Ok(())
    }
}

/// An `a=crypto` attribute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Crypto {
    /// Tag, 1..=999999999; the answer echoes the tag of the line it accepts.
    pub tag: u32,
    /// Suite.
    pub suite: CryptoSuite,
    /// Keys (more than one only with MKIs). Never empty once parsed.
    pub keys: Vec<CryptoKey>,
    /// Session parameters (`UNENCRYPTED_SRTCP`, `KDR=…`, `WSH=…`) verbatim.
    pub session_params: Vec<String>,
}

impl Crypto {
    /// A line with one plain key.
    pub fn new(tag: u32, suite: CryptoSuite, key_salt: Vec<u8>) -> Self {
        Crypto {
            tag,
            suite,
            keys: vec![CryptoKey::new(key_salt)],
            session_params: Vec::new(),
        }
    }

    /// The first key.
    pub fn key(&self) -> Option<&CryptoKey> {
        self.keys.first()
    }
}

fn parse_key(s: &str, suite: &CryptoSuite) -> Result<CryptoKey, String> {
    let body = s
        .get(..7)
        .filter(|m| m.eq_ignore_ascii_case("inline:"))
        .and_then(|_| s.get(7..))
        .ok_or_else(|| format!("key `{s}` is not inline:"))?;
    let mut parts = body.split('|');
    let b64 = parts.next().unwrap_or_default();
    let key_salt = STANDARD_PAD_INDIFFERENT
        .decode(b64)
        .map_err(|_| format!("key `{b64}` is not base64"))?;
    if let Some(len) = suite.key_salt_len() {
        if key_salt.len() != len {
            return Err(format!(
                "{suite} needs {len} bytes of key and salt, got {}",
                key_salt.len()
            ));
        }
    } else if key_salt.is_empty() {
        return Err("empty key".into());
    }
    let mut key = CryptoKey::new(key_salt);
    for part in parts {
        if let Some((value, length)) = part.split_once(':') {
            let value = value
                .parse::<u64>()
                .map_err(|_| format!("bad MKI `{part}`"))?;
            let length = length
                .parse::<u8>()
                .ok()
                .filter(|l| (1..=128).contains(l))
                .ok_or_else(|| format!("bad MKI length `{part}`"))?;
            if key.mki.replace(Mki { value, length }).is_some() {
                return Err("two MKIs".into());
            }
        } else {
            let lifetime = match part.strip_prefix("2^") {
                Some(exp) => exp
                    .parse::<u32>()
                    .ok()
                    .and_then(|e| 1u64.checked_shl(e).filter(|_| e < 64)),
                None => part.parse::<u64>().ok(),
            }
            .ok_or_else(|| format!("bad key lifetime `{part}`"))?;
            if key.lifetime.replace(lifetime).is_some() {
                return Err("two key lifetimes".into());
            }
        }
    }
    Ok(key)
}

impl FromStr for Crypto {
    type Err = SdpError;

    fn from_str(s: &str) -> Result<Self, SdpError> {
        let bad = |why: String| SdpError::invalid(format!("bad crypto attribute: {why}"));
        let mut fields = s.split_whitespace();
        let (Some(tag), Some(suite), Some(keys)) = (fields.next(), fields.next(), fields.next())
        else {
            return Err(bad("needs <tag> <suite> <key-params>".into()));
        };
        let tag = tag
            .parse::<u32>()
            .ok()
            .filter(|t| *t <= 999_999_999)
            .ok_or_else(|| bad(format!("tag `{tag}` is not a number")))?;
        let suite = CryptoSuite::from_name(suite);
        let keys = keys
            .split(';')
            .map(|k| parse_key(k, &suite))
            .collect::<Result<Vec<_>, _>>()
            .map_err(bad)?;
        Ok(Crypto {
            tag,
            suite,
            keys,
            session_params: fields.map(str::to_string).collect(),
        })
    }
}

impl fmt::Display for Crypto {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} ", self.tag, self.suite)?;
        for (i, k) in self.keys.iter().enumerate() {
            if i > 0 {
                f.write_str(";")?;
            }
            write!(f, "{k}")?;
        }
        for p in &self.session_params {
            write!(f, " {p}")?;
        }
        Ok(())
    }
}

impl Attributes {
    /// The `a=crypto` lines that parse, in order (the offerer's preference).
    pub fn cryptos(&self) -> Vec<Crypto> {
        self.values("crypto")
            .filter_map(|v| v.parse().ok())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 4568 9.1
    const RFC_KEY: &str = "WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz";

    #[test]
    fn rfc4568_example() {
        let c: Crypto = format!("1 AES_CM_128_HMAC_SHA1_80 inline:{RFC_KEY}|2^20|1:4")
            .parse()
            .unwrap();
        assert_eq!(c.tag, 1);
        assert_eq!(c.suite, CryptoSuite::AesCm128HmacSha1_80);
        let k = c.key().unwrap();
        assert_eq!(k.key_salt.len(), 30);
        assert_eq!(k.lifetime, Some(1 << 20));
        assert_eq!(
            k.mki,
            Some(Mki {
                value: 1,
                length: 4
            })
        );
        assert_eq!(
            c.to_string(),
            format!("1 AES_CM_128_HMAC_SHA1_80 inline:{RFC_KEY}|2^20|1:4")
        );
    }

    #[test]
    fn mki_without_lifetime_and_session_params() {
        let c: Crypto = format!("2 AES_CM_128_HMAC_SHA1_32 inline:{RFC_KEY}|1:1 UNENCRYPTED_SRTCP")
            .parse()
            .unwrap();
        assert_eq!(c.key().unwrap().lifetime, None);
        assert_eq!(c.session_params, vec!["UNENCRYPTED_SRTCP"]);
    }

    #[test]
    fn refusals() {
        for bad in [
            "",
            "1 AES_CM_128_HMAC_SHA1_80",
            "x AES_CM_128_HMAC_SHA1_80 inline:WVNf",
            "1 AES_CM_128_HMAC_SHA1_80 inline:WVNf",
            "1 AES_CM_128_HMAC_SHA1_80 key:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz",
            "1 AES_CM_128_HMAC_SHA1_80 inline:!!!",
            "1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^99",
            "1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|1:0",
            "1 AEAD_AES_128_GCM inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz",
        ] {
            assert!(bad.parse::<Crypto>().is_err(), "{bad}");
        }
    }

    #[test]
    fn suites() {
        assert_eq!(
            CryptoSuite::from_name("AEAD_AES_256_GCM").key_salt_len(),
            Some(44)
        );
        assert_eq!(
            CryptoSuite::AesCm128HmacSha1_32.as_str(),
            "AES_CM_128_HMAC_SHA1_32"
        );
        let other = CryptoSuite::from_name("NULL_HMAC_SHA1_80");
        assert_eq!(other.key_salt_len(), None);
        assert_eq!(other.to_string(), "NULL_HMAC_SHA1_80");
    }
}
