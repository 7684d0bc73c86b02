/**
 * What can go wrong behind the dashboard, as a closed union the page shows as such (never a blank
 * page): each case carries a sentence for the person looking at it. The HTTP status the server
 * answers with is chosen here too, so the page can tell "no access" from "not there".
 */
import { KubeError, statusMessage } from '../kube/errors';

export type Problem =
  /** The kubeconfig's user may not do this (401/403): RBAC, or an expired credential. */
  | { readonly _tag: 'NoAccess'; readonly message: string }
  /** The shift (or its API) does not exist. */
  | { readonly _tag: 'NotFound'; readonly message: string }
  /** The API server could not be reached, timed out or is overloaded. */
  | { readonly _tag: 'ApiUnavailable'; readonly message: string }
  /** The API server refused the request (400/409/422) with its reason. */
  | { readonly _tag: 'Refused'; readonly message: string }
  /** The daemon did not answer a command in time: `sluice run` is probably not running. */
  | { readonly _tag: 'DaemonSilent'; readonly message: string }
  /** Prometheus did not answer, or answered with an error. */
  | { readonly _tag: 'PrometheusUnavailable'; readonly message: string }
  /** No Prometheus URL: neither --prometheus-url nor the shift's spec.analysis.prometheus.url. */
  | { readonly _tag: 'NoPrometheus'; readonly message: string }
  /** The page sent something the dashboard does not accept (a weight of 140, an unknown action). */
  | { readonly _tag: 'BadRequest'; readonly message: string };

export type ProblemTag = Problem['_tag'];

export const problem = (tag: ProblemTag, message: string): Problem => ({ _tag: tag, message });

/** The HTTP status the dashboard's API answers a problem with. */
export const httpStatusOf = (p: Problem): number => {
  switch (p._tag) {
    case 'NoAccess':
      return 403;
    case 'NotFound':
      return 404;
    case 'BadRequest':
      return 400;
    case 'Refused':
      return 422;
    case 'DaemonSilent':
      return 504;
    case 'ApiUnavailable':
    case 'PrometheusUnavailable':
    case 'NoPrometheus':
      return 502;
  }
};

/**
 * A Kubernetes client error (ApiException with `code` and `body`, a watch error with
 * `statusCode`, a network error) as a Problem about `what` ("list TrafficShifts in namespace shop").
 */
export const kubeProblem = (what: string, e: unknown): Problem => {
  const err = e as { code?: unknown; statusCode?: unknown; body?: unknown; message?: unknown };
  const status = typeof err?.code === 'number' ? err.code : typeof err?.statusCode === 'number' ? err.statusCode : undefined;
  const said = statusMessage(err?.body) ?? (typeof err?.message === 'string' ? err.message : String(e));
  if (status === undefined) return problem('ApiUnavailable', `cannot ${what}: the API server could not be reached: ${said}`);
  if (status === 401) return problem('NoAccess', `cannot ${what}: the API server did not accept your credentials (401); log in again or check the kubeconfig: ${said}`);
  if (status === 403) return problem('NoAccess', `your user may not ${what} (403): ${said} (${ROLE_HINT})`);
  if (status === 404) return problem('NotFound', `cannot ${what}: not found (404): ${said}`);
  if (status === 400 || status === 409 || status === 422) return problem('Refused', `cannot ${what}: the API server refused it (${status}): ${said}`);
  return problem('ApiUnavailable', `cannot ${what}: the API server answered ${status}: ${said}`);
};

/** The roles a person needs, said where access is missing. */
const ROLE_HINT = 'reading shifts needs get, list and watch on trafficshifts.sluice.dev (the chart\'s sluice-view role); commands need patch (sluice-operator)';

/**
 * A KubeError of the CLI's client (src/cli/kubeShifts.ts) as a Problem. Its sentence already names
 * the operation and the object; the advice about the daemon's ClusterRole is replaced by the
 * roles a person needs, since here the user's own rights are in play.
 */
export const kubeErrorProblem = (e: KubeError): Problem => {
  switch (e._tag) {
    case 'Forbidden':
      return problem('NoAccess', `${e.message.replace('; check the sluice ClusterRole', '')} (${ROLE_HINT})`);
    case 'NotFound':
      return problem('NotFound', e.message);
    case 'Conflict':
    case 'Invalid':
      return problem('Refused', e.message);
    case 'Unavailable':
    case 'Timeout':
    case 'NotLeader':
    case 'Unknown':
      return problem('ApiUnavailable', e.message);
  }
};
