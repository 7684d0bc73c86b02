/**
 * A TCP proxy on 127.0.0.1 in front of the local Prometheus, so the benchmark can make Prometheus
 * unreachable for both tools at once (scenario `prometheusOutage`) while Prometheus itself keeps
 * scraping. Both tools always query through it, outage or not, so neither gets a shorter path.
 *
 * During an outage every open connection is reset and every new one is reset right after it is
 * accepted: a client sees "connection reset" / "socket hang up", as with a partition that
 * rejects packets. The listening port stays the same.
 */
import * as net from 'node:net';

export interface PrometheusProxy {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** Starts (true) or ends (false) the outage. */
  readonly setDown: (down: boolean) => void;
  /** Connections reset because of an outage so far. */
  readonly refused: () => number;
  readonly close: () => Promise<void>;
}

/** Starts the proxy in front of `target` (an http://host:port URL). */
export const startPrometheusProxy = async (target: string): Promise<PrometheusProxy> => {
  const { hostname, port } = new URL(target);
  const open = new Set<net.Socket>();
  let down = false;
  let refused = 0;
  const server = net.createServer((client) => {
    if (down) {
      refused += 1;
      client.resetAndDestroy();
      return;
    }
    const upstream = net.connect({ host: hostname, port: Number(port) });
    open.add(client);
    open.add(upstream);
    const drop = (): void => {
      open.delete(client);
      open.delete(upstream);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${address.port}`,
    setDown: (d) => {
      down = d;
      if (d) {
        for (const s of open) {
          refused += 1;
          s.resetAndDestroy();
        }
        open.clear();
      }
    },
    refused: () => refused,
    close: async () => {
      for (const s of open) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
};
