/**
 * `scripts/bench.sh fallback --scenario FILE [--tools sluice,flagger] [--runs N] [--settings defaults|matched] [--json OUT]`
 *
 * Runs one scenario (bench/scenarios/*.yaml, docs/benchmarks.md) on the real local control plane,
 * Prometheus and mesh simulator, for each tool at the same time: `--runs` copies of the app per
 * tool, each in the tool's own namespace, all shifted at the same instant t0. Prints a table and
 * writes the JSON document (report.ts). Needs the environment of `scripts/cluster.sh env`
 * (KUBECONFIG, kubectl on PATH, SLUICE_PROMETHEUS_URL, SLUICE_PROM_TARGETS_DIR,
 * SLUICE_SCRAPE_INTERVAL, SLUICE_AUDIT_LOG) and, for Flagger, SLUICE_FLAGGER_DIR
 * (scripts/lib/flagger.sh). scripts/bench/fallback.sh provides all of that.
 *
 * Exit codes: 0 done (whatever the outcomes), 1 the harness failed, 2 bad arguments or scenario.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, promises as fs } from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { formatDuration, parseDuration } from '../../src/api/duration';
import { parseCli, USAGE, UsageError, type Args } from './cli';
import { startMeshSim, type MeshSim } from '../../test/mesh-sim/sim';
import { limitOf } from './limit';
import {
  canary, candidateWeightOf, flaggerDeployment, flaggerVersionPatch, ledgerServices, namespaceObj, sluiceDeployment, sluiceService, trafficShift, type Obj,
} from './manifests';
import { measureRun, type Outcome, type RunFacts, type RunResult } from './measure';
import { startPrometheusProxy } from './proxy';
import { summarize, tableCells, textTable, type BenchDocument } from './report';
import { firstWeight, maxErrorRateOf, parseScenario, timeoutOf, toolSettings, withSettings, type Scenario, type ToolRun } from './scenario';

/** The repository root: the nearest folder up with package.json (dist/bench/fallback or bench/fallback). */
const REPO = ((): string => {
  let dir = __dirname;
  while (!existsSync(path.join(dir, 'package.json')) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return dir;
})();
const STABLE = 'v1';
const CANDIDATE = 'v2';
/** Mesh simulator propagation delay (its default): watch event -> proxies act on it. */
const PROPAGATION_MS = 1000;
/** One VirtualService write on the local API server, as the limit counts it (docs/benchmarks.md). */
const WRITE_SECONDS = 0.1;
/** Traffic before t0, so both tools' queries have history (two scrapes at least). */
const WARMUP_MS = 20_000;

const log = (msg: string): void => {
  process.stderr.write(`${new Date().toISOString().slice(11, 19)} [fallback] ${msg}\n`);
};

// ------------------------------------------------------------------ the world

const kubectl = (args: readonly string[], stdin?: string): Promise<string> =>
  new Promise((resolve, reject) => {
    const child = execFile('kubectl', [...args], { maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) =>
      err ? reject(new Error(`kubectl ${args.join(' ')}: ${(stderr || err.message).trim()}`)) : resolve(stdout));
    if (stdin !== undefined) child.stdin?.end(stdin);
  });

const apply = (objs: readonly Obj[]): Promise<string> =>
  kubectl(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objs }));

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const waitFor = async (what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<void> => {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await sleep(1000);
  }
};

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });

const requireEnv = (name: string): string => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run through scripts/bench.sh fallback (or eval "$(scripts/cluster.sh env)")`);
  return v;
};

interface Daemon {
  readonly name: string;
  readonly child: ChildProcess;
}

const startDaemon = async (name: string, cmd: string, args: readonly string[], logFile: string): Promise<Daemon> => {
  const out = createWriteStream(logFile);
  const child = spawn(cmd, [...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.pipe(out);
  child.stderr!.pipe(out);
  child.on('exit', (code, signal) => {
    if (code !== null && code !== 0) log(`${name} exited with ${code} (log: ${logFile})`);
    else if (signal !== null && signal !== 'SIGTERM') log(`${name} killed by ${signal}`);
  });
  return { name, child };
};

const stopDaemon = async (d: Daemon): Promise<void> => {
  if (d.child.exitCode !== null || d.child.signalCode !== null) return;
  const exited = new Promise<void>((r) => d.child.once('exit', () => r()));
  d.child.kill('SIGTERM');
  const timer = setTimeout(() => d.child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
};

// ------------------------------------------------------------------ one tool's side

interface Side {
  readonly tool: ToolRun;
  readonly namespace: string;
  readonly apps: readonly string[];
  /** Objects that exist before t0. */
  readonly setup: () => Obj[];
  /** The tool's own object per app, created after its daemon runs. */
  readonly owned: () => Obj[];
  /** Their resource (`kubectl get` name); deleted while the daemon still runs, so it can finalize them. */
  readonly ownedResource: string;
  /** Ready to shift: the stable version serves all traffic under the tool's control. */
  readonly ready: () => Promise<boolean>;
  /** Starts the shift to the candidate for every app. */
  readonly shift: () => Promise<void>;
  /** Each app's outcome so far (undefined: still deciding). */
  readonly outcomes: () => Promise<ReadonlyMap<string, Outcome | undefined>>;
}

interface ShiftItem {
  metadata: { name: string };
  status?: { phase?: string; stableVersion?: string; candidateVersion?: string; weights?: { stable?: number; candidate?: number } };
}

const sluiceSide = (s: Scenario, tool: ToolRun, namespace: string, apps: readonly string[]): Side => {
  const base = toolSettings(s).sluice;
  const settings = tool.method ? { ...base, analysis: { ...base.analysis, method: tool.method } } : base;
  const list = async (): Promise<ShiftItem[]> => (JSON.parse(await kubectl(['-n', namespace, 'get', 'trafficshifts.sluice.dev', '-o', 'json'])) as { items: ShiftItem[] }).items;
  return {
    tool,
    namespace,
    apps,
    setup: () => apps.flatMap((app) => [sluiceService(namespace, app), sluiceDeployment(namespace, app, STABLE)]),
    owned: () => apps.map((app) => trafficShift(namespace, app, STABLE, settings)),
    ownedResource: 'trafficshifts.sluice.dev',
    ready: async () => {
      const items = await list();
      return apps.every((app) => {
        const st = items.find((i) => i.metadata.name === app)?.status;
        return st?.stableVersion === STABLE && st.weights?.stable === 100;
      });
    },
    shift: async () => {
      await apply(apps.map((app) => sluiceDeployment(namespace, app, CANDIDATE)));
      await Promise.all(apps.map((app) => kubectl(['-n', namespace, 'patch', 'trafficshifts.sluice.dev', app, '--type', 'merge', '-p', JSON.stringify({ spec: { version: CANDIDATE } })])));
    },
    outcomes: async () => {
      const items = await list();
      return new Map(apps.map((app) => {
        const st = items.find((i) => i.metadata.name === app)?.status;
        if (st?.phase === 'Promoted' && st.stableVersion === CANDIDATE) return [app, 'promoted'];
        if (st?.phase === 'RolledBack' && st.candidateVersion === CANDIDATE) return [app, 'fellBack'];
        return [app, undefined];
      }));
    },
  };
};

const flaggerSide = (s: Scenario, tool: ToolRun, namespace: string, apps: readonly string[]): Side => {
  const settings = toolSettings(s).flagger;
  const list = async (): Promise<ShiftItem[]> => (JSON.parse(await kubectl(['-n', namespace, 'get', 'canaries.flagger.app', '-o', 'json'])) as { items: ShiftItem[] }).items;
  const phases = async (): Promise<Map<string, string | undefined>> => {
    const items = await list();
    return new Map(apps.map((app) => [app, items.find((i) => i.metadata.name === app)?.status?.phase]));
  };
  return {
    tool,
    namespace,
    apps,
    setup: () => apps.map((app) => flaggerDeployment(namespace, app, STABLE)),
    owned: () => apps.map((app) => canary(namespace, app, settings)),
    ownedResource: 'canaries.flagger.app',
    ready: async () => [...(await phases()).values()].every((p) => p === 'Initialized'),
    shift: async () => {
      await Promise.all(apps.map((app) => kubectl(['-n', namespace, 'patch', 'deployment', app, '--type', 'merge', '-p', JSON.stringify(flaggerVersionPatch(app, CANDIDATE))])));
    },
    outcomes: async () => {
      const p = await phases();
      return new Map(apps.map((app) => [app, p.get(app) === 'Succeeded' ? 'promoted' : p.get(app) === 'Failed' ? 'fellBack' : undefined]));
    },
  };
};

// ------------------------------------------------------------------ audit log: weight writes

interface AuditLine {
  stage?: string;
  verb?: string;
  objectRef?: { resource?: string; namespace?: string; name?: string };
  responseStatus?: { code?: number };
  responseObject?: unknown;
  stageTimestamp?: string;
}

/** Candidate weight changes per `namespace/app`, from the API server's audit log: [seconds since t0, weight]. */
const weightChangesFromAudit = async (file: string | undefined, namespaces: readonly string[], t0Ms: number): Promise<Map<string, [number, number][]>> => {
  const out = new Map<string, [number, number][]>();
  if (!file) return out;
  const text = await fs.readFile(file, 'utf8').catch(() => '');
  for (const line of text.split('\n')) {
    if (!line.includes('"virtualservices"')) continue;
    let e: AuditLine;
    try {
      e = JSON.parse(line) as AuditLine;
    } catch {
      continue;
    }
    const ref = e.objectRef;
    if (e.stage !== 'ResponseComplete' || !ref?.namespace || !namespaces.includes(ref.namespace) || !ref.name) continue;
    if (!['create', 'update', 'patch'].includes(e.verb ?? '') || (e.responseStatus?.code ?? 500) >= 300) continue;
    const w = candidateWeightOf(e.responseObject, ref.name, CANDIDATE);
    if (w === undefined) continue;
    const key = `${ref.namespace}/${ref.name}`;
    const changes = out.get(key) ?? [];
    const t = Math.round((Date.parse(e.stageTimestamp ?? '') - t0Ms) / 100) / 10;
    if (!(t >= 0)) continue;
    if (changes.length === 0 || changes[changes.length - 1]![1] !== w) changes.push([t, w]);
    out.set(key, changes);
  }
  return out;
};

// ------------------------------------------------------------------ the run

const shortId = (): string => Date.now().toString(36).slice(-5);

const dns = (s: string): string => s.toLowerCase().replace(/[^a-z0-9-]+/g, '-');
const namespaceFor = (scenario: string, id: string, tool: ToolRun): string =>
  `fb-${dns(scenario).slice(0, 24)}-${id}-${tool.kind === 'flagger' ? 'f' : `s${tool.method ? `-${dns(tool.method).slice(0, 16)}` : ''}`}`;

export const runBenchmark = async (args: Args): Promise<BenchDocument> => {
  const text = await fs.readFile(args.scenarioFile, 'utf8').catch((e: Error) => {
    throw new UsageError(`--scenario: cannot read ${args.scenarioFile}: ${e.message}`);
  });
  const name = path.basename(args.scenarioFile).replace(/\.ya?ml$/, '');
  const parsed = parseScenario(text, name);
  if (!parsed.ok) throw new UsageError(`${args.scenarioFile}:\n  ${parsed.errors.join('\n  ')}`);
  const resettled = args.settings ? withSettings(parsed.value, args.settings) : parsed;
  if (!resettled.ok) throw new UsageError(resettled.errors.join('\n'));
  const scenario: Scenario = { ...resettled.value, runs: args.runs ?? resettled.value.runs };

  const promUrl = requireEnv('SLUICE_PROMETHEUS_URL');
  requireEnv('KUBECONFIG');
  const scrapeMs = parseDuration(process.env.SLUICE_SCRAPE_INTERVAL || '5s') ?? 5000;
  const flaggerDir = args.tools.some((t) => t.kind === 'flagger') ? requireEnv('SLUICE_FLAGGER_DIR') : undefined;
  await fs.mkdir(args.logs, { recursive: true });

  const id = shortId();
  const apps = Array.from({ length: scenario.runs }, (_, i) => `app-${i}`);
  const sides: Side[] = args.tools.map((tool) =>
    tool.kind === 'sluice' ? sluiceSide(scenario, tool, namespaceFor(name, id, tool), apps) : flaggerSide(scenario, tool, namespaceFor(name, id, tool), apps));
  const settings = toolSettings(scenario);
  log(`scenario ${name} (${scenario.settings}), ${scenario.runs} run(s) per tool: ${args.tools.map((t) => t.label).join(', ')}; logs in ${args.logs}`);

  const daemons: Daemon[] = [];
  let sim: MeshSim | undefined;
  const proxy = await startPrometheusProxy(promUrl);
  const timers: NodeJS.Timeout[] = [];
  try {
    if (flaggerDir) {
      await kubectl(['apply', '--server-side', '--force-conflicts', '-f', path.join(flaggerDir, 'crd.yaml')]);
      await kubectl(['wait', '--for', 'condition=established', '--timeout=60s', 'crd/canaries.flagger.app']);
    }
    await apply(sides.map((s) => namespaceObj(s.namespace)));
    await apply(sides.flatMap((s) => s.setup()));

    // The mesh: traffic to every app; v1 behaves as stable, v2 as stable until it turns bad.
    const candidateBadNow = scenario.candidate.badFromSeconds === 0;
    const profileFor = (version: string, bad: boolean) => {
      const b = version === STABLE || !bad ? scenario.stable : scenario.candidate;
      return { version, errorFraction: b.errorFraction, p50Ms: b.p50Ms, p99Ms: b.p99Ms };
    };
    const serviceRefs = sides.flatMap((s) => s.apps.flatMap((app) => ledgerServices(s.tool.kind, s.namespace, app)));
    const profiles = (bad: boolean) =>
      serviceRefs.flatMap((ref) => {
        const [namespace, service] = ref.split('/') as [string, string];
        return [STABLE, CANDIDATE].map((v) => ({ namespace, service, ...profileFor(v, bad) }));
      });
    sim = await startMeshSim(
      {
        ledgerPath: path.join(args.logs, 'ledger.json'),
        propagationDelayMs: PROPAGATION_MS,
        services: sides.flatMap((s) => s.apps.map((app) => ({ namespace: s.namespace, service: app, rps: scenario.rps }))),
        profiles: profiles(candidateBadNow),
      },
      { log: (m) => log(`mesh-sim: ${m}`) },
    );
    log(`mesh simulator on ${sim.url}, Prometheus through ${proxy.url}`);

    for (const side of sides) {
      const logFile = path.join(args.logs, `${dns(side.tool.label)}.log`);
      if (side.tool.kind === 'sluice') {
        const port = await freePort();
        daemons.push(await startDaemon(side.tool.label, process.execPath, [
          path.join(REPO, 'dist', 'src', 'cli', 'main.js'), 'run',
          '--kubeconfig', requireEnv('KUBECONFIG'), '--prometheus-url', proxy.url, '--namespace', side.namespace,
          '--metrics-addr', `127.0.0.1:${port}`, '--leader-elect=false', '--log-format', 'json',
          // a fact of the environment, like the URL: how often its Prometheus scrapes (sequential gates read that often)
          '--scrape-interval', formatDuration(scrapeMs),
        ], logFile));
      } else {
        const port = await freePort();
        daemons.push(await startDaemon('flagger', path.join(flaggerDir!, 'flagger'), [
          '-kubeconfig', requireEnv('KUBECONFIG'), '-mesh-provider', 'istio', '-metrics-server', proxy.url,
          '-namespace', side.namespace, '-port', String(port), '-log-level', 'info', '-enable-leader-election=false',
        ], logFile));
      }
    }
    await apply(sides.flatMap((s) => s.owned()));
    // Flagger initializes on its analysis ticker (defaults: every minute), so allow a few ticks.
    await Promise.all(sides.map((s) => waitFor(`${s.tool.label} to take over ${s.namespace} at ${STABLE}`, 300_000, s.ready)));
    log(`both tools route ${STABLE} at 100 %; ${WARMUP_MS / 1000} s of traffic before the shift`);
    await sleep(WARMUP_MS);

    // t0: every app of every tool asks for the candidate at once.
    const t0Ms = Date.now();
    await Promise.all(sides.map((s) => s.shift()));
    log(`t0: shift to ${CANDIDATE} started${scenario.prometheusOutage ? `; Prometheus unreachable from ${scenario.prometheusOutage.fromSeconds} s for ${scenario.prometheusOutage.forSeconds} s` : ''}`);
    if (!candidateBadNow) {
      timers.push(setTimeout(() => {
        for (const p of profiles(true)) sim!.setProfile(p);
        log(`${CANDIDATE} turns bad (errorFraction ${scenario.candidate.errorFraction})`);
      }, t0Ms + scenario.candidate.badFromSeconds * 1000 - Date.now()));
    }
    const outage = scenario.prometheusOutage;
    if (outage) {
      timers.push(setTimeout(() => { proxy.setDown(true); log('Prometheus unreachable'); }, t0Ms + outage.fromSeconds * 1000 - Date.now()));
      timers.push(setTimeout(() => { proxy.setDown(false); log(`Prometheus reachable again (${proxy.refused()} connections reset)`); }, t0Ms + (outage.fromSeconds + outage.forSeconds) * 1000 - Date.now()));
    }

    const verdicts = new Map<string, { outcome: Outcome; atMs: number }>();
    const key = (s: Side, app: string): string => `${s.namespace}/${app}`;
    const total = sides.length * apps.length;
    const deadline = t0Ms + timeoutOf(scenario) * 1000;
    while (verdicts.size < total && Date.now() < deadline) {
      await sleep(1000);
      for (const side of sides) {
        const now = Date.now();
        const outcomes = await side.outcomes().catch((e: Error) => {
          log(`reading ${side.tool.label} status: ${e.message}`);
          return new Map<string, Outcome | undefined>();
        });
        for (const [app, outcome] of outcomes) {
          if (outcome === undefined || verdicts.has(key(side, app))) continue;
          verdicts.set(key(side, app), { outcome, atMs: now });
          log(`${side.tool.label} ${app}: ${outcome} after ${((now - t0Ms) / 1000).toFixed(0)} s (${verdicts.size}/${total})`);
        }
      }
    }
    // Let the last route change reach the proxies and show in the ledger.
    await sleep(PROPAGATION_MS + 3000);
    const endMs = Date.now();
    const ledger = sim.ledger();
    await fs.writeFile(path.join(args.logs, 'ledger.json'), JSON.stringify(ledger));
    const weights = await weightChangesFromAudit(process.env.SLUICE_AUDIT_LOG, sides.map((s) => s.namespace), t0Ms);

    const runs: RunResult[] = sides.flatMap((side) =>
      side.apps.map((app, run) => {
        const v = verdicts.get(key(side, app));
        const facts: RunFacts = {
          tool: side.tool.label,
          scenario: name,
          settings: scenario.settings,
          run,
          services: ledgerServices(side.tool.kind, side.namespace, app),
          stableVersion: STABLE,
          candidateVersion: CANDIDATE,
          t0Ms,
          endMs,
          outcome: v?.outcome ?? 'held',
          ...(v ? { verdictMs: v.atMs } : {}),
          badFromSeconds: scenario.candidate.badFromSeconds,
          weightChanges: weights.get(key(side, app)) ?? [],
        };
        return measureRun(ledger, facts);
      }));

    const limit = limitOf({
      p1: scenario.candidate.errorFraction,
      p0: maxErrorRateOf(scenario),
      alpha: scenario.falseFailureRate,
      rps: scenario.rps,
      firstWeight: Math.min(...args.tools.map((t) => firstWeight(scenario, t.kind))),
      scrapeSeconds: scrapeMs / 1000,
      propagationSeconds: PROPAGATION_MS / 1000,
      writeSeconds: WRITE_SECONDS,
    }) ?? null;
    const flaggerVersion = flaggerDir ? /version (\S+)/.exec(await execFileText(path.join(flaggerDir, 'flagger'), ['-version']))?.[1] : undefined;
    const pkg = JSON.parse(await fs.readFile(path.join(REPO, 'package.json'), 'utf8')) as { version: string };
    return {
      benchmark: 'fallback',
      command: `scripts/bench.sh fallback ${process.argv.slice(2).join(' ')}`,
      startedAt: new Date(t0Ms).toISOString(),
      environment: {
        scrapeSeconds: scrapeMs / 1000,
        propagationSeconds: PROPAGATION_MS / 1000,
        writeSeconds: WRITE_SECONDS,
        ...(flaggerVersion ? { flaggerVersion } : {}),
        sluiceVersion: pkg.version,
        cpus: os.cpus().length,
      },
      scenario,
      settings,
      limit,
      runs,
      summary: summarize(scenario, limit, runs),
    };
  } finally {
    for (const t of timers) clearTimeout(t);
    if (!args.keep) await Promise.all(sides.map(releaseOwned));
    await Promise.all(daemons.map(stopDaemon));
    await sim?.stop().catch(() => undefined);
    await proxy.close();
    if (!args.keep) await kubectl(['delete', 'namespace', '--wait=false', '--ignore-not-found', ...sides.map((s) => s.namespace)]).catch((e: Error) => log(e.message));
  }
};

/**
 * Deletes a side's TrafficShifts or Canaries while its daemon still runs: sluice holds a finalizer
 * (deletion pins stable and releases the routes, ADR 0004), so without its daemon the namespace
 * would never go. Whatever is still there after 60 s loses its finalizers.
 */
const releaseOwned = async (side: Side): Promise<void> => {
  const names = async (): Promise<string[]> =>
    (await kubectl(['-n', side.namespace, 'get', side.ownedResource, '-o', 'name']).catch(() => '')).split('\n').filter((n) => n !== '');
  await kubectl(['-n', side.namespace, 'delete', side.ownedResource, '--all', '--wait=false']).catch((e: Error) => log(e.message));
  await waitFor(`${side.tool.label} to release ${side.namespace}`, 60_000, async () => (await names()).length === 0).catch(async (e: Error) => {
    log(`${e.message}; removing finalizers`);
    for (const n of await names()) await kubectl(['-n', side.namespace, 'patch', n, '--type', 'merge', '-p', '{"metadata":{"finalizers":null}}']).catch(() => undefined);
  });
};

const execFileText = (cmd: string, args: readonly string[]): Promise<string> =>
  new Promise((resolve) => execFile(cmd, [...args], (err, stdout) => resolve(err ? '' : stdout)));

const main = async (): Promise<number> => {
  let args: Args;
  try {
    args = parseCli(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`bench fallback: ${(e as Error).message}\n${USAGE}\n`);
    return 2;
  }
  try {
    const doc = await runBenchmark(args);
    process.stdout.write(`\n${doc.scenario.name}: ${doc.scenario.description}\n`);
    process.stdout.write(`${textTable(doc.summary.map((r) => tableCells(r, doc.limit ? doc.limit.failedRequests : null)))}\n`);
    if (doc.limit) {
      process.stdout.write(`limit ${doc.limit.failedRequests.toFixed(1)} failed requests = ${doc.limit.failuresToDecide.toFixed(1)} to decide (SPRT, α = β = ${doc.scenario.falseFailureRate}, ${doc.limit.requestsToDecide.toFixed(0)} requests) + ${doc.limit.lagFailures.toFixed(1)} in ${doc.limit.lagSeconds.toFixed(1)} s of scrape, propagation and write\n`);
    }
    if (args.json) {
      await fs.mkdir(path.dirname(path.resolve(args.json)), { recursive: true });
      await fs.writeFile(args.json, `${JSON.stringify(doc, null, 2)}\n`);
      process.stdout.write(`JSON: ${args.json}\n`);
    }
    return 0;
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`bench fallback: ${e.message}\n`);
      return 2;
    }
    process.stderr.write(`bench fallback: ${(e as Error).stack ?? String(e)}\n`);
    return 1;
  }
};

if (require.main === module) {
  main().then((code) => process.exit(code));
}
