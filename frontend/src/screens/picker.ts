// Pick a contact's extension or number: a search box over list_contacts and
// one row per reachable number. Used by New Call and the transfer targets.

import * as api from "../api/commands";
import type { Contact } from "../api/types";
import { reportError, type AppStore } from "../state";
import { t } from "../strings";
import { h, mount, type View } from "../ui/dom";

export interface Reach {
  contact: Contact;
  label: string;
  target: string;
}

/** Every way to reach a contact: the extension first, then the numbers. */
export function reaches(c: Contact): Reach[] {
  const out: Reach[] = [];
  if (c.extension) out.push({ contact: c, label: t.contacts.extension, target: c.extension });
  for (const p of c.phones) if (p.number.trim()) out.push({ contact: c, label: p.label, target: p.number });
  return out;
}

/** Runs only the answer of the latest request (a slow old search never overwrites a newer one). */
export function latest() {
  let seq = 0;
  return async <T>(p: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; stale: boolean; error?: unknown }> => {
    const mine = ++seq;
    try {
      const value = await p;
      return mine === seq ? { ok: true, value } : { ok: false, stale: true };
    } catch (error) {
      return { ok: false, stale: mine !== seq, error };
    }
  };
}

export function contactPicker(store: AppStore, testid: string, onPick: (r: Reach) => void): View & { search: HTMLInputElement } {
  const search = h("input", {
    type: "search",
    autocomplete: "off",
    "aria-label": t.picker.search,
    placeholder: t.picker.search,
    "data-testid": `${testid}-search`,
    onInput: () => void load(),
  });
  const list = h("ul", { class: "pick-list", role: "list", "aria-label": t.picker.search, "data-testid": `${testid}-results` });
  const once = latest();
  let alive = true;

  async function load() {
    const r = await once(api.listContacts("all", search.value));
    if (!alive) return;
    if (!r.ok) {
      if (!r.stale) reportError(store, r.error);
      return;
    }
    const rows = r.value.flatMap(reaches);
    if (!rows.length) {
      mount(list, h("li", { class: "empty" }, t.picker.none));
      return;
    }
    mount(
      list,
      ...rows.map((row, i) =>
        h(
          "li",
          {},
          h(
            "button",
            {
              type: "button",
              class: "pick-row",
              "aria-label": t.picker.pickLabel(row.contact.name, row.target),
              "data-testid": `${testid}-pick-${row.contact.id}-${i}`,
              onClick: () => onPick(row),
            },
            h("span", { class: "name" }, row.contact.name),
            h("span", { class: "sub" }, `${row.label} ${row.target}`),
          ),
        ),
      ),
    );
  }
  void load();
  return {
    el: h("div", { class: "picker" }, search, list),
    search,
    dispose: () => {
      alive = false;
    },
  };
}
