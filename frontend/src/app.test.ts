import { describe, expect, it } from "vitest";
import { createStore, renderApp, TABS } from "./app";

describe("app shell", () => {
  it("opens on the Messages dashboard with six tabs", () => {
    const root = document.createElement("div");
    renderApp(root, createStore());
    const tabs = [...root.querySelectorAll<HTMLButtonElement>("[role=tab]")];
    expect(tabs.map((b) => b.textContent)).toEqual(["Messages", "Chat", "Calls", "Contacts", "Keypad", "Meetings"]);
    expect(root.querySelector("[aria-selected=true]")?.textContent).toBe("Messages");
    expect(TABS.length).toBe(6);
  });

  it("switches tabs and toggles the Quick Menu", () => {
    const root = document.createElement("div");
    const store = createStore();
    renderApp(root, store);
    root.querySelector<HTMLButtonElement>("[data-tab=keypad]")!.click();
    expect(root.querySelector("h1")?.textContent).toBe("Keypad");
    root.querySelector<HTMLButtonElement>("[data-testid=profile]")!.click();
    expect(store.get().quickMenuOpen).toBe(true);
  });

  it("renders text as text, never as markup", () => {
    const root = document.createElement("div");
    const store = createStore();
    renderApp(root, store);
    store.set({ initials: "<img src=x onerror=alert(1)>" });
    expect(root.querySelector("img")).toBeNull();
    expect(root.querySelector("[data-testid=profile]")?.textContent).toBe("<img src=x onerror=alert(1)>");
  });
});
