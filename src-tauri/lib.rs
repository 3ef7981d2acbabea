//! Handset's desktop shell: Tauri commands and events mapped onto the engine,
//! and the OS integrations (keyring, notifications). No SIP logic lives here.

mod commands;
mod notify;
mod secrets;
mod settings;
mod state;

use std::sync::Arc;

use tauri::Manager;

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
        ]
    };
}

/// Starts the desktop app.
pub fn run() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("HANDSET_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).try_init();

    tauri::Builder::default()
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
            app.manage(state);
            Ok(())
        })
        .invoke_handler(handlers!())
        .run(tauri::generate_context!())
        .expect("Handset could not start");
}
