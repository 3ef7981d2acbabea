//! Message waiting indication (RFC 3842 message-summary).

/// The MIME type.
pub const MESSAGE_SUMMARY_TYPE: &str = "application/simple-message-summary";

/// Voicemail counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageSummary {
    /// Messages-Waiting: yes.
    pub waiting: bool,
    /// New voice messages.
    pub new: u32,
    /// Old voice messages.
    pub old: u32,
    /// New urgent ones.
    pub new_urgent: u32,
    /// Old urgent ones.
    pub old_urgent: u32,
}

impl MessageSummary {
    /// Parses the body leniently (servers disagree on spacing and case).
    pub fn parse(data: &[u8]) -> Result<MessageSummary, String> {
        let text = std::str::from_utf8(data).map_err(|_| "not UTF-8".to_string())?;
        let mut s = MessageSummary::default();
        let mut seen_waiting = false;
        for line in text.lines() {
            let Some((name, value)) = line.split_once(':') else {
                continue;
            };
            let value = value.trim();
            match name.trim().to_ascii_lowercase().as_str() {
                "messages-waiting" => {
                    seen_waiting = true;
                    s.waiting = value.eq_ignore_ascii_case("yes");
                }
                "voice-message" => {
                    // "2/8 (0/2)"
                    let (main, urgent) = match value.split_once('(') {
                        Some((m, u)) => (m.trim(), Some(u.trim_end_matches(')').trim())),
                        None => (value, None),
                    };
                    let pair = |v: &str| -> Option<(u32, u32)> {
                        let (a, b) = v.split_once('/')?;
                        Some((a.trim().parse().ok()?, b.trim().parse().ok()?))
                    };
                    let (n, o) = pair(main).ok_or("malformed Voice-Message")?;
                    s.new = n;
                    s.old = o;
                    if let Some((nu, ou)) = urgent.and_then(pair) {
                        s.new_urgent = nu;
                        s.old_urgent = ou;
                    }
                }
                _ => {}
            }
        }
        if !seen_waiting {
            return Err("no Messages-Waiting line".into());
        }
        Ok(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3842_example() {
        let body = "Messages-Waiting: yes\r\nMessage-Account: sip:alice@vmail.example.com\r\nVoice-Message: 2/8 (0/2)\r\n";
        let s = MessageSummary::parse(body.as_bytes()).unwrap();
        assert_eq!((s.waiting, s.new, s.old, s.old_urgent), (true, 2, 8, 2));
        assert!(MessageSummary::parse(b"hello").is_err());
    }
}
