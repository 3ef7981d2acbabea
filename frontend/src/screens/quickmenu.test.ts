import { afterEach, describe, expect, it } from "vitest";
import type { Presence } from "../api/types";
import { byTestId, profile, settle, startApp, teardown } from "../test/shell";

afterEach(teardown);

/** A profile the fake shell changes as the real one does. */
function profileShell() {
  const p = profile();
  return {
    get_profile: () => ({ ...p }),
    set_presence: (a: Record<string, unknown>) => {
      p.presence = a.presence as Presence;
      return null;
    },
    set_mute_calls: (a: Record<string, unknown>) => {
      p.muteCalls = a.on as boolean;
      return null;
    },
  };
}

describe("Quick Menu", () => {
  it("shows the name and extension and the current presence", async () => {
    const { root } = await startApp(profileShell());
    byTestId(root, "profile").click();
    const menu = byTestId(root, "quick-menu");
    expect(menu.getAttribute("role")).toBe("dialog");
    expect(byTestId(menu, "qm-name").textContent).toBe("Jane Doe");
    expect(byTestId(menu, "qm-extension").textContent).toBe("Extension 1001");
    const radios = [...menu.querySelectorAll("[role=radio]")];
    expect(radios.map((r) => r.textContent)).toEqual(["Available", "Busy", "Do Not Disturb"]);
    expect(byTestId(menu, "presence-available").getAttribute("aria-checked")).toBe("true");
  });

  it("changes presence through set_presence and shows what the shell then reports", async () => {
    const { root, shell } = await startApp(profileShell());
    byTestId(root, "profile").click();
    byTestId(root, "presence-dnd").click();
    await settle();
    expect(shell.calls("set_presence")).toEqual([{ presence: "dnd" }]);
    expect(byTestId(root, "presence-dnd").getAttribute("aria-checked")).toBe("true");
    expect(byTestId(root, "presence-available").getAttribute("aria-checked")).toBe("false");
    expect(root.querySelector(".avatar .presence-dot")?.classList.contains("dnd")).toBe(true);
  });

  it("toggles Mute Calls on this device", async () => {
    const { root, shell } = await startApp(profileShell());
    byTestId(root, "profile").click();
    const sw = byTestId(root, "mute-calls");
    expect(sw.getAttribute("role")).toBe("switch");
    expect(sw.getAttribute("aria-checked")).toBe("false");
    sw.click();
    await settle();
    expect(shell.calls("set_mute_calls")).toEqual([{ on: true }]);
    expect(byTestId(root, "mute-calls").getAttribute("aria-checked")).toBe("true");
    byTestId(root, "mute-calls").click();
    await settle();
    expect(shell.calls("set_mute_calls").at(-1)).toEqual({ on: false });
  });

  it("keeps the old presence when the shell refuses", async () => {
    const { root } = await startApp({
      set_presence: () => {
        throw "presence 'x' must be available, busy or dnd";
      },
    });
    byTestId(root, "profile").click();
    byTestId(root, "presence-busy").click();
    await settle();
    expect(byTestId(root, "presence-available").getAttribute("aria-checked")).toBe("true");
    expect(byTestId(root, "notice-text").textContent).toBe("presence 'x' must be available, busy or dnd");
  });

  it("opens Settings and closes itself", async () => {
    const { root } = await startApp();
    byTestId(root, "profile").click();
    byTestId(root, "open-settings").click();
    await settle();
    expect(byTestId(root, "quick-menu").hidden).toBe(true);
    expect(root.querySelector("h1")?.textContent).toBe("Settings");
    expect(byTestId(root, "settings")).toBeTruthy();
    expect(root.querySelector("nav [aria-selected=true]")).toBeNull();
    byTestId(root, "settings-close").click();
    expect(root.querySelector("h1")?.textContent).toBe("Messages");
  });
});
