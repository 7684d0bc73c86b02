/**
 * The two invariants of any routes sluice writes, checked on plain objects so they apply to
 * rendered output and to what is read back from the cluster alike:
 *   1. every http and tcp route's destination weights are integers 0..100 summing to 100 (a redirect or
 *      a direct response has none);
 *   2. every subset a route (or an http route's mirror) names exists in the DestinationRule (else Envoy answers 503 NC).
 */

type RouteLike = {
  readonly name?: string;
  readonly redirect?: unknown;
  readonly directResponse?: unknown;
  readonly route?: readonly { readonly destination?: { readonly host?: string; readonly subset?: string }; readonly weight?: number }[];
  /** Mirroring (http routes only): the subset copies go to. */
  readonly mirror?: { readonly subset?: string };
};
export interface RoutesLike {
  readonly spec?: { readonly http?: readonly RouteLike[]; readonly tcp?: readonly RouteLike[] };
}

/** Every route of both kinds sluice writes, with where it is (`spec.http[0] (primary)`, `spec.tcp[0]`). */
const routesOf = (vs: RoutesLike): { readonly where: string; readonly route: RouteLike }[] =>
  (['http', 'tcp'] as const).flatMap((kind) =>
    (vs.spec?.[kind] ?? []).map((route, i) => ({ where: `spec.${kind}[${i}]${route.name ? ` (${route.name})` : ''}`, route })));
export interface SubsetsLike {
  readonly spec?: { readonly subsets?: readonly { readonly name: string }[] };
}

/** Every broken invariant, as sentences; empty when the routes are safe. */
export const routeProblems = (vs: RoutesLike, dr: SubsetsLike): string[] => {
  const problems: string[] = [];
  routesOf(vs).forEach(({ where, route }) => {
    const dests = route.route ?? [];
    // A redirect or a direct response answers without a destination (a user route, spec.routes).
    if (dests.length === 0 && route.redirect === undefined && route.directResponse === undefined) problems.push(`${where}: has no destinations`);
    const weights = dests.map((d) => (dests.length === 1 && d.weight === undefined ? 100 : d.weight));
    weights.forEach((w, j) => {
      if (!Number.isInteger(w) || (w as number) < 0 || (w as number) > 100)
        problems.push(`${where}.route[${j}].weight: ${String(w)} is not an integer from 0 to 100`);
    });
    const sum = weights.reduce<number>((a, w) => a + (typeof w === 'number' ? w : 0), 0);
    if (dests.length > 0 && sum !== 100) problems.push(`${where}: weights sum to ${sum}, expected 100`);
  });
  return [...problems, ...missingSubsets(vs, dr)];
};

/** Invariant 2 alone: every route destination naming a subset the DestinationRule lacks, as sentences. */
export const missingSubsets = (vs: RoutesLike, dr: SubsetsLike): string[] => {
  const subsets = new Set((dr.spec?.subsets ?? []).map((s) => s.name));
  return routesOf(vs).flatMap(({ where, route }) => [
    ...(route.route ?? []).flatMap((d, j) => {
      const subset = d.destination?.subset;
      return subset !== undefined && !subsets.has(subset)
        ? [`${where}.route[${j}].destination.subset: "${subset}" is not a subset of the DestinationRule`]
        : [];
    }),
    // A mirror to a missing subset answers no copy, so its check would judge nothing.
    ...(route.mirror?.subset !== undefined && !subsets.has(route.mirror.subset)
      ? [`${where}.mirror.subset: "${route.mirror.subset}" is not a subset of the DestinationRule`]
      : []),
  ]);
};
