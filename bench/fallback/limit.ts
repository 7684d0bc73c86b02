/**
 * The limit: the least damage any detector could do to a scenario's bad candidate while failing a
 * good one no more often than the same false-failure rate. Pure; the formula is explained in
 * docs/benchmarks.md ("The limit").
 *
 * Evidence: H0 "the candidate fails at p0 = maxErrorRate" (the worst candidate that must pass)
 * against H1 "it fails at p1 = its real error fraction". Among all tests that fail an H0 candidate
 * with probability at most α and miss an H1 candidate with probability at most β, Wald's SPRT needs
 * the fewest requests on average under both hypotheses (Wald–Wolfowitz, 1948). Its expected sample
 * size under H1 is, by Wald's approximation,
 *
 *   E1[N] = ((1−β)·ln((1−β)/α) + β·ln(β/(1−α))) / KL(p1‖p0),
 *   KL(p1‖p0) = p1·ln(p1/p0) + (1−p1)·ln((1−p1)/(1−p0)),
 *
 * and p1·E1[N] of those requests fail: the failures any such detector must see before it may
 * decide. On top come the failures no detector can avoid once it has decided: what the candidate
 * serves while its evidence waits for the next scrape, while the route change propagates to the
 * proxies, and during one write — at the candidate's first weight.
 */

/** The inputs, all numbers a person can check against the scenario and the environment. */
export interface LimitInputs {
  /** The candidate's error fraction (H1). */
  readonly p1: number;
  /** The gate's maxErrorRate (H0). */
  readonly p0: number;
  /** False-failure rate α; the miss rate β is taken equal to it. */
  readonly alpha: number;
  /** Requests per second to the app. */
  readonly rps: number;
  /** The candidate's first weight, percent. */
  readonly firstWeight: number;
  /** Prometheus scrape interval, seconds. */
  readonly scrapeSeconds: number;
  /** Mesh propagation delay (watch event to proxies acting), seconds. */
  readonly propagationSeconds: number;
  /** One VirtualService write, seconds. */
  readonly writeSeconds: number;
}

/** The limit, with the terms it is made of. */
export interface Limit {
  readonly inputs: LimitInputs;
  /** KL(p1‖p0) in nats per request. */
  readonly klPerRequest: number;
  /** Wald's E1[N]: candidate requests before the SPRT decides. */
  readonly requestsToDecide: number;
  /** p1·E1[N]: failures seen before deciding. */
  readonly failuresToDecide: number;
  /** Seconds served after the evidence is complete: scrape + propagation + write. */
  readonly lagSeconds: number;
  /** Failures during lagSeconds at the first weight. */
  readonly lagFailures: number;
  /** failuresToDecide + lagFailures: the failed requests the scenario's goal compares with. */
  readonly failedRequests: number;
}

const xlogy = (x: number, y: number): number => (x === 0 ? 0 : x * Math.log(y));

/** KL divergence of Bernoulli(p1) from Bernoulli(p0), in nats. */
export const bernoulliKl = (p1: number, p0: number): number => xlogy(p1, p1 / p0) + xlogy(1 - p1, (1 - p1) / (1 - p0));

/** Wald's approximation of the SPRT's expected sample size under H1. */
export const waldRequestsUnderH1 = (p1: number, p0: number, alpha: number, beta: number): number => {
  const a = Math.log((1 - beta) / alpha);
  const b = Math.log(beta / (1 - alpha));
  return ((1 - beta) * a + beta * b) / bernoulliKl(p1, p0);
};

/** The limit for a bad candidate (p1 > p0); undefined when the candidate is good enough to pass. */
export const limitOf = (inputs: LimitInputs): Limit | undefined => {
  const { p1, p0, alpha } = inputs;
  if (!(p1 > p0) || p0 <= 0 || p1 >= 1) return undefined;
  const klPerRequest = bernoulliKl(p1, p0);
  const requestsToDecide = waldRequestsUnderH1(p1, p0, alpha, alpha);
  const failuresToDecide = p1 * requestsToDecide;
  const lagSeconds = inputs.scrapeSeconds + inputs.propagationSeconds + inputs.writeSeconds;
  const lagFailures = inputs.rps * (inputs.firstWeight / 100) * p1 * lagSeconds;
  return { inputs, klPerRequest, requestsToDecide, failuresToDecide, lagSeconds, lagFailures, failedRequests: failuresToDecide + lagFailures };
};
