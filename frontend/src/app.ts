// The application shell: title bar with the profile initials (Quick Menu)
// and Call Hub, a navigation of the six tabs, and the current screen.

import { h, mount } from "./ui/dom";
import { Store } from "./ui/store";
import { t } from "./strings";

export const TABS = ["messages", "chat", "calls", "contacts", "keypad", "meetings"] as const;
export type Tab = (typeof TABS)[number];

export interface AppState {
  tab: Tab;
  quickMenuOpen: boolean;
  version: string | null;
  initials: string;
}

export function createStore(): Store<AppState> {
  // the Messages dashboard opens by default, as in the guide
  return new Store<AppState>({ tab: "messages", quickMenuOpen: false, version: null, initials: "ME" });
}

function nav(store: Store<AppState>): HTMLElement {
  const s = store.get();
  return h(
    "nav",
    { class: "nav", role: "tablist", "aria-label": "Main" },
    ...TABS.map((tab) =>
      h(
        "button",
        {
          class: tab === s.tab ? "nav-item active" : "nav-item",
          role: "tab",
          "aria-selected": String(tab === s.tab),
          "data-tab": tab,
          onClick: () => store.set({ tab, quickMenuOpen: false }),
        },
        t.tabs[tab],
      ),
    ),
  );
}

function titleBar(store: Store<AppState>): HTMLElement {
  const s = store.get();
  return h(
    "header",
    { class: "titlebar" },
    h(
      "button",
      {
        class: "avatar",
        "aria-label": t.quickMenu,
        "aria-expanded": String(s.quickMenuOpen),
        "data-testid": "profile",
        onClick: () => store.set({ quickMenuOpen: !store.get().quickMenuOpen }),
      },
      s.initials,
    ),
    h("h1", { class: "screen-title" }, t.tabs[s.tab]),
    h("button", { class: "callhub", "aria-label": t.callHub, title: t.callHub, "data-testid": "callhub" }, "☎"),
  );
}

function screen(store: Store<AppState>): HTMLElement {
  const s = store.get();
  return h("main", { class: "screen", id: `screen-${s.tab}`, role: "tabpanel" }, h("p", { class: "empty" }, t.empty[s.tab]));
}

/** Renders the shell into `root` and keeps it in step with the store. */
export function renderApp(root: HTMLElement, store: Store<AppState>): void {
  const draw = () => {
    const s = store.get();
    mount(
      root,
      titleBar(store),
      h("div", { class: "body" }, nav(store), screen(store)),
      h("footer", { class: "footer" }, s.version ? t.version(s.version) : ""),
    );
  };
  store.subscribe(draw);
  draw();
}
