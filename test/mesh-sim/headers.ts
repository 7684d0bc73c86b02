/**
 * Response header operations of a route and its destination, applied as Envoy does when istiod
 * has translated them (istio/istio pilot/pkg/networking/core/route/route.go):
 * - `TranslateHeadersOperations`: `set` becomes OVERWRITE_IF_EXISTS_OR_ADD, `add`
 *   APPEND_IF_EXISTS_OR_ADD, each map sorted by name, `set` before `add`; `remove` a list.
 * - One destination (`processDestination`): the destination's operations are appended to the
 *   route's own list, so they run after the route's. Several (`processWeightedDestination`): they go
 *   on the weighted cluster, which Envoy evaluates before the route's (route.proto,
 *   RouteConfiguration.most_specific_header_mutations_wins: "by default ... from most to least
 *   specific: weighted cluster level headers, route level, ...").
 * - Within one list Envoy's HeaderParser removes first, then adds in order.
 * A destination with weight 0 beside others is dropped by istiod and never chosen here.
 */
import type { HeaderOperations } from './model';

/** Response headers as the client gets them: lower-case names, in order, repeats kept. */
export type ResponseHeaders = readonly (readonly [string, string])[];

interface Parser {
  readonly remove: readonly string[];
  readonly add: readonly { readonly name: string; readonly value: string; readonly append: boolean }[];
}

const sorted = (m: Readonly<Record<string, string>> | undefined) => Object.entries(m ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

const parserOf = (ops: HeaderOperations | undefined): Parser => ({
  remove: (ops?.remove ?? []).map((h) => h.toLowerCase()),
  add: [
    ...sorted(ops?.set).map(([name, value]) => ({ name: name.toLowerCase(), value, append: false })),
    ...sorted(ops?.add).map(([name, value]) => ({ name: name.toLowerCase(), value, append: true })),
  ],
});

const evaluate = (headers: ResponseHeaders, p: Parser): ResponseHeaders => {
  let out = headers.filter(([name]) => !p.remove.includes(name));
  for (const h of p.add) out = [...(h.append ? out : out.filter(([name]) => name !== h.name)), [h.name, h.value]];
  return out;
};

/**
 * The response headers after the route's and the chosen destination's operations, starting from
 * what the workload answered (`upstream`); `weighted` when the route has several destinations.
 */
export const responseHeaders = (
  upstream: ResponseHeaders,
  route: HeaderOperations | undefined,
  destination: HeaderOperations | undefined,
  weighted: boolean,
): ResponseHeaders => {
  if (weighted) return evaluate(evaluate(upstream, parserOf(destination)), parserOf(route));
  const r = parserOf(route);
  const d = parserOf(destination);
  return evaluate(upstream, { remove: [...r.remove, ...d.remove], add: [...r.add, ...d.add] });
};

/** The Set-Cookie values among response headers, in order. */
export const setCookiesOf = (headers: ResponseHeaders): string[] => headers.filter(([name]) => name === 'set-cookie').map(([, value]) => value);
