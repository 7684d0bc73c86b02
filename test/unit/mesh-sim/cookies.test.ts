import { cookieHeader, defaultPath, parseSetCookie, pathMatches, receive } from '../../mesh-sim/cookies';
import { responseHeaders, setCookiesOf } from '../../mesh-sim/headers';
import { virtualServiceFromK8s } from '../../mesh-sim/decode';
import { routeWithMirrors } from '../../mesh-sim/route';
import { seededRng } from '../../mesh-sim/prng';
import { pod, v1v2Rule } from './fixtures';

const T = 1_800_000_000_000;

describe('cookie jar (RFC 6265)', () => {
  it('stores a cookie with Max-Age and sends it back until it expires', () => {
    const jar = receive([], ['canary=v2; Max-Age=60; Path=/'], '/', T);
    expect(cookieHeader(jar, '/', T + 59_999)).toBe('canary=v2');
    expect(cookieHeader(jar, '/', T + 60_000)).toBe('');
  });

  it('removes the cookie on Max-Age=0 or a negative Max-Age with the same name and path (section 5.2.2, 5.3 step 11)', () => {
    const jar = receive([], ['canary=v2; Max-Age=60; Path=/', 'a=1; Path=/'], '/', T);
    expect(cookieHeader(receive(jar, ['canary=; Max-Age=0; Path=/'], '/', T + 1), '/', T + 1)).toBe('a=1');
    expect(cookieHeader(receive(jar, ['canary=v2; Max-Age=-1; Path=/'], '/', T + 1), '/', T + 1)).toBe('a=1');
    // another path is another cookie: this expiry does not touch the one at "/"
    expect(cookieHeader(receive(jar, ['canary=; Max-Age=0; Path=/api'], '/', T + 1), '/', T + 1)).toBe('canary=v2; a=1');
  });

  it('replaces a cookie of the same name and path, keeping its creation time for the order; Max-Age wins over Expires', () => {
    let jar = receive(receive([], ['a=1; Path=/'], '/', T), ['b=1; Path=/'], '/', T + 1);
    jar = receive(jar, ['a=2; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=100'], '/', T + 5);
    expect(cookieHeader(jar, '/', T + 10)).toBe('a=2; b=1');
    expect(cookieHeader(receive(jar, ['b=1; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=/'], '/', T + 6), '/', T + 10)).toBe('a=2');
  });

  it('ignores a Max-Age that is not an integer, and a Set-Cookie without "=" or without a name', () => {
    expect(parseSetCookie('a=1; Max-Age=1.5', '/', T)).toEqual({ name: 'a', value: '1', path: '/' });
    expect(parseSetCookie('a=1; Max-Age=+5', '/', T)).toEqual({ name: 'a', value: '1', path: '/' });
    expect(parseSetCookie('novalue', '/', T)).toBeUndefined();
    expect(parseSetCookie('=x', '/', T)).toBeUndefined();
  });

  it('scopes a cookie without Path to the directory of the request (section 5.1.4) and sends longer paths first', () => {
    expect(defaultPath('/api/items')).toBe('/api');
    expect(defaultPath('/items')).toBe('/');
    expect(pathMatches('/api/x', '/api')).toBe(true);
    expect(pathMatches('/apix', '/api')).toBe(false);
    const jar = receive(receive([], ['a=root; Path=/'], '/', T), ['a=api'], '/api/items', T + 1);
    expect(cookieHeader(jar, '/api/x', T + 2)).toBe('a=api; a=root');
    expect(cookieHeader(jar, '/other', T + 2)).toBe('a=root');
  });
});

describe('response header operations (istiod + Envoy)', () => {
  it('add appends (the workload keeps its own Set-Cookie), set overwrites, remove drops before adding', () => {
    const upstream = [['set-cookie', 'session=abc']] as const;
    expect(responseHeaders(upstream, undefined, { add: { 'Set-Cookie': 'canary=v2' } }, true)).toEqual([['set-cookie', 'session=abc'], ['set-cookie', 'canary=v2']]);
    expect(responseHeaders(upstream, undefined, { set: { 'Set-Cookie': 'canary=v2' } }, true)).toEqual([['set-cookie', 'canary=v2']]);
    expect(responseHeaders([['x-a', '1']], { remove: ['X-A'], add: { 'x-a': '2' } }, undefined, false)).toEqual([['x-a', '2']]);
  });

  it('a weighted destination runs before its route (a route set wins); a lone destination after it (the destination set wins)', () => {
    const route = { set: { 'x-v': 'route' } };
    const dest = { set: { 'x-v': 'dest' } };
    expect(responseHeaders([], route, dest, true)).toEqual([['x-v', 'route']]);
    expect(responseHeaders([], route, dest, false)).toEqual([['x-v', 'dest']]);
  });

  it("reaches the client from a VirtualService destination's headers.response, only for the destination chosen", () => {
    const vs = virtualServiceFromK8s({
      metadata: { namespace: 'shop', name: 'reviews' },
      spec: {
        hosts: ['reviews'],
        http: [{
          headers: { response: { add: { 'x-route': 'primary' } } },
          route: [
            { destination: { host: 'reviews', subset: 'v1' }, weight: 50 },
            { destination: { host: 'reviews', subset: 'v2' }, weight: 50, headers: { response: { add: { 'Set-Cookie': 'canary=v2; Max-Age=60; Path=/' } } } },
          ],
        }],
      },
    });
    const upstreams = { destinationRule: () => v1v2Rule(), pods: () => [pod('a', 'v1'), pod('b', 'v2')] };
    const rng = seededRng(7);
    const byVersion: Record<string, string[][]> = { v1: [], v2: [] };
    for (let i = 0; i < 200; i++) {
      const r = routeWithMirrors({ namespace: 'shop', name: 'reviews' }, vs, upstreams, { uri: '/', headers: {} }, rng);
      if (r.outcome.kind === 'served') byVersion[r.outcome.pod.labels.version!]!.push(setCookiesOf(r.responseHeaders));
    }
    expect(byVersion.v1!.length).toBeGreaterThan(50);
    expect(byVersion.v2!.length).toBeGreaterThan(50);
    expect(new Set(byVersion.v1!.map((c) => c.join()))).toEqual(new Set(['']));
    expect(new Set(byVersion.v2!.map((c) => c.join()))).toEqual(new Set(['canary=v2; Max-Age=60; Path=/']));
  });
});
