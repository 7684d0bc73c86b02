/**
 * `sluice run`: the controller daemon. Flags (each with an environment equivalent) are listed by
 * `sluice run --help`. Bad flags exit 2 with one line; otherwise it runs until SIGTERM or
 * SIGINT, then finishes the write in flight, releases the lease and exits 0.
 */
import * as E from 'fp-ts/Either';
import { parseRunConfig, runUsage } from '../daemon/config';
import { defaultIdentity, podNamespace, startDaemon } from '../daemon/daemon';
import { createLogger } from '../daemon/log';
import { EXIT } from './output';

/** The output a command needs (structurally the CLI's io record). */
export interface RunIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
}

export const runDaemon = async (args: readonly string[], io: RunIo): Promise<number> => {
  if (args.includes('--help') || args.includes('-h')) {
    io.stdout(runUsage());
    return EXIT.ok;
  }
  const ns = podNamespace();
  const config = parseRunConfig(args, process.env, { identity: defaultIdentity(), ...(ns ? { podNamespace: ns } : {}) });
  if (E.isLeft(config)) {
    io.stderr(`sluice run: ${config.left}\n`);
    return EXIT.usage;
  }
  const log = createLogger(config.right.logFormat, config.right.logLevel);
  let daemon;
  try {
    daemon = await startDaemon(config.right, log);
  } catch (e) {
    io.stderr(`sluice run: ${(e as Error)?.message ?? String(e)}\n`);
    return EXIT.failed;
  }
  const started = daemon;
  return new Promise<number>((resolve) => {
    const stop = (signal: string): void => {
      log.info('signal received', { signal });
      const exit = (code: number): void => {
        resolve(code);
        // Idle keep-alive sockets must not hold the process open once everything is stopped.
        setTimeout(() => process.exit(code), 200).unref();
      };
      started.shutdown().then(
        () => exit(EXIT.ok),
        (e: unknown) => {
          log.error('shutdown failed', { error: String(e) });
          exit(EXIT.failed);
        },
      );
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
};
