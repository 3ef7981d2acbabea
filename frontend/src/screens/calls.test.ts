import { afterEach, describe, expect, it } from "vitest";
import type { CallRecord } from "../api/types";
import { byTestId, callInfo, contact, maybeTestId, record, settle, startApp, teardown, typeInto } from "../test/shell";

afterEach(teardown);

const HISTORY: CallRecord[] = [
  record({ id: 1, remoteName: "Bob", remoteUri: "sip:1002@pbx.example.com", outcome: "answered", direction: "incoming", durationS: 65 }),
  record({ id: 2, remoteName: null, remoteUri: "sip:+15550100@pbx.example.com", outcome: "missed", direction: "incoming", durationS: 0 }),
  record({ id: 3, remoteName: "Carol", remoteUri: "sip:1003@pbx.example.com", outcome: "failed", direction: "outgoing", durationS: 0 }),
];

const history = (args: Record<string, unknown>) => (args.filter === "missed" ? HISTORY.filter((r) => r.outcome === "missed") : HISTORY);

const names = (root: HTMLElement) => [...root.querySelectorAll("[data-testid=history-name]")].map((e) => e.textContent);

describe("Calls", () => {
  it("lists the whole history first", async () => {
    const { root, shell } = await startApp({ call_history: history }, "calls");
    expect(shell.calls("call_history")).toEqual([{ filter: "all", limit: 200 }]);
    expect(names(root)).toEqual(["Bob", "sip:+15550100@pbx.example.com", "Carol"]);
    expect(byTestId(root, "history-row-2").dataset.outcome).toBe("missed");
    expect(byTestId(root, "history-row-1").textContent).toContain("1:05");
    expect(byTestId(root, "calls-filter-all").getAttribute("aria-selected")).toBe("true");
  });

  it("Missed asks the shell for missed calls only, renders only those, and clears the badge", async () => {
    const { root, shell } = await startApp({ call_history: history }, "calls");
    byTestId(root, "calls-filter-missed").click();
    await settle();
    expect(shell.calls("call_history").at(-1)).toEqual({ filter: "missed", limit: 200 });
    expect(shell.calls("clear_missed")).toHaveLength(1);
    expect(names(root)).toEqual(["sip:+15550100@pbx.example.com"]);
    expect(byTestId(root, "calls-filter-missed").getAttribute("aria-selected")).toBe("true");
    byTestId(root, "calls-filter-all").click();
    await settle();
    expect(names(root)).toHaveLength(3);
  });

  it("an old answer arriving late does not replace the newer filter", async () => {
    let releaseAll: (v: CallRecord[]) => void = () => {};
    let first = true;
    const { root } = await startApp({
      call_history: (args) => {
        if (args.filter === "all" && !first) return new Promise<CallRecord[]>((r) => (releaseAll = r));
        first = false;
        return history(args);
      },
    }, "calls");
    byTestId(root, "calls-filter-all").click(); // slow
    byTestId(root, "calls-filter-missed").click(); // fast
    await settle();
    releaseAll(HISTORY);
    await settle();
    expect(names(root)).toEqual(["sip:+15550100@pbx.example.com"]);
  });

  it("calls back the row's address on click", async () => {
    const { root, shell } = await startApp({ call_history: history }, "calls");
    byTestId(root, "history-row-3").click();
    await settle();
    expect(shell.calls("place_call")).toEqual([{ target: "sip:1003@pbx.example.com", account: null }]);
    expect(byTestId(root, "history-row-3").getAttribute("aria-label")).toBe("Call back Carol");
  });

  it("says so when there are no calls or no missed calls", async () => {
    const { root } = await startApp({}, "calls");
    expect(byTestId(root, "history-empty").textContent).toBe("No calls yet.");
    byTestId(root, "calls-filter-missed").click();
    await settle();
    expect(byTestId(root, "history-empty").textContent).toBe("No missed calls.");
  });

  it("reloads when a call ends", async () => {
    const { shell } = await startApp({}, "calls");
    expect(shell.calls("call_history")).toHaveLength(1);
    await shell.emit({ type: "call", info: callInfo({ id: 5, phase: "active", answeredMs: 1 }) });
    await shell.emit({ type: "call", info: callInfo({ id: 5, phase: "ended", answeredMs: 1, endReason: "hung up" }) });
    await settle();
    expect(shell.calls("call_history")).toHaveLength(2);
  });

  it("shows a caller's name containing markup as literal text", async () => {
    const { root } = await startApp({ call_history: () => [record({ id: 9, remoteName: "<b>Mallory</b><img src=x>" })] }, "calls");
    expect(root.querySelector(".history b, .history img")).toBeNull();
    expect(names(root)).toEqual(["<b>Mallory</b><img src=x>"]);
  });

  it("New Call dials a typed number and closes", async () => {
    const { root, shell } = await startApp({}, "calls");
    byTestId(root, "new-call").click();
    const dialog = byTestId(document.body, "new-call-dialog");
    expect(dialog.getAttribute("role")).toBe("dialog");
    typeInto(byTestId<HTMLInputElement>(dialog, "new-call-input"), "1004");
    byTestId(dialog, "new-call-dial").click();
    await settle();
    expect(shell.calls("place_call")).toEqual([{ target: "1004", account: null }]);
    expect(maybeTestId(document.body, "new-call-dialog")).toBeNull();
  });

  it("New Call picks a contact by search and calls its extension", async () => {
    const { root, shell } = await startApp(
      {
        list_contacts: (a) => (String(a.query).toLowerCase().startsWith("ali") ? [contact({ id: 4, name: "Alice", extension: "1005", phones: [{ label: "mobile", number: "+15551234567" }] })] : []),
      },
      "calls",
    );
    byTestId(root, "new-call").click();
    const dialog = byTestId(document.body, "new-call-dialog");
    typeInto(byTestId<HTMLInputElement>(dialog, "new-call-search"), "ali");
    await settle();
    expect(shell.calls("list_contacts").at(-1)).toEqual({ tab: "all", query: "ali" });
    const picks = dialog.querySelectorAll("[data-testid^=new-call-pick-]");
    expect(picks).toHaveLength(2);
    (picks[0] as HTMLButtonElement).click();
    await settle();
    expect(shell.calls("place_call")).toEqual([{ target: "1005", account: null }]);
  });

  it("New Call keeps Tab inside the dialog", async () => {
    const { root } = await startApp({}, "calls");
    byTestId(root, "new-call").click();
    const dialog = byTestId(document.body, "new-call-dialog");
    const focusables = [...dialog.querySelectorAll<HTMLElement>("button, input")];
    focusables[focusables.length - 1].focus();
    document.dispatchEvent(new KeyboardEvent("keydown", { key: "Tab", bubbles: true, cancelable: true }));
    expect(document.activeElement).toBe(focusables[0]);
    document.dispatchEvent(new KeyboardEvent("keydown", { key: "Tab", shiftKey: true, bubbles: true, cancelable: true }));
    expect(document.activeElement).toBe(focusables[focusables.length - 1]);
  });

  it("New Call closes on Escape without calling", async () => {
    const { root, shell } = await startApp({}, "calls");
    byTestId(root, "new-call").click();
    document.dispatchEvent(new KeyboardEvent("keydown", { key: "Escape", bubbles: true }));
    expect(maybeTestId(document.body, "new-call-dialog")).toBeNull();
    expect(shell.calls("place_call")).toEqual([]);
  });
});
