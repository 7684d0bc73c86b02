/**
 * The loopback HTTP endpoint: GET /metrics (Prometheus), GET /ledger (ground truth JSON), GET /received
 * (requests per stream and version), GET /healthz, POST /profiles (a ProfileChange as JSON, effective at once).
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeProfileChange } from './config';
import type { ProfileChange } from './profiles';

/** What the endpoint serves from. */
export interface ControlHandlers {
  readonly metrics: () => Promise<{ readonly contentType: string; readonly body: string }>;
  readonly ledger: () => unknown;
  /** Who got which version: requests per stream and version since the start (MeshSim.received). */
  readonly received: () => unknown;
  readonly setProfile: (change: ProfileChange) => unknown;
}

const MAX_BODY = 64 * 1024;

const send = (res: http.ServerResponse, status: number, contentType: string, body: string): void => {
  res.writeHead(status, { 'content-type': contentType });
  res.end(body);
};
const sendJson = (res: http.ServerResponse, status: number, value: unknown): void => send(res, status, 'application/json', `${JSON.stringify(value)}\n`);

const readBody = (req: http.IncomingMessage): Promise<string> =>
  new Promise((resolve, reject) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      body += chunk;
      if (body.length > MAX_BODY) reject(new Error(`body larger than ${MAX_BODY} bytes`));
    });
    req.on('end', () => resolve(body));
    req.on('error', reject);
  });

const postProfile = async (req: http.IncomingMessage, res: http.ServerResponse, h: ControlHandlers): Promise<void> => {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readBody(req));
  } catch (e) {
    return sendJson(res, 400, { errors: [`body is not JSON: ${e instanceof Error ? e.message : String(e)}`] });
  }
  const decoded = decodeProfileChange(parsed);
  if (!decoded.ok) return sendJson(res, 400, { errors: decoded.errors });
  sendJson(res, 200, h.setProfile(decoded.value));
};

const handle = async (req: http.IncomingMessage, res: http.ServerResponse, h: ControlHandlers): Promise<void> => {
  const route = `${req.method} ${new URL(req.url ?? '/', 'http://localhost').pathname}`;
  switch (route) {
    case 'GET /metrics': {
      const m = await h.metrics();
      return send(res, 200, m.contentType, m.body);
    }
    case 'GET /ledger':
      return sendJson(res, 200, h.ledger());
    case 'GET /received':
      return sendJson(res, 200, h.received());
    case 'GET /healthz':
      return send(res, 200, 'text/plain', 'ok\n');
    case 'POST /profiles':
      return postProfile(req, res, h);
    default:
      return sendJson(res, 404, { errors: [`no such endpoint: ${route} (try GET /metrics, GET /ledger, GET /received, GET /healthz, POST /profiles)`] });
  }
};

/** Listens on 127.0.0.1:`port` (0: any free port); resolves with the server and the port bound. */
export const serveControl = (port: number, h: ControlHandlers): Promise<{ readonly server: http.Server; readonly port: number }> =>
  new Promise((resolve, reject) => {
    const server = http.createServer((req, res) => {
      handle(req, res, h).catch((e: unknown) => sendJson(res, 500, { errors: [e instanceof Error ? e.message : String(e)] }));
    });
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve({ server, port: (server.address() as AddressInfo).port }));
  });

/** Closes the server, dropping idle keep-alive connections. */
export const closeServer = (server: http.Server): Promise<void> =>
  new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
