// A fake Tauri shell for component tests: `mockIPC` answers the commands
// (recording every call), `mockWindows` provides the main window, and engine
// events are emitted through the mocked event plugin exactly as the Rust side
// emits them (`engine-event`).

import { clearMocks, mockIPC, mockWindows } from "@tauri-apps/api/mocks";
import { emit } from "@tauri-apps/api/event";
import type { CallInfo } from "../api/generated/CallInfo";
import type { Event as EngineEvent } from "../api/generated/Event";
import { renderApp } from "../app";
import { connect, createStore, type Tab } from "../state";
import type { AccountView, AudioDevices, CallRecord, Contact, Profile, Settings } from "../api/types";

export type Handler = (args: Record<string, unknown>) => unknown;

export interface Invocation {
  cmd: string;
  args: Record<string, unknown>;
}

export function profile(p: Partial<Profile> = {}): Profile {
  return { displayName: "Jane Doe", extension: "1001", initials: "JD", presence: "available", muteCalls: false, accountId: 1, ...p };
}

export function settings(p: Partial<Settings> = {}): Settings {
  return {
    theme: "system",
    language: "en",
    ringtone: "classic",
    notifications: { calls: true, messages: true, parked: true },
    audio: { input: null, output: null, ringer: null, noiseSuppression: true },
    pbx: { parkCode: "*68", groupParkCode: "*58", retrieveCode: "*88", voicemailCode: "*55", flipCode: "*11" },
    startAtLogin: false,
    ...p,
  };
}

export function account(id: number, p: Partial<AccountView["config"]> = {}, extra: Partial<AccountView> = {}): AccountView {
  return {
    id,
    config: {
      displayName: "Jane Doe",
      user: "1001",
      domain: "pbx.example.com",
      authUser: null,
      server: null,
      transport: "udp",
      expires: 600,
      keepaliveSecs: 30,
      register: true,
      ...p,
    },
    registration: null,
    ...extra,
  };
}

export function callInfo(p: Partial<CallInfo> = {}): CallInfo {
  return {
    id: 7,
    account: 1,
    direction: "incoming",
    phase: "incoming",
    remoteUri: "sip:1002@pbx.example.com",
    remoteName: "Bob",
    held: false,
    remoteHeld: false,
    muted: false,
    codec: null,
    secure: false,
    startedMs: 1_700_000_000_000,
    answeredMs: null,
    endReason: null,
    endStatus: null,
    ...p,
  };
}

export function record(p: Partial<CallRecord> = {}): CallRecord {
  return {
    id: 1,
    direction: "incoming",
    remoteUri: "sip:1002@pbx.example.com",
    remoteName: "Bob",
    startedMs: 1_700_000_000_000,
    durationS: 65,
    outcome: "answered",
    ...p,
  };
}

export function contact(p: Partial<Contact> = {}): Contact {
  return {
    id: 1,
    name: "Alice",
    company: null,
    kind: "personal",
    favorite: false,
    extension: null,
    phones: [{ label: "mobile", number: "+15551234567" }],
    presence: null,
    ...p,
  };
}

export const devices: AudioDevices = {
  inputs: [
    { name: "Built-in Microphone", isDefault: true },
    { name: "USB Headset", isDefault: false },
  ],
  outputs: [
    { name: "Built-in Speakers", isDefault: true },
    { name: "USB Headset", isDefault: false },
  ],
};

function defaults(): Record<string, Handler> {
  return {
    app_info: () => ({ name: "Handset", version: "0.1.0" }),
    get_profile: () => profile(),
    set_presence: () => null,
    set_mute_calls: () => null,
    list_accounts: () => [account(1)],
    save_account: () => 2,
    remove_account: () => null,
    place_call: () => 42,
    answer_call: () => null,
    decline_call: () => null,
    hangup_call: () => null,
    hold_call: () => null,
    mute_call: () => null,
    send_dtmf: () => null,
    transfer_call: () => null,
    list_calls: () => [],
    call_history: () => [],
    clear_missed: () => null,
    list_contacts: () => [],
    save_contact: () => 99,
    set_favorite: () => null,
    delete_contact: () => null,
    get_settings: () => settings(),
    save_settings: () => null,
    list_audio_devices: () => devices,
    play_test_tone: () => null,
    take_pending_dial: () => null,
    list_conversations: () => [],
    list_messages: () => [],
    send_message: () => ({ id: 1, conversationId: 1, messageId: "m1", direction: "out", sender: "sip:101@pbx", body: "", createdMs: 0, status: "pending" }),
    mark_read: () => 0,
    search_messages: () => [],
  };
}

/** The fake shell of one test. */
export class FakeShell {
  readonly log: Invocation[] = [];
  private handlers = defaults();

  constructor(overrides: Record<string, Handler> = {}) {
    Object.assign(this.handlers, overrides);
    mockWindows("main");
    mockIPC(
      (cmd, args) => {
        const a = (args ?? {}) as Record<string, unknown>;
        this.log.push({ cmd, args: a });
        const handler = this.handlers[cmd];
        if (!handler) throw new Error(`command ${cmd} is not part of the contract`);
        return handler(a);
      },
      { shouldMockEvents: true },
    );
  }

  /** Answers `cmd` with `handler` from now on. */
  on(cmd: string, handler: Handler): this {
    if (!(cmd in this.handlers)) throw new Error(`command ${cmd} is not part of the contract`);
    this.handlers[cmd] = handler;
    return this;
  }

  /** The arguments of every call of `cmd`, in order. */
  calls(cmd: string): Record<string, unknown>[] {
    return this.log.filter((i) => i.cmd === cmd).map((i) => i.args);
  }

  /** Emits any other event of the shell (`dial-request`, `presence-changed`). */
  async emitRaw(event: string, payload: unknown): Promise<void> {
    await emit(event, payload);
  }

  /** Emits an engine event the way the Rust side does. */
  async emit(ev: EngineEvent): Promise<void> {
    await emit("engine-event", ev);
  }

  reset(): void {
    this.log.length = 0;
  }
}

/** Lets pending promises and their DOM updates run. */
export async function settle(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((r) => setTimeout(r, 0));
}

export function teardown(): void {
  clearMocks();
  document.body.replaceChildren();
  delete document.documentElement.dataset.theme;
}

/** Finds by data-testid or fails the test with a clear message. */
export function byTestId<E extends HTMLElement = HTMLElement>(root: ParentNode, id: string): E {
  const el = root.querySelector<E>(`[data-testid="${id}"]`);
  if (!el) throw new Error(`no element with data-testid="${id}"`);
  return el;
}

export function maybeTestId(root: ParentNode, id: string): HTMLElement | null {
  return root.querySelector<HTMLElement>(`[data-testid="${id}"]`);
}

/** Types into an input as a user would (value, then an input event). */
export function typeInto(el: HTMLInputElement | HTMLTextAreaElement, value: string): void {
  el.value = value;
  el.dispatchEvent(new Event("input", { bubbles: true }));
}

/** Chooses a value in a select or toggles a checkbox, then fires change. */
export function choose(el: HTMLSelectElement | HTMLInputElement, value: string | boolean): void {
  if (typeof value === "boolean") (el as HTMLInputElement).checked = value;
  else el.value = value;
  el.dispatchEvent(new Event("change", { bubbles: true }));
  el.dispatchEvent(new Event("input", { bubbles: true }));
}

/** Renders the whole app over a fake shell and connects it, on `tab`. */
export async function startApp(overrides: Record<string, Handler> = {}, tab?: Tab) {
  const shell = new FakeShell(overrides);
  const root = document.createElement("div");
  document.body.append(root);
  const store = createStore();
  const stop = renderApp(root, store);
  await connect(store);
  if (tab) root.querySelector<HTMLButtonElement>(`[data-tab=${tab}]`)!.click();
  await settle();
  return { shell, root, store, stop };
}
