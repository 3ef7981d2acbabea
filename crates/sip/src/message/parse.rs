//! Message framing and parsing (RFC 3261 7 and 25, RFC 4475 as the test of it).
//!
//! Parsing happens in two steps: [`RawMessage::split`] finds the start line,
//! unfolds header lines and cuts the body at Content-Length; then every header
//! Handset understands is parsed to its type. A failure in the second step keeps
//! the raw message, so a server can still answer 400 to a request whose Via,
//! From, To, Call-ID and CSeq are readable.

use std::fmt;

use super::header::{valid_name, HeaderName, Headers};
use super::method::Method;
use super::name_addr::NameAddr;
use super::typed::{parse_delta_seconds, valid_sip_date, CSeq, MediaType, RAck, TokenParams};
use super::uri::{Uri, UriError};
use super::via::Via;
use super::{Message, Request, Response};

/// Largest message accepted (datagram or stream), a guard against memory abuse.
pub const MAX_MESSAGE_SIZE: usize = 1 << 20;

/// What went wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseErrorKind {
    /// Nothing but whitespace.
    Empty,
    /// The header section holds bytes that are not UTF-8 text (binary garbage).
    NotText,
    /// Larger than [`MAX_MESSAGE_SIZE`].
    TooLarge(usize),
    /// The start line is neither a Request-Line nor a Status-Line.
    StartLine(String),
    /// A SIP version other than 2.0 (servers answer 505).
    UnsupportedVersion(String),
    /// The method is not a token.
    Method(String),
    /// The Request-URI is malformed.
    RequestUri(String, UriError),
    /// The status code is not three digits in 100..=699.
    StatusCode(String),
    /// A header line without a colon, or with a name that is not a token.
    HeaderLine(String),
    /// A continuation line before any header.
    Continuation,
    /// No empty line ends the header section while a body seems to follow.
    NoBlankLine,
    /// Content-Length is not a non-negative number.
    ContentLength(String),
    /// Content-Length promises more bytes than the message holds (RFC 3261 18.3).
    BodyTooShort {
        /// What Content-Length says.
        declared: usize,
        /// What arrived.
        actual: usize,
    },
    /// Bytes after the body that are not another message (only for exact framing).
    TrailingData {
        /// What Content-Length says.
        declared: usize,
        /// Bytes after the header section.
        actual: usize,
    },
    /// A header that may appear once appears several times.
    Duplicate(String),
    /// A header value that does not match its grammar.
    Header {
        /// Header name.
        name: String,
        /// Why.
        reason: String,
    },
    /// The CSeq method differs from the request method (RFC 3261 8.1.1.5).
    CSeqMismatch {
        /// Request-line method.
        method: String,
        /// CSeq method.
        cseq: String,
    },
    /// A mandatory header is missing.
    MissingHeader(String),
}

/// A parse failure, with the raw message when the framing step succeeded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// What went wrong.
    pub kind: ParseErrorKind,
    /// The message as split into lines, when that much worked.
    pub raw: Option<Box<RawMessage>>,
}

impl ParseError {
    /// An error without raw data.
    pub fn new(kind: ParseErrorKind) -> Self {
        ParseError { kind, raw: None }
    }

    fn with_raw(kind: ParseErrorKind, raw: RawMessage) -> Self {
        ParseError {
            kind,
            raw: Some(Box::new(raw)),
        }
    }

    /// The status a server answers with: 505 for a SIP version it does not speak,
    /// 400 for everything else.
    pub fn status(&self) -> u16 {
        match self.kind {
            ParseErrorKind::UnsupportedVersion(_) => 505,
            ParseErrorKind::TooLarge(_) => 513,
            _ => 400,
        }
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use ParseErrorKind::*;
        match &self.kind {
            Empty => write!(f, "empty input"),
            NotText => write!(f, "not a SIP message: header section is not UTF-8 text"),
            TooLarge(n) => write!(f, "message of {n} bytes is too large"),
            StartLine(l) => write!(f, "malformed start line: {}", shorten(l)),
            UnsupportedVersion(v) => write!(f, "unsupported SIP version {}", shorten(v)),
            Method(m) => write!(f, "invalid method {}", shorten(m)),
            RequestUri(u, e) => write!(f, "invalid Request-URI {}: {e}", shorten(u)),
            StatusCode(c) => write!(f, "invalid status code {}", shorten(c)),
            HeaderLine(l) => write!(f, "malformed header line: {}", shorten(l)),
            Continuation => write!(f, "continuation line before the first header"),
            NoBlankLine => write!(f, "no empty line after the headers"),
            ContentLength(v) => write!(f, "invalid Content-Length {}", shorten(v)),
            BodyTooShort { declared, actual } => write!(
                f,
                "Content-Length {declared} does not match the body: only {actual} bytes follow the headers"
            ),
            TrailingData { declared, actual } => write!(
                f,
                "Content-Length {declared} does not match the body: {actual} bytes follow the headers"
            ),
            Duplicate(n) => write!(f, "header {n} appears more than once"),
            Header { name, reason } => write!(f, "invalid {name} header: {reason}"),
            CSeqMismatch { method, cseq } => {
                write!(f, "CSeq method {cseq} does not match request method {method}")
            }
            MissingHeader(n) => write!(f, "missing mandatory header {n}"),
        }
    }
}

impl std::error::Error for ParseError {}

fn shorten(s: &str) -> String {
    let s: String = s
        .chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect();
    if s.chars().count() > 80 {
        format!("'{}…'", s.chars().take(80).collect::<String>())
    } else {
        format!("'{s}'")
    }
}

/// The first line of a message, split but not validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StartLine {
    /// `METHOD uri version`
    Request {
        /// Method text.
        method: String,
        /// Request-URI text.
        uri: String,
        /// Version text.
        version: String,
    },
    /// A first line that is neither; kept so a 400 can still be built from the headers.
    Invalid(String),
    /// `version code reason`
    Response {
        /// Version text.
        version: String,
        /// Code text.
        code: String,
        /// Reason phrase.
        reason: String,
    },
}

/// A message after framing: start line, unfolded header lines, and the body cut
/// at Content-Length.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawMessage {
    /// The start line.
    pub start: StartLine,
    /// Header lines, names resolved, values unfolded and trimmed.
    pub headers: Headers,
    /// The body.
    pub body: Vec<u8>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Framing {
    /// RFC 3261 18.3 for datagrams: bytes past Content-Length are discarded.
    Datagram,
    /// One message from a file or stdin: bytes past the body must be whitespace
    /// or a further message, anything else means Content-Length is wrong.
    Exact,
}

fn find_subslice(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn is_version(v: &str) -> bool {
    let Some(rest) = v
        .get(..4)
        .filter(|p| p.eq_ignore_ascii_case("SIP/"))
        .map(|_| &v[4..])
    else {
        return false;
    };
    let Some((a, b)) = rest.split_once('.') else {
        return false;
    };
    !a.is_empty()
        && !b.is_empty()
        && a.chars().all(|c| c.is_ascii_digit())
        && b.chars().all(|c| c.is_ascii_digit())
}

fn check_version(v: &str, line: &str) -> Result<(), ParseErrorKind> {
    if !is_version(v) {
        return Err(ParseErrorKind::StartLine(line.to_string()));
    }
    if !v[4..].eq("2.0") {
        return Err(ParseErrorKind::UnsupportedVersion(v.to_string()));
    }
    Ok(())
}

impl RawMessage {
    fn split(data: &[u8], framing: Framing) -> Result<RawMessage, ParseError> {
        if data.len() > MAX_MESSAGE_SIZE {
            return Err(ParseError::new(ParseErrorKind::TooLarge(data.len())));
        }
        // RFC 3261 7.5: empty lines before the start line are ignored
        let mut start = 0;
        while start < data.len() && (data[start] == b'\r' || data[start] == b'\n') {
            start += 1;
        }
        let data = &data[start..];
        if data.iter().all(|b| b.is_ascii_whitespace()) {
            return Err(ParseError::new(ParseErrorKind::Empty));
        }

        let (head, body_start) = match (
            find_subslice(data, b"\r\n\r\n"),
            find_subslice(data, b"\n\n"),
        ) {
            (Some(a), Some(b)) if b + 1 < a => (&data[..b + 1], b + 2),
            (Some(a), _) => (&data[..a + 2], a + 4),
            (None, Some(b)) => (&data[..b + 1], b + 2),
            (None, None) => {
                // a message ending right after its last header line (no body) is
                // accepted; anything else lacks the separator a body needs
                if data.ends_with(b"\n") {
                    (data, data.len())
                } else {
                    return Err(ParseError::new(ParseErrorKind::NoBlankLine));
                }
            }
        };
        let head =
            std::str::from_utf8(head).map_err(|_| ParseError::new(ParseErrorKind::NotText))?;
        // control characters are only legal as quoted-pairs (RFC 3261 25.1);
        // anything else is binary data, not a SIP header section
        if has_bare_control(head) {
            return Err(ParseError::new(ParseErrorKind::NotText));
        }

        let mut lines = head.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l));
        let first = lines.next().unwrap_or("");
        let (start_line, start_err) = match split_start_line(first) {
            Ok(s) => (s, None),
            Err(e) => (StartLine::Invalid(first.to_string()), Some(e.kind)),
        };

        let mut headers = Headers::new();
        let mut current: Option<(String, String)> = None;
        for line in lines {
            if line.is_empty() {
                continue;
            }
            if line.starts_with(' ') || line.starts_with('\t') {
                match current.as_mut() {
                    Some((_, v)) => {
                        v.push(' ');
                        v.push_str(line.trim_matches(|c| c == ' ' || c == '\t'));
                    }
                    None => return Err(ParseError::new(ParseErrorKind::Continuation)),
                }
                continue;
            }
            if let Some((n, v)) = current.take() {
                headers.push(HeaderName::parse(&n), v.trim().to_string());
            }
            let colon = line
                .find(':')
                .ok_or_else(|| ParseError::new(ParseErrorKind::HeaderLine(line.to_string())))?;
            let name = line[..colon].trim_end_matches([' ', '\t']);
            if !valid_name(name) {
                return Err(ParseError::new(ParseErrorKind::HeaderLine(
                    line.to_string(),
                )));
            }
            current = Some((
                name.to_string(),
                line[colon + 1..].trim_matches([' ', '\t']).to_string(),
            ));
        }
        if let Some((n, v)) = current.take() {
            headers.push(HeaderName::parse(&n), v.trim().to_string());
        }

        let rest = &data[body_start.min(data.len())..];
        let mut raw = RawMessage {
            start: start_line,
            headers,
            body: Vec::new(),
        };
        if let Some(kind) = start_err {
            return Err(ParseError::with_raw(kind, raw));
        }

        let cls: Vec<&str> = raw.headers.get_lines(&HeaderName::ContentLength).collect();
        if cls.len() > 1 {
            // several lengths make the framing ambiguous (RFC 4475 mcl01)
            return Err(ParseError::with_raw(
                ParseErrorKind::Duplicate("Content-Length".into()),
                raw,
            ));
        }
        match cls.first() {
            None => raw.body = rest.to_vec(),
            Some(v) => {
                let v = v.trim();
                if v.is_empty() || v.len() > 10 || !v.chars().all(|c| c.is_ascii_digit()) {
                    let v = v.to_string();
                    return Err(ParseError::with_raw(ParseErrorKind::ContentLength(v), raw));
                }
                let declared: usize = v.parse().unwrap_or(usize::MAX);
                if declared > rest.len() {
                    return Err(ParseError::with_raw(
                        ParseErrorKind::BodyTooShort {
                            declared,
                            actual: rest.len(),
                        },
                        raw,
                    ));
                }
                let extra = &rest[declared..];
                if framing == Framing::Exact
                    && !extra.iter().all(|b| b.is_ascii_whitespace())
                    && RawMessage::split(extra, Framing::Datagram).is_err()
                {
                    return Err(ParseError::with_raw(
                        ParseErrorKind::TrailingData {
                            declared,
                            actual: rest.len(),
                        },
                        raw,
                    ));
                }
                raw.body = rest[..declared].to_vec();
            }
        }
        Ok(raw)
    }

    /// True when the start line is, or looks like, a request line.
    pub fn is_request(&self) -> bool {
        match &self.start {
            StartLine::Request { .. } => true,
            StartLine::Invalid(l) => !l.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("SIP/")),
            StartLine::Response { .. } => false,
        }
    }

    /// True when the start line names the ACK method (never answered).
    pub fn is_ack(&self) -> bool {
        match &self.start {
            StartLine::Request { method, .. } => method == "ACK",
            StartLine::Invalid(l) => l.starts_with("ACK "),
            StartLine::Response { .. } => false,
        }
    }
}

fn has_bare_control(head: &str) -> bool {
    let mut prev = ' ';
    for c in head.chars() {
        if c.is_control() && !matches!(c, '\t' | '\r' | '\n') && prev != '\\' {
            return true;
        }
        prev = if prev == '\\' { ' ' } else { c };
    }
    false
}

fn split_start_line(line: &str) -> Result<StartLine, ParseError> {
    let bad = || ParseError::new(ParseErrorKind::StartLine(line.to_string()));
    if line
        .get(..4)
        .is_some_and(|p| p.eq_ignore_ascii_case("SIP/"))
    {
        // Status-Line = SIP-Version SP Status-Code SP Reason-Phrase
        let mut it = line.splitn(3, ' ');
        let version = it.next().ok_or_else(bad)?;
        let code = it.next().ok_or_else(bad)?;
        let reason = it.next().unwrap_or("");
        return Ok(StartLine::Response {
            version: version.to_string(),
            code: code.to_string(),
            reason: reason.to_string(),
        });
    }
    // Request-Line = Method SP Request-URI SP SIP-Version: exactly one SP each
    let parts: Vec<&str> = line.split(' ').collect();
    if parts.len() != 3 || parts.iter().any(|p| p.is_empty() || p.contains('\t')) {
        return Err(bad());
    }
    Ok(StartLine::Request {
        method: parts[0].to_string(),
        uri: parts[1].to_string(),
        version: parts[2].to_string(),
    })
}

fn header_err(name: &HeaderName, reason: impl Into<String>) -> ParseErrorKind {
    ParseErrorKind::Header {
        name: name.as_str().to_string(),
        reason: reason.into(),
    }
}

/// Parses and checks every header Handset understands.
fn check_headers(headers: &Headers, method: Option<&Method>) -> Result<(), ParseErrorKind> {
    let mut seen: Vec<&HeaderName> = Vec::new();
    for h in headers.iter() {
        if h.name.is_single() {
            if seen.contains(&&h.name) {
                return Err(ParseErrorKind::Duplicate(h.name.as_str().to_string()));
            }
            seen.push(&h.name);
        }
    }
    for h in headers.iter() {
        let n = &h.name;
        let v = h.value.as_str();
        match n {
            HeaderName::Via => {
                let values = headers
                    .get_values(n)
                    .ok_or_else(|| header_err(n, "unbalanced quotes or brackets"))?;
                for val in values {
                    Via::parse(val).map_err(|e| header_err(n, e.to_string()))?;
                }
            }
            HeaderName::From
            | HeaderName::To
            | HeaderName::ReferTo
            | HeaderName::ReferredBy
            | HeaderName::ReplyTo => {
                NameAddr::parse(v).map_err(|e| header_err(n, e.to_string()))?;
            }
            HeaderName::Contact if v.trim() != "*" => {
                let values = headers
                    .get_values(n)
                    .ok_or_else(|| header_err(n, "unbalanced quotes or brackets"))?;
                for val in values {
                    if val.trim() == "*" {
                        return Err(header_err(n, "'*' mixed with other contacts"));
                    }
                    let na = NameAddr::parse(val).map_err(|e| header_err(n, e.to_string()))?;
                    if let Some(exp) = na.params.get("expires") {
                        parse_delta_seconds(exp)
                            .ok_or_else(|| header_err(n, "expires out of range"))?;
                    }
                }
            }
            HeaderName::Route
            | HeaderName::RecordRoute
            | HeaderName::Path
            | HeaderName::ServiceRoute => {
                let values = headers
                    .get_values(n)
                    .ok_or_else(|| header_err(n, "unbalanced quotes or brackets"))?;
                for val in values {
                    NameAddr::parse(val).map_err(|e| header_err(n, e.to_string()))?;
                }
            }
            HeaderName::CallId if v.is_empty() || v.contains(char::is_whitespace) => {
                return Err(header_err(n, "must be a single word"));
            }
            HeaderName::CSeq => {
                let cseq = CSeq::parse(v)
                    .ok_or_else(|| header_err(n, "expected '<number below 2^31> <method>'"))?;
                if let Some(m) = method {
                    // ACK and CANCEL carry the INVITE's number with their own method
                    if &cseq.method != m {
                        return Err(ParseErrorKind::CSeqMismatch {
                            method: m.to_string(),
                            cseq: cseq.method.to_string(),
                        });
                    }
                }
            }
            HeaderName::MaxForwards => {
                let t = v.trim();
                // leading zeros are legal (RFC 4475 wsinv has 0068)
                if t.is_empty()
                    || !t.chars().all(|c| c.is_ascii_digit())
                    || t.trim_start_matches('0').len() > 3
                    || t.parse::<u16>().map_or(true, |x| x > 255)
                {
                    return Err(header_err(n, "expected a number from 0 to 255"));
                }
            }
            HeaderName::Expires | HeaderName::MinExpires => {
                parse_delta_seconds(v).ok_or_else(|| header_err(n, "expected delta-seconds"))?;
            }
            HeaderName::ContentType => {
                MediaType::parse(v).ok_or_else(|| header_err(n, "expected type/subtype"))?;
            }
            HeaderName::Date if !valid_sip_date(v) => {
                return Err(header_err(n, "expected an RFC 1123 date in GMT"));
            }
            HeaderName::RSeq => {
                parse_delta_seconds(v).ok_or_else(|| header_err(n, "expected a number"))?;
            }
            HeaderName::RAck => {
                RAck::parse(v).ok_or_else(|| header_err(n, "expected 'rseq cseq method'"))?;
            }
            HeaderName::Event | HeaderName::SubscriptionState | HeaderName::SessionExpires => {
                TokenParams::parse(v).ok_or_else(|| header_err(n, "expected token;params"))?;
            }
            _ => {}
        }
    }
    Ok(())
}

fn build(raw: RawMessage) -> Result<Message, ParseError> {
    match &raw.start {
        StartLine::Invalid(line) => {
            let kind = ParseErrorKind::StartLine(line.clone());
            Err(ParseError::with_raw(kind, raw))
        }
        StartLine::Request {
            method,
            uri,
            version,
        } => {
            let line = format!("{method} {uri} {version}");
            if let Err(kind) = check_version(version, &line) {
                return Err(ParseError::with_raw(kind, raw));
            }
            let Some(m) = Method::parse(method) else {
                let kind = ParseErrorKind::Method(method.clone());
                return Err(ParseError::with_raw(kind, raw));
            };
            let u = match Uri::parse(uri) {
                Ok(u) => u,
                Err(e) => {
                    let kind = ParseErrorKind::RequestUri(uri.clone(), e);
                    return Err(ParseError::with_raw(kind, raw));
                }
            };
            // RFC 3261 19.1.1: header fields are not allowed in a Request-URI
            if u.as_sip().is_some_and(|s| !s.headers.is_empty()) {
                let kind = ParseErrorKind::RequestUri(
                    uri.clone(),
                    UriError::Char("headers (?...) in Request-URI"),
                );
                return Err(ParseError::with_raw(kind, raw));
            }
            let cseq_method = match m {
                Method::Ack | Method::Cancel => None,
                _ => Some(&m),
            };
            if let Err(kind) = check_headers(&raw.headers, cseq_method) {
                return Err(ParseError::with_raw(kind, raw));
            }
            if matches!(m, Method::Ack | Method::Cancel) {
                if let Some(c) = raw.headers.get(&HeaderName::CSeq).and_then(CSeq::parse) {
                    if c.method != m {
                        let kind = ParseErrorKind::CSeqMismatch {
                            method: m.to_string(),
                            cseq: c.method.to_string(),
                        };
                        return Err(ParseError::with_raw(kind, raw));
                    }
                }
            }
            Ok(Message::Request(Request {
                method: m,
                uri: u,
                headers: raw.headers,
                body: raw.body,
            }))
        }
        StartLine::Response {
            version,
            code,
            reason,
        } => {
            let line = format!("{version} {code} {reason}");
            if let Err(kind) = check_version(version, &line) {
                return Err(ParseError::with_raw(kind, raw));
            }
            let status = if code.len() == 3 && code.chars().all(|c| c.is_ascii_digit()) {
                code.parse::<u16>().ok().filter(|c| (100..=699).contains(c))
            } else {
                None
            };
            let Some(status) = status else {
                let kind = ParseErrorKind::StatusCode(code.clone());
                return Err(ParseError::with_raw(kind, raw));
            };
            if let Err(kind) = check_headers(&raw.headers, None) {
                return Err(ParseError::with_raw(kind, raw));
            }
            Ok(Message::Response(Response {
                status,
                reason: reason.clone(),
                headers: raw.headers,
                body: raw.body,
            }))
        }
    }
}

/// Parses one message received as a datagram (UDP) or framed out of a stream:
/// bytes past Content-Length are discarded as RFC 3261 18.3 says.
pub fn parse(data: &[u8]) -> Result<Message, ParseError> {
    build(RawMessage::split(data, Framing::Datagram)?)
}

/// Parses one message given whole (a file, stdin): the body must be exactly
/// Content-Length bytes; whitespace or a further complete message may follow.
pub fn parse_exact(data: &[u8]) -> Result<Message, ParseError> {
    build(RawMessage::split(data, Framing::Exact)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::HeaderAccess;

    const INVITE: &str = "INVITE sip:bob@biloxi.com SIP/2.0\r\n\
v: SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bK776asdhds\r\n\
Max-Forwards: 70\r\n\
t: Bob <sip:bob@biloxi.com>\r\n\
f: Alice <sip:alice@atlanta.com>;tag=1928301774\r\n\
i: a84b4c76e66710@pc33.atlanta.com\r\n\
CSeq: 314159 INVITE\r\n\
m: <sip:alice@pc33.atlanta.com>\r\n\
X-Custom: kept\r\n\
\x20 and folded\r\n\
c: application/sdp\r\n\
l: 4\r\n\r\nv=0\r\n";

    #[test]
    fn multibyte_start_line_is_an_error_not_a_panic() {
        // found by the mutation fuzzer: byte 4 fell inside a CJK character
        for line in ["大停電 sip:a@b SIP/2.0", "SIP大 200 OK", "é"] {
            let msg = format!("{line}\r\nCall-ID: x\r\n\r\n");
            assert!(parse(msg.as_bytes()).is_err(), "{line}");
        }
    }

    #[test]
    fn parses_compact_and_folded() {
        let m = parse(INVITE.as_bytes()).unwrap();
        let Message::Request(r) = &m else { panic!() };
        assert_eq!(r.method, Method::Invite);
        assert_eq!(r.call_id(), Some("a84b4c76e66710@pc33.atlanta.com"));
        assert_eq!(r.from_header().unwrap().tag(), Some("1928301774"));
        assert_eq!(r.cseq().unwrap().seq, 314159);
        assert_eq!(r.body, b"v=0\r");
        assert_eq!(
            r.headers.get(&HeaderName::Other("x-custom".into())),
            Some("kept and folded")
        );
        let again = parse(&m.to_bytes()).unwrap();
        assert_eq!(again, m);
    }

    #[test]
    fn content_length_mismatch() {
        let short = INVITE.replace("l: 4", "l: 40");
        assert!(matches!(
            parse(short.as_bytes()).unwrap_err().kind,
            ParseErrorKind::BodyTooShort { .. }
        ));
        let long = INVITE.replace("l: 4", "l: 2");
        assert!(parse(long.as_bytes()).is_ok());
        assert!(matches!(
            parse_exact(long.as_bytes()).unwrap_err().kind,
            ParseErrorKind::TrailingData { .. }
        ));
    }

    #[test]
    fn version_and_garbage() {
        let v7 = INVITE.replace("SIP/2.0\r\n", "SIP/7.0\r\n");
        let e = parse(v7.as_bytes()).unwrap_err();
        assert_eq!(e.status(), 505);
        assert!(e.raw.is_some());
        assert_eq!(parse(b"").unwrap_err().kind, ParseErrorKind::Empty);
        assert_eq!(
            parse(b"\x00\x01\x02\xff\xfe\r\n\r\n").unwrap_err().kind,
            ParseErrorKind::NotText
        );
        assert!(parse(b"hello world").is_err());
    }
}
