// End-to-end tests in the real app window (Xvfb + tauri-driver + WebKitWebDriver).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { Session } from "./webdriver.mjs";

const DRIVER = process.env.HANDSET_WEBDRIVER;
const APP = process.env.HANDSET_APP;
const SHOTS = process.env.HANDSET_SCREENSHOTS;

let s;

before(async () => {
  assert.ok(DRIVER && APP, "run through tests/e2e/run.sh (sets HANDSET_WEBDRIVER and HANDSET_APP)");
  s = await Session.start(DRIVER, APP);
});

after(async () => {
  await s?.close();
});

test("opens on the Messages dashboard", async () => {
  assert.equal(await s.textOf("[role=tab][aria-selected=true]"), "Messages");
  assert.equal(await s.textOf("h1"), "Messages");
});

test("every tab can be visited, with a screenshot of each", async () => {
  mkdirSync(SHOTS, { recursive: true });
  for (const [tab, title] of [
    ["messages", "Messages"],
    ["chat", "Chat"],
    ["calls", "Calls"],
    ["contacts", "Contacts"],
    ["keypad", "Keypad"],
    ["meetings", "Meetings"],
  ]) {
    await s.click(`[data-tab=${tab}]`);
    assert.equal(await s.textOf("h1"), title);
    writeFileSync(join(SHOTS, `${tab}.png`), await s.screenshot());
  }
});

test("the footer shows the version from the Rust side", async () => {
  let text = "";
  for (let i = 0; i < 50 && !text; i++) {
    text = await s.textOf(".footer");
    if (!text) await new Promise((r) => setTimeout(r, 100));
  }
  assert.match(text, /^Version \d+\.\d+\.\d+/);
});

test("the built-in local account calls the echo peer, and the call lands in the history", async () => {
  const call = await s.invoke("place_call", { target: "echo", account: null });
  let active = null;
  for (let i = 0; i < 100 && !active; i++) {
    const calls = await s.invoke("list_calls");
    active = calls.find((c) => c.id === call && c.phase === "active") ?? null;
    if (!active) await new Promise((r) => setTimeout(r, 100));
  }
  assert.ok(active, "the echo peer answered");
  assert.ok(active.codec, "a codec was negotiated");
  await new Promise((r) => setTimeout(r, 1000));
  await s.invoke("hangup_call", { call });
  let rows = [];
  // the row appears when the call starts; its duration once it has ended
  for (let i = 0; i < 50 && !rows.some((r) => r.outcome === "answered" && r.durationS >= 1); i++) {
    rows = await s.invoke("call_history", { filter: "all", limit: 10 });
    await new Promise((r) => setTimeout(r, 100));
  }
  const row = rows.find((r) => r.outcome === "answered");
  assert.ok(row, `history: ${JSON.stringify(rows)}`);
  assert.match(row.remoteUri, /echo@127\.0\.0\.1/);
  assert.ok(row.durationS >= 1, `duration ${row.durationS}`);
});

test("a bad account setting is refused with a sentence, and nothing is saved", async () => {
  const before = await s.invoke("list_accounts");
  await assert.rejects(
    s.invoke("save_account", {
      id: null,
      config: { displayName: null, user: "two words", domain: "pbx.example.com", authUser: null, server: null, transport: "udp", expires: 600, keepaliveSecs: 30, register: true },
      password: "secret",
    }),
    /user 'two words' must be non-empty, without spaces/,
  );
  const after = await s.invoke("list_accounts");
  assert.equal(after.length, before.length);
  assert.ok(after.some((a) => a.local), "the local account is there by default");
  assert.ok(!JSON.stringify(after).includes("secret"), "passwords never come back to the UI");
});

test("a tel: link opened while the app runs reaches the running app, ready to call", async () => {
  // the second start hands its arguments to the first one and exits
  const second = spawnSync(APP, ["tel:+1-555-010-2030"], { timeout: 20000, env: process.env });
  assert.equal(second.status, 0, `second instance: ${second.stderr}`);
  let target = null;
  for (let i = 0; i < 50 && !target; i++) {
    target = await s.invoke("take_pending_dial");
    if (!target) await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(target, "+1-555-010-2030");
  // the UI opened New Call with the number filled in, ready to call
  const input = await s.find("[data-testid=new-call-input]", 5000);
  const value = await s.executeAsync("arguments[arguments.length - 1](arguments[0].value)", [
    { "element-6066-11e4-a52e-4f735466cecf": input.id },
  ]);
  assert.equal(value, "+1-555-010-2030");
  await input.type("\uE00C"); // Escape closes the dialog
  for (let i = 0; i < 30 && (await s.findAll("[data-testid=new-call-input]")).length; i++) {
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal((await s.findAll("[data-testid=new-call-input]")).length, 0, "Escape closed New Call");
});

test("Do Not Disturb set from the Quick Menu's command is kept", async () => {
  await s.invoke("set_presence", { presence: "dnd" });
  assert.equal((await s.invoke("get_profile")).presence, "dnd");
  await s.invoke("set_presence", { presence: "available" });
  await assert.rejects(s.invoke("set_presence", { presence: "sleeping" }), /must be available, busy or dnd/);
});

test("a chat message to the echo peer is stored, sent and listed, its text kept as text", async () => {
  const text = "hello <b>there</b> & co";
  const sent = await s.invoke("send_message", { to: "echo", text, account: null });
  assert.equal(sent.status, "pending", "stored before it is sent");
  let msgs = [];
  for (let i = 0; i < 50 && !msgs.some((m) => m.status === "sent" || m.status === "delivered"); i++) {
    msgs = await s.invoke("list_messages", { conversation: sent.conversationId, before: null, limit: 10 });
    await new Promise((r) => setTimeout(r, 100));
  }
  const m = msgs.find((x) => x.messageId === sent.messageId);
  assert.ok(m && (m.status === "sent" || m.status === "delivered"), JSON.stringify(msgs));
  assert.equal(m.body, text);
  const convs = await s.invoke("list_conversations", { channel: "messages" });
  assert.ok(convs.some((c) => c.id === sent.conversationId && c.lastMessage === text), JSON.stringify(convs));
  const hits = await s.invoke("search_messages", { query: "there", limit: 10 });
  assert.ok(hits.some((h) => h.message.messageId === sent.messageId && h.highlighted.includes("\u0001there\u0002")), JSON.stringify(hits));
});

test("through the screens: dial from the Keypad, the in-call screen shows the call, End hangs up, Calls lists it", async () => {
  await s.click("[data-tab=keypad]");
  const input = await s.find("[data-testid=keypad-input]");
  await input.type("600");
  await s.click("[data-testid=keypad-call]");
  await s.find("[data-testid=call-panel]", 10000);
  let codec = "";
  for (let i = 0; i < 60 && !codec; i++) {
    try {
      codec = await s.textOf("[data-testid=quality-codec]", 500);
    } catch {
      codec = "";
    }
    if (!codec) await new Promise((r) => setTimeout(r, 100));
  }
  writeFileSync(join(SHOTS, "in-call.png"), await s.screenshot());
  assert.ok(codec, "the quality indicator names the codec");
  const problems = await s.findAll("[data-testid=call-media-problem]");
  const said = problems.length ? (await s.textOf("[data-testid=call-media-problem]")).trim() : "";
  assert.equal(said, "", "audio started (without a sound card: silence)");
  await s.click("[data-testid=call-end]");
  for (let i = 0; i < 50; i++) {
    const panels = await s.findAll("[data-testid=call-panel]");
    if (panels.length === 0) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal((await s.findAll("[data-testid=call-panel]")).length, 0, "the call screen closes");
  await s.click("[data-tab=calls]");
  let rows = [];
  for (let i = 0; i < 50 && rows.length === 0; i++) {
    rows = await s.findAll("[data-testid^=history-row-]");
    if (rows.length === 0) await new Promise((r) => setTimeout(r, 100));
  }
  assert.ok(rows.length >= 1, "the call is in the history list");
});

test("through the Chat screen: start a conversation, send, see the bubble go out", async () => {
  await s.click("[data-tab=chat]");
  await s.click("[data-testid=chat-plus]");
  await s.click("[data-testid=chat-create-message]");
  await (await s.find("[data-testid=chat-to]")).type("echo-chat");
  await s.click("[data-testid=chat-to-go]");
  await (await s.find("[data-testid=chat-input]")).type("from the screen <i>");
  await s.click("[data-testid=chat-send]");
  let text = "";
  for (let i = 0; i < 50 && text !== "from the screen <i>"; i++) {
    try {
      text = await s.textOf("[data-testid=chat-thread] .bubble.out [data-testid=chat-message-text]", 500);
    } catch {
      text = "";
    }
    if (text !== "from the screen <i>") await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(text, "from the screen <i>", "the bubble shows the text as written");
  writeFileSync(join(SHOTS, "chat-thread.png"), await s.screenshot());
});
