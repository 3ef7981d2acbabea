import { afterEach, describe, expect, it } from "vitest";
import type { Contact } from "../api/types";
import { byTestId, choose, contact, maybeTestId, settle, startApp, teardown, typeInto } from "../test/shell";

afterEach(teardown);

/** A little directory the fake shell filters like the real one. */
function directory(initial: Contact[]) {
  const all = initial.map((c) => ({ ...c }));
  return {
    all,
    handlers: {
      list_contacts: (a: Record<string, unknown>) => {
        const tab = a.tab as string;
        const q = String(a.query).toLowerCase();
        const kind = { users: "user", company: "company", personal: "personal", device: "device" }[tab];
        return all
          .filter((c) => tab === "all" || (tab === "favorites" ? c.favorite : c.kind === kind))
          .filter((c) => !q || c.name.toLowerCase().includes(q))
          .map((c) => structuredClone(c));
      },
      set_favorite: (a: Record<string, unknown>) => {
        all.find((c) => c.id === a.id)!.favorite = a.on as boolean;
        return null;
      },
      save_contact: (a: Record<string, unknown>) => {
        const c = structuredClone(a.contact as Contact);
        c.id = 100 + all.length;
        all.push(c);
        return c.id;
      },
      delete_contact: (a: Record<string, unknown>) => {
        all.splice(
          all.findIndex((c) => c.id === a.id),
          1,
        );
        return null;
      },
    },
  };
}

const PEOPLE = [
  contact({ id: 1, name: "Alice Smith", kind: "user", extension: "1005", phones: [] }),
  contact({ id: 2, name: "Bob Jones", kind: "company", company: "Acme", phones: [{ label: "work", number: "+15550001" }] }),
  contact({ id: 3, name: "Carol", kind: "personal", favorite: true, phones: [{ label: "mobile", number: "+15550002" }, { label: "home", number: "+15550003" }] }),
  contact({ id: 4, name: "Dave", kind: "device", phones: [] }),
];

const names = (root: HTMLElement) => [...root.querySelectorAll("[data-testid=contact-name]")].map((e) => e.textContent);

describe("Contacts", () => {
  it("has the six lists, each asked of the shell by name", async () => {
    const dir = directory(PEOPLE);
    const { root, shell } = await startApp(dir.handlers, "contacts");
    const tabs = [...root.querySelectorAll<HTMLButtonElement>("[data-testid^=contacts-tab-]")];
    expect(tabs.map((b) => b.textContent)).toEqual(["All", "Favorites", "Users", "Company", "Personal", "Device"]);
    expect(names(root)).toEqual(["Alice Smith", "Bob Jones", "Carol", "Dave"]);
    for (const [tab, expected] of [
      ["favorites", ["Carol"]],
      ["users", ["Alice Smith"]],
      ["company", ["Bob Jones"]],
      ["personal", ["Carol"]],
      ["device", ["Dave"]],
    ] as const) {
      byTestId(root, `contacts-tab-${tab}`).click();
      await settle();
      expect(shell.calls("list_contacts").at(-1)).toEqual({ tab, query: "" });
      expect(names(root)).toEqual(expected);
      expect(byTestId(root, `contacts-tab-${tab}`).getAttribute("aria-selected")).toBe("true");
    }
  });

  it("searches within the current list", async () => {
    const dir = directory(PEOPLE);
    const { root, shell } = await startApp(dir.handlers, "contacts");
    typeInto(byTestId<HTMLInputElement>(root, "contacts-search"), "bo");
    await settle();
    expect(shell.calls("list_contacts").at(-1)).toEqual({ tab: "all", query: "bo" });
    expect(names(root)).toEqual(["Bob Jones"]);
    typeInto(byTestId<HTMLInputElement>(root, "contacts-search"), "zed");
    await settle();
    expect(byTestId(root, "contacts-empty").textContent).toBe("No contacts match “zed”.");
  });

  it("the star toggles the favourite and the Favorites list follows", async () => {
    const dir = directory(PEOPLE);
    const { root, shell } = await startApp(dir.handlers, "contacts");
    const star = byTestId(root, "contact-fav-1");
    expect(star.getAttribute("aria-pressed")).toBe("false");
    star.click();
    await settle();
    expect(shell.calls("set_favorite")).toEqual([{ id: 1, on: true }]);
    expect(byTestId(root, "contact-fav-1").getAttribute("aria-pressed")).toBe("true");
    byTestId(root, "contacts-tab-favorites").click();
    await settle();
    expect(names(root)).toEqual(["Alice Smith", "Carol"]);
    byTestId(root, "contact-fav-3").click();
    await settle();
    expect(shell.calls("set_favorite").at(-1)).toEqual({ id: 3, on: false });
    expect(names(root)).toEqual(["Alice Smith"]);
  });

  it("calls a contact: the extension first, else the first number; a contact without either cannot be called", async () => {
    const dir = directory(PEOPLE);
    const { root, shell } = await startApp(dir.handlers, "contacts");
    byTestId(root, "contact-call-1").click();
    byTestId(root, "contact-call-2").click();
    await settle();
    expect(shell.calls("place_call")).toEqual([
      { target: "1005", account: null },
      { target: "+15550001", account: null },
    ]);
    expect(byTestId<HTMLButtonElement>(root, "contact-call-4").disabled).toBe(true);
  });

  it("shows a contact's details and calls a chosen number", async () => {
    const dir = directory(PEOPLE);
    const { root, shell } = await startApp(dir.handlers, "contacts");
    byTestId(root, "contact-open-3").click();
    const detail = byTestId(root, "contact-detail");
    expect(byTestId(detail, "contact-detail-name").textContent).toBe("Carol");
    expect(detail.textContent).toContain("+15550003");
    byTestId(detail, "contact-number-call-1").click();
    await settle();
    expect(shell.calls("place_call")).toEqual([{ target: "+15550003", account: null }]);
    // synced lists (users, device) are not edited here
    byTestId(root, "contact-open-1").click();
    expect(maybeTestId(root, "contact-edit")).toBeNull();
  });

  it("Message opens the chat with the contact's extension; without a way to reach them it is off", async () => {
    const dir = directory(PEOPLE);
    const { root, shell } = await startApp(dir.handlers, "contacts");
    byTestId(root, "contact-open-4").click();
    expect(byTestId<HTMLButtonElement>(root, "contact-detail-message").disabled).toBe(true);
    byTestId(root, "contact-open-1").click();
    byTestId(root, "contact-detail-message").click();
    await settle();
    expect(byTestId(root, "nav-chat").getAttribute("aria-selected")).toBe("true");
    expect(byTestId(root, "chat-title").textContent).toBe("1005");
    typeInto(byTestId<HTMLInputElement>(root, "chat-input"), "hello");
    byTestId<HTMLFormElement>(root, "chat-composer").requestSubmit();
    await settle();
    expect(shell.calls("send_message")).toEqual([{ to: "1005", text: "hello", account: null }]);
  });

  it("shows a contact's presence in the Quick Menu's words", async () => {
    const { root } = await startApp(directory([contact({ id: 1, name: "Eve", kind: "user", extension: "1009", presence: "dnd" }), contact({ id: 2, name: "Finn", kind: "user", extension: "1010", presence: "away" })]).handlers, "contacts");
    expect([...root.querySelectorAll("[data-testid=contact-presence]")].map((e) => e.textContent)).toEqual(["Do Not Disturb", "away"]);
  });

  it("adds a personal contact through the form", async () => {
    const dir = directory(PEOPLE);
    const { root, shell } = await startApp(dir.handlers, "contacts");
    byTestId(root, "add-contact").click();
    const form = byTestId(root, "contact-form");
    typeInto(byTestId<HTMLInputElement>(form, "contact-name-input"), "  Erin Example ");
    typeInto(byTestId<HTMLInputElement>(form, "contact-extension-input"), "1010");
    typeInto(byTestId<HTMLInputElement>(form, "contact-phone-0"), "+15559999");
    byTestId(form, "contact-add-phone").click();
    typeInto(byTestId<HTMLInputElement>(form, "contact-phone-label-1"), "work");
    typeInto(byTestId<HTMLInputElement>(form, "contact-phone-1"), "+15558888");
    byTestId(form, "contact-save").click();
    await settle();
    expect(shell.calls("save_contact")).toEqual([
      {
        contact: {
          id: 0,
          name: "Erin Example",
          company: null,
          kind: "personal",
          favorite: false,
          extension: "1010",
          phones: [
            { label: "mobile", number: "+15559999" },
            { label: "work", number: "+15558888" },
          ],
          presence: null,
        },
      },
    ]);
    expect(names(root)).toContain("Erin Example");
    expect(byTestId(root, "contact-detail-name").textContent).toBe("Erin Example");
  });

  it("can save a contact to Company contacts", async () => {
    const dir = directory(PEOPLE);
    const { root, shell } = await startApp(dir.handlers, "contacts");
    byTestId(root, "add-contact").click();
    typeInto(byTestId<HTMLInputElement>(root, "contact-name-input"), "Front desk");
    typeInto(byTestId<HTMLInputElement>(root, "contact-phone-0"), "100");
    choose(byTestId<HTMLSelectElement>(root, "contact-kind"), "company");
    byTestId(root, "contact-save").click();
    await settle();
    expect((shell.calls("save_contact")[0].contact as Contact).kind).toBe("company");
  });

  it("shows the shell's refusal next to the form and keeps what was typed", async () => {
    const dir = directory(PEOPLE);
    const { root } = await startApp(
      {
        ...dir.handlers,
        save_contact: () => {
          throw "add a number or an extension";
        },
      },
      "contacts",
    );
    byTestId(root, "add-contact").click();
    typeInto(byTestId<HTMLInputElement>(root, "contact-name-input"), "Nobody");
    byTestId(root, "contact-save").click();
    await settle();
    expect(byTestId(root, "contact-error").textContent).toBe("add a number or an extension");
    expect(byTestId(root, "contact-error").getAttribute("role")).toBe("alert");
    expect(byTestId<HTMLInputElement>(root, "contact-name-input").value).toBe("Nobody");
  });

  it("edits a contact keeping its id and favourite", async () => {
    const dir = directory(PEOPLE);
    const { root, shell } = await startApp(dir.handlers, "contacts");
    byTestId(root, "contact-open-3").click();
    byTestId(root, "contact-edit").click();
    const name = byTestId<HTMLInputElement>(root, "contact-name-input");
    expect(name.value).toBe("Carol");
    typeInto(name, "Carol King");
    byTestId(root, "contact-save").click();
    await settle();
    const sent = shell.calls("save_contact")[0].contact as Contact;
    expect(sent).toMatchObject({ id: 3, name: "Carol King", favorite: true, kind: "personal" });
    expect(sent.phones).toHaveLength(2);
  });

  it("deletes only after a confirmation", async () => {
    const dir = directory(PEOPLE);
    const { root, shell } = await startApp(dir.handlers, "contacts");
    byTestId(root, "contact-open-2").click();
    byTestId(root, "contact-delete").click();
    await settle();
    expect(shell.calls("delete_contact")).toEqual([]);
    byTestId(root, "contact-delete-confirm").click();
    await settle();
    expect(shell.calls("delete_contact")).toEqual([{ id: 2 }]);
    expect(names(root)).not.toContain("Bob Jones");
  });

  it("shows names containing markup literally", async () => {
    const dir = directory([contact({ id: 8, name: "<b>Bold</b> <script>x()</script>", company: "<i>Co</i>" })]);
    const { root } = await startApp(dir.handlers, "contacts");
    byTestId(root, "contact-open-8").click();
    expect(root.querySelector(".contacts-screen b, .contacts-screen i, .contacts-screen script")).toBeNull();
    expect(names(root)).toEqual(["<b>Bold</b> <script>x()</script>"]);
    expect(byTestId(root, "contact-detail-name").textContent).toBe("<b>Bold</b> <script>x()</script>");
  });
});
