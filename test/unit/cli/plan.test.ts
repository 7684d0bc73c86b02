import { readdirSync, readFileSync } from 'fs';
import { join } from 'path';
import { commandTable, main } from '../../../src/cli/main';
import { FileIo } from '../../../src/cli/output';
import { runPlan } from '../../../src/cli/plan';

const SAMPLES = join(__dirname, '..', '..', '..', 'istio', 'samples');
const NOW = '2026-11-23T09:00:00Z'; // a Monday, after the 02:00 Berlin start

/** In-memory files (samples readable by path), captured output. */
const memoryIo = (files: Record<string, string> = {}) => {
  const out = { stdout: '', stderr: '' };
  const io: FileIo = {
    readFile: (path) => {
      if (path in files) return files[path]!;
      if (path.startsWith(SAMPLES)) return readFileSync(path, 'utf8');
      throw Object.assign(new Error(`ENOENT: no such file or directory, open '${path}'`), { code: 'ENOENT' });
    },
    stdout: (t) => void (out.stdout += t),
    stderr: (t) => void (out.stderr += t),
  };
  return { io, out };
};

const plan = (args: string[], files: Record<string, string> = {}) => {
  const { io, out } = memoryIo(files);
  const code = runPlan([...args, '--now', NOW], io);
  return { code, ...out };
};
const sample = (name: string) => join(SAMPLES, name);

const shift = (spec: string, name = 'reviews') => `apiVersion: sluice.dev/v1alpha1
kind: TrafficShift
metadata: { name: ${name}, namespace: shop }
spec:
${spec}`;

describe('sluice plan on the samples', () => {
  /** Every sample that holds a TrafficShift (app.yaml holds the demo workload). */
  const shiftSamples = readdirSync(SAMPLES).filter((f) => f.endsWith('.yaml') && /^kind: TrafficShift$/m.test(readFileSync(join(SAMPLES, f), 'utf8'))).sort();

  it('covers every TrafficShift sample', () => {
    expect(shiftSamples).toEqual(expect.arrayContaining(['ab-test.yaml', 'blue-green.yaml', 'canary.yaml', 'manual-promotion.yaml', 'scheduled-canary.yaml']));
  });

  it.each(shiftSamples)('%s is valid and planned', (file) => {
    const r = plan(['-f', sample(file)]);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toMatchSnapshot();
  });

  it('prints the canary plan: weights with dwell, the gate in words, earliest completion', () => {
    expect(plan(['-f', sample('canary.yaml')]).stdout).toBe(
      [
        'shop/reviews: canary of Service reviews to version v2',
        '  weights:   10 % for ≥ 2m -> 25 % for ≥ 2m -> 50 % for ≥ 2m -> 100 %',
        '  gate:      each step judges every request since it began, read every 30s, against ≤ 1 % 5xx: falls back at 1 : 300, passes at 10 : 1 with ≥ 20 requests' +
          ' (a candidate within the limit falls back in at most 1 % of shifts); p99 ≤ 500 ms in each 30s, 2 consecutive failures fall back; fewer than 20 requests hold up to progressDeadline 10m',
        '  earliest:  done 6m after the start',
        '  start:     as soon as the new version is seen (no schedule)',
        '',
      ].join('\n'),
    );
  });

  it('prints the A/B plan: who reaches the candidate, for how many gate intervals, then 100 %', () => {
    expect(plan(['-f', sample('ab-test.yaml')]).stdout).toBe(
      [
        'shop/reviews: A/B test of Service reviews to version v2',
        '  a/b test:  requests matching any of [{"headers":{"cookie":{"regex":"^(.*?;\\\\s*)?(beta=1)(;.*)?$"}}},{"sourceLabels":{"app":"web-beta"}}] reach v2 for 10 gate intervals (≥ 5m), the last check passing; all other traffic stays on stable',
        '  weights:   100 % at promotion',
        '  gate:      the A/B test judges every request since it began, read every 30s, against ≤ 2 % 5xx: falls back at 1 : 100, passes at 9.9 : 1 with ≥ 10 requests' +
          ' (a candidate within the limit falls back in at most 1 % of shifts); fewer than 10 requests hold up to progressDeadline 10m',
        '  earliest:  done 5m after the start',
        '  start:     as soon as the new version is seen (no schedule)',
        '',
      ].join('\n'),
    );
  });

  it('prints the sequential gate: what it reads, both lines as odds, the shift-wide false-failure rate, compareTo', () => {
    const file = shift('  service: reviews\n  version: v2\n  strategy: { canary: { steps: [10, 50] } }\n  analysis: { method: sequential, falseFailureRate: 0.02, maxP99LatencyMs: 500, compareTo: stable }');
    const r = plan(['-f', 'seq.yaml'], { 'seq.yaml': file });
    expect(r.stdout.split('\n')[2]).toBe(
      '  gate:      each step judges every request since it began, read every 30s, against ≤ 1 % 5xx: falls back at 1 : 100, passes at 9.9 : 1 with ≥ 20 requests' +
        ' (a candidate within the limit falls back in at most 2 % of shifts); p99 ≤ 500 ms in each 30s, 2 consecutive failures fall back;' +
        ' fewer than 20 requests hold up to progressDeadline 10m; a failure stable shares holds up to progressDeadline 10m',
    );
    const json = JSON.parse(plan(['-f', 'seq.yaml', '--json'], { 'seq.yaml': file }).stdout);
    expect(json.shifts[0].gate).toMatchObject({ method: 'sequential', falseFailureRate: 0.02, failsAtRatio: 100, compareTo: 'stable' });
  });

  it('prints the threshold gate when the shift asks for it (the method before sequential became the default)', () => {
    const file = shift('  service: reviews\n  version: v2\n  strategy: { canary: { steps: [10, 50] } }\n  analysis: { method: threshold, noData: fail, maxP99LatencyMs: 500 }');
    const r = plan(['-f', 'thr.yaml'], { 'thr.yaml': file });
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout.split('\n')[2]).toBe(
      '  gate:      each step needs ≥ 20 requests in a 30s window with ≤ 1 % 5xx and p99 ≤ 500 ms; 2 consecutive failures fall back; no data counts as a failure',
    );
  });

  it('plans several files in one run', () => {
    const r = plan(['-f', sample('canary.yaml'), '--filename', sample('blue-green.yaml')]);
    expect(r.code).toBe(0);
    expect(r.stdout.match(/^shop\/reviews: /gm)).toHaveLength(2);
  });
});

describe('sluice plan --json', () => {
  it('gives steps, gate, earliest completion and the next scheduled start', () => {
    const r = plan(['-f', sample('scheduled-canary.yaml'), '-f', sample('blue-green.yaml'), '--json']);
    expect(r.code).toBe(0);
    const { shifts } = JSON.parse(r.stdout);
    expect(shifts[0]).toEqual({
      name: 'reviews',
      namespace: 'shop',
      strategy: 'Canary',
      service: 'reviews',
      version: 'v2',
      steps: [{ weight: 10, minDwellSeconds: 600 }, { weight: 30, minDwellSeconds: 600 }, { weight: 60, minDwellSeconds: 600 }, { weight: 100, minDwellSeconds: 0 }],
      manualPromotion: false,
      gate: {
        minRequests: 30, window: '1m', maxErrorRate: 0.01, failureThreshold: 2, noData: 'hold', progressDeadlineSeconds: 600, method: 'sequential',
        falseFailureRate: 0.01, failsAtRatio: 300,
        text: 'each step judges every request since it began, read every 1m, against ≤ 1 % 5xx: falls back at 1 : 300, passes at 10 : 1 with ≥ 30 requests' +
          ' (a candidate within the limit falls back in at most 1 % of shifts); fewer than 30 requests hold up to progressDeadline 10m',
      },
      earliestCompletionSeconds: 1800,
      nextStart: '2026-11-24T01:00:00.000Z',
    });
    expect(shifts[1]).toMatchObject({ strategy: 'BlueGreen', previewSeconds: 300, steps: [{ weight: 100, minDwellSeconds: 600 }], earliestCompletionSeconds: 900 });
    expect(shifts[1]).not.toHaveProperty('nextStart');
  });

  it('lists every problem with name, namespace, path and message, exit 2', () => {
    const r = plan(['-f', 'bad.yaml', '--json'], { 'bad.yaml': shift('  service: reviews\n  version: v2\n  strategy: { canary: { steps: [10, 50, 40] } }') });
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout)).toEqual({
      errors: [{ file: 'bad.yaml', namespace: 'shop', name: 'reviews', path: 'spec.strategy.canary.steps[2]', message: '40 is not greater than the previous step 50' }],
    });
  });
});

describe('sluice plan on broken input', () => {
  it('prints one line per problem and exits 2, valid shifts still planned', () => {
    const files = {
      'mixed.yaml': [
        shift('  service: reviews\n  version: v2\n  strategy: { canary: { steps: [10, 50, 40] } }'),
        shift('  service: Ratings\n  version: v2\n  strategy: { blueGreen: {} }\n  analysis: { maxErrorRate: 5, noData: skip }', 'ratings'),
        shift('  service: details\n  version: v3\n  strategy: { canary: { steps: [50] } }', 'details'),
      ].join('\n---\n'),
    };
    const r = plan(['-f', 'mixed.yaml'], files);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      [
        'shop/reviews: spec.strategy.canary.steps[2]: 40 is not greater than the previous step 50',
        'shop/ratings: spec.service: "Ratings" is not a valid name (expected lower-case letters, digits and "-", at most 63 characters)',
        'shop/ratings: spec.analysis.maxErrorRate: 5 is not a number from 0 to 1',
        'shop/ratings: spec.analysis.noData: "skip" is not one of hold, fail',
        '',
      ].join('\n'),
    );
    expect(r.stdout).toMatch(/^shop\/details: canary of Service details to version v3\n/);
  });

  it('names a bad sticky-canary cookie and maxAge, and the routes do not render (--routes)', () => {
    const r = plan(['-f', 'sticky.yaml', '--routes'], {
      'sticky.yaml': shift('  service: reviews\n  version: v2\n  strategy: { canary: { steps: [10], sessionAffinity: { cookieName: "canary;v", maxAge: "-1s" } } }'),
    });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      [
        'shop/reviews: spec.strategy.canary.sessionAffinity.cookieName: "canary;v" is not a cookie name (expected an RFC 6265 token of 1 to 64 letters, digits and !#$%&\'*+.^_`|~-, not starting with __Secure- or __Host-)',
        'shop/reviews: spec.strategy.canary.sessionAffinity.maxAge: "-1s" is not a duration from 1s to 576h (expected e.g. "30s", "1m", "1h30m")',
        '',
      ].join('\n'),
    );
  });

  it('says so in one line for a missing file, bad YAML and documents that are not TrafficShifts', () => {
    const r = plan(['-f', 'missing.yaml', '-f', 'bad.yaml', '-f', sample('app.yaml')], { 'bad.yaml': 'spec: [unclosed\n' });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      [
        'missing.yaml: cannot be read: no such file',
        'bad.yaml: document 1: is not valid YAML or JSON (line 2, column 1): Flow sequence in block collection must be sufficiently indented and end with a ]',
        'default/shop: kind: "Namespace" is not TrafficShift',
        'shop/reviews: kind: "Service" is not TrafficShift',
        'shop/reviews-v1: kind: "Deployment" is not TrafficShift',
        'shop/reviews-v2: kind: "Deployment" is not TrafficShift',
        '',
      ].join('\n'),
    );
  });

  it('reads JSON and kind: List, and skips empty documents', () => {
    const json = JSON.stringify({ kind: 'List', items: [{ apiVersion: 'sluice.dev/v1alpha1', kind: 'TrafficShift', metadata: { name: 'a', namespace: 'x' }, spec: { service: 'a', version: 'v1', strategy: { blueGreen: {} } } }] });
    const r = plan(['-f', 'list.json', '-f', 'empty.yaml'], { 'list.json': json, 'empty.yaml': '---\n# nothing\n---\n' });
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toMatch(/^x\/a: blue-green of Service a to version v1\n  preview:   v1 gets no traffic for ≥ 0s \(no previewMatch\)\n/);
  });

  it('never prints a stack trace or a type dump', () => {
    const r = plan(['-f', 'odd.yaml'], { 'odd.yaml': shift('  service: reviews\n  version: v2\n  strategy: { canary: { steps: "10,20" } }\n  route: { match: [{ uri: { exact: "/", regex: "x" } }] }') });
    expect(r.stderr).toBe(
      [
        'shop/reviews: spec.strategy.canary.steps: "10,20" is not a list of integer weights from 1 to 99',
        'shop/reviews: spec.route.match[0].uri: {"exact":"/","regex":"x"} has exact and regex; expected exactly one of exact, prefix, regex',
        '',
      ].join('\n'),
    );
    expect(r.stderr).not.toMatch(/ at |Array<|Partial<|\{ \[K/);
  });
});

describe('sluice plan arguments', () => {
  it.each([
    [[], 'sluice plan: at least one -f FILE is required'],
    [['-f'], 'sluice plan: flag -f needs a value (-f FILE)'],
    [['-f', 'a.yaml', 'b.yaml'], 'sluice plan: unexpected argument "b.yaml" (files are given with -f FILE)'],
    [['-f', 'a.yaml', '--json=yes'], 'sluice plan: flag --json takes no value (got "yes")'],
    [['-f', 'a.yaml', '--now', 'tuesday'], 'sluice plan: --now: "tuesday" is not an ISO 8601 time (expected e.g. "2026-11-23T09:00:00Z")'],
    [['-f', 'a.yaml', '--color'], 'sluice plan: unknown flag --color'],
  ])('%j: one line, the usage, exit 2', (args, line) => {
    const { io, out } = memoryIo();
    expect(runPlan(args, io)).toBe(2);
    expect(out.stderr.split('\n')[0]).toBe(line);
    expect(out.stderr).toContain('usage: sluice plan -f FILE');
  });

  it('--help prints the usage, exit 0', () => {
    const { io, out } = memoryIo();
    expect(runPlan(['--help'], io)).toBe(0);
    expect(out.stdout).toMatch(/^usage: sluice plan/);
  });
});

describe('sluice (main)', () => {
  it('dispatches "plan" through the command table', async () => {
    const { io, out } = memoryIo();
    expect(await main(['plan', '-f', sample('canary.yaml')], io)).toBe(0);
    expect(out.stdout).toMatch(/^shop\/reviews: canary/);
  });

  it('lists commands on help and rejects unknown ones with exit 2', async () => {
    const { io, out } = memoryIo();
    expect(await main(['help'], io)).toBe(0);
    expect(out.stdout).toMatch(/^ {2}plan +check TrafficShift manifests offline/m);
    expect(await main(['launch'], io)).toBe(2);
    expect(out.stderr).toMatch(/^sluice: unknown command "launch"\n/);
    expect(await main(['constructor'], io)).toBe(2);
  });

  it('turns an unexpected failure into one line, exit 1', async () => {
    const { io, out } = memoryIo();
    const table = { ...commandTable(io), boom: { summary: 'fails', run: () => { throw new Error('kaput\n    at somewhere'); } } };
    expect(await main(['boom'], io, table)).toBe(1);
    expect(out.stderr).toBe('sluice boom: kaput\n');
  });
});
