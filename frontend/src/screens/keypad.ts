// Keypad: dial numbers and feature access codes; during a call the keys send
// DTMF to the current call instead.

import * as api from "../api/commands";
import { attempt, currentCall, remoteLabel, type AppStore } from "../state";
import { t } from "../strings";
import { h, mount, text, type View } from "../ui/dom";

export const KEYS: { key: string; sub: string; id: string }[] = [
  { key: "1", sub: "", id: "1" },
  { key: "2", sub: "ABC", id: "2" },
  { key: "3", sub: "DEF", id: "3" },
  { key: "4", sub: "GHI", id: "4" },
  { key: "5", sub: "JKL", id: "5" },
  { key: "6", sub: "MNO", id: "6" },
  { key: "7", sub: "PQRS", id: "7" },
  { key: "8", sub: "TUV", id: "8" },
  { key: "9", sub: "WXYZ", id: "9" },
  { key: "*", sub: "", id: "star" },
  { key: "0", sub: "+", id: "0" },
  { key: "#", sub: "", id: "hash" },
];

/** A 4×3 grid of dial keys; `testid` prefixes each key's data-testid. */
export function dialPad(testid: string, onKey: (key: string) => void): HTMLElement {
  return h(
    "div",
    { class: "dialpad", role: "group", "aria-label": t.tabs.keypad },
    ...KEYS.map((k) =>
      h(
        "button",
        {
          class: "key",
          type: "button",
          "aria-label": k.key,
          "data-testid": `${testid}-${k.id}`,
          onClick: () => onKey(k.key),
        },
        h("span", { class: "key-main", "aria-hidden": "true" }, k.key),
        h("span", { class: "key-sub", "aria-hidden": "true" }, k.sub),
      ),
    ),
  );
}

const DIAL_CHARS = /^[0-9*#]$/;

export function keypadScreen(store: AppStore): View {
  const input = h("input", {
    class: "dial-input",
    type: "text",
    inputmode: "tel",
    autocomplete: "off",
    "aria-label": t.keypad.display,
    placeholder: t.keypad.placeholder,
    "data-testid": "keypad-input",
    onKeydown: (e) => {
      if (e.key === "Enter") {
        e.preventDefault();
        void primary();
      } else if (inCall() && DIAL_CHARS.test(e.key)) {
        // in a call, typed keys are tones, as on the pad
        e.preventDefault();
        press(e.key);
      }
    },
  });
  const banner = h("p", { class: "dtmf-banner", role: "status", "data-testid": "keypad-dtmf-banner" });
  const backspace = h(
    "button",
    {
      class: "backspace",
      type: "button",
      "aria-label": t.keypad.backspace,
      title: t.keypad.backspace,
      "data-testid": "keypad-backspace",
      onClick: () => {
        input.value = input.value.slice(0, -1);
        input.focus();
      },
    },
    "⌫",
  );
  const action = h("button", { class: "dial-call", type: "button", "data-testid": "keypad-call", onClick: () => void primary() });
  let busy = false;

  function inCall() {
    const c = currentCall(store.get());
    return c && c.phase === "active" ? c : null;
  }

  function press(key: string) {
    input.value += key;
    const call = inCall();
    if (call) void attempt(store, api.sendDtmf(call.id, key));
  }

  async function primary() {
    const call = inCall();
    if (call) {
      await attempt(store, api.hangupCall(call.id));
      return;
    }
    const target = input.value.trim();
    if (!target || busy) return;
    busy = true;
    action.disabled = true;
    const id = await attempt(store, api.placeCall(target, null));
    busy = false;
    action.disabled = false;
    if (id !== undefined) input.value = "";
  }

  const el = h(
    "div",
    { class: "keypad-screen", "data-testid": "keypad" },
    banner,
    h("div", { class: "dial-display" }, input, backspace),
    dialPad("key", press),
    h("div", { class: "dial-actions" }, action),
    h("p", { class: "hint" }, t.keypad.hint),
  );

  let wasInCall: boolean | null = null;
  const stop = store.watch(
    (s) => {
      const c = currentCall(s);
      return c && c.phase === "active" ? c : null;
    },
    (call) => {
      const now = call !== null;
      if (wasInCall !== null && now !== wasInCall) input.value = "";
      wasInCall = now;
      el.classList.toggle("in-call", now);
      banner.hidden = !now;
      text(banner, call ? t.keypad.dtmfTo(remoteLabel(call)) : "");
      mount(action, h("span", { class: now ? "icon-hangup" : "icon-call", "aria-hidden": "true" }), now ? t.keypad.hangup : t.keypad.call);
      action.classList.toggle("danger", now);
      action.setAttribute("aria-label", now ? t.keypad.hangup : t.keypad.call);
      input.readOnly = now;
    },
  );
  queueMicrotask(() => {
    if (input.isConnected) input.focus();
  });
  return { el, dispose: stop };
}
