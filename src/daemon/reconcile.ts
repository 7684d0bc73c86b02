/**
 * One reconcile of one TrafficShift, level-based: whatever happened before, read the shift and
 * the world from the caches and make the world match the decision.
 *
 *   read from cache -> (deleting? finalize) -> ensure finalizer -> decode -> check ownership
 *   -> observe -> decide (pure) -> render + plan (pure) -> write routes in the planned order
 *   -> patch spec.version (shift-to) -> write status -> clear the command annotations
 *   -> record Events -> requeue after Decision.requeueAfterMs
 *
 * Status is the only memory: it is written after the routes it describes (so a crash between the
 * two replays the same decision against routes already written: no extra weight change) and
 * before the command annotations are removed (status.lastCommandId stops a replay). A 409 on any
 * write to the TrafficShift re-reads it from the API server and runs the whole sequence again.
 */
import * as E from 'fp-ts/Either';
import { decodeTrafficShift, resolveSpec } from '../api/trafficShift';
import { formatFor } from '../api/fieldError';
import { ResolvedSpec } from '../api/spec';
import { ShiftStatus } from '../api/status';
import { Command, Decision, DecisionEvent, GateSample, Observations, ScheduleView, ShiftInput } from '../core/types';
import {
  canonicalJson, decodeDestinationRule, decodeVirtualService, ExistingDestinationRule, ExistingVirtualService,
  isManagedBySluice, owningShift, ownershipProblem, planWrites, render, routeProblems, sameJson, Write, MANAGED_BY_LABEL,
} from '../istio';
import { ANNOTATION, clearCommandPatch } from '../kube/annotations';
import { Caches } from '../kube/caches';
import { KubeError } from '../kube/errors';
import { EventRecorder } from '../kube/events';
import { Kube } from '../kube/kube';
import {
  DESTINATION_RULES, FINALIZER, KubeObject, ORIGINAL_SPEC_ANNOTATION, TRAFFIC_SHIFTS, VIRTUAL_SERVICES, ObjectRef,
  keyOf, apiVersionOf,
} from '../kube/objects';
import { GateTarget } from '../prometheus/queries';
import { failedStatus, FailureReason, recoveredStatus } from './failure';
import { finalize } from './finalize';
import { podsByVersion } from './observe';

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
  /** Called when a shift is gone (metrics, timers). */
  readonly forgotten?: (namespace: string, name: string) => void;
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

/** One pass over a shift object (from the cache, or fresh from the API server after a 409). */
export const reconcileOnce = async (deps: ReconcileDeps, obj: KubeObject): Promise<Pass> => {
  const namespace = obj.metadata.namespace ?? '';
  const name = obj.metadata.name;
  if (obj.metadata.deletionTimestamp) return finalize(deps, obj);

  if (!(obj.metadata.finalizers ?? []).includes(FINALIZER)) {
    const added = await deps.kube.mergePatch(shiftRef(namespace, name), {
      metadata: { resourceVersion: obj.metadata.resourceVersion, finalizers: [...(obj.metadata.finalizers ?? []), FINALIZER] },
    })();
    if (E.isLeft(added)) return onShiftWrite(added.left);
    obj = added.right;
  }

  const decoded = decodeTrafficShift(obj);
  if (E.isLeft(decoded)) {
    const message = decoded.left.errors.map((e) => formatFor(namespace, name, e)).join('; ');
    return markFailed(deps, obj, 'InvalidSpec', message);
  }
  const spec = resolveSpec(decoded.right.spec);

  const current = currentRoutes(deps.caches, namespace, spec.service);
  if (E.isLeft(current)) return markFailed(deps, obj, 'UnreadableRoutes', `${namespace}/${name}: ${current.left}; fix or delete it`);
  const problem = ownershipProblem(claimOrphans(deps.caches, current.right, namespace), { namespace, name, adopt: spec.adopt });
  if (problem !== undefined) return markFailed(deps, obj, 'NotOwned', `${namespace}/${name}: ${problem}, or delete or rename it`);

  const now = deps.now();
  const status = recoveredStatus((obj.status ?? {}) as ShiftStatus);
  const pending = deps.parseCommand(obj.metadata);
  // A command whose id status already records was applied before a crash: only clear it.
  const command = pending && pending.id !== status.lastCommandId ? pending : undefined;
  const key = keyOf(namespace, name);
  const gate = deps.latestGate(key);
  const observed: Observations = {
    pods: podsByVersion(deps.caches.service(namespace, spec.service), deps.caches.pods(namespace), spec.versionLabel),
    ...(gate ? { gate } : {}),
    ...(command ? { command } : {}),
    ...(spec.schedule ? { schedule: deps.scheduleView(spec.schedule, status, now) } : {}),
  };
  const input: ShiftInput = { namespace, name, generation: obj.metadata.generation ?? 0, spec, status };
  const decision = deps.decide(input, observed, now);

  if (decision.routes) {
    const rendered = render({ namespace, name, uid: obj.metadata.uid ?? '', spec }, decision.routes, current.right);
    // Render always passes this (property-tested); the check stays as the last line of defence
    // before traffic changes: weights are integers summing to 100 and every subset exists.
    const unsafe = routeProblems(rendered.virtualService, rendered.destinationRule);
    if (unsafe.length > 0) return markFailed(deps, obj, 'UnsafeRoutes', `${namespace}/${name}: refusing to write unsafe routes: ${unsafe.join('; ')}`);
    const written = await applyWrites(deps.kube, planWrites(current.right, rendered), current.right);
    if (written._tag === 'Error' && written.error._tag === 'Invalid')
      return markFailed(deps, obj, 'RoutesRejected', `${namespace}/${name}: ${written.error.message}; fix the fields sluice copies onto its routes (spec.route, spec.strategy.blueGreen.previewMatch)`);
    if (written._tag !== 'Done') return written;
  }

  if (decision.setSpecVersion !== undefined && decision.setSpecVersion !== spec.version) {
    const patched = await deps.kube.mergePatch(shiftRef(namespace, name), {
      metadata: { resourceVersion: obj.metadata.resourceVersion },
      spec: { version: decision.setSpecVersion },
    })();
    if (E.isLeft(patched)) return onShiftWrite(patched.left);
    obj = patched.right;
  }

  if (!sameJson(decision.status, obj.status ?? {})) {
    const written = await deps.kube.replaceStatus(shiftRef(namespace, name), { ...obj, status: decision.status })();
    if (E.isLeft(written)) return onShiftWrite(written.left);
    obj = written.right;
  }

  let requeueAfterMs = decision.requeueAfterMs;
  if (pending) {
    const cleared = await clearCommand(deps, obj);
    if (E.isLeft(cleared)) {
      // Someone changed the shift meanwhile (perhaps a new command): look again at once.
      if (cleared.left._tag !== 'Conflict') deps.log.warn('could not clear command annotations', { namespace, shift: name, error: cleared.left.message });
      requeueAfterMs = 0;
    }
  }

  await recordEvents(deps, obj, decision.events);
  const candidate = decision.status.candidateVersion;
  deps.trackGate(key, decision.gateActive && candidate !== undefined ? { key, namespace, service: spec.service, version: candidate, analysis: spec.analysis } : undefined);
  deps.observed?.(namespace, name, status, decision);
  const ready = decision.status.conditions?.find((c) => c.type === 'Ready');
  deps.log.info('decided', {
    shift: name, namespace, phase: decision.status.phase, reason: decision.events[0]?.reason ?? ready?.reason ?? 'NoChange',
    weights: decision.status.weights, step: decision.status.step, requeueAfterMs,
  });
  return done(requeueAfterMs);
};

const commandOf = (o: KubeObject): string => JSON.stringify(Object.values(ANNOTATION).map((k) => o.metadata.annotations?.[k] ?? null));

/**
 * Remove the command annotations, guarded by the resourceVersion the status write returned. If
 * the object changed meanwhile but still carries the same command (someone edited a label), clear
 * it against the fresh resourceVersion: a command without a command-id is identified by a hash
 * that includes the resourceVersion, so leaving it would make it look new on the next pass.
 */
const clearCommand = async (deps: ReconcileDeps, obj: KubeObject) => {
  const ref = shiftRef(obj.metadata.namespace ?? '', obj.metadata.name);
  const first = await deps.kube.mergePatch(ref, clearCommandPatch(obj.metadata.resourceVersion))();
  if (E.isRight(first) || first.left._tag !== 'Conflict') return first;
  const fresh = await deps.kube.get(ref)();
  if (E.isLeft(fresh) || commandOf(fresh.right) !== commandOf(obj)) return first;
  return deps.kube.mergePatch(ref, clearCommandPatch(fresh.right.metadata.resourceVersion))();
};

/** Phase Failed with `reason`, a Warning Event when that is news; traffic untouched. */
const markFailed = async (deps: ReconcileDeps, obj: KubeObject, reason: FailureReason, message: string): Promise<Pass> => {
  const namespace = obj.metadata.namespace ?? '';
  const name = obj.metadata.name;
  deps.trackGate(keyOf(namespace, name), undefined);
  const before = (obj.status ?? {}) as ShiftStatus;
  const status = failedStatus(before, obj.metadata.generation, reason, message, new Date(deps.now()).toISOString());
  if (sameJson(status, before)) return done();
  const written = await deps.kube.replaceStatus(shiftRef(namespace, name), { ...obj, status })();
  if (E.isLeft(written)) return onShiftWrite(written.left);
  await recordEvents(deps, written.right, [{ type: 'Warning', reason, message }]);
  deps.log.warn('decided', { shift: name, namespace, phase: 'Failed', reason, message });
  deps.observed?.(namespace, name, before, { status, requeueAfterMs: 0, events: [], gateActive: false });
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
