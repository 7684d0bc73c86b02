/**
 * `sluice plan --routes`: the DestinationRule and VirtualService sluice would write at each state
 * of a shift's rollout, the fallback included, without a cluster (for a GitOps review). Pure.
 *
 * The objects come from the daemon's own render (src/istio/render.ts); this module only lists
 * the RouteIntents a rollout passes through, as core/finish.ts routesFor derives them from the
 * status of each phase: the candidate at its weight (0 before the first step, with the
 * candidate's audience route for a blue-green preview or an A/B test), 100 % while Promoting
 * (stable kept at 0 so it stays routable), the new stable alone once Promoted, and the
 * fallback's stable 100 % with the candidate kept at 0.
 */
import { candidateMatches, mirrorOf, ResolvedSpec } from '../api/spec';
import { RouteIntent } from '../core/types';
import { HTTPRoute, ParentService, renderGateway, VersionService } from '../gateway';
import { renderRoutes } from '../istio/render';
import { DestinationRule, TcpVirtualService, VirtualService } from '../istio/types';

/** One state of the rollout and what sluice writes for it. */
export interface PlannedRoutes {
  /** Short name: "start", "mirror", "step 1", "preview", "a/b test", "promoting", "promoted", "fallback". */
  readonly state: string;
  /** The traffic in words. */
  readonly description: string;
  readonly destinationRule: DestinationRule;
  readonly virtualService: VirtualService | TcpVirtualService;
}

/** A state and the intent the daemon renders for it. */
export interface RouteState {
  readonly state: string;
  readonly description: string;
  readonly intent: RouteIntent;
}

const at = (stable: string, candidate: string, weight: number, preview = false, mirror = false): RouteIntent => ({
  stable,
  candidate,
  weights: { stable: 100 - weight, candidate: weight },
  preview,
  ...(mirror ? { mirror: true } : {}),
});

/** ", a copy of 50 % of requests mirrored to v2 (answers discarded)" when the strategy mirrors. */
const mirrorWords = (spec: ResolvedSpec, v: string): string => {
  const m = mirrorOf(spec);
  return m === undefined ? '' : `; a copy of ${m.percentage} % of requests mirrored to ${v} (answers discarded) for ${m.iterations} gate interval${m.iterations === 1 ? '' : 's'}`;
};

/**
 * The intents of a rollout from `stable` to spec.version, in order, then the fallback. A preview
 * route appears only when the strategy has matches for it (candidateMatches); the daemon also
 * waits for a ready candidate pod before writing it.
 */
export const routeStates = (spec: ResolvedSpec, stable: string): readonly RouteState[] => {
  const v = spec.version;
  const s = spec.strategy;
  const audience = candidateMatches(spec) !== undefined;
  const mirror = mirrorOf(spec) !== undefined;
  const head: RouteState[] =
    s.kind === 'canary'
      ? [
          { state: 'start', description: `${stable} 100 %, ${v} 0 % (until the first step${mirror ? ' or mirroring' : ''})`, intent: at(stable, v, 0) },
          ...(mirror ? [{ state: 'mirror', description: `${stable} 100 %, ${v} 0 %${mirrorWords(spec, v)}`, intent: at(stable, v, 0, false, true) }] : []),
          ...s.steps.map((w, i) => ({ state: `step ${i + 1}`, description: `${stable} ${100 - w} %, ${v} ${w} %`, intent: at(stable, v, w) })),
        ]
      : s.kind === 'blueGreen'
        ? [{
            state: 'preview',
            description: `${audience ? `${stable} 100 %; requests matching previewMatch reach ${v}` : `${stable} 100 %; ${v} ${mirror ? 'serves no client' : 'gets no traffic'} (no previewMatch)`}${mirrorWords(spec, v)}`,
            intent: at(stable, v, 0, audience, mirror),
          }]
        : [{ state: 'a/b test', description: `${stable} 100 %; requests matching abTest.match reach ${v}`, intent: at(stable, v, 0, true) }];
  return [
    ...head,
    { state: 'promoting', description: `${v} 100 %, ${stable} kept routable at 0 %`, intent: at(stable, v, 100) },
    { state: 'promoted', description: `${v} 100 % (the new stable version)`, intent: { stable: v, weights: { stable: 100, candidate: 0 }, preview: false } },
    { state: 'fallback', description: `${stable} 100 %, ${v} kept at 0 % (a failing gate, the deadline or an abort)`, intent: at(stable, v, 0) },
  ];
};

/** The objects sluice would write at each state of the rollout of `shift`, rendered by the daemon's render. */
export const planRoutes = (shift: { readonly namespace: string; readonly name: string; readonly uid: string; readonly spec: ResolvedSpec }, stable: string): readonly PlannedRoutes[] =>
  routeStates(shift.spec, stable).map(({ state, description, intent }) => {
    const { destinationRule, virtualService } = renderRoutes(shift, intent);
    return { state, description, destinationRule, virtualService };
  });

/** One state of a spec.routing: gatewayAPI rollout: the per-version Services (written first) and the HTTPRoute. */
export interface PlannedGatewayRoutes {
  readonly state: string;
  readonly description: string;
  readonly services: readonly VersionService[];
  readonly httpRoute: HTTPRoute;
}

/**
 * Offline there is no Service to copy ports and a selector from; the daemon copies them from the
 * shifted Service when it writes. Shown as: no ports, the version label as the only selector.
 */
const UNKNOWN_PARENT: ParentService = { ports: [], selector: {} };

/** planRoutes for spec.routing: gatewayAPI, rendered by the daemon's renderGateway. */
export const planGatewayRoutes = (shift: { readonly namespace: string; readonly name: string; readonly uid: string; readonly spec: ResolvedSpec }, stable: string): readonly PlannedGatewayRoutes[] =>
  routeStates(shift.spec, stable).map(({ state, description, intent }) => {
    const { services, httpRoute } = renderGateway(shift, intent, UNKNOWN_PARENT);
    return { state, description, services, httpRoute };
  });
