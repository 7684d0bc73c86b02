/**
 * A client's cookie jar, as a user agent keeps one by RFC 6265 (sections 5.1.4, 5.2, 5.3, 5.4),
 * pure: Set-Cookie headers from responses go in, the Cookie header of the next request comes out.
 * What the simulator's clients need and no more: one host (so Domain is ignored and every cookie
 * is host-only), plain HTTP inside the mesh (Secure, HttpOnly and SameSite have no effect here).
 */

/** One stored cookie (RFC 6265 section 5.3). */
export interface Cookie {
  readonly name: string;
  readonly value: string;
  readonly path: string;
  /** Epoch ms at which it expires; undefined: a session cookie (kept while the client runs). */
  readonly expiresAtMs?: number;
  /** Epoch ms it was first stored; kept when a Set-Cookie replaces it (orders the Cookie header). */
  readonly createdAtMs: number;
}

/** The cookies of one client, in no particular order. */
export type Jar = readonly Cookie[];

/** A parsed Set-Cookie: the cookie, and whether it is already expired (a deletion). */
export interface SetCookie {
  readonly name: string;
  readonly value: string;
  readonly path: string;
  readonly expiresAtMs?: number;
}

/** RFC 6265 section 5.1.4: the directory of the request path, "/" when it has no second "/". */
export const defaultPath = (requestPath: string): string => {
  if (!requestPath.startsWith('/')) return '/';
  const last = requestPath.lastIndexOf('/');
  return last <= 0 ? '/' : requestPath.slice(0, last);
};

/** RFC 6265 section 5.1.4 path-match. */
export const pathMatches = (requestPath: string, cookiePath: string): boolean =>
  requestPath === cookiePath ||
  (requestPath.startsWith(cookiePath) && (cookiePath.endsWith('/') || requestPath.charAt(cookiePath.length) === '/'));

const trim = (s: string): string => s.replace(/^[ \t]+|[ \t]+$/g, '');

/**
 * RFC 6265 section 5.2: a Set-Cookie header value received at `nowMs` for a request to
 * `requestPath`, or undefined when a user agent ignores it (no "=", an empty name). Max-Age wins
 * over Expires (section 5.3 step 3); Max-Age of 0 or less means "the earliest representable time"
 * (section 5.2.2), i.e. expired; a Max-Age that is not `-?digits` is ignored, as is an Expires
 * JavaScript's Date cannot read.
 */
export const parseSetCookie = (header: string, requestPath: string, nowMs: number): SetCookie | undefined => {
  const [pair = '', ...attributes] = header.split(';');
  const eq = pair.indexOf('=');
  if (eq < 0) return undefined;
  const name = trim(pair.slice(0, eq));
  if (name === '') return undefined;
  const value = trim(pair.slice(eq + 1));
  let maxAgeAt: number | undefined;
  let expiresAt: number | undefined;
  let path: string | undefined;
  for (const attribute of attributes) {
    const i = attribute.indexOf('=');
    const key = trim(i < 0 ? attribute : attribute.slice(0, i)).toLowerCase();
    const v = i < 0 ? '' : trim(attribute.slice(i + 1));
    if (key === 'max-age' && /^-?[0-9]+$/.test(v)) {
      const delta = Number(v);
      maxAgeAt = delta <= 0 ? Number.NEGATIVE_INFINITY : nowMs + delta * 1000;
    } else if (key === 'expires') {
      const at = Date.parse(v);
      if (Number.isFinite(at)) expiresAt = at;
    } else if (key === 'path') {
      path = v.startsWith('/') ? v : undefined;
    }
  }
  const expiresAtMs = maxAgeAt ?? expiresAt;
  return { name, value, path: path ?? defaultPath(requestPath), ...(expiresAtMs !== undefined ? { expiresAtMs } : {}) };
};

const expired = (c: { readonly expiresAtMs?: number }, nowMs: number): boolean => c.expiresAtMs !== undefined && c.expiresAtMs <= nowMs;

/**
 * RFC 6265 section 5.3 steps 11-12: a cookie with the same name (and, host-only here, domain) and
 * path is replaced, keeping its creation time; an expired one is removed and not stored.
 */
export const storeCookie = (jar: Jar, set: SetCookie, nowMs: number): Jar => {
  const old = jar.find((c) => c.name === set.name && c.path === set.path);
  const rest = jar.filter((c) => c !== old && !expired(c, nowMs));
  if (expired(set, nowMs)) return rest;
  return [...rest, { ...set, createdAtMs: old?.createdAtMs ?? nowMs }];
};

/** Every Set-Cookie of one response, in order. */
export const receive = (jar: Jar, setCookies: readonly string[], requestPath: string, nowMs: number): Jar =>
  setCookies.reduce((j, header) => {
    const parsed = parseSetCookie(header, requestPath, nowMs);
    return parsed === undefined ? j : storeCookie(j, parsed, nowMs);
  }, jar);

/**
 * RFC 6265 section 5.4: the Cookie header for a request to `requestPath` at `nowMs`: unexpired
 * cookies whose path matches, longer paths first, then earlier created; "" when none.
 */
export const cookieHeader = (jar: Jar, requestPath: string, nowMs: number): string =>
  jar
    .filter((c) => !expired(c, nowMs) && pathMatches(requestPath, c.path))
    .sort((a, b) => b.path.length - a.path.length || a.createdAtMs - b.createdAtMs)
    .map((c) => `${c.name}=${c.value}`)
    .join('; ');
