// Incoming calls: a window over the app for each ringing call, with the
// caller, Answer (audio), Answer with video, and Decline.

import * as api from "../api/commands";
import type { CallInfo } from "../api/generated/CallInfo";
import { attempt, incomingCalls, remoteLabel, type AppStore } from "../state";
import { t } from "../strings";
import { h, mount, type View } from "../ui/dom";
import { shallowEqual } from "../ui/store";

function card(store: AppStore, c: CallInfo): HTMLElement {
  const who = remoteLabel(c);
  const titleId = `incoming-title-${c.id}`;
  const buttons: HTMLButtonElement[] = [];
  const act = async (p: () => Promise<void>) => {
    for (const b of buttons) b.disabled = true;
    const ok = await attempt(store, p());
    // on success the engine's next event removes this window
    if (ok === undefined) for (const b of buttons) b.disabled = false;
  };
  buttons.push(
    h(
      "button",
      { type: "button", class: "answer", "aria-label": t.incoming.answerLabel(who), "data-testid": "incoming-answer-audio", onClick: () => void act(() => api.answerCall(c.id, false)) },
      h("span", { class: "icon-call", "aria-hidden": "true" }),
      t.incoming.answer,
    ),
    h(
      "button",
      { type: "button", class: "answer video", "aria-label": t.incoming.answerVideoLabel(who), "data-testid": "incoming-answer-video", onClick: () => void act(() => api.answerCall(c.id, true)) },
      h("span", { class: "icon-video", "aria-hidden": "true" }),
      t.incoming.answerVideo,
    ),
    h(
      "button",
      { type: "button", class: "decline", "aria-label": t.incoming.declineLabel(who), "data-testid": "incoming-decline", onClick: () => void act(() => api.declineCall(c.id, null)) },
      h("span", { class: "icon-hangup", "aria-hidden": "true" }),
      t.incoming.decline,
    ),
  );
  return h(
    "section",
    { class: "incoming-card", role: "alertdialog", "aria-labelledby": titleId, "aria-describedby": `${titleId}-who`, "data-testid": `incoming-${c.id}`, "data-call": c.id },
    h("p", { class: "incoming-label", id: titleId }, t.incoming.title),
    h("span", { class: "avatar large ringing", "aria-hidden": "true" }, "☎"),
    h("h2", { class: "incoming-caller", id: `${titleId}-who`, "data-testid": "incoming-caller" }, who),
    c.remoteName ? h("p", { class: "sub", "data-testid": "incoming-uri" }, c.remoteUri) : null,
    h("div", { class: "incoming-actions" }, ...buttons),
  );
}

export function incomingLayer(store: AppStore): View {
  const el = h("div", { class: "incoming-layer", "data-testid": "incoming-layer" });
  // announced without taking the focus: a key pressed while typing elsewhere must not answer
  const announce = h("div", { class: "sr-only", role: "status", "data-testid": "incoming-announce" });
  const stop = store.watch(
    (s) => incomingCalls(s),
    (calls, prev) => {
      el.classList.toggle("open", calls.length > 0);
      mount(el, ...calls.map((c) => card(store, c)));
      const known = new Set((prev ?? []).map((c) => c.id));
      const fresh = calls.filter((c) => !known.has(c.id));
      announce.textContent = fresh.length ? fresh.map((c) => t.incoming.announce(remoteLabel(c))).join(" ") : "";
    },
    shallowEqual,
  );
  return { el: h("div", {}, el, announce), dispose: stop };
}
