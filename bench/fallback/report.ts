/**
 * The fallback benchmark's output: the JSON document of one invocation, its summary rows, the
 * table printed on the terminal, and the Markdown table and SVG chart made from several JSON
 * files (bench/fallback/chart.ts). Pure.
 */
import type { Limit } from './limit';
import type { Outcome, RunResult } from './measure';
import type { Expectation, Scenario, ToolSettings } from './scenario';

/** One invocation of `scripts/bench.sh fallback`. */
export interface BenchDocument {
  readonly benchmark: 'fallback';
  readonly command: string;
  readonly startedAt: string;
  readonly environment: {
    readonly scrapeSeconds: number;
    readonly propagationSeconds: number;
    readonly writeSeconds: number;
    readonly flaggerVersion?: string;
    readonly sluiceVersion: string;
    readonly cpus: number;
  };
  readonly scenario: Scenario;
  /** Exactly what each tool was given. */
  readonly settings: ToolSettings;
  /** The limit for a bad candidate; null when the candidate should not be failed (its limit is the false-failure rate). */
  readonly limit: Limit | null;
  readonly runs: readonly RunResult[];
  readonly summary: readonly SummaryRow[];
}

/** One tool's runs of one scenario, summed up. */
export interface SummaryRow {
  readonly scenario: string;
  readonly settings: string;
  readonly tool: string;
  readonly expect: Expectation;
  readonly runs: number;
  readonly outcomes: Readonly<Record<Outcome, number>>;
  /** Runs whose outcome differs from `expect`. */
  readonly wrong: number;
  readonly medianFailed: number;
  readonly medianServed: number;
  readonly medianSecondsFirstBadToZero: number | null;
  readonly medianSecondsToPromote: number | null;
  /** Failed requests (median) over the limit; null without a limit. */
  readonly timesLimit: number | null;
}

const EXPECTED_OUTCOME: Record<Expectation, Outcome> = { promote: 'promoted', fallback: 'fellBack', hold: 'held' };

/** Median of the numbers (null for none). */
export const median = (xs: readonly number[]): number | null => {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

const nonNull = (xs: readonly (number | null)[]): number[] => xs.filter((x): x is number => x !== null);

export const summarize = (scenario: Scenario, limit: Limit | null, runs: readonly RunResult[]): SummaryRow[] =>
  [...new Set(runs.map((r) => r.tool))].map((tool) => {
    const mine = runs.filter((r) => r.tool === tool);
    const outcomes: Record<Outcome, number> = { promoted: 0, fellBack: 0, held: 0 };
    for (const r of mine) outcomes[r.outcome] += 1;
    const medianFailed = median(mine.map((r) => r.candidateFailedRequests)) ?? 0;
    return {
      scenario: scenario.name,
      settings: scenario.settings,
      tool,
      expect: scenario.expect,
      runs: mine.length,
      outcomes,
      wrong: mine.filter((r) => r.outcome !== EXPECTED_OUTCOME[scenario.expect]).length,
      medianFailed,
      medianServed: median(mine.map((r) => r.candidateServedRequests)) ?? 0,
      medianSecondsFirstBadToZero: median(nonNull(mine.map((r) => r.secondsFirstBadToZero))),
      medianSecondsToPromote: median(nonNull(mine.map((r) => r.secondsToPromote))),
      timesLimit: limit ? medianFailed / limit.failedRequests : null,
    };
  });

const fmt = (x: number | null, digits = 0): string => (x === null ? '–' : x.toFixed(digits));

const outcomeText = (r: SummaryRow): string =>
  (['promoted', 'fellBack', 'held'] as const)
    .filter((o) => r.outcomes[o] > 0)
    .map((o) => (r.runs === 1 ? o : `${o} ${r.outcomes[o]}/${r.runs}`))
    .join(', ');

export const TABLE_HEADER = ['scenario', 'settings', 'tool', 'expect', 'outcome', 'wrong', 'failed', 'served', 's bad→0', 's promote', 'limit', '× limit'] as const;

/** The cells of one summary row, in TABLE_HEADER order; numbers are medians over the runs. */
export const tableCells = (r: SummaryRow, limit: number | null): string[] => [
  r.scenario,
  r.settings,
  r.tool,
  r.expect,
  outcomeText(r),
  `${r.wrong}/${r.runs}`,
  fmt(r.medianFailed),
  fmt(r.medianServed),
  fmt(r.medianSecondsFirstBadToZero),
  fmt(r.medianSecondsToPromote),
  limit === null ? '–' : limit.toFixed(1),
  r.timesLimit === null ? '–' : r.timesLimit.toFixed(2),
];

/** A fixed-width table for the terminal. */
export const textTable = (rows: readonly string[][]): string => {
  const all = [[...TABLE_HEADER], ...rows];
  const widths = TABLE_HEADER.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  return all.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
};

/** A Markdown table. */
export const markdownTable = (rows: readonly string[][]): string =>
  [`| ${TABLE_HEADER.join(' | ')} |`, `|${TABLE_HEADER.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');

/** Rows of every document, scenario by scenario, sluice before Flagger. */
export const rowsOf = (docs: readonly BenchDocument[]): string[][] =>
  docs.flatMap((d) => d.summary.map((r) => tableCells(r, d.limit ? d.limit.failedRequests : null)));

// ------------------------------------------------------------------ chart

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

interface Bar {
  readonly group: string;
  readonly tool: string;
  readonly value: number | null;
}

const PALETTE = ['#1f77b4', '#2ca02c', '#9467bd', '#ff7f0e', '#d62728'];
/** Tools in chart order: sluice variants first, Flagger last. */
const toolOrder = (tools: readonly string[]): string[] => [...new Set(tools)].sort((a, b) => Number(a === 'flagger') - Number(b === 'flagger') || a.localeCompare(b));
const colorOf = (tools: readonly string[], tool: string): string => (tool === 'flagger' ? '#ff7f0e' : PALETTE[toolOrder(tools).indexOf(tool) % 3]!);

/** One panel of grouped bars (a group per scenario and settings, a bar per tool), log-free and labelled. */
const panel = (title: string, unit: string, bars: readonly Bar[], x0: number, y0: number, w: number, h: number): string => {
  const groups = [...new Set(bars.map((b) => b.group))];
  const tools = toolOrder(bars.map((b) => b.tool));
  const max = Math.max(1, ...bars.map((b) => b.value ?? 0));
  // Room above the tallest bar for its value label, below the title.
  const plotH = h - 84;
  const gw = w / Math.max(1, groups.length);
  const bw = Math.min(28, (gw - 10) / tools.length);
  const out: string[] = [`<text x="${x0}" y="${y0 + 14}" font-size="14" font-weight="bold">${esc(title)}</text>`];
  const base = y0 + 38 + plotH;
  out.push(`<line x1="${x0}" y1="${base}" x2="${x0 + w}" y2="${base}" stroke="#333"/>`);
  groups.forEach((g, gi) => {
    const gx = x0 + gi * gw + gw / 2;
    tools.forEach((tool, ti) => {
      const b = bars.find((x) => x.group === g && x.tool === tool);
      if (!b) return;
      const x = gx - (tools.length * (bw + 2)) / 2 + ti * (bw + 2);
      if (b.value === null) {
        out.push(`<text x="${x + bw / 2}" y="${base - 4}" font-size="10" text-anchor="middle" fill="#777">–</text>`);
        return;
      }
      const bh = (b.value / max) * plotH;
      out.push(`<rect x="${x.toFixed(1)}" y="${(base - bh).toFixed(1)}" width="${bw.toFixed(1)}" height="${bh.toFixed(1)}" fill="${colorOf(tools, tool)}"/>`);
      out.push(`<text x="${(x + bw / 2).toFixed(1)}" y="${(base - bh - 3).toFixed(1)}" font-size="10" text-anchor="middle">${b.value.toFixed(0)}</text>`);
    });
    out.push(`<text x="${gx.toFixed(1)}" y="${base + 14}" font-size="10" text-anchor="middle">${esc(g.split(' ')[0]!)}</text>`);
    out.push(`<text x="${gx.toFixed(1)}" y="${base + 26}" font-size="10" text-anchor="middle" fill="#555">${esc(g.split(' ').slice(1).join(' '))}</text>`);
  });
  out.push(`<text x="${x0}" y="${base + 44}" font-size="10" fill="#555">${esc(unit)}</text>`);
  return out.join('\n');
};

/** An SVG with two panels: candidate failed requests and seconds from first failure to zero weight, per tool and scenario. */
export const chartSvg = (docs: readonly BenchDocument[]): string => {
  const rows = docs.flatMap((d) => d.summary.map((r) => ({ d, r })));
  const group = (r: SummaryRow): string => `${r.scenario} ${r.settings}`;
  const failed: Bar[] = rows.map(({ r }) => ({ group: group(r), tool: r.tool, value: r.medianFailed }));
  const seconds: Bar[] = rows.map(({ r }) => ({ group: group(r), tool: r.tool, value: r.medianSecondsFirstBadToZero }));
  const groups = new Set(rows.map(({ r }) => group(r))).size;
  // 130 px a group: "shared-failure-compare" at 10 px fits under its own bars.
  const w = Math.max(640, groups * 130 + 40);
  const h = 300;
  const tools = toolOrder(rows.map(({ r }) => r.tool));
  const legend = tools
    .map((t, i) => `<rect x="${20 + i * 150}" y="8" width="12" height="12" fill="${colorOf(tools, t)}"/><text x="${36 + i * 150}" y="18" font-size="12">${esc(t)}</text>`)
    .join('');
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${2 * h + 40}" font-family="sans-serif">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    legend,
    panel('Candidate requests failed (median over runs)', 'requests the candidate answered with 5xx before it was at 0 % or promoted (mesh-simulator ledger)', failed, 20, 30, w - 40, h),
    panel('Seconds from the first failed request to zero traffic (median; – = no fallback)', 'seconds, ledger resolution 1 s', seconds, 20, 30 + h + 10, w - 40, h),
    '</svg>',
  ].join('\n');
};

/**
 * One document from documents of the same scenario and settings, each run with other tools
 * (`--tools sluice:sequential`, then `--tools flagger`: one tool at a time, so the tools do not
 * load the machine for each other): runs in order, the summary recomputed, the commands joined
 * with "; ", each tool's settings and versions kept. Left: a sentence naming the mismatch.
 */
export const mergeDocuments = (docs: readonly BenchDocument[]): { readonly ok: true; readonly value: BenchDocument } | { readonly ok: false; readonly error: string } => {
  const [first, ...rest] = docs;
  if (first === undefined) return { ok: false, error: 'no documents to merge' };
  const other = rest.find((d) => d.scenario.name !== first.scenario.name || d.scenario.settings !== first.scenario.settings);
  if (other !== undefined)
    return { ok: false, error: `${other.scenario.name} (${other.scenario.settings}) cannot be merged with ${first.scenario.name} (${first.scenario.settings})` };
  const tools = docs.flatMap((d) => [...new Set(d.runs.map((r) => r.tool))]);
  const twice = tools.find((t, i) => tools.indexOf(t) !== i);
  if (twice !== undefined) return { ok: false, error: `${twice} has runs in more than one document` };
  const runs = docs.flatMap((d) => d.runs);
  const flaggerVersion = docs.map((d) => d.environment.flaggerVersion).find((v) => v !== undefined);
  return {
    ok: true,
    value: {
      ...first,
      command: docs.map((d) => d.command).join('; '),
      environment: { ...first.environment, ...(flaggerVersion !== undefined ? { flaggerVersion } : {}) },
      runs,
      summary: summarize(first.scenario, first.limit, runs),
    },
  };
};
