/**
 * Words for people, in the browser (pure, no DOM): durations, percentages, versions. The server
 * sends numbers and ISO times; these turn them into text at the moment the page is drawn.
 */

/** "45s", "3m 05s", "2h 10m", "3d 4h". */
export const age = (ms: number): string => {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h ${String(m % 60).padStart(2, '0')}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
};

/** "in 3m 05s" or "3m 05s ago" for an ISO time; "" when absent or unreadable. */
export const since = (iso: string | undefined, now: number): string => {
  const t = iso === undefined ? NaN : Date.parse(iso);
  if (Number.isNaN(t)) return '';
  return t > now ? `in ${age(t - now)}` : `${age(now - t)} ago`;
};

/** A share 0..1 as a percentage with two decimals: "1.25 %". */
export const pct = (share: number): string => `${(share * 100).toFixed(2)} %`;

/** A count that may be fractional (Prometheus' increase() extrapolates). */
export const count = (n: number): string => (Number.isInteger(n) ? String(n) : n.toFixed(1));

/** Text safe inside HTML (and SVG) markup. */
export const escapeHtml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** "12:04:05" (UTC) of an epoch ms, for chart axes. */
export const clock = (t: number): string => new Date(t).toISOString().slice(11, 19);
