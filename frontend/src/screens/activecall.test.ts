import { afterEach, describe, expect, it, vi } from "vitest";
import { byTestId, callInfo, contact, maybeTestId, settle, startApp, teardown, typeInto } from "../test/shell";
import type { CallQuality } from "../api/generated/CallQuality";

afterEach(() => {
  vi.useRealTimers();
  teardown();
});

const T0 = Date.UTC(2025, 0, 1, 12, 0, 0);

async function inCall(overrides: Parameters<typeof startApp>[0] = {}, info = {}) {
  const app = await startApp(overrides, "contacts");
  await app.shell.emit({ type: "call", info: callInfo({ id: 7, direction: "outgoing", phase: "active", answeredMs: Date.now() - 65_000, codec: "opus", ...info }) });
  await settle();
  return { ...app, panel: byTestId(app.root, "call-panel") };
}

function quality(q: Partial<CallQuality> = {}): CallQuality {
  return { codec: "opus", packetsSent: 500, packetsReceived: 490, lossPercent: 2.54, jitterMs: 12.4, rttMs: 40, mos: 3.86, remoteLossPercent: 0.5, ...q };
}

describe("call panel", () => {
  it("shows the other party and a timer counting from answeredMs", async () => {
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval", "Date"] });
    vi.setSystemTime(T0);
    const { panel } = await inCall();
    expect(byTestId(panel, "call-remote").textContent).toBe("Bob");
    expect(byTestId(panel, "call-remote-uri").textContent).toBe("sip:1002@pbx.example.com");
    expect(byTestId(panel, "call-status").textContent).toBe("Connected");
    expect(byTestId(panel, "call-timer").textContent).toBe("1:05");
    vi.advanceTimersByTime(10_000);
    expect(byTestId(panel, "call-timer").textContent).toBe("1:15");
    vi.advanceTimersByTime(3600_000);
    expect(byTestId(panel, "call-timer").textContent).toBe("1:01:15");
  });

  it("has no timer before the answer, and hold/keypad/transfer wait for it", async () => {
    const { root, shell } = await startApp();
    await shell.emit({ type: "call", info: callInfo({ id: 2, direction: "outgoing", phase: "ringing" }) });
    await settle();
    const panel = byTestId(root, "call-panel");
    expect(byTestId(panel, "call-status").textContent).toBe("Ringing…");
    expect(byTestId(panel, "call-timer").textContent).toBe("");
    for (const id of ["call-hold", "call-keypad", "call-transfer"]) expect(byTestId<HTMLButtonElement>(panel, id).disabled).toBe(true);
    expect(byTestId<HTMLButtonElement>(panel, "call-end").disabled).toBe(false);
    byTestId(panel, "call-end").click();
    await settle();
    expect(shell.calls("hangup_call")).toEqual([{ call: 2 }]);
  });

  it("mute and hold ask the engine and show what it reports", async () => {
    const { shell, panel } = await inCall();
    const mute = byTestId(panel, "call-mute");
    expect(mute.getAttribute("aria-pressed")).toBe("false");
    mute.click();
    await settle();
    expect(shell.calls("mute_call")).toEqual([{ call: 7, on: true }]);
    // unchanged until the engine says so
    expect(mute.getAttribute("aria-pressed")).toBe("false");
    await shell.emit({ type: "call", info: callInfo({ id: 7, direction: "outgoing", phase: "active", answeredMs: Date.now(), muted: true }) });
    await settle();
    expect(mute.getAttribute("aria-pressed")).toBe("true");
    expect(mute.getAttribute("aria-label")).toBe("Unmute");

    byTestId(panel, "call-hold").click();
    await settle();
    expect(shell.calls("hold_call")).toEqual([{ call: 7, on: true }]);
    await shell.emit({ type: "call", info: callInfo({ id: 7, direction: "outgoing", phase: "active", answeredMs: Date.now(), muted: true, held: true }) });
    await settle();
    expect(byTestId(panel, "call-hold").getAttribute("aria-pressed")).toBe("true");
    expect(byTestId(panel, "call-status").textContent).toBe("On hold");
    byTestId(panel, "call-hold").click();
    await settle();
    expect(shell.calls("hold_call").at(-1)).toEqual({ call: 7, on: false });
  });

  it("says when the other side holds", async () => {
    const { panel } = await inCall({}, { remoteHeld: true });
    expect(byTestId(panel, "call-status").textContent).toBe("The other party put you on hold");
  });

  it("its keypad sends DTMF digit by digit", async () => {
    const { shell, panel } = await inCall();
    const toggle = byTestId(panel, "call-keypad");
    expect(byTestId(panel, "call-dtmf").hidden).toBe(true);
    toggle.click();
    expect(toggle.getAttribute("aria-expanded")).toBe("true");
    expect(byTestId(panel, "call-dtmf").hidden).toBe(false);
    for (const k of ["1", "star", "hash"]) byTestId(panel, `dtmf-${k}`).click();
    await settle();
    expect(shell.calls("send_dtmf")).toEqual([
      { call: 7, digits: "1" },
      { call: 7, digits: "*" },
      { call: 7, digits: "#" },
    ]);
    expect(byTestId<HTMLOutputElement>(panel, "call-dtmf-digits").value).toBe("1*#");
  });

  it("the transfer menu offers the six kinds in the guide's order", async () => {
    const { panel } = await inCall();
    const t = byTestId(panel, "call-transfer");
    expect(t.getAttribute("aria-haspopup")).toBe("menu");
    t.click();
    const menu = byTestId(panel, "transfer-menu");
    expect(menu.hidden).toBe(false);
    expect([...menu.querySelectorAll("[role=menuitem]")].map((e) => e.textContent)).toEqual([
      "Transfer",
      "Attended Transfer",
      "Transfer to Voicemail",
      "Park",
      "Group Park",
      "Flip",
    ]);
    menu.dispatchEvent(new KeyboardEvent("keydown", { key: "Escape", bubbles: true }));
    expect(menu.hidden).toBe(true);
  });

  it("a blind transfer sends the typed destination", async () => {
    const { shell, panel } = await inCall();
    byTestId(panel, "call-transfer").click();
    byTestId(panel, "transfer-blind").click();
    const form = byTestId(panel, "transfer-form");
    expect(form.hidden).toBe(false);
    typeInto(byTestId<HTMLInputElement>(form, "transfer-target"), "1003");
    byTestId(form, "transfer-confirm").click();
    await settle();
    expect(shell.calls("transfer_call")).toEqual([{ call: 7, kind: "blind", target: "1003" }]);
    expect(form.hidden).toBe(true);
  });

  it("attended, voicemail and park take a destination from the contacts", async () => {
    const { shell, panel } = await inCall({ list_contacts: () => [contact({ id: 5, name: "Eve", extension: "1004", phones: [] })] });
    for (const kind of ["attended", "voicemail", "park"]) {
      byTestId(panel, "call-transfer").click();
      byTestId(panel, `transfer-${kind}`).click();
      await settle();
      byTestId(panel, "transfer-pick-5-0").click();
      await settle();
    }
    expect(shell.calls("transfer_call")).toEqual([
      { call: 7, kind: "attended", target: "1004" },
      { call: 7, kind: "voicemail", target: "1004" },
      { call: 7, kind: "park", target: "1004" },
    ]);
  });

  it("group park and flip need no destination", async () => {
    const { shell, panel } = await inCall();
    for (const kind of ["groupPark", "flip"]) {
      byTestId(panel, "call-transfer").click();
      byTestId(panel, `transfer-${kind}`).click();
      await settle();
    }
    expect(shell.calls("transfer_call")).toEqual([
      { call: 7, kind: "groupPark", target: null },
      { call: 7, kind: "flip", target: null },
    ]);
  });

  it("a refused transfer says why in the panel", async () => {
    const { panel } = await inCall({
      transfer_call: (a) => {
        throw `${a.kind} is not available yet in this version`;
      },
    });
    byTestId(panel, "call-transfer").click();
    byTestId(panel, "transfer-park").click();
    typeInto(byTestId<HTMLInputElement>(panel, "transfer-target"), "1004");
    byTestId(panel, "transfer-confirm").click();
    await settle();
    expect(byTestId(panel, "transfer-error").textContent).toBe("park is not available yet in this version");
    expect(byTestId(panel, "transfer-form").hidden).toBe(false);
  });

  it("shows codec, loss, jitter and MOS from callQuality events", async () => {
    const { shell, panel } = await inCall();
    const q = byTestId(panel, "call-quality");
    expect(q.dataset.level).toBe("unknown");
    expect(byTestId(q, "quality-codec").textContent).toBe("opus");
    await shell.emit({ type: "callQuality", call: 7, quality: quality() });
    await settle();
    expect(byTestId(q, "quality-codec").textContent).toBe("opus");
    expect(byTestId(q, "quality-loss").textContent).toBe("2.5 %");
    expect(byTestId(q, "quality-jitter").textContent).toBe("12 ms");
    expect(byTestId(q, "quality-mos").textContent).toBe("3.9");
    expect(q.dataset.level).toBe("fair");
    await shell.emit({ type: "callQuality", call: 7, quality: quality({ mos: 2.1, lossPercent: 18 }) });
    await settle();
    expect(q.dataset.level).toBe("poor");
    expect(byTestId(q, "quality-level").textContent).toBe("Poor");
    // another call's figures do not show here
    await shell.emit({ type: "callQuality", call: 99, quality: quality({ mos: 4.4 }) });
    await settle();
    expect(q.dataset.level).toBe("poor");
  });

  it("shows a media problem of this call", async () => {
    const { shell, panel } = await inCall();
    await shell.emit({ type: "mediaProblem", call: 7, reason: "no audio from the other side for 5 s" });
    await settle();
    expect(byTestId(panel, "call-media-problem").textContent).toBe("no audio from the other side for 5 s");
  });

  it("End hangs up and the ended event removes the panel", async () => {
    const { root, shell, panel } = await inCall();
    byTestId(panel, "call-end").click();
    await settle();
    expect(shell.calls("hangup_call")).toEqual([{ call: 7 }]);
    await shell.emit({ type: "call", info: callInfo({ id: 7, phase: "ended", answeredMs: 1, endReason: "hung up" }) });
    await settle();
    expect(maybeTestId(root, "call-panel")).toBeNull();
  });

  it("switches between calls", async () => {
    const { root, shell } = await inCall();
    await shell.emit({ type: "call", info: callInfo({ id: 8, remoteName: "Zoe", direction: "outgoing", phase: "dialing", startedMs: 1_800_000_000_000 }) });
    await settle();
    expect(byTestId(root, "call-panel").dataset.call).toBe("8");
    byTestId(root, "call-switch-7").click();
    expect(byTestId(root, "call-panel").dataset.call).toBe("7");
    expect(byTestId(root, "call-remote").textContent).toBe("Bob");
  });
});
