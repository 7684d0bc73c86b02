/**
 * Prometheus range queries (`POST /api/v1/query_range`) for the dashboard's charts. The gate's
 * client (src/prometheus/client.ts) asks instant queries only; this adds the one call a chart
 * needs and answers with the same closed `PromError` union, so failures read the same.
 */
import * as E from 'fp-ts/Either';
import * as TE from 'fp-ts/TaskEither';
import { BODY_LIMIT_BYTES, clipText, displayUrl, PromError, readCapped } from '../prometheus/client';

/** One series of a range answer: its labels and its points [epoch ms, value]. */
export interface RangeSeries {
  readonly labels: Readonly<Record<string, string>>;
  readonly points: readonly (readonly [number, number])[];
}

export interface RangeQuery {
  readonly expr: string;
  /** Epoch ms. */
  readonly start: number;
  readonly end: number;
  readonly stepMs: number;
}

/** Read a query_range answer (pure): a matrix, or why not. */
export const decodeMatrix = (url: string, status: number, body: string): E.Either<PromError, readonly RangeSeries[]> => {
  let doc: { status?: unknown; errorType?: unknown; error?: unknown; data?: { resultType?: unknown; result?: unknown } } | null;
  try {
    doc = JSON.parse(body);
  } catch {
    return E.left(status >= 200 && status < 300 ? { _tag: 'Decode', url, message: `non-JSON body (${Buffer.byteLength(body)} bytes)` } : { _tag: 'Http', url, status, json: false, bytes: Buffer.byteLength(body) });
  }
  if (doc?.status === 'error') return E.left({ _tag: 'PromQL', url, errorType: typeof doc.errorType === 'string' ? clipText(doc.errorType, 40) : 'unknown', error: clipText(String(doc.error ?? '')) });
  if (status < 200 || status >= 300) return E.left({ _tag: 'Http', url, status, json: true, bytes: Buffer.byteLength(body) });
  if (doc?.data?.resultType !== 'matrix' || !Array.isArray(doc.data.result)) return E.left({ _tag: 'Decode', url, message: 'expected {"status":"success","data":{"resultType":"matrix",…}}' });
  const series: RangeSeries[] = [];
  for (const item of doc.data.result as { metric?: Record<string, string>; values?: unknown }[]) {
    const values = Array.isArray(item.values) ? (item.values as unknown[]) : [];
    const points = values
      .filter((v): v is [number, string] => Array.isArray(v) && typeof v[0] === 'number' && typeof v[1] === 'string')
      .map(([t, v]) => [Math.round(t * 1000), Number(v)] as const)
      .filter(([, v]) => Number.isFinite(v));
    series.push({ labels: item.metric ?? {}, points });
  }
  return E.right(series);
};

/** Run one range query against `baseUrl` (a path prefix is kept), within `timeoutMs`. */
export const queryRange = (baseUrl: string, q: RangeQuery, timeoutMs = 10_000): TE.TaskEither<PromError, readonly RangeSeries[]> => async () => {
  const shown = displayUrl(baseUrl);
  if (!URL.canParse(baseUrl)) return E.left({ _tag: 'Network', url: shown, message: 'the URL is not valid' });
  const u = new URL(baseUrl);
  const endpoint = `${u.origin}${u.pathname.replace(/\/$/, '')}/api/v1/query_range`;
  const form = new URLSearchParams({ query: q.expr, start: (q.start / 1000).toFixed(3), end: (q.end / 1000).toFixed(3), step: `${Math.max(1, Math.round(q.stepMs / 1000))}s` });
  try {
    const res = await fetch(endpoint, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
      body: form.toString(),
      signal: AbortSignal.timeout(timeoutMs),
      redirect: 'manual',
    });
    if (res.status >= 300 && res.status < 400) return E.left({ _tag: 'Redirect', url: shown, status: res.status });
    const body = await readCapped(res, BODY_LIMIT_BYTES);
    if ('over' in body) return E.left({ _tag: 'TooLarge', url: shown, limit: BODY_LIMIT_BYTES });
    return decodeMatrix(shown, res.status, body.text);
  } catch (e) {
    const err = e as { name?: string; message?: string; cause?: { message?: string; code?: string } };
    if (err.name === 'TimeoutError') return E.left({ _tag: 'Timeout', url: shown, timeoutMs });
    return E.left({ _tag: 'Network', url: shown, message: clipText(err.cause?.message ?? err.cause?.code ?? err.message ?? String(e)) });
  }
};
