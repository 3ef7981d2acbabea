// End-to-end tests in the real app window (Xvfb + tauri-driver + WebKitWebDriver).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
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
