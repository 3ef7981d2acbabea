// The Call Hub: parked calls to retrieve. Until the engine reports parked
// calls the list is empty; the button flashes while `callHubFlash` is set.

import type { AppStore } from "../state";
import { t } from "../strings";
import { h, mount, type View } from "../ui/dom";
import { uid } from "../ui/widgets";

export function callHub(store: AppStore): View {
  const titleId = uid("hub");
  const el = h("div", { class: "callhub-panel popover", role: "dialog", "aria-labelledby": titleId, hidden: true, "data-testid": "callhub-panel" });
  const stop = store.watch(
    (s) => (s.callHubOpen ? (s.settings?.pbx.retrieveCode ?? "") : null),
    (code) => {
      el.hidden = code === null;
      if (code === null) return;
      mount(
        el,
        h("h2", { id: titleId }, t.callHub),
        h("h3", {}, t.parkedCalls),
        h("ul", { class: "parked-list", role: "list", "data-testid": "parked-list" }, h("li", { class: "empty" }, t.noParkedCalls)),
        code ? h("p", { class: "hint" }, t.retrieveHint(code)) : null,
      );
    },
  );
  return { el, dispose: stop };
}
