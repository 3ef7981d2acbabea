// Every control the user can operate carries a stable data-testid (the E2E
// tests and other tools drive the app only through them).

import { afterEach, describe, expect, it } from "vitest";
import { TABS } from "./state";
import { byTestId, callInfo, contact, settle, startApp, teardown } from "./test/shell";

afterEach(teardown);

const CONTROLS = "button, input, select, textarea, a[href], [role=menuitem], [role=radio], [role=tab], [role=switch]";

/** Controls in `root` without a data-testid, described for the failure message. */
function unnamed(root: ParentNode): string[] {
  return [...root.querySelectorAll<HTMLElement>(CONTROLS)]
    .filter((el) => !el.dataset.testid)
    .map((el) => `${el.tagName.toLowerCase()}.${el.className} "${(el.textContent ?? "").trim().slice(0, 30)}" in ${el.closest("[data-testid]")?.getAttribute("data-testid")}`);
}

describe("data-testid on every control", () => {
  it("every tab, the title bar, the popovers and the call screens", async () => {
    const conv = { id: 7, channel: "messages", kind: "direct", peer: "sip:202@pbx.example.com", title: null, lastActivityMs: 1, unread: 1, lastMessage: "hi" };
    const { root, shell } = await startApp({
      list_contacts: () => [contact({ id: 1, kind: "personal", extension: "1005" })],
      list_conversations: () => [conv],
      call_history: () => [{ id: 1, direction: "incoming", remoteUri: "sip:1002@pbx", remoteName: null, startedMs: 1, durationS: 3, outcome: "answered" }],
    });
    const missing: string[] = [];
    for (const tab of TABS) {
      byTestId(root, `nav-${tab}`).click();
      await settle();
      missing.push(...unnamed(document.body));
    }
    // the forms and menus that open inside screens
    byTestId(root, "nav-contacts").click();
    await settle();
    byTestId(root, "contact-open-1").click();
    missing.push(...unnamed(document.body));
    byTestId(root, "add-contact").click();
    missing.push(...unnamed(document.body));
    byTestId(root, "nav-chat").click();
    await settle();
    byTestId(root, "chat-conversation-7").click();
    byTestId(root, "chat-plus").click();
    await settle();
    missing.push(...unnamed(document.body));
    byTestId(root, "nav-meetings").click();
    byTestId(root, "meeting-schedule").click();
    missing.push(...unnamed(document.body));
    byTestId(root, "nav-calls").click();
    await settle();
    byTestId(root, "new-call").click();
    await settle();
    missing.push(...unnamed(document.body));
    byTestId(document.body, "new-call-dialog-close").click();
    // Quick Menu, Call Hub, Settings with the account form
    byTestId(root, "profile").click();
    missing.push(...unnamed(document.body));
    byTestId(root, "callhub").click();
    missing.push(...unnamed(document.body));
    byTestId(root, "profile").click();
    byTestId(root, "open-settings").click();
    await settle();
    byTestId(root, "account-add").click();
    missing.push(...unnamed(document.body));
    // a ringing call and a connected one with its keypad, transfer menu and form
    await shell.emit({ type: "incomingCall", info: callInfo({ id: 8 }) });
    await shell.emit({ type: "call", info: callInfo({ id: 9, phase: "active", answeredMs: Date.now(), startedMs: 1 }) });
    await shell.emit({ type: "call", info: callInfo({ id: 10, phase: "active", held: true, answeredMs: Date.now(), startedMs: 2 }) });
    await settle();
    byTestId(root, "call-keypad").click();
    missing.push(...unnamed(document.body));
    byTestId(root, "call-transfer").click();
    missing.push(...unnamed(document.body));
    byTestId(root, "transfer-blind").click();
    await settle();
    missing.push(...unnamed(document.body));
    expect([...new Set(missing)]).toEqual([]);
  });
});
