// Typed wrappers over the Tauri commands the shell exposes. The UI talks to
// the engine only through these.

import { invoke } from "@tauri-apps/api/core";

export interface AppInfo {
  name: string;
  version: string;
}

/** Name and version of the running app. */
export function appInfo(): Promise<AppInfo> {
  return invoke<AppInfo>("app_info");
}
