/**
 * The shell around the pure engine: watches the cluster, ticks the clock, books the ledger,
 * exports Istio metrics, serves the control endpoint and registers with Prometheus.
 *
 *   const sim = await startMeshSim({ services: [{ namespace: 'shop', service: 'reviews', rps: 50 }] });
 *   sim.setProfile({ namespace: 'shop', service: 'reviews', version: 'v2', errorFraction: 0.3 });
 *   await sim.stop();
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import { decodeConfig, type MeshSimConfig } from './config';
import { initialState, observeMesh, setProfile, tick, type EngineSetup, type EngineState } from './engine';
import { serviceKey } from './hosts';
import { Ledger, secondOf, type LedgerJson, type VersionTotals } from './ledger';
import { istioMetrics } from './metrics';
import type { ServiceRef } from './model';
import { deriveSeed, seededRng, type Rng } from './prng';
import type { ProfileChange } from './profiles';
import { closeServer, serveControl } from './server';
import { isFailure, jarKey, reportsOf, type SimulatedRequest, type Stream } from './simulate';
import { tcpEvents, type TcpEvent } from './tcp';
import { cookieHeader } from './cookies';
import { pathOf } from './match';
import { registerTarget, unregisterTarget, writeAtomically } from './targets';
import { defaultKubeConfig, watchMesh } from './kube';

/** A running simulator. */
export interface MeshSim {
  /** The loopback port of /metrics, /ledger, /healthz and POST /profiles. */
  readonly port: number;
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** Changes one version's behaviour from the next tick on; fields left out keep their value. */
  readonly setProfile: (change: ProfileChange) => void;
  /** The ground-truth ledger so far. */
  readonly ledger: () => LedgerJson;
  /** Requests sent so far per stream: `shop/reviews` and, with preview traffic or named streams, `shop/reviews#preview`, `shop/reviews#<name>`. */
  readonly sent: () => Readonly<Record<string, number>>;
  /** Who got which version: per stream, the requests each version answered ("unknown": none did). */
  readonly received: () => Readonly<Record<string, Readonly<Record<string, number>>>>;
  /**
   * Per user of the streams with `users`: which versions served them, in order (runs of one
   * version with the seconds they span), and the Cookie header their jar would send now. The
   * counts of a stream's users add up to its `received()` counts.
   */
  readonly users: (stream: string) => Readonly<Record<string, UserHistory>>;
  /** Like `totals`, for the mirrored copies the service's pods answered (never part of the ledger or `received`). */
  readonly mirroredTotals: (service: string, fromSecond?: number, toSecond?: number) => Readonly<Record<string, VersionTotals>>;
  /** Per-version totals of `namespace/service` over seconds [fromSecond, toSecond) since start. */
  readonly totals: (service: string, fromSecond?: number, toSecond?: number) => Readonly<Record<string, VersionTotals>>;
  /** The Prometheus exposition text of /metrics. */
  readonly metrics: () => Promise<string>;
  /** Stops ticking and watching, writes the ledger, unregisters from Prometheus, closes the port. */
  readonly stop: () => Promise<void>;
}

/** One user's requests (MeshSim.users). */
export interface UserHistory {
  /** Requests per version that answered ("unknown": none did). */
  readonly versions: Readonly<Record<string, number>>;
  /** Consecutive requests answered by one version, oldest first; seconds since the simulator started. */
  readonly runs: readonly { readonly version: string; readonly fromSecond: number; readonly toSecond: number; readonly requests: number }[];
  /** The Cookie header the user's jar sends now (expired cookies left out); "" when none. */
  readonly cookie: string;
}

export interface MeshSimOptions {
  /** Default: from KUBECONFIG. */
  readonly kubeConfig?: KubeConfig;
  /** Default: stderr with a `mesh-sim:` prefix. */
  readonly log?: (message: string) => void;
  /** Default: process.env (SLUICE_PROM_TARGETS_DIR). */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** Thrown by `startMeshSim` for an invalid configuration; `errors` has one line per field. */
export class MeshSimConfigError extends Error {
  constructor(readonly errors: readonly string[]) {
    super(`invalid mesh-sim config:\n  ${errors.join('\n  ')}`);
    this.name = 'MeshSimConfigError';
  }
}

/** The request streams a configuration asks for: one per service, plus its preview stream. */
export const streamsOf = (c: MeshSimConfig): readonly Stream[] =>
  c.services.flatMap((s) => {
    const target = { namespace: s.namespace, name: s.service };
    const source = { workload: c.client.workload, namespace: c.client.namespace ?? s.namespace, serviceAccount: c.client.serviceAccount };
    const client = { labels: c.client.labels, namespace: source.namespace };
    const authority = s.service;
    const main: Stream = { id: serviceKey(target), target, rps: s.rps, request: { uri: s.uri, method: s.method, authority, headers: s.headers, source: client }, source };
    const preview: Stream[] =
      s.preview === undefined
        ? []
        : [{ id: `${main.id}#preview`, target, rps: s.preview.rps, request: { uri: s.preview.uri, method: s.method, authority, headers: s.preview.headers, source: client }, source }];
    const extra = s.streams.map((x): Stream => ({
      id: `${main.id}#${x.name}`, target, rps: x.rps, request: { uri: x.uri, method: x.method, authority, headers: x.headers, source: client }, source,
      ...(x.users !== undefined ? { users: x.users } : {}),
    }));
    return [main, ...preview, ...extra];
  });

const engineSetup = (c: MeshSimConfig): EngineSetup => {
  const labels = new Map(c.services.map((s) => [`${s.namespace}/${s.service}`, s.versionLabel]));
  const rngs = new Map<string, Rng>();
  return {
    streams: streamsOf(c),
    schedule: c.schedule,
    propagationDelayMs: c.propagationDelayMs,
    versionLabel: (s: ServiceRef) => labels.get(serviceKey(s)) ?? 'version',
    rngOf: (id) => {
      const rng = rngs.get(id) ?? seededRng(deriveSeed(c.seed, id));
      rngs.set(id, rng);
      return rng;
    },
  };
};

const stderrLog = (m: string) => process.stderr.write(`mesh-sim: ${m}\n`);

/** Validates the configuration, starts watching the cluster and simulating, and resolves once serving. */
export const startMeshSim = async (input: unknown, options: MeshSimOptions = {}): Promise<MeshSim> => {
  const log = options.log ?? stderrLog;
  const decoded = decodeConfig(input, options.env ?? process.env);
  if (!decoded.ok) throw new MeshSimConfigError(decoded.errors);
  const config = decoded.value;
  const setup = engineSetup(config);
  const metrics = istioMetrics();

  let state: EngineState | undefined;
  let changeQueued = false;
  const watch = await watchMesh(options.kubeConfig ?? defaultKubeConfig(), () => {
    // Coalesce a burst of watch events (e.g. an initial list) into one snapshot, timed at the first.
    if (state === undefined || changeQueued) return;
    changeQueued = true;
    const at = Date.now();
    setImmediate(() => {
      changeQueued = false;
      if (state !== undefined) state = observeMesh(setup, state, watch.snapshot(), at);
    });
  }, log);

  const startedAtMs = Date.now();
  state = initialState(setup, startedAtMs, watch.snapshot(), config.profiles);
  const ledger = new Ledger(startedAtMs);
  /** Mirrored copies, apart: the client never saw them. */
  const mirrored = new Ledger(startedAtMs);
  const sent = new Map<string, number>();
  const received = new Map<string, Map<string, number>>();
  type Run = { version: string; fromSecond: number; toSecond: number; requests: number };
  const userRuns = new Map<string, Map<number, Run[]>>();
  const bookUser = (stream: string, user: number, version: string, second: number) => {
    const users = userRuns.get(stream) ?? new Map<number, Run[]>();
    userRuns.set(stream, users);
    const runs = users.get(user) ?? [];
    users.set(user, runs);
    const last = runs[runs.length - 1];
    if (last !== undefined && last.version === version) {
      last.requests += 1;
      last.toSecond = second;
    } else runs.push({ version, fromSecond: second, toSecond: second, requests: 1 });
  };

  /** TCP reports not yet due (tcp.ts): a connection is reported opened and closed later than it opens. */
  let pendingTcp: TcpEvent[] = [];
  const reportTcp = (now: number) => {
    const due = pendingTcp.filter((e) => e.at <= now);
    if (due.length === 0) return;
    pendingTcp = pendingTcp.filter((e) => e.at > now);
    for (const e of due.sort((a, b) => a.at - b.at)) metrics.recordTcp(e.report, e.event, e.bytes);
  };
  const book = (requests: readonly SimulatedRequest[], intervalStart: number, now = intervalStart) => {
    const second = secondOf(startedAtMs, intervalStart);
    for (const r of requests) {
      if (r.protocol === 'tcp') pendingTcp.push(...tcpEvents(r, now));
      else for (const report of reportsOf(r)) metrics.record(report, r.latencyMs);
      if (r.mirrored) {
        mirrored.book({ service: serviceKey(r.outcome.service), version: r.version, second, failed: isFailure(r) });
        continue;
      }
      sent.set(r.stream, (sent.get(r.stream) ?? 0) + 1);
      const versions = received.get(r.stream) ?? new Map<string, number>();
      received.set(r.stream, versions.set(r.version, (versions.get(r.version) ?? 0) + 1));
      if (r.user !== undefined) bookUser(r.stream, r.user, r.version, second);
      ledger.book({ service: serviceKey(r.outcome.service), version: r.version, second, failed: isFailure(r) });
    }
  };
  const step = () => {
    if (state === undefined) return;
    const intervalStart = state.lastTickMs;
    const now = Date.now();
    const r = tick(setup, state, now);
    state = r.state;
    book(r.requests, intervalStart, now);
    reportTcp(now);
  };
  const writeLedger = async () => {
    if (config.ledgerPath === undefined) return;
    await fs.mkdir(path.dirname(config.ledgerPath), { recursive: true });
    await writeAtomically(config.ledgerPath, `${JSON.stringify(ledger.toJSON())}\n`);
  };

  const receivedJson = () => Object.fromEntries([...received].map(([stream, versions]) => [stream, Object.fromEntries(versions)]));
  const handlers = {
    metrics: async () => ({ contentType: metrics.registry.contentType, body: await metrics.registry.metrics() }),
    ledger: () => ledger.toJSON(),
    received: receivedJson,
    setProfile: (change: ProfileChange) => {
      if (state !== undefined) state = setProfile(state, change);
      return change;
    },
  };
  const { server, port } = await serveControl(config.port, handlers).catch(async (e: unknown) => {
    await watch.stop(); // do not leave informers keeping the process alive
    throw e;
  });
  const targetFile = config.promTargetsDir === undefined ? undefined : await registerTarget(config.promTargetsDir, port);
  const ticker = setInterval(step, config.tickMs);
  const flusher = setInterval(() => writeLedger().catch((e: unknown) => log(`writing the ledger failed: ${String(e)}`)), config.ledgerFlushMs);
  log(`serving on http://127.0.0.1:${port} (${setup.streams.length} streams${targetFile ? `, registered in ${targetFile}` : ''})`);

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      clearInterval(ticker);
      clearInterval(flusher);
      step();
      await watch.stop();
      if (targetFile !== undefined) await unregisterTarget(targetFile);
      await writeLedger();
      await closeServer(server);
    })();
    return stopping;
  };

  return {
    port,
    url: `http://127.0.0.1:${port}`,
    setProfile: (change) => {
      if (state !== undefined) state = setProfile(state, change);
    },
    ledger: () => ledger.toJSON(),
    sent: () => Object.fromEntries(sent),
    received: receivedJson,
    users: (stream) => {
      const now = state?.lastTickMs ?? Date.now();
      const path = pathOf(setup.streams.find((x) => x.id === stream)?.request.uri ?? '/');
      return Object.fromEntries([...(userRuns.get(stream) ?? new Map<number, Run[]>())].map(([user, runs]): [string, UserHistory] => {
        const versions: Record<string, number> = {};
        for (const run of runs) versions[run.version] = (versions[run.version] ?? 0) + run.requests;
        const jar = state?.jars?.get(jarKey(stream, user)) ?? [];
        return [String(user), { versions, runs: runs.map((run) => ({ ...run })), cookie: cookieHeader(jar, path, now) }];
      }));
    },
    totals: (service, fromSecond, toSecond) => ledger.totals(service, fromSecond, toSecond),
    mirroredTotals: (service, fromSecond, toSecond) => mirrored.totals(service, fromSecond, toSecond),
    metrics: () => metrics.registry.metrics(),
    stop,
  };
};
