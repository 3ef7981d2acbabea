// The app's state: what the UI shows, fed by the engine's events and by the
// shell's commands. No business rules here: calls, registrations and quality
// are taken as the engine reports them.

import * as api from "./api/commands";
import { onDialRequest, onEngineEvent, onPresenceChanged } from "./api/events";
import type { CallInfo } from "./api/generated/CallInfo";
import type { CallQuality } from "./api/generated/CallQuality";
import type { Event as EngineEvent } from "./api/generated/Event";
import type { RegistrationInfo } from "./api/generated/RegistrationInfo";
import type { AccountView, Profile, Settings, Theme } from "./api/types";
import { Store } from "./ui/store";

export const TABS = ["messages", "chat", "calls", "contacts", "keypad", "meetings"] as const;
export type Tab = (typeof TABS)[number];

/** What the content area shows: one of the tabs, or Settings (from the Quick Menu). */
export type Page = "tab" | "settings";

export interface Notice {
  id: number;
  kind: "error" | "info";
  text: string;
}

/** A conversation to show in Chat: a known one (`conversation`) or a new one with `peer`. */
export interface ChatRequest {
  seq: number;
  conversation: number | null;
  peer: string;
}

export interface AppState {
  tab: Tab;
  page: Page;
  quickMenuOpen: boolean;
  callHubOpen: boolean;
  /** A parked-call notification arrived and the Call Hub has not been opened since. */
  callHubFlash: boolean;
  version: string | null;
  profile: Profile | null;
  /** The accounts as last listed (Settings refreshes them after changes). */
  accounts: AccountView[];
  settings: Settings | null;
  /** Calls in progress (ended ones are dropped), by id. */
  calls: Record<number, CallInfo>;
  /** The call the call panel shows. */
  focusedCall: number | null;
  /** Last registration state per account id. */
  registrations: Record<number, RegistrationInfo>;
  /** Last quality figures per call. */
  quality: Record<number, CallQuality>;
  /** Last media problem per call, in words. */
  mediaProblems: Record<number, string>;
  /** A link asked to call this: New Call opens filled with it (the user confirms). */
  dialRequest: { seq: number; target: string } | null;
  /** Chat should open this conversation (from the Messages dashboard or a contact). */
  chatRequest: ChatRequest | null;
  /** Bumped when a call ends, so the history reloads. */
  historyVersion: number;
  /** Bumped when a message arrives or changes state, so chat views reload. */
  messagesVersion: number;
  notice: Notice | null;
}

export function initialState(): AppState {
  return {
    // the Messages dashboard opens by default, as in the guide
    tab: "messages",
    page: "tab",
    quickMenuOpen: false,
    callHubOpen: false,
    callHubFlash: false,
    version: null,
    profile: null,
    accounts: [],
    settings: null,
    calls: {},
    focusedCall: null,
    registrations: {},
    quality: {},
    mediaProblems: {},
    dialRequest: null,
    chatRequest: null,
    historyVersion: 0,
    messagesVersion: 0,
    notice: null,
  };
}

export type AppStore = Store<AppState>;

export function createStore(patch: Partial<AppState> = {}): AppStore {
  return new Store<AppState>({ ...initialState(), ...patch });
}

function without<V>(map: Record<number, V>, id: number): Record<number, V> {
  if (!(id in map)) return map;
  const next = { ...map };
  delete next[id];
  return next;
}

/** Calls ringing here, waiting for Answer or Decline, oldest first. */
export function incomingCalls(s: AppState): CallInfo[] {
  return Object.values(s.calls)
    .filter((c) => c.phase === "incoming")
    .sort((a, b) => a.startedMs - b.startedMs);
}

/** Calls past the incoming stage (dialing, ringing at the far end, or active). */
export function ongoingCalls(s: AppState): CallInfo[] {
  return Object.values(s.calls)
    .filter((c) => c.phase !== "incoming" && c.phase !== "ended")
    .sort((a, b) => a.startedMs - b.startedMs);
}

/** The call the call panel and the in-call keypad act on. */
export function currentCall(s: AppState): CallInfo | null {
  const f = s.focusedCall === null ? undefined : s.calls[s.focusedCall];
  if (f && f.phase !== "incoming") return f;
  const ongoing = ongoingCalls(s);
  return ongoing.find((c) => c.phase === "active" && !c.held) ?? ongoing[ongoing.length - 1] ?? null;
}

/** The name to show for the other party. */
export function remoteLabel(c: { remoteName: string | null; remoteUri: string }): string {
  return c.remoteName && c.remoteName.trim() ? c.remoteName : c.remoteUri;
}

let noticeSeq = 0;
export function notice(kind: Notice["kind"], text: string): Notice {
  return { id: ++noticeSeq, kind, text };
}

function onCall(s: AppState, info: CallInfo): Partial<AppState> {
  const prev = s.calls[info.id];
  if (info.phase === "ended") {
    const calls = without(s.calls, info.id);
    const patch: Partial<AppState> = {
      calls,
      quality: without(s.quality, info.id),
      mediaProblems: without(s.mediaProblems, info.id),
      historyVersion: s.historyVersion + 1,
    };
    if (s.focusedCall === info.id) {
      const rest = ongoingCalls({ ...s, calls });
      patch.focusedCall = rest.length ? rest[rest.length - 1].id : null;
    }
    // a call that never connected says why (busy, declined, not found…)
    if (info.direction === "outgoing" && info.answeredMs === null && info.endReason) {
      patch.notice = notice("info", `${remoteLabel(info)}: ${info.endReason}`);
    }
    return patch;
  }
  const patch: Partial<AppState> = { calls: { ...s.calls, [info.id]: info } };
  // a call we just placed (or found running) or just answered takes the call panel
  if (info.phase !== "incoming" && (!prev || (info.phase === "active" && prev.phase !== "active"))) {
    patch.focusedCall = info.id;
  }
  return patch;
}

/** The state change one engine event makes (pure, for tests and the store). */
export function applyEvent(s: AppState, ev: EngineEvent): Partial<AppState> {
  switch (ev.type) {
    case "registration":
      return { registrations: { ...s.registrations, [ev.account]: ev.info } };
    case "call":
    case "incomingCall":
      return onCall(s, ev.info);
    case "callQuality":
      return s.calls[ev.call] ? { quality: { ...s.quality, [ev.call]: ev.quality } } : {};
    case "mediaProblem":
      return {
        mediaProblems: { ...s.mediaProblems, [ev.call]: ev.reason },
        notice: notice("error", ev.reason),
      };
    case "transportError":
      return { notice: notice("error", `${ev.target}: ${ev.reason}`) };
    case "messageReceived":
    case "messageStatus":
      return { messagesVersion: s.messagesVersion + 1 };
    case "dtmf":
    case "malformedInput":
      // diagnostics; nothing on screen changes
      return {};
    default:
      return {};
  }
}

/** Marks that a call was parked for us: the Call Hub button flashes until opened. */
export function flagParkedCall(store: AppStore): void {
  store.set({ callHubFlash: true });
}

/** Applies a theme to the document (`data-theme` on <html>). */
export function applyTheme(theme: Theme): void {
  document.documentElement.dataset.theme = theme;
}

/** Applies the theme and the language of saved settings. */
export function applySettings(s: Settings): void {
  applyTheme(s.theme);
  document.documentElement.lang = s.language;
}

/** Shows a failed command's message. */
export function reportError(store: AppStore, e: unknown): void {
  store.set({ notice: notice("error", api.errorText(e)) });
}

/** Runs a command, showing its error if it fails; resolves to undefined then. */
export async function attempt<T>(store: AppStore, p: Promise<T>): Promise<T | undefined> {
  try {
    return await p;
  } catch (e) {
    reportError(store, e);
    return undefined;
  }
}

/** Reloads the account list (after edits in Settings). */
export async function refreshAccounts(store: AppStore): Promise<AccountView[] | undefined> {
  const accounts = await attempt(store, api.listAccounts());
  if (accounts) store.set({ accounts });
  return accounts;
}

/** Reloads the profile (after presence or Mute Calls changes, or account edits). */
export async function refreshProfile(store: AppStore): Promise<void> {
  const profile = await attempt(store, api.getProfile());
  if (profile) store.set({ profile });
}

let dialSeq = 0;
/** Offers `target` in New Call (from a tel:/sip:/callto: link). */
export function requestDial(store: AppStore, target: string): void {
  store.set({ dialRequest: { seq: ++dialSeq, target } });
}

let chatSeq = 0;
/** Switches to Chat with the conversation `conversation` (or a new one with `peer`). */
export function openChat(store: AppStore, peer: string, conversation: number | null = null): void {
  store.set({
    tab: "chat",
    page: "tab",
    quickMenuOpen: false,
    callHubOpen: false,
    chatRequest: { seq: ++chatSeq, conversation, peer },
  });
}

/**
 * Connects the store to the shell: listens to engine events first (so none
 * is lost), then loads what is already there.
 */
export async function connect(store: AppStore): Promise<() => void> {
  const unlisten = await Promise.all([
    onEngineEvent((ev) => store.update((s) => applyEvent(s, ev))),
    onDialRequest((target) => requestDial(store, target)),
    onPresenceChanged(() => void refreshProfile(store)),
  ]);
  await Promise.all([
    // a link the app was started with, before the UI listened
    api.takePendingDial().then(
      (target) => target && requestDial(store, target),
      (e) => reportError(store, e),
    ),
    api.listCalls().then(
      (list) =>
        store.update((s) => {
          let next = { ...s };
          for (const c of list) if (!next.calls[c.id]) next = { ...next, ...onCall(next, c) };
          return next;
        }),
      (e) => reportError(store, e),
    ),
    api.listAccounts().then(
      (accounts) =>
        store.update((s) => {
          const registrations = { ...s.registrations };
          for (const a of accounts) if (a.registration && !registrations[a.id]) registrations[a.id] = a.registration;
          return { registrations, accounts };
        }),
      (e) => reportError(store, e),
    ),
    refreshProfile(store),
    api.getSettings().then(
      (settings) => {
        applySettings(settings);
        store.set({ settings });
      },
      (e) => reportError(store, e),
    ),
    api.appInfo().then(
      (info) => store.set({ version: info.version }),
      () => store.set({ version: null }),
    ),
  ]);
  return () => unlisten.forEach((u) => u());
}
