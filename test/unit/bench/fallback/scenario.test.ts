import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseScenario, successRateMin, timeoutOf, toolRunOf, toolSettings, withSettings, type Scenario } from '../../../../bench/fallback/scenario';

const SCENARIOS = path.join(__dirname, '..', '..', '..', '..', 'bench', 'scenarios');

const minimal = `
rps: 50
stable: { errorFraction: 0 }
candidate: { errorFraction: 0.2 }
expect: fallback
`;
const gate = 'gate: { interval: 10s, maxErrorRate: 0.01, failureThreshold: 2, stepWeights: [10, 20, 30] }\n';

const decoded = (text: string): Scenario => {
  const r = parseScenario(text, 'x');
  if (!r.ok) throw new Error(r.errors.join('\n'));
  return r.value;
};
const errorsOf = (text: string): readonly string[] => {
  const r = parseScenario(text, 'x');
  return r.ok ? [] : r.errors;
};

describe('fallback scenarios', () => {
  it('every shipped scenario is valid, with the traffic the issue asks for', () => {
    const files = readdirSync(SCENARIOS).filter((f) => f.endsWith('.yaml')).sort();
    expect(files).toEqual(['at-limit.yaml', 'bad.yaml', 'healthy-low-traffic.yaml', 'prometheus-outage.yaml', 'shared-failure-compare.yaml', 'shared-failure.yaml', 'subtle.yaml']);
    const byName = new Map(files.map((f) => [f.replace('.yaml', ''), decoded(readFileSync(path.join(SCENARIOS, f), 'utf8'))]));
    expect(byName.get('bad')).toMatchObject({ rps: 50, candidate: { errorFraction: 0.2 }, expect: 'fallback' });
    expect(byName.get('subtle')).toMatchObject({ rps: 50, candidate: { errorFraction: 0.03 }, gate: { maxErrorRate: 0.01 } });
    expect(byName.get('healthy-low-traffic')).toMatchObject({ rps: 2, stable: { errorFraction: 0.003 }, candidate: { errorFraction: 0.003 }, expect: 'promote' });
    expect(byName.get('healthy-low-traffic')!.runs).toBeGreaterThanOrEqual(10);
    expect(byName.get('prometheus-outage')).toMatchObject({ prometheusOutage: { forSeconds: 60 }, expect: 'promote' });
    expect(byName.get('shared-failure')).toMatchObject({ stable: { errorFraction: 0.1 }, candidate: { errorFraction: 0.1 }, expect: 'hold', sluiceAnalysis: {} });
    expect(byName.get('shared-failure-compare')!.sluiceAnalysis).toEqual({ compareTo: 'stable' });
    // inside the limit, so it must be promoted: every fallback is a false one
    const atLimit = byName.get('at-limit')!;
    expect(atLimit).toMatchObject({ rps: 50, candidate: { errorFraction: 0.008 }, gate: { maxErrorRate: 0.01 }, expect: 'promote' });
    expect(atLimit.candidate.errorFraction).toBeLessThan(atLimit.gate!.maxErrorRate);
  });

  it('fills in defaults: settings from the presence of a gate, one run, α 0.01, candidate bad from the start, 20/100 ms latency', () => {
    const s = decoded(minimal);
    expect(s).toMatchObject({ name: 'x', settings: 'defaults', runs: 1, falseFailureRate: 0.01, candidate: { badFromSeconds: 0, p50Ms: 20, p99Ms: 100 } });
    expect(timeoutOf(s)).toBe(900);
    const m = decoded(minimal + gate);
    expect(m.settings).toBe('matched');
    expect(m.gate).toEqual({ intervalMs: 10_000, maxErrorRate: 0.01, failureThreshold: 2, stepWeights: [10, 20, 30] });
    expect(timeoutOf(m)).toBe(300);
  });

  it('names an unknown field, with the fields it expected', () => {
    expect(errorsOf(minimal.replace('candidate: { errorFraction: 0.2 }', 'candidate: { errorFracton: 0.2 }'))).toEqual([
      'candidate.errorFracton: 0.2 is not a known field (expected one of errorFraction, p50Ms, p99Ms, badFromSeconds)',
      'candidate.errorFraction: is required',
    ]);
    expect(errorsOf(`${minimal}colour: blue\n`)[0]).toMatch(/^colour: "blue" is not a known field \(expected one of rps, stable, candidate, expect, description, settings, gate,/);
  });

  it('names each bad value with what was expected', () => {
    expect(errorsOf(minimal.replace('rps: 50', 'rps: fast'))).toEqual(['rps: "fast" is not a number from 0.1 to 10000']);
    expect(errorsOf(minimal.replace('0.2', '1.5'))).toEqual(['candidate.errorFraction: 1.5 is not a number from 0 to 1']);
    expect(errorsOf(minimal.replace('expect: fallback', 'expect: win'))).toEqual(['expect: "win" is not one of promote, fallback, hold']);
    expect(errorsOf(minimal + gate.replace('10s', '5s'))).toEqual(['gate.interval: "5s" is not a duration of at least 10s (e.g. "10s", "1m")']);
    expect(errorsOf(minimal + gate.replace('[10, 20, 30]', '[10, 5]'))).toEqual(['gate.stepWeights: [10,5] is not a non-empty list of ascending integers from 1 to 99']);
    expect(errorsOf(`${minimal}settings: matched\n`)).toEqual(['gate: is required with settings: matched']);
    expect(errorsOf(`${minimal}settings: fast\n`)).toEqual(['settings: "fast" is not one of defaults, matched']);
    expect(errorsOf(`${minimal}prometheusOutage: { fromSeconds: 10 }\n`)).toEqual(['prometheusOutage.forSeconds: is required']);
    expect(errorsOf('rps: [\n')[0]).toMatch(/^\(root\): not valid YAML: /);
  });

  it('applies the matched gate to both tools as closely as each allows', () => {
    const s = decoded(`${minimal}${gate}sluice: { analysis: { method: sequential } }\n`);
    expect(toolSettings(s)).toEqual({
      sluice: {
        strategy: { canary: { steps: [10, 20, 30], stepInterval: '10s' } },
        analysis: { interval: '10s', maxErrorRate: 0.01, failureThreshold: 2, method: 'sequential' },
      },
      flagger: {
        analysis: {
          interval: '10s',
          threshold: 2,
          stepWeights: [10, 20, 30],
          metrics: [{ name: 'request-success-rate', thresholdRange: { min: 99 }, interval: '10s' }],
        },
      },
    });
    expect(successRateMin(0.001)).toBe(99.9);
  });

  it('gives each tool its documented defaults under settings: defaults, whatever the gate says', () => {
    const r = withSettings(decoded(minimal + gate), 'defaults');
    expect(r.ok && toolSettings(r.value)).toEqual({
      sluice: { strategy: { canary: { steps: [10, 25, 50] } }, analysis: {} },
      flagger: { analysis: { interval: '1m', threshold: 5, maxWeight: 50, stepWeight: 10, metrics: [{ name: 'request-success-rate', thresholdRange: { min: 99 }, interval: '1m' }] } },
    });
    expect(withSettings(decoded(minimal), 'matched')).toEqual({ ok: false, errors: ['x: --settings matched needs a gate in the scenario'] });
  });

  it('reads --tools entries, including a sluice analysis method', () => {
    expect(toolRunOf('flagger')).toEqual({ label: 'flagger', kind: 'flagger' });
    expect(toolRunOf('sluice:sequential')).toEqual({ label: 'sluice:sequential', kind: 'sluice', method: 'sequential' });
    expect(toolRunOf('argo')).toBeUndefined();
    expect(toolRunOf('flagger:x')).toBeUndefined();
  });
});
