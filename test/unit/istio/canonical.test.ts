import fc from 'fast-check';
import { canonicalJson, sameJson } from '../../../src/istio/canonical';

/** The same value with every object's keys in another order, and undefined members sprinkled in. */
const reordered = (v: unknown, flip: boolean): unknown => {
  if (Array.isArray(v)) return v.map((x) => reordered(x, !flip));
  if (typeof v !== 'object' || v === null) return v;
  const keys = Object.keys(v).sort();
  if (flip) keys.reverse();
  const out: Record<string, unknown> = flip ? { zzUndefined: undefined } : {};
  for (const k of keys) Object.defineProperty(out, k, { value: reordered((v as Record<string, unknown>)[k], !flip), enumerable: true, writable: true, configurable: true });
  return out;
};

/** Any JSON value, a "__proto__" member included (JSON.parse makes it an own member, and so must canonicalJson). */
const jsonValue = () => fc.jsonValue();

describe('sameJson', () => {
  it('agrees with comparing canonical JSON strings, for any two JSON values', () => {
    fc.assert(
      fc.property(jsonValue(), jsonValue(), (a, b) => {
        expect(sameJson(a, b)).toBe(canonicalJson(a) === canonicalJson(b));
      }),
      { numRuns: 500 },
    );
  });

  it('finds a value equal to itself written with other key orders and undefined members', () => {
    fc.assert(
      fc.property(jsonValue(), (a) => {
        expect(sameJson(a, reordered(a, true))).toBe(true);
        expect(sameJson(reordered(a, false), reordered(a, true))).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('tells apart values that differ in one member, in an array element or in an extra member', () => {
    expect(sameJson({ a: 1, b: { c: [1, 2] } }, { b: { c: [1, 2] }, a: 1 })).toBe(true);
    expect(sameJson({ a: 1, b: { c: [1, 2] } }, { a: 1, b: { c: [1, 3] } })).toBe(false);
    expect(sameJson({ a: 1 }, { a: 1, b: 0 })).toBe(false);
    expect(sameJson({ a: 1, b: undefined }, { a: 1 })).toBe(true);
    expect(sameJson([1, undefined], [1, null])).toBe(true);
    expect(sameJson([1], { 0: 1 })).toBe(false);
    expect(sameJson(null, {})).toBe(false);
    expect(sameJson('1', 1)).toBe(false);
  });
});

describe('canonicalJson', () => {
  it('keeps a "__proto__" member as a member', () => {
    const parsed = JSON.parse('{"b":1,"__proto__":{"x":2}}');
    expect(canonicalJson(parsed)).toBe('{"__proto__":{"x":2},"b":1}');
    expect(sameJson(parsed, JSON.parse('{"__proto__":{"x":3},"b":1}'))).toBe(false);
  });
});
