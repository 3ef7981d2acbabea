// Contacts: the six lists (All, Favorites, Users, Company, Personal, Device),
// search, a star that toggles the favourite, calls from a contact, and the
// Add Contact form (saved to Personal or Company contacts).

import * as api from "../api/commands";
import type { Contact, ContactKind, ContactTab, Phone } from "../api/types";
import { attempt, openChat, reportError, type AppStore } from "../state";
import { t } from "../strings";
import { h, mount, text, type View } from "../ui/dom";
import { field } from "../ui/widgets";
import { latest, reaches } from "./picker";

export const CONTACT_TABS: ContactTab[] = ["all", "favorites", "users", "company", "personal", "device"];

/** Kinds the user edits here; users and device contacts come from elsewhere. */
const EDITABLE: ContactKind[] = ["personal", "company"];

function callTarget(c: Contact): string | null {
  return reaches(c)[0]?.target ?? null;
}

export function contactsScreen(store: AppStore): View {
  let tab: ContactTab = "all";
  let contacts: Contact[] = [];
  let selected: number | null = null;
  let mode: "details" | "form" = "details";
  let editing: Contact | null = null;
  const once = latest();

  const tabButtons = CONTACT_TABS.map((k) =>
    h(
      "button",
      {
        type: "button",
        role: "tab",
        class: "seg",
        "aria-selected": String(k === tab),
        "data-testid": `contacts-tab-${k}`,
        onClick: () => {
          tab = k;
          for (const b of tabButtons) b.setAttribute("aria-selected", String(b.dataset.testid === `contacts-tab-${k}`));
          void load();
        },
      },
      t.contacts.tabs[k],
    ),
  );
  const search = h("input", {
    type: "search",
    autocomplete: "off",
    "aria-label": t.contacts.search,
    placeholder: t.contacts.search,
    "data-testid": "contacts-search",
    onInput: () => void load(),
  });
  const add = h(
    "button",
    {
      type: "button",
      class: "primary",
      "aria-label": t.contacts.addLabel,
      "data-testid": "add-contact",
      onClick: () => openForm(null),
    },
    t.contacts.add,
  );
  const list = h("ul", { class: "contact-list", role: "list", "aria-label": t.tabs.contacts, "data-testid": "contact-list" });
  const detail = h("section", { class: "contact-detail", "aria-label": t.contacts.details, "data-testid": "contact-detail" });

  async function load() {
    list.setAttribute("aria-busy", "true");
    const query = search.value;
    const r = await once(api.listContacts(tab, query));
    if (!r.ok) {
      if (!r.stale) {
        list.removeAttribute("aria-busy");
        reportError(store, r.error);
      }
      return;
    }
    list.removeAttribute("aria-busy");
    contacts = r.value;
    renderList(query);
    if (mode === "details") renderDetail();
  }

  function call(target: string | null) {
    if (target) void attempt(store, api.placeCall(target, null));
  }

  async function toggleFavorite(c: Contact) {
    const ok = await attempt(store, api.setFavorite(c.id, !c.favorite));
    if (ok !== undefined) await load();
  }

  function star(c: Contact, testid: string): HTMLElement {
    return h(
      "button",
      {
        type: "button",
        class: c.favorite ? "star on" : "star",
        "aria-pressed": String(c.favorite),
        "aria-label": t.contacts.favorite(c.name),
        title: t.contacts.favorite(c.name),
        "data-testid": testid,
        onClick: () => void toggleFavorite(c),
      },
      c.favorite ? "★" : "☆",
    );
  }

  function renderList(query: string) {
    if (!contacts.length) {
      mount(list, h("li", { class: "empty", "data-testid": "contacts-empty" }, query.trim() ? t.contacts.noMatch(query.trim()) : t.contacts.empty));
      return;
    }
    mount(
      list,
      ...contacts.map((c) => {
        const target = callTarget(c);
        return h(
          "li",
          { class: c.id === selected ? "contact-item selected" : "contact-item", "data-testid": `contact-${c.id}` },
          h(
            "button",
            {
              type: "button",
              class: "contact-open",
              "aria-current": c.id === selected ? "true" : undefined,
              "data-testid": `contact-open-${c.id}`,
              onClick: () => {
                selected = c.id;
                mode = "details";
                renderList(search.value);
                renderDetail();
              },
            },
            h("span", { class: "avatar small", "aria-hidden": "true" }, initialsOf(c.name)),
            h("span", { class: "who" }, h("span", { class: "name", "data-testid": "contact-name" }, c.name), h("span", { class: "sub" }, c.company ?? t.contacts.kind[c.kind])),
            c.presence ? h("span", { class: `presence-tag ${c.presence}`, "data-testid": "contact-presence" }, presenceWord(c.presence)) : null,
          ),
          star(c, `contact-fav-${c.id}`),
          h(
            "button",
            {
              type: "button",
              class: "icon-button call",
              "aria-label": t.contacts.call(c.name),
              title: t.contacts.call(c.name),
              disabled: target === null,
              "data-testid": `contact-call-${c.id}`,
              onClick: () => call(target),
            },
            h("span", { class: "icon-call", "aria-hidden": "true" }),
          ),
        );
      }),
    );
  }

  function renderDetail() {
    const c = contacts.find((x) => x.id === selected);
    if (!c) {
      mount(detail, h("p", { class: "empty" }, t.contacts.pickOne));
      return;
    }
    const editable = EDITABLE.includes(c.kind);
    let confirming = false;
    const del = h("button", {
      type: "button",
      class: "danger-outline",
      "data-testid": "contact-delete",
      onClick: async () => {
        if (!confirming) {
          confirming = true;
          text(del, t.confirmDelete);
          del.dataset.testid = "contact-delete-confirm";
          return;
        }
        const ok = await attempt(store, api.deleteContact(c.id));
        if (ok !== undefined) {
          selected = null;
          await load();
        }
      },
    }, t.delete);
    mount(
      detail,
      h(
        "div",
        { class: "detail-head" },
        h("span", { class: "avatar large", "aria-hidden": "true" }, initialsOf(c.name)),
        h("h2", { "data-testid": "contact-detail-name" }, c.name),
        star(c, "contact-detail-fav"),
      ),
      h("p", { class: "sub" }, [c.company, t.contacts.kind[c.kind]].filter(Boolean).join(" · ")),
      h(
        "div",
        { class: "row" },
        h(
          "button",
          { type: "button", class: "primary", disabled: callTarget(c) === null, "data-testid": "contact-detail-call", onClick: () => call(callTarget(c)) },
          h("span", { class: "icon-call", "aria-hidden": "true" }),
          t.contacts.callButton,
        ),
        h(
          "button",
          {
            type: "button",
            disabled: callTarget(c) === null,
            "data-testid": "contact-detail-message",
            // as in the guide: a contact's Message opens the chat with them
            onClick: () => {
              const target = callTarget(c);
              if (target) openChat(store, target);
            },
          },
          t.contacts.message,
        ),
      ),
      h("h3", {}, t.contacts.numbers),
      h(
        "ul",
        { class: "numbers", role: "list" },
        ...reaches(c).map((r, i) =>
          h(
            "li",
            {},
            h("span", { class: "label" }, r.label),
            h("span", { class: "number" }, r.target),
            h(
              "button",
              {
                type: "button",
                class: "icon-button call",
                "aria-label": t.contacts.callNumber(r.label, r.target),
                "data-testid": `contact-number-call-${i}`,
                onClick: () => call(r.target),
              },
              h("span", { class: "icon-call", "aria-hidden": "true" }),
            ),
          ),
        ),
      ),
      editable ? h("div", { class: "row" }, h("button", { type: "button", "data-testid": "contact-edit", onClick: () => openForm(c) }, t.edit), del) : null,
    );
  }

  function openForm(c: Contact | null) {
    mode = "form";
    editing = c;
    renderForm();
  }

  function renderForm() {
    const c = editing;
    const name = h("input", { type: "text", value: c?.name ?? "", "aria-required": "true", "data-testid": "contact-name-input" });
    const company = h("input", { type: "text", value: c?.company ?? "", "data-testid": "contact-company-input" });
    const extension = h("input", { type: "text", value: c?.extension ?? "", inputmode: "tel", "data-testid": "contact-extension-input" });
    const kind = h(
      "select",
      { "data-testid": "contact-kind", value: c?.kind === "company" ? "company" : "personal" },
      h("option", { value: "personal" }, t.contactForm.personal),
      h("option", { value: "company" }, t.contactForm.companyContacts),
    );
    const phoneRows = h("div", { class: "phones" });
    const phones: { label: HTMLInputElement; number: HTMLInputElement }[] = [];
    const addPhone = (p: Phone) => {
      const i = phones.length;
      const label = h("input", { type: "text", value: p.label, "aria-label": `${t.contactForm.phoneLabel} ${i + 1}`, "data-testid": `contact-phone-label-${i}` });
      const number = h("input", { type: "text", value: p.number, inputmode: "tel", "aria-label": `${t.contactForm.phoneNumber} ${i + 1}`, "data-testid": `contact-phone-${i}` });
      phones.push({ label, number });
      phoneRows.append(h("div", { class: "row" }, label, number));
    };
    for (const p of c?.phones.length ? c.phones : [{ label: t.contactForm.defaultLabel, number: "" }]) addPhone(p);
    const error = h("p", { class: "form-error", role: "alert", "data-testid": "contact-error" });
    const save = h("button", { type: "submit", class: "primary", "data-testid": "contact-save" }, t.save);
    const opt = (s: string) => (s.trim() ? s.trim() : null);
    const form = h(
      "form",
      {
        class: "form",
        "aria-label": c ? t.contactForm.edit : t.contactForm.add,
        "data-testid": "contact-form",
        onSubmit: async (e) => {
          e.preventDefault();
          text(error, "");
          save.disabled = true;
          const contact: Contact = {
            id: c?.id ?? 0,
            name: name.value.trim(),
            company: opt(company.value),
            kind: kind.value as ContactKind,
            favorite: c?.favorite ?? false,
            extension: opt(extension.value),
            phones: phones.map((p) => ({ label: p.label.value.trim() || t.contactForm.defaultLabel, number: p.number.value.trim() })).filter((p) => p.number),
            presence: c?.presence ?? null,
          };
          try {
            const id = await api.saveContact(contact);
            selected = id;
            mode = "details";
            editing = null;
            await load();
          } catch (err) {
            text(error, api.errorText(err));
          } finally {
            save.disabled = false;
          }
        },
      },
      h("h2", {}, c ? t.contactForm.edit : t.contactForm.add),
      field(t.contactForm.name, name),
      field(t.contactForm.company, company),
      field(t.contactForm.extension, extension),
      h("fieldset", {}, h("legend", {}, t.contacts.numbers), phoneRows, h("button", { type: "button", class: "link", "data-testid": "contact-add-phone", onClick: () => addPhone({ label: t.contactForm.defaultLabel, number: "" }) }, t.contactForm.addPhone)),
      field(t.contactForm.saveTo, kind),
      error,
      h(
        "div",
        { class: "row" },
        save,
        h(
          "button",
          {
            type: "button",
            "data-testid": "contact-cancel",
            onClick: () => {
              mode = "details";
              editing = null;
              renderDetail();
            },
          },
          t.cancel,
        ),
      ),
    );
    mount(detail, form);
    name.focus();
  }

  const el = h(
    "div",
    { class: "contacts-screen" },
    h(
      "div",
      { class: "contacts-master" },
      h("div", { class: "segmented wrap", role: "tablist", "aria-label": t.contacts.sections }, ...tabButtons),
      h("div", { class: "toolbar" }, search, add),
      list,
    ),
    detail,
  );
  renderDetail();
  void load();
  return { el, dispose: () => {} };
}

/** The Quick Menu's word for a known presence; anything else as reported. */
function presenceWord(p: string): string {
  return (t.presence as Record<string, string>)[p] ?? p;
}

function initialsOf(name: string): string {
  const letters = name
    .split(/\s+/)
    .filter(Boolean)
    .slice(0, 2)
    .map((w) => [...w][0] ?? "")
    .join("");
  return letters.toUpperCase() || "?";
}
