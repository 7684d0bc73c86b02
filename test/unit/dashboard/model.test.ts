import * as E from 'fp-ts/Either';
import { detailOf, phaseSince, rowOf, weightSeries } from '../../../src/dashboard/model';
import { errorRates, rangeOf, MAX_POINTS } from '../../../src/dashboard/charts';
import { decodeMatrix } from '../../../src/dashboard/range';
import { kubeErrorProblem, kubeProblem } from '../../../src/dashboard/problems';
import { TRAFFIC_SHIFTS } from '../../../src/kube/objects';
import { NOW, shift } from '../cli/commandsFixtures';

const at = (s: number) => new Date(NOW + s * 1000).toISOString();

describe('the overview row of a shift', () => {
  it('carries phase, versions, split, step, verdict, time in phase and the pending command', () => {
    const obj = shift('shop', 'reviews', {
      annotations: { 'sluice.dev/command': 'pause', 'sluice.dev/command-id': 'abc', 'sluice.dev/by': 'alice' },
      status: {
        phase: 'Progressing', stableVersion: 'v1', candidateVersion: 'v2', weights: { stable: 75, candidate: 25 }, step: 1, startedAt: at(-300),
        lastGate: { result: 'Pass', version: 'v2', requests: 120, errors: 0, errorRate: 0, threshold: 0.01, window: '30s', time: at(-10), message: 'passed' },
        conditions: [{ type: 'Ready', status: 'False', reason: 'RoutesNotApplied', message: 'refused', lastTransitionTime: at(-5) }],
      },
    });
    const row = rowOf({ ...obj, metadata: { ...obj.metadata, generation: 3 } });
    expect(row).toMatchObject({
      namespace: 'shop', name: 'reviews', phase: 'Progressing', stable: 'v1', candidate: 'v2', weights: { stable: 75, candidate: 25 }, step: 1,
      steps: [10, 25, 50], strategy: 'canary', phaseSince: at(-300), pending: 'pause (command abc, by alice), not yet applied', specUnobserved: true,
    });
    expect(row.notReady?.reason).toBe('RoutesNotApplied');
    expect(row.lastGate?.requests).toBe(120);
  });

  it('hides a candidate equal to stable and a Ready=True condition', () => {
    const row = rowOf(shift('shop', 'reviews', { status: { phase: 'Promoted', stableVersion: 'v2', candidateVersion: 'v2', conditions: [{ type: 'Ready', status: 'True', reason: 'Ok', message: '', lastTransitionTime: at(0) }] } }));
    expect(row.candidate).toBeUndefined();
    expect(row.notReady).toBeUndefined();
    expect(row.specUnobserved).toBe(false);
  });
});

describe('time in phase', () => {
  const history = [{ time: at(-50), event: 'RolledBack', message: 'x' }];
  it.each([
    ['Paused', { pausedAt: at(-20) }, at(-20)],
    ['Waiting', { waitingSince: at(-30) }, at(-30)],
    ['Progressing', { startedAt: at(-40) }, at(-40)],
    ['Promoting', { stepStartedAt: at(-45) }, at(-45)],
    ['RolledBack', { startedAt: at(-400) }, at(-50)],
    ['Idle', {}, at(-50)],
  ] as const)('%s counts from its own start', (phase, extra, want) => {
    expect(phaseSince({ phase, history, ...extra })).toBe(want);
  });
});

describe('weights over time', () => {
  it('takes each recorded split from history and ends at the current one', () => {
    const s = {
      weights: { stable: 100, candidate: 0 },
      history: [
        { time: at(-60), event: 'ShiftStarted', message: '', weights: { stable: 80, candidate: 20 } },
        { time: at(-40), event: 'CommandApplied', message: 'pause' },
        { time: at(-30), event: 'RolledBack', message: '', weights: { stable: 100, candidate: 0 } },
      ],
    };
    expect(weightSeries(s, NOW)).toEqual([
      { t: NOW - 60_000, stable: 80, candidate: 20 },
      { t: NOW - 30_000, stable: 100, candidate: 0 },
      { t: NOW, stable: 100, candidate: 0 },
    ]);
  });
});

describe('the page of a shift', () => {
  it('resolves the gate limits with their defaults and lists the verdicts', () => {
    const d = detailOf(
      shift('shop', 'reviews', {
        spec: { service: 'reviews', version: 'v2', strategy: { canary: { steps: [50] } }, analysis: { maxErrorRate: 0.05 } },
        status: { history: [{ time: at(-9), event: 'GateCheckFailed', message: '3 of 40 failed' }, { time: at(-5), event: 'CommandApplied', message: 'pause' }] },
      }),
      NOW,
    );
    expect(d.limits).toEqual({ maxErrorRate: 0.05, intervalMs: 30_000, interval: '30s', minRequests: 20, failureThreshold: 2 });
    expect(d.verdicts.map((v) => v.event)).toEqual(['GateCheckFailed']);
    expect(d.invalid).toBeUndefined();
  });

  it('says why an invalid spec has no limits', () => {
    const d = detailOf(shift('shop', 'reviews', { spec: { service: 'reviews', version: 'v2', strategy: { canary: { steps: [50, 40] } } } }), NOW);
    expect(d.limits).toBeUndefined();
    expect(d.invalid).toEqual([expect.stringContaining('spec.strategy.canary.steps')]);
  });
});

describe('chart data', () => {
  it('divides errors by requests per version and timestamp, skipping points without requests', () => {
    const requests = [
      { labels: { destination_version: 'v2' }, points: [[1000, 0], [2000, 50], [3000, 40]] as [number, number][] },
      { labels: { destination_version: 'v1' }, points: [[1000, 100]] as [number, number][] },
    ];
    const errors = [{ labels: { destination_version: 'v2' }, points: [[2000, 10], [3000, 0]] as [number, number][] }];
    expect(errorRates(requests, errors, 'v2')).toEqual([
      { label: 'v1', points: [[1000, 0]] },
      { label: 'v2', points: [[2000, 0.2], [3000, 0]] },
    ]);
  });

  it('looks back to 30 s before the oldest decision, within 2 min .. 6 h, at most MAX_POINTS points', () => {
    expect(rangeOf(undefined, NOW)).toEqual({ start: NOW - 2 * 60_000, end: NOW, stepMs: 1000 });
    expect(rangeOf(new Date(NOW - 30_000).toISOString(), NOW).start).toBe(NOW - 2 * 60_000);
    const long = rangeOf(new Date(NOW - 2 * 3600_000).toISOString(), NOW);
    expect(long.start).toBe(NOW - 2 * 3600_000 - 30_000);
    expect((long.end - long.start) / long.stepMs).toBeLessThanOrEqual(MAX_POINTS);
    expect(rangeOf(new Date(NOW - 48 * 3600_000).toISOString(), NOW).start).toBe(NOW - 6 * 3600_000);
  });

  it('reads a matrix answer and a Prometheus error document', () => {
    const ok = decodeMatrix('http://p', 200, JSON.stringify({ status: 'success', data: { resultType: 'matrix', result: [{ metric: { a: 'b' }, values: [[1.5, '2'], [2.5, 'NaN']] }] } }));
    expect(ok).toEqual(E.right([{ labels: { a: 'b' }, points: [[1500, 2]] }]));
    expect(decodeMatrix('http://p', 400, JSON.stringify({ status: 'error', errorType: 'bad_data', error: 'parse error' }))).toEqual(
      E.left({ _tag: 'PromQL', url: 'http://p', errorType: 'bad_data', error: 'parse error' }),
    );
    expect(decodeMatrix('http://p', 502, '<html>')).toEqual(E.left({ _tag: 'Http', url: 'http://p', status: 502, json: false, bytes: 6 }));
  });
});

describe('problems', () => {
  it('tells no access from not found and unreachable, with the API server\'s words and the roles needed', () => {
    const denied = kubeProblem('list TrafficShifts in namespace shop', { code: 403, body: { message: 'User "bob" cannot list resource "trafficshifts"' } });
    expect(denied._tag).toBe('NoAccess');
    expect(denied.message).toContain('User "bob" cannot list resource "trafficshifts"');
    expect(denied.message).toContain('sluice-view');
    expect(kubeProblem('read x', { code: 404, body: '{"message":"gone"}' })._tag).toBe('NotFound');
    expect(kubeProblem('read x', new Error('ECONNREFUSED'))).toEqual({ _tag: 'ApiUnavailable', message: 'cannot read x: the API server could not be reached: ECONNREFUSED' });
  });

  it('turns the CLI client\'s Forbidden into NoAccess without the daemon\'s ClusterRole advice', () => {
    const p = kubeErrorProblem({ _tag: 'Forbidden', ref: { resource: TRAFFIC_SHIFTS, namespace: 'shop', name: '*' }, message: 'list TrafficShift shop/*: not allowed (403); check the sluice ClusterRole: forbidden' });
    expect(p._tag).toBe('NoAccess');
    expect(p.message).toMatch(/^list TrafficShift shop\/\*: not allowed \(403\): forbidden \(reading shifts needs/);
  });
});
