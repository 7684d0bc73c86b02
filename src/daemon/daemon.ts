/**
 * The daemon, wired once: informers feed a per-key queue; the queue runs reconcile while this
 * replica leads; the gate sampler and the schedule timers enqueue shifts when they have news.
 *
 *   informers ─┐
 *   sampler ───┼─> queue (one run per shift at a time) ─> reconcile ─> Kube writes
 *   cron ──────┘
 *
 * A standby (leader election on, lease held elsewhere) keeps its caches warm and reports ready;
 * it starts its queue the moment it acquires the lease. On SIGTERM/SIGINT: stop taking work,
 * let the write in flight finish, release the lease, exit 0.
 */
import { KubeConfig } from '@kubernetes/client-node';
import * as E from 'fp-ts/Either';
import { hostname } from 'node:os';
import { readFileSync } from 'node:fs';
import { decide } from '../core/decide';
import { serverClock } from '../kube/serverClock';
import { hostsPolicy } from '../istio';
import { prometheusPolicy } from '../prometheus/access';
import { markAuthor, parseCommand } from '../kube/annotations';
import { connect, makeKube, userAgentFor } from '../kube/client';
import { makeEventRecorder } from '../kube/events';
import { startInformers } from '../kube/informers';
import { Caches } from '../kube/caches';
import { keysFor } from './keys';
import { keyOf } from '../kube/objects';
import { connectionsFromEnv, prometheusPool } from '../prometheus/connections';
import { GateTarget } from '../prometheus/queries';
import { createGateSampler } from '../prometheus/sampler';
import { cronScheduler, scheduleView } from '../schedule';
import { DaemonConfig } from './config';
import { failpointsFromEnv } from './failpoints';
import { ALWAYS_LEADING, createElector, fenceWrites, Leadership } from './leader';
import { createLogger, Logger } from './log';
import { forgetShift, metrics, observeDecision, registry } from './metrics';
import { createQueue, WorkQueue } from './queue';
import { reconcile, ReconcileDeps, ReconcileError } from './reconcile';
import { serveEndpoints } from './server';
import { fetchClient } from '../hooks/client';
import { answerClass, hookCalls, hookDuration, notificationsDropped, notificationsSent } from '../hooks/metrics';
import { hooksPolicy } from '../hooks/policy';
import { createHookRunner } from '../hooks/runner';
import { secretReader } from '../hooks/secrets';
import { createNotifier } from '../notify/notifier';

export interface Daemon {
  /** Where /metrics, /healthz, /readyz are served. */
  readonly address: string;
  /** Stop taking work, finish the run in flight, release the lease, stop watches and the server. */
  readonly shutdown: () => Promise<void>;
}

/** The pod's namespace in-cluster (service account mount), if there is one. */
export const podNamespace = (): string | undefined => {
  if (process.env.POD_NAMESPACE) return process.env.POD_NAMESPACE;
  try {
    return readFileSync('/var/run/secrets/kubernetes.io/serviceaccount/namespace', 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
};

export const defaultIdentity = (): string => process.env.POD_NAME ?? `${hostname()}_${process.pid}`;

const loadKubeConfig = (path: string | undefined): KubeConfig => {
  const kc = new KubeConfig();
  if (path) kc.loadFromFile(path);
  else kc.loadFromDefault();
  return kc;
};

/** How often the API server's clock is read, and the offset change worth a log line. */
const CLOCK_EVERY_MS = 60_000;
const CLOCK_LOG_MS = 1000;

export const startDaemon = async (config: DaemonConfig, log: Logger = createLogger(config.logFormat, config.logLevel)): Promise<Daemon> => {
  const kc = loadKubeConfig(config.kubeconfig);
  // Every call ends within --kube-timeout and names this replica in its User-Agent (contract B).
  const connection = connect(kc, {
    userAgent: userAgentFor(config.identity),
    ...(config.kubeTimeoutMs !== undefined ? { timeoutMs: config.kubeTimeoutMs } : {}),
    onAnswer: (method, code) => metrics.kubeRequests.inc({ method, code: String(code) }),
  });
  const kube = failpointsFromEnv(makeKube(connection)); // crash injection for the chaos suite; off unless $SLUICE_FAILPOINT is set
  // Time by the API server's clock, so replicas with skewed clocks agree on the times in status (issue 9 #6).
  const clock = serverClock(connection);
  const measureClock = async (): Promise<void> => {
    const before = clock.offsetMs();
    const r = await clock.measure();
    if (r._tag === 'NoReading') log.warn('could not read the API server clock; keeping the last offset', { reason: r.reason, offsetMs: Math.round(before) });
    else if (Math.abs(clock.offsetMs() - before) >= CLOCK_LOG_MS) log.info('API server clock offset', { offsetMs: Math.round(clock.offsetMs()) });
  };
  await measureClock();
  const clockTimer = setInterval(() => void measureClock(), CLOCK_EVERY_MS);
  clockTimer.unref();
  const connections = connectionsFromEnv({ ...process.env, SLUICE_PROMETHEUS_URL: config.prometheusUrl ?? process.env.SLUICE_PROMETHEUS_URL });
  if (E.isLeft(connections)) throw new Error(connections.left);

  let queue: WorkQueue | undefined;
  const enqueue = (key: string): void => queue?.add(key);

  const sampler = createGateSampler({
    prometheusFor: prometheusPool(connections.right, { allowUrls: config.allowPrometheusUrls, allowQueries: config.allowPrometheusQueries }),
    ...(connections.right.default ? { defaultUrl: connections.right.default.url } : {}),
    onSample: (keys) => keys.forEach(enqueue),
    now: clock.now,
    scrapeIntervalMs: config.scrapeIntervalMs,
  });
  const targets = new Map<string, GateTarget>();
  // The sampler is told once per turn of the event loop, not once per reconcile: after a start or
  // a resync, N reconciles would otherwise hand it N lists of N targets (quadratic in N).
  let activeChanged = false;
  const trackGate = (key: string, target: GateTarget | undefined): void => {
    const before = JSON.stringify(targets.get(key));
    if (target) targets.set(key, target);
    else targets.delete(key);
    if (JSON.stringify(target) === before || activeChanged) return;
    activeChanged = true;
    setImmediate(() => {
      activeChanged = false;
      sampler.setActive([...targets.values()]);
    });
  };
  const scheduler = cronScheduler({ warn: (m) => log.warn(m) });

  // Webhooks (spec.hooks) and notifications (spec.notify, --notify-provider): calls and messages
  // leave the reconcile at once; answers come back as observations (src/hooks, src/notify).
  const webhooks = fetchClient(userAgentFor(config.identity));
  const secrets = secretReader(kube, clock.now);
  const hookRunner = createHookRunner({
    client: webhooks, secrets, policy: config, onAnswer: enqueue, now: clock.now,
    observe: (kind, code, seconds) => {
      hookCalls.inc({ kind, answer: answerClass(code) });
      hookDuration.observe({ kind }, seconds);
    },
  });
  const notifier = createNotifier({
    client: webhooks, secrets, policy: config, ...(config.notifyDefault ? { defaultTarget: config.notifyDefault } : {}),
    sent: (provider) => notificationsSent.inc({ provider }),
    dropped: (provider, reason) => notificationsDropped.inc({ provider, reason }),
    warn: (msg, fields) => log.warn(msg, fields),
  });

  let caches: Caches | undefined;
  const informers = startInformers(connection, config.namespaces, (change) => {
    if (!caches) return;
    for (const key of keysFor(caches, change)) enqueue(key);
  }, { ...log, watching: (delta) => metrics.kubeWatches.inc(delta) }, { gatewayAPI: config.gatewayAPI ?? false });
  caches = informers.caches;

  // Operator policy on specs (contract D): hosts and gateways, Prometheus URLs and templates.
  const hosts = hostsPolicy(config);
  const prometheusAdmission = prometheusPolicy(config);
  const hookAdmission = hooksPolicy(config);
  const deps: ReconcileDeps = {
    kube,
    caches,
    events: makeEventRecorder(kube, config.identity),
    decide,
    latestGate: (key) => sampler.latest(key),
    trackGate,
    parseCommand: (meta) => markAuthor(parseCommand(meta), config.byVerified),
    troubles: new Map(),
    gatewayAPI: config.gatewayAPI ?? false,
    clusterDomain: config.clusterDomain,
    admit: (ns, name, spec) => [...hosts(ns, spec, name), ...prometheusAdmission(ns, spec, name), ...hookAdmission(ns, spec, name)],
    hookAnswers: (key) => hookRunner.answers(key),
    decided: (shift, _before, decision) => {
      if (decision.hookCalls !== undefined) hookRunner.request({ ...shift, status: decision.status }, decision.hookCalls);
      notifier.publish(shift, decision);
    },
    scheduleView: (s, status, now) => scheduleView(s, status, now),
    observed: (ns, name, before, decision) => {
      observeDecision(ns, name, before, decision);
      const spec = caches?.shift(ns, name)?.spec as { schedule?: { start?: string; timeZone?: string } } | undefined;
      const key = keyOf(ns, name);
      if (spec?.schedule?.start) scheduler.watch(key, { start: spec.schedule.start, ...(spec.schedule.timeZone ? { timeZone: spec.schedule.timeZone } : {}) }, () => enqueue(key));
      else scheduler.unwatch(key);
    },
    forgotten: (ns, name) => {
      forgetShift(ns, name);
      scheduler.unwatch(keyOf(ns, name));
      hookRunner.forget(keyOf(ns, name));
      queue?.forget(keyOf(ns, name));
    },
    log,
    now: clock.now,
  };

  /**
   * The deps of one term of leadership: every write (routes, status, commands, Events) is fenced
   * by it, so a run still in flight when the term ends cannot write after it, even if this replica
   * leads again later (that is another term).
   */
  const depsFor = (leadership: Leadership): ReconcileDeps => {
    const writes = fenceWrites(kube, leadership);
    return { ...deps, kube: writes, events: makeEventRecorder(writes, config.identity) };
  };

  const workerFor = (termDeps: ReconcileDeps) => async (key: string): Promise<number | undefined> => {
    // Deciding on half-filled caches would take a missing VirtualService for an absent one.
    if (!informers.caches.synced()) return 500;
    const end = metrics.reconcileDuration.startTimer();
    try {
      const next = await reconcile(termDeps, key);
      end({ result: 'ok' });
      return next;
    } catch (e) {
      end({ result: 'error' });
      throw e;
    }
  };

  const allKeys = (): string[] => (caches?.shifts() ?? []).map((s) => keyOf(s.metadata.namespace ?? '', s.metadata.name));

  const startLeading = (): void => {
    metrics.leader.set(1);
    queue = createQueue({
      worker: workerFor(depsFor(elector?.leadership() ?? ALWAYS_LEADING)),
      resyncMs: config.resyncMs,
      keys: allKeys,
      onDepth: (d) => metrics.workqueueDepth.set(d),
      onError: (key, err, retryInMs) =>
        log.warn('reconcile failed; retrying', { shift: key, error: err instanceof ReconcileError ? err.error.message : String(err), kind: err instanceof ReconcileError ? err.error._tag : 'Exception', retryInMs }),
    });
    sampler.start();
    // Caches may still be filling: every add from the informers is enqueued from now on, and these are the ones already seen.
    allKeys().forEach(enqueue);
  };
  let stopping: Promise<void> | undefined;
  const stopLeading = async (): Promise<void> => {
    metrics.leader.set(0);
    const q = queue;
    queue = undefined;
    sampler.stop();
    scheduler.stopAll();
    hookRunner.stop();
    await q?.stop();
  };

  const elector = config.leaderElect
    ? createElector(kube, { namespace: config.leaseNamespace, name: config.leaseName, identity: config.identity, leaseDurationMs: config.leaseDurationMs, renewDeadlineMs: config.renewDeadlineMs, retryPeriodMs: config.retryPeriodMs }, {
        onStartedLeading: startLeading,
        onStoppedLeading: () => void (stopping ? undefined : stopLeading()),
        log,
      })
    : undefined;

  const endpoints = await serveEndpoints(config.metricsAddr, registry, () => informers.caches.synced());
  log.info('sluice daemon started', {
    metricsAddr: endpoints.address, namespaces: config.namespaces.length > 0 ? config.namespaces : 'all', leaderElect: config.leaderElect,
    lease: config.leaderElect ? `${config.leaseNamespace}/${config.leaseName}` : undefined, identity: config.identity, prometheusUrl: connections.right.default?.url,
  });
  if (elector) elector.start();
  else startLeading();

  const shutdown = (): Promise<void> =>
    (stopping ??= (async () => {
      log.info('shutting down: finishing the write in flight, releasing the lease', {});
      clearInterval(clockTimer);
      await stopLeading();
      await elector?.stop();
      await informers.stop();
      await endpoints.close();
      log.info('stopped', {});
    })());
  return { address: endpoints.address, shutdown };
};
