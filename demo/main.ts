/**
 * The demo driver: plays the four stories against a running control plane, Prometheus, mesh
 * simulator and `sluice run` (scripts/demo.sh starts them), narrates each with a live view, then
 * writes a chart per story and a summary table. Exits 0 only if every story ended as described.
 *
 *   node dist/demo/main.js --results DIR --mesh-url http://127.0.0.1:PORT [--quick] [--app istio/samples/app.yaml]
 *   node dist/demo/main.js --print-mesh-config --ledger FILE [--quick]    (the mesh simulator's config)
 *
 * Needs KUBECONFIG, and kubectl plus kubectl-sluice on PATH.
 */
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as E from 'fp-ts/Either';
import type { ShiftStatus } from '../src/api/status';
import { FlagDef, Parsed, parseFlags } from '../src/cli/parseFlags';
import { deploymentOf, parseManifests, sampleApp } from './app';
import { renderChart, type RateSeries } from './chart';
import { applyObjects, kubectl, makeCtx, shellQuote, type Args, type Ctx } from './io';
import { firstFailureMs, ratePoints, totalsBetween } from './ledger';
import { Recorder } from './recorder';
import {
  abTestPatch, BETA_COOKIE, BETA_STREAM, blueGreenPatch, canaryShift, durationSeconds, ended, fallbackWriteMs, isTerminal, judgeBlueGreenAbort, judgeFallback,
  judgeAbTest, judgePromoted, MAX_ERROR_RATE, meshSimConfig, PREVIEW_HEADER, receivedBetween, resultOf, timingsFor, V3_ERROR_FRACTION, viewStateOf,
  weightOf, writeMs, type StoryObservation,
} from './stories';
import { renderSummary, type StoryResult } from './summary';
import { LiveView } from './view';

const DEMO_FLAGS = {
  results: { names: ['--results'], kind: 'string', value: 'DIR' },
  meshUrl: { names: ['--mesh-url'], kind: 'string', value: 'URL' },
  quick: { names: ['--quick'], kind: 'switch' },
  app: { names: ['--app'], kind: 'string', value: 'FILE' },
  printMeshConfig: { names: ['--print-mesh-config'], kind: 'switch' },
  ledger: { names: ['--ledger'], kind: 'string', value: 'FILE' },
} as const satisfies Record<string, FlagDef>;
type DemoFlags = Parsed<typeof DEMO_FLAGS>['flags'];

/** The flags through sluice's one parser; a string: what is wrong. */
const parseDemoFlags = (argv: readonly string[]): DemoFlags | string => {
  const parsed = parseFlags(argv, DEMO_FLAGS);
  if (E.isLeft(parsed)) return parsed.left;
  const [extra] = parsed.right.positionals;
  return extra === undefined ? parsed.right.flags : `unexpected argument ${JSON.stringify(extra)}`;
};

const argsOf = (flags: DemoFlags): Args | string => {
  if (!flags.results) return '--results DIR is required';
  if (!flags.meshUrl) return '--mesh-url URL (the mesh simulator control endpoint) is required';
  return { quick: flags.quick === true, results: flags.results, meshUrl: flags.meshUrl, appFile: flags.app ?? 'istio/samples/app.yaml' };
};

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls the status and redraws the view until `done` holds or the time runs out; true if it held. */
const watch = async (ctx: Ctx, rec: Recorder, done: (s: ShiftStatus) => boolean | Promise<boolean>, timeoutS: number): Promise<boolean> => {
  const until = Date.now() + timeoutS * 1000;
  for (;;) {
    const s = await ctx.readStatus();
    const now = Date.now();
    rec.record(s, now);
    ctx.view.update(viewStateOf(rec.title, rec.last, rec.stepCount, rec.at(now), rec.mode));
    if (s !== undefined && (await done(s))) return true;
    if (now > until) return false;
    await sleep(500);
  }
};

/** Rolls out a Deployment for `version` and waits until it is available. */
const deployVersion = async (ctx: Ctx, version: string): Promise<void> => {
  const d = deploymentOf(ctx.sample, version);
  ctx.view.say(`  $ kubectl apply -f deployment ${d.metadata?.name} (pods labelled version=${version})`);
  await applyObjects([d]);
  await kubectl(['-n', ctx.app.namespace, 'rollout', 'status', `deployment/${d.metadata?.name}`, '--timeout=180s']);
};

/** Sets the TrafficShift's version (and, for story 3, its strategy), showing the command. */
const patchShift = async (ctx: Ctx, patch: object): Promise<number> => {
  const args = ['-n', ctx.app.namespace, 'patch', 'trafficshift', ctx.app.service, '--type', 'merge', '-p', JSON.stringify(patch)];
  ctx.view.say(`  $ kubectl ${shellQuote(args)}`);
  const startMs = Date.now();
  await kubectl(args);
  return startMs;
};

const secondsBetween = (fromMs: number | undefined, toMs: number | undefined): number | undefined =>
  fromMs === undefined || toMs === undefined ? undefined : Math.max(0, (toMs - fromMs) / 1000);

/** The finished story's chart input and summary row. */
interface Played {
  readonly result: StoryResult;
  readonly chart: Parameters<typeof renderChart>[0];
}

const candidateRates = async (ctx: Ctx, rec: Recorder, version: string, endMs: number): Promise<RateSeries[]> => {
  const bucket = Math.max(2, Math.round(durationSeconds(ctx.t.analysisInterval) / 2));
  const gateLabel = `gate: Prometheus, ${ctx.t.analysisInterval} window`;
  const truth = ratePoints(await ctx.ledger(), `${ctx.app.namespace}/${ctx.app.service}`, version, rec.startMs, endMs, bucket);
  return [
    { label: gateLabel, style: 'dots', points: rec.gate },
    { label: `served by ${version} (mesh ledger, per ${bucket} s)`, points: truth },
  ];
};

const finishChart = (rec: Recorder, endMs: number): void => {
  rec.finish(endMs);
};

const say = (ctx: Ctx, line: string): void => ctx.view.say(line);
const pct = (r: number): string => `${Math.round(r * 1000) / 10} %`;
const svcKey = (ctx: Ctx): string => `${ctx.app.namespace}/${ctx.app.service}`;

/** Before the stories: the sample app at v1 under a canary TrafficShift, stable at 100 %. */
const setUp = async (ctx: Ctx): Promise<void> => {
  const v = ctx.sample.base.version;
  const d = ctx.sample.base.deployment;
  say(ctx, `Deploying the sample app at ${v} (${ctx.args.appFile}): Service ${svcKey(ctx)} and Deployment ${d.metadata?.name}.`);
  await applyObjects([...ctx.sample.others, d]);
  await kubectl(['-n', ctx.app.namespace, 'rollout', 'status', `deployment/${d.metadata?.name}`, '--timeout=180s']);
  say(ctx, `Handing its traffic to sluice with a canary TrafficShift at ${v}:`);
  say(ctx, `  $ kubectl apply -f trafficshift ${ctx.app.service} (steps ${ctx.t.steps.join(' → ')} %, every ${ctx.t.stepInterval}, gate: errors ≤ ${pct(MAX_ERROR_RATE)} over ${ctx.t.analysisInterval})`);
  await applyObjects([canaryShift(ctx.app, ctx.t, v)]);
  const rec = new Recorder(`Setup · ${svcKey(ctx)} at ${v}`, Date.now(), ctx.t.steps.length, { stable: v, candidate: v });
  const ok = await watch(ctx, rec, (s) => s.stableVersion === v && s.weights?.stable === 100, 120);
  ctx.view.done();
  if (!ok) throw new Error(`the TrafficShift did not adopt ${v} at 100 % within 120 s (phase ${rec.last?.phase ?? 'none'}); see sluice.log`);
  say(ctx, `sluice owns the routes now: ${v} at 100 %.`);
};

/** Story 1: a healthy canary goes through every step. */
const storyCanary = async (ctx: Ctx, stable: string, candidate: string): Promise<Played> => {
  const name = `1 canary ${stable} → ${candidate}`;
  const title = `Story 1/4 · canary ${stable} → ${candidate} (healthy)`;
  say(ctx, `\n━━ ${title}`);
  say(ctx, `  ${stable} serves ${svcKey(ctx)}; the mesh simulator sends it ${ctx.t.rps} requests/s. We deploy ${candidate} and ask for it.`);
  await deployVersion(ctx, candidate);
  const startMs = await patchShift(ctx, { spec: { version: candidate } });
  say(ctx, `  sluice shifts ${ctx.t.steps.join(' → ')} → 100 %, holding each step ${ctx.t.stepInterval} while ${candidate}'s error rate in Prometheus stays ≤ ${pct(MAX_ERROR_RATE)}.`);
  const rec = new Recorder(title, startMs, ctx.t.steps.length, { stable, candidate });
  rec.mark(`spec.version: ${candidate}`, startMs);
  const ok = await watch(ctx, rec, ended(candidate), ctx.t.storyTimeoutS);
  const endMs = Date.now();
  ctx.view.done();
  rec.mark(rec.last?.phase ?? 'timeout', endMs);
  const totals = totalsBetween(await ctx.ledger(), svcKey(ctx), candidate, startMs);
  const o: StoryObservation = { final: rec.last, maxCandidateWeight: rec.maxCandidate, candidate: totals, timedOut: !ok };
  const reasons = judgePromoted(o, candidate);
  say(ctx, reasons.length === 0
    ? `  ✔ ${candidate} promoted in ${rec.at(endMs).toFixed(1)} s: it served ${totals.requests} requests, ${totals.failures} failed, and is now stable at 100 %.`
    : `  ✘ ${reasons.join('; ')}`);
  finishChart(rec, endMs);
  return {
    result: resultOf(name, o, reasons, { durationS: rec.at(endMs) }),
    chart: {
      title, subtitle: `${o.final?.phase ?? 'no status'} after ${rec.at(endMs).toFixed(0)} s; ${candidate} failed ${totals.failures} of ${totals.requests} requests`,
      stableLabel: stable, candidateLabel: candidate, threshold: MAX_ERROR_RATE, weights: rec.weights,
      errorRates: await candidateRates(ctx, rec, candidate, endMs), markers: rec.markers,
    },
  };
};

/** Story 2: a candidate that fails 20 % of requests is sent back to 0 % without anyone's help. */
const storyFallback = async (ctx: Ctx, stable: string, candidate: string): Promise<Played> => {
  const name = `2 canary ${stable} → ${candidate}`;
  const title = `Story 2/4 · canary ${stable} → ${candidate} (${candidate} fails ${pct(V3_ERROR_FRACTION)} of requests)`;
  say(ctx, `\n━━ ${title}`);
  say(ctx, `  ${candidate} has a bug: the mesh simulator answers ${pct(V3_ERROR_FRACTION)} of its requests with 500.`);
  const profile = JSON.stringify({ namespace: ctx.app.namespace, service: ctx.app.service, version: candidate, errorFraction: V3_ERROR_FRACTION });
  say(ctx, `  $ curl -X POST ${ctx.args.meshUrl}/profiles -d '${profile}'`);
  await ctx.setProfile(candidate, V3_ERROR_FRACTION);
  await deployVersion(ctx, candidate);
  const startMs = await patchShift(ctx, { spec: { version: candidate } });
  say(ctx, `  sluice starts ${candidate} at ${ctx.t.steps[0]} %; as soon as ${ctx.t.failureThreshold} checks in a row fail, it puts ${stable} back at 100 % in one write.`);
  const rec = new Recorder(title, startMs, ctx.t.steps.length, { stable, candidate });
  rec.mark(`spec.version: ${candidate}`, startMs);
  const ok = await watch(ctx, rec, ended(candidate), ctx.t.storyTimeoutS);
  const endMs = Date.now();
  ctx.view.done();
  const ledger = await ctx.ledger();
  const totals = totalsBetween(ledger, svcKey(ctx), candidate, startMs);
  const firstFail = firstFailureMs(ledger, svcKey(ctx), candidate, startMs);
  const zeroMs = fallbackWriteMs(rec.last, startMs) ?? rec.zeroSeenMs;
  const fallbackS = secondsBetween(firstFail, zeroMs);
  if (firstFail !== undefined) rec.mark(`first ${candidate} failure`, firstFail);
  if (zeroMs !== undefined) rec.mark(`${candidate} at 0 %${fallbackS !== undefined ? ` (${fallbackS.toFixed(1)} s later)` : ''}`, zeroMs);
  const o: StoryObservation = { final: rec.last, maxCandidateWeight: rec.maxCandidate, candidate: totals, timedOut: !ok };
  const reasons = judgeFallback(o, stable, candidate);
  say(ctx, reasons.length === 0
    ? `  ✔ rolled back: ${candidate} failed ${totals.failures} of the ${totals.requests} requests it served; ${fallbackS?.toFixed(1) ?? '?'} s from its first failure to weight 0.`
    : `  ✘ ${reasons.join('; ')}`);
  finishChart(rec, endMs);
  return {
    result: resultOf(name, o, reasons, { durationS: rec.at(endMs), fallbackS, fallbackFrom: `first ${candidate} failure` }),
    chart: {
      title, subtitle: `${o.final?.phase ?? 'no status'}: ${candidate} failed ${totals.failures} requests; ${fallbackS?.toFixed(1) ?? '?'} s from its first failure to weight 0`,
      stableLabel: stable, candidateLabel: candidate, threshold: MAX_ERROR_RATE, weights: rec.weights,
      errorRates: await candidateRates(ctx, rec, candidate, endMs), markers: rec.markers,
    },
  };
};

/** Story 3: blue-green with a preview, the 0/100 switch, and an SRE abort inside the rollback window. */
const storyBlueGreen = async (ctx: Ctx, stable: string, candidate: string): Promise<Played> => {
  const name = `3 blue-green ${stable} → ${candidate}`;
  const title = `Story 3/4 · blue-green ${stable} → ${candidate}, aborted by an SRE`;
  const key = svcKey(ctx);
  say(ctx, `\n━━ ${title}`);
  say(ctx, `  ${candidate} is deployed beside ${stable}. Before any user sees it, only requests with header ${PREVIEW_HEADER}: true reach it (the simulator sends ${ctx.t.previewRps}/s).`);
  await deployVersion(ctx, candidate);
  const startMs = await patchShift(ctx, blueGreenPatch(ctx.t, candidate));
  const rec = new Recorder(title, startMs, undefined, { stable, candidate });
  rec.mark(`spec.version: ${candidate}`, startMs);

  // Preview: the candidate answers requests while its weight is 0, so they can only be preview requests.
  let previewAnswered = 0;
  let lastLedgerMs = 0;
  const previewSeen = async (s: ShiftStatus): Promise<boolean> => {
    if (s.candidateVersion !== candidate) return false; // the daemon has not picked up the patch yet
    if (isTerminal(s) || (s.weights?.candidate ?? 0) > 0) return true; // moved on; the verdict will say what is missing
    if (Date.now() - lastLedgerMs < 1000) return false;
    lastLedgerMs = Date.now();
    previewAnswered = totalsBetween(await ctx.ledger(), key, candidate, startMs).requests;
    return previewAnswered > 0;
  };
  await watch(ctx, rec, previewSeen, ctx.t.storyTimeoutS);
  if (previewAnswered > 0) {
    rec.mark(`preview answered by ${candidate}`);
    ctx.view.say(`  ✔ preview: ${candidate} answers requests carrying ${PREVIEW_HEADER}: true, while every other request stays on ${stable}.`);
    ctx.view.say(`  After ${ctx.t.previewDuration} of preview sluice switches 0/100; ${stable} stays routable for the ${ctx.t.rollbackWindow} rollback window.`);
  }

  let abortApplied = false;
  let abortMs: number | undefined;
  const switched = previewAnswered > 0 && (await watch(ctx, rec, (s) => weightOf(s, candidate) === 100 || isTerminal(s), ctx.t.storyTimeoutS)) && weightOf(rec.last ?? {}, candidate) === 100;
  if (switched) {
    // Requests the candidate answered before the switch took effect can only be preview requests.
    const switchMs = writeMs(rec.last, startMs, (w) => w.candidate === 100) ?? Date.now() - 1000;
    previewAnswered = totalsBetween(await ctx.ledger(), key, candidate, startMs, switchMs).requests;
    rec.mark(`switch: ${candidate} at 100 %`, switchMs);
    ctx.view.say(`  ✔ switched: ${candidate} serves 100 % (phase ${rec.last?.phase}), after answering ${previewAnswered} preview requests. ${ctx.t.abortAfterS} s later an SRE sees something they do not like:`);
    await watch(ctx, rec, () => false, ctx.t.abortAfterS);
    const args = ['sluice', 'abort', ctx.app.service, '-n', ctx.app.namespace];
    ctx.view.say(`  $ kubectl ${shellQuote(args)}`);
    abortMs = Date.now();
    rec.mark('kubectl sluice abort', abortMs);
    try {
      const out = await kubectl(args);
      abortApplied = true;
      if (out.trim()) ctx.view.say(`    ${out.trim().split('\n').join('\n    ')}`);
    } catch (e) {
      ctx.view.say(`  ✘ ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  const ok = abortApplied && (await watch(ctx, rec, ended(candidate), ctx.t.storyTimeoutS));
  const endMs = Date.now();
  ctx.view.done();
  const totals = totalsBetween(await ctx.ledger(), key, candidate, startMs);
  const zeroMs = abortMs === undefined ? undefined : (fallbackWriteMs(rec.last, abortMs) ?? rec.zeroSeenMs);
  const fallbackS = secondsBetween(abortMs, zeroMs);
  if (zeroMs !== undefined) rec.mark(`${stable} at 100 % again`, zeroMs);
  const o: StoryObservation = { final: rec.last, maxCandidateWeight: rec.maxCandidate, candidate: totals, previewAnswered, abortApplied, timedOut: !ok };
  const reasons = judgeBlueGreenAbort(o, stable, candidate);
  say(ctx, reasons.length === 0
    ? `  ✔ aborted: ${stable} serves 100 % again, ${fallbackS?.toFixed(1) ?? '?'} s after the abort.`
    : `  ✘ ${reasons.join('; ')}`);
  finishChart(rec, endMs);
  return {
    result: resultOf(name, o, reasons, { durationS: rec.at(endMs), fallbackS, fallbackFrom: 'abort' }),
    chart: {
      title, subtitle: `${o.final?.phase ?? 'no status'}: preview answered by ${candidate} (${previewAnswered} requests), switch to 100 %, abort back to ${stable}`,
      stableLabel: stable, candidateLabel: candidate, threshold: MAX_ERROR_RATE, weights: rec.weights,
      errorRates: await candidateRates(ctx, rec, candidate, endMs), markers: rec.markers,
    },
  };
};

/** Story 4: an A/B test: only users with the beta cookie reach the candidate while the gate judges it on their traffic, then everyone gets it. */
const storyAbTest = async (ctx: Ctx, stable: string, candidate: string): Promise<Played> => {
  const name = `4 A/B test ${stable} → ${candidate}`;
  const title = `Story 4/4 · A/B test ${stable} → ${candidate} for users with cookie ${BETA_COOKIE}`;
  const key = svcKey(ctx);
  const betaKey = `${key}#${BETA_STREAM}`;
  say(ctx, `\n━━ ${title}`);
  say(ctx, `  Some users carry the cookie ${BETA_COOKIE} (the simulator sends ${ctx.t.betaRps} of their requests/s beside ${ctx.t.rps}/s from everyone else).`);
  say(ctx, `  sluice sends only them to ${candidate}, judges ${candidate} on their traffic for ${ctx.t.abIterations} gate intervals of ${ctx.t.analysisInterval}, then promotes it to everyone.`);
  await deployVersion(ctx, candidate);
  const before = await ctx.received();
  const startMs = await patchShift(ctx, abTestPatch(ctx.t, candidate));
  const rec = new Recorder(title, startMs, undefined, { stable, candidate }, 'A/B test');
  rec.mark(`spec.version: ${candidate}`, startMs);

  // The per-stream counts while the A/B test runs: status is written before routes (ADR 0005), so a
  // reading taken after a status still in the test cannot yet include the promotion's routes.
  let during = before;
  const testing = (s: ShiftStatus): boolean => s.candidateVersion === candidate && s.phase === 'Progressing';
  const ok = await watch(ctx, rec, async (s) => {
    if (testing(s)) during = await ctx.received();
    return ended(candidate)(s);
  }, ctx.t.storyTimeoutS);
  const endMs = Date.now();
  ctx.view.done();
  const audiences = { beta: receivedBetween(before, during, betaKey), others: receivedBetween(before, during, key) };
  const promotedMs = writeMs(rec.last, startMs, (w) => w.stable === 100 && rec.last?.stableVersion === candidate);
  if (promotedMs !== undefined) rec.mark(`${candidate} promoted to everyone`, promotedMs);
  const totals = totalsBetween(await ctx.ledger(), key, candidate, startMs);
  const o: StoryObservation = { final: rec.last, maxCandidateWeight: rec.maxCandidate, candidate: totals, audiences, timedOut: !ok };
  const reasons = judgeAbTest(o, candidate);
  const share = (r: Record<string, number>): string => Object.entries(r).map(([v, n]) => `${n} by ${v}`).join(', ') || 'none';
  say(ctx, `  During the test the beta users' requests were answered ${share(audiences.beta)}; everyone else's ${share(audiences.others)}.`);
  say(ctx, reasons.length === 0
    ? `  ✔ ${candidate} passed the A/B test on the beta users' traffic and is now stable at 100 % (${rec.at(endMs).toFixed(1)} s).`
    : `  ✘ ${reasons.join('; ')}`);
  finishChart(rec, endMs);
  return {
    result: resultOf(name, o, reasons, { durationS: rec.at(endMs) }),
    chart: {
      title, subtitle: `${o.final?.phase ?? 'no status'}: during the test ${audiences.beta[candidate] ?? 0} beta requests and ${audiences.others[candidate] ?? 0} others reached ${candidate}`,
      stableLabel: stable, candidateLabel: candidate, threshold: MAX_ERROR_RATE, weights: rec.weights,
      errorRates: await candidateRates(ctx, rec, candidate, endMs), markers: rec.markers,
    },
  };
};

const hasCommand = (cmd: string): Promise<boolean> =>
  new Promise((resolve) => execFile('sh', ['-c', `command -v ${cmd}`], (err) => resolve(!err)));

/** Writes story-N.svg (and .png when rsvg-convert is there); returns the paths written. */
const writeChart = async (dir: string, n: number, chart: Parameters<typeof renderChart>[0], png: boolean): Promise<string[]> => {
  const svg = path.join(dir, `story-${n}.svg`);
  await fs.writeFile(svg, renderChart(chart));
  if (!png) return [svg];
  const out = path.join(dir, `story-${n}.png`);
  await new Promise<void>((resolve, reject) => execFile('rsvg-convert', ['-o', out, svg], (err) => (err ? reject(err) : resolve())));
  return [svg, out];
};

const notRun = (story: string, why: string): StoryResult => ({ story, outcome: '-', ok: false, reasons: [`not run: ${why}`] });

/** `--print-mesh-config --ledger FILE [--quick] [--app FILE]`: the mesh simulator's config for the sample app, as JSON. */
const printMeshConfig = async (flags: DemoFlags): Promise<number> => {
  const sample = sampleApp(parseManifests(await fs.readFile(flags.app ?? 'istio/samples/app.yaml', 'utf8')));
  if (typeof sample === 'string' || flags.ledger === undefined) {
    process.stderr.write(`demo: ${typeof sample === 'string' ? sample : '--ledger FILE is required'}\n`);
    return 2;
  }
  const config = meshSimConfig(sample.app, timingsFor(flags.quick === true), { port: 0, ledgerPath: flags.ledger });
  process.stdout.write(`${JSON.stringify(config, null, 2)}\n`);
  return 0;
};

const main = async (): Promise<number> => {
  const flags = parseDemoFlags(process.argv.slice(2));
  if (typeof flags !== 'string' && flags.printMeshConfig) return printMeshConfig(flags);
  const args = typeof flags === 'string' ? flags : argsOf(flags);
  if (typeof args === 'string') {
    process.stderr.write(`demo: ${args}\nusage: node dist/demo/main.js --results DIR --mesh-url URL [--quick] [--app FILE]\n`);
    return 2;
  }
  await fs.mkdir(args.results, { recursive: true });
  const view = new LiveView(process.stdout);
  const ctx = await makeCtx(args, view);
  const base = ctx.sample.base.version;
  const plan: readonly { readonly name: string; readonly play: () => Promise<Played> }[] = [
    { name: `1 canary ${base} → v2`, play: () => storyCanary(ctx, base, 'v2') },
    { name: '2 canary v2 → v3', play: () => storyFallback(ctx, 'v2', 'v3') },
    { name: '3 blue-green v2 → v4', play: () => storyBlueGreen(ctx, 'v2', 'v4') },
    { name: '4 A/B test v2 → v5', play: () => storyAbTest(ctx, 'v2', 'v5') },
  ];
  const results: StoryResult[] = [];
  const charts: string[] = [];
  const png = await hasCommand('rsvg-convert');
  let broken: string | undefined;
  try {
    await setUp(ctx);
  } catch (e) {
    broken = e instanceof Error ? e.message : String(e);
    say(ctx, `✘ setup: ${broken}`);
  }
  for (const [i, story] of plan.entries()) {
    if (broken !== undefined) {
      results.push(notRun(story.name, broken));
      continue;
    }
    try {
      const played = await story.play();
      results.push(played.result);
      charts.push(...(await writeChart(args.results, i + 1, played.chart, png)));
      if (!played.result.ok && i < plan.length - 1) broken = `story ${i + 1} did not end as described`;
    } catch (e) {
      broken = e instanceof Error ? e.message : String(e);
      say(ctx, `  ✘ ${broken}`);
      results.push({ story: story.name, outcome: '-', ok: false, reasons: [broken] });
    }
  }
  const table = renderSummary(results);
  await fs.writeFile(path.join(args.results, 'summary.md'), `# sluice demo${args.quick ? ' (--quick)' : ''}\n\n${table}`);
  await fs.writeFile(path.join(args.results, 'summary.json'), `${JSON.stringify(results, null, 2)}\n`);
  say(ctx, `\n━━ Summary\n${table}`);
  if (!png) say(ctx, 'rsvg-convert is not installed, so the charts are SVG only (Debian: apt-get install librsvg2-bin).');
  say(ctx, `Charts: ${charts.map((c) => path.relative(process.cwd(), c)).join(', ') || 'none'}`);
  const failed = results.filter((r) => !r.ok);
  if (failed.length > 0) {
    say(ctx, `✘ ${failed.length} of ${results.length} stories did not end as described: ${failed.map((r) => `story ${r.story}: ${r.reasons.join('; ')}`).join(' | ')}`);
    return 1;
  }
  say(ctx, `✔ all ${results.length} stories ended as described.`);
  return 0;
};

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`demo: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  },
);
