/**
 * Sends notifications without ever holding up a shift: `publish` formats and queues in memory and
 * returns at once; one worker per target sends that target's messages in order, each POST
 * bounded by a timeout, no retries (at most once). Each target's queue is bounded: when a chat
 * endpoint is slow or dead and its queue is full, the oldest message is dropped. Every message
 * that is not delivered (queue full, refused, unreachable, URL not allowed, Secret unreadable) is
 * counted in sluice_notifications_dropped_total{reason} and logged once per target and reason
 * change, without the URL (a chat webhook URL is a credential).
 */
import * as E from 'fp-ts/Either';
import { NotifyProvider, ResolvedSpec, SecretKeyRef, Severity } from '../api/spec';
import { Decision } from '../core/types';
import { WebhookClient } from '../hooks/client';
import { webhookTarget, WebhookPolicyConfig } from '../hooks/policy';
import { SecretReader } from '../hooks/secrets';
import { NotifyDefault } from './config';
import { atLeast, Notification, notificationsOf } from './messages';
import { formatFor } from './providers';

/** Why a message was not delivered (the `reason` label of the dropped counter). */
export type DropReason = 'queue_full' | 'refused' | 'unreachable' | 'not_allowed' | 'secret';

export interface NotifierDeps {
  readonly client: WebhookClient;
  readonly secrets: SecretReader;
  /** The allow-list for URLs from Secrets (the cluster-wide target is the operator's own and needs none). */
  readonly policy: WebhookPolicyConfig;
  /** The cluster-wide target (--notify-provider, $SLUICE_NOTIFY_URL). Default none. */
  readonly defaultTarget?: NotifyDefault;
  /** Messages waiting per target before the oldest is dropped. Default 50. */
  readonly queueLimit?: number;
  /** Longest wait for one POST. Default 5 s. */
  readonly timeoutMs?: number;
  readonly sent: (provider: NotifyProvider) => void;
  readonly dropped: (provider: NotifyProvider, reason: DropReason) => void;
  readonly warn: (msg: string, fields: Record<string, unknown>) => void;
}

export interface Notifier {
  /** Queue the notifications of a written decision for every target that wants them; returns at once. */
  readonly publish: (shift: { readonly namespace: string; readonly name: string; readonly spec: ResolvedSpec }, decision: Decision) => void;
  /** Messages queued or being sent. */
  readonly pending: () => number;
  /** Drop everything queued; messages being sent finish unheard. */
  readonly stop: () => void;
}

/** Where one target's messages go: the cluster-wide URL, or a Secret key in a namespace. */
type Destination = { readonly _tag: 'Url'; readonly url: string } | { readonly _tag: 'Secret'; readonly namespace: string; readonly ref: SecretKeyRef };

interface Target {
  readonly id: string;
  readonly provider: NotifyProvider;
  readonly severity: Severity;
  readonly destination: Destination;
}

interface Queue {
  readonly target: Target;
  readonly items: string[];
  busy: boolean;
  lastTrouble?: string;
}

const targetsOf = (deps: NotifierDeps, namespace: string, spec: ResolvedSpec): Target[] => [
  ...(deps.defaultTarget !== undefined
    ? [{ id: `default/${deps.defaultTarget.provider}`, provider: deps.defaultTarget.provider, severity: deps.defaultTarget.severity, destination: { _tag: 'Url' as const, url: deps.defaultTarget.url } }]
    : []),
  ...(spec.notify ?? []).map((t) => ({
    id: `${namespace}/${t.urlSecret.name}/${t.urlSecret.key}/${t.provider}`,
    provider: t.provider,
    severity: t.severity,
    destination: { _tag: 'Secret' as const, namespace, ref: t.urlSecret },
  })),
];

export const createNotifier = (deps: NotifierDeps): Notifier => {
  const limit = deps.queueLimit ?? 50;
  const timeoutMs = deps.timeoutMs ?? 5000;
  const queues = new Map<string, Queue>();
  let abort = new AbortController();

  const urlOf = async (target: Target): Promise<E.Either<{ readonly reason: DropReason; readonly message: string }, string>> => {
    const d = target.destination;
    if (d._tag === 'Url') return E.right(d.url);
    const secret = await deps.secrets.read(d.namespace, d.ref)();
    if (E.isLeft(secret)) return E.left({ reason: 'secret', message: secret.left.message });
    const allowed = webhookTarget(deps.policy, secret.right.toString('utf8').trim(), `Secret ${d.namespace}/${d.ref.name} key ${JSON.stringify(d.ref.key)}`, { secret: true, query: 'keep' });
    return E.isLeft(allowed) ? E.left({ reason: 'not_allowed', message: allowed.left }) : E.right(allowed.right);
  };

  const trouble = (q: Queue, reason: DropReason, message: string): void => {
    deps.dropped(q.target.provider, reason);
    if (q.lastTrouble === message) return;
    q.lastTrouble = message;
    deps.warn('notification not delivered', { target: q.target.id, reason, error: message });
  };

  const drain = async (q: Queue): Promise<void> => {
    q.busy = true;
    const signal = abort.signal;
    for (let body = q.items.shift(); body !== undefined && !signal.aborted; body = q.items.shift()) {
      const url = await urlOf(q.target);
      if (E.isLeft(url)) {
        trouble(q, url.left.reason, url.left.message);
        continue;
      }
      const r = await deps.client.post({ url: url.right, body, headers: {}, timeoutMs, signal })();
      if (E.isLeft(r)) trouble(q, 'unreachable', r.left.message);
      else if (r.right.code < 200 || r.right.code > 299) trouble(q, 'refused', `answered ${r.right.code}`);
      else {
        q.lastTrouble = undefined;
        deps.sent(q.target.provider);
      }
    }
    q.busy = false;
    if (q.items.length === 0 && queues.get(q.target.id) === q) queues.delete(q.target.id);
  };

  const enqueue = (target: Target, n: Notification): void => {
    const q = queues.get(target.id) ?? { target, items: [], busy: false };
    queues.set(target.id, q);
    if (q.items.length >= limit) {
      q.items.shift();
      trouble(q, 'queue_full', `more than ${limit} messages waiting`);
    }
    q.items.push(JSON.stringify(formatFor(target.provider, n)));
    if (!q.busy) void drain(q);
  };

  return {
    publish: (shift, decision) => {
      const notes = notificationsOf(shift.namespace, shift.name, decision);
      if (notes.length === 0) return;
      for (const target of targetsOf(deps, shift.namespace, shift.spec))
        for (const n of notes) if (atLeast(n.severity, target.severity)) enqueue(target, n);
    },
    pending: () => [...queues.values()].reduce((sum, q) => sum + q.items.length + (q.busy ? 1 : 0), 0),
    stop: () => {
      abort.abort();
      abort = new AbortController();
      queues.clear();
    },
  };
};
