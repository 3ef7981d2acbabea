// A tiny observable store: views subscribe and update on change.

export type Listener<T> = (state: T) => void;

export class Store<T extends object> {
  private listeners = new Set<Listener<T>>();

  constructor(private state: T) {}

  get(): T {
    return this.state;
  }

  set(patch: Partial<T>): void {
    this.state = { ...this.state, ...patch };
    for (const l of [...this.listeners]) l(this.state);
  }

  /** Applies a change computed from the current state. */
  update(f: (s: T) => Partial<T>): void {
    this.set(f(this.state));
  }

  subscribe(l: Listener<T>): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  /**
   * Calls `cb` with the selected value now and whenever it changes (by
   * identity: state updates replace only what changed). Returns the unsubscribe.
   */
  watch<V>(
    select: (s: T) => V,
    cb: (v: V, prev: V | undefined) => void,
    equals: (a: V, b: V) => boolean = Object.is,
  ): () => void {
    let prev = select(this.state);
    cb(prev, undefined);
    return this.subscribe((s) => {
      const next = select(s);
      if (!equals(next, prev)) {
        const old = prev;
        prev = next;
        cb(next, old);
      }
    });
  }
}

/** Equal when both hold the same values under the same keys (one level deep). */
export function shallowEqual<V>(a: V, b: V): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => Object.is((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}
