/** Shared builders for the istio tests: a TrafficShift manifest decoded and resolved like the daemon does. */
import * as E from 'fp-ts/Either';
import { resolveSpec, decodeTrafficShift } from '../../../src/api/trafficShift';
import { RouteIntent } from '../../../src/core/types';
import { ShiftRef } from '../../../src/istio/render';

export const canarySpec = { service: 'reviews', version: 'v2', strategy: { canary: { steps: [10, 25, 50] } } };

export const blueGreenSpec = {
  service: 'reviews',
  version: 'v2',
  strategy: { blueGreen: { previewMatch: { headers: { 'x-preview': { exact: 'true' } } }, previewDuration: '5m' } },
};

/** A/B: Cookie beta=1 (regex, as Istio matches cookies) or ?beta=1 reach the candidate, judged for 5 intervals. */
export const abTestSpec = {
  service: 'reviews',
  version: 'v2',
  strategy: {
    abTest: {
      match: [{ headers: { cookie: { regex: '^(.*?;)?(beta=1)(;.*)?$' } } }, { queryParams: { beta: { exact: '1' } }, method: { exact: 'GET' } }],
      iterations: 5,
    },
  },
};

/** A ShiftRef for shop/reviews from a spec as a user writes it (defaults filled by resolveSpec). */
export const shiftRef = (spec: object, name = 'reviews'): ShiftRef => {
  const decoded = decodeTrafficShift({ apiVersion: 'sluice.dev/v1alpha1', kind: 'TrafficShift', metadata: { name, namespace: 'shop' }, spec });
  if (E.isLeft(decoded)) throw new Error(JSON.stringify(decoded.left.errors));
  return { namespace: 'shop', name, uid: '7d3c1f0e-0000-4000-8000-000000000001', spec: resolveSpec(decoded.right.spec) };
};

export const intent = (stable: string, candidate: string | undefined, candidateWeight: number, preview = false): RouteIntent => ({
  stable,
  ...(candidate !== undefined ? { candidate } : {}),
  weights: { stable: 100 - candidateWeight, candidate: candidateWeight },
  preview,
});

/** The Right of an Either, or a failed test with the Left. */
export const right = <A>(e: E.Either<unknown, A>): A => {
  if (E.isLeft(e)) throw new Error(`expected Right, got ${JSON.stringify(e.left)}`);
  return e.right;
};
