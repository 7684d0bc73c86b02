/**
 * The audit checker on spec.routing: gatewayAPI: sluice's HTTPRoute writes are judged by the same
 * safety rules as its VirtualService writes (weights, fallback-sticks, gated-full-traffic), and by
 * `backends`: every backendRef names a Service that exists then, one with weight a Service with a
 * ready Pod, and sluice deletes no Service an HTTPRoute still names.
 */
import { AuditEvent, checkWrites, summarizeWrites, Violation } from '../../audit/audit';
import {
  gate, gatewayReconcile, gatewayWorld, httpRoute, pod, progressing, shift, SHIFT, STARTED, sluiceAgent, versionService, write,
} from './fixtures';

const KUBECTL = 'kubectl/v1.36.3 (linux/amd64) kubernetes/sluice-';
const CONTROLLERS = 'kube-controller-manager/v1.36.3';
const messages = (vs: readonly Violation[]): string[] => vs.map((v) => `${v.rule}: ${v.message}`);

/** A shift whose Services and pods exist, v1 routed, then a canary to v2 at 25 %. */
const canaryAt25 = (): AuditEvent[] => [
  write('trafficshifts', shift({}), { at: 0, verb: 'create', agent: KUBECTL }),
  ...gatewayWorld(0.5, ['v1', 'v2']),
  ...gatewayReconcile(1, { v1: 100 }, { phase: 'Idle', stableVersion: 'v1', weights: { stable: 100, candidate: 0 } }),
  ...gatewayReconcile(10, { v1: 100, v2: 0 }, progressing(0, { step: -1 })),
  ...gatewayReconcile(20, { v1: 75, v2: 25 }, progressing(25, { step: 0 })),
];

describe('checkWrites on HTTPRoutes', () => {
  it('finds nothing wrong in a gatewayAPI canary promoted after a recorded Pass, and counts its route writes', () => {
    const log = [
      ...canaryAt25(),
      ...gatewayReconcile(30, { v1: 50, v2: 50 }, progressing(50, { step: 1, lastGate: gate('Pass', 29) })),
      write('trafficshifts', shift({ phase: 'Promoted', stableVersion: 'v2', weights: { stable: 100, candidate: 0 }, startedAt: STARTED, lastGate: gate('Pass', 39) }), { at: 40, subresource: 'status' }),
      write('httproutes', httpRoute({ v2: 100 }), { at: 40.01 }),
      write('services', undefined, { at: 40.02, verb: 'delete', name: `${SHIFT}-v1` }),
    ];
    const summary = summarizeWrites(log);
    expect(summary.violations).toEqual([]);
    // 5 route writes; 5 statuses; 2 Service creates and 1 delete
    expect(summary).toMatchObject({ sluiceRouteWrites: 5, sluiceWrites: 13, replicas: ['a'] });
  });

  describe('weights', () => {
    it('requires explicit integer weights summing to 100 in every rule: Gateway API weights are proportions, sluice writes percentages', () => {
      const log = [
        ...gatewayWorld(0, ['v1', 'v2']),
        write('httproutes', httpRoute({ v1: 60, v2: 30 }), { at: 1 }),
        write('httproutes', httpRoute({ v1: 87.5, v2: 12.5 }), { at: 2 }),
        // Gateway API reads a missing weight as 1: alone it gets all traffic, but sluice always writes it
        write('httproutes', httpRoute({ v1: undefined }), { at: 3 }),
      ];
      expect(messages(checkWrites(log))).toEqual([
        'weights: spec.rules[0] (primary): weights sum to 90, expected 100',
        'weights: spec.rules[0] (primary).backendRefs[0].weight: 87.5 is not an integer from 0 to 100',
        'weights: spec.rules[0] (primary).backendRefs[1].weight: 12.5 is not an integer from 0 to 100',
        'weights: spec.rules[0] (primary): weights sum to 0, expected 100',
        'weights: spec.rules[0] (primary).backendRefs[0].weight: missing (Gateway API reads 1); sluice writes every weight, summing to 100',
        'weights: spec.rules[0] (primary): weights sum to 1, expected 100',
      ]);
      expect(checkWrites(log)[0]).toMatchObject({ object: 'HTTPRoute shop/reviews' });
    });

    it("judges only sluice's writes", () => {
      expect(checkWrites([...gatewayWorld(0, ['v1', 'v2']), write('httproutes', httpRoute({ v1: 60, v2: 30 }), { at: 1, agent: KUBECTL })])).toEqual([]);
    });
  });

  describe('backends', () => {
    it('flags a backendRef, even at weight 0, to a Service that does not exist at that moment', () => {
      const log = [...gatewayWorld(0, ['v1']), write('httproutes', httpRoute({ v1: 100, v2: 0 }), { at: 1 })];
      expect(messages(checkWrites(log))).toEqual(['backends: spec.rules[0] (primary).backendRefs[1].name: Service shop/reviews-v2 does not exist at that moment']);
    });

    it('follows Services whoever wrote them: one deleted by hand, or with its namespace, is gone', () => {
      const byHand = [...gatewayWorld(0, ['v1', 'v2']), write('services', undefined, { at: 1, verb: 'delete', name: 'reviews-v1', agent: KUBECTL }), write('httproutes', httpRoute({ v1: 100, v2: 0 }), { at: 2 })];
      expect(messages(checkWrites(byHand))).toEqual(['backends: spec.rules[0] (primary).backendRefs[0].name: Service shop/reviews-v1 does not exist at that moment']);
      const recreated = [...byHand.slice(0, -1), write('services', versionService('v1'), { at: 1.5, verb: 'create' }), byHand.at(-1)!];
      expect(checkWrites(recreated)).toEqual([]);
    });

    it('flags weight for a Service with no ready Pod at that moment, not weight 0', () => {
      const unready = [
        write('pods', pod('reviews-v1-0', 'v1'), { at: 0, verb: 'create', agent: CONTROLLERS }),
        write('pods', pod('reviews-v2-0', 'v2', false), { at: 0, verb: 'create', agent: CONTROLLERS }),
        write('services', versionService('v1'), { at: 0.1, verb: 'create' }),
        write('services', versionService('v2'), { at: 0.1, verb: 'create' }),
        write('httproutes', httpRoute({ v1: 100, v2: 0 }), { at: 1 }),
        write('httproutes', httpRoute({ v1: 90, v2: 10 }), { at: 2 }),
      ];
      expect(messages(checkWrites(unready))).toEqual([
        'backends: spec.rules[0] (primary).backendRefs[1]: weight 10 for Service shop/reviews-v2, which selects no ready Pod at that moment (selector app=reviews,version=v2: 1 Pods, none ready)',
      ]);
      // the pod simulator reports it Ready before the write: fine
      const ready = [...unready.slice(0, -1), write('pods', pod('reviews-v2-0', 'v2'), { at: 1.5, subresource: 'status' }), unready.at(-1)!];
      expect(checkWrites(ready)).toEqual([]);
      // its only Pod deleted (graceful deletion: being deleted counts as gone) just before
      const deleted = [...ready.slice(0, -1), write('pods', { ...pod('reviews-v2-0', 'v2'), metadata: { ...(pod('reviews-v2-0', 'v2').metadata as object), deletionTimestamp: '2026-12-03T08:00:01Z' } }, { at: 1.8, verb: 'delete', agent: KUBECTL }), ready.at(-1)!];
      expect(messages(checkWrites(deleted))).toEqual([
        'backends: spec.rules[0] (primary).backendRefs[1]: weight 10 for Service shop/reviews-v2, which selects no ready Pod at that moment (selector app=reviews,version=v2: 0 Pods, none ready)',
      ]);
    });

    it('flags sluice deleting a Service an HTTPRoute still names, not one it no longer names', () => {
      const log = [...gatewayWorld(0, ['v1', 'v2']), write('httproutes', httpRoute({ v1: 100, v2: 0 }), { at: 1 })];
      expect(messages(checkWrites([...log, write('services', undefined, { at: 2, verb: 'delete', name: 'reviews-v2' })]))).toEqual([
        'backends: deletes Service shop/reviews-v2 while HTTPRoute shop/reviews names it (spec.rules[0] (primary).backendRefs[1])',
      ]);
      expect(checkWrites([...log, write('httproutes', httpRoute({ v1: 100 }), { at: 2 }), write('services', undefined, { at: 3, verb: 'delete', name: 'reviews-v2' })])).toEqual([]);
      // the namespace controller's deletes are not sluice's doing
      expect(checkWrites([...log, write('services', undefined, { at: 2, verb: 'delete', name: 'reviews-v2', agent: CONTROLLERS })])).toEqual([]);
    });
  });

  describe('fallback-sticks and gated-full-traffic, as for VirtualServices', () => {
    it('flags an HTTPRoute giving a rolled-back candidate weight again without a retry', () => {
      const log = [
        ...canaryAt25(),
        ...gatewayReconcile(30, { v1: 100, v2: 0 }, progressing(0, { phase: 'RolledBack', lastGate: gate('Fail', 29) })),
        write('httproutes', httpRoute({ v1: 75, v2: 25 }), { at: 40, agent: sluiceAgent('b') }),
      ];
      expect(checkWrites(log).map((v) => v.rule)).toEqual(['fallback-sticks']);
      expect(checkWrites(log)[0]!.message).toMatch(/^gives v2 25 % after shift shop\/reviews fell back from it/);
    });

    it('flags a promotion whose status records no Pass of this run, and an HTTPRoute at 100 % no status records', () => {
      const ungated = [
        ...canaryAt25(),
        write('trafficshifts', shift(progressing(100, { phase: 'Promoting', step: 1, lastGate: gate('Fail', 29) })), { at: 30, subresource: 'status' }),
        write('httproutes', httpRoute({ v1: 0, v2: 100 }), { at: 30.01 }),
      ];
      expect(checkWrites(ungated).map((v) => `${v.rule} ${v.object}`)).toEqual(['gated-full-traffic TrafficShift shop/reviews']);
      // the replica died before its status write: the route at 100 % stands alone
      const unrecorded = [...canaryAt25(), write('httproutes', httpRoute({ v1: 0, v2: 100 }), { at: 30 })];
      expect(checkWrites(unrecorded).map((v) => `${v.rule} ${v.object}: ${v.message}`)).toEqual([
        'gated-full-traffic HTTPRoute shop/reviews: gives v2 100 % but the status of shop/reviews records no such split (before: phase Progressing, v1 75 % / v2 25 %; next by this replica: none)',
      ]);
      const passed = [...canaryAt25(), ...gatewayReconcile(30, { v1: 0, v2: 100 }, progressing(100, { phase: 'Promoting', step: 1, lastGate: gate('Pass', 29) }))];
      expect(checkWrites(passed)).toEqual([]);
    });

    it('does not take the preview rule for all traffic', () => {
      const log = [...canaryAt25().slice(0, 6), write('httproutes', httpRoute({ v1: 100, v2: 0 }, { preview: 'v2' }), { at: 12 })];
      expect(checkWrites(log)).toEqual([]);
    });
  });
});
