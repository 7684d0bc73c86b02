/**
 * A counting proxy in front of the real Prometheus, on loopback: the daemon's --prometheus-url
 * points here, so every HTTP request it sends Prometheus is counted (with its path and time)
 * before it is passed on unchanged.
 */
import * as http from 'node:http';
import { AddressInfo } from 'node:net';

export interface PromRequest {
  /** Epoch ms the request arrived. */
  readonly at: number;
  readonly path: string;
}

export interface CountingProxy {
  readonly url: string;
  readonly requests: PromRequest[];
  readonly close: () => Promise<void>;
}

export const startCountingProxy = async (target: string): Promise<CountingProxy> => {
  const upstream = new URL(target);
  const requests: PromRequest[] = [];
  const server = http.createServer((req, res) => {
    requests.push({ at: Date.now(), path: (req.url ?? '').split('?')[0]! });
    const out = http.request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, host: upstream.host } },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    out.on('error', (e) => {
      res.writeHead(502);
      res.end(String(e));
    });
    req.pipe(out);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
};

/**
 * Requests grouped into ticks: a tick is a run of requests less than `gapMs` apart (the sampler
 * sends one group's queries together once per interval). The number of requests in each tick.
 */
export const perTick = (times: readonly number[], gapMs = 2000): number[] => {
  const sorted = [...times].sort((a, b) => a - b);
  const ticks: number[] = [];
  let last = -Infinity;
  for (const t of sorted) {
    if (t - last > gapMs) ticks.push(0);
    ticks[ticks.length - 1]!++;
    last = t;
  }
  return ticks;
};
