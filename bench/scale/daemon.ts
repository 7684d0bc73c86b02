/**
 * sluice daemons as the benchmark runs them: `node dist/src/cli/main.js run` child processes (so
 * they can be SIGKILLed), each with its own /metrics port, identity and log file; readers for
 * their metrics and their memory as the kernel counts it (/proc/<pid>/status).
 */
import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';

export interface DaemonProcess {
  readonly identity: string;
  readonly pid: number;
  readonly metricsUrl: string;
  /** Resolves when the process has exited. */
  readonly exited: Promise<void>;
  readonly kill: (signal: NodeJS.Signals) => void;
}

export interface DaemonOptions {
  readonly identity: string;
  readonly kubeconfig: string;
  readonly prometheusUrl: string;
  readonly logFile: string;
  /** Leader election on (the failover phase); off otherwise. */
  readonly leaderElect: boolean;
  readonly leaseDurationS?: number;
  /** Extra flags. */
  readonly args?: readonly string[];
  /** Options for node itself (e.g. --heapsnapshot-signal), and the directory it runs in. */
  readonly nodeArgs?: readonly string[];
  readonly cwd?: string;
}

export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });

const CLI = path.resolve(__dirname, '..', '..', 'src', 'cli', 'main.js');

export const startDaemon = async (o: DaemonOptions): Promise<DaemonProcess> => {
  const port = await freePort();
  const lease = o.leaseDurationS ?? 15;
  const args = [
    ...(o.nodeArgs ?? []), CLI, 'run', '--kubeconfig', o.kubeconfig, '--metrics-addr', `127.0.0.1:${port}`, '--identity', o.identity,
    '--prometheus-url', o.prometheusUrl, '--log-level', 'warn',
    ...(o.leaderElect
      ? ['--leader-elect', '--lease-name', 'sluice-bench-scale', '--lease-namespace', 'default', '--lease-duration', `${lease}s`, '--renew-deadline', `${Math.max(2, Math.round(lease * 2 / 3))}s`, '--retry-period', `${Math.max(1, Math.round(lease / 7.5))}s`]
      : ['--leader-elect=false']),
    ...(o.args ?? []),
  ];
  const log = fs.openSync(o.logFile, 'a');
  const proc: ChildProcess = spawn(process.execPath, args, { stdio: ['ignore', log, log], ...(o.cwd ? { cwd: o.cwd } : {}) });
  fs.closeSync(log);
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  return {
    identity: o.identity,
    pid: proc.pid!,
    metricsUrl: `http://127.0.0.1:${port}/metrics`,
    exited,
    kill: (signal) => void proc.kill(signal),
  };
};

/** Prometheus text format as name{labels} -> value (labels as written, sorted by the client). */
export type Samples = ReadonlyMap<string, number>;

export const parseMetrics = (text: string): Samples => {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const sp = line.lastIndexOf(' ');
    out.set(line.slice(0, sp), Number(line.slice(sp + 1)));
  }
  return out;
};

/** The sum of every series of `name` (any labels) whose labels contain each of `having`. */
export const sumOf = (s: Samples, name: string, ...having: string[]): number => {
  let sum = 0;
  for (const [k, v] of s) if ((k === name || k.startsWith(`${name}{`)) && having.every((h) => k.includes(h))) sum += v;
  return sum;
};

export const readMetrics = async (d: DaemonProcess): Promise<Samples | undefined> => {
  try {
    const res = await fetch(d.metricsUrl, { signal: AbortSignal.timeout(10_000) });
    return res.ok ? parseMetrics(await res.text()) : undefined;
  } catch {
    return undefined;
  }
};

export interface Memory {
  /** Resident set, bytes (/proc/<pid>/status VmRSS). */
  readonly rssBytes: number;
  /** V8 heap in use, bytes (nodejs_heap_size_used_bytes). */
  readonly heapUsedBytes: number;
  /** V8 heap reserved, bytes (nodejs_heap_size_total_bytes). */
  readonly heapTotalBytes: number;
  /** Buffers and other memory outside the V8 heap, bytes (nodejs_external_memory_bytes). */
  readonly externalBytes: number;
}

export const rssOf = (pid: number): number => {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
};

export const memoryOf = async (d: DaemonProcess): Promise<Memory> => {
  const m = await readMetrics(d);
  return {
    rssBytes: rssOf(d.pid),
    heapUsedBytes: m ? sumOf(m, 'nodejs_heap_size_used_bytes') : NaN,
    heapTotalBytes: m ? sumOf(m, 'nodejs_heap_size_total_bytes') : NaN,
    externalBytes: m ? sumOf(m, 'nodejs_external_memory_bytes') : NaN,
  };
};

/** Poll `check` every `intervalMs` until it returns a value; throws `what` after `timeoutMs`. */
export const waitFor = async <T>(check: () => Promise<T | undefined>, what: string, timeoutMs: number, intervalMs = 500): Promise<T> => {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
};
