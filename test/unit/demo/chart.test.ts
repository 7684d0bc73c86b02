import { ChartInput, escapeXml, niceTicks, renderChart } from '../../../demo/chart';

const story = (over: Partial<ChartInput> = {}): ChartInput => ({
  title: 'Story 2 · canary v2 → v3',
  stableLabel: 'v2',
  candidateLabel: 'v3',
  threshold: 0.01,
  weights: [
    { t: 0, stable: 100, candidate: 0 },
    { t: 3, stable: 90, candidate: 10 },
    { t: 17, stable: 100, candidate: 0 },
  ],
  errorRates: [{ label: 'gate (Prometheus)', style: 'dots', points: [{ t: 8, rate: 0.19 }, { t: 14, rate: 0.22 }] }],
  markers: [{ t: 4, label: 'first v3 failure' }, { t: 17, label: 'RolledBack' }],
  ...over,
});

describe('niceTicks', () => {
  it('steps by 1, 2 or 5 times a power of ten and reaches the maximum', () => {
    expect(niceTicks(60, 8)).toEqual([0, 10, 20, 30, 40, 50, 60]);
    expect(niceTicks(23, 4)).toEqual([0, 10, 20, 30]);
    expect(niceTicks(2.1, 4)).toEqual([0, 1, 2, 3]);
    expect(niceTicks(0.3, 3)).toEqual([0, 0.1, 0.2, 0.3]);
  });

  it('falls back to 0..1 for an empty or broken range', () => {
    expect(niceTicks(0, 5)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(Number.NaN, 5)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
  });
});

describe('renderChart', () => {
  it('is one well-formed SVG document with both axes titled', () => {
    const svg = renderChart(story());
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trim().endsWith('</svg>')).toBe(true);
    expect(svg).toContain('>traffic weight</text>');
    expect(svg).toContain('>candidate errors</text>');
    expect(svg).toContain('>seconds since the shift started</text>');
  });

  it('labels both versions, the threshold in percent and every marker', () => {
    const svg = renderChart(story());
    expect(svg).toContain('>stable v2</text>');
    expect(svg).toContain('>candidate v3</text>');
    expect(svg).toContain('>threshold 1 %</text>');
    expect(svg).toContain('>first v3 failure</text>');
    expect(svg).toContain('>RolledBack</text>');
  });

  it('draws weights as steps that hold until the next observation and run to the end of the time axis', () => {
    const svg = renderChart(story());
    // candidate: 0 % at x=78, up to 10 % at t=3, back to 0 at t=17, held to the axis' end (17 s + 6 %).
    const plotW = 960 - 78 - 24;
    const x = (t: number) => (78 + (t / (17 * 1.06)) * plotW).toFixed(1);
    expect(svg).toContain(`M78.0,296.0H${x(3)}V276.0H${x(17)}V296.0H936.0V296.0`);
  });

  it('draws one dot per gate reading and scales the error axis to the largest reading', () => {
    const svg = renderChart(story());
    expect(svg.match(/<circle [^>]*r="4"/g)).toHaveLength(3); // two readings + the legend dot
    expect(svg).toContain('>30 %</text>'); // 22 % rounds the axis up to 30 %
  });

  it('keeps the threshold visible when the candidate never errs', () => {
    const svg = renderChart(story({ errorRates: [{ label: 'gate', points: [{ t: 5, rate: 0 }] }] }));
    expect(svg).toContain('>2 %</text>'); // axis is twice the threshold
  });

  it('escapes text so titles cannot break the document', () => {
    expect(escapeXml('a < b & "c" > d')).toBe('a &lt; b &amp; &quot;c&quot; &gt; d');
    expect(renderChart(story({ title: 'v<3' }))).toContain('>v&lt;3</text>');
  });

  it('renders an empty story without NaN', () => {
    const svg = renderChart(story({ weights: [], errorRates: [], markers: [] }));
    expect(svg).not.toContain('NaN');
    expect(svg).not.toContain('Infinity');
  });
});
