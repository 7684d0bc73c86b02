/**
 * Configuration propagation: what a watch event changed reaches the data plane only after a delay
 * (istiod debounce + xDS push, about a second in a real mesh). Pure: a value plus a queue of
 * pending values, each effective from its own instant.
 */

export interface Propagation<T> {
  /** What the data plane acts on now. */
  readonly current: T;
  /** Later values, in the order they were observed, each with the instant it takes effect (ms). */
  readonly pending: readonly { readonly at: number; readonly value: T }[];
}

export const propagated = <T>(initial: T): Propagation<T> => ({ current: initial, pending: [] });

/** Records a value seen at `now`; it becomes current at `now + delayMs`. */
export const observe = <T>(p: Propagation<T>, value: T, now: number, delayMs: number): Propagation<T> => ({
  current: p.current,
  pending: [...p.pending, { at: now + Math.max(0, delayMs), value }],
});

/** The state at `now`: the latest observed value that is due becomes current. */
export const advance = <T>(p: Propagation<T>, now: number): Propagation<T> => {
  const due = p.pending.filter((x) => x.at <= now);
  if (due.length === 0) return p;
  return { current: due[due.length - 1].value, pending: p.pending.filter((x) => x.at > now) };
};
