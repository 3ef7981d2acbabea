import { afterEach, describe, expect, it } from "vitest";
import { byTestId, startApp, teardown, typeInto } from "../test/shell";

afterEach(teardown);

describe("Messages, Chat and Meetings", () => {
  it("Messages shows the guide's four sections, each with an honest empty state", async () => {
    const { root } = await startApp({}, "messages");
    const tabs = [...root.querySelectorAll<HTMLButtonElement>("[data-testid^=messages-tab-]")];
    expect(tabs.map((b) => b.textContent)).toEqual(["Messages", "SMS", "WhatsApp", "Voicemail"]);
    byTestId(root, "messages-tab-voicemail").click();
    expect(byTestId(root, "messages-tab-voicemail").getAttribute("aria-selected")).toBe("true");
    expect(byTestId(root, "messages-tab-team").getAttribute("aria-selected")).toBe("false");
    expect(byTestId(root, "messages-empty").textContent).toBe("No voicemails.");
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
