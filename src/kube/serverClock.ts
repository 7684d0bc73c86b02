/**
 * The API server's clock, as every replica sees it. Times in status (stepStartedAt, stalledSince,
 * lastGate.time) are written by whichever replica led then and compared by whichever leads now; a
 * replica whose own clock is minutes behind would ignore every gate sample (failures included)
 * for those minutes, and one ahead would cut dwells short (issue 9 #6). So the daemon tells time
 * by the API server: local time plus an offset measured from the `Date` header of GET /version
 * (RFC 9110 §6.6.1) through the daemon's connection, taken at the midpoint of the request and kept as the median of recent
 * readings. The header has one-second resolution, so replicas agree within about a second.
 */
import type { Connection } from './client';

/** One reading: the offset (server - local, ms) it implies, or why there is none. */
export type ClockReading = { readonly _tag: 'Offset'; readonly offsetMs: number } | { readonly _tag: 'NoReading'; readonly reason: string };

/**
 * The offset a reading implies (pure): the server stamped `dateHeader` (whole seconds) somewhere
 * between `sentMs` and `receivedMs` local time; its true time is on average 500 ms past the stamp.
 */
export const offsetFrom = (dateHeader: string | undefined, sentMs: number, receivedMs: number): ClockReading => {
  const server = dateHeader === undefined ? Number.NaN : Date.parse(dateHeader);
  if (!Number.isFinite(server)) return { _tag: 'NoReading', reason: `no usable Date header (${JSON.stringify(dateHeader ?? null)})` };
  return { _tag: 'Offset', offsetMs: server + 500 - (sentMs + receivedMs) / 2 };
};

/** The median of the last readings (robust to one slow round trip). */
export const medianOffset = (offsets: readonly number[]): number => {
  if (offsets.length === 0) return 0;
  const sorted = [...offsets].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/** Readings kept for the median. */
const KEEP = 5;

export interface ServerClock {
  /** Epoch ms by the API server's clock (local time until the first reading). */
  readonly now: () => number;
  /** Take one reading now; resolves with it (also on failure: the offset stays as it was). */
  readonly measure: () => Promise<ClockReading>;
  /** The current offset, server minus local, in ms. */
  readonly offsetMs: () => number;
}

/** One GET /version through the daemon's connection (its timeout, credentials and User-Agent), timed locally. */
const readDate = async (connection: Connection, localNow: () => number): Promise<ClockReading> => {
  const sent = localNow();
  try {
    const res = await connection.send({ method: 'GET', path: '/version' });
    return offsetFrom(res.headers.date, sent, localNow());
  } catch (e) {
    return { _tag: 'NoReading', reason: e instanceof Error ? e.message : String(e) };
  }
};

export const serverClock = (connection: Connection, localNow: () => number = Date.now): ServerClock => {
  const offsets: number[] = [];
  let offset = 0;
  return {
    now: () => localNow() + offset,
    offsetMs: () => offset,
    measure: async () => {
      const r = await readDate(connection, localNow);
      if (r._tag === 'Offset') {
        offsets.push(r.offsetMs);
        if (offsets.length > KEEP) offsets.shift();
        offset = medianOffset(offsets);
      }
      return r;
    },
  };
};
