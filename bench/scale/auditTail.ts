/**
 * The API server's audit log, followed as it is written (the local control plane logs every write
 * to VirtualServices, DestinationRules, TrafficShifts and Leases: scripts/cluster.sh). The
 * benchmark times a command from the stored annotation write to the stored VirtualService write,
 * both on the API server's clock, and counts each replica's writes. Survives rotation: the old
 * file is read to its end before the new one.
 */
import * as fs from 'node:fs';
import { microsOf } from '../../test/audit/log';

/** One write, as the benchmark reads it. */
export interface Write {
  readonly verb: string;
  /** virtualservices, destinationrules, trafficshifts, leases. */
  readonly resource: string;
  /** "status" for a status write. */
  readonly subresource?: string;
  readonly namespace: string;
  readonly name: string;
  readonly userAgent: string;
  readonly code: number;
  /** When the write was stored (ResponseComplete), µs since the epoch, the API server's clock. */
  readonly atMicros: number;
  /** sluice.dev/command-id in the request, for the benchmark's own command writes. */
  readonly commandId?: string;
  /** The request removes sluice.dev/command-id: the daemon clearing a command it applied or rejected. */
  readonly clearsCommand?: boolean;
}

export interface AuditTail {
  /** Read what was appended since the last call; returns the new writes (also kept in `all`). */
  readonly poll: () => Write[];
  readonly all: Write[];
  /** Drop what was kept so far (long runs keep memory bounded). */
  readonly clear: () => void;
  readonly close: () => void;
}

interface RawEvent {
  stage?: string; verb?: string; userAgent?: string; stageTimestamp?: string;
  objectRef?: { resource?: string; subresource?: string; namespace?: string; name?: string };
  responseStatus?: { code?: number };
  requestObject?: { metadata?: { annotations?: Record<string, string | null> } };
}

const toWrite = (line: string): Write | undefined => {
  if (!line.includes('"ResponseComplete"')) return undefined;
  let e: RawEvent;
  try {
    e = JSON.parse(line) as RawEvent;
  } catch {
    return undefined;
  }
  const ref = e.objectRef ?? {};
  const annotations = typeof e.requestObject === 'object' && e.requestObject !== null ? e.requestObject.metadata?.annotations : undefined;
  const commandId = annotations?.['sluice.dev/command-id'];
  return {
    verb: e.verb ?? '', resource: ref.resource ?? '', ...(ref.subresource ? { subresource: ref.subresource } : {}),
    namespace: ref.namespace ?? '', name: ref.name ?? '', userAgent: e.userAgent ?? '', code: e.responseStatus?.code ?? 0,
    atMicros: microsOf(e.stageTimestamp), ...(typeof commandId === 'string' ? { commandId } : {}),
    ...(annotations && commandId === null ? { clearsCommand: true } : {}),
  };
};

/** Follow `file` from its current end (only what is written from now on). */
export const tailAudit = (file: string): AuditTail => {
  let fd = fs.openSync(file, 'r');
  let ino = fs.fstatSync(fd).ino;
  let pos = fs.fstatSync(fd).size;
  let rest = '';
  const all: Write[] = [];
  const buf = Buffer.alloc(4 << 20);

  const drain = (): string => {
    let text = '';
    for (;;) {
      const n = fs.readSync(fd, buf, 0, buf.length, pos);
      if (n <= 0) return text;
      pos += n;
      text += buf.toString('utf8', 0, n);
    }
  };
  const poll = (): Write[] => {
    let text = drain();
    // rotated: the path names a new file; the old one was read to its end above
    const now = fs.existsSync(file) ? fs.statSync(file).ino : ino;
    if (now !== ino) {
      fs.closeSync(fd);
      fd = fs.openSync(file, 'r');
      ino = now;
      pos = 0;
      text += drain();
    }
    const lines = (rest + text).split('\n');
    rest = lines.pop() ?? '';
    const out: Write[] = [];
    for (const line of lines) {
      const w = toWrite(line);
      if (w) out.push(w);
    }
    all.push(...out);
    return out;
  };
  return { poll, all, clear: () => void all.splice(0), close: () => fs.closeSync(fd) };
};

/** A write by a sluice replica (contract B: `sluice/<version> (<identity>)`), optionally one replica. */
export const bySluice = (w: Write, identity?: string): boolean =>
  w.userAgent.startsWith('sluice/') && (identity === undefined || w.userAgent.includes(`(${identity})`));

export const stored = (w: Write): boolean => w.code >= 200 && w.code < 300;

/** Route writes (VirtualService, DestinationRule) and status writes (TrafficShift status). */
export const isRouteWrite = (w: Write): boolean => w.resource === 'virtualservices' || w.resource === 'destinationrules';
export const isStatusWrite = (w: Write): boolean => w.resource === 'trafficshifts' && w.subresource === 'status';
