/** Shared builders for the Prometheus tests: gate targets, vectors, and an in-memory Prometheus. */
import * as E from 'fp-ts/Either';
import { ResolvedSpec } from '../../../src/api/spec';
import { Prometheus, PromError, Series, Vector } from '../../../src/prometheus/client';
import { Route } from '../../../src/prometheus/access';
import { PoolOptions, PrometheusConnections, PrometheusPool, prometheusPool } from '../../../src/prometheus/connections';
import { GateTarget } from '../../../src/prometheus/queries';
import { Every, everyInterval } from '../../../src/prometheus/sampler';

type Analysis = ResolvedSpec['analysis'];

export const analysis = (over: Partial<Analysis> = {}): Analysis => ({
  intervalMs: 30_000,
  maxErrorRate: 0.01,
  minRequests: 20,
  failureThreshold: 2,
  noData: 'hold',
  method: 'threshold',
  falseFailureRate: 0.01,
  ...over,
});

/** A target for shift `namespace/service` measuring `version`. */
export const target = (namespace: string, service: string, version: string, over: Partial<Analysis> = {}): GateTarget => ({
  key: `${namespace}/${service}`,
  namespace,
  service,
  version,
  analysis: analysis(over),
});

/** One series of a batched answer. */
export const series = (namespace: string, service: string, version: string, value: number): Series => ({
  labels: { destination_service_namespace: namespace, destination_service_name: service, destination_version: version },
  value,
});

export const ok = (v: Vector) => E.right<PromError, Vector>(v);
export const fails = (e: PromError) => E.left<PromError, Vector>(e);

export const promQlError: PromError = { _tag: 'PromQL', url: 'http://prom:9090', errorType: 'bad_data', error: 'parse error' };

/**
 * A Prometheus answering from a function of the expression; every query is recorded with its time.
 * `pending` holds answers back until `release()` is called, to test ticks that overlap.
 */
export const memoryPrometheus = (answer: (expr: string, at?: number) => E.Either<PromError, Vector>) => {
  const asked: { expr: string; at: number | undefined }[] = [];
  let gate: Promise<void> = Promise.resolve();
  let open: () => void = () => undefined;
  const prometheus: Prometheus = {
    query: (expr, at) => async () => {
      asked.push({ expr, at });
      await gate;
      return answer(expr, at);
    },
  };
  return {
    prometheus,
    asked,
    hold: () => {
      gate = new Promise((resolve) => (open = resolve));
    },
    release: () => open(),
  };
};

/**
 * The real pool over `connections` and `options` (routes, refusals), whose clients are all
 * `prometheus`; `created` lists the route of every client made.
 */
export const memoryPool = (prometheus: Prometheus, connections: PrometheusConnections = { default: { url: 'http://prom:9090' } }, options: PoolOptions = {}) => {
  const real = prometheusPool(connections, options);
  const created: Route[] = [];
  const pool: PrometheusPool = { ...real, client: (route) => (created.push(route), prometheus) };
  return { pool, created };
};

/**
 * A small PromQL lexer for assertions: the query's code with each string literal replaced by `S`,
 * and the decoded literals (Go escapes, as Prometheus' lexer reads them). Comments are dropped.
 */
export const lexStrings = (query: string): { skeleton: string; strings: string[] } => {
  let skeleton = '';
  const strings: string[] = [];
  let i = 0;
  while (i < query.length) {
    const c = query[i]!;
    if (c === '#') {
      while (i < query.length && query[i] !== '\n') i += 1;
      continue;
    }
    if (c !== '"' && c !== "'" && c !== '`') {
      skeleton += c;
      i += 1;
      continue;
    }
    let value = '';
    i += 1;
    while (query[i] !== c) {
      if (i >= query.length) throw new Error(`unterminated string in ${query}`);
      const d = query[i]!;
      if (d === '\n' && c !== '`') throw new Error(`raw newline in a string in ${query}`);
      if (d !== '\\' || c === '`') {
        value += d;
        i += 1;
        continue;
      }
      const e = query[i + 1]!;
      const simple: Record<string, string> = { n: '\n', r: '\r', t: '\t', '\\': '\\', '"': '"', "'": "'" };
      if (e === 'x') {
        value += String.fromCharCode(parseInt(query.slice(i + 2, i + 4), 16));
        i += 4;
      } else if (e in simple && (e !== '"' || c === '"') && (e !== "'" || c === "'")) {
        value += simple[e];
        i += 2;
      } else {
        throw new Error(`escape \\${e} is not valid in ${query}`);
      }
    }
    i += 1;
    strings.push(value);
    skeleton += 'S';
  }
  return { skeleton, strings };
};

/** Whether RE2-style `pattern`, fully anchored as Prometheus anchors it, matches `value`. */
export const regexMatches = (pattern: string, value: string): boolean => new RegExp(`^(?:${pattern})$`, 'u').test(value);

/**
 * The sampler's timer with a hand crank (tests only): groups still tick on their intervals
 * through `everyInterval` (jest's fake timers drive it), and `tickNow()` runs one tick of every
 * armed group at once, resolving when their answers are in. Pass `every` to createGateSampler
 * and start the sampler before cranking.
 */
export const crankedTimer = () => {
  const ticks = new Set<{ readonly tick: () => Promise<unknown> }>();
  const every: Every = (ms, tick, firstMs) => {
    const entry = { tick };
    ticks.add(entry);
    const cancel = everyInterval(ms, tick, firstMs);
    return () => {
      ticks.delete(entry);
      cancel();
    };
  };
  const tickNow = async (): Promise<void> => {
    await Promise.all([...ticks].map((t) => t.tick()));
  };
  return { every, tickNow };
};
