/**
 * Endpoints as Kubernetes and Istio compute them: the pods a Service's selector picks, narrowed
 * by a DestinationRule subset's labels, keeping READY pods only.
 */
import type { Pod, Service, ServiceRef } from './model';

/** Whether `labels` contain every key/value of `selector`. */
export const selects = (selector: Readonly<Record<string, string>>, labels: Readonly<Record<string, string>>): boolean =>
  Object.entries(selector).every(([k, v]) => labels[k] === v);

/** Pods selected by the Service, ready or not. A Service without a selector has none (no automatic Endpoints). */
export const podsOf = (service: Service, pods: readonly Pod[]): readonly Pod[] =>
  Object.keys(service.selector).length === 0
    ? []
    : pods.filter((p) => p.namespace === service.namespace && selects(service.selector, p.labels));

/** The ready pods among `pods` that carry the subset labels (all of them when there is no subset). */
export const readyEndpoints = (pods: readonly Pod[], subsetLabels: Readonly<Record<string, string>> = {}): readonly Pod[] =>
  pods.filter((p) => p.ready && selects(subsetLabels, p.labels));

export const findService = (services: readonly Service[], ref: ServiceRef): Service | undefined =>
  services.find((s) => s.namespace === ref.namespace && s.name === ref.name);
