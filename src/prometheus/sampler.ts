/**
 * The GateSampler: one timer per (destination, interval) group of active shifts. Each tick
 * sends the group's batched queries (queries.ts), maps the answers to one GateSample per shift
 * (samples.ts), keeps the latest per shift, and calls `onSample(keys)` so the daemon enqueues
 * those shifts. It measures; it never judges (that is the core's job).
 *
 * A group with sequential shifts ticks at the scrape interval (at most its interval): their
 * evidence is read every scrape (issue 11), soon after it (READ_AFTER_SCRAPE_MS, phased by the
 * newest scrape time the batch reports), while its threshold shifts are still asked once per
 * interval, in the same queries of a due tick — so a tick still sends one query per metric.
 *
 * Defence in depth: whatever admission let through, the sampler sends a request only over a
 * route its pool gives (access.ts: configured or allowed URLs, credentials only for the
 * connection's namespaces); any other shift gets an Unavailable sample with the pool's sentence.
 * A group owns its client, so a client goes when no shift uses its connection any more.
 */
import { Histogram } from 'prom-client';
import * as E from 'fp-ts/Either';
import { GateSample } from '../core/types';
import { Prometheus, PromError, Vector } from './client';
import { PrometheusPool } from './connections';
import { QueryDurationLabels, prometheusQueryDuration } from './metrics';
import { Destination, GateGroup, GateQuery, GateTarget, groupId, groupTargets, MetricQueries, planQueries, urlOf } from './queries';
import { Answers, assessAnswers, lastScrapeOf, NOTHING_ASKED } from './samples';
import { Route } from './access';

export interface GateSamplerDeps {
  /** Which route a shift may use and its client: `prometheusPool(connections, { allowUrls, allowQueries })`. */
  readonly prometheusFor: PrometheusPool;
  /** URL for shifts whose spec names none (the daemon's --prometheus-url, the pool's default connection). Default none: those shifts are Unavailable. */
  readonly defaultUrl?: string;
  /** Called after a tick with the keys of the shifts that got a new sample. */
  readonly onSample: (keys: readonly string[]) => void;
  /** Epoch ms now; the end of each query window. Default Date.now. */
  readonly now?: () => number;
  /** Where query durations are recorded. Default `prometheusQueryDuration`. */
  readonly queryDuration?: Histogram<QueryDurationLabels>;
  /** Runs a group's `tick` every `ms` until the returned function is called. Default `everyInterval`. */
  readonly every?: Every;
  /**
   * How often Prometheus scrapes the mesh's metrics (--scrape-interval): a group with sequential
   * shifts is read this often, or every interval when that is shorter. Default DEFAULT_SCRAPE_INTERVAL_MS.
   */
  readonly scrapeIntervalMs?: number;
}

/** --scrape-interval's default: 15 s, the scrape_interval of Istio's Prometheus add-on (samples/addons/prometheus.yaml). */
export const DEFAULT_SCRAPE_INTERVAL_MS = 15_000;

/**
 * How long after a scrape a sequential group reads: the scrape's samples are stored when it ends,
 * and query times are whole seconds (floored), so 1.5 s puts the read's time after the scrape's.
 */
export const READ_AFTER_SCRAPE_MS = 1500;

/** A read this far from READ_AFTER_SCRAPE_MS after a scrape is close enough; further, the timer is re-phased. */
const PHASE_TOLERANCE_MS = 500;

/** A repeating timer: runs `tick` every `ms`, the first time after `firstMs` (default `ms`); call the result to stop it. */
export type Every = (ms: number, tick: () => Promise<unknown>, firstMs?: number) => () => void;

/** setTimeout then setInterval, unref'd so that a sampler's timers never keep the process alive. */
export const everyInterval: Every = (ms, tick, firstMs = ms) => {
  let timer: NodeJS.Timeout | undefined;
  const first = setTimeout(() => {
    void tick();
    timer = setInterval(() => void tick(), ms);
    timer.unref?.();
  }, firstMs);
  first.unref?.();
  return () => {
    clearTimeout(first);
    if (timer !== undefined) clearInterval(timer);
  };
};

export interface GateSampler {
  /** Replace the shifts to measure. A shift whose target changed (new candidate, new analysis) loses its old sample. */
  readonly setActive: (targets: readonly GateTarget[]) => void;
  /** The newest sample for a shift key ("namespace/name"), if one was taken since it became active. */
  readonly latest: (key: string) => GateSample | undefined;
  /** Start the group timers; the first tick of a group comes one interval after it appears. */
  readonly start: () => void;
  /** Stop all timers; answers still in flight are dropped. */
  readonly stop: () => void;
  /** The route ids the sampler holds clients for now (one per group that may send). */
  readonly clients: () => readonly string[];
}

interface GroupState {
  group: GateGroup;
  /** The group's client; none for a Refused group, which sends nothing. */
  readonly client?: { readonly id: string; readonly prometheus: Prometheus };
  /** Stops the group's timer while it is armed. */
  cancel?: () => void;
  /** How often the timer ticks: the interval, or the scrape interval when shorter and the group has sequential shifts. */
  tickMs: number;
  /** When the group's threshold shifts were last asked (tick time, ms); they are asked once per interval. */
  intervalAskedAt?: number;
  busy: boolean;
}

/** A sequential shift (its counts run from status.evidenceSince, gateTargetOf). */
const isSequential = (t: GateTarget): boolean => t.evidenceSince !== undefined;

/** a mod m in [0, m). */
const mod = (a: number, m: number): number => ((a % m) + m) % m;

/** What makes a sample belong to a target: anything that changes the query or its meaning (a new sequential period too). */
const fingerprint = (t: GateTarget): string => JSON.stringify([t.namespace, t.service, t.version, t.analysis, t.evidenceSince ?? null, t.compareWith ?? null]);

export const createGateSampler = (deps: GateSamplerDeps): GateSampler => {
  const now = deps.now ?? Date.now;
  const every = deps.every ?? everyInterval;
  const scrapeMs = deps.scrapeIntervalMs ?? DEFAULT_SCRAPE_INTERVAL_MS;
  const cadence = (group: GateGroup): number => (group.targets.some(isSequential) ? Math.min(group.intervalMs, scrapeMs) : group.intervalMs);
  const histogram = deps.queryDuration ?? prometheusQueryDuration;
  const targets = new Map<string, GateTarget>();
  const samples = new Map<string, GateSample>();
  const groups = new Map<string, GroupState>();
  let running = false;
  let generation = 0;

  const pool = deps.prometheusFor;

  const timed = async (client: Prometheus, metric: string, expr: string, at: number): Promise<E.Either<PromError, Vector>> => {
    const end = histogram.startTimer({ query: metric });
    const answer = await client.query(expr, at)();
    end({ outcome: E.isRight(answer) ? 'ok' : answer.left._tag });
    return answer;
  };

  const ask = async (client: Prometheus, queries: MetricQueries, at: number): Promise<Answers> => {
    const [requests, errors, p99] = await Promise.all([
      timed(client, 'requests', queries.requests, at),
      timed(client, 'errors', queries.errors, at),
      queries.p99 === undefined ? Promise.resolve(undefined) : timed(client, 'p99', queries.p99, at),
    ]);
    return { requests, errors, ...(p99 ? { p99 } : {}) };
  };

  // A group without a client is Refused: planQueries makes all its queries Unqueryable.
  const answer = (client: Prometheus | undefined, query: GateQuery, at: number): Promise<Answers> =>
    query._tag === 'Unqueryable' || client === undefined ? Promise.resolve(NOTHING_ASKED) : ask(client, query.queries, at);

  const tick = async (id: string): Promise<readonly string[]> => {
    const state = groups.get(id);
    if (!state || state.busy) return [];
    state.busy = true;
    const started = generation;
    const { client } = state;
    const tickedAt = now();
    // Query times are whole seconds, so sequential windows read "1m35s" in status messages.
    const at = Math.floor(tickedAt / 1000) * 1000;
    // Threshold shifts keep their windows: asked on the ticks one interval apart (half a tick early is close enough).
    const fast = state.tickMs < state.group.intervalMs;
    const due = !fast || state.intervalAskedAt === undefined || at - state.intervalAskedAt >= state.group.intervalMs - state.tickMs / 2;
    const group = due ? state.group : { ...state.group, targets: state.group.targets.filter(isSequential) };
    if (due && fast) state.intervalAskedAt = at;
    const queried = new Map(group.targets.map((t) => [t.key, fingerprint(t)]));
    try {
      const queries = planQueries(group, (t) => pool.queryRefusal(t.analysis), at);
      const answers = await Promise.all(queries.map((q) => answer(client?.prometheus, q, at)));
      if (started !== generation) return [];
      rephase(id, state, tickedAt, answers.map(lastScrapeOf).find((t) => t !== undefined));
      const keys: string[] = [];
      queries.forEach((q, i) => {
        for (const { key, sample } of assessAnswers(q, answers[i]!, at)) {
          const current = targets.get(key);
          if (!current || fingerprint(current) !== queried.get(key)) continue; // changed while we asked
          samples.set(key, sample);
          keys.push(key);
        }
      });
      if (keys.length > 0) deps.onSample(keys);
      return keys;
    } finally {
      state.busy = false;
    }
  };

  const arm = (id: string, state: GroupState, firstMs?: number): void => {
    state.cancel = every(state.tickMs, () => tick(id), firstMs);
  };

  /**
   * A group read every scrape should read READ_AFTER_SCRAPE_MS after one, not just before the next
   * (up to a scrape interval of evidence would wait in Prometheus): when a tick at `tickedAt` saw
   * the newest scrape at `scrapedAt` and was off by more than PHASE_TOLERANCE_MS, the timer is
   * re-armed to fire next at a scrape plus READ_AFTER_SCRAPE_MS. With several scrape targets at
   * different offsets this follows the one scraped last; clocks apart by s shift the read by s.
   */
  const rephase = (id: string, state: GroupState, tickedAt: number, scrapedAt: number | undefined): void => {
    if (scrapedAt === undefined || state.tickMs !== scrapeMs || !running || groups.get(id) !== state) return;
    const late = mod(tickedAt - scrapedAt - READ_AFTER_SCRAPE_MS, scrapeMs);
    if (Math.min(late, scrapeMs - late) <= PHASE_TOLERANCE_MS) return;
    // Ticks stay at least half a scrape apart (a re-phased read never comes right after the last one).
    const next = scrapeMs - late;
    state.cancel?.();
    arm(id, state, next < scrapeMs / 2 ? next + scrapeMs : next);
  };

  const setActive = (next: readonly GateTarget[]): void => {
    const byKey = new Map(next.map((t) => [t.key, t]));
    for (const [key, old] of targets) {
      const replacement = byKey.get(key);
      if (!replacement || fingerprint(replacement) !== fingerprint(old)) samples.delete(key);
    }
    targets.clear();
    for (const [key, t] of byKey) targets.set(key, t);
    const routes = new Map<string, Route>();
    const destinationOf = (t: GateTarget): Destination => {
      const { url, field } = urlOf(t, deps.defaultUrl);
      const route = pool.route(t.namespace, url, field);
      if (E.isLeft(route)) return { _tag: 'Refused', reason: route.left };
      routes.set(route.right.id, route.right);
      return { _tag: 'Connection', id: route.right.id };
    };
    const wanted = new Map(groupTargets(next, destinationOf).map((g) => [groupId(g.destination, g.intervalMs), g]));
    for (const [id, state] of groups) {
      if (wanted.has(id)) continue;
      state.cancel?.();
      groups.delete(id);
    }
    for (const [id, group] of wanted) {
      const state = groups.get(id);
      if (state) {
        state.group = group;
        if (state.tickMs !== cadence(group)) {
          state.tickMs = cadence(group);
          state.cancel?.();
          delete state.cancel;
          if (running) arm(id, state);
        }
        continue;
      }
      const route = group.destination._tag === 'Connection' ? routes.get(group.destination.id) : undefined;
      const fresh: GroupState = { group, tickMs: cadence(group), busy: false, ...(route ? { client: { id: route.id, prometheus: pool.client(route) } } : {}) };
      groups.set(id, fresh);
      if (running) arm(id, fresh);
    }
  };

  const start = (): void => {
    if (running) return;
    running = true;
    for (const [id, state] of groups) arm(id, state);
  };

  const stop = (): void => {
    running = false;
    generation += 1;
    for (const state of groups.values()) {
      state.cancel?.();
      delete state.cancel;
    }
  };

  const clients = (): readonly string[] => [...new Set([...groups.values()].flatMap((g) => (g.client ? [g.client.id] : [])))].sort();

  return { setActive, latest: (key) => samples.get(key), start, stop, clients };
};
