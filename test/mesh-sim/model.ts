/**
 * The slice of Istio and Kubernetes objects the mesh simulator reads, as plain data. Only the
 * fields the data plane acts on are typed; everything else on the real objects is ignored.
 */

/** A Kubernetes Service, named by namespace and name. */
export interface ServiceRef {
  readonly namespace: string;
  readonly name: string;
}

/** Istio's StringMatch: exactly one of the three is set. */
export interface StringMatch {
  readonly exact?: string;
  readonly prefix?: string;
  readonly regex?: string;
}

/** One entry of `http[].match[]`; all conditions inside it must hold (AND). */
export interface HttpMatch {
  readonly headers?: Readonly<Record<string, StringMatch>>;
  readonly uri?: StringMatch;
  /** Header conditions that must NOT hold (Envoy `invert_match`, a missing header read as ""). */
  readonly withoutHeaders?: Readonly<Record<string, StringMatch>>;
  /** Query parameters of the request path (the first value of a repeated name). */
  readonly queryParams?: Readonly<Record<string, StringMatch>>;
  /** The `:method` pseudo-header. */
  readonly method?: StringMatch;
  /** The `:authority` pseudo-header. */
  readonly authority?: StringMatch;
  /** Case-insensitive `uri` exact/prefix (Envoy `case_sensitive: false`; a uri regex stays case-sensitive). */
  readonly ignoreUriCase?: boolean;
  /** Labels the client's workload must carry; istiod leaves the match out of other proxies' routes. */
  readonly sourceLabels?: Readonly<Record<string, string>>;
  /** Namespace the client's workload must run in; likewise decided per proxy by istiod. */
  readonly sourceNamespace?: string;
}

/** Istio HeaderOperations: `set` overwrites, `add` appends, `remove` drops (headers.ts says how Envoy applies them). */
export interface HeaderOperations {
  readonly set?: Readonly<Record<string, string>>;
  readonly add?: Readonly<Record<string, string>>;
  readonly remove?: readonly string[];
}

/** One entry of `http[].route[]`. */
export interface RouteDestination {
  readonly destination: { readonly host: string; readonly subset?: string };
  /** Integer weight; a lone destination without a weight gets 100. */
  readonly weight?: number;
  /** `headers.response` of this destination (request operations are not simulated). */
  readonly responseHeaders?: HeaderOperations;
}

/** A copy of a route's requests sent to another destination, its answer dropped (Envoy request_mirror_policies). */
export interface MirrorPolicy {
  readonly destination: { readonly host: string; readonly subset?: string };
  /** Percent of the route's requests copied, 0 to 100. */
  readonly percentage: number;
}

/** One entry of `spec.http[]`. Without `match` the route matches every request. */
export interface HttpRoute {
  readonly name?: string;
  readonly match?: readonly HttpMatch[];
  readonly route?: readonly RouteDestination[];
  /** `mirror` with `mirrorPercentage` (absent: 100 %; 0: none), then each of `mirrors`, as istiod translates them. */
  readonly mirrors?: readonly MirrorPolicy[];
  /** `headers.response` of the route (request operations are not simulated). */
  readonly responseHeaders?: HeaderOperations;
  /** `fault`, as istiod hands it to Envoy's fault filter (percentages 0 to 100). */
  readonly fault?: FaultInjection;
  /** `redirect`: Envoy answers with this status (istiod's default 301) and forwards nothing. */
  readonly redirect?: { readonly status: number };
  /** `directResponse`: Envoy answers with this status and forwards nothing. */
  readonly directResponse?: { readonly status: number };
}

/** A route's fault injection: a delay first, then an abort, each for its share of requests (Envoy's fault filter). */
export interface FaultInjection {
  readonly delay?: { readonly fixedDelayMs: number; readonly percentage: number };
  readonly abort?: { readonly httpStatus: number; readonly percentage: number };
}

/** One entry of `tcp[].match[]` (Istio L4MatchAttributes); all of it must hold. */
export interface TcpMatch {
  /** The Service port the connection is addressed to. */
  readonly port?: number;
  /** Labels the client's workload must carry (decided by istiod per proxy, as for HTTP). */
  readonly sourceLabels?: Readonly<Record<string, string>>;
  /** Namespace the client's workload must run in. */
  readonly sourceNamespace?: string;
  /** Destination IP subnets: the simulator has no addresses, so a match with them never holds. */
  readonly destinationSubnets?: readonly string[];
  /** Gateways the match is limited to: one without "mesh" never applies to sidecars. */
  readonly gateways?: readonly string[];
}

/** One entry of `spec.tcp[]`. Without `match` the route takes every connection. */
export interface TcpRoute {
  readonly match?: readonly TcpMatch[];
  readonly route?: readonly RouteDestination[];
}

/** networking.istio.io/v1 VirtualService, the parts the data plane acts on. */
export interface VirtualService {
  readonly namespace: string;
  readonly name: string;
  readonly hosts: readonly string[];
  /** Absent or containing "mesh" means the routes apply to sidecars. */
  readonly gateways?: readonly string[];
  readonly http: readonly HttpRoute[];
  /** The routes for a TCP port (the Service port's protocol decides, see protocol.ts). Default none. */
  readonly tcp?: readonly TcpRoute[];
  /** RFC 3339; the oldest VirtualService for a host wins, as in Istio. */
  readonly creationTimestamp?: string;
}

/** One entry of a DestinationRule's `spec.subsets[]`. */
export interface Subset {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
}

/** networking.istio.io/v1 DestinationRule, the parts the data plane acts on. */
export interface DestinationRule {
  readonly namespace: string;
  readonly name: string;
  readonly host: string;
  readonly subsets: readonly Subset[];
}

/** A Kubernetes Service: its selector decides which pods are its endpoints. */
/** One entry of a Service's `spec.ports[]`: what Istio reads the port's protocol from. */
export interface ServicePort {
  readonly port: number;
  readonly name?: string;
  readonly appProtocol?: string;
}

export interface Service extends ServiceRef {
  readonly selector: Readonly<Record<string, string>>;
  /** The Service's ports; the first one is the port the simulator's streams address. Default none (HTTP). */
  readonly ports?: readonly ServicePort[];
  /** RFC 3339; a server sidecar reports the oldest Service that selects its pod. Default: unknown (sorts first). */
  readonly creationTimestamp?: string;
}

/** A pod as the mesh sees it: identity, labels and readiness. */
export interface Pod {
  readonly namespace: string;
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  /** Condition Ready=True and not being deleted. */
  readonly ready: boolean;
  /** The Deployment (or other owner) name, as Istio reports it in `*_workload`. */
  readonly workload: string;
  readonly serviceAccount: string;
}

/** Everything the data plane knows at one instant: what Envoy has been pushed. */
export interface MeshSnapshot {
  readonly virtualServices: readonly VirtualService[];
  readonly destinationRules: readonly DestinationRule[];
  readonly services: readonly Service[];
  readonly pods: readonly Pod[];
  /** Gateway API HTTPRoutes (watched when the CRD is installed). Default none. */
  readonly httpRoutes?: readonly GatewayHttpRoute[];
}

export const emptySnapshot: MeshSnapshot = { virtualServices: [], destinationRules: [], services: [], pods: [] };

/** A simulated HTTP request as routing sees it. Header names are lower case. */
export interface Request {
  /** The `:path`: the path, optionally followed by `?query`. */
  readonly uri: string;
  readonly headers: Readonly<Record<string, string>>;
  /** The `:method`. Default GET. */
  readonly method?: string;
  /** The `:authority`. Default: none (an authority match then fails). */
  readonly authority?: string;
  /** The client proxy's own labels and namespace (what sourceLabels / sourceNamespace test). Default: none. */
  readonly source?: { readonly labels: Readonly<Record<string, string>>; readonly namespace: string };
}

/** One entry of an HTTPRoute rule's `matches[]` (gateway.networking.k8s.io/v1); all of it must hold. */
export interface GatewayRouteMatch {
  /** Default: PathPrefix "/". */
  readonly path?: { readonly type: 'Exact' | 'PathPrefix' | 'RegularExpression'; readonly value: string };
  readonly headers?: readonly { readonly type: 'Exact' | 'RegularExpression'; readonly name: string; readonly value: string }[];
  readonly queryParams?: readonly { readonly type: 'Exact' | 'RegularExpression'; readonly name: string; readonly value: string }[];
  readonly method?: string;
}

/** One weighted `backendRefs[]` entry; only core Services are modelled. */
export interface GatewayBackendRef {
  readonly kind: string;
  readonly name: string;
  /** Default: the route's namespace. */
  readonly namespace?: string;
  /** Default 1 (Gateway API); 0 sends nothing. */
  readonly weight?: number;
}

/** gateway.networking.k8s.io/v1 HTTPRoute, the parts the data plane acts on. */
export interface GatewayHttpRoute {
  readonly namespace: string;
  readonly name: string;
  /** Only Service parents (GAMMA, mesh traffic) route the simulator's streams. */
  readonly parentRefs: readonly { readonly group: string; readonly kind: string; readonly name: string; readonly namespace?: string }[];
  readonly rules: readonly { readonly matches?: readonly GatewayRouteMatch[]; readonly backendRefs: readonly GatewayBackendRef[] }[];
  /** RFC 3339; ties of match precedence go to the oldest route. */
  readonly creationTimestamp?: string;
}
