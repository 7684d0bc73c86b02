/**
 * Webhooks (spec.hooks) and notifications (spec.notify, --notify-provider) end to end: `sluice run`
 * against the real control plane, with receivers on loopback (node:http) standing in for the
 * acceptance test, the load tool, the change board and the chat services.
 *
 * Given a canary v1 -> v2 with every hook kind and a target in each chat format, when it runs,
 * then each hook is called at its moment with a body signed with the Secret's key, a preStart
 * that passed is not called again by a restarted daemon, confirmPromotion holds 100 % until the
 * receiver answers 200, and the chat receivers get the start, the steps and the promotion in
 * their provider's format — while a chat endpoint that never answers slows no reconcile.
 * Given a failing preStart (500, retried within its bounds) and a `during` hook that hangs, then
 * both shifts fall back, onFallback is told, and the fallback reaches every format, the
 * cluster-wide target and only the error-level targets that want errors.
 */
import * as http from 'node:http';
import { AddressInfo } from 'node:net';
import { startMeshSim, type MeshSim } from '../mesh-sim/sim';
import { verifySignature } from '../unit/hooks/receiver';
import { canarySpec, core, DaemonProcess, deleteNamespace, getIstio, getShift, givenReviews, givenShift, newNamespace, patchShift, startDaemon, waitForPhase, weightsOf } from './daemonFixtures';
import { waitFor } from './env';
import { genericProblems, googleChatProblems, slackProblems, teamsProblems } from '../unit/notify/schemas';

jest.setTimeout(300_000);

const HMAC = 'test-signing-key-\u00e9';

interface Received {
  readonly path: string;
  readonly query: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
  readonly json: any;
  readonly at: number;
}

/** What a receiver answers to one request: a status code, or 'hang' (accept and never answer). */
type Answer = number | 'hang';

interface Receiver {
  readonly base: string;
  readonly got: Received[];
  readonly on: (path: string) => Received[];
  readonly close: () => Promise<void>;
}

const receiver = async (answer: (r: Received, got: readonly Received[]) => Answer = () => 200): Promise<Receiver> => {
  const got: Received[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      let json: unknown;
      try {
        json = JSON.parse(body);
      } catch {
        json = undefined;
      }
      const r: Received = { path: url.pathname, query: url.search, headers: req.headers, body, json, at: Date.now() };
      const a = answer(r, got);
      got.push(r);
      if (a === 'hang') return;
      res.writeHead(a, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    base,
    got,
    on: (path) => got.filter((r) => r.path === path),
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
};

const givenSecret = (namespace: string, data: Record<string, string>) =>
  core.createNamespacedSecret({ namespace, body: { metadata: { name: 'hooks' }, stringData: data } });

const hook = (name: string, url: string, over: Record<string, unknown> = {}) => ({ name, url, ...over });

/** Distinct calls (delivery ids) among requests, in order. */
const deliveries = (rs: readonly Received[]): string[] => [...new Set(rs.map((r) => String(r.headers['x-sluice-delivery'])))];

/** Whether no reconcile of the daemon took 2.5 s or more (a blocking call would take its timeout, 5 s or more). */
const reconcilesStayedQuick = async (d: DaemonProcess): Promise<{ count: number; quick: number }> => ({
  count: (await d.metric('sluice_reconcile_duration_seconds_count', { result: 'ok' })) ?? 0,
  quick: (await d.metric('sluice_reconcile_duration_seconds_bucket', { result: 'ok', le: '2.5' })) ?? 0,
});

describe('hooks and notifications', () => {
  const namespaces: string[] = [];
  const receivers: Receiver[] = [];
  const daemons: DaemonProcess[] = [];
  let sim: MeshSim | undefined;

  afterEach(async () => {
    for (const d of daemons.splice(0)) await d.kill('SIGKILL');
    await sim?.stop();
    sim = undefined;
    for (const r of receivers.splice(0)) await r.close();
    for (const ns of namespaces.splice(0)) await deleteNamespace(ns);
  });

  const listen = async (answer?: (r: Received, got: readonly Received[]) => Answer): Promise<Receiver> => {
    const r = await receiver(answer);
    receivers.push(r);
    return r;
  };
  const daemon = async (namespace: string, identity: string, extra: string[] = [], env: Record<string, string> = {}) => {
    const d = await startDaemon(namespace, identity, extra, env);
    daemons.push(d);
    return d;
  };

  it('calls each hook at its moment, signed; confirmPromotion holds until yes; a restart does not repeat a passed preStart; chat formats arrive; a hanging chat endpoint slows nothing', async () => {
    const namespace = await newNamespace('hooks-ok');
    namespaces.push(namespace);
    await givenReviews(namespace, ['v1', 'v2']);
    // The change board says "not yet" (202) twice, then yes.
    const hooks = await listen((r, got) => (r.path === '/confirm' && got.filter((g) => g.path === '/confirm').length < 2 ? 202 : 200));
    const chat = await listen();
    const slow = await listen(() => 'hang');
    await givenSecret(namespace, {
      hmac: HMAC,
      slack: `${chat.base}/slack`,
      teams: `${chat.base}/teams`,
      gchat: `${chat.base}/gchat?key=k1&token=t1`,
      generic: `${chat.base}/generic`,
    });
    const allow = ['--allow-hook-url', `${hooks.base}/*`, '--allow-hook-url', `${chat.base}/*`];
    // The cluster-wide target is the endpoint that never answers.
    const clusterTarget = ['--notify-provider', 'generic'];
    const slowEnv = { SLUICE_NOTIFY_URL: `${slow.base}/slow` };
    const first = await daemon(namespace, 'sluice-a', [...allow, ...clusterTarget], slowEnv);
    sim = await startMeshSim({ seed: 7, propagationDelayMs: 500, services: [{ namespace, service: 'reviews', rps: 30 }], profiles: [] }, { log: () => undefined });

    const secret = (key: string) => ({ name: 'hooks', key });
    await givenShift(namespace, canarySpec('v1', {
      hooks: {
        signingSecret: secret('hmac'),
        preStart: [hook('smoke', `${hooks.base}/preStart`)],
        preStep: [hook('traffic-ok', `${hooks.base}/preStep`)],
        during: [hook('load', `${hooks.base}/during`, { metadata: { cmd: 'hey -z 10s -q 5 http://reviews.shop:9080/' } })],
        confirmPromotion: [hook('change-board', `${hooks.base}/confirm`)],
        postPromotion: [hook('cd', `${hooks.base}/post`)],
      },
      notify: [
        { provider: 'slack', urlSecret: secret('slack') },
        { provider: 'teams', urlSecret: secret('teams') },
        { provider: 'googleChat', urlSecret: secret('gchat') },
        { provider: 'generic', urlSecret: secret('generic') },
      ],
    }));
    await waitForPhase(namespace, (s) => s.stableVersion === 'v1' && s.phase === 'Idle', 60_000);
    patchShift(namespace, { spec: { version: 'v2' } });

    // Once preStart passed and the first step is taken, the daemon dies and another takes over.
    await waitForPhase(namespace, (s) => (s.step ?? -1) >= 0, 60_000);
    await first.kill('SIGKILL');
    const second = await daemon(namespace, 'sluice-b', [...allow, ...clusterTarget], slowEnv);
    const status = await waitForPhase(namespace, 'Promoted', 180_000);
    await waitFor(() => hooks.on('/post').length > 0 && chat.on('/generic').some((r) => r.json?.event === 'Promoted'), { timeoutMs: 30_000, what: 'postPromotion and the Promoted notification' });

    // Every hook request is signed with the Secret's key over the exact body.
    expect(hooks.got.length).toBeGreaterThan(5);
    for (const r of hooks.got) expect(verifySignature(Buffer.from(HMAC), r.body, String(r.headers['x-sluice-signature']))).toBe(true);
    expect(verifySignature(Buffer.from('another key'), hooks.got[0]!.body, String(hooks.got[0]!.headers['x-sluice-signature']))).toBe(false);

    // preStart: once, before any candidate traffic, and not again after the restart.
    expect(deliveries(hooks.on('/preStart'))).toHaveLength(1);
    expect(hooks.on('/preStart')[0]!.json).toMatchObject({ kind: 'preStart', hook: 'smoke', namespace, shift: 'reviews', phase: 'Progressing', versions: { stable: 'v1', candidate: 'v2' }, weights: { stable: 100, candidate: 0 }, step: -1 });
    // preStep: before each increase, at the weight it is about to leave.
    const steps = hooks.on('/preStep').map((r) => [r.json.occasion.split('/').pop(), r.json.weights.candidate]);
    expect(steps).toEqual(expect.arrayContaining([['step-0', 0], ['step-1', 20]]));
    // during: only while the candidate has traffic, with its metadata.
    expect(hooks.on('/during').length).toBeGreaterThan(0);
    for (const r of hooks.on('/during')) expect(r.json).toMatchObject({ kind: 'during', metadata: { cmd: 'hey -z 10s -q 5 http://reviews.shop:9080/' } });
    expect(Math.min(...hooks.on('/during').map((r) => r.json.weights.candidate))).toBeGreaterThan(0);
    // confirmPromotion: asked until it said 200, at 60 %; 100 % came only after the yes.
    const confirms = hooks.on('/confirm');
    expect(confirms.length).toBeGreaterThanOrEqual(3);
    for (const r of confirms) expect(r.json.weights).toEqual({ stable: 40, candidate: 60 });
    const yes = confirms[2]!.at;
    const promoting = (status.history as { event: string; time: string }[]).find((h) => h.event === 'Promoting');
    expect(Date.parse(promoting!.time)).toBeGreaterThanOrEqual(yes - 1000);
    // postPromotion: after the fact.
    expect(hooks.on('/post')[0]!.json).toMatchObject({ kind: 'postPromotion', phase: 'Promoted', versions: { stable: 'v2', candidate: 'v2' } });
    // Status and history keep the answers and their latency.
    const shift = (await getShift(namespace))!.status!;
    expect(shift.hooks.find((r: any) => r.kind === 'postPromotion')).toMatchObject({ result: 'Pass', code: 200, requests: 1 });
    expect((shift.history as { event: string; message: string }[]).filter((h) => h.event === 'HookFailed').map((h) => h.message)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^confirmPromotion hook change-board answered 202 in \d+ ms$/)]),
    );
    expect(weightsOf(await getIstio(namespace, 'virtualservices'))).toMatchObject({ v2: 100 });

    // Chat: start, steps, promotion, each in its provider's documented format.
    for (const [path, problems] of [['/slack', slackProblems], ['/teams', teamsProblems], ['/gchat', googleChatProblems], ['/generic', genericProblems]] as const) {
      const got = chat.on(path);
      expect(got.length).toBeGreaterThanOrEqual(3);
      for (const r of got) expect(problems(r.json)).toEqual([]);
    }
    expect(chat.on('/generic').map((r) => r.json.event)).toEqual(expect.arrayContaining(['ShiftStarted', 'StepAdvanced', 'Promoted']));
    expect(chat.on('/gchat').every((r) => r.query === '?key=k1&token=t1')).toBe(true);
    expect(JSON.stringify(chat.on('/slack').map((r) => r.json))).toContain('v2 promoted');
    // The endpoint that never answers got messages, dropped them after 5 s each, and no reconcile waited for it.
    expect(slow.got.length).toBeGreaterThan(0);
    await waitFor(async () => ((await second.metric('sluice_notifications_dropped_total', { provider: 'generic', reason: 'unreachable' })) ?? 0) >= 1, { timeoutMs: 30_000, what: 'a dropped notification counted' });
    const timing = await reconcilesStayedQuick(second);
    expect(timing.count).toBeGreaterThan(5);
    expect(timing.quick).toBe(timing.count);
  });

  it('a failing preStart (500, retried within bounds) and a hanging during hook fall back; onFallback, chat formats, the severity filter and the cluster-wide target tell of it', async () => {
    const failingNs = await newNamespace('hooks-pre');
    const hangingNs = await newNamespace('hooks-dur');
    namespaces.push(failingNs, hangingNs);
    await Promise.all([givenReviews(failingNs, ['v1', 'v2']), givenReviews(hangingNs, ['v1', 'v2'])]);
    const hooks = await listen((r) => (r.path === '/preStart' ? 500 : r.path === '/during' ? 'hang' : 200));
    const chat = await listen();
    for (const ns of [failingNs, hangingNs])
      await givenSecret(ns, { hmac: HMAC, slack: `${chat.base}/slack`, teams: `${chat.base}/teams`, gchat: `${chat.base}/gchat` });
    const d = await daemon(failingNs, 'sluice-a', ['--namespace', hangingNs, '--allow-hook-url', `${hooks.base}/*`, '--allow-hook-url', `${chat.base}/*`, '--notify-provider', 'generic', '--notify-severity', 'error'], {
      SLUICE_NOTIFY_URL: `${chat.base}/cluster`,
    });

    const secret = (key: string) => ({ name: 'hooks', key });
    const notify = [
      { provider: 'slack', urlSecret: secret('slack'), severity: 'error' },
      { provider: 'teams', urlSecret: secret('teams') },
      { provider: 'googleChat', urlSecret: secret('gchat') },
    ];
    const onFallback = [hook('pager', `${hooks.base}/onFallback`)];
    await givenShift(failingNs, canarySpec('v1', { hooks: { signingSecret: secret('hmac'), preStart: [hook('acceptance', `${hooks.base}/preStart`, { retries: 2 })], onFallback }, notify }));
    await givenShift(hangingNs, canarySpec('v1', { hooks: { signingSecret: secret('hmac'), during: [hook('smoke', `${hooks.base}/during`, { timeout: '1s', retries: 1 })], onFallback }, notify }));
    for (const ns of [failingNs, hangingNs]) await waitForPhase(ns, (s) => s.stableVersion === 'v1' && s.phase === 'Idle', 60_000);
    for (const ns of [failingNs, hangingNs]) patchShift(ns, { spec: { version: 'v2' } });

    const [pre, dur] = await Promise.all([waitForPhase(failingNs, 'RolledBack', 150_000), waitForPhase(hangingNs, 'RolledBack', 150_000)]);

    // preStart: two calls (failureThreshold 2), each 1 + 2 retries; the candidate never got traffic.
    const preCalls = hooks.on('/preStart').filter((r) => r.json.namespace === failingNs);
    expect(deliveries(preCalls)).toHaveLength(2);
    for (const id of deliveries(preCalls)) expect(preCalls.filter((r) => r.headers['x-sluice-delivery'] === id)).toHaveLength(3);
    expect(pre.conditions.find((c: any) => c.type === 'Progressing').message).toMatch(/^HookFailed: preStart hook acceptance failed 2 times in a row; last: answered 500 in [\d.]+ s after 3 requests; v1 back at 100 %$/);
    expect((pre.history as { weights: { candidate: number } }[]).every((h) => h.weights.candidate === 0)).toBe(true);

    // during: each call 1 + 1 retry of 1 s, no answer: two failed checks, then the fallback.
    const durCalls = hooks.on('/during').filter((r) => r.json.namespace === hangingNs);
    expect(deliveries(durCalls).length).toBeGreaterThanOrEqual(2);
    for (const id of deliveries(durCalls)) expect(durCalls.filter((r) => r.headers['x-sluice-delivery'] === id).length).toBeLessThanOrEqual(2);
    expect(dur.conditions.find((c: any) => c.type === 'Progressing').message).toMatch(/^HookFailed: during hook smoke failed 2 checks in a row; last: no answer after 2 requests in [\d.]+ s: no answer within 1s; v1 back at 100 %$/);

    // onFallback: told once per shift, after the fact.
    await waitFor(() => deliveries(hooks.on('/onFallback')).length === 2, { timeoutMs: 30_000, what: 'onFallback of both shifts' });
    for (const r of hooks.on('/onFallback')) expect(r.json).toMatchObject({ kind: 'onFallback', phase: 'RolledBack', weights: { stable: 100, candidate: 0 } });

    // Chat: the fallback in every format; the error-only Slack target got nothing else; so did the cluster-wide one.
    await waitFor(() => chat.on('/cluster').length >= 2 && chat.on('/slack').length >= 2, { timeoutMs: 30_000, what: 'the fallbacks at the error-level targets' });
    expect(chat.on('/slack').map((r) => slackProblems(r.json))).toEqual([[], []]);
    expect(chat.on('/slack').every((r) => String(r.json.text).includes('fell back to v1'))).toBe(true);
    expect(chat.on('/cluster').map((r) => [r.json.namespace, r.json.event, genericProblems(r.json)]).sort()).toEqual([[failingNs, 'RolledBack', []], [hangingNs, 'RolledBack', []]].sort());
    for (const r of chat.on('/teams')) expect(teamsProblems(r.json)).toEqual([]);
    for (const r of chat.on('/gchat')) expect(googleChatProblems(r.json)).toEqual([]);
    expect(chat.on('/teams').map((r) => r.json.attachments[0].content.body[0].text)).toEqual(expect.arrayContaining([`sluice ${failingNs}/reviews: fell back to v1`, `sluice ${hangingNs}/reviews: fell back to v1`]));

    // Hung and failing receivers held no reconcile up.
    const timing = await reconcilesStayedQuick(d);
    expect(timing.quick).toBe(timing.count);
    expect(await d.metric('sluice_hook_calls_total', { kind: 'during', answer: 'none' })).toBeGreaterThanOrEqual(2);
  });
});
