/**
 * The invariants of an HTTPRoute sluice writes, checked on plain objects: every rule's backend
 * weights are integers 0..100 summing to 100, and every backend is a Service that exists (or is
 * created before the route in the same plan). A backend Service that does not exist makes Gateway
 * API implementations answer the requests that would reach it with a 500 (HTTPRoute spec,
 * BackendRef), Istio with a 500 as well; so no route of sluice names one.
 */
interface RouteLike {
  readonly spec?: { readonly rules?: readonly { readonly name?: string; readonly backendRefs?: readonly { readonly name?: string; readonly weight?: number }[] }[] };
}

/** Every broken invariant, as sentences; empty when the route is safe. */
export const httpRouteProblems = (route: RouteLike, services: ReadonlySet<string>): string[] => {
  const problems: string[] = [];
  (route.spec?.rules ?? []).forEach((rule, i) => {
    const where = `spec.rules[${i}]${rule.name ? ` (${rule.name})` : ''}`;
    const refs = rule.backendRefs ?? [];
    if (refs.length === 0) problems.push(`${where}: has no backendRefs`);
    refs.forEach((b, j) => {
      if (!Number.isInteger(b.weight) || (b.weight as number) < 0 || (b.weight as number) > 100)
        problems.push(`${where}.backendRefs[${j}].weight: ${String(b.weight)} is not an integer from 0 to 100`);
      if (b.name === undefined || !services.has(b.name)) problems.push(`${where}.backendRefs[${j}].name: "${String(b.name)}" is not a Service that exists`);
    });
    const sum = refs.reduce((a, b) => a + (typeof b.weight === 'number' ? b.weight : 0), 0);
    if (refs.length > 0 && sum !== 100) problems.push(`${where}: weights sum to ${sum}, expected 100`);
  });
  return problems;
};
