/** Fixture builders for the mesh simulator's unit tests. */
import type { DestinationRule, HttpRoute, MeshSnapshot, Pod, Service, VirtualService } from '../../mesh-sim/model';

export const pod = (name: string, version: string, opts: Partial<Pod> = {}): Pod => ({
  namespace: 'shop',
  name,
  labels: { app: 'reviews', version },
  ready: true,
  workload: `reviews-${version}`,
  serviceAccount: 'reviews',
  ...opts,
});

export const service = (name = 'reviews', selector: Record<string, string> = { app: name }): Service => ({ namespace: 'shop', name, selector });

export const virtualService = (http: readonly HttpRoute[], opts: Partial<VirtualService> = {}): VirtualService => ({
  namespace: 'shop',
  name: 'reviews',
  hosts: ['reviews'],
  http,
  ...opts,
});

export const destinationRule = (subsets: Record<string, Record<string, string>>, opts: Partial<DestinationRule> = {}): DestinationRule => ({
  namespace: 'shop',
  name: 'reviews',
  host: 'reviews.shop.svc.cluster.local',
  subsets: Object.entries(subsets).map(([name, labels]) => ({ name, labels })),
  ...opts,
});

/** v1 and v2 subsets keyed on the `version` label. */
export const v1v2Rule = (): DestinationRule => destinationRule({ v1: { version: 'v1' }, v2: { version: 'v2' } });

/** An http route splitting between subsets v1 and v2. */
export const split = (v1: number, v2: number): HttpRoute => ({
  route: [
    { destination: { host: 'reviews', subset: 'v1' }, weight: v1 },
    { destination: { host: 'reviews', subset: 'v2' }, weight: v2 },
  ],
});

/** Three ready pods of each of v1 and v2 behind Service reviews. */
export const threeEach = (): Pod[] => ['v1', 'v2'].flatMap((v) => [0, 1, 2].map((i) => pod(`reviews-${v}-${i}`, v)));

export const snapshot = (s: Partial<MeshSnapshot>): MeshSnapshot => ({
  virtualServices: [],
  destinationRules: [],
  services: [service()],
  pods: threeEach(),
  ...s,
});
