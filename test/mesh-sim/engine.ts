/**
 * The simulator's state machine, pure except for the seeded PRNGs it draws from. The shell feeds
 * it watch snapshots, profile changes and clock ticks, and books/exports what `tick` returns.
 */
import type { Jar } from './cookies';
import type { MeshSnapshot, ServiceRef } from './model';
import type { Rng } from './prng';
import { applyChange, applyChanges, dueChanges, type ProfileChange, type ProfileTable, type ScheduledChange } from './profiles';
import { advance, observe, propagated, type Propagation } from './propagation';
import { simulateStream, upstreamsOf, type SimulatedRequest, type Stream } from './simulate';

export interface EngineState {
  readonly startedAtMs: number;
  readonly lastTickMs: number;
  /** What the data plane acts on, and what is still propagating. */
  readonly mesh: Propagation<MeshSnapshot>;
  readonly profiles: ProfileTable;
  /** Fractional requests carried to the next tick, per stream. */
  readonly carries: ReadonlyMap<string, number>;
  /** The cookie jar of each user of a stream with users (simulate.ts jarKey). Default none. */
  readonly jars?: ReadonlyMap<string, Jar>;
}

/** What does not change while the simulator runs. */
export interface EngineSetup {
  readonly streams: readonly Stream[];
  readonly schedule: readonly ScheduledChange[];
  readonly versionLabel: (service: ServiceRef) => string;
  readonly propagationDelayMs: number;
  /** The PRNG of each stream (independent, so adding a stream does not change the others). */
  readonly rngOf: (streamId: string) => Rng;
}

/** The state at start: the first snapshot takes effect at once (Envoy starts with the config it was given). */
export const initialState = (setup: EngineSetup, startedAtMs: number, snapshot: MeshSnapshot, profiles: readonly ProfileChange[]): EngineState => ({
  startedAtMs,
  lastTickMs: startedAtMs,
  mesh: propagated(snapshot),
  profiles: applyChanges(applyChanges(new Map(), profiles), dueChanges(setup.schedule, Number.NEGATIVE_INFINITY, 0)),
  carries: new Map(),
});

/** A watch event at `now` produced this snapshot; the data plane sees it after the propagation delay. */
export const observeMesh = (setup: EngineSetup, s: EngineState, snapshot: MeshSnapshot, now: number): EngineState => ({
  ...s,
  mesh: observe(s.mesh, snapshot, now, setup.propagationDelayMs),
});

/** A profile change through the API: effective at once. */
export const setProfile = (s: EngineState, change: ProfileChange): EngineState => ({ ...s, profiles: applyChange(s.profiles, change) });

/**
 * Advances to `now`. The requests of the interval (lastTick, now] see the mesh and profiles as they
 * were at its start; then due schedule entries and propagated config take effect for the next one.
 * So a change due at t first affects requests sent after t, never before.
 */
export const tick = (setup: EngineSetup, s: EngineState, now: number): { readonly state: EngineState; readonly requests: readonly SimulatedRequest[] } => {
  if (now <= s.lastTickMs) return { state: s, requests: [] };
  const ctx = { snapshot: s.mesh.current, profiles: s.profiles, versionLabel: setup.versionLabel, nowMs: now };
  const upstreams = upstreamsOf(s.mesh.current);
  const carries = new Map(s.carries);
  const jars = new Map(s.jars ?? []);
  const requests: SimulatedRequest[] = [];
  for (const stream of setup.streams) {
    const r = simulateStream(stream, carries.get(stream.id) ?? 0, now - s.lastTickMs, ctx, upstreams, setup.rngOf(stream.id), jars);
    carries.set(stream.id, r.carry);
    requests.push(...r.requests);
  }
  const elapsed = (t: number) => (t - s.startedAtMs) / 1000;
  const profiles = applyChanges(s.profiles, dueChanges(setup.schedule, elapsed(s.lastTickMs), elapsed(now)));
  return { state: { ...s, lastTickMs: now, mesh: advance(s.mesh, now), profiles, carries, jars }, requests };
};
