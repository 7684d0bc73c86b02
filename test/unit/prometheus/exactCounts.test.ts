/**
 * The sequential gate's counts, evaluated by Prometheus' own engine: `promtool test rules`
 * (Debian's prometheus package, the same build the integration environment runs) evaluates the
 * batch sluice builds over hand-written series, with no server. Each case is its own
 * destination_version, so each count is checked on its own.
 *
 * Scrapes every 7 s (t = 0, 7, …, 56, 63, …, 126 s); the period began at 65 s, so the counts start
 * at 60 s (whole 30 s intervals) and the batch is read at 126 s: window 1m6s. The last scrape at or
 * before the start is at 56 s.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { planQueries } from '../../../src/prometheus/queries';
import { target } from './fixtures';

const STEP_S = 7;
const AT_S = 126;
const seq = { ...target('shop', 'reviews', 'v2', { method: 'sequential' }), evidenceSince: 65_000 };

/** One input series: its version and code, and a value per scrape (undefined: absent; 'stale': gone). */
interface Case {
  readonly version: string;
  readonly code: string;
  readonly values: readonly (number | undefined | 'stale')[];
}

const SCRAPES = AT_S / STEP_S + 1; // 19 scrapes, t = 0 … 126 s
const each = (f: (i: number) => number | undefined | 'stale') => Array.from({ length: SCRAPES }, (_, i) => f(i));

const labels = (c: Pick<Case, 'version' | 'code'>, extra = '') =>
  `{reporter="destination", source_workload="client", destination_service_namespace="shop", destination_service_name="reviews", destination_version="${c.version}", response_code="${c.code}"${extra}}`;

/** Runs promtool on `cases`; the expectations are `[expr, [labels, value][]]`. Throws promtool's report when they differ. */
const promtool = (cases: readonly Case[], tests: readonly (readonly [string, readonly (readonly [string, number])[]])[]): void => {
  const input = cases.map((c) => ({ series: `istio_requests_total${labels(c)}`, values: c.values.map((v) => (v === undefined ? '_' : String(v))).join(' ') }));
  const file = {
    rule_files: [],
    evaluation_interval: `${STEP_S}s`,
    tests: [{
      interval: `${STEP_S}s`,
      input_series: input,
      promql_expr_test: tests.map(([expr, samples]) => ({ expr, eval_time: `${AT_S}s`, exp_samples: samples.map(([l, value]) => ({ labels: l, value })) })),
    }],
  };
  const dir = mkdtempSync(join(tmpdir(), 'sluice-promtool-'));
  try {
    writeFileSync(join(dir, 'test.yml'), JSON.stringify(file));
    execFileSync('promtool', ['test', 'rules', join(dir, 'test.yml')], { encoding: 'utf8', stdio: 'pipe' });
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; message: string };
    throw new Error(`promtool: ${err.stdout ?? ''}${err.stderr ?? ''}`.trim() || err.message);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};

const batch = () => {
  const [q] = planQueries({ destination: { _tag: 'Connection', id: 'p' }, intervalMs: 30_000, targets: [seq] }, undefined, AT_S * 1000);
  if (q?._tag !== 'Batch') throw new Error('expected a batch');
  expect([...q.windows!.values()]).toEqual([66_000]);
  return q.queries;
};

const out = (version: string) =>
  `{destination_service_namespace="shop", destination_service_name="reviews", destination_version="${version}", sluice_window="1m6s"}`;

describe('exact counts since the start of a sequential window, by the Prometheus engine (issue 11)', () => {
  it("counts a 5xx series born inside the window from zero, where increase() drops its first value (prometheus/prometheus#1673)", () => {
    const cases: Case[] = [
      // born at the last scrape with 3 errors: increase() has one sample and gives nothing at all
      { version: 'born-last', code: '503', values: each((i) => (i === 18 ? 3 : undefined)) },
      // born at 84 s: 1, 2, … 7 errors
      { version: 'born-mid', code: '503', values: each((i) => (i >= 12 ? i - 11 : undefined)) },
      // a steady series: 80 at 56 s, 180 at 126 s
      { version: 'steady', code: '200', values: each((i) => 10 * i) },
    ];
    const q = batch();
    promtool(cases, [[q.errors, [[out('born-last'), 3], [out('born-mid'), 7]]]]);
    promtool(cases, [[q.requests, [[out('born-last'), 3], [out('born-mid'), 7], [out('steady'), 100], ['{sluice_scraped="last"}', AT_S]]]]);
  });

  it('counts a series that went away inside the window (a pod deleted) up to its last value', () => {
    // 80 at 56 s, 140 at its last scrape (98 s), then a staleness marker; no series is scraped any more, so no scrape time
    const cases: Case[] = [{ version: 'gone', code: '200', values: each((i) => (i <= 14 ? 10 * i : i === 15 ? 'stale' : undefined)) }];
    promtool(cases, [[batch().requests, [[out('gone'), 60]]]]);
  });

  it('counts a counter reset between the start and the first scrape in the window from zero (a restarted proxy)', () => {
    // 180 at 56 s; restarted: 4 at 63 s, then 4 more per scrape, 40 at 126 s
    const cases: Case[] = [{ version: 'restarted', code: '200', values: each((i) => (i <= 8 ? 100 + 10 * i : 4 * (i - 8))) }];
    promtool(cases, [[batch().requests, [[out('restarted'), 40], ['{sluice_scraped="last"}', AT_S]]]]);
  });

  it("takes increase()'s reset-aware estimate for a counter reset inside the window", () => {
    // 90 … 120 at 63 … 84 s, restarted: 5 at 91 s, 30 at 126 s. increase() over 1m6s: 30 + 5 + 25
    // between the samples, extrapolated over the 3 s before the first one (Prometheus' extrapolatedRate).
    const cases: Case[] = [{ version: 'reset', code: '200', values: each((i) => (i <= 12 ? 10 * i : 5 * (i - 12))) }];
    promtool(cases, [[batch().requests, [[out('reset'), 60 * (66 / 63)], ['{sluice_scraped="last"}', AT_S]]]]);
  });
});
