import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { parseAllDocuments } from 'yaml';
import { FileIo } from '../../../src/cli/output';
import { runPlan } from '../../../src/cli/plan';
import { planRoutes } from '../../../src/cli/planRoutes';
import { render } from '../../../src/istio/render';
import { routeProblems } from '../../../src/istio/safety';
import { abTestSpec, blueGreenSpec, canarySpec, intent, shiftRef } from '../istio/fixtures';

const SAMPLES = join(__dirname, '..', '..', '..', 'istio', 'samples');

type Http = { name: string; route: { destination: { subset: string }; weight: number }[] }[];
const httpOf = (p: { virtualService: { spec: object } }) => (p.virtualService.spec as { http: unknown }).http as Http;
/** Per route name, `{subset: weight}`. */
const weights = (p: { virtualService: { spec: object } }) =>
  Object.fromEntries(httpOf(p).map((r) => [r.name, Object.fromEntries(r.route.map((d) => [d.destination.subset, d.weight]))]));
/** The http routes with their mirror fields (a tcp VirtualService has none). */
const mirrorsOf = (p: { virtualService: { spec: object } }) =>
  ('http' in p.virtualService.spec ? p.virtualService.spec.http : []) as { name: string; mirror?: { subset: string }; mirrorPercentage?: { value: number } }[];
const subsets = (p: { destinationRule: { spec: { subsets: readonly { name: string }[] } } }) => p.destinationRule.spec.subsets.map((s) => s.name);

describe('planRoutes', () => {
  it('canary: every step, promotion, the new stable alone, and the fallback that keeps the candidate at 0', () => {
    const states = planRoutes(shiftRef(canarySpec), 'v1');
    expect(states.map((s) => s.state)).toEqual(['start', 'step 1', 'step 2', 'step 3', 'promoting', 'promoted', 'fallback']);
    expect(states.map(weights)).toEqual([
      { primary: { v1: 100, v2: 0 } },
      { primary: { v1: 90, v2: 10 } },
      { primary: { v1: 75, v2: 25 } },
      { primary: { v1: 50, v2: 50 } },
      { primary: { v1: 0, v2: 100 } },
      { primary: { v2: 100 } },
      { primary: { v1: 100, v2: 0 } },
    ]);
    expect(states.map(subsets)).toEqual([...Array(5).fill(['v1', 'v2']), ['v2'], ['v1', 'v2']]);
  });

  it("blue-green: the preview route exists only in the preview state; A/B: the ab-test route only while testing", () => {
    const bg = planRoutes(shiftRef(blueGreenSpec), 'v1');
    expect(bg.map((s) => [s.state, httpOf(s).map((r) => r.name)])).toEqual([
      ['preview', ['preview', 'primary']],
      ['promoting', ['primary']],
      ['promoted', ['primary']],
      ['fallback', ['primary']],
    ]);
    const ab = planRoutes(shiftRef(abTestSpec), 'v1');
    expect(ab.map((s) => [s.state, httpOf(s).map((r) => r.name)])).toEqual([
      ['a/b test', ['ab-test', 'primary']],
      ['promoting', ['primary']],
      ['promoted', ['primary']],
      ['fallback', ['primary']],
    ]);
    expect(weights(ab[0]!)).toEqual({ 'ab-test': { v2: 100 }, primary: { v1: 100, v2: 0 } });
  });

  it('canary with mirror: a mirror state between the start and the first step, the only one with mirror on the primary route', () => {
    const spec = { ...canarySpec, strategy: { canary: { steps: [10, 50], mirror: { percentage: 40, iterations: 2 } } } };
    const states = planRoutes(shiftRef(spec), 'v1');
    expect(states.map((s) => s.state)).toEqual(['start', 'mirror', 'step 1', 'step 2', 'promoting', 'promoted', 'fallback']);
    const mirrors = states.map((s) => (mirrorsOf(s)[0]!.mirror?.subset ?? '-') + ' ' + String(mirrorsOf(s)[0]!.mirrorPercentage?.value ?? '-'));
    expect(mirrors).toEqual(['- -', 'v2 40', '- -', '- -', '- -', '- -', '- -']);
    expect(weights(states[1]!)).toEqual({ primary: { v1: 100, v2: 0 } });
    expect(states[1]!.description).toBe('v1 100 %, v2 0 %; a copy of 40 % of requests mirrored to v2 (answers discarded) for 2 gate intervals');
    expect(states.flatMap((s) => routeProblems(s.virtualService, s.destinationRule))).toEqual([]);
  });

  it('blue-green with mirror: the preview state mirrors, the switch and the fallback do not', () => {
    const spec = { ...blueGreenSpec, strategy: { blueGreen: { mirror: { iterations: 3 } } } };
    const states = planRoutes(shiftRef(spec), 'v1');
    expect(states.map((s) => [s.state, mirrorsOf(s).map((r) => `${r.name}${r.mirror ? ' mirror ' + r.mirror.subset : ''}`)])).toEqual([
      ['preview', ['primary mirror v2']],
      ['promoting', ['primary']],
      ['promoted', ['primary']],
      ['fallback', ['primary']],
    ]);
  });

  it('a blue-green shift without previewMatch previews with no route of its own', () => {
    const { previewMatch: _, ...noMatch } = blueGreenSpec.strategy.blueGreen;
    const states = planRoutes(shiftRef({ ...blueGreenSpec, strategy: { blueGreen: noMatch } }), 'v1');
    expect(httpOf(states[0]!).map((r) => r.name)).toEqual(['primary']);
  });

  it("renders with the daemon's render: the same objects for the same intent", () => {
    const ref = shiftRef(canarySpec);
    const step2 = planRoutes(ref, 'v1')[2]!;
    const daemon = render(ref, intent('v1', 'v2', 25));
    expect({ destinationRule: step2.destinationRule, virtualService: step2.virtualService }).toEqual({ destinationRule: daemon.destinationRule, virtualService: daemon.virtualService });
  });

  it.each([['canary', canarySpec], ['blue-green', blueGreenSpec], ['A/B', abTestSpec]] as const)('%s: every state passes the route safety checks', (_, spec) => {
    for (const s of planRoutes(shiftRef(spec), 'v1')) expect([s.state, routeProblems(s.virtualService, s.destinationRule)]).toEqual([s.state, []]);
  });
});

describe('sluice plan --routes', () => {
  const run = (args: string[]) => {
    const out = { stdout: '', stderr: '' };
    const io: FileIo = { readFile: (p) => readFileSync(p, 'utf8'), stdout: (t) => void (out.stdout += t), stderr: (t) => void (out.stderr += t) };
    return { code: runPlan([...args, '--now', '2026-11-23T09:00:00Z'], io), ...out };
  };
  const shiftSamples = readdirSync(SAMPLES).filter((f) => /^kind: TrafficShift$/m.test(readFileSync(join(SAMPLES, f), 'utf8'))).sort();
  const gatewaySamples = shiftSamples.filter((f) => /^  routing: gatewayAPI$/m.test(readFileSync(join(SAMPLES, f), 'utf8')));
  const samples = shiftSamples.filter((f) => !gatewaySamples.includes(f));

  it.each(gatewaySamples)('%s (spec.routing: gatewayAPI): per state the per-version Services, then the HTTPRoute weighting only those', (file) => {
    const r = run(['-f', join(SAMPLES, file), '--routes', '--stable', 'v1']);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toContain('# spec.routing: gatewayAPI: the Services copy the ports and selector of Service reviews when the daemon writes them');
    type Doc = { kind: string; metadata: { name: string }; spec: { rules?: { backendRefs: { name: string; weight: number }[] }[] } };
    const docs = parseAllDocuments(r.stdout).map((d) => d.toJS() as Doc | null).filter((d): d is Doc => d !== null);
    const states: Doc[][] = [];
    let services: Doc[] = [];
    for (const d of docs) {
      if (d.kind === 'Service') services.push(d);
      else {
        expect(d.kind).toBe('HTTPRoute');
        states.push([...services, d]);
        services = [];
      }
    }
    expect(services).toEqual([]);
    expect(states.length).toBeGreaterThanOrEqual(4);
    for (const st of states) {
      const route = st[st.length - 1]!;
      const written = new Set(st.slice(0, -1).map((x) => x.metadata.name));
      for (const rule of route.spec.rules ?? []) {
        expect(rule.backendRefs.map((b) => b.name).filter((n) => !written.has(n))).toEqual([]);
        expect(rule.backendRefs.reduce((sum, b) => sum + b.weight, 0)).toBe(100);
      }
    }
    expect(r.stdout).toMatchSnapshot();
  });

  it.each(samples)('%s: a YAML stream of the objects of every state, the plan as comments', (file) => {
    const r = run(['-f', join(SAMPLES, file), '--routes', '--stable', 'v1']);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    const docs = parseAllDocuments(r.stdout).map((d) => d.toJS() as { kind: string } | null).filter((d) => d !== null);
    expect(docs.length % 2).toBe(0);
    expect(docs.length).toBeGreaterThanOrEqual(8);
    expect(docs.filter((_, i) => i % 2 === 0).every((d) => d!.kind === 'DestinationRule')).toBe(true);
    expect(docs.filter((_, i) => i % 2 === 1).every((d) => d!.kind === 'VirtualService')).toBe(true);
    expect(r.stdout).toMatchSnapshot();
  });

  it('uses the manifest status.stableVersion unless --stable is given, and says when it had neither', () => {
    const file = join(SAMPLES, 'canary.yaml');
    expect(run(['-f', file, '--routes']).stdout).toContain('# routes from stable version stable (none given: pass --stable VERSION)');
    expect(run(['-f', file, '--routes', '--stable', 'v7']).stdout).toContain('subset: v7');
    const withStatus = join(mkdtempSync(join(tmpdir(), 'plan-routes-')), 'shift.yaml');
    writeFileSync(withStatus, `${readFileSync(file, 'utf8')}\nstatus:\n  stableVersion: v5\n`);
    expect(run(['-f', withStatus, '--routes']).stdout).toContain('# routes from stable version v5, as the daemon renders them');
    expect(run(['-f', withStatus, '--routes', '--stable', 'v7']).stdout).toContain('# routes from stable version v7, as');
  });

  it('adds the states to --json, and refuses --stable without --routes', () => {
    const r = run(['-f', join(SAMPLES, 'canary.yaml'), '--routes', '--stable', 'v1', '--json']);
    const shifts = JSON.parse(r.stdout).shifts as { routes: { stable: string; states: { state: string }[] } }[];
    expect(shifts[0]!.routes.stable).toBe('v1');
    expect(shifts[0]!.routes.states.map((s) => s.state)).toContain('fallback');
    expect(run(['-f', join(SAMPLES, 'canary.yaml'), '--stable', 'v1'])).toMatchObject({ code: 2, stderr: expect.stringContaining('sluice plan: --stable only applies with --routes') });
  });
});
