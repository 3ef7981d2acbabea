import { afterEach, describe, expect, it } from "vitest";
import type { ChatMessage } from "../api/generated/ChatMessage";
import { byTestId, settle, startApp, teardown, typeInto } from "../test/shell";

afterEach(teardown);

const conv = { id: 7, channel: "messages", kind: "direct", peer: "sip:202@pbx.example.com", title: null, lastActivityMs: 1, unread: 2, lastMessage: "see <b>you</b>" };

function msg(p: Partial<ChatMessage>): ChatMessage {
  return { id: 1, conversationId: 7, messageId: "a", direction: "in", sender: "sip:202@pbx.example.com", body: "", createdMs: 1_700_000_000_000, status: "received", ...p };
}

describe("Chat", () => {
  it("lists conversations with unread counts; opening one shows its messages as text and marks it read", async () => {
    const { root, shell } = await startApp({}, "chat");
    shell.on("list_conversations", () => [conv]);
    shell.on("list_messages", () => [msg({ id: 1, body: "hello <img src=x onerror=alert(1)>" }), msg({ id: 2, direction: "out", body: "hi", status: "delivered" })]);
    await shell.emit({ type: "messageReceived", message: msg({ id: 3, body: "x" }) });
    await settle();
    const item = byTestId(root, "chat-conversation-7");
    expect(item.textContent).toContain("202@pbx.example.com");
    expect(byTestId(root, "chat-unread").textContent).toBe("2");
    item.click();
    await settle();
    const thread = byTestId(root, "chat-thread");
    expect(thread.querySelector("img")).toBeNull();
    expect(byTestId(root, "chat-message-1").querySelector("[data-testid=chat-message-text]")!.textContent).toBe("hello <img src=x onerror=alert(1)>");
    expect(byTestId(root, "chat-message-2").textContent).toContain("delivered");
    expect(shell.calls("mark_read")).toEqual([{ conversation: 7 }]);
  });

  it("Create a message asks for a recipient, and Send sends to it", async () => {
    const { root, shell } = await startApp({}, "chat");
    byTestId(root, "chat-plus").click();
    byTestId(root, "chat-create-message").click();
    expect(byTestId(root, "chat-new-form").hidden).toBe(false);
    typeInto(byTestId<HTMLInputElement>(root, "chat-to"), "202");
    byTestId<HTMLFormElement>(root, "chat-new-form").requestSubmit();
    await settle();
    expect(byTestId(root, "chat-title").textContent).toBe("202");
    typeInto(byTestId<HTMLInputElement>(root, "chat-input"), "lunch?");
    byTestId<HTMLFormElement>(root, "chat-composer").requestSubmit();
    await settle();
    expect(shell.calls("send_message")).toEqual([{ to: "202", text: "lunch?", account: null }]);
    expect(byTestId<HTMLInputElement>(root, "chat-input").value).toBe("");
  });

  it("a group asks for later, honestly", async () => {
    const { root } = await startApp({}, "chat");
    byTestId(root, "chat-plus").click();
    byTestId(root, "chat-create-group").click();
    await settle();
    expect(byTestId(root, "notice-text").textContent).toBe("Group chats come in a later version.");
  });

  it("the phone icon calls the conversation's peer", async () => {
    const { root, shell } = await startApp({ list_conversations: () => [conv] }, "chat");
    byTestId(root, "chat-conversation-7").click();
    await settle();
    const call = byTestId(root, "chat-call");
    expect(call.getAttribute("aria-label")).toBe("Call 202@pbx.example.com");
    call.click();
    await settle();
    expect(shell.calls("place_call")).toEqual([{ target: "sip:202@pbx.example.com", account: null }]);
  });

  it("a new chat with someone already talked to continues that conversation", async () => {
    const { root, shell } = await startApp({ list_conversations: () => [conv] }, "chat");
    byTestId(root, "chat-plus").click();
    byTestId(root, "chat-create-message").click();
    typeInto(byTestId<HTMLInputElement>(root, "chat-to"), "202");
    byTestId<HTMLFormElement>(root, "chat-new-form").requestSubmit();
    await settle();
    expect(shell.calls("list_messages")[0]).toMatchObject({ conversation: 7 });
    expect(shell.calls("mark_read")).toEqual([{ conversation: 7 }]);
  });

  it("searches every message, marks the matches as text, and a hit opens its conversation", async () => {
    const { root, shell } = await startApp(
      {
        list_conversations: () => [conv],
        search_messages: () => [{ message: msg({ id: 4, body: "meet <b>there</b> at 5" }), highlighted: "meet <b>\u0001there\u0002</b> at 5" }],
      },
      "chat",
    );
    typeInto(byTestId<HTMLInputElement>(root, "chat-search"), "there");
    await settle();
    expect(shell.calls("search_messages")).toEqual([{ query: "there", limit: 50 }]);
    const hit = byTestId(root, "chat-hit-4");
    expect(hit.querySelector("b")).toBeNull();
    expect(byTestId(hit, "chat-hit-text").textContent).toBe("meet <b>there</b> at 5");
    expect([...hit.querySelectorAll("mark")].map((m) => m.textContent)).toEqual(["there"]);
    // the conversation list is replaced by the hits while searching
    expect(root.querySelector("[data-testid=chat-conversation-7]")).toBeNull();
    hit.click();
    await settle();
    expect(shell.calls("list_messages")[0]).toMatchObject({ conversation: 7 });
    expect(byTestId(root, "chat-title").textContent).toBe("202@pbx.example.com");
    expect(byTestId<HTMLInputElement>(root, "chat-search").value).toBe("");
    expect(byTestId(root, "chat-conversation-7")).toBeTruthy();
  });

  it("says when nothing matches, and clearing the box brings the conversations back", async () => {
    const { root } = await startApp({ list_conversations: () => [conv] }, "chat");
    const box = byTestId<HTMLInputElement>(root, "chat-search");
    typeInto(box, "zebra");
    await settle();
    expect(byTestId(root, "chat-search-empty").textContent).toBe("No messages match “zebra”.");
    typeInto(box, "");
    await settle();
    expect(byTestId(root, "chat-conversation-7")).toBeTruthy();
  });
});
