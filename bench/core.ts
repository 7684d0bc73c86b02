/**
 * Benchmarks of the pure path a reconcile takes (decide + render + write planning) and of the
 * batched gate queries, with the goals sluice holds itself to. Prints one row per goal and exits 1
 * if a goal is missed. Run: `npm run bench` (builds first) or `node dist/bench/core.js`.
 *
 * Timing goals live here, not in tests: a loaded CI machine must not turn a unit test red.
 */
import { performance } from 'node:perf_hooks';
import { ResolvedSpec } from '../src/api/spec';
import { ShiftStatus } from '../src/api/status';
import { decide } from '../src/core/decide';
import { Observations, ShiftInput } from '../src/core/types';
import { render } from '../src/istio';
import { builtinQueries, GateTarget } from '../src/prometheus/queries';

const T0 = Date.parse('2026-11-20T10:00:00.000Z');

const spec = (service: string): ResolvedSpec => ({
  service,
  version: 'v2',
  hosts: [service],
  gateways: ['mesh'],
  versionLabel: 'version',
  strategy: { kind: 'canary', steps: [5, 25, 50], stepIntervalMs: 60_000 },
  analysis: { intervalMs: 30_000, maxErrorRate: 0.01, minRequests: 20, failureThreshold: 2, noData: 'hold', method: 'threshold', falseFailureRate: 0.01 },
  manualPromotion: false,
  progressDeadlineMs: 600_000,
  route: { timeout: '5s' },
  adopt: false,
});

/** A shift mid-way: candidate v2 at step 1 (25 %), with a fresh passing sample. */
const shiftAt = (i: number): { input: ShiftInput; observed: Observations } => {
  const status: ShiftStatus = {
    phase: 'Progressing', stableVersion: 'v1', candidateVersion: 'v2', weights: { stable: 75, candidate: 25 }, step: 1,
    consecutiveFailures: 0, startedAt: new Date(T0).toISOString(), stepStartedAt: new Date(T0 + 60_000).toISOString(),
  };
  return {
    input: { namespace: `ns-${i % 50}`, name: `svc-${i}`, generation: 1, spec: spec(`svc-${i}`), status },
    observed: {
      pods: { v1: { total: 3, ready: 3 }, v2: { total: 3, ready: 3 } },
      gate: { _tag: 'Measured', version: 'v2', at: T0 + 150_000, windowMs: 30_000, requests: 600, errors: 2 },
    },
  };
};

const percentile = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;

interface Row { goal: string; measured: string; met: boolean }
const rows: Row[] = [];
const check = (goal: string, measured: string, met: boolean): void => { rows.push({ goal, measured, met }); };

// 1. One reconcile's pure work: decide + render.
{
  const shifts = Array.from({ length: 1000 }, (_, i) => shiftAt(i));
  for (let w = 0; w < 3; w++) for (const s of shifts) render({ namespace: s.input.namespace, name: s.input.name, uid: 'u', spec: s.input.spec }, decide(s.input, s.observed, T0 + 200_000).routes!);
  const times: number[] = [];
  for (let round = 0; round < 10; round++) {
    for (const s of shifts) {
      const t = performance.now();
      const d = decide(s.input, s.observed, T0 + 200_000);
      render({ namespace: s.input.namespace, name: s.input.name, uid: 'u', spec: s.input.spec }, d.routes!);
      times.push(performance.now() - t);
    }
  }
  times.sort((a, b) => a - b);
  const p99 = percentile(times, 0.99);
  check('decide + render of one shift: p99 < 1 ms', `p50 ${(percentile(times, 0.5) * 1000).toFixed(0)} µs, p99 ${(p99 * 1000).toFixed(0)} µs`, p99 < 1);
}

// 2. A resync of 1,000 active shifts (every shift decided and rendered once).
{
  const shifts = Array.from({ length: 1000 }, (_, i) => shiftAt(i));
  const t = performance.now();
  for (const s of shifts) render({ namespace: s.input.namespace, name: s.input.name, uid: 'u', spec: s.input.spec }, decide(s.input, s.observed, T0 + 200_000).routes!);
  const ms = performance.now() - t;
  check('resync of 1,000 shifts < 200 ms', `${ms.toFixed(1)} ms`, ms < 200);
}

// 3. Memory held per shift (status + rendered VirtualService + DestinationRule), as the daemon caches them.
{
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const before = process.memoryUsage().heapUsed;
  const kept: unknown[] = [];
  for (let i = 0; i < 10_000; i++) {
    const s = shiftAt(i);
    const d = decide(s.input, s.observed, T0 + 200_000);
    kept.push(d.status, render({ namespace: s.input.namespace, name: s.input.name, uid: `u-${i}`, spec: s.input.spec }, d.routes!));
  }
  gc?.();
  const perShiftKb = (process.memoryUsage().heapUsed - before) / 10_000 / 1024;
  check('memory per active shift (status + owned objects) < 20 KiB', `${perShiftKb.toFixed(1)} KiB${gc ? '' : ' (run with --expose-gc for exact numbers)'}`, perShiftKb < 20 && kept.length > 0);
}

// 4. Batched gate queries: building the query for every shift on a Prometheus. How many HTTP
// requests a tick really sends is counted on the wire by `scripts/bench.sh scale` (a counting
// proxy in front of Prometheus; test/integration/scale-bench.test.ts asserts at most 2).
{
  const targets: GateTarget[] = Array.from({ length: 1000 }, (_, i) => ({ key: `ns-${i % 50}/svc-${i}`, namespace: `ns-${i % 50}`, service: `svc-${i}`, version: 'v2', analysis: spec(`svc-${i}`).analysis }));
  const t = performance.now();
  const q = builtinQueries(targets, '30s');
  const ms = performance.now() - t;
  check('gate query for 1,000 shifts built < 10 ms', `${(q.requests.length / 1024).toFixed(1)} KiB, ${ms.toFixed(2)} ms`, ms < 10);
}

const width = Math.max(...rows.map((r) => r.goal.length));
console.log(`${'goal'.padEnd(width)}  measured  `);
for (const r of rows) console.log(`${r.goal.padEnd(width)}  ${r.measured}  ${r.met ? 'met' : 'MISSED'}`);
process.exitCode = rows.every((r) => r.met) ? 0 : 1;
