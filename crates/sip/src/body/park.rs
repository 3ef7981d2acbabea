//! Parked-call notices: PortSIP's `Event: park-info` NOTIFY (body format not
//! public, so read leniently and kept raw) and Handset's own structured
//! notice for PBXs that announce nothing.

use serde::{Deserialize, Serialize};

use super::xml;

/// MIME type of Handset's own park notice (sent in a MESSAGE).
pub const HANDSET_PARK_TYPE: &str = "application/vnd.handset.park+json";

/// A parked call as the Call Hub shows it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ParkNotice {
    /// The parked party.
    pub caller: Option<String>,
    /// Its display name.
    pub caller_name: Option<String>,
    /// Who parked it.
    pub parked_by: Option<String>,
    /// Extension it is parked on, or the park group.
    pub target: Option<String>,
    /// What to dial to retrieve it (e.g. `*881004`).
    pub retrieval_code: Option<String>,
    /// When it was parked (RFC 3339).
    pub parked_at: Option<String>,
    /// True when the notice says the call was retrieved or returned.
    pub ended: bool,
    /// The body as received, for diagnostics and for formats not understood yet.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub raw: Option<String>,
}

impl ParkNotice {
    /// Handset's own notice as JSON.
    pub fn to_json(&self) -> Vec<u8> {
        let mut n = self.clone();
        n.raw = None;
        serde_json::to_vec(&n).unwrap_or_default()
    }

    /// Parses Handset's own notice.
    pub fn from_json(data: &[u8]) -> Result<ParkNotice, String> {
        serde_json::from_slice(data).map_err(|e| e.to_string())
    }

    /// Reads whatever a PBX sent in a park-info NOTIFY: key/value lines,
    /// `key=value` pairs, XML or JSON. Never fails: what cannot be read stays
    /// in `raw`, and a retrieval code is still looked for in the text.
    pub fn parse_lenient(data: &[u8]) -> ParkNotice {
        let text = String::from_utf8_lossy(data).into_owned();
        let mut pairs: Vec<(String, String)> = Vec::new();
        if let Ok(v) = serde_json::from_slice::<serde_json::Value>(data) {
            flatten_json("", &v, &mut pairs);
        } else if let Ok(root) = xml::parse(data) {
            flatten_xml(&root, &mut pairs);
        } else {
            for line in text.lines() {
                for part in line.split([';', '&']) {
                    let kv = part.split_once(':').or_else(|| part.split_once('='));
                    if let Some((k, v)) = kv {
                        pairs.push((k.trim().to_string(), v.trim().trim_matches('"').to_string()));
                    }
                }
            }
        }
        let find = |keys: &[&str]| -> Option<String> {
            pairs.iter().find_map(|(k, v)| {
                let k = k.to_ascii_lowercase().replace(['-', '_', ' '], "");
                (keys.iter().any(|want| k.ends_with(want)) && !v.is_empty()).then(|| v.clone())
            })
        };
        let mut n = ParkNotice {
            caller: find(&[
                "caller",
                "parkedcall",
                "parkedparty",
                "from",
                "callerid",
                "remote",
            ]),
            caller_name: find(&["callername", "displayname", "name"]),
            parked_by: find(&["parkedby", "parker", "by", "transferor"]),
            target: find(&["parkedon", "extension", "slot", "target", "group", "to"]),
            retrieval_code: find(&[
                "retrievalcode",
                "retrievecode",
                "retrieve",
                "code",
                "pickup",
            ]),
            parked_at: find(&["parkedat", "time", "timestamp", "datetime"]),
            ended: find(&["state", "status", "event"]).is_some_and(|s| {
                let s = s.to_ascii_lowercase();
                s.contains("retriev")
                    || s.contains("unpark")
                    || s.contains("terminat")
                    || s.contains("return")
            }),
            raw: Some(text.clone()),
        };
        if n.retrieval_code.is_none() {
            n.retrieval_code = feature_code_in(&text);
        }
        n
    }
}

/// The first feature-code-looking token (`*88` followed by digits) in free text.
fn feature_code_in(text: &str) -> Option<String> {
    let chars: Vec<char> = text.chars().collect();
    for i in 0..chars.len() {
        if chars[i] == '*' {
            let code: String = chars[i..]
                .iter()
                .take_while(|c| **c == '*' || **c == '#' || c.is_ascii_digit())
                .collect();
            if code.len() >= 3 && code.chars().filter(|c| c.is_ascii_digit()).count() >= 2 {
                return Some(code);
            }
        }
    }
    None
}

fn flatten_json(prefix: &str, v: &serde_json::Value, out: &mut Vec<(String, String)>) {
    match v {
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                flatten_json(k, v, out);
            }
        }
        serde_json::Value::Array(a) => a.iter().for_each(|v| flatten_json(prefix, v, out)),
        serde_json::Value::String(s) => out.push((prefix.to_string(), s.clone())),
        other => out.push((prefix.to_string(), other.to_string())),
    }
}

fn flatten_xml(e: &xml::Element, out: &mut Vec<(String, String)>) {
    for (k, v) in &e.attrs {
        out.push((k.clone(), v.clone()));
    }
    if !e.text.is_empty() {
        out.push((e.name.clone(), e.text.clone()));
    }
    for c in &e.children {
        flatten_xml(c, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handset_notice_round_trip() {
        let n = ParkNotice {
            caller: Some("sip:+15551234@pbx".into()),
            parked_by: Some("sip:101@pbx".into()),
            target: Some("1004".into()),
            retrieval_code: Some("*881004".into()),
            ..Default::default()
        };
        assert_eq!(ParkNotice::from_json(&n.to_json()).unwrap(), n);
    }

    #[test]
    fn lenient_formats() {
        let kv = "Parked-Call: sip:5551234@pbx\r\nParked-By: sip:101@pbx\r\nParked-On: 1004\r\nRetrieve-Code: *881004\r\n";
        let n = ParkNotice::parse_lenient(kv.as_bytes());
        assert_eq!(n.retrieval_code.as_deref(), Some("*881004"));
        assert_eq!(n.parked_by.as_deref(), Some("sip:101@pbx"));
        let xml = r#"<park-info><caller>sip:5@pbx</caller><slot>1004</slot><code>*881004</code></park-info>"#;
        assert_eq!(
            ParkNotice::parse_lenient(xml.as_bytes()).target.as_deref(),
            Some("1004")
        );
        let free = "Call from 555 parked, dial *881004 to retrieve";
        assert_eq!(
            ParkNotice::parse_lenient(free.as_bytes())
                .retrieval_code
                .as_deref(),
            Some("*881004")
        );
        let garbage = ParkNotice::parse_lenient(&[0xff, 0x00, 0x13]);
        assert!(garbage.raw.is_some() && garbage.retrieval_code.is_none());
    }
}
