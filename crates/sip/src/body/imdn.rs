//! Delivery and read receipts (RFC 5438 IMDN) and is-composing (RFC 3994).

use super::xml::{self, escape};

/// What a receipt reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disposition {
    /// The message reached the recipient's device.
    Delivered,
    /// The recipient displayed it.
    Displayed,
    /// Delivery failed.
    Failed,
}

/// A receipt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Imdn {
    /// The id of the message it reports on.
    pub message_id: String,
    /// When the original was sent (RFC 3339).
    pub datetime: Option<String>,
    /// Who reports.
    pub recipient: Option<String>,
    /// What happened.
    pub disposition: Disposition,
}

/// The MIME type of IMDN documents.
pub const IMDN_TYPE: &str = "message/imdn+xml";
/// The MIME type of is-composing documents.
pub const ISCOMPOSING_TYPE: &str = "application/im-iscomposing+xml";

impl Imdn {
    /// Serializes the XML document.
    pub fn to_xml(&self) -> String {
        let (outer, status) = match self.disposition {
            Disposition::Delivered => ("delivery-notification", "delivered"),
            Disposition::Failed => ("delivery-notification", "failed"),
            Disposition::Displayed => ("display-notification", "displayed"),
        };
        let mut s = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<imdn xmlns=\"urn:ietf:params:xml:ns:imdn\">");
        s.push_str(&format!(
            "<message-id>{}</message-id>",
            escape(&self.message_id)
        ));
        if let Some(d) = &self.datetime {
            s.push_str(&format!("<datetime>{}</datetime>", escape(d)));
        }
        if let Some(r) = &self.recipient {
            s.push_str(&format!("<recipient-uri>{}</recipient-uri>", escape(r)));
        }
        s.push_str(&format!(
            "<{outer}><status><{status}/></status></{outer}></imdn>"
        ));
        s
    }

    /// Parses a receipt.
    pub fn parse(data: &[u8]) -> Result<Imdn, String> {
        let root = xml::parse(data)?;
        if root.name != "imdn" {
            return Err(format!("root element is {}, not imdn", root.name));
        }
        let message_id = root
            .child_text("message-id")
            .ok_or("no message-id")?
            .to_string();
        let disposition = if let Some(d) = root.child("display-notification") {
            match d
                .child("status")
                .and_then(|s| s.children.first())
                .map(|c| c.name.as_str())
            {
                Some("displayed") => Disposition::Displayed,
                _ => return Err("display-notification without displayed status".into()),
            }
        } else if let Some(d) = root.child("delivery-notification") {
            match d
                .child("status")
                .and_then(|s| s.children.first())
                .map(|c| c.name.as_str())
            {
                Some("delivered") => Disposition::Delivered,
                Some("failed" | "forbidden" | "error") => Disposition::Failed,
                other => return Err(format!("unknown delivery status {other:?}")),
            }
        } else {
            return Err("no notification in IMDN".into());
        };
        Ok(Imdn {
            message_id,
            datetime: root.child_text("datetime").map(str::to_string),
            recipient: root.child_text("recipient-uri").map(str::to_string),
            disposition,
        })
    }
}

/// An is-composing indication.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IsComposing {
    /// True while typing (`active`), false when stopped (`idle`).
    pub active: bool,
    /// Seconds before an active state lapses.
    pub refresh: Option<u32>,
}

impl IsComposing {
    /// Serializes the XML document.
    pub fn to_xml(&self) -> String {
        let mut s = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<isComposing xmlns=\"urn:ietf:params:xml:ns:im-iscomposing\">");
        s.push_str(if self.active {
            "<state>active</state>"
        } else {
            "<state>idle</state>"
        });
        s.push_str("<contenttype>text/plain</contenttype>");
        if let (true, Some(r)) = (self.active, self.refresh) {
            s.push_str(&format!("<refresh>{r}</refresh>"));
        }
        s.push_str("</isComposing>");
        s
    }

    /// Parses an indication.
    pub fn parse(data: &[u8]) -> Result<IsComposing, String> {
        let root = xml::parse(data)?;
        if root.name != "isComposing" {
            return Err("not an isComposing document".into());
        }
        Ok(IsComposing {
            active: root
                .child_text("state")
                .is_some_and(|s| s.eq_ignore_ascii_case("active")),
            refresh: root.child_text("refresh").and_then(|r| r.parse().ok()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn receipts_round_trip() {
        for d in [
            Disposition::Delivered,
            Disposition::Displayed,
            Disposition::Failed,
        ] {
            let i = Imdn {
                message_id: "m<1>".into(),
                datetime: Some("2026-01-01T00:00:00Z".into()),
                recipient: None,
                disposition: d,
            };
            assert_eq!(Imdn::parse(i.to_xml().as_bytes()).unwrap(), i);
        }
        let rfc = r#"<?xml version="1.0" encoding="UTF-8"?>
<imdn xmlns="urn:ietf:params:xml:ns:imdn">
 <message-id>34jk324j</message-id>
 <datetime>2008-04-04T12:16:49-05:00</datetime>
 <recipient-uri>im:bob@example.com</recipient-uri>
 <original-recipient-uri>im:bob@example.com</original-recipient-uri>
 <delivery-notification><status><delivered/></status></delivery-notification>
</imdn>"#;
        assert_eq!(
            Imdn::parse(rfc.as_bytes()).unwrap().disposition,
            Disposition::Delivered
        );
    }

    #[test]
    fn composing() {
        let c = IsComposing {
            active: true,
            refresh: Some(60),
        };
        assert_eq!(IsComposing::parse(c.to_xml().as_bytes()).unwrap(), c);
    }
}
