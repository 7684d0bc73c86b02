/**
 * Each chat provider's documented message rules, written down as checks (not copied: the
 * sources are cited per rule). A message that breaks one gets a line naming the path and the
 * rule; [] means the message follows every rule listed here. Used by the unit tests of
 * src/notify/providers.ts and by the integration test on what the receivers got.
 *
 * Slack — incoming webhooks take a message payload with `text` and `blocks`
 *   (https://docs.slack.dev/messaging/sending-messages-using-incoming-webhooks); blocks
 *   (https://docs.slack.dev/reference/block-kit/blocks): at most 50 per message; header: `text` a
 *   plain_text object of at most 150 characters; section: `text` (at most 3000) and/or `fields`
 *   (at most 10 text objects, each at most 2000); context: `elements`, 1 to 10 image or text
 *   objects; block_id at most 255. Text objects
 *   (https://docs.slack.dev/reference/block-kit/composition-objects/text-object): type plain_text
 *   or mrkdwn, `text` a string; `emoji` only on plain_text.
 * Teams — an incoming webhook takes `{type: "message", attachments: [{contentType:
 *   "application/vnd.microsoft.card.adaptive", contentUrl, content: <card>}]}`
 *   (learn.microsoft.com/microsoftteams/platform/webhooks-and-connectors/how-to/connectors-using,
 *   "Send Adaptive Cards using an Incoming Webhook"), at most 28 KB. The card
 *   (adaptivecards.io/schemas/adaptive-card.json; microsoft/AdaptiveCards schemas/src):
 *   AdaptiveCard with `version` (required at the top level) and `body` of elements; TextBlock
 *   requires `text`; color is one of Default, Dark, Light, Accent, Good, Warning, Attention; size
 *   one of Default, Small, Medium, Large, ExtraLarge; weight one of Default, Lighter, Bolder; wrap
 *   and isSubtle booleans; FactSet requires `facts`, each Fact `title` and `value` strings.
 * Google Chat — a webhook message may carry `cardsV2`, each `{cardId, card}`
 *   (developers.google.com/workspace/chat/api/reference/rest/v1/spaces.messages#CardWithId);
 *   a card (…/rest/v1/cards#Card): optional `header` whose `title` is required, `sections`, each
 *   with `widgets`; at most 100 widgets per card; a widget holds exactly one kind, here
 *   textParagraph (`text`) or decoratedText (`text` required; topLabel, bottomLabel strings;
 *   wrapText boolean).
 */

type Json = unknown;
const isObj = (v: Json): v is Record<string, Json> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStr = (v: Json): v is string => typeof v === 'string';
const chars = (s: string): number => [...s].length;

/** Checks collect problems as "path: what is wrong". */
class Problems {
  readonly lines: string[] = [];
  add(path: string, what: string): void {
    this.lines.push(`${path}: ${what}`);
  }
  /** Only `allowed` keys. */
  keys(path: string, o: Record<string, Json>, allowed: readonly string[]): void {
    for (const k of Object.keys(o)) if (!allowed.includes(k)) this.add(`${path}.${k}`, `is not a documented field (${allowed.join(', ')})`);
  }
  str(path: string, v: Json, max?: number, required = true): void {
    if (v === undefined) return void (required ? this.add(path, 'is required') : undefined);
    if (!isStr(v)) return this.add(path, 'is not a string');
    if (max !== undefined && chars(v) > max) this.add(path, `has ${chars(v)} characters; at most ${max}`);
  }
  oneOf(path: string, v: Json, words: readonly string[]): void {
    if (v !== undefined && !(isStr(v) && words.includes(v))) this.add(path, `is not one of ${words.join(', ')}`);
  }
  bool(path: string, v: Json): void {
    if (v !== undefined && typeof v !== 'boolean') this.add(path, 'is not a boolean');
  }
}

// ---- Slack ----------------------------------------------------------------------------------------

const slackText = (p: Problems, path: string, t: Json, max: number, only?: 'plain_text' | 'mrkdwn'): void => {
  if (!isObj(t)) return p.add(path, 'is not a text object');
  p.keys(path, t, ['type', 'text', 'emoji', 'verbatim']);
  p.oneOf(`${path}.type`, t.type, only !== undefined ? [only] : ['plain_text', 'mrkdwn']);
  p.str(`${path}.text`, t.text, max);
  if (t.emoji !== undefined && t.type !== 'plain_text') p.add(`${path}.emoji`, 'is only for plain_text');
  p.bool(`${path}.emoji`, t.emoji);
};

export const slackProblems = (msg: Json): string[] => {
  const p = new Problems();
  if (!isObj(msg)) return ['message: is not an object'];
  p.keys('message', msg, ['text', 'blocks', 'thread_ts', 'mrkdwn']);
  p.str('message.text', msg.text, undefined, false);
  const blocks = msg.blocks;
  if (blocks === undefined) return p.lines;
  if (!Array.isArray(blocks)) return [...p.lines, 'message.blocks: is not a list'];
  if (blocks.length > 50) p.add('message.blocks', `has ${blocks.length} blocks; at most 50`);
  blocks.forEach((b, i) => {
    const path = `message.blocks[${i}]`;
    if (!isObj(b)) return p.add(path, 'is not an object');
    p.str(`${path}.block_id`, b.block_id, 255, false);
    switch (b.type) {
      case 'header':
        p.keys(path, b, ['type', 'text', 'block_id']);
        slackText(p, `${path}.text`, b.text, 150, 'plain_text');
        break;
      case 'section': {
        p.keys(path, b, ['type', 'text', 'fields', 'block_id', 'accessory', 'expand']);
        if (b.text === undefined && b.fields === undefined) p.add(path, 'needs text or fields');
        if (b.text !== undefined) slackText(p, `${path}.text`, b.text, 3000);
        if (b.fields !== undefined) {
          if (!Array.isArray(b.fields)) p.add(`${path}.fields`, 'is not a list');
          else {
            if (b.fields.length > 10) p.add(`${path}.fields`, `has ${b.fields.length} items; at most 10`);
            b.fields.forEach((f, j) => slackText(p, `${path}.fields[${j}]`, f, 2000));
          }
        }
        break;
      }
      case 'context':
        p.keys(path, b, ['type', 'elements', 'block_id']);
        if (!Array.isArray(b.elements) || b.elements.length < 1 || b.elements.length > 10) p.add(`${path}.elements`, 'is not a list of 1 to 10 elements');
        else b.elements.forEach((e, j) => slackText(p, `${path}.elements[${j}]`, e, 3000));
        break;
      case 'divider':
        p.keys(path, b, ['type', 'block_id']);
        break;
      default:
        p.add(`${path}.type`, `${JSON.stringify(b.type)} is not a block type used here (header, section, context, divider)`);
    }
  });
  return p.lines;
};

// ---- Teams / Adaptive Cards -------------------------------------------------------------------------

const COLORS = ['Default', 'Dark', 'Light', 'Accent', 'Good', 'Warning', 'Attention'];
const SIZES = ['Default', 'Small', 'Medium', 'Large', 'ExtraLarge'];
const WEIGHTS = ['Default', 'Lighter', 'Bolder'];

const cardElement = (p: Problems, path: string, e: Json): void => {
  if (!isObj(e)) return p.add(path, 'is not an element');
  switch (e.type) {
    case 'TextBlock':
      p.keys(path, e, ['type', 'text', 'color', 'size', 'weight', 'wrap', 'isSubtle', 'maxLines', 'horizontalAlignment', 'fontType', 'spacing', 'separator', 'id']);
      p.str(`${path}.text`, e.text);
      p.oneOf(`${path}.color`, e.color, COLORS);
      p.oneOf(`${path}.size`, e.size, SIZES);
      p.oneOf(`${path}.weight`, e.weight, WEIGHTS);
      p.bool(`${path}.wrap`, e.wrap);
      p.bool(`${path}.isSubtle`, e.isSubtle);
      break;
    case 'FactSet':
      p.keys(path, e, ['type', 'facts', 'spacing', 'separator', 'id']);
      if (!Array.isArray(e.facts)) p.add(`${path}.facts`, 'is required (a list of facts)');
      else
        e.facts.forEach((f, i) => {
          if (!isObj(f)) return p.add(`${path}.facts[${i}]`, 'is not a fact');
          p.keys(`${path}.facts[${i}]`, f, ['title', 'value']);
          p.str(`${path}.facts[${i}].title`, f.title);
          p.str(`${path}.facts[${i}].value`, f.value);
        });
      break;
    default:
      p.add(`${path}.type`, `${JSON.stringify(e.type)} is not an element used here (TextBlock, FactSet)`);
  }
};

export const teamsProblems = (msg: Json): string[] => {
  const p = new Problems();
  if (!isObj(msg)) return ['message: is not an object'];
  p.keys('message', msg, ['type', 'attachments']);
  if (msg.type !== 'message') p.add('message.type', 'is not "message"');
  const size = Buffer.byteLength(JSON.stringify(msg));
  if (size > 28 * 1024) p.add('message', `is ${size} bytes; at most 28 KB`);
  if (!Array.isArray(msg.attachments) || msg.attachments.length === 0) return [...p.lines, 'message.attachments: is not a non-empty list'];
  msg.attachments.forEach((a, i) => {
    const path = `message.attachments[${i}]`;
    if (!isObj(a)) return p.add(path, 'is not an object');
    p.keys(path, a, ['contentType', 'contentUrl', 'content']);
    if (a.contentType !== 'application/vnd.microsoft.card.adaptive') p.add(`${path}.contentType`, 'is not application/vnd.microsoft.card.adaptive');
    if (a.contentUrl !== undefined && a.contentUrl !== null && !isStr(a.contentUrl)) p.add(`${path}.contentUrl`, 'is not null or a URL');
    const card = a.content;
    if (!isObj(card)) return p.add(`${path}.content`, 'is not an Adaptive Card');
    const cpath = `${path}.content`;
    p.keys(cpath, card, ['$schema', 'type', 'version', 'body', 'actions', 'fallbackText', 'speak', 'lang', 'msteams', 'minHeight', 'style']);
    if (card.type !== 'AdaptiveCard') p.add(`${cpath}.type`, 'is not "AdaptiveCard"');
    p.str(`${cpath}.version`, card.version);
    if (isStr(card.version) && !/^\d+\.\d+$/.test(card.version)) p.add(`${cpath}.version`, 'is not a version like "1.4"');
    p.str(`${cpath}.fallbackText`, card.fallbackText, undefined, false);
    if (!Array.isArray(card.body)) p.add(`${cpath}.body`, 'is not a list of elements');
    else card.body.forEach((e, j) => cardElement(p, `${cpath}.body[${j}]`, e));
  });
  return p.lines;
};

// ---- Google Chat cards v2 ------------------------------------------------------------------------

const widget = (p: Problems, path: string, w: Json): void => {
  if (!isObj(w)) return p.add(path, 'is not a widget');
  const kinds = Object.keys(w).filter((k) => k !== 'horizontalAlignment');
  if (kinds.length !== 1) return p.add(path, `holds ${kinds.length} kinds of widget; exactly one`);
  const kind = kinds[0]!;
  const v = w[kind];
  if (!isObj(v)) return p.add(`${path}.${kind}`, 'is not an object');
  switch (kind) {
    case 'textParagraph':
      p.keys(`${path}.${kind}`, v, ['text', 'maxLines']);
      p.str(`${path}.${kind}.text`, v.text);
      break;
    case 'decoratedText':
      p.keys(`${path}.${kind}`, v, ['text', 'topLabel', 'bottomLabel', 'wrapText', 'startIcon', 'icon', 'onClick', 'button', 'switchControl', 'endIcon']);
      p.str(`${path}.${kind}.text`, v.text);
      p.str(`${path}.${kind}.topLabel`, v.topLabel, undefined, false);
      p.str(`${path}.${kind}.bottomLabel`, v.bottomLabel, undefined, false);
      p.bool(`${path}.${kind}.wrapText`, v.wrapText);
      break;
    default:
      p.add(`${path}.${kind}`, 'is not a widget used here (textParagraph, decoratedText)');
  }
};

export const googleChatProblems = (msg: Json): string[] => {
  const p = new Problems();
  if (!isObj(msg)) return ['message: is not an object'];
  p.keys('message', msg, ['text', 'cardsV2', 'thread']);
  if (!Array.isArray(msg.cardsV2) || msg.cardsV2.length === 0) return [...p.lines, 'message.cardsV2: is not a non-empty list'];
  msg.cardsV2.forEach((c, i) => {
    const path = `message.cardsV2[${i}]`;
    if (!isObj(c)) return p.add(path, 'is not an object');
    p.keys(path, c, ['cardId', 'card']);
    p.str(`${path}.cardId`, c.cardId);
    const card = c.card;
    if (!isObj(card)) return p.add(`${path}.card`, 'is not a card');
    p.keys(`${path}.card`, card, ['header', 'sections', 'name', 'sectionDividerStyle', 'cardActions', 'fixedFooter']);
    if (card.header !== undefined) {
      if (!isObj(card.header)) p.add(`${path}.card.header`, 'is not an object');
      else {
        p.keys(`${path}.card.header`, card.header, ['title', 'subtitle', 'imageUrl', 'imageType', 'imageAltText']);
        p.str(`${path}.card.header.title`, card.header.title);
        p.str(`${path}.card.header.subtitle`, card.header.subtitle, undefined, false);
      }
    }
    if (!Array.isArray(card.sections)) return p.add(`${path}.card.sections`, 'is not a list');
    let widgets = 0;
    card.sections.forEach((s, j) => {
      const spath = `${path}.card.sections[${j}]`;
      if (!isObj(s)) return p.add(spath, 'is not a section');
      p.keys(spath, s, ['header', 'widgets', 'collapsible', 'uncollapsibleWidgetsCount']);
      if (!Array.isArray(s.widgets)) return p.add(`${spath}.widgets`, 'is not a list');
      widgets += s.widgets.length;
      s.widgets.forEach((w, k) => widget(p, `${spath}.widgets[${k}]`, w));
    });
    if (widgets > 100) p.add(`${path}.card`, `has ${widgets} widgets; at most 100`);
  });
  return p.lines;
};

/** The generic format: the documented fields of README "Notifications", each of its type. */
export const genericProblems = (msg: Json): string[] => {
  const p = new Problems();
  if (!isObj(msg)) return ['message: is not an object'];
  p.keys('message', msg, ['apiVersion', 'event', 'severity', 'namespace', 'shift', 'message', 'by', 'phase', 'versions', 'weights', 'step', 'lastVerdict', 'time']);
  for (const k of ['apiVersion', 'event', 'namespace', 'shift', 'message', 'time']) p.str(`message.${k}`, msg[k]);
  p.oneOf('message.severity', msg.severity, ['info', 'warning', 'error']);
  if (!isObj(msg.weights) || typeof msg.weights.stable !== 'number' || typeof msg.weights.candidate !== 'number') p.add('message.weights', 'is not {stable, candidate} numbers');
  if (!isObj(msg.versions)) p.add('message.versions', 'is not {stable, candidate}');
  return p.lines;
};
