/**
 * The daemon's HTTP endpoints: /metrics (the daemon registry), /healthz (the process answers),
 * /readyz (every cache has synced; a standby replica is ready too, so it can take over at once).
 */
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';

export interface Endpoints {
  /** host:port actually bound (port 0 picks a free one). */
  readonly address: string;
  readonly close: () => Promise<void>;
}

/** Split "host:port" or ":port" (all interfaces). Undefined when it is not one. */
export const parseAddr = (addr: string): { host?: string; port: number } | undefined => {
  const m = /^(.*):(\d{1,5})$/.exec(addr);
  if (!m) return undefined;
  const port = Number(m[2]);
  if (port > 65535) return undefined;
  const host = m[1]!.replace(/^\[(.*)\]$/, '$1');
  return host === '' ? { port } : { host, port };
};

export const serveEndpoints = (addr: string, registry: Registry, ready: () => boolean): Promise<Endpoints> => {
  const { host, port } = parseAddr(addr) ?? { port: 8080 };
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
    } else if (path === '/readyz') {
      const ok = ready();
      res.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' }).end(ok ? 'ok\n' : 'caches not synced\n');
    } else if (path === '/metrics') {
      registry.metrics().then(
        (body) => res.writeHead(200, { 'content-type': registry.contentType }).end(body),
        (e: unknown) => res.writeHead(500).end(String(e)),
      );
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const a = server.address() as AddressInfo;
      resolve({
        address: `${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`,
        close: () => new Promise<void>((r) => {
          server.closeAllConnections();
          server.close(() => r());
        }),
      });
    });
  });
};
