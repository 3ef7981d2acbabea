// A deliberately small component toolkit. Text is only ever set with
// textContent, never innerHTML: nothing a peer sends can become markup.

export type Child = Node | string | null | undefined | false;

export interface Props {
  class?: string;
  id?: string;
  title?: string;
  role?: string;
  type?: string;
  value?: string;
  placeholder?: string;
  "aria-label"?: string;
  "aria-selected"?: string;
  "aria-expanded"?: string;
  "aria-pressed"?: string;
  "data-tab"?: string;
  "data-testid"?: string;
  disabled?: boolean;
  onClick?: (e: MouseEvent) => void;
  onInput?: (e: Event) => void;
  onKeydown?: (e: KeyboardEvent) => void;
}

/** Creates an element with attributes, listeners and children. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Props = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null) continue;
    if (key === "onClick") el.addEventListener("click", value as EventListener);
    else if (key === "onInput") el.addEventListener("input", value as EventListener);
    else if (key === "onKeydown") el.addEventListener("keydown", value as EventListener);
    else if (key === "class") el.className = String(value);
    else if (key === "disabled") (el as HTMLButtonElement).disabled = Boolean(value);
    else if (key === "value") (el as HTMLInputElement).value = String(value);
    else el.setAttribute(key, String(value));
  }
  append(el, children);
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
