/**
 * The production ShiftClient: @kubernetes/client-node's CustomObjectsApi. Kept apart from the
 * commands so unit tests never load the Kubernetes client.
 */
import { CustomObjectsApi, KubeConfig, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import * as E from 'fp-ts/Either';
import * as TE from 'fp-ts/TaskEither';
import { toKubeError } from '../kube/errors';
import { KubeObject, ObjectRef, TRAFFIC_SHIFTS } from '../kube/objects';
import { Connect, ShiftClient } from './cliDeps';

const FIELD_MANAGER = 'sluice-cli';
const plain = (o: unknown): unknown => JSON.parse(JSON.stringify(o));
const { group, version, plural } = TRAFFIC_SHIFTS;
const ref = (namespace: string, name: string): ObjectRef => ({ resource: TRAFFIC_SHIFTS, namespace, name });

export const shiftClient = (kc: KubeConfig): ShiftClient => {
  const api = kc.makeApiClient(CustomObjectsApi);
  return {
    list: (namespace) =>
      TE.tryCatch(
        async () => {
          const answer = namespace === undefined
            ? await api.listClusterCustomObject({ group, version, plural })
            : await api.listNamespacedCustomObject({ group, version, plural, namespace });
          return ((plain(answer) as { items?: KubeObject[] }).items ?? []) as readonly KubeObject[];
        },
        (e) => toKubeError(ref(namespace ?? '(all namespaces)', '*'), 'list', e),
      ),
    get: (namespace, name) =>
      TE.tryCatch(
        async () => plain(await api.getNamespacedCustomObject({ group, version, plural, namespace, name })) as KubeObject,
        (e) => toKubeError(ref(namespace, name), 'read', e),
      ),
    mergePatch: (namespace, name, body) =>
      TE.tryCatch(
        async () =>
          plain(
            await api.patchNamespacedCustomObject(
              { group, version, plural, namespace, name, body, fieldManager: FIELD_MANAGER },
              setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
            ),
          ) as KubeObject,
        (e) => toKubeError(ref(namespace, name), 'patch', e),
      ),
  };
};

/** Load the kubeconfig (the file given, else the default chain): the config and its current namespace, or why not. */
export const loadKubeConfig = (kubeconfig: string | undefined): E.Either<string, { kc: KubeConfig; namespace: string }> => {
  try {
    const kc = new KubeConfig();
    if (kubeconfig !== undefined) kc.loadFromFile(kubeconfig);
    else kc.loadFromDefault();
    if (!kc.getCurrentCluster()) return E.left(`no cluster in the kubeconfig${kubeconfig ? ` ${kubeconfig}` : ''} (current context: ${kc.getCurrentContext() || 'none'})`);
    return E.right({ kc, namespace: kc.getContextObject(kc.getCurrentContext())?.namespace || 'default' });
  } catch (e) {
    return E.left(`cannot load the kubeconfig${kubeconfig ? ` ${kubeconfig}` : ''}: ${e instanceof Error ? e.message : String(e)}`);
  }
};

/** Load the kubeconfig and connect. */
export const connectKube: Connect = async (kubeconfig) => E.map(({ kc, namespace }: { kc: KubeConfig; namespace: string }) => ({ shifts: shiftClient(kc), namespace }))(loadKubeConfig(kubeconfig));
