import { afterEach, describe, expect, it } from "vitest";
import { byTestId, callInfo, maybeTestId, settle, startApp, teardown } from "../test/shell";

afterEach(teardown);

describe("incoming call", () => {
  it("an incomingCall event shows the caller, and Answer invokes answer_call with audio", async () => {
    const { root, shell } = await startApp();
    expect(maybeTestId(root, "incoming-7")).toBeNull();
    await shell.emit({ type: "incomingCall", info: callInfo({ id: 7, remoteName: "Bob", remoteUri: "sip:1002@pbx.example.com" }) });
    await settle();
    const card = byTestId(root, "incoming-7");
    expect(card.getAttribute("role")).toBe("alertdialog");
    expect(byTestId(card, "incoming-caller").textContent).toBe("Bob");
    expect(byTestId(card, "incoming-uri").textContent).toBe("sip:1002@pbx.example.com");
    // announced, but the focus stays where the user was typing
    expect(byTestId(root, "incoming-announce").textContent).toBe("Incoming call from Bob.");
    expect(byTestId(root, "incoming-announce").getAttribute("role")).toBe("status");
    expect(document.activeElement).not.toBe(byTestId(card, "incoming-answer-audio"));
    byTestId(card, "incoming-answer-audio").click();
    await settle();
    expect(shell.calls("answer_call")).toEqual([{ call: 7, video: false }]);
    // the engine answers; the window goes and the call panel comes
    await shell.emit({ type: "call", info: callInfo({ id: 7, phase: "active", answeredMs: Date.now() }) });
    await settle();
    expect(maybeTestId(root, "incoming-7")).toBeNull();
    expect(byTestId(root, "call-panel").dataset.call).toBe("7");
  });

  it("Answer video asks for video", async () => {
    const { root, shell } = await startApp();
    await shell.emit({ type: "incomingCall", info: callInfo({ id: 8 }) });
    await settle();
    byTestId(root, "incoming-answer-video").click();
    await settle();
    expect(shell.calls("answer_call")).toEqual([{ call: 8, video: true }]);
  });

  it("Decline invokes decline_call with the default status, and the end removes the window", async () => {
    const { root, shell } = await startApp();
    await shell.emit({ type: "incomingCall", info: callInfo({ id: 9 }) });
    await settle();
    byTestId(root, "incoming-decline").click();
    await settle();
    expect(shell.calls("decline_call")).toEqual([{ call: 9, status: null }]);
    expect(shell.calls("answer_call")).toEqual([]);
    await shell.emit({ type: "call", info: callInfo({ id: 9, phase: "ended", endReason: "declined", endStatus: 603 }) });
    await settle();
    expect(maybeTestId(root, "incoming-9")).toBeNull();
    expect(maybeTestId(root, "call-panel")).toBeNull();
  });

  it("a caller hanging up first removes the window", async () => {
    const { root, shell } = await startApp();
    await shell.emit({ type: "incomingCall", info: callInfo({ id: 10 }) });
    await settle();
    await shell.emit({ type: "call", info: callInfo({ id: 10, phase: "ended", endReason: "cancelled", endStatus: 487 }) });
    await settle();
    expect(maybeTestId(root, "incoming-10")).toBeNull();
  });

  it("shows each ringing call", async () => {
    const { root, shell } = await startApp();
    await shell.emit({ type: "incomingCall", info: callInfo({ id: 1, remoteName: "First", startedMs: 1 }) });
    await shell.emit({ type: "incomingCall", info: callInfo({ id: 2, remoteName: "Second", startedMs: 2 }) });
    await settle();
    expect([...root.querySelectorAll("[data-testid=incoming-caller]")].map((e) => e.textContent)).toEqual(["First", "Second"]);
    byTestId(byTestId(root, "incoming-2"), "incoming-answer-audio").click();
    await settle();
    expect(shell.calls("answer_call")).toEqual([{ call: 2, video: false }]);
  });

  it("a caller's display name with markup is shown literally", async () => {
    const { root, shell } = await startApp();
    await shell.emit({ type: "incomingCall", info: callInfo({ id: 3, remoteName: "<b>Boss</b><img src=x onerror=alert(1)>" }) });
    await settle();
    const card = byTestId(root, "incoming-3");
    expect(card.querySelector("b, img")).toBeNull();
    expect(byTestId(card, "incoming-caller").textContent).toBe("<b>Boss</b><img src=x onerror=alert(1)>");
  });

  it("without a display name the address is the caller", async () => {
    const { root, shell } = await startApp();
    await shell.emit({ type: "incomingCall", info: callInfo({ id: 4, remoteName: null, remoteUri: "sip:+15550100@pbx.example.com" }) });
    await settle();
    expect(byTestId(root, "incoming-caller").textContent).toBe("sip:+15550100@pbx.example.com");
    expect(maybeTestId(root, "incoming-uri")).toBeNull();
  });

  it("a refused answer shows why and the buttons work again", async () => {
    const { root, shell } = await startApp({
      answer_call: () => {
        throw "the call is gone";
      },
    });
    await shell.emit({ type: "incomingCall", info: callInfo({ id: 5 }) });
    await settle();
    const answer = byTestId<HTMLButtonElement>(root, "incoming-answer-audio");
    answer.click();
    await settle();
    expect(byTestId(root, "notice-text").textContent).toBe("the call is gone");
    expect(answer.disabled).toBe(false);
  });
});
