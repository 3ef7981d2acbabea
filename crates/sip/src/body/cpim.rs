//! message/cpim (RFC 3862): the envelope Handset puts chat text in, carrying
//! a message id, a timestamp, IMDN requests and Handset's group headers.

use std::fmt;

/// The IMDN namespace URI (RFC 5438).
pub const NS_IMDN: &str = "urn:ietf:params:imdn";
/// Handset's namespace for group-chat metadata.
pub const NS_HANDSET: &str = "urn:handset:params:chat";

/// Why a CPIM body was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CpimError {
    /// No blank line between the message headers and the content headers.
    #[error("CPIM message headers not terminated")]
    NoSeparator,
    /// A header line without a colon.
    #[error("malformed CPIM header line '{0}'")]
    Header(String),
    /// The content is not UTF-8 where text was expected.
    #[error("CPIM content is not valid UTF-8")]
    Encoding,
}

/// One message header: optional namespace prefix, name, value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CpimHeader {
    /// Namespace prefix (`imdn` in `imdn.Message-ID`).
    pub prefix: Option<String>,
    /// Header name.
    pub name: String,
    /// Value.
    pub value: String,
}

/// A parsed or built CPIM message.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Cpim {
    /// Message headers in order (From, To, DateTime, NS, extension headers).
    pub headers: Vec<CpimHeader>,
    /// MIME type of the content.
    pub content_type: String,
    /// Other content headers (Content-Disposition…).
    pub content_headers: Vec<(String, String)>,
    /// The content.
    pub body: Vec<u8>,
}

impl Cpim {
    /// A text message from `from` to `to`.
    pub fn text(from: &str, to: &str, datetime: &str, message_id: &str, text: &str) -> Cpim {
        let mut c = Cpim {
            content_type: "text/plain;charset=UTF-8".into(),
            body: text.as_bytes().to_vec(),
            ..Default::default()
        };
        c.push(None, "From", &format!("<{from}>"));
        c.push(None, "To", &format!("<{to}>"));
        c.push(None, "DateTime", datetime);
        c.push(None, "NS", &format!("imdn <{NS_IMDN}>"));
        c.push(Some("imdn"), "Message-ID", message_id);
        c
    }

    /// Appends a message header.
    pub fn push(&mut self, prefix: Option<&str>, name: &str, value: &str) {
        self.headers.push(CpimHeader {
            prefix: prefix.map(str::to_string),
            name: name.to_string(),
            value: value.replace(['\r', '\n'], " "),
        });
    }

    /// Declares a namespace (`NS: prefix <uri>`) unless already declared.
    pub fn declare(&mut self, prefix: &str, uri: &str) {
        if self.namespace_prefix(uri).is_none() {
            self.push(None, "NS", &format!("{prefix} <{uri}>"));
        }
    }

    /// The prefix bound to a namespace URI.
    pub fn namespace_prefix(&self, uri: &str) -> Option<String> {
        self.headers
            .iter()
            .filter(|h| h.prefix.is_none() && h.name.eq_ignore_ascii_case("NS"))
            .find_map(|h| {
                let v = h.value.trim();
                let (prefix, rest) = match v.split_once(' ') {
                    Some((p, r)) => (p.trim(), r.trim()),
                    None => ("", v),
                };
                (rest.trim_start_matches('<').trim_end_matches('>') == uri)
                    .then(|| prefix.to_string())
            })
    }

    /// A header in no namespace.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|h| h.prefix.is_none() && h.name.eq_ignore_ascii_case(name))
            .map(|h| h.value.as_str())
    }

    /// Every value of a header in no namespace (To may repeat).
    pub fn get_all(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|h| h.prefix.is_none() && h.name.eq_ignore_ascii_case(name))
            .map(|h| h.value.as_str())
            .collect()
    }

    /// A header in the namespace `uri`, whatever prefix the sender bound to it.
    pub fn get_ns(&self, uri: &str, name: &str) -> Option<&str> {
        let prefix = self.namespace_prefix(uri)?;
        self.headers
            .iter()
            .find(|h| {
                h.prefix.as_deref() == Some(prefix.as_str()) && h.name.eq_ignore_ascii_case(name)
            })
            .map(|h| h.value.as_str())
    }

    /// The IMDN Message-ID.
    pub fn message_id(&self) -> Option<&str> {
        self.get_ns(NS_IMDN, "Message-ID")
    }

    /// The notifications the sender asked for (`positive-delivery`, `display`…).
    pub fn disposition_notification(&self) -> Vec<String> {
        self.get_ns(NS_IMDN, "Disposition-Notification")
            .map(|v| {
                v.split(',')
                    .map(|s| s.trim().to_ascii_lowercase())
                    .filter(|s| !s.is_empty())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The address inside From (`Alice <sip:a@x>` → `sip:a@x`).
    pub fn from_uri(&self) -> Option<String> {
        self.get("From").map(angle_uri)
    }

    /// The content as text.
    pub fn text_body(&self) -> Result<&str, CpimError> {
        std::str::from_utf8(&self.body).map_err(|_| CpimError::Encoding)
    }

    /// Parses a message/cpim body.
    pub fn parse(data: &[u8]) -> Result<Cpim, CpimError> {
        let (head, rest) = split_blank(data).ok_or(CpimError::NoSeparator)?;
        let head = std::str::from_utf8(head).map_err(|_| CpimError::Encoding)?;
        let mut c = Cpim::default();
        for line in head.lines().filter(|l| !l.trim().is_empty()) {
            let (name, value) = line
                .split_once(':')
                .ok_or_else(|| CpimError::Header(line.to_string()))?;
            let name = name.trim();
            let (prefix, name) = match name.split_once('.') {
                Some((p, n)) => (Some(p.to_string()), n.to_string()),
                None => (None, name.to_string()),
            };
            c.headers.push(CpimHeader {
                prefix,
                name,
                value: value.trim().to_string(),
            });
        }
        let (chead, body) = split_blank(rest).unwrap_or((rest, &[]));
        let chead = std::str::from_utf8(chead).map_err(|_| CpimError::Encoding)?;
        for line in chead.lines().filter(|l| !l.trim().is_empty()) {
            let (name, value) = line
                .split_once(':')
                .ok_or_else(|| CpimError::Header(line.to_string()))?;
            if name.trim().eq_ignore_ascii_case("Content-Type") {
                c.content_type = value.trim().to_string();
            } else if !name.trim().eq_ignore_ascii_case("Content-Length") {
                c.content_headers
                    .push((name.trim().to_string(), value.trim().to_string()));
            }
        }
        if c.content_type.is_empty() {
            c.content_type = "text/plain".into();
        }
        c.body = body.to_vec();
        Ok(c)
    }

    /// Serializes with CRLF line ends.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = String::new();
        for h in &self.headers {
            match &h.prefix {
                Some(p) => out.push_str(&format!("{p}.{}: {}\r\n", h.name, h.value)),
                None => out.push_str(&format!("{}: {}\r\n", h.name, h.value)),
            }
        }
        out.push_str("\r\n");
        out.push_str(&format!("Content-Type: {}\r\n", self.content_type));
        for (n, v) in &self.content_headers {
            out.push_str(&format!("{n}: {v}\r\n"));
        }
        out.push_str(&format!("Content-Length: {}\r\n\r\n", self.body.len()));
        let mut bytes = out.into_bytes();
        bytes.extend_from_slice(&self.body);
        bytes
    }
}

impl fmt::Display for Cpim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&String::from_utf8_lossy(&self.to_bytes()))
    }
}

/// `Name <uri>` or `<uri>` or a bare URI → the URI.
pub fn angle_uri(v: &str) -> String {
    match (v.find('<'), v.rfind('>')) {
        (Some(a), Some(b)) if b > a => v[a + 1..b].trim().to_string(),
        _ => v.trim().to_string(),
    }
}

fn split_blank(data: &[u8]) -> Option<(&[u8], &[u8])> {
    if let Some(i) = data.windows(4).position(|w| w == b"\r\n\r\n") {
        return Some((&data[..i], &data[i + 4..]));
    }
    data.windows(2)
        .position(|w| w == b"\n\n")
        .map(|i| (&data[..i], &data[i + 2..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn build_and_parse() {
        let mut c = Cpim::text(
            "sip:101@x",
            "sip:102@x",
            "2026-11-25T04:00:00.000Z",
            "abc123",
            "héllo\r\nworld",
        );
        c.push(
            Some("imdn"),
            "Disposition-Notification",
            "positive-delivery, display",
        );
        let p = Cpim::parse(&c.to_bytes()).unwrap();
        assert_eq!(p.message_id(), Some("abc123"));
        assert_eq!(p.from_uri().as_deref(), Some("sip:101@x"));
        assert_eq!(p.text_body().unwrap(), "héllo\r\nworld");
        assert_eq!(
            p.disposition_notification(),
            vec!["positive-delivery", "display"]
        );
    }

    #[test]
    fn other_prefix_for_imdn() {
        let raw = "From: <sip:a@x>\r\nNS: foo <urn:ietf:params:imdn>\r\nfoo.Message-ID: q1\r\n\r\nContent-Type: text/plain\r\n\r\nhi";
        let p = Cpim::parse(raw.as_bytes()).unwrap();
        assert_eq!(p.message_id(), Some("q1"));
        assert_eq!(p.body, b"hi");
        assert!(Cpim::parse(b"no separator at all").is_err());
    }
}
