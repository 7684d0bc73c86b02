/**
 * The operator's URL allow-list rules, one place for every URL a shift may make the daemon send a
 * request to: its Prometheus (src/prometheus/access.ts), its webhooks (src/hooks/policy.ts) and
 * its chat notifications (src/notify). Pure.
 *
 * A URL is compared in one canonical form (lower-case scheme and host, no default port, no
 * trailing "/"), and the request goes to that same form, so what is checked is what is fetched.
 * A pattern is a canonical URL in which `*` stands for any run of characters except "/"; it must
 * name a host (a "*" may stand for part of it, never for all of it).
 */
import * as E from 'fp-ts/Either';

/** At most `max` characters of a user's text for a sentence, JSON-quoted. */
export const quoted = (text: string, max = 120): string => JSON.stringify(text.length > max ? `${text.slice(0, max)}…` : text);

/** What a URL may carry besides scheme, host and path. */
export interface UrlRules {
  /** user:password: 'strip' drops them (the operator's own URLs), 'refuse' refuses them (URLs from specs). Default 'refuse'. */
  readonly credentials?: 'strip' | 'refuse';
  /**
   * A query: 'refuse' (default), or 'keep' for URLs whose query is part of the secret (a Google
   * Chat webhook's key and token): matched without it, sent with it.
   */
  readonly query?: 'refuse' | 'keep';
}

/** A URL as it is matched (`checked`, no query) and as it is sent (`sent`, with the kept query). */
export interface CanonicalTarget {
  readonly checked: string;
  readonly sent: string;
}

/** The canonical form `scheme://host[:port][/path]` (plus a kept query) of an http(s) URL; Left: why it has none. */
export const canonicalTarget = (url: string, rules: UrlRules = {}): E.Either<string, CanonicalTarget> => {
  if (!URL.canParse(url)) return E.left('is not a URL');
  const u = new URL(url);
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return E.left(`is not http(s) (${quoted(u.protocol, 20)})`);
  if ((rules.credentials ?? 'refuse') === 'refuse' && (u.username !== '' || u.password !== '')) return E.left('carries credentials; the operator configures those in a named connection');
  if (u.hash !== '' || (u.search !== '' && (rules.query ?? 'refuse') === 'refuse')) return E.left('has a query or a fragment');
  const checked = `${u.protocol}//${u.host}${u.pathname.replace(/\/+$/, '')}`;
  return E.right({ checked, sent: `${checked}${u.search}` });
};

/**
 * The canonical form `scheme://host[:port][/path]` of an http(s) URL; Left: why it has none.
 * `credentials: 'strip'` drops user:password (for the operator's own URLs); 'refuse' refuses them
 * (for URLs from specs: credentials belong in a named connection).
 */
export const canonicalUrl = (url: string, credentials: 'strip' | 'refuse' = 'refuse'): E.Either<string, string> =>
  E.map((t: CanonicalTarget) => t.checked)(canonicalTarget(url, { credentials }));

const PATTERN_CHARS = /^https?:\/\/[^\s@?#]+$/;

/** A pattern as the matcher keeps it; Left: a sentence naming `flag` and the value. */
export const checkUrlPattern = (pattern: string, flag: string): E.Either<string, string> => {
  const bad = `${flag}: ${quoted(pattern)}`;
  if (!PATTERN_CHARS.test(pattern)) return E.left(`${bad} is not an http(s) URL pattern without credentials, query or fragment (e.g. "http://prometheus.*.svc:9090")`);
  const host = pattern.slice(pattern.indexOf('//') + 2).split('/')[0]!;
  if (host === '' || host.replace(/\*/g, '') === '') return E.left(`${bad} allows every host; name the host (a "*" may stand for part of it)`);
  if (host !== host.toLowerCase()) return E.left(`${bad} has upper-case letters in the host; write it lower-case (URLs are compared lower-case)`);
  if (pattern.includes('*')) return E.right(pattern.replace(/\/+$/, ''));
  const canonical = canonicalUrl(pattern);
  return E.isLeft(canonical) ? E.left(`${bad} ${canonical.left}`) : E.right(canonical.right);
};

/** Whether canonical `url` matches `pattern` as a whole; `*` matches any run of characters except "/". */
export const matchesPattern = (pattern: string, url: string): boolean =>
  new RegExp(`^${pattern.split('*').map((p) => p.replace(/[\\^$.|?+()[\]{}]/g, '\\$&')).join('[^/]*')}$`).test(url);

/** Checked patterns from repeated `flag` values, or the first one's sentence. */
export const checkUrlPatterns = (patterns: readonly string[], flag: string): E.Either<string, readonly string[]> => {
  const out: string[] = [];
  for (const p of patterns) {
    const checked = checkUrlPattern(p, flag);
    if (E.isLeft(checked)) return checked;
    out.push(checked.right);
  }
  return E.right(out);
};
