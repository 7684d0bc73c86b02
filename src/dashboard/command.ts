/**
 * `sluice dashboard [--port 3100] [--address 127.0.0.1] [-n NAMESPACE | -A]`: a local web UI over
 * the user's kubeconfig, acting with the user's own rights (like the CLI, through the same client
 * and the same command annotations). Runs until Ctrl-C.
 */
import * as E from 'fp-ts/Either';
import { randomBytes } from 'node:crypto';
import { FileIo, EXIT } from '../cli/output';
import { badValue, COMMON_FLAGS, FlagDef, flagValue, parseFlags, parsePort } from '../cli/parseFlags';

const FLAGS = {
  ...COMMON_FLAGS,
  all: { names: ['-A', '--all-namespaces'], kind: 'switch' },
  port: { names: ['--port'], kind: 'string', value: 'PORT' },
  address: { names: ['--address'], kind: 'string', value: 'ADDRESS' },
  prometheusUrl: { names: ['--prometheus-url'], kind: 'string', value: 'URL' },
  by: { names: ['--by'], kind: 'string', value: 'WHO' },
} as const satisfies Record<string, FlagDef>;

export const DASHBOARD_USAGE = 'dashboard [--port 3100] [--address 127.0.0.1] [-n NAMESPACE | -A] [--prometheus-url URL] [--by WHO] [--kubeconfig FILE]';
export const DEFAULT_PORT = 3100;
export const DEFAULT_ADDRESS = '127.0.0.1';

/** Runs the dashboard until SIGINT/SIGTERM (or `signal`); the exit code. */
export const runDashboard = async (args: readonly string[], io: FileIo, signal?: AbortSignal): Promise<number> => {
  const usage = (why: string): number => {
    io.stderr(`sluice dashboard: ${why} (usage: sluice ${DASHBOARD_USAGE})\n`);
    return EXIT.usage;
  };
  const parsed = parseFlags(args, FLAGS);
  if (E.isLeft(parsed)) return usage(parsed.left);
  const { flags, positionals } = parsed.right;
  if (flags.help) {
    io.stdout(`usage: sluice ${DASHBOARD_USAGE}\n`);
    return EXIT.ok;
  }
  if (positionals.length > 0) return usage(`unexpected argument ${JSON.stringify(positionals[0])}`);
  if (flags.all && flags.namespace) return usage('-n and -A cannot be used together');
  const port = flagValue('--port', flags.port ?? String(DEFAULT_PORT), parsePort, 'a port number (expected 0..65535; 0 picks a free one)');
  if (E.isLeft(port)) return usage(port.left);
  const prometheusUrl = flags.prometheusUrl ?? (process.env['SLUICE_PROMETHEUS_URL'] || undefined);
  if (prometheusUrl !== undefined && !URL.canParse(prometheusUrl)) return usage(badValue('--prometheus-url', prometheusUrl, 'a URL (expected e.g. "http://127.0.0.1:9090")'));

  // Loaded here: @kubernetes/client-node is needed only when the dashboard runs.
  const { loadKubeConfig } = await import('../cli/kubeShifts');
  const { dashboardKube } = await import('./kubeAccess');
  const { startFeed } = await import('./feed');
  const { createDashboardServer, listen } = await import('./server');

  const loaded = loadKubeConfig(flags.kubeconfig);
  if (E.isLeft(loaded)) {
    io.stderr(`sluice dashboard: ${loaded.left}\n`);
    return EXIT.failed;
  }
  const namespace = flags.all ? undefined : (flags.namespace ?? loaded.right.namespace);
  const kube = dashboardKube(loaded.right.kc);
  const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
  const feed = startFeed({ shifts: kube.shifts, watch: kube.watch, namespace, now: Date.now, sleep });
  const by = flags.by ?? (process.env['USER'] || process.env['USERNAME'] || undefined);
  const server = createDashboardServer({
    kube, feed, namespace,
    ...(prometheusUrl !== undefined ? { prometheusUrl } : {}),
    ...(by !== undefined ? { by } : {}),
    io: { now: Date.now, sleep, newId: () => randomBytes(6).toString('hex') },
  });
  let running;
  try {
    running = await listen(server, flags.address ?? DEFAULT_ADDRESS, port.right);
  } catch (e) {
    feed.stop();
    io.stderr(`sluice dashboard: cannot listen on ${flags.address ?? DEFAULT_ADDRESS}:${port.right}: ${e instanceof Error ? e.message : String(e)}\n`);
    return EXIT.failed;
  }
  io.stdout(`sluice dashboard: ${running.url} (TrafficShifts ${namespace === undefined ? 'in every namespace' : `in namespace ${namespace}`}, as the kubeconfig's user; Ctrl-C stops)\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
    signal?.addEventListener('abort', () => resolve());
  });
  feed.stop();
  await running.close();
  return EXIT.ok;
};
