/**
 * The HookRunner with an in-memory receiver (the WebhookClient interface): each distinct call is
 * made once, retried within the hook's bounds, signed over the exact body, refused before any
 * request when the URL is not allowed or the key cannot be read, and never more than one at a
 * time per hook.
 */
import * as E from 'fp-ts/Either';
import { ResolvedHook, ResolvedSpec } from '../../../src/api/spec';
import { HookAnswer, HookCall } from '../../../src/core/types';
import { PostAnswer, PostError, PostRequest, WebhookClient } from '../../../src/hooks/client';
import { createHookRunner, ShiftForHooks } from '../../../src/hooks/runner';
import { SecretReader } from '../../../src/hooks/secrets';
import { verifySignature } from './receiver';
import { canarySpec } from '../core/fixtures';

const KEY = Buffer.from('k3y');
const hook = (over: Partial<ResolvedHook> = {}): ResolvedHook => ({ name: 'smoke', url: 'http://hooks.test/smoke', timeoutMs: 1000, retries: 2, metadata: { suite: 'quick' }, ...over });
const spec = (h: ResolvedHook = hook()): ResolvedSpec => ({
  ...canarySpec({ version: 'v2' }),
  hooks: { signingSecret: { name: 'hooks', key: 'hmac' }, preStart: [h], preStep: [], during: [], confirmPromotion: [], postPromotion: [], onFallback: [] },
});
const shift = (s: ResolvedSpec = spec()): ShiftForHooks => ({
  key: 'shop/reviews', namespace: 'shop', name: 'reviews', spec: s,
  status: { phase: 'Progressing', stableVersion: 'v1', candidateVersion: 'v2', weights: { stable: 100, candidate: 0 }, step: -1, startedAt: '2026-11-20T10:00:00.000Z' },
});
const call: HookCall = { kind: 'preStart', name: 'smoke', occasion: '2026-11-20T10:00:00.000Z', attempt: 1 };

/** A receiver answering each request from `script` in turn (the last repeats); Left = no answer. */
const scripted = (script: E.Either<PostError, PostAnswer>[]) => {
  const requests: PostRequest[] = [];
  let release: (() => void) | undefined;
  const client: WebhookClient = {
    post: (r) => async () => {
      requests.push(r);
      return script[Math.min(requests.length - 1, script.length - 1)]!;
    },
  };
  return { client, requests, hold: () => new Promise<void>((resolve) => (release = resolve)), release: () => release?.() };
};
const secrets = (value: Buffer = KEY): SecretReader => ({ read: () => async () => E.right(value) });
const missingSecret: SecretReader = { read: (ns, ref) => async () => E.left({ _tag: 'SecretUnavailable', message: `Secret ${ns}/${ref.name} does not exist` }) };
const code = (c: number) => E.right({ code: c });
const timeout = E.left<PostError, PostAnswer>({ _tag: 'Timeout', message: 'no answer within 1s' });

const run = async (client: WebhookClient, s = shift(), reader = secrets(), allow = ['http://hooks.test/*']): Promise<HookAnswer[]> => {
  const answered: string[] = [];
  const runner = createHookRunner({ client, secrets: reader, policy: { allowHookUrls: allow }, onAnswer: (k) => answered.push(k), retryDelayMs: 1, now: () => Date.parse('2026-11-20T10:00:05.000Z') });
  runner.request(s, [call]);
  runner.request(s, [call]);
  for (let i = 0; i < 50 && answered.length === 0; i++) await new Promise((r) => setTimeout(r, 2));
  expect(answered).toEqual(['shop/reviews']);
  return [...runner.answers('shop/reviews')];
};

describe('createHookRunner', () => {
  it('makes a call once, signs the exact body, and reports the answer', async () => {
    const r = scripted([code(200)]);
    const [answer, ...rest] = await run(r.client);
    expect(rest).toEqual([]);
    expect(answer).toMatchObject({ ...call, _tag: 'Answered', code: 200, requests: 1 });
    expect(r.requests).toHaveLength(1);
    const sent = r.requests[0]!;
    expect(verifySignature(KEY, sent.body, sent.headers['X-Sluice-Signature']!)).toBe(true);
    expect(sent.headers['X-Sluice-Delivery']).toBe('shop/reviews/preStart/smoke/2026-11-20T10:00:00.000Z/1');
    expect(JSON.parse(sent.body)).toEqual({
      apiVersion: 'sluice.dev/v1alpha1', kind: 'preStart', hook: 'smoke', delivery: 'shop/reviews/preStart/smoke/2026-11-20T10:00:00.000Z/1',
      namespace: 'shop', shift: 'reviews', phase: 'Progressing', versions: { stable: 'v1', candidate: 'v2' }, weights: { stable: 100, candidate: 0 },
      step: -1, lastVerdict: null, occasion: '2026-11-20T10:00:00.000Z', attempt: 1, metadata: { suite: 'quick' }, time: '2026-11-20T10:00:05.000Z',
    });
    expect(sent.timeoutMs).toBe(1000);
  });

  it('retries no answer, 5xx and 429 up to `retries` times, then reports the last', async () => {
    const r = scripted([timeout, code(503), code(429)]);
    const [answer] = await run(r.client);
    expect(r.requests).toHaveLength(3);
    expect(answer).toMatchObject({ _tag: 'Answered', code: 429, requests: 3 });
    const silent = scripted([timeout]);
    const [none] = await run(silent.client, shift(spec(hook({ retries: 1 }))));
    expect(silent.requests).toHaveLength(2);
    expect(none).toMatchObject({ _tag: 'NoAnswer', reason: 'no answer within 1s', requests: 2 });
  });

  it('takes a 4xx or a 202 as the receiver\'s word: no retry', async () => {
    for (const c of [202, 403]) {
      const r = scripted([code(c)]);
      const [answer] = await run(r.client);
      expect(r.requests).toHaveLength(1);
      expect(answer).toMatchObject({ _tag: 'Answered', code: c });
    }
  });

  it('sends nothing when the URL is not allowed or the signing key cannot be read, and says why', async () => {
    const r = scripted([code(200)]);
    const [refused] = await run(r.client, shift(), secrets(), ['http://other.test/*']);
    expect(refused).toMatchObject({
      _tag: 'NoAnswer', requests: 0,
      reason: 'spec.hooks.preStart[0].url: "http://hooks.test/smoke" is not an allowed webhook URL (no --allow-hook-url pattern matches); allow it with --allow-hook-url=http://hooks.test/smoke',
    });
    const [unsigned] = await run(r.client, shift(), missingSecret);
    expect(unsigned).toMatchObject({ _tag: 'NoAnswer', requests: 0, reason: 'not signed: Secret shop/hooks does not exist' });
    expect(r.requests).toEqual([]);
  });

  it('runs one call per hook at a time: a newer call waits until the one in flight ended', async () => {
    const requests: PostRequest[] = [];
    let release!: () => void;
    const client: WebhookClient = { post: (q) => () => (requests.push(q), new Promise((resolve) => (release = () => resolve(E.right({ code: 200 }))))) };
    const runner = createHookRunner({ client, secrets: secrets(), policy: { allowHookUrls: ['http://hooks.test/*'] }, onAnswer: () => undefined });
    runner.request(shift(), [call]);
    await new Promise((r) => setTimeout(r, 5));
    runner.request(shift(), [{ ...call, attempt: 2 }]);
    await new Promise((r) => setTimeout(r, 5));
    expect(requests).toHaveLength(1);
    expect(runner.inFlight()).toBe(1);
    release();
    await new Promise((r) => setTimeout(r, 5));
    runner.request(shift(), [{ ...call, attempt: 2 }]);
    await new Promise((r) => setTimeout(r, 5));
    expect(requests).toHaveLength(2);
    runner.stop();
  });
});
