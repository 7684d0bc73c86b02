/**
 * `scripts/bench.sh scale`: thousands of TrafficShifts on the real local control plane (issue 12).
 * Builds N services with two versions each and M unrelated pods, starts sluice fresh, moves every
 * shift to a canary that stays at its first step, and measures: command latency (annotation write
 * -> VirtualService write, from the audit log), memory (RSS and V8 heap), Prometheus requests per
 * gate tick and per minute (a counting proxy), API requests per second and watches held (the
 * daemon's own metrics), a restart after SIGKILL and a leader failover. Prints a table and writes
 * the figures as JSON (--json). The goals are reported, not asserted: the shape of the output is
 * what the short run in scripts/test.sh checks (test/integration/scale-bench.test.ts).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { connectApi } from './api';
import { isRouteWrite, isStatusWrite, stored, tailAudit, bySluice, Write } from './auditTail';
import { commander, seeded, Timed, VERBS } from './commands';
import { DaemonProcess, Memory, memoryOf, readMetrics, startDaemon, sumOf, waitFor } from './daemon';
import { FleetOptions, Target, targets, targetPods, unrelatedPods } from './fleet';
import { BenchOptions, parseOptions, USAGE } from './options';
import { perTick, startCountingProxy } from './promProxy';
import { createPod, createShifts, deleteMesh, isProgressing, isStableAt, listShifts, mergePatch, podPath, setVersion, shiftPath, waitPodsRunning } from './setup';
import { waitQuietCluster } from './quiet';
import { floors, MB, round, slope, summarize } from './stats';
import { ScaleReport } from './report';
import { printReport } from './print';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const log = (m: string): void => console.log(`${new Date().toISOString().slice(11, 19)} ${m}`);

const envOr = (name: string): string => {
  const v = process.env[name];
  if (!v) throw new Error(`$${name} is not set: source the env.sh of scripts/cluster.sh up (scripts/bench/scale.sh does)`);
  return v;
};

const mem = (m: Memory) => ({ rssMB: round(m.rssBytes / MB), heapUsedMB: round(m.heapUsedBytes / MB), heapTotalMB: round(m.heapTotalBytes / MB) });

/**
 * Memory over `ms`, sampled every 2 s (each reading scrapes /metrics, which allocates in the
 * daemon): the last reading, and the lowest heap reading (the closest to the live set).
 */
const settle = async (d: DaemonProcess, ms: number) => {
  const until = Date.now() + ms;
  let last = await memoryOf(d);
  let heapFloor = last.heapUsedBytes;
  let rssMax = last.rssBytes;
  while (Date.now() < until) {
    await sleep(2000);
    last = await memoryOf(d);
    heapFloor = Math.min(heapFloor, last.heapUsedBytes);
    rssMax = Math.max(rssMax, last.rssBytes);
  }
  return { ...mem(last), heapFloorMB: round(heapFloor / MB), rssMaxMB: round(rssMax / MB) };
};

/** The daemon reconciled every shift at least `n` times in all and has nothing queued. */
const reconciledAll = async (d: DaemonProcess, n: number): Promise<true | undefined> => {
  const m = await readMetrics(d);
  if (!m) return undefined;
  const done = sumOf(m, 'sluice_reconcile_duration_seconds_count');
  return done >= n && sumOf(m, 'sluice_workqueue_depth') === 0 ? true : undefined;
};

const ready = async (d: DaemonProcess): Promise<true | undefined> => {
  try {
    const res = await fetch(d.metricsUrl.replace(/metrics$/, 'readyz'), { signal: AbortSignal.timeout(5000) });
    return res.ok ? true : undefined;
  } catch {
    return undefined;
  }
};

const run = async (o: BenchOptions): Promise<ScaleReport> => {
  const kubeconfig = envOr('KUBECONFIG');
  const auditFile = envOr('SLUICE_AUDIT_LOG');
  const envDir = envOr('SLUICE_ENV_DIR');
  const api = connectApi(kubeconfig);
  const random = seeded(o.seed);
  const fleet: FleetOptions = o.fleet;
  const all = targets(fleet);
  const runId = Date.now().toString(36);
  const logDir = path.join(envDir, 'bench-scale');
  fs.mkdirSync(logDir, { recursive: true });
  const daemons: DaemonProcess[] = [];
  const daemon = async (identity: string, leaderElect: boolean): Promise<DaemonProcess> => {
    const d = await startDaemon({ identity, kubeconfig, prometheusUrl: proxy.url, logFile: path.join(logDir, `${identity}.log`), leaderElect, leaseDurationS: o.leaseDurationS, nodeArgs: o.nodeArgs });
    daemons.push(d);
    return d;
  };

  log(`cleaning up what an earlier run left (namespaces ${fleet.prefix}-*)`);
  await deleteMesh(api, fleet);
  await waitFor(async () => {
    const nss = await api.json<{ items: { metadata: { name: string } }[] }>({ method: 'GET', path: '/api/v1/namespaces', query: { labelSelector: 'bench.sluice.dev/scale=true' } });
    return nss.items.some((n) => n.metadata.name.startsWith(`${fleet.prefix}-`)) ? undefined : true;
  }, 'the namespaces of an earlier run to go', 15 * 60_000, 2000);
  const left = await waitQuietCluster(api, fleet.prefix, 2 * 60_000);
  if (left.length > 0) log(`warning: the cluster-wide daemon will also find ${left.slice(0, 10).join(', ')}${left.length > 10 ? ` and ${left.length - 10} more` : ''}`);

  const proxy = await startCountingProxy(envOr('SLUICE_PROMETHEUS_URL'));
  const audit = tailAudit(auditFile);
  const cmd = commander(api, runId, random);
  const pump = setInterval(() => cmd.observe(audit.poll()), 100);
  const report: { -readonly [K in keyof ScaleReport]?: ScaleReport[K] } & { setup: Record<string, number> } = { setup: {} };
  try {
    // 1. the daemon on an empty mesh, then M unrelated pods: what each costs
    const a = await daemon('scale-a', false);
    await waitFor(() => ready(a), 'the daemon to be ready', 120_000);
    const empty = await settle(a, o.settleMs);
    log(`daemon started: RSS ${empty.rssMB} MB, heap ${empty.heapFloorMB}-${empty.heapUsedMB} MB`);
    const t0 = Date.now();
    await api.each(['', ...new Set([...unrelatedPods(fleet), ...targetPods(fleet)].map((p) => p.namespace))].filter(Boolean), (n) =>
      api.json({ method: 'POST', path: '/api/v1/namespaces', body: { metadata: { name: n, labels: { 'bench.sluice.dev/scale': 'true' } } } }, [409]));
    let made = 0;
    const unrelated = unrelatedPods(fleet);
    await api.each(unrelated, async (p) => {
      await createPod(api, p);
      if (++made % 2000 === 0) log(`  ${made}/${unrelated.length} unrelated pods created`);
    }, o.parallel);
    await waitPodsRunning(api, 30 * 60_000);
    report.setup.unrelatedPodsS = round((Date.now() - t0) / 1000);
    const withUnrelated = await settle(a, o.settleMs);
    log(`${fleet.unrelatedPods} unrelated pods running after ${report.setup.unrelatedPodsS} s: RSS ${withUnrelated.rssMB} MB, heap ${withUnrelated.heapFloorMB} MB`);

    // 2. services and their pods, then the shifts in levels (command latency at each)
    const t1 = Date.now();
    await api.each(all, (t) => api.json({ method: 'POST', path: `/api/v1/namespaces/${t.namespace}/services`, body: { metadata: { name: t.name }, spec: { selector: { app: t.name }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] } } }, [409]), o.parallel);
    const tpods = targetPods(fleet);
    made = 0;
    await api.each(tpods, async (p) => {
      await createPod(api, p);
      if (++made % 2000 === 0) log(`  ${made}/${tpods.length} service pods created`);
    }, o.parallel);
    await waitPodsRunning(api, 30 * 60_000);
    report.setup.servicePodsS = round((Date.now() - t1) / 1000);
    const withPods = await settle(a, o.settleMs);
    log(`${all.length} services, ${tpods.length} pods running after ${report.setup.servicePodsS} s: RSS ${withPods.rssMB} MB, heap ${withPods.heapFloorMB} MB`);

    const levels: ScaleReport['levels'][number][] = [];
    let have = 0;
    for (const level of o.levels) {
      const batch = all.slice(have, level);
      const sub: FleetOptions = { ...fleet, shifts: level };
      const t2 = Date.now();
      await createShifts(api, { ...fleet, shifts: level }, 'v1', o.intervalS, have);
      await waitShiftsOf(api, fleet.prefix, batch, isStableAt('v1'), 'stable at v1');
      await setVersion(api, batch, 'v2');
      await waitShiftsOf(api, fleet.prefix, batch, isProgressing, 'Progressing');
      const activeS = round((Date.now() - t2) / 1000);
      have = level;
      log(`${level} shifts active (${batch.length} new in ${activeS} s)`);
      const m = await settle(a, o.settleMs);
      const results = await sendCommands(cmd, all.slice(0, level), o.commands, o.commandRate, random);
      const lat = summarize(results.timed.map((t) => t.ms));
      log(`  ${results.timed.length} commands: p50 ${round(lat.p50)} ms, p99 ${round(lat.p99)} ms, max ${round(lat.max)} ms${results.missed ? `, ${results.missed} missed` : ''}`);
      levels.push({ shifts: level, activateS: activeS, memory: m, commandLatencyMs: { ...roundSummary(lat), missed: results.missed, byVerb: byVerb(results.timed) } });
      void sub;
    }
    report.levels = levels;

    // 3. steady state at N: Prometheus and API load over a quiet window
    const quietMs = Math.max(2 * o.intervalS * 1000 + 5000, o.quietMs);
    const before = await readMetrics(a);
    const p0 = proxy.requests.length;
    const q0 = Date.now();
    const steadyMemory = await settle(a, quietMs);
    const after = await readMetrics(a);
    const quietS = (Date.now() - q0) / 1000;
    const promTimes = proxy.requests.slice(p0).map((r) => r.at);
    const ticks = perTick(promTimes);
    const requests = (m: typeof before) => (m ? sumOf(m, 'sluice_kube_requests_total') : NaN);
    report.prometheus = {
      urls: 1,
      intervalS: o.intervalS,
      ticks: ticks.length,
      queriesPerTickMax: ticks.length ? Math.max(...ticks) : 0,
      queriesPerTickMean: ticks.length ? round(ticks.reduce((s, x) => s + x, 0) / ticks.length) : 0,
      queriesPerMinute: round(promTimes.length / (quietS / 60)),
    };
    report.api = {
      windowS: round(quietS),
      requestsPerSecond: round((requests(after) - requests(before)) / quietS, 2),
      byMethodPerSecond: Object.fromEntries(['GET', 'POST', 'PUT', 'PATCH', 'DELETE'].map((mth) => [mth, round(((after ? sumOf(after, 'sluice_kube_requests_total', `method="${mth}"`) : 0) - (before ? sumOf(before, 'sluice_kube_requests_total', `method="${mth}"`) : 0)) / quietS, 2)])),
      watches: after ? sumOf(after, 'sluice_kube_watches') : NaN,
    };
    log(`steady: ${report.prometheus.queriesPerTickMax} Prometheus queries per tick (${report.prometheus.queriesPerMinute}/min), ${report.api.requestsPerSecond} API requests/s, ${report.api.watches} watches`);

    // 4. churn: commands, pod restarts, shifts deleted and created again
    const churn = await runChurn(api, a, cmd, all, o, random);
    report.churn = churn.summary;
    log(`churn ${round(o.churnMs / 60000)} min: heap floor slope ${churn.summary.heapFloorSlopeMBPerMin} MB/min, RSS ${churn.summary.memoryAfter.rssMB} MB`);

    report.memory = {
      emptyMesh: empty, withUnrelatedPods: withUnrelated, withServicePods: withPods, allActive: steadyMemory, afterChurn: churn.summary.memoryAfter,
      perUnrelatedPodKB: fleet.unrelatedPods > 0 ? round(((withUnrelated.heapFloorMB - empty.heapFloorMB) * 1024) / fleet.unrelatedPods, 2) : NaN,
      perShiftKB: round(((steadyMemory.heapFloorMB - withPods.heapFloorMB) * 1024) / all.length, 2),
      perShiftRssKB: round(((steadyMemory.rssMB - withPods.rssMB) * 1024) / all.length, 2),
    };

    // 5. restart: SIGKILL, a new daemon; time until all reconciled and its writes meanwhile. A gate
    //    tick after the restart brings a new sample, which is news worth a status write: writes
    //    are counted up to the new daemon's first Prometheus request (none comes before one interval).
    a.kill('SIGKILL');
    await a.exited;
    cmd.observe(audit.poll());
    const tKill = Date.now();
    const p1 = proxy.requests.length;
    const b = await daemon('scale-b', false);
    await waitFor(() => reconciledAll(b, all.length), 'the new daemon to reconcile every shift', 10 * 60_000, 250);
    const restartS = (Date.now() - tKill) / 1000;
    await sleep(2000);
    cmd.observe(audit.poll());
    const firstTick = proxy.requests[p1]?.at ?? Infinity;
    const until = Math.min(firstTick, tKill + restartS * 1000 + 2000) * 1000;
    const mine = audit.all.filter((w) => bySluice(w, 'scale-b') && stored(w) && w.atMicros <= until);
    const restartedMemory = await settle(b, o.settleMs);
    report.restart = {
      reconcileAllS: round(restartS, 2),
      firstGateQueryS: Number.isFinite(firstTick) ? round((firstTick - tKill) / 1000, 2) : NaN,
      routeWrites: mine.filter(isRouteWrite).length,
      statusWrites: mine.filter(isStatusWrite).length,
      otherWrites: mine.filter((w) => !isRouteWrite(w) && !isStatusWrite(w)).length,
      memory: restartedMemory,
    };
    log(`restart: all ${all.length} reconciled ${report.restart.reconcileAllS} s after SIGKILL; writes: ${report.restart.routeWrites} route, ${report.restart.statusWrites} status, ${report.restart.otherWrites} other`);
    b.kill('SIGTERM');
    await b.exited;

    // 6. failover: two replicas with leader election; kill the leader, a command is pending
    report.failover = await runFailover(cmd, audit.all, all, o, daemon);
    log(`failover: the standby applied the pending command ${report.failover.commandAppliedS} s after the leader was killed (lease ${o.leaseDurationS} s)`);
    return report as ScaleReport;
  } finally {
    clearInterval(pump);
    for (const d of daemons) d.kill('SIGKILL');
    audit.close();
    await proxy.close();
    if (!o.keep) {
      log('removing the benchmark namespaces');
      await deleteMesh(api, fleet).catch((e: unknown) => log(`cleanup failed: ${String(e)}`));
    }
  }
};

const roundSummary = (s: ReturnType<typeof summarize>) => ({ count: s.count, p50: round(s.p50), p99: round(s.p99), max: round(s.max) });

const byVerb = (timed: readonly Timed[]) =>
  Object.fromEntries(VERBS.map((v) => [v, roundSummary(summarize(timed.filter((t) => t.verb === v).map((t) => t.ms)))]));

const waitShiftsOf = async (api: ReturnType<typeof connectApi>, prefix: string, batch: readonly Target[], ok: (s: Parameters<typeof isProgressing>[0]) => boolean, what: string): Promise<void> => {
  await waitFor(async () => {
    const shifts = await listShifts(api, prefix);
    return batch.every((t) => ok(shifts.get(`${t.namespace}/${t.name}`)?.status)) ? true : undefined;
  }, `${batch.length} shifts ${what}`, 30 * 60_000, 1000);
};

/** `count` commands, verbs in turn, at `rate` per second, each to a random idle shift. */
const sendCommands = async (cmd: ReturnType<typeof commander>, among: readonly Target[], count: number, rate: number, random: () => number): Promise<{ timed: Timed[]; missed: number }> => {
  const timed: Timed[] = [];
  let missed = 0;
  const inFlight: Promise<void>[] = [];
  for (let i = 0; i < count; i++) {
    const verb = VERBS[i % VERBS.length]!;
    inFlight.push(cmd.send(verb, among).then((r) => {
      if (r === 'missed') missed++;
      else if (r) timed.push(r);
    }));
    await sleep((-Math.log(1 - random()) * 1000) / rate); // Poisson arrivals
  }
  await Promise.all(inFlight);
  return { timed, missed };
};

const runChurn = async (api: ReturnType<typeof connectApi>, d: DaemonProcess, cmd: ReturnType<typeof commander>, all: readonly Target[], o: BenchOptions, random: () => number) => {
  const until = Date.now() + o.churnMs;
  const samples: { at: number; value: number; rss: number }[] = [];
  const counts = { commands: 0, podRestarts: 0, shiftsRecreated: 0 };
  const timed: Timed[] = [];
  let missed = 0;
  const sampler = (async () => {
    while (Date.now() < until) {
      const m = await memoryOf(d);
      samples.push({ at: Date.now(), value: m.heapUsedBytes, rss: m.rssBytes });
      await sleep(2000);
    }
  })();
  const commands = (async () => {
    for (let i = 0; Date.now() < until; i++) {
      const r = await cmd.send(VERBS[i % VERBS.length]!, all);
      counts.commands++;
      if (r === 'missed') missed++;
      else if (r) timed.push(r);
      await sleep(1000 / o.churnRate);
    }
  })();
  const restarts = (async () => {
    const pods = targetPods({ ...o.fleet });
    while (Date.now() < until) {
      const p = pods[Math.floor(random() * pods.length)]!;
      await api.json({ method: 'DELETE', path: podPath(p), body: { gracePeriodSeconds: 0 } }, [404]);
      await waitFor(async () => ((await api.send({ method: 'GET', path: podPath(p) })).status === 404 ? true : undefined), `pod ${p.name} to go`, 60_000, 250);
      await createPod(api, p);
      counts.podRestarts++;
      await sleep(1000 / o.churnRate);
    }
  })();
  const recreate = (async () => {
    while (Date.now() < until) {
      await sleep(10_000);
      const t = all[Math.floor(random() * all.length)]!;
      if (!cmd.hold(t)) continue;
      try {
        await api.json({ method: 'DELETE', path: shiftPath(t) }, [404]);
        await waitFor(async () => ((await api.send({ method: 'GET', path: shiftPath(t) })).status === 404 ? true : undefined), `shift ${t.name} to go`, 120_000, 500);
        await api.json({ method: 'POST', path: `/apis/sluice.dev/v1alpha1/namespaces/${t.namespace}/trafficshifts`, body: (await import('./fleet')).shift(t, 'v1', o.intervalS) });
        await waitOne(api, t, isStableAt('v1'));
        await mergePatch(api, shiftPath(t), { spec: { version: 'v2' } });
        await waitOne(api, t, isProgressing);
        counts.shiftsRecreated++;
      } finally {
        cmd.release(t);
      }
    }
  })();
  await Promise.all([sampler, commands, restarts, recreate]);
  const memoryAfter = await settle(d, o.settleMs);
  const lows = floors(samples, 60_000);
  const lat = summarize(timed.map((t) => t.ms));
  return {
    summary: {
      durationS: round(o.churnMs / 1000),
      ...counts,
      commandLatencyMs: { ...roundSummary(lat), missed },
      heapFloorsMB: lows.map(([, v]) => round(v / MB)),
      heapFloorSlopeMBPerMin: round(slope(lows.map(([t, v]) => [t / 60_000, v / MB])), 2),
      rssMaxMB: round(Math.max(...samples.map((s) => s.rss)) / MB),
      memoryAfter,
    },
  };
};

const waitOne = (api: ReturnType<typeof connectApi>, t: Target, ok: (s: Parameters<typeof isProgressing>[0]) => boolean) =>
  waitFor(async () => {
    const res = await api.send({ method: 'GET', path: shiftPath(t) });
    return res.status === 200 && ok((JSON.parse(res.text) as { status?: Parameters<typeof isProgressing>[0] }).status) ? true : undefined;
  }, `${t.namespace}/${t.name} to settle`, 120_000, 500);

const runFailover = async (
  cmd: ReturnType<typeof commander>,
  writes: readonly Write[],
  all: readonly Target[],
  o: BenchOptions,
  daemon: (identity: string, leaderElect: boolean) => Promise<DaemonProcess>,
) => {
  const one = await daemon('scale-c1', true);
  const two = await daemon('scale-c2', true);
  const leaderOf = async (): Promise<[DaemonProcess, DaemonProcess] | undefined> => {
    const [m1, m2] = await Promise.all([readMetrics(one), readMetrics(two)]);
    if (!m1 || !m2) return undefined;
    if (sumOf(m1, 'sluice_leader') === 1) return [one, two];
    if (sumOf(m2, 'sluice_leader') === 1) return [two, one];
    return undefined;
  };
  const [leader, standby] = await waitFor(leaderOf, 'one replica to lead', 5 * 60_000, 500);
  await waitFor(() => reconciledAll(leader, all.length), 'the leader to reconcile every shift', 10 * 60_000, 500);
  await waitFor(() => ready(standby), 'the standby to be ready', 120_000);
  await sleep(2000);
  const tKill = Date.now();
  leader.kill('SIGKILL');
  const pending = cmd.send('set-weight', all);
  const r = await pending;
  const standbyWrite = writes.find((w) => bySluice(w, standby.identity) && w.resource === 'virtualservices' && stored(w) && w.atMicros >= tKill * 1000);
  const appliedS = standbyWrite ? round((standbyWrite.atMicros / 1000 - tKill) / 1000, 2) : NaN;
  standby.kill('SIGTERM');
  await standby.exited;
  return {
    leaseDurationS: o.leaseDurationS,
    commandAppliedS: appliedS,
    commandLatencyMs: r && r !== 'missed' ? round(r.ms) : NaN,
    appliedBy: standbyWrite ? standby.identity : undefined,
  };
};

const main = async (): Promise<void> => {
  const parsed = parseOptions(process.argv.slice(2));
  if (parsed === 'help') {
    console.log(USAGE);
    return;
  }
  if (typeof parsed === 'string') {
    console.error(`bench scale: ${parsed}\n\n${USAGE}`);
    process.exit(2);
  }
  const started = new Date();
  const body = await run(parsed);
  const report: ScaleReport = {
    ...body,
    config: { shifts: parsed.fleet.shifts, podsPerVersion: parsed.fleet.podsPerVersion, unrelatedPods: parsed.fleet.unrelatedPods, levels: parsed.levels, commands: parsed.commands, commandRate: parsed.commandRate, churnS: parsed.churnMs / 1000, gateIntervalS: parsed.intervalS, leaseDurationS: parsed.leaseDurationS, seed: parsed.seed },
    startedAt: started.toISOString(),
    durationS: round((Date.now() - started.getTime()) / 1000),
  };
  printReport(report);
  if (parsed.json) {
    fs.mkdirSync(path.dirname(path.resolve(parsed.json)), { recursive: true });
    fs.writeFileSync(parsed.json, `${JSON.stringify(report, null, 2)}\n`);
    log(`wrote ${parsed.json}`);
  }
};

main().catch((e: unknown) => {
  console.error(`bench scale failed: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
  process.exit(1);
});
