import { render } from '../../../src/istio/render';
import { routeProblems } from '../../../src/istio/safety';
import { cookieMatch } from '../../../src/istio/sticky';
import { HttpRoute } from '../../../src/istio/types';
import { canarySpec, intent, shiftRef } from './fixtures';

const FQDN = 'reviews.shop.svc.cluster.local';
const sticky = (affinity: object, extra: object = {}) => ({ ...canarySpec, ...extra, strategy: { canary: { steps: [10, 25, 50], sessionAffinity: affinity } } });
const STICKY = sticky({ cookieName: 'canary', maxAge: '90m' });
const http = (spec: object, stable: string, candidate: string | undefined, weight: number): readonly HttpRoute[] =>
  render(shiftRef(spec), intent(stable, candidate, weight)).virtualService.spec.http as readonly HttpRoute[];
/** Subset -> weight of each route by name, with the Set-Cookie each destination adds. */
const shape = (routes: readonly HttpRoute[]) =>
  routes.map((r) => [r.name, r.route.map((d) => `${d.destination.subset} ${d.weight}${d.headers ? ` +${d.headers.response.add['Set-Cookie']}` : ''}`)]);
/** RE2's full match, as Envoy applies a header regex (JS RegExp agrees on this subset). */
const fullMatch = (regex: string, value: string) => new RegExp(`^(?:${regex})$`).test(value);
const regexOf = (m: Record<string, unknown>) => (m.headers as { cookie: { regex: string } }).cookie.regex;

describe('render: sticky canary (strategy.canary.sessionAffinity)', () => {
  it('while the candidate has weight: a sticky route sends the cookie to it, and its weighted destination sets the cookie (Max-Age in seconds, Path=/)', () => {
    const routes = http(STICKY, 'v1', 'v2', 25);
    expect(shape(routes)).toEqual([
      ['sticky', ['v2 100 +canary=v2; Max-Age=5400; Path=/']],
      ['primary', ['v1 75', 'v2 25 +canary=v2; Max-Age=5400; Path=/']],
    ]);
    expect(routes[0]!.match).toEqual([{ headers: { cookie: { regex: '(.*;\\s*)?canary=v2(\\s*;.*)?' } } }]);
    expect(routeProblems(render(shiftRef(STICKY), intent('v1', 'v2', 25)).virtualService, render(shiftRef(STICKY), intent('v1', 'v2', 25)).destinationRule)).toEqual([]);
  });

  it('with no candidate weight (start, fallback, set-weight 0) no route sends the cookie to the candidate; a sticky-expire route sends it to stable and expires it', () => {
    expect(shape(http(STICKY, 'v1', 'v2', 0))).toEqual([
      ['sticky-expire', ['v1 100 +canary=; Max-Age=0; Path=/']],
      ['primary', ['v1 100', 'v2 0']],
    ]);
    expect(http(STICKY, 'v1', 'v2', 0)[0]!.match).toEqual([{ headers: { cookie: { regex: '(.*;\\s*)?canary=.*' } } }]);
  });

  it('after a promotion the expiring route sends the cookie to the new stable version (harmless)', () => {
    expect(shape(http(STICKY, 'v2', undefined, 0))).toEqual([
      ['sticky-expire', ['v2 100 +canary=; Max-Age=0; Path=/']],
      ['primary', ['v2 100']],
    ]);
  });

  it('at 100 % (Promoting) keeps pinning to the candidate; the maxAge default is 24h', () => {
    expect(shape(http(sticky({ cookieName: 'canary' }), 'v1', 'v2', 100))).toEqual([
      ['sticky', ['v2 100 +canary=v2; Max-Age=86400; Path=/']],
      ['primary', ['v1 0', 'v2 100 +canary=v2; Max-Age=86400; Path=/']],
    ]);
  });

  it('at every candidate weight: routes are safe, and a route names the candidate with weight only while its weight is above 0', () => {
    const checked = { pinned: 0, expired: 0 };
    for (let w = 0; w <= 100; w++) {
      const r = render(shiftRef(STICKY), intent('v1', 'v2', w));
      expect(routeProblems(r.virtualService, r.destinationRule)).toEqual([]);
      const candidateShare = Math.max(...r.virtualService.spec.http.flatMap((h) => (h.route ?? []).filter((d) => d.destination.subset === 'v2').map((d) => d.weight ?? 0)));
      expect(candidateShare > 0).toBe(w > 0);
      const names = r.virtualService.spec.http.map((h) => h.name);
      if (w > 0) checked.pinned += names[0] === 'sticky' ? 1 : 0;
      else checked.expired += names[0] === 'sticky-expire' ? 1 : 0;
    }
    expect(checked).toEqual({ pinned: 100, expired: 1 });
  });

  it('ANDs the cookie with spec.route.match and copies the route options', () => {
    const spec = sticky({ cookieName: 'canary' }, { route: { timeout: '5s', match: [{ uri: { prefix: '/api' } }] } });
    const [first] = http(spec, 'v1', 'v2', 10);
    expect(first).toMatchObject({ name: 'sticky', timeout: '5s', match: [{ uri: { prefix: '/api' }, headers: { cookie: { regex: '(.*;\\s*)?canary=v2(\\s*;.*)?' } } }] });
    expect(first!.route[0]!.destination.host).toBe(FQDN);
  });

  it('matches the cookie at a cookie boundary only, with the version and name taken literally', () => {
    const pinned = regexOf(cookieMatch('canary', 'v1.2'));
    expect(['canary=v1.2', 'a=1; canary=v1.2', 'canary=v1.2; b=2', 'a=1;canary=v1.2;b=2'].filter((c) => fullMatch(pinned, c))).toHaveLength(4);
    expect(['xcanary=v1.2', 'canary=v1x2', 'canary=v1.22', 'canary=', 'a=canary=v1.2'].filter((c) => fullMatch(pinned, c))).toEqual([]);
    const any = regexOf(cookieMatch('my.cookie'));
    expect(['my.cookie=v1', 'a=1; my.cookie=', 'my.cookie=v2; b=2'].every((c) => fullMatch(any, c))).toBe(true);
    expect(['myxcookie=v1', 'b=my.cookie'].some((c) => fullMatch(any, c))).toBe(false);
  });

  it('without sessionAffinity renders no sticky route and no header on any destination', () => {
    for (const w of [0, 25]) {
      const routes = http(canarySpec, 'v1', 'v2', w);
      expect(routes.map((r) => r.name)).toEqual(['primary']);
      expect(routes[0]!.route.every((d) => d.headers === undefined)).toBe(true);
    }
  });
});
