import { afterEach, describe, expect, it } from "vitest";
import { applyEvent, connect, createStore, currentCall, flagParkedCall, incomingCalls, initialState } from "./state";
import { account, callInfo, FakeShell, settings, settle, teardown } from "./test/shell";

afterEach(teardown);

describe("store reducer", () => {
  it("keeps the last registration per account", () => {
    const s = initialState();
    const info = { state: "registered", expires: 600, contact: "sip:1001@10.0.0.2", server: "udp:10.0.0.1:5060", reason: null, retryInMs: null };
    const next = { ...s, ...applyEvent(s, { type: "registration", account: 3, info }) };
    expect(next.registrations[3]).toEqual(info);
    const failed = { ...info, state: "failed", reason: "403 Forbidden" };
    expect(applyEvent(next, { type: "registration", account: 3, info: failed }).registrations?.[3].state).toBe("failed");
  });

  it("tracks calls from incoming to active to ended, with quality dropped at the end", () => {
    let s = initialState();
    const step = (ev: Parameters<typeof applyEvent>[1]) => (s = { ...s, ...applyEvent(s, ev) });
    step({ type: "incomingCall", info: callInfo({ id: 5 }) });
    expect(incomingCalls(s).map((c) => c.id)).toEqual([5]);
    expect(currentCall(s)).toBeNull();
    step({ type: "call", info: callInfo({ id: 5, phase: "active", answeredMs: 1_700_000_001_000 }) });
    expect(incomingCalls(s)).toEqual([]);
    expect(currentCall(s)?.id).toBe(5);
    step({ type: "callQuality", call: 5, quality: { codec: "opus", packetsSent: 10, packetsReceived: 10, lossPercent: 1.5, jitterMs: 4, rttMs: 20, mos: 4.2, remoteLossPercent: 0 } });
    expect(s.quality[5].mos).toBe(4.2);
    const before = s.historyVersion;
    step({ type: "call", info: callInfo({ id: 5, phase: "ended", endReason: "hung up" }) });
    expect(s.calls[5]).toBeUndefined();
    expect(s.quality[5]).toBeUndefined();
    expect(s.focusedCall).toBeNull();
    expect(s.historyVersion).toBe(before + 1);
  });

  it("ignores quality for a call it does not know", () => {
    const s = initialState();
    expect(applyEvent(s, { type: "callQuality", call: 9, quality: { codec: "PCMU", packetsSent: 0, packetsReceived: 0, lossPercent: 0, jitterMs: 0, rttMs: null, mos: 4.4, remoteLossPercent: 0 } })).toEqual({});
  });

  it("says why an outgoing call that never connected ended", () => {
    let s = initialState();
    s = { ...s, ...applyEvent(s, { type: "call", info: callInfo({ id: 2, direction: "outgoing", phase: "dialing" }) }) };
    expect(s.focusedCall).toBe(2);
    s = { ...s, ...applyEvent(s, { type: "call", info: callInfo({ id: 2, direction: "outgoing", phase: "ended", endReason: "busy", endStatus: 486 }) }) };
    expect(s.notice?.text).toBe("Bob: busy");
  });

  it("shows transport errors and media problems as notices", () => {
    const s = initialState();
    expect(applyEvent(s, { type: "transportError", target: "pbx.example.com", reason: "connection refused" }).notice?.text).toBe("pbx.example.com: connection refused");
    expect(applyEvent(s, { type: "mediaProblem", call: 1, reason: "no audio received" }).mediaProblems?.[1]).toBe("no audio received");
  });

  it("exposes a Call Hub flag for parked calls", () => {
    const store = createStore();
    flagParkedCall(store);
    expect(store.get().callHubFlash).toBe(true);
  });
});

describe("connect", () => {
  it("listens to engine-event and loads calls, registrations, profile, settings and version", async () => {
    const shell = new FakeShell({
      list_calls: () => [callInfo({ id: 11, direction: "outgoing", phase: "active", answeredMs: 1 })],
      list_accounts: () => [account(1, {}, { registration: { state: "registered", expires: 600, contact: null, server: null, reason: null, retryInMs: null } })],
      get_settings: () => settings({ theme: "dark" }),
    });
    const store = createStore();
    await connect(store);
    const s = store.get();
    expect(s.calls[11].phase).toBe("active");
    expect(s.focusedCall).toBe(11);
    expect(s.registrations[1].state).toBe("registered");
    expect(s.profile?.initials).toBe("JD");
    expect(s.version).toBe("0.1.0");
    expect(document.documentElement.dataset.theme).toBe("dark");

    await shell.emit({ type: "incomingCall", info: callInfo({ id: 12 }) });
    await settle();
    expect(store.get().calls[12].phase).toBe("incoming");
  });

  it("shows a failing command's sentence", async () => {
    new FakeShell({
      get_profile: () => {
        throw "the database is locked";
      },
    });
    const store = createStore();
    await connect(store);
    expect(store.get().notice).toMatchObject({ kind: "error", text: "the database is locked" });
  });
});
