// Settings (from the Quick Menu): accounts, audio devices with a test tone,
// ringtone, notifications, PBX feature codes, appearance and language.

import * as api from "../api/commands";
import type { AccountConfig } from "../api/generated/AccountConfig";
import type { TransportChoice } from "../api/generated/TransportChoice";
import type { AccountView, AudioDevice, Settings, Theme } from "../api/types";
import { applySettings, applyTheme, attempt, refreshAccounts, refreshProfile, reportError, type AppStore } from "../state";
import { t } from "../strings";
import { h, mount, text, type View } from "../ui/dom";
import { checkbox, field, registrationText, section, uid } from "../ui/widgets";

const TRANSPORTS: TransportChoice[] = ["udp", "tcp", "tls", "ws", "wss"];
const THEMES: Theme[] = ["light", "dark", "system"];

function blankConfig(): AccountConfig {
  return { displayName: null, user: "", domain: "", authUser: null, server: null, transport: "udp", expires: 600, keepaliveSecs: 30, register: true };
}

const opt = (s: string) => (s.trim() ? s.trim() : null);
const num = (s: string) => {
  const n = Number(s);
  return Number.isFinite(n) ? Math.round(n) : 0;
};

function accountsSection(store: AppStore): View {
  const list = h("ul", { class: "account-list", role: "list", "data-testid": "account-list" });
  const formSlot = h("div", { class: "account-form-slot" });
  const add = h("button", { type: "button", class: "primary", "data-testid": "account-add", onClick: () => openForm(null) }, t.settingsPage.addAccount);
  let accounts: AccountView[] = [];
  let alive = true;

  async function load() {
    const r = await refreshAccounts(store);
    if (!alive || !r) return;
    accounts = r;
    draw();
  }

  function draw() {
    const regs = store.get().registrations;
    if (!accounts.length) {
      mount(list, h("li", { class: "empty" }, t.settingsPage.noAccounts));
      return;
    }
    mount(
      list,
      ...accounts.map((a) => {
        const reg = regs[a.id] ?? a.registration;
        let confirming = false;
        const remove = a.local
          ? null
          : h(
              "button",
              {
                type: "button",
                class: "danger-outline",
                "data-testid": `account-remove-${a.id}`,
                onClick: async () => {
                  if (!confirming) {
                    confirming = true;
                    text(remove!, t.confirmRemove);
                    return;
                  }
                  const ok = await attempt(store, api.removeAccount(a.id));
                  if (ok !== undefined) {
                    await load();
                    await refreshProfile(store);
                  }
                },
              },
              t.remove,
            );
        return h(
          "li",
          { class: "account-item", "data-testid": `account-${a.id}` },
          h(
            "div",
            { class: "who" },
            h("span", { class: "name" }, a.config.displayName ?? a.config.user),
            h("span", { class: "sub" }, `${a.config.user}@${a.config.domain} · ${t.settingsPage.transports[a.config.transport]}${a.local ? ` · ${t.settingsPage.local}` : ""}`),
            h("span", { class: `reg-state ${reg?.state ?? "unregistered"}`, "data-testid": `account-reg-${a.id}` }, a.config.register ? registrationText(reg) : ""),
          ),
          h("button", { type: "button", "data-testid": `account-edit-${a.id}`, onClick: () => openForm(a) }, t.edit),
          remove,
        );
      }),
    );
  }

  function openForm(a: AccountView | null) {
    const c = a?.config ?? blankConfig();
    const displayName = h("input", { type: "text", value: c.displayName ?? "", "data-testid": "account-display-name" });
    const user = h("input", { type: "text", value: c.user, "aria-required": "true", autocomplete: "username", "data-testid": "account-user" });
    const domain = h("input", { type: "text", value: c.domain, "aria-required": "true", "data-testid": "account-domain" });
    const authUser = h("input", { type: "text", value: c.authUser ?? "", "data-testid": "account-auth-user" });
    const server = h("input", { type: "text", value: c.server ?? "", placeholder: "pbx.example.com:5061", "data-testid": "account-server" });
    const transport = h("select", { value: c.transport, "data-testid": "account-transport" }, ...TRANSPORTS.map((x) => h("option", { value: x }, t.settingsPage.transports[x])));
    const expires = h("input", { type: "number", min: 30, max: 86400, value: String(c.expires), "data-testid": "account-expires" });
    const keepalive = h("input", { type: "number", min: 0, max: 3600, value: String(c.keepaliveSecs), "data-testid": "account-keepalive" });
    const register = checkbox(t.settingsPage.register, c.register, "account-register");
    const password = h("input", {
      type: "password",
      autocomplete: a ? "current-password" : "new-password",
      placeholder: a ? t.settingsPage.passwordKeep : "",
      "data-testid": "account-password",
    });
    const error = h("p", { class: "form-error", role: "alert", "data-testid": "account-error" });
    const save = h("button", { type: "submit", class: "primary", "data-testid": "account-save" }, t.save);
    const form = h(
      "form",
      {
        class: "form",
        "aria-label": a ? t.settingsPage.editAccount : t.settingsPage.newAccount,
        "data-testid": "account-form",
        onSubmit: async (e) => {
          e.preventDefault();
          text(error, "");
          save.disabled = true;
          const config: AccountConfig = {
            displayName: opt(displayName.value),
            user: user.value.trim(),
            domain: domain.value.trim(),
            authUser: opt(authUser.value),
            server: opt(server.value),
            transport: transport.value as TransportChoice,
            expires: num(expires.value),
            keepaliveSecs: num(keepalive.value),
            register: register.input.checked,
          };
          try {
            await api.saveAccount(a?.id ?? null, config, password.value ? password.value : null);
            password.value = "";
            mount(formSlot);
            add.hidden = false;
            await load();
            await refreshProfile(store);
          } catch (err) {
            // the shell says what to fix; it stays next to the form
            text(error, api.errorText(err));
          } finally {
            save.disabled = false;
          }
        },
      },
      h("h3", {}, a ? t.settingsPage.editAccount : t.settingsPage.newAccount),
      h("div", { class: "grid2" }, field(t.settingsPage.displayName, displayName), field(t.settingsPage.user, user), field(t.settingsPage.domain, domain), field(t.settingsPage.authUser, authUser)),
      field(t.settingsPage.server, server, t.settingsPage.serverHint),
      h("div", { class: "grid3" }, field(t.settingsPage.transport, transport), field(t.settingsPage.expires, expires), field(t.settingsPage.keepalive, keepalive)),
      register.row,
      field(t.settingsPage.password, password),
      error,
      h(
        "div",
        { class: "row" },
        save,
        h(
          "button",
          {
            type: "button",
            "data-testid": "account-cancel",
            onClick: () => {
              mount(formSlot);
              add.hidden = false;
            },
          },
          t.cancel,
        ),
      ),
    );
    add.hidden = true;
    mount(formSlot, form);
    user.focus();
  }

  const stop = store.watch((s) => s.registrations, () => accounts.length && draw());
  void load();
  return {
    el: section(t.settingsPage.accounts, "settings-accounts", list, add, formSlot),
    dispose: () => {
      alive = false;
      stop();
    },
  };
}

/** Settings other than accounts, edited as one form and saved together. */
function preferences(store: AppStore, initial: Settings): View {
  const s: Settings = structuredClone(initial);
  const status = h("p", { class: "form-status", role: "status", "data-testid": "settings-status" });
  const error = h("p", { class: "form-error", role: "alert", "data-testid": "settings-error" });
  let saved = initial;

  // audio
  const deviceSelect = (testid: string, current: string | null, set: (v: string | null) => void) => {
    const sel = h("select", { "data-testid": testid, onChange: () => set(sel.value ? sel.value : null) }, h("option", { value: "" }, t.systemDefault));
    sel.dataset.current = current ?? "";
    return sel;
  };
  const fill = (sel: HTMLSelectElement, devices: AudioDevice[]) => {
    const current = sel.dataset.current ?? "";
    mount(sel, h("option", { value: "" }, t.systemDefault), ...devices.map((d) => h("option", { value: d.name }, d.isDefault ? t.settingsPage.defaultDevice(d.name) : d.name)));
    // a saved device that is not plugged in now stays chosen
    if (current && !devices.some((d) => d.name === current)) sel.append(h("option", { value: current }, current));
    sel.value = current;
  };
  const mic = deviceSelect("audio-input", s.audio.input, (v) => (s.audio.input = v));
  const speaker = deviceSelect("audio-output", s.audio.output, (v) => (s.audio.output = v));
  const ringer = deviceSelect("audio-ringer", s.audio.ringer, (v) => (s.audio.ringer = v));
  const audioError = h("p", { class: "form-error", role: "alert", "data-testid": "audio-error" });
  const tone = (testid: string, label: string, device: () => string | null) =>
    h(
      "button",
      {
        type: "button",
        "aria-label": label,
        title: label,
        "data-testid": testid,
        onClick: async (e) => {
          const b = e.currentTarget as HTMLButtonElement;
          b.disabled = true;
          text(audioError, "");
          try {
            await api.playTestTone(device());
          } catch (err) {
            text(audioError, api.errorText(err));
          } finally {
            b.disabled = false;
          }
        },
      },
      t.settingsPage.testTone,
    );
  let alive = true;
  api.listAudioDevices().then(
    (d) => {
      if (!alive) return;
      fill(mic, d.inputs);
      fill(speaker, d.outputs);
      fill(ringer, d.outputs);
    },
    (err) => alive && text(audioError, api.errorText(err)),
  );
  const noise = checkbox(t.settingsPage.noiseSuppression, s.audio.noiseSuppression, "audio-noise", (on) => (s.audio.noiseSuppression = on));

  // ringtone
  const ringtones = { ...t.settingsPage.ringtones };
  if (!(s.ringtone in ringtones)) ringtones[s.ringtone] = s.ringtone;
  const ringtone = h(
    "select",
    { value: s.ringtone, "data-testid": "ringtone", onChange: () => (s.ringtone = ringtone.value) },
    ...Object.entries(ringtones).map(([v, label]) => h("option", { value: v }, label)),
  );

  // notifications
  const nCalls = checkbox(t.settingsPage.notifyCalls, s.notifications.calls, "notify-calls", (on) => (s.notifications.calls = on));
  const nMessages = checkbox(t.settingsPage.notifyMessages, s.notifications.messages, "notify-messages", (on) => (s.notifications.messages = on));
  const nParked = checkbox(t.settingsPage.notifyParked, s.notifications.parked, "notify-parked", (on) => (s.notifications.parked = on));

  // PBX codes
  const code = (key: keyof Settings["pbx"], label: string) => {
    const input = h("input", {
      type: "text",
      value: s.pbx[key],
      inputmode: "tel",
      maxlength: 16,
      "data-testid": `pbx-${key}`,
      onInput: () => (s.pbx[key] = input.value.trim()),
    });
    return field(label, input);
  };

  // appearance
  const themeName = uid("theme");
  const themes = THEMES.map((th) => {
    const input = h("input", {
      type: "radio",
      name: themeName,
      value: th,
      checked: s.theme === th,
      "data-testid": `theme-${th}`,
      onChange: () => {
        s.theme = th;
        // shown at once; kept only if saved
        applyTheme(th);
      },
    });
    input.id = uid("th");
    return h("div", { class: "check" }, input, h("label", { for: input.id }, t.settingsPage.themes[th]));
  });
  const languages = { ...t.settingsPage.languages };
  if (!(s.language in languages)) languages[s.language] = s.language;
  const language = h(
    "select",
    { value: s.language, "data-testid": "language", onChange: () => (s.language = language.value) },
    ...Object.entries(languages).map(([v, label]) => h("option", { value: v, lang: v }, label)),
  );
  const startAtLogin = checkbox(t.settingsPage.startAtLogin, s.startAtLogin, "start-at-login", (on) => (s.startAtLogin = on));

  const save = h("button", { type: "submit", class: "primary", "data-testid": "settings-save" }, t.settingsPage.saveSettings);
  const form = h(
    "form",
    {
      class: "settings-form",
      "data-testid": "settings-form",
      onSubmit: async (e) => {
        e.preventDefault();
        text(error, "");
        text(status, t.saving);
        save.disabled = true;
        try {
          const copy = structuredClone(s);
          await api.saveSettings(copy);
          saved = copy;
          applySettings(copy);
          store.set({ settings: copy });
          text(status, t.saved);
        } catch (err) {
          text(status, "");
          text(error, api.errorText(err));
        } finally {
          save.disabled = false;
        }
      },
    },
    section(
      t.settingsPage.audio,
      "settings-audio",
      h("div", { class: "row end" }, field(t.settingsPage.microphone, mic)),
      h("div", { class: "row end" }, field(t.settingsPage.speaker, speaker), tone("test-tone-output", t.settingsPage.testSpeaker, () => s.audio.output)),
      h("div", { class: "row end" }, field(t.settingsPage.ringer, ringer), tone("test-tone-ringer", t.settingsPage.testRinger, () => s.audio.ringer)),
      noise.row,
      audioError,
    ),
    section(t.settingsPage.ringtone, "settings-ringtone", field(t.settingsPage.ringtone, ringtone)),
    section(t.settingsPage.notifications, "settings-notifications", nCalls.row, nMessages.row, nParked.row),
    section(
      t.settingsPage.pbx,
      "settings-pbx",
      h("div", { class: "grid3" }, code("parkCode", t.settingsPage.parkCode), code("groupParkCode", t.settingsPage.groupParkCode), code("retrieveCode", t.settingsPage.retrieveCode), code("voicemailCode", t.settingsPage.voicemailCode), code("flipCode", t.settingsPage.flipCode)),
    ),
    section(
      t.settingsPage.appearance,
      "settings-appearance",
      h("div", { class: "radios", role: "radiogroup", "aria-label": t.settingsPage.appearance }, ...themes),
      field(t.settingsPage.language, language),
    ),
    section(t.settingsPage.general, "settings-general", startAtLogin.row),
    h("div", { class: "form-footer" }, error, status, save),
  );
  return {
    el: form,
    dispose: () => {
      alive = false;
      // a theme tried but not saved goes back
      applySettings(saved);
    },
  };
}

export function settingsScreen(store: AppStore): View {
  const accounts = accountsSection(store);
  const prefsSlot = h("div", { class: "prefs-slot" });
  let prefs: View | null = null;
  let alive = true;
  api.getSettings().then(
    (s) => {
      if (!alive) return;
      store.set({ settings: s });
      prefs = preferences(store, s);
      mount(prefsSlot, prefs.el);
    },
    (e) => alive && reportError(store, e),
  );
  const close = h("button", { type: "button", class: "icon-button", "aria-label": t.close, title: t.close, "data-testid": "settings-close", onClick: () => store.set({ page: "tab" }) }, "✕");
  const el = h("div", { class: "settings-screen", "data-testid": "settings" }, h("div", { class: "toolbar" }, h("span", { class: "spacer" }), close), accounts.el, prefsSlot);
  return {
    el,
    dispose: () => {
      alive = false;
      accounts.dispose();
      prefs?.dispose();
    },
  };
}
