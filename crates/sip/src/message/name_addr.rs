//! `name-addr` / `addr-spec` values: From, To, Contact, Route, Record-Route, Refer-To…

use std::fmt;

use super::params::Params;
use super::uri::{Uri, UriError};
use crate::text::{find_top_level, is_lws, is_token, parse_quoted, quote};

/// Why a name-addr value was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameAddrError {
    /// A quoted display name without its closing quote.
    #[error("unterminated quoted display name")]
    Quote,
    /// A display name that is neither quoted nor a sequence of tokens.
    #[error("display name must be quoted or made of tokens")]
    DisplayName,
    /// `<` without `>`, or whitespace just inside the brackets.
    #[error("malformed <URI>")]
    Angle,
    /// A bare addr-spec holding `?` or `,`, which must be in brackets (RFC 3261 20).
    #[error("URI with '?' or ',' must be enclosed in <>")]
    NeedsBrackets,
    /// Trailing text after the value that is not a parameter list.
    #[error("unexpected text after URI: '{0}'")]
    Trailing(String),
    /// The header parameters could not be parsed.
    #[error("malformed header parameters")]
    Params,
    /// The URI inside was refused.
    #[error("{0}")]
    Uri(#[from] UriError),
}

/// A URI with an optional display name and header parameters (`tag`, `expires`, `q`…).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameAddr {
    /// Display name with quotes and escapes resolved.
    pub display: Option<String>,
    /// The URI.
    pub uri: Uri,
    /// Header parameters after the URI.
    pub params: Params,
}

impl NameAddr {
    /// A bare URI without display name or parameters.
    pub fn new(uri: impl Into<Uri>) -> Self {
        NameAddr {
            display: None,
            uri: uri.into(),
            params: Params::new(),
        }
    }

    /// Parses one value (a single element of a list header).
    pub fn parse(s: &str) -> Result<NameAddr, NameAddrError> {
        let s = s.trim_matches(is_lws);
        let (display, after_display) = if s.starts_with('"') {
            let (d, rest) = parse_quoted(s).ok_or(NameAddrError::Quote)?;
            let rest = rest.trim_start_matches(is_lws);
            if !rest.starts_with('<') {
                return Err(NameAddrError::Angle);
            }
            (Some(d), rest)
        } else if let Some(lt) = find_top_level(s, '<') {
            let d = s[..lt].trim_matches(is_lws);
            if d.is_empty() {
                (None, &s[lt..])
            } else {
                if !d.split(is_lws).filter(|w| !w.is_empty()).all(is_token) {
                    return Err(NameAddrError::DisplayName);
                }
                let words: Vec<&str> = d.split(is_lws).filter(|w| !w.is_empty()).collect();
                (Some(words.join(" ")), &s[lt..])
            }
        } else {
            (None, s)
        };

        if let Some(inner) = after_display.strip_prefix('<') {
            let gt = inner.find('>').ok_or(NameAddrError::Angle)?;
            let uri_s = &inner[..gt];
            if uri_s.is_empty() || uri_s.starts_with(is_lws) || uri_s.ends_with(is_lws) {
                return Err(NameAddrError::Angle);
            }
            let uri = Uri::parse(uri_s)?;
            let rest = inner[gt + 1..].trim_start_matches(is_lws);
            let params = parse_header_params(rest)?;
            return Ok(NameAddr {
                display,
                uri,
                params,
            });
        }
        if display.is_some() {
            return Err(NameAddrError::Angle);
        }
        // addr-spec: the URI ends at the first ';', which starts header parameters
        let (uri_s, rest) = match after_display.find(';') {
            Some(i) => (
                after_display[..i].trim_end_matches(is_lws),
                &after_display[i..],
            ),
            None => (after_display, ""),
        };
        if uri_s.contains('?') || uri_s.contains(',') {
            return Err(NameAddrError::NeedsBrackets);
        }
        if uri_s.contains(is_lws) {
            return Err(NameAddrError::Trailing(uri_s.to_string()));
        }
        let uri = Uri::parse(uri_s)?;
        let params = parse_header_params(rest)?;
        Ok(NameAddr {
            display: None,
            uri,
            params,
        })
    }

    /// The `tag` parameter.
    pub fn tag(&self) -> Option<&str> {
        self.params.get("tag").filter(|t| !t.is_empty())
    }

    /// Sets the `tag` parameter.
    pub fn set_tag(&mut self, tag: &str) {
        self.params.set("tag", Some(tag));
    }
}

fn parse_header_params(rest: &str) -> Result<Params, NameAddrError> {
    let rest = rest.trim_matches(is_lws);
    if rest.is_empty() {
        return Ok(Params::new());
    }
    let p = rest
        .strip_prefix(';')
        .ok_or_else(|| NameAddrError::Trailing(rest.to_string()))?;
    let params = Params::parse(p).ok_or(NameAddrError::Params)?;
    for param in params.iter() {
        if !is_token(&param.name) {
            return Err(NameAddrError::Params);
        }
    }
    Ok(params)
}

impl fmt::Display for NameAddr {
    /// Always writes the `<URI>` form, which is unambiguous whatever the URI holds.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(d) = &self.display {
            if d.split(' ').all(is_token) && !d.is_empty() {
                write!(f, "{d} ")?;
            } else {
                write!(f, "{} ", quote(d))?;
            }
        }
        write!(f, "<{}>{}", self.uri, self.params)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms() {
        let n = NameAddr::parse(r#""Bob \"B\"" <sip:bob@biloxi.com>;tag=a6c85cf"#).unwrap();
        assert_eq!(n.display.as_deref(), Some(r#"Bob "B""#));
        assert_eq!(n.tag(), Some("a6c85cf"));
        let n = NameAddr::parse("sip:alice@atlanta.com;tag=88sja8x").unwrap();
        assert_eq!(n.tag(), Some("88sja8x"));
        assert!(n.uri.as_sip().unwrap().params.is_empty());
        let n = NameAddr::parse("Alice Liddell<sip:alice@wonderland.com>").unwrap();
        assert_eq!(n.display.as_deref(), Some("Alice Liddell"));
    }

    #[test]
    fn bad_forms() {
        assert!(NameAddr::parse(r#""unterminated <sip:a@b>"#).is_err());
        assert!(NameAddr::parse("Bell, Alexander <sip:a@b>").is_err());
        assert!(NameAddr::parse("< sip:a@b >").is_err());
        assert!(NameAddr::parse("sip:user@example.com?Route=%3Csip:x%3E").is_err());
        assert!(NameAddr::parse("<sip:a@b").is_err());
    }

    #[test]
    fn display_round_trip() {
        let n = NameAddr::parse(r#""A, B" <sip:a@b>;tag=1"#).unwrap();
        let again = NameAddr::parse(&n.to_string()).unwrap();
        assert_eq!(n, again);
    }
}
