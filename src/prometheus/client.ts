/**
 * The Prometheus HTTP query API (`POST /api/v1/query`), as the one small interface sluice needs:
 * run an instant query, and say whether the server answers at all (Flagger's provider seam).
 * Every failure is a closed `PromError` with a sentence; the sampler turns any of them into an
 * `Unavailable` gate sample, never into a verdict.
 */
import * as E from 'fp-ts/Either';
import { pipe } from 'fp-ts/function';
import * as TE from 'fp-ts/TaskEither';

/** How to reach one Prometheus (or a Thanos / Mimir / VictoriaMetrics query frontend). */
export interface PrometheusConfig {
  /** Base URL, e.g. `http://prometheus.monitoring:9090`; a path prefix is kept. Credentials in the URL become basic auth. */
  readonly url: string;
  /** Per-request timeout in milliseconds, connect to last byte. Default 10000. */
  readonly timeoutMs?: number;
  /** Sent as `Authorization: Bearer <token>`. Default none. */
  readonly bearerToken?: string;
  /** Sent as `Authorization: Basic …` when no bearer token is set. Default none. */
  readonly basicAuth?: { readonly username: string; readonly password: string };
  /** Extra headers on every request, e.g. `X-Scope-OrgID` for a multi-tenant frontend. Default none. */
  readonly headers?: Readonly<Record<string, string>>;
}

export const DEFAULT_TIMEOUT_MS = 10_000;

/** One series of an instant vector: its labels and its value (NaN and ±Inf kept as numbers). */
export interface Series {
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** An instant vector; a scalar result is returned as one series without labels. */
export type Vector = readonly Series[];

/** Why a query gave no vector. `url` never carries credentials. */
export type PromError =
  | { readonly _tag: 'Network'; readonly url: string; readonly message: string }
  | { readonly _tag: 'Timeout'; readonly url: string; readonly timeoutMs: number }
  | { readonly _tag: 'Http'; readonly url: string; readonly status: number; readonly body: string }
  | { readonly _tag: 'PromQL'; readonly url: string; readonly errorType: string; readonly error: string }
  | { readonly _tag: 'Decode'; readonly url: string; readonly message: string };

/** The error as one sentence, for logs, Events and `Unavailable.reason`. */
export const describePromError = (e: PromError): string => {
  switch (e._tag) {
    case 'Network':
      return `Prometheus at ${e.url} could not be reached: ${e.message}`;
    case 'Timeout':
      return `Prometheus at ${e.url} did not answer within ${e.timeoutMs} ms`;
    case 'Http':
      return `Prometheus at ${e.url} answered HTTP ${e.status}${e.body ? `: ${e.body}` : ''}`;
    case 'PromQL':
      return `Prometheus at ${e.url} rejected the query (${e.errorType}): ${e.error}`;
    case 'Decode':
      return `Prometheus at ${e.url} sent an answer sluice cannot read: ${e.message}`;
  }
};

export interface Prometheus {
  /** Evaluate `expr` as an instant query at `at` (epoch ms; default: the server's now). */
  readonly query: (expr: string, at?: number) => TE.TaskEither<PromError, Vector>;
  /** Whether the server evaluates a trivial query (`vector(1)`) and returns 1. */
  readonly isOnline: () => TE.TaskEither<PromError, true>;
}

/** The slice of WHATWG fetch the client uses, so unit tests can inject one. */
export type Fetch = (
  url: string,
  init: { method: string; headers: Record<string, string>; body: string; signal: AbortSignal },
) => Promise<{ readonly status: number; text(): Promise<string> }>;

const BODY_LIMIT = 300;
const clip = (s: string): string => (s.length > BODY_LIMIT ? `${s.slice(0, BODY_LIMIT)}…` : s).replace(/\s+/g, ' ').trim();

/** The URL without credentials, query or fragment: safe to print. */
export const displayUrl = (url: string): string => {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname.replace(/\/$/, '')}`;
  } catch {
    return url.replace(/\/\/[^@/]*@/, '//');
  }
};

/** Authorization and custom headers for a config; URL credentials count as basic auth. */
const headersFor = (config: PrometheusConfig, url: URL): Record<string, string> => {
  const basic = config.basicAuth ?? (url.username ? { username: decodeURIComponent(url.username), password: decodeURIComponent(url.password) } : undefined);
  const auth: Record<string, string> = config.bearerToken
    ? { Authorization: `Bearer ${config.bearerToken}` }
    : basic
      ? { Authorization: `Basic ${Buffer.from(`${basic.username}:${basic.password}`).toString('base64')}` }
      : {};
  return { ...config.headers, ...auth, 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' };
};

const sampleValue = (v: unknown): number | undefined => {
  if (!Array.isArray(v) || typeof v[1] !== 'string') return undefined;
  const text = v[1];
  if (text === '+Inf' || text === 'Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  const n = Number(text);
  return Number.isNaN(n) && text !== 'NaN' ? undefined : n;
};

/** Read a query API answer: success with a vector or scalar, or a Prometheus error document. */
export const decodeAnswer = (url: string, status: number, body: string): PromError | Vector => {
  let doc: unknown;
  try {
    doc = JSON.parse(body);
  } catch {
    return status >= 200 && status < 300
      ? { _tag: 'Decode', url, message: `the body is not JSON: ${clip(body)}` }
      : { _tag: 'Http', url, status, body: clip(body) };
  }
  const d = doc as { status?: unknown; errorType?: unknown; error?: unknown; data?: { resultType?: unknown; result?: unknown } } | null;
  if (d?.status === 'error') return { _tag: 'PromQL', url, errorType: String(d.errorType ?? 'unknown'), error: String(d.error ?? '') };
  if (status < 200 || status >= 300) return { _tag: 'Http', url, status, body: clip(body) };
  if (d?.status !== 'success' || typeof d.data !== 'object' || d.data === null)
    return { _tag: 'Decode', url, message: 'expected {"status":"success","data":{…}}' };
  const { resultType, result } = d.data;
  if (resultType === 'scalar') {
    const value = sampleValue(result);
    return value === undefined ? { _tag: 'Decode', url, message: 'the scalar has no numeric value' } : [{ labels: {}, value }];
  }
  if (resultType !== 'vector' || !Array.isArray(result))
    return { _tag: 'Decode', url, message: `expected an instant vector or a scalar, got ${String(resultType)}` };
  const vector: Series[] = [];
  for (const item of result as { metric?: unknown; value?: unknown }[]) {
    const value = sampleValue(item?.value);
    if (value === undefined || typeof item.metric !== 'object' || item.metric === null)
      return { _tag: 'Decode', url, message: `a series has no labels or no numeric value: ${clip(JSON.stringify(item))}` };
    vector.push({ labels: item.metric as Record<string, string>, value });
  }
  return vector;
};

const isVector = (a: PromError | Vector): a is Vector => Array.isArray(a);

const networkMessage = (e: unknown): string => {
  const err = e as { message?: string; cause?: { code?: string; message?: string } };
  return err.cause?.message ?? err.cause?.code ?? err.message ?? String(e);
};

/** A client for one Prometheus. `fetchFn` defaults to Node's global fetch. */
export const prometheusClient = (config: PrometheusConfig, fetchFn: Fetch = fetch as unknown as Fetch): Prometheus => {
  const shown = displayUrl(config.url);
  const timeoutMs = config.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const parsed = URL.canParse(config.url) ? new URL(config.url) : undefined;
  const endpoint = parsed ? `${parsed.origin}${parsed.pathname.replace(/\/$/, '')}/api/v1/query` : '';
  const headers = parsed ? headersFor(config, parsed) : {};

  const query = (expr: string, at?: number): TE.TaskEither<PromError, Vector> => async () => {
    if (!parsed) return E.left({ _tag: 'Network', url: shown, message: 'the URL is not valid' });
    const form = new URLSearchParams({ query: expr });
    if (at !== undefined) form.set('time', (at / 1000).toFixed(3));
    const abort = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      abort.abort();
    }, timeoutMs);
    try {
      const res = await fetchFn(endpoint, { method: 'POST', headers, body: form.toString(), signal: abort.signal });
      const answer = decodeAnswer(shown, res.status, await res.text());
      return isVector(answer) ? E.right(answer) : E.left(answer);
    } catch (e) {
      return E.left(timedOut ? { _tag: 'Timeout', url: shown, timeoutMs } : { _tag: 'Network', url: shown, message: networkMessage(e) });
    } finally {
      clearTimeout(timer);
    }
  };

  const expectOne = (v: Vector): E.Either<PromError, true> =>
    v.length === 1 && v[0]!.value === 1 ? E.right(true) : E.left({ _tag: 'Decode', url: shown, message: 'vector(1) did not return 1' });
  const isOnline = (): TE.TaskEither<PromError, true> => pipe(query('vector(1)'), TE.chainEitherK(expectOne));

  return { query, isOnline };
};
