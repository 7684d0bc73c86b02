import { candidateWeightOf, ledgerServices } from '../../../../bench/fallback/manifests';
import { measureRun, type RunFacts } from '../../../../bench/fallback/measure';
import type { LedgerCell, LedgerJson } from '../../../../test/mesh-sim/ledger';

const START = 1_800_000_000_000;
/** t0 falls 2.4 s into the ledger's second 10. */
const T0 = START + 10_400;

/** Cells for seconds [from, to) with `requests` per second and `failures` in each. */
const cells = (from: number, to: number, requests: number, failures = 0): LedgerCell[] =>
  Array.from({ length: to - from }, (_, i) => ({ second: from + i, requests, failures }));

const facts = (over: Partial<RunFacts>): RunFacts => ({
  tool: 'sluice',
  scenario: 'bad',
  settings: 'matched',
  run: 0,
  services: ['ns/app-0'],
  stableVersion: 'v1',
  candidateVersion: 'v2',
  t0Ms: T0,
  endMs: START + 60_000,
  outcome: 'fellBack',
  badFromSeconds: 0,
  ...over,
});

describe('one run measured from the ledger', () => {
  it('counts a fallen-back candidate from t0 to its last request, and times first failure to zero traffic', () => {
    const ledger: LedgerJson = {
      startedAtMs: START,
      services: { 'ns/app-0': { v1: cells(0, 60, 45), v2: [...cells(8, 10, 3, 3), ...cells(12, 14, 5), ...cells(14, 30, 5, 1)], unknown: cells(20, 22, 1, 1) } },
    };
    const r = measureRun(ledger, facts({ verdictMs: T0 + 21_000, weightChanges: [[2, 10], [20.5, 0]] }));
    expect(r).toEqual({
      tool: 'sluice',
      scenario: 'bad',
      settings: 'matched',
      run: 0,
      outcome: 'fellBack',
      // seconds 8-9 are before t0 and do not count; 12..29 do: 18 s x 5 requests, 16 failures
      candidateFailedRequests: 16,
      candidateServedRequests: 90,
      // first failure in second 14 (index 4), last candidate request in second 29 (index 19), zero from index 20
      secondsFirstBadToZero: 16,
      secondsToPromote: null,
      secondsToVerdict: 21,
      unroutedRequests: 2,
      weightChanges: [[2, 10], [20.5, 0]],
    });
  });

  it('counts a promoted candidate only until the stable version stops getting traffic', () => {
    const ledger: LedgerJson = {
      startedAtMs: START,
      services: {
        'ns/app-0': { v1: cells(0, 15, 50) },
        'ns/app-0-primary': { v1: cells(15, 40, 45), v2: cells(40, 60, 50, 1) },
        'ns/app-0-canary': { v2: cells(15, 40, 5, 1) },
      },
    };
    const r = measureRun(ledger, facts({ tool: 'flagger', outcome: 'promoted', services: ledgerServices('flagger', 'ns', 'app-0') }));
    expect(r.secondsToPromote).toBe(30); // stable's last second is 39 = index 29
    expect(r.candidateServedRequests).toBe(25 * 5);
    expect(r.candidateFailedRequests).toBe(25);
    expect(r.secondsFirstBadToZero).toBeNull();
    expect(r.secondsToVerdict).toBeNull();
  });

  it('counts failures from when the candidate turned bad for the time to zero, and leaves a held run open', () => {
    const ledger: LedgerJson = { startedAtMs: START, services: { 'ns/app-0': { v1: cells(0, 60, 45), v2: [...cells(10, 20, 5, 1), ...cells(20, 60, 5, 2)] } } };
    const held = measureRun(ledger, facts({ outcome: 'held', badFromSeconds: 10 }));
    expect(held.candidateFailedRequests).toBe(10 + 2 * 40);
    expect(held.secondsFirstBadToZero).toBeNull();
    // the same traffic, stopped at second 45, with the candidate bad only from 10 s after t0 (index 10 = second 20)
    const stopped = measureRun(
      { startedAtMs: START, services: { 'ns/app-0': { v1: cells(0, 60, 45), v2: [...cells(10, 20, 5, 1), ...cells(20, 45, 5, 2)] } } },
      facts({ badFromSeconds: 10 }),
    );
    expect(stopped.secondsFirstBadToZero).toBe(25);
  });
});

describe('candidate weight in a written VirtualService', () => {
  it('reads sluice\'s subset route and Flagger\'s canary host', () => {
    const sluiceVs = { spec: { http: [{ route: [{ destination: { host: 'app-0.ns.svc.cluster.local', subset: 'v1' }, weight: 80 }, { destination: { host: 'app-0.ns.svc.cluster.local', subset: 'v2' }, weight: 20 }] }] } };
    const flaggerVs = { spec: { http: [{ route: [{ destination: { host: 'app-0-primary' }, weight: 90 }, { destination: { host: 'app-0-canary' }, weight: 10 }] }] } };
    expect(candidateWeightOf(sluiceVs, 'app-0', 'v2')).toBe(20);
    expect(candidateWeightOf(flaggerVs, 'app-0', 'v2')).toBe(10);
    expect(candidateWeightOf({ spec: { http: [{ route: [{ destination: { host: 'app-0-primary' } }] }] } }, 'app-0', 'v2')).toBe(0);
    expect(candidateWeightOf({ spec: {} }, 'app-0', 'v2')).toBeUndefined();
  });
});
