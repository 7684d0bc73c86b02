/** In-memory terminal and TrafficShift API for the CLI tests: no cluster, no clock, no terminal. */
import * as E from 'fp-ts/Either';
import * as TE from 'fp-ts/TaskEither';
import { ShiftStatus } from '../../../src/api/status';
import { CliDeps, CliIo, ShiftClient } from '../../../src/cli/cliDeps';
import { KubeError } from '../../../src/kube/errors';
import { KubeObject, TRAFFIC_SHIFTS } from '../../../src/kube/objects';

export const NOW = Date.parse('2026-11-22T03:00:00Z');

/** A TrafficShift object as the API server returns it. */
export const shift = (namespace: string, name: string, over: { status?: ShiftStatus; annotations?: Record<string, string>; spec?: object; created?: string } = {}): KubeObject => ({
  apiVersion: 'sluice.dev/v1alpha1',
  kind: 'TrafficShift',
  metadata: {
    name,
    namespace,
    resourceVersion: '1',
    creationTimestamp: over.created ?? '2026-11-21T23:48:00Z',
    ...(over.annotations ? { annotations: over.annotations } : {}),
  },
  spec: over.spec ?? { service: name, version: 'v2', strategy: { canary: { steps: [10, 25, 50] } } },
  ...(over.status ? { status: over.status } : {}),
});

/** RFC 7386 JSON merge patch. */
export const mergePatch = (target: unknown, patch: unknown): unknown => {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> = typeof target === 'object' && target !== null && !Array.isArray(target) ? { ...(target as object) } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
};

const notFound = (namespace: string, name: string): KubeError => ({
  _tag: 'NotFound',
  ref: { resource: TRAFFIC_SHIFTS, namespace, name },
  message: `read TrafficShift ${namespace}/${name}: not found (404): trafficshifts.sluice.dev "${name}" not found`,
});

/**
 * An in-memory API server. `daemon` runs on every read after a patch, standing in for the
 * controller: it gets the stored object and returns the next one (or undefined to leave it).
 */
export const memoryShifts = (objects: KubeObject[], daemon?: (obj: KubeObject, reads: number) => KubeObject | undefined) => {
  const store = new Map(objects.map((o) => [`${o.metadata.namespace}/${o.metadata.name}`, o]));
  const patches: { namespace: string; name: string; patch: Record<string, unknown> }[] = [];
  let readsSincePatch = 0;
  const client: ShiftClient = {
    list: (namespace) => TE.right([...store.values()].filter((o) => namespace === undefined || o.metadata.namespace === namespace)),
    get: (namespace, name) => async () => {
      const key = `${namespace}/${name}`;
      const found = store.get(key);
      if (!found) return E.left(notFound(namespace, name));
      readsSincePatch += 1;
      const next = daemon && patches.length > 0 ? daemon(found, readsSincePatch) : undefined;
      if (next) store.set(key, next);
      return E.right(store.get(key)!);
    },
    mergePatch: (namespace, name, patch) => async () => {
      const key = `${namespace}/${name}`;
      const found = store.get(key);
      if (!found) return E.left({ ...notFound(namespace, name), message: `patch TrafficShift ${namespace}/${name}: not found (404): trafficshifts.sluice.dev "${name}" not found` });
      patches.push({ namespace, name, patch });
      readsSincePatch = 0;
      const next = mergePatch(found, patch) as KubeObject;
      store.set(key, next);
      return E.right(next);
    },
  };
  return { client, patches, store };
};

/** A recording terminal whose clock advances only when the command sleeps. */
export const memoryIo = (over: Partial<CliIo> = {}) => {
  const out: string[] = [];
  const err: string[] = [];
  let now = NOW;
  const sleeps: number[] = [];
  const io: CliIo = {
    out: (line) => out.push(line),
    err: (line) => err.push(line),
    env: { USER: 'alice' },
    program: 'sluice',
    isTty: false,
    now: () => now,
    sleep: async (ms) => {
      sleeps.push(ms);
      now += ms;
    },
    newId: () => 'c0ffee000001',
    ...over,
  };
  return { io, out, err, sleeps };
};

/** Dependencies over an in-memory API; the kubeconfig's namespace is "shop". */
export const deps = (io: CliIo, client: ShiftClient, seen: (string | undefined)[] = []): CliDeps => ({
  io,
  connect: async (kubeconfig) => {
    seen.push(kubeconfig);
    return E.right({ shifts: client, namespace: 'shop' });
  },
});
