fn main() {
    // the config sits at the repository root (the package root); the app's
    // capabilities and permissions live beside the shell's code
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .capabilities_path_pattern("./src-tauri/capabilities/**/*")
            .app_manifest(tauri_build::AppManifest::new().commands(&["app_info"])),
    )
    .expect("tauri build step");
}
