//! The commands the UI may invoke.

use serde::Serialize;

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
