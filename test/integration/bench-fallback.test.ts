/**
 * The fallback benchmark's short scenario (issue 11 §2): `node dist/bench/fallback/main.js` runs a
 * bad candidate with sluice and with a real Flagger v1.44.0 (built from the Go module proxy by
 * scripts/lib/flagger.sh, cached) on the real local control plane, Prometheus and mesh simulator,
 * and writes the JSON document. Given a candidate failing half its requests, when both tools
 * shift to it, then both fall back, the ledger shows the failures each let through, and
 * every VirtualService write ended at candidate weight 0. No timing goal here: the numbers are
 * the benchmark's (docs/benchmarks.md).
 */
import { spawn, spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { BenchDocument } from '../../bench/fallback/report';
import { REPO_ROOT } from './env';

const MAIN = path.join(REPO_ROOT, 'dist', 'bench', 'fallback', 'main.js');

const SCENARIO = `
description: short scenario for scripts/test.sh — candidate fails 50 %
rps: 50
stable: { errorFraction: 0 }
candidate: { errorFraction: 0.5 }
expect: fallback
timeoutSeconds: 150
gate: { interval: 10s, maxErrorRate: 0.01, failureThreshold: 1, stepWeights: [20, 50] }
`;

const runMain = (args: readonly string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> =>
  new Promise((resolve) => {
    const child = spawn(process.execPath, [MAIN, ...args], { env, cwd: REPO_ROOT });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); process.stderr.write(d); });
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });

describe('fallback benchmark, short scenario', () => {
  let dir: string;
  let flaggerDir: string;

  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'bench-fallback-'));
    // Cold: Flagger is compiled once (about 13 minutes on 2 cores); warm: the cached binary.
    const built = spawnSync('bash', [path.join(REPO_ROOT, 'scripts', 'lib', 'flagger.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 45 * 60_000 });
    if (built.status !== 0) throw new Error(`scripts/lib/flagger.sh failed (${built.status})`);
    flaggerDir = built.stdout.trim();
  }, 46 * 60_000);

  afterAll(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('refuses a scenario with an unknown field, naming it, before touching the cluster', async () => {
    const file = path.join(dir, 'typo.yaml');
    await fs.writeFile(file, SCENARIO.replace('errorFraction: 0.5', 'errorFracton: 0.5'));
    const r = await runMain(['--scenario', file], process.env);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('candidate.errorFracton: 0.5 is not a known field (expected one of errorFraction, p50Ms, p99Ms, badFromSeconds)');
  });

  it('falls back with both sluice and Flagger, and reports what each let through', async () => {
    const file = path.join(dir, 'short.yaml');
    const json = path.join(dir, 'short.json');
    await fs.writeFile(file, SCENARIO);
    const r = await runMain(['--scenario', file, '--tools', 'sluice,flagger', '--json', json, '--logs', path.join(dir, 'logs')], { ...process.env, SLUICE_FLAGGER_DIR: flaggerDir });
    expect(r.code).toBe(0);
    const doc = JSON.parse(await fs.readFile(json, 'utf8')) as BenchDocument;
    expect(doc.environment.flaggerVersion).toBe('1.44.0');
    expect(doc.runs.map((x) => x.tool).sort()).toEqual(['flagger', 'sluice']);
    for (const run of doc.runs) {
      expect({ tool: run.tool, outcome: run.outcome }).toEqual({ tool: run.tool, outcome: 'fellBack' });
      // the ledger saw the candidate fail about half of what it served, and then get nothing
      expect(run.candidateFailedRequests).toBeGreaterThan(0);
      expect(run.candidateServedRequests).toBeGreaterThanOrEqual(run.candidateFailedRequests);
      expect(run.candidateFailedRequests / run.candidateServedRequests).toBeGreaterThan(0.3);
      expect(run.secondsFirstBadToZero).toEqual(expect.any(Number));
      expect(run.secondsToPromote).toBeNull();
      expect(run.unroutedRequests).toBe(0);
      // the audit log: the candidate got 20 % and its last VirtualService write took it to 0
      expect(run.weightChanges.map(([, w]) => w)).toContain(20);
      expect(run.weightChanges[run.weightChanges.length - 1]![1]).toBe(0);
    }
    expect(doc.limit?.failedRequests).toBeGreaterThan(0);
    expect(doc.summary.map((s) => [s.tool, s.wrong])).toEqual([['sluice', 0], ['flagger', 0]]);
    expect(r.stdout).toMatch(/^short\s+matched\s+sluice\s+fallback\s+fellBack/m);
  }, 8 * 60_000);
});
