// A modal dialog over the window: labelled by its title, closed by Escape,
// by its Close button or by a click on the backdrop; focus moves into it and
// returns where it was.

import { t } from "../strings";
import { h, type Child } from "./dom";
import { uid } from "./widgets";

export interface Modal {
  el: HTMLElement;
  close(): void;
}

export function openModal(title: string, testid: string, onClose: () => void, ...body: Child[]): Modal {
  const titleId = uid("dlg");
  const before = document.activeElement as HTMLElement | null;
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    document.removeEventListener("keydown", onKey, true);
    backdrop.remove();
    before?.focus?.();
    onClose();
  };
  const onKey = (e: KeyboardEvent) => {
    if (e.key === "Escape") {
      e.stopPropagation();
      close();
    } else if (e.key === "Tab") {
      // keep the focus inside the dialog
      const items = [...dialog.querySelectorAll<HTMLElement>("button:not(:disabled), input:not(:disabled), select:not(:disabled)")];
      if (!items.length) return;
      const first = items[0];
      const last = items[items.length - 1];
      if (e.shiftKey && document.activeElement === first) {
        e.preventDefault();
        last.focus();
      } else if (!e.shiftKey && (document.activeElement === last || !dialog.contains(document.activeElement))) {
        e.preventDefault();
        first.focus();
      }
    }
  };
  const dialog = h(
    "div",
    { class: "modal", role: "dialog", "aria-modal": "true", "aria-labelledby": titleId, "data-testid": testid },
    h(
      "div",
      { class: "modal-head" },
      h("h2", { id: titleId }, title),
      h("button", { class: "icon-button", type: "button", "aria-label": t.close, "data-testid": `${testid}-close`, onClick: close }, "✕"),
    ),
    ...body,
  );
  const backdrop = h("div", { class: "modal-backdrop", onClick: (e) => e.target === backdrop && close() }, dialog);
  document.addEventListener("keydown", onKey, true);
  document.body.append(backdrop);
  queueMicrotask(() => dialog.querySelector<HTMLElement>("input, select, button:not(.icon-button)")?.focus());
  return { el: dialog, close };
}
