// Messages, Chat and Meetings: laid out as in the guide, with honest empty
// states until the messaging and meetings commands exist.

import type { AppStore } from "../state";
import { t } from "../strings";
import { h, mount, text, type View } from "../ui/dom";
import { field, uid } from "../ui/widgets";

const MESSAGE_SECTIONS = ["team", "sms", "whatsapp", "voicemail"] as const;
type MessageSection = (typeof MESSAGE_SECTIONS)[number];

/** The Messages dashboard: Messages, SMS, WhatsApp and Voicemail. */
export function messagesScreen(_store: AppStore): View {
  let current: MessageSection = "team";
  const panelId = uid("msgs");
  const body = h("div", { class: "panel", role: "tabpanel", id: panelId, "data-testid": "messages-panel" });
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
  function show(s: MessageSection) {
    current = s;
    for (const b of tabs) b.setAttribute("aria-selected", String(b.dataset.testid === `messages-tab-${current}`));
    mount(body, h("p", { class: "empty", "data-testid": "messages-empty" }, t.messages.empty[s]), h("p", { class: "hint" }, t.messages.notYet));
  }
  show(current);
  const el = h("div", { class: "messages-screen" }, h("div", { class: "segmented", role: "tablist", "aria-label": t.messages.sectionsLabel }, ...tabs), body);
  return { el, dispose: () => {} };
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
