/**
 * The production Kube against a real local HTTP server standing in for the API server: every call
 * ends within its timeout (a server that never answers), requests carry sluice's User-Agent, and
 * answers map onto the closed KubeError union.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import * as E from 'fp-ts/Either';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { parseRunConfig } from '../../../src/daemon/config';
import { connect, DEFAULT_KUBE_TIMEOUT_MS, makeKube, sluiceVersion, userAgentFor } from '../../../src/kube/client';
import { TRAFFIC_SHIFTS, VIRTUAL_SERVICES } from '../../../src/kube/objects';

interface Seen {
  readonly authorization: string | undefined;
  readonly method: string;
  readonly url: string;
  readonly userAgent: string | undefined;
  readonly contentType: string | undefined;
  readonly body: string;
}

/** A local HTTP server: `answer` decides each response; returning undefined leaves the request hanging. */
const apiServer = async (answer: (req: Seen) => { status: number; body: unknown } | undefined) => {
  const seen: Seen[] = [];
  const hanging: ServerResponse[] = [];
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      const s: Seen = { authorization: req.headers.authorization, method: req.method ?? '', url: req.url ?? '', userAgent: req.headers['user-agent'], contentType: req.headers['content-type'], body };
      seen.push(s);
      const a = answer(s);
      if (!a) return void hanging.push(res);
      res.writeHead(a.status, { 'content-type': 'application/json' }).end(JSON.stringify(a.body));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  // The parts of a KubeConfig the client calls (client-node is an ES module the unit project cannot load).
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const kc = {
    getCurrentCluster: () => ({ name: 'local', server: url, skipTLSVerify: true }),
    applySecurityAuthentication: async (ctx: { setHeaderParam: (k: string, v: string) => void }) => ctx.setHeaderParam('Authorization', 'Bearer t0ken'),
  } as unknown as KubeConfig;
  return {
    kc,
    seen,
    close: () => {
      hanging.forEach((r) => r.destroy());
      server.closeAllConnections();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
};

const vsRef = { resource: VIRTUAL_SERVICES, namespace: 'shop', name: 'reviews' };
const vs = { metadata: { name: 'reviews', namespace: 'shop', resourceVersion: '7' }, spec: { hosts: ['reviews'] } };

describe('kube client: timeouts', () => {
  it('a read the server never answers ends as Timeout after the timeout, with a sentence', async () => {
    const api = await apiServer(() => undefined);
    try {
      const kube = makeKube(connect(api.kc, { timeoutMs: 150 }));
      const started = Date.now();
      const r = await kube.get(vsRef)();
      const took = Date.now() - started;
      expect(r).toEqual(E.left({ _tag: 'Timeout', ref: vsRef, message: 'read VirtualService shop/reviews: no answer from the API server within 150 ms (--kube-timeout); abandoned' }));
      expect(took).toBeGreaterThanOrEqual(140);
      expect(took).toBeLessThan(2_000);
    } finally {
      await api.close();
    }
  });

  it('every write the server never answers ends as Timeout, saying it may have been applied', async () => {
    const api = await apiServer(() => undefined);
    try {
      const kube = makeKube(connect(api.kc, { timeoutMs: 100 }));
      const shiftRef = { resource: TRAFFIC_SHIFTS, namespace: 'shop', name: 'reviews' };
      const results = await Promise.all([
        kube.create(VIRTUAL_SERVICES, vs)(),
        kube.replace(VIRTUAL_SERVICES, vs)(),
        kube.mergePatch(vsRef, { metadata: { labels: { a: 'b' } } })(),
        kube.replaceStatus(shiftRef, { metadata: { name: 'reviews', namespace: 'shop' }, status: {} })(),
      ]);
      expect(results.map((r) => (E.isLeft(r) ? r.left.message : 'answered'))).toEqual([
        'create VirtualService shop/reviews: no answer from the API server within 100 ms (--kube-timeout); abandoned; it may or may not have been applied',
        'update VirtualService shop/reviews: no answer from the API server within 100 ms (--kube-timeout); abandoned; it may or may not have been applied',
        'patch VirtualService shop/reviews: no answer from the API server within 100 ms (--kube-timeout); abandoned; it may or may not have been applied',
        'update status of TrafficShift shop/reviews: no answer from the API server within 100 ms (--kube-timeout); abandoned; it may or may not have been applied',
      ]);
      expect(results.every((r) => E.isLeft(r) && r.left._tag === 'Timeout')).toBe(true);
    } finally {
      await api.close();
    }
  });

  it("a call whose signal aborts is abandoned at once as NotLeader (fencing's in-flight abort)", async () => {
    const api = await apiServer(() => undefined);
    try {
      const kube = makeKube(connect(api.kc, { timeoutMs: 10_000 }));
      const ended = new AbortController();
      setTimeout(() => ended.abort(), 50);
      const started = Date.now();
      const r = await kube.replace(VIRTUAL_SERVICES, vs, { signal: ended.signal })();
      expect(Date.now() - started).toBeLessThan(2_000);
      expect(r).toEqual(E.left({
        _tag: 'NotLeader', ref: vsRef,
        message: "update VirtualService shop/reviews: abandoned in flight: this replica's leadership ended (the lease was not renewed within --renew-deadline); it may or may not have been applied",
      }));
    } finally {
      await api.close();
    }
  });

  it('defaults to 10 s, and --kube-timeout / $SLUICE_KUBE_TIMEOUT set it', () => {
    expect(DEFAULT_KUBE_TIMEOUT_MS).toBe(10_000);
    const parse = (argv: string[], env: Record<string, string> = {}) => parseRunConfig(argv, env, { identity: 'host_1' });
    expect(parse([])).toMatchObject(E.right({}));
    expect(E.isRight(parse([])) && (parse([]) as E.Right<{ kubeTimeoutMs?: number }>).right.kubeTimeoutMs).toBeUndefined();
    expect(parse(['--kube-timeout', '3s'])).toMatchObject(E.right({ kubeTimeoutMs: 3_000 }));
    expect(parse([], { SLUICE_KUBE_TIMEOUT: '500ms' })).toMatchObject(E.right({ kubeTimeoutMs: 500 }));
    expect(parse(['--kube-timeout', 'soon'])).toEqual(E.left('--kube-timeout: "soon" is not a duration (expected e.g. "15s")'));
  });
});

describe('kube client: requests', () => {
  it('sends every call authenticated by the kubeconfig, with User-Agent sluice/<version> (<identity>), to the object\'s path, as sluice\'s field manager', async () => {
    const api = await apiServer((req) => ({ status: 200, body: { ...vs, echo: req.url } }));
    try {
      const kube = makeKube(connect(api.kc, { userAgent: userAgentFor('sluice-7d9f-x2') }));
      await kube.get(vsRef)();
      await kube.create(VIRTUAL_SERVICES, vs)();
      await kube.replace(VIRTUAL_SERVICES, vs)();
      await kube.mergePatch(vsRef, { metadata: { annotations: { a: null } } })();
      await kube.replaceStatus({ resource: TRAFFIC_SHIFTS, namespace: 'shop', name: 'reviews' }, { metadata: { name: 'reviews', namespace: 'shop' }, status: { phase: 'Idle' } })();
      const ua = `sluice/${sluiceVersion()} (sluice-7d9f-x2)`;
      expect(api.seen.map((s) => [s.method, s.url, s.userAgent, s.contentType])).toEqual([
        ['GET', '/apis/networking.istio.io/v1/namespaces/shop/virtualservices/reviews', ua, undefined],
        ['POST', '/apis/networking.istio.io/v1/namespaces/shop/virtualservices?fieldManager=sluice', ua, 'application/json'],
        ['PUT', '/apis/networking.istio.io/v1/namespaces/shop/virtualservices/reviews?fieldManager=sluice', ua, 'application/json'],
        ['PATCH', '/apis/networking.istio.io/v1/namespaces/shop/virtualservices/reviews?fieldManager=sluice', ua, 'application/merge-patch+json'],
        ['PUT', '/apis/sluice.dev/v1alpha1/namespaces/shop/trafficshifts/reviews/status?fieldManager=sluice', ua, 'application/json'],
      ]);
      expect(api.seen.every((s) => s.authorization === 'Bearer t0ken')).toBe(true); // the kubeconfig's authentication
      expect(JSON.parse(api.seen[2]!.body)).toEqual({ ...vs, apiVersion: 'networking.istio.io/v1', kind: 'VirtualService' });
      expect(JSON.parse(api.seen[3]!.body)).toEqual({ metadata: { annotations: { a: null } } });
      expect(sluiceVersion()).toMatch(/^\d+\.\d+\.\d+/);
      const version = await connect(api.kc).send({ method: 'GET', path: '/version' });
      expect(version.headers['content-type']).toBe('application/json');
      expect(Date.parse(version.headers.date!)).toBeGreaterThan(0); // the server's clock, for kube/serverClock.ts
    } finally {
      await api.close();
    }
  });

  it('maps answers onto the closed error union with the server\'s words', async () => {
    const status = (code: number, message: string) => ({ status: code, body: { kind: 'Status', code, message } });
    const answers = [status(404, 'not there'), status(409, 'the object has been modified'), status(403, 'no RBAC'), status(422, 'bad weight'), status(503, 'etcd down')];
    const api = await apiServer(() => answers.shift());
    try {
      const kube = makeKube(connect(api.kc));
      const tags: string[] = [];
      for (let i = 0; i < 5; i++) {
        const r = await kube.replace(VIRTUAL_SERVICES, vs)();
        tags.push(E.isLeft(r) ? `${r.left._tag}: ${r.left.message}` : 'ok');
      }
      expect(tags).toEqual([
        'NotFound: update VirtualService shop/reviews: not found (404): not there',
        'Conflict: update VirtualService shop/reviews: the object changed since it was read (409): the object has been modified',
        'Forbidden: update VirtualService shop/reviews: not allowed (403); check the sluice ClusterRole: no RBAC',
        'Invalid: update VirtualService shop/reviews: rejected by the API server (422): bad weight',
        'Unavailable: update VirtualService shop/reviews: the API server is unavailable (503): etcd down',
      ]);
    } finally {
      await api.close();
    }
  });

  it('an unreachable server is Unavailable, saying why', async () => {
    const api = await apiServer(() => undefined);
    await api.close(); // nothing listens on the port any more
    const r = await makeKube(connect(api.kc)).get(vsRef)();
    expect(E.isLeft(r) && r.left._tag).toBe('Unavailable');
    expect(E.isLeft(r) && r.left.message).toMatch(/^read VirtualService shop\/reviews: the API server could not be reached: fetch failed: .*ECONNREFUSED/);
  });

  it('userAgentFor keeps the header printable and the identity inside one pair of parentheses', () => {
    expect(userAgentFor('pod-1', '1.2.3')).toBe('sluice/1.2.3 (pod-1)');
    expect(userAgentFor('host (é)', '1.2.3')).toBe('sluice/1.2.3 (host ___)');
  });
});
