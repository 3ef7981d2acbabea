//! Lexical helpers shared by the SIP grammar parsers (RFC 3261 section 25).

/// `token` characters of RFC 3261 25.1.
pub fn is_token_char(c: char) -> bool {
    c.is_ascii_alphanumeric()
        || matches!(
            c,
            '-' | '.' | '!' | '%' | '*' | '_' | '+' | '`' | '\'' | '~'
        )
}

/// True when `s` is a non-empty RFC 3261 `token`.
pub fn is_token(s: &str) -> bool {
    !s.is_empty() && s.chars().all(is_token_char)
}

/// Linear white space inside one (already unfolded) header value.
pub fn is_lws(c: char) -> bool {
    c == ' ' || c == '\t'
}

/// Splits `s` at every top-level occurrence of `sep`, ignoring separators inside
/// quoted strings (with backslash escapes) and inside `<...>` URIs.
///
/// Returns `None` when a quoted string or angle bracket is left open, because a
/// value that cannot be split unambiguously must not be guessed at.
pub fn split_top_level(s: &str, sep: char) -> Option<Vec<&str>> {
    let mut parts = Vec::new();
    let mut start = 0;
    let mut in_quotes = false;
    let mut in_angle = false;
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        if in_quotes {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_quotes = false;
            }
            continue;
        }
        match c {
            '"' if !in_angle => in_quotes = true,
            '<' if !in_angle => in_angle = true,
            '>' if in_angle => in_angle = false,
            c if c == sep && !in_angle => {
                parts.push(&s[start..i]);
                start = i + c.len_utf8();
            }
            _ => {}
        }
    }
    if in_quotes || in_angle {
        return None;
    }
    parts.push(&s[start..]);
    Some(parts)
}

/// Finds the first top-level occurrence of `needle`, outside quoted strings and `<...>`.
pub fn find_top_level(s: &str, needle: char) -> Option<usize> {
    let mut in_quotes = false;
    let mut in_angle = false;
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        if in_quotes {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_quotes = false;
            }
            continue;
        }
        if c == needle && !in_angle {
            return Some(i);
        }
        match c {
            '"' if !in_angle => in_quotes = true,
            '<' if !in_angle => in_angle = true,
            '>' if in_angle => in_angle = false,
            _ => {}
        }
    }
    None
}

/// Parses a quoted string that starts at the beginning of `s`.
///
/// Returns the unescaped content and the remainder after the closing quote, or
/// `None` when the string is not terminated.
pub fn parse_quoted(s: &str) -> Option<(String, &str)> {
    let mut chars = s.char_indices();
    match chars.next() {
        Some((_, '"')) => {}
        _ => return None,
    }
    let mut out = String::new();
    let mut escaped = false;
    for (i, c) in chars {
        if escaped {
            out.push(c);
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if c == '"' {
            return Some((out, &s[i + 1..]));
        } else {
            out.push(c);
        }
    }
    None
}

/// Quotes `s` as an RFC 3261 quoted-string, escaping `"` and `\`.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// Checks that every `%` in `s` starts a two-hex-digit escape.
pub fn escapes_well_formed(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            if i + 2 >= b.len() || !(b[i + 1].is_ascii_hexdigit() && b[i + 2].is_ascii_hexdigit()) {
                return false;
            }
            i += 3;
        } else {
            i += 1;
        }
    }
    true
}

/// Decodes `%xx` escapes. Bytes that do not form valid UTF-8 after decoding are
/// replaced, since decoded forms are only used for comparison and display.
pub fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            let hi = (b[i + 1] as char).to_digit(16);
            let lo = (b[i + 2] as char).to_digit(16);
            if let (Some(hi), Some(lo)) = (hi, lo) {
                out.push((hi * 16 + lo) as u8);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Escapes every byte of `s` that is not allowed unescaped by `allowed`.
pub fn percent_encode(s: &str, allowed: impl Fn(char) -> bool) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if allowed(c) {
            out.push(c);
        } else {
            let mut buf = [0u8; 4];
            for byte in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("%{byte:02X}"));
            }
        }
    }
    out
}

/// RFC 3261 `unreserved` characters.
pub fn is_unreserved(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '!' | '~' | '*' | '\'' | '(' | ')')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_outside_quotes_and_angles() {
        let parts = split_top_level(r#""a,b" <sip:x@y?h=1,2>;p=1, <sip:z>"#, ',').unwrap();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[1].trim(), "<sip:z>");
    }

    #[test]
    fn unterminated_quote_is_not_split() {
        assert!(split_top_level(r#""abc, def"#, ',').is_none());
    }

    #[test]
    fn quoted_round_trip() {
        let q = quote(r#"say "hi" \ bye"#);
        let (s, rest) = parse_quoted(&q).unwrap();
        assert_eq!(s, r#"say "hi" \ bye"#);
        assert_eq!(rest, "");
    }

    #[test]
    fn escapes() {
        assert!(escapes_well_formed("a%20b"));
        assert!(!escapes_well_formed("a%2"));
        assert!(!escapes_well_formed("a%zz"));
        assert!(!escapes_well_formed("%"));
        assert_eq!(percent_decode("j%40s%2Fx"), "j@s/x");
        assert_eq!(percent_encode("a b", is_unreserved), "a%20b");
    }
}
