// End-to-end tests of the screens, driven only through their data-testids in
// the real app window (Xvfb + tauri-driver + WebKitWebDriver), against the
// real shell and engine: the built-in local account and its echo peer.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { Session, sleep } from "./webdriver.mjs";

const DRIVER = process.env.HANDSET_WEBDRIVER;
const APP = process.env.HANDSET_APP;

let s;

before(async () => {
  assert.ok(DRIVER && APP, "run through tests/e2e/run.sh (sets HANDSET_WEBDRIVER and HANDSET_APP)");
  s = await Session.start(DRIVER, APP);
});

after(async () => {
  await s?.close();
});

const id = (testid) => `[data-testid="${testid}"]`;

/** Runs `script` (a function body returning a value) in the page. */
async function page(script, args = []) {
  return s.executeAsync(`const done = arguments[arguments.length - 1]; done((function () { ${script} }).apply(null, arguments));`, args);
}

async function exists(css) {
  return (await s.findAll(css)).length > 0;
}

async function until(what, check, timeoutMs = 10000) {
  const end = Date.now() + timeoutMs;
  let last;
  while (Date.now() < end) {
    last = await check();
    if (last) return last;
    await sleep(100);
  }
  assert.fail(`timed out waiting for ${what} (last: ${JSON.stringify(last)})`);
}

test("the keypad dials the echo peer, the call panel shows it connected, and End hangs up", async () => {
  await s.click(id("nav-keypad"));
  for (const k of ["keypad-input"]) await s.find(id(k));
  // type the target the way a person would: into the number field
  await (await s.find(id("keypad-input"))).type("echo");
  await s.click(id("keypad-call"));
  await s.find(id("call-panel"), 10000);
  await until("the echo peer to answer", async () => (await s.textOf(id("call-status"))) === "Connected");
  await until("the timer to run", async () => /^\d+:\d\d$/.test(await s.textOf(id("call-timer"))));
  await until("a codec", async () => !["", "—"].includes(await s.textOf(id("quality-codec"))));
  // in a call the keypad's keys are tones and its button ends the call
  assert.equal(await (await s.find(id("keypad-call"))).attr("aria-label"), "End call");
  await s.click(id("key-1"));
  await s.click(id("call-end"));
  await until("the call panel to go", async () => !(await exists(id("call-panel"))));
});

test("the call lands in Calls, and Missed filters the list", async () => {
  await s.click(id("nav-calls"));
  await until("a history row", () => exists("[data-testid^=history-row-]"));
  const label = await (await s.find("[data-testid^=history-row-]")).attr("aria-label");
  assert.match(label, /^Call back /);
  await s.click(id("calls-filter-missed"));
  await until("the Missed filter", async () => (await (await s.find(id("calls-filter-missed"))).attr("aria-selected")) === "true");
  const outcomes = await page(`return [...document.querySelectorAll("[data-testid^=history-row-]")].map((e) => e.dataset.outcome);`);
  assert.ok(outcomes.every((o) => o === "missed"), `outcomes under Missed: ${outcomes}`);
});

test("the Quick Menu shows presence and opens Settings", async () => {
  await s.click(id("profile"));
  await s.find(id("quick-menu"));
  assert.equal(await (await s.find(id("presence-available"))).attr("role"), "radio");
  await s.click(id("open-settings"));
  assert.equal(await s.textOf("h1"), "Settings");
});

test("a bad account setting shows the shell's sentence next to the form", async () => {
  await s.click(id("account-add"));
  await (await s.find(id("account-user"))).type("two words");
  await (await s.find(id("account-domain"))).type("pbx.example.com");
  await s.click(id("account-save"));
  await until("the refusal", async () => /must be non-empty, without spaces/.test(await s.textOf(id("account-error"))));
  await s.click(id("account-cancel"));
});

test("the theme applies through data-theme and is kept when saved", async () => {
  await s.click(id("theme-dark"));
  assert.equal(await page(`return document.documentElement.dataset.theme;`), "dark");
  await s.click(id("settings-save"));
  await until("saved", async () => (await s.textOf(id("settings-status"))) === "Saved.");
  const saved = await s.invoke("get_settings");
  assert.equal(saved.theme, "dark");
  await s.click(id("settings-close"));
  assert.equal(await page(`return document.documentElement.dataset.theme;`), "dark");
  // back to the default for whoever runs next
  await s.invoke("save_settings", { settings: { ...saved, theme: "system" } });
});

test("a contact added through the form can be starred and called", async () => {
  await s.click(id("nav-contacts"));
  await s.click(id("add-contact"));
  await (await s.find(id("contact-name-input"))).type("E2E <b>Echo</b>");
  await (await s.find(id("contact-phone-0"))).type("echo");
  await s.click(id("contact-save"));
  await until("the new contact's details", async () => (await s.textOf(id("contact-detail-name"))) === "E2E <b>Echo</b>");
  assert.equal(await page(`return document.querySelector(".contacts-screen b") === null;`), true, "names are text, not markup");
  await s.click(id("contact-detail-fav"));
  await until("the star", async () => (await (await s.find(id("contact-detail-fav"))).attr("aria-pressed")) === "true");
  await s.click(id("contact-detail-call"));
  await s.find(id("call-panel"), 10000);
  await until("connected", async () => (await s.textOf(id("call-status"))) === "Connected");
  await s.click(id("call-end"));
  await until("the call panel to go", async () => !(await exists(id("call-panel"))));
  // tidy up
  const [c] = (await s.invoke("list_contacts", { tab: "all", query: "E2E" })).filter((x) => x.name === "E2E <b>Echo</b>");
  if (c) await s.invoke("delete_contact", { id: c.id });
});

test("the Messages dashboard lists a conversation and opens it in Chat, its text kept as text", async () => {
  const body = "dashboard <u>check</u>";
  const sent = await s.invoke("send_message", { to: "echo", text: body, account: null });
  // leave and come back so the dashboard lists afresh (message events refresh it too)
  await s.click(id("nav-calls"));
  await s.click(id("nav-messages"));
  const row = id(`messages-conversation-${sent.conversationId}`);
  await until("the conversation on the dashboard", () => exists(row));
  await s.click(row);
  await until("Chat showing the thread", async () => (await s.textOf(id("chat-thread"))).includes(body));
  assert.equal(await (await s.find(id("nav-chat"))).attr("aria-selected"), "true");
  assert.equal(await page(`return document.querySelector("[data-testid=chat-thread] u") === null;`), true, "message text is text, not markup");
});
