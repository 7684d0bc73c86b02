/**
 * The CRD schema and the io-ts codec agree: random manifests built from a catalog of valid and
 * invalid field values are accepted by both or refused by both. (Cron syntax and time zones are
 * left out: only the codec can check them; crd.test.ts shows that gap explicitly.)
 */
import fc from 'fast-check';
import { CATALOG } from './catalog';
import { codecErrors, crdErrors, manifest } from './fixtures';

/** Each field keeps its first (valid) value most of the time, so most manifests differ from a valid one in a field or two. */
const specArb = fc.record(
  Object.fromEntries(
    Object.entries(CATALOG).map(([k, values]) => [k, fc.oneof({ weight: 5, arbitrary: fc.constant(values[0]) }, { weight: 1, arbitrary: fc.constantFrom(...values) })]),
  ),
);

describe('CRD schema and codec agree (property)', () => {
  it('accept and refuse the same manifests', () => {
    const counts = { valid: 0, invalid: 0 };
    fc.assert(
      fc.property(specArb, (raw) => {
        counts[codecErrors(manifest(Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== undefined)))).length === 0 ? 'valid' : 'invalid']++;
        const spec = Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== undefined));
        const codec = codecErrors(manifest(spec));
        const schema = crdErrors(manifest(spec));
        if ((codec.length === 0) !== (schema.length === 0))
          throw new Error(`disagree on ${JSON.stringify(spec)}\ncodec: ${JSON.stringify(codec)}\ncrd: ${JSON.stringify(schema)}`);
      }),
      { numRuns: 3000 },
    );
    // Both kinds are well represented, so agreement is not vacuous.
    expect(counts.valid).toBeGreaterThan(300);
    expect(counts.invalid).toBeGreaterThan(300);
  });

  it('with every field valid, both accept (the generator does reach valid manifests)', () => {
    const valid = { service: 'reviews', version: 'v2', strategy: { canary: { steps: [10, 20] } }, analysis: { interval: '10m' }, progressDeadline: '1h', schedule: { windows: [{ days: ['Sun'], from: '23:00', to: '01:00' }] } };
    expect(codecErrors(manifest(valid))).toEqual([]);
    expect(crdErrors(manifest(valid))).toEqual([]);
  });
});
