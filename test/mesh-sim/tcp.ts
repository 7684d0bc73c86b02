/**
 * When Istio reports a TCP connection, pure. istio/proxy's stats filter
 * (source/extensions/filters/http/istio_stats/istio_stats.cc, reportHelper) runs on a timer every
 * `tcp_reporting_duration` (default 5 s, PROTOBUF_GET_MS_OR_DEFAULT(..., 5000)) and when the
 * connection closes; it counts the connection as opened at the first of those runs after the
 * peer's metadata was read, or at the close, computing its labels (response_flags included) once
 * then; bytes are added at every run, closed at the close with the same labels. The simulator
 * reads the metadata at once, so: opened at min(open + 5 s, close), closed and all bytes at the
 * close. A connection that failed at once (flags UF,URX / UH / NC) is opened and closed at once.
 */
import type { Report } from './labels';
import { reportsOf, type SimulatedRequest } from './simulate';

/** Istio's default tcp_reporting_duration. */
export const TCP_REPORTING_MS = 5000;

/** Bytes a served connection moves: the client's request and the server's answer (arbitrary, fixed). */
export const TCP_BYTES = { received: 64, sent: 512 } as const;

/** One report due at `at` (epoch ms). */
export interface TcpEvent {
  readonly at: number;
  readonly event: 'opened' | 'closed';
  readonly report: Report;
  readonly bytes?: { readonly sent: number; readonly received: number };
}

/** Every report of one connection opened at `openedAt`, in time order. */
export const tcpEvents = (r: SimulatedRequest, openedAt: number): readonly TcpEvent[] => {
  const closedAt = openedAt + r.latencyMs;
  const openedReportAt = Math.min(openedAt + TCP_REPORTING_MS, closedAt);
  const served = r.outcome.kind === 'served' && r.flags === '-';
  return reportsOf(r).flatMap((report) => [
    { at: openedReportAt, event: 'opened' as const, report },
    { at: closedAt, event: 'closed' as const, report, ...(served ? { bytes: TCP_BYTES } : {}) },
  ]);
};
