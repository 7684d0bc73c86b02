/**
 * Which webhook URLs a shift may name (the operator's --allow-hook-url list, the same rules as
 * Prometheus URLs), and the cluster-wide notification target's settings, with exact sentences.
 */
import * as E from 'fp-ts/Either';
import { ResolvedSpec } from '../../../src/api/spec';
import { hooksPolicy, webhookTarget } from '../../../src/hooks/policy';
import { parseNotifyDefault } from '../../../src/notify/config';
import { parseRunConfig } from '../../../src/daemon/config';
import { canarySpec } from '../core/fixtures';

const withUrls = (...urls: string[]): ResolvedSpec => ({
  ...canarySpec(),
  hooks: {
    signingSecret: { name: 'hooks', key: 'hmac' },
    preStart: urls.map((url, i) => ({ name: `h${i}`, url, timeoutMs: 1000, retries: 0, metadata: {} })),
    preStep: [], during: [], confirmPromotion: [], postPromotion: [], onFallback: [],
  },
});

describe('hooksPolicy', () => {
  const policy = hooksPolicy({ allowHookUrls: ['http://loadtester.*.svc:8080/*', 'https://ci.example.com/hooks/*'] });

  it('allows URLs matching a pattern in their canonical form', () => {
    expect(policy('shop', withUrls('http://loadtester.test.svc:8080/', 'HTTPS://CI.example.com:443/hooks/smoke'), 'reviews')).toEqual([
      'shop/reviews: spec.hooks.preStart[0].url: "http://loadtester.test.svc:8080/" is not an allowed webhook URL (no --allow-hook-url pattern matches); allow it with --allow-hook-url=http://loadtester.test.svc:8080',
    ]);
    expect(policy('shop', withUrls('http://loadtester.test.svc:8080/gate', 'HTTPS://CI.example.com:443/hooks/smoke'), 'reviews')).toEqual([]);
  });

  it('refuses credentials, queries, other schemes and everything without a pattern', () => {
    expect(policy('shop', withUrls('http://u:p@loadtester.test.svc:8080/x', 'https://ci.example.com/hooks/a?x=1', 'file:///etc/passwd'))).toEqual([
      'spec.hooks.preStart[0].url: "http://u:p@loadtester.test.svc:8080/x" carries credentials; the operator configures those in a named connection',
      'spec.hooks.preStart[1].url: "https://ci.example.com/hooks/a?x=1" has a query or a fragment',
      'spec.hooks.preStart[2].url: "file:///etc/passwd" is not http(s) ("file:")',
    ]);
    expect(hooksPolicy({})('shop', withUrls('http://127.0.0.1:9/x'))).toHaveLength(1);
    expect(hooksPolicy({})('shop', canarySpec())).toEqual([]);
  });

  it('keeps the query of a URL from a Secret (a Google Chat key) and never prints that URL', () => {
    const config = { allowHookUrls: ['https://chat.googleapis.com/v1/spaces/*/messages'] };
    expect(webhookTarget(config, 'https://chat.googleapis.com/v1/spaces/AAA/messages?key=k&token=t', 'Secret shop/chat key "g"', { secret: true, query: 'keep' }))
      .toEqual(E.right('https://chat.googleapis.com/v1/spaces/AAA/messages?key=k&token=t'));
    expect(webhookTarget(config, 'https://evil.test/x?token=t0p', 'Secret shop/chat key "g"', { secret: true, query: 'keep' }))
      .toEqual(E.left('Secret shop/chat key "g" (the URL in it) is not an allowed webhook URL (no --allow-hook-url pattern matches); allow it with --allow-hook-url=<pattern>'));
  });
});

describe('the cluster-wide notification target', () => {
  it('needs a provider and $SLUICE_NOTIFY_URL together, and never prints the URL', () => {
    expect(parseNotifyDefault(undefined, undefined, undefined)).toEqual(E.right(undefined));
    expect(parseNotifyDefault('slack', 'warning', 'https://hooks.slack.com/services/T/B/x')).toEqual(E.right({ provider: 'slack', severity: 'warning', url: 'https://hooks.slack.com/services/T/B/x' }));
    expect(parseNotifyDefault('slack', undefined, undefined)).toEqual(E.left('--notify-provider slack needs $SLUICE_NOTIFY_URL (the chart sets it from notify.urlSecret)'));
    expect(parseNotifyDefault(undefined, undefined, 'https://x.test/')).toEqual(E.left('$SLUICE_NOTIFY_URL is set but --notify-provider is not; expected one of slack, teams, googleChat, generic'));
    expect(parseNotifyDefault('discord', undefined, 'https://x.test/')).toEqual(E.left('--notify-provider: "discord" is not one of slack, teams, googleChat, generic'));
    expect(parseNotifyDefault('teams', 'loud', 'https://x.test/')).toEqual(E.left('--notify-severity: "loud" is not one of info, warning, error'));
    expect(parseNotifyDefault('teams', undefined, 'ftp://secret@x.test/')).toEqual(E.left('$SLUICE_NOTIFY_URL is not http(s) ("ftp:")'));
  });

  it('is read by sluice run from its flags and environment, with --allow-hook-url patterns checked', () => {
    const config = parseRunConfig(['--notify-provider', 'googleChat', '--allow-hook-url', 'http://loadtester.*.svc:8080/*'], { SLUICE_NOTIFY_URL: 'https://chat.googleapis.com/v1/spaces/A/messages?key=k' }, { identity: 'x' });
    expect(E.isRight(config) && config.right).toMatchObject({
      allowHookUrls: ['http://loadtester.*.svc:8080/*'],
      notifyDefault: { provider: 'googleChat', severity: 'info', url: 'https://chat.googleapis.com/v1/spaces/A/messages?key=k' },
    });
    expect(parseRunConfig(['--allow-hook-url', 'http://*'], {}, { identity: 'x' })).toEqual(E.left('--allow-hook-url: "http://*" allows every host; name the host (a "*" may stand for part of it)'));
  });
});
