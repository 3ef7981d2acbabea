//! message/sipfrag (RFC 3420) as carried in REFER progress NOTIFYs (RFC 3515).

/// The MIME type.
pub const SIPFRAG_TYPE: &str = "message/sipfrag";

/// The status line of a sipfrag: `SIP/2.0 180 Ringing` → (180, "Ringing").
pub fn parse_status(data: &[u8]) -> Option<(u16, String)> {
    let text = String::from_utf8_lossy(data);
    let line = text.lines().next()?.trim();
    let rest = line.strip_prefix("SIP/2.0 ")?;
    let (code, reason) = rest.split_once(' ').unwrap_or((rest, ""));
    let code: u16 = code.parse().ok().filter(|c| (100..700).contains(c))?;
    Some((code, reason.trim().to_string()))
}

/// The body for a progress NOTIFY.
pub fn status_body(status: u16, reason: &str) -> Vec<u8> {
    format!("SIP/2.0 {status} {reason}\r\n").into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_lines() {
        assert_eq!(
            parse_status(b"SIP/2.0 200 OK\r\n"),
            Some((200, "OK".into()))
        );
        assert_eq!(
            parse_status(&status_body(503, "Service Unavailable")),
            Some((503, "Service Unavailable".into()))
        );
        assert_eq!(parse_status(b"garbage"), None);
        assert_eq!(parse_status(b"SIP/2.0 9999 x"), None);
    }
}
