/**
 * A TrafficShift as the CLI shows it. Read loosely on purpose: `get` and `status` must show a
 * shift whose spec is invalid (that is when an operator looks), so nothing here rejects input.
 */
import { GateRecord, HistoryEntry, ShiftStatus, Weights } from '../api/status';
import { ANNOTATION } from '../kube/annotations';
import { KubeObject } from '../kube/objects';

export interface ShiftView {
  readonly namespace: string;
  readonly name: string;
  readonly service?: string;
  /** spec.version: the version that should end up serving. */
  readonly version?: string;
  readonly strategy?: 'canary' | 'blueGreen' | 'abTest';
  /** Canary steps in percent. */
  readonly steps?: readonly number[];
  readonly createdAt?: string;
  readonly status: ShiftStatus;
  readonly annotations: Readonly<Record<string, string>>;
}

const asString = (u: unknown): string | undefined => (typeof u === 'string' ? u : undefined);
const asObject = (u: unknown): Record<string, unknown> => (typeof u === 'object' && u !== null && !Array.isArray(u) ? (u as Record<string, unknown>) : {});

const strategyOf = (strategy: Record<string, unknown>): ShiftView['strategy'] =>
  (['canary', 'blueGreen', 'abTest'] as const).find((k) => strategy[k] !== undefined);

export const viewOf = (obj: KubeObject): ShiftView => {
  const spec = asObject(obj.spec);
  const strategy = asObject(spec['strategy']);
  const canary = strategy['canary'] !== undefined ? asObject(strategy['canary']) : undefined;
  const steps = Array.isArray(canary?.['steps']) ? (canary['steps'] as unknown[]).filter((s): s is number => typeof s === 'number') : undefined;
  const service = asString(spec['service']);
  const version = asString(spec['version']);
  return {
    namespace: obj.metadata.namespace ?? '',
    name: obj.metadata.name,
    ...(service !== undefined ? { service } : {}),
    ...(version !== undefined ? { version } : {}),
    ...(strategyOf(strategy) !== undefined ? { strategy: strategyOf(strategy) } : {}),
    ...(steps ? { steps } : {}),
    ...(obj.metadata.creationTimestamp ? { createdAt: obj.metadata.creationTimestamp } : {}),
    status: asObject(obj.status) as ShiftStatus,
    annotations: obj.metadata.annotations ?? {},
  };
};

/** The candidate worth showing: set and different from the stable version. */
export const shownCandidate = (s: ShiftStatus): string | undefined =>
  s.candidateVersion !== undefined && s.candidateVersion !== s.stableVersion ? s.candidateVersion : undefined;

/** "90/10" (stable/candidate). */
export const weightPair = (w: Weights | undefined): string => (w ? `${w.stable}/${w.candidate}` : '-');

/** kubectl's short age: 45s, 5m30s, 42m, 3h12m, 30h, 3d4h, 12d. */
export const shortAge = (ms: number): string => {
  const s = Math.max(0, Math.floor(ms / 1000));
  const m = Math.floor(s / 60);
  const h = Math.floor(m / 60);
  const d = Math.floor(h / 24);
  if (s < 120) return `${s}s`;
  if (m < 10) return s % 60 === 0 ? `${m}m` : `${m}m${s % 60}s`;
  if (m < 180) return `${m}m`;
  if (h < 8) return m % 60 === 0 ? `${h}h` : `${h}h${m % 60}m`;
  if (h < 48) return `${h}h`;
  if (d < 8) return h % 24 === 0 ? `${d}d` : `${d}d${h % 24}h`;
  return `${d}d`;
};

/** Age of an ISO time relative to `now`, or "-" when absent or unreadable. */
export const ageOf = (iso: string | undefined, now: number): string => {
  const t = iso === undefined ? NaN : Date.parse(iso);
  return Number.isNaN(t) ? '-' : shortAge(now - t);
};

/** "in 32m" / "12m ago" for an ISO time. */
export const relative = (iso: string, now: number): string => {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  return t >= now ? `in ${shortAge(t - now)}` : `${shortAge(now - t)} ago`;
};

const BAR = 20;
/** `v1 90% [██████████████████░░] 10% v2`: one cell per 5 %, stable solid, candidate light. */
export const weightBar = (w: Weights, stable: string, candidate: string | undefined): string => {
  const cells = Math.round((w.stable / 100) * BAR);
  return `${stable} ${w.stable}% [${'█'.repeat(cells)}${'░'.repeat(BAR - cells)}] ${w.candidate}% ${candidate ?? '(no candidate)'}`;
};

/** A gate record in one line: result, counts, rate against the limit, latency, window and time. */
export const gateLine = (g: GateRecord): string => {
  const parts: string[] = [];
  if (g.requests !== undefined) parts.push(`${round(g.requests)} requests`);
  if (g.errors !== undefined) parts.push(`${round(g.errors)} errors`);
  if (g.errorRate !== undefined) parts.push(`error rate ${pct(g.errorRate)} (limit ${pct(g.threshold)})`);
  if (g.p99LatencyMs !== undefined) parts.push(`p99 ${round(g.p99LatencyMs)} ms`);
  return `${g.result} for ${g.version}${parts.length ? `: ${parts.join(', ')}` : ''} over ${g.window} at ${g.time}`;
};

const round = (n: number): string => (Number.isInteger(n) ? String(n) : n.toFixed(1));
const pct = (r: number): string => `${(r * 100).toFixed(2)}%`;

/** A history entry in one line. */
export const historyLine = (h: HistoryEntry, now: number): string =>
  `${relative(h.time, now).padEnd(10)} ${h.event.padEnd(16)} ${h.message}${h.by && !h.message.includes(h.by) ? ` (by ${h.by})` : ''}${h.weights ? ` [${weightPair(h.weights)}]` : ''}`;

/** The command waiting in the annotations, in words, if any. */
export const pendingLine = (a: Readonly<Record<string, string>>): string | undefined => {
  const what = a[ANNOTATION.command] ?? (a[ANNOTATION.setWeight] !== undefined ? `set-weight ${a[ANNOTATION.setWeight]}` : a[ANNOTATION.shiftTo] !== undefined ? `shift-to ${a[ANNOTATION.shiftTo]}` : undefined);
  if (what === undefined) return undefined;
  const by = a[ANNOTATION.by] ? `, by ${a[ANNOTATION.by]}` : '';
  return `${what} (command ${a[ANNOTATION.commandId] ?? '(no id)'}${by}), not yet applied`;
};

/** Columns padded to their widest cell, three spaces apart (kubectl's table). */
export const table = (rows: readonly (readonly string[])[]): string[] => {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => r[i]?.length ?? 0))) ?? [];
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]! + 3))).join('').trimEnd());
};
