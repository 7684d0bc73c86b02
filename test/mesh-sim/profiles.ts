/**
 * Per-version behaviour profiles and their changes over time. A table maps
 * `namespace/service/version` to a profile; versions without an entry behave as `defaultProfile`.
 */

/** How one version of one service behaves. */
export interface Profile {
  /** Fraction of requests answered with 500, 0..1. Default 0. */
  readonly errorFraction: number;
  /** Median latency in ms. Default 20. */
  readonly p50Ms: number;
  /** 99th percentile latency in ms. Default 100. */
  readonly p99Ms: number;
}

/** A change to one version's profile; fields left out keep their current value. */
export interface ProfileChange {
  readonly namespace: string;
  readonly service: string;
  readonly version: string;
  readonly errorFraction?: number;
  readonly p50Ms?: number;
  readonly p99Ms?: number;
}

/** A change that takes effect `atSeconds` after the simulator started. */
export interface ScheduledChange extends ProfileChange {
  readonly atSeconds: number;
}

export type ProfileTable = ReadonlyMap<string, Profile>;

export const defaultProfile: Profile = { errorFraction: 0, p50Ms: 20, p99Ms: 100 };

const key = (namespace: string, service: string, version: string): string => `${namespace}/${service}/${version}`;

/** The profile of one version. */
export const profileOf = (table: ProfileTable, namespace: string, service: string, version: string): Profile =>
  table.get(key(namespace, service, version)) ?? defaultProfile;

/** The table after one change; the input is left as it was. */
export const applyChange = (table: ProfileTable, change: ProfileChange): ProfileTable => {
  const current = profileOf(table, change.namespace, change.service, change.version);
  const next: Profile = {
    errorFraction: change.errorFraction ?? current.errorFraction,
    p50Ms: change.p50Ms ?? current.p50Ms,
    p99Ms: change.p99Ms ?? current.p99Ms,
  };
  return new Map(table).set(key(change.namespace, change.service, change.version), next);
};

export const applyChanges = (table: ProfileTable, changes: readonly ProfileChange[]): ProfileTable => changes.reduce(applyChange, table);

/** Scheduled changes that fall due in (fromSeconds, toSeconds], in schedule order; at start pass fromSeconds = -Infinity. */
export const dueChanges = (schedule: readonly ScheduledChange[], fromSeconds: number, toSeconds: number): readonly ScheduledChange[] =>
  schedule.filter((c) => c.atSeconds > fromSeconds && c.atSeconds <= toSeconds);
