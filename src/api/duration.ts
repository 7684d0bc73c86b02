/**
 * Go-style durations ("30s", "1m30s", "500ms", "2h") as used across Kubernetes and Istio specs.
 * Parsed to whole milliseconds; formatting gives the shortest exact form back.
 */
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const DURATION = /^(?:\d+(?:ms|s|m|h))+$/;
const PART = /(\d+)(ms|s|m|h)/g;

/** Milliseconds for a duration string, or undefined when it is not one (e.g. "1d", "90", "-1s"). */
export const parseDuration = (text: string): number | undefined => {
  if (!DURATION.test(text)) return undefined;
  let total = 0;
  for (const [, amount, unit] of text.matchAll(PART)) total += Number(amount) * UNIT_MS[unit!]!;
  return total;
};

/** The shortest duration string for a number of milliseconds: 90000 -> "1m30s". */
export const formatDuration = (ms: number): string => {
  if (ms === 0) return '0s';
  const parts: string[] = [];
  let rest = Math.round(ms);
  for (const [unit, size] of [['h', 3_600_000], ['m', 60_000], ['s', 1000], ['ms', 1]] as const) {
    const amount = Math.floor(rest / size);
    if (amount > 0) parts.push(`${amount}${unit}`);
    rest -= amount * size;
  }
  return parts.join('');
};
