// Every user-visible string, in one catalogue ready for translation.

export const en = {
  appName: "Handset",
  tabs: {
    messages: "Messages",
    chat: "Chat",
    calls: "Calls",
    contacts: "Contacts",
    keypad: "Keypad",
    meetings: "Meetings",
  },
  quickMenu: "Quick Menu",
  presence: { available: "Available", busy: "Busy", dnd: "Do Not Disturb" },
  muteCalls: "Mute Calls on this device",
  settings: "Settings",
  callHub: "Call Hub",
  version: (v: string) => `Version ${v}`,
  empty: {
    messages: "No conversations yet.",
    chat: "Start a chat from the + menu or from a contact.",
    calls: "No calls yet.",
    contacts: "No contacts yet.",
    keypad: "Enter a number or a feature access code.",
    meetings: "No upcoming meetings.",
  },
};

export type Strings = typeof en;
export const t: Strings = en;
