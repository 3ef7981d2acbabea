// The Quick Menu behind the profile initials: presence, name and extension,
// Mute Calls on this device, and Settings.

import * as api from "../api/commands";
import type { Presence } from "../api/types";
import { attempt, refreshProfile, type AppStore } from "../state";
import { t } from "../strings";
import { h, mount, type View } from "../ui/dom";
import { shallowEqual } from "../ui/store";
import { uid } from "../ui/widgets";

const PRESENCES: Presence[] = ["available", "busy", "dnd"];

export function quickMenu(store: AppStore): View {
  const titleId = uid("qm");
  const el = h("div", { class: "quickmenu popover", role: "dialog", "aria-labelledby": titleId, hidden: true, "data-testid": "quick-menu" });

  async function choosePresence(p: Presence) {
    const ok = await attempt(store, api.setPresence(p));
    if (ok !== undefined) await refreshProfile(store);
  }
  async function toggleMute(on: boolean) {
    const ok = await attempt(store, api.setMuteCalls(on));
    if (ok !== undefined) await refreshProfile(store);
  }

  function draw() {
    const s = store.get();
    el.hidden = !s.quickMenuOpen;
    if (!s.quickMenuOpen) return;
    const p = s.profile;
    const presence = p?.presence ?? "available";
    const radios = PRESENCES.map((v) =>
      h(
        "button",
        {
          type: "button",
          role: "radio",
          class: `presence-option ${v}`,
          "aria-checked": String(v === presence),
          tabindex: v === presence ? 0 : -1,
          "data-testid": `presence-${v}`,
          onClick: () => void choosePresence(v),
        },
        h("span", { class: `presence-dot ${v}`, "aria-hidden": "true" }),
        t.presence[v],
      ),
    );
    const group = h("div", { class: "presence-group", role: "radiogroup", "aria-label": t.presenceTitle }, ...radios);
    group.addEventListener("keydown", (e) => {
      const step = e.key === "ArrowDown" || e.key === "ArrowRight" ? 1 : e.key === "ArrowUp" || e.key === "ArrowLeft" ? -1 : 0;
      if (!step) return;
      e.preventDefault();
      const i = PRESENCES.indexOf(presence);
      void choosePresence(PRESENCES[(i + step + PRESENCES.length) % PRESENCES.length]);
    });
    const muted = p?.muteCalls ?? false;
    mount(
      el,
      h(
        "div",
        { class: "qm-identity" },
        h("span", { class: "avatar large", "aria-hidden": "true" }, p?.initials ?? "…"),
        h(
          "div",
          {},
          h("h2", { id: titleId, class: "qm-name", "data-testid": "qm-name" }, p?.displayName ?? ""),
          h("p", { class: "sub", "data-testid": "qm-extension" }, p ? (p.extension ? t.extension(p.extension) : t.noAccount) : ""),
        ),
      ),
      group,
      h(
        "div",
        { class: "qm-row" },
        h(
          "button",
          {
            type: "button",
            role: "switch",
            class: "switch",
            "aria-checked": String(muted),
            "aria-describedby": `${titleId}-mute-hint`,
            "data-testid": "mute-calls",
            disabled: !p,
            onClick: () => void toggleMute(!muted),
          },
          h("span", { class: "switch-track", "aria-hidden": "true" }),
          t.muteCalls,
        ),
        h("small", { class: "hint", id: `${titleId}-mute-hint` }, t.muteCallsHint),
      ),
      h(
        "button",
        {
          type: "button",
          class: "qm-settings",
          "data-testid": "open-settings",
          onClick: () => store.set({ page: "settings", quickMenuOpen: false }),
        },
        h("span", { class: "icon-settings", "aria-hidden": "true" }),
        t.settings,
      ),
    );
  }
  const stop = store.watch(
    (s) => [s.quickMenuOpen, s.profile] as const,
    (now, prev) => {
      draw();
      const opening = now[0] && !prev?.[0];
      if (opening) el.querySelector<HTMLElement>("[role=radio][aria-checked=true]")?.focus();
    },
    shallowEqual,
  );
  return { el, dispose: stop };
}
