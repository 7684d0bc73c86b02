/**
 * The Kubernetes objects one run of the fallback benchmark creates, per tool, and the candidate
 * weights read back from VirtualService writes. Pure.
 *
 * Both tools get the same app: pods labelled `app: <app>` and `version: <v>`, one replica per
 * version, a Service `<app>` on port 80, traffic from the mesh simulator's client to host `<app>`.
 *  - sluice: one Deployment per version (`<app>-v1`, `<app>-v2`) and a TrafficShift; the shift
 *    starts when `spec.version` becomes v2 (the v2 Deployment is created at the same moment).
 *  - Flagger: one Deployment `<app>` and a Canary; Flagger copies it to `<app>-primary`, creates
 *    the Services `<app>`, `<app>-primary`, `<app>-canary`, their DestinationRules and the
 *    VirtualService; the shift starts when the Deployment's pod template changes to v2.
 */
import { subsetName } from '../../src/istio/names';
import type { ToolSettings } from './scenario';

export type Obj = Record<string, unknown>;

/** The pod label both tools' pods carry the version in (Istio's `destination_version` comes from it). */
export const VERSION_LABEL = 'version';

const CONTAINER_PORT = 8080;

export const namespaceObj = (name: string): Obj => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { 'istio-injection': 'enabled' } } });

const podTemplate = (app: string, version: string) => ({
  metadata: { labels: { app, [VERSION_LABEL]: version } },
  spec: {
    containers: [{
      name: 'app',
      image: `registry.invalid/bench/app:${version}`,
      env: [{ name: 'VERSION', value: version }],
      ports: [{ containerPort: CONTAINER_PORT }],
    }],
  },
});

/** sluice's Service for the app: selects every version. */
export const sluiceService = (namespace: string, app: string): Obj => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: app, namespace, labels: { app } },
  spec: { selector: { app }, ports: [{ name: 'http', port: 80, targetPort: CONTAINER_PORT }] },
});

/** sluice's Deployment of one version. */
export const sluiceDeployment = (namespace: string, app: string, version: string): Obj => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: `${app}-${version}`, namespace, labels: { app, [VERSION_LABEL]: version } },
  spec: { replicas: 1, selector: { matchLabels: { app, [VERSION_LABEL]: version } }, template: podTemplate(app, version) },
});

/** The TrafficShift, serving `version` (the first version is adopted at 100 % without analysis). */
export const trafficShift = (namespace: string, app: string, version: string, settings: ToolSettings['sluice']): Obj => ({
  apiVersion: 'sluice.dev/v1alpha1',
  kind: 'TrafficShift',
  metadata: { name: app, namespace },
  spec: { service: app, version, strategy: settings.strategy, analysis: settings.analysis },
});

/** Flagger's target Deployment (selector on `app` only, so a new version is a template change). */
export const flaggerDeployment = (namespace: string, app: string, version: string): Obj => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: app, namespace, labels: { app } },
  spec: { replicas: 1, selector: { matchLabels: { app } }, template: podTemplate(app, version) },
});

/** Merge patch that rolls Flagger's target to `version`: what a user's `kubectl set image` does. */
export const flaggerVersionPatch = (app: string, version: string): Obj => ({ spec: { template: podTemplate(app, version) } });

/** Flagger's Canary for the app, with its istio provider's defaults for everything not given. */
export const canary = (namespace: string, app: string, settings: ToolSettings['flagger']): Obj => ({
  apiVersion: 'flagger.app/v1beta1',
  kind: 'Canary',
  metadata: { name: app, namespace },
  spec: {
    provider: 'istio',
    targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: app },
    service: { port: 80, targetPort: CONTAINER_PORT },
    analysis: settings.analysis,
  },
});

/** The Services whose answers the ledger books for the app, per tool. */
export const ledgerServices = (tool: 'sluice' | 'flagger', namespace: string, app: string): readonly string[] =>
  tool === 'sluice' ? [`${namespace}/${app}`] : [`${namespace}/${app}`, `${namespace}/${app}-primary`, `${namespace}/${app}-canary`];

interface Destination {
  readonly destination?: { readonly host?: string; readonly subset?: string };
  readonly weight?: number;
}

/**
 * The candidate's weight in a VirtualService as written: sluice routes to subset `<candidate>`,
 * Flagger to host `<app>-canary`. Undefined when the object has no weighted route.
 */
export const candidateWeightOf = (vs: unknown, app: string, candidate: string): number | undefined => {
  const http = (vs as { spec?: { http?: { route?: Destination[] }[] } } | undefined)?.spec?.http;
  const route = http?.[0]?.route;
  if (!Array.isArray(route) || route.length === 0) return undefined;
  const isCandidate = (d: Destination): boolean => {
    const host = d.destination?.host ?? '';
    return d.destination?.subset === subsetName(candidate) || host === `${app}-canary` || host.startsWith(`${app}-canary.`);
  };
  const weightOf = (d: Destination): number => d.weight ?? (route.length === 1 ? 100 : 0);
  return route.filter(isCandidate).reduce((sum, d) => sum + weightOf(d), 0);
};
