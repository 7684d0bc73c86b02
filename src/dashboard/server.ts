/**
 * `sluice dashboard`'s HTTP server (Node's http, no framework): the page's static files, a JSON
 * API over the user's kubeconfig, and server-sent events for live updates.
 *
 *   GET  /                                  the page (index.html, style.css, *.js)
 *   GET  /api/config                        scope, Prometheus, who commands
 *   GET  /api/shifts                        the overview's rows (also sent by /api/events)
 *   GET  /api/events                        server-sent events: snapshot, upsert, delete, problem
 *   GET  /api/shifts/NS/NAME                one shift: detail, rendered routes
 *   GET  /api/shifts/NS/NAME/charts         error rate and p99 by version, from Prometheus
 *   POST /api/shifts/NS/NAME/commands       {action, value?}: write a command as the CLI does
 *   GET  /api/shifts/NS/NAME/commands/ID    the daemon's answer (waits up to ANSWER_POLL_MS)
 *
 * Errors answer `{problem: {_tag, message}}` with the status of problems.ts. The server listens on
 * loopback by default and acts with the user's rights, so it refuses requests that a web page of
 * another origin could make on the user's behalf: a Host other than its own address (DNS
 * rebinding), an Origin other than its own, and a command that is not `application/json` (a
 * cross-origin form cannot send that without a preflight, which is never allowed).
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import * as E from 'fp-ts/Either';
import * as TE from 'fp-ts/TaskEither';
import { CliIo, ShiftClient } from '../cli/cliDeps';
import { HistoryMark, waitForAnswer, writeCommand } from '../cli/wait';
import { CommandVerb } from '../core/types';
import { isVersion, parseWeight, VERSION_EXPECTED, WEIGHT_EXPECTED } from '../kube/annotations';
import { DESTINATION_RULES, KubeObject, Resource, VIRTUAL_SERVICES } from '../kube/objects';
import { fetchCharts } from './charts';
import { Feed, WatchShifts } from './feed';
import { detailOf, resolvedOf } from './model';
import { httpStatusOf, kubeErrorProblem, Problem, problem } from './problems';

/** What the server needs of Kubernetes (production: kubeAccess.ts; unit tests: in memory). */
export interface DashboardKube {
  /** The CLI's TrafficShift client: list, get, merge patch. */
  readonly shifts: ShiftClient;
  readonly watch: WatchShifts;
  /** One object of another kind (the rendered VirtualService and DestinationRule). */
  readonly read: (resource: Resource, namespace: string, name: string) => TE.TaskEither<Problem, KubeObject>;
}

export interface DashboardOptions {
  readonly kube: DashboardKube;
  readonly feed: Feed;
  /** Namespace watched; undefined: all. */
  readonly namespace: string | undefined;
  /** --prometheus-url (else each shift's spec.analysis.prometheus.url). */
  readonly prometheusUrl?: string;
  /** Written as sluice.dev/by (the chart's admission policy replaces it with the authenticated user). */
  readonly by?: string;
  readonly io: Pick<CliIo, 'now' | 'sleep' | 'newId'>;
  /** How long a command may wait for the daemon's answer before it is reported as silent. Default 60 s (the CLI's --wait). */
  readonly answerTimeoutMs?: number;
}

export const ANSWER_TIMEOUT_MS = 60_000;
/** One GET of a command's answer waits at most this long; the page asks again. */
export const ANSWER_POLL_MS = 20_000;

/** The page's actions and the command verb each writes. */
export const ACTIONS: Readonly<Record<string, CommandVerb>> = {
  promote: 'promote', abort: 'abort', pause: 'pause', resume: 'resume', retry: 'retry', 'set-weight': 'set-weight', 'shift-to': 'shift-to',
};

/** The value an action carries, checked as the CLI checks it (pure). */
export const actionValue = (verb: CommandVerb, value: unknown): E.Either<string, string | number | undefined> => {
  if (verb === 'set-weight') {
    const w = typeof value === 'number' ? String(value) : typeof value === 'string' ? value : '';
    const weight = parseWeight(w);
    return weight === undefined ? E.left(`weight ${JSON.stringify(value ?? '')} ${WEIGHT_EXPECTED}`) : E.right(weight);
  }
  if (verb === 'shift-to') {
    const v = typeof value === 'string' ? value.trim() : '';
    return isVersion(v) ? E.right(v) : E.left(`version ${JSON.stringify(value ?? '')} ${VERSION_EXPECTED}`);
  }
  return E.right(undefined);
};

/** Where the page's files are: the compiled scripts next to this module, the rest in the source tree. */
const WEB_DIRS = [path.join(__dirname, 'web'), path.resolve(__dirname, '..', '..', '..', 'src', 'dashboard', 'web')];
const TYPES: Readonly<Record<string, string>> = { '.html': 'text/html; charset=utf-8', '.css': 'text/css; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.svg': 'image/svg+xml' };

const staticFile = (urlPath: string): { file: string; type: string } | undefined => {
  const name = urlPath === '/' ? 'index.html' : urlPath.slice(1);
  if (!/^[a-z][a-z0-9-]*\.(html|css|js|svg)$/.test(name)) return undefined;
  for (const dir of WEB_DIRS) {
    const file = path.join(dir, name);
    if (fs.existsSync(file)) return { file, type: TYPES[path.extname(name)]! };
  }
  return undefined;
};

interface SentCommand {
  readonly namespace: string;
  readonly name: string;
  readonly mark: HistoryMark;
  readonly sentAt: number;
}

const json = (res: http.ServerResponse, status: number, body: unknown): void => {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
};
const fail = (res: http.ServerResponse, p: Problem): void => json(res, httpStatusOf(p), { problem: p });

const readBody = (req: http.IncomingMessage, limit = 16_384): Promise<string> =>
  new Promise((resolve, reject) => {
    let text = '';
    req.on('data', (d: Buffer) => {
      text += d.toString();
      if (text.length > limit) reject(new Error('request body too large'));
    });
    req.on('end', () => resolve(text));
    req.on('error', reject);
  });

export interface RunningDashboard {
  /** http://address:port/ */
  readonly url: string;
  readonly close: () => Promise<void>;
}

export const createDashboardServer = (o: DashboardOptions): http.Server => {
  const sent = new Map<string, SentCommand>();
  const answerTimeoutMs = o.answerTimeoutMs ?? ANSWER_TIMEOUT_MS;
  /** Host headers naming this server; undefined when it listens on every address (0.0.0.0, ::). */
  let ownHosts: readonly string[] | undefined = [];

  const allowed = (req: http.IncomingMessage): string | undefined => {
    const host = req.headers.host ?? '';
    if (ownHosts !== undefined && !ownHosts.includes(host)) return `Host ${JSON.stringify(host)} is not this dashboard's address (${ownHosts.join(' or ')})`;
    const origin = req.headers.origin;
    if (origin !== undefined && origin !== `http://${host}`) return `Origin ${JSON.stringify(origin)} is not this dashboard's`;
    return undefined;
  };

  const shiftPage = async (res: http.ServerResponse, namespace: string, name: string): Promise<void> => {
    const got = await o.kube.shifts.get(namespace, name)();
    if (E.isLeft(got)) return fail(res, kubeErrorProblem(got.left));
    const detail = detailOf(got.right, o.io.now());
    const service = (got.right.status as { routedService?: string } | undefined)?.routedService ?? detail.row.service ?? name;
    const route = async (r: Resource) => {
      const read = await o.kube.read(r, namespace, service)();
      return E.isLeft(read) ? { problem: read.left } : { object: { metadata: { name: read.right.metadata.name, namespace }, spec: read.right.spec } };
    };
    const [virtualService, destinationRule] = await Promise.all([route(VIRTUAL_SERVICES), route(DESTINATION_RULES)]);
    json(res, 200, { detail, routes: { virtualService, destinationRule } });
  };

  const charts = async (res: http.ServerResponse, namespace: string, name: string): Promise<void> => {
    const got = await o.kube.shifts.get(namespace, name)();
    if (E.isLeft(got)) return fail(res, kubeErrorProblem(got.left));
    const resolved = resolvedOf(got.right);
    if (E.isLeft(resolved)) return fail(res, problem('BadRequest', `${namespace}/${name}: the spec is invalid, so its queries are unknown: ${resolved.left.join('; ')}`));
    const url = o.prometheusUrl ?? resolved.right.analysis.prometheusUrl;
    if (url === undefined) return fail(res, problem('NoPrometheus', 'no Prometheus to ask: start the dashboard with --prometheus-url (or set $SLUICE_PROMETHEUS_URL), e.g. after kubectl port-forward'));
    const status = (got.right.status ?? {}) as { candidateVersion?: string; stableVersion?: string; startedAt?: string; history?: { time: string }[] };
    const candidate = status.candidateVersion ?? status.stableVersion ?? resolved.right.version;
    // From the oldest decision status remembers (history is bounded), so the weights chart and these share a time axis.
    const since = status.history?.[0]?.time ?? status.startedAt;
    const answer = await fetchCharts(url, { namespace, name, candidate, ...(since ? { since } : {}) }, resolved.right, o.io.now())();
    return E.isLeft(answer) ? fail(res, answer.left) : json(res, 200, answer.right);
  };

  const command = async (req: http.IncomingMessage, res: http.ServerResponse, namespace: string, name: string): Promise<void> => {
    if (!(req.headers['content-type'] ?? '').startsWith('application/json')) return fail(res, problem('BadRequest', 'commands are sent as application/json'));
    let body: { action?: unknown; value?: unknown };
    try {
      body = JSON.parse(await readBody(req)) as typeof body;
    } catch {
      return fail(res, problem('BadRequest', 'the command is not a JSON object'));
    }
    const verb = typeof body.action === 'string' && Object.hasOwn(ACTIONS, body.action) ? ACTIONS[body.action]! : undefined;
    if (verb === undefined) return fail(res, problem('BadRequest', `action ${JSON.stringify(body.action)} is not one of ${Object.keys(ACTIONS).join(', ')}`));
    const value = actionValue(verb, body.value);
    if (E.isLeft(value)) return fail(res, problem('BadRequest', value.left));
    const id = o.io.newId();
    const written = await writeCommand(o.kube.shifts, { namespace, name }, { verb, value: value.right, by: o.by, id })();
    if (E.isLeft(written)) return fail(res, kubeErrorProblem(written.left));
    sent.set(id, { namespace, name, mark: written.right, sentAt: o.io.now() });
    json(res, 202, { id, by: o.by ?? null });
  };

  const answer = async (res: http.ServerResponse, namespace: string, name: string, id: string): Promise<void> => {
    const c = sent.get(id);
    if (c === undefined || c.namespace !== namespace || c.name !== name) return fail(res, problem('NotFound', `no command ${id} was sent to ${namespace}/${name} from this dashboard`));
    const left = c.sentAt + answerTimeoutMs - o.io.now();
    const waited = await waitForAnswer(o.io, o.kube.shifts, { namespace, name }, id, c.mark, Math.max(0, Math.min(ANSWER_POLL_MS, left)));
    if (E.isLeft(waited)) return fail(res, problem('ApiUnavailable', waited.left));
    const outcome = waited.right;
    if (outcome._tag === 'Pending' && o.io.now() >= c.sentAt + answerTimeoutMs)
      return fail(res, problem('DaemonSilent', `${namespace}/${name}: no answer from the daemon within ${Math.round(answerTimeoutMs / 1000)}s; command ${id} is still pending (is "sluice run" running?)`));
    if (outcome._tag !== 'Pending') sent.delete(id);
    json(res, 200, { id, outcome });
  };

  const events = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-store', Connection: 'keep-alive' });
    const send = (m: unknown): void => void res.write(`data: ${JSON.stringify(m)}\n\n`);
    send(o.feed.snapshot());
    const unsubscribe = o.feed.subscribe(send);
    const ping = setInterval(() => res.write(': ping\n\n'), 15_000);
    req.on('close', () => {
      clearInterval(ping);
      unsubscribe();
    });
  };

  const route = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const refused = allowed(req);
    if (refused !== undefined) return fail(res, problem('BadRequest', `refused: ${refused}`));
    const url = new URL(req.url ?? '/', 'http://dashboard.invalid');
    const parts = url.pathname.split('/').filter((p) => p !== '').map(decodeURIComponent);
    const method = req.method ?? 'GET';
    if (method === 'GET' && parts[0] !== 'api') {
      const file = staticFile(url.pathname);
      if (file === undefined) return fail(res, problem('NotFound', `no page ${url.pathname}`));
      res.writeHead(200, { 'Content-Type': file.type, 'Cache-Control': 'no-cache', 'X-Content-Type-Options': 'nosniff', 'Content-Security-Policy': "default-src 'self'; style-src 'self'; img-src 'self' data:" });
      return void fs.createReadStream(file.file).pipe(res);
    }
    const [, what, namespace, name, sub, id] = parts;
    if (method === 'GET' && what === 'config' && parts.length === 2)
      return json(res, 200, { namespace: o.namespace ?? null, prometheus: o.prometheusUrl ? new URL(o.prometheusUrl).host : null, by: o.by ?? null, answerTimeoutMs });
    if (method === 'GET' && what === 'events' && parts.length === 2) return events(req, res);
    if (what !== 'shifts') return fail(res, problem('NotFound', `no API ${url.pathname}`));
    if (method === 'GET' && parts.length === 2) return json(res, 200, o.feed.snapshot());
    if (namespace === undefined || name === undefined) return fail(res, problem('NotFound', `no API ${url.pathname}`));
    if (method === 'GET' && parts.length === 4) return shiftPage(res, namespace, name);
    if (method === 'GET' && sub === 'charts' && parts.length === 5) return charts(res, namespace, name);
    if (method === 'POST' && sub === 'commands' && parts.length === 5) return command(req, res, namespace, name);
    if (method === 'GET' && sub === 'commands' && id !== undefined && parts.length === 6) return answer(res, namespace, name, id);
    return fail(res, problem('NotFound', `no API ${method} ${url.pathname}`));
  };

  const server = http.createServer((req, res) => {
    route(req, res).catch((e: unknown) => {
      if (!res.headersSent) fail(res, problem('ApiUnavailable', `the dashboard failed: ${e instanceof Error ? e.message : String(e)}`));
      else res.end();
    });
  });
  server.on('listening', () => {
    const a = server.address() as AddressInfo;
    const host = a.family === 'IPv6' ? `[${a.address}]` : a.address;
    ownHosts = ['0.0.0.0', '::'].includes(a.address) ? undefined : [`${host}:${a.port}`, ...(['127.0.0.1', '::1'].includes(a.address) ? [`localhost:${a.port}`] : [])];
  });
  return server;
};

/** Listen on `address:port` (port 0: any free one); resolves with the URL once listening. */
export const listen = (server: http.Server, address: string, port: number): Promise<RunningDashboard> =>
  new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, address, () => {
      const a = server.address() as AddressInfo;
      const host = a.family === 'IPv6' ? `[${a.address}]` : a.address;
      resolve({
        url: `http://${host}:${a.port}/`,
        close: () =>
          new Promise((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
