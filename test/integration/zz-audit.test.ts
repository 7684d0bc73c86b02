/**
 * The API server's audit log is the ground truth of every write (issue 9, "Proof"): test/audit
 * replays it and checks sluice's writes (weights, subsets, fallbacks that stick, 100 % only when
 * status says why, only the leader writes).
 *
 * Jest does not promise to run this file last (it orders files by past failures and durations),
 * so it proves what it can wherever it runs: a daemon of its own adopts a shift, its writes must
 * appear in the log under `sluice/<version> (<identity>)` (contract B), and every write made so
 * far must pass. globalTeardown.ts checks the whole suite's log again after the last test and
 * fails the run on any violation.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { formatViolations, readAuditEvents, summarizeWrites } from '../audit/audit';
import {
  canarySpec, DaemonProcess, deleteNamespace, givenReviews, givenShift, newNamespace, startDaemon, waitForPhase,
} from './daemonFixtures';
import { REPO_ROOT } from './env';

const VERSION = (JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;

describe('the audit log', () => {
  let namespace = '';
  let daemon: DaemonProcess | undefined;

  afterAll(async () => {
    await daemon?.kill('SIGKILL');
    await deleteNamespace(namespace);
  });

  it("records sluice's writes under its User-Agent, and no write so far breaks a safety rule", async () => {
    const log = process.env.SLUICE_AUDIT_LOG;
    expect(log).toMatch(/audit\.log$/);
    namespace = await newNamespace('audit');
    await givenReviews(namespace, ['v1'], { replicas: 1 });
    const identity = `audit-${namespace}`;
    daemon = await startDaemon(namespace, identity);
    await givenShift(namespace, canarySpec('v1'));
    await waitForPhase(namespace, (s) => s.stableVersion === 'v1' && s.phase === 'Idle', 60_000);

    const events = readAuditEvents(log as string);
    const agent = `sluice/${VERSION} (${identity})`;
    const mine = events.filter((e) => e.userAgent === agent && e.objectRef?.resource === 'virtualservices' && (e.responseStatus?.code ?? 0) < 300);
    const summary = summarizeWrites(events);
    process.stderr.write(
      `[audit] ${summary.sluiceWrites} sluice writes checked so far (${summary.sluiceRouteWrites} route writes, ${summary.replicas.length} replicas); ${summary.violations.length} violations; ${summary.racedNamespaceDeletion} raced a namespace deletion (counted, not judged)\n`,
    );
    expect(mine.length).toBeGreaterThan(0);
    expect(formatViolations(summary.violations)).toBe('');
  });
});
