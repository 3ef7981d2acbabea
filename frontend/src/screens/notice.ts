// One notice at a time: errors stay until dismissed, information fades.

import type { AppStore } from "../state";
import { t } from "../strings";
import { h, mount, type View } from "../ui/dom";

export const INFO_MS = 6000;

export function noticeArea(store: AppStore): View {
  // live regions must exist before their text changes to be announced
  const el = h("div", { class: "notice-area", "data-testid": "notice-area" });
  const alert = h("div", { role: "alert", class: "notice-slot" });
  const status = h("div", { role: "status", class: "notice-slot" });
  el.append(alert, status);
  let timer: ReturnType<typeof setTimeout> | null = null;
  const stop = store.watch(
    (s) => s.notice,
    (n) => {
      if (timer) clearTimeout(timer);
      timer = null;
      mount(alert);
      mount(status);
      if (!n) return;
      const box = h(
        "div",
        { class: `notice ${n.kind}`, "data-testid": "notice", "data-kind": n.kind },
        h("span", { class: "notice-text", "data-testid": "notice-text" }, n.text),
        h("button", { type: "button", class: "icon-button", "aria-label": t.dismiss, "data-testid": "notice-dismiss", onClick: () => store.set({ notice: null }) }, "✕"),
      );
      (n.kind === "error" ? alert : status).append(box);
      if (n.kind === "info") {
        timer = setTimeout(() => {
          if (store.get().notice?.id === n.id) store.set({ notice: null });
        }, INFO_MS);
      }
    },
  );
  return {
    el,
    dispose: () => {
      stop();
      if (timer) clearTimeout(timer);
    },
  };
}
