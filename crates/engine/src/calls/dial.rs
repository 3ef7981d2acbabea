//! Turning what a user typed or clicked (`201`, `+1 (555) 010-2030`,
//! `bob@pbx.example.com`, `sip:…`, `tel:…`, `callto:…`) into a Request-URI.

use handset_sip::message::{Uri, UriError};

use crate::config::AccountConfig;

/// The Request-URI for `input`, dialled from `account`: numbers and bare
/// users go to the account's domain; full SIP URIs go where they say.
pub fn target_uri(input: &str, account: &AccountConfig) -> Result<Uri, String> {
    let input = input.trim();
    if input.is_empty() {
        return Err("nothing to call: the number or address is empty".into());
    }
    let lower = input.to_ascii_lowercase();
    let rest = ["tel:", "callto:", "callto://"]
        .iter()
        .rev()
        .find_map(|p| lower.starts_with(p).then(|| &input[p.len()..]));
    let (user, host) = if lower.starts_with("sip:") || lower.starts_with("sips:") {
        return Uri::parse(input).map_err(|e| describe(input, e));
    } else if let Some(rest) = rest {
        // tel: numbers may carry ;phone-context and such; only the number is dialled
        let number = rest.split(';').next().unwrap_or_default();
        split_at(number, &account.domain)
    } else {
        split_at(input, &account.domain)
    };
    let user = if looks_like_number(user) {
        user.chars()
            .filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')' | '/'))
            .collect::<String>()
    } else {
        user.to_string()
    };
    if user.is_empty() || user.contains(char::is_whitespace) {
        return Err(format!("'{input}' is not a number or SIP address"));
    }
    let escaped: String = user
        .chars()
        .map(|c| match c {
            '#' => "%23".to_string(),
            c => c.to_string(),
        })
        .collect();
    Uri::parse(&format!("sip:{escaped}@{host}")).map_err(|e| describe(input, e))
}

fn split_at<'a>(s: &'a str, domain: &'a str) -> (&'a str, &'a str) {
    match s.rsplit_once('@') {
        Some((u, h)) => (u, h),
        None => (s, domain),
    }
}

/// Digits with the separators people write (and feature codes such as `*97` or `#1`).
fn looks_like_number(s: &str) -> bool {
    s.chars().any(|c| c.is_ascii_digit())
        && s.chars().all(|c| {
            c.is_ascii_digit() || matches!(c, '+' | '*' | '#' | ' ' | '-' | '.' | '(' | ')' | '/')
        })
}

fn describe(input: &str, e: UriError) -> String {
    format!("'{input}' is not a valid address: {e}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn acc() -> AccountConfig {
        AccountConfig::new("101", "pbx.example.com")
    }

    fn dial(s: &str) -> String {
        target_uri(s, &acc()).unwrap().to_string()
    }

    #[test]
    fn numbers_and_users_go_to_the_account_domain() {
        assert_eq!(dial("201"), "sip:201@pbx.example.com");
        assert_eq!(
            dial(" +1 (555) 010-2030 "),
            "sip:+15550102030@pbx.example.com"
        );
        assert_eq!(dial("*97"), "sip:*97@pbx.example.com");
        assert_eq!(dial("#1"), "sip:%231@pbx.example.com");
        assert_eq!(dial("alice"), "sip:alice@pbx.example.com");
        assert_eq!(dial("bob@other.example.org"), "sip:bob@other.example.org");
    }

    #[test]
    fn uris_are_taken_as_written() {
        assert_eq!(dial("sip:202@127.0.0.1:5070"), "sip:202@127.0.0.1:5070");
        assert_eq!(dial("SIPS:bob@example.com"), "sips:bob@example.com");
        assert_eq!(
            dial("tel:+15550102030;phone-context=x"),
            "sip:+15550102030@pbx.example.com"
        );
        assert_eq!(dial("callto:203"), "sip:203@pbx.example.com");
        assert_eq!(dial("callto://204"), "sip:204@pbx.example.com");
    }

    #[test]
    fn nonsense_is_an_error_in_words() {
        for bad in ["", "   ", "two words", "sip:", "sip:bob@"] {
            let e = target_uri(bad, &acc()).unwrap_err();
            assert!(!e.is_empty(), "{bad}");
        }
    }
}
