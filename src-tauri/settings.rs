//! The user's settings as the UI edits them, stored as one JSON value in the
//! database; PortSIP's feature access codes are the defaults.

use serde::{Deserialize, Serialize};

/// Notification switches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Notifications {
    /// Incoming and missed calls.
    pub calls: bool,
    /// New messages.
    pub messages: bool,
    /// Parked calls.
    pub parked: bool,
}

impl Default for Notifications {
    fn default() -> Self {
        Notifications {
            calls: true,
            messages: true,
            parked: true,
        }
    }
}

/// Audio devices by name (`None`: the system default).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Audio {
    /// Microphone.
    pub input: Option<String>,
    /// Speaker or headset.
    pub output: Option<String>,
    /// Where the ringtone plays.
    pub ringer: Option<String>,
    /// Noise suppression on the microphone.
    pub noise_suppression: bool,
}

impl Default for Audio {
    fn default() -> Self {
        Audio {
            input: None,
            output: None,
            ringer: None,
            noise_suppression: true,
        }
    }
}

/// The PBX's feature access codes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PbxCodes {
    /// Park on your own extension (`*68`).
    pub park_code: String,
    /// Group park (`*58`).
    pub group_park_code: String,
    /// Retrieve a parked call (`*88`).
    pub retrieve_code: String,
    /// Transfer to voicemail (`*55`).
    pub voicemail_code: String,
    /// Call Flip (`*11`).
    pub flip_code: String,
}

impl Default for PbxCodes {
    fn default() -> Self {
        PbxCodes {
            park_code: "*68".into(),
            group_park_code: "*58".into(),
            retrieve_code: "*88".into(),
            voicemail_code: "*55".into(),
            flip_code: "*11".into(),
        }
    }
}

/// Everything on the Settings screen but accounts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Settings {
    /// `light`, `dark` or `system`.
    pub theme: String,
    /// UI language tag.
    pub language: String,
    /// Ringtone name.
    pub ringtone: String,
    /// Notification switches.
    pub notifications: Notifications,
    /// Audio devices.
    pub audio: Audio,
    /// Feature access codes.
    pub pbx: PbxCodes,
    /// Start with the session (opt-in).
    pub start_at_login: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            theme: "system".into(),
            language: "en".into(),
            ringtone: "classic".into(),
            notifications: Notifications::default(),
            audio: Audio::default(),
            pbx: PbxCodes::default(),
            start_at_login: false,
        }
    }
}

impl Settings {
    /// Checks values the UI sent; the error says what to fix.
    pub fn validate(&self) -> Result<(), String> {
        if !matches!(self.theme.as_str(), "light" | "dark" | "system") {
            return Err(format!(
                "theme '{}' must be light, dark or system",
                self.theme
            ));
        }
        if self.language.is_empty() || self.language.len() > 16 {
            return Err("choose a language".into());
        }
        let codes = [
            ("park", &self.pbx.park_code),
            ("group park", &self.pbx.group_park_code),
            ("retrieve", &self.pbx.retrieve_code),
            ("voicemail", &self.pbx.voicemail_code),
            ("flip", &self.pbx.flip_code),
        ];
        for (name, code) in codes {
            if code.is_empty()
                || !code
                    .chars()
                    .all(|c| c.is_ascii_digit() || c == '*' || c == '#')
            {
                return Err(format!(
                    "the {name} code '{code}' may hold only digits, * and #"
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_partial_json_fills_in() {
        assert!(Settings::default().validate().is_ok());
        let s: Settings =
            serde_json::from_str(r#"{"theme":"dark","pbx":{"parkCode":"*70"}}"#).unwrap();
        assert_eq!(s.theme, "dark");
        assert_eq!(s.pbx.park_code, "*70");
        assert_eq!(s.pbx.retrieve_code, "*88");
        let bad = Settings {
            theme: "neon".into(),
            ..Settings::default()
        };
        assert!(bad.validate().unwrap_err().contains("theme"));
    }
}
