// Typed wrappers over the Tauri commands the shell exposes. The UI talks to
// the engine only through these (argument names are camelCase on this side;
// Tauri maps them onto the Rust parameters).

import { invoke } from "@tauri-apps/api/core";
import type { AccountConfig } from "./generated/AccountConfig";
import type { CallInfo } from "./generated/CallInfo";
import type { ChatMessage } from "./generated/ChatMessage";
import type {
  AccountView,
  AppInfo,
  AudioDevices,
  CallRecord,
  Contact,
  Conversation,
  ContactTab,
  HistoryFilter,
  Presence,
  Profile,
  SearchHit,
  Settings,
  TransferKind,
} from "./types";

export type { AppInfo } from "./types";

/** Name and version of the running app. */
export const appInfo = () => invoke<AppInfo>("app_info");

// profile and Quick Menu
export const getProfile = () => invoke<Profile>("get_profile");
export const setPresence = (presence: Presence) => invoke<void>("set_presence", { presence });
export const setMuteCalls = (on: boolean) => invoke<void>("set_mute_calls", { on });

// accounts
export const listAccounts = () => invoke<AccountView[]>("list_accounts");
/** Adds (`id` null) or changes an account; the password is only ever sent. Rejects with a sentence. */
export const saveAccount = (id: number | null, config: AccountConfig, password: string | null) =>
  invoke<number>("save_account", { id, config, password });
export const removeAccount = (id: number) => invoke<void>("remove_account", { id });

// calls
/** Calls what the user typed or picked, from `account` (the default one when null). */
export const placeCall = (target: string, account: number | null = null) =>
  invoke<number>("place_call", { target, account });
export const answerCall = (call: number, video: boolean) => invoke<void>("answer_call", { call, video });
export const declineCall = (call: number, status: number | null = null) => invoke<void>("decline_call", { call, status });
export const hangupCall = (call: number) => invoke<void>("hangup_call", { call });
export const holdCall = (call: number, on: boolean) => invoke<void>("hold_call", { call, on });
export const muteCall = (call: number, on: boolean) => invoke<void>("mute_call", { call, on });
export const sendDtmf = (call: number, digits: string) => invoke<void>("send_dtmf", { call, digits });
export const transferCall = (call: number, kind: TransferKind, target: string | null) =>
  invoke<void>("transfer_call", { call, kind, target });
export const listCalls = () => invoke<CallInfo[]>("list_calls");

// history
export const callHistory = (filter: HistoryFilter, limit: number) => invoke<CallRecord[]>("call_history", { filter, limit });
export const clearMissed = () => invoke<void>("clear_missed");

// contacts
export const listContacts = (tab: ContactTab, query: string) => invoke<Contact[]>("list_contacts", { tab, query });
export const saveContact = (contact: Contact) => invoke<number>("save_contact", { contact });
export const setFavorite = (id: number, on: boolean) => invoke<void>("set_favorite", { id, on });
export const deleteContact = (id: number) => invoke<void>("delete_contact", { id });

// settings and devices
export const getSettings = () => invoke<Settings>("get_settings");
export const saveSettings = (settings: Settings) => invoke<void>("save_settings", { settings });
export const listAudioDevices = () => invoke<AudioDevices>("list_audio_devices");
export const playTestTone = (device: string | null) => invoke<void>("play_test_tone", { device });

// chat
export const listConversations = (channel: string | null) =>
  invoke<Conversation[]>("list_conversations", { channel });
export const listMessages = (conversation: number, before: number | null, limit: number) =>
  invoke<ChatMessage[]>("list_messages", { conversation, before, limit });
/** Sends a chat message; it is stored before this resolves and retried until sent. */
export const sendMessage = (to: string, text: string, account: number | null = null) =>
  invoke<ChatMessage>("send_message", { to, text, account });
export const markRead = (conversation: number) => invoke<number>("mark_read", { conversation });
/** Full-text search over every message. */
export const searchMessages = (query: string, limit: number) => invoke<SearchHit[]>("search_messages", { query, limit });

// links
/** A link the app was started with, once (null when none or already taken). */
export const takePendingDial = () => invoke<string | null>("take_pending_dial");

/** The message of a rejected command (the shell rejects with a sentence). */
export function errorText(e: unknown): string {
  if (typeof e === "string") return e;
  if (e instanceof Error) return e.message;
  try {
    return JSON.stringify(e);
  } catch {
    return String(e);
  }
}
