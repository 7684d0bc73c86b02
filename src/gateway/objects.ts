/**
 * Partial decoding of HTTPRoutes and per-version Services read from the caches. Only the fields
 * sluice reads are checked; everything else stays on the object, so writing it back keeps what
 * others set (status, annotations, other parents' fields).
 */
import * as t from 'io-ts';
import { decodeWith, Open } from '../istio/objects';

const Metadata = t.intersection([
  t.type({ name: t.string, namespace: t.string }),
  t.partial({
    labels: t.record(t.string, t.string, 'map of strings'),
    annotations: t.record(t.string, t.string, 'map of strings'),
    resourceVersion: t.string,
    uid: t.string,
    creationTimestamp: t.unknown,
  }),
]);

const ExistingBackendRef = t.intersection([t.type({ name: t.string }), t.partial({ weight: t.number, port: t.number, kind: t.string, group: t.string, namespace: t.string })]);
const ExistingRule = t.partial({ name: t.string, backendRefs: t.array(ExistingBackendRef, 'list of backendRefs') });

const ExistingHTTPRouteCodec = t.type({
  apiVersion: t.string,
  kind: t.literal('HTTPRoute'),
  metadata: Metadata,
  spec: t.partial({ rules: t.array(ExistingRule, 'list of rules'), parentRefs: t.array(t.UnknownRecord, 'list of parentRefs') }),
});

const ExistingServiceCodec = t.type({
  metadata: Metadata,
  spec: t.partial({
    selector: t.record(t.string, t.string, 'map of strings'),
    ports: t.array(t.intersection([t.type({ port: t.number }), t.partial({ name: t.string, protocol: t.string, appProtocol: t.string, targetPort: t.union([t.number, t.string]) })]), 'list of ports'),
  }),
});

export type ExistingHTTPRoute = Open<t.TypeOf<typeof ExistingHTTPRouteCodec>>;
export type ExistingService = Open<t.TypeOf<typeof ExistingServiceCodec>>;

/** An HTTPRoute from the cache, or a one-line reason it cannot be used. */
export const decodeHTTPRoute = decodeWith(ExistingHTTPRouteCodec, 'HTTPRoute');
/** A Service from the cache (slimmed: metadata, selector, ports), or a one-line reason. */
export const decodeService = decodeWith(ExistingServiceCodec, 'Service');

/** Names of the Services an HTTPRoute gives weight, with the weight (a lone backend without a weight has 1, as Gateway API defaults it). */
export const weightedBackends = (route: ExistingHTTPRoute): { readonly name: string; readonly weight: number }[] =>
  (route.spec.rules ?? []).flatMap((r) => (r.backendRefs ?? []).map((b) => ({ name: b.name, weight: b.weight ?? 1 })));

/** Every Service name an HTTPRoute's rules name, weighted or not. */
export const backendNames = (route: ExistingHTTPRoute | undefined): Set<string> =>
  new Set((route?.spec.rules ?? []).flatMap((r) => (r.backendRefs ?? []).map((b) => b.name)));
