//! The tray icon: shows the presence in its tooltip, and offers the quick
//! actions (show the window, Available / Busy / Do Not Disturb, quit).

use std::sync::Arc;

use tauri::menu::{Menu, MenuItem, PredefinedMenuItem};
use tauri::tray::TrayIconBuilder;
use tauri::{AppHandle, Emitter, Manager};

use crate::state::AppState;

const TRAY: &str = "handset";

fn label(presence: &str) -> &'static str {
    match presence {
        "busy" => "Busy",
        "dnd" => "Do Not Disturb",
        _ => "Available",
    }
}

/// Builds the tray icon. A desktop without a tray host only loses the icon.
pub fn install(app: &AppHandle, state: &Arc<AppState>) -> tauri::Result<()> {
    let show = MenuItem::with_id(app, "show", "Show Handset", true, None::<&str>)?;
    let available = MenuItem::with_id(app, "presence:available", "Available", true, None::<&str>)?;
    let busy = MenuItem::with_id(app, "presence:busy", "Busy", true, None::<&str>)?;
    let dnd = MenuItem::with_id(app, "presence:dnd", "Do Not Disturb", true, None::<&str>)?;
    let quit = MenuItem::with_id(app, "quit", "Quit", true, None::<&str>)?;
    let sep = PredefinedMenuItem::separator(app)?;
    let sep2 = PredefinedMenuItem::separator(app)?;
    let menu = Menu::with_items(app, &[&show, &sep, &available, &busy, &dnd, &sep2, &quit])?;
    let mut builder = TrayIconBuilder::with_id(TRAY)
        .tooltip(format!("Handset — {}", label(&state.presence())))
        .menu(&menu)
        .on_menu_event(|app, event| {
            let id = event.id.as_ref();
            if id == "show" {
                show_main(app);
            } else if id == "quit" {
                app.exit(0);
            } else if let Some(p) = id.strip_prefix("presence:") {
                if let Some(state) = app.try_state::<Arc<AppState>>() {
                    if state.set_presence(p).is_ok() {
                        state.apply_presence();
                        refresh(app, &state.presence());
                        let _ = app.emit("presence-changed", p);
                    }
                }
            }
        });
    if let Some(icon) = app.default_window_icon() {
        builder = builder.icon(icon.clone());
    }
    builder.build(app)?;
    Ok(())
}

/// Updates the tooltip after the presence changed.
pub fn refresh(app: &AppHandle, presence: &str) {
    if let Some(tray) = app.tray_by_id(TRAY) {
        let _ = tray.set_tooltip(Some(format!("Handset — {}", label(presence))));
    }
}

/// Brings the main window to the front.
pub fn show_main(app: &AppHandle) {
    if let Some(w) = app.get_webview_window("main") {
        let _ = w.unminimize();
        let _ = w.show();
        let _ = w.set_focus();
    }
}
