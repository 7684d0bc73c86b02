/**
 * Canonical JSON: object keys sorted at every depth, `undefined` members dropped. Two objects
 * that mean the same thing give the same string, whatever order their keys were written in — the
 * daemon compares these to skip writes that would change nothing.
 */

/** A deep copy with object keys sorted and undefined members removed. */
export const sortKeys = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map((v) => (v === undefined ? null : sortKeys(v)));
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    const v = (value as Record<string, unknown>)[key];
    if (v !== undefined) out[key] = sortKeys(v);
  }
  return out;
};

/** JSON with sorted keys and no whitespace. */
export const canonicalJson = (value: unknown): string => JSON.stringify(sortKeys(value)) ?? 'undefined';

/** Deep equality by canonical JSON. */
export const sameJson = (a: unknown, b: unknown): boolean => canonicalJson(a) === canonicalJson(b);
