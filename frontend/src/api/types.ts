// Types of the shell's commands that ts-rs does not generate (they live in
// src-tauri, not in the engine). Everything the engine generates is imported
// from ./generated and never written by hand here.

import type { AccountConfig } from "./generated/AccountConfig";
import type { ChatMessage } from "./generated/ChatMessage";
import type { RegistrationInfo } from "./generated/RegistrationInfo";

/** `app_info`. */
export interface AppInfo {
  name: string;
  version: string;
}

export type Presence = "available" | "busy" | "dnd";

/** `get_profile`: what the Quick Menu shows. */
export interface Profile {
  displayName: string;
  extension: string;
  initials: string;
  presence: Presence;
  muteCalls: boolean;
  accountId: number | null;
}

/** `list_accounts`: an account without its password. */
export interface AccountView {
  id: number;
  config: AccountConfig;
  registration: RegistrationInfo | null;
  /** The built-in local account (cannot be removed); absent means false. */
  local?: boolean;
}

export type HistoryFilter = "all" | "missed";
export type CallOutcome = "answered" | "missed" | "declined" | "failed";

/** `call_history`: one row of the Calls tab. */
export interface CallRecord {
  id: number;
  direction: "incoming" | "outgoing";
  remoteUri: string;
  remoteName: string | null;
  startedMs: number;
  durationS: number;
  outcome: CallOutcome;
}

export type ContactTab = "all" | "favorites" | "users" | "company" | "personal" | "device";
export type ContactKind = "user" | "company" | "personal" | "device";

export interface Phone {
  label: string;
  number: string;
}

/** `list_contacts` / `save_contact` (a new contact has id 0). */
export interface Contact {
  id: number;
  name: string;
  company: string | null;
  kind: ContactKind;
  favorite: boolean;
  extension: string | null;
  phones: Phone[];
  presence: string | null;
}

export type TransferKind = "blind" | "attended" | "voicemail" | "park" | "groupPark" | "flip";

export type Theme = "light" | "dark" | "system";

/** `get_settings` / `save_settings`. */
export interface Settings {
  theme: Theme;
  language: string;
  ringtone: string;
  notifications: { calls: boolean; messages: boolean; parked: boolean };
  audio: { input: string | null; output: string | null; ringer: string | null; noiseSuppression: boolean };
  pbx: { parkCode: string; groupParkCode: string; retrieveCode: string; voicemailCode: string; flipCode: string };
  startAtLogin: boolean;
}

export interface AudioDevice {
  name: string;
  isDefault: boolean;
}

/** `list_audio_devices`. */
export interface AudioDevices {
  inputs: AudioDevice[];
  outputs: AudioDevice[];
}

/** A conversation as `list_conversations` returns it. */
export interface Conversation {
  id: number;
  channel: string;
  kind: string;
  peer: string | null;
  title: string | null;
  lastActivityMs: number;
  unread: number;
  lastMessage: string | null;
}

/** `search_messages`: a message and its text with each match between \u0001 and \u0002. */
export interface SearchHit {
  message: ChatMessage;
  highlighted: string;
}
