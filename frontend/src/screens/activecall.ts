// The call panel: the other party, a timer from the answer, mute, hold, a
// keypad for DTMF, the transfer menu (Transfer, Attended, Voicemail, Park,
// Group Park, Flip), end, and the live quality (codec, loss, jitter, MOS).

import * as api from "../api/commands";
import type { CallInfo } from "../api/generated/CallInfo";
import type { CallQuality } from "../api/generated/CallQuality";
import type { TransferKind } from "../api/types";
import { attempt, notice, ongoingCalls, remoteLabel, type AppStore } from "../state";
import { t } from "../strings";
import { h, mount, text, type View } from "../ui/dom";
import { shallowEqual } from "../ui/store";
import { clock, uid } from "../ui/widgets";
import { dialPad } from "./keypad";
import { contactPicker } from "./picker";

export const TRANSFER_KINDS: TransferKind[] = ["blind", "attended", "voicemail", "park", "groupPark", "flip"];
/** Kinds that need a destination picked first. */
const NEEDS_TARGET = new Set<TransferKind>(["blind", "attended", "voicemail", "park"]);

/** A word for a MOS figure, for the colour of the indicator. */
export function qualityLevel(mos: number): "good" | "fair" | "poor" {
  return mos >= 4 ? "good" : mos >= 3.6 ? "fair" : "poor";
}

function statusText(c: CallInfo): string {
  if (c.held) return t.call.onHold;
  if (c.remoteHeld) return t.call.heldByRemote;
  return t.call.status[c.phase];
}

export function callPanel(store: AppStore, id: number): View {
  const headId = uid("call");
  const name = h("h2", { class: "call-remote", id: headId, "data-testid": "call-remote" });
  const uri = h("p", { class: "sub", "data-testid": "call-remote-uri" });
  const status = h("p", { class: "call-status", role: "status", "data-testid": "call-status" });
  const timer = h("p", { class: "call-timer", role: "timer", "aria-live": "off", "data-testid": "call-timer" });
  const secure = h("span", { class: "badge secure", "data-testid": "call-secure", hidden: true }, t.call.secure);

  const qCodec = h("dd", { "data-testid": "quality-codec" });
  const qLoss = h("dd", { "data-testid": "quality-loss" });
  const qJitter = h("dd", { "data-testid": "quality-jitter" });
  const qMos = h("dd", { "data-testid": "quality-mos" });
  const qLevel = h("span", { class: "quality-level", "data-testid": "quality-level" });
  const quality = h(
    "section",
    { class: "call-quality", "aria-label": t.call.quality, "data-testid": "call-quality" },
    h("div", { class: "quality-head" }, h("span", { class: "bars", "aria-hidden": "true" }, h("i"), h("i"), h("i")), qLevel),
    h("dl", {}, h("dt", {}, t.call.codec), qCodec, h("dt", {}, t.call.loss), qLoss, h("dt", {}, t.call.jitter), qJitter, h("dt", {}, t.call.mos), qMos),
  );
  const problem = h("p", { class: "media-problem", role: "alert", "data-testid": "call-media-problem" });

  let info: CallInfo = store.get().calls[id];
  const control = (testid: string, label: string, icon: string, onClick: () => void, extra: Record<string, string> = {}) =>
    h("button", { type: "button", class: "call-control", "data-testid": testid, "aria-label": label, title: label, onClick, ...extra }, h("span", { class: icon, "aria-hidden": "true" }), h("span", { class: "control-label" }, label));
  const mute = control("call-mute", t.call.mute, "icon-mute", () => void attempt(store, api.muteCall(id, !info.muted)), { "aria-pressed": "false" });
  const hold = control("call-hold", t.call.hold, "icon-hold", () => void attempt(store, api.holdCall(id, !info.held)), { "aria-pressed": "false" });
  const padId = uid("dtmf");
  const keypad = control("call-keypad", t.call.keypad, "icon-keypad", () => showPad(pad.hidden), { "aria-expanded": "false", "aria-controls": padId });
  const menuId = uid("xfer");
  const transfer = control("call-transfer", t.call.transfer, "icon-transfer", () => showMenu(menu.hidden), { "aria-haspopup": "menu", "aria-expanded": "false", "aria-controls": menuId });
  const end = control("call-end", t.call.end, "icon-hangup", () => void attempt(store, api.hangupCall(id)));
  end.classList.add("danger");

  // DTMF
  const digits = h("output", { class: "dtmf-digits", "aria-label": t.call.tones, "data-testid": "call-dtmf-digits" });
  const pad = h(
    "div",
    { class: "call-dtmf", id: padId, hidden: true, "data-testid": "call-dtmf" },
    digits,
    dialPad("dtmf", (key) => {
      digits.value += key;
      void attempt(store, api.sendDtmf(id, key));
    }),
  );
  function showPad(show: boolean) {
    pad.hidden = !show;
    keypad.setAttribute("aria-expanded", String(show));
    if (show) showMenu(false);
  }

  // transfer menu and destination
  const xferError = h("p", { class: "form-error", role: "alert", "data-testid": "transfer-error" });
  const menu = h(
    "div",
    { class: "menu", role: "menu", id: menuId, hidden: true, "aria-label": t.call.transferMenu, "data-testid": "transfer-menu" },
    ...TRANSFER_KINDS.map((k) => h("button", { type: "button", role: "menuitem", "data-testid": `transfer-${k}`, onClick: () => chooseTransfer(k) }, t.call.transferKinds[k])),
  );
  menu.addEventListener("keydown", (e) => {
    const items = [...menu.querySelectorAll<HTMLElement>("[role=menuitem]")];
    const i = items.indexOf(document.activeElement as HTMLElement);
    if (e.key === "Escape") {
      showMenu(false);
      transfer.focus();
    } else if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      items[(i + (e.key === "ArrowDown" ? 1 : -1) + items.length) % items.length]?.focus();
    }
  });
  function showMenu(show: boolean) {
    menu.hidden = !show;
    transfer.setAttribute("aria-expanded", String(show));
    if (show) {
      showPad(false);
      menu.querySelector<HTMLElement>("[role=menuitem]")?.focus();
    }
  }
  const form = h("div", { class: "transfer-form", hidden: true, "data-testid": "transfer-form" });
  let picker: ReturnType<typeof contactPicker> | null = null;
  function closeForm() {
    picker?.dispose();
    picker = null;
    form.hidden = true;
    mount(form);
  }
  async function doTransfer(kind: TransferKind, target: string | null) {
    text(xferError, "");
    try {
      await api.transferCall(id, kind, target);
      closeForm();
      store.set({ notice: notice("info", t.call.transferDone(t.call.transferKinds[kind])) });
    } catch (e) {
      text(xferError, api.errorText(e));
    }
  }
  function chooseTransfer(kind: TransferKind) {
    showMenu(false);
    text(xferError, "");
    if (!NEEDS_TARGET.has(kind)) {
      closeForm();
      void doTransfer(kind, null);
      return;
    }
    closeForm();
    const input = h("input", {
      type: "text",
      inputmode: "tel",
      autocomplete: "off",
      "data-testid": "transfer-target",
      onKeydown: (e) => {
        if (e.key === "Enter") go();
      },
    });
    const labelId = uid("xt");
    input.setAttribute("aria-labelledby", labelId);
    const go = () => {
      if (input.value.trim()) void doTransfer(kind, input.value.trim());
    };
    picker = contactPicker(store, "transfer", (r) => void doTransfer(kind, r.target));
    mount(
      form,
      h("label", { id: labelId, class: "field-label" }, t.call.transferTarget[kind]),
      h(
        "div",
        { class: "row" },
        input,
        h("button", { type: "button", class: "primary", "data-testid": "transfer-confirm", onClick: go }, t.call.transferGo),
        h("button", { type: "button", "data-testid": "transfer-cancel", onClick: closeForm }, t.cancel),
      ),
      picker.el,
    );
    form.dataset.kind = kind;
    form.hidden = false;
    input.focus();
  }

  const others = h("nav", { class: "call-others", "aria-label": t.call.otherCalls, "data-testid": "call-others" });

  const el = h(
    "aside",
    { class: "call-panel", "aria-labelledby": headId, "data-testid": "call-panel", "data-call": id },
    h("div", { class: "call-head" }, h("span", { class: "avatar large", "aria-hidden": "true" }, "☎"), name, uri, status, timer, secure),
    quality,
    problem,
    h("div", { class: "call-controls", role: "group", "aria-label": t.call.panel }, mute, hold, keypad, transfer, end),
    h("div", { class: "menu-anchor" }, menu),
    xferError,
    form,
    pad,
    others,
  );

  function tick() {
    text(timer, info.answeredMs !== null ? clock((Date.now() - info.answeredMs) / 1000) : "");
  }
  function showInfo(c: CallInfo) {
    info = c;
    text(name, remoteLabel(c));
    text(uri, c.remoteName ? c.remoteUri : "");
    text(status, statusText(c));
    el.dataset.phase = c.phase;
    secure.hidden = !c.secure;
    const active = c.phase === "active";
    mute.setAttribute("aria-pressed", String(c.muted));
    mute.querySelector(".control-label")!.textContent = c.muted ? t.call.unmute : t.call.mute;
    mute.setAttribute("aria-label", c.muted ? t.call.unmute : t.call.mute);
    hold.setAttribute("aria-pressed", String(c.held));
    hold.querySelector(".control-label")!.textContent = c.held ? t.call.resume : t.call.hold;
    hold.setAttribute("aria-label", c.held ? t.call.resume : t.call.hold);
    hold.disabled = !active;
    keypad.disabled = !active;
    transfer.disabled = !active;
    if (!active) {
      showPad(false);
      showMenu(false);
    }
    if (!store.get().quality[id]) showQuality(undefined);
    tick();
  }
  function showQuality(q: CallQuality | undefined) {
    if (!q) {
      quality.dataset.level = "unknown";
      text(qLevel, t.call.measuring);
      text(qCodec, info.codec ?? "—");
      for (const dd of [qLoss, qJitter, qMos]) text(dd, "—");
      return;
    }
    const level = qualityLevel(q.mos);
    quality.dataset.level = level;
    text(qLevel, t.call.level[level]);
    text(qCodec, q.codec);
    text(qLoss, t.call.percent(q.lossPercent.toFixed(1)));
    text(qJitter, t.call.millis(Math.round(q.jitterMs)));
    text(qMos, q.mos.toFixed(1));
  }

  const timerId = setInterval(tick, 1000);
  const stops = [
    store.watch(
      (s) => s.calls[id],
      (c) => c && showInfo(c),
    ),
    store.watch((s) => s.quality[id], showQuality),
    store.watch(
      (s) => s.mediaProblems[id],
      (p) => {
        text(problem, p ?? "");
        problem.hidden = !p;
      },
    ),
    store.watch(
      (s) => ongoingCalls(s).filter((c) => c.id !== id),
      (list) => {
        others.hidden = list.length === 0;
        mount(
          others,
          list.length ? h("h3", {}, t.call.otherCalls) : null,
          ...list.map((c) =>
            h(
              "button",
              { type: "button", class: "other-call", "aria-label": t.call.switchTo(remoteLabel(c)), "data-testid": `call-switch-${c.id}`, onClick: () => store.set({ focusedCall: c.id }) },
              h("span", { class: "name" }, remoteLabel(c)),
              h("span", { class: "sub" }, statusText(c)),
            ),
          ),
        );
      },
      shallowEqual,
    ),
  ];
  return {
    el,
    dispose: () => {
      clearInterval(timerId);
      closeForm();
      for (const s of stops) s();
    },
  };
}
