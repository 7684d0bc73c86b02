/**
 * The demo's chart: one SVG per story with two panels over a shared time axis — the traffic
 * split (stable and candidate weight, in percent) above, the candidate's error rate against the
 * gate's threshold below — and vertical markers for the moments the story narrates.
 * Pure: data in, SVG text out; no dependencies, so it can be unit-tested and viewed anywhere.
 */

/** One observation of the shift's status. */
export interface WeightSample {
  /** Seconds since the story started. */
  readonly t: number;
  /** Percent of traffic at the stable version. */
  readonly stable: number;
  /** Percent of traffic at the candidate. */
  readonly candidate: number;
}

/** One error-rate reading of the candidate. */
export interface RatePoint {
  /** Seconds since the story started. */
  readonly t: number;
  /** Share of failed requests, 0..1. */
  readonly rate: number;
}

/** A named error-rate series, e.g. what the gate measured, or what the mesh actually served. */
export interface RateSeries {
  readonly label: string;
  readonly points: readonly RatePoint[];
  /** `dots` marks each reading (gate checks); `line` joins them (per-second truth). Default line. */
  readonly style?: 'line' | 'dots';
}

/** A moment worth a vertical line, e.g. "switch to v4" or "first v3 failure". */
export interface Marker {
  readonly t: number;
  readonly label: string;
}

export interface ChartInput {
  readonly title: string;
  /** One line under the title, e.g. the outcome. Default none. */
  readonly subtitle?: string;
  /** Name of the stable version, for the legend (e.g. "v1"). */
  readonly stableLabel: string;
  /** Name of the candidate version, for the legend (e.g. "v2"). */
  readonly candidateLabel: string;
  /** The gate's maxErrorRate, 0..1. */
  readonly threshold: number;
  readonly weights: readonly WeightSample[];
  readonly errorRates: readonly RateSeries[];
  readonly markers: readonly Marker[];
}

const W = 960;
const H = 600;
const LEFT = 78;
const RIGHT = 24;
const PLOT_W = W - LEFT - RIGHT;
const TOP_PANEL = { y: 96, h: 200 };
const BOTTOM_PANEL = { y: 370, h: 150 };

const STABLE_COLOR = '#1f6fb4';
const CANDIDATE_COLOR = '#e07b00';
const THRESHOLD_COLOR = '#c62828';
const RATE_COLORS = ['#6a1b9a', '#2e7d32', '#00838f'];
const MARKER_COLOR = '#555555';

/** Escapes text for SVG content and attribute values. */
export const escapeXml = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/**
 * Round tick values from 0 to at least `max`: a step of 1, 2 or 5 times a power of ten giving
 * about `count` intervals. The last tick is the axis' top.
 */
export const niceTicks = (max: number, count = 5): readonly number[] => {
  const top = max > 0 && Number.isFinite(max) ? max : 1;
  const raw = top / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? 10 * power;
  const n = Math.ceil(top / step - 1e-9);
  return Array.from({ length: n + 1 }, (_, i) => Number((i * step).toPrecision(12)));
};

/** A number for an axis label: no trailing zeros, at most 3 decimals. */
const fmt = (v: number): string => String(Number(v.toFixed(3)));

/** The time axis runs a little past the last observation (at least 1 s), so the final split shows as a line, not an edge. */
const timeSpan = (c: ChartInput): number =>
  1.06 * Math.max(1, ...c.weights.map((s) => s.t), ...c.errorRates.flatMap((s) => s.points.map((p) => p.t)), ...c.markers.map((m) => m.t));

/**
 * Points of a step line: a value holds until the next observation, as weights do (they jump,
 * they never slide).
 */
const stepPath = (pts: readonly (readonly [number, number])[]): string =>
  pts
    .map(([x, y], i) => (i === 0 ? `M${x.toFixed(1)},${y.toFixed(1)}` : `H${x.toFixed(1)}V${y.toFixed(1)}`))
    .join('');

const linePath = (pts: readonly (readonly [number, number])[]): string =>
  pts.map(([x, y], i) => `${i === 0 ? 'M' : 'L'}${x.toFixed(1)},${y.toFixed(1)}`).join('');

const text = (x: number, y: number, s: string, attrs = ''): string =>
  `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}"${attrs ? ` ${attrs}` : ''}>${escapeXml(s)}</text>`;

interface Panel {
  readonly y: number;
  readonly h: number;
}

/** Horizontal grid, y tick labels and the rotated y-axis title of one panel. */
const yAxis = (p: Panel, ticks: readonly number[], label: (v: number) => string, title: string): string[] => {
  const top = ticks[ticks.length - 1];
  const out: string[] = [];
  for (const v of ticks) {
    const y = p.y + p.h - (v / top) * p.h;
    out.push(`<line x1="${LEFT}" y1="${y.toFixed(1)}" x2="${LEFT + PLOT_W}" y2="${y.toFixed(1)}" stroke="#e3e3e3"/>`);
    out.push(text(LEFT - 8, y + 4, label(v), 'text-anchor="end" font-size="13"'));
  }
  const cy = p.y + p.h / 2;
  out.push(text(20, cy, title, `text-anchor="middle" font-size="14" transform="rotate(-90 20 ${cy.toFixed(1)})"`));
  out.push(`<rect x="${LEFT}" y="${p.y}" width="${PLOT_W}" height="${p.h}" fill="none" stroke="#888"/>`);
  return out;
};

/** Vertical grid and time tick labels under a panel. */
const xAxis = (p: Panel, span: number, xOf: (t: number) => number, title?: string): string[] => {
  const out: string[] = [];
  for (const v of niceTicks(span, 8)) {
    if (v > span + 1e-9) continue;
    const x = xOf(v);
    out.push(`<line x1="${x.toFixed(1)}" y1="${p.y}" x2="${x.toFixed(1)}" y2="${p.y + p.h}" stroke="#efefef"/>`);
    out.push(text(x, p.y + p.h + 18, fmt(v), 'text-anchor="middle" font-size="13"'));
  }
  if (title) out.push(text(LEFT + PLOT_W / 2, p.y + p.h + 40, title, 'text-anchor="middle" font-size="14"'));
  return out;
};

const legend = (x: number, y: number, items: readonly { label: string; color: string; dash?: boolean; dot?: boolean }[]): string[] => {
  const out: string[] = [];
  let cx = x;
  for (const it of items) {
    out.push(it.dot
      ? `<circle cx="${cx + 11}" cy="${y - 4}" r="4" fill="${it.color}"/>`
      : `<line x1="${cx}" y1="${y - 4}" x2="${cx + 22}" y2="${y - 4}" stroke="${it.color}" stroke-width="3"${it.dash ? ' stroke-dasharray="6 4"' : ''}/>`);
    out.push(text(cx + 28, y, it.label, 'font-size="13"'));
    cx += 28 + it.label.length * 7.4 + 22;
  }
  return out;
};

/** Renders the chart as a standalone SVG document. */
export const renderChart = (c: ChartInput): string => {
  const span = timeSpan(c);
  const xOf = (t: number): number => LEFT + (Math.min(Math.max(t, 0), span) / span) * PLOT_W;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="DejaVu Sans, Helvetica, Arial, sans-serif">`);
  out.push(`<rect width="${W}" height="${H}" fill="#ffffff"/>`);
  out.push(text(LEFT, 30, c.title, 'font-size="20" font-weight="bold"'));
  if (c.subtitle) out.push(text(LEFT, 54, c.subtitle, 'font-size="14" fill="#444"'));

  // Top panel: traffic split.
  const wy = (v: number): number => TOP_PANEL.y + TOP_PANEL.h - (v / 100) * TOP_PANEL.h;
  out.push(...yAxis(TOP_PANEL, [0, 25, 50, 75, 100], (v) => `${v} %`, 'traffic weight'));
  out.push(...xAxis(TOP_PANEL, span, xOf));
  out.push(...legend(LEFT, TOP_PANEL.y - 12, [
    { label: `stable ${c.stableLabel}`, color: STABLE_COLOR },
    { label: `candidate ${c.candidateLabel}`, color: CANDIDATE_COLOR },
  ]));
  const sorted = [...c.weights].sort((a, b) => a.t - b.t);
  if (sorted.length > 0) {
    const extend = <T extends readonly [number, number]>(pts: T[]): T[] => [...pts, [xOf(span), pts[pts.length - 1][1]] as unknown as T];
    out.push(`<path d="${stepPath(extend(sorted.map((s) => [xOf(s.t), wy(s.stable)] as const)))}" fill="none" stroke="${STABLE_COLOR}" stroke-width="3"/>`);
    out.push(`<path d="${stepPath(extend(sorted.map((s) => [xOf(s.t), wy(s.candidate)] as const)))}" fill="none" stroke="${CANDIDATE_COLOR}" stroke-width="3"/>`);
  }

  // Bottom panel: candidate error rate against the threshold, in percent.
  const maxRate = Math.max(c.threshold * 2, ...c.errorRates.flatMap((s) => s.points.map((p) => p.rate)));
  const rateTicks = niceTicks(maxRate * 100 * 1.05, 4);
  const rateTop = rateTicks[rateTicks.length - 1];
  const ry = (rate: number): number => BOTTOM_PANEL.y + BOTTOM_PANEL.h - ((rate * 100) / rateTop) * BOTTOM_PANEL.h;
  out.push(...yAxis(BOTTOM_PANEL, rateTicks, (v) => `${fmt(v)} %`, 'candidate errors'));
  out.push(...xAxis(BOTTOM_PANEL, span, xOf, 'seconds since the shift started'));
  const ty = ry(c.threshold);
  out.push(`<line x1="${LEFT}" y1="${ty.toFixed(1)}" x2="${LEFT + PLOT_W}" y2="${ty.toFixed(1)}" stroke="${THRESHOLD_COLOR}" stroke-width="2" stroke-dasharray="6 4"/>`);
  c.errorRates.forEach((s, i) => {
    const color = RATE_COLORS[i % RATE_COLORS.length];
    const pts = [...s.points].sort((a, b) => a.t - b.t).map((p) => [xOf(p.t), ry(p.rate)] as const);
    if (pts.length === 0) return;
    if (s.style === 'dots') {
      out.push(`<path d="${linePath(pts)}" fill="none" stroke="${color}" stroke-width="1" stroke-opacity="0.5"/>`);
      for (const [x, y] of pts) out.push(`<circle cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="4" fill="${color}"/>`);
    } else {
      out.push(`<path d="${linePath(pts)}" fill="none" stroke="${color}" stroke-width="2"/>`);
    }
  });
  out.push(...legend(LEFT, BOTTOM_PANEL.y - 12, [
    { label: `threshold ${fmt(c.threshold * 100)} %`, color: THRESHOLD_COLOR, dash: true },
    ...c.errorRates.map((s, i) => ({ label: s.label, color: RATE_COLORS[i % RATE_COLORS.length], dot: s.style === 'dots' })),
  ]));

  // Markers across both panels; labels alternate between two rows so neighbours do not collide.
  [...c.markers].sort((a, b) => a.t - b.t).forEach((m, i) => {
    const x = xOf(m.t);
    out.push(`<line x1="${x.toFixed(1)}" y1="${TOP_PANEL.y}" x2="${x.toFixed(1)}" y2="${BOTTOM_PANEL.y + BOTTOM_PANEL.h}" stroke="${MARKER_COLOR}" stroke-width="1.5" stroke-dasharray="3 3"/>`);
    const anchor = x > LEFT + PLOT_W * 0.75 ? 'end' : 'start';
    const dx = anchor === 'end' ? -4 : 4;
    out.push(text(x + dx, TOP_PANEL.y + 16 + (i % 2) * 16, m.label, `text-anchor="${anchor}" font-size="12" fill="#222" stroke="#ffffff" stroke-width="3" paint-order="stroke"`));
  });

  out.push('</svg>');
  return `${out.join('\n')}\n`;
};
