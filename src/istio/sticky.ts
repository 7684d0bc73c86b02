/**
 * The cookie of a sticky canary (strategy.canary.sessionAffinity), as Istio routes carry it.
 * Follows Flagger's Istio router (pkg/router/istio.go, SetRoutes): the weighted route's candidate
 * destination adds a Set-Cookie to its responses, a route before it sends requests carrying that
 * cookie to the candidate, and once no candidate has weight a route expires the cookie. Where
 * sluice differs, and why (docs/mesh-simulator.md and README "Sticky canary" cite the sources):
 * - The cookie's value is the candidate version, not a random string kept in status: the routes
 *   stay a pure function of (spec, intent), so `sluice plan --routes` prints exactly what is
 *   written, and a cookie of another version never pins anyone to this one.
 * - `Path=/`, so the cookie comes back on every path of the host (without it a browser scopes it
 *   to the directory of the request that set it, RFC 6265 section 5.1.4).
 * - The sticky route renews the cookie (Max-Age from the last pinned request), so an active user
 *   stays on the candidate for the rest of a shift longer than maxAge.
 * - The expiring route matches the cookie name with any value, so it needs no memory of earlier
 *   runs; it stays while no candidate has weight (after a fallback, and harmlessly after a promotion).
 * - `response.add`, not `set` (Envoy APPEND_IF_EXISTS_OR_ADD vs OVERWRITE_IF_EXISTS_OR_ADD, istiod
 *   TranslateHeadersOperations): `set` would replace the application's own Set-Cookie headers.
 */
import { ResolvedSessionAffinity } from '../api/spec';

/** The response header sluice adds. */
export const SET_COOKIE = 'Set-Cookie';

const escapeRegex = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * An Istio `cookie` header match (RE2, a full match of the whole Cookie header, "a=1; b=2") for
 * the cookie `name` with `value`, or with any value when `value` is undefined. Anchored at a
 * cookie boundary, so `xcanary=v2` or `canary=v22` do not match.
 */
export const cookieMatch = (name: string, value?: string): Record<string, unknown> => ({
  headers: {
    cookie: { regex: `(.*;\\s*)?${escapeRegex(name)}=${value === undefined ? '.*' : `${escapeRegex(value)}(\\s*;.*)?`}` },
  },
});

/** The Set-Cookie that pins a user to `value` for maxAge (whole seconds, at least 1). */
export const pinCookie = (affinity: ResolvedSessionAffinity, value: string): string =>
  `${affinity.cookieName}=${value}; Max-Age=${Math.max(1, Math.floor(affinity.maxAgeMs / 1000))}; Path=/`;

/** The Set-Cookie that removes the cookie at once (RFC 6265 section 5.2.2: Max-Age 0 means the earliest time; same name and path replace it). */
export const expireCookie = (affinity: ResolvedSessionAffinity): string => `${affinity.cookieName}=; Max-Age=0; Path=/`;

/** Destination header operations adding one Set-Cookie to the response. */
export const addSetCookie = (cookie: string) => ({ response: { add: { [SET_COOKIE]: cookie } } });
