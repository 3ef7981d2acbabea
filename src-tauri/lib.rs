//! Handset's desktop shell: Tauri commands and events mapped onto the engine,
//! and the OS integrations. No SIP logic lives here.

mod commands;

/// Starts the desktop app.
pub fn run() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("HANDSET_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).try_init();

    tauri::Builder::default()
        .invoke_handler(tauri::generate_handler![commands::app_info])
        .run(tauri::generate_context!())
        .expect("Handset could not start");
}
