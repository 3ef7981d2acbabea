//! Presence documents: PIDF (RFC 3863) with RPID activities (RFC 4480).

use super::xml::{self, escape};

/// The MIME type of PIDF documents.
pub const PIDF_TYPE: &str = "application/pidf+xml";

/// The statuses Handset shows and publishes (the Quick Menu's choices plus
/// what others' clients report).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Presence {
    /// Online and free.
    Available,
    /// Online, busy.
    Busy,
    /// Do not disturb: calls are refused.
    DoNotDisturb,
    /// In a call.
    OnThePhone,
    /// Away from the computer.
    Away,
    /// Not online.
    Offline,
}

/// A presence document as published or received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresenceDoc {
    /// Whose presence.
    pub entity: String,
    /// The status.
    pub status: Presence,
    /// Free text.
    pub note: Option<String>,
}

impl PresenceDoc {
    /// Serializes PIDF with RPID activities.
    pub fn to_xml(&self) -> String {
        let basic = if self.status == Presence::Offline {
            "closed"
        } else {
            "open"
        };
        let activities = match self.status {
            Presence::Busy => "<rpid:activities><rpid:busy/></rpid:activities>",
            // RPID has no DND activity: busy plus "other" is what other clients read
            Presence::DoNotDisturb => "<rpid:activities><rpid:busy/><rpid:other>do-not-disturb</rpid:other></rpid:activities>",
            Presence::OnThePhone => "<rpid:activities><rpid:on-the-phone/></rpid:activities>",
            Presence::Away => "<rpid:activities><rpid:away/></rpid:activities>",
            Presence::Available | Presence::Offline => "",
        };
        let note = self
            .note
            .as_deref()
            .map(|n| format!("<dm:note>{}</dm:note>", escape(n)))
            .unwrap_or_default();
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
<presence xmlns=\"urn:ietf:params:xml:ns:pidf\" xmlns:dm=\"urn:ietf:params:xml:ns:pidf:data-model\" \
xmlns:rpid=\"urn:ietf:params:xml:ns:pidf:rpid\" entity=\"{entity}\">\
<tuple id=\"t1\"><status><basic>{basic}</basic></status></tuple>\
<dm:person id=\"p1\">{activities}{note}</dm:person></presence>",
            entity = escape(&self.entity)
        )
    }

    /// Parses PIDF leniently: unknown elements are ignored, the most telling
    /// activity wins, a closed basic status means offline.
    pub fn parse(data: &[u8]) -> Result<PresenceDoc, String> {
        let root = xml::parse(data)?;
        if root.name != "presence" {
            return Err(format!("root element is {}, not presence", root.name));
        }
        let entity = root.attr("entity").unwrap_or_default().to_string();
        let mut basics = Vec::new();
        root.find_all("basic", &mut basics);
        let open = basics.iter().any(|b| b.text.eq_ignore_ascii_case("open"));
        let mut notes = Vec::new();
        root.find_all("note", &mut notes);
        let note = notes
            .first()
            .map(|n| n.text.clone())
            .filter(|n| !n.is_empty());
        let mut acts = Vec::new();
        root.find_all("activities", &mut acts);
        let names: Vec<String> = acts
            .iter()
            .flat_map(|a| a.children.iter())
            .map(|c| {
                if c.name == "other" {
                    format!("other:{}", c.text.to_ascii_lowercase())
                } else {
                    c.name.clone()
                }
            })
            .collect();
        let note_lc = note.as_deref().unwrap_or("").to_ascii_lowercase();
        let dnd = names.iter().any(|n| {
            n.contains("do-not-disturb") || n.contains("dnd") || n.contains("do not disturb")
        }) || note_lc.contains("do not disturb")
            || note_lc == "dnd";
        let status = if !open {
            Presence::Offline
        } else if dnd {
            Presence::DoNotDisturb
        } else if names.iter().any(|n| n == "on-the-phone") {
            Presence::OnThePhone
        } else if names
            .iter()
            .any(|n| n == "busy" || n == "meeting" || n == "meal" || n == "appointment")
        {
            Presence::Busy
        } else if names
            .iter()
            .any(|n| n == "away" || n == "vacation" || n == "sleeping")
            || note_lc == "away"
        {
            Presence::Away
        } else {
            Presence::Available
        };
        Ok(PresenceDoc {
            entity,
            status,
            note,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_round_trips() {
        for s in [
            Presence::Available,
            Presence::Busy,
            Presence::DoNotDisturb,
            Presence::OnThePhone,
            Presence::Away,
            Presence::Offline,
        ] {
            let d = PresenceDoc {
                entity: "sip:101@x".into(),
                status: s,
                note: Some("a <note>".into()),
            };
            assert_eq!(PresenceDoc::parse(d.to_xml().as_bytes()).unwrap(), d);
        }
    }

    #[test]
    fn reads_other_clients() {
        // baresip's PUBLISH body
        let baresip = r#"<?xml version="1.0" encoding="UTF-8"?>
<presence xmlns="urn:ietf:params:xml:ns:pidf" xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model" xmlns:rpid="urn:ietf:params:xml:ns:pidf:rpid" entity="sip:103@127.0.0.1">
<tuple id="1"><status><basic>open</basic></status></tuple>
<dm:person id="p4"><rpid:activities/></dm:person></presence>"#;
        assert_eq!(
            PresenceDoc::parse(baresip.as_bytes()).unwrap().status,
            Presence::Available
        );
        let closed = r#"<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="sip:a@b"><tuple id="x"><status><basic>closed</basic></status></tuple></presence>"#;
        assert_eq!(
            PresenceDoc::parse(closed.as_bytes()).unwrap().status,
            Presence::Offline
        );
        assert!(PresenceDoc::parse(b"<garbage").is_err());
    }
}
