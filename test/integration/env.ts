/**
 * Helpers for integration tests against the local environment started by scripts/cluster.sh
 * (real kube-apiserver + etcd + controllers + pod simulator, real Prometheus).
 *
 * Contract (written by `scripts/cluster.sh up` into $SLUICE_ENV_DIR/env.sh, loaded into
 * process.env by globalSetup.ts): SLUICE_ENV_DIR, KUBECONFIG, PATH (with a kubectl matching the
 * server), SLUICE_PROMETHEUS_URL, SLUICE_PROM_TARGETS_DIR, SLUICE_SCRAPE_INTERVAL.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
export const CLUSTER_SH = path.join(REPO_ROOT, 'scripts', 'cluster.sh');
/** A pod with this annotation set to "true" runs but never becomes Ready (pod simulator). */
export const UNREADY_ANNOTATION = 'sim.sluice.dev/unready';

export const envDir = (): string => process.env.SLUICE_ENV_DIR || '/tmp/sluice-env';

/**
 * Parses the `export NAME=value` lines of an env.sh as bash would for the forms cluster.sh
 * writes: '...' literal, "..." and bare words with $VAR / ${VAR} expanded from `base`.
 */
export function parseEnvFile(text: string, base: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const out: Record<string, string> = {};
  const lookup = (name: string): string => out[name] ?? base[name] ?? '';
  const expand = (s: string): string => s.replace(/\$\{(\w+)\}|\$(\w+)/g, (_m, a: string, b: string) => lookup(a ?? b));
  for (const line of text.split('\n')) {
    const m = /^\s*export\s+([A-Za-z_]\w*)=(.*)$/.exec(line);
    if (!m) continue;
    const [, name, raw] = m;
    let value = '';
    for (let i = 0; i < raw.length; ) {
      const c = raw[i];
      if (c === "'") {
        const end = raw.indexOf("'", i + 1);
        value += raw.slice(i + 1, end < 0 ? raw.length : end);
        i = end < 0 ? raw.length : end + 1;
      } else if (c === '"') {
        const end = raw.indexOf('"', i + 1);
        value += expand(raw.slice(i + 1, end < 0 ? raw.length : end));
        i = end < 0 ? raw.length : end + 1;
      } else if (/\s/.test(c) || c === ';' || c === '#') {
        break;
      } else {
        let j = i;
        while (j < raw.length && !/[\s'";#]/.test(raw[j])) j++;
        value += expand(raw.slice(i, j));
        i = j;
      }
    }
    out[name] = value;
  }
  return out;
}

/** Reads $SLUICE_ENV_DIR/env.sh (or `file`) into a plain object. */
export function readEnvFile(file = path.join(envDir(), 'env.sh'), base: NodeJS.ProcessEnv = process.env): Record<string, string> {
  return parseEnvFile(fs.readFileSync(file, 'utf8'), base);
}

/** A KubeConfig for the local control plane (admin, system:masters), from $KUBECONFIG. */
export function kubeConfig(): KubeConfig {
  const file = process.env.KUBECONFIG;
  if (!file) throw new Error('KUBECONFIG is not set: is the integration globalSetup configured?');
  const kc = new KubeConfig();
  kc.loadFromFile(file);
  return kc;
}

export interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the server-matching kubectl (on PATH after setup) synchronously; never throws. */
export function kubectl(args: string[], input?: string): RunResult {
  const r = spawnSync('kubectl', args, { input, encoding: 'utf8', env: process.env, timeout: 120_000 });
  return { status: r.status, stdout: r.stdout ?? '', stderr: (r.stderr ?? '') + (r.error ? String(r.error) : '') };
}

/** Like kubectl() but throws with stderr when the exit status is not 0. */
export function kubectlOk(args: string[], input?: string): string {
  const r = kubectl(args, input);
  if (r.status !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

export interface PromSample {
  metric: Record<string, string>;
  value: [number, string];
}

/** Instant query against $SLUICE_PROMETHEUS_URL; returns the vector result (throws on API errors). */
export async function promQuery(expr: string): Promise<PromSample[]> {
  const base = process.env.SLUICE_PROMETHEUS_URL;
  if (!base) throw new Error('SLUICE_PROMETHEUS_URL is not set');
  const res = await fetch(`${base}/api/v1/query?query=${encodeURIComponent(expr)}`);
  const body = (await res.json()) as { status: string; error?: string; data?: { resultType: string; result: PromSample[] } };
  if (!res.ok || body.status !== 'success') throw new Error(`prometheus query ${expr} failed: ${res.status} ${body.error ?? ''}`);
  return body.data?.result ?? [];
}

export interface WaitOptions {
  timeoutMs?: number;
  intervalMs?: number;
  what?: string;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Polls `fn` until it returns something other than undefined/null/false and resolves with it.
 * Errors thrown by `fn` count as "not yet"; the last one is reported on timeout.
 */
export async function waitFor<T>(fn: () => T | Promise<T>, opts: WaitOptions = {}): Promise<Exclude<T, undefined | null | false>> {
  const { timeoutMs = 60_000, intervalMs = 250, what = 'condition' } = opts;
  const deadline = Date.now() + timeoutMs;
  let lastErr: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== null && v !== false) return v as Exclude<T, undefined | null | false>;
    } catch (e) {
      lastErr = e;
    }
    if (Date.now() >= deadline) {
      const why = lastErr ? `; last error: ${lastErr instanceof Error ? lastErr.message : String(lastErr)}` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${why}`);
    }
    await sleep(intervalMs);
  }
}
