/**
 * Metrics of webhook calls and notifications (registered in the daemon's registry by
 * src/daemon/metrics.ts, like the gate sampler's).
 */
import { Counter, Histogram } from 'prom-client';

/** Webhook calls ended, by kind and HTTP status class ("2xx", "5xx", ...; "none": no answer). */
export const hookCalls = new Counter({ name: 'sluice_hook_calls_total', help: 'Webhook calls ended (after retries), by hook kind and answer class (2xx, 3xx, 4xx, 5xx, none).', labelNames: ['kind', 'answer'], registers: [] });

export const hookDuration = new Histogram({
  name: 'sluice_hook_call_duration_seconds', help: 'Duration of one webhook call, retries included.', labelNames: ['kind'],
  buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 360], registers: [],
});

export const notificationsSent = new Counter({ name: 'sluice_notifications_sent_total', help: 'Notifications a target accepted (2xx), by provider.', labelNames: ['provider'], registers: [] });

export const notificationsDropped = new Counter({
  name: 'sluice_notifications_dropped_total',
  help: 'Notifications not delivered, by provider and reason (queue_full, refused, unreachable, not_allowed, secret).',
  labelNames: ['provider', 'reason'],
  registers: [],
});

/** The answer class of an HTTP status, "none" for no answer. */
export const answerClass = (code: number | undefined): string => (code === undefined ? 'none' : `${Math.floor(code / 100)}xx`);
