import { renderSummary, StoryResult } from '../../../demo/summary';

const rows: StoryResult[] = [
  { story: '1 canary v1 → v2', outcome: 'Promoted', durationS: 61.25, candidateRequests: 1200, candidateFailures: 0, ok: true, reasons: [] },
  { story: '2 canary v2 → v3', outcome: 'RolledBack', durationS: 18, candidateRequests: 80, candidateFailures: 17, fallbackS: 13.4, fallbackFrom: 'first v3 failure', ok: true, reasons: [] },
  { story: '3 blue-green v2 → v4', outcome: 'Promoting', ok: false, reasons: ['phase is Promoting, expected RolledBack after the abort'] },
];

describe('renderSummary', () => {
  it('is an aligned Markdown table with one row per story, then the reasons a story failed', () => {
    expect(renderSummary(rows)).toBe([
      '| story                | outcome    | duration | candidate failed / served | to fallback                  | check  |',
      '|----------------------|------------|----------|---------------------------|------------------------------|--------|',
      '| 1 canary v1 → v2     | Promoted   | 61.3 s   | 0 / 1200                  | -                            | ok     |',
      '| 2 canary v2 → v3     | RolledBack | 18.0 s   | 17 / 80                   | 13.4 s from first v3 failure | ok     |',
      '| 3 blue-green v2 → v4 | Promoting  | -        | -                         | -                            | FAILED |',
      'story 3 blue-green v2 → v4: phase is Promoting, expected RolledBack after the abort',
      '',
    ].join('\n'));
  });
});
