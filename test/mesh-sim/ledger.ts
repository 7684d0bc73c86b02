/**
 * The ground-truth ledger: per service, per version, per second since start, how many requests
 * were answered and how many of them failed (5xx). Requests no workload served (503 UH/NC, 404 NR)
 * are booked under version "unknown", as Istio labels them, so the ledger adds up to what the
 * client saw.
 */

/** One booked request. */
export interface LedgerEntry {
  /** `namespace/name` of the service that answered (or was routed to). */
  readonly service: string;
  readonly version: string;
  /** Whole seconds since the simulator started. */
  readonly second: number;
  readonly failed: boolean;
}

/** One second of one version. */
export interface LedgerCell {
  readonly second: number;
  readonly requests: number;
  readonly failures: number;
}

/** The JSON form: `services["shop/reviews"]["v1"]` is a list of cells in ascending second. */
export interface LedgerJson {
  /** Unix ms of second 0. */
  readonly startedAtMs: number;
  readonly services: Readonly<Record<string, Readonly<Record<string, readonly LedgerCell[]>>>>;
}

/** Totals of one version over a span of seconds. */
export interface VersionTotals {
  readonly requests: number;
  readonly failures: number;
}

/** An accumulating ledger. Mutable on purpose: it books thousands of requests a second. */
export class Ledger {
  private readonly cells = new Map<string, Map<string, Map<number, { requests: number; failures: number }>>>();

  constructor(readonly startedAtMs: number) {}

  /** Books one request. */
  book(e: LedgerEntry): void {
    const versions = this.cells.get(e.service) ?? new Map();
    this.cells.set(e.service, versions);
    const seconds = versions.get(e.version) ?? new Map();
    versions.set(e.version, seconds);
    const cell = seconds.get(e.second) ?? { requests: 0, failures: 0 };
    seconds.set(e.second, cell);
    cell.requests += 1;
    if (e.failed) cell.failures += 1;
  }

  /** Per-version totals of a service over seconds [fromSecond, toSecond). */
  totals(service: string, fromSecond = 0, toSecond = Number.POSITIVE_INFINITY): Readonly<Record<string, VersionTotals>> {
    const out: Record<string, VersionTotals> = {};
    for (const [version, seconds] of this.cells.get(service) ?? []) {
      let requests = 0;
      let failures = 0;
      for (const [second, cell] of seconds) {
        if (second < fromSecond || second >= toSecond) continue;
        requests += cell.requests;
        failures += cell.failures;
      }
      out[version] = { requests, failures };
    }
    return out;
  }

  toJSON(): LedgerJson {
    const services: Record<string, Record<string, LedgerCell[]>> = {};
    for (const [service, versions] of this.cells) {
      services[service] = {};
      for (const [version, seconds] of versions) {
        services[service][version] = [...seconds.entries()]
          .sort(([a], [b]) => a - b)
          .map(([second, c]) => ({ second, requests: c.requests, failures: c.failures }));
      }
    }
    return { startedAtMs: this.startedAtMs, services };
  }
}

/** The second since start that instant `nowMs` falls in. */
export const secondOf = (startedAtMs: number, nowMs: number): number => Math.max(0, Math.floor((nowMs - startedAtMs) / 1000));
