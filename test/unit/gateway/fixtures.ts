/** Fixture builders for Gateway API rendering tests: a resolved gatewayAPI shift and its parent Service. */
import { resolveSpec } from '../../../src/api/trafficShift';
import { TrafficShiftSpec } from '../../../src/api/spec';
import { ShiftRef } from '../../../src/istio/render';
import { ParentService } from '../../../src/gateway';
import * as E from 'fp-ts/Either';

export const parent: ParentService = { ports: [{ name: 'http', port: 9080, targetPort: 9080, protocol: 'TCP' }], selector: { app: 'reviews' } };

/** shop/reviews with routing gatewayAPI and `over` merged into a canary spec. */
export const gatewayShift = (over: Record<string, unknown> = {}): ShiftRef => {
  const raw = { service: 'reviews', version: 'v2', routing: 'gatewayAPI', strategy: { canary: { steps: [10, 50] } }, ...over };
  const decoded = TrafficShiftSpec.decode(raw);
  if (E.isLeft(decoded)) throw new Error(`fixture does not decode: ${JSON.stringify(raw)}`);
  return { namespace: 'shop', name: 'reviews', uid: 'uid-1', spec: resolveSpec(decoded.right) };
};
