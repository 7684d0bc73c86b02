/**
 * Reading the kube-apiserver's audit log (JSON lines, audit.k8s.io/v1 Event per line), as the
 * local control plane writes it (scripts/cluster.sh: policy in $SLUICE_ENV_DIR/audit-policy.yaml,
 * log at $SLUICE_AUDIT_LOG). Only the fields the checker reads are typed.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** What the request was about (audit.k8s.io/v1 ObjectReference). */
export interface AuditObjectRef {
  readonly resource?: string;
  readonly subresource?: string;
  readonly namespace?: string;
  readonly name?: string;
  readonly apiGroup?: string;
  readonly apiVersion?: string;
}

/** One audit event (audit.k8s.io/v1 Event), the fields the checker reads. */
export interface AuditEvent {
  readonly auditID: string;
  /** RequestReceived, ResponseStarted, ResponseComplete or Panic; the policy omits RequestReceived. */
  readonly stage: string;
  /** create, update, patch, delete, deletecollection, get, ... */
  readonly verb: string;
  readonly requestURI?: string;
  /** The client's User-Agent header; sluice's is `sluice/<version> (<identity>)` (contract B). */
  readonly userAgent?: string;
  readonly user?: { readonly username?: string };
  readonly objectRef?: AuditObjectRef;
  /** HTTP status of the answer; code >= 300 means nothing was written. */
  readonly responseStatus?: { readonly code?: number; readonly message?: string; readonly reason?: string };
  readonly requestObject?: unknown;
  /** The object as stored after the write (RequestResponse level). */
  readonly responseObject?: unknown;
  /** RFC 3339 with microseconds, the API server's clock. */
  readonly requestReceivedTimestamp?: string;
  readonly stageTimestamp?: string;
}

/** Stages that end a request: the only ones whose responseObject is the stored result. */
const FINAL_STAGES = new Set(['ResponseComplete', 'Panic']);

/**
 * Parse the text of one audit log file. A line that is not JSON fails with its file and line
 * number, except the last line of a log still being written. Keeps only final stages.
 */
export const parseAuditLines = (text: string, source: string): AuditEvent[] => {
  const lines = text.split('\n');
  const events: AuditEvent[] = [];
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    let event: AuditEvent;
    try {
      event = JSON.parse(line) as AuditEvent;
    } catch (e) {
      if (i === lines.length - 1) return; // a half-written last line
      throw new Error(`${source}:${i + 1}: not a JSON audit event (${(e as Error).message})`);
    }
    if (FINAL_STAGES.has(event.stage)) events.push(event);
  });
  return events;
};

/**
 * Every final-stage event of the audit log at `file`, oldest first: the rotated files the API
 * server left beside it (`<name>-<timestamp><ext>`, lexical order is time order) and then the
 * live file. Throws when the log does not exist.
 */
export const readAuditEvents = (file: string): AuditEvent[] => {
  if (!fs.existsSync(file)) throw new Error(`no audit log at ${file} (is the local control plane up with scripts/cluster.sh, and SLUICE_AUDIT_LOG from its env.sh?)`);
  const dir = path.dirname(file);
  const ext = path.extname(file);
  const base = path.basename(file, ext);
  const rotated = fs.readdirSync(dir).filter((f) => f.startsWith(`${base}-`) && f.endsWith(ext)).sort();
  return [...rotated.map((f) => path.join(dir, f)), file].flatMap((f) => parseAuditLines(fs.readFileSync(f, 'utf8'), f));
};

/** Microseconds since the epoch of an audit timestamp (`2026-12-03T07:30:00.123456Z`); NaN when unreadable. */
export const microsOf = (time: string | undefined): number => {
  if (time === undefined) return Number.NaN;
  const m = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(time);
  if (m === null) return Number.NaN;
  const seconds = Date.parse(`${m[1]}${m[3]}`);
  const fraction = Number(((m[2] ?? '') + '000000').slice(0, 6));
  return seconds * 1000 + fraction;
};
