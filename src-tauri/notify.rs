//! Desktop notifications (incoming call, missed call), behind a trait so the
//! mobile build brings its own.

use handset_engine::{CallDirection, CallInfo, CallPhase, Event};

/// Shows notifications to the user.
pub trait Notifier: Send + Sync {
    /// Shows one notification.
    fn show(&self, title: &str, body: &str);
}

/// `notify-rust` (freedesktop notifications, macOS and Windows toasts).
pub struct DesktopNotifier;

impl Notifier for DesktopNotifier {
    fn show(&self, title: &str, body: &str) {
        let result = notify_rust::Notification::new()
            .appname("Handset")
            .summary(title)
            .body(body)
            .show();
        if let Err(e) = result {
            // no notification daemon (a headless session): not worth failing for
            tracing::debug!(error = %e, "notification not shown");
        }
    }
}

fn who(info: &CallInfo) -> String {
    info.remote_name
        .clone()
        .unwrap_or_else(|| info.remote_uri.trim_start_matches("sip:").to_string())
}

/// The notification an engine event deserves, if any; `muted` is the Quick
/// Menu's "Mute Calls on this device".
pub fn for_event(ev: &Event, muted: bool) -> Option<(String, String)> {
    match ev {
        Event::IncomingCall { info } if !muted => Some(("Incoming call".into(), who(info))),
        Event::Call { info }
            if info.phase == CallPhase::Ended
                && info.direction == CallDirection::Incoming
                && info.answered_ms.is_none()
                && info
                    .end_reason
                    .as_deref()
                    .is_some_and(|r| r.starts_with("missed")) =>
        {
            Some(("Missed call".into(), who(info)))
        }
        _ => None,
    }
}
