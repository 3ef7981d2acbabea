//! SIP, SIPS and other absolute URIs (RFC 3261 19.1 and 25.1, RFC 5118 for IPv6).

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

use thiserror::Error;

use super::params::Params;
use crate::text::{escapes_well_formed, is_unreserved, percent_decode};

/// Why a URI was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum UriError {
    /// No `scheme:` prefix, or an invalid scheme.
    #[error("missing or invalid URI scheme")]
    Scheme,
    /// The host part is empty or not a hostname, IPv4 address or `[IPv6]` reference.
    #[error("invalid host '{0}'")]
    Host(String),
    /// The port is not a number in 0..=65535.
    #[error("invalid port '{0}'")]
    Port(String),
    /// A character that the grammar does not allow at that place.
    #[error("invalid character in URI {0}")]
    Char(&'static str),
    /// A `%` that does not start a `%xx` escape.
    #[error("malformed %-escape")]
    Escape,
    /// A parameter list that cannot be parsed.
    #[error("malformed URI parameters")]
    Params,
}

/// A URI scheme that Handset routes to (`sip` or `sips`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SipScheme {
    /// `sip:`
    Sip,
    /// `sips:` (TLS end to end)
    Sips,
}

/// The host part of a SIP URI or Via sent-by.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Host {
    /// A DNS name (stored lower-case: hosts compare case-insensitively).
    Name(String),
    /// An IPv4 address.
    V4(Ipv4Addr),
    /// An IPv6 address (written in brackets).
    V6(Ipv6Addr),
}

impl Host {
    /// Parses a host: `[v6]`, dotted IPv4 or a hostname.
    pub fn parse(s: &str) -> Result<Host, UriError> {
        if let Some(inner) = s.strip_prefix('[') {
            let inner = inner
                .strip_suffix(']')
                .ok_or_else(|| UriError::Host(s.into()))?;
            // RFC 5118 4.9: RFC 3261's ABNF admits a third colon before an
            // embedded IPv4 address; accept it as the two-colon form
            let fixed = inner.replacen(":::", "::", 1);
            return Ipv6Addr::from_str(inner)
                .or_else(|_| Ipv6Addr::from_str(&fixed))
                .map(Host::V6)
                .map_err(|_| UriError::Host(s.into()));
        }
        if !s.is_empty() && s.chars().all(|c| c.is_ascii_digit() || c == '.') {
            return Ipv4Addr::from_str(s)
                .map(Host::V4)
                .map_err(|_| UriError::Host(s.into()));
        }
        if valid_hostname(s) {
            Ok(Host::Name(s.to_ascii_lowercase()))
        } else {
            Err(UriError::Host(s.into()))
        }
    }

    /// The IP address when the host is a literal.
    pub fn ip(&self) -> Option<IpAddr> {
        match self {
            Host::V4(a) => Some(IpAddr::V4(*a)),
            Host::V6(a) => Some(IpAddr::V6(*a)),
            Host::Name(_) => None,
        }
    }
}

impl From<IpAddr> for Host {
    fn from(ip: IpAddr) -> Self {
        match ip {
            IpAddr::V4(a) => Host::V4(a),
            IpAddr::V6(a) => Host::V6(a),
        }
    }
}

impl fmt::Display for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Host::Name(n) => f.write_str(n),
            Host::V4(a) => write!(f, "{a}"),
            Host::V6(a) => write!(f, "[{a}]"),
        }
    }
}

fn valid_hostname(s: &str) -> bool {
    let s = s.strip_suffix('.').unwrap_or(s);
    if s.is_empty() || s.len() > 255 {
        return false;
    }
    let labels: Vec<&str> = s.split('.').collect();
    for label in &labels {
        if label.is_empty()
            || label.starts_with('-')
            || label.ends_with('-')
            || !label
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return false;
        }
    }
    // toplabel must start with a letter, which is what tells a name from an address
    labels
        .last()
        .and_then(|l| l.chars().next())
        .is_some_and(|c| c.is_ascii_alphabetic())
}

/// A `sip:` or `sips:` URI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SipUri {
    /// `sip` or `sips`.
    pub scheme: SipScheme,
    /// The user part as written (escapes kept); see [`SipUri::user_decoded`].
    pub user: Option<String>,
    /// The password part as written (deprecated by RFC 3261 but parsed).
    pub password: Option<String>,
    /// Host.
    pub host: Host,
    /// Explicit port.
    pub port: Option<u16>,
    /// URI parameters (`;transport=tcp;lr`).
    pub params: Params,
    /// Header fields embedded after `?`, raw `name=value` pairs.
    pub headers: Vec<(String, String)>,
}

impl SipUri {
    /// `sip:host`
    pub fn new(host: Host) -> Self {
        SipUri {
            scheme: SipScheme::Sip,
            user: None,
            password: None,
            host,
            port: None,
            params: Params::new(),
            headers: Vec::new(),
        }
    }

    /// Sets the user part, escaping what the grammar does not allow bare.
    pub fn with_user(mut self, user: &str) -> Self {
        self.user = Some(crate::text::percent_encode(user, is_user_char));
        self
    }

    /// Sets the port.
    pub fn with_port(mut self, port: u16) -> Self {
        self.port = Some(port);
        self
    }

    /// Adds a parameter.
    pub fn with_param(mut self, name: &str, value: Option<&str>) -> Self {
        self.params.set(name, value);
        self
    }

    /// The user part with `%xx` escapes decoded.
    pub fn user_decoded(&self) -> Option<String> {
        self.user.as_deref().map(percent_decode)
    }

    /// The `transport` parameter, lower-cased.
    pub fn transport(&self) -> Option<String> {
        self.params.get("transport").map(|t| t.to_ascii_lowercase())
    }

    /// `host[:port]` as written in a URI.
    pub fn host_port(&self) -> String {
        match self.port {
            Some(p) => format!("{}:{}", self.host, p),
            None => self.host.to_string(),
        }
    }

    /// Address-of-record form: scheme, user and host only (no port, params or headers
    /// unless the port was given, since `sip:a@h:5070` and `sip:a@h` differ).
    pub fn aor(&self) -> SipUri {
        SipUri {
            scheme: self.scheme,
            user: self.user.clone(),
            password: None,
            host: self.host.clone(),
            port: self.port,
            params: Params::new(),
            headers: Vec::new(),
        }
    }

    /// URI equivalence of RFC 3261 19.1.4 (escapes decoded, host case-insensitive,
    /// user/ttl/method/maddr/transport parameters must agree, other common ones too).
    pub fn equivalent(&self, other: &SipUri) -> bool {
        if self.scheme != other.scheme
            || self.user_decoded() != other.user_decoded()
            || self.password.as_deref().map(percent_decode)
                != other.password.as_deref().map(percent_decode)
            || self.host != other.host
            || self.port != other.port
        {
            return false;
        }
        for name in ["user", "ttl", "method", "maddr", "transport"] {
            let a = self
                .params
                .get(name)
                .map(|v| percent_decode(v).to_ascii_lowercase());
            let b = other
                .params
                .get(name)
                .map(|v| percent_decode(v).to_ascii_lowercase());
            if a != b {
                return false;
            }
        }
        for p in self.params.iter() {
            if let (Some(a), Some(b)) = (p.value.as_deref(), other.params.get(&p.name)) {
                if !percent_decode(a).eq_ignore_ascii_case(&percent_decode(b)) {
                    return false;
                }
            }
        }
        let mut ha: Vec<_> = self
            .headers
            .iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), percent_decode(v)))
            .collect();
        let mut hb: Vec<_> = other
            .headers
            .iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), percent_decode(v)))
            .collect();
        ha.sort();
        hb.sort();
        ha == hb
    }
}

impl fmt::Display for SipUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self.scheme {
            SipScheme::Sip => "sip:",
            SipScheme::Sips => "sips:",
        })?;
        if let Some(user) = &self.user {
            f.write_str(user)?;
            if let Some(pw) = &self.password {
                write!(f, ":{pw}")?;
            }
            f.write_str("@")?;
        }
        write!(f, "{}", self.host)?;
        if let Some(port) = self.port {
            write!(f, ":{port}")?;
        }
        write!(f, "{}", self.params)?;
        for (i, (k, v)) in self.headers.iter().enumerate() {
            f.write_str(if i == 0 { "?" } else { "&" })?;
            write!(f, "{k}={v}")?;
        }
        Ok(())
    }
}

/// Any URI: SIP/SIPS parsed into parts, anything else (tel:, urn:, unknown schemes) kept opaque.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Uri {
    /// `sip:` or `sips:`
    Sip(SipUri),
    /// Another absolute URI: scheme (lower-cased) and the rest as written.
    Other {
        /// The scheme, lower-cased.
        scheme: String,
        /// Everything after `scheme:`.
        rest: String,
    },
}

impl Uri {
    /// Parses a URI as it appears in a Request-URI or inside `<...>`.
    pub fn parse(s: &str) -> Result<Uri, UriError> {
        let colon = s.find(':').ok_or(UriError::Scheme)?;
        let scheme = &s[..colon];
        let rest = &s[colon + 1..];
        if scheme.is_empty()
            || !scheme.starts_with(|c: char| c.is_ascii_alphabetic())
            || !scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        {
            return Err(UriError::Scheme);
        }
        if scheme.eq_ignore_ascii_case("sip") || scheme.eq_ignore_ascii_case("sips") {
            let secure = scheme.eq_ignore_ascii_case("sips");
            return parse_sip(rest, secure).map(Uri::Sip);
        }
        if rest.is_empty()
            || rest
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | '"'))
        {
            return Err(UriError::Char("absoluteURI"));
        }
        if !escapes_well_formed(rest) {
            return Err(UriError::Escape);
        }
        Ok(Uri::Other {
            scheme: scheme.to_ascii_lowercase(),
            rest: rest.to_string(),
        })
    }

    /// The SIP URI, if this is one.
    pub fn as_sip(&self) -> Option<&SipUri> {
        match self {
            Uri::Sip(u) => Some(u),
            Uri::Other { .. } => None,
        }
    }

    /// Mutable SIP URI, if this is one.
    pub fn as_sip_mut(&mut self) -> Option<&mut SipUri> {
        match self {
            Uri::Sip(u) => Some(u),
            Uri::Other { .. } => None,
        }
    }

    /// The scheme in lower case.
    pub fn scheme(&self) -> &str {
        match self {
            Uri::Sip(u) => match u.scheme {
                SipScheme::Sip => "sip",
                SipScheme::Sips => "sips",
            },
            Uri::Other { scheme, .. } => scheme,
        }
    }

    /// The user (SIP) or the number (tel:), decoded.
    pub fn user(&self) -> Option<String> {
        match self {
            Uri::Sip(u) => u.user_decoded(),
            Uri::Other { scheme, rest } if scheme == "tel" => {
                Some(percent_decode(rest.split(';').next().unwrap_or("")))
            }
            Uri::Other { .. } => None,
        }
    }

    /// RFC 3261 19.1.4 equivalence for SIP URIs; exact (scheme-insensitive) otherwise.
    pub fn equivalent(&self, other: &Uri) -> bool {
        match (self, other) {
            (Uri::Sip(a), Uri::Sip(b)) => a.equivalent(b),
            (
                Uri::Other {
                    scheme: s1,
                    rest: r1,
                },
                Uri::Other {
                    scheme: s2,
                    rest: r2,
                },
            ) => s1 == s2 && percent_decode(r1) == percent_decode(r2),
            _ => false,
        }
    }
}

impl FromStr for Uri {
    type Err = UriError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Uri::parse(s)
    }
}

impl From<SipUri> for Uri {
    fn from(u: SipUri) -> Self {
        Uri::Sip(u)
    }
}

impl fmt::Display for Uri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Uri::Sip(u) => write!(f, "{u}"),
            Uri::Other { scheme, rest } => write!(f, "{scheme}:{rest}"),
        }
    }
}

/// Characters allowed unescaped in the user part (RFC 3261 `user`).
pub fn is_user_char(c: char) -> bool {
    is_unreserved(c) || matches!(c, '&' | '=' | '+' | '$' | ',' | ';' | '?' | '/')
}

fn is_password_char(c: char) -> bool {
    is_unreserved(c) || matches!(c, '&' | '=' | '+' | '$' | ',')
}

fn is_param_char(c: char) -> bool {
    is_unreserved(c) || matches!(c, '[' | ']' | '/' | ':' | '&' | '+' | '$' | '%')
}

fn is_header_char(c: char) -> bool {
    is_unreserved(c) || matches!(c, '[' | ']' | '/' | '?' | ':' | '+' | '$' | '%')
}

fn check_chars(s: &str, ok: fn(char) -> bool, what: &'static str) -> Result<(), UriError> {
    if s.chars().all(|c| ok(c) || c == '%') {
        if escapes_well_formed(s) {
            Ok(())
        } else {
            Err(UriError::Escape)
        }
    } else {
        Err(UriError::Char(what))
    }
}

fn parse_sip(rest: &str, secure: bool) -> Result<SipUri, UriError> {
    let (userinfo, after_user) = match rest.find('@') {
        Some(at) => (Some(&rest[..at]), &rest[at + 1..]),
        None => (None, rest),
    };
    let (hostpart, headers_part) = match after_user.find('?') {
        Some(q) => (&after_user[..q], Some(&after_user[q + 1..])),
        None => (after_user, None),
    };
    let (hostport, params_part) = match hostpart.find(';') {
        Some(i) => (&hostpart[..i], Some(&hostpart[i + 1..])),
        None => (hostpart, None),
    };

    let (user, password) = match userinfo {
        None => (None, None),
        Some(ui) => {
            let (u, p) = match ui.find(':') {
                Some(i) => (&ui[..i], Some(&ui[i + 1..])),
                None => (ui, None),
            };
            if u.is_empty() {
                return Err(UriError::Char("user (empty)"));
            }
            check_chars(u, is_user_char, "user")?;
            if let Some(p) = p {
                check_chars(p, is_password_char, "password")?;
            }
            (Some(u.to_string()), p.map(str::to_string))
        }
    };

    let (host_s, port) = split_host_port(hostport)?;
    let host = Host::parse(host_s)?;

    let params = match params_part {
        None => Params::new(),
        Some(p) => {
            for part in p.split(';') {
                let (n, v) = match part.find('=') {
                    Some(i) => (&part[..i], &part[i + 1..]),
                    None => (part, ""),
                };
                if n.is_empty() {
                    return Err(UriError::Params);
                }
                check_chars(n, is_param_char, "parameter")?;
                check_chars(v, is_param_char, "parameter")?;
            }
            Params::parse(p).ok_or(UriError::Params)?
        }
    };

    let mut headers = Vec::new();
    if let Some(h) = headers_part {
        for pair in h.split('&') {
            let (n, v) = pair.split_once('=').ok_or(UriError::Char("header"))?;
            if n.is_empty() {
                return Err(UriError::Char("header"));
            }
            check_chars(n, is_header_char, "header")?;
            check_chars(v, is_header_char, "header")?;
            headers.push((n.to_string(), v.to_string()));
        }
    }

    Ok(SipUri {
        scheme: if secure {
            SipScheme::Sips
        } else {
            SipScheme::Sip
        },
        user,
        password,
        host,
        port,
        params,
        headers,
    })
}

/// Splits `host[:port]`, with `[v6]:port` handled per RFC 5118.
pub fn split_host_port(s: &str) -> Result<(&str, Option<u16>), UriError> {
    let (host, port) = if s.starts_with('[') {
        let end = s.find(']').ok_or_else(|| UriError::Host(s.into()))?;
        let after = &s[end + 1..];
        match after.strip_prefix(':') {
            Some(p) => (&s[..=end], Some(p)),
            None if after.is_empty() => (&s[..=end], None),
            None => return Err(UriError::Host(s.into())),
        }
    } else {
        match s.find(':') {
            Some(i) => (&s[..i], Some(&s[i + 1..])),
            None => (s, None),
        }
    };
    let port = match port {
        None => None,
        Some(p) => {
            if p.is_empty() || !p.chars().all(|c| c.is_ascii_digit()) || p.len() > 5 {
                return Err(UriError::Port(p.into()));
            }
            Some(p.parse::<u16>().map_err(|_| UriError::Port(p.into()))?)
        }
    };
    if host.is_empty() {
        return Err(UriError::Host(s.into()));
    }
    Ok((host, port))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sip(s: &str) -> SipUri {
        match Uri::parse(s).unwrap() {
            Uri::Sip(u) => u,
            other => panic!("not sip: {other:?}"),
        }
    }

    #[test]
    fn user_with_dot_is_split_from_host() {
        let u = sip("sip:j.user@example.com");
        assert_eq!(u.user.as_deref(), Some("j.user"));
        assert_eq!(u.host, Host::Name("example.com".into()));
    }

    #[test]
    fn full_form() {
        let u = sip("sips:alice:secret@Atlanta.COM:5061;transport=TCP;lr?subject=project%20x&priority=urgent");
        assert_eq!(u.scheme, SipScheme::Sips);
        assert_eq!(u.password.as_deref(), Some("secret"));
        assert_eq!(u.host, Host::Name("atlanta.com".into()));
        assert_eq!(u.port, Some(5061));
        assert_eq!(u.transport().as_deref(), Some("tcp"));
        assert!(u.params.contains("lr"));
        assert_eq!(u.headers.len(), 2);
        assert_eq!(
            u.to_string(),
            "sips:alice:secret@atlanta.com:5061;transport=TCP;lr?subject=project%20x&priority=urgent"
        );
    }

    #[test]
    fn semicolon_in_user() {
        let u = sip("sip:user;par=u%40example.net@example.com");
        assert_eq!(u.user.as_deref(), Some("user;par=u%40example.net"));
        assert_eq!(u.user_decoded().as_deref(), Some("user;par=u@example.net"));
        assert!(u.params.is_empty());
    }

    #[test]
    fn ipv6() {
        let u = sip("sip:[2001:db8::10]:5070");
        assert_eq!(u.host, Host::V6("2001:db8::10".parse().unwrap()));
        assert_eq!(u.port, Some(5070));
        let u = sip("sip:[2001:db8::10:5070]");
        assert_eq!(u.port, None);
        assert!(Uri::parse("sip:2001:db8::10").is_err());
    }

    #[test]
    fn other_schemes() {
        let u = Uri::parse("tel:+1-201-555-0123;phone-context=x").unwrap();
        assert_eq!(u.scheme(), "tel");
        assert_eq!(u.user().as_deref(), Some("+1-201-555-0123"));
        assert!(Uri::parse("nobodyKnowsThisScheme:totallyopaquecontent").is_ok());
        assert!(Uri::parse("soap.beep://192.0.2.103:3002").is_ok());
        assert!(Uri::parse("<sip:a@b>").is_err());
        assert!(Uri::parse("sip:a b@c").is_err());
        assert!(Uri::parse("sip:a%zz@c").is_err());
    }

    #[test]
    fn equivalence() {
        let a = sip("sip:%61lice@atlanta.com;transport=TCP");
        let b = sip("sip:alice@AtLanTa.CoM;Transport=tcp");
        assert!(a.equivalent(&b));
        let c = sip("sip:alice@atlanta.com:5060");
        let d = sip("sip:alice@atlanta.com");
        assert!(!c.equivalent(&d));
    }
}
