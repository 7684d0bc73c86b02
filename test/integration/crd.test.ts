/**
 * The TrafficShift CRD on a real kube-apiserver: the server and decodeTrafficShift accept and
 * refuse the same manifests (and point at the same field when they refuse), the server fills
 * the defaults the codec assumes, prints the columns `kubectl get` shows, and keeps status in a
 * subresource. Manifests are sent as server-side dry-run creates with strict field validation
 * (kubectl's default; with "Warn" the server would drop an unknown field where the codec refuses it).
 */
import { CustomObjectsApi } from '@kubernetes/client-node';
import fc from 'fast-check';
import * as E from 'fp-ts/Either';
import { decodeTrafficShift } from '../../src/api/trafficShift';
import { CATALOG } from '../unit/api/catalog';
import { manifest, minimalCanary, minimalCanaryDefaulted, sampleShifts } from '../unit/api/fixtures';
import { manifestArb } from '../unit/istio/fuzzManifests';
import { kubeConfig, kubectlOk } from './env';

const custom = kubeConfig().makeApiClient(CustomObjectsApi);
const SHIFTS = { group: 'sluice.dev', version: 'v1alpha1', plural: 'trafficshifts' } as const;

type Manifest = Record<string, unknown> & { metadata: Record<string, unknown> };

interface ServerVerdict {
  readonly accepted: boolean;
  /** Field paths the server's error names: causes[].field, or the fields of a strict decoding error. */
  readonly fields: readonly string[];
  readonly message: string;
}

/** Server-side dry-run create of `m` in `namespace` (nothing is stored). */
const dryRunCreate = async (namespace: string, m: Manifest): Promise<ServerVerdict> => {
  try {
    await custom.createNamespacedCustomObject({
      ...SHIFTS, namespace, body: { ...m, metadata: { ...m.metadata, namespace } }, dryRun: 'All', fieldValidation: 'Strict',
    });
    return { accepted: true, fields: [], message: '' };
  } catch (e) {
    const err = e as { code?: number; body?: unknown };
    if (err.code !== 422 && err.code !== 400) throw e;
    const status = (typeof err.body === 'string' ? JSON.parse(err.body) : err.body) as { message: string; details?: { causes?: { field?: string }[] } };
    const causes = (status.details?.causes ?? []).map((c) => c.field ?? '').filter((f) => f !== '' && f !== '<nil>');
    const unknown = [...status.message.matchAll(/unknown field "([^"]+)"/g)].map((x) => x[1]!);
    return { accepted: false, fields: [...new Set([...causes, ...unknown])], message: status.message };
  }
};

/** The field paths of the codec's errors; [] when it decodes. */
const codecPaths = (m: unknown): string[] => {
  const d = decodeTrafficShift(m);
  return E.isLeft(d) ? d.left.errors.map((e) => e.path) : [];
};

/**
 * Where the server points when it cannot point where the codec does (a CEL rule names one
 * field for the whole rule):
 *  - step order is a rule on the list, so the server names the list, the codec the step;
 *  - "progressDeadline >= analysis.interval" is reported at progressDeadline (the rule's
 *    fieldPath); the codec blames analysis.interval when only the interval was written.
 *  - "hook names are unique per kind" is a rule on the list: the server reports the list
 *    (spec.hooks.preStep), the codec the second hook's name.
 *  - an object where spec.notify expects a list: the server's strict decoder names the object's
 *    member it does not know (spec.notify.provider), the codec the value it cannot read.
 */
const SERVER_PATH_FOR: Readonly<Record<string, string>> = {
  'spec.strategy.canary.steps[1]': 'spec.strategy.canary.steps',
  'spec.analysis.interval': 'spec.progressDeadline',
  'spec.hooks.preStep[1].name': 'spec.hooks.preStep',
  'spec.notify': 'spec.notify.provider',
};

/** A codec path the server's answer names: the same path, else the one SERVER_PATH_FOR gives. */
const namedByServer = (path: string, server: ServerVerdict): boolean =>
  (server.fields.includes(path) && server.message.includes(path)) ||
  (SERVER_PATH_FOR[path] !== undefined && server.fields.includes(SERVER_PATH_FOR[path]!) && server.message.includes(SERVER_PATH_FOR[path]!));

/** A catalog spec with undefined fields left out. */
const specOf = (fields: Record<string, unknown>): Record<string, unknown> => Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));
const VALID_BASE = Object.fromEntries(Object.entries(CATALOG).map(([k, v]) => [k, v[0]]));

/**
 * Every catalog value in a manifest of its own, every other field at its first (valid) value:
 * each refused manifest has exactly one thing wrong, and both sides must point at it.
 */
const catalogManifests = (): [string, Manifest][] => {
  const seen = new Set<string>();
  const out: [string, Manifest][] = [];
  for (const [field, values] of Object.entries(CATALOG))
    for (const value of values) {
      const spec = specOf({ ...VALID_BASE, [field]: value });
      const key = JSON.stringify(spec);
      if (seen.has(key)) continue;
      seen.add(key);
      out.push([`${field} = ${value === undefined ? '(absent)' : JSON.stringify(value)}`, manifest(spec) as Manifest]);
    }
  return out;
};

/**
 * Manifests with any number of catalog values changed (each field keeps its valid value 5 times
 * in 6, as in crd.property.test.ts; fixed seed, so every run sends the same ones).
 */
const mixedManifests = (count: number): Manifest[] => {
  const arb = fc.record(
    Object.fromEntries(Object.entries(CATALOG).map(([k, values]) => [k, fc.oneof({ weight: 5, arbitrary: fc.constant(values[0]) }, { weight: 1, arbitrary: fc.constantFrom(...values) })])),
  );
  return fc.sample(arb, { seed: 7, numRuns: count }).map((raw) => manifest(specOf(raw)) as Manifest);
};

const newNamespace = (prefix: string): string => {
  const name = `${prefix}-${Math.random().toString(36).slice(2, 8)}`;
  kubectlOk(['create', 'namespace', name]);
  return name;
};

describe('the TrafficShift CRD on a real API server', () => {
  let namespace = '';
  beforeAll(() => {
    namespace = newNamespace('crd');
  });
  afterAll(() => {
    if (namespace) kubectlOk(['delete', 'namespace', namespace, '--wait=false']);
  });

  describe('accepts exactly what decodeTrafficShift accepts', () => {
    const cases = catalogManifests();

    it(`for each of the ${cases.length} one-value-changed catalog manifests, and names the same field when it refuses`, async () => {
      const disagreements: string[] = [];
      let refused = 0;
      for (const [what, m] of cases) {
        const server = await dryRunCreate(namespace, m);
        const codec = codecPaths(m);
        if (server.accepted !== (codec.length === 0)) {
          disagreements.push(`${what}: server ${server.accepted ? 'accepts' : `refuses (${server.message})`}, codec ${codec.length === 0 ? 'accepts' : `refuses at ${codec.join(', ')}`}`);
          continue;
        }
        if (server.accepted) continue;
        refused++;
        const unnamed = codec.filter((p) => !namedByServer(p, server));
        if (unnamed.length > 0) disagreements.push(`${what}: codec refuses at ${unnamed.join(', ')}, server names ${JSON.stringify(server.fields)}: ${server.message}`);
      }
      expect(disagreements).toEqual([]);
      // Neither kind is vacuous.
      expect(refused).toBeGreaterThan(50);
      expect(cases.length - refused).toBeGreaterThan(40);
    });

    it('for 150 manifests with several values changed at once (only the verdict: the server skips CEL rules once the schema fails)', async () => {
      const disagreements: string[] = [];
      const counts = { accepted: 0, refused: 0 };
      for (const m of mixedManifests(150)) {
        const server = await dryRunCreate(namespace, m);
        const codec = codecPaths(m);
        counts[server.accepted ? 'accepted' : 'refused']++;
        if (server.accepted !== (codec.length === 0))
          disagreements.push(`${JSON.stringify(m.spec)}: server ${server.accepted ? 'accepts' : `refuses (${server.message})`}, codec ${codec.length === 0 ? 'accepts' : `refuses at ${codec.join(', ')}`}`);
      }
      expect(disagreements).toEqual([]);
      expect(counts.accepted).toBeGreaterThan(20);
      expect(counts.refused).toBeGreaterThan(20);
    });

    it('for 200 fuzzed manifests (hostile values too): the server answers each, and stores only what the codec accepts or refuses only on a codec-only check', async () => {
      // What a structural schema cannot check: cron syntax, time zones, the JSON size of free-form route options.
      const CODEC_ONLY = ['spec.schedule.start', 'spec.schedule.timeZone', 'spec.route.retries', 'spec.route.corsPolicy'];
      const samples = fc
        .sample(manifestArb, { seed: 10, numRuns: 400 })
        .map((s) => s.manifest)
        .filter((m): m is Manifest => typeof m === 'object' && m !== null && !Array.isArray(m) && typeof (m as Manifest).metadata === 'object')
        .slice(0, 200);
      expect(samples).toHaveLength(200);
      const disagreements: string[] = [];
      const counts = { accepted: 0, refused: 0, codecOnly: 0 };
      for (const m of samples) {
        const server = await dryRunCreate(namespace, m); // throws on any answer but 201, 400 or 422
        const codec = codecPaths(m);
        counts[server.accepted ? 'accepted' : 'refused']++;
        if (!server.accepted) continue;
        if (codec.length > 0 && codec.every((p) => CODEC_ONLY.includes(p))) counts.codecOnly++;
        else if (codec.length > 0) disagreements.push(`${JSON.stringify(m.spec).slice(0, 300)}: stored by the server, refused by the codec at ${codec.join(', ')}`);
      }
      expect(disagreements).toEqual([]);
      expect(counts.accepted).toBeGreaterThan(30);
      expect(counts.refused).toBeGreaterThan(30);
    });

    it.each(sampleShifts().map((s) => [s.file, s.doc as Manifest] as const))('for istio/samples/%s: both accept it', async (_file, doc) => {
      expect(codecPaths(doc)).toEqual([]);
      expect(await dryRunCreate(namespace, doc)).toEqual({ accepted: true, fields: [], message: '' });
    });

    it('for a name longer than 63 characters: both refuse it at metadata.name', async () => {
      const server = await dryRunCreate(namespace, manifest(minimalCanary, 'r'.repeat(64)) as Manifest);
      expect(codecPaths(manifest(minimalCanary, 'r'.repeat(64)))).toEqual(['metadata.name']);
      expect(server.accepted).toBe(false);
      expect(server.message).toContain('name must be at most 63 characters');
    });

    it('except cron syntax and time zones, which only the codec checks (the server stores them; `sluice plan` and the daemon refuse them)', async () => {
      const m = manifest({ ...minimalCanary, schedule: { start: 'at two', timeZone: 'Mars/Olympus' } }) as Manifest;
      expect((await dryRunCreate(namespace, m)).accepted).toBe(true);
      expect(codecPaths(m)).toEqual(['spec.schedule.start', 'spec.schedule.timeZone']);
    });
  });

  describe('stored objects', () => {
    const create = (name: string, spec: Record<string, unknown>) =>
      custom.createNamespacedCustomObject({ ...SHIFTS, namespace, body: { apiVersion: 'sluice.dev/v1alpha1', kind: 'TrafficShift', metadata: { name }, spec } });
    const get = async (name: string) =>
      (await custom.getNamespacedCustomObject({ ...SHIFTS, namespace, name })) as { metadata: { generation: number; resourceVersion: string }; spec: Record<string, unknown>; status?: Record<string, unknown> };

    it('get the CRD defaults filled in by the server (the same ones resolveSpec assumes)', async () => {
      await create('minimal', minimalCanary);
      expect((await get('minimal')).spec).toEqual(minimalCanaryDefaulted);

      await create('blue-green', { ...minimalCanary, strategy: { blueGreen: {} }, schedule: {}, analysis: { maxErrorRate: 0.05 } });
      const bg = (await get('blue-green')).spec;
      expect(bg.strategy).toEqual({ blueGreen: { previewDuration: '0s', rollbackWindow: '10m' } });
      expect(bg.schedule).toEqual({ timeZone: 'UTC' });
      // A field that was written keeps its value; the others in the same object get defaults.
      expect(bg.analysis).toEqual({ interval: '30s', maxErrorRate: 0.05, minRequests: 20, failureThreshold: 2, noData: 'hold', method: 'sequential', falseFailureRate: 0.01 });
    });

    it('show SERVICE STABLE CANDIDATE WEIGHT PHASE AGE in `kubectl get trafficshifts`, filled from status', async () => {
      await create('columns', minimalCanary);
      kubectlOk([
        '-n', namespace, 'patch', 'trafficshift', 'columns', '--subresource=status', '--type=merge',
        '-p', JSON.stringify({ status: { phase: 'Progressing', stableVersion: 'v1', candidateVersion: 'v2', weights: { stable: 90, candidate: 10 } } }),
      ]);
      const [header, row] = kubectlOk(['-n', namespace, 'get', 'trafficshifts', 'columns']).trim().split('\n').map((l) => l.trim().split(/\s+/));
      expect(header).toEqual(['NAME', 'SERVICE', 'STABLE', 'CANDIDATE', 'WEIGHT', 'PHASE', 'AGE']);
      expect(row!.slice(0, 6)).toEqual(['columns', 'reviews', 'v1', 'v2', '10', 'Progressing']);
      expect(row![6]).toMatch(/^\d+s$/);
      // The short name and the category reach the same objects.
      expect(kubectlOk(['-n', namespace, 'get', 'ts', 'columns', '-o', 'name']).trim()).toBe('trafficshift.sluice.dev/columns');
      expect(kubectlOk(['-n', namespace, 'get', 'sluice', '-o', 'name'])).toContain('trafficshift.sluice.dev/columns');
    });

    it('keep status in a subresource: spec changes bump metadata.generation, status writes do not, and status sent with the spec is dropped', async () => {
      await create('generation', minimalCanary);
      expect((await get('generation')).metadata.generation).toBe(1);

      kubectlOk(['-n', namespace, 'patch', 'trafficshift', 'generation', '--type=merge', '-p', '{"spec":{"version":"v3"}}']);
      expect((await get('generation')).metadata.generation).toBe(2);

      kubectlOk(['-n', namespace, 'patch', 'trafficshift', 'generation', '--subresource=status', '--type=merge', '-p', '{"status":{"phase":"Idle","stableVersion":"v3"}}']);
      const afterStatus = await get('generation');
      expect(afterStatus.metadata.generation).toBe(2);
      expect(afterStatus.status).toEqual({ phase: 'Idle', stableVersion: 'v3' });

      // Through the main resource, a status change is ignored (and so is not a spec change).
      kubectlOk(['-n', namespace, 'patch', 'trafficshift', 'generation', '--type=merge', '-p', '{"status":{"phase":"Failed"}}']);
      const afterMain = await get('generation');
      expect(afterMain.metadata.generation).toBe(2);
      expect(afterMain.status).toEqual({ phase: 'Idle', stableVersion: 'v3' });
    });
  });
});
