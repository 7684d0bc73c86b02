/**
 * The daemon's side of `spec.routing: gatewayAPI`: what it observes of the Gateway API objects a
 * shift owns (from the caches), and how it writes and releases them. Decisions stay in the core;
 * rendering and write plans are pure (src/gateway). reconcile.ts calls:
 *   observeGateway  -> problem (held like any other), whether the objects may be written, and
 *                      whether the route in place reaches a ready pod;
 *   writeGateway    -> per-version Services, then the HTTPRoute (or a wait for the Services'
 *                      endpoints), then deletions; a refusal is a RoutesNotApplied problem;
 *   releaseGateway  -> on deletion or when spec.service moves: pin the HTTPRoute (ADR 0004).
 */
import * as E from 'fp-ts/Either';
import { ResolvedSpec } from '../api/spec';
import { ShiftStatus } from '../api/status';
import { Decision, Problem, RouteIntent, VersionPods } from '../core/types';
import {
  decodeHTTPRoute, decodeService, ExistingHTTPRoute, ExistingService, FOR_SERVICE_LABEL, GatewayCurrent, GatewayWrite,
  gatewayOwnershipProblem, httpRouteProblems, ParentService, planGatewayRelease, planGatewayWrites, renderGateway, ServicePort, versionServiceName,
  weightedBackends,
} from '../gateway';
import { isManagedBySluice, owningShift, RenderOptions } from '../istio';
import { Caches } from '../kube/caches';
import { KubeError } from '../kube/errors';
import { Kube } from '../kube/kube';
import { HTTP_ROUTES, KubeObject, SERVICES } from '../kube/objects';
import { checkTargets, writtenKey } from './targets';

/** What a pass knows about a gatewayAPI shift's objects. */
export interface GatewayView {
  /** Why the objects cannot be written (or a refusal of the spec), held like any other problem. */
  readonly problem?: Problem;
  /** The objects may be written (readable, owned, a usable parent Service). */
  readonly writable: boolean;
  readonly current: GatewayCurrent;
  readonly parent?: ParentService;
}

const REASON_OFF = 'this sluice runs without --gateway-api (chart value gatewayAPI.enabled), so it does not watch or write HTTPRoutes';

/** The parent Service's ports and selector, or why it cannot be a parent (undefined: not there yet). */
const parentOf = (raw: KubeObject | undefined): E.Either<string, ParentService | undefined> => {
  if (raw === undefined) return E.right(undefined);
  const decoded = decodeService(raw);
  if (E.isLeft(decoded)) return E.left(decoded.left);
  const ports = (decoded.right.spec.ports ?? []) as ServicePort[];
  const selector = decoded.right.spec.selector ?? {};
  if (ports.length !== 1)
    return E.left(`Service ${raw.metadata.namespace}/${raw.metadata.name} has ${ports.length} ports (${ports.map((p) => `${p.name ?? '?'} ${p.port}`).join(', ') || 'none'}); spec.routing: gatewayAPI routes a Service with exactly one port`);
  if (Object.keys(selector).length === 0) return E.left(`Service ${raw.metadata.namespace}/${raw.metadata.name} has no selector; spec.routing: gatewayAPI derives the per-version Services from it`);
  return E.right({ ports, selector });
};

/** The versions a pass may route: spec.version and the ones status records. */
const versionsOf = (spec: ResolvedSpec, status: ShiftStatus): string[] =>
  [...new Set([spec.version, status.stableVersion, status.candidateVersion].filter((v): v is string => v !== undefined))];

/** The per-version Services of `service` in the cache: every one labelled for it, and any Service holding a name sluice would use. */
const currentServices = (caches: Caches, namespace: string, service: string, names: readonly string[]): E.Either<string, Map<string, ExistingService>> => {
  const out = new Map<string, ExistingService>();
  const raws = [
    ...(caches.services?.(namespace) ?? []).filter((s) => s.metadata.labels?.[FOR_SERVICE_LABEL] === service),
    ...names.map((n) => caches.service(namespace, n)).filter((s): s is KubeObject => s !== undefined),
  ];
  for (const raw of raws) {
    const d = decodeService(raw);
    if (E.isLeft(d)) return d;
    out.set(d.right.metadata.name, d.right);
  }
  return E.right(out);
};

/** Observe a gatewayAPI shift's objects. `enabled`: the daemon watches HTTPRoutes (--gateway-api). */
export const observeGateway = (
  caches: Caches, shift: { readonly namespace: string; readonly name: string }, spec: ResolvedSpec, status: ShiftStatus, enabled: boolean,
): GatewayView => {
  const { namespace, name } = shift;
  const where = `${namespace}/${name}`;
  const empty: GatewayCurrent = { services: new Map() };
  const refused = (message: string, reason: Problem['reason'] = 'Refused'): GatewayView => ({ problem: { reason, message: `${where}: ${message}` }, writable: false, current: empty });
  if (!enabled || caches.httpRoute === undefined) return refused(`spec.routing: "gatewayAPI" cannot be served: ${REASON_OFF}`);
  const vs = caches.virtualService(namespace, spec.service);
  if (vs && isManagedBySluice(vs) && owningShift(vs) === name)
    return refused(`spec.routing: "gatewayAPI", but this shift routes Service ${spec.service} through VirtualService ${namespace}/${spec.service}; changing the routing kind of a live shift is not supported: delete the TrafficShift (its routes stay pinned), delete the VirtualService and DestinationRule ${spec.service}, then create the shift again`);
  const parent = parentOf(caches.service(namespace, spec.service));
  if (E.isLeft(parent)) return refused(`spec.service: ${parent.left}`);
  const rawRoute = caches.httpRoute(namespace, spec.service);
  const route = rawRoute ? decodeHTTPRoute(rawRoute) : E.right(undefined);
  if (E.isLeft(route)) return refused(`${route.left}; fix or delete it`, 'UnreadableRoutes');
  const names = versionsOf(spec, status).map((v) => versionServiceName(spec.service, v));
  const services = currentServices(caches, namespace, spec.service, names);
  if (E.isLeft(services)) return refused(`${services.left}; fix or delete it`, 'UnreadableRoutes');
  const current: GatewayCurrent = { ...(route.right ? { httpRoute: route.right } : {}), services: services.right };
  const notOwned = gatewayOwnershipProblem(current, names, shift, (n) => caches.shift(namespace, n) !== undefined);
  if (notOwned !== undefined) return { problem: { reason: 'NotOwned', message: `${where}: ${notOwned}; delete or rename it` }, writable: false, current };
  return { writable: parent.right !== undefined, current, ...(parent.right ? { parent: parent.right } : {}) };
};

/**
 * Whether the HTTPRoute in place reaches a ready pod: some backend with weight is a Service whose
 * version (its selector's version label) has a ready pod. No HTTPRoute: whether any pod is ready.
 */
export const gatewayServingReady = (current: GatewayCurrent, pods: Readonly<Record<string, VersionPods>>, versionLabel: string): boolean => {
  if (current.httpRoute === undefined) return Object.values(pods).some((p) => p.ready > 0);
  return weightedBackends(current.httpRoute).some((b) => {
    if (b.weight <= 0) return false;
    const version = current.services.get(b.name)?.spec.selector?.[versionLabel];
    return version !== undefined && (pods[version]?.ready ?? 0) > 0;
  });
};

/** How a write ended when it did not: the API server refused it, or an object moved (409). */
export type GatewayTrouble =
  | { readonly _tag: 'Refused'; readonly problem: Problem; readonly error?: KubeError }
  | { readonly _tag: 'Stale' };

type Applied = { readonly _tag: 'Done' } | { readonly _tag: 'Stale' } | { readonly _tag: 'Failed'; readonly error: KubeError };

/**
 * Apply gateway writes in order, stopping at the first failure. Before an HTTPRoute write, the
 * backend Services the plan did not write are read from the API server (targets.ts): one the
 * cache still holds but the server does not is Stale (wait for the cache, plan again), never a
 * route to it. A Service already gone when sluice deletes it is gone as planned; an HTTPRoute gone
 * when sluice replaces it (its namespace being deleted) is Stale.
 */
export const applyGatewayWrites = async (kube: Kube, writes: readonly GatewayWrite[]): Promise<Applied> => {
  const written = new Set<string>();
  for (const w of writes) {
    const ref = { resource: w.kind === 'HTTPRoute' ? HTTP_ROUTES : SERVICES, namespace: w.namespace, name: w.name };
    if (w.kind === 'HTTPRoute') {
      const targets = await checkTargets(kube, { kind: 'HTTPRoute', object: w.object as unknown as KubeObject }, written);
      if (targets._tag === 'Unreadable') return { _tag: 'Failed', error: targets.error };
      if (targets._tag !== 'Present') return { _tag: 'Stale' };
    }
    const run = () => {
      switch (w.op) {
        case 'create':
          return kube.create(ref.resource, w.object as unknown as KubeObject);
        case 'update': {
          const { managedFields: _m, ...metadata } = (w.object as unknown as KubeObject).metadata;
          return kube.replace(ref.resource, { ...(w.object as unknown as KubeObject), metadata });
        }
        case 'patch':
          return kube.mergePatch(ref, w.patch);
        case 'delete':
          return kube.delete ? kube.delete(ref, w.resourceVersion) : undefined;
      }
    };
    const task = run();
    if (task === undefined) continue; // a Kube that cannot delete leaves the Service
    const r = await task();
    if (E.isLeft(r)) {
      if (r.left._tag === 'NotFound' && w.op === 'delete') continue;
      if (r.left._tag === 'Conflict' || (r.left._tag === 'NotFound' && w.kind === 'HTTPRoute')) return { _tag: 'Stale' };
      return { _tag: 'Failed', error: r.left };
    }
    if (w.kind === 'Service' && w.op !== 'delete') written.add(writtenKey('Service', w.name));
  }
  return { _tag: 'Done' };
};

/**
 * Render, check and write a gatewayAPI shift's objects. Waiting: the per-version Services were
 * written but the route waits for a backend's endpoints (look again soon). A fallback the server
 * refuses because of fields copied from spec.route is written again without them.
 */
export const writeGateway = async (
  kube: Kube, shift: { namespace: string; name: string; uid: string; spec: ResolvedSpec }, routes: RouteIntent, view: GatewayView,
  pods: Readonly<Record<string, VersionPods>>, decision: Decision, options: RenderOptions = {},
): Promise<{ readonly _tag: 'Done' } | { readonly _tag: 'Waiting'; readonly for: readonly string[] } | GatewayTrouble> => {
  const where = `${shift.namespace}/${shift.name}`;
  const parent = view.parent!;
  const attempt = async (spec: ResolvedSpec) => {
    const rendered = renderGateway({ ...shift, spec }, routes, parent, options);
    const versionOf = new Map(rendered.services.map((s) => [s.metadata.name, s.spec.selector[spec.versionLabel]]));
    const plan = planGatewayWrites(view.current, rendered, { name: shift.name, service: spec.service }, (n) => (pods[versionOf.get(n) ?? '']?.ready ?? 0) > 0);
    const routeWrite = plan.writes.find((w) => w.kind === 'HTTPRoute');
    if (routeWrite !== undefined) {
      // Render always passes this (property-tested); it stays the last check before traffic moves.
      const exists = new Set([...view.current.services.keys(), ...rendered.services.map((s) => s.metadata.name)]);
      const unsafe = httpRouteProblems(rendered.httpRoute, exists);
      if (unsafe.length > 0) return { _tag: 'Refused' as const, problem: { reason: 'UnsafeRoutes' as const, message: `${where}: refusing to write an unsafe HTTPRoute: ${unsafe.join('; ')}` } };
    }
    const applied = await applyGatewayWrites(kube, plan.writes);
    if (applied._tag === 'Stale') return applied;
    if (applied._tag === 'Failed') {
      const hint = applied.error._tag === 'Invalid' ? '; fix the fields sluice copies onto its HTTPRoute (spec.route, spec.strategy.blueGreen.previewMatch)' : '';
      return { _tag: 'Refused' as const, error: applied.error, problem: { reason: 'RoutesNotApplied' as const, message: `${where}: Gateway API objects not written: ${clip(applied.error.message)}${hint}` } };
    }
    return plan.waitingFor.length > 0 ? { _tag: 'Waiting' as const, for: plan.waitingFor } : { _tag: 'Done' as const };
  };
  const result = await attempt(shift.spec);
  if (result._tag !== 'Refused' || result.error?._tag !== 'Invalid') return result;
  const fallingBack = decision.status.phase === 'RolledBack' && routes.weights.candidate === 0;
  if (!fallingBack) return result;
  const bare = await attempt({ ...shift.spec, route: {} });
  return bare._tag === 'Done' || bare._tag === 'Waiting' ? bare : result;
};

const MAX_FOREIGN_TEXT = 300;
const clip = (text: string): string => (text.length > MAX_FOREIGN_TEXT ? `${text.slice(0, MAX_FOREIGN_TEXT)}... (${text.length} characters)` : text);

/** The HTTPRoute named `service` and the per-version Services of `service` that shift `name` manages. */
export const ownedGateway = (caches: Caches, namespace: string, name: string, service: string): GatewayCurrent => {
  const mine = (o: KubeObject | undefined) => o !== undefined && isManagedBySluice(o) && owningShift(o) === name;
  const rawRoute = caches.httpRoute?.(namespace, service);
  const route = mine(rawRoute) ? decodeHTTPRoute(rawRoute) : E.right(undefined);
  const services = new Map<string, ExistingService>();
  for (const raw of (caches.services?.(namespace) ?? []).filter((s) => mine(s) && s.metadata.labels?.[FOR_SERVICE_LABEL] === service)) {
    const d = decodeService(raw);
    if (E.isRight(d)) services.set(d.right.metadata.name, d.right);
  }
  return { ...(E.isRight(route) && route.right ? { httpRoute: route.right as ExistingHTTPRoute } : {}), services };
};

/**
 * Release what shift `name` owns for `service` (ADR 0004): the HTTPRoute pinned in one write to
 * `pin`, then the per-version Services it no longer names deleted. Released: what was owned.
 */
export const releaseGateway = async (
  kube: Kube, caches: Caches, namespace: string, name: string, service: string, pin: string | undefined,
): Promise<{ readonly _tag: 'Released'; readonly owned: GatewayCurrent } | { readonly _tag: 'Stale' } | { readonly _tag: 'Failed'; readonly error: KubeError }> => {
  const owned = ownedGateway(caches, namespace, name, service);
  const pinService = pin !== undefined ? versionServiceName(service, pin) : undefined;
  const applied = await applyGatewayWrites(kube, planGatewayRelease(owned, pinService, { name, service }));
  return applied._tag === 'Done' ? { _tag: 'Released', owned } : applied;
};

/**
 * With spec.routing: virtualService, an HTTPRoute this shift wrote means its routing kind was
 * changed on a live shift: refused, as observeGateway refuses the other direction.
 */
export const httpRouteRoutingProblem = (caches: Caches, namespace: string, name: string, service: string): Problem | undefined => {
  const route = caches.httpRoute?.(namespace, service);
  if (route === undefined || !isManagedBySluice(route) || owningShift(route) !== name) return undefined;
  return {
    reason: 'Refused',
    message: `${namespace}/${name}: spec.routing: "virtualService", but this shift routes Service ${service} through HTTPRoute ${namespace}/${service}; changing the routing kind of a live shift is not supported: delete the TrafficShift (its routes stay pinned), delete the HTTPRoute ${service} and its per-version Services, then create the shift again`,
  };
};
