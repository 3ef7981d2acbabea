//! `tel:`, `sip:`, `sips:` and `callto:` links, from the command line or the
//! OS, turned into what the New Call screen is filled with.

/// The target a link asks to call, or `None` if the text is not such a link.
pub fn dial_target(link: &str) -> Option<String> {
    let link = link.trim();
    let lower = link.to_ascii_lowercase();
    let (scheme, _) = lower.split_once(':')?;
    let rest_orig = &link[scheme.len() + 1..];
    let target = match scheme {
        // sip links are addresses already: keep them whole
        "sip" | "sips" => link.to_string(),
        "tel" => rest_orig.split(';').next()?.to_string(),
        "callto" => rest_orig.trim_start_matches("//").to_string(),
        _ => return None,
    };
    let target = percent_decode(&target);
    (!target.trim().is_empty() && target.len() <= 256 && !target.chars().any(|c| c.is_control()))
        .then_some(target)
}

/// The first link among command-line arguments (the first is the program).
pub fn dial_target_from_args(args: &[String]) -> Option<String> {
    args.iter().skip(1).find_map(|a| dial_target(a))
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        // byte-wise: slicing the str could split a multibyte character
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_become_targets() {
        assert_eq!(
            dial_target("tel:+1-555-010-2030").as_deref(),
            Some("+1-555-010-2030")
        );
        assert_eq!(
            dial_target("tel:1004;phone-context=pbx").as_deref(),
            Some("1004")
        );
        assert_eq!(dial_target("TEL:201").as_deref(), Some("201"));
        assert_eq!(
            dial_target("sip:bob@pbx.example.com").as_deref(),
            Some("sip:bob@pbx.example.com")
        );
        assert_eq!(dial_target("callto://203").as_deref(), Some("203"));
        assert_eq!(
            dial_target("callto:%2B4930123").as_deref(),
            Some("+4930123")
        );
        assert_eq!(dial_target("https://example.com"), None);
        assert_eq!(dial_target("tel:"), None);
        assert_eq!(
            dial_target("tel:%0a"),
            None,
            "control characters are refused"
        );
        assert_eq!(dial_target("no link"), None);
    }

    #[test]
    fn first_link_among_arguments() {
        let args: Vec<String> = ["handset", "--verbose", "tel:42"]
            .map(String::from)
            .to_vec();
        assert_eq!(dial_target_from_args(&args).as_deref(), Some("42"));
        assert_eq!(dial_target_from_args(&["handset".into()]), None);
    }
}
