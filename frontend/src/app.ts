// The application shell: title bar with the profile initials (Quick Menu),
// the registration state and the Call Hub; a navigation of the six tabs; the
// current screen; the call panel while a call is on; incoming-call windows.

import { h, mount, text, type View } from "./ui/dom";
import { shallowEqual } from "./ui/store";
import { t } from "./strings";
import { currentCall, TABS, type AppState, type AppStore, type Tab } from "./state";
import { registrationText } from "./ui/widgets";
import { keypadScreen } from "./screens/keypad";
import { callsScreen, newCallDialog } from "./screens/calls";
import { contactsScreen } from "./screens/contacts";
import { chatScreen } from "./screens/chat";
import { messagesScreen, meetingsScreen } from "./screens/placeholders";
import { settingsScreen } from "./screens/settings";
import { quickMenu } from "./screens/quickmenu";
import { callHub } from "./screens/callhub";
import { callPanel } from "./screens/activecall";
import { incomingLayer } from "./screens/incoming";
import { noticeArea } from "./screens/notice";

export { createStore, TABS, type Tab } from "./state";

const SCREENS: Record<Tab, (store: AppStore) => View> = {
  messages: messagesScreen,
  chat: chatScreen,
  calls: callsScreen,
  contacts: contactsScreen,
  keypad: keypadScreen,
  meetings: meetingsScreen,
};

function nav(store: AppStore, cleanups: (() => void)[]): HTMLElement {
  const buttons = TABS.map((tab) =>
    h(
      "button",
      {
        class: "nav-item",
        role: "tab",
        id: `tab-${tab}`,
        "aria-controls": "screen",
        "data-tab": tab,
        "data-testid": `nav-${tab}`,
        title: t.tabs[tab],
        onClick: () => store.set({ tab, page: "tab", quickMenuOpen: false, callHubOpen: false }),
      },
      h("span", { class: `nav-icon icon-${tab}`, "aria-hidden": "true" }),
      h("span", { class: "nav-label" }, t.tabs[tab]),
    ),
  );
  const el = h("nav", { class: "nav", role: "tablist", "aria-label": t.mainNav, "aria-orientation": "vertical" }, ...buttons);
  cleanups.push(
    store.watch(
      (s) => (s.page === "tab" ? s.tab : null),
      (current) => {
        for (const b of buttons) {
          const on = b.dataset.tab === current;
          b.classList.toggle("active", on);
          b.setAttribute("aria-selected", String(on));
          b.tabIndex = on || (current === null && b.dataset.tab === "messages") ? 0 : -1;
        }
      },
    ),
  );
  // arrow keys move along the tabs
  el.addEventListener("keydown", (e) => {
    const i = buttons.indexOf(document.activeElement as HTMLButtonElement);
    if (i < 0) return;
    const step = e.key === "ArrowDown" ? 1 : e.key === "ArrowUp" ? -1 : 0;
    if (!step) return;
    e.preventDefault();
    const next = buttons[(i + step + buttons.length) % buttons.length];
    next.focus();
    next.click();
  });
  return el;
}

function titleBar(store: AppStore, cleanups: (() => void)[]): HTMLElement {
  const avatar = h("button", {
    class: "avatar",
    "aria-label": t.quickMenu,
    "aria-haspopup": "dialog",
    "aria-expanded": "false",
    "data-testid": "profile",
    onClick: () => store.update((s) => ({ quickMenuOpen: !s.quickMenuOpen, callHubOpen: false })),
  });
  const initials = h("span", { class: "initials", "data-testid": "profile-initials" });
  const dot = h("span", { class: "presence-dot", "aria-hidden": "true" });
  avatar.append(initials, dot);
  const title = h("h1", { class: "screen-title", id: "screen-title", "data-testid": "screen-title" });
  const reg = h("span", { class: "reg-status", role: "status", "data-testid": "registration-status" });
  const hub = h(
    "button",
    {
      class: "callhub",
      "aria-label": t.callHub,
      title: t.callHub,
      "aria-haspopup": "dialog",
      "aria-expanded": "false",
      "data-testid": "callhub",
      onClick: () => store.update((s) => ({ callHubOpen: !s.callHubOpen, callHubFlash: false, quickMenuOpen: false })),
    },
    h("span", { class: "icon-callhub", "aria-hidden": "true" }),
  );
  cleanups.push(
    store.watch(
      (s) => s.profile,
      (p) => {
        text(initials, p ? p.initials : "…");
        dot.className = `presence-dot ${p ? p.presence : ""}`;
      },
    ),
    store.watch(
      (s) => s.quickMenuOpen,
      (open) => avatar.setAttribute("aria-expanded", String(open)),
    ),
    store.watch(
      (s) => (s.page === "settings" ? t.settings : t.tabs[s.tab]),
      (s) => text(title, s),
    ),
    store.watch(
      (s) => registrationLine(s),
      (line) => {
        text(reg, line.text);
        reg.dataset.state = line.state;
      },
      shallowEqual,
    ),
    store.watch(
      (s) => [s.callHubOpen, s.callHubFlash] as const,
      () => {
        const s = store.get();
        hub.setAttribute("aria-expanded", String(s.callHubOpen));
        hub.classList.toggle("flash", s.callHubFlash);
        hub.setAttribute("aria-label", s.callHubFlash ? t.callHubParkedFlag : t.callHub);
      },
      shallowEqual,
    ),
  );
  return h("header", { class: "titlebar" }, avatar, title, reg, hub);
}

function registrationLine(s: AppState): { text: string; state: string } {
  const id = s.profile?.accountId;
  if (id === null || id === undefined) return { text: s.profile ? t.noAccount : "", state: "none" };
  // an account that does not register (the local one) has no state to show
  if (s.accounts.find((a) => a.id === id)?.config.register === false) return { text: "", state: "none" };
  const info = s.registrations[id];
  return { text: registrationText(info), state: info?.state ?? "unregistered" };
}

/** Renders the shell into `root` and keeps it in step with the store. Returns a teardown. */
export function renderApp(root: HTMLElement, store: AppStore): () => void {
  const cleanups: (() => void)[] = [];
  const main = h("main", { class: "screen", id: "screen", role: "tabpanel", tabindex: "-1" });
  let screen: View | null = null;
  cleanups.push(
    store.watch(
      (s) => (s.page === "settings" ? "settings" : s.tab),
      (which) => {
        screen?.dispose();
        screen = which === "settings" ? settingsScreen(store) : SCREENS[which](store);
        main.setAttribute("aria-labelledby", which === "settings" ? "screen-title" : `tab-${which}`);
        main.dataset.screen = which;
        mount(main, screen.el);
      },
    ),
    () => screen?.dispose(),
  );

  // the call panel: present while a call is placed or connected
  const side = h("div", { class: "call-slot" });
  let panel: View | null = null;
  cleanups.push(
    store.watch(
      (s) => currentCall(s)?.id ?? null,
      (id) => {
        panel?.dispose();
        panel = id === null ? null : callPanel(store, id);
        mount(side, panel?.el);
        side.classList.toggle("open", panel !== null);
      },
    ),
    () => panel?.dispose(),
  );

  // a tel:/sip:/callto: link fills New Call; calling stays the user's choice
  let linkDialog: { close(): void } | null = null;
  cleanups.push(
    store.watch(
      (s) => s.dialRequest,
      (req) => {
        if (!req) return;
        const open = document.querySelector<HTMLInputElement>('[data-testid="new-call-dialog"] [data-testid="new-call-input"]');
        if (open) {
          open.value = req.target;
          open.focus();
        } else {
          linkDialog = newCallDialog(store, () => (linkDialog = null), req.target);
        }
      },
    ),
    () => linkDialog?.close(),
  );

  const footer = h("footer", { class: "footer", "data-testid": "footer" });
  cleanups.push(store.watch((s) => s.version, (v) => text(footer, v ? t.version(v) : "")));

  const views = [quickMenu(store), callHub(store), incomingLayer(store), noticeArea(store)];
  cleanups.push(() => views.forEach((v) => v.dispose()));

  const onKey = (e: KeyboardEvent) => {
    if (e.key !== "Escape") return;
    const s = store.get();
    if (s.quickMenuOpen || s.callHubOpen) store.set({ quickMenuOpen: false, callHubOpen: false });
  };
  document.addEventListener("keydown", onKey);
  cleanups.push(() => document.removeEventListener("keydown", onKey));
  // a press outside an open popover (and outside the button that opens it) closes it
  const onPress = (e: MouseEvent) => {
    const s = store.get();
    if (!s.quickMenuOpen && !s.callHubOpen) return;
    const target = e.target as Node;
    const inside = [views[0].el, views[1].el, root.querySelector("[data-testid=profile]"), root.querySelector("[data-testid=callhub]")].some((n) => n?.contains(target));
    if (!inside) store.set({ quickMenuOpen: false, callHubOpen: false });
  };
  document.addEventListener("mousedown", onPress);
  cleanups.push(() => document.removeEventListener("mousedown", onPress));

  const title = titleBar(store, cleanups);
  mount(
    root,
    title,
    h("div", { class: "body" }, nav(store, cleanups), main, side),
    footer,
    ...views.map((v) => v.el),
  );
  return () => {
    for (const c of cleanups.splice(0)) c();
    root.replaceChildren();
  };
}
