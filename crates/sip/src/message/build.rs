//! Building requests and responses, and the random identifiers they carry.

use rand::Rng;

use super::header::{HeaderName, Headers};
use super::method::Method;
use super::name_addr::NameAddr;
use super::uri::Uri;
use super::via::{Via, BRANCH_MAGIC};
use super::{CSeq, Request, Response};

fn random_token(len: usize) -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rng();
    (0..len)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

/// A fresh RFC 3261 branch (magic cookie + 16 random characters).
pub fn new_branch() -> String {
    format!("{BRANCH_MAGIC}{}", random_token(16))
}

/// A fresh From/To tag.
pub fn new_tag() -> String {
    random_token(12)
}

/// A fresh Call-ID, globally unique in practice (96 random bits).
pub fn new_call_id() -> String {
    random_token(24)
}

/// The standard reason phrase of a status code (RFC 3261 21 and later RFCs).
pub fn reason_phrase(status: u16) -> &'static str {
    match status {
        100 => "Trying",
        180 => "Ringing",
        181 => "Call Is Being Forwarded",
        182 => "Queued",
        183 => "Session Progress",
        199 => "Early Dialog Terminated",
        200 => "OK",
        202 => "Accepted",
        204 => "No Notification",
        300 => "Multiple Choices",
        301 => "Moved Permanently",
        302 => "Moved Temporarily",
        305 => "Use Proxy",
        380 => "Alternative Service",
        400 => "Bad Request",
        401 => "Unauthorized",
        402 => "Payment Required",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        406 => "Not Acceptable",
        407 => "Proxy Authentication Required",
        408 => "Request Timeout",
        410 => "Gone",
        412 => "Conditional Request Failed",
        413 => "Request Entity Too Large",
        414 => "Request-URI Too Long",
        415 => "Unsupported Media Type",
        416 => "Unsupported URI Scheme",
        420 => "Bad Extension",
        421 => "Extension Required",
        422 => "Session Interval Too Small",
        423 => "Interval Too Brief",
        480 => "Temporarily Unavailable",
        481 => "Call/Transaction Does Not Exist",
        482 => "Loop Detected",
        483 => "Too Many Hops",
        484 => "Address Incomplete",
        485 => "Ambiguous",
        486 => "Busy Here",
        487 => "Request Terminated",
        488 => "Not Acceptable Here",
        489 => "Bad Event",
        491 => "Request Pending",
        493 => "Undecipherable",
        494 => "Security Agreement Required",
        500 => "Server Internal Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Server Time-out",
        505 => "Version Not Supported",
        513 => "Message Too Large",
        580 => "Precondition Failure",
        600 => "Busy Everywhere",
        603 => "Decline",
        604 => "Does Not Exist Anywhere",
        606 => "Not Acceptable",
        _ => match status / 100 {
            1 => "Progress",
            2 => "Success",
            3 => "Redirect",
            4 => "Client Error",
            5 => "Server Error",
            _ => "Global Failure",
        },
    }
}

impl Response {
    /// A response to `req` as RFC 3261 8.2.6.2 builds it: Via, From, To,
    /// Call-ID and CSeq copied (Record-Route too for 101–299, which may create a
    /// dialog). A To tag is added if missing for anything but 100.
    pub fn for_request(req: &Request, status: u16, to_tag: Option<&str>) -> Response {
        Response::from_headers(&req.headers, status, to_tag)
    }

    /// Like [`Response::for_request`], from raw headers (used for requests that
    /// failed to parse but whose headers could be read).
    pub fn from_headers(src: &Headers, status: u16, to_tag: Option<&str>) -> Response {
        let mut headers = Headers::new();
        for h in src.iter() {
            let copy = match h.name {
                HeaderName::Via | HeaderName::From | HeaderName::CallId | HeaderName::CSeq => true,
                HeaderName::RecordRoute => (101..300).contains(&status),
                HeaderName::To => {
                    let mut value = h.value.clone();
                    if status > 100 {
                        if let Some(tag) = to_tag {
                            if let Ok(mut na) = NameAddr::parse(&h.value) {
                                if na.tag().is_none() {
                                    na.set_tag(tag);
                                    value = na.to_string();
                                }
                            }
                        }
                    }
                    headers.push(HeaderName::To, value);
                    false
                }
                _ => false,
            };
            if copy {
                headers.push(h.name.clone(), h.value.clone());
            }
        }
        Response {
            status,
            reason: reason_phrase(status).to_string(),
            headers,
            body: Vec::new(),
        }
    }

    /// Replaces the reason phrase.
    pub fn with_reason(mut self, reason: &str) -> Self {
        self.reason = reason.to_string();
        self
    }

    /// Adds a header.
    pub fn with_header(mut self, name: impl Into<HeaderName>, value: impl Into<String>) -> Self {
        self.headers.push(name, value);
        self
    }

    /// Sets a body with its Content-Type.
    pub fn with_body(mut self, content_type: &str, body: Vec<u8>) -> Self {
        self.headers.set(HeaderName::ContentType, content_type);
        self.body = body;
        self
    }
}

/// Builds out-of-dialog requests (8.1.1) with the mandatory headers in the usual order.
#[derive(Debug, Clone)]
pub struct RequestBuilder {
    req: Request,
}

impl RequestBuilder {
    /// Starts a request to `uri` from `from` (a tag is added) to `to`.
    pub fn new(
        method: Method,
        uri: Uri,
        from: NameAddr,
        to: NameAddr,
        call_id: &str,
        seq: u32,
    ) -> Self {
        let mut from = from;
        if from.tag().is_none() {
            from.set_tag(&new_tag());
        }
        let mut headers = Headers::new();
        headers.push(HeaderName::MaxForwards, "70");
        headers.push(HeaderName::From, from.to_string());
        headers.push(HeaderName::To, to.to_string());
        headers.push(HeaderName::CallId, call_id);
        headers.push(
            HeaderName::CSeq,
            CSeq {
                seq,
                method: method.clone(),
            }
            .to_string(),
        );
        RequestBuilder {
            req: Request {
                method,
                uri,
                headers,
                body: Vec::new(),
            },
        }
    }

    /// Puts a Via on top.
    pub fn via(mut self, via: &Via) -> Self {
        self.req
            .headers
            .push_front(HeaderName::Via, via.to_string());
        self
    }

    /// Adds a header.
    pub fn header(mut self, name: impl Into<HeaderName>, value: impl Into<String>) -> Self {
        self.req.headers.push(name, value);
        self
    }

    /// Sets the body and its Content-Type.
    pub fn body(mut self, content_type: &str, body: Vec<u8>) -> Self {
        self.req.headers.set(HeaderName::ContentType, content_type);
        self.req.body = body;
        self
    }

    /// The request.
    pub fn build(self) -> Request {
        self.req
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::{parse, HeaderAccess, Message};

    #[test]
    fn builds_parseable_request_and_response() {
        let from = NameAddr::parse("Alice <sip:alice@atlanta.com>").unwrap();
        let to = NameAddr::parse("<sip:bob@biloxi.com>").unwrap();
        let via = Via::new(
            "UDP",
            "192.0.2.1".parse::<std::net::IpAddr>().unwrap().into(),
            Some(5060),
            &new_branch(),
        );
        let req = RequestBuilder::new(
            Method::Options,
            Uri::parse("sip:bob@biloxi.com").unwrap(),
            from,
            to,
            &new_call_id(),
            1,
        )
        .via(&via)
        .build();
        let Message::Request(parsed) = parse(&req.to_bytes()).unwrap() else {
            panic!()
        };
        assert!(parsed.from_header().unwrap().tag().is_some());
        let resp = Response::for_request(&parsed, 200, Some("xyz"));
        let Message::Response(r) = parse(&resp.to_bytes()).unwrap() else {
            panic!()
        };
        assert_eq!(r.to_header().unwrap().tag(), Some("xyz"));
        assert_eq!(r.top_via().unwrap().branch(), via.branch());
        assert_eq!(r.reason, "OK");
    }
}
