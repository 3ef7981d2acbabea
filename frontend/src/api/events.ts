// The one engine event stream: the shell re-emits every engine `Event` as the
// Tauri event `engine-event`.

import { listen, type UnlistenFn } from "@tauri-apps/api/event";
import type { Event as EngineEvent } from "./generated/Event";

export const ENGINE_EVENT = "engine-event";

/** Calls `handler` with every engine event; resolves once listening. */
export function onEngineEvent(handler: (ev: EngineEvent) => void): Promise<UnlistenFn> {
  return listen<EngineEvent>(ENGINE_EVENT, (e) => handler(e.payload));
}

/** A tel:/sip:/callto: link the OS handed to the app: the target to offer in New Call. */
export const DIAL_REQUEST = "dial-request";
/** The presence was changed elsewhere (the tray menu). */
export const PRESENCE_CHANGED = "presence-changed";

export function onDialRequest(handler: (target: string) => void): Promise<UnlistenFn> {
  return listen<string>(DIAL_REQUEST, (e) => handler(e.payload));
}

export function onPresenceChanged(handler: (presence: string) => void): Promise<UnlistenFn> {
  return listen<string>(PRESENCE_CHANGED, (e) => handler(e.payload));
}
