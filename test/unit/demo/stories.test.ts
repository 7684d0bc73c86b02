import type { ShiftStatus } from '../../../src/api/status';
import { decodeConfig } from '../../mesh-sim/config';
import {
  abTestPatch, BETA_COOKIE, betaMatch, blueGreenPatch, canaryShift, durationSeconds, ended, fallbackWriteMs, judgeAbTest, judgeBlueGreenAbort, judgeFallback, judgePromoted, meshSimConfig,
  receivedBetween, weightOf, writeMs,
  StoryObservation, timingsFor, viewStateOf,
} from '../../../demo/stories';

const app = { namespace: 'shop', service: 'reviews' };
const obs = (final: Partial<ShiftStatus>, over: Partial<StoryObservation> = {}): StoryObservation => ({
  final: final as ShiftStatus, maxCandidateWeight: 0, candidate: { requests: 0, failures: 0 }, timedOut: false, ...over,
});

describe('story manifests', () => {
  it('writes a canary TrafficShift with every timing spelled out', () => {
    const t = timingsFor(true);
    expect(canaryShift(app, t, 'v1')).toEqual({
      apiVersion: 'sluice.dev/v1alpha1', kind: 'TrafficShift', metadata: { name: 'reviews', namespace: 'shop' },
      spec: {
        service: 'reviews', version: 'v1', strategy: { canary: { steps: [10, 30, 60], stepInterval: '10s' } },
        analysis: { interval: '6s', maxErrorRate: 0.01, minRequests: 20, failureThreshold: 2, method: 'threshold' }, progressDeadline: '2m',
      },
    });
  });

  it('switches to blue-green in one merge patch that removes the canary strategy', () => {
    expect(blueGreenPatch(timingsFor(true), 'v4')).toEqual({
      spec: { version: 'v4', strategy: { canary: null, blueGreen: { previewMatch: { headers: { 'x-preview': { exact: 'true' } } }, previewDuration: '10s', rollbackWindow: '3m' } } },
    });
  });

  it('aborts story 3 well inside the rollback window in both modes', () => {
    for (const q of [true, false]) {
      const t = timingsFor(q);
      expect(t.abortAfterS * 3).toBeLessThan(durationSeconds(t.rollbackWindow));
      expect(t.previewRps * durationSeconds(t.analysisInterval)).toBeGreaterThanOrEqual(t.minRequests);
    }
  });

  it('starts story 4 as an A/B test for the beta cookie in one merge patch that removes the other strategies', () => {
    expect(abTestPatch(timingsFor(true), 'v5')).toEqual({
      spec: { version: 'v5', strategy: { canary: null, blueGreen: null, abTest: { match: [{ headers: { cookie: { regex: '^(.*?;\\s*)?(user=beta)(;.*)?$' } } }], iterations: 2 } } },
    });
  });

  it('gives the beta users enough requests for a verdict in every A/B gate window, in both modes', () => {
    for (const q of [true, false]) {
      const t = timingsFor(q);
      expect(t.betaRps * durationSeconds(t.analysisInterval)).toBeGreaterThanOrEqual(t.minRequests);
      expect(t.abIterations).toBeGreaterThanOrEqual(1);
    }
  });

  it('matches the beta cookie among other cookies, and not a look-alike (the regex Istio runs on the Cookie header)', () => {
    const re = new RegExp(betaMatch.headers.cookie.regex);
    expect(re.test(BETA_COOKIE)).toBe(true);
    expect(re.test(`theme=dark; ${BETA_COOKIE}`)).toBe(true);
    expect(re.test(`${BETA_COOKIE}; theme=dark`)).toBe(true);
    expect(re.test('user=betamax')).toBe(false);
    expect(re.test('xuser=beta')).toBe(false);
  });

  it('reads durations', () => {
    expect(durationSeconds('6s')).toBe(6);
    expect(durationSeconds('3m')).toBe(180);
    expect(durationSeconds('500ms')).toBe(0.5);
    expect(durationSeconds('soon')).toBeNaN();
  });
});

describe('judging the stories', () => {
  it('story 1 passes only when the candidate is Promoted and stable at 100 %', () => {
    expect(judgePromoted(obs({ phase: 'Promoted', stableVersion: 'v2', weights: { stable: 100, candidate: 0 } }), 'v2')).toEqual([]);
    expect(judgePromoted(obs({ phase: 'Progressing', stableVersion: 'v1', weights: { stable: 40, candidate: 60 } }, { timedOut: true }), 'v2')).toEqual([
      'phase is Progressing, expected Promoted (timed out waiting)',
      'stable version is v1, expected v2',
      'stable weight is 40, expected 100',
    ]);
  });

  it('story 2 needs the fallback and real failures behind it', () => {
    const rolledBack = { phase: 'RolledBack' as const, stableVersion: 'v2', candidateVersion: 'v3', weights: { stable: 100, candidate: 0 } };
    expect(judgeFallback(obs(rolledBack, { candidate: { requests: 40, failures: 7 } }), 'v2', 'v3')).toEqual([]);
    expect(judgeFallback(obs(rolledBack), 'v2', 'v3')).toEqual(['v3 failed no request per the ledger, so the fallback proves nothing']);
    expect(judgeFallback(obs({ phase: 'Promoted', stableVersion: 'v3', weights: { stable: 100, candidate: 0 } }, { candidate: { requests: 9, failures: 1 } }), 'v2', 'v3'))
      .toEqual(['phase is Promoted, expected RolledBack', 'stable version is v3, expected v2']);
  });

  it('story 3 needs the preview, the switch, the abort and the return to the stable version', () => {
    const back = { phase: 'RolledBack' as const, stableVersion: 'v2', weights: { stable: 100, candidate: 0 } };
    expect(judgeBlueGreenAbort(obs(back, { previewAnswered: 12, maxCandidateWeight: 100, abortApplied: true }), 'v2', 'v4')).toEqual([]);
    expect(judgeBlueGreenAbort(obs(back, { previewAnswered: 0, maxCandidateWeight: 0, abortApplied: false }), 'v2', 'v4')).toEqual([
      'no preview request was answered by v4 before the switch',
      'v4 never reached 100 % (highest 0 %)',
      'the abort command did not succeed',
    ]);
  });
});

describe('story 4: who got the candidate during the A/B test', () => {
  const promoted = { phase: 'Promoted' as const, stableVersion: 'v5', weights: { stable: 100, candidate: 0 } };
  it('passes when only beta users reached the candidate during the test and it was then promoted', () => {
    expect(judgeAbTest(obs(promoted, { audiences: { beta: { v5: 90, v2: 3 }, others: { v2: 700 } } }), 'v5')).toEqual([]);
  });

  it('fails when everyone else reached the candidate during the test, or the beta users never did', () => {
    expect(judgeAbTest(obs(promoted, { audiences: { beta: { v5: 90 }, others: { v2: 690, v5: 10 } } }), 'v5')).toEqual([
      '10 requests of users without the cookie were answered by v5 during the A/B test',
    ]);
    expect(judgeAbTest(obs({ phase: 'RolledBack', stableVersion: 'v2', weights: { stable: 100, candidate: 0 } }, { audiences: { beta: { v2: 90 }, others: { v2: 700 } } }), 'v5')).toEqual([
      "no beta user's request was answered by v5 during the A/B test",
      'phase is RolledBack, expected Promoted',
      'stable version is v2, expected v5',
    ]);
    expect(judgeAbTest(obs(promoted), 'v5')).toEqual(["no beta user's request was answered by v5 during the A/B test"]);
  });

  it('counts requests per version between two readings of the per-stream counts', () => {
    const before = { 'shop/reviews': { v2: 100 }, 'shop/reviews#beta': { v2: 10 } };
    const after = { 'shop/reviews': { v2: 160, v5: 0 }, 'shop/reviews#beta': { v2: 12, v5: 30 } };
    expect(receivedBetween(before, after, 'shop/reviews#beta')).toEqual({ v2: 2, v5: 30 });
    expect(receivedBetween(before, after, 'shop/reviews')).toEqual({ v2: 60 });
    expect(receivedBetween(before, after, 'shop/reviews#none')).toEqual({});
  });
});

describe('reading the status', () => {
  const history = (entries: [string, number][]) => ({
    history: entries.map(([time, candidate]) => ({ time, event: 'E', message: 'm', weights: { stable: 100 - candidate, candidate } })),
  });

  it('finds the write that put the candidate back at 0 after it had traffic', () => {
    const s = history([['2026-01-01T00:00:00Z', 0], ['2026-01-01T00:00:05Z', 0], ['2026-01-01T00:00:06Z', 10], ['2026-01-01T00:00:20Z', 0]]);
    expect(fallbackWriteMs(s, Date.parse('2026-01-01T00:00:04Z'))).toBe(Date.parse('2026-01-01T00:00:20Z'));
    expect(fallbackWriteMs(s, Date.parse('2026-01-01T00:00:30Z'))).toBeUndefined();
  });

  it('turns a status into the live view state', () => {
    const s: ShiftStatus = {
      phase: 'Progressing', stableVersion: 'v2', candidateVersion: 'v3', weights: { stable: 90, candidate: 10 }, step: 0,
      lastGate: { result: 'Fail', version: 'v3', requests: 30, errors: 6, errorRate: 0.2, threshold: 0.01, window: '6s', time: '2026-01-01T00:00:00Z', message: 'x' },
      history: [{ time: '2026-01-01T00:00:00Z', event: 'GateFailed', message: 'v3 failed 6 of 30' }],
    };
    expect(viewStateOf('T', s, 3, 12)).toEqual({
      title: 'T', elapsedS: 12, stepCount: 3, phase: 'Progressing', stableVersion: 'v2', candidateVersion: 'v3',
      weights: { stable: 90, candidate: 10 }, step: 0,
      gate: { result: 'Fail', errorRate: 0.2, threshold: 0.01, requests: 30, errors: 6, window: '6s' },
      lastEvent: 'GateFailed: v3 failed 6 of 30',
    });
  });
});

describe('mesh simulator config', () => {
  it('sends the main stream, a preview stream carrying the header the blue-green story matches, and beta users carrying the A/B cookie', () => {
    const c = meshSimConfig(app, timingsFor(true), { port: 0, ledgerPath: '/tmp/l.json' });
    expect(decodeConfig(c).ok).toBe(true);
    expect(c.services).toEqual([{
      namespace: 'shop', service: 'reviews', rps: 60, preview: { headers: { 'x-preview': 'true' }, rps: 4 },
      streams: [{ name: 'beta', rps: 8, headers: { cookie: 'theme=dark; user=beta' } }],
    }]);
    expect(new RegExp(betaMatch.headers.cookie.regex).test(c.services[0]!.streams[0]!.headers.cookie)).toBe(true);
  });
});

describe('story ends and weights by version', () => {
  it('counts a story as ended only once the status is about its candidate', () => {
    expect(ended('v2')({ phase: 'Promoted', stableVersion: 'v2' })).toBe(true);
    expect(ended('v3')({ phase: 'Promoted', stableVersion: 'v2' })).toBe(false); // story 1's end, seen right after story 2's patch
    expect(ended('v3')({ phase: 'RolledBack', stableVersion: 'v2', candidateVersion: 'v3' })).toBe(true);
    expect(ended('v4')({ phase: 'RolledBack', stableVersion: 'v2', candidateVersion: 'v3' })).toBe(false);
    expect(ended('v4')({ phase: 'Promoting', stableVersion: 'v2', candidateVersion: 'v4' })).toBe(false);
  });

  it('follows a version across roles: after promotion the candidate is the stable one', () => {
    const promoted: ShiftStatus = { stableVersion: 'v2', weights: { stable: 100, candidate: 0 } };
    expect(weightOf(promoted, 'v2')).toBe(100);
    expect(weightOf(promoted, 'v1')).toBe(0);
    expect(weightOf({ stableVersion: 'v1', candidateVersion: 'v2', weights: { stable: 70, candidate: 30 } }, 'v2')).toBe(30);
    expect(weightOf({ stableVersion: 'v1' }, 'v1')).toBe(0);
  });

  it('finds the first write of a split in the history', () => {
    const s = { history: [
      { time: '2026-01-01T00:00:00Z', event: 'A', message: '', weights: { stable: 100, candidate: 0 } },
      { time: '2026-01-01T00:00:10Z', event: 'Switched', message: '', weights: { stable: 0, candidate: 100 } },
    ] };
    expect(writeMs(s, Date.parse('2026-01-01T00:00:05Z'), (w) => w.candidate === 100)).toBe(Date.parse('2026-01-01T00:00:10Z'));
    expect(writeMs(s, Date.parse('2026-01-01T00:00:20Z'), (w) => w.candidate === 100)).toBeUndefined();
  });
});
