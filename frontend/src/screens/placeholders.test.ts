import { afterEach, describe, expect, it } from "vitest";
import type { Conversation } from "../api/types";
import { byTestId, maybeTestId, settle, startApp, teardown, typeInto } from "../test/shell";

afterEach(teardown);

function conv(p: Partial<Conversation> = {}): Conversation {
  return { id: 7, channel: "messages", kind: "direct", peer: "sip:202@pbx.example.com", title: null, lastActivityMs: 1_700_000_000_000, unread: 0, lastMessage: "see you", ...p };
}

describe("Messages dashboard", () => {
  it("lists each channel's conversations from list_conversations", async () => {
    const { root, shell } = await startApp({
      list_conversations: (a) =>
        a.channel === "messages" ? [conv({ id: 7, unread: 2 }), conv({ id: 8, peer: "sip:203@pbx.example.com" })] : a.channel === "sms" ? [conv({ id: 9, channel: "sms", peer: "tel:+15550100" })] : [],
    });
    // Messages opens by default, on the team section
    expect(shell.calls("list_conversations")).toEqual([{ channel: "messages" }]);
    expect([...root.querySelectorAll("[data-testid=messages-peer]")].map((e) => e.textContent)).toEqual(["202@pbx.example.com", "203@pbx.example.com"]);
    expect(byTestId(root, "messages-unread").textContent).toBe("2");
    expect(byTestId(root, "messages-conversation-7").getAttribute("aria-label")).toBe("Open the conversation with 202@pbx.example.com, 2 unread");
    byTestId(root, "messages-tab-sms").click();
    await settle();
    expect(shell.calls("list_conversations").at(-1)).toEqual({ channel: "sms" });
    expect(maybeTestId(root, "messages-conversation-9")).not.toBeNull();
    expect(maybeTestId(root, "messages-conversation-7")).toBeNull();
    byTestId(root, "messages-tab-whatsapp").click();
    await settle();
    expect(shell.calls("list_conversations").at(-1)).toEqual({ channel: "whatsapp" });
    expect(byTestId(root, "messages-empty").textContent).toBe("No WhatsApp conversations yet.");
  });

  it("opening a conversation continues it in Chat and marks it read", async () => {
    const { root, shell } = await startApp({
      list_conversations: () => [conv({ id: 7, unread: 1 })],
      list_messages: () => [{ id: 1, conversationId: 7, messageId: "a", direction: "in", sender: "sip:202@pbx.example.com", body: "lunch?", createdMs: 1_700_000_000_000, status: "received" }],
    });
    byTestId(root, "messages-conversation-7").click();
    await settle();
    expect(byTestId(root, "nav-chat").getAttribute("aria-selected")).toBe("true");
    expect(byTestId(root, "chat-title").textContent).toBe("202@pbx.example.com");
    expect(byTestId(root, "chat-message-1").textContent).toContain("lunch?");
    expect(shell.calls("list_messages")[0]).toMatchObject({ conversation: 7 });
    expect(shell.calls("mark_read")).toEqual([{ conversation: 7 }]);
    expect(byTestId(root, "chat-conversation-7").className).toContain("active");
    // taken once: coming back to Chat later does not reopen it by itself
    byTestId(root, "nav-calls").click();
    byTestId(root, "nav-chat").click();
    await settle();
    expect(shell.calls("list_messages")).toHaveLength(1);
    expect(byTestId(root, "chat-thread").closest("section")!.hidden).toBe(true);
  });

  it("Chat names the conversation as the dashboard does", async () => {
    const { root } = await startApp({ list_conversations: () => [conv({ id: 7, title: "Alice Smith" })] });
    byTestId(root, "messages-conversation-7").click();
    await settle();
    expect(byTestId(root, "chat-title").textContent).toBe("Alice Smith");
    expect(byTestId(root, "chat-call").getAttribute("aria-label")).toBe("Call Alice Smith");
  });

  it("a peer's name with markup shows literally", async () => {
    const { root } = await startApp({ list_conversations: () => [conv({ title: "<b>Ops</b>", lastMessage: "<img src=x onerror=alert(1)>" })] });
    const row = byTestId(root, "messages-conversation-7");
    expect(row.querySelector("b, img")).toBeNull();
    expect(byTestId(row, "messages-peer").textContent).toBe("<b>Ops</b>");
    expect(row.textContent).toContain("<img src=x onerror=alert(1)>");
  });

  it("an arriving message refreshes the list", async () => {
    let list: Conversation[] = [];
    const { root, shell } = await startApp({ list_conversations: () => list });
    expect(byTestId(root, "messages-empty").textContent).toBe("No team messages yet.");
    expect(byTestId(root, "messages-hint").textContent).toBe("Start a conversation from Chat or from a contact.");
    list = [conv({ id: 11, unread: 1, lastMessage: "hi" })];
    await shell.emit({ type: "messageReceived", message: { id: 5, conversationId: 11, messageId: "z", direction: "in", sender: "sip:202@pbx.example.com", body: "hi", createdMs: 1, status: "received" } });
    await settle();
    expect(byTestId(root, "messages-conversation-11").textContent).toContain("hi");
  });

  it("a failed listing shows the shell's sentence", async () => {
    const { root } = await startApp({
      list_conversations: () => {
        throw "the message store is unavailable";
      },
    });
    expect(byTestId(root, "notice-text").textContent).toBe("the message store is unavailable");
  });
});

describe("Messages, Chat and Meetings", () => {
  it("Messages shows the guide's four sections, each with an honest empty state", async () => {
    const { root } = await startApp({}, "messages");
    const tabs = [...root.querySelectorAll<HTMLButtonElement>("[data-testid^=messages-tab-]")];
    expect(tabs.map((b) => b.textContent)).toEqual(["Messages", "SMS", "WhatsApp", "Voicemail"]);
    byTestId(root, "messages-tab-voicemail").click();
    expect(byTestId(root, "messages-tab-voicemail").getAttribute("aria-selected")).toBe("true");
    expect(byTestId(root, "messages-tab-team").getAttribute("aria-selected")).toBe("false");
    expect(byTestId(root, "messages-empty").textContent).toBe("No voicemails.");
    // no command exists for voicemail: it says so rather than pretending to look
    expect(byTestId(root, "messages-hint").textContent).toBe("Voicemail is not connected in this version yet.");
  });

  it("Meetings: join and schedule report that no meetings server is configured", async () => {
    const { root, shell } = await startApp({}, "meetings");
    expect(byTestId(root, "meeting-list").textContent).toBe("No upcoming meetings.");
    typeInto(byTestId<HTMLInputElement>(root, "meeting-join-id"), "123-456");
    byTestId(root, "meeting-join").click();
    expect(byTestId(root, "meeting-join-status").textContent).toBe("No meetings server configured.");
    expect(byTestId(root, "meeting-schedule-form").hidden).toBe(true);
    byTestId(root, "meeting-schedule").click();
    expect(byTestId(root, "meeting-schedule-form").hidden).toBe(false);
    typeInto(byTestId<HTMLInputElement>(root, "meeting-subject"), "Weekly");
    byTestId(root, "meeting-schedule-submit").click();
    expect(byTestId(root, "meeting-schedule-status").textContent).toBe("No meetings server configured.");
    // nothing was sent anywhere
    expect(shell.log.map((i) => i.cmd).filter((c) => c.includes("meeting"))).toEqual([]);
  });
});
