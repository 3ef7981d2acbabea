//! `;name=value` parameter lists, shared by URIs and header values.

use std::fmt;

use crate::text::{parse_quoted, quote, split_top_level};

/// One parameter. The value is kept as written (quotes included) so the message
/// can be re-serialized byte-for-byte where it matters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Param {
    /// Parameter name as written.
    pub name: String,
    /// Raw value, `None` for a flag parameter such as `;lr`.
    pub value: Option<String>,
}

/// An ordered list of parameters, looked up case-insensitively by name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params(pub Vec<Param>);

impl Params {
    /// An empty list.
    pub fn new() -> Self {
        Params(Vec::new())
    }

    /// Parses the text after the first `;` (e.g. `tag=1;lr`). `None` on a quote
    /// left open or an empty name.
    pub fn parse(s: &str) -> Option<Params> {
        let mut out = Vec::new();
        if s.trim().is_empty() {
            return Some(Params(out));
        }
        for part in split_top_level(s, ';')? {
            let part = part.trim();
            if part.is_empty() {
                return None;
            }
            let (name, value) = match part.find('=') {
                Some(i) => (part[..i].trim(), Some(part[i + 1..].trim().to_string())),
                None => (part, None),
            };
            if name.is_empty() || name.chars().any(|c| c.is_whitespace()) {
                return None;
            }
            if let Some(v) = &value {
                if v.starts_with('"') {
                    let (_, rest) = parse_quoted(v)?;
                    if !rest.trim().is_empty() {
                        return None;
                    }
                } else if v.chars().any(|c| c.is_whitespace() || c == '"') {
                    return None;
                }
            }
            out.push(Param {
                name: name.to_string(),
                value,
            });
        }
        Some(Params(out))
    }

    /// The raw value of `name` (`Some("")` for a flag).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|p| p.name.eq_ignore_ascii_case(name))
            .map(|p| p.value.as_deref().unwrap_or(""))
    }

    /// The value of `name` with surrounding quotes removed and escapes resolved.
    pub fn get_unquoted(&self, name: &str) -> Option<String> {
        let v = self.get(name)?;
        if v.starts_with('"') {
            parse_quoted(v).map(|(s, _)| s)
        } else {
            Some(v.to_string())
        }
    }

    /// True when the parameter is present, with or without a value.
    pub fn contains(&self, name: &str) -> bool {
        self.0.iter().any(|p| p.name.eq_ignore_ascii_case(name))
    }

    /// Sets (replacing) a parameter with a raw value.
    pub fn set(&mut self, name: &str, value: Option<&str>) {
        let value = value.map(str::to_string);
        if let Some(p) = self
            .0
            .iter_mut()
            .find(|p| p.name.eq_ignore_ascii_case(name))
        {
            p.value = value;
        } else {
            self.0.push(Param {
                name: name.to_string(),
                value,
            });
        }
    }

    /// Sets a parameter to a quoted-string value.
    pub fn set_quoted(&mut self, name: &str, value: &str) {
        self.set(name, Some(&quote(value)));
    }

    /// Removes a parameter.
    pub fn remove(&mut self, name: &str) {
        self.0.retain(|p| !p.name.eq_ignore_ascii_case(name));
    }

    /// Iterates in order.
    pub fn iter(&self) -> impl Iterator<Item = &Param> {
        self.0.iter()
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Display for Params {
    /// Writes `;a=b;c` (with the leading semicolons).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for p in &self.0 {
            match &p.value {
                Some(v) => write!(f, ";{}={}", p.name, v)?,
                None => write!(f, ";{}", p.name)?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_lookup() {
        let p = Params::parse("tag=abc; lr ;x=\"a;b\"").unwrap();
        assert_eq!(p.get("TAG"), Some("abc"));
        assert_eq!(p.get("lr"), Some(""));
        assert_eq!(p.get_unquoted("x").as_deref(), Some("a;b"));
        assert_eq!(p.to_string(), ";tag=abc;lr;x=\"a;b\"");
    }

    #[test]
    fn rejects_open_quote_and_empty_names() {
        assert!(Params::parse("x=\"abc").is_none());
        assert!(Params::parse("a;;b").is_none());
        assert!(Params::parse("=1").is_none());
    }
}
