/**
 * The demo's live view of one shift: a small frame (phase, step, elapsed time, the traffic split
 * as a bar, the candidate's error rate against the threshold) that redraws in place on a
 * terminal, or one plain log line per change when there is no terminal (CI, a pipe, a file).
 * The frame and line renderers are pure; `LiveView` only writes them.
 */

/** What the frame shows; everything optional arrives from the shift's status as it appears. */
export interface ViewState {
  /** e.g. "Story 2/3 · canary v2 → v3 (v3 fails 20 % of requests)". */
  readonly title: string;
  readonly phase?: string;
  readonly stableVersion?: string;
  readonly candidateVersion?: string;
  readonly weights?: { readonly stable: number; readonly candidate: number };
  /** 0-based canary step index; -1 or absent before the first step. */
  readonly step?: number;
  /** Number of canary steps; absent for blue-green and A/B tests. */
  readonly stepCount?: number;
  /** The strategy's name shown when it has no steps. Default `blue-green`. */
  readonly mode?: string;
  /** The latest gate check. */
  readonly gate?: {
    readonly result: string;
    readonly errorRate?: number;
    readonly threshold: number;
    readonly requests?: number;
    readonly errors?: number;
    readonly window: string;
  };
  /** Seconds since the story started. */
  readonly elapsedS: number;
  /** The newest history entry, e.g. "StepAdvanced: 10 % -> 25 % ...". */
  readonly lastEvent?: string;
}

export interface FrameOptions {
  /** Columns available; the bar shrinks to fit. Default 80. */
  readonly width?: number;
  /** ANSI colours. Default false. */
  readonly color?: boolean;
}

const ANSI = { blue: '\x1b[38;5;33m', orange: '\x1b[38;5;208m', red: '\x1b[31m', green: '\x1b[32m', dim: '\x1b[2m', bold: '\x1b[1m', reset: '\x1b[0m' };

/** Seconds as m:ss. */
export const clock = (s: number): string => {
  const whole = Math.max(0, Math.floor(s));
  return `${Math.floor(whole / 60)}:${String(whole % 60).padStart(2, '0')}`;
};

/** A share 0..1 as percent with one decimal. */
export const percent = (rate: number): string => `${(rate * 100).toFixed(1)} %`;

/** Cells of a `width`-wide bar that belong to the candidate; never rounds a non-zero weight away. */
export const candidateCells = (candidate: number, width: number): number => {
  const c = Math.round((Math.min(Math.max(candidate, 0), 100) / 100) * width);
  if (candidate > 0 && c === 0) return 1;
  if (candidate < 100 && c === width) return width - 1;
  return c;
};

const paint = (on: boolean, code: string, s: string): string => (on ? `${code}${s}${ANSI.reset}` : s);

const stepText = (s: ViewState): string => {
  if (s.stepCount === undefined) return s.mode ?? 'blue-green';
  const step = s.step ?? -1;
  return step < 0 ? `step -/${s.stepCount}` : `step ${step + 1}/${s.stepCount}`;
};

/**
 * The error gauge: the threshold sits at a quarter of the width, so a healthy candidate is a short
 * bar left of `|` and a failing one runs past it.
 */
export const errorGauge = (rate: number, threshold: number, width: number): string => {
  const full = Math.max(threshold * 4, 1e-9);
  const cells = Math.min(width, Math.round((Math.max(rate, 0) / full) * width));
  const mark = Math.round(width / 4);
  return Array.from({ length: width }, (_, i) => (i === mark ? '|' : i < cells ? '■' : '·')).join('');
};

/** The frame's lines, without trailing newlines. */
export const renderFrame = (s: ViewState, opts: FrameOptions = {}): readonly string[] => {
  const color = opts.color ?? false;
  const width = opts.width ?? 80;
  const stable = s.stableVersion ?? '?';
  const cand = s.candidateVersion ?? '-';
  const lines: string[] = [paint(color, ANSI.bold, s.title)];
  lines.push(`  phase ${(s.phase ?? 'waiting for status').padEnd(12)}  ${stepText(s).padEnd(10)}  elapsed ${clock(s.elapsedS)}`);

  const barW = Math.max(10, Math.min(40, width - 34));
  if (s.weights) {
    const c = candidateCells(s.weights.candidate, barW);
    const bar = paint(color, ANSI.blue, '█'.repeat(barW - c)) + paint(color, ANSI.orange, '░'.repeat(c));
    const right = s.candidateVersion === undefined ? '' : ` ${String(s.weights.candidate).padStart(3)} % ${cand}`;
    lines.push(`  weights ${stable.padStart(4)} ${String(s.weights.stable).padStart(3)} % ${bar}${right}`);
  } else {
    lines.push(`  weights ${stable.padStart(4)} (no routes yet)`);
  }

  const g = s.gate;
  if (g && g.errorRate !== undefined) {
    const over = g.errorRate > g.threshold;
    const gauge = errorGauge(g.errorRate, g.threshold, Math.max(10, Math.min(24, width - 56)));
    const verdict = paint(color, over ? ANSI.red : ANSI.green, over ? 'above' : 'within');
    // Prometheus' increase() extrapolates, so counts arrive as fractions; whole requests read better.
    const counts = g.requests !== undefined ? `, ${Math.round(g.errors ?? 0)}/${Math.round(g.requests)} in ${g.window}` : '';
    lines.push(`  errors  ${cand.padStart(4)} ${percent(g.errorRate).padStart(7)} ${gauge} ${verdict} threshold ${percent(g.threshold)} (gate ${g.result}${counts})`);
  } else if (g) {
    lines.push(`  errors  ${cand.padStart(4)} gate ${g.result} (threshold ${percent(g.threshold)}, window ${g.window})`);
  } else {
    lines.push(`  errors  ${cand.padStart(4)} no gate check yet`);
  }
  const last = s.lastEvent ? `  last    ${s.lastEvent}` : '  last    -';
  lines.push(paint(color, ANSI.dim, last.length > width ? `${last.slice(0, width - 1)}…` : last));
  return lines;
};

/** One plain line for logs: the same facts as the frame, without the bars. */
export const renderLogLine = (s: ViewState): string => {
  const parts = [`[${clock(s.elapsedS)}]`, `phase=${s.phase ?? '-'}`, stepText(s).replace(' ', '=')];
  if (s.weights) parts.push(`weights ${s.stableVersion ?? '?'}=${s.weights.stable}${s.candidateVersion === undefined ? '' : ` ${s.candidateVersion}=${s.weights.candidate}`}`);
  if (s.gate?.errorRate !== undefined) parts.push(`errors=${percent(s.gate.errorRate)} (threshold ${percent(s.gate.threshold)}, gate ${s.gate.result})`);
  else if (s.gate) parts.push(`gate ${s.gate.result}`);
  return parts.join(' ');
};

/** What to write to replace a frame of `previousLines` lines by `lines`: up, clear below, draw. */
export const redraw = (previousLines: number, lines: readonly string[]): string =>
  `${previousLines > 0 ? `\x1b[${previousLines}F\x1b[J` : ''}${lines.join('\n')}\n`;

/** The facts a log line reports; a new line is written only when these change. */
const logKey = (s: ViewState): string => renderLogLine(s).replace(/^\[[^\]]*\] /, '');

/** Writes frames to a stream: in place on a terminal, as log lines on change otherwise. */
export class LiveView {
  private shown = 0;
  private lastKey = '';

  constructor(
    private readonly out: NodeJS.WritableStream & { isTTY?: boolean; columns?: number },
    private readonly tty: boolean = out.isTTY === true,
  ) {}

  /** Shows the state (redraws the frame, or logs a line if something changed). */
  update(s: ViewState): void {
    if (this.tty) {
      const lines = renderFrame(s, { width: this.out.columns ?? 80, color: true });
      this.out.write(redraw(this.shown, lines));
      this.shown = lines.length;
      return;
    }
    const key = logKey(s);
    if (key !== this.lastKey) this.out.write(`  ${renderLogLine(s)}\n`);
    this.lastKey = key;
  }

  /** Prints a narration line above the frame; the next update draws the frame below it. */
  say(line: string): void {
    if (this.tty && this.shown > 0) this.out.write(`\x1b[${this.shown}F\x1b[J`);
    this.shown = 0;
    this.out.write(`${line}\n`);
  }

  /** Leaves the last frame on screen and starts the next one below it. */
  done(): void {
    this.shown = 0;
    this.lastKey = '';
  }
}
