/**
 * The TrafficShift spec (sluice.dev/v1alpha1): io-ts codecs for what users write, and the
 * resolved form with every default filled that the core works on. The CRD schema in
 * charts/sluice/crds/ must agree with these codecs (test/unit/api/crd.test.ts proves it).
 */
import * as t from 'io-ts';
import {
  arrayOf, boolean, boundedJsonObject, boundedString, charCount, dnsLabel, duration, exactlyOneOf, intIn, labelKey, labelValue,
  leaf, mapOf, numberBetween, numberIn, oneOfWords, struct, textUpTo,
} from './codecs';

export const API_GROUP = 'sluice.dev';
export const API_VERSION = 'sluice.dev/v1alpha1';
export const KIND = 'TrafficShift';
export const PLURAL = 'trafficshifts';

const HOUR_MS = 3_600_000;

/**
 * Upper bounds of the spec, the same in the CRD (charts/sluice/crds/trafficshift.yaml). Durations:
 * every timer sluice derives from a duration must fit setTimeout's 2^31-1 ms (about 24.8 days),
 * so the long ones stop at 576h (24 days); the gate interval, a query window, at 24h. Sizes:
 * everything in the spec may be copied into the VirtualService (matches into every route,
 * route options into the preview and the primary route), so lists, maps and strings are bounded
 * to keep the VirtualService and the TrafficShift far below etcd's 1.5 MiB object limit.
 */
export const LIMITS = {
  /** analysis.interval and route.timeout. */
  shortDurationMs: 24 * HOUR_MS,
  /** stepInterval, previewDuration, rollbackWindow, progressDeadline. */
  longDurationMs: 576 * HOUR_MS,
  /** A DNS name (hosts). */
  hostChars: 253,
  /** "<namespace>/<name>" of a Gateway: 63 + 1 + 253. */
  gatewayChars: 317,
  hosts: 16,
  gateways: 16,
  /** Entries of route.match. */
  matches: 8,
  /** Keys of a header, query-parameter or source-label map in a match. */
  matchMapKeys: 8,
  /** A header or query parameter name. */
  matchKeyChars: 128,
  /** The text of a StringMatch (exact, prefix or regex). */
  stringMatchChars: 1024,
  /** A route or match name. */
  nameChars: 253,
  /** A Prometheus URL. */
  urlChars: 2048,
  /** A PromQL template. */
  queryChars: 4096,
  /** route.retries and route.corsPolicy, as JSON. */
  routeOptionChars: 4096,
  /** Keys of route.retries / route.corsPolicy (what the CRD can bound). */
  routeOptionKeys: 16,
  /** Header operations: keys of set/add, items of remove. */
  headerOps: 16,
  headerNameChars: 128,
  headerValueChars: 4096,
  /** schedule.start. */
  cronChars: 128,
  /** schedule.timeZone (IANA names are shorter). */
  timeZoneChars: 64,
  windows: 32,
  /** Hooks of one kind (spec.hooks.preStart, ...). */
  hooksPerKind: 4,
  /** Keys of a hook's metadata, and the characters of each key and value. */
  hookMetadataKeys: 16,
  hookMetadataKeyChars: 63,
  hookMetadataValueChars: 1024,
  /** Notification targets of one shift. */
  notifyTargets: 4,
  /** User routes in spec.routes.before, and in spec.routes.after. */
  userRoutes: 8,
  /** Destinations of one user route. */
  userRouteDestinations: 8,
} as const;

const matchText = textUpTo(LIMITS.stringMatchChars);

/** Istio StringMatch: exactly one of exact, prefix, regex. */
export const StringMatch = exactlyOneOf('StringMatch', { exact: matchText, prefix: matchText, regex: matchText });

const matchMap = mapOf(StringMatch, { maxKeys: LIMITS.matchMapKeys, maxKeyChars: LIMITS.matchKeyChars });

/** The subset of Istio's HTTPMatchRequest sluice validates; rendered back as written. */
export const HttpMatch = struct('HTTPMatchRequest', {}, {
  name: boundedString(LIMITS.nameChars),
  uri: StringMatch,
  method: StringMatch,
  authority: StringMatch,
  headers: matchMap,
  queryParams: matchMap,
  withoutHeaders: matchMap,
  ignoreUriCase: boolean,
  port: intIn(1, 65535),
  sourceLabels: mapOf(
    textUpTo(63),
    { maxKeys: LIMITS.matchMapKeys, maxKeyChars: 316 },
  ),
  sourceNamespace: dnsLabel,
});
export type HttpMatch = t.TypeOf<typeof HttpMatch>;

/** A cookie name: an RFC 6265 token (RFC 9110 tchar), at most 64 characters. */
const COOKIE_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}$/;
/** Names browsers accept only with Secure (and for __Host-, no Domain, Path=/): RFC 6265bis section 4.1.3. */
const COOKIE_PREFIX = /^__(secure|host)-/i;
const cookieName = leaf(
  'cookieName',
  "is not a cookie name (expected an RFC 6265 token of 1 to 64 letters, digits and !#$%&'*+.^_`|~-, not starting with __Secure- or __Host-)",
  (u): u is string => typeof u === 'string' && COOKIE_NAME.test(u) && !COOKIE_PREFIX.test(u),
);

/**
 * Sticky canary: a user whose request the weighted route sent to the candidate gets a cookie, and
 * requests carrying it go to the candidate for the rest of the shift; with no candidate weight
 * (fallback, promotion done) the cookie is expired. Rendered by src/istio/render.ts (sticky routes).
 */
export const SessionAffinity = struct('SessionAffinity', {
  /** Name of the cookie that pins a user to the candidate, an RFC 6265 token of at most 64 characters. Required. */
  cookieName,
}, {
  /** The cookie's Max-Age, renewed by every request it pins, 1s to 576h (whole seconds sent). Default 24h. */
  maxAge: duration(1000, LIMITS.longDurationMs),
});
/** A share of requests in percent, above 0 and at most 100 (Istio's mirrorPercentage is a double). */
const percentage = leaf(
  'percentage',
  'is not a percentage above 0 and at most 100',
  (u): u is number => typeof u === 'number' && Number.isFinite(u) && u > 0 && u <= 100,
);

/**
 * Mirroring (shadow traffic) before any user is served by the candidate: Istio copies
 * `percentage` % of the requests to stable (the VirtualService's `mirror` + `mirrorPercentage` on
 * the primary route) to the candidate and discards its answers; the gate judges the candidate on
 * those copies for `iterations` intervals. Only then does the first canary step (or the blue-green
 * switch) begin; a failing gate while mirroring falls back before any client got the candidate.
 */
export const Mirror = struct('Mirror', {
  /** Gate intervals (spec.analysis.interval) the candidate is judged on mirrored traffic before any user reaches it, 1 to 1000. Required. */
  iterations: intIn(1, 1000),
}, {
  /** Share of stable's requests copied to the candidate, above 0 and at most 100. Default 100. */
  percentage,
});
export type Mirror = t.TypeOf<typeof Mirror>;

export const CanaryStrategy = struct('CanaryStrategy', {
  /** Candidate weights in percent, ascending integers in 1..99. */
  steps: arrayOf(intIn(1, 99), 'integer weights from 1 to 99'),
}, {
  /** Minimum time at each step before a passing gate may advance it, 1s to 576h. Default 1m. */
  stepInterval: duration(1000, LIMITS.longDurationMs),
  /** Keep users on the candidate once it served them, by a cookie (see SessionAffinity). Default none: every request is split by weight. */
  sessionAffinity: SessionAffinity,
  /** Mirror requests to the candidate before the first step (see Mirror). Default none. */
  mirror: Mirror,
});

export const BlueGreenStrategy = struct('BlueGreenStrategy', {}, {
  /** Requests matching this Istio HTTP match reach the candidate before the switch. Default none. */
  previewMatch: HttpMatch,
  /** Minimum time the candidate is previewed before the switch, at most 576h. Default 0s. */
  previewDuration: duration(0, LIMITS.longDurationMs),
  /** After the switch, how long the stable version stays routable and a failing gate switches back, at most 576h. Default 10m. */
  rollbackWindow: duration(0, LIMITS.longDurationMs),
  /** Mirror requests to the candidate before the switch (see Mirror). Default none. */
  mirror: Mirror,
});

/**
 * A/B test: requests matching any of `match` go to the candidate, everyone else stays on stable;
 * the gate judges the candidate on that traffic for `iterations` intervals, then it is promoted
 * (or waits for a promote command with manualPromotion) or falls back. Shares its route model
 * with blue-green's previewMatch (see candidateMatches).
 */
export const AbTestStrategy = struct('AbTestStrategy', {
  /** Istio HTTPMatchRequests (ORed) whose requests reach the candidate, 1 to 8. Required. */
  match: arrayOf(HttpMatch, 'HTTP matches', LIMITS.matches),
  /** Gate intervals (spec.analysis.interval) the candidate is judged on matching traffic before promotion, 1 to 1000. Required. */
  iterations: intIn(1, 1000),
}, {});

export const Strategy = exactlyOneOf('Strategy', { canary: CanaryStrategy, blueGreen: BlueGreenStrategy, abTest: AbTestStrategy });
export type Strategy = t.TypeOf<typeof Strategy>;

export const PrometheusRef = struct('PrometheusRef', { url: boundedString(LIMITS.urlChars) }, {});

/** PromQL templates replacing the built-in queries. Placeholders: {{namespace}}, {{service}}, {{version}}, {{interval}}. */
export const QueryTemplates = struct('QueryTemplates', {
  /** Requests served by the candidate in the window (a single number). */
  requests: boundedString(LIMITS.queryChars),
  /** Failed (5xx) requests served by the candidate in the window. */
  errors: boundedString(LIMITS.queryChars),
}, {
  /** p99 latency of the candidate in milliseconds. */
  p99LatencyMs: boundedString(LIMITS.queryChars),
});

/** The ways the gate judges errors (spec.analysis.method). */
export const GATE_METHODS = ['threshold', 'sequential'] as const;
export type GateMethod = (typeof GATE_METHODS)[number];

export const Analysis = struct('Analysis', {}, {
  /** How often the gate is checked, and the query window, 1s to 24h. Default 30s. */
  interval: duration(1000, LIMITS.shortDurationMs),
  /** Highest acceptable share of 5xx responses at the candidate, 0..1. Default 0.01. */
  maxErrorRate: numberIn(0, 1),
  /** Fewest requests in one interval for a verdict; fewer is "no data", never a pass. Default 20. */
  minRequests: intIn(1, 1_000_000_000),
  /** Consecutive failed checks that trigger fallback. Default 2. */
  failureThreshold: intIn(1, 100),
  /** What "no data" means: hold (wait, counts toward progressDeadline) or fail (counts as a failed check). Default hold. */
  noData: oneOfWords(['hold', 'fail'] as const),
  /** Highest acceptable p99 latency at the candidate in milliseconds. Default none. */
  maxP99LatencyMs: numberIn(1, 3_600_000),
  /** Prometheus to ask. Default: the daemon's --prometheus-url. */
  prometheus: PrometheusRef,
  /** Custom queries; a shift with these is queried on its own. Default: the built-in Istio queries. */
  query: QueryTemplates,
  /**
   * How errors are judged: threshold (each interval's window against maxErrorRate, failureThreshold
   * failed windows in a row fall back) or sequential (every request since the step began, Wald's
   * sequential probability ratio test; docs/adr/0010-sequential-gate.md). Default sequential
   * (measured against threshold and Flagger in docs/benchmarks.md, "Fallback").
   */
  method: oneOfWords(GATE_METHODS),
  /** sequential: highest chance that a candidate at or below maxErrorRate falls back during its shift, above 0 and below 0.5. Default 0.01. */
  falseFailureRate: numberBetween(0, 0.5),
  /** Judge the candidate against this version's error rate over the same time: a failure both share holds the shift instead of failing the candidate. Default none. */
  compareTo: oneOfWords(['stable'] as const),
});

const LABEL = '[A-Za-z0-9]([-A-Za-z0-9]{0,61}[A-Za-z0-9])?';
const HOST = new RegExp(`^(\\*|(\\*\\.)?${LABEL}(\\.${LABEL})*)$`);
const NAME = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const GATEWAY = new RegExp(`^(mesh|(${NAME}/)?${NAME}(\\.${NAME})*)$`);
/** A VirtualService host as Istio accepts it: a DNS name, "*.<name>" or "*", at most 253 characters. */
const hostName = leaf(
  'host',
  `is not a host name (expected e.g. "reviews", "reviews.shop.svc.cluster.local" or "*.example.com", at most ${LIMITS.hostChars} characters)`,
  (u): u is string => typeof u === 'string' && u.length <= LIMITS.hostChars && HOST.test(u),
);
/** A VirtualService gateway: "mesh", "<name>" or "<namespace>/<name>". */
const gatewayName = leaf(
  'gateway',
  `is not a gateway (expected "mesh", "<name>" or "<namespace>/<name>", at most ${LIMITS.gatewayChars} characters)`,
  (u): u is string => typeof u === 'string' && u.length <= LIMITS.gatewayChars && GATEWAY.test(u),
);

/** An HTTP header name (RFC 9110 token): no ":" pseudo-headers, no spaces or control characters. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** A header value without control characters other than tab (no CR/LF header injection). */
const headerValue = leaf(
  'headerValue',
  `is not a header value (expected at most ${LIMITS.headerValueChars} characters, no control characters)`,
  (u): u is string => typeof u === 'string' && charCount(u) <= LIMITS.headerValueChars && !/[\u0000-\u0008\u000a-\u001f\u007f]/.test(u),
);
/** A header name (a token) of at most 128 characters. */
const headerNameText = leaf(
  'headerName',
  `is not an HTTP header name of at most ${LIMITS.headerNameChars} characters (expected letters, digits and !#$%&'*+.^_\`|~-)`,
  (u): u is string => typeof u === 'string' && charCount(u) <= LIMITS.headerNameChars && HEADER_NAME.test(u),
);
const headerName = { test: (k: string) => HEADER_NAME.test(k), expected: "is not an HTTP header name (expected letters, digits and !#$%&'*+.^_`|~-)" };
const isHost = (name: string): boolean => name.toLowerCase() === 'host';
const HOST_REFUSED = 'is Host, which sluice does not change';
/**
 * Request headers may not set, add or remove Host (":authority" is not a token, so it is refused
 * as a name): Envoy picks the route before header operations run, so it would not move traffic,
 * but Istio's stats filter attributes a request to the Service named by its Host header when the
 * cluster carries none, so a shift could make its requests count as another Service's.
 */
const requestHeaderName = {
  test: (k: string) => HEADER_NAME.test(k) && !isHost(k),
  expected: `is not an HTTP header name other than Host (expected letters, digits and !#$%&'*+.^_\`|~-; Host is not changed by sluice)`,
};
const headerRemovals = (refuseHost: boolean) => {
  const list = arrayOf(headerNameText, 'header names', LIMITS.headerOps);
  return new t.Type<string[], string[], unknown>(
    'headerRemovals',
    list.is,
    (u, c) => {
      const decoded = list.validate(u, c);
      if (decoded._tag === 'Left' || !refuseHost) return decoded;
      const host = decoded.right.find(isHost);
      return host === undefined ? decoded : t.failure(host, c, HOST_REFUSED);
    },
    list.encode,
  );
};
const headerOperations = (name: typeof headerName, request: boolean) =>
  struct('HeaderOperations', {}, {
    set: mapOf(headerValue, { maxKeys: LIMITS.headerOps, maxKeyChars: LIMITS.headerNameChars, key: name }),
    add: mapOf(headerValue, { maxKeys: LIMITS.headerOps, maxKeyChars: LIMITS.headerNameChars, key: name }),
    remove: headerRemovals(request),
  });
/** Istio Headers: operations on the request (before forwarding) and the response. */
export const Headers = struct('Headers', {}, { request: headerOperations(requestHeaderName, true), response: headerOperations(headerName, false) });

const RouteOptions = struct('RouteOptions', {}, {
  /** Istio HTTPRoute timeout, 1ms to 24h. Default none. */
  timeout: duration(1, LIMITS.shortDurationMs),
  /** Istio HTTPRetry, copied as written (at most 4096 characters as JSON). Default none. */
  retries: boundedJsonObject(LIMITS.routeOptionChars, LIMITS.routeOptionKeys),
  /** Istio Headers (request/response set, add, remove), copied as written; never Host. Default none. */
  headers: Headers,
  /** Istio CorsPolicy, copied as written (at most 4096 characters as JSON). Default none. */
  corsPolicy: boundedJsonObject(LIMITS.routeOptionChars, LIMITS.routeOptionKeys),
  /** Only requests matching these reach the generated routes, at most 8. Default: all requests. */
  match: arrayOf(HttpMatch, 'HTTP matches', LIMITS.matches),
});

/**
 * User routes (spec.routes): Istio HTTPRoutes an SRE keeps around sluice's managed routes (fault
 * injection for a game day, a redirect, a path that must go elsewhere). sluice copies them as
 * written into every VirtualService it writes, with one exception: a destination naming the
 * routed Service gets the managed route's split (stable and candidate subsets and weights), so
 * a user route never sends traffic to a version the shift has retired (docs/adr/0011). The
 * fields below are the ones sluice validates; anything else is refused as an unknown field.
 */
const percent = struct('Percent', {
  /** Percent of requests, 0 to 100 (fractions allowed). */
  value: numberIn(0, 100),
}, {});

/** Istio Destination of a user route: a Service host (never a subset, see checkUserRoutes) and an optional port. */
export const UserDestination = struct('Destination', {
  /** The Service, as Istio reads it ("reviews", "ratings.shop.svc.cluster.local"); the routed Service gets sluice's split. */
  host: leaf('host', 'is not a host name (expected e.g. "reviews" or "ratings.shop.svc.cluster.local", at most 253 characters)', (u): u is string => typeof u === 'string' && u.length <= LIMITS.hostChars && /^[A-Za-z0-9]([-A-Za-z0-9]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([-A-Za-z0-9]{0,61}[A-Za-z0-9])?)*$/.test(u)),
}, {
  /** Refused: sluice owns the routed Service's subsets and cannot keep another Service's alive (checkUserRoutes says so). */
  subset: textUpTo(LIMITS.nameChars),
  /** The Service port. Default: the Service's only port. */
  port: struct('PortSelector', { number: intIn(1, 65535) }, {}),
});

export const UserRouteDestination = struct('HTTPRouteDestination', { destination: UserDestination }, {
  /** Integer percent; the destinations of a route sum to 100. Default 100 for a lone destination. */
  weight: intIn(0, 100),
  /** Header operations for this destination only; never Host. Default none. */
  headers: Headers,
});

/** Istio HTTPFaultInjection: a delay and/or an abort for a share of the route's requests. */
export const FaultInjection = struct('HTTPFaultInjection', {}, {
  /** Wait `fixedDelay` (1ms to 24h) before forwarding `percentage` of requests. Default none. */
  delay: struct('Delay', { fixedDelay: duration(1, LIMITS.shortDurationMs) }, { percentage: percent }),
  /** Answer `httpStatus` (200 to 599) without forwarding, for `percentage` of requests. Default none. */
  abort: struct('Abort', { httpStatus: intIn(200, 599) }, { percentage: percent }),
});

/** Istio HTTPRedirect: answer with a redirect instead of forwarding. */
export const Redirect = struct('HTTPRedirect', {}, {
  /** Replaces the path. Default: the request's. */
  uri: boundedString(LIMITS.stringMatchChars),
  /** Replaces the authority (host). Default: the request's. */
  authority: boundedString(LIMITS.hostChars),
  /** Port of the redirect target. Default: the request's scheme's. */
  port: intIn(1, 65535),
  /** Scheme of the redirect target. Default: the request's. */
  scheme: oneOfWords(['http', 'https'] as const),
  /** Status of the answer, 300 to 399. Default 301. */
  redirectCode: intIn(300, 399),
});

/** Istio HTTPRewrite: the path the destination sees (never the authority: Host is not changed by sluice). */
export const Rewrite = struct('HTTPRewrite', {}, {
  /** Replaces the matched path prefix (or the whole path for an exact match). Default none. */
  uri: textUpTo(LIMITS.stringMatchChars),
  /** Replaces the parts of the path a RE2 regex matches. Default none. */
  uriRegexRewrite: struct('RegexRewrite', { match: textUpTo(LIMITS.stringMatchChars), rewrite: textUpTo(LIMITS.stringMatchChars) }, {}),
});

/** Istio HTTPDirectResponse: answer `status` (200 to 599) with an optional text body. */
export const DirectResponse = struct('HTTPDirectResponse', { status: intIn(200, 599) }, {
  /** The body, at most 4096 characters. Default none. */
  body: struct('HTTPBody', { string: textUpTo(LIMITS.headerValueChars) }, {}),
});

/** One user route: an Istio HTTPRoute with exactly one of route, redirect, directResponse. */
export const UserRoute = struct('HTTPRoute', {}, {
  /** Names the route in the VirtualService; not primary, preview or ab-test (sluice's). Default none. */
  name: boundedString(LIMITS.nameChars),
  /** Istio HTTPMatchRequests (ORed), at most 8. Default every request (refused in spec.routes.before). */
  match: arrayOf(HttpMatch, 'HTTP matches', LIMITS.matches),
  /** Weighted destinations, at most 8; the routed Service gets sluice's split. */
  route: arrayOf(UserRouteDestination, 'route destinations', LIMITS.userRouteDestinations),
  /** Answer with a redirect. */
  redirect: Redirect,
  /** Answer directly. */
  directResponse: DirectResponse,
  /** Rewrite the path before forwarding. */
  rewrite: Rewrite,
  /** Delay or abort some requests. */
  fault: FaultInjection,
  /** Istio HTTPRoute timeout, 1ms to 24h. Default none. */
  timeout: duration(1, LIMITS.shortDurationMs),
  /** Istio HTTPRetry, copied as written (at most 4096 characters as JSON). Default none. */
  retries: boundedJsonObject(LIMITS.routeOptionChars, LIMITS.routeOptionKeys),
  /** Istio Headers (request/response set, add, remove); never Host. Default none. */
  headers: Headers,
  /** Istio CorsPolicy, copied as written (at most 4096 characters as JSON). Default none. */
  corsPolicy: boundedJsonObject(LIMITS.routeOptionChars, LIMITS.routeOptionKeys),
});
export type UserRoute = t.TypeOf<typeof UserRoute>;

export const UserRoutes = struct('UserRoutes', {}, {
  /** Routes before sluice's (they see requests first), at most 8; each must leave some requests to sluice's routes. Default none. */
  before: arrayOf(UserRoute, 'HTTP routes', LIMITS.userRoutes),
  /** Routes after sluice's primary route (reached only by requests spec.route.match leaves out), at most 8. Default none. */
  after: arrayOf(UserRoute, 'HTTP routes', LIMITS.userRoutes),
});

const DAY_WORDS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'] as const;
export type Day = (typeof DAY_WORDS)[number];
export const DAYS: readonly Day[] = DAY_WORDS;

const HHMM = new t.Type<string, string, unknown>(
  'HH:MM',
  (u): u is string => typeof u === 'string',
  (u, c) => (typeof u === 'string' && /^([01]\d|2[0-3]):[0-5]\d$/.test(u) ? t.success(u) : t.failure(u, c, 'is not a time of day (expected "HH:MM", 00:00 to 23:59)')),
  t.identity,
);

export const Window = struct('Window', {
  /** Days the window opens on. */
  days: arrayOf(oneOfWords(DAY_WORDS), 'days (Mon, Tue, Wed, Thu, Fri, Sat, Sun)', 7),
  /** Opening time, "HH:MM" in the schedule's time zone. */
  from: HHMM,
  /** Closing time, "HH:MM"; earlier than `from` means the window runs past midnight. */
  to: HHMM,
}, {});
export type Window = t.TypeOf<typeof Window>;

export const Schedule = struct('Schedule', {}, {
  /** Cron expression (node-cron syntax) for when a new version may start shifting. Default: at once. */
  start: boundedString(LIMITS.cronChars),
  /** IANA time zone for `start` and `windows`. Default UTC. */
  timeZone: boundedString(LIMITS.timeZoneChars),
  /** Periods in which steps may advance, at most 32. Default: always. */
  windows: arrayOf(Window, 'windows', LIMITS.windows),
});
export type Schedule = t.TypeOf<typeof Schedule>;

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const SECRET_KEY = /^[-._a-zA-Z0-9]+$/;

/** A key of a Secret in the shift's own namespace. The daemon reads it when it needs it; its value never enters status, Events or logs. */
export const SecretKeyRef = struct('SecretKeyRef', {
  /** Name of the Secret, in the TrafficShift's namespace. */
  name: leaf('secretName', 'is not a Secret name (expected lower-case letters, digits, "-" and ".", at most 253 characters)', (u): u is string => typeof u === 'string' && u.length <= 253 && DNS_SUBDOMAIN.test(u)),
  /** Key in the Secret's data. */
  key: leaf('secretKey', 'is not a Secret key (expected letters, digits, "-", "_" and ".", at most 253 characters)', (u): u is string => typeof u === 'string' && u.length <= 253 && SECRET_KEY.test(u)),
}, {});
export type SecretKeyRef = t.TypeOf<typeof SecretKeyRef>;

/** The moments a webhook can be called at (README "Hooks"). */
export const HOOK_KINDS = ['preStart', 'preStep', 'during', 'confirmPromotion', 'postPromotion', 'onFallback'] as const;
export type HookKind = (typeof HOOK_KINDS)[number];

/** The longest a hook may take per attempt. */
export const HOOK_TIMEOUT_MAX_MS = 60_000;
/** The most retries of one call after its first attempt. */
export const HOOK_RETRIES_MAX = 5;

export const Hook = struct('Hook', {
  /** Names the hook in status, history, Events and the payload; unique per kind. */
  name: dnsLabel,
  /** Where the signed JSON payload is POSTed; must be allowed by the operator (--allow-hook-url). */
  url: boundedString(LIMITS.urlChars),
}, {
  /** Longest wait for one attempt's answer, 1s to 60s. Default 10s. */
  timeout: duration(1000, HOOK_TIMEOUT_MAX_MS),
  /** Further attempts after a failed one (no answer, or 5xx/429), 0 to 5, one second apart. Default 2. */
  retries: intIn(0, HOOK_RETRIES_MAX),
  /** Strings passed as is in the payload's `metadata` (e.g. the load tool's command), at most 16. Default none. */
  metadata: mapOf(textUpTo(LIMITS.hookMetadataValueChars), { maxKeys: LIMITS.hookMetadataKeys, maxKeyChars: LIMITS.hookMetadataKeyChars }),
});
export type Hook = t.TypeOf<typeof Hook>;

const hookList = arrayOf(Hook, 'hooks', LIMITS.hooksPerKind);

export const Hooks = struct('Hooks', {
  /** The Secret key whose value signs every request (X-Sluice-Signature: sha256=<HMAC-SHA256 of the body, hex>). */
  signingSecret: SecretKeyRef,
}, {
  /** Called before the candidate gets any traffic; all must answer 2xx. A failure is retried each analysis.interval and falls back after analysis.failureThreshold failures. Default none. */
  preStart: hookList,
  /** Called before each weight increase (each canary step, the blue-green switch); all must answer 2xx, anything else holds. Default none. */
  preStep: hookList,
  /** Called every analysis.interval while the candidate has traffic; a failed call counts as a failed check (analysis.failureThreshold). Default none. */
  during: hookList,
  /** Must answer 200 before the candidate gets 100 % (a promote command skips it); anything else holds. Default none. */
  confirmPromotion: hookList,
  /** Told after a promotion; never blocks. Default none. */
  postPromotion: hookList,
  /** Told after a fallback; never blocks. Default none. */
  onFallback: hookList,
});

/** Chat and webhook formats a notification can be sent in. */
export const NOTIFY_PROVIDERS = ['slack', 'teams', 'googleChat', 'generic'] as const;
export type NotifyProvider = (typeof NOTIFY_PROVIDERS)[number];
/** Notification severities, lowest first. */
export const SEVERITIES = ['info', 'warning', 'error'] as const;
export type Severity = (typeof SEVERITIES)[number];

export const NotifyTarget = struct('NotifyTarget', {
  /** Message format: slack (Block Kit), teams (Adaptive Card), googleChat (cards v2) or generic (JSON). */
  provider: oneOfWords(NOTIFY_PROVIDERS),
  /** The Secret key holding the incoming-webhook URL (it is a credential). */
  urlSecret: SecretKeyRef,
}, {
  /** Lowest severity sent: info (starts, steps, promotions, commands), warning (stuck shifts, rejected commands), error (fallbacks). Default info. */
  severity: oneOfWords(SEVERITIES),
});
export type NotifyTarget = t.TypeOf<typeof NotifyTarget>;
/**
 * The protocols sluice routes (spec.protocol), as Istio selects them for a Service port
 * (docs/tcp.md): http (VirtualService `http` routes, judged on istio_requests_total) or tcp
 * (`tcp` routes, weighted per connection, judged on Istio's TCP connection metrics).
 */
export const PROTOCOLS = ['http', 'tcp'] as const;
export type Protocol = (typeof PROTOCOLS)[number];

/** The two ways sluice can route (spec.routing). */
export const ROUTING_KINDS = ['virtualService', 'gatewayAPI'] as const;
export type RoutingKind = (typeof ROUTING_KINDS)[number];

export const TrafficShiftSpec = struct('TrafficShiftSpec', {
  /** The Kubernetes Service whose traffic is shifted; the owned VirtualService and DestinationRule carry this name. */
  service: dnsLabel,
  /** The version that should serve all traffic. */
  version: labelValue,
  strategy: Strategy,
}, {
  /** VirtualService hosts, at most 16; only the Service's own names unless the operator allows more. Default [service]. */
  hosts: arrayOf(hostName, 'host names', LIMITS.hosts),
  /** VirtualService gateways, at most 16; only "mesh" unless the operator allows more. Default ["mesh"]. */
  gateways: arrayOf(gatewayName, 'gateway names', LIMITS.gateways),
  /** Pod label whose values key the DestinationRule subsets. Default "version"; another needs analysis.query (see ISTIO_VERSION_LABEL). */
  versionLabel: labelKey,
  analysis: Analysis,
  /** Stop before 100 % and wait for a promote command. Default false. */
  manualPromotion: boolean,
  /** How long the candidate may stay unready, or the gate without data, before falling back, 1s to 576h. Default 10m. */
  progressDeadline: duration(1000, LIMITS.longDurationMs),
  route: RouteOptions,
  schedule: Schedule,
  /** Take over an existing unmanaged VirtualService/DestinationRule, restoring it on deletion. Default false. */
  adopt: boolean,
  /** Webhooks called at moments of the shift, signed with a Secret. Default none. */
  hooks: Hooks,
  /** Chat or webhook targets told about starts, steps, promotions, fallbacks, commands and stuck shifts, at most 4. Default none (the daemon's --notify-provider target still applies). */
  notify: arrayOf(NotifyTarget, 'notification targets', LIMITS.notifyTargets),
  /**
   * Which objects carry the routes: virtualService (a VirtualService + DestinationRule) or
   * gatewayAPI (an HTTPRoute + one Service per version, src/gateway). Default virtualService.
   */
  routing: oneOfWords(ROUTING_KINDS),
  /**
   * http or tcp: which VirtualService routes carry the weights and which Istio metrics the gate
   * reads (tcp: connections opened, and closed with Envoy response flags; docs/tcp.md). tcp
   * refuses the HTTP-only fields (abTest, previewMatch, sessionAffinity, route, maxP99LatencyMs, gatewayAPI).
   * Default http.
   */
  protocol: oneOfWords(PROTOCOLS),
  /** Istio HTTPRoutes of your own, kept before and after sluice's routes in every write (docs/adr/0011). Default none. */
  routes: UserRoutes,
});
export type TrafficShiftSpec = t.TypeOf<typeof TrafficShiftSpec>;

/** The spec with every default filled and durations in milliseconds: what the core decides on. */
export interface ResolvedSpec {
  readonly service: string;
  readonly version: string;
  readonly hosts: readonly string[];
  readonly gateways: readonly string[];
  readonly versionLabel: string;
  readonly strategy:
    | { readonly kind: 'canary'; readonly steps: readonly number[]; readonly stepIntervalMs: number; readonly sessionAffinity?: ResolvedSessionAffinity; readonly mirror?: ResolvedMirror }
    | { readonly kind: 'blueGreen'; readonly previewMatch?: HttpMatch; readonly previewDurationMs: number; readonly rollbackWindowMs: number; readonly mirror?: ResolvedMirror }
    | { readonly kind: 'abTest'; readonly matches: readonly HttpMatch[]; readonly iterations: number };
  readonly analysis: GateRule & {
    readonly intervalMs: number;
    readonly prometheusUrl?: string;
    readonly query?: { readonly requests: string; readonly errors: string; readonly p99LatencyMs?: string };
  };
  readonly manualPromotion: boolean;
  readonly progressDeadlineMs: number;
  readonly route: {
    readonly timeout?: string;
    readonly retries?: Record<string, unknown>;
    readonly headers?: Record<string, unknown>;
    readonly corsPolicy?: Record<string, unknown>;
    readonly match?: readonly HttpMatch[];
  };
  readonly schedule?: { readonly start?: string; readonly timeZone: string; readonly windows?: readonly Window[] };
  readonly adopt: boolean;
  /** spec.hooks with defaults filled; absent when the shift has none. */
  readonly hooks?: ResolvedHooks;
  /** spec.notify with defaults filled; absent when the shift names no target. */
  readonly notify?: readonly ResolvedNotifyTarget[];
  /** virtualService or gatewayAPI; absent means virtualService (resolveSpec always sets it). */
  readonly routing?: RoutingKind;
  /** http or tcp; absent means http (resolveSpec always sets it). */
  readonly protocol?: Protocol;
  /** spec.routes: user routes before and after sluice's; absent when the shift has none. */
  readonly routes?: ResolvedUserRoutes;
}

/**
 * A user route as Istio JSON (UserRoute encoded, keys as the user wrote them): what sluice writes,
 * except that a destination naming the routed Service gets sluice's split (src/istio/userRoutes.ts).
 */
export interface UserRouteJson {
  readonly name?: string;
  readonly match?: readonly Record<string, unknown>[];
  readonly route?: readonly {
    readonly destination: { readonly host: string; readonly subset?: string; readonly port?: { readonly number: number } };
    readonly weight?: number;
    readonly headers?: Record<string, unknown>;
  }[];
  /** fault, redirect, rewrite, directResponse, timeout, retries, headers, corsPolicy: Istio's JSON. */
  readonly [field: string]: unknown;
}

/** spec.routes with both lists present, as Istio JSON. */
export interface ResolvedUserRoutes {
  readonly before: readonly UserRouteJson[];
  readonly after: readonly UserRouteJson[];
}

/** strategy.canary.sessionAffinity with its default filled. */
export interface ResolvedSessionAffinity {
  readonly cookieName: string;
  /** Max-Age of the cookie, ms (rendered in whole seconds). */
  readonly maxAgeMs: number;
}

/** spec.strategy.<canary|blueGreen>.mirror with its default filled. */
export interface ResolvedMirror {
  /** Share of stable's requests copied to the candidate, (0, 100]. */
  readonly percentage: number;
  /** Gate intervals the candidate is judged on the copies before any user reaches it. */
  readonly iterations: number;
}

/** The strategy's mirroring, or undefined when it mirrors nothing (A/B tests never do). */
export const mirrorOf = (spec: Pick<ResolvedSpec, 'strategy'>): ResolvedMirror | undefined =>
  spec.strategy.kind === 'abTest' ? undefined : spec.strategy.mirror;

/** One webhook with its defaults filled. */
export interface ResolvedHook {
  readonly name: string;
  readonly url: string;
  readonly timeoutMs: number;
  readonly retries: number;
  readonly metadata: Readonly<Record<string, string>>;
}

export type ResolvedHooks = { readonly signingSecret: SecretKeyRef } & { readonly [K in HookKind]: readonly ResolvedHook[] };

export interface ResolvedNotifyTarget {
  readonly provider: NotifyProvider;
  readonly urlSecret: SecretKeyRef;
  readonly severity: Severity;
}

/**
 * The one model of "these requests reach the candidate while everyone else stays on stable",
 * shared by blue-green's preview and the A/B test (and by every renderer of routes): the
 * HTTPMatchRequests (ORed) whose requests go to the candidate before any weight moves, or
 * undefined when the strategy routes by weight only (canary, blue-green without previewMatch).
 */
export const candidateMatches = (spec: Pick<ResolvedSpec, 'strategy'>): readonly HttpMatch[] | undefined => {
  const s = spec.strategy;
  switch (s.kind) {
    case 'canary':
      return undefined;
    case 'blueGreen':
      return s.previewMatch !== undefined ? [s.previewMatch] : undefined;
    case 'abTest':
      return s.matches;
  }
};

/** What the gate judges against (see core/gate.ts). */
export interface GateRule {
  readonly maxErrorRate: number;
  readonly minRequests: number;
  readonly failureThreshold: number;
  readonly noData: 'hold' | 'fail';
  readonly maxP99LatencyMs?: number;
  /** threshold (windows, failureThreshold in a row) or sequential (evidence since the step began). */
  readonly method: GateMethod;
  /** sequential: the shift-wide false-failure rate for a candidate at or below maxErrorRate. */
  readonly falseFailureRate: number;
  /** Also judge the stable version over the same time; a failure both share holds. */
  readonly compareTo?: 'stable';
}

export const DEFAULTS = {
  stepInterval: '1m',
  sessionMaxAge: '24h',
  previewDuration: '0s',
  rollbackWindow: '10m',
  interval: '30s',
  maxErrorRate: 0.01,
  minRequests: 20,
  failureThreshold: 2,
  noData: 'hold',
  method: 'sequential',
  falseFailureRate: 0.01,
  progressDeadline: '10m',
  versionLabel: 'version',
  gateways: ['mesh'],
  timeZone: 'UTC',
  hookTimeout: '10s',
  hookRetries: 2,
  notifySeverity: 'info',
  routing: 'virtualService',
  protocol: 'http',
  mirrorPercentage: 100,
} as const;
