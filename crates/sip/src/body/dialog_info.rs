//! Dialog state (RFC 4235): the busy-lamp of colleagues and park slots.

use super::xml;

/// The MIME type of dialog-info documents.
pub const DIALOG_INFO_TYPE: &str = "application/dialog-info+xml";

/// What a busy-lamp shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum LineState {
    /// No call.
    Idle,
    /// Being called.
    Ringing,
    /// Calling out, not yet answered.
    Calling,
    /// In a call.
    Busy,
}

/// One dialog of the document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DialogEntry {
    /// The dialog id attribute.
    pub id: String,
    /// Call-ID, when given.
    pub call_id: Option<String>,
    /// `initiator` or `recipient`.
    pub direction: Option<String>,
    /// trying, proceeding, early, confirmed or terminated.
    pub state: String,
    /// The other party's identity.
    pub remote: Option<String>,
    /// The other party's display name.
    pub remote_display: Option<String>,
}

/// A dialog-info document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DialogInfo {
    /// Whose dialogs.
    pub entity: String,
    /// full or partial.
    pub full: bool,
    /// Version counter.
    pub version: u64,
    /// The dialogs.
    pub dialogs: Vec<DialogEntry>,
}

impl DialogInfo {
    /// Parses a document leniently.
    pub fn parse(data: &[u8]) -> Result<DialogInfo, String> {
        let root = xml::parse(data)?;
        if root.name != "dialog-info" {
            return Err(format!("root element is {}, not dialog-info", root.name));
        }
        let dialogs = root
            .children_named("dialog")
            .map(|d| {
                let remote = d.child("remote");
                DialogEntry {
                    id: d.attr("id").unwrap_or_default().to_string(),
                    call_id: d.attr("call-id").map(str::to_string),
                    direction: d.attr("direction").map(str::to_string),
                    state: d
                        .child_text("state")
                        .unwrap_or("terminated")
                        .to_ascii_lowercase(),
                    remote: remote
                        .and_then(|r| r.child_text("identity"))
                        .map(str::to_string),
                    remote_display: remote
                        .and_then(|r| r.child("identity"))
                        .and_then(|i| i.attr("display"))
                        .map(str::to_string),
                }
            })
            .collect();
        Ok(DialogInfo {
            entity: root.attr("entity").unwrap_or_default().to_string(),
            full: root.attr("state").is_none_or(|s| s != "partial"),
            version: root
                .attr("version")
                .and_then(|v| v.parse().ok())
                .unwrap_or(0),
            dialogs,
        })
    }

    /// The busy-lamp: a confirmed dialog means busy, an early incoming one
    /// ringing, an early outgoing one calling.
    pub fn line_state(&self) -> LineState {
        let live: Vec<&DialogEntry> = self
            .dialogs
            .iter()
            .filter(|d| d.state != "terminated")
            .collect();
        if live.iter().any(|d| d.state == "confirmed") {
            LineState::Busy
        } else if live
            .iter()
            .any(|d| d.direction.as_deref() == Some("recipient"))
        {
            LineState::Ringing
        } else if !live.is_empty() {
            LineState::Calling
        } else {
            LineState::Idle
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kamailio_style_document() {
        let doc = r#"<?xml version="1.0"?>
<dialog-info xmlns="urn:ietf:params:xml:ns:dialog-info" version="3" state="full" entity="sip:102@127.0.0.1">
  <dialog id="abc" call-id="c1" local-tag="l" remote-tag="r" direction="recipient">
    <state>early</state>
    <remote><identity display="Alice">sip:101@127.0.0.1</identity></remote>
  </dialog>
</dialog-info>"#;
        let d = DialogInfo::parse(doc.as_bytes()).unwrap();
        assert_eq!(d.version, 3);
        assert_eq!(d.line_state(), LineState::Ringing);
        assert_eq!(d.dialogs[0].remote_display.as_deref(), Some("Alice"));
        let idle = r#"<dialog-info xmlns="urn:ietf:params:xml:ns:dialog-info" version="4" state="full" entity="sip:102@x"/>"#;
        assert_eq!(
            DialogInfo::parse(idle.as_bytes()).unwrap().line_state(),
            LineState::Idle
        );
    }
}
