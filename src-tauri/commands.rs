//! The commands the UI may invoke: each maps onto the engine, the store or
//! the secret store, and returns errors as sentences the UI shows as-is.

use std::sync::Arc;

use handset_engine::{AccountConfig, CallId, CallInfo, CallRequest, RegistrationInfo};
use handset_store::{ContactPoint, NewContact};
use serde::{Deserialize, Serialize};
use tauri::State;

use crate::settings::Settings;
use crate::state::{config_of, stored_of, AppState};

type Shared<'a> = State<'a, Arc<AppState>>;
type Res<T> = Result<T, String>;

fn say<E: std::fmt::Display>(e: E) -> String {
    e.to_string()
}

/// Name and version, shown in the footer and in diagnostics.
#[derive(Debug, Serialize)]
pub struct AppInfo {
    name: &'static str,
    version: &'static str,
}

/// Returns the app's name and version.
#[tauri::command]
pub fn app_info() -> AppInfo {
    AppInfo {
        name: "Handset",
        version: env!("CARGO_PKG_VERSION"),
    }
}

/// What the Quick Menu shows.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Profile {
    display_name: String,
    extension: String,
    initials: String,
    presence: String,
    mute_calls: bool,
    account_id: Option<i64>,
}

fn initials(name: &str) -> String {
    let letters: String = name
        .split_whitespace()
        .filter_map(|w| w.chars().next())
        .take(2)
        .collect::<String>()
        .to_uppercase();
    if letters.is_empty() {
        "?".into()
    } else {
        letters
    }
}

/// The profile of the default account.
#[tauri::command]
pub fn get_profile(state: Shared<'_>) -> Res<Profile> {
    let accounts = state.store.accounts().map_err(say)?;
    let main = accounts
        .iter()
        .find(|a| a.enabled && a.register)
        .or_else(|| accounts.iter().find(|a| a.enabled));
    let display_name = main
        .and_then(|a| a.display_name.clone())
        .or_else(|| main.map(|a| a.user.clone()))
        .unwrap_or_else(|| "Me".into());
    Ok(Profile {
        initials: initials(&display_name),
        display_name,
        extension: main.map(|a| a.user.clone()).unwrap_or_default(),
        presence: state.presence(),
        mute_calls: state.mute_calls(),
        account_id: main.map(|a| a.id),
    })
}

/// Available, Busy or Do Not Disturb.
#[tauri::command]
pub fn set_presence(app: tauri::AppHandle, state: Shared<'_>, presence: String) -> Res<()> {
    state.set_presence(&presence)?;
    state.apply_presence();
    crate::tray::refresh(&app, &presence);
    Ok(())
}

/// "Mute Calls on this device".
#[tauri::command]
pub fn set_mute_calls(state: Shared<'_>, on: bool) -> Res<()> {
    state.set_mute_calls(on)
}

/// An account as the Settings screen lists it (never with its password).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountView {
    id: i64,
    config: AccountConfig,
    registration: Option<RegistrationInfo>,
    local: bool,
}

/// Every account with its registration state.
#[tauri::command]
pub async fn list_accounts(state: Shared<'_>) -> Res<Vec<AccountView>> {
    let mut out = Vec::new();
    for a in state.store.accounts().map_err(say)? {
        let registration = match state.engine_account(a.id) {
            Some(e) => state.engine.registration(e).await.map_err(say)?,
            None => None,
        };
        out.push(AccountView {
            id: a.id,
            local: state.is_local(a.id),
            config: config_of(&a),
            registration,
        });
    }
    Ok(out)
}

/// Adds or changes an account: checked first, the password to the keyring,
/// the rest to the database, then (re)started in the engine.
#[tauri::command]
pub async fn save_account(
    state: Shared<'_>,
    id: Option<i64>,
    config: AccountConfig,
    password: Option<String>,
) -> Res<i64> {
    config.validate()?;
    let row = stored_of(id.unwrap_or(0), &config);
    if let Some(id) = id {
        state.deactivate(id).await.map_err(say)?;
    }
    let id = state.store.save_account(&row).map_err(say)?;
    if let Some(p) = password.filter(|p| !p.is_empty()) {
        state
            .secrets
            .set(id, &p)
            .map_err(|e| format!("the password could not be stored in the keyring: {e}"))?;
    }
    let stored = stored_of(id, &config);
    state.activate(&stored).await.map_err(say)?;
    Ok(id)
}

/// Removes an account, its password and its registration.
#[tauri::command]
pub async fn remove_account(state: Shared<'_>, id: i64) -> Res<()> {
    if state.is_local(id) {
        return Err("the local account is built in and cannot be removed".into());
    }
    state.deactivate(id).await.map_err(say)?;
    state.secrets.delete(id).map_err(say)?;
    state.store.delete_account(id).map_err(say)
}

/// Calls `target` from `account` (the default one when absent).
#[tauri::command]
pub async fn place_call(state: Shared<'_>, target: String, account: Option<i64>) -> Res<CallId> {
    let engine_account = match account {
        Some(a) => state.engine_account(a),
        None => state.default_account(),
    }
    .ok_or("no account to call from: add one in Settings")?;
    state
        .engine
        .call(CallRequest {
            account: engine_account,
            target,
        })
        .await
        .map_err(say)
}

/// Answers a ringing call (video comes with the video issue).
#[tauri::command]
pub async fn answer_call(state: Shared<'_>, call: CallId, video: bool) -> Res<()> {
    if video {
        tracing::info!(call, "video answer asked; answering with audio");
    }
    state.engine.answer(call).await.map_err(say)
}

/// Declines a ringing call (603 Decline unless told otherwise).
#[tauri::command]
pub async fn decline_call(state: Shared<'_>, call: CallId, status: Option<u16>) -> Res<()> {
    state
        .engine
        .decline(call, status.unwrap_or(603))
        .await
        .map_err(say)
}

/// Ends a call.
#[tauri::command]
pub async fn hangup_call(state: Shared<'_>, call: CallId) -> Res<()> {
    state.engine.hangup(call).await.map_err(say)
}

/// Holds or resumes a call.
#[tauri::command]
pub async fn hold_call(state: Shared<'_>, call: CallId, on: bool) -> Res<()> {
    state.engine.hold(call, on).await.map_err(say)
}

/// Mutes or unmutes the microphone in a call.
#[tauri::command]
pub async fn mute_call(state: Shared<'_>, call: CallId, on: bool) -> Res<()> {
    state.engine.mute(call, on).await.map_err(say)
}

/// Sends DTMF digits.
#[tauri::command]
pub async fn send_dtmf(state: Shared<'_>, call: CallId, digits: String) -> Res<()> {
    state.engine.send_dtmf(call, &digits).await.map_err(say)
}

/// Transfers, parks or flips a call. The PBX features arrive with their own
/// issue; until then this says so rather than pretending.
#[tauri::command]
pub async fn transfer_call(
    _state: Shared<'_>,
    call: CallId,
    kind: String,
    target: Option<String>,
) -> Res<()> {
    tracing::info!(call, %kind, ?target, "transfer asked");
    Err(format!("{kind} is not available yet in this version"))
}

/// Calls in progress.
#[tauri::command]
pub async fn list_calls(state: Shared<'_>) -> Res<Vec<CallInfo>> {
    state.engine.calls().await.map_err(say)
}

/// One row of the Calls tab.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HistoryRow {
    id: i64,
    direction: String,
    remote_uri: String,
    remote_name: Option<String>,
    started_ms: i64,
    duration_s: i64,
    outcome: String,
}

/// The call history, all or missed only.
#[tauri::command]
pub fn call_history(state: Shared<'_>, filter: String, limit: u32) -> Res<Vec<HistoryRow>> {
    let missed = match filter.as_str() {
        "all" => false,
        "missed" => true,
        other => return Err(format!("unknown filter '{other}'")),
    };
    let rows = state
        .store
        .call_history(missed, limit.clamp(1, 1000))
        .map_err(say)?;
    Ok(rows
        .into_iter()
        .map(|r| HistoryRow {
            duration_s: r.duration_secs(),
            outcome: if r.missed {
                "missed"
            } else if r.answered_at.is_some() {
                "answered"
            } else if r.end_reason.as_deref() == Some("declined") {
                "declined"
            } else {
                "failed"
            }
            .into(),
            id: r.id,
            direction: serde_json::to_value(r.direction)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default(),
            remote_uri: r.remote_uri,
            remote_name: r.remote_name,
            started_ms: r.started_at,
        })
        .collect())
}

/// Clears the missed-calls badge.
#[tauri::command]
pub fn clear_missed(state: Shared<'_>) -> Res<()> {
    state.store.mark_missed_seen().map_err(say)
}

/// A phone number of a contact.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Phone {
    label: String,
    number: String,
}

/// A contact as the Contacts tab shows it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContactView {
    #[serde(default)]
    id: i64,
    name: String,
    company: Option<String>,
    kind: String,
    #[serde(default)]
    favorite: bool,
    extension: Option<String>,
    #[serde(default)]
    phones: Vec<Phone>,
    #[serde(default)]
    presence: Option<String>,
}

/// Contacts of a tab, filtered by a search.
#[tauri::command]
pub fn list_contacts(state: Shared<'_>, tab: String, query: String) -> Res<Vec<ContactView>> {
    let section = match tab.as_str() {
        "all" | "favorites" => tab.as_str(),
        "users" => "user",
        "company" => "company",
        "personal" => "personal",
        "device" => "device",
        other => return Err(format!("unknown contacts tab '{other}'")),
    };
    let rows = if query.trim().is_empty() {
        state.store.contacts(section).map_err(say)?
    } else {
        let hits = state.store.search_contacts(&query, 200).map_err(say)?;
        hits.into_iter()
            .filter(|c| match section {
                "all" => true,
                "favorites" => c.favorite,
                s => c.source == s,
            })
            .collect()
    };
    Ok(rows
        .into_iter()
        .map(|c| ContactView {
            id: c.id,
            name: c.display_name,
            company: c.company,
            kind: c.source,
            favorite: c.favorite,
            extension: c.extension,
            phones: c
                .points
                .into_iter()
                .filter(|p| p.kind == "phone" || p.kind == "sip")
                .map(|p| Phone {
                    label: p.label.unwrap_or_else(|| p.kind.clone()),
                    number: p.value,
                })
                .collect(),
            presence: None,
        })
        .collect())
}

/// Adds a personal contact (edits replace it).
#[tauri::command]
pub fn save_contact(state: Shared<'_>, contact: ContactView) -> Res<i64> {
    if contact.name.trim().is_empty() {
        return Err("a contact needs a name".into());
    }
    if contact.phones.iter().all(|p| p.number.trim().is_empty()) && contact.extension.is_none() {
        return Err("add a number or an extension".into());
    }
    if contact.id != 0 {
        state.store.delete_contact(contact.id).map_err(say)?;
    }
    let kind = match contact.kind.as_str() {
        "user" | "company" | "device" => contact.kind.clone(),
        _ => "personal".into(),
    };
    state
        .store
        .add_contact(&NewContact {
            source: kind,
            remote_id: None,
            display_name: contact.name.trim().to_string(),
            company: contact.company.filter(|c| !c.trim().is_empty()),
            title: None,
            extension: contact.extension.filter(|e| !e.trim().is_empty()),
            favorite: contact.favorite,
            points: contact
                .phones
                .into_iter()
                .filter(|p| !p.number.trim().is_empty())
                .map(|p| ContactPoint {
                    kind: if p.number.contains('@') {
                        "sip"
                    } else {
                        "phone"
                    }
                    .into(),
                    label: Some(p.label),
                    value: p.number,
                })
                .collect(),
        })
        .map_err(say)
}

/// Stars or unstars a contact.
#[tauri::command]
pub fn set_favorite(state: Shared<'_>, id: i64, on: bool) -> Res<()> {
    state.store.set_favorite(id, on).map_err(say)
}

/// Deletes a contact.
#[tauri::command]
pub fn delete_contact(state: Shared<'_>, id: i64) -> Res<()> {
    state.store.delete_contact(id).map_err(say)
}

/// The Settings screen's values.
#[tauri::command]
pub fn get_settings(state: Shared<'_>) -> Res<Settings> {
    Ok(state.settings())
}

/// Saves settings (checked first).
#[tauri::command]
pub fn save_settings(app: tauri::AppHandle, state: Shared<'_>, settings: Settings) -> Res<()> {
    state.save_settings(&settings)?;
    // start at login is opt-in and follows the switch
    use tauri_plugin_autostart::ManagerExt;
    let launcher = app.autolaunch();
    let now = launcher.is_enabled().unwrap_or(false);
    if settings.start_at_login != now {
        let r = if settings.start_at_login {
            launcher.enable()
        } else {
            launcher.disable()
        };
        r.map_err(|e| format!("start at login could not be changed: {e}"))?;
    }
    Ok(())
}

/// A sound device.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeviceView {
    name: String,
    is_default: bool,
}

/// Microphones and speakers.
#[derive(Debug, Serialize)]
pub struct Devices {
    inputs: Vec<DeviceView>,
    outputs: Vec<DeviceView>,
}

/// The sound devices the system offers.
#[tauri::command]
pub fn list_audio_devices(state: Shared<'_>) -> Res<Devices> {
    let b = &state.media.backend;
    let view = |v: Vec<handset_media::device::DeviceInfo>| {
        v.into_iter()
            .map(|d| DeviceView {
                name: d.name,
                is_default: d.is_default,
            })
            .collect()
    };
    Ok(Devices {
        inputs: view(b.input_devices().map_err(say)?),
        outputs: view(b.output_devices().map_err(say)?),
    })
}

/// Plays a one-second 440 Hz tone on a device, for the Settings test button.
#[tauri::command]
pub async fn play_test_tone(state: Shared<'_>, device: Option<String>) -> Res<()> {
    let backend = state.media.backend.clone();
    tauri::async_runtime::spawn_blocking(move || {
        let mut params = handset_media::device::StreamParams::new(48_000);
        params.device = device;
        let mut out = backend.open_playback(&params).map_err(say)?;
        let tone: Vec<i16> = (0..48_000)
            .map(|n| {
                let t = n as f64 / 48_000.0;
                (6000.0 * (2.0 * std::f64::consts::PI * 440.0 * t).sin()) as i16
            })
            .collect();
        let mut at = 0;
        let start = std::time::Instant::now();
        while at < tone.len() && start.elapsed() < std::time::Duration::from_secs(3) {
            at += out.write(&tone[at..]);
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
        Ok::<(), String>(())
    })
    .await
    .map_err(say)?
}

/// A conversation in the Messages dashboard and the Chat list.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConversationView {
    id: i64,
    channel: String,
    kind: String,
    peer: Option<String>,
    title: Option<String>,
    last_activity_ms: i64,
    unread: u32,
    last_message: Option<String>,
}

/// Conversations, latest activity first; `channel` is `messages`, `sms`,
/// `whatsapp`, `voicemail` or absent for all.
#[tauri::command]
pub fn list_conversations(
    state: Shared<'_>,
    channel: Option<String>,
) -> Res<Vec<ConversationView>> {
    use handset_store::Channel;
    let ch = match channel.as_deref() {
        None | Some("all") => None,
        Some("messages") => Some(Channel::Messages),
        Some("sms") => Some(Channel::Sms),
        Some("whatsapp") => Some(Channel::Whatsapp),
        Some(other) => return Err(format!("unknown channel '{other}'")),
    };
    Ok(state
        .store
        .conversations(ch)
        .map_err(say)?
        .into_iter()
        .map(|c| ConversationView {
            id: c.id,
            channel: c.channel.as_str().to_string(),
            kind: c.kind,
            peer: c.peer,
            title: c.title,
            last_activity_ms: c.last_activity,
            unread: c.unread,
            last_message: c.last_message,
        })
        .collect())
}

/// Messages of a conversation, newest last; `before` pages back.
#[tauri::command]
pub fn list_messages(
    state: Shared<'_>,
    conversation: i64,
    before: Option<i64>,
    limit: u32,
) -> Res<Vec<handset_engine::ChatMessage>> {
    Ok(state
        .store
        .messages(conversation, before, limit.clamp(1, 500))
        .map_err(say)?
        .iter()
        .map(handset_engine::ChatMessage::from)
        .collect())
}

/// Sends a chat message (stored first, retried until the network takes it).
#[tauri::command]
pub async fn send_message(
    state: Shared<'_>,
    to: String,
    text: String,
    account: Option<i64>,
) -> Res<handset_engine::ChatMessage> {
    let engine_account = match account {
        Some(a) => state.engine_account(a),
        None => state.default_account(),
    }
    .ok_or("no account to send from: add one in Settings")?;
    state
        .engine
        .send_message(engine_account, &to, &text)
        .await
        .map_err(say)
}

/// Marks a conversation read (and sends read receipts).
#[tauri::command]
pub async fn mark_read(state: Shared<'_>, conversation: i64) -> Res<u32> {
    state.engine.mark_read(conversation).await.map_err(say)
}

/// A search hit: the message and its text with matches between \u{1} and \u{2}.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchHitView {
    message: handset_engine::ChatMessage,
    highlighted: String,
}

/// Full-text search over every message.
#[tauri::command]
pub fn search_messages(state: Shared<'_>, query: String, limit: u32) -> Res<Vec<SearchHitView>> {
    Ok(state
        .store
        .search(&query, limit.clamp(1, 200))
        .map_err(say)?
        .into_iter()
        .map(|h| SearchHitView {
            message: handset_engine::ChatMessage::from(&h.message),
            highlighted: h.highlighted,
        })
        .collect())
}

/// The number a `tel:`/`sip:` link asked to call, once (the New Call screen
/// asks at start, in case the link came before it listened).
#[tauri::command]
pub fn take_pending_dial(pending: State<'_, crate::PendingDial>) -> Option<String> {
    pending.0.lock().ok().and_then(|mut p| p.take())
}

#[cfg(test)]
mod tests {
    use super::initials;

    #[test]
    fn initials_of_names() {
        assert_eq!(initials("Jane Doe"), "JD");
        assert_eq!(initials("me"), "M");
        assert_eq!(initials(""), "?");
        assert_eq!(initials("Ana María López"), "AM");
    }
}
