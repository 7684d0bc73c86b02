/**
 * Notifications in each provider's format follow that provider's documented rules
 * (./schemas.ts cites them), for every kind of message sluice sends and for hostile text, and
 * carry the verdict's numbers for a fallback.
 */
import { Notification, notificationsOf, atLeast } from '../../../src/notify/messages';
import { factsOf, formatFor, googleChatMessage, slackMessage, teamsMessage, titleOf } from '../../../src/notify/providers';
import { canarySpec, command, failing, passing, pods, SEC, Shift } from '../core/fixtures';
import { genericProblems, googleChatProblems, slackProblems, teamsProblems } from './schemas';

const fallbackDecision = () => {
  const shift = Shift.adopted(canarySpec()).startShift('v2');
  shift.checkAfter(30 * SEC, failing);
  return shift.checkAfter(30 * SEC, failing);
};

const base: Notification = {
  apiVersion: 'sluice.dev/v1alpha1',
  event: 'RolledBack',
  severity: 'error',
  namespace: 'shop',
  shift: 'reviews',
  message: 'GateFailed: v2 failed 2 checks in a row; last: v2 failed 61 of 200 requests (30.5 %) in 30s; limit 1 %; v1 back at 100 %',
  phase: 'RolledBack',
  versions: { stable: 'v1', candidate: 'v2' },
  weights: { stable: 100, candidate: 0 },
  step: 0,
  lastVerdict: { result: 'Fail', version: 'v2', requests: 200, errors: 61, errorRate: 0.305, threshold: 0.01, window: '30s', time: '2026-11-20T10:01:01.000Z', message: 'x' },
  time: '2026-11-20T10:01:01.000Z',
};

describe('notificationsOf', () => {
  it('turns a fallback into one error notification with the verdict numbers, and a gate check into none', () => {
    const shift = Shift.adopted(canarySpec()).startShift('v2');
    const check = shift.checkAfter(30 * SEC, failing);
    expect(notificationsOf('shop', 'reviews', check)).toEqual([]);
    const rolled = shift.checkAfter(30 * SEC, failing);
    const [n, ...rest] = notificationsOf('shop', 'reviews', rolled);
    expect(rest).toEqual([]);
    expect(n).toMatchObject({ event: 'RolledBack', severity: 'error', phase: 'RolledBack', versions: { stable: 'v1', candidate: 'v2' }, lastVerdict: { result: 'Fail', requests: 200, errors: 61 } });
    expect(n!.message).toContain('61 of 200 requests (30.5 %)');
  });

  it('names who gave a command, and tells start, steps and promotion as info', () => {
    const shift = Shift.adopted(canarySpec()).setPods('v2', pods(3)).setVersion('v2');
    expect(notificationsOf('shop', 'reviews', shift.reconcile()).map((n) => [n.event, n.severity])).toEqual([['ShiftStarted', 'info']]);
    expect(notificationsOf('shop', 'reviews', shift.advance(SEC).reconcile()).map((n) => n.event)).toEqual(['StepAdvanced']);
    const paused = shift.advance(SEC).reconcile({ command: command('c1', 'pause', { by: 'alice' }) });
    expect(notificationsOf('shop', 'reviews', paused)).toMatchObject([{ event: 'CommandApplied', by: 'alice', severity: 'info' }]);
    shift.advance(SEC).reconcile({ command: command('c2', 'promote', { by: 'bob' }) });
    const promoted = shift.advance(SEC).reconcile({ gate: passing('v2', shift.now) });
    expect(notificationsOf('shop', 'reviews', promoted).map((n) => n.event)).toEqual(['Promoted']);
  });

  it('severity filter: error reaches only error targets and above; info reaches every target', () => {
    expect(atLeast('error', 'warning')).toBe(true);
    expect(atLeast('info', 'warning')).toBe(false);
    expect(atLeast('info', 'info')).toBe(true);
  });
});

describe('provider formats', () => {
  const events = ['ShiftStarted', 'StepAdvanced', 'Switched', 'Promoted', 'RolledBack', 'CommandApplied', 'CommandRejected', 'ProgressDeadlineApproaching'];
  const all: Notification[] = events.map((event) => ({ ...base, event, ...(event.startsWith('Command') ? { by: 'alice' } : {}) }));
  const hostile: Notification = {
    ...base,
    message: `<!channel> & <https://evil.example|click> ${'x'.repeat(5000)}`,
    versions: { stable: '<b>v1</b>', candidate: 'v2&'.repeat(30) },
    shift: 'r'.repeat(63),
    namespace: 'n'.repeat(63),
  };

  it.each([...all, hostile].map((n) => [n.event, n] as const))('%s follows Slack Block Kit, Adaptive Card (Teams), Google Chat cards v2 and the generic shape', (_e, n) => {
    expect(slackProblems(slackMessage(n))).toEqual([]);
    expect(teamsProblems(teamsMessage(n))).toEqual([]);
    expect(googleChatProblems(googleChatMessage(n))).toEqual([]);
    expect(genericProblems(formatFor('generic', n))).toEqual([]);
  });

  it('the checks can fail: each catches a broken message', () => {
    const slack = slackMessage(base);
    expect(slackProblems({ ...slack, blocks: [{ type: 'header', text: { type: 'mrkdwn', text: 'x'.repeat(151) } }] })).toEqual([
      'message.blocks[0].text.type: is not one of plain_text',
      'message.blocks[0].text.text: has 151 characters; at most 150',
    ]);
    const teams = teamsMessage(base);
    const card = teams.attachments[0]!.content;
    expect(teamsProblems({ ...teams, attachments: [{ ...teams.attachments[0], content: { ...card, body: [{ type: 'TextBlock', color: 'Red' }] } }] })).toEqual([
      'message.attachments[0].content.body[0].text: is required',
      'message.attachments[0].content.body[0].color: is not one of Default, Dark, Light, Accent, Good, Warning, Attention',
    ]);
    expect(googleChatProblems({ cardsV2: [{ cardId: 'a', card: { sections: [{ widgets: [{ textParagraph: { text: 'a' }, decoratedText: { text: 'b' } }] }] } }] })).toEqual([
      'message.cardsV2[0].card.sections[0].widgets[0]: holds 2 kinds of widget; exactly one',
    ]);
  });

  it('escapes markup from the shift in Slack and Google Chat text, and keeps the numbers in facts', () => {
    const slack = JSON.stringify(slackMessage(hostile));
    expect(slack).not.toContain('<!channel>');
    expect(slack).toContain('&lt;!channel&gt; &amp;');
    // Widget text is formatted (an HTML subset); the header title is plain text.
    expect(JSON.stringify(googleChatMessage(hostile).cardsV2[0]!.card.sections)).not.toContain('<b>');
    expect(factsOf(base)).toEqual([
      { title: 'Phase', value: 'RolledBack' },
      { title: 'Weights', value: 'v1 100 %' },
      { title: 'Step', value: '1' },
      { title: 'Last verdict', value: 'Fail: 61 of 200 requests failed (30.5 %) in 30s; limit 1 %' },
    ]);
    expect(titleOf(base)).toBe('sluice shop/reviews: fell back to v1');
  });

  it('a real fallback decision formats without problems in every provider', () => {
    for (const n of notificationsOf('shop', 'reviews', fallbackDecision())) {
      expect(slackProblems(formatFor('slack', n))).toEqual([]);
      expect(teamsProblems(formatFor('teams', n))).toEqual([]);
      expect(googleChatProblems(formatFor('googleChat', n))).toEqual([]);
    }
  });
});
