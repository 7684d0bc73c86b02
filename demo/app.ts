/**
 * The sample app (istio/samples/app.yaml) as the demo uses it: which Service it is, and a
 * Deployment for any version, cloned from the sample's versioned Deployment. Pure.
 */
import { parseAllDocuments } from 'yaml';
import type { App } from './stories';

/** A Kubernetes object as plain JSON. */
export type Obj = { kind?: string; metadata?: { name?: string; namespace?: string; labels?: Record<string, string> }; spec?: Record<string, unknown> } & Record<string, unknown>;

/** The sample's objects, in file order. */
export const parseManifests = (text: string): Obj[] =>
  parseAllDocuments(text)
    .map((d) => d.toJSON() as unknown)
    .filter((o): o is Obj => typeof o === 'object' && o !== null && typeof (o as Obj).kind === 'string');

interface PodTemplate {
  metadata?: { labels?: Record<string, string> };
}

const podLabels = (d: Obj): Record<string, string> => ((d.spec?.template as PodTemplate | undefined)?.metadata?.labels) ?? {};

/** The sample as the demo uses it. */
export interface Sample {
  readonly app: App;
  /** The first versioned Deployment: the version the demo starts from. */
  readonly base: { readonly version: string; readonly deployment: Obj };
  /** Every versioned Deployment of the sample, by version. */
  readonly deployments: ReadonlyMap<string, Obj>;
  /** Everything else in the file (Namespace, Service, ...). */
  readonly others: readonly Obj[];
}

/** The sample's Service and versioned Deployments; a sentence if the file is not as expected. */
export const sampleApp = (objs: readonly Obj[], versionLabel = 'version'): Sample | string => {
  const service = objs.find((o) => o.kind === 'Service');
  if (!service?.metadata?.name) return 'istio/samples/app.yaml: no Service with a name';
  const versioned = objs.filter((o) => o.kind === 'Deployment' && podLabels(o)[versionLabel] !== undefined);
  if (versioned.length === 0) return `istio/samples/app.yaml: no Deployment whose pods carry the label "${versionLabel}"`;
  const namespace = service.metadata.namespace ?? versioned[0].metadata?.namespace ?? 'default';
  return {
    app: { namespace, service: service.metadata.name },
    base: { version: podLabels(versioned[0])[versionLabel], deployment: versioned[0] },
    deployments: new Map(versioned.map((d) => [podLabels(d)[versionLabel], d])),
    others: objs.filter((o) => !versioned.includes(o)),
  };
};

/** The Deployment of `version`: the sample's own if it has one, else a clone of the base. */
export const deploymentOf = (s: Sample, version: string): Obj => s.deployments.get(version) ?? deploymentFor(s.base.deployment, s.base.version, version);

/**
 * The template Deployment for another version: the name has its version replaced (or gains a
 * `-<version>` suffix) and every value that is exactly the old version (the version label on the
 * Deployment, its selector and its pods; an env var VERSION) becomes the new one. Everything else
 * (image, ports, probes, the app label) is kept.
 */
export const deploymentFor = (template: Obj, fromVersion: string, version: string): Obj => {
  const copy = JSON.parse(JSON.stringify(template).split(`"${fromVersion}"`).join(`"${version}"`)) as Obj;
  const name = template.metadata?.name ?? 'app';
  const suffix = `-${fromVersion}`;
  copy.metadata = { ...copy.metadata, name: `${name.endsWith(suffix) ? name.slice(0, -suffix.length) : name}-${version}` };
  return copy;
};
