/**
 * Partial decoding of VirtualServices and DestinationRules read from the API server. Only the
 * fields sluice manages are checked and typed; every other field (trafficPolicy, exportTo, tcp
 * routes, annotations, managedFields, ...) is kept untouched on the decoded object, so writing
 * it back never drops what someone else set (the partial-types idea of Argo Rollouts).
 */
import * as E from 'fp-ts/Either';
import * as t from 'io-ts';
import { toFieldErrors } from '../api/codecs';
import { formatFieldError } from '../api/fieldError';
import { MANAGED_BY, MANAGED_BY_LABEL, SHIFT_LABEL } from './types';

const OwnerRef = t.type({ apiVersion: t.string, kind: t.string, name: t.string, uid: t.string });

const Metadata = t.intersection([
  t.type({ name: t.string, namespace: t.string }),
  t.partial({
    labels: t.record(t.string, t.string, 'map of strings'),
    annotations: t.record(t.string, t.string, 'map of strings'),
    resourceVersion: t.string,
    uid: t.string,
    ownerReferences: t.array(OwnerRef, 'list of owner references'),
  }),
]);

const ExistingSubset = t.intersection([t.type({ name: t.string }), t.partial({ labels: t.record(t.string, t.string, 'map of strings') })]);

const ExistingDestinationRuleCodec = t.type({
  apiVersion: t.string,
  kind: t.literal('DestinationRule'),
  metadata: Metadata,
  spec: t.partial({ host: t.string, subsets: t.array(ExistingSubset, 'list of subsets') }),
});

const ExistingDestination = t.intersection([
  t.type({ destination: t.intersection([t.type({ host: t.string }), t.partial({ subset: t.string })]) }),
  t.partial({ weight: t.number }),
]);

const ExistingHttpRoute = t.partial({
  name: t.string,
  match: t.array(t.UnknownRecord, 'list of matches'),
  route: t.array(ExistingDestination, 'list of destinations'),
});

const ExistingVirtualServiceCodec = t.type({
  apiVersion: t.string,
  kind: t.literal('VirtualService'),
  metadata: Metadata,
  spec: t.partial({
    hosts: t.array(t.string, 'list of strings'),
    gateways: t.array(t.string, 'list of strings'),
    http: t.array(ExistingHttpRoute, 'list of HTTP routes'),
  }),
});

/** Index signature: the fields sluice does not manage are still there. */
export type Open<A> = A & { readonly [key: string]: unknown };

export type ExistingDestinationRule = Open<t.TypeOf<typeof ExistingDestinationRuleCodec>>;
export type ExistingVirtualService = Open<t.TypeOf<typeof ExistingVirtualServiceCodec>>;

/** A decoder of an object from the API server keeping the fields sluice does not manage, or a one-line reason naming it. */
export const decodeWith = <A>(codec: t.Decoder<unknown, A>, kind: string) => (u: unknown): E.Either<string, Open<A>> => {
  const result = codec.decode(u);
  if (E.isRight(result)) return E.right(result.right as Open<A>);
  const meta = (u as { metadata?: { namespace?: unknown; name?: unknown } } | null)?.metadata;
  const where = `${String(meta?.namespace ?? '?')}/${String(meta?.name ?? '?')}`;
  const first = toFieldErrors(result.left)[0];
  return E.left(`${kind} ${where}: ${first ? formatFieldError(first) : 'is not readable'}`);
};

/** A DestinationRule from the API server, or a one-line reason it cannot be used. */
export const decodeDestinationRule = decodeWith(ExistingDestinationRuleCodec, 'DestinationRule');

/** A VirtualService from the API server, or a one-line reason it cannot be used. */
export const decodeVirtualService = decodeWith(ExistingVirtualServiceCodec, 'VirtualService');

const labelOf = (obj: unknown, key: string): string | undefined => {
  const labels = (obj as { metadata?: { labels?: Record<string, unknown> } } | null | undefined)?.metadata?.labels;
  const value = typeof labels === 'object' && labels !== null ? labels[key] : undefined;
  return typeof value === 'string' ? value : undefined;
};

/** True when the object (any shape) carries `app.kubernetes.io/managed-by: sluice`. */
export const isManagedBySluice = (obj: unknown): boolean => labelOf(obj, MANAGED_BY_LABEL) === MANAGED_BY;

/** The TrafficShift named by the `sluice.dev/shift` label, if any. */
export const owningShift = (obj: unknown): string | undefined => labelOf(obj, SHIFT_LABEL);
