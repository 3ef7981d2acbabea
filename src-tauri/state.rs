//! What the app holds while it runs: the engine, the database, the secret
//! store, and the embedded echo peer that the local default account calls.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use anyhow::Context;
use handset_engine::history::CallLog;
use handset_engine::{AccountConfig, Engine, EngineConfig, Event, MediaSettings, TransportChoice};
use handset_media::device::{AudioBackend, NullBackend};
use handset_store::{OpenOptions, Store, StoredAccount};
use tauri::{AppHandle, Emitter};

use crate::notify::{self, Notifier};
use crate::secrets::SecretStore;
use crate::settings::Settings;

/// Settings keys.
const LOCAL_ACCOUNT: &str = "local_account_id";
const SETTINGS: &str = "settings";
const PRESENCE: &str = "presence";
const MUTE_CALLS: &str = "mute_calls";

/// The running app.
pub struct AppState {
    /// The engine.
    pub engine: Engine,
    /// The echo test peer behind the local account.
    pub echo: Engine,
    /// The database.
    pub store: Arc<Store>,
    /// Passwords.
    pub secrets: Arc<dyn SecretStore>,
    /// Stored account id → engine account id.
    pub accounts: Mutex<BTreeMap<i64, u32>>,
    /// The engine's media settings as last applied.
    pub media: MediaSettings,
}

/// Chooses the audio backend: real devices when the machine has any, or
/// silence (headless test machines), or what `HANDSET_AUDIO=null` asks.
fn audio_backend() -> Arc<dyn AudioBackend> {
    if std::env::var("HANDSET_AUDIO").as_deref() == Ok("null") {
        return Arc::new(NullBackend::new());
    }
    let cpal = handset_media::device::CpalBackend::new();
    // listing is not enough: ALSA lists a "default" that may not open (a
    // headless machine); a call without sound is better than no call
    let params = handset_media::device::StreamParams::new(48_000);
    let opens = cpal.output_devices().is_ok_and(|d| !d.is_empty())
        && cpal.open_playback(&params).is_ok()
        && cpal.open_capture(&params).is_ok();
    if opens {
        Arc::new(cpal)
    } else {
        tracing::info!("no usable sound devices: calls run without audio devices");
        Arc::new(NullBackend::new())
    }
}

impl AppState {
    /// Opens the database in `data_dir`, starts the echo peer and the engine,
    /// and adds every stored account (creating the local one on first run).
    pub async fn start(data_dir: &Path, secrets: Arc<dyn SecretStore>) -> anyhow::Result<AppState> {
        std::fs::create_dir_all(data_dir)
            .with_context(|| format!("cannot create {}", data_dir.display()))?;
        // a damaged file is moved aside (kept, not deleted) and a new one started
        let store = Store::open_with(
            &data_dir.join("handset.sqlite"),
            OpenOptions {
                replace_corrupt: true,
            },
        )
        .context("cannot open the database")?;
        let store = Arc::new(store);
        let settings: Settings = store.setting(SETTINGS)?.unwrap_or_default();

        let echo = start_echo_peer().await?;
        let media = MediaSettings {
            backend: audio_backend(),
            input: settings.audio.input.clone(),
            output: settings.audio.output.clone(),
            noise_suppression: settings.audio.noise_suppression,
            ..MediaSettings::default()
        };
        let engine = Engine::start(EngineConfig {
            media: media.clone(),
            store: Some(store.clone()),
            ..EngineConfig::default()
        })
        .await?;
        let state = AppState {
            engine,
            echo,
            store,
            secrets,
            accounts: Mutex::new(BTreeMap::new()),
            media,
        };
        state.ensure_local_account()?;
        state.apply_presence();
        for a in state.store.accounts()? {
            if a.enabled {
                if let Err(e) = state.activate(&a).await {
                    tracing::warn!(account = a.id, error = %e, "account not started");
                }
            }
        }
        Ok(state)
    }

    /// The local account needs no PBX: every call goes to the embedded echo
    /// peer, whose port changes per run, so its server is refreshed here.
    fn ensure_local_account(&self) -> anyhow::Result<()> {
        let echo = self
            .echo
            .sip_addr()
            .context("the echo peer has no address")?;
        let existing: Option<i64> = self.store.setting(LOCAL_ACCOUNT)?;
        let mut acc = existing
            .and_then(|id| self.store.accounts().ok()?.into_iter().find(|a| a.id == id))
            .unwrap_or(StoredAccount {
                id: 0,
                display_name: Some("Me".into()),
                user: "me".into(),
                domain: "127.0.0.1".into(),
                auth_user: None,
                server: None,
                transport: "udp".into(),
                expires: 600,
                keepalive: 30,
                register: false,
                enabled: true,
            });
        acc.server = Some(format!("127.0.0.1:{}", echo.port()));
        let id = self.store.save_account(&acc)?;
        self.store.set_setting(LOCAL_ACCOUNT, &id)?;
        Ok(())
    }

    /// Whether `id` is the built-in local account.
    pub fn is_local(&self, id: i64) -> bool {
        self.store.setting::<i64>(LOCAL_ACCOUNT).ok().flatten() == Some(id)
    }

    /// Adds a stored account to the engine with its password from the keyring.
    pub async fn activate(&self, a: &StoredAccount) -> anyhow::Result<u32> {
        let cfg = config_of(a);
        let password = self.secrets.get(a.id)?.unwrap_or_default();
        let id = self.engine.add_account(cfg, password).await?;
        self.accounts
            .lock()
            .map_err(|_| anyhow::anyhow!("state poisoned"))?
            .insert(a.id, id);
        Ok(id)
    }

    /// Removes an account from the engine (not from the database).
    pub async fn deactivate(&self, stored: i64) -> anyhow::Result<()> {
        let engine_id = self
            .accounts
            .lock()
            .map_err(|_| anyhow::anyhow!("state poisoned"))?
            .remove(&stored);
        if let Some(id) = engine_id {
            self.engine.remove_account(id).await?;
        }
        Ok(())
    }

    /// The engine id of a stored account.
    pub fn engine_account(&self, stored: i64) -> Option<u32> {
        self.accounts.lock().ok()?.get(&stored).copied()
    }

    /// The stored id of an engine account.
    pub fn stored_account(&self, engine_id: u32) -> Option<i64> {
        self.accounts
            .lock()
            .ok()?
            .iter()
            .find(|(_, e)| **e == engine_id)
            .map(|(s, _)| *s)
    }

    /// The account calls go out on by default: the first enabled one that
    /// registers, else the local one.
    pub fn default_account(&self) -> Option<u32> {
        let accounts = self.store.accounts().ok()?;
        accounts
            .iter()
            .find(|a| a.enabled && a.register)
            .or_else(|| accounts.iter().find(|a| a.enabled))
            .and_then(|a| self.engine_account(a.id))
    }

    /// The user's settings.
    pub fn settings(&self) -> Settings {
        self.store
            .setting(SETTINGS)
            .ok()
            .flatten()
            .unwrap_or_default()
    }

    /// Saves settings after checking them.
    pub fn save_settings(&self, s: &Settings) -> Result<(), String> {
        s.validate()?;
        self.store
            .set_setting(SETTINGS, s)
            .map_err(|e| e.to_string())
    }

    /// Presence chosen in the Quick Menu.
    pub fn presence(&self) -> String {
        self.store
            .setting(PRESENCE)
            .ok()
            .flatten()
            .unwrap_or_else(|| "available".to_string())
    }

    /// Sets the presence.
    pub fn set_presence(&self, p: &str) -> Result<(), String> {
        if !matches!(p, "available" | "busy" | "dnd") {
            return Err(format!("presence '{p}' must be available, busy or dnd"));
        }
        self.store
            .set_setting(PRESENCE, &p)
            .map_err(|e| e.to_string())
    }

    /// Tells the engine: Do Not Disturb refuses calls, and the status is
    /// published to the PBX's presence server.
    pub fn apply_presence(&self) {
        let p = self.presence();
        self.engine.set_do_not_disturb(p == "dnd");
        self.engine.set_presence(match p.as_str() {
            "busy" => handset_engine::Presence::Busy,
            "dnd" => handset_engine::Presence::DoNotDisturb,
            _ => handset_engine::Presence::Available,
        });
    }

    /// "Mute Calls on this device".
    pub fn mute_calls(&self) -> bool {
        self.store
            .setting(MUTE_CALLS)
            .ok()
            .flatten()
            .unwrap_or(false)
    }

    /// Sets "Mute Calls on this device".
    pub fn set_mute_calls(&self, on: bool) -> Result<(), String> {
        self.store
            .set_setting(MUTE_CALLS, &on)
            .map_err(|e| e.to_string())
    }

    /// Forwards engine events to the UI, records history and notifies.
    pub fn forward_events(self: &Arc<Self>, app: AppHandle, notifier: Arc<dyn Notifier>) {
        let mut rx = self.engine.subscribe();
        let state = self.clone();
        tauri::async_runtime::spawn(async move {
            let mut log = CallLog::new();
            loop {
                let ev = match rx.recv().await {
                    Ok(ev) => ev,
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => {
                        tracing::warn!(missed = n, "UI fell behind engine events");
                        continue;
                    }
                    Err(_) => return,
                };
                if let Err(e) = log.on_event(&state.store, &ev, |a| state.stored_account(a)) {
                    tracing::warn!(error = %e, "call history not written");
                }
                let settings = state.settings();
                // Do Not Disturb and Mute Calls silence the ring, not the call list
                let quiet = state.mute_calls() || state.presence() == "dnd";
                if settings.notifications.calls {
                    if let Some((title, body)) = notify::for_event(&ev, quiet) {
                        notifier.show(&title, &body);
                    }
                }
                if let Event::IncomingCall { .. } = &ev {
                    if state.presence() == "dnd" {
                        tracing::info!("Do Not Disturb: the call is shown, not rung");
                    }
                }
                if let Err(e) = app.emit("engine-event", &ev) {
                    tracing::warn!(error = %e, "event not delivered to the UI");
                }
            }
        });
    }
}

/// The engine's account settings from a stored row.
pub fn config_of(a: &StoredAccount) -> AccountConfig {
    AccountConfig {
        display_name: a.display_name.clone(),
        user: a.user.clone(),
        domain: a.domain.clone(),
        auth_user: a.auth_user.clone(),
        server: a.server.clone(),
        transport: TransportChoice::parse(&a.transport).unwrap_or_default(),
        expires: a.expires,
        keepalive_secs: a.keepalive,
        register: a.register,
    }
}

/// The stored row for engine account settings.
pub fn stored_of(id: i64, c: &AccountConfig) -> StoredAccount {
    StoredAccount {
        id,
        display_name: c.display_name.clone(),
        user: c.user.clone(),
        domain: c.domain.clone(),
        auth_user: c.auth_user.clone(),
        server: c.server.clone(),
        transport: serde_json::to_value(c.transport)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_else(|| "udp".into()),
        expires: c.expires,
        keepalive: c.keepalive_secs,
        register: c.register,
        enabled: true,
    }
}

/// An echo peer on loopback answering every call and sending back what it
/// hears, so the app works (and can be tried) before any PBX is set up.
async fn start_echo_peer() -> anyhow::Result<Engine> {
    let engine = Engine::start(EngineConfig {
        bind: "127.0.0.1:0".parse().expect("literal address"),
        media: MediaSettings {
            echo: true,
            ..MediaSettings::default()
        },
        hold_others_on_answer: false,
        ..EngineConfig::default()
    })
    .await?;
    let mut cfg = AccountConfig::new("echo", "127.0.0.1");
    cfg.display_name = Some("Echo test".into());
    cfg.register = false;
    engine.add_account(cfg, String::new()).await?;
    let mut rx = engine.subscribe();
    let e = engine.clone();
    tauri::async_runtime::spawn(async move {
        while let Ok(ev) = rx.recv().await {
            if let Event::IncomingCall { info } = ev {
                if let Err(err) = e.answer(info.id).await {
                    tracing::warn!(error = %err, "echo peer could not answer");
                }
            }
        }
    });
    Ok(engine)
}
