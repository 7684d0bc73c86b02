import { candidateCells, clock, errorGauge, LiveView, redraw, renderFrame, renderLogLine, ViewState } from '../../../demo/view';

const state = (over: Partial<ViewState> = {}): ViewState => ({
  title: 'Story 1/3 · canary v1 → v2',
  phase: 'Progressing',
  stableVersion: 'v1',
  candidateVersion: 'v2',
  weights: { stable: 75, candidate: 25 },
  step: 1,
  stepCount: 4,
  gate: { result: 'Pass', errorRate: 0.004, threshold: 0.01, requests: 250, errors: 1, window: '6s' },
  elapsedS: 83,
  lastEvent: 'StepAdvanced: 10 % -> 25 %',
  ...over,
});

describe('renderFrame', () => {
  it('shows phase, step, elapsed time, the split as a bar and the error rate against the threshold', () => {
    expect(renderFrame(state(), { width: 100 })).toEqual([
      'Story 1/3 · canary v1 → v2',
      '  phase Progressing   step 2/4    elapsed 1:23',
      `  weights   v1  75 % ${'█'.repeat(30)}${'░'.repeat(10)}  25 % v2`,
      `  errors    v2   0.4 % ${errorGauge(0.004, 0.01, 24)} within threshold 1.0 % (gate Pass, 1/250 in 6s)`,
      '  last    StepAdvanced: 10 % -> 25 %',
    ]);
  });

  it('says "above" when the candidate errs more than the threshold allows', () => {
    const lines = renderFrame(state({ gate: { result: 'Fail', errorRate: 0.2, threshold: 0.01, requests: 30, errors: 6, window: '6s' } }));
    expect(lines[3]).toContain('20.0 %');
    expect(lines[3]).toContain('above threshold 1.0 % (gate Fail, 6/30 in 6s)');
  });

  it('rounds the extrapolated request counts Prometheus reports', () => {
    const lines = renderFrame(state({ gate: { result: 'Pass', errorRate: 0, threshold: 0.01, requests: 33.09054527263632, errors: 0, window: '6s' } }));
    expect(lines[3]).toContain('(gate Pass, 0/33 in 6s)');
  });

  it('names blue-green instead of a step and copes with no status yet', () => {
    const lines = renderFrame({ title: 't', elapsedS: 0 });
    expect(lines[1]).toBe('  phase waiting for status  blue-green  elapsed 0:00');
    expect(lines[2]).toBe('  weights    ? (no routes yet)');
    expect(lines[3]).toBe('  errors     - no gate check yet');
  });

  it('names another strategy without steps by its mode', () => {
    expect(renderFrame({ title: 't', elapsedS: 0, mode: 'A/B test' })[1]).toBe('  phase waiting for status  A/B test    elapsed 0:00');
  });

  it('shows a gate without a rate (no data) by its result', () => {
    const lines = renderFrame(state({ gate: { result: 'NoData', threshold: 0.01, window: '6s' } }));
    expect(lines[3]).toBe('  errors    v2 gate NoData (threshold 1.0 %, window 6s)');
  });

  it('cuts the last event to the width', () => {
    const lines = renderFrame(state({ lastEvent: 'x'.repeat(200) }), { width: 60 });
    expect([...lines[4]]).toHaveLength(60);
  });
});

describe('bars', () => {
  it('never rounds a non-zero candidate away nor a non-zero stable', () => {
    expect(candidateCells(1, 40)).toBe(1);
    expect(candidateCells(99, 40)).toBe(39);
    expect(candidateCells(0, 40)).toBe(0);
    expect(candidateCells(100, 40)).toBe(40);
    expect(candidateCells(50, 40)).toBe(20);
  });

  it('puts the threshold at a quarter of the gauge', () => {
    expect(errorGauge(0, 0.01, 8)).toBe('··|·····');
    expect(errorGauge(0.01, 0.01, 8)).toBe('■■|·····');
    expect(errorGauge(0.5, 0.01, 8)).toBe('■■|■■■■■');
  });

  it('formats elapsed time as m:ss', () => {
    expect(clock(0)).toBe('0:00');
    expect(clock(59.9)).toBe('0:59');
    expect(clock(125)).toBe('2:05');
  });
});

describe('renderLogLine', () => {
  it('puts the same facts on one line', () => {
    expect(renderLogLine(state())).toBe('[1:23] phase=Progressing step=2/4 weights v1=75 v2=25 errors=0.4 % (threshold 1.0 %, gate Pass)');
  });
});

describe('redraw', () => {
  it('moves up over the previous frame and clears it before drawing', () => {
    expect(redraw(0, ['a', 'b'])).toBe('a\nb\n');
    expect(redraw(2, ['c'])).toBe('\x1b[2F\x1b[Jc\n');
  });
});

describe('LiveView without a terminal', () => {
  const sink = () => {
    const chunks: string[] = [];
    return { chunks, stream: { write: (s: string) => (chunks.push(s), true) } as unknown as NodeJS.WritableStream };
  };

  it('logs a line only when something other than the clock changed, and no escape codes', () => {
    const { chunks, stream } = sink();
    const view = new LiveView(stream, false);
    view.update(state({ elapsedS: 1 }));
    view.update(state({ elapsedS: 2 }));
    view.say('Now v2 gets 50 %.');
    view.update(state({ elapsedS: 3, weights: { stable: 50, candidate: 50 } }));
    expect(chunks).toEqual([
      '  [0:01] phase=Progressing step=2/4 weights v1=75 v2=25 errors=0.4 % (threshold 1.0 %, gate Pass)\n',
      'Now v2 gets 50 %.\n',
      '  [0:03] phase=Progressing step=2/4 weights v1=50 v2=50 errors=0.4 % (threshold 1.0 %, gate Pass)\n',
    ]);
    expect(chunks.join('')).not.toContain('\x1b');
  });
});

describe('LiveView on a terminal', () => {
  it('redraws in place and keeps narration above the frame', () => {
    const chunks: string[] = [];
    const stream = { write: (s: string) => (chunks.push(s), true), columns: 100 } as unknown as NodeJS.WritableStream;
    const view = new LiveView(stream, true);
    view.update(state());
    view.update(state());
    view.say('hello');
    expect(chunks[1].startsWith('\x1b[5F\x1b[J')).toBe(true);
    expect(chunks[2]).toBe('\x1b[5F\x1b[J');
    expect(chunks[3]).toBe('hello\n');
  });
});

describe('after a promotion (no candidate)', () => {
  it('shows only the stable version', () => {
    const s = state({ phase: 'Promoted', stableVersion: 'v2', candidateVersion: undefined, weights: { stable: 100, candidate: 0 }, gate: undefined });
    expect(renderFrame(s, { width: 100 })[2]).toBe(`  weights   v2 100 % ${'█'.repeat(40)}`);
    expect(renderLogLine(s)).toBe('[1:23] phase=Promoted step=2/4 weights v2=100');
  });
});
