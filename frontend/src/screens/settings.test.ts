import { afterEach, describe, expect, it } from "vitest";
import type { AccountView, Settings } from "../api/types";
import { account, byTestId, choose, maybeTestId, settings, settle, startApp, teardown, typeInto } from "../test/shell";

afterEach(teardown);

async function openSettings(overrides: Parameters<typeof startApp>[0] = {}) {
  const app = await startApp(overrides);
  byTestId(app.root, "profile").click();
  byTestId(app.root, "open-settings").click();
  await settle();
  return app;
}

function accountsShell(initial: AccountView[]) {
  const list = initial.map((a) => structuredClone(a));
  return {
    list,
    handlers: {
      list_accounts: () => structuredClone(list),
      save_account: (a: Record<string, unknown>) => {
        const id = (a.id as number | null) ?? 10 + list.length;
        const view: AccountView = { id, config: a.config as AccountView["config"], registration: null };
        const i = list.findIndex((x) => x.id === id);
        if (i >= 0) list[i] = view;
        else list.push(view);
        return id;
      },
      remove_account: (a: Record<string, unknown>) => {
        list.splice(
          list.findIndex((x) => x.id === a.id),
          1,
        );
        return null;
      },
    },
  };
}

describe("Settings: accounts", () => {
  it("lists accounts with their live registration; the built-in one cannot be removed", async () => {
    const acc = accountsShell([
      account(1, {}, { registration: { state: "registered", expires: 600, contact: null, server: null, reason: null, retryInMs: null } }),
      account(2, { displayName: "Echo test", user: "echo", domain: "127.0.0.1", register: false }, { local: true }),
    ]);
    const { root, shell } = await openSettings(acc.handlers);
    expect(byTestId(root, "account-1").textContent).toContain("1001@pbx.example.com");
    expect(byTestId(root, "account-reg-1").textContent).toBe("Registered");
    expect(maybeTestId(root, "account-remove-1")).not.toBeNull();
    expect(maybeTestId(root, "account-remove-2")).toBeNull();
    await shell.emit({ type: "registration", account: 1, info: { state: "failed", expires: null, contact: null, server: null, reason: "403 Forbidden", retryInMs: null } });
    await settle();
    expect(byTestId(root, "account-reg-1").textContent).toBe("Registration failed · 403 Forbidden");
  });

  it("adds an account: every field, empty optionals as null, the password only sent", async () => {
    const acc = accountsShell([]);
    const { root, shell } = await openSettings(acc.handlers);
    byTestId(root, "account-add").click();
    const form = byTestId(root, "account-form");
    typeInto(byTestId<HTMLInputElement>(form, "account-display-name"), "Jane Doe");
    typeInto(byTestId<HTMLInputElement>(form, "account-user"), "1001");
    typeInto(byTestId<HTMLInputElement>(form, "account-domain"), "pbx.example.com");
    typeInto(byTestId<HTMLInputElement>(form, "account-server"), "sbc.example.com:5061");
    choose(byTestId<HTMLSelectElement>(form, "account-transport"), "tls");
    typeInto(byTestId<HTMLInputElement>(form, "account-expires"), "300");
    typeInto(byTestId<HTMLInputElement>(form, "account-password"), "s3cret");
    expect(byTestId<HTMLInputElement>(form, "account-password").type).toBe("password");
    byTestId(form, "account-save").click();
    await settle();
    expect(shell.calls("save_account")).toEqual([
      {
        id: null,
        config: {
          displayName: "Jane Doe",
          user: "1001",
          domain: "pbx.example.com",
          authUser: null,
          server: "sbc.example.com:5061",
          transport: "tls",
          expires: 300,
          keepaliveSecs: 30,
          register: true,
        },
        password: "s3cret",
      },
    ]);
    expect(maybeTestId(root, "account-form")).toBeNull();
    expect(byTestId(root, "account-10").textContent).toContain("TLS");
    // the profile follows account changes
    expect(shell.calls("get_profile").length).toBeGreaterThan(1);
  });

  it("shows the refusal next to the form and keeps the form", async () => {
    const { root } = await openSettings({
      save_account: () => {
        throw "user 'two words' must be non-empty, without spaces, '@' or ':'";
      },
    });
    byTestId(root, "account-add").click();
    typeInto(byTestId<HTMLInputElement>(root, "account-user"), "two words");
    byTestId(root, "account-save").click();
    await settle();
    const err = byTestId(root, "account-error");
    expect(err.textContent).toBe("user 'two words' must be non-empty, without spaces, '@' or ':'");
    expect(err.getAttribute("role")).toBe("alert");
    expect(err.closest("[data-testid=account-form]")).not.toBeNull();
    expect(byTestId<HTMLInputElement>(root, "account-user").value).toBe("two words");
  });

  it("edits an account by id, keeping the stored password when the field is empty", async () => {
    const acc = accountsShell([account(1, { authUser: "auth1001" })]);
    const { root, shell } = await openSettings(acc.handlers);
    byTestId(root, "account-edit-1").click();
    expect(byTestId<HTMLInputElement>(root, "account-auth-user").value).toBe("auth1001");
    choose(byTestId<HTMLInputElement>(root, "account-register"), false);
    byTestId(root, "account-save").click();
    await settle();
    const sent = shell.calls("save_account")[0];
    expect(sent.id).toBe(1);
    expect(sent.password).toBeNull();
    expect(sent.config).toMatchObject({ authUser: "auth1001", register: false });
  });

  it("removes an account after a confirmation", async () => {
    const acc = accountsShell([account(1), account(3, { user: "1003" })]);
    const { root, shell } = await openSettings(acc.handlers);
    byTestId(root, "account-remove-3").click();
    await settle();
    expect(shell.calls("remove_account")).toEqual([]);
    byTestId(root, "account-remove-3").click();
    await settle();
    expect(shell.calls("remove_account")).toEqual([{ id: 3 }]);
    expect(maybeTestId(root, "account-3")).toBeNull();
  });
});

describe("Settings: preferences", () => {
  it("lists audio devices and plays the test tone on the chosen one", async () => {
    const { root, shell } = await openSettings();
    const out = byTestId<HTMLSelectElement>(root, "audio-output");
    expect([...out.options].map((o) => o.textContent)).toEqual(["System default", "Built-in Speakers (default)", "USB Headset"]);
    byTestId(root, "test-tone-output").click();
    await settle();
    choose(out, "USB Headset");
    byTestId(root, "test-tone-output").click();
    await settle();
    expect(shell.calls("play_test_tone")).toEqual([{ device: null }, { device: "USB Headset" }]);
    choose(byTestId<HTMLSelectElement>(root, "audio-ringer"), "Built-in Speakers");
    byTestId(root, "test-tone-ringer").click();
    await settle();
    expect(shell.calls("play_test_tone").at(-1)).toEqual({ device: "Built-in Speakers" });
  });

  it("shows a test tone failure in the audio section", async () => {
    const { root } = await openSettings({
      play_test_tone: () => {
        throw "no such device";
      },
    });
    byTestId(root, "test-tone-output").click();
    await settle();
    expect(byTestId(root, "audio-error").textContent).toBe("no such device");
  });

  it("keeps a saved device that is not plugged in", async () => {
    const { root } = await openSettings({ get_settings: () => settings({ audio: { input: "Old Mic", output: null, ringer: null, noiseSuppression: true } }) });
    expect(byTestId<HTMLSelectElement>(root, "audio-input").value).toBe("Old Mic");
  });

  it("saves every section together", async () => {
    const { root, shell } = await openSettings();
    choose(byTestId<HTMLSelectElement>(root, "audio-input"), "USB Headset");
    choose(byTestId<HTMLInputElement>(root, "audio-noise"), false);
    choose(byTestId<HTMLInputElement>(root, "notify-messages"), false);
    typeInto(byTestId<HTMLInputElement>(root, "pbx-parkCode"), "*70");
    choose(byTestId<HTMLInputElement>(root, "start-at-login"), true);
    choose(byTestId<HTMLSelectElement>(root, "language"), "en");
    byTestId(root, "settings-save").click();
    await settle();
    const expected: Settings = settings({
      audio: { input: "USB Headset", output: null, ringer: null, noiseSuppression: false },
      notifications: { calls: true, messages: false, parked: true },
      pbx: { parkCode: "*70", groupParkCode: "*58", retrieveCode: "*88", voicemailCode: "*55", flipCode: "*11" },
      startAtLogin: true,
    });
    expect(shell.calls("save_settings")).toEqual([{ settings: expected }]);
    expect(byTestId(root, "settings-status").textContent).toBe("Saved.");
  });

  it("shows the refusal of a bad code", async () => {
    const { root } = await openSettings({
      save_settings: () => {
        throw "the park code '*7x' may hold only digits, * and #";
      },
    });
    typeInto(byTestId<HTMLInputElement>(root, "pbx-parkCode"), "*7x");
    byTestId(root, "settings-save").click();
    await settle();
    expect(byTestId(root, "settings-error").textContent).toBe("the park code '*7x' may hold only digits, * and #");
    expect(byTestId(root, "settings-status").textContent).toBe("");
  });

  it("applies the theme through data-theme at once, keeps it when saved, and reverts it when not", async () => {
    const { root, shell } = await openSettings();
    expect(document.documentElement.dataset.theme).toBe("system");
    choose(byTestId<HTMLInputElement>(root, "theme-dark"), true);
    expect(document.documentElement.dataset.theme).toBe("dark");
    byTestId(root, "settings-close").click();
    expect(document.documentElement.dataset.theme).toBe("system");

    byTestId(root, "profile").click();
    byTestId(root, "open-settings").click();
    await settle();
    choose(byTestId<HTMLInputElement>(root, "theme-light"), true);
    byTestId(root, "settings-save").click();
    await settle();
    expect((shell.calls("save_settings")[0].settings as Settings).theme).toBe("light");
    byTestId(root, "settings-close").click();
    expect(document.documentElement.dataset.theme).toBe("light");
  });
});
