/**
 * Whether a shift's spec.protocol can route its Service, by the Service's ports as Istio reads
 * them (istio.io, Protocol Selection, https://istio.io/latest/docs/ops/configuration/traffic-management/protocol-selection/;
 * istio/istio `kube.ConvertProtocol`): `appProtocol` when set, else the port name up to its first
 * "-", case-insensitive. http, http2, grpc, grpc-web ports take only `http` routes; tcp, tls,
 * https (a sidecar does not decrypt) and mongo, mysql, redis (experimental support off by
 * default) are opaque TCP and take only `tcp` routes; other ports are detected from their first
 * bytes and may be either. Pure; the daemon reports the sentence as a problem (no route written).
 */
import { Protocol } from '../api/spec';

const HTTP = new Set(['http', 'http2', 'grpc', 'grpc-web']);
const OPAQUE = new Set(['tcp', 'tls', 'https', 'mongo', 'mysql', 'redis']);

/** A Service port as the informer caches it. */
export interface PortLike {
  readonly port?: unknown;
  readonly name?: unknown;
  readonly appProtocol?: unknown;
}

/** The protocol Istio declares for a port, and what declared it; undefined when Istio detects it from the traffic. */
export const declaredProtocol = (port: PortLike): { readonly protocol: Protocol; readonly by: string } | undefined => {
  const app = typeof port.appProtocol === 'string' ? port.appProtocol : undefined;
  const name = typeof port.name === 'string' ? port.name : undefined;
  const word = (app ?? name)?.split('-')[0]?.toLowerCase();
  const by = app !== undefined ? `appProtocol "${app}"` : `name "${name ?? ''}"`;
  if (word === undefined) return undefined;
  if (HTTP.has(word)) return { protocol: 'http', by };
  if (OPAQUE.has(word)) return { protocol: 'tcp', by };
  return undefined;
};

/**
 * Why `protocol` cannot route Service `namespace/service` with these ports, or undefined when some
 * port can carry it (declared so, or left to detection) or the Service is not known. Only a
 * Service whose every port is declared the other protocol is refused: its traffic would never
 * meet sluice's routes.
 */
export const protocolMismatch = (
  namespace: string,
  service: string,
  protocol: Protocol,
  explicit: boolean,
  ports: readonly PortLike[] | undefined,
): string | undefined => {
  if (ports === undefined || ports.length === 0) return undefined;
  const declared = ports.map(declaredProtocol);
  if (declared.some((d) => d === undefined || d.protocol === protocol)) return undefined;
  const first = declared[0]!;
  const other = first.protocol;
  const where = ports.length === 1 ? `its port ${String(ports[0]!.port)}` : `all ${ports.length} of its ports (port ${String(ports[0]!.port)}: ${first.by})`;
  return `spec.protocol: "${protocol}"${explicit ? '' : ' (the default)'} cannot route Service ${namespace}/${service}: Istio routes ${where}${ports.length === 1 ? ` (${first.by})` : ''} as ${other.toUpperCase()}, ` +
    `so only ${other === 'tcp' ? 'tcp' : 'http'} routes apply to it and sluice's ${protocol} routes would move no traffic; expected spec.protocol: ${other}`;
};
