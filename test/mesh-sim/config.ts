/**
 * The simulator's configuration: codec, defaults and the resolved form the shell runs on.
 * The same codec validates the CLI's config file, `startMeshSim`'s argument and `POST /profiles`.
 */
import * as t from 'io-ts';
import { formatErrors, intIn, listOf, nonEmptyString, numberIn, stringMap, struct } from './codecs';
import type { ProfileChange, ScheduledChange } from './profiles';

const profileFields = {
  errorFraction: numberIn(0, 1),
  p50Ms: numberIn(0, 3_600_000),
  p99Ms: numberIn(0, 3_600_000),
};
const versionRef = { namespace: nonEmptyString, service: nonEmptyString, version: nonEmptyString };

/** `{"namespace","service","version", errorFraction?, p50Ms?, p99Ms?}`, as POST /profiles takes it. */
export const profileChangeCodec = struct('ProfileChange', versionRef, profileFields);
const scheduledChangeCodec = struct('ScheduledChange', { ...versionRef, atSeconds: numberIn(0, 1e9) }, profileFields);

const previewCodec = struct('Preview', { headers: stringMap, rps: numberIn(0, 100_000) }, { uri: nonEmptyString });
const streamCodec = struct('Stream', { name: nonEmptyString, rps: numberIn(0, 100_000) }, { uri: nonEmptyString, method: nonEmptyString, headers: stringMap, users: intIn(1, 100_000) });

const serviceCodec = struct(
  'ServiceTraffic',
  { namespace: nonEmptyString, service: nonEmptyString, rps: numberIn(0, 100_000) },
  { versionLabel: nonEmptyString, uri: nonEmptyString, method: nonEmptyString, headers: stringMap, preview: previewCodec, streams: listOf(streamCodec, 'streams') },
);

const clientCodec = struct('Client', {}, { workload: nonEmptyString, namespace: nonEmptyString, serviceAccount: nonEmptyString, labels: stringMap });

export const configCodec = struct(
  'MeshSimConfig',
  { services: listOf(serviceCodec, 'services') },
  {
    port: intIn(0, 65535),
    seed: intIn(0, 2 ** 32 - 1),
    tickMs: intIn(10, 10_000),
    propagationDelayMs: intIn(0, 600_000),
    ledgerPath: nonEmptyString,
    ledgerFlushMs: intIn(100, 3_600_000),
    promTargetsDir: nonEmptyString,
    client: clientCodec,
    profiles: listOf(profileChangeCodec, 'profile changes'),
    schedule: listOf(scheduledChangeCodec, 'scheduled changes'),
  },
);

/** The configuration as written (file or `startMeshSim` argument). */
export type MeshSimConfigInput = t.TypeOf<typeof configCodec>;

/** Traffic to one Service. */
export interface ServiceTraffic {
  readonly namespace: string;
  readonly service: string;
  /** Requests per second of the main stream. */
  readonly rps: number;
  /** Pod label whose value is the version. Default `version`. */
  readonly versionLabel: string;
  /** Path of the main stream's requests. Default `/`. */
  readonly uri: string;
  /** Method of the main stream's requests. Default GET. */
  readonly method: string;
  /** Headers of the main stream's requests. Default none. */
  readonly headers: Readonly<Record<string, string>>;
  /** An extra stream with its own headers, e.g. `{"x-preview":"true"}` at 2 rps. Default none. */
  readonly preview?: { readonly headers: Readonly<Record<string, string>>; readonly rps: number; readonly uri: string };
  /** Further named streams (id `<namespace>/<service>#<name>`), e.g. users with an A/B cookie. Default none. */
  readonly streams: readonly ExtraStream[];
}

/** A named extra stream; uri and method default to the service's, headers to none. */
export interface ExtraStream {
  readonly name: string;
  readonly rps: number;
  readonly uri: string;
  readonly method: string;
  readonly headers: Readonly<Record<string, string>>;
  /** Distinct users with a cookie jar each sharing the rps (simulate.ts Stream.users). Default none: one client, no jar. */
  readonly users?: number;
}

/** The resolved configuration, every default filled in. */
export interface MeshSimConfig {
  /** Loopback port for /metrics, /ledger, /healthz, /profiles. Default 0: any free port. */
  readonly port: number;
  /** PRNG seed. Default 1. */
  readonly seed: number;
  /** Simulation tick. Default 100 ms. */
  readonly tickMs: number;
  /** Delay from a watch event to the data plane acting on it. Default 1000 ms. */
  readonly propagationDelayMs: number;
  /** Where the ledger JSON is written, periodically and at stop. Default: not written. */
  readonly ledgerPath?: string;
  /** Ledger write period. Default 5000 ms. */
  readonly ledgerFlushMs: number;
  /** Prometheus file_sd folder. Default $SLUICE_PROM_TARGETS_DIR; none: no registration. */
  readonly promTargetsDir?: string;
  /** The synthetic client. Default workload `loadgen` in each target's namespace, service account `loadgen`, labels `{app: <workload>}` (what sourceLabels matches test). */
  readonly client: { readonly workload: string; readonly namespace?: string; readonly serviceAccount: string; readonly labels: Readonly<Record<string, string>> };
  readonly services: readonly ServiceTraffic[];
  /** Profiles at start. Versions without one: 0 errors, p50 20 ms, p99 100 ms. */
  readonly profiles: readonly ProfileChange[];
  readonly schedule: readonly ScheduledChange[];
}

const lowerCaseKeys = (m: Readonly<Record<string, string>>): Record<string, string> =>
  Object.fromEntries(Object.entries(m).map(([k, v]) => [k.toLowerCase(), v]));

/** Fills in defaults. `env` supplies SLUICE_PROM_TARGETS_DIR. */
export const withDefaults = (c: MeshSimConfigInput, env: Readonly<Record<string, string | undefined>> = {}): MeshSimConfig => ({
  port: c.port ?? 0,
  seed: c.seed ?? 1,
  tickMs: c.tickMs ?? 100,
  propagationDelayMs: c.propagationDelayMs ?? 1000,
  ledgerPath: c.ledgerPath,
  ledgerFlushMs: c.ledgerFlushMs ?? 5000,
  promTargetsDir: c.promTargetsDir ?? (env.SLUICE_PROM_TARGETS_DIR || undefined),
  client: {
    workload: c.client?.workload ?? 'loadgen',
    namespace: c.client?.namespace,
    serviceAccount: c.client?.serviceAccount ?? 'loadgen',
    labels: c.client?.labels ?? { app: c.client?.workload ?? 'loadgen' },
  },
  services: c.services.map((s) => ({
    namespace: s.namespace,
    service: s.service,
    rps: s.rps,
    versionLabel: s.versionLabel ?? 'version',
    uri: s.uri ?? '/',
    method: s.method ?? 'GET',
    headers: lowerCaseKeys(s.headers ?? {}),
    preview: s.preview && { headers: lowerCaseKeys(s.preview.headers), rps: s.preview.rps, uri: s.preview.uri ?? s.uri ?? '/' },
    streams: (s.streams ?? []).map((x) => ({
      name: x.name,
      rps: x.rps,
      uri: x.uri ?? s.uri ?? '/',
      method: x.method ?? s.method ?? 'GET',
      headers: lowerCaseKeys(x.headers ?? {}),
      ...(x.users !== undefined ? { users: x.users } : {}),
    })),
  })),
  profiles: c.profiles ?? [],
  schedule: c.schedule ?? [],
});

export type Decoded<A> = { readonly ok: true; readonly value: A } | { readonly ok: false; readonly errors: readonly string[] };

const decodeWith = <A>(codec: t.Type<A, A, unknown>, u: unknown): Decoded<A> => {
  const r = codec.decode(u);
  return r._tag === 'Right' ? { ok: true, value: r.right } : { ok: false, errors: formatErrors(r.left) };
};

/** Validates and resolves a configuration; errors are one line per field. */
export const decodeConfig = (u: unknown, env: Readonly<Record<string, string | undefined>> = {}): Decoded<MeshSimConfig> => {
  const r = decodeWith(configCodec, u);
  return r.ok ? { ok: true, value: withDefaults(r.value, env) } : r;
};

export const decodeProfileChange = (u: unknown): Decoded<ProfileChange> => decodeWith(profileChangeCodec, u);
