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
    // defineProperty, not assignment: a "__proto__" member (valid JSON) stays a member
    if (v !== undefined) Object.defineProperty(out, key, { value: sortKeys(v), enumerable: true, writable: true, configurable: true });
  }
  return out;
};

/** JSON with sorted keys and no whitespace. */
export const canonicalJson = (value: unknown): string => JSON.stringify(sortKeys(value)) ?? 'undefined';

/**
 * Deep equality by canonical JSON (`canonicalJson(a) === canonicalJson(b)` for the plain JSON
 * data sluice compares), without building either string: every reconcile compares the status,
 * the VirtualService and the DestinationRule with what they would become, and copying them with
 * sorted keys each time was most of what a busy daemon allocated (issue 12).
 */
export const sameJson = (a: unknown, b: unknown): boolean => {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    // JSON writes an undefined array element as null
    return a.every((x, i) => sameJson(x ?? null, b[i] ?? null));
  }
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  // JSON drops undefined members: compare the defined ones, and their numbers
  const oa = a as Record<string, unknown>;
  const ob = b as Record<string, unknown>;
  let defined = 0;
  for (const k of Object.keys(oa)) {
    if (oa[k] === undefined) continue;
    defined++;
    if (!Object.prototype.hasOwnProperty.call(ob, k) || !sameJson(oa[k], ob[k])) return false;
  }
  for (const k of Object.keys(ob)) if (ob[k] !== undefined) defined--;
  return defined === 0;
};
