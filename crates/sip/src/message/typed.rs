//! Small typed header values: CSeq, Content-Type, Event, Subscription-State, RAck, Date.

use std::fmt;

use super::method::Method;
use super::params::Params;
use crate::text::{is_lws, is_token};

/// Largest CSeq sequence number a request may carry (RFC 3261 8.1.1.5: less than 2**31).
pub const CSEQ_MAX: u32 = (1 << 31) - 1;

/// The CSeq header value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CSeq {
    /// Sequence number.
    pub seq: u32,
    /// Method.
    pub method: Method,
}

impl CSeq {
    /// Parses `1*DIGIT LWS Method`, refusing numbers of 2**31 or more.
    pub fn parse(s: &str) -> Option<CSeq> {
        let s = s.trim_matches(is_lws);
        let mut it = s.split(is_lws).filter(|p| !p.is_empty());
        let num = it.next()?;
        let method = it.next()?;
        if it.next().is_some() || !num.chars().all(|c| c.is_ascii_digit()) || num.len() > 10 {
            return None;
        }
        let seq: u64 = num.parse().ok()?;
        if seq > CSEQ_MAX as u64 {
            return None;
        }
        Some(CSeq {
            seq: seq as u32,
            method: Method::parse(method)?,
        })
    }
}

impl fmt::Display for CSeq {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.seq, self.method)
    }
}

/// A media type such as `application/sdp` or `message/cpim;charset=utf-8`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaType {
    /// Top-level type, lower-cased.
    pub kind: String,
    /// Subtype, lower-cased.
    pub subtype: String,
    /// Parameters.
    pub params: Params,
}

impl MediaType {
    /// Builds `kind/subtype` without parameters.
    pub fn new(kind: &str, subtype: &str) -> Self {
        MediaType {
            kind: kind.to_ascii_lowercase(),
            subtype: subtype.to_ascii_lowercase(),
            params: Params::new(),
        }
    }

    /// Parses `type/subtype *(;param)`.
    pub fn parse(s: &str) -> Option<MediaType> {
        let s = s.trim_matches(is_lws);
        let (main, params) = match s.find(';') {
            Some(i) => (&s[..i], Some(&s[i + 1..])),
            None => (s, None),
        };
        let (kind, subtype) = main.split_once('/')?;
        let (kind, subtype) = (kind.trim_matches(is_lws), subtype.trim_matches(is_lws));
        if !is_token(kind) || !is_token(subtype) {
            return None;
        }
        Some(MediaType {
            kind: kind.to_ascii_lowercase(),
            subtype: subtype.to_ascii_lowercase(),
            params: match params {
                Some(p) => Params::parse(p)?,
                None => Params::new(),
            },
        })
    }

    /// `type/subtype` without parameters.
    pub fn essence(&self) -> String {
        format!("{}/{}", self.kind, self.subtype)
    }

    /// True when the essence equals `essence` (case-insensitive).
    pub fn is(&self, essence: &str) -> bool {
        self.essence().eq_ignore_ascii_case(essence)
    }
}

impl fmt::Display for MediaType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}{}", self.kind, self.subtype, self.params)
    }
}

/// A token with parameters: Event, Subscription-State, Content-Disposition, Session-Expires…
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenParams {
    /// The leading token, as written.
    pub value: String,
    /// Parameters after it.
    pub params: Params,
}

impl TokenParams {
    /// Parses `token *(;param)`.
    pub fn parse(s: &str) -> Option<TokenParams> {
        let s = s.trim_matches(is_lws);
        let (v, p) = match s.find(';') {
            Some(i) => (s[..i].trim_matches(is_lws), Some(&s[i + 1..])),
            None => (s, None),
        };
        if !is_token(v) {
            return None;
        }
        Some(TokenParams {
            value: v.to_string(),
            params: match p {
                Some(p) => Params::parse(p)?,
                None => Params::new(),
            },
        })
    }
}

impl fmt::Display for TokenParams {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.value, self.params)
    }
}

/// The RAck header of RFC 3262: `response-num CSeq-num Method`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RAck {
    /// RSeq of the reliable provisional response.
    pub rseq: u32,
    /// CSeq number of the INVITE.
    pub cseq: u32,
    /// The INVITE's method.
    pub method: Method,
}

impl RAck {
    /// Parses the three fields.
    pub fn parse(s: &str) -> Option<RAck> {
        let parts: Vec<&str> = s.split(is_lws).filter(|p| !p.is_empty()).collect();
        if parts.len() != 3 {
            return None;
        }
        Some(RAck {
            rseq: parts[0].parse().ok()?,
            cseq: parts[1].parse().ok()?,
            method: Method::parse(parts[2])?,
        })
    }
}

impl fmt::Display for RAck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} {}", self.rseq, self.cseq, self.method)
    }
}

/// Parses a delta-seconds value; values past u32 are clamped as RFC 3261 20.19 allows
/// only for Expires-style fields, so this returns `None` when they overflow.
pub fn parse_delta_seconds(s: &str) -> Option<u32> {
    let s = s.trim_matches(is_lws);
    if s.is_empty() || s.len() > 10 || !s.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    s.parse::<u64>().ok().and_then(|v| u32::try_from(v).ok())
}

/// Checks an RFC 1123 date as SIP requires it (20.17): `Sat, 13 Nov 2010 23:29:00 GMT`.
pub fn valid_sip_date(s: &str) -> bool {
    let s = s.trim_matches(is_lws);
    let Some((wkday, rest)) = s.split_once(',') else {
        return false;
    };
    const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    if !DAYS.contains(&wkday) {
        return false;
    }
    let parts: Vec<&str> = rest.split(' ').collect();
    // leading SP after the comma yields an empty first element
    if parts.len() != 6 || !parts[0].is_empty() {
        return false;
    }
    let (day, month, year, time, zone) = (parts[1], parts[2], parts[3], parts[4], parts[5]);
    let digits = |x: &str, n: usize| x.len() == n && x.chars().all(|c| c.is_ascii_digit());
    let t: Vec<&str> = time.split(':').collect();
    digits(day, 2)
        && MONTHS.contains(&month)
        && digits(year, 4)
        && t.len() == 3
        && t.iter().all(|x| digits(x, 2))
        && zone == "GMT"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cseq() {
        assert_eq!(CSeq::parse("314159 INVITE").unwrap().seq, 314159);
        assert!(CSeq::parse("36893488147419103232 INVITE").is_none());
        assert!(CSeq::parse("2147483648 INVITE").is_none());
        assert!(CSeq::parse("-1 INVITE").is_none());
        assert!(CSeq::parse("1").is_none());
    }

    #[test]
    fn media_type() {
        let m = MediaType::parse("Application/SDP ; charset=utf-8").unwrap();
        assert!(m.is("application/sdp"));
        assert_eq!(m.params.get("charset"), Some("utf-8"));
        assert!(MediaType::parse("sdp").is_none());
    }

    #[test]
    fn dates() {
        assert!(valid_sip_date("Sat, 13 Nov 2010 23:29:00 GMT"));
        assert!(!valid_sip_date("Fri, 01 Jan 2010 16:00:00 EST"));
        assert!(!valid_sip_date("2010-01-01"));
    }
}
