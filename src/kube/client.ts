/**
 * The production Kube, over one connection to the API server (`connect`). Requests are built
 * here from a Resource's group, version and plural (no discovery round trip) and sent with
 * client-node 2.x's own HTTP stack: the kubeconfig's authentication and TLS
 * (KubeConfig.applySecurityAuthentication) and its fetch library. On top of it:
 *
 *   - every call ends within `timeoutMs` (--kube-timeout, default 10 s): a call with no answer by
 *     then is abandoned (its request aborted) and fails as Timeout. A hung call never holds a
 *     reconcile, an Event or a lease attempt; retrying is the queue's job (its backoff).
 *   - a call may also be given a signal (CallOptions): when it aborts, the call is abandoned the
 *     same way and fails as NotLeader (fencing: daemon/leader.ts aborts writes in flight when this
 *     replica's leadership ends).
 *   - every request, the informers' lists and watches included, carries
 *     `User-Agent: sluice/<version> (<identity>)`, so the API server's audit log names the replica.
 *   - one connection pool for every call (client-node makes a new undici Agent per request).
 */
// Types only: client-node is an ES module jest's unit project cannot load; undici is the HTTP
// library client-node itself sends with (its IsomorphicFetchHttpLibrary is undici's fetch).
import type { KubeConfig, RequestContext } from '@kubernetes/client-node';
import { Dispatcher, fetch } from 'undici';
import * as E from 'fp-ts/Either';
import { TaskEither } from 'fp-ts/TaskEither';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { notLeader, timedOut, toKubeError, KubeError } from './errors';
import { CallOptions, Kube } from './kube';
import { apiVersionOf, collectionPath, FIELD_MANAGER, KubeObject, objectPath, ObjectRef, Resource } from './objects';

/** Default of --kube-timeout: the longest one Kubernetes call may take. */
export const DEFAULT_KUBE_TIMEOUT_MS = 10_000;

export interface ClientOptions {
  /** Sent as User-Agent on every request (contract B: userAgentFor(identity)). Default client-node's own. */
  readonly userAgent?: string;
  /** Longest one call may take, ms; a call with no answer by then fails as Timeout. Default 10 s. */
  readonly timeoutMs?: number;
  /** Told of every request sent (not watches) once it answered: its method and HTTP status, or "error" when it had no answer. Default none. */
  readonly onAnswer?: (method: ApiRequest['method'], status: number | 'error') => void;
}

/** sluice's version, from its package.json (found upwards from this file: src/ under ts-jest, dist/src/ when built). */
export const sluiceVersion = (): string => {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: unknown; version?: unknown };
      if (pkg.name === 'sluice' && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // not here: look one level up
    }
    if (dirname(dir) === dir) return '0.0.0';
  }
};

/**
 * The User-Agent of a replica: `sluice/<version> (<identity>)` (contract B; the audit checker
 * reads the identity from the parentheses). Characters a header or the parentheses cannot hold
 * become `_`.
 */
export const userAgentFor = (identity: string, version: string = sluiceVersion()): string =>
  `sluice/${version} (${identity.replace(/[^\x20-\x7e]|[()]/g, '_')})`;

/** One HTTP request to the API server. */
export interface ApiRequest {
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Absolute API path, e.g. /apis/networking.istio.io/v1/namespaces/shop/virtualservices/reviews. */
  readonly path: string;
  readonly query?: Readonly<Record<string, string>>;
  /** Sent as JSON. */
  readonly body?: unknown;
  /** Default application/json. */
  readonly contentType?: string;
}

export interface ApiResponse {
  readonly status: number;
  /** Response headers, lower-case names (e.g. `date`: the API server's clock). */
  readonly headers: Readonly<Record<string, string>>;
  readonly text: string;
}

/** Why a request was abandoned before it answered. */
export class Abandoned extends Error {
  constructor(
    /** `timeout`: no answer within afterMs; `signal`: the caller's signal aborted. */
    readonly reason: 'timeout' | 'signal',
    readonly afterMs: number,
  ) {
    super(reason === 'timeout' ? `no answer within ${afterMs} ms` : 'abandoned by the caller');
  }
}

/** A connection to the API server, shared by the Kube calls and the informers. */
export interface Connection {
  /**
   * Send one request; resolves with any HTTP answer, rejects with Abandoned (timeout or signal)
   * or the transport's error (unreachable, TLS, ...).
   */
  readonly send: (req: ApiRequest, options?: CallOptions & { readonly timeoutMs?: number }) => Promise<ApiResponse>;
  /** The KubeConfig to give client-node's Watch: the same authentication, plus the User-Agent. */
  readonly watchConfig: KubeConfig;
  /** The call timeout, ms. */
  readonly timeoutMs: number;
}

/**
 * The request context KubeConfig.applySecurityAuthentication fills in: headers (Authorization,
 * impersonation) and the dispatcher that carries TLS (CA, client certificate) or a proxy.
 * client-node's RequestContext has more; this is the part that method calls.
 */
class AuthContext {
  readonly headers: Record<string, string> = {};
  dispatcher: Dispatcher | undefined;
  setHeaderParam(key: string, value: string): void {
    this.headers[key] = value;
  }
  setDispatcher(dispatcher: Dispatcher): void {
    this.dispatcher = dispatcher;
  }
  getDispatcher(): Dispatcher | undefined {
    return this.dispatcher;
  }
  getHeaders(): Record<string, string> {
    return this.headers;
  }
}

export const connect = (kc: KubeConfig, options: ClientOptions = {}): Connection => {
  const timeoutMs = options.timeoutMs ?? DEFAULT_KUBE_TIMEOUT_MS;
  let pool: Dispatcher | undefined;

  /** Authentication from the kubeconfig, sluice's User-Agent, and one shared connection pool. */
  const authorize = async (ctx: RequestContext | AuthContext): Promise<void> => {
    await kc.applySecurityAuthentication(ctx as RequestContext);
    if (options.userAgent !== undefined) ctx.setHeaderParam('User-Agent', options.userAgent);
    // applySecurityAuthentication makes a new dispatcher (connection pool) per request: keep the first.
    const made = ctx.getDispatcher() as Dispatcher | undefined;
    if (made !== undefined) {
      pool ??= made;
      ctx.setDispatcher(pool as never);
    }
  };

  // client-node's Watch calls getCurrentCluster() and applySecurityAuthentication(ctx) on its config.
  const watchConfig = Object.create(kc) as KubeConfig;
  watchConfig.applySecurityAuthentication = authorize;

  const send: Connection['send'] = async (req, callOptions = {}) => {
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new Error('the kubeconfig names no current cluster');
    const ms = callOptions.timeoutMs ?? timeoutMs;
    const timeout = AbortSignal.timeout(ms);
    const signal = callOptions.signal ? AbortSignal.any([timeout, callOptions.signal]) : timeout;
    const url = new URL(`${cluster.server.replace(/\/+$/, '')}${req.path}`);
    for (const [k, v] of Object.entries(req.query ?? {})) url.searchParams.set(k, v);

    // The race ends the call at the deadline even where the signal cannot reach (an auth plugin that hangs).
    let onAbort = (): void => undefined;
    const abandoned = new Promise<never>((_, reject) => {
      onAbort = () => reject(new Abandoned(callOptions.signal?.aborted ? 'signal' : 'timeout', ms));
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
    });
    const answered = (async (): Promise<ApiResponse> => {
      const ctx = new AuthContext();
      await authorize(ctx);
      const response = await fetch(url, {
        method: req.method,
        headers: {
          ...ctx.headers,
          Accept: 'application/json',
          ...(req.body !== undefined ? { 'Content-Type': req.contentType ?? 'application/json' } : {}),
        },
        ...(req.body !== undefined ? { body: JSON.stringify(req.body) } : {}),
        ...(ctx.dispatcher ? { dispatcher: ctx.dispatcher } : {}),
        signal,
      });
      return { status: response.status, headers: Object.fromEntries(response.headers.entries()), text: await response.text() };
    })();
    try {
      const res = await Promise.race([answered, abandoned]);
      options.onAnswer?.(req.method, res.status);
      return res;
    } catch (e) {
      options.onAnswer?.(req.method, 'error');
      throw e;
    } finally {
      signal.removeEventListener('abort', onAbort);
      answered.catch(() => undefined);
    }
  };

  return { send, watchConfig, timeoutMs };
};

/** The body of a 2xx answer, as plain JSON. */
const parsed = (text: string): KubeObject => JSON.parse(text) as KubeObject;

/** Whether `verb` changes the object (a write abandoned in flight may or may not have been applied). */
const isWrite = (verb: string): boolean => verb !== 'read';

/** A thrown send() as a KubeError for `ref`, doing `verb`. */
export const sendError = (ref: ObjectRef, verb: string, e: unknown): KubeError => {
  const what = `${verb} ${ref.resource.kind} ${ref.namespace}/${ref.name}`;
  const maybe = isWrite(verb) ? '; it may or may not have been applied' : '';
  if (e instanceof Abandoned)
    return e.reason === 'timeout'
      ? timedOut(ref, `${what}: no answer from the API server within ${e.afterMs} ms (--kube-timeout); abandoned${maybe}`)
      : notLeader(ref, `${what}: abandoned in flight: this replica's leadership ended (the lease was not renewed within --renew-deadline)${maybe}`);
  const cause = (e as { cause?: { message?: unknown; code?: unknown } } | undefined)?.cause;
  const detail = cause && typeof cause.message === 'string' ? `: ${cause.message}` : '';
  return toKubeError(ref, verb, { message: `${(e as Error | undefined)?.message ?? String(e)}${detail}` });
};

/** The object with its apiVersion and kind. */
const header = (resource: Resource, obj: KubeObject): KubeObject => ({ ...obj, apiVersion: apiVersionOf(resource), kind: resource.kind });

const refOf = (resource: Resource, obj: KubeObject): ObjectRef => ({ resource, namespace: obj.metadata.namespace ?? '', name: obj.metadata.name });

export const makeKube = (connection: Connection): Kube => {
  const call =
    (ref: ObjectRef, verb: string, req: ApiRequest, options?: CallOptions): TaskEither<KubeError, KubeObject> =>
    async () => {
      try {
        const res = await connection.send(req, options);
        return res.status >= 200 && res.status < 300 ? E.right(parsed(res.text)) : E.left(toKubeError(ref, verb, { code: res.status, body: res.text }));
      } catch (e) {
        return E.left(sendError(ref, verb, e));
      }
    };
  const managed = { fieldManager: FIELD_MANAGER };

  return {
    get: (ref, options) => call(ref, 'read', { method: 'GET', path: objectPath(ref) }, options),
    create: (resource, obj, options) => {
      const ref = refOf(resource, obj);
      return call(ref, 'create', { method: 'POST', path: collectionPath(resource, ref.namespace), query: managed, body: header(resource, obj) }, options);
    },
    replace: (resource, obj, options) => {
      const ref = refOf(resource, obj);
      return call(ref, 'update', { method: 'PUT', path: objectPath(ref), query: managed, body: header(resource, obj) }, options);
    },
    mergePatch: (ref, patch, options) =>
      call(ref, 'patch', { method: 'PATCH', path: objectPath(ref), query: managed, body: patch, contentType: 'application/merge-patch+json' }, options),
    replaceStatus: (ref, obj, options) =>
      call(ref, 'update status of', { method: 'PUT', path: `${objectPath(ref)}/status`, query: managed, body: header(ref.resource, obj) }, options),
    delete: (ref, resourceVersion, options) =>
      call(ref, 'delete', { method: 'DELETE', path: objectPath(ref), body: { apiVersion: 'v1', kind: 'DeleteOptions', preconditions: { resourceVersion } } }, options),
  };
};
