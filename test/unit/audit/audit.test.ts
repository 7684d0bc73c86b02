import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AuditEvent, checkWrites, NAMESPACE_CONTROLLER, readAuditEvents, summarizeWrites, Violation } from '../../audit/audit';
import {
  BLUE_GREEN, dr, gate, lease, progressing, reconcileWrites, shift, sluiceAgent, STARTED, ts, vs, write,
} from './fixtures';

const KUBECTL = 'kubectl/v1.36.3 (linux/amd64) kubernetes/sluice-';
const rules = (vs: readonly Violation[]): string[] => vs.map((v) => v.rule);

/** A shift created by a user, v1 adopted, then a canary to v2 started and at 25 %. */
const canaryAt25 = (): AuditEvent[] => [
  write('trafficshifts', shift({}), { at: 0, verb: 'create', agent: KUBECTL }),
  ...reconcileWrites(1, ['v1'], { v1: 100 }, { phase: 'Idle', stableVersion: 'v1', weights: { stable: 100, candidate: 0 } }),
  ...reconcileWrites(10, ['v1', 'v2'], { v1: 100, v2: 0 }, progressing(0, { step: -1 })),
  ...reconcileWrites(20, ['v1', 'v2'], { v1: 75, v2: 25 }, progressing(25, { step: 0 })),
];

const ROLLED_BACK = progressing(0, { phase: 'RolledBack', lastGate: gate('Fail', 29) });

describe('checkWrites', () => {
  it('finds nothing wrong in a canary promoted after a recorded Pass, and counts what it checked', () => {
    const log = [
      ...canaryAt25(),
      ...reconcileWrites(30, ['v1', 'v2'], { v1: 50, v2: 50 }, progressing(50, { step: 1, lastGate: gate('Pass', 29) })),
      write('virtualservices', vs({ v2: 100 }), { at: 40 }),
      write('destinationrules', dr(['v2']), { at: 40.01 }),
      write('trafficshifts', shift({ phase: 'Promoted', stableVersion: 'v2', weights: { stable: 100, candidate: 0 }, startedAt: STARTED, lastGate: gate('Pass', 39) }), { at: 40.02, subresource: 'status' }),
    ];
    const summary = summarizeWrites(log);
    expect(summary.violations).toEqual([]);
    expect(summary).toMatchObject({ sluiceWrites: 15, sluiceRouteWrites: 5, replayedWrites: 16, replicas: ['a'] });
  });

  describe('weights', () => {
    it('flags weights that do not sum to 100 and weights that are not integers, with the route and values', () => {
      const log = [write('destinationrules', dr(['v1', 'v2']), { at: 0 }), write('virtualservices', vs({ v1: 60, v2: 30 }), { at: 1 }), write('virtualservices', vs({ v1: 87.5, v2: 12.5 }), { at: 2 })];
      expect(checkWrites(log).map((v) => v.message)).toEqual([
        'spec.http[0] (primary): weights sum to 90, expected 100',
        'spec.http[0] (primary).route[0].weight: 87.5 is not an integer from 0 to 100',
        'spec.http[0] (primary).route[1].weight: 12.5 is not an integer from 0 to 100',
        'spec.http[0] (primary): weights sum to 0, expected 100',
      ]);
      expect(checkWrites(log)[0]).toMatchObject({ rule: 'weights', object: 'VirtualService shop/reviews', time: ts(1) });
    });

    it('reads a lone destination without a weight as 100 %, and a string weight as wrong', () => {
      expect(checkWrites([write('destinationrules', dr(['v1']), { at: 0 }), write('virtualservices', vs({ v1: undefined }), { at: 1 })])).toEqual([]);
      expect(rules(checkWrites([write('destinationrules', dr(['v1']), { at: 0 }), write('virtualservices', vs({ v1: '100' }), { at: 1 })]))).toEqual(['weights', 'weights']);
    });

    it("judges only sluice's successful writes: a refused write and a user's write are not sluice's doing", () => {
      const log = [
        write('destinationrules', dr(['v1', 'v2']), { at: 0 }),
        write('virtualservices', vs({ v1: 60, v2: 30 }), { at: 1, code: 422 }),
        write('virtualservices', vs({ v1: 60, v2: 30 }), { at: 2, agent: KUBECTL }),
      ];
      expect(checkWrites(log)).toEqual([]);
    });
  });

  describe('subsets', () => {
    it('flags a route naming a subset the DestinationRule did not have at that moment', () => {
      const log = [write('destinationrules', dr(['v1']), { at: 0 }), write('virtualservices', vs({ v1: 75, v2: 25 }), { at: 1 })];
      expect(checkWrites(log)).toEqual([
        expect.objectContaining({
          rule: 'subsets',
          message: 'spec.http[0] (primary).route[1].destination.subset: "v2" is not a subset of the DestinationRule for reviews.shop.svc.cluster.local at that moment (its subsets are v1)',
        }),
      ]);
    });

    it("follows the DestinationRule whoever wrote it: a user's rule counts, a deleted one is gone", () => {
      const byUser = [write('destinationrules', dr(['v1', 'v2']), { at: 0, agent: KUBECTL }), write('virtualservices', vs({ v1: 75, v2: 25 }), { at: 1 })];
      expect(checkWrites(byUser)).toEqual([]);
      const deleted = [...byUser, write('destinationrules', undefined, { at: 2, verb: 'delete', name: 'reviews', agent: 'kube-controller-manager/v1.36.3' }), write('virtualservices', vs({ v1: 100 }), { at: 3 })];
      expect(checkWrites(deleted).map((v) => v.message)).toEqual([
        'spec.http[0] (primary).route[0].destination.subset: "v1" is not a subset of the DestinationRule for reviews.shop.svc.cluster.local at that moment (there is no DestinationRule for that host)',
      ]);
    });

    it('forgets the DestinationRules a namespace cleanup deleted (deletecollection)', () => {
      const cleanup = { kind: 'DestinationRuleList', items: [dr(['v1', 'v2'])] };
      const log = [
        write('destinationrules', dr(['v1', 'v2']), { at: 0, agent: KUBECTL }),
        { ...write('destinationrules', undefined, { at: 1, verb: 'deletecollection', name: '', agent: 'kube-controller-manager/v1.36.3' }), responseObject: cleanup },
        write('virtualservices', vs({ v1: 100 }), { at: 2 }),
      ];
      expect(rules(checkWrites(log))).toEqual(['subsets']);
    });

    it('counts, without flagging, a route write that met a rule the namespace controller had just removed while emptying the namespace', () => {
      const cleanup = { kind: 'DestinationRuleList', items: [dr(['v1', 'v2'])] };
      const byController = { ...write('destinationrules', undefined, { at: 1, verb: 'deletecollection', name: '', agent: 'kube-controller-manager/v1.36.3' }), responseObject: cleanup, user: { username: NAMESPACE_CONTROLLER } };
      const log = [write('destinationrules', dr(['v1', 'v2']), { at: 0, agent: KUBECTL }), byController, write('virtualservices', vs({ v1: 100 }), { at: 2 })];
      const summary = summarizeWrites(log);
      expect(summary.violations).toEqual([]);
      expect(summary.racedNamespaceDeletion).toBe(1);
      // every other rule still applies there: bad weights are flagged
      expect(rules(checkWrites([...log, write('virtualservices', vs({ v1: 60 }), { at: 3 })]))).toEqual(['weights']);
      // the local control plane's controller-manager is known by its User-Agent
      const byAgent = { ...byController, user: { username: 'sluice-admin' }, userAgent: 'sluice-testenv/v1.36.3 (linux/amd64) kubernetes/sluice-/namespace-controller' };
      expect(summarizeWrites([log[0]!, byAgent, log[2]!])).toMatchObject({ racedNamespaceDeletion: 1, violations: [] });
      // and in a namespace nobody is emptying, the same write is flagged
      const other = [write('destinationrules', dr(['v1', 'v2']), { at: 0, agent: KUBECTL }), { ...byController, user: { username: 'alice' } }, write('virtualservices', vs({ v1: 100 }), { at: 2 })];
      expect(summarizeWrites(other)).toMatchObject({ racedNamespaceDeletion: 0, violations: [expect.objectContaining({ rule: 'subsets' })] });
    });

    it('orders writes by the API server time, not by file order', () => {
      const log = [write('virtualservices', vs({ v1: 75, v2: 25 }), { at: 2 }), write('destinationrules', dr(['v1', 'v2']), { at: 1 })];
      expect(checkWrites(log)).toEqual([]);
    });
  });

  describe('fallback-sticks', () => {
    it('flags a write giving a rolled-back candidate weight again without a retry', () => {
      const log = [
        ...canaryAt25(),
        ...reconcileWrites(30, ['v1', 'v2'], { v1: 100, v2: 0 }, ROLLED_BACK),
        write('virtualservices', vs({ v1: 75, v2: 25 }), { at: 40, agent: sluiceAgent('b') }),
      ];
      const found = checkWrites(log);
      expect(rules(found)).toEqual(['fallback-sticks']);
      expect(found[0].message).toMatch(/^gives v2 25 % after shift shop\/reviews fell back from it \(2026-12-03T08:00:30.010000Z, audit audit-\d+\) with no retry/);
    });

    it('allows the candidate again after a retry (a new status.startedAt)', () => {
      const log = [
        ...canaryAt25(),
        ...reconcileWrites(30, ['v1', 'v2'], { v1: 100, v2: 0 }, ROLLED_BACK),
        ...reconcileWrites(40, ['v1', 'v2'], { v1: 100, v2: 0 }, progressing(0, { step: -1, startedAt: ts(40) })),
        ...reconcileWrites(41, ['v1', 'v2'], { v1: 75, v2: 25 }, progressing(25, { step: 0, startedAt: ts(40) })),
      ];
      expect(checkWrites(log)).toEqual([]);
    });

    it('takes a fallback from the routes when its status came only later: a second replica may not undo it in between (issue 9 #3)', () => {
      const log = [
        ...canaryAt25(),
        // replica a writes the fallback's routes and is killed before its status write
        write('virtualservices', vs({ v1: 100, v2: 0 }), { at: 30 }),
        // replica b renders the old status again
        write('virtualservices', vs({ v1: 75, v2: 25 }), { at: 35, agent: sluiceAgent('b') }),
        write('trafficshifts', shift(progressing(25, { step: 0, lastGate: gate('Fail', 34) })), { at: 35.1, agent: sluiceAgent('b'), subresource: 'status' }),
        ...reconcileWrites(45, ['v1', 'v2'], { v1: 100, v2: 0 }, ROLLED_BACK, sluiceAgent('b')),
      ];
      expect(rules(checkWrites(log))).toEqual(['fallback-sticks']);
      expect(checkWrites(log)[0].time).toBe(ts(35));
    });

    it('does not take a pause at 0 % (set-weight 0) for a fallback', () => {
      const log = [
        ...canaryAt25(),
        ...reconcileWrites(30, ['v1', 'v2'], { v1: 100, v2: 0 }, progressing(0, { phase: 'Paused', pausedFrom: 'Progressing' })),
        ...reconcileWrites(40, ['v1', 'v2'], { v1: 75, v2: 25 }, progressing(25)),
      ];
      expect(checkWrites(log)).toEqual([]);
    });

    it('does not take set-weight 0 while paused for a fallback, when set-weight 30 and an abort follow', () => {
      const paused = (w: number) => progressing(w, { phase: 'Paused', pausedFrom: 'Progressing' });
      const log = [
        ...canaryAt25(),
        ...reconcileWrites(25, ['v1', 'v2'], { v1: 75, v2: 25 }, paused(25)),
        ...reconcileWrites(30, ['v1', 'v2'], { v1: 100, v2: 0 }, paused(0)),
        ...reconcileWrites(40, ['v1', 'v2'], { v1: 70, v2: 30 }, paused(30)),
        ...reconcileWrites(50, ['v1', 'v2'], { v1: 100, v2: 0 }, ROLLED_BACK),
      ];
      expect(checkWrites(log)).toEqual([]);
    });

    it('does not take a preview route dropped for an unready candidate for a fallback', () => {
      const bg = (at: number, preview: boolean, status: Record<string, unknown>) => [
        write('virtualservices', vs({ v1: 100, v2: 0 }, preview ? { preview: 'v2' } : {}), { at }),
        write('trafficshifts', shift(status, BLUE_GREEN), { at: at + 0.01, subresource: 'status' }),
      ];
      const log = [
        write('trafficshifts', shift({}, BLUE_GREEN), { at: 0, verb: 'create', agent: KUBECTL }),
        write('destinationrules', dr(['v1', 'v2']), { at: 1 }),
        ...bg(2, true, progressing(0)),
        ...bg(10, false, progressing(0, { stalledSince: ts(10) })),
        ...bg(20, true, progressing(0)),
        ...bg(30, false, progressing(0, { phase: 'RolledBack' })),
      ];
      expect(checkWrites(log)).toEqual([]);
    });

    it('keeps the fallback while a deleted shift waits for its finalizer', () => {
      const deleting = { ...shift(ROLLED_BACK), metadata: { name: 'reviews', namespace: 'shop', uid: 'uid-1', finalizers: ['sluice.dev/finalizer'], deletionTimestamp: ts(40) } };
      const log = [
        ...canaryAt25(),
        ...reconcileWrites(30, ['v1', 'v2'], { v1: 100, v2: 0 }, ROLLED_BACK),
        write('trafficshifts', deleting, { at: 40, verb: 'delete', agent: KUBECTL }),
        write('virtualservices', vs({ v1: 75, v2: 25 }), { at: 41 }),
      ];
      expect(rules(checkWrites(log))).toEqual(['fallback-sticks']);
    });

    it('starts afresh when the shift is deleted and created again', () => {
      const log = [
        ...canaryAt25(),
        ...reconcileWrites(30, ['v1', 'v2'], { v1: 100, v2: 0 }, ROLLED_BACK),
        write('trafficshifts', undefined, { at: 40, verb: 'delete', name: 'reviews', agent: KUBECTL }),
        write('trafficshifts', shift({}, undefined, 'uid-2'), { at: 41, verb: 'create', agent: KUBECTL }),
        write('virtualservices', vs({ v2: 100 }), { at: 42 }),
        write('trafficshifts', shift({ phase: 'Idle', stableVersion: 'v2', weights: { stable: 100, candidate: 0 } }, undefined, 'uid-2'), { at: 42.1, subresource: 'status' }),
      ];
      expect(checkWrites(log)).toEqual([]);
    });
  });

  describe('gated-full-traffic', () => {
    const promotedWithout = (lastGate: Record<string, unknown>, history: unknown[] = []) =>
      shift({ phase: 'Promoted', stableVersion: 'v2', weights: { stable: 100, candidate: 0 }, startedAt: STARTED, lastGate, history });

    it('flags a promotion whose status records no Pass of this run, on the routes and on the status', () => {
      const log = [
        ...canaryAt25(),
        write('virtualservices', vs({ v2: 100 }), { at: 40 }),
        write('destinationrules', dr(['v2']), { at: 40.01 }),
        write('trafficshifts', promotedWithout(gate('NoData', 39)), { at: 40.02, subresource: 'status' }),
      ];
      const found = checkWrites(log);
      expect(rules(found)).toEqual(['gated-full-traffic']);
      expect(found[0]).toMatchObject({ object: 'TrafficShift shop/reviews', time: ts(40.02) });
      expect(found[0].message).toBe(
        'status moves v2 to 100 % (phase Promoted, v2 100 %) without a Pass for v2 in this run (lastGate: NoData for v2 at 2026-12-03T08:00:39.000000Z), a blue-green switch, or a promote / set-weight 100 command',
      );
    });

    it('judges a canary promotion when it reaches 100 % in Promoting, not again when it ends in Promoted', () => {
      const command = { time: ts(30), event: 'CommandApplied', message: 'promote by alice: v2 to 100 % now', by: 'alice' };
      const promoting = (history: unknown[]) => progressing(100, { phase: 'Promoting', lastGate: gate('NoData', 29), history });
      const ended = write('trafficshifts', promotedWithout(gate('NoData', 29), []), { at: 32, subresource: 'status' });
      // A promote command recorded with the move to 100 %: both writes pass.
      expect(checkWrites([...canaryAt25(), ...reconcileWrites(30, ['v1', 'v2'], { v1: 0, v2: 100 }, promoting([command])), ended])).toEqual([]);
      // The same two writes with no reason: flagged once, where the 100 % happened.
      const found = checkWrites([...canaryAt25(), ...reconcileWrites(30, ['v1', 'v2'], { v1: 0, v2: 100 }, promoting([])), ended]);
      expect(rules(found)).toEqual(['gated-full-traffic']);
      expect(found[0]!.message).toContain('phase Promoting');
    });

    it("does not take the candidate's audience routes (blue-green preview, A/B test) for all traffic; the same 100 % in the primary route is flagged", () => {
      const testing = progressing(0, { step: -1 });
      const withRoute = (extra: { preview?: string; abTest?: string }) => [...canaryAt25().slice(0, 2), ...reconcileWrites(10, ['v1', 'v2'], { v1: 100, v2: 0 }, testing), write('virtualservices', vs({ v1: 100, v2: 0 }, extra), { at: 11 })];
      expect(checkWrites(withRoute({ abTest: 'v2' }))).toEqual([]);
      expect(checkWrites(withRoute({ preview: 'v2' }))).toEqual([]);
      expect(rules(checkWrites([...withRoute({}), write('virtualservices', vs({ v1: 0, v2: 100 }), { at: 12 })]))).toEqual(['gated-full-traffic']);
    });

    it("does not take the sticky canary's cookie route for all traffic while the candidate has weight; after a fallback it gives the candidate traffic", () => {
      const atStep = [...canaryAt25(), write('virtualservices', vs({ v1: 75, v2: 25 }, { sticky: 'v2' }), { at: 21 })];
      expect(checkWrites(atStep)).toEqual([]);
      const fellBack = [...atStep, ...reconcileWrites(30, ['v1', 'v2'], { v1: 100, v2: 0 }, ROLLED_BACK), write('virtualservices', vs({ v1: 100, v2: 0 }, { sticky: 'v2' }), { at: 31 })];
      const found = checkWrites(fellBack);
      expect(rules(found)).toEqual(['fallback-sticks']);
      expect(found[0]!.message).toMatch(/^gives v2 100 % after shift shop\/reviews fell back from it/);
    });

    it('does not count a Pass from an earlier run of the same version', () => {
      const log = [...canaryAt25(), write('virtualservices', vs({ v2: 100 }), { at: 40 }), write('trafficshifts', promotedWithout(gate('Pass', -200)), { at: 40.02, subresource: 'status' })];
      expect(rules(checkWrites(log))).toEqual(['gated-full-traffic']);
    });

    it('accepts an explicit promote command recorded in history', () => {
      const history = [{ time: ts(40), event: 'CommandApplied', message: 'promote by alice: v2 to 100 % now', by: 'alice' }];
      const log = [...canaryAt25(), write('virtualservices', vs({ v2: 100 }), { at: 40 }), write('trafficshifts', promotedWithout(gate('NoData', 39), history), { at: 40.02, subresource: 'status' })];
      expect(checkWrites(log)).toEqual([]);
    });

    it('accepts set-weight 100 as an explicit command, and flags a paused 100 % no command explains', () => {
      const command = { time: ts(30), event: 'CommandApplied', message: 'set-weight by bob: v2 set to 100 % by bob; held until resume', by: 'bob' };
      const paused = (history: unknown[]) => progressing(100, { phase: 'Paused', pausedFrom: 'Progressing', history });
      expect(checkWrites([...canaryAt25(), ...reconcileWrites(30, ['v1', 'v2'], { v1: 0, v2: 100 }, paused([command]))])).toEqual([]);
      expect(rules(checkWrites([...canaryAt25(), ...reconcileWrites(30, ['v1', 'v2'], { v1: 0, v2: 100 }, paused([]))]))).toEqual(['gated-full-traffic']);
    });

    it('flags routes at 100 % that no status around them records: the promoting replica died before its status write', () => {
      const log = [...canaryAt25(), write('virtualservices', vs({ v2: 100 }), { at: 40 })];
      expect(checkWrites(log)).toEqual([
        expect.objectContaining({
          rule: 'gated-full-traffic',
          object: 'VirtualService shop/reviews',
          message: 'gives v2 100 % but the status of shop/reviews records no such split (before: phase Progressing, v1 75 % / v2 25 %; next by this replica: none)',
        }),
      ]);
    });

    it('accepts the blue-green switch that keeps the stable routable, and flags one that drops it', () => {
      const start = (bgSubsets: string[], weights: Record<string, number>) => [
        write('trafficshifts', shift({}, BLUE_GREEN), { at: 0, verb: 'create', agent: KUBECTL }),
        ...reconcileWrites(1, ['v1'], { v1: 100 }, { phase: 'Idle', stableVersion: 'v1', weights: { stable: 100, candidate: 0 } }, undefined, BLUE_GREEN),
        ...reconcileWrites(10, ['v1', 'v2'], { v1: 100, v2: 0 }, progressing(0), undefined, BLUE_GREEN),
        ...reconcileWrites(20, bgSubsets, weights, progressing(100, { phase: 'Promoting' }), undefined, BLUE_GREEN),
      ];
      expect(checkWrites(start(['v1', 'v2'], { v1: 0, v2: 100 }))).toEqual([]);
      expect(checkWrites(start(['v1', 'v2'], { v2: 100 })).map((v) => v.message)).toEqual(['switches v2 to 100 % without keeping v1 routable (no route names subset "v1")']);
    });

    it('lets the promotion after the rollback window drop the old stable, even when its status write never came', () => {
      const switched = [
        write('trafficshifts', shift({}, BLUE_GREEN), { at: 0, verb: 'create', agent: KUBECTL }),
        ...reconcileWrites(1, ['v1'], { v1: 100 }, { phase: 'Idle', stableVersion: 'v1', weights: { stable: 100, candidate: 0 } }, undefined, BLUE_GREEN),
        ...reconcileWrites(10, ['v1', 'v2'], { v1: 0, v2: 100 }, progressing(100, { phase: 'Promoting' }), undefined, BLUE_GREEN),
      ];
      const promoted = shift({ phase: 'Promoted', stableVersion: 'v2', weights: { stable: 100, candidate: 0 }, startedAt: STARTED, lastGate: gate('Pass', 80) }, BLUE_GREEN);
      expect(checkWrites([...switched, write('virtualservices', vs({ v2: 100 }), { at: 81 }), write('trafficshifts', promoted, { at: 81.1, subresource: 'status' })])).toEqual([]);
      expect(checkWrites([...switched, write('virtualservices', vs({ v2: 100 }), { at: 81 })])).toEqual([]);
    });

    it('does not let a canary call itself a switch', () => {
      const log = [...canaryAt25(), ...reconcileWrites(30, ['v1', 'v2'], { v1: 0, v2: 100 }, progressing(100, { phase: 'Promoting' }))];
      expect(rules(checkWrites(log))).toEqual(['gated-full-traffic']);
    });

    it('never judges the stable version at 100 % (fallback, revert, first adoption)', () => {
      const log = [...canaryAt25(), write('virtualservices', vs({ v1: 100 }), { at: 30 })];
      expect(checkWrites(log)).toEqual([]);
    });
  });

  describe('leader-only', () => {
    const writeBy = (replica: string, at: number) => write('virtualservices', vs({ v1: 100 }), { at, agent: sluiceAgent(replica) });
    const leases = [
      write('destinationrules', dr(['v1']), { at: 0, agent: KUBECTL }),
      write('leases', lease('a', 6), { at: 1, verb: 'create' }),
      write('leases', lease('a', 6), { at: 3 }),
      // b tries while a holds it: refused
      write('leases', lease('b', 6), { at: 4, agent: sluiceAgent('b'), code: 409 }),
    ];

    it('accepts writes of the holder within its lease and ignores replicas that never take part in the election', () => {
      expect(checkWrites([...leases, writeBy('a', 8.9), writeBy('solo', 20)])).toEqual([]);
    });

    it('flags a write after the lease expired and a write after another replica took it', () => {
      const log = [...leases, writeBy('a', 9.5), write('leases', lease('b', 6), { at: 12, agent: sluiceAgent('b') }), writeBy('a', 12.5), writeBy('b', 13)];
      const found = checkWrites(log);
      expect(rules(found)).toEqual(['leader-only', 'leader-only']);
      expect(found.map((v) => v.message)).toEqual([
        'written by replica "a" while it did not hold Lease shop/sluice-leader (held by "a" until 2026-12-03T08:00:09.000Z)',
        'written by replica "a" while it did not hold Lease shop/sluice-leader (held by "b" until 2026-12-03T08:00:18.000Z)',
      ]);
    });

    it('flags a write after the replica released the lease', () => {
      expect(checkWrites([...leases, write('leases', lease('', 1), { at: 5 }), writeBy('a', 5.5)]).map((v) => v.message)).toEqual([
        'written by replica "a" while it did not hold Lease shop/sluice-leader (which nobody holds)',
      ]);
    });

    it('does not judge a replica outside an election: before its first try, and after its Lease was deleted (identity reused without election)', () => {
      const gone = write('leases', undefined, { at: 20, verb: 'deletecollection', name: '', agent: 'kube-controller-manager/v1.36.3' });
      expect(checkWrites([writeBy('a', 0.5), ...leases, gone, writeBy('a', 30)])).toEqual([]);
    });

    it('holds a leader to its renew deadline when one is given', () => {
      const log = [...leases, writeBy('a', 6.5)];
      expect(checkWrites(log)).toEqual([]);
      expect(checkWrites(log, { renewDeadlineMs: 3000 }).map((v) => v.message)).toEqual([
        'written by replica "a" while it did not hold Lease shop/sluice-leader (held by "a" until 2026-12-03T08:00:06.000Z)',
      ]);
    });

    it("follows the Lease a reused identity competes for now, not one it held in another namespace", () => {
      const elsewhere = write('leases', lease('a', 600, 'sluice-leader'), { at: 1, verb: 'create', namespace: 'other' });
      const log = [...leases, elsewhere, write('leases', lease('a', 6), { at: 12, agent: sluiceAgent('a'), code: 409 }), writeBy('a', 13)];
      expect(rules(checkWrites(log))).toEqual(['leader-only']);
    });
  });
});

describe('readAuditEvents', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-audit-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const line = (e: AuditEvent): string => JSON.stringify(e);

  it('reads rotated files first, keeps final stages only, and tolerates a half-written last line', () => {
    const [a, b, c] = [write('leases', lease('a'), { at: 1 }), write('leases', lease('a'), { at: 2 }), write('leases', lease('a'), { at: 3 })];
    fs.writeFileSync(path.join(dir, 'audit-2026-12-03T08-00-02.000.log'), `${line(a)}\n${line({ ...a, auditID: 'x', stage: 'RequestReceived' })}\n`);
    fs.writeFileSync(path.join(dir, 'audit.log'), `${line(b)}\n${line(c)}\n{"kind":"Event","audi`);
    expect(readAuditEvents(path.join(dir, 'audit.log')).map((e) => e.auditID)).toEqual([a.auditID, b.auditID, c.auditID]);
  });

  it('fails on a broken line in the middle with its file and line, and on a missing log', () => {
    fs.writeFileSync(path.join(dir, 'broken.log'), 'not json\n{}\n');
    expect(() => readAuditEvents(path.join(dir, 'broken.log'))).toThrow(`${path.join(dir, 'broken.log')}:1: not a JSON audit event`);
    expect(() => readAuditEvents(path.join(dir, 'missing.log'))).toThrow(`no audit log at ${path.join(dir, 'missing.log')}`);
  });
});
