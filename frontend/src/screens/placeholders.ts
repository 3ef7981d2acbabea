// Messages and Meetings, laid out as in the guide. The Messages dashboard
// lists the conversations of each channel (opening one continues it in Chat);
// Voicemail and Meetings show honest empty states, as the engine has no
// voicemail or meetings commands yet.

import * as api from "../api/commands";
import type { Conversation } from "../api/types";
import { openChat, reportError, type AppStore } from "../state";
import { t } from "../strings";
import { h, mount, text, type View } from "../ui/dom";
import { field, uid } from "../ui/widgets";
import { peerLabel } from "./chat";
import { latest } from "./picker";

const MESSAGE_SECTIONS = ["team", "sms", "whatsapp", "voicemail"] as const;
type MessageSection = (typeof MESSAGE_SECTIONS)[number];

/** The `list_conversations` channel of each section (voicemail has none yet). */
const CHANNELS: Record<MessageSection, string | null> = { team: "messages", sms: "sms", whatsapp: "whatsapp", voicemail: null };

function when(ms: number): string {
  const d = new Date(ms);
  const today = new Date().toDateString() === d.toDateString();
  return today ? d.toLocaleTimeString(undefined, { timeStyle: "short" }) : d.toLocaleDateString(undefined, { dateStyle: "medium" });
}

function conversationRow(store: AppStore, c: Conversation): HTMLElement {
  const who = peerLabel(c);
  return h(
    "li",
    {},
    h(
      "button",
      {
        type: "button",
        class: c.unread > 0 ? "chat-item unread" : "chat-item",
        "aria-label": c.unread > 0 ? t.messages.openUnread(who, c.unread) : t.messages.open(who),
        "data-testid": `messages-conversation-${c.id}`,
        onClick: () => openChat(store, c.peer ?? who, c.id),
      },
      h("span", { class: "chat-peer", "data-testid": "messages-peer" }, who),
      h("span", { class: "chat-last" }, c.lastMessage ?? ""),
      h("time", { class: "chat-when", datetime: new Date(c.lastActivityMs).toISOString() }, when(c.lastActivityMs)),
      c.unread > 0 ? h("span", { class: "badge", "data-testid": "messages-unread" }, String(c.unread)) : null,
    ),
  );
}

/** The Messages dashboard: Messages, SMS, WhatsApp and Voicemail. */
export function messagesScreen(store: AppStore): View {
  let current: MessageSection = "team";
  const once = latest();
  const panelId = uid("msgs");
  const body = h("div", { class: "panel", role: "tabpanel", id: panelId, "data-testid": "messages-panel" });
  const list = h("ul", { class: "chat-list", role: "list", "data-testid": "messages-list" });
  const tabs = MESSAGE_SECTIONS.map((s) =>
    h(
      "button",
      {
        type: "button",
        role: "tab",
        class: "seg",
        "aria-controls": panelId,
        "data-testid": `messages-tab-${s}`,
        onClick: () => show(s),
      },
      t.messages.sections[s],
    ),
  );
  const empty = (s: MessageSection) => h("p", { class: "empty", "data-testid": "messages-empty" }, t.messages.empty[s]);

  async function load() {
    const section = current;
    const channel = CHANNELS[section];
    if (channel === null) {
      mount(body, empty(section), h("p", { class: "hint", "data-testid": "messages-hint" }, t.messages.voicemailNotYet));
      return;
    }
    list.setAttribute("aria-busy", "true");
    const r = await once(api.listConversations(channel));
    if (!r.ok) {
      if (!r.stale) {
        list.removeAttribute("aria-busy");
        reportError(store, r.error);
      }
      return;
    }
    list.removeAttribute("aria-busy");
    if (!r.value.length) {
      mount(body, empty(section), section === "team" ? h("p", { class: "hint", "data-testid": "messages-hint" }, t.messages.startHint) : null);
      return;
    }
    mount(list, ...r.value.map((c) => conversationRow(store, c)));
    list.setAttribute("aria-label", t.messages.sections[section]);
    mount(body, list);
  }

  function show(s: MessageSection) {
    current = s;
    for (const b of tabs) b.setAttribute("aria-selected", String(b.dataset.testid === `messages-tab-${current}`));
    void load();
  }
  for (const b of tabs) b.setAttribute("aria-selected", String(b.dataset.testid === `messages-tab-${current}`));
  const el = h("div", { class: "messages-screen" }, h("div", { class: "segmented", role: "tablist", "aria-label": t.messages.sectionsLabel }, ...tabs), body);
  // the first call loads; later ones follow arriving and changing messages
  const stop = store.watch(
    (s) => s.messagesVersion,
    () => void load(),
  );
  return { el, dispose: stop };
}

/** Meetings: upcoming list, join, and the schedule form. */
export function meetingsScreen(_store: AppStore): View {
  const joinStatus = h("p", { class: "form-error", role: "alert", "data-testid": "meeting-join-status" });
  const joinId = h("input", { type: "text", autocomplete: "off", "data-testid": "meeting-join-id" });
  const join = h(
    "form",
    {
      class: "form inline",
      "aria-label": t.meetings.join,
      "data-testid": "meeting-join-form",
      onSubmit: (e) => {
        e.preventDefault();
        text(joinStatus, t.meetings.noServer);
      },
    },
    field(t.meetings.joinId, joinId),
    h("button", { type: "submit", class: "primary", "data-testid": "meeting-join" }, t.meetings.joinButton),
    joinStatus,
  );

  const scheduleStatus = h("p", { class: "form-error", role: "alert", "data-testid": "meeting-schedule-status" });
  const schedule = h(
    "form",
    {
      class: "form",
      hidden: true,
      "aria-label": t.meetings.scheduleTitle,
      "data-testid": "meeting-schedule-form",
      onSubmit: (e) => {
        e.preventDefault();
        text(scheduleStatus, t.meetings.noServer);
      },
    },
    h("h2", {}, t.meetings.scheduleTitle),
    field(t.meetings.subject, h("input", { type: "text", "data-testid": "meeting-subject" })),
    h("div", { class: "row" }, field(t.meetings.date, h("input", { type: "date", "data-testid": "meeting-date" })), field(t.meetings.time, h("input", { type: "time", "data-testid": "meeting-time" })), field(t.meetings.duration, h("input", { type: "number", min: 5, value: "30", "data-testid": "meeting-duration" }))),
    field(t.meetings.participants, h("input", { type: "text", "data-testid": "meeting-participants" })),
    scheduleStatus,
    h("div", { class: "row" }, h("button", { type: "submit", class: "primary", "data-testid": "meeting-schedule-submit" }, t.meetings.schedule), h("button", { type: "button", "data-testid": "meeting-schedule-cancel", onClick: () => toggle(false) }, t.cancel)),
  );
  const open = h("button", { type: "button", class: "primary", "aria-expanded": "false", "data-testid": "meeting-schedule", onClick: () => toggle(schedule.hidden) }, t.meetings.schedule);
  function toggle(show: boolean) {
    schedule.hidden = !show;
    open.setAttribute("aria-expanded", String(show));
    text(scheduleStatus, "");
    if (show) schedule.querySelector("input")?.focus();
  }
  const upcomingId = uid("upc");
  const el = h(
    "div",
    { class: "meetings-screen" },
    h("div", { class: "toolbar" }, h("h2", { id: upcomingId }, t.meetings.upcoming), h("span", { class: "spacer" }), open),
    h("ul", { class: "meeting-list", role: "list", "aria-labelledby": upcomingId, "data-testid": "meeting-list" }, h("li", { class: "empty" }, t.meetings.none)),
    schedule,
    h("section", { class: "card" }, h("h2", {}, t.meetings.join), join),
  );
  return { el, dispose: () => {} };
}
