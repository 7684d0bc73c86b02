/**
 * The sequential gate's arithmetic (docs/adr/0010-sequential-gate.md), pure: counts in, a reading
 * out. Wald's sequential probability ratio test on the candidate's failed requests, read on the
 * cumulative counts since the current step (or preview, or rollback window) began:
 *
 *   H0: error rate p0 = maxErrorRate          H1: error rate p1, the rate at ODDS_RATIO × p0's odds
 *   LR  = (p1/p0)^errors · ((1-p1)/(1-p0))^(requests-errors)      (likelihood of H1 over H0)
 *   Fail when LR ≥ periods / falseFailureRate; Pass when LR ≤ PASS_ERROR / (1 - periods / falseFailureRate)
 *
 * Under any error rate p ≤ p0 the LR is a nonnegative supermartingale with mean ≤ 1, so by
 * Ville's inequality it ever reaches 1/a with probability ≤ a — however often it is read, and
 * whether or not it crossed the pass line before. A shift has `periods` judged periods (canary
 * steps; blue-green preview and rollback window), each with a fresh test at a = falseFailureRate /
 * periods, so a candidate at or below maxErrorRate falls back with probability ≤ falseFailureRate
 * over its whole shift (union bound). test/unit/core/sequential.property.test.ts simulates it.
 */

/**
 * How much worse than the limit H1 is, as an odds ratio: p1/(1-p1) = 3 · p0/(1-p0), so 1 % -> 2.94 %.
 * A candidate below about 1.8 × the limit drifts toward Pass, above it toward Fail (the ADR's table).
 */
export const ODDS_RATIO = 3;

/** A bad candidate (at p1) passes one period with probability ≤ this; the next period tests it again. */
export const PASS_ERROR = 0.1;

/** The test a shift's settings give, with its decision lines as likelihood ratios. */
export interface SprtLimits {
  /** maxErrorRate. */
  readonly p0: number;
  /** The alternative error rate (ODDS_RATIO × p0's odds). */
  readonly p1: number;
  /** Fail when the likelihood ratio reaches this: periods / falseFailureRate. */
  readonly failAt: number;
  /** Pass when the likelihood ratio is at most this. */
  readonly passAt: number;
}

/** Where the evidence stands. */
export type SprtDecision = 'Fail' | 'Pass' | 'Undecided';

export interface SprtReading {
  readonly decision: SprtDecision;
  /** Natural log of the likelihood ratio of H1 over H0 (+Infinity: an error where p0 = 0). */
  readonly logRatio: number;
}

/** The rate whose odds are ODDS_RATIO times p0's. */
export const alternativeRate = (p0: number): number => (ODDS_RATIO * p0) / (1 - p0 + ODDS_RATIO * p0);

/** The test for a limit, a shift-wide false-failure rate and the number of judged periods in a shift. */
export const sprtLimits = (maxErrorRate: number, falseFailureRate: number, periods: number): SprtLimits => {
  const perPeriod = falseFailureRate / Math.max(1, periods);
  return { p0: maxErrorRate, p1: alternativeRate(maxErrorRate), failAt: 1 / perPeriod, passAt: PASS_ERROR / (1 - perPeriod) };
};

/**
 * log LR for `errors` of `requests` (fractional counts from increase() are used as they are).
 * p0 = 0: any error is proof of a rate above 0 (+Infinity); none leaves the ratio at 1.
 * p0 = 1: every request may fail, nothing can be over the limit (0, i.e. a ratio of 1).
 */
export const logLikelihoodRatio = (requests: number, errors: number, limits: SprtLimits): number => {
  const { p0, p1 } = limits;
  if (p0 <= 0) return errors > 0 ? Infinity : 0;
  if (p0 >= 1) return 0;
  return errors * Math.log(p1 / p0) + (requests - errors) * Math.log((1 - p1) / (1 - p0));
};

/**
 * Read the evidence. Fail needs only the ratio (the bound above holds for any number of requests);
 * Pass also needs `minRequests` requests, so a handful of successes is never a pass. With
 * p0 = 0 (no error allowed) or p0 = 1 (any error allowed) the ratio cannot move toward Pass, so
 * Pass is `minRequests` requests without a Fail.
 */
export const readEvidence = (requests: number, errors: number, limits: SprtLimits, minRequests: number): SprtReading => {
  const logRatio = logLikelihoodRatio(requests, errors, limits);
  if (logRatio >= Math.log(limits.failAt)) return { decision: 'Fail', logRatio };
  const degenerate = limits.p0 <= 0 || limits.p0 >= 1;
  const passes = requests >= minRequests && (degenerate || logRatio <= Math.log(limits.passAt));
  return { decision: passes ? 'Pass' : 'Undecided', logRatio };
};

/** A ratio for people: 1 decimal below 10, whole numbers below a million, then "2.4e+9". */
const showRatio = (x: number): string => {
  if (!Number.isFinite(x)) return '∞';
  if (x < 10) return String(Number(x.toFixed(1)));
  if (x < 1e6) return String(Math.round(x));
  return x.toExponential(1);
};

/**
 * The odds of H1 against H0 in words: "1 : 240" (LR 240, evidence against the limit) or "12 : 1"
 * (LR 1/12, evidence for it). Equal odds read "1 : 1".
 */
export const showOdds = (logRatio: number): string =>
  logRatio >= 0 ? `1 : ${showRatio(Math.exp(logRatio))}` : `${showRatio(Math.exp(-logRatio))} : 1`;

/** The fail line in the same words: "falls back at 1 : 400". */
export const showFailLine = (limits: SprtLimits): string => `falls back at ${showOdds(Math.log(limits.failAt))}`;

/** Both decision lines: "falls back at 1 : 400, passes at 10 : 1". */
export const showLines = (limits: SprtLimits): string => `${showFailLine(limits)}, passes at ${showOdds(Math.log(limits.passAt))}`;
