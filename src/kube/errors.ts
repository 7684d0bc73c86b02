/**
 * What can go wrong talking to the Kubernetes API, as a closed union. Every case carries a
 * sentence naming the object and the operation, so a log line or a status message can quote it.
 */
import { ObjectRef, refString } from './objects';

export type KubeError =
  /** The object changed since it was read (HTTP 409 on an update guarded by resourceVersion). Re-read and decide again. */
  | { readonly _tag: 'Conflict'; readonly ref: ObjectRef; readonly message: string }
  /** The object (or its API) does not exist (HTTP 404). */
  | { readonly _tag: 'NotFound'; readonly ref: ObjectRef; readonly message: string }
  /** The daemon's service account may not do this (HTTP 401/403): a RBAC problem, not retried quickly. */
  | { readonly _tag: 'Forbidden'; readonly ref: ObjectRef; readonly message: string }
  /** The API server rejected the object (HTTP 400/422), with its own words. */
  | { readonly _tag: 'Invalid'; readonly ref: ObjectRef; readonly message: string }
  /** The API server could not be reached or is overloaded (network error, 429, 5xx). Retried with backoff. */
  | { readonly _tag: 'Unavailable'; readonly ref: ObjectRef; readonly message: string }
  /**
   * No answer within the call timeout (--kube-timeout, default 10 s): the request was abandoned.
   * A write may or may not have been applied; the next reconcile reads and decides again. Retried with backoff.
   */
  | { readonly _tag: 'Timeout'; readonly ref: ObjectRef; readonly message: string }
  /**
   * A write refused before it was sent, or abandoned in flight, because this replica does not
   * (or no longer) hold the leader lease (daemon/leader.ts fenceWrites). Not retried: the leader does the work.
   */
  | { readonly _tag: 'NotLeader'; readonly ref: ObjectRef; readonly message: string }
  /** Anything else, with what we know. */
  | { readonly _tag: 'Unknown'; readonly ref: ObjectRef; readonly message: string };

export type KubeErrorTag = KubeError['_tag'];

const make = (tag: KubeErrorTag) => (ref: ObjectRef, message: string): KubeError => ({ _tag: tag, ref, message });
export const conflict = make('Conflict');
export const notFound = make('NotFound');
export const forbidden = make('Forbidden');
export const invalid = make('Invalid');
export const unavailable = make('Unavailable');
export const timedOut = make('Timeout');
export const notLeader = make('NotLeader');
export const unknownError = make('Unknown');

/** The API server's own explanation from a Status body, if there is one. */
export const statusMessage = (body: unknown): string | undefined => {
  if (typeof body === 'string') {
    try {
      return statusMessage(JSON.parse(body));
    } catch {
      return body.trim().length > 0 ? body.trim() : undefined;
    }
  }
  if (typeof body === 'object' && body !== null && typeof (body as { message?: unknown }).message === 'string')
    return (body as { message: string }).message;
  return undefined;
};

/**
 * Classify anything thrown by the client (ApiException with `code` and `body`, fetch/network
 * errors) into a KubeError for `ref`, doing `verb`.
 */
export const toKubeError = (ref: ObjectRef, verb: string, e: unknown): KubeError => {
  const err = e as { code?: unknown; statusCode?: unknown; body?: unknown; message?: unknown; name?: unknown };
  const status = typeof err?.code === 'number' ? err.code : typeof err?.statusCode === 'number' ? err.statusCode : undefined;
  const said = statusMessage(err?.body) ?? (typeof err?.message === 'string' ? err.message : String(e));
  const what = `${verb} ${refString(ref)}`;
  if (status === undefined) return unavailable(ref, `${what}: the API server could not be reached: ${said}`);
  if (status === 409) return conflict(ref, `${what}: the object changed since it was read (409): ${said}`);
  if (status === 404) return notFound(ref, `${what}: not found (404): ${said}`);
  if (status === 401 || status === 403) return forbidden(ref, `${what}: not allowed (${status}); check the sluice ClusterRole: ${said}`);
  if (status === 400 || status === 422) return invalid(ref, `${what}: rejected by the API server (${status}): ${said}`);
  if (status === 429 || status >= 500) return unavailable(ref, `${what}: the API server is unavailable (${status}): ${said}`);
  return unknownError(ref, `${what}: unexpected HTTP ${status}: ${said}`);
};

