/**
 * What the operator-facing commands (get, status, promote, …) need from the outside world, as
 * injected records so unit tests run them with no cluster and no terminal: `CliIo` for the
 * terminal and the clock, `ShiftClient` for the TrafficShift API. Production versions:
 * `nodeIo` here and `connectKube` in kubeShifts.ts (loaded only when a command runs).
 */
import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import * as E from 'fp-ts/Either';
import { TaskEither } from 'fp-ts/TaskEither';
import { KubeError } from '../kube/errors';
import { KubeObject } from '../kube/objects';

export interface CliIo {
  /** Write one line to stdout. */
  readonly out: (line: string) => void;
  /** Write one line to stderr. */
  readonly err: (line: string) => void;
  /** The environment (USER for sluice.dev/by). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** How the user called us, for usage lines: "sluice" or "kubectl sluice". */
  readonly program: string;
  /** Whether stdout is a terminal (status --watch then redraws in place). */
  readonly isTty: boolean;
  /** Epoch ms now. */
  readonly now: () => number;
  /** Wait `ms`. */
  readonly sleep: (ms: number) => Promise<void>;
  /** A fresh command id. */
  readonly newId: () => string;
  /** Aborted on Ctrl-C: --watch and --wait loops stop. Default never. */
  readonly signal?: AbortSignal;
}

/** The TrafficShift API as the CLI uses it. Errors are the daemon's KubeError sentences. */
export interface ShiftClient {
  /** TrafficShifts in `namespace`, or in every namespace when undefined. */
  readonly list: (namespace: string | undefined) => TaskEither<KubeError, readonly KubeObject[]>;
  /** One TrafficShift, fresh from the API server. */
  readonly get: (namespace: string, name: string) => TaskEither<KubeError, KubeObject>;
  /** A JSON merge patch (RFC 7386) on one TrafficShift, with field manager "sluice-cli". */
  readonly mergePatch: (namespace: string, name: string, patch: Record<string, unknown>) => TaskEither<KubeError, KubeObject>;
}

/** A connection: the client and the namespace of the kubeconfig's current context ("default" if none). */
export interface KubeAccess {
  readonly shifts: ShiftClient;
  readonly namespace: string;
}

/** Connect with `--kubeconfig` (else $KUBECONFIG or ~/.kube/config, or in-cluster); Left: why not. */
export type Connect = (kubeconfig: string | undefined) => Promise<E.Either<string, KubeAccess>>;

export interface CliDeps {
  readonly io: CliIo;
  readonly connect: Connect;
}

/** A command of the table in main.ts: the words after the command name, exit code back. */
export type CliCommand = (args: readonly string[], deps: CliDeps) => Promise<number>;

/** The terminal of this process. Ctrl-C ends --watch / --wait loops, and the process a second later if it is stuck. */
export const nodeIo = (): CliIo => {
  const abort = new AbortController();
  process.once('SIGINT', () => {
    abort.abort();
    setTimeout(() => process.exit(130), 1000).unref();
  });
  return {
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
    env: process.env,
    program: path.basename(process.argv[1] ?? '').startsWith('kubectl-') ? 'kubectl sluice' : 'sluice',
    isTty: process.stdout.isTTY === true,
    now: Date.now,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    newId: () => randomBytes(6).toString('hex'),
    signal: abort.signal,
  };
};

const connectKube: Connect = async (kubeconfig) => (await import('./kubeShifts')).connectKube(kubeconfig);

/** The I/O of main.ts's command table (text with its own newlines), structurally. */
export interface TextIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
}

/** Production dependencies writing through main.ts's I/O (so its tests can capture the output). */
export const depsFor = (text: TextIo): CliDeps => ({
  io: { ...nodeIo(), out: (line) => text.stdout(`${line}\n`), err: (line) => text.stderr(`${line}\n`) },
  connect: connectKube,
});
