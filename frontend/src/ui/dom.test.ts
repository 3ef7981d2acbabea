import { describe, expect, it } from "vitest";
import { h, mount } from "./dom";
import { shallowEqual, Store } from "./store";

describe("h", () => {
  it("puts strings in as text nodes, never as markup", () => {
    const el = h("p", { title: "<i>t</i>" }, "<b>bold</b>", h("span", {}, "<img src=x onerror=alert(1)>"));
    expect(el.querySelector("b, img, i")).toBeNull();
    expect(el.textContent).toBe("<b>bold</b><img src=x onerror=alert(1)>");
    expect(el.getAttribute("title")).toBe("<i>t</i>");
    mount(el, "<script>x()</script>");
    expect(el.querySelector("script")).toBeNull();
  });

  it("refuses innerHTML and inline styles (the CSP forbids them anyway)", () => {
    expect(() => h("div", { innerHTML: "<b>x</b>" } as never)).toThrow(/not allowed/);
    expect(() => h("div", { style: "color:red" } as never)).toThrow(/not allowed/);
  });

  it("sets a select's value once its options exist, and booleans as properties", () => {
    const sel = h("select", { value: "b" }, h("option", { value: "a" }, "A"), h("option", { value: "b" }, "B"));
    expect(sel.value).toBe("b");
    const box = h("input", { type: "checkbox", checked: true, disabled: false });
    expect(box.checked).toBe(true);
    expect(box.disabled).toBe(false);
  });

  it("wires listeners by name", () => {
    let n = 0;
    const b = h("button", { onClick: () => n++ });
    b.click();
    b.dispatchEvent(new KeyboardEvent("keydown"));
    expect(n).toBe(1);
  });
});

describe("Store.watch", () => {
  it("fires at once and then only when the selection changes", () => {
    const store = new Store({ a: 1, b: { x: 1 } });
    const seen: number[] = [];
    const stop = store.watch((s) => s.a, (v) => seen.push(v));
    store.set({ b: { x: 2 } });
    store.set({ a: 2 });
    stop();
    store.set({ a: 3 });
    expect(seen).toEqual([1, 2]);
  });

  it("compares with a given equality", () => {
    const store = new Store({ a: 1, b: 2 });
    let calls = 0;
    store.watch((s) => [s.a, s.b], () => calls++, shallowEqual);
    store.set({ a: 1 });
    store.set({ b: 3 });
    expect(calls).toBe(2);
  });
});
