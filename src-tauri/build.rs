fn main() {
    // the config sits at the repository root (the package root); the app's
    // capabilities and permissions live beside the shell's code
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .capabilities_path_pattern("./src-tauri/capabilities/**/*")
            .app_manifest(tauri_build::AppManifest::new().commands(&[
                "app_info",
                "get_profile",
                "set_presence",
                "set_mute_calls",
                "list_accounts",
                "save_account",
                "remove_account",
                "place_call",
                "answer_call",
                "decline_call",
                "hangup_call",
                "hold_call",
                "mute_call",
                "send_dtmf",
                "transfer_call",
                "list_calls",
                "call_history",
                "clear_missed",
                "list_contacts",
                "save_contact",
                "set_favorite",
                "delete_contact",
                "get_settings",
                "save_settings",
                "list_audio_devices",
                "play_test_tone",
                "take_pending_dial",
                "list_conversations",
                "list_messages",
                "send_message",
                "mark_read",
                "search_messages",
            ])),
    )
    .expect("tauri build step");
}
