/**
 * The demo's closing table: one row per story with the outcome, how long it took, how many
 * failed requests the candidate served (from the mesh simulator's ledger, the ground truth) and
 * how long from trouble to the candidate at weight 0. Pure; the same rows go to summary.json.
 */

/** What one story ended with. */
export interface StoryResult {
  /** e.g. "1 canary v1 → v2 (healthy)". */
  readonly story: string;
  /** The shift's final phase, e.g. "Promoted"; "-" if never seen. */
  readonly outcome: string;
  /** Seconds from the version change to the final phase. */
  readonly durationS?: number;
  /** Requests the candidate served during the story, per the ledger. */
  readonly candidateRequests?: number;
  /** Of those, how many failed (5xx). */
  readonly candidateFailures?: number;
  /** Seconds from the trigger (first candidate failure, or the abort) to candidate weight 0; absent if none. */
  readonly fallbackS?: number;
  /** What started the fallback, e.g. "first v3 failure" or "abort"; shown in the table. */
  readonly fallbackFrom?: string;
  /** Whether the story ended as described. */
  readonly ok: boolean;
  /** Why not, one sentence each; empty when ok. */
  readonly reasons: readonly string[];
}

const seconds = (s: number | undefined): string => (s === undefined ? '-' : `${s.toFixed(1)} s`);

/** The table's rows as cells, header first. */
export const summaryCells = (rows: readonly StoryResult[]): readonly (readonly string[])[] => [
  ['story', 'outcome', 'duration', 'candidate failed / served', 'to fallback', 'check'],
  ...rows.map((r) => [
    r.story,
    r.outcome,
    seconds(r.durationS),
    r.candidateRequests === undefined ? '-' : `${r.candidateFailures ?? 0} / ${r.candidateRequests}`,
    r.fallbackS === undefined ? '-' : `${seconds(r.fallbackS)}${r.fallbackFrom ? ` from ${r.fallbackFrom}` : ''}`,
    r.ok ? 'ok' : 'FAILED',
  ]),
];

/** A Markdown table (aligned, so it reads as well in a terminal), then one line per failure reason. */
export const renderSummary = (rows: readonly StoryResult[]): string => {
  const cells = summaryCells(rows);
  const widths = cells[0].map((_, i) => Math.max(...cells.map((r) => [...r[i]].length)));
  const line = (r: readonly string[]): string => `| ${r.map((c, i) => c + ' '.repeat(widths[i] - [...c].length)).join(' | ')} |`;
  const out = [line(cells[0]), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...cells.slice(1).map(line)];
  for (const r of rows) for (const reason of r.reasons) out.push(`story ${r.story}: ${reason}`);
  return `${out.join('\n')}\n`;
};
