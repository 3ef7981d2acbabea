// Small shared pieces: labelled fields, durations, registration words.

import type { RegistrationInfo } from "../api/generated/RegistrationInfo";
import { t } from "../strings";
import { h, type Child } from "./dom";

let idSeq = 0;
/** A unique element id for label/field pairs. */
export function uid(prefix: string): string {
  return `${prefix}-${++idSeq}`;
}

/** A label above a control, tied to it by `for`. */
export function field(label: string, control: HTMLElement, hint?: string): HTMLElement {
  if (!control.id) control.id = uid("f");
  let hintEl: HTMLElement | null = null;
  if (hint) {
    hintEl = h("small", { class: "hint", id: uid("hint") }, hint);
    control.setAttribute("aria-describedby", hintEl.id);
  }
  return h("div", { class: "field" }, h("label", { for: control.id }, label), control, hintEl);
}

/** A checkbox with its label to the right. */
export function checkbox(label: string, checked: boolean, testid: string, onChange?: (on: boolean) => void): { row: HTMLElement; input: HTMLInputElement } {
  const input = h("input", {
    type: "checkbox",
    checked,
    "data-testid": testid,
    onChange: (e) => onChange?.((e.target as HTMLInputElement).checked),
  });
  input.id = uid("cb");
  return { row: h("div", { class: "check" }, input, h("label", { for: input.id }, label)), input };
}

/** `m:ss`, or `h:mm:ss` past the hour. */
export function clock(totalSeconds: number): string {
  const s = Math.max(0, Math.floor(totalSeconds));
  const hh = Math.floor(s / 3600);
  const mm = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, "0");
  return hh > 0 ? `${hh}:${String(mm).padStart(2, "0")}:${ss}` : `${mm}:${ss}`;
}

/** A registration state in words. */
export function registrationText(info: RegistrationInfo | null | undefined): string {
  if (!info) return t.registration.unregistered;
  const word = t.registration[info.state] ?? info.state;
  const parts = [word];
  if (info.reason) parts.push(info.reason);
  if (info.retryInMs !== null && info.retryInMs !== undefined) parts.push(t.retryIn(Math.ceil(info.retryInMs / 1000)));
  return parts.join(" · ");
}

/** A titled section. */
export function section(title: string, testid: string, ...children: Child[]): HTMLElement {
  const id = uid("sec");
  return h("section", { class: "card", "aria-labelledby": id, "data-testid": testid }, h("h2", { id }, title), ...children);
}

/** A text input that reports its value on every keystroke. */
export function textInput(props: { value?: string; label?: string; testid: string; type?: string; placeholder?: string; autocomplete?: string }): HTMLInputElement {
  return h("input", {
    type: props.type ?? "text",
    value: props.value ?? "",
    placeholder: props.placeholder,
    autocomplete: props.autocomplete ?? "off",
    "aria-label": props.label,
    "data-testid": props.testid,
  });
}
