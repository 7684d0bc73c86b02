/**
 * The Helm chart as the tests see it: rendered by a real helm (scripts/lib/helm.sh) for the
 * server under test, as `helm install` would, and users that authenticate to the local API server
 * with their own ServiceAccount token (TokenRequest API) and nothing else.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { kubectl, kubectlOk, REPO_ROOT } from './env';

const HELM_SH = path.join(REPO_ROOT, 'scripts', 'lib', 'helm.sh');
const CHART = path.join(REPO_ROOT, 'charts', 'sluice');

export interface K8sDoc { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string> }; [k: string]: any }

export const randomSuffix = (): string => Math.random().toString(36).slice(2, 8);

/** helm from the cache, built on first use (progress on stderr; a cold build takes minutes). */
export const helmBinary = (): string => {
  const r = spawnSync('bash', [HELM_SH], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 30 * 60_000 });
  if (r.status !== 0) throw new Error(`scripts/lib/helm.sh failed (${r.status ?? r.signal})`);
  return r.stdout.trim();
};

/**
 * `helm template RELEASE charts/sluice --namespace NAMESPACE` for the local server's version (or
 * `kubeVersion`), with `values` as --set-json pairs (e.g. `{ watchNamespaces: ['a', 'b'] }`).
 */
export const renderChart = (helm: string, release: string, namespace: string, values: Record<string, unknown> = {}, kubeVersion?: string): K8sDoc[] => {
  const server = kubeVersion ?? (JSON.parse(kubectlOk(['version', '-o', 'json'])).serverVersion.gitVersion as string);
  const sets = Object.entries(values).flatMap(([k, v]) => ['--set-json', `${k}=${JSON.stringify(v)}`]);
  const out = spawnSync(helm, ['template', release, CHART, '--namespace', namespace, '--kube-version', server, ...sets], { encoding: 'utf8' });
  if (out.status !== 0) throw new Error(`helm template failed: ${out.stderr}`);
  return parseAllDocuments(out.stdout).map((d) => d.toJSON() as K8sDoc).filter((d) => d !== null);
};

/** `kubectl apply` of `docs` as one List. */
export const applyDocs = (docs: readonly K8sDoc[]): void => void kubectlOk(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: docs }));

/** Deletes the cluster-scoped objects among `docs` (namespaced ones go with their namespace); never throws. */
export const deleteClusterScoped = (docs: readonly K8sDoc[]): void => {
  const items = docs.filter((d) => d.metadata.namespace === undefined);
  if (items.length > 0) kubectl(['delete', '-f', '-', '--ignore-not-found', '--wait=false'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items }));
};

/** A kubeconfig file in `dir` for the local API server that authenticates with `token` only. */
export const tokenKubeconfig = (dir: string, user: string, token: string): string => {
  const admin = JSON.parse(kubectlOk(['config', 'view', '--raw', '--minify', '-o', 'json']));
  const cluster = admin.clusters[0].cluster as Record<string, string>;
  const ca = cluster['certificate-authority-data'] ?? fs.readFileSync(cluster['certificate-authority']!).toString('base64');
  const config = {
    apiVersion: 'v1', kind: 'Config', 'current-context': 'sluice',
    clusters: [{ name: 'local', cluster: { server: cluster.server, 'certificate-authority-data': ca } }],
    users: [{ name: user, user: { token } }],
    contexts: [{ name: 'sluice', context: { cluster: 'local', user } }],
  };
  const file = path.join(dir, `kubeconfig-${user}`);
  fs.writeFileSync(file, JSON.stringify(config), { mode: 0o600 });
  return file;
};

/**
 * A ServiceAccount `name` in `namespace`, a kubeconfig holding a fresh token of it (1 h), and the
 * user name the API server authenticates it as.
 */
export const givenTokenUser = (dir: string, namespace: string, name: string): { kubeconfig: string; username: string } => {
  kubectlOk(['-n', namespace, 'create', 'serviceaccount', name]);
  const token = kubectlOk(['create', 'token', name, '-n', namespace, '--duration=1h']).trim();
  const kubeconfig = tokenKubeconfig(dir, name, token);
  const username = kubectlOk(['auth', 'whoami', '--kubeconfig', kubeconfig, '-o', 'jsonpath={.status.userInfo.username}']);
  return { kubeconfig, username };
};
