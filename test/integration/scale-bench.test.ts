/**
 * The scale benchmark's short configuration (issue 12): `node dist/bench/scale/main.js` with 50
 * shifts on the real control plane, every phase once (command latency, memory, Prometheus and API
 * load, churn, restart after SIGKILL, failover). The timing and memory goals stay in the benchmark
 * (`scripts/bench.sh scale`); this checks that each phase ran and reported numbers of the right
 * kind, and the few facts that hold whatever the machine's load: the gate queries Prometheus in
 * batches, not once per shift; the daemon holds one watch per kind; a restart with nothing changed
 * writes no route and no status. The benchmark's daemon runs cluster-wide, as it is measured; it
 * starts only once no earlier test's namespace is still being deleted and no other TrafficShift
 * exists, so it never acts on another test's objects.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { REPO_ROOT } from './env';
import type { ScaleReport } from '../../bench/scale/report';

// up to 5 minutes of it waiting for the namespaces earlier tests delete (bench/scale/quiet.ts)
jest.setTimeout(900_000);

const positive = expect.any(Number);
const finite = (x: number): boolean => Number.isFinite(x);

describe('scripts/bench.sh scale, short configuration', () => {
  let report: ScaleReport;
  let out: string;

  beforeAll(() => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scale-bench-'));
    const json = path.join(dir, 'scale.json');
    const prefix = `sb-${Math.random().toString(36).slice(2, 7)}`;
    const run = spawnSync(process.execPath, [
      path.join(REPO_ROOT, 'dist', 'bench', 'scale', 'main.js'),
      '--shifts', '50', '--unrelated-pods', '100', '--commands', '30', '--command-rate', '10',
      '--churn', '20s', '--interval', '5s', '--settle', '4s', '--quiet', '12s', '--lease-duration', '6s', '--prefix', prefix, '--json', json,
    ], { encoding: 'utf8', env: process.env, timeout: 840_000 });
    out = `${run.stdout}\n${run.stderr}`;
    if (run.status !== 0) throw new Error(`the benchmark exited ${run.status ?? run.signal}:\n${out.slice(-4000)}`);
    report = JSON.parse(fs.readFileSync(json, 'utf8')) as ScaleReport;
  });

  it('times every command of the run from its annotation write to its VirtualService write', () => {
    expect(report.levels.map((l) => l.shifts)).toEqual([50]);
    const lat = report.levels[0]!.commandLatencyMs;
    expect(lat.count + lat.missed).toBe(30);
    expect(lat.missed).toBe(0);
    expect(lat.p50).toBeGreaterThan(0);
    expect(lat.p50).toBeLessThanOrEqual(lat.p99);
    expect(lat.p99).toBeLessThanOrEqual(lat.max);
    expect(Object.keys(lat.byVerb).sort()).toEqual(['abort', 'set-weight', 'shift-to']);
    for (const v of Object.values(lat.byVerb)) expect(v.count).toBeGreaterThan(0);
  });

  it('reads the memory of every stage, and the heap stays well below the RSS', () => {
    for (const m of [report.memory.emptyMesh, report.memory.withUnrelatedPods, report.memory.withServicePods, report.memory.allActive, report.memory.afterChurn, report.restart.memory]) {
      expect(m).toEqual({ rssMB: positive, heapUsedMB: positive, heapTotalMB: positive, heapFloorMB: positive, rssMaxMB: positive });
      expect(m.heapFloorMB).toBeLessThan(m.rssMaxMB);
    }
    expect(finite(report.memory.perShiftKB)).toBe(true);
    expect(finite(report.memory.perUnrelatedPodKB)).toBe(true);
    expect(report.churn.heapFloorsMB.length).toBeGreaterThan(0);
  });

  it('counts the Prometheus requests the gate sends: a batch per tick, not one per shift', () => {
    expect(report.prometheus.ticks).toBeGreaterThanOrEqual(2);
    expect(report.prometheus.queriesPerTickMax).toBeGreaterThan(0);
    expect(report.prometheus.queriesPerTickMax).toBeLessThanOrEqual(2 * report.prometheus.urls);
    expect(report.prometheus.queriesPerMinute).toBeGreaterThan(0);
  });

  it('reads the API requests per second and one watch per kind (TrafficShifts, Services, Pods, VirtualServices, DestinationRules)', () => {
    expect(report.api.requestsPerSecond).toBeGreaterThan(0);
    expect(report.api.watches).toBe(5);
  });

  it('churns: commands, pod restarts and shifts deleted and created again', () => {
    expect(report.churn.commands).toBeGreaterThan(0);
    expect(report.churn.podRestarts).toBeGreaterThan(0);
    expect(report.churn.shiftsRecreated).toBeGreaterThanOrEqual(1);
  });

  it('restarts after SIGKILL: every shift reconciled, no route or status written since nothing changed', () => {
    expect(report.restart.reconcileAllS).toBeGreaterThan(0);
    expect(report.restart.routeWrites).toBe(0);
    expect(report.restart.statusWrites).toBe(0);
  });

  it('fails over: the standby applies the command sent after the leader was killed', () => {
    expect(report.failover.appliedBy).toMatch(/^scale-c[12]$/);
    expect(report.failover.commandAppliedS).toBeGreaterThan(0);
  });

  it('prints the goals with what was measured', () => {
    for (const goal of ['command -> VirtualService p99', 'RSS <=', 'flat heap', 'Prometheus queries per tick', 'restart reconciles all', 'failover applies']) expect(out).toContain(goal);
  });
});
