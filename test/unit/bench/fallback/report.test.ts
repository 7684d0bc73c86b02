import type { RunResult } from '../../../../bench/fallback/measure';
import { chartSvg, markdownTable, median, mergeDocuments, summarize, tableCells, type BenchDocument } from '../../../../bench/fallback/report';
import { parseScenario, type Scenario } from '../../../../bench/fallback/scenario';

const scenario = ((): Scenario => {
  const r = parseScenario('rps: 2\nstable: { errorFraction: 0.003 }\ncandidate: { errorFraction: 0.003 }\nexpect: promote\nruns: 3\n', 'healthy');
  if (!r.ok) throw new Error(r.errors.join());
  return r.value;
})();

const run = (tool: string, i: number, over: Partial<RunResult>): RunResult => ({
  tool, scenario: 'healthy', settings: 'defaults', run: i, outcome: 'promoted', candidateFailedRequests: 0, candidateServedRequests: 100,
  secondsFirstBadToZero: null, secondsToPromote: 200, secondsToVerdict: 201, unroutedRequests: 0, weightChanges: [], ...over,
});

describe('fallback report', () => {
  const runs = [
    run('sluice', 0, {}), run('sluice', 1, { secondsToPromote: 220 }), run('sluice', 2, { outcome: 'fellBack', candidateFailedRequests: 3, secondsToPromote: null, secondsFirstBadToZero: 40 }),
    run('flagger', 0, { outcome: 'held', secondsToPromote: null }), run('flagger', 1, {}), run('flagger', 2, {}),
  ];
  const rows = summarize(scenario, null, runs);

  it('counts outcomes and runs that did not do what the scenario expects, per tool', () => {
    expect(rows.map((r) => [r.tool, r.outcomes, r.wrong])).toEqual([
      ['sluice', { promoted: 2, fellBack: 1, held: 0 }, 1],
      ['flagger', { promoted: 2, fellBack: 0, held: 1 }, 1],
    ]);
    expect(rows[0]!.medianSecondsToPromote).toBe(210);
    expect(rows[0]!.medianSecondsFirstBadToZero).toBe(40);
    expect(rows[1]!.medianSecondsFirstBadToZero).toBeNull();
    expect(median([3, 1, 2])).toBe(2);
    expect(median([])).toBeNull();
  });

  it('prints one table row per tool with the outcome counts and the limit ratio', () => {
    expect(tableCells(rows[0]!, null)).toEqual(['healthy', 'defaults', 'sluice', 'promote', 'promoted 2/3, fellBack 1/3', '1/3', '0', '100', '40', '210', '–', '–']);
    const withLimit = summarize({ ...scenario, expect: 'fallback' }, { failedRequests: 8 } as never, [run('sluice', 0, { outcome: 'fellBack', candidateFailedRequests: 12 })]);
    expect(tableCells(withLimit[0]!, 8).slice(4)).toEqual(['fellBack', '0/1', '12', '100', '–', '200', '8.0', '1.50']);
    expect(markdownTable([tableCells(rows[1]!, null)]).split('\n')[2]).toBe('| healthy | defaults | flagger | promote | promoted 2/3, held 1/3 | 1/3 | 0 | 100 | – | 200 | – | – |');
  });

  it('draws a bar per tool and scenario in both panels', () => {
    const doc = { summary: rows } as unknown as BenchDocument;
    const svg = chartSvg([doc]);
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.match(/<rect x="[\d.]+" y="[\d.]+" width/g)?.length).toBe(2 + 2 + 1); // 2 legend swatches; failed: 2 bars; seconds: sluice only (Flagger has "–")
    expect(svg).toContain('>sluice</text>');
    expect(svg).toContain('>flagger</text>');
  });

  it('merges the documents of tools run one at a time into one, with the summary of all runs', () => {
    const doc = (tool: string, command: string, flaggerVersion?: string): BenchDocument => ({
      benchmark: 'fallback', command, startedAt: '2026-12-03T20:00:00Z', scenario, limit: null,
      environment: { scrapeSeconds: 5, propagationSeconds: 1, writeSeconds: 0.1, sluiceVersion: '0.1.0', cpus: 2, ...(flaggerVersion ? { flaggerVersion } : {}) },
      settings: {} as BenchDocument['settings'],
      runs: runs.filter((r) => r.tool === tool), summary: [],
    });
    const merged = mergeDocuments([doc('sluice', 'a --tools sluice'), doc('flagger', 'a --tools flagger', '1.44.0')]);
    if (!merged.ok) throw new Error(merged.error);
    expect(merged.value.command).toBe('a --tools sluice; a --tools flagger');
    expect(merged.value.environment.flaggerVersion).toBe('1.44.0');
    expect(merged.value.runs).toEqual(runs);
    expect(merged.value.summary).toEqual(rows);
    expect(mergeDocuments([doc('sluice', 'a'), doc('sluice', 'b')])).toEqual({ ok: false, error: 'sluice has runs in more than one document' });
    const other = { ...doc('flagger', 'b'), scenario: { ...scenario, name: 'bad' } };
    expect(mergeDocuments([doc('sluice', 'a'), other])).toEqual({ ok: false, error: 'bad (defaults) cannot be merged with healthy (defaults)' });
  });
});

describe('fallback chart layout', () => {
  it('keeps the tallest bar\'s value label below its panel title, and gives long scenario names their own width', () => {
    const doc = (name: string, failed: number): BenchDocument =>
      ({ summary: summarize({ ...scenario, name }, null, [run('sluice', 1, { scenario: name, outcome: 'fellBack', candidateFailedRequests: failed, secondsFirstBadToZero: 10 })]) }) as unknown as BenchDocument;
    const svg = chartSvg([doc('shared-failure-compare', 120), doc('healthy-low-traffic', 30)]);
    const title = Number(/<text x="20" y="([\d.]+)" font-size="14"/.exec(svg)![1]);
    const topLabel = Math.min(...[...svg.matchAll(/<text x="[\d.]+" y="([\d.]+)" font-size="10" text-anchor="middle">\d+<\/text>/g)].map((m) => Number(m[1])));
    expect(topLabel - title).toBeGreaterThanOrEqual(12);
    const centres = [...svg.matchAll(/<text x="([\d.]+)" y="[\d.]+" font-size="10" text-anchor="middle">(shared-failure-compare|healthy-low-traffic)<\/text>/g)].map((m) => Number(m[1]));
    expect(centres.length).toBeGreaterThanOrEqual(2);
    expect(Math.abs(centres[1]! - centres[0]!)).toBeGreaterThanOrEqual('shared-failure-compare'.length * 5.5);
  });
});
