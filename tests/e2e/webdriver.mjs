// A minimal W3C WebDriver client over fetch, for driving the real Handset
// window through tauri-driver and WebKitWebDriver.

import { execFileSync } from "node:child_process";

const ELEMENT = "element-6066-11e4-a52e-4f735466cecf";

export class Session {
  constructor(base, id) {
    this.base = base;
    this.id = id;
  }

  static async start(base, application) {
    const caps = { capabilities: { alwaysMatch: { browserName: "wry", "tauri:options": { application } } } };
    const r = await call(base, "POST", "/session", caps);
    return new Session(base, r.sessionId);
  }

  async cmd(method, path, body) {
    return call(this.base, method, `/session/${this.id}${path}`, body);
  }

  async find(css, timeoutMs = 5000) {
    const end = Date.now() + timeoutMs;
    let last;
    while (Date.now() < end) {
      try {
        const el = await this.cmd("POST", "/element", { using: "css selector", value: css });
        return new Element(this, el[ELEMENT]);
      } catch (e) {
        last = e;
        await sleep(100);
      }
    }
    throw new Error(`element ${css} not found: ${last}`);
  }

  /** Text of the element matching `css`, re-finding it if the UI re-rendered. */
  async textOf(css, timeoutMs = 5000) {
    return this.retry(css, timeoutMs, (el) => el.text());
  }

  /** Clicks the element matching `css`, re-finding it if the UI re-rendered. */
  async click(css, timeoutMs = 5000) {
    return this.retry(css, timeoutMs, (el) => el.click());
  }

  async retry(css, timeoutMs, act) {
    const end = Date.now() + timeoutMs;
    for (;;) {
      try {
        return await act(await this.find(css, Math.max(100, end - Date.now())));
      } catch (e) {
        if (Date.now() >= end || !String(e).includes("stale")) throw e;
      }
    }
  }

  /** Runs `script` in the page; it ends by calling its last argument with the result. */
  async executeAsync(script, args = []) {
    return this.cmd("POST", "/execute/async", { script, args });
  }

  /** Invokes a Tauri command from inside the page, as the UI does. */
  async invoke(command, args = {}) {
    const r = await this.executeAsync(
      `const done = arguments[arguments.length - 1];
       window.__TAURI_INTERNALS__.invoke(arguments[0], arguments[1])
         .then((value) => done({ value }), (error) => done({ error: String(error) }));`,
      [command, args],
    );
    if (r && "error" in r) throw new Error(`${command}: ${r.error}`);
    return r?.value;
  }

  async findAll(css) {
    // WebKitWebDriver reports "stale" when the UI re-renders mid-search: ask again
    for (let attempt = 0; ; attempt++) {
      try {
        const els = await this.cmd("POST", "/elements", { using: "css selector", value: css });
        return els.map((e) => new Element(this, e[ELEMENT]));
      } catch (e) {
        if (attempt >= 5 || !String(e).includes("stale")) throw e;
        await sleep(50);
      }
    }
  }

  /**
   * A PNG of the whole virtual display. WebKitWebDriver's own screenshot
   * command never returns under Xvfb here, so the X server is asked instead.
   */
  async screenshot() {
    return execFileSync("import", ["-window", "root", "png:-"], { maxBuffer: 64 << 20 });
  }

  async close() {
    try {
      await call(this.base, "DELETE", `/session/${this.id}`);
    } catch {
      // the app may already be gone
    }
  }
}

export class Element {
  constructor(session, id) {
    this.session = session;
    this.id = id;
  }

  async text() {
    return this.session.cmd("GET", `/element/${this.id}/text`);
  }

  async click() {
    try {
      return await this.session.cmd("POST", `/element/${this.id}/click`, {});
    } catch (e) {
      if (!String(e).includes("intercepted")) throw e;
      // something sticky (the footer, a header) covers it where WebKit
      // scrolled it to: bring it to the middle of the view, as a user would
      await this.session.executeAsync(
        "arguments[0].scrollIntoView({ block: 'center' }); arguments[arguments.length - 1]();",
        [{ [ELEMENT]: this.id }],
      );
      return this.session.cmd("POST", `/element/${this.id}/click`, {});
    }
  }

  async attr(name) {
    return this.session.cmd("GET", `/element/${this.id}/attribute/${name}`);
  }

  async type(text) {
    return this.session.cmd("POST", `/element/${this.id}/value`, { text });
  }
}

async function call(base, method, path, body) {
  const res = await fetch(base + path, {
    method,
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
    // a stuck driver must fail the test, not hang the run
    signal: AbortSignal.timeout(30000),
  });
  const json = await res.json().catch(() => ({}));
  if (!res.ok || (json.value && json.value.error)) {
    throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json.value ?? json)}`);
  }
  return json.value;
}

export function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}
