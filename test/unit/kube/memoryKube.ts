/**
 * An in-memory Kube and Caches for unit tests: one store with resourceVersions, 409 on stale
 * writes, finalizer-aware deletion, and a log of every write. Caches read the store directly
 * (an informer that is always caught up).
 */
import * as TE from 'fp-ts/TaskEither';
import { Caches } from '../../../src/kube/caches';
import { conflict, KubeError, notFound } from '../../../src/kube/errors';
import { Kube } from '../../../src/kube/kube';
import {
  DESTINATION_RULES, HTTP_ROUTES, KubeObject, LEASES, ObjectRef, PODS, Resource, SERVICES, TRAFFIC_SHIFTS, VIRTUAL_SERVICES, apiVersionOf,
} from '../../../src/kube/objects';

export interface WriteRecord {
  readonly verb: 'create' | 'replace' | 'mergePatch' | 'replaceStatus' | 'delete';
  readonly kind: string;
  readonly name: string;
  readonly object: KubeObject;
}

type Verb = WriteRecord['verb'] | 'get';

const clone = <T>(x: T): T => (x === undefined ? x : (JSON.parse(JSON.stringify(x)) as T));

/** RFC 7386 JSON merge patch. */
export const mergePatchValue = (target: unknown, patch: unknown): unknown => {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) return clone(patch);
  const out: Record<string, unknown> = typeof target === 'object' && target !== null && !Array.isArray(target) ? { ...(target as object) } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatchValue(out[k], v);
  }
  return out;
};

export const memoryKube = () => {
  const store = new Map<string, KubeObject>();
  const writes: WriteRecord[] = [];
  const failures: { verb: Verb; error: (ref: ObjectRef) => KubeError; before?: () => void }[] = [];
  const hangs: { verb: Verb; released: Promise<void> }[] = [];
  let rv = 100;
  let uid = 0;
  let clock = Date.parse('2026-11-22T10:00:00Z');
  const id = (r: Resource, ns: string, name: string) => `${r.plural}/${ns}/${name}`;
  const refOf = (resource: Resource, o: KubeObject): ObjectRef => ({ resource, namespace: o.metadata.namespace ?? '', name: o.metadata.name });

  const injected = (verb: Verb, ref: ObjectRef): KubeError | undefined => {
    const i = failures.findIndex((f) => f.verb === verb);
    if (i < 0) return undefined;
    const f = failures.splice(i, 1)[0]!;
    f.before?.();
    return f.error(ref);
  };

  const put = (resource: Resource, o: KubeObject): KubeObject => {
    const stored = clone({ ...o, apiVersion: apiVersionOf(resource), kind: resource.kind, metadata: { ...o.metadata, resourceVersion: String(++rv) } });
    if (stored.metadata.deletionTimestamp && (stored.metadata.finalizers ?? []).length === 0) {
      store.delete(id(resource, o.metadata.namespace ?? '', o.metadata.name));
    } else store.set(id(resource, o.metadata.namespace ?? '', o.metadata.name), stored);
    return clone(stored);
  };

  const op = <A>(verb: Verb, ref: ObjectRef, f: () => KubeObject | KubeError): TE.TaskEither<KubeError, A> => async () => {
    const h = hangs.findIndex((x) => x.verb === verb);
    if (h >= 0) await hangs.splice(h, 1)[0]!.released;
    const fail = injected(verb, ref);
    if (fail) return { _tag: 'Left', left: fail };
    const r = f();
    return '_tag' in r && typeof r._tag === 'string' && 'message' in r && !('metadata' in r)
      ? { _tag: 'Left', left: r as KubeError }
      : { _tag: 'Right', right: r as unknown as A };
  };

  const existing = (ref: ObjectRef) => store.get(id(ref.resource, ref.namespace, ref.name));
  const log = (verb: WriteRecord['verb'], resource: Resource, o: KubeObject) => writes.push({ verb, kind: resource.kind, name: o.metadata.name, object: clone(o) });

  const kube: Kube = {
    get: (ref) => op('get', ref, () => clone(existing(ref)) ?? notFound(ref, `${ref.name} not found`)),
    create: (resource, o) => op('create', refOf(resource, o), () => {
      const ref = refOf(resource, o);
      if (existing(ref)) return conflict(ref, `${o.metadata.name} already exists`);
      log('create', resource, o);
      return put(resource, { ...o, metadata: { ...o.metadata, uid: `uid-${++uid}`, creationTimestamp: new Date(clock).toISOString(), generation: 1 } });
    }),
    replace: (resource, o) => op('replace', refOf(resource, o), () => {
      const ref = refOf(resource, o);
      const cur = existing(ref);
      if (!cur) return notFound(ref, 'not found');
      if (o.metadata.resourceVersion !== cur.metadata.resourceVersion) return conflict(ref, 'stale resourceVersion');
      log('replace', resource, o);
      const generation = (cur.metadata.generation ?? 1) + (JSON.stringify(cur.spec) === JSON.stringify(o.spec) ? 0 : 1);
      return put(resource, { ...o, metadata: { ...o.metadata, uid: cur.metadata.uid, generation }, ...(cur.status !== undefined ? { status: cur.status } : {}) });
    }),
    mergePatch: (ref, patch) => op('mergePatch', ref, () => {
      const cur = existing(ref);
      if (!cur) return notFound(ref, 'not found');
      const wantRv = (patch.metadata as { resourceVersion?: string } | undefined)?.resourceVersion;
      if (wantRv !== undefined && wantRv !== cur.metadata.resourceVersion) return conflict(ref, 'stale resourceVersion');
      const next = mergePatchValue(cur, patch) as KubeObject;
      log('mergePatch', ref.resource, { ...next, patch } as unknown as KubeObject);
      const generation = (cur.metadata.generation ?? 1) + (JSON.stringify(cur.spec) === JSON.stringify(next.spec) ? 0 : 1);
      return put(ref.resource, { ...next, metadata: { ...next.metadata, generation } });
    }),
    delete: (ref, resourceVersion) => op('delete', ref, () => {
      const cur = existing(ref);
      if (!cur) return notFound(ref, 'not found');
      if (resourceVersion !== cur.metadata.resourceVersion) return conflict(ref, 'stale resourceVersion');
      log('delete', ref.resource, cur);
      store.delete(id(ref.resource, ref.namespace, ref.name));
      return clone(cur);
    }),
    replaceStatus: (ref, o) => op('replaceStatus', ref, () => {
      const cur = existing(ref);
      if (!cur) return notFound(ref, 'not found');
      if (o.metadata.resourceVersion !== cur.metadata.resourceVersion) return conflict(ref, 'stale resourceVersion');
      log('replaceStatus', ref.resource, o);
      return put(ref.resource, { ...cur, status: clone(o.status) });
    }),
  };

  const list = (r: Resource, ns?: string) =>
    [...store.entries()].filter(([k]) => k.startsWith(`${r.plural}/${ns === undefined ? '' : `${ns}/`}`)).map(([, o]) => clone(o));
  const get = (r: Resource) => (ns: string, name: string) => {
    const o = store.get(id(r, ns, name));
    return o ? clone(o) : undefined;
  };
  const caches: Caches = {
    shift: get(TRAFFIC_SHIFTS),
    shifts: (ns) => list(TRAFFIC_SHIFTS, ns),
    service: get(SERVICES),
    pods: (ns) => list(PODS, ns),
    virtualService: get(VIRTUAL_SERVICES),
    destinationRule: get(DESTINATION_RULES),
    services: (ns) => list(SERVICES, ns),
    httpRoute: get(HTTP_ROUTES),
    synced: () => true,
  };

  return {
    kube,
    caches,
    writes,
    store,
    /** Seed an object without logging a write. */
    seed: (resource: Resource, o: KubeObject): KubeObject =>
      put(resource, { ...o, metadata: { uid: `uid-${++uid}`, generation: 1, ...o.metadata } }),
    read: (resource: Resource, ns: string, name: string) => get(resource)(ns, name),
    /** Edit an object as another client would (bumps resourceVersion, not logged). */
    edit: (resource: Resource, ns: string, name: string, f: (o: KubeObject) => KubeObject) => {
      const cur = get(resource)(ns, name)!;
      const next = f(cur);
      const generation = (cur.metadata.generation ?? 1) + (JSON.stringify(cur.spec) === JSON.stringify(next.spec) ? 0 : 1);
      return put(resource, { ...next, metadata: { ...next.metadata, generation } });
    },
    /** Make the next `verb` fail with `error` (after running `before`). */
    failNext: (verb: Verb, error: (ref: ObjectRef) => KubeError, before?: () => void) => failures.push({ verb, error, ...(before ? { before } : {}) }),
    /** Make the next `verb` hang until the returned function is called; then it runs as it would have. */
    hangNext: (verb: Verb): (() => void) => {
      let release = (): void => undefined;
      hangs.push({ verb, released: new Promise<void>((r) => (release = r)) });
      return () => release();
    },
    now: () => clock,
    advance: (ms: number) => (clock += ms),
    LEASES,
  };
};

export type MemoryKube = ReturnType<typeof memoryKube>;
