/**
 * The Prometheus HTTP query API (`POST /api/v1/query`), as the one small interface sluice needs:
 * run an instant query, and say whether the server answers at all (Flagger's provider seam).
 * Every failure is a closed `PromError` with a sentence; the sampler turns any of them into an
 * `Unavailable` gate sample, never into a verdict.
 */
import * as E from 'fp-ts/Either';
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

/**
 * Why a query gave no vector. `url` never carries credentials. No field holds a raw response body:
 * texts from the server (Prometheus' error, a network message) are clipped (`clipText`).
 */
export type PromError =
  | { readonly _tag: 'Network'; readonly url: string; readonly message: string }
  | { readonly _tag: 'Timeout'; readonly url: string; readonly timeoutMs: number }
  /** A status other than 2xx without a Prometheus error document; `json` says what the body was. */
  | { readonly _tag: 'Http'; readonly url: string; readonly status: number; readonly json: boolean; readonly bytes: number }
  /** A 3xx: sluice follows no redirect (the target was not checked against the allow-list). */
  | { readonly _tag: 'Redirect'; readonly url: string; readonly status: number }
  /** The body was longer than `limit` bytes; sluice stopped reading. */
  | { readonly _tag: 'TooLarge'; readonly url: string; readonly limit: number }
  | { readonly _tag: 'PromQL'; readonly url: string; readonly errorType: string; readonly error: string }
  | { readonly _tag: 'Decode'; readonly url: string; readonly message: string };

/** Longest server-provided text (an error message) kept in a PromError. */
export const TEXT_LIMIT = 200;
/** Longest sentence `describePromError` gives. */
export const SENTENCE_LIMIT = 400;
/** Most bytes of a response body read; a longer body is TooLarge. 1 MiB. */
export const BODY_LIMIT_BYTES = 1_048_576;

/** Control characters and runs of whitespace collapsed to one space, then at most `max` characters. */
export const clipText = (s: string, max = TEXT_LIMIT): string => {
  const flat = s.replace(/[\u0000-\u001f\u007f-\u009f\s]+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
};

/** The error as one sentence (at most SENTENCE_LIMIT characters), for logs, Events and `Unavailable.reason`. */
export const describePromError = (e: PromError): string => {
  const url = clipText(e.url, 120);
  const sentence = ((): string => {
    switch (e._tag) {
      case 'Network':
        return `Prometheus at ${url} could not be reached: ${e.message}`;
      case 'Timeout':
        return `Prometheus at ${url} did not answer within ${e.timeoutMs} ms`;
      case 'Http':
        return `Prometheus at ${url} answered HTTP ${e.status}: ${e.json ? 'a JSON body that is not a Prometheus error' : 'non-JSON body'} (${e.bytes} bytes)`;
      case 'Redirect':
        return `Prometheus at ${url} answered HTTP ${e.status} (a redirect); sluice does not follow redirects, configure the final URL`;
      case 'TooLarge':
        return `Prometheus at ${url} sent more than ${e.limit} bytes; sluice stopped reading`;
      case 'PromQL':
        return `Prometheus at ${url} rejected the query (${e.errorType}): ${e.error}`;
      case 'Decode':
        return `Prometheus at ${url} sent an answer sluice cannot read: ${e.message}`;
    }
  })();
  return clipText(sentence, SENTENCE_LIMIT);
};

export interface Prometheus {
  /** Evaluate `expr` as an instant query at `at` (epoch ms; default: the server's now). */
  readonly query: (expr: string, at?: number) => TE.TaskEither<PromError, Vector>;
}

/** The part of a WHATWG fetch response the client reads. `body` and `headers` are optional for test fakes. */
export interface FetchResponse {
  readonly status: number;
  readonly headers?: { get(name: string): string | null };
  /** Read at most BODY_LIMIT_BYTES of it; without it, `text()` is read and measured. */
  readonly body?: ReadableStream<Uint8Array> | null;
  text(): Promise<string>;
}

/** The slice of WHATWG fetch the client uses, so unit tests can inject one. */
export type Fetch = (
  url: string,
  init: { method: string; headers: Record<string, string>; body: string; signal: AbortSignal; redirect: 'manual' },
) => Promise<FetchResponse>;

/** The body as text, or its size when it is over `limit` bytes (then the rest is not read). */
export const readCapped = async (res: FetchResponse, limit: number): Promise<{ readonly text: string } | { readonly over: number }> => {
  const declared = Number(res.headers?.get('content-length') ?? NaN);
  if (declared > limit) {
    await res.body?.cancel().catch(() => undefined);
    return { over: declared };
  }
  if (!res.body) {
    const text = await res.text();
    const bytes = Buffer.byteLength(text);
    return bytes > limit ? { over: bytes } : { text };
  }
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => undefined);
      return { over: size };
    }
    chunks.push(value);
  }
  return { text: Buffer.concat(chunks).toString('utf8') };
};

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

/**
 * Read a query API answer: success with a vector or scalar, or a Prometheus error document.
 * Nothing of the body but Prometheus' own (clipped) error text goes into the error.
 */
export const decodeAnswer = (url: string, status: number, body: string): PromError | Vector => {
  const bytes = Buffer.byteLength(body);
  let doc: unknown;
  try {
    doc = JSON.parse(body);
  } catch {
    return status >= 200 && status < 300
      ? { _tag: 'Decode', url, message: `non-JSON body (${bytes} bytes)` }
      : { _tag: 'Http', url, status, json: false, bytes };
  }
  const d = doc as { status?: unknown; errorType?: unknown; error?: unknown; data?: { resultType?: unknown; result?: unknown } } | null;
  if (d?.status === 'error') {
    const errorType = typeof d.errorType === 'string' && /^[a-z_]{1,40}$/.test(d.errorType) ? d.errorType : 'unknown';
    return { _tag: 'PromQL', url, errorType, error: clipText(String(d.error ?? '')) };
  }
  if (status < 200 || status >= 300) return { _tag: 'Http', url, status, json: true, bytes };
  if (d?.status !== 'success' || typeof d.data !== 'object' || d.data === null)
    return { _tag: 'Decode', url, message: 'expected {"status":"success","data":{…}}' };
  const { resultType, result } = d.data;
  if (resultType === 'scalar') {
    const value = sampleValue(result);
    return value === undefined ? { _tag: 'Decode', url, message: 'the scalar has no numeric value' } : [{ labels: {}, value }];
  }
  if (resultType !== 'vector' || !Array.isArray(result))
    return { _tag: 'Decode', url, message: `expected an instant vector or a scalar, got ${typeof resultType === 'string' ? clipText(resultType, 20) : typeof resultType}` };
  const vector: Series[] = [];
  for (const [i, item] of (result as { metric?: unknown; value?: unknown }[]).entries()) {
    const value = sampleValue(item?.value);
    if (value === undefined || typeof item.metric !== 'object' || item.metric === null)
      return { _tag: 'Decode', url, message: `series ${i} of the vector has no labels or no numeric value` };
    vector.push({ labels: item.metric as Record<string, string>, value });
  }
  return vector;
};

const isVector = (a: PromError | Vector): a is Vector => Array.isArray(a);

const networkMessage = (e: unknown): string => {
  const err = e as { message?: string; cause?: { code?: string; message?: string } };
  return clipText(err.cause?.message ?? err.cause?.code ?? err.message ?? String(e));
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
      const res = await fetchFn(endpoint, { method: 'POST', headers, body: form.toString(), signal: abort.signal, redirect: 'manual' });
      if (res.status >= 300 && res.status < 400) {
        await res.body?.cancel().catch(() => undefined);
        return E.left({ _tag: 'Redirect', url: shown, status: res.status });
      }
      const body = await readCapped(res, BODY_LIMIT_BYTES);
      if ('over' in body) return E.left({ _tag: 'TooLarge', url: shown, limit: BODY_LIMIT_BYTES });
      const answer = decodeAnswer(shown, res.status, body.text);
      return isVector(answer) ? E.right(answer) : E.left(answer);
    } catch (e) {
      return E.left(timedOut ? { _tag: 'Timeout', url: shown, timeoutMs } : { _tag: 'Network', url: shown, message: networkMessage(e) });
    } finally {
      clearTimeout(timer);
    }
  };

  return { query };
};
