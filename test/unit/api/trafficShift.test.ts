import * as E from 'fp-ts/Either';
import { TrafficShiftSpec } from '../../../src/api/spec';
import { decodeTrafficShift, resolveSpec } from '../../../src/api/trafficShift';
import { codecErrors, manifest, minimalCanary, sampleShifts } from './fixtures';

const decoded = (m: unknown) => {
  const d = decodeTrafficShift(m);
  if (E.isLeft(d)) throw new Error(JSON.stringify(d.left));
  return d.right;
};

describe('decodeTrafficShift', () => {
  it('reports every problem of an object at once: a typo does not hide a bad value beside it', () => {
    const spec = { ...minimalCanary, stratgy: {}, analysis: { maxErrorRate: 2, noData: 'maybe' } };
    expect(codecErrors(manifest(spec))).toEqual([
      'shop/reviews: spec.stratgy: {} is not a known field (known: service, version, strategy, hosts, gateways, versionLabel, analysis, manualPromotion, progressDeadline, route, schedule, adopt, hooks, notify, routing, protocol, routes)',
      'shop/reviews: spec.analysis.maxErrorRate: 2 is not a number from 0 to 1',
      'shop/reviews: spec.analysis.noData: "maybe" is not one of hold, fail',
    ]);
  });

  it('fills every default when resolving a minimal canary', () => {
    expect(resolveSpec(decoded(manifest(minimalCanary)).spec)).toEqual({
      service: 'reviews',
      version: 'v2',
      hosts: ['reviews'],
      gateways: ['mesh'],
      versionLabel: 'version',
      strategy: { kind: 'canary', steps: [10, 50], stepIntervalMs: 60_000 },
      analysis: { intervalMs: 30_000, maxErrorRate: 0.01, minRequests: 20, failureThreshold: 2, noData: 'hold', method: 'sequential', falseFailureRate: 0.01 },
      manualPromotion: false,
      progressDeadlineMs: 600_000,
      route: {},
      adopt: false,
      routing: 'virtualService',
      protocol: 'http',
    });
  });

  it.each(sampleShifts().map((s) => [s.file, s.doc] as const))('%s: encoding the decoded spec gives back what was written', (_file, doc) => {
    expect(TrafficShiftSpec.encode(decoded(doc).spec)).toEqual((doc as { spec: unknown }).spec);
  });

  it('reports every problem of a manifest, each on its own line', () => {
    expect(codecErrors(manifest({ service: 'reviews', version: '', strategy: { canary: { steps: [0, 150] } }, manualPromotion: 'yes' }))).toEqual([
      'shop/reviews: spec.version: "" is not a valid label value (expected letters, digits, "-", "_" or ".", at most 63 characters)',
      'shop/reviews: spec.strategy.canary.steps[0]: 0 is not an integer from 1 to 99',
      'shop/reviews: spec.strategy.canary.steps[1]: 150 is not an integer from 1 to 99',
      'shop/reviews: spec.manualPromotion: "yes" is not true or false',
    ]);
  });

  it('names the object even when its envelope is wrong', () => {
    expect(codecErrors({ ...manifest(minimalCanary), apiVersion: 'sluice.dev/v1' })).toEqual(['shop/reviews: apiVersion: "sluice.dev/v1" is not sluice.dev/v1alpha1']);
    expect(codecErrors({ apiVersion: 'sluice.dev/v1alpha1', kind: 'TrafficShift', metadata: {}, spec: minimalCanary })).toEqual(['default/(unnamed): metadata.name: (missing) is required']);
    expect(codecErrors([1, 2])).toEqual(['default/(unnamed): (document): [1,2] is not a Kubernetes object']);
  });

  it('defaults the namespace to "default" and keeps the status as written', () => {
    const shift = decoded({ apiVersion: 'sluice.dev/v1alpha1', kind: 'TrafficShift', metadata: { name: 'r' }, spec: minimalCanary, status: { phase: 'Idle' } });
    expect(shift.metadata).toMatchObject({ name: 'r', namespace: 'default' });
    expect(shift.status).toEqual({ phase: 'Idle' });
  });
});
