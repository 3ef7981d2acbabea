// The one engine event stream: the shell re-emits every engine `Event` as the
// Tauri event `engine-event`.

import { listen, type UnlistenFn } from "@tauri-apps/api/event";
import type { Event as EngineEvent } from "./generated/Event";

export const ENGINE_EVENT = "engine-event";

/** Calls `handler` with every engine event; resolves once listening. */
export function onEngineEvent(handler: (ev: EngineEvent) => void): Promise<UnlistenFn> {
  return listen<EngineEvent>(ENGINE_EVENT, (e) => handler(e.payload));
}
