/**
 * Istio's standard metric labels (istio_requests_total, istio_request_duration_milliseconds) for a
 * simulated request, per reporter. Values follow what the istio/proxy stats filter emits:
 *   - reporter="destination" (server sidecar): both peers known, connection_security_policy="mutual_tls";
 *   - reporter="source" (client sidecar): connection_security_policy="unknown" (only the server side knows);
 *   - a request no endpoint received (503 UH / NC, 404 NR) is reported by the source only, and every
 *     destination_* label that comes from the upstream peer is "unknown" (canonical revision "latest");
 *     destination_service* still name the Service, which Envoy knows from the cluster metadata.
 *
 * Which pod label becomes which label follows Istio exactly (sources in docs/mesh-simulator.md):
 *   - destination_version, reporter="destination": the server proxy's own LABELS["version"], empty
 *     when the pod has none (istio/proxy istio_stats.cc: `app_version_` from "version");
 *   - destination_version, reporter="source": the peer's version from metadata exchange,
 *     `app.kubernetes.io/version`, else `version`, else "unknown" (istio/proxy metadata_object.cc);
 *   - destination_canonical_revision: `service.istio.io/canonical-revision`, which the sidecar
 *     injector fills when absent from `app.kubernetes.io/version`, else `version`, else "latest"
 *     (istio/istio pkg/kube/inject, pkg/kube/labels CanonicalService);
 *   - destination_canonical_service likewise: canonical-name, `app.kubernetes.io/name`, `app`, the workload;
 *   - destination_app: `app` on the server side, `app.kubernetes.io/name` else `app` on the client side.
 * sluice's versionLabel plays no part here: Istio does not know it.
 */
import { fqdn } from './hosts';
import type { Pod, ServiceRef } from './model';

export const ISTIO_LABELS = [
  'reporter',
  'source_workload',
  'source_workload_namespace',
  'source_principal',
  'source_app',
  'source_version',
  'source_canonical_service',
  'source_canonical_revision',
  'source_cluster',
  'destination_service',
  'destination_service_name',
  'destination_service_namespace',
  'destination_workload',
  'destination_workload_namespace',
  'destination_principal',
  'destination_app',
  'destination_version',
  'destination_canonical_service',
  'destination_canonical_revision',
  'destination_cluster',
  'request_protocol',
  'response_code',
  'response_flags',
  'grpc_response_status',
  'connection_security_policy',
] as const;

export type IstioLabels = Record<(typeof ISTIO_LABELS)[number], string>;

/**
 * The labels of Istio's TCP metrics (istio_tcp_connections_opened_total, ..._closed_total,
 * istio_tcp_sent_bytes_total, istio_tcp_received_bytes_total): the standard ones without
 * response_code and grpc_response_status, request_protocol "tcp" (istio/proxy
 * testdata/metric/tcp_server_connection_close.yaml.tmpl, tcp_client_connection_open.yaml.tmpl).
 */
export const ISTIO_TCP_LABELS = ISTIO_LABELS.filter((l) => l !== 'response_code' && l !== 'grpc_response_status');
export type IstioTcpLabels = Record<(typeof ISTIO_TCP_LABELS)[number], string>;

export type Reporter = 'source' | 'destination';

/** The synthetic client workload (default `loadgen`). */
export interface SourceWorkload {
  readonly workload: string;
  readonly namespace: string;
  readonly serviceAccount: string;
}

/** The peer that answered, when one did. */
export interface DestinationPeer {
  readonly pod: Pod;
}

/** One reported request. */
export interface Report {
  readonly reporter: Reporter;
  readonly source: SourceWorkload;
  readonly service: ServiceRef;
  readonly peer?: DestinationPeer;
  readonly responseCode: number;
  /** Envoy response flags: "-" normally, "UH", "NC", "NR" when the proxy answered itself. */
  readonly responseFlags: string;
  /** A TCP connection (Istio's TCP metrics, istioTcpLabels) rather than an HTTP request. Default HTTP. */
  readonly protocol?: 'tcp';
}

const UNKNOWN = 'unknown';

const spiffe = (namespace: string, serviceAccount: string): string => `spiffe://cluster.local/ns/${namespace}/sa/${serviceAccount}`;

const first = (labels: Readonly<Record<string, string>>, keys: readonly string[]): string | undefined =>
  keys.map((k) => labels[k]).find((v) => v !== undefined);

/** The injector's canonical revision (istio/istio pkg/kube/labels.go canonicalServiceRevision). */
export const canonicalRevision = (labels: Readonly<Record<string, string>>): string =>
  first(labels, ['service.istio.io/canonical-revision', 'app.kubernetes.io/version', 'version']) ?? 'latest';

/** The injector's canonical service name (pkg/kube/labels.go canonicalServiceName). */
export const canonicalService = (labels: Readonly<Record<string, string>>, workload: string): string =>
  first(labels, ['service.istio.io/canonical-name', 'app.kubernetes.io/name', 'app']) ?? workload;

/** destination_version as each reporter labels it (see the header). */
export const destinationVersion = (reporter: Reporter, labels: Readonly<Record<string, string>>): string =>
  reporter === 'destination' ? labels['version'] ?? '' : first(labels, ['app.kubernetes.io/version', 'version']) ?? UNKNOWN;

const destinationLabels = (reporter: Reporter, peer: DestinationPeer | undefined) => {
  if (peer === undefined) {
    return {
      destination_workload: UNKNOWN,
      destination_workload_namespace: UNKNOWN,
      destination_principal: UNKNOWN,
      destination_app: UNKNOWN,
      destination_version: UNKNOWN,
      destination_canonical_service: UNKNOWN,
      destination_canonical_revision: 'latest',
      destination_cluster: UNKNOWN,
    };
  }
  const { pod } = peer;
  return {
    destination_workload: pod.workload,
    destination_workload_namespace: pod.namespace,
    destination_principal: spiffe(pod.namespace, pod.serviceAccount),
    destination_app: reporter === 'destination' ? pod.labels['app'] ?? '' : first(pod.labels, ['app.kubernetes.io/name', 'app']) ?? UNKNOWN,
    destination_version: destinationVersion(reporter, pod.labels),
    destination_canonical_service: canonicalService(pod.labels, pod.workload),
    destination_canonical_revision: canonicalRevision(pod.labels),
    destination_cluster: 'Kubernetes',
  };
};

/** The full label set Istio would attach to this report. */
export const istioLabels = (r: Report): IstioLabels => ({
  reporter: r.reporter,
  source_workload: r.source.workload,
  source_workload_namespace: r.source.namespace,
  source_principal: spiffe(r.source.namespace, r.source.serviceAccount),
  source_app: r.source.workload,
  source_version: UNKNOWN,
  source_canonical_service: r.source.workload,
  source_canonical_revision: 'latest',
  source_cluster: 'Kubernetes',
  destination_service: fqdn(r.service),
  destination_service_name: r.service.name,
  destination_service_namespace: r.service.namespace,
  ...destinationLabels(r.reporter, r.peer),
  request_protocol: 'http',
  response_code: String(r.responseCode),
  response_flags: r.responseFlags,
  grpc_response_status: '',
  connection_security_policy: r.reporter === 'destination' ? 'mutual_tls' : UNKNOWN,
});

/** The label set of Istio's TCP metrics for a reported connection. */
export const istioTcpLabels = (r: Report): IstioTcpLabels => {
  const { response_code: _code, grpc_response_status: _grpc, ...rest } = istioLabels(r);
  return { ...rest, request_protocol: 'tcp' };
};
