//! Header names (with compact forms expanded) and the ordered header list.

use std::fmt;

use crate::text::{is_token, split_top_level};

macro_rules! header_names {
    ($( $variant:ident => $canonical:literal, compact: $compact:expr, list: $list:literal, single: $single:literal; )*) => {
        /// A SIP header name. Known names are matched case-insensitively and in
        /// their compact forms (RFC 3261 7.3.3); unknown names keep their spelling.
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum HeaderName {
            $(
                #[doc = concat!("`", $canonical, "`")]
                $variant,
            )*
            /// An extension header, stored as received.
            Other(String),
        }

        impl HeaderName {
            /// Resolves a header name as it appears on the wire.
            pub fn parse(name: &str) -> HeaderName {
                if name.len() == 1 {
                    let c = name.as_bytes()[0].to_ascii_lowercase() as char;
                    $(
                        if $compact == Some(c) {
                            return HeaderName::$variant;
                        }
                    )*
                }
                $(
                    if name.eq_ignore_ascii_case($canonical) {
                        return HeaderName::$variant;
                    }
                )*
                HeaderName::Other(name.to_string())
            }

            /// The canonical (long) spelling.
            pub fn as_str(&self) -> &str {
                match self {
                    $( HeaderName::$variant => $canonical, )*
                    HeaderName::Other(s) => s,
                }
            }

            /// Whether the grammar of this header allows a comma-separated list of values.
            pub fn is_list(&self) -> bool {
                match self {
                    $( HeaderName::$variant => $list, )*
                    HeaderName::Other(_) => false,
                }
            }

            /// Whether a request may carry this header at most once (RFC 3261 7.3.1).
            pub fn is_single(&self) -> bool {
                match self {
                    $( HeaderName::$variant => $single, )*
                    HeaderName::Other(_) => false,
                }
            }
        }
    };
}

header_names! {
    Accept => "Accept", compact: None, list: true, single: false;
    AcceptContact => "Accept-Contact", compact: Some('a'), list: true, single: false;
    AcceptEncoding => "Accept-Encoding", compact: None, list: true, single: false;
    AcceptLanguage => "Accept-Language", compact: None, list: true, single: false;
    AlertInfo => "Alert-Info", compact: None, list: true, single: false;
    Allow => "Allow", compact: None, list: true, single: false;
    AllowEvents => "Allow-Events", compact: Some('u'), list: true, single: false;
    AuthenticationInfo => "Authentication-Info", compact: None, list: false, single: true;
    Authorization => "Authorization", compact: None, list: false, single: false;
    CallId => "Call-ID", compact: Some('i'), list: false, single: true;
    CallInfo => "Call-Info", compact: None, list: true, single: false;
    Contact => "Contact", compact: Some('m'), list: true, single: false;
    ContentDisposition => "Content-Disposition", compact: None, list: false, single: true;
    ContentEncoding => "Content-Encoding", compact: Some('e'), list: true, single: false;
    ContentLanguage => "Content-Language", compact: None, list: true, single: false;
    ContentLength => "Content-Length", compact: Some('l'), list: false, single: true;
    ContentType => "Content-Type", compact: Some('c'), list: false, single: true;
    CSeq => "CSeq", compact: None, list: false, single: true;
    Date => "Date", compact: None, list: false, single: true;
    ErrorInfo => "Error-Info", compact: None, list: true, single: false;
    Event => "Event", compact: Some('o'), list: false, single: true;
    Expires => "Expires", compact: None, list: false, single: true;
    From => "From", compact: Some('f'), list: false, single: true;
    Identity => "Identity", compact: Some('y'), list: false, single: false;
    InReplyTo => "In-Reply-To", compact: None, list: true, single: false;
    MaxForwards => "Max-Forwards", compact: None, list: false, single: true;
    MimeVersion => "MIME-Version", compact: None, list: false, single: true;
    MinExpires => "Min-Expires", compact: None, list: false, single: true;
    MinSe => "Min-SE", compact: None, list: false, single: true;
    Organization => "Organization", compact: None, list: false, single: true;
    PAssertedIdentity => "P-Asserted-Identity", compact: None, list: true, single: false;
    PPreferredIdentity => "P-Preferred-Identity", compact: None, list: true, single: false;
    Path => "Path", compact: None, list: true, single: false;
    Priority => "Priority", compact: None, list: false, single: true;
    Privacy => "Privacy", compact: None, list: false, single: false;
    ProxyAuthenticate => "Proxy-Authenticate", compact: None, list: false, single: false;
    ProxyAuthorization => "Proxy-Authorization", compact: None, list: false, single: false;
    ProxyRequire => "Proxy-Require", compact: None, list: true, single: false;
    RAck => "RAck", compact: None, list: false, single: true;
    Reason => "Reason", compact: None, list: true, single: false;
    RecordRoute => "Record-Route", compact: None, list: true, single: false;
    ReferSub => "Refer-Sub", compact: None, list: false, single: true;
    ReferTo => "Refer-To", compact: Some('r'), list: false, single: true;
    ReferredBy => "Referred-By", compact: Some('b'), list: false, single: true;
    RejectContact => "Reject-Contact", compact: Some('j'), list: true, single: false;
    Replaces => "Replaces", compact: None, list: false, single: true;
    ReplyTo => "Reply-To", compact: None, list: false, single: true;
    RequestDisposition => "Request-Disposition", compact: Some('d'), list: true, single: false;
    Require => "Require", compact: None, list: true, single: false;
    RetryAfter => "Retry-After", compact: None, list: false, single: true;
    Route => "Route", compact: None, list: true, single: false;
    RSeq => "RSeq", compact: None, list: false, single: true;
    Server => "Server", compact: None, list: false, single: true;
    ServiceRoute => "Service-Route", compact: None, list: true, single: false;
    SessionExpires => "Session-Expires", compact: Some('x'), list: false, single: true;
    SipETag => "SIP-ETag", compact: None, list: false, single: true;
    SipIfMatch => "SIP-If-Match", compact: None, list: false, single: true;
    Subject => "Subject", compact: Some('s'), list: false, single: true;
    SubscriptionState => "Subscription-State", compact: None, list: false, single: true;
    Supported => "Supported", compact: Some('k'), list: true, single: false;
    Timestamp => "Timestamp", compact: None, list: false, single: true;
    To => "To", compact: Some('t'), list: false, single: true;
    Unsupported => "Unsupported", compact: None, list: true, single: false;
    UserAgent => "User-Agent", compact: None, list: false, single: true;
    Via => "Via", compact: Some('v'), list: true, single: false;
    Warning => "Warning", compact: None, list: true, single: false;
    WwwAuthenticate => "WWW-Authenticate", compact: None, list: false, single: false;
}

impl HeaderName {
    /// Case-insensitive comparison with a wire spelling (compact forms included).
    pub fn matches(&self, name: &str) -> bool {
        match (self, HeaderName::parse(name)) {
            (HeaderName::Other(a), HeaderName::Other(b)) => a.eq_ignore_ascii_case(&b),
            (a, b) => *a == b,
        }
    }

    fn same(&self, other: &HeaderName) -> bool {
        match (self, other) {
            (HeaderName::Other(a), HeaderName::Other(b)) => a.eq_ignore_ascii_case(b),
            (a, b) => a == b,
        }
    }
}

impl fmt::Display for HeaderName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<&str> for HeaderName {
    fn from(s: &str) -> Self {
        HeaderName::parse(s)
    }
}

/// One header line: a name and its unfolded, trimmed value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// The header's name.
    pub name: HeaderName,
    /// The raw value, continuation lines joined with a single space.
    pub value: String,
}

impl Header {
    /// Creates a header.
    pub fn new(name: impl Into<HeaderName>, value: impl Into<String>) -> Self {
        Header {
            name: name.into(),
            value: value.into(),
        }
    }
}

/// The ordered header list of a message. Order is kept because Via, Route and
/// Record-Route values are meaningful in order, and unknown headers are kept
/// so a proxy-like use can forward them untouched.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Headers {
    list: Vec<Header>,
}

impl Headers {
    /// An empty header list.
    pub fn new() -> Self {
        Headers::default()
    }

    /// Appends a header line.
    pub fn push(&mut self, name: impl Into<HeaderName>, value: impl Into<String>) {
        self.list.push(Header::new(name, value));
    }

    /// Inserts a header line before all others (used for Via on forwarding).
    pub fn push_front(&mut self, name: impl Into<HeaderName>, value: impl Into<String>) {
        self.list.insert(0, Header::new(name, value));
    }

    /// Removes every line of `name` and appends one line with `value`.
    pub fn set(&mut self, name: impl Into<HeaderName>, value: impl Into<String>) {
        let name = name.into();
        self.remove(&name);
        self.list.push(Header {
            name,
            value: value.into(),
        });
    }

    /// Removes every line of `name`.
    pub fn remove(&mut self, name: &HeaderName) {
        self.list.retain(|h| !h.name.same(name));
    }

    /// The first line's raw value.
    pub fn get(&self, name: &HeaderName) -> Option<&str> {
        self.list
            .iter()
            .find(|h| h.name.same(name))
            .map(|h| h.value.as_str())
    }

    /// Every line of `name`, as written.
    pub fn get_lines<'a>(&'a self, name: &HeaderName) -> impl Iterator<Item = &'a str> + 'a {
        let name = name.clone();
        self.list
            .iter()
            .filter(move |h| h.name.same(&name))
            .map(|h| h.value.as_str())
    }

    /// How many lines of `name` there are.
    pub fn count(&self, name: &HeaderName) -> usize {
        self.list.iter().filter(|h| h.name.same(name)).count()
    }

    /// Every value of `name`, comma-separated lists split into their elements
    /// (RFC 3261 7.3.1). Returns `None` if a list cannot be split unambiguously.
    pub fn get_values(&self, name: &HeaderName) -> Option<Vec<&str>> {
        let mut out = Vec::new();
        for line in self.get_lines(name) {
            if name.is_list() {
                for part in split_top_level(line, ',')? {
                    let part = part.trim();
                    if !part.is_empty() {
                        out.push(part);
                    }
                }
            } else {
                out.push(line);
            }
        }
        Some(out)
    }

    /// Iterates over all lines in order.
    pub fn iter(&self) -> impl Iterator<Item = &Header> {
        self.list.iter()
    }

    /// Mutable access to all lines in order.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = &mut Header> {
        self.list.iter_mut()
    }

    /// Number of lines.
    pub fn len(&self) -> usize {
        self.list.len()
    }

    /// True when there are no lines.
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }
}

/// Checks that a header name is a valid token.
pub(crate) fn valid_name(name: &str) -> bool {
    is_token(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_and_case() {
        assert_eq!(HeaderName::parse("v"), HeaderName::Via);
        assert_eq!(HeaderName::parse("I"), HeaderName::CallId);
        assert_eq!(HeaderName::parse("cAlL-iD"), HeaderName::CallId);
        assert_eq!(HeaderName::parse("X-Foo").as_str(), "X-Foo");
        assert!(HeaderName::parse("x-foo").matches("X-FOO"));
    }

    #[test]
    fn list_values_split() {
        let mut h = Headers::new();
        h.push("Via", "SIP/2.0/UDP a;branch=z9hG4bK1, SIP/2.0/UDP b");
        h.push("v", "SIP/2.0/TCP c");
        let v = h.get_values(&HeaderName::Via).unwrap();
        assert_eq!(v.len(), 3);
        assert_eq!(v[2], "SIP/2.0/TCP c");
    }
}
