// A deliberately small component toolkit. Text is only ever set with
// textContent (text nodes), never innerHTML: nothing a peer or a user types can
// become markup. There is no way to pass a `style` or raw HTML through `h`:
// the CSP (`style-src 'self'`) forbids inline styles, so looks come from classes.

export type Child = Node | string | null | undefined | false;

type AttrValue = string | number | boolean | null | undefined;

export interface Props {
  class?: string;
  id?: string;
  title?: string;
  role?: string;
  type?: string;
  name?: string;
  value?: string;
  placeholder?: string;
  for?: string;
  autocomplete?: string;
  inputmode?: string;
  tabindex?: string | number;
  min?: string | number;
  max?: string | number;
  maxlength?: string | number;
  lang?: string;
  datetime?: string;
  checked?: boolean;
  selected?: boolean;
  disabled?: boolean;
  hidden?: boolean;
  required?: boolean;
  [aria: `aria-${string}`]: AttrValue;
  [data: `data-${string}`]: AttrValue;
  onClick?: (e: MouseEvent) => void;
  onInput?: (e: Event) => void;
  onChange?: (e: Event) => void;
  onKeydown?: (e: KeyboardEvent) => void;
  onSubmit?: (e: SubmitEvent) => void;
}

// set as DOM properties, not attributes, so they reflect the live state
const PROPERTIES = new Set(["checked", "selected", "disabled", "hidden", "required"]);

/** Creates an element with attributes, listeners and children. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Props = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  let value: string | undefined;
  for (const [key, v] of Object.entries(props)) {
    if (v === undefined || v === null) continue;
    if (typeof v === "function") {
      // onClick → click, onKeydown → keydown …
      el.addEventListener(key.slice(2).toLowerCase(), v as EventListener);
    } else if (key === "class") el.className = String(v);
    else if (key === "value") value = String(v);
    else if (PROPERTIES.has(key)) (el as unknown as Record<string, boolean>)[key] = Boolean(v);
    else if (key === "style" || key === "innerHTML") throw new Error(`h(): ${key} is not allowed`);
    else el.setAttribute(key, String(v));
  }
  append(el, children);
  // a <select>'s value can only be chosen once its options exist
  if (value !== undefined) (el as HTMLInputElement).value = value;
  return el;
}

/** Appends children, turning strings into text nodes. */
export function append(el: Element, children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.append(typeof c === "string" ? document.createTextNode(c) : c);
  }
}

/** Replaces an element's children. */
export function mount(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  append(el, children);
}

/** Sets an element's text (always as text). */
export function text(el: Element, s: string): void {
  el.textContent = s;
}

/** A piece of UI with whatever it must release when it goes away. */
export interface View {
  el: HTMLElement;
  dispose(): void;
}

/** A view with nothing to release. */
export function still(el: HTMLElement): View {
  return { el, dispose: () => {} };
}
