/**
 * `sluice plan -f FILE [-f FILE…] [--json] [--now ISO] [--routes [--stable VERSION]]`: check
 * TrafficShift manifests offline and say how each would roll out — weights in order, minimum
 * dwell, the gate in words, the earliest completion and the next scheduled start; with --routes
 * also the DestinationRule and VirtualService sluice would write at each state (planRoutes.ts).
 * Exit 0 when every manifest is valid, else 2 with one line per problem:
 * `<namespace>/<name>: <field path>: <value> <what was expected>`.
 *
 * Read -> decode -> plan (pure) -> print, in that order; `planShift` is pure and exported.
 */
import * as E from 'fp-ts/Either';
import { pipe } from 'fp-ts/function';
import { stringify as stringifyYaml } from 'yaml';
import { formatDuration } from '../api/duration';
import { formatFieldError, showValue } from '../api/fieldError';
import { HttpMatch, mirrorOf, ResolvedSpec } from '../api/spec';
import { decodeTrafficShift, resolveSpec, TrafficShift } from '../api/trafficShift';
import { judgedPeriods } from '../core/gate';
import { parentRefsOf } from '../gateway/render';
import { showLines, sprtLimits } from '../core/sequential';
import { describeInstant, nextStart } from '../schedule';
import { EXIT, FileIo, percent, readDocuments, seconds } from './output';
import { FlagDef, flagValue, parseFlags } from './parseFlags';
import { planGatewayRoutes, PlannedGatewayRoutes, planRoutes, PlannedRoutes } from './planRoutes';

export const PLAN_USAGE = `usage: sluice plan -f FILE [-f FILE...] [--json] [--now ISO-8601] [--routes [--stable VERSION]]
  Checks TrafficShift manifests (YAML or JSON, several documents per file, "-" for stdin) and
  shows how each would roll out. Exit 0 when all are valid, 2 otherwise.
  --routes          also print the DestinationRule and VirtualService (spec.routing: gatewayAPI: the
                    per-version Services and the HTTPRoute) sluice writes at each state
                    (each step, promotion, fallback) as a YAML stream, the plan as comments
  --stable VERSION  the version running now (default: the manifest's status.stableVersion, else "stable")
`;

/** One step of the rollout: the candidate's weight and the least time it stays there. */
export interface StepPlan {
  readonly weight: number;
  readonly minDwellSeconds: number;
}

export interface GatePlan {
  readonly minRequests: number;
  /** Query window and check interval, e.g. "30s". */
  readonly window: string;
  readonly maxErrorRate: number;
  readonly maxP99LatencyMs?: number;
  readonly failureThreshold: number;
  readonly noData: 'hold' | 'fail';
  readonly progressDeadlineSeconds: number;
  /** threshold (windows) or sequential (evidence since each step began). */
  readonly method: 'threshold' | 'sequential';
  /** sequential: the shift-wide false-failure rate. */
  readonly falseFailureRate?: number;
  /** sequential: the likelihood ratio at which a period falls back (periods / falseFailureRate). */
  readonly failsAtRatio?: number;
  /** The version a failure must not be shared with (compareTo). */
  readonly compareTo?: 'stable';
  /** The rule in words. */
  readonly text: string;
}

export interface ShiftPlan {
  readonly name: string;
  readonly namespace: string;
  readonly strategy: 'Canary' | 'BlueGreen' | 'ABTest';
  readonly service: string;
  readonly version: string;
  /** Blue-green: least time matching requests preview the candidate before the switch. */
  readonly previewSeconds?: number;
  /** A/B test: gate intervals the candidate is judged on matching requests, and their least total time. */
  readonly abTest?: { readonly iterations: number; readonly seconds: number };
  /** Mirroring before any client reaches the candidate: the share copied, the gate intervals judged on the copies, their least total time. */
  readonly mirror?: { readonly percentage: number; readonly iterations: number; readonly seconds: number };
  /** Canary: each step, then 100. Blue-green: one step of 100 lasting the rollback window. */
  readonly steps: readonly StepPlan[];
  /** The last change waits for a promote command. */
  readonly manualPromotion: boolean;
  readonly gate: GatePlan;
  /** From the start, if every check passes at its first chance (and a person promotes at once). */
  readonly earliestCompletionSeconds: number;
  /** Next scheduled start (ISO 8601, UTC), for shifts with schedule.start. */
  readonly nextStart?: string;
  /** spec.routing when it is gatewayAPI (an HTTPRoute and per-version Services); absent: a VirtualService. */
  readonly routing?: 'gatewayAPI';
  /** spec.protocol when it is tcp (a VirtualService tcp route, weighted per connection); absent: http. */
  readonly protocol?: 'tcp';
}

/** Hook into src/schedule: the next scheduled start after `nowMs`, if the spec has one. */
export const nextStartOf = (spec: ResolvedSpec, nowMs: number): number | undefined =>
  spec.schedule ? nextStart(spec.schedule, nowMs) : undefined;

const gatePlan = (spec: ResolvedSpec): GatePlan => {
  const a = spec.analysis;
  const window = formatDuration(a.intervalMs);
  const who = spec.strategy.kind === 'canary' ? 'each step needs' : 'each check needs';
  const latency = a.maxP99LatencyMs !== undefined ? ` and p99 ≤ ${a.maxP99LatencyMs} ms` : '';
  const failures = a.failureThreshold === 1 ? '1 failure falls back' : `${a.failureThreshold} consecutive failures fall back`;
  const deadline = `progressDeadline ${formatDuration(spec.progressDeadlineMs)}`;
  const noData = a.noData === 'hold' ? `no data holds up to ${deadline}` : 'no data counts as a failure';
  const shared = a.compareTo === 'stable' ? `; a failure stable shares holds up to ${deadline}` : '';
  // spec.protocol: tcp counts connections, failed when Envoy flagged them (docs/tcp.md).
  const [things, thing, failed] = spec.protocol === 'tcp' ? ['connections', 'connection', 'failed connections'] : ['requests', 'request', '5xx'];
  const base = {
    minRequests: a.minRequests,
    window,
    maxErrorRate: a.maxErrorRate,
    ...(a.maxP99LatencyMs !== undefined ? { maxP99LatencyMs: a.maxP99LatencyMs } : {}),
    failureThreshold: a.failureThreshold,
    noData: a.noData,
    progressDeadlineSeconds: seconds(spec.progressDeadlineMs),
    method: a.method,
    ...(a.compareTo !== undefined ? { compareTo: a.compareTo } : {}),
  };
  if (a.method === 'threshold')
    return { ...base, text: `${who} ≥ ${a.minRequests} ${things} in a ${window} window with ≤ ${percent(a.maxErrorRate)} ${failed}${latency}; ${failures}; ${noData}${shared}` };
  const periods = judgedPeriods(spec);
  const limits = sprtLimits(a.maxErrorRate, a.falseFailureRate, periods);
  const each = spec.strategy.kind === 'canary' ? (mirrorOf(spec) !== undefined ? 'the mirroring, then each step,' : 'each step') : spec.strategy.kind === 'abTest' ? 'the A/B test' : periods === 2 ? 'the preview and the rollback window each' : 'the rollback window';
  const latencyRule = a.maxP99LatencyMs !== undefined ? `; p99 ≤ ${a.maxP99LatencyMs} ms in each ${window}, ${failures}` : '';
  return {
    ...base,
    falseFailureRate: a.falseFailureRate,
    failsAtRatio: limits.failAt,
    text:
      `${each} judges every ${thing} since it began, read every ${window}, against ≤ ${percent(a.maxErrorRate)} ${failed}: ` +
      `${showLines(limits)} with ≥ ${a.minRequests} ${things} (a candidate within the limit falls back in at most ${percent(a.falseFailureRate)} of shifts)` +
      `${latencyRule}; fewer than ${a.minRequests} ${things} hold up to ${deadline}${shared}`,
  };
};

const STRATEGY_NAMES = { canary: 'Canary', blueGreen: 'BlueGreen', abTest: 'ABTest' } as const;
const STRATEGY_WORDS = { Canary: 'canary', BlueGreen: 'blue-green', ABTest: 'A/B test' } as const;

/** How a valid shift would roll out. Pure: `nowMs` only places the next scheduled start. */
export const planShift = (shift: TrafficShift, nowMs: number): ShiftPlan => {
  const spec = resolveSpec(shift.spec);
  const s = spec.strategy;
  const steps: StepPlan[] =
    s.kind === 'canary'
      ? [...s.steps.map((weight) => ({ weight, minDwellSeconds: seconds(s.stepIntervalMs) })), { weight: 100, minDwellSeconds: 0 }]
      : [{ weight: 100, minDwellSeconds: s.kind === 'blueGreen' ? seconds(s.rollbackWindowMs) : 0 }];
  const mirror = mirrorOf(spec);
  const mirrorSeconds = mirror !== undefined ? seconds(mirror.iterations * spec.analysis.intervalMs) : 0;
  // Mirroring comes before a canary's first step; a blue-green preview lasts the longer of the two.
  const preview = s.kind === 'blueGreen' ? Math.max(seconds(s.previewDurationMs), mirrorSeconds) : s.kind === 'abTest' ? seconds(s.iterations * spec.analysis.intervalMs) : mirrorSeconds;
  const start = nextStartOf(spec, nowMs);
  return {
    name: shift.metadata.name,
    namespace: shift.metadata.namespace,
    strategy: STRATEGY_NAMES[s.kind],
    service: spec.service,
    version: spec.version,
    ...(s.kind === 'blueGreen' ? { previewSeconds: preview } : {}),
    ...(s.kind === 'abTest' ? { abTest: { iterations: s.iterations, seconds: preview } } : {}),
    ...(mirror !== undefined ? { mirror: { percentage: mirror.percentage, iterations: mirror.iterations, seconds: mirrorSeconds } } : {}),
    steps,
    manualPromotion: spec.manualPromotion,
    gate: gatePlan(spec),
    earliestCompletionSeconds: preview + steps.reduce((sum, step) => sum + step.minDwellSeconds, 0),
    ...(start !== undefined ? { nextStart: new Date(start).toISOString() } : {}),
    ...(spec.routing === 'gatewayAPI' ? { routing: 'gatewayAPI' as const } : {}),
    ...(spec.protocol === 'tcp' ? { protocol: 'tcp' as const } : {}),
  };
};

/** Where a gatewayAPI shift's routes go: its HTTPRoute, the parents it attaches to, the Services it weights. */
const gatewayRoutesLine = (spec: ResolvedSpec): string => {
  const parents = parentRefsOf(spec.gateways, spec.service).map((p) =>
    p.kind === 'Service' ? `Service ${p.name} (mesh)` : `Gateway ${p.namespace !== undefined ? `${p.namespace}/` : ''}${p.name}`);
  return `HTTPRoute ${spec.service} on ${parents.join(' and ')}, weighting one Service per version, ${spec.service}-<version> (spec.routing: gatewayAPI)`;
};

const dur = (secs: number): string => formatDuration(secs * 1000);

const previewLine = (match: HttpMatch | undefined, version: string, secs: number): string =>
  match
    ? `requests matching ${JSON.stringify(HttpMatch.encode(match))} reach ${version} for ≥ ${dur(secs)}; all other traffic stays on stable`
    : `${version} gets no traffic for ≥ ${dur(secs)} (no previewMatch)`;

const abTestLine = (matches: readonly HttpMatch[], version: string, iterations: number, intervalMs: number): string =>
  `requests matching any of ${JSON.stringify(matches.map((m) => HttpMatch.encode(m)))} reach ${version} for ${iterations} gate interval${iterations === 1 ? '' : 's'} ` +
  `(≥ ${formatDuration(iterations * intervalMs)}), the last check passing; all other traffic stays on stable`;

const mirrorLine = (m: NonNullable<ShiftPlan['mirror']>, version: string, before: string): string =>
  `a copy of ${m.percentage} % of stable's requests goes to ${version}, its answers discarded, for ${m.iterations} gate interval${m.iterations === 1 ? '' : 's'} ` +
  `(≥ ${dur(m.seconds)}), the last check passing, before ${before}; no client is served by ${version} until then`;

const scheduleLines = (spec: ResolvedSpec, plan: ShiftPlan): string[] => {
  const sc = spec.schedule;
  if (!sc) return ['  start:     as soon as the new version is seen (no schedule)'];
  const lines = [
    sc.start === undefined
      ? '  start:     as soon as a window is open'
      : plan.nextStart
        ? `  start:     next ${describeInstant(Date.parse(plan.nextStart), sc.timeZone)} (cron "${sc.start}")`
        : `  start:     no start of "${sc.start}" falls inside a window within 400 days`,
  ];
  for (const w of sc.windows ?? []) lines.push(`  window:    steps advance ${w.days.join(', ')} ${w.from}-${w.to} ${sc.timeZone}`);
  return lines;
};

/** The human-readable plan of one shift. */
export const describePlan = (shift: TrafficShift, plan: ShiftPlan): string => {
  const spec = resolveSpec(shift.spec);
  const s = spec.strategy;
  const manual = plan.manualPromotion ? '; the last change waits for a promote command' : '';
  const lines = [`${plan.namespace}/${plan.name}: ${STRATEGY_WORDS[plan.strategy]} of Service ${plan.service} to version ${plan.version}`];
  if (s.kind === 'blueGreen') lines.push(`  preview:   ${previewLine(s.previewMatch, plan.version, plan.previewSeconds ?? 0)}`);
  if (s.kind === 'abTest') lines.push(`  a/b test:  ${abTestLine(s.matches, plan.version, s.iterations, spec.analysis.intervalMs)}`);
  if (plan.mirror !== undefined) lines.push(`  mirror:    ${mirrorLine(plan.mirror, plan.version, s.kind === 'canary' ? 'the first step' : 'the switch')}`);
  const weights =
    s.kind === 'canary'
      ? plan.steps.map((st) => (st.weight === 100 ? '100 %' : `${st.weight} % for ≥ ${dur(st.minDwellSeconds)}`)).join(' -> ')
      : s.kind === 'abTest'
        ? '100 % at promotion'
        : `100 % at the switch; stable stays routable for ${dur(plan.steps[0]!.minDwellSeconds)} (rollback window)`;
  lines.push(`  weights:   ${weights}${manual}`);
  if (s.kind === 'canary' && s.sessionAffinity !== undefined) {
    const a = s.sessionAffinity;
    lines.push(`  sticky:    a user ${plan.version} served gets cookie ${a.cookieName}=${plan.version} (Max-Age ${dur(Math.floor(a.maxAgeMs / 1000))}, renewed) and stays on ${plan.version}; with no ${plan.version} weight (fallback, promotion) the cookie is expired`);
  }
  if (plan.routing === 'gatewayAPI') lines.push(`  routes:    ${gatewayRoutesLine(spec)}`);
  if (plan.protocol === 'tcp')
    lines.push(`  routes:    a tcp route of VirtualService ${spec.service}: each connection picks a version by weight and stays on it until it closes (spec.protocol: tcp)`);
  lines.push(`  gate:      ${plan.gate.text}`);
  lines.push(`  earliest:  done ${dur(plan.earliestCompletionSeconds)} after the start${plan.manualPromotion ? ' and a promote command' : ''}`);
  lines.push(...scheduleLines(spec, plan));
  return `${lines.join('\n')}\n`;
};

/** The stable version --routes renders when neither --stable nor the manifest's status names one. */
const DEFAULT_STABLE = 'stable';

/**
 * The plan as YAML comments, then one document per object sluice writes at each state (the
 * DestinationRule, then the VirtualService), each headed by a comment naming the state.
 */
const routesYaml = (shift: TrafficShift, plan: string, stable: string, states: readonly (PlannedRoutes | PlannedGatewayRoutes)[]): string => {
  const comment = (text: string) => text.trimEnd().split('\n').map((l) => `# ${l}`.trimEnd()).join('\n');
  const given = stable === DEFAULT_STABLE && shift.status?.stableVersion === undefined ? ' (none given: pass --stable VERSION)' : '';
  const docs = states.flatMap((s) => {
    const objects: readonly object[] = 'httpRoute' in s ? [...s.services, s.httpRoute] : [s.destinationRule, s.virtualService];
    return objects.map((o, i) => `---\n${i === 0 ? `# ${shift.metadata.namespace}/${shift.metadata.name} ${s.state}: ${s.description}\n` : ''}${stringifyYaml(o)}`);
  });
  const parent = resolveSpec(shift.spec).routing === 'gatewayAPI'
    ? `\n# spec.routing: gatewayAPI: the Services copy the ports and selector of Service ${shift.spec.service} when the daemon writes them (shown without; the backendRefs port 80 stands for its first port)`
    : '';
  return `${comment(plan)}\n# routes from stable version ${stable}${given}, as the daemon renders them${parent}\n${docs.join('')}`;
};

interface PlanArgs {
  readonly files: readonly string[];
  readonly json: boolean;
  readonly nowMs: number;
  readonly routes: boolean;
  readonly stable?: string;
}

const PLAN_FLAGS = {
  files: { names: ['-f', '--filename'], kind: 'string', value: 'FILE', repeat: true },
  json: { names: ['--json'], kind: 'switch' },
  now: { names: ['--now'], kind: 'string', value: 'ISO-8601' },
  routes: { names: ['--routes'], kind: 'switch' },
  stable: { names: ['--stable'], kind: 'string', value: 'VERSION' },
  help: { names: ['-h', '--help'], kind: 'switch' },
} as const satisfies Record<string, FlagDef>;

const parseTime = (text: string): number | undefined => (Number.isNaN(Date.parse(text)) ? undefined : Date.parse(text));

const parsePlanArgs = (args: readonly string[], nowMs: number): E.Either<string, PlanArgs & { readonly help: boolean }> =>
  pipe(
    parseFlags(args, PLAN_FLAGS),
    E.filterOrElse(
      ({ positionals }) => positionals.length === 0,
      ({ positionals }) => `unexpected argument ${showValue(positionals[0])} (files are given with -f FILE)`,
    ),
    E.bindTo('parsed'),
    E.bind('nowMs', ({ parsed }) => (parsed.flags.now === undefined ? E.right(nowMs) : flagValue('--now', parsed.flags.now, parseTime, 'an ISO 8601 time (expected e.g. "2026-11-23T09:00:00Z")'))),
    E.filterOrElse(
      ({ parsed }) => parsed.flags.help === true || (parsed.flags.files?.length ?? 0) > 0,
      () => 'at least one -f FILE is required',
    ),
    E.filterOrElse(
      ({ parsed }) => parsed.flags.stable === undefined || parsed.flags.routes === true,
      () => '--stable only applies with --routes',
    ),
    E.map(({ parsed: { flags }, nowMs }) => ({
      files: flags.files ?? [],
      json: flags.json === true,
      nowMs,
      routes: flags.routes === true,
      ...(flags.stable !== undefined ? { stable: flags.stable } : {}),
      help: flags.help === true,
    })),
  );

/** One problem, for JSON output. Whole-file problems have empty name and namespace and path "(file)". */
interface PlanError {
  readonly file: string;
  readonly namespace: string;
  readonly name: string;
  readonly path: string;
  readonly message: string;
}

/** Runs `sluice plan` with these arguments (after "plan") and returns the exit code. */
export const runPlan = (args: readonly string[], io: FileIo, nowMs: number = Date.now()): number => {
  const parsed = parsePlanArgs(args, nowMs);
  if (E.isLeft(parsed)) {
    io.stderr(`sluice plan: ${parsed.left}\n${PLAN_USAGE}`);
    return EXIT.usage;
  }
  if (parsed.right.help) {
    io.stdout(PLAN_USAGE);
    return EXIT.ok;
  }
  const { files, json } = parsed.right;
  const errors: PlanError[] = [];
  const lines: string[] = [];
  const plans: { shift: TrafficShift; plan: ShiftPlan }[] = [];
  for (const file of files) {
    const { documents, problems } = readDocuments(io, file);
    for (const p of problems) {
      errors.push({ file, namespace: '', name: '', path: '(file)', message: p.message });
      lines.push(`${file}: ${p.message}`);
    }
    for (const doc of documents) {
      const decoded = decodeTrafficShift(doc.value);
      if (E.isRight(decoded)) {
        plans.push({ shift: decoded.right, plan: planShift(decoded.right, parsed.right.nowMs) });
        continue;
      }
      const { namespace, name } = decoded.left;
      for (const e of decoded.left.errors) {
        errors.push({ file, namespace, name, path: e.path, message: `${showValue(e.value)} ${e.message}` });
        lines.push(`${namespace}/${name}: ${formatFieldError(e)}`);
      }
    }
  }
  const stableOf = (shift: TrafficShift): string => parsed.right.stable ?? shift.status?.stableVersion ?? DEFAULT_STABLE;
  const routesOf = (shift: TrafficShift): readonly (PlannedRoutes | PlannedGatewayRoutes)[] => {
    const ref = { namespace: shift.metadata.namespace, name: shift.metadata.name, uid: shift.metadata.uid ?? '', spec: resolveSpec(shift.spec) };
    return ref.spec.routing === 'gatewayAPI' ? planGatewayRoutes(ref, stableOf(shift)) : planRoutes(ref, stableOf(shift));
  };
  if (json) {
    const shifts = plans.map((p) => (parsed.right.routes ? { ...p.plan, routes: { stable: stableOf(p.shift), states: routesOf(p.shift) } } : p.plan));
    io.stdout(`${JSON.stringify(errors.length > 0 ? { errors } : { shifts }, null, 2)}\n`);
  } else {
    const text = (p: { shift: TrafficShift; plan: ShiftPlan }) =>
      parsed.right.routes ? routesYaml(p.shift, describePlan(p.shift, p.plan), stableOf(p.shift), routesOf(p.shift)) : describePlan(p.shift, p.plan);
    io.stdout(plans.map(text).join('\n'));
    if (lines.length > 0) io.stderr(`${lines.join('\n')}\n`);
  }
  return errors.length > 0 ? EXIT.usage : EXIT.ok;
};
