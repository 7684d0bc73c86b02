/**
 * Kubernetes Events about TrafficShifts (core/v1, so `kubectl describe` and `kubectl get events`
 * show them). Deduplicated like client-go's EventCorrelator, simply: the same type, reason and
 * message about the same object within 10 minutes bumps `count` and `lastTimestamp` of the
 * Event already written instead of creating another. Best effort: a failure is logged by the
 * caller and never fails a reconcile.
 */
import * as TE from 'fp-ts/TaskEither';
import { pipe } from 'fp-ts/function';
import { KubeError } from './errors';
import { Kube } from './kube';
import { EVENTS, EventRecord, FIELD_MANAGER, REPORTING_CONTROLLER } from './objects';

const DEDUP_WINDOW_MS = 10 * 60_000;
const MAX_REMEMBERED = 4096;

export interface EventRecorder {
  readonly record: (event: EventRecord) => TE.TaskEither<KubeError, void>;
}

/** Seconds-precision RFC 3339, what metav1.Time serializes to. */
const rfc3339 = (ms: number): string => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');

export const makeEventRecorder = (kube: Kube, instance: string, now: () => number = Date.now): EventRecorder => {
  const seen = new Map<string, { name: string; count: number; at: number }>();
  let seq = 0;
  return {
    record: (ev) => {
      const key = [ev.involved.namespace, ev.involved.name, ev.involved.uid ?? '', ev.type, ev.reason, ev.message].join('\u0000');
      const t = now();
      const prior = seen.get(key);
      if (prior && t - prior.at < DEDUP_WINDOW_MS) {
        const count = prior.count + 1;
        return pipe(
          kube.mergePatch({ resource: EVENTS, namespace: ev.namespace, name: prior.name }, { count, lastTimestamp: rfc3339(t) }),
          TE.map(() => void seen.set(key, { ...prior, count, at: t })),
          // The Event may have expired (default TTL 1 h): forget it and write a new one next time.
          TE.orElseFirst(() => TE.fromIO(() => void seen.delete(key))),
        );
      }
      const name = `${ev.involved.name}.${t.toString(16)}${(seq++ % 4096).toString(16).padStart(3, '0')}`;
      const body = {
        metadata: { name, namespace: ev.namespace },
        involvedObject: ev.involved,
        type: ev.type,
        reason: ev.reason,
        message: ev.message.length > 1024 ? `${ev.message.slice(0, 1021)}...` : ev.message,
        source: { component: FIELD_MANAGER },
        reportingComponent: REPORTING_CONTROLLER,
        reportingInstance: instance.slice(0, 128),
        firstTimestamp: rfc3339(t),
        lastTimestamp: rfc3339(t),
        count: 1,
      };
      return pipe(
        kube.create(EVENTS, body),
        TE.map(() => {
          if (seen.size >= MAX_REMEMBERED) seen.delete(seen.keys().next().value as string);
          seen.set(key, { name, count: 1, at: t });
        }),
      );
    },
  };
};
