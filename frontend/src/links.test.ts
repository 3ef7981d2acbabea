import { afterEach, describe, expect, it } from "vitest";
import { byTestId, maybeTestId, profile, settle, startApp, teardown } from "./test/shell";

afterEach(teardown);

describe("links and the tray", () => {
  it("a dial-request fills New Call and waits for the user to call", async () => {
    const { shell } = await startApp();
    await shell.emitRaw("dial-request", "+1 555 010 9999");
    await settle();
    const dialog = byTestId(document.body, "new-call-dialog");
    expect(byTestId<HTMLInputElement>(dialog, "new-call-input").value).toBe("+1 555 010 9999");
    expect(shell.calls("place_call")).toEqual([]);
    byTestId(dialog, "new-call-dial").click();
    await settle();
    expect(shell.calls("place_call")).toEqual([{ target: "+1 555 010 9999", account: null }]);
  });

  it("a link the app was started with is taken once at start", async () => {
    const { shell } = await startApp({ take_pending_dial: () => "sip:alice@example.com" });
    expect(shell.calls("take_pending_dial")).toHaveLength(1);
    expect(byTestId<HTMLInputElement>(document.body, "new-call-input").value).toBe("sip:alice@example.com");
  });

  it("a second link while New Call is open replaces the number instead of opening another", async () => {
    const { shell } = await startApp({ take_pending_dial: () => "1001" });
    await shell.emitRaw("dial-request", "1002");
    await settle();
    expect(document.querySelectorAll("[data-testid=new-call-dialog]")).toHaveLength(1);
    expect(byTestId<HTMLInputElement>(document.body, "new-call-input").value).toBe("1002");
    byTestId(document.body, "new-call-dialog-close").click();
    expect(maybeTestId(document.body, "new-call-dialog")).toBeNull();
  });

  it("a presence set from the tray shows in the title bar", async () => {
    let presence: "available" | "dnd" = "available";
    const { shell, root } = await startApp({ get_profile: () => profile({ presence }) });
    presence = "dnd";
    await shell.emitRaw("presence-changed", "dnd");
    await settle();
    expect(root.querySelector(".avatar .presence-dot")?.classList.contains("dnd")).toBe(true);
  });
});
