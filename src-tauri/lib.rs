//! Handset's desktop shell: Tauri commands and events mapped onto the engine,
//! and the OS integrations (keyring, notifications). No SIP logic lives here.

mod commands;
mod links;
mod notify;
mod secrets;
mod settings;
mod state;
mod tray;

use std::sync::{Arc, Mutex};

use tauri::{Emitter, Manager};
use tauri_plugin_deep_link::DeepLinkExt;

/// A link the app was started with, kept until the UI asks for it (it is
/// not listening yet while the app starts).
#[derive(Default)]
pub struct PendingDial(pub Mutex<Option<String>>);

/// Hands a dial request to the UI: as an event if it runs, and kept for
/// `take_pending_dial` in case it does not listen yet.
fn dial_request(app: &tauri::AppHandle, target: String) {
    tracing::info!(%target, "dial request from a link");
    if let Some(p) = app.try_state::<PendingDial>() {
        if let Ok(mut slot) = p.0.lock() {
            *slot = Some(target.clone());
        }
    }
    tray::show_main(app);
    let _ = app.emit("dial-request", target);
}

use crate::secrets::{Keyring, MemorySecrets, SecretStore};
use crate::state::AppState;

/// Every command the UI may invoke; the capability file allows exactly these.
macro_rules! handlers {
    () => {
        tauri::generate_handler![
            commands::app_info,
            commands::get_profile,
            commands::set_presence,
            commands::set_mute_calls,
            commands::list_accounts,
            commands::save_account,
            commands::remove_account,
            commands::place_call,
            commands::answer_call,
            commands::decline_call,
            commands::hangup_call,
            commands::hold_call,
            commands::mute_call,
            commands::send_dtmf,
            commands::transfer_call,
            commands::list_calls,
            commands::call_history,
            commands::clear_missed,
            commands::list_contacts,
            commands::save_contact,
            commands::set_favorite,
            commands::delete_contact,
            commands::get_settings,
            commands::save_settings,
            commands::list_audio_devices,
            commands::play_test_tone,
            commands::take_pending_dial,
            commands::list_conversations,
            commands::list_messages,
            commands::send_message,
            commands::mark_read,
            commands::search_messages,
        ]
    };
}

/// Starts the desktop app.
pub fn run() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("HANDSET_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).try_init();

    tauri::Builder::default()
        // a second start (a clicked tel: link) hands its arguments to this one
        .plugin(tauri_plugin_single_instance::init(|app, argv, _cwd| {
            match links::dial_target_from_args(&argv) {
                Some(target) => dial_request(app, target),
                None => tray::show_main(app),
            }
        }))
        .plugin(tauri_plugin_deep_link::init())
        .plugin(tauri_plugin_window_state::Builder::default().build())
        .plugin(tauri_plugin_autostart::init(
            tauri_plugin_autostart::MacosLauncher::LaunchAgent,
            None,
        ))
        .manage(PendingDial::default())
        .setup(|app| {
            let data_dir = app.path().app_data_dir()?;
            let secrets: Arc<dyn SecretStore> = match Keyring::probe() {
                Some(k) => Arc::new(k),
                None => {
                    tracing::warn!("passwords are kept in memory for this run only");
                    Arc::new(MemorySecrets::default())
                }
            };
            tracing::info!(store = secrets.name(), dir = %data_dir.display(), "starting");
            let state = tauri::async_runtime::block_on(AppState::start(&data_dir, secrets))?;
            let state = Arc::new(state);
            state.forward_events(app.handle().clone(), Arc::new(notify::DesktopNotifier));
            if let Err(e) = tray::install(app.handle(), &state) {
                tracing::warn!(error = %e, "no tray icon on this desktop");
            }
            app.manage(state);
            let args: Vec<String> = std::env::args().collect();
            if let Some(target) = links::dial_target_from_args(&args) {
                dial_request(app.handle(), target);
            }
            let handle = app.handle().clone();
            app.deep_link().on_open_url(move |event| {
                if let Some(target) = event
                    .urls()
                    .iter()
                    .find_map(|u| links::dial_target(u.as_str()))
                {
                    dial_request(&handle, target);
                }
            });
            Ok(())
        })
        .invoke_handler(handlers!())
        .run(tauri::generate_context!())
        .expect("Handset could not start");
}
