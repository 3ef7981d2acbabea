import { afterEach, describe, expect, it } from "vitest";
import { renderApp } from "./app";
import { connect, createStore, flagParkedCall } from "./state";
import { account, byTestId, FakeShell, profile, settings, settle, teardown } from "./test/shell";

afterEach(teardown);

function setup(overrides: ConstructorParameters<typeof FakeShell>[0] = {}) {
  const shell = new FakeShell(overrides);
  const root = document.createElement("div");
  document.body.append(root);
  const store = createStore();
  renderApp(root, store);
  return { shell, root, store };
}

describe("app shell", () => {
  it("opens on the Messages dashboard with six tabs", () => {
    const { root } = setup();
    const tabs = [...root.querySelectorAll<HTMLButtonElement>("nav [role=tab]")];
    expect(tabs.map((b) => b.textContent)).toEqual(["Messages", "Chat", "Calls", "Contacts", "Keypad", "Meetings"]);
    expect(root.querySelector("nav [aria-selected=true]")?.textContent).toBe("Messages");
    expect(root.querySelector("h1")?.textContent).toBe("Messages");
    expect(byTestId(root, "messages-tab-team").getAttribute("aria-selected")).toBe("true");
  });

  it("switches tabs, moves with the arrow keys, and toggles the Quick Menu", async () => {
    const { root, store } = setup();
    await connect(store);
    root.querySelector<HTMLButtonElement>("[data-tab=keypad]")!.click();
    expect(root.querySelector("h1")?.textContent).toBe("Keypad");
    expect(byTestId(root, "keypad")).toBeTruthy();
    const tab = root.querySelector<HTMLButtonElement>("[data-tab=keypad]")!;
    tab.focus();
    tab.dispatchEvent(new KeyboardEvent("keydown", { key: "ArrowDown", bubbles: true }));
    expect(root.querySelector("h1")?.textContent).toBe("Meetings");
    const avatar = byTestId(root, "profile");
    expect(avatar.getAttribute("aria-expanded")).toBe("false");
    avatar.click();
    expect(avatar.getAttribute("aria-expanded")).toBe("true");
    expect(byTestId(root, "quick-menu").hidden).toBe(false);
    document.dispatchEvent(new KeyboardEvent("keydown", { key: "Escape" }));
    expect(byTestId(root, "quick-menu").hidden).toBe(true);
  });

  it("shows initials, the version, and the registration of the profile's account live", async () => {
    const { root, store, shell } = setup();
    await connect(store);
    expect(byTestId(root, "profile-initials").textContent).toBe("JD");
    expect(byTestId(root, "footer").textContent).toBe("Version 0.1.0");
    expect(byTestId(root, "registration-status").textContent).toBe("Not registered");
    await shell.emit({ type: "registration", account: 1, info: { state: "registered", expires: 600, contact: null, server: "udp:10.0.0.1:5060", reason: null, retryInMs: null } });
    await settle();
    expect(byTestId(root, "registration-status").textContent).toBe("Registered");
    await shell.emit({ type: "registration", account: 1, info: { state: "retrying", expires: null, contact: null, server: null, reason: "408 Request Timeout", retryInMs: 30000 } });
    await settle();
    expect(byTestId(root, "registration-status").textContent).toBe("Retrying · 408 Request Timeout · next try in 30 s");
  });

  it("a press outside the Quick Menu closes it; a press inside does not", async () => {
    const { root, store } = setup();
    await connect(store);
    byTestId(root, "profile").click();
    byTestId(root, "qm-name").dispatchEvent(new MouseEvent("mousedown", { bubbles: true }));
    expect(store.get().quickMenuOpen).toBe(true);
    byTestId(root, "footer").dispatchEvent(new MouseEvent("mousedown", { bubbles: true }));
    expect(store.get().quickMenuOpen).toBe(false);
    expect(byTestId(root, "quick-menu").hidden).toBe(true);
  });

  it("shows no registration state for an account that does not register (the local one)", async () => {
    const { root, store } = setup({
      list_accounts: () => [account(5, { user: "echo", domain: "127.0.0.1", register: false }, { local: true })],
      get_profile: () => profile({ accountId: 5, extension: "echo" }),
    });
    await connect(store);
    expect(byTestId(root, "registration-status").textContent).toBe("");
  });

  it("applies the saved language to the document", async () => {
    const { store } = setup({ get_settings: () => settings({ language: "en" }) });
    await connect(store);
    expect(document.documentElement.lang).toBe("en");
  });

  it("renders profile text as text, never as markup", async () => {
    const { root, store } = setup({ get_profile: () => profile({ initials: "<img src=x onerror=alert(1)>", displayName: "<b>Eve</b>" }) });
    await connect(store);
    expect(root.querySelector("img")).toBeNull();
    expect(byTestId(root, "profile-initials").textContent).toBe("<img src=x onerror=alert(1)>");
    byTestId(root, "profile").click();
    expect(root.querySelector("b")).toBeNull();
    expect(byTestId(root, "qm-name").textContent).toBe("<b>Eve</b>");
  });

  it("flashes the Call Hub until it is opened", () => {
    const { root, store } = setup();
    const hub = byTestId(root, "callhub");
    expect(hub.classList.contains("flash")).toBe(false);
    flagParkedCall(store);
    expect(hub.classList.contains("flash")).toBe(true);
    expect(hub.getAttribute("aria-label")).toMatch(/parked/);
    hub.click();
    expect(hub.classList.contains("flash")).toBe(false);
    expect(byTestId(root, "callhub-panel").hidden).toBe(false);
    expect(byTestId(root, "parked-list").textContent).toBe("No parked calls.");
  });

  it("shows errors from the shell and lets them be dismissed", async () => {
    const { root, store, shell } = setup();
    await connect(store);
    await shell.emit({ type: "transportError", target: "pbx.example.com:5061", reason: "TLS handshake failed" });
    await settle();
    const n = byTestId(root, "notice");
    expect(n.dataset.kind).toBe("error");
    expect(n.closest("[role=alert]")).toBeTruthy();
    expect(byTestId(root, "notice-text").textContent).toBe("pbx.example.com:5061: TLS handshake failed");
    byTestId(root, "notice-dismiss").click();
    expect(root.querySelector("[data-testid=notice]")).toBeNull();
  });

  it("tears down cleanly", () => {
    const shell = new FakeShell();
    const root = document.createElement("div");
    const store = createStore();
    const stop = renderApp(root, store);
    stop();
    expect(root.childElementCount).toBe(0);
    store.set({ tab: "calls" });
    expect(shell.calls("call_history")).toEqual([]);
  });
});
