import { ExistingHTTPRoute, ExistingService, planGatewayRelease, planGatewayWrites, renderGateway } from '../../../src/gateway';
import { RouteIntent } from '../../../src/core/types';
import { gatewayShift, parent } from './fixtures';

const shift = gatewayShift();
const owner = { name: 'reviews', service: 'reviews' };
const intent = (candidate?: string, weight = 0): RouteIntent => ({ stable: 'v1', ...(candidate ? { candidate } : {}), weights: { stable: 100 - weight, candidate: weight }, preview: false });
const render = (i: RouteIntent) => renderGateway(shift, i, parent);
/** The objects of `i` as the API server would hold them after they were written. */
const existing = (i: RouteIntent, rv = '7'): { httpRoute: ExistingHTTPRoute; services: Map<string, ExistingService> } => {
  const r = render(i);
  return {
    httpRoute: JSON.parse(JSON.stringify({ ...r.httpRoute, metadata: { ...r.httpRoute.metadata, resourceVersion: rv } })),
    services: new Map(r.services.map((s) => [s.metadata.name, JSON.parse(JSON.stringify({ ...s, metadata: { ...s.metadata, resourceVersion: rv } }))])),
  };
};
const summary = (p: ReturnType<typeof planGatewayWrites>) => p.writes.map((w) => `${w.op} ${w.kind} ${w.name}`);
const allReady = () => true;

describe('planGatewayWrites', () => {
  it('creates the Services first and waits with the route until a weighted backend exists with ready endpoints', () => {
    const first = planGatewayWrites({ services: new Map() }, render(intent()), owner, allReady);
    expect(summary(first)).toEqual(['create Service reviews-v1']);
    expect(first.waitingFor).toEqual(['reviews-v1']);
    const cur = existing(intent());
    const second = planGatewayWrites({ services: cur.services }, render(intent()), owner, allReady);
    expect(summary(second)).toEqual(['create HTTPRoute reviews']);
  });

  it('writes a candidate at weight 0 in the same pass as its Service, since no request reaches it', () => {
    const cur = existing(intent());
    const p = planGatewayWrites(cur, render(intent('v2', 0)), owner, allReady);
    expect(summary(p)).toEqual(['create Service reviews-v2', 'update HTTPRoute reviews']);
    expect(p.waitingFor).toEqual([]);
  });

  it('holds a weight for a Service without ready endpoints and writes nothing when nothing changes', () => {
    const cur = existing(intent('v2', 0));
    const held = planGatewayWrites(cur, render(intent('v2', 10)), owner, (n) => n !== 'reviews-v2');
    expect(summary(held)).toEqual([]);
    expect(held.waitingFor).toEqual(['reviews-v2']);
    expect(summary(planGatewayWrites(cur, render(intent('v2', 0)), owner, allReady))).toEqual([]);
  });

  it('deletes a Service only after the route that named it moved on, guarded by its resourceVersion', () => {
    const cur = existing(intent('v2', 0));
    const p = planGatewayWrites(cur, render(intent()), owner, allReady);
    expect(p.writes.map((w) => (w.op === 'delete' ? `${w.op} ${w.name} at ${w.resourceVersion}` : `${w.op} ${w.kind}`))).toEqual(['update HTTPRoute', 'delete reviews-v2 at 7']);
    // while the route waits, a Service the route in place still names stays
    const waiting = planGatewayWrites({ ...cur, services: new Map([...cur.services]) }, render(intent('v3', 10)), owner, allReady);
    expect(summary(waiting)).toEqual(['create Service reviews-v3']);
  });

  it('never deletes a Service another shift or a person owns', () => {
    const cur = existing(intent('v2', 0));
    const foreign = { ...cur.services.get('reviews-v2')!, metadata: { ...cur.services.get('reviews-v2')!.metadata, labels: { 'sluice.dev/service': 'reviews' } } };
    const p = planGatewayWrites({ ...cur, services: new Map([...cur.services, ['reviews-v2', foreign]]) }, render(intent()), owner, allReady);
    expect(summary(p)).toEqual(['update HTTPRoute reviews']);
  });

  it('patches a Service whose selector or ports drifted, with the resourceVersion read', () => {
    const cur = existing(intent());
    const drifted = new Map(cur.services);
    drifted.set('reviews-v1', { ...cur.services.get('reviews-v1')!, spec: { ...cur.services.get('reviews-v1')!.spec, selector: { app: 'reviews' } } });
    const p = planGatewayWrites({ ...cur, services: drifted }, render(intent()), owner, allReady);
    expect(p.writes).toEqual([{
      op: 'patch', kind: 'Service', name: 'reviews-v1', namespace: 'shop', why: 'set the ports and selector of Service reviews-v1',
      patch: { metadata: { resourceVersion: '7', labels: render(intent()).services[0]!.metadata.labels }, spec: { ports: parent.ports, selector: { app: 'reviews', version: 'v1' } } },
    }]);
    expect(p.waitingFor).toEqual(['reviews-v1']);
  });
});

describe('planGatewayRelease', () => {
  it('pins the route to one version in one write, then deletes the Services it no longer names', () => {
    const shiftBg = gatewayShift({ strategy: { blueGreen: { previewMatch: { headers: { 'x-preview': { exact: '1' } } } } } });
    const r = renderGateway(shiftBg, { stable: 'v1', candidate: 'v2', weights: { stable: 100, candidate: 0 }, preview: true }, parent);
    const cur = {
      httpRoute: JSON.parse(JSON.stringify({ ...r.httpRoute, metadata: { ...r.httpRoute.metadata, resourceVersion: '3' } })) as ExistingHTTPRoute,
      services: new Map(r.services.map((s) => [s.metadata.name, JSON.parse(JSON.stringify({ ...s, metadata: { ...s.metadata, resourceVersion: '3' } })) as ExistingService])),
    };
    const writes = planGatewayRelease(cur, 'reviews-v1', owner);
    expect(writes.map((w) => `${w.op} ${w.kind} ${w.name}`)).toEqual(['update HTTPRoute reviews', 'delete Service reviews-v2']);
    const pinned = (writes[0] as unknown as { object: { spec: { rules: { name: string; backendRefs: { name: string; weight: number }[] }[] } } }).object;
    expect(pinned.spec.rules.map((x) => [x.name, x.backendRefs.map((b) => [b.name, b.weight])])).toEqual([['primary', [['reviews-v1', 100]]]]);
  });

  it('leaves the route as it is when the pinned version has no Service', () => {
    const cur = existing(intent());
    expect(planGatewayRelease(cur, 'reviews-v9', owner)).toEqual([]);
  });
});
