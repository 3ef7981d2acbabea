// A development preview of the UI over the fake shell the tests use, for a
// look in a browser without the Rust side (`npm run dev`, then open
// /preview.html?tab=contacts&call=1&incoming=1&theme=dark&settings=1&menu=1).
// It is not part of the production build (only index.html is).

import { renderApp } from "./app";
import { applyTheme, connect, createStore, flagParkedCall, type Tab } from "./state";
import { account, callInfo, contact, FakeShell, record, settings } from "./test/shell";

const q = new URLSearchParams(location.search);
const shell = new FakeShell({
  list_accounts: () => [
    account(1, {}, { registration: { state: "registered", expires: 600, contact: null, server: "udp:10.0.0.1:5060", reason: null, retryInMs: null } }),
    account(2, { displayName: "Echo test", user: "echo", domain: "127.0.0.1", register: false }, { local: true }),
  ],
  call_history: (a) =>
    [
      record({ id: 1, remoteName: "Bob Jones", outcome: "answered", durationS: 754 }),
      record({ id: 2, remoteName: null, remoteUri: "sip:+15550100@pbx.example.com", outcome: "missed", durationS: 0, startedMs: 1_700_000_500_000 }),
      record({ id: 3, remoteName: "Carol King", remoteUri: "sip:1003@pbx.example.com", direction: "outgoing", outcome: "failed", durationS: 0 }),
      record({ id: 4, remoteName: "<b>Mallory</b>", direction: "outgoing", outcome: "answered", durationS: 38 }),
    ].filter((r) => a.filter !== "missed" || r.outcome === "missed"),
  list_contacts: () => [
    contact({ id: 1, name: "Alice Smith", kind: "user", extension: "1005", phones: [], presence: "available", favorite: true }),
    contact({ id: 2, name: "Bob Jones", kind: "company", company: "Acme", phones: [{ label: "work", number: "+15550001" }] }),
    contact({ id: 3, name: "Carol King", kind: "personal", phones: [{ label: "mobile", number: "+15550002" }, { label: "home", number: "+15550003" }] }),
  ],
  get_settings: () => settings({ theme: (q.get("theme") as "light" | "dark") ?? "system" }),
  list_conversations: (a) =>
    [
      { id: 1, channel: "messages", kind: "direct", peer: "sip:1005@pbx.example.com", title: "Alice Smith", lastActivityMs: Date.now() - 600_000, unread: 2, lastMessage: "Can you take the 3 pm call?" },
      { id: 2, channel: "messages", kind: "direct", peer: "sip:1003@pbx.example.com", title: null, lastActivityMs: 1_700_000_000_000, unread: 0, lastMessage: "Thanks <b>a lot</b>!" },
      { id: 3, channel: "sms", kind: "direct", peer: "tel:+15550100", title: null, lastActivityMs: 1_700_000_100_000, unread: 1, lastMessage: "Running late" },
    ].filter((c) => !a.channel || c.channel === a.channel),
  list_messages: (a) =>
    a.conversation === 1
      ? [
          { id: 1, conversationId: 1, messageId: "a", direction: "in", sender: "sip:1005@pbx.example.com", body: "Can you take the 3 pm call?", createdMs: Date.now() - 600_000, status: "received" },
          { id: 2, conversationId: 1, messageId: "b", direction: "out", sender: "sip:1001@pbx.example.com", body: "Yes, put it through.", createdMs: Date.now() - 500_000, status: "read" },
        ]
      : [],
});
const root = document.getElementById("app")!;
const store = createStore();
renderApp(root, store);
void connect(store).then(async () => {
  if (q.get("tab")) store.set({ tab: q.get("tab") as Tab });
  if (q.get("settings")) store.set({ page: "settings" });
  if (q.get("menu")) store.set({ quickMenuOpen: true });
  if (q.get("parked")) flagParkedCall(store);
  if (q.get("theme")) applyTheme(q.get("theme") as "light" | "dark");
  if (q.get("call")) {
    await shell.emit({ type: "call", info: callInfo({ id: 7, direction: "outgoing", phase: "active", answeredMs: Date.now() - 125_000, codec: "opus", secure: true }) });
    await shell.emit({ type: "callQuality", call: 7, quality: { codec: "opus", packetsSent: 6000, packetsReceived: 5950, lossPercent: 0.8, jitterMs: 7.2, rttMs: 38, mos: 4.21, remoteLossPercent: 0.2 } });
  }
  if (q.get("incoming")) await shell.emit({ type: "incomingCall", info: callInfo({ id: 9, remoteName: "Dave Miller", remoteUri: "sip:1009@pbx.example.com" }) });
});

// ?click=a,b,c clicks those data-testids in turn once the app has settled
const clicks = (q.get("click") ?? "").split(",").filter(Boolean);
setTimeout(function next() {
  const id = clicks.shift();
  if (!id) return;
  document.querySelector<HTMLElement>(`[data-testid="${id}"]`)?.click();
  setTimeout(next, 150);
}, 300);
