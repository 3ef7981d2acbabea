import { afterEach, describe, expect, it } from "vitest";
import { byTestId, callInfo, settle, startApp, teardown, typeInto } from "../test/shell";

afterEach(teardown);

const press = (root: HTMLElement, ...keys: string[]) => {
  for (const k of keys) byTestId(root, `key-${k}`).click();
};

describe("Keypad", () => {
  it("dials a feature access code with * and #, and backspace removes the last digit", async () => {
    const { root, shell } = await startApp({}, "keypad");
    press(root, "star", "8", "8", "1", "0", "0", "4", "hash");
    const input = byTestId<HTMLInputElement>(root, "keypad-input");
    expect(input.value).toBe("*881004#");
    byTestId(root, "keypad-backspace").click();
    expect(input.value).toBe("*881004");
    expect(byTestId(root, "keypad-call").getAttribute("aria-label")).toBe("Call");
    byTestId(root, "keypad-call").click();
    await settle();
    expect(shell.calls("place_call")).toEqual([{ target: "*881004", account: null }]);
    expect(input.value).toBe("");
    // the keys only dialled: no tones without a call
    expect(shell.calls("send_dtmf")).toEqual([]);
  });

  it("calls what was typed on Enter, unchanged (the engine normalises numbers)", async () => {
    const { root, shell } = await startApp({}, "keypad");
    const input = byTestId<HTMLInputElement>(root, "keypad-input");
    typeInto(input, " +1 (555) 010-9999 ");
    input.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", bubbles: true }));
    await settle();
    expect(shell.calls("place_call")).toEqual([{ target: "+1 (555) 010-9999", account: null }]);
  });

  it("does nothing with an empty number", async () => {
    const { root, shell } = await startApp({}, "keypad");
    byTestId(root, "keypad-call").click();
    await settle();
    expect(shell.calls("place_call")).toEqual([]);
  });

  it("keeps the number and shows the sentence when the call is refused", async () => {
    const { root } = await startApp(
      {
        place_call: () => {
          throw "no account to call from: add one in Settings";
        },
      },
      "keypad",
    );
    press(root, "1", "0", "0", "2");
    byTestId(root, "keypad-call").click();
    await settle();
    expect(byTestId<HTMLInputElement>(root, "keypad-input").value).toBe("1002");
    expect(byTestId(root, "notice-text").textContent).toBe("no account to call from: add one in Settings");
  });

  it("sends DTMF during an active call, and its button ends the call", async () => {
    const { root, shell } = await startApp({}, "keypad");
    await shell.emit({ type: "call", info: callInfo({ id: 7, direction: "outgoing", phase: "active", answeredMs: Date.now() }) });
    await settle();
    const banner = byTestId(root, "keypad-dtmf-banner");
    expect(banner.hidden).toBe(false);
    expect(banner.textContent).toContain("Bob");
    press(root, "5", "hash");
    await settle();
    expect(shell.calls("send_dtmf")).toEqual([
      { call: 7, digits: "5" },
      { call: 7, digits: "#" },
    ]);
    expect(byTestId<HTMLInputElement>(root, "keypad-input").value).toBe("5#");
    const button = byTestId(root, "keypad-call");
    expect(button.getAttribute("aria-label")).toBe("End call");
    button.click();
    await settle();
    expect(shell.calls("hangup_call")).toEqual([{ call: 7 }]);
    expect(shell.calls("place_call")).toEqual([]);
  });

  it("typed digits become tones in a call too", async () => {
    const { root, shell } = await startApp({}, "keypad");
    await shell.emit({ type: "call", info: callInfo({ id: 3, phase: "active", answeredMs: Date.now() }) });
    await settle();
    byTestId(root, "keypad-input").dispatchEvent(new KeyboardEvent("keydown", { key: "9", bubbles: true, cancelable: true }));
    await settle();
    expect(shell.calls("send_dtmf")).toEqual([{ call: 3, digits: "9" }]);
  });

  it("does not send tones while the call is still dialling", async () => {
    const { root, shell } = await startApp({}, "keypad");
    await shell.emit({ type: "call", info: callInfo({ id: 4, direction: "outgoing", phase: "dialing" }) });
    await settle();
    press(root, "1");
    await settle();
    expect(shell.calls("send_dtmf")).toEqual([]);
    expect(byTestId(root, "keypad-dtmf-banner").hidden).toBe(true);
  });
});
