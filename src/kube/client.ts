/**
 * The production Kube: @kubernetes/client-node 2.x. Generic reads and writes go through
 * KubernetesObjectApi (it discovers plurals and scopes once per kind); the TrafficShift status
 * subresource through CustomObjectsApi, which KubernetesObjectApi cannot address.
 */
import { CustomObjectsApi, KubeConfig, KubernetesObject, KubernetesObjectApi, PatchStrategy } from '@kubernetes/client-node';
import * as TE from 'fp-ts/TaskEither';
import { toKubeError } from './errors';
import { Kube } from './kube';
import { apiVersionOf, FIELD_MANAGER, KubeObject, ObjectRef, Resource } from './objects';

/** Typed client models carry Dates; sluice works on plain JSON (timestamps as strings). */
const plain = (o: unknown): KubeObject => JSON.parse(JSON.stringify(o)) as KubeObject;

/** The object with its apiVersion and kind; timestamps stay strings (the serializer passes them through). */
const header = (resource: Resource, obj: KubeObject): KubernetesObject =>
  ({ ...obj, apiVersion: apiVersionOf(resource), kind: resource.kind }) as unknown as KubernetesObject;

const refOf = (resource: Resource, obj: KubeObject): ObjectRef => ({ resource, namespace: obj.metadata.namespace ?? '', name: obj.metadata.name });

export const makeKube = (kc: KubeConfig): Kube => {
  const objects = KubernetesObjectApi.makeApiClient(kc);
  const custom = kc.makeApiClient(CustomObjectsApi);
  const call = (ref: ObjectRef, verb: string, f: () => Promise<unknown>) =>
    TE.tryCatch(async () => plain(await f()), (e) => toKubeError(ref, verb, e));

  return {
    get: (ref) =>
      call(ref, 'read', () =>
        objects.read({ apiVersion: apiVersionOf(ref.resource), kind: ref.resource.kind, metadata: { name: ref.name, namespace: ref.namespace } })),
    create: (resource, obj) => call(refOf(resource, obj), 'create', () => objects.create(header(resource, obj), undefined, undefined, FIELD_MANAGER)),
    replace: (resource, obj) => call(refOf(resource, obj), 'update', () => objects.replace(header(resource, obj), undefined, undefined, FIELD_MANAGER)),
    mergePatch: (ref, patch) =>
      call(ref, 'patch', () =>
        objects.patch(
          header(ref.resource, { ...patch, apiVersion: apiVersionOf(ref.resource), kind: ref.resource.kind, metadata: { ...((patch.metadata as object) ?? {}), name: ref.name, namespace: ref.namespace } }),
          undefined, undefined, FIELD_MANAGER, undefined, PatchStrategy.MergePatch,
        )),
    replaceStatus: (ref, obj) =>
      call(ref, 'update status of', () =>
        custom.replaceNamespacedCustomObjectStatus({
          group: ref.resource.group, version: ref.resource.version, plural: ref.resource.plural,
          namespace: ref.namespace, name: ref.name, body: header(ref.resource, obj), fieldManager: FIELD_MANAGER,
        })),
  };
};
