/**
 * A Notification in each target's format. Pure. The shapes follow each provider's documentation
 * (checked in test/unit/notify/providers.test.ts against the documented rules):
 *   - slack: an incoming-webhook message with Block Kit blocks (header, section, section fields,
 *     context) and `text` as the notification fallback — docs.slack.dev/reference/block-kit/blocks;
 *   - teams: an incoming-webhook message whose one attachment is an Adaptive Card (1.4: TextBlock,
 *     FactSet) — learn.microsoft.com "Send Adaptive Cards using an Incoming Webhook",
 *     adaptivecards.io/schemas/adaptive-card.json;
 *   - googleChat: a webhook message with one card v2 (header, a section of textParagraph and
 *     decoratedText widgets) — developers.google.com/workspace/chat/api/reference/rest/v1/cards;
 *   - generic: the Notification itself as JSON.
 * Text from the shift (versions, messages, names) is escaped for each format's markup, and
 * clipped to each format's limits.
 */
import { NotifyProvider, Severity } from '../api/spec';
import { showNumber, showPercent } from '../core/gate';
import { Notification } from './messages';

interface Fact {
  readonly title: string;
  readonly value: string;
}

const clip = (text: string, max: number): string => (text.length <= max ? text : `${text.slice(0, max - 1)}…`);

const what = (n: Notification): string => {
  const candidate = n.versions.candidate ?? 'the candidate';
  switch (n.event) {
    case 'ShiftStarted':
      return `shift to ${candidate} started`;
    case 'StepAdvanced':
      return `${candidate} at ${n.weights.candidate} %`;
    case 'Switched':
      return `${candidate} switched to 100 %`;
    case 'Promoted':
      return `${n.versions.stable} promoted`;
    case 'RolledBack':
      return `fell back to ${n.versions.stable}`;
    case 'CommandApplied':
      return `command by ${n.by ?? 'someone'}`;
    case 'CommandRejected':
      return `command by ${n.by ?? 'someone'} rejected`;
    case 'ProgressDeadlineApproaching':
      return `${candidate} is stuck; progress deadline approaching`;
    default:
      return n.event;
  }
};

/** "sluice shop/reviews: fell back to v1". */
export const titleOf = (n: Notification): string => `sluice ${n.namespace}/${n.shift}: ${what(n)}`;

const verdictOf = (n: Notification): string | undefined => {
  const g = n.lastVerdict;
  if (g === null) return undefined;
  if (g.requests === undefined || g.errors === undefined) return `${g.result}: ${g.message}`;
  return `${g.result}: ${showNumber(g.errors)} of ${showNumber(g.requests)} requests failed (${showPercent(g.errorRate ?? 0)}) in ${g.window}; limit ${showPercent(g.threshold)}`;
};

/** The numbers beside the message: phase, weights, step, last verdict, who. */
export const factsOf = (n: Notification): readonly Fact[] => {
  const weights = n.versions.candidate !== null && n.weights.candidate > 0
    ? `${n.versions.stable} ${n.weights.stable} %, ${n.versions.candidate} ${n.weights.candidate} %`
    : `${n.versions.stable} 100 %`;
  const verdict = verdictOf(n);
  return [
    { title: 'Phase', value: n.phase ?? 'none' },
    { title: 'Weights', value: weights },
    ...(n.step !== null && n.step >= 0 ? [{ title: 'Step', value: String(n.step + 1) }] : []),
    ...(verdict !== undefined ? [{ title: 'Last verdict', value: verdict }] : []),
    ...(n.by !== undefined ? [{ title: 'By', value: n.by }] : []),
  ];
};

// ---- Slack: Block Kit ----------------------------------------------------------------------------

/** Slack's mrkdwn reserves &, < and > (docs.slack.dev "Formatting text for app surfaces"). */
const slackEscape = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

const SLACK_EMOJI: Readonly<Record<Severity, string>> = { info: ':information_source:', warning: ':warning:', error: ':rotating_light:' };

export const slackMessage = (n: Notification) => ({
  text: clip(slackEscape(`${titleOf(n)}: ${n.message}`), 3000),
  blocks: [
    { type: 'header', text: { type: 'plain_text', text: clip(titleOf(n), 150), emoji: true } },
    { type: 'section', text: { type: 'mrkdwn', text: clip(`${SLACK_EMOJI[n.severity]} ${slackEscape(n.message)}`, 3000) } },
    { type: 'section', fields: factsOf(n).slice(0, 10).map((f) => ({ type: 'mrkdwn', text: clip(`*${f.title}*\n${slackEscape(f.value)}`, 2000) })) },
    { type: 'context', elements: [{ type: 'mrkdwn', text: clip(`${n.severity} · ${n.event} · ${n.time}`, 3000) }] },
  ],
});

// ---- Microsoft Teams: an Adaptive Card in an incoming-webhook message -----------------------------

const TEAMS_COLOR: Readonly<Record<Severity, 'Default' | 'Warning' | 'Attention'>> = { info: 'Default', warning: 'Warning', error: 'Attention' };

export const teamsMessage = (n: Notification) => ({
  type: 'message',
  attachments: [
    {
      contentType: 'application/vnd.microsoft.card.adaptive',
      contentUrl: null,
      content: {
        $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
        type: 'AdaptiveCard',
        version: '1.4',
        fallbackText: `${titleOf(n)}: ${n.message}`,
        body: [
          { type: 'TextBlock', text: titleOf(n), size: 'Medium', weight: 'Bolder', color: TEAMS_COLOR[n.severity], wrap: true },
          { type: 'TextBlock', text: n.message, wrap: true },
          { type: 'FactSet', facts: factsOf(n).map((f) => ({ title: f.title, value: f.value })) },
          { type: 'TextBlock', text: `${n.severity} · ${n.event} · ${n.time}`, isSubtle: true, size: 'Small', wrap: true },
        ],
      },
    },
  ],
});

// ---- Google Chat: cards v2 --------------------------------------------------------------------------

/** Google Chat card text takes a small HTML subset: escape what would be read as markup. */
const chatEscape = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export const googleChatMessage = (n: Notification) => ({
  cardsV2: [
    {
      cardId: clip(`sluice-${n.namespace}-${n.shift}-${n.event}`, 255),
      card: {
        header: { title: clip(titleOf(n), 200), subtitle: `${n.severity} · ${n.time}` },
        sections: [
          {
            widgets: [
              { textParagraph: { text: chatEscape(n.message) } },
              ...factsOf(n).map((f) => ({ decoratedText: { topLabel: f.title, text: chatEscape(f.value), wrapText: true } })),
            ],
          },
        ],
      },
    },
  ],
});

/** The body to POST for `provider`. */
export const formatFor = (provider: NotifyProvider, n: Notification): unknown => {
  switch (provider) {
    case 'slack':
      return slackMessage(n);
    case 'teams':
      return teamsMessage(n);
    case 'googleChat':
      return googleChatMessage(n);
    case 'generic':
      return n;
  }
};
