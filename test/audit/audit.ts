/**
 * The audit-log checker: replays every write the kube-apiserver recorded (test/audit/log.ts) and
 * asserts sluice's safety promises on sluice's own writes. The API server's log is the ground
 * truth: it sees every write of every replica, including those of a daemon killed right after.
 *
 * Replay: events in the API server's time order (stageTimestamp, then file order); a successful
 * write (responseStatus.code < 300) sets the object's state to its responseObject; a delete (or a
 * write that removed the last finalizer of a deleted object) removes it; failed writes changed
 * nothing and are skipped. Objects are tracked whoever wrote them (tests write DestinationRules
 * by hand, the garbage collector deletes them); the rules judge only sluice's writes: those whose
 * User-Agent starts with `sluice/` (contract B: `sluice/<version> (<identity>)`).
 *
 * The rules, all in RULES below, each with the exact definition next to its check:
 *   weights            every route of a VirtualService or HTTPRoute sluice writes has integer weights summing to 100
 *   subsets            every subset such a route names exists in the DestinationRule at that moment
 *   backends           every backend an HTTPRoute sluice writes names is a Service that exists at that moment,
 *                      one with weight selects a ready Pod; sluice deletes no Service an HTTPRoute names
 *   fallback-sticks    after a fallback from X, no sluice write gives X weight until a retry or another candidate
 *   gated-full-traffic a candidate reaches 100 % only when the shift's status records why
 *   leader-only        a replica in leader election writes only while it holds an unexpired Lease
 * VirtualServices and HTTPRoutes (spec.routing: gatewayAPI) are judged by the same rules: an
 * HTTPRoute backend counts as the subset of the version its Service selects (its sluice.dev/version
 * label, else the shift's version label in its selector).
 */
import { VERSION_SERVICE_LABEL } from '../../src/gateway/types';
import { subsetName } from '../../src/istio/names';
import { SHIFT_LABEL } from '../../src/istio/types';
import { AuditEvent, microsOf } from './log';
import {
  ACTIVE, describeStatus, fqdn, fullSubsets, fullVersionOf, gateOfRun, hostNamespace, httpRouteRoutesOf, isBlueGreen, isObject, isReadyPod, maxShare,
  newEntries, Obj, Route, routesOf, selects, selectorOf, Status, statusOf, weightOf,
} from './objects';

export type { AuditEvent } from './log';
export { readAuditEvents } from './log';

/** One broken promise, as data with a sentence. */
export interface Violation {
  /** A key of RULES. */
  readonly rule: string;
  /** The write that broke it. */
  readonly auditID: string;
  /** When the API server completed that write (stageTimestamp). */
  readonly time: string;
  /** `<Kind> <namespace>/<name>`. */
  readonly object: string;
  /** What is wrong, with the values. */
  readonly message: string;
}

/** Every rule, with the promise it checks (its exact definition is documented at its check below). */
export const RULES = {
  weights: 'every http/tcp/tls route of a VirtualService and every rule of an HTTPRoute sluice writes has integer weights 0..100 summing to 100',
  subsets: 'every subset a route sluice writes names exists in the DestinationRule for that host at that moment',
  backends: 'every backendRef of an HTTPRoute sluice writes names a Service that exists at that moment, one with weight a Service selecting a ready Pod; sluice deletes no Service an HTTPRoute names',
  'fallback-sticks': 'once a shift fell back from a candidate, no later sluice write gives it weight until a retry or another candidate',
  'gated-full-traffic': 'a candidate gets 100 % only when the shift status records a Pass of this run, a blue-green switch or a promote command',
  'leader-only': 'a replica that takes part in leader election writes only while it holds an unexpired Lease',
} as const;
export type RuleId = keyof typeof RULES;

export interface CheckOptions {
  /** User-Agent prefix of sluice's requests. Default `sluice/` (contract B). */
  readonly agentPrefix?: string;
  /**
   * When set, a leader's writes must also come within this many ms of its last successful Lease
   * write (the daemon's renew deadline, which the Lease does not record; issue 9's two-replica
   * proof). Default: only the lease duration bounds them.
   */
  readonly renewDeadlineMs?: number;
}

/** What checkWrites looked at, for a report. */
export interface CheckSummary {
  readonly violations: Violation[];
  /** Successful writes by sluice (VirtualServices, DestinationRules, HTTPRoutes, Services, TrafficShifts) the rules judged. */
  readonly sluiceWrites: number;
  /** Of those, VirtualService and HTTPRoute writes (the ones that move traffic). */
  readonly sluiceRouteWrites: number;
  /** Successful writes by anyone that were replayed. */
  readonly replayedWrites: number;
  /** Replicas seen writing (identities from the User-Agent). */
  readonly replicas: string[];
  /**
   * Route writes by sluice in a namespace the namespace controller was already emptying, whose
   * subsets or backends it had just removed: counted here, not judged (see `emptying` below).
   */
  readonly racedNamespaceDeletion: number;
}

/**
 * The namespace controller: it writes in a namespace only to delete its content once the namespace
 * is being deleted. Known by its service account (kube-controller-manager with
 * --use-service-account-credentials) or by the controller name client-go appends to its
 * User-Agent (the local control plane: `sluice-testenv/... kubernetes/sluice-/namespace-controller`).
 */
export const NAMESPACE_CONTROLLER = 'system:serviceaccount:kube-system:namespace-controller';
const byNamespaceController = (e: AuditEvent): boolean => e.user?.username === NAMESPACE_CONTROLLER || /\/namespace-controller$/.test(e.userAgent ?? '');

type Kind = 'VirtualService' | 'DestinationRule' | 'HTTPRoute' | 'Service' | 'Pod' | 'TrafficShift' | 'Lease';
const KINDS: Readonly<Record<string, Kind>> = {
  'networking.istio.io/virtualservices': 'VirtualService',
  'networking.istio.io/destinationrules': 'DestinationRule',
  'gateway.networking.k8s.io/httproutes': 'HTTPRoute',
  '/services': 'Service',
  // pods and pods/status: the pod simulator writes the Ready condition
  '/pods': 'Pod',
  'sluice.dev/trafficshifts': 'TrafficShift',
  'coordination.k8s.io/leases': 'Lease',
};
const WRITE_VERBS = new Set(['create', 'update', 'patch', 'delete', 'deletecollection']);

/** One write from the log, classified. */
interface Write {
  readonly event: AuditEvent;
  readonly kind: Kind;
  readonly namespace: string;
  /** Empty for deletecollection. */
  readonly name: string;
  /** stageTimestamp in µs. */
  readonly at: number;
  readonly ok: boolean;
  /** The state after a successful write that did not remove the object. */
  readonly after?: Obj;
  /** A successful write that removed the object(s). */
  readonly removed: boolean;
  /** The objects a successful deletecollection removed (undefined: all of that kind in the namespace). */
  readonly removedItems?: readonly Obj[];
  /** Set for sluice's writes: the replica's identity ('' when the User-Agent names none). */
  readonly replica?: string;
}

const keyOf = (namespace: string, name: string): string => `${namespace}/${name}`;

/** `sluice/0.1.0 (sluice-7d9f-abc)` -> `sluice-7d9f-abc`; '' without parentheses. */
export const replicaOf = (agent: string): string => /\(([^)]*)\)/.exec(agent)?.[1] ?? '';

const classify = (event: AuditEvent, agentPrefix: string): Write | undefined => {
  const ref = event.objectRef;
  if (ref === undefined || !WRITE_VERBS.has(event.verb)) return undefined;
  const kind = KINDS[`${ref.apiGroup ?? ''}/${ref.resource ?? ''}`];
  if (kind === undefined) return undefined;
  const ok = (event.responseStatus?.code ?? 0) < 300;
  const response = isObject(event.responseObject) ? event.responseObject : undefined;
  const stored = response !== undefined && response.kind !== 'Status' && response.metadata?.name !== undefined ? response : undefined;
  // A delete answered with the object still there (finalizers pending) leaves it; so does a write
  // that kept finalizers on a deleted object. Removing the last one removes the object.
  const gone = event.verb === 'delete' || event.verb === 'deletecollection'
    ? stored === undefined || stored.metadata?.deletionTimestamp === undefined || (stored.metadata.finalizers ?? []).length === 0
    : stored?.metadata?.deletionTimestamp !== undefined && (stored.metadata.finalizers ?? []).length === 0;
  const agent = event.userAgent ?? '';
  return {
    event,
    kind,
    namespace: ref.namespace ?? '',
    name: ref.name ?? '',
    at: microsOf(event.stageTimestamp),
    ok,
    removed: ok && gone,
    ...(ok && !gone && stored !== undefined ? { after: stored } : {}),
    ...(event.verb === 'deletecollection' && Array.isArray(response?.items) ? { removedItems: response.items } : {}),
    ...(agent.startsWith(agentPrefix) ? { replica: replicaOf(agent) } : {}),
  };
};

/** An SRE command that puts `version` at 100 %, as core/commands.ts records it in history. */
const FULL_COMMAND = (version: string): RegExp => new RegExp(`^(promote by |set-weight by .*: ${escape(version)} set to 100 % )`);
const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Why `after` (a status moving candidate X to 100 %, from `before`) is allowed, or undefined.
 * What core records for each legitimate way to 100 %:
 *   - canary promotion after the last step, blue-green promotion after the rollback window:
 *     status.lastGate is a Pass for X taken in this run (time >= status.startedAt);
 *   - the blue-green switch (core/transitions.ts switchOver): phase Promoting under a blueGreen
 *     strategy, with no failing or unanswered check of this run (core's previewBlocked); the gate
 *     guards afterwards while the stable version stays routable. It needs no Pass by design;
 *   - an SRE command: a new history entry CommandApplied `promote by ...` or
 *     `set-weight by ...: X set to 100 % ...` (core/commands.ts).
 */
const fullTrafficReason = (before: Status, after: Status, shift: Obj | undefined, version: string): string | undefined => {
  const gate = gateOfRun(after, version);
  if (gate?.result === 'Pass') return `Pass of this run at ${gate.time}`;
  const command = newEntries(before, after).find((h) => h.event === 'CommandApplied' && FULL_COMMAND(version).test(h.message ?? ''));
  if (command !== undefined) return `command: ${command.message}`;
  const switching = after.phase === 'Promoting' || (after.phase === 'Paused' && after.pausedFrom === 'Promoting');
  if (switching && isBlueGreen(shift) && gate?.result !== 'Fail' && gate?.result !== 'Unavailable') return 'blue-green switch';
  return undefined;
};

// ------------------------------------------------------------------ replay

interface ShiftState {
  readonly object: Obj;
  readonly status: Status;
  /** Set while a fallback from `candidate` holds. */
  fallback?: { readonly candidate: string; readonly startedAt?: string; readonly auditID: string; readonly time: string };
}

interface LeaseState {
  readonly holder: string;
  /** µs until which the holder may act: the write's time + leaseDurationSeconds. */
  readonly until: number;
}

const objectName = (w: { kind: string; namespace: string; name: string }): string => `${w.kind} ${w.namespace}/${w.name}`;
const timeOf = (w: Write): string => w.event.stageTimestamp ?? '';

/** The TrafficShift a sluice VirtualService belongs to: its sluice.dev/shift label, else its TrafficShift owner. */
const shiftOf = (vs: Obj, namespace: string): string | undefined => {
  const label = vs.metadata?.labels?.[SHIFT_LABEL];
  if (label !== undefined) return keyOf(namespace, label);
  const owner = vs.metadata?.ownerReferences?.find((r) => r.kind === 'TrafficShift')?.name;
  return owner !== undefined ? keyOf(namespace, owner) : undefined;
};

/** Check every write in `events` (any order; they are sorted by the API server's time). */
export const checkWrites = (events: readonly AuditEvent[], options: CheckOptions = {}): Violation[] => summarizeWrites(events, options).violations;

/** checkWrites with the counts a report needs. */
export const summarizeWrites = (events: readonly AuditEvent[], options: CheckOptions = {}): CheckSummary => {
  const agentPrefix = options.agentPrefix ?? 'sluice/';
  const writes = events
    .map((e, i) => ({ w: classify(e, agentPrefix), i }))
    .filter((x): x is { w: Write; i: number } => x.w !== undefined)
    .sort((a, b) => a.w.at - b.w.at || a.i - b.i)
    .map((x) => x.w);

  const violations: Violation[] = [];
  const flag = (rule: RuleId, w: Write, message: string, name = w.name): void => {
    violations.push({ rule, auditID: w.event.auditID, time: timeOf(w), object: objectName({ kind: w.kind, namespace: w.namespace, name }), message });
  };

  const virtualServices = new Map<string, Obj>();
  const destinationRules = new Map<string, Obj>();
  /** HTTPRoutes with their rules read as routes when written (backends resolved to versions then). */
  const httpRoutes = new Map<string, { readonly object: Obj; readonly routes: Route[] }>();
  const services = new Map<string, Obj>();
  const pods = new Map<string, Obj>();
  /** The version each Service selected when last written: an HTTPRoute naming it after it is gone still names that version. */
  const serviceVersions = new Map<string, string>();
  const shifts = new Map<string, ShiftState>();
  const leases = new Map<string, LeaseState>();
  /** The Lease each replica tried to write last, while it exists: the election it takes part in now. */
  const competing = new Map<string, string>();

  let sluiceWrites = 0;
  let racedNamespaceDeletion = 0;
  /**
   * Namespaces the namespace controller has begun to empty. A route write there can meet a rule or
   * Service removed between sluice's fresh read of it (daemon/targets.ts checkTargets, right
   * before the write) and the write itself: two objects cannot be written atomically, and
   * everything in such a namespace, pods included, is being removed anyway. The subsets and
   * backends rules count those writes instead of flagging them; every other rule still applies.
   */
  const emptying = new Set<string>();
  const racedDeletion = (w: Write): boolean => {
    if (!emptying.has(w.namespace)) return false;
    racedNamespaceDeletion++;
    return true;
  };
  let sluiceRouteWrites = 0;
  let replayedWrites = 0;
  const replicas = new Set<string>();

  // ---- rule: weights. Every http/tcp/tls route of a VirtualService sluice writes: each weight
  // an integer 0..100 (a lone destination without one is 100, a missing one beside others 0),
  // summing to 100; a route needs a destination unless it redirects or answers directly.
  // Every rule of an HTTPRoute sluice writes likewise, over its backendRefs. Gateway API weights
  // are proportions (a backend gets weight / the rule's sum; a missing weight is 1), so what is
  // required of sluice's own writes is stricter than the API: every backendRef carries an explicit
  // integer weight 0..100 and they sum to 100, so each weight is the backend's percentage.
  const checkWeights = (w: Write, routes: readonly Route[]): void => {
    for (const route of routes) {
      if (route.destinations.length === 0) {
        if (!route.terminal) flag('weights', w, `${route.where}: has no ${route.list === 'route' ? 'destinations' : 'backendRefs'}`);
        continue;
      }
      let sum = 0;
      route.destinations.forEach((d, j) => {
        const weight = weightOf(route, d);
        if (route.list === 'backendRefs' && d.weight === undefined)
          flag('weights', w, `${route.where}.backendRefs[${j}].weight: missing (Gateway API reads 1); sluice writes every weight, summing to 100`);
        if (typeof weight !== 'number' || !Number.isInteger(weight) || weight < 0 || weight > 100)
          flag('weights', w, `${route.where}.${route.list}[${j}].weight: ${JSON.stringify(weight)} is not an integer from 0 to 100`);
        else sum += weight;
      });
      if (sum !== 100) flag('weights', w, `${route.where}: weights sum to ${sum}, expected 100`);
    }
  };

  // ---- rule: backends. Every backendRef of an HTTPRoute sluice writes, weighted or not, names a
  // Service (in backendRef.namespace, else the route's) that exists at that moment as last
  // written by anyone (a request to a missing backend is answered 500); a backendRef with weight
  // > 0 names one that selects at least one ready Pod then (isReadyPod: Ready=True, not finished,
  // not being deleted; else those requests get 503 UH). And sluice deletes no Service that an
  // HTTPRoute, as last written by anyone, names.
  const versionOf = (namespace: string, name: string): string | undefined => {
    const key = keyOf(namespace, name);
    const service = services.get(key);
    return (service !== undefined ? serviceVersion(service, namespace) : undefined) ?? serviceVersions.get(key);
  };
  const serviceVersion = (service: Obj, namespace: string): string | undefined => {
    const label = service.metadata?.labels?.[VERSION_SERVICE_LABEL];
    if (label !== undefined) return label;
    const owner = service.metadata?.labels?.[SHIFT_LABEL];
    const versionLabel = owner !== undefined ? (shifts.get(keyOf(namespace, owner))?.object.spec?.versionLabel as string | undefined) : undefined;
    return selectorOf(service)[versionLabel ?? 'version'];
  };
  const readyPodsOf = (service: Obj, namespace: string): { selected: number; ready: number } => {
    let selected = 0;
    let ready = 0;
    for (const [k, pod] of pods) {
      if (!k.startsWith(`${namespace}/`) || !selects(service, pod)) continue;
      selected++;
      if (isReadyPod(pod)) ready++;
    }
    return { selected, ready };
  };
  const checkBackends = (w: Write, routes: readonly Route[]): void => {
    for (const route of routes) {
      route.destinations.forEach((d, j) => {
        if (d.backend === undefined) return;
        const { namespace, name } = d.backend;
        const service = services.get(keyOf(namespace, name));
        const at = `${route.where}.backendRefs[${j}]`;
        if (service === undefined) {
          if (racedDeletion(w)) return;
          flag('backends', w, `${at}.name: Service ${namespace}/${name} does not exist at that moment`);
          return;
        }
        const weight = weightOf(route, d);
        if (typeof weight !== 'number' || weight <= 0) return;
        const { selected, ready } = readyPodsOf(service, namespace);
        if (ready === 0 && !racedDeletion(w)) {
          const selector = Object.entries(selectorOf(service)).map(([k, v]) => `${k}=${v}`).join(',') || 'none';
          flag('backends', w, `${at}: weight ${weight} for Service ${namespace}/${name}, which selects no ready Pod at that moment (selector ${selector}: ${selected} Pods, none ready)`);
        }
      });
    }
  };
  const checkServiceDelete = (w: Write): void => {
    const gone = w.name !== '' ? [w.name] : (w.removedItems ?? []).map((o) => o.metadata?.name ?? '');
    for (const name of gone) {
      for (const [routeKey, { routes }] of httpRoutes) {
        const named = routes.flatMap((r) => r.destinations.map((d, j) => ({ d, at: `${r.where}.backendRefs[${j}]` }))).find(({ d }) => d.backend?.namespace === w.namespace && d.backend.name === name);
        if (named !== undefined) flag('backends', w, `deletes Service ${w.namespace}/${name} while HTTPRoute ${routeKey} names it (${named.at})`, name);
      }
    }
  };

  // ---- rule: subsets. Every subset a route of a sluice VirtualService names exists in a
  // DestinationRule for the destination's host (short names resolved in the VirtualService's
  // namespace) as last written by anyone before this write: those in the VirtualService's
  // namespace, else those in the host's own namespace (Istio's lookup order, without the root
  // namespace and exportTo, which sluice never uses).
  const subsetsFor = (host: string, namespace: string): { names: Set<string>; found: boolean } => {
    const inNamespace = (ns: string) => [...destinationRules.entries()].filter(([k, dr]) => k.startsWith(`${ns}/`) && typeof dr.spec?.host === 'string' && fqdn(dr.spec.host, ns) === host).map(([, dr]) => dr);
    let rules = inNamespace(namespace);
    const own = hostNamespace(host);
    if (rules.length === 0 && own !== undefined && own !== namespace) rules = inNamespace(own);
    const names = new Set(rules.flatMap((dr) => (Array.isArray(dr.spec?.subsets) ? (dr.spec.subsets as { name?: string }[]) : []).map((s) => s.name ?? '')));
    return { names, found: rules.length > 0 };
  };
  const checkSubsets = (w: Write, vs: Obj): void => {
    for (const route of routesOf(vs)) {
      route.destinations.forEach((d, j) => {
        if (d.subset === undefined || d.host === undefined) return;
        const host = fqdn(d.host, w.namespace);
        const { names, found } = subsetsFor(host, w.namespace);
        if (names.has(d.subset)) return;
        if (racedDeletion(w)) return;
        const have = found ? `its subsets are ${[...names].sort().join(', ') || 'none'}` : 'there is no DestinationRule for that host';
        flag('subsets', w, `${route.where}.route[${j}].destination.subset: "${d.subset}" is not a subset of the DestinationRule for ${host} at that moment (${have})`);
      });
    }
  };

  /** The first successful TrafficShift write of `shift` after index `from` matching `pick`, stopping where `stop` says. */
  const nextShiftWrite = (from: number, shift: string, pick: (x: Write) => boolean, stop: (x: Write) => boolean = () => false): Write | undefined => {
    for (let j = from + 1; j < writes.length; j++) {
      const x = writes[j];
      if (stop(x)) return undefined;
      if (x.kind === 'TrafficShift' && x.ok && x.after !== undefined && keyOf(x.namespace, x.name) === shift && pick(x)) return x;
    }
    return undefined;
  };

  // ---- rule: fallback-sticks. A shift has fallen back from candidate X from the first of:
  //   (a) a status write recording phase RolledBack with candidateVersion X;
  //   (b) a sluice VirtualService write taking X from > 0 % to 0 % while the status names X as
  //       the running candidate with weight > 0, when the shift's next status that changes phase,
  //       candidate, startedAt or candidate weight records RolledBack for X in the same run (the
  //       routes were written first and the status after; a crash between them must not let
  //       another replica give X weight back, issue 9 #3). A pause at 0 % or a preview route
  //       dropped for an unready candidate changes the weight or keeps it at 0: not a fallback.
  // Until a status names another candidate, or X with a new startedAt (a retry), no sluice write
  // may give X weight in any route. Deleting and recreating the shift starts afresh.
  const runOf = (s: Status): string => JSON.stringify([s.phase, s.candidateVersion, s.startedAt, s.weights?.candidate ?? 0]);
  const noteStatus = (state: ShiftState | undefined, w: Write, s: Status): void => {
    if (state === undefined) return;
    const fb = state.fallback;
    if (fb !== undefined && s.candidateVersion !== undefined && (s.candidateVersion !== fb.candidate || s.startedAt !== fb.startedAt)) state.fallback = undefined;
    if (s.phase === 'RolledBack' && s.candidateVersion !== undefined && state.fallback === undefined)
      state.fallback = { candidate: s.candidateVersion, ...(s.startedAt !== undefined ? { startedAt: s.startedAt } : {}), auditID: w.event.auditID, time: timeOf(w) };
  };
  const checkFallback = (w: Write, index: number, shiftKey: string, before: readonly Route[] | undefined, vs: readonly Route[]): void => {
    const state = shifts.get(shiftKey);
    if (state === undefined) return;
    const fb = state.fallback;
    if (fb !== undefined) {
      const share = maxShare(vs, subsetName(fb.candidate));
      if (share > 0)
        flag('fallback-sticks', w, `gives ${fb.candidate} ${share} % after shift ${shiftKey} fell back from it (${fb.time}, audit ${fb.auditID}) with no retry (a new status.startedAt) or other candidate since`);
      return;
    }
    const s = state.status;
    const candidate = s.candidateVersion;
    if (candidate === undefined || !ACTIVE.has(s.phase ?? '')) return;
    const subset = subsetName(candidate);
    if ((s.weights?.candidate ?? 0) === 0 || !(maxShare(before, subset) > 0 && maxShare(vs, subset) === 0)) return;
    const next = nextShiftWrite(index, shiftKey, (x) => runOf(statusOf(x.after)) !== runOf(s));
    const n = next !== undefined ? statusOf(next.after) : undefined;
    if (n?.phase === 'RolledBack' && n.candidateVersion === candidate && n.startedAt === s.startedAt)
      state.fallback = { candidate, ...(s.startedAt !== undefined ? { startedAt: s.startedAt } : {}), auditID: w.event.auditID, time: timeOf(w) };
  };

  // ---- rule: gated-full-traffic, on routes. A sluice VirtualService write that brings a version
  // to 100 % in a route other than an audience route (preview, ab-test) (it did not have 100 % there in the
  // VirtualService as last written) must agree with the shift's status: the one the same replica
  // writes next for that shift (before its next write of those routes: sluice writes routes,
  // then the status that describes them), or the one last written before it. One of them must
  // give that version 100 % (core's routesFor: the candidate at weight 100, or the stable with no
  // candidate weight); when that status has it as the running candidate (a blue-green switch),
  // the write must keep the stable version's destination (at 0 %) so it stays routable. The
  // stable version (fallback, revert, pin) and versions no status names yet (first adoption)
  // are not judged.
  const checkFullRoutes = (w: Write, index: number, shiftKey: string, previous: readonly Route[] | undefined, vs: readonly Route[]): void => {
    const already = previous !== undefined ? fullSubsets(previous) : new Set<string>();
    const full = new Set([...fullSubsets(vs)].filter((s) => !already.has(s)));
    if (full.size === 0) return;
    const before = shifts.get(shiftKey)?.status;
    // the stable version at 100 % is what every fallback, revert and pin writes: never judged
    if (before?.stableVersion !== undefined && full.size === 1 && full.has(subsetName(before.stableVersion))) return;
    const next = nextShiftWrite(index, shiftKey, (x) => x.replica === w.replica, (x) => x.kind === w.kind && x.replica === w.replica && x.ok && x.after !== undefined && shiftOf(x.after, x.namespace) === shiftKey);
    const after = next !== undefined ? statusOf(next.after) : undefined;
    const known = [after, before].filter((s): s is Status => s !== undefined);
    const stable = before?.stableVersion ?? after?.stableVersion;
    for (const subset of full) {
      const version = known.flatMap((s) => [s.stableVersion, s.candidateVersion]).find((v): v is string => v !== undefined && subsetName(v) === subset);
      if (version === undefined || version === stable) continue;
      const agreeing = known.find((s) => fullVersionOf(s) === version);
      if (agreeing === undefined) {
        flag('gated-full-traffic', w, `gives ${version} 100 % but the status of ${shiftKey} records no such split (before: ${describeStatus(before)}; next by this replica: ${describeStatus(after)})`);
        continue;
      }
      const from = agreeing.stableVersion;
      const switching = agreeing.candidateVersion === version && from !== undefined && from !== version;
      if (switching && !vs.some((r) => r.destinations.some((d) => d.subset === subsetName(from))))
        flag('gated-full-traffic', w, `switches ${version} to 100 % without keeping ${from} routable (no route names subset "${subsetName(from)}")`);
    }
  };

  // ---- rule: gated-full-traffic, on status. A sluice status write that moves the running
  // candidate X to 100 % (X becomes stableVersion, or X's weight becomes 100) must record why,
  // as fullTrafficReason defines from what core writes.
  const checkFullStatus = (w: Write, before: Status, after: Status, shift: Obj): void => {
    const x = before.candidateVersion;
    if (x === undefined || x === before.stableVersion || !ACTIVE.has(before.phase ?? '')) return;
    // A canary promotes in two writes: X to 100 % in Promoting (judged here, when it happens),
    // then Promoted with nothing moving. A blue-green Promoted ends the rollback window and needs
    // its own Pass, so it is judged whatever the weights were.
    const canary = typeof (shift as { spec?: { strategy?: { canary?: unknown } } }).spec?.strategy?.canary === 'object';
    const promoted = after.stableVersion === x && (!canary || (before.weights?.candidate ?? 0) < 100);
    const full = after.candidateVersion === x && (after.weights?.candidate ?? 0) === 100 && (before.weights?.candidate ?? 0) < 100;
    if (!promoted && !full) return;
    if (fullTrafficReason(before, after, shift, x) !== undefined) return;
    const gate = after.lastGate;
    const last = gate !== undefined ? `${gate.result} for ${gate.version} at ${gate.time}` : 'none';
    flag('gated-full-traffic', w, `status moves ${x} to 100 % (${describeStatus(after)}) without a Pass for ${x} in this run (lastGate: ${last}), a blue-green switch, or a promote / set-weight 100 command`);
  };

  // ---- rule: leader-only. Lease holders are replayed from successful Lease writes: after one,
  // spec.holderIdentity holds it until the write's time (API server clock, the same clock that
  // times every other write) + spec.leaseDurationSeconds (or options.renewDeadlineMs when
  // shorter), or until the next write of that Lease.
  // A replica takes part in leader election from its first try to write a Lease (successful or
  // not) until that Lease is deleted (its namespace went; an elector that still ran would create
  // it again at its next try and be judged again from then). Meanwhile each of its successful
  // writes of routes or shifts must happen while it holds, unexpired, the Lease it last tried to
  // write. Replicas outside an election (leader election off) are not judged: the log cannot tell
  // a replica that has not tried yet from another process reusing the identity without election.
  const checkLeader = (w: Write): void => {
    const k = w.replica !== undefined ? competing.get(w.replica) : undefined;
    if (k === undefined) return;
    const l = leases.get(k);
    if (l !== undefined && l.holder === w.replica && w.at <= l.until) return;
    const state = l === undefined ? 'which does not exist' : l.holder === '' ? 'which nobody holds' : `held by "${l.holder}" until ${new Date(l.until / 1000).toISOString()}`;
    flag('leader-only', w, `written by replica "${w.replica}" while it did not hold Lease ${k} (${state})`);
  };

  const remove = <T>(map: Map<string, T>, w: Write): void => {
    if (w.name !== '') map.delete(keyOf(w.namespace, w.name));
    else if (w.removedItems !== undefined) for (const o of w.removedItems) map.delete(keyOf(w.namespace, o.metadata?.name ?? ''));
    else for (const k of [...map.keys()]) if (k.startsWith(`${w.namespace}/`)) map.delete(k);
  };

  writes.forEach((w, index) => {
    if (w.ok && byNamespaceController(w.event)) emptying.add(w.namespace);
    if (w.kind === 'Lease' && w.replica !== undefined && w.replica !== '') competing.set(w.replica, keyOf(w.namespace, w.name));
    if (!w.ok) return;
    replayedWrites++;
    const sluice = w.replica !== undefined && w.kind !== 'Lease';
    if (sluice) {
      sluiceWrites++;
      if (w.replica !== '') replicas.add(w.replica as string);
      checkLeader(w);
    }
    if (w.removed) {
      switch (w.kind) {
        case 'Lease': {
          const had = new Set(leases.keys());
          remove(leases, w);
          for (const [replica, k] of [...competing]) if (had.has(k) && !leases.has(k)) competing.delete(replica);
          return;
        }
        case 'DestinationRule':
          return remove(destinationRules, w);
        case 'TrafficShift':
          return remove(shifts, w);
        case 'VirtualService':
          return remove(virtualServices, w);
        case 'HTTPRoute':
          return remove(httpRoutes, w);
        case 'Service':
          if (sluice) checkServiceDelete(w);
          return remove(services, w);
        case 'Pod':
          return remove(pods, w);
      }
    }
    const after = w.after;
    if (after === undefined) return; // a successful write the log holds no object for: nothing to replay
    const key = keyOf(w.namespace, w.name);
    switch (w.kind) {
      case 'Lease': {
        const spec = (after.spec ?? {}) as { holderIdentity?: string; leaseDurationSeconds?: number };
        const duration = (spec.leaseDurationSeconds ?? 0) * 1e6;
        const deadline = options.renewDeadlineMs !== undefined ? options.renewDeadlineMs * 1e3 : duration;
        leases.set(key, { holder: spec.holderIdentity ?? '', until: w.at + Math.min(duration, deadline) });
        return;
      }
      case 'DestinationRule':
        destinationRules.set(key, after);
        return;
      case 'TrafficShift': {
        const old = shifts.get(key);
        const fresh = old === undefined || old.object.metadata?.uid !== after.metadata?.uid;
        const before = fresh ? {} : old.status;
        const status = statusOf(after);
        if (sluice && !fresh) checkFullStatus(w, before, status, after);
        const state: ShiftState = { object: after, status, ...(fresh || old.fallback === undefined ? {} : { fallback: old.fallback }) };
        noteStatus(state, w, status);
        shifts.set(key, state);
        return;
      }
      case 'VirtualService': {
        if (sluice) {
          sluiceRouteWrites++;
          const routes = routesOf(after);
          checkWeights(w, routes);
          checkSubsets(w, after);
          const shiftKey = shiftOf(after, w.namespace);
          if (shiftKey !== undefined) {
            const before = virtualServices.get(key);
            const previous = before !== undefined ? routesOf(before) : undefined;
            checkFallback(w, index, shiftKey, previous, routes);
            checkFullRoutes(w, index, shiftKey, previous, routes);
          }
        }
        virtualServices.set(key, after);
        return;
      }
      case 'HTTPRoute': {
        const routes = httpRouteRoutesOf(after, versionOf, subsetName);
        if (sluice) {
          sluiceRouteWrites++;
          checkWeights(w, routes);
          checkBackends(w, routes);
          const shiftKey = shiftOf(after, w.namespace);
          if (shiftKey !== undefined) {
            const previous = httpRoutes.get(key)?.routes;
            checkFallback(w, index, shiftKey, previous, routes);
            checkFullRoutes(w, index, shiftKey, previous, routes);
          }
        }
        httpRoutes.set(key, { object: after, routes });
        return;
      }
      case 'Service': {
        services.set(key, after);
        const version = serviceVersion(after, w.namespace);
        if (version !== undefined) serviceVersions.set(key, version);
        return;
      }
      case 'Pod':
        pods.set(key, after);
        return;
    }
  });

  return { violations, sluiceWrites, sluiceRouteWrites, replayedWrites, replicas: [...replicas].sort(), racedNamespaceDeletion };
};

/** Violations as lines for a test failure or a terminal: `<time> <rule> <object>: <message> (audit <id>)`. */
export const formatViolations = (violations: readonly Violation[]): string =>
  violations.map((v) => `${v.time} ${v.rule} ${v.object}: ${v.message} (audit ${v.auditID})`).join('\n');
