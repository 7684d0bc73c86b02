import fc from 'fast-check';
import { canonicalJson } from '../../../src/istio/canonical';
import { render } from '../../../src/istio/render';
import { routeProblems } from '../../../src/istio/safety';
import { planWrites } from '../../../src/istio/writes';
import { decodeDestinationRule, decodeVirtualService } from '../../../src/istio/objects';
import { abTestSpec, blueGreenSpec, canarySpec, right, shiftRef } from './fixtures';

const version = fc.oneof(fc.constantFrom('v1', 'v2', 'v3', '1.2.0', 'V2_rc', 'a'), fc.stringMatching(/^[A-Za-z0-9]([-A-Za-z0-9_.]{0,20}[A-Za-z0-9])?$/));
const intentArb = fc.record({
  stable: version,
  candidate: fc.option(version, { nil: undefined }),
  weights: fc.integer({ min: -20, max: 140 }).map((c) => ({ stable: 100 - c, candidate: c })),
  preview: fc.boolean(),
});
const specs = [
  shiftRef(canarySpec),
  shiftRef(blueGreenSpec),
  shiftRef({ ...blueGreenSpec, route: { match: [{ uri: { prefix: '/a' } }, { headers: { 'x-preview': { exact: 'no' } } }], timeout: '2s' } }),
  shiftRef(abTestSpec),
  shiftRef({ ...abTestSpec, route: { match: [{ uri: { prefix: '/a' } }, { sourceLabels: { app: 'web' } }] } }),
];
const specArb = fc.constantFrom(...specs);

/** The same value built again with every object's keys in reverse order: equal data, other insertion order. */
const reversedKeys = <T>(v: T): T => {
  if (Array.isArray(v)) return v.map(reversedKeys) as unknown as T;
  if (typeof v !== 'object' || v === null) return v;
  return Object.fromEntries(Object.keys(v).reverse().map((k) => [k, reversedKeys((v as Record<string, unknown>)[k])])) as T;
};

describe('render invariants (property)', () => {
  it('always renders safe routes: integer weights summing to 100, every subset defined', () => {
    fc.assert(fc.property(specArb, intentArb, (shift, intent) => {
      const { virtualService, destinationRule } = render(shift, intent);
      expect(routeProblems(virtualService, destinationRule)).toEqual([]);
    }), { numRuns: 500 });
  });

  it('is deterministic: the same input renders the same bytes, whatever order its keys were written in', () => {
    fc.assert(fc.property(specArb, intentArb, (shift, intent) => {
      expect(JSON.stringify(render(reversedKeys(shift), reversedKeys(intent)))).toBe(JSON.stringify(render(shift, intent)));
    }));
  });

  it('never leaves a route naming a missing subset at any point of a write sequence', () => {
    fc.assert(fc.property(specArb, intentArb, intentArb, (shift, from, to) => {
      const before = render(shift, from);
      const after = render(shift, to);
      const current = { destinationRule: right(decodeDestinationRule(before.destinationRule)), virtualService: right(decodeVirtualService(before.virtualService)) };
      let dr: unknown = current.destinationRule;
      let vs: unknown = current.virtualService;
      for (const w of planWrites(current, after)) {
        if (w.kind === 'DestinationRule') dr = w.object;
        else vs = w.object;
        expect(routeProblems(vs as never, dr as never)).toEqual([]);
      }
      expect(canonicalJson((dr as { spec: unknown }).spec)).toBe(canonicalJson(after.destinationRule.spec));
      expect(canonicalJson((vs as { spec: unknown }).spec)).toBe(canonicalJson(after.virtualService.spec));
    }), { numRuns: 300 });
  });
});
