/**
 * The dashboard's HTTP API on loopback with an in-memory TrafficShift API (the CLI's fixtures):
 * commands are the CLI's annotations, the daemon's answer comes back, and requests another
 * origin could make are refused.
 */
import * as TE from 'fp-ts/TaskEither';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startFeed } from '../../../src/dashboard/feed';
import { createDashboardServer, DashboardKube, listen, RunningDashboard } from '../../../src/dashboard/server';
import { lineChart, niceTop, polyline } from '../../../src/dashboard/web/chart';
import { KubeObject } from '../../../src/kube/objects';
import { memoryShifts, NOW, shift } from '../cli/commandsFixtures';

const answered = (obj: KubeObject, verdict: 'CommandApplied' | 'CommandRejected', message: string): KubeObject => {
  const id = obj.metadata.annotations?.['sluice.dev/command-id'];
  const status = (obj.status ?? {}) as { history?: unknown[] };
  return {
    ...obj,
    metadata: { ...obj.metadata, annotations: {} },
    status: { ...status, lastCommandId: id, history: [...(status.history ?? []), { time: new Date(NOW).toISOString(), event: verdict, message }] },
  };
};

const running: RunningDashboard[] = [];
afterAll(async () => Promise.all(running.map((r) => r.close())));

const start = async (daemon?: (obj: KubeObject) => KubeObject | undefined) => {
  const mem = memoryShifts([shift('shop', 'reviews', { status: { phase: 'Progressing', stableVersion: 'v1', candidateVersion: 'v2', weights: { stable: 80, candidate: 20 } } })], daemon);
  const kube: DashboardKube = {
    shifts: mem.client,
    watch: async (_ns, _onEvent, _onEnd) => () => undefined,
    read: () => TE.left({ _tag: 'NotFound', message: 'no VirtualService' }),
  };
  let clock = NOW;
  const io = { now: () => clock, sleep: async (ms: number) => void (clock += ms), newId: () => 'id0001' };
  const feed = startFeed({ shifts: mem.client, watch: kube.watch, namespace: 'shop', now: io.now, sleep: io.sleep });
  const server = createDashboardServer({ kube, feed, namespace: 'shop', by: 'alice', io, answerTimeoutMs: 5000 });
  const r = await listen(server, '127.0.0.1', 0);
  running.push(r);
  return { url: r.url.replace(/\/$/, ''), mem, port: (server.address() as AddressInfo).port };
};

/** GET /api/shifts with a Host header of our choice (fetch does not let a caller set Host). */
const getWithHost = (port: number, host: string): Promise<{ status: number; body: string }> =>
  new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/api/shifts', headers: { Host: host } }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
  });

const post = (url: string, body: unknown, headers: Record<string, string> = { 'Content-Type': 'application/json' }) =>
  fetch(url, { method: 'POST', headers, body: JSON.stringify(body) });

describe('the dashboard API', () => {
  it('writes a command as the CLI does and reports the daemon\'s rejection with its reason', async () => {
    const { url, mem } = await start((obj) => answered(obj, 'CommandRejected', 'shift-to v9 rejected: no pod carries version v9'));
    const sent = await post(`${url}/api/shifts/shop/reviews/commands`, { action: 'shift-to', value: 'v9' });
    expect(sent.status).toBe(202);
    expect(await sent.json()).toEqual({ id: 'id0001', by: 'alice' });
    expect(mem.patches).toEqual([
      { namespace: 'shop', name: 'reviews', patch: { metadata: { annotations: { 'sluice.dev/command': null, 'sluice.dev/set-weight': null, 'sluice.dev/shift-to': 'v9', 'sluice.dev/by': 'alice', 'sluice.dev/command-id': 'id0001' } } } },
    ]);
    const answer = await (await fetch(`${url}/api/shifts/shop/reviews/commands/id0001`)).json();
    expect(answer).toEqual({ id: 'id0001', outcome: { _tag: 'Rejected', message: 'shift-to v9 rejected: no pod carries version v9' } });
  });

  it('says the daemon is silent when nobody answers within the timeout', async () => {
    const { url } = await start();
    await post(`${url}/api/shifts/shop/reviews/commands`, { action: 'abort' });
    const res = await fetch(`${url}/api/shifts/shop/reviews/commands/id0001`);
    expect(res.status).toBe(504);
    expect(((await res.json()) as any).problem).toEqual({ _tag: 'DaemonSilent', message: 'shop/reviews: no answer from the daemon within 5s; command id0001 is still pending (is "sluice run" running?)' });
  });

  it('refuses a weight out of range before writing anything', async () => {
    const { url, mem } = await start();
    const res = await post(`${url}/api/shifts/shop/reviews/commands`, { action: 'set-weight', value: '140' });
    expect(res.status).toBe(400);
    expect(((await res.json()) as any).problem.message).toBe('weight "140" is not an integer from 0 to 100');
    expect(mem.patches).toEqual([]);
  });

  it('refuses requests another web page could make: form posts, foreign origins, foreign Host names', async () => {
    const { url, mem, port } = await start();
    expect((await post(`${url}/api/shifts/shop/reviews/commands`, { action: 'abort' }, { 'Content-Type': 'text/plain' })).status).toBe(400);
    expect((await post(`${url}/api/shifts/shop/reviews/commands`, { action: 'abort' }, { 'Content-Type': 'application/json', Origin: 'http://evil.example' })).status).toBe(400);
    const rebound = await getWithHost(port, `evil.example:${port}`);
    expect(rebound.status).toBe(400);
    expect(rebound.body).toContain('is not this dashboard\'s address');
    expect(mem.patches).toEqual([]);
    expect((await getWithHost(port, `localhost:${port}`)).status).toBe(200);
  });

  it('serves the overview rows and a shift page whose missing routes are a problem, not a failure', async () => {
    const { url } = await start();
    await new Promise((r) => setTimeout(r, 50));
    const rows = (await (await fetch(`${url}/api/shifts`)).json()) as any;
    expect(rows.rows.map((r: { name: string; weights: unknown }) => [r.name, r.weights])).toEqual([['reviews', { stable: 80, candidate: 20 }]]);
    const page = (await (await fetch(`${url}/api/shifts/shop/reviews`)).json()) as any;
    expect(page.detail.row.candidate).toBe('v2');
    expect(page.routes.virtualService).toEqual({ problem: { _tag: 'NotFound', message: 'no VirtualService' } });
    const none = await fetch(`${url}/api/shifts/shop/nothing`);
    expect(none.status).toBe(404);
  });
});

describe('the SVG charts', () => {
  const x = (t: number) => t;
  const y = (v: number) => 100 - v;
  it('draws weights as a step line held to the end of the range', () => {
    expect(polyline({ label: 'c', points: [[0, 20], [10, 60]], step: true }, x, y, 30)).toBe('0,80 10,80 10,40 30,40');
    expect(polyline({ label: 'c', points: [[0, 20], [10, 60]] }, x, y, 30)).toBe('0,80 10,40');
  });
  it('picks 1, 2 or 5 times a power of ten for the axis top', () => {
    expect([0.013, 0.05, 0.11, 7, 0].map(niceTop)).toEqual([0.02, 0.05, 0.2, 10, 1]);
  });
  it('escapes labels and says when a range has no data', () => {
    const svg = lineChart({ title: 'a<b', series: [{ label: '"x"', points: [] }], start: 0, end: 1, format: String });
    expect(svg).toContain('aria-label="a&lt;b"');
    expect(svg).toContain('no data in this range');
    expect(svg).not.toContain('<b');
  });
});
