//! SIP messages: the model, parsing, validation and serialization.
//!
//! rsip 0.4 gets framing, compact forms, URIs and validation wrong (see the crate
//! docs), so the grammar lives here; rsip supplies the shared vocabulary
//! (methods, status codes, digest algorithms) and a conversion for callers that
//! want an `rsip::SipMessage`.

mod build;
mod header;
mod method;
mod name_addr;
mod params;
mod parse;
mod typed;
mod uri;
mod via;

pub use build::{new_branch, new_call_id, new_tag, reason_phrase, RequestBuilder};
pub use header::{Header, HeaderName, Headers};
pub use method::Method;
pub use name_addr::{NameAddr, NameAddrError};
pub use params::{Param, Params};
pub use parse::{parse, parse_exact, ParseError, ParseErrorKind, RawMessage, StartLine};
pub use typed::{
    parse_delta_seconds, valid_sip_date, CSeq, MediaType, RAck, TokenParams, CSEQ_MAX,
};
pub use uri::{is_user_char, split_host_port, Host, SipScheme, SipUri, Uri, UriError};
pub use via::{Via, ViaError, BRANCH_MAGIC};

use std::fmt;

/// A SIP request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// Method.
    pub method: Method,
    /// Request-URI.
    pub uri: Uri,
    /// Header lines in order.
    pub headers: Headers,
    /// Body bytes (exactly Content-Length of them).
    pub body: Vec<u8>,
}

/// A SIP response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// Status code, 100..=699.
    pub status: u16,
    /// Reason phrase (may be empty).
    pub reason: String,
    /// Header lines in order.
    pub headers: Headers,
    /// Body bytes.
    pub body: Vec<u8>,
}

/// A request or a response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// A request.
    Request(Request),
    /// A response.
    Response(Response),
}

impl Message {
    /// The header list.
    pub fn headers(&self) -> &Headers {
        match self {
            Message::Request(r) => &r.headers,
            Message::Response(r) => &r.headers,
        }
    }

    /// Mutable header list.
    pub fn headers_mut(&mut self) -> &mut Headers {
        match self {
            Message::Request(r) => &mut r.headers,
            Message::Response(r) => &mut r.headers,
        }
    }

    /// The body.
    pub fn body(&self) -> &[u8] {
        match self {
            Message::Request(r) => &r.body,
            Message::Response(r) => &r.body,
        }
    }

    /// Serializes with a correct Content-Length.
    pub fn to_bytes(&self) -> Vec<u8> {
        match self {
            Message::Request(r) => r.to_bytes(),
            Message::Response(r) => r.to_bytes(),
        }
    }

    /// Checks that the headers every request or response must carry are present
    /// (RFC 3261 8.1.1 and 8.2.6.2).
    pub fn check_mandatory(&self) -> Result<(), ParseError> {
        let h = self.headers();
        let required: &[HeaderName] = match self {
            Message::Request(_) => &[
                HeaderName::Via,
                HeaderName::From,
                HeaderName::To,
                HeaderName::CallId,
                HeaderName::CSeq,
            ],
            Message::Response(_) => &[
                HeaderName::Via,
                HeaderName::From,
                HeaderName::To,
                HeaderName::CallId,
                HeaderName::CSeq,
            ],
        };
        for name in required {
            if h.get(name).is_none() {
                return Err(ParseError::new(ParseErrorKind::MissingHeader(
                    name.as_str().to_string(),
                )));
            }
        }
        Ok(())
    }

    /// Converts to rsip's model, for code built on rsip. Lossy where rsip is
    /// (compact forms are already expanded here, so typed rsip accessors work).
    pub fn to_rsip(&self) -> Result<rsip::SipMessage, rsip::Error> {
        rsip::SipMessage::try_from(self.to_bytes())
    }
}

impl From<Request> for Message {
    fn from(r: Request) -> Self {
        Message::Request(r)
    }
}

impl From<Response> for Message {
    fn from(r: Response) -> Self {
        Message::Response(r)
    }
}

/// Typed views of the common headers. Every accessor returns `None` when the
/// header is absent or does not parse; messages from [`parse`] have already had
/// every present header checked.
pub trait HeaderAccess {
    /// The header list.
    fn header_list(&self) -> &Headers;

    /// Call-ID.
    fn call_id(&self) -> Option<&str> {
        self.header_list().get(&HeaderName::CallId)
    }
    /// CSeq.
    fn cseq(&self) -> Option<CSeq> {
        self.header_list()
            .get(&HeaderName::CSeq)
            .and_then(CSeq::parse)
    }
    /// From.
    // "From" is the header's name here, not a conversion
    #[allow(clippy::wrong_self_convention)]
    fn from_header(&self) -> Option<NameAddr> {
        self.header_list()
            .get(&HeaderName::From)
            .and_then(|v| NameAddr::parse(v).ok())
    }
    /// To.
    fn to_header(&self) -> Option<NameAddr> {
        self.header_list()
            .get(&HeaderName::To)
            .and_then(|v| NameAddr::parse(v).ok())
    }
    /// All Via values, top first.
    fn vias(&self) -> Vec<Via> {
        self.header_list()
            .get_values(&HeaderName::Via)
            .unwrap_or_default()
            .into_iter()
            .filter_map(|v| Via::parse(v).ok())
            .collect()
    }
    /// The topmost Via.
    fn top_via(&self) -> Option<Via> {
        self.header_list()
            .get_values(&HeaderName::Via)?
            .first()
            .and_then(|v| Via::parse(v).ok())
    }
    /// Contact values (`*` is not a name-addr and is left out; see [`HeaderAccess::contact_star`]).
    fn contacts(&self) -> Vec<NameAddr> {
        name_addrs(self.header_list(), &HeaderName::Contact)
    }
    /// True for `Contact: *` (remove all bindings).
    fn contact_star(&self) -> bool {
        self.header_list()
            .get(&HeaderName::Contact)
            .is_some_and(|v| v.trim() == "*")
    }
    /// Route values in order.
    fn routes(&self) -> Vec<NameAddr> {
        name_addrs(self.header_list(), &HeaderName::Route)
    }
    /// Record-Route values in order.
    fn record_routes(&self) -> Vec<NameAddr> {
        name_addrs(self.header_list(), &HeaderName::RecordRoute)
    }
    /// Expires.
    fn expires(&self) -> Option<u32> {
        self.header_list()
            .get(&HeaderName::Expires)
            .and_then(parse_delta_seconds)
    }
    /// Max-Forwards.
    fn max_forwards(&self) -> Option<u8> {
        self.header_list()
            .get(&HeaderName::MaxForwards)
            .and_then(|v| v.trim().parse().ok())
    }
    /// Content-Type.
    fn content_type(&self) -> Option<MediaType> {
        self.header_list()
            .get(&HeaderName::ContentType)
            .and_then(MediaType::parse)
    }
    /// Option tags of Require, Supported, Proxy-Require or Unsupported, lower-cased.
    fn option_tags(&self, name: &HeaderName) -> Vec<String> {
        self.header_list()
            .get_values(name)
            .unwrap_or_default()
            .into_iter()
            .map(|t| t.trim().to_ascii_lowercase())
            .collect()
    }
    /// A token-with-parameters header (Event, Subscription-State, Session-Expires…).
    fn token_params(&self, name: &HeaderName) -> Option<TokenParams> {
        self.header_list().get(name).and_then(TokenParams::parse)
    }
}

fn name_addrs(h: &Headers, name: &HeaderName) -> Vec<NameAddr> {
    h.get_values(name)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|v| NameAddr::parse(v).ok())
        .collect()
}

impl HeaderAccess for Request {
    fn header_list(&self) -> &Headers {
        &self.headers
    }
}

impl HeaderAccess for Response {
    fn header_list(&self) -> &Headers {
        &self.headers
    }
}

impl HeaderAccess for Message {
    fn header_list(&self) -> &Headers {
        self.headers()
    }
}

fn write_headers(out: &mut Vec<u8>, headers: &Headers, body_len: usize) {
    let mut wrote_cl = false;
    for h in headers.iter() {
        if h.name == HeaderName::ContentLength {
            if wrote_cl {
                continue;
            }
            wrote_cl = true;
            out.extend_from_slice(format!("Content-Length: {body_len}\r\n").as_bytes());
            continue;
        }
        out.extend_from_slice(h.name.as_str().as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(h.value.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    if !wrote_cl {
        out.extend_from_slice(format!("Content-Length: {body_len}\r\n").as_bytes());
    }
    out.extend_from_slice(b"\r\n");
}

impl Request {
    /// Serializes the request; Content-Length always matches the body.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(512 + self.body.len());
        out.extend_from_slice(format!("{} {} SIP/2.0\r\n", self.method, self.uri).as_bytes());
        write_headers(&mut out, &self.headers, self.body.len());
        out.extend_from_slice(&self.body);
        out
    }
}

impl Response {
    /// Serializes the response; Content-Length always matches the body.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(512 + self.body.len());
        out.extend_from_slice(format!("SIP/2.0 {} {}\r\n", self.status, self.reason).as_bytes());
        write_headers(&mut out, &self.headers, self.body.len());
        out.extend_from_slice(&self.body);
        out
    }

    /// 1xx
    pub fn is_provisional(&self) -> bool {
        self.status < 200
    }

    /// 2xx
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

impl fmt::Display for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&String::from_utf8_lossy(&self.to_bytes()))
    }
}
