// Calls: the history with an All / Missed filter, a New Call button, and a
// click on a row to call back.

import * as api from "../api/commands";
import type { CallRecord, HistoryFilter } from "../api/types";
import { attempt, remoteLabel, reportError, type AppStore } from "../state";
import { t } from "../strings";
import { h, mount, type View } from "../ui/dom";
import { openModal, type Modal } from "../ui/modal";
import { clock } from "../ui/widgets";
import { contactPicker, latest } from "./picker";

export const HISTORY_LIMIT = 200;

function row(store: AppStore, r: CallRecord): HTMLElement {
  const who = remoteLabel(r);
  const when = new Date(r.startedMs);
  return h(
    "li",
    { class: `history-item ${r.outcome}` },
    h(
      "button",
      {
        type: "button",
        class: "history-row",
        "aria-label": t.calls.callBack(who),
        "data-testid": `history-row-${r.id}`,
        "data-outcome": r.outcome,
        onClick: () => void attempt(store, api.placeCall(r.remoteUri, null)),
      },
      h("span", { class: `dir-icon ${r.direction}`, "aria-hidden": "true" }, r.direction === "incoming" ? "↙" : "↗"),
      h(
        "span",
        { class: "who" },
        h("span", { class: "name", "data-testid": "history-name" }, who),
        h("span", { class: "sub" }, r.remoteName ? r.remoteUri : t.calls.direction[r.direction]),
      ),
      h("span", { class: "outcome" }, t.calls.outcome[r.outcome]),
      h("time", { class: "when", datetime: when.toISOString() }, when.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" })),
      h("span", { class: "duration" }, r.outcome === "answered" ? clock(r.durationS) : ""),
    ),
  );
}

/** The New Call dialog, optionally filled with a target to confirm. */
export function newCallDialog(store: AppStore, onClose: () => void = () => {}, initial = ""): Modal {
  const input = h("input", {
    value: initial,
    type: "text",
    inputmode: "tel",
    autocomplete: "off",
    "aria-label": t.newCall.input,
    placeholder: t.newCall.input,
    "data-testid": "new-call-input",
    onKeydown: (e) => {
      if (e.key === "Enter") void dial(input.value);
    },
  });
  const go = h("button", { class: "primary", type: "button", "data-testid": "new-call-dial", onClick: () => void dial(input.value) }, t.newCall.call);
  const picker = contactPicker(store, "new-call", (r) => void dial(r.target));
  const modal = openModal(
    t.newCall.title,
    "new-call-dialog",
    () => {
      picker.dispose();
      onClose();
    },
    h("div", { class: "row" }, input, go),
    h("h3", {}, t.newCall.pick),
    picker.el,
  );
  async function dial(target: string) {
    if (!target.trim()) return;
    const id = await attempt(store, api.placeCall(target.trim(), null));
    if (id !== undefined) modal.close();
  }
  return modal;
}

export function callsScreen(store: AppStore): View {
  let filter: HistoryFilter = "all";
  const once = latest();
  const list = h("ul", { class: "history", role: "list", "aria-label": t.tabs.calls, "data-testid": "history" });
  const tabs = (["all", "missed"] as const).map((f) =>
    h(
      "button",
      {
        type: "button",
        role: "tab",
        class: "seg",
        "aria-selected": String(f === filter),
        "data-testid": `calls-filter-${f}`,
        onClick: () => setFilter(f),
      },
      t.calls[f],
    ),
  );
  let dialog: Modal | null = null;
  const newCall = h(
    "button",
    {
      type: "button",
      class: "primary",
      "data-testid": "new-call",
      "aria-haspopup": "dialog",
      onClick: () => {
        dialog = newCallDialog(store, () => (dialog = null));
      },
    },
    h("span", { class: "icon-call", "aria-hidden": "true" }),
    t.calls.newCall,
  );

  function setFilter(f: HistoryFilter) {
    filter = f;
    for (const b of tabs) b.setAttribute("aria-selected", String(b.dataset.testid === `calls-filter-${f}`));
    // looking at the missed calls is what "seen" means for the badge
    if (f === "missed") void attempt(store, api.clearMissed());
    void load();
  }

  async function load() {
    list.setAttribute("aria-busy", "true");
    const r = await once(api.callHistory(filter, HISTORY_LIMIT));
    if (!r.ok) {
      if (!r.stale) {
        list.removeAttribute("aria-busy");
        reportError(store, r.error);
      }
      return;
    }
    list.removeAttribute("aria-busy");
    if (!r.value.length) {
      mount(list, h("li", { class: "empty", "data-testid": "history-empty" }, filter === "missed" ? t.calls.emptyMissed : t.calls.empty));
    } else {
      mount(list, ...r.value.map((rec) => row(store, rec)));
    }
  }

  const el = h(
    "div",
    { class: "calls-screen" },
    h("div", { class: "toolbar" }, h("div", { class: "segmented", role: "tablist", "aria-label": t.calls.filter }, ...tabs), h("span", { class: "spacer" }), newCall),
    list,
  );
  // the first call of the watch loads; later ones follow ended calls
  const stop = store.watch(
    (s) => s.historyVersion,
    () => void load(),
  );
  return {
    el,
    dispose: () => {
      stop();
      dialog?.close();
    },
  };
}
