/**
 * What one story records while it watches the TrafficShift status: weights by version over time,
 * the gate's readings of the candidate, markers, and the moments the verdict needs. No I/O: the
 * driver feeds it statuses with the time they were read.
 */
import type { ShiftStatus } from '../src/api/status';
import type { Marker, WeightSample } from './chart';
import { weightOf } from './stories';

/** One story's recording, fed by the driver's status polls. */
export class Recorder {
  /** Weights by version: `stable` is the story's starting stable version, `candidate` its new one, whatever roles the status gives them later. */
  readonly weights: WeightSample[] = [];
  readonly gate: { t: number; rate: number }[] = [];
  readonly markers: Marker[] = [];
  private lastGateTime = '';
  maxCandidate = 0;
  last: ShiftStatus | undefined;
  /** Unix ms at which the candidate was first seen at weight 0 after having traffic. */
  zeroSeenMs: number | undefined;

  constructor(
    readonly title: string,
    readonly startMs: number,
    readonly stepCount: number | undefined,
    readonly versions: { readonly stable: string; readonly candidate: string },
    /** The strategy's name in the view when it has no steps (default blue-green). */
    readonly mode?: string,
  ) {}

  at(ms: number): number {
    return (ms - this.startMs) / 1000;
  }

  mark(label: string, ms = Date.now()): void {
    this.markers.push({ t: this.at(ms), label });
  }

  record(s: ShiftStatus | undefined, nowMs: number): void {
    if (s === undefined) return;
    if (s.weights) {
      const candidate = weightOf(s, this.versions.candidate);
      if (candidate === 0 && this.maxCandidate > 0 && this.zeroSeenMs === undefined) this.zeroSeenMs = nowMs;
      this.maxCandidate = Math.max(this.maxCandidate, candidate);
      // The first reading is the state the story started from (the daemon has not acted yet).
      this.weights.push({ t: this.weights.length === 0 ? 0 : this.at(nowMs), stable: weightOf(s, this.versions.stable), candidate });
    }
    const g = s.lastGate;
    if (g && g.version === this.versions.candidate && g.time !== this.lastGateTime && g.errorRate !== undefined && Date.parse(g.time) >= this.startMs) {
      this.gate.push({ t: this.at(Date.parse(g.time)), rate: g.errorRate });
    }
    if (g) this.lastGateTime = g.time;
    this.last = s;
  }

  /** Holds the last reading until `endMs`, so the chart shows where the story ended. */
  finish(endMs: number): void {
    const s = this.last;
    if (s?.weights) this.weights.push({ t: this.at(endMs), stable: weightOf(s, this.versions.stable), candidate: weightOf(s, this.versions.candidate) });
  }
}
