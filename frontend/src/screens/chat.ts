// The Chat tab: conversations on the left (latest activity first, unread
// counts), the selected conversation's messages on the right, a composer, and
// the + menu to start one. Message text is always set as text, never HTML.

import * as api from "../api/commands";
import type { ChatMessage } from "../api/generated/ChatMessage";
import type { Conversation, SearchHit } from "../api/types";
import { attempt, notice, reportError, type AppStore } from "../state";
import { t } from "../strings";
import { h, mount, type View } from "../ui/dom";
import { uid } from "../ui/widgets";
import { latest } from "./picker";

export const SEARCH_LIMIT = 50;

/** A search hit's text with its matches (between \u0001 and \u0002) marked, as text nodes. */
export function highlighted(s: string): (Node | string)[] {
  const out: (Node | string)[] = [];
  for (const [i, part] of s.split(/[\u0001\u0002]/).entries()) {
    if (!part) continue;
    // split alternates: outside, match, outside, match…
    out.push(i % 2 === 1 ? h("mark", {}, part) : part);
  }
  return out;
}

export function peerLabel(c: Conversation): string {
  return c.title ?? (c.peer ?? "").replace(/^sips?:/, "");
}

/** Whether a conversation's peer (`sip:202@pbx`) is who the user asked for (`202`, `sip:202@pbx`…). */
export function samePeer(convPeer: string | null, target: string): boolean {
  if (!convPeer) return false;
  const a = convPeer.replace(/^sips?:/, "").toLowerCase();
  const b = target.trim().replace(/^sips?:/, "").toLowerCase();
  return a === b || (!b.includes("@") && a.split("@")[0] === b);
}

function bubble(m: ChatMessage): HTMLElement {
  const out = m.direction === "out";
  return h(
    "li",
    { class: out ? "bubble out" : "bubble in", "data-testid": `chat-message-${m.id}` },
    h("p", { class: "bubble-text", "data-testid": "chat-message-text" }, m.body),
    h("span", { class: "bubble-meta" }, new Date(m.createdMs).toLocaleTimeString(), out ? ` · ${t.chat.status[m.status as keyof typeof t.chat.status] ?? m.status}` : ""),
  );
}

/** The chat list with the + menu (Create a message, Create a group). */
export function chatScreen(store: AppStore): View {
  let selected: { id: number | null; peer: string; label: string } | null = null;
  const list = h("ul", { class: "chat-list", role: "list", "aria-label": t.tabs.chat, "data-testid": "chat-list" });
  const thread = h("ul", { class: "chat-thread", role: "log", "aria-live": "polite", "data-testid": "chat-thread" });
  const title = h("h2", { class: "chat-title", "data-testid": "chat-title" });
  // as in the guide: the phone icon of a conversation calls its peer
  const callPeer = h(
    "button",
    {
      type: "button",
      class: "icon-button call",
      "data-testid": "chat-call",
      onClick: () => {
        if (selected) void attempt(store, api.placeCall(selected.peer, null));
      },
    },
    h("span", { class: "icon-call", "aria-hidden": "true" }),
  );
  const input = h("input", { type: "text", autocomplete: "off", "aria-label": t.chat.write, placeholder: t.chat.write, "data-testid": "chat-input" });
  const composer = h(
    "form",
    {
      class: "chat-composer",
      "data-testid": "chat-composer",
      onSubmit: (e) => {
        e.preventDefault();
        void send();
      },
    },
    input,
    h("button", { type: "submit", class: "primary", "data-testid": "chat-send" }, t.chat.send),
  );
  const right = h("section", { class: "chat-pane", "aria-label": t.chat.conversation }, h("div", { class: "chat-head" }, title, callPeer), thread, composer);

  async function loadList() {
    if (search.value.trim()) return void runSearch();
    const convs = (await attempt(store, api.listConversations("messages"))) ?? [];
    if (convs.length === 0) {
      mount(list, h("li", { class: "empty" }, t.chat.empty));
      return;
    }
    mount(
      list,
      ...convs.map((c) =>
        h(
          "li",
          {},
          h(
            "button",
            {
              type: "button",
              class: selected?.id === c.id ? "chat-item active" : "chat-item",
              "data-testid": `chat-conversation-${c.id}`,
              onClick: () => void open(c.id, c.peer ?? "", peerLabel(c)),
            },
            h("span", { class: "chat-peer" }, peerLabel(c)),
            h("span", { class: "chat-last" }, c.lastMessage ?? ""),
            c.unread > 0 ? h("span", { class: "badge", "data-testid": "chat-unread" }, String(c.unread)) : "",
          ),
        ),
      ),
    );
  }

  async function loadThread() {
    if (!selected) {
      right.hidden = true;
      return;
    }
    right.hidden = false;
    const who = selected.label;
    title.textContent = who;
    callPeer.setAttribute("aria-label", t.chat.call(who));
    callPeer.title = t.chat.call(who);
    callPeer.disabled = !selected.peer;
    if (selected.id === null) {
      mount(thread, h("li", { class: "empty" }, t.chat.first));
      return;
    }
    const msgs = (await attempt(store, api.listMessages(selected.id, null, 200))) ?? [];
    mount(thread, ...msgs.map(bubble));
  }

  async function open(id: number | null, peer: string, label: string | null = null) {
    if (id === null || label === null) {
      // a new chat may continue an existing conversation with this peer; a
      // known one shows the same name as in the lists
      const convs = await attempt(store, api.listConversations(id === null ? "messages" : null));
      const known = convs?.find((c) => (id === null ? samePeer(c.peer, peer) : c.id === id));
      if (known) {
        id = known.id;
        peer = known.peer ?? peer;
        label = peerLabel(known);
      }
    }
    selected = { id, peer, label: label ?? peer.replace(/^sips?:/, "") };
    await loadThread();
    if (id !== null) {
      await attempt(store, api.markRead(id));
    }
    await loadList();
    input.focus();
  }

  async function send() {
    const text = input.value;
    if (!selected || !text.trim()) return;
    const m = await attempt(store, api.sendMessage(selected.peer, text, null));
    if (!m) return;
    input.value = "";
    selected = { ...selected, id: m.conversationId };
    await loadThread();
    await loadList();
  }

  // search over every message: hits replace the list until the box is cleared
  const search = h("input", {
    type: "search",
    autocomplete: "off",
    "aria-label": t.chat.search,
    placeholder: t.chat.search,
    "data-testid": "chat-search",
    onInput: () => void (search.value.trim() ? runSearch() : loadList()),
  });
  const once = latest();
  async function runSearch() {
    const query = search.value.trim();
    const r = await once(api.searchMessages(query, SEARCH_LIMIT));
    if (!r.ok) {
      if (!r.stale) reportError(store, r.error);
      return;
    }
    // the box may have been cleared meanwhile
    if (!search.value.trim()) return;
    if (!r.value.length) {
      mount(list, h("li", { class: "empty", "data-testid": "chat-search-empty" }, t.chat.noHits(query)));
      return;
    }
    mount(list, ...r.value.map(hitRow));
  }
  function hitRow(hit: SearchHit): HTMLElement {
    const m = hit.message;
    return h(
      "li",
      {},
      h(
        "button",
        {
          type: "button",
          class: "chat-item hit",
          "data-testid": `chat-hit-${m.id}`,
          onClick: () => void openHit(m.conversationId),
        },
        h("span", { class: "chat-peer" }, m.direction === "out" ? t.chat.you : m.sender.replace(/^sips?:/, "")),
        h("span", { class: "chat-last", "data-testid": "chat-hit-text" }, ...highlighted(hit.highlighted)),
        h("time", { class: "chat-when", datetime: new Date(m.createdMs).toISOString() }, new Date(m.createdMs).toLocaleDateString()),
      ),
    );
  }
  async function openHit(conversation: number) {
    search.value = "";
    // open() finds the conversation's peer and name
    await open(conversation, "");
  }

  // + menu: Create a message asks for a recipient; groups come later
  const menuId = uid("chatmenu");
  const plus = h(
    "button",
    {
      type: "button",
      class: "icon-button plus",
      "aria-label": t.chat.plus,
      title: t.chat.plus,
      "aria-haspopup": "menu",
      "aria-expanded": "false",
      "aria-controls": menuId,
      "data-testid": "chat-plus",
      onClick: () => setOpen(menu.hidden),
    },
    "+",
  );
  const to = h("input", { type: "text", autocomplete: "off", "aria-label": t.chat.to, placeholder: t.chat.to, "data-testid": "chat-to" });
  const newForm = h(
    "form",
    {
      class: "form inline",
      hidden: true,
      "data-testid": "chat-new-form",
      onSubmit: (e) => {
        e.preventDefault();
        const peer = to.value.trim();
        if (!peer) return;
        newForm.hidden = true;
        to.value = "";
        void open(null, peer);
      },
    },
    to,
    h("button", { type: "submit", class: "primary", "data-testid": "chat-to-go" }, t.chat.start),
  );
  const item = (label: string, testid: string, act: () => void) =>
    h("button", { type: "button", role: "menuitem", "data-testid": testid, onClick: () => { setOpen(false); act(); } }, label);
  const menu = h(
    "div",
    { class: "menu", role: "menu", id: menuId, hidden: true, "data-testid": "chat-menu" },
    item(t.chat.createMessage, "chat-create-message", () => {
      newForm.hidden = false;
      to.focus();
    }),
    item(t.chat.createGroup, "chat-create-group", () => store.set({ notice: notice("info", t.chat.groupsNotYet) })),
  );
  function setOpen(open: boolean) {
    menu.hidden = !open;
    plus.setAttribute("aria-expanded", String(open));
    if (open) menu.querySelector<HTMLElement>("[role=menuitem]")?.focus();
  }
  menu.addEventListener("keydown", (e) => {
    if (e.key === "Escape") {
      setOpen(false);
      plus.focus();
    }
  });

  right.hidden = true;
  const el = h(
    "div",
    { class: "chat-screen" },
    h("div", { class: "toolbar" }, search, newForm, h("span", { class: "spacer" }), h("div", { class: "menu-anchor" }, plus, menu)),
    h("div", { class: "chat-columns" }, list, right),
  );
  const stops = [
    store.watch(
      (s) => s.messagesVersion,
      () => {
        void loadList();
        void loadThread();
      },
    ),
    // the Messages dashboard or a contact asked for a conversation (taken once)
    store.watch(
      (s) => s.chatRequest,
      (req) => {
        if (!req) return;
        store.set({ chatRequest: null });
        void open(req.conversation, req.peer);
      },
    ),
  ];
  return { el, dispose: () => stops.forEach((s) => s()) };
}
