/**
 * The notifier with an in-memory chat endpoint: publish never waits for the endpoint, each
 * target's queue is bounded (the oldest message goes, counted), a target's severity floor and the
 * operator's allow-list apply, and a URL read from a Secret is never printed.
 */
import * as E from 'fp-ts/Either';
import { ResolvedSpec } from '../../../src/api/spec';
import { PostAnswer, PostError, PostRequest, WebhookClient } from '../../../src/hooks/client';
import { SecretReader } from '../../../src/hooks/secrets';
import { createNotifier, DropReason } from '../../../src/notify/notifier';
import { canarySpec, failing, pods, SEC, Shift } from '../core/fixtures';

const spec: ResolvedSpec = {
  ...canarySpec(),
  notify: [
    { provider: 'slack', urlSecret: { name: 'chat', key: 'slack' }, severity: 'error' },
    { provider: 'teams', urlSecret: { name: 'chat', key: 'teams' }, severity: 'info' },
  ],
};
const urls: Record<string, string> = { slack: 'https://hooks.slack.test/services/T0/B0/secret-token', teams: 'https://teams.test/webhookb2/secret' };
const secrets: SecretReader = { read: (_ns, ref) => async () => E.right(Buffer.from(urls[ref.key] ?? '')) };

interface Sent { readonly url: string; readonly body: any }

const setup = (answer: (r: PostRequest) => Promise<E.Either<PostError, PostAnswer>>, allow = ['https://hooks.slack.test/services/*/*/*', 'https://teams.test/webhookb2/*'], queueLimit = 50) => {
  const sent: Sent[] = [];
  const drops: [string, DropReason][] = [];
  const warnings: Record<string, unknown>[] = [];
  const client: WebhookClient = { post: (r) => () => (sent.push({ url: r.url, body: JSON.parse(r.body) }), answer(r)) };
  const notifier = createNotifier({
    client, secrets, policy: { allowHookUrls: allow }, queueLimit,
    defaultTarget: { provider: 'generic', url: 'http://cluster.test/all', severity: 'info' },
    sent: () => undefined, dropped: (p, reason) => drops.push([p, reason]), warn: (msg, fields) => warnings.push({ msg, ...fields }),
  });
  return { notifier, sent, drops, warnings };
};
const ok = async () => E.right({ code: 200 });
const settle = () => new Promise((r) => setTimeout(r, 20));

/** A shift started, then fallen back: three decisions with notifications (start, step, fallback). */
const decisions = () => {
  const shift = Shift.adopted(canarySpec()).setPods('v2', pods(3)).setVersion('v2');
  const out = [shift.reconcile(), shift.advance(SEC).reconcile()];
  shift.checkAfter(30 * SEC, failing);
  out.push(shift.checkAfter(30 * SEC, failing));
  return out;
};
const where = { namespace: 'shop', name: 'reviews', spec };

describe('createNotifier', () => {
  it('sends each notification to every target whose severity floor it reaches, in order', async () => {
    const { notifier, sent } = setup(ok);
    for (const d of decisions()) notifier.publish(where, d);
    await settle();
    const to = (prefix: string) => sent.filter((s) => s.url.startsWith(prefix));
    expect(to('http://cluster.test/').map((s) => s.body.event)).toEqual(['ShiftStarted', 'StepAdvanced', 'RolledBack']);
    expect(to('https://teams.test/')).toHaveLength(3);
    expect(to('https://hooks.slack.test/').map((s) => s.body.text)).toEqual([expect.stringContaining('fell back to v1')]);
    expect(notifier.pending()).toBe(0);
  });

  it('returns at once while an endpoint hangs, keeps at most queueLimit messages per target and counts the dropped', async () => {
    const { notifier, sent, drops } = setup(() => new Promise(() => undefined), undefined, 2);
    const started = Date.now();
    for (let i = 0; i < 5; i++) for (const d of decisions()) notifier.publish(where, d);
    expect(Date.now() - started).toBeLessThan(500);
    await settle();
    // One message in flight per target, two waiting; 15 published to the cluster target.
    expect(sent.filter((s) => s.url.startsWith('http://cluster.test/'))).toHaveLength(1);
    expect(drops.filter(([p, r]) => p === 'generic' && r === 'queue_full')).toHaveLength(12);
    notifier.stop();
  });

  it('refuses a Secret URL outside the allow-list without printing it, and counts it', async () => {
    const { notifier, sent, drops, warnings } = setup(ok, ['https://teams.test/webhookb2/*']);
    for (const d of decisions()) notifier.publish(where, d);
    await settle();
    expect(sent.some((s) => s.url.includes('slack'))).toBe(false);
    expect(drops).toEqual([['slack', 'not_allowed']]);
    expect(JSON.stringify(warnings)).not.toContain('secret-token');
    expect(warnings[0]).toMatchObject({
      target: 'shop/chat/slack/slack',
      reason: 'not_allowed',
      error: 'Secret shop/chat key "slack" (the URL in it) is not an allowed webhook URL (no --allow-hook-url pattern matches); allow it with --allow-hook-url=<pattern>',
    });
  });

  it('counts an endpoint that refuses or cannot be reached, and logs it once per trouble', async () => {
    const { notifier, drops, warnings } = setup(async (r) => (r.url.startsWith('http://cluster') ? E.left({ _tag: 'Unreachable', message: 'could not connect: ECONNREFUSED' }) : E.right({ code: 500 })));
    for (const d of decisions()) notifier.publish(where, d);
    await settle();
    expect(drops.filter(([, r]) => r === 'unreachable')).toHaveLength(3);
    expect(drops.filter(([, r]) => r === 'refused')).toHaveLength(4);
    expect(warnings.map((w) => `${w.target} ${w.reason}`).sort()).toEqual(['default/generic unreachable', 'shop/chat/slack/slack refused', 'shop/chat/teams/teams refused']);
  });
});
