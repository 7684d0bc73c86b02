/**
 * Hand-drawn SVG charts for the dashboard (pure: data in, SVG text out; no DOM, no library).
 * A time axis, a value axis from 0, one polyline per series (a step line for weights, which hold
 * until the next decision), an optional dashed limit line, and a legend. Colours come from CSS
 * classes (`s0`, `s1`, … and `limit`), so dark mode is the stylesheet's business. See ADR 0009
 * for why no charting library.
 */

export interface ChartSeries {
  readonly label: string;
  /** [epoch ms, value], in time order. */
  readonly points: readonly (readonly [number, number])[];
  /** Hold each value until the next point (weights); default: straight lines between points. */
  readonly step?: boolean;
}

export interface ChartInput {
  /** Accessible name of the chart, e.g. "Weights over time". */
  readonly title: string;
  readonly series: readonly ChartSeries[];
  /** Time range shown, epoch ms. */
  readonly start: number;
  readonly end: number;
  /** Top of the value axis; default the largest value (and the limit) plus 10 %. */
  readonly yMax?: number;
  /** A horizontal dashed line, e.g. the gate's maxErrorRate. */
  readonly limit?: { readonly value: number; readonly label: string };
  /** Formats a value for the axis and the legend. */
  readonly format: (v: number) => string;
  readonly width?: number;
  readonly height?: number;
}

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
const n = (v: number): string => (Math.round(v * 10) / 10).toString();
/** HH:MM, or HH:MM:SS when the range is under 10 minutes (UTC). */
const timeLabel = (t: number, span: number): string => new Date(t).toISOString().slice(11, span < 600_000 ? 19 : 16);

const PAD = { left: 56, right: 28, top: 12, bottom: 44 } as const;

/** The points of one series as SVG polyline coordinates (pure; exported for tests). */
export const polyline = (
  s: ChartSeries,
  x: (t: number) => number,
  y: (v: number) => number,
  end: number,
): string => {
  const out: string[] = [];
  s.points.forEach(([t, v], i) => {
    if (s.step && i > 0) out.push(`${n(x(t))},${n(y(s.points[i - 1]![1]))}`);
    out.push(`${n(x(t))},${n(y(v))}`);
  });
  const last = s.points[s.points.length - 1];
  if (s.step && last !== undefined && last[0] < end) out.push(`${n(x(end))},${n(y(last[1]))}`);
  return out.join(' ');
};

/** A "nice" top for the value axis: 1, 2 or 5 times a power of ten, at least `max`. */
export const niceTop = (max: number): number => {
  if (!(max > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(max));
  for (const m of [1, 2, 5, 10]) if (m * p >= max) return m * p;
  return 10 * p;
};

export const lineChart = (c: ChartInput): string => {
  const width = c.width ?? 640;
  const height = c.height ?? 200;
  const w = width - PAD.left - PAD.right;
  const h = height - PAD.top - PAD.bottom;
  const values = c.series.flatMap((s) => s.points.map(([, v]) => v));
  const top = c.yMax ?? niceTop(Math.max(0, ...values, c.limit?.value ?? 0) * 1.1);
  const span = Math.max(1, c.end - c.start);
  const x = (t: number): number => PAD.left + ((Math.min(Math.max(t, c.start), c.end) - c.start) / span) * w;
  const y = (v: number): number => PAD.top + h - (Math.min(Math.max(v, 0), top) / top) * h;
  const parts: string[] = [];
  parts.push(`<svg class="chart" viewBox="0 0 ${width} ${height}" role="img" aria-label="${esc(c.title)}" xmlns="http://www.w3.org/2000/svg">`);
  parts.push(`<title>${esc(c.title)}</title>`);
  for (let i = 0; i <= 4; i += 1) {
    const v = (top * i) / 4;
    parts.push(`<line class="grid" x1="${PAD.left}" x2="${PAD.left + w}" y1="${n(y(v))}" y2="${n(y(v))}"/>`);
    parts.push(`<text class="axis" x="${PAD.left - 6}" y="${n(y(v) + 4)}" text-anchor="end">${esc(c.format(v))}</text>`);
  }
  for (let i = 0; i <= 4; i += 1) {
    const t = c.start + (span * i) / 4;
    parts.push(`<text class="axis" x="${n(x(t))}" y="${PAD.top + h + 16}" text-anchor="middle">${timeLabel(t, span)}</text>`);
  }
  if (c.limit !== undefined)
    parts.push(`<line class="limit" x1="${PAD.left}" x2="${PAD.left + w}" y1="${n(y(c.limit.value))}" y2="${n(y(c.limit.value))}"><title>${esc(c.limit.label)}</title></line>`);
  c.series.forEach((s, i) => {
    if (s.points.length === 0) return;
    parts.push(`<polyline class="line s${i % 6}" fill="none" points="${polyline(s, x, y, c.end)}"><title>${esc(s.label)}</title></polyline>`);
  });
  // Legend under the axis labels: a swatch and the label of each series (and the limit).
  const legend = [...c.series.map((s, i) => ({ cls: `s${i % 6}`, label: s.label })), ...(c.limit ? [{ cls: 'limit', label: c.limit.label }] : [])];
  legend.forEach((l, i) => {
    const lx = PAD.left + i * 150;
    parts.push(`<line class="line ${l.cls}" x1="${lx}" x2="${lx + 18}" y1="${height - 10}" y2="${height - 10}"/>`);
    parts.push(`<text class="legend" x="${lx + 24}" y="${height - 6}">${esc(l.label)}</text>`);
  });
  if (values.length === 0) parts.push(`<text class="empty" x="${PAD.left + w / 2}" y="${PAD.top + h / 2}" text-anchor="middle">no data in this range</text>`);
  parts.push('</svg>');
  return parts.join('');
};

/** The traffic split as a bar (stable then candidate), with the percentages written on it. */
export const weightsBar = (stable: number, candidate: number, label: string): string => {
  const s = Math.max(0, Math.min(100, stable));
  return (
    `<svg class="bar" viewBox="0 0 100 14" preserveAspectRatio="none" role="img" aria-label="${esc(label)}" xmlns="http://www.w3.org/2000/svg">` +
    `<title>${esc(label)}</title>` +
    `<rect class="stable" x="0" y="0" width="${s}" height="14"/>` +
    `<rect class="candidate" x="${s}" y="0" width="${Math.max(0, Math.min(100 - s, candidate))}" height="14"/>` +
    '</svg>'
  );
};
