/**
 * One reconcile of one TrafficShift, level-based: whatever happened before, read the shift and
 * the world from the caches and make the world match the decision.
 *
 *   read from cache -> (deleting? finalize) -> ensure finalizer -> stamp a command id
 *   -> decode (leniently when invalid) -> release a Service the shift left -> ownership, policy
 *   -> observe -> decide (pure) -> patch spec.version (shift-to) -> write status
 *   -> render + plan (pure) -> write routes in the planned order -> clear the command annotations
 *   -> record Events -> requeue after Decision.requeueAfterMs
 *
 * What the daemon meets (invalid spec, objects it may not write, refused writes) reaches the core
 * as an observation and comes back as a condition; status.phase is the core's alone. Status is
 * the only memory and is written before the routes it describes, so no crash can make a later
 * pass undo a fallback or a promotion (ADR 0005), and before the command annotations are removed
 * (status.lastCommandId stops a replay).
 * A 409 on any write to the TrafficShift re-reads it from the API server and runs the whole
 * sequence again.
 */
import * as E from 'fp-ts/Either';
import { pipe } from 'fp-ts/function';
import * as TE from 'fp-ts/TaskEither';
import { randomUUID } from 'node:crypto';
import { decodeTrafficShift, resolveSpec } from '../api/trafficShift';
import { formatFor } from '../api/fieldError';
import { MIN_REQUEUE_MS } from '../core/state';
import { ResolvedSpec } from '../api/spec';
import { ShiftStatus } from '../api/status';
import { Command, Decision, DecisionEvent, GateSample, HookAnswer, Observations, Problem, RouteIntent, ScheduleView, ShiftInput, VersionPods } from '../core/types';
import {
  adoptionProblem, canonicalJson, decodeDestinationRule, decodeVirtualService, ExistingDestinationRule, ExistingVirtualService,
  isManagedBySluice, liveUserRoutes, owningShift, ownershipProblem, planWrites, renderRoutes, RenderOptions, routeProblems, sameJson, serviceFqdn, subsetName, UserHttpRoute, Write, MANAGED_BY_LABEL,
} from '../istio';
import { ANNOTATION, clearCommandPatch } from '../kube/annotations';
import { Caches } from '../kube/caches';
import { KubeError } from '../kube/errors';
import { EventRecorder } from '../kube/events';
import { Kube } from '../kube/kube';
import {
  DESTINATION_RULES, FINALIZER, KubeObject, ORIGINAL_SPEC_ANNOTATION, TRAFFIC_SHIFTS, VIRTUAL_SERVICES, ObjectRef, Service,
  keyOf, apiVersionOf,
} from '../kube/objects';
import { GateTarget, gateTargetOf } from '../prometheus/queries';
import { ScheduleError } from '../schedule';
import { recoveredStatus, reportedStatus } from './failure';
import { guardSpec } from './guardSpec';
import { finalize, pinVersion, releaseRoutes } from './finalize';
import { GatewayView, gatewayServingReady, httpRouteRoutingProblem, observeGateway, releaseGateway, writeGateway } from './gatewayRoutes';
import { podsByVersion } from './observe';
import { protocolMismatch } from '../istio/protocol';
import { checkTargets, writtenKey } from './targets';

/** One log line per decision: structured fields, the logger picks the format. */
export interface ReconcileLog {
  readonly info: (msg: string, fields: Record<string, unknown>) => void;
  readonly warn: (msg: string, fields: Record<string, unknown>) => void;
}

export interface ReconcileDeps {
  readonly kube: Kube;
  readonly caches: Caches;
  readonly events: EventRecorder;
  /** The pure core. */
  readonly decide: (input: ShiftInput, observed: Observations, nowMs: number) => Decision;
  /** The newest gate sample for a shift key. */
  readonly latestGate: (key: string) => GateSample | undefined;
  /** Tell the sampler to measure a shift (target) or to stop (undefined). */
  readonly trackGate: (key: string, target: GateTarget | undefined) => void;
  /** The pending command in a shift's annotations, if any (kube/annotations.ts parseCommand). */
  readonly parseCommand: (meta: { readonly annotations?: Readonly<Record<string, string>>; readonly resourceVersion?: string }) => Command | undefined;
  /** What the schedule allows now (schedule/view.ts); only called for shifts with a schedule. */
  readonly scheduleView: (schedule: NonNullable<ResolvedSpec['schedule']>, status: ShiftStatus, nowMs: number) => ScheduleView;
  /** Called with every decision taken and written, and the status before it (metrics). */
  readonly observed?: (namespace: string, name: string, before: ShiftStatus, decision: Decision) => void;
  /**
   * Operator policy on a spec (allowed hosts, gateways, Prometheus URLs): sentences naming each
   * refused field, empty when allowed. A refused spec is held like an invalid one. Default: none.
   */
  readonly admit?: (namespace: string, name: string, spec: ResolvedSpec) => readonly string[];
  /**
   * Route writes the API server refused, per shift key, until a write goes through: the next
   * decision holds and runs the stall clock instead of advancing on routes that are not there.
   */
  readonly troubles?: Map<string, Problem>;
  /** Cluster DNS domain of the Service FQDNs routes name (--cluster-domain). Default "cluster.local". */
  readonly clusterDomain?: string;
  /** The daemon watches HTTPRoutes and may serve spec.routing: gatewayAPI (--gateway-api). Default false. */
  readonly gatewayAPI?: boolean;
  /** Called when a shift is gone (metrics, timers). */
  readonly forgotten?: (namespace: string, name: string) => void;
  /** The latest answers of a shift's webhooks (src/hooks/runner.ts), by shift key. Default none. */
  readonly hookAnswers?: (key: string) => readonly HookAnswer[];
  /** Called with every decision written, after its routes: make its webhook calls, send its notifications. Default none. */
  readonly decided?: (shift: { readonly key: string; readonly namespace: string; readonly name: string; readonly spec: ResolvedSpec }, before: ShiftStatus, decision: Decision) => void;
  readonly log: ReconcileLog;
  readonly now: () => number;
}

/** How one pass ended. */
export type Pass =
  | { readonly _tag: 'Done'; readonly requeueAfterMs?: number }
  /** The TrafficShift changed under us (409): read it again and redo the pass. */
  | { readonly _tag: 'Stale' }
  | { readonly _tag: 'Error'; readonly error: KubeError };

export const done = (requeueAfterMs?: number): Pass => ({ _tag: 'Done', ...(requeueAfterMs !== undefined ? { requeueAfterMs } : {}) });
/** Istio object changed since the cache saw it: the informer will catch up within a moment. */
const CACHE_CATCH_UP_MS = 500;
/** A route waiting for a new per-version Service's endpoints (gatewayAPI) is looked at again this soon. */
const ENDPOINTS_RECHECK_MS = 1000;
const MAX_PASSES = 4;

/** A KubeError as a thrown value, for the queue's backoff. */
export class ReconcileError extends Error {
  constructor(readonly error: KubeError) {
    super(error.message);
  }
}

export const shiftRef = (namespace: string, name: string): ObjectRef => ({ resource: TRAFFIC_SHIFTS, namespace, name });

/** Turn a KubeError on a TrafficShift write into the next step: 409 means re-read; others fail the pass. */
export const onShiftWrite = (e: KubeError): Pass => (e._tag === 'Conflict' ? { _tag: 'Stale' } : { _tag: 'Error', error: e });

/** Reconcile the shift `namespace/name`; resolves with when to look again (ms), throws ReconcileError to back off. */
export const reconcile = async (deps: ReconcileDeps, key: string): Promise<number | undefined> => {
  const slash = key.indexOf('/');
  const namespace = key.slice(0, slash);
  const name = key.slice(slash + 1);
  let obj = deps.caches.shift(namespace, name);
  for (let i = 0; i < MAX_PASSES; i++) {
    if (!obj) {
      deps.trackGate(key, undefined);
      deps.troubles?.delete(key);
      deps.forgotten?.(namespace, name);
      return undefined;
    }
    const pass = await reconcileOnce(deps, obj);
    switch (pass._tag) {
      case 'Done':
        return pass.requeueAfterMs;
      case 'Error':
        throw new ReconcileError(pass.error);
      case 'Stale': {
        const fresh = await deps.kube.get(shiftRef(namespace, name))();
        if (E.isLeft(fresh)) {
          if (fresh.left._tag === 'NotFound') obj = undefined;
          else throw new ReconcileError(fresh.left);
        } else obj = fresh.right;
      }
    }
  }
  return CACHE_CATCH_UP_MS;
};

const involvedOf = (obj: KubeObject) => ({
  apiVersion: apiVersionOf(TRAFFIC_SHIFTS),
  kind: TRAFFIC_SHIFTS.kind,
  name: obj.metadata.name,
  namespace: obj.metadata.namespace ?? '',
  ...(obj.metadata.uid ? { uid: obj.metadata.uid } : {}),
  ...(obj.metadata.resourceVersion ? { resourceVersion: obj.metadata.resourceVersion } : {}),
});

/** Record Events; a failure to record is logged, never fatal. */
export const recordEvents = async (deps: Pick<ReconcileDeps, 'events' | 'log'>, obj: KubeObject, events: readonly DecisionEvent[]): Promise<void> => {
  for (const ev of events) {
    const r = await deps.events.record({ namespace: obj.metadata.namespace ?? '', involved: involvedOf(obj), ...ev })();
    if (E.isLeft(r)) deps.log.warn('could not record event', { namespace: obj.metadata.namespace, shift: obj.metadata.name, reason: ev.reason, error: r.left.message });
  }
};

/**
 * A step of reconcileOnce: Right carries on with the next step, Left is the pass's result (a
 * write went stale or failed, the spec cannot be read, the shift is being deleted, ...).
 */
type Step<A> = TE.TaskEither<Pass, A>;

/** End the pass with `pass` (a Left, so the steps after it do not run). */
const endWith = (pass: () => Promise<Pass>): Step<never> => () => pass().then(E.left);

/** A write to the TrafficShift as a step: 409 re-reads, other errors fail the pass (onShiftWrite). */
const shiftWrite = (write: TE.TaskEither<KubeError, KubeObject>): Step<KubeObject> => pipe(write, TE.mapLeft(onShiftWrite));

/**
 * One pass over a shift object (from the cache, or fresh from the API server after a 409):
 * finalize a deleted shift; otherwise make sure of the finalizer and the command id, read the
 * spec, release the routes of a Service the spec left, observe, decide, write status first, then
 * the routes, then clear the command and report.
 */
export const reconcileOnce = (deps: ReconcileDeps, obj: KubeObject): Promise<Pass> =>
  pipe(
    finalizeIfDeleted(deps, obj),
    TE.chain((o) => addFinalizer(deps, o)),
    TE.chain((o) => stampCommandId(deps, o)),
    TE.chain((o) => readSpecOrReport(deps, o)),
    TE.chainFirst((read) => releaseLeftService(deps, read)),
    TE.map((read) => observe(deps, read)),
    TE.chain((seen) => decideRoutes(deps, seen)),
    TE.bind('written', (planned) => writeStatusFirst(deps, planned)),
    TE.bind('applied', (planned) => applyRoutes(deps, planned)),
    TE.chain((planned) => TE.fromTask(() => finishPass(deps, planned))),
    TE.toUnion,
  )();

/** A deleted shift is finalized (finalize.ts) and nothing else happens in this pass. */
const finalizeIfDeleted = (deps: ReconcileDeps, obj: KubeObject): Step<KubeObject> =>
  obj.metadata.deletionTimestamp ? endWith(() => finalize(deps, obj)) : TE.right(obj);

/** sluice's finalizer on the shift, so a deletion waits until its routes are released. */
const addFinalizer = (deps: ReconcileDeps, obj: KubeObject): Step<KubeObject> =>
  (obj.metadata.finalizers ?? []).includes(FINALIZER)
    ? TE.right(obj)
    : shiftWrite(
        deps.kube.mergePatch(shiftRef(obj.metadata.namespace ?? '', obj.metadata.name), {
          metadata: { resourceVersion: obj.metadata.resourceVersion, finalizers: [...(obj.metadata.finalizers ?? []), FINALIZER] },
        }),
      );

/** The shift with its spec as read: a spec that cannot be read even leniently is only reported. */
interface ReadShift {
  readonly obj: KubeObject;
  readonly namespace: string;
  readonly name: string;
  readonly key: string;
  readonly spec: ResolvedSpec;
  /** Why the spec had to be read leniently. */
  readonly specProblem?: Problem;
}

const readSpecOrReport = (deps: ReconcileDeps, obj: KubeObject): Step<ReadShift> => {
  const namespace = obj.metadata.namespace ?? '';
  const name = obj.metadata.name;
  const reading = readSpec(obj);
  if (reading.spec === undefined) return endWith(() => reportOnly(deps, obj, reading.problem!));
  return TE.right({ obj, namespace, name, key: keyOf(namespace, name), spec: reading.spec, ...(reading.problem ? { specProblem: reading.problem } : {}) });
};

/** spec.service moved to another Service: first release the routes of the one it left. */
const releaseLeftService = (deps: ReconcileDeps, { obj, spec }: ReadShift): Step<unknown> => {
  const routed = (obj.status as ShiftStatus | undefined)?.routedService;
  if (routed === undefined || routed === spec.service) return TE.right(undefined);
  return async () => {
    const released = await releaseRoutes(deps, obj, routed, spec, recoveredStatus((obj.status ?? {}) as ShiftStatus));
    if (released._tag !== 'Released') return E.left(released);
    const gateway = await releaseGateway(deps.kube, deps.caches, obj.metadata.namespace ?? '', obj.metadata.name, routed, pinVersion(recoveredStatus((obj.status ?? {}) as ShiftStatus)));
    if (gateway._tag === 'Stale') return E.left(done(CACHE_CATCH_UP_MS));
    if (gateway._tag === 'Failed') return E.left({ _tag: 'Error', error: gateway.error });
    return E.right(released);
  };
};

/** What the pass saw: the routes in the cluster, the problem to report, and the core's input. */
interface Seen extends ReadShift {
  readonly current: E.Either<string, CurrentRoutes>;
  /** spec.routing: gatewayAPI: the HTTPRoute and per-version Services seen (daemon/gatewayRoutes.ts). */
  readonly gateway?: GatewayView;
  readonly problem?: Problem;
  /** Routes are written only to objects sluice may write and could read. */
  readonly writable: boolean;
  readonly now: number;
  /** Status as recovered (failure.ts): what the core decides from. */
  readonly status: ShiftStatus;
  /** The command in the annotations, applied or not (its annotations are cleared at the end). */
  readonly pending?: Command;
  readonly observed: Observations;
  readonly input: ShiftInput;
}

/** spec.protocol against the Service's ports (istio/protocol.ts): a shift whose routes Istio would never use is refused, nothing written. */
const protocolProblem = (caches: Caches, { obj, namespace, name, spec }: ReadShift): Problem | undefined => {
  const explicit = (obj as { spec?: { protocol?: unknown } }).spec?.protocol !== undefined;
  const ports = (caches.service(namespace, spec.service) as Service | undefined)?.spec?.ports;
  const mismatch = protocolMismatch(namespace, spec.service, spec.protocol ?? 'http', explicit, ports);
  return mismatch === undefined ? undefined : { reason: 'InvalidSpec', message: `${namespace}/${name}: ${mismatch}` };
};

const observe = (deps: ReconcileDeps, read: ReadShift): Seen => {
  const { obj, namespace, name, key, spec } = read;
  const current = currentRoutes(deps.caches, namespace, spec.service);
  const owned = E.isRight(current) ? claimOrphans(deps.caches, current.right, namespace) : undefined;
  const notOwned = owned ? ownershipProblem(owned, { namespace, name, adopt: spec.adopt }) : undefined;
  // spec.routing: gatewayAPI writes an HTTPRoute and per-version Services instead (daemon/gatewayRoutes.ts).
  const gateway = spec.routing === 'gatewayAPI' ? observeGateway(deps.caches, { namespace, name }, spec, recoveredStatus((obj.status ?? {}) as ShiftStatus), deps.gatewayAPI ?? false) : undefined;
  const refused = deps.admit?.(namespace, name, spec) ?? [];
  const problem: Problem | undefined =
    read.specProblem ??
    (gateway !== undefined
      ? gateway.problem
      : ((E.isLeft(current) ? { reason: 'UnreadableRoutes', message: `${namespace}/${name}: ${current.left}; fix or delete it` } : undefined) ??
        (notOwned !== undefined ? { reason: 'NotOwned', message: `${namespace}/${name}: ${notOwned}, or delete or rename it` } : undefined) ??
        httpRouteRoutingProblem(deps.caches, namespace, name, spec.service))) ??
    protocolProblem(deps.caches, read) ??
    (refused.length > 0 ? { reason: 'Refused', message: refused.join('; ') } : undefined) ??
    deps.troubles?.get(key);
  const now = deps.now();
  const status = recoveredStatus((obj.status ?? {}) as ShiftStatus);
  const pending = deps.parseCommand(obj.metadata);
  // A command whose id status already records was applied before a crash: only clear it.
  const command = pending && pending.id !== status.lastCommandId ? pending : undefined;
  const gate = deps.latestGate(key);
  const hooks = deps.hookAnswers?.(key) ?? [];
  const pods = podsByVersion(deps.caches.service(namespace, spec.service), deps.caches.pods(namespace), spec.versionLabel);
  const observed: Observations = {
    pods,
    servingReady: gateway !== undefined ? gatewayServingReady(gateway.current, pods, spec.versionLabel) : servingReady(E.isRight(current) ? current.right : {}, pods, spec.versionLabel),
    ...(gate ? { gate } : {}),
    ...(command ? { command } : {}),
    ...(problem ? { problem } : {}),
    ...(spec.schedule ? { schedule: deps.scheduleView(spec.schedule, status, now) } : {}),
    ...(hooks.length > 0 ? { hooks } : {}),
  };
  const input: ShiftInput = { namespace, name, generation: obj.metadata.generation ?? 0, spec, status };
  return {
    ...read, current, now, status, observed, input,
    // Routes are written only to objects sluice may write and could read.
    writable: gateway !== undefined ? gateway.writable : E.isRight(current) && notOwned === undefined,
    ...(gateway ? { gateway } : {}), ...(problem ? { problem } : {}), ...(pending ? { pending } : {}),
  };
};

/** The decision, and the routes to write with the routes read (none when sluice may not write them). */
interface Decided extends Seen {
  readonly decision: Decision;
  readonly routes?: { readonly intent: RouteIntent; readonly current: CurrentRoutes };
  /** spec.routing: gatewayAPI: the intent to write as an HTTPRoute and per-version Services. */
  readonly gatewayIntent?: RouteIntent;
}

/** Decide; spec.adopt takes over an unmanaged VirtualService only if nothing of it would be dropped. */
const decideRoutes = (deps: ReconcileDeps, seen: Seen): Step<Decided> => {
  const decision = decideOrHold(deps, seen.input, seen.observed, seen.now);
  const intent = seen.writable ? decision.routes : undefined;
  if (intent !== undefined && seen.gateway !== undefined) return TE.right({ ...seen, decision, gatewayIntent: intent });
  if (intent === undefined || seen.gateway !== undefined || E.isLeft(seen.current)) return TE.right({ ...seen, decision });
  const current = seen.current.right;
  const lost = adoptionProblem(current.virtualService, renderRoutes(shiftOf(seen), intent, renderOptions(deps)).virtualService, deps.clusterDomain);
  if (lost !== undefined) return endWith(() => reportOnly(deps, seen.obj, { reason: 'NotOwned', message: `${seen.namespace}/${seen.name}: ${lost}` }));
  return TE.right({ ...seen, decision, routes: { intent, current } });
};

const shiftOf = ({ namespace, name, obj, spec }: ReadShift) => ({ namespace, name, uid: obj.metadata.uid ?? '', spec });

/**
 * Status is the memory and is written first, so no crash can make a later pass render a
 * weight the decision took away (a fallback is durable before it is visible), nor the split a
 * promotion replaced: a canary reaches 100 % in phase Promoting (still guarded) before Promoted.
 * A shift-to command's spec.version patch (setSpecVersion) comes before the status.
 */
const writeStatusFirst = (deps: ReconcileDeps, { obj, namespace, name, spec, decision }: Decided): Step<KubeObject> =>
  pipe(
    decision.setSpecVersion !== undefined && decision.setSpecVersion !== spec.version
      ? shiftWrite(deps.kube.mergePatch(shiftRef(namespace, name), { metadata: { resourceVersion: obj.metadata.resourceVersion }, spec: { version: decision.setSpecVersion } }))
      : TE.right(obj),
    TE.chain((patched) =>
      sameJson(decision.status, patched.status ?? {}) ? TE.right(patched) : shiftWrite(deps.kube.replaceStatus(shiftRef(namespace, name), { ...patched, status: decision.status })),
    ),
  );

/** How the route writes went: `waitingMs` when a gatewayAPI route waits for a new backend's endpoints. */
interface Applied {
  readonly waitingMs?: number;
}

/** The routes, after status; a refused write is reported (afterRefusedRoutes) and ends the pass. */
const applyRoutes = (deps: ReconcileDeps, planned: Decided & { readonly written: KubeObject }): Step<Applied> => {
  const { routes, gatewayIntent, gateway, decision, written, key } = planned;
  if (gatewayIntent !== undefined && gateway !== undefined) {
    return async () => {
      const wrote = await writeGateway(deps.kube, shiftOf(planned), gatewayIntent, gateway, planned.observed.pods, decision, renderOptions(deps));
      if (wrote._tag === 'Done' || wrote._tag === 'Waiting') deps.troubles?.delete(key);
      else if (wrote._tag === 'Refused' && wrote.error?._tag !== 'NotLeader') deps.troubles?.set(key, wrote.problem);
      if (wrote._tag === 'Waiting') return E.right({ waitingMs: ENDPOINTS_RECHECK_MS });
      return wrote._tag === 'Done' ? E.right({}) : E.left(await afterRefusedRoutes(deps, written, wrote, decision.requeueAfterMs));
    };
  }
  if (routes === undefined) return TE.right({});
  // A spec read leniently (it does not decode) keeps the user routes that are live.
  const shift = planned.specProblem !== undefined ? { ...shiftOf(planned), spec: withLiveUserRoutes(deps, planned.spec, planned.namespace, routes.current) } : shiftOf(planned);
  return async () => {
    const wrote = await writeRoutes(deps, shift, routes.intent, routes.current, decision);
    return wrote._tag === 'Done' ? E.right({}) : E.left(await afterRefusedRoutes(deps, written, wrote, decision.requeueAfterMs));
  };
};

/** Clear the command's annotations, record the Events, track the gate, log; when to look again. */
const finishPass = async (deps: ReconcileDeps, planned: Decided & { readonly written: KubeObject; readonly applied: Applied }): Promise<Pass> => {
  const { namespace, name, key, spec, status, problem, pending, decision, written: obj, applied } = planned;
  // Routes went through after a refusal: decide again at once so status stops reporting it.
  let requeueAfterMs = problem?.reason === 'RoutesNotApplied' && !deps.troubles?.has(key) ? MIN_REQUEUE_MS : Math.min(decision.requeueAfterMs, applied.waitingMs ?? Number.POSITIVE_INFINITY);
  if (pending) {
    const cleared = await deps.kube.mergePatch(shiftRef(namespace, name), clearCommandPatch(obj.metadata.resourceVersion))();
    if (E.isLeft(cleared)) {
      // Someone changed the shift meanwhile (perhaps a new command): look again at once.
      if (cleared.left._tag !== 'Conflict') deps.log.warn('could not clear command annotations', { namespace, shift: name, error: cleared.left.message });
      requeueAfterMs = 0;
    }
  }

  await recordEvents(deps, obj, decision.events);
  const candidate = decision.status.candidateVersion;
  deps.trackGate(key, decision.gateActive && candidate !== undefined ? gateTargetOf(key, namespace, spec, decision.status, candidate) : undefined);
  deps.observed?.(namespace, name, status, decision);
  deps.decided?.({ key, namespace, name, spec }, status, decision);
  const ready = decision.status.conditions?.find((c) => c.type === 'Ready');
  deps.log.info('decided', {
    shift: name, namespace, phase: decision.status.phase, reason: decision.events[0]?.reason ?? ready?.reason ?? 'NoChange',
    weights: decision.status.weights, step: decision.status.step, requeueAfterMs,
  });
  return done(requeueAfterMs);
};

/**
 * decide, and when the schedule cannot be evaluated (ScheduleError: decoding normally refuses
 * such a schedule first) decide again with that as the problem: nothing starts or advances, a
 * running candidate stays guarded, and Ready=False says what broke — never a false OutsideWindow.
 */
const decideOrHold = (deps: ReconcileDeps, input: ShiftInput, observed: Observations, now: number): Decision => {
  try {
    return deps.decide(input, observed, now);
  } catch (e) {
    if (!(e instanceof ScheduleError)) throw e;
    const { schedule: _unreadable, ...rest } = observed;
    const problem: Problem = observed.problem ?? { reason: 'InvalidSpec', message: `${input.namespace}/${input.name}: ${e.message}` };
    return deps.decide(input, { ...rest, problem }, now);
  }
};

/** The spec to decide on, and the problem when it had to be read leniently (or not at all). */
const readSpec = (obj: KubeObject): { readonly spec?: ResolvedSpec; readonly problem?: Problem } => {
  const decoded = decodeTrafficShift(obj);
  if (E.isRight(decoded)) return { spec: resolveSpec(decoded.right.spec) };
  const namespace = obj.metadata.namespace ?? '';
  const message = decoded.left.errors.map((e) => formatFor(namespace, obj.metadata.name, e)).join('; ');
  const spec = guardSpec(obj);
  return { ...(spec ? { spec } : {}), problem: { reason: 'InvalidSpec', message } };
};

/**
 * A command given without sluice.dev/command-id (plain `kubectl annotate`) gets one stamped onto
 * the object before it is considered, so its identity is written once and survives every later
 * write (an id derived from the resourceVersion would change with the status write and apply the
 * command twice after a crash). The stamp is guarded: a concurrent change re-reads.
 */
const stampCommandId = (deps: ReconcileDeps, obj: KubeObject): Step<KubeObject> => {
  const annotations = obj.metadata.annotations ?? {};
  const present = [ANNOTATION.command, ANNOTATION.setWeight, ANNOTATION.shiftTo].some((k) => annotations[k] !== undefined);
  if (!present || (annotations[ANNOTATION.commandId] ?? '').trim() !== '') return TE.right(obj);
  return shiftWrite(
    deps.kube.mergePatch(shiftRef(obj.metadata.namespace ?? '', obj.metadata.name), {
      metadata: { resourceVersion: obj.metadata.resourceVersion, annotations: { [ANNOTATION.commandId]: `daemon-${randomUUID()}` } },
    }),
  );
};

/**
 * Whether the routes in the cluster reach a ready pod: the versions whose subsets the
 * VirtualService gives weight (a subset is matched to a version through the DestinationRule's
 * subset labels, else by sluice's subset name), or any pod behind the Service when there is no
 * VirtualService or a route has no subset.
 */
export const servingReady = (current: CurrentRoutes, pods: Readonly<Record<string, VersionPods>>, versionLabel: string): boolean => {
  const anyReady = Object.values(pods).some((p) => p.ready > 0);
  type Routed = { route?: { destination: { subset?: string }; weight?: number }[] };
  const vsSpec = current.virtualService?.spec as { http?: Routed[]; tcp?: Routed[] } | undefined;
  if (vsSpec?.http === undefined && vsSpec?.tcp === undefined) return anyReady;
  const http = [...(vsSpec.http ?? []), ...(vsSpec.tcp ?? [])];
  const versionOf = new Map<string, string>();
  for (const s of current.destinationRule?.spec.subsets ?? []) {
    const v = s.labels?.[versionLabel];
    if (v !== undefined) versionOf.set(s.name, v);
  }
  for (const v of Object.keys(pods)) if (!versionOf.has(subsetName(v))) versionOf.set(subsetName(v), v);
  for (const r of http) {
    const dests = r.route ?? [];
    for (const d of dests) {
      const weighted = d.weight === undefined ? dests.length === 1 : d.weight > 0;
      if (!weighted) continue;
      if (d.destination.subset === undefined) return anyReady;
      const version = versionOf.get(d.destination.subset);
      if (version !== undefined && (pods[version]?.ready ?? 0) > 0) return true;
    }
  }
  return false;
};

/**
 * `spec` with the user routes of the live VirtualService instead of its own: what a spec that
 * does not decode is rendered with, so bad input never adds, changes or drops a user route (a
 * fallback still moves their split; src/istio/userRoutes.ts).
 */
export const withLiveUserRoutes = (deps: Pick<ReconcileDeps, 'clusterDomain'>, spec: ResolvedSpec, namespace: string, current: CurrentRoutes): ResolvedSpec => {
  const { routes: _unread, ...rest } = spec;
  const live = liveUserRoutes(current.virtualService?.spec.http as readonly UserHttpRoute[] | undefined, serviceFqdn(spec.service, namespace, deps.clusterDomain));
  return live !== undefined ? { ...rest, routes: live } : rest;
};

/** The daemon's options for rendering routes (a cluster whose DNS domain is not cluster.local). */
export const renderOptions = (deps: Pick<ReconcileDeps, 'clusterDomain'>): RenderOptions => (deps.clusterDomain !== undefined ? { clusterDomain: deps.clusterDomain } : {});

/** How writing routes ended when it did not succeed. */
type RouteTrouble =
  | { readonly _tag: 'Refused'; readonly problem: Problem; readonly error?: KubeError }
  | { readonly _tag: 'Stale' };

/**
 * Render, check and write the routes. A refused write is remembered (ReconcileDeps.troubles) so
 * the next decision holds and runs the stall clock until a write goes through. When the server
 * refuses a fallback because of fields sluice copies from spec.route or spec.routes, the fallback is written
 * again without them: taking traffic from a failing candidate never waits for a spec fix.
 */
const writeRoutes = async (
  deps: ReconcileDeps, shift: { namespace: string; name: string; uid: string; spec: ResolvedSpec }, routes: RouteIntent, current: CurrentRoutes, decision: Decision,
): Promise<{ readonly _tag: 'Done' } | RouteTrouble> => {
  const key = keyOf(shift.namespace, shift.name);
  const where = `${shift.namespace}/${shift.name}`;
  const attempt = async (spec: ResolvedSpec): Promise<{ readonly _tag: 'Done' } | RouteTrouble> => {
    const rendered = renderRoutes({ ...shift, spec }, routes, renderOptions(deps));
    // Render always passes this (property-tested); the check stays as the last line of defence
    // before traffic changes: weights are integers summing to 100 and every subset exists.
    const unsafe = routeProblems(rendered.virtualService, rendered.destinationRule);
    if (unsafe.length > 0) return { _tag: 'Refused', problem: { reason: 'UnsafeRoutes', message: `${where}: refusing to write unsafe routes: ${unsafe.join('; ')}` } };
    const written = await applyWrites(deps.kube, planWrites(current, rendered), current);
    if (written._tag === 'Done') return { _tag: 'Done' };
    if (written._tag === 'Stale') return written;
    const error = written.error;
    const hint = error._tag === 'Invalid' ? '; fix the fields sluice copies onto its routes (spec.route, spec.routes, spec.strategy.blueGreen.previewMatch, spec.strategy.abTest.match)' : '';
    return { _tag: 'Refused', error, problem: { reason: 'RoutesNotApplied', message: `${where}: routes not written: ${clip(error.message)}${hint}` } };
  };
  const result = await attempt(shift.spec);
  if (result._tag === 'Done') deps.troubles?.delete(key);
  if (result._tag !== 'Refused' || result.error?._tag === 'NotLeader') return result;
  deps.troubles?.set(key, result.problem);
  const fallingBack = decision.status.phase === 'RolledBack' && routes.weights.candidate === 0;
  if (result.error?._tag !== 'Invalid' || !fallingBack) return result;
  // The fallback goes in without the user's route options and routes; their refusal stays reported.
  const { routes: _userRoutes, ...withoutUserRoutes } = shift.spec;
  const bare = await attempt({ ...withoutUserRoutes, route: {} });
  if (bare._tag === 'Done') deps.log.warn('fallback written without the spec.route options the server refused', { namespace: shift.namespace, shift: shift.name, error: result.problem.message });
  return bare;
};

/** Texts from other systems are clipped before they reach status or Events. */
const MAX_FOREIGN_TEXT = 300;
const clip = (text: string): string => (text.length > MAX_FOREIGN_TEXT ? `${text.slice(0, MAX_FOREIGN_TEXT)}... (${text.length} characters)` : text);

/**
 * Routes were not written: say so in status (Ready=False; the phase is the core's) and in a
 * Warning Event when that is news, then back off — a refused write (403, 413, 5xx, timeout) is
 * retried by the queue's backoff; a 422 waits for the spec to change or the next resync.
 */
const afterRefusedRoutes = async (deps: ReconcileDeps, obj: KubeObject, trouble: RouteTrouble, requeueAfterMs: number): Promise<Pass> => {
  if (trouble._tag === 'Stale') return done(CACHE_CATCH_UP_MS);
  // This replica no longer leads: nothing to report, the new leader decides.
  if (trouble.error?._tag === 'NotLeader') return { _tag: 'Error', error: trouble.error };
  const reported = await reportOnly(deps, obj, trouble.problem);
  if (reported._tag !== 'Done') return reported;
  if (trouble.error !== undefined && trouble.error._tag !== 'Invalid') return { _tag: 'Error', error: trouble.error };
  return done(Math.max(requeueAfterMs, REFUSED_RECHECK_MS));
};

/** How soon routes the server refused as invalid are tried again (a spec change comes sooner through the watch). */
const REFUSED_RECHECK_MS = 30_000;

/** Ready=False with the problem, a Warning Event when that is news; nothing else changes. */
const reportOnly = async (deps: ReconcileDeps, obj: KubeObject, problem: Problem): Promise<Pass> => {
  const namespace = obj.metadata.namespace ?? '';
  const name = obj.metadata.name;
  const before = (obj.status ?? {}) as ShiftStatus;
  const status = reportedStatus(before, obj.metadata.generation, problem, new Date(deps.now()).toISOString());
  if (sameJson(status, before)) return done();
  const written = await deps.kube.replaceStatus(shiftRef(namespace, name), { ...obj, status })();
  if (E.isLeft(written)) return onShiftWrite(written.left);
  await recordEvents(deps, written.right, [{ type: 'Warning', reason: problem.reason, message: problem.message }]);
  deps.log.warn('problem', { shift: name, namespace, reason: problem.reason, message: problem.message });
  return done();
};

export interface CurrentRoutes {
  readonly destinationRule?: ExistingDestinationRule;
  readonly virtualService?: ExistingVirtualService;
}

/** The VirtualService and DestinationRule named after the Service, from the cache, decoded. */
export const currentRoutes = (caches: Caches, namespace: string, service: string): E.Either<string, CurrentRoutes> => {
  const vsRaw = caches.virtualService(namespace, service);
  const drRaw = caches.destinationRule(namespace, service);
  const vs = vsRaw ? decodeVirtualService(vsRaw) : E.right(undefined);
  const dr = drRaw ? decodeDestinationRule(drRaw) : E.right(undefined);
  if (E.isLeft(vs)) return vs;
  if (E.isLeft(dr)) return dr;
  return E.right({ ...(vs.right ? { virtualService: vs.right } : {}), ...(dr.right ? { destinationRule: dr.right } : {}) });
};

/**
 * Objects left managed by a TrafficShift that no longer exists (deleted shifts leave their
 * routes pinned, see ADR 0004) count as unclaimed sluice objects: the next shift for the same
 * Service takes them over without spec.adopt.
 */
const claimOrphans = (caches: Caches, current: CurrentRoutes, namespace: string): CurrentRoutes => {
  const claim = <T extends ExistingDestinationRule | ExistingVirtualService>(o: T | undefined): T | undefined => {
    if (!o || !isManagedBySluice(o)) return o;
    const owner = owningShift(o);
    return owner !== undefined && caches.shift(namespace, owner) === undefined ? undefined : o;
  };
  const vs = claim(current.virtualService);
  const dr = claim(current.destinationRule);
  return { ...(vs ? { virtualService: vs } : {}), ...(dr ? { destinationRule: dr } : {}) };
};

/** Annotations recording what an adopted object was, so deletion can put it back. */
const adoptionMarks = (current: ExistingDestinationRule | ExistingVirtualService | undefined): Record<string, string> | undefined => {
  if (!current || isManagedBySluice(current)) return undefined;
  if (current.metadata.annotations?.[ORIGINAL_SPEC_ANNOTATION] !== undefined) return undefined;
  const managedBy = current.metadata.labels?.[MANAGED_BY_LABEL];
  return {
    [ORIGINAL_SPEC_ANNOTATION]: canonicalJson(current.spec),
    ...(managedBy !== undefined ? { [ORIGINAL_MANAGED_BY_ANNOTATION]: managedBy } : {}),
  };
};

/** The managed-by label an adopted object had before sluice's replaced it (restored on deletion). */
export const ORIGINAL_MANAGED_BY_ANNOTATION = 'sluice.dev/original-managed-by';

/**
 * Apply planned writes in order, stopping at the first failure. Creates POST, updates PUT with
 * the resourceVersion read (or returned by this plan's previous write of the same object), so a
 * concurrent change is a 409, never overwritten. Adopting an unmanaged object adds the
 * annotations that let deletion restore it.
 */
export const applyWrites = async (kube: Kube, writes: readonly Write[], current: CurrentRoutes): Promise<Pass> => {
  const versions = new Map<string, string>();
  for (const w of writes) {
    const resource = w.kind === 'VirtualService' ? VIRTUAL_SERVICES : DESTINATION_RULES;
    if (w.kind === 'VirtualService') {
      // The cache's rule may be gone: wait for it to catch up and plan again (a create comes first then).
      const targets = await checkTargets(kube, { kind: 'VirtualService', object: w.object as unknown as KubeObject }, new Set(versions.has('DestinationRule') ? [writtenKey('DestinationRule', w.name)] : []));
      if (targets._tag === 'Unreadable') return { _tag: 'Error', error: targets.error };
      if (targets._tag !== 'Present') return done(CACHE_CATCH_UP_MS);
    }
    const marks = adoptionMarks(w.kind === 'VirtualService' ? current.virtualService : current.destinationRule);
    const object = prepare(w.object as unknown as KubeObject, marks, versions.get(w.kind));
    const r = w.op === 'create' ? await kube.create(resource, object)() : await kube.replace(resource, object)();
    if (E.isLeft(r)) return r.left._tag === 'Conflict' ? done(CACHE_CATCH_UP_MS) : { _tag: 'Error', error: r.left };
    if (r.right.metadata.resourceVersion) versions.set(w.kind, r.right.metadata.resourceVersion);
  }
  return done();
};

/** A write's object without managedFields (the server keeps them), with adoption marks and the latest resourceVersion. */
const prepare = (object: KubeObject, marks: Record<string, string> | undefined, resourceVersion: string | undefined): KubeObject => {
  const { managedFields: _managed, ...metadata } = object.metadata;
  return {
    ...object,
    metadata: {
      ...metadata,
      ...(marks ? { annotations: { ...metadata.annotations, ...marks } } : {}),
      ...(resourceVersion ? { resourceVersion } : {}),
    },
  };
};
