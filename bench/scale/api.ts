/**
 * The benchmark's own calls to the API server: sluice's Connection (src/kube/client.ts: the
 * kubeconfig's TLS, one connection pool) with a bound on requests in flight, so thousands of
 * objects are created in parallel without opening thousands of sockets.
 */
import { KubeConfig } from '@kubernetes/client-node';
import { ApiRequest, ApiResponse, connect, Connection } from '../../src/kube/client';

export interface Api {
  /** Send one request; resolves with any HTTP answer. */
  readonly send: (req: ApiRequest) => Promise<ApiResponse>;
  /** Send and expect 2xx (or one of `ok`): the parsed body; anything else throws with the answer. */
  readonly json: <T = unknown>(req: ApiRequest, ok?: readonly number[]) => Promise<T>;
  /** Run `fn` over `items` with at most `limit` in flight; resolves when all are done. */
  readonly each: <A>(items: readonly A[], fn: (a: A, i: number) => Promise<unknown>, limit?: number) => Promise<void>;
}

/** Default requests in flight for bulk creation: enough to keep 2 cores' apiserver busy. */
export const DEFAULT_PARALLEL = 32;

export const connectApi = (kubeconfig: string): Api => {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  const connection: Connection = connect(kc, { userAgent: 'sluice-bench-scale', timeoutMs: 120_000 });
  const send = (req: ApiRequest): Promise<ApiResponse> => connection.send(req);
  const json = async <T>(req: ApiRequest, ok: readonly number[] = []): Promise<T> => {
    const res = await send(req);
    if ((res.status >= 200 && res.status < 300) || ok.includes(res.status)) return (res.text ? JSON.parse(res.text) : undefined) as T;
    throw new Error(`${req.method} ${req.path}: HTTP ${res.status}: ${res.text.slice(0, 300)}`);
  };
  const each = async <A>(items: readonly A[], fn: (a: A, i: number) => Promise<unknown>, limit = DEFAULT_PARALLEL): Promise<void> => {
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < items.length) {
        const i = next++;
        await fn(items[i]!, i);
      }
    };
    await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  };
  return { send, json, each };
};

/** Retry `fn` while it throws, up to `tries` times, `delayMs` apart (a new namespace's ServiceAccount comes a moment later). */
export const retrying = async <T>(fn: () => Promise<T>, tries = 60, delayMs = 500): Promise<T> => {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (e) {
      if (i >= tries) throw e;
      await new Promise((r) => setTimeout(r, delayMs));
    }
  }
};
