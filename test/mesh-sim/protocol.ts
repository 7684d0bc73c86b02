/**
 * Which protocol Istio gives a Service port, as istio.io's *Protocol Selection* says
 * (https://istio.io/latest/docs/ops/configuration/traffic-management/protocol-selection/):
 * `appProtocol: <protocol>` first, else the port name `<protocol>[-<suffix>]`; http, http2, grpc and
 * grpc-web are HTTP; tcp, tls, https (a sidecar does not decrypt) and mongo, mysql, redis (their
 * experimental support is off by default) are an opaque TCP stream; anything else is detected from
 * the first bytes, and the simulator's clients speak HTTP. The simulator's streams address a
 * Service's first port, so that port decides whether they are requests or connections.
 */
import type { Service, ServicePort } from './model';

export type Protocol = 'http' | 'tcp';

const HTTP = new Set(['http', 'http2', 'grpc', 'grpc-web']);
const OPAQUE = new Set(['tcp', 'tls', 'https', 'mongo', 'mysql', 'redis']);

const declared = (word: string | undefined): Protocol | undefined => {
  const w = word?.toLowerCase();
  if (w === undefined) return undefined;
  if (HTTP.has(w)) return 'http';
  if (OPAQUE.has(w)) return 'tcp';
  return undefined;
};

/**
 * The protocol of one port, as istio/istio's `kube.ConvertProtocol` reads it: appProtocol when set,
 * else the port name, up to the first "-", case-insensitive; undeclared (or unknown) ports are
 * detected from the traffic, which the simulator's clients make HTTP. Not modelled: UDP ports,
 * Kubernetes' `kubernetes.io/h2c` / `ws` appProtocols, Istio's default of TCP for a few
 * well-known ports.
 */
export const portProtocol = (port: ServicePort): Protocol => declared((port.appProtocol ?? port.name)?.split('-')[0]) ?? 'http';

/** The protocol of the port the streams address (the first); a Service without ports (or none found) is HTTP. */
export const serviceProtocol = (service: Service | undefined): Protocol => {
  const first = service?.ports?.[0];
  return first === undefined ? 'http' : portProtocol(first);
};
