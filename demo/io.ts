/**
 * The demo's reach into the world: kubectl (the commands it narrates are the ones it runs), the
 * TrafficShift status through the API, and the mesh simulator's control endpoint.
 */
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import type { ShiftStatus } from '../src/api/status';
import { parseManifests, sampleApp, type Sample } from './app';
import type { LedgerJson } from './ledger';
import { timingsFor, type App, type Timings } from './stories';
import type { LiveView } from './view';

/** The driver's command line. */
export interface Args {
  readonly quick: boolean;
  readonly results: string;
  readonly meshUrl: string;
  readonly appFile: string;
}

/** Runs kubectl (or a plugin through it); resolves with stdout, rejects with its stderr. */
export const kubectl = (args: readonly string[], stdin?: string): Promise<string> =>
  new Promise((resolve, reject) => {
    const child = execFile('kubectl', [...args], { maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) =>
      err ? reject(new Error(`kubectl ${args.join(' ')}: ${(stderr || err.message).trim()}`)) : resolve(stdout));
    if (stdin !== undefined) child.stdin?.end(stdin);
  });

export const applyObjects = (objs: readonly unknown[]): Promise<string> =>
  kubectl(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objs }));

/** The command line a person would type, for the narration. */
export const shellQuote = (args: readonly string[]): string => args.map((a) => (/^[\w./:=@-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');

/** Everything a story needs to act and observe. */
export interface Ctx {
  readonly args: Args;
  readonly t: Timings;
  readonly app: App;
  readonly sample: Sample;
  readonly view: LiveView;
  readonly readStatus: () => Promise<ShiftStatus | undefined>;
  readonly ledger: () => Promise<LedgerJson>;
  /** Requests per stream and version since the simulator started (GET /received). */
  readonly received: () => Promise<Record<string, Record<string, number>>>;
  readonly setProfile: (version: string, errorFraction: number) => Promise<void>;
}

export const makeCtx = async (args: Args, view: LiveView): Promise<Ctx> => {
  const objs = parseManifests(await fs.readFile(args.appFile, 'utf8'));
  const sample = sampleApp(objs);
  if (typeof sample === 'string') throw new Error(sample);
  const kc = new KubeConfig();
  kc.loadFromDefault();
  const custom = kc.makeApiClient(CustomObjectsApi);
  const { app } = sample;
  return {
    args,
    t: timingsFor(args.quick),
    app,
    sample,
    view,
    readStatus: async () => {
      try {
        const o = (await custom.getNamespacedCustomObject({ group: 'sluice.dev', version: 'v1alpha1', namespace: app.namespace, plural: 'trafficshifts', name: app.service })) as { status?: ShiftStatus };
        return o.status;
      } catch {
        return undefined; // not there yet, or the API server is busy: the next poll tells
      }
    },
    ledger: async () => {
      const res = await fetch(`${args.meshUrl}/ledger`);
      if (!res.ok) throw new Error(`mesh simulator GET /ledger: HTTP ${res.status}`);
      return (await res.json()) as LedgerJson;
    },
    received: async () => {
      const res = await fetch(`${args.meshUrl}/received`);
      if (!res.ok) throw new Error(`mesh simulator GET /received: HTTP ${res.status}`);
      return (await res.json()) as Record<string, Record<string, number>>;
    },
    setProfile: async (version, errorFraction) => {
      const res = await fetch(`${args.meshUrl}/profiles`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ namespace: app.namespace, service: app.service, version, errorFraction }),
      });
      if (!res.ok) throw new Error(`mesh simulator POST /profiles: HTTP ${res.status}: ${await res.text()}`);
    },
  };
};
