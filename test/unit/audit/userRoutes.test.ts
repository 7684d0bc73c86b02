/**
 * The audit checker judges user routes (spec.routes, ADR 0011) like sluice's own: a route of a
 * VirtualService sluice writes is held to the same rules whoever wrote its content.
 */
import { AuditEvent, checkWrites, Violation } from '../../audit/audit';
import { dr, gate, HOST, progressing, reconcileWrites, shift, sluiceAgent, vs, write } from './fixtures';

const rules = (found: readonly Violation[]): string[] => found.map((v) => v.rule);

/** `vs(weights)` with a game-day fault route before the primary route, split as given. */
const withGameDay = (weights: Record<string, number>, split: Record<string, number> = weights): Record<string, unknown> => {
  const object = vs(weights) as { spec: { http: unknown[] } };
  const gameDay = {
    name: 'game-day',
    match: [{ headers: { 'x-game-day': { exact: 'abort' } } }],
    fault: { abort: { httpStatus: 503, percentage: { value: 100 } } },
    route: Object.entries(split).map(([subset, weight]) => ({ destination: { host: HOST, subset }, weight })),
  };
  return { ...object, spec: { ...object.spec, http: [gameDay, ...object.spec.http] } };
};
const redirect = { name: 'old-api', match: [{ uri: { prefix: '/v0/' } }], redirect: { uri: '/', redirectCode: 301 } };

/** A shift created by a user, v1 adopted, then a canary to v2 started and at 25 % (as in audit.test.ts). */
const canaryAt25 = (): AuditEvent[] => [
  write('trafficshifts', shift({}), { at: 0, verb: 'create', agent: 'kubectl/v1.36.3 (linux/amd64) kubernetes/sluice-' }),
  ...reconcileWrites(1, ['v1'], { v1: 100 }, { phase: 'Idle', stableVersion: 'v1', weights: { stable: 100, candidate: 0 } }),
  ...reconcileWrites(10, ['v1', 'v2'], { v1: 100, v2: 0 }, progressing(0, { step: -1 })),
  ...reconcileWrites(11, ['v1', 'v2'], { v1: 75, v2: 25 }, progressing(25, { step: 0 })),
];
const ROLLED_BACK = progressing(0, { phase: 'RolledBack', lastGate: gate('Fail', 29) });

describe('audit: user routes', () => {
  it('accepts a user route split like the primary route through a step and a fallback, and a redirect without destinations', () => {
    const log = [
      ...canaryAt25(),
      write('virtualservices', withGameDay({ v1: 75, v2: 25 }), { at: 12 }),
      ...reconcileWrites(30, ['v1', 'v2'], { v1: 100, v2: 0 }, ROLLED_BACK),
      write('virtualservices', withGameDay({ v1: 100, v2: 0 }), { at: 31 }),
    ];
    const object = withGameDay({ v1: 100, v2: 0 }) as { spec: { http: unknown[] } };
    log.push(write('virtualservices', { ...object, spec: { ...object.spec, http: [redirect, ...object.spec.http] } }, { at: 32 }));
    expect(checkWrites(log)).toEqual([]);
  });

  it('flags a user route that gives a fallen-back candidate weight, naming the route', () => {
    const log = [
      ...canaryAt25(),
      ...reconcileWrites(30, ['v1', 'v2'], { v1: 100, v2: 0 }, ROLLED_BACK),
      write('virtualservices', withGameDay({ v1: 100, v2: 0 }, { v1: 75, v2: 25 }), { at: 40, agent: sluiceAgent('a') }),
    ];
    const found = checkWrites(log);
    expect(rules(found)).toEqual(['fallback-sticks']);
    expect(found[0]!.message).toMatch(/^gives v2 25 % after shift shop\/reviews fell back from it/);
  });

  it('flags a user route whose weights do not sum to 100, and one naming a subset the DestinationRule lacks', () => {
    const log = [
      write('destinationrules', dr(['v1']), { at: 0 }),
      write('virtualservices', withGameDay({ v1: 100 }, { v1: 90 }), { at: 1 }),
      write('virtualservices', withGameDay({ v1: 100 }, { v1: 50, v9: 50 }), { at: 2 }),
    ];
    expect(checkWrites(log).map((v) => `${v.rule}: ${v.message}`)).toEqual([
      'weights: spec.http[0] (game-day): weights sum to 90, expected 100',
      'subsets: spec.http[0] (game-day).route[1].destination.subset: "v9" is not a subset of the DestinationRule for reviews.shop.svc.cluster.local at that moment (its subsets are v1)',
    ]);
  });

  it('judges a user route at 100 % for a candidate no status explains (gated-full-traffic), as it judges the primary route', () => {
    const log = [...canaryAt25(), write('virtualservices', withGameDay({ v1: 75, v2: 25 }, { v2: 100 }), { at: 20 })];
    expect(rules(checkWrites(log))).toEqual(['gated-full-traffic']);
  });
});
