/**
 * `sluice dashboard` in a real headless Chromium (Debian's chromium, driven by puppeteer-core,
 * which never downloads a browser), against the real control plane, a running daemon, the mesh
 * simulator and Prometheus; and the chart's Grafana dashboard, every panel's query run against
 * that Prometheus while the shift is live.
 *
 * Given namespace dash-*, Service reviews with v1 and v2, simulated traffic, `sluice run`
 * (scraped by Prometheus) and a TrafficShift at v1, and `sluice dashboard -n <ns>` as the admin;
 * when a person looks and clicks,
 * then the overview lists shifts created through the API (live), a shift page shows its split,
 * Abort needs a confirmation and sends the shift back to stable on the real routes, a command the
 * daemon rejects shows the daemon's reason, Retry shows "applied" and a failing candidate falls
 * back on screen, Promote (confirmed) promotes; a user without rights sees "no access".
 * Screenshots go to results/dashboard/.
 */
import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { startMeshSim, type MeshSim } from '../mesh-sim/sim';
import { writeAtomically } from '../mesh-sim/targets';
import { givenTokenUser, helmBinary, renderChart } from './chart';
import {
  DaemonProcess, deleteNamespace, getIstio, getShift, givenReviews, givenShift, newNamespace, patchShift, startDaemon, waitForPhase, weightsOf,
} from './daemonFixtures';
import { promQuery, REPO_ROOT, waitFor } from './env';

jest.setTimeout(300_000);

const CLI = path.join(REPO_ROOT, 'dist', 'src', 'cli', 'main.js');
const RESULTS = path.join(REPO_ROOT, 'results', 'dashboard');
const PROM = process.env.SLUICE_PROMETHEUS_URL ?? '';
/** Debian's chromium; CHROMIUM_PATH overrides. scripts/test.sh installs it when missing. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** `sluice dashboard ARGS --port 0`, until it prints its URL. */
const startDashboard = async (args: readonly string[]): Promise<{ url: string; proc: ChildProcess }> => {
  const proc = spawn(process.execPath, [CLI, 'dashboard', '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env } });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const url = await waitFor(() => /(http:\/\/127\.0\.0\.1:\d+\/)/.exec(out)?.[1] ?? (proc.exitCode !== null ? Promise.reject(new Error(`dashboard exited: ${out}`)) : undefined), {
    timeoutMs: 30_000,
    what: 'sluice dashboard to print its URL',
  });
  return { url, proc };
};

const text = (page: Page, selector: string): Promise<string> => page.$eval(selector, (e) => (e as unknown as { innerText: string }).innerText);

/** Wait until `selector`'s text matches `re` (the page updates itself: no reloads). */
const waitForText = (page: Page, selector: string, re: RegExp, timeoutMs = 60_000) =>
  waitFor(async () => {
    const t = await text(page, selector).catch(() => '');
    return re.test(t) ? t : undefined;
  }, { timeoutMs, intervalMs: 250, what: `${selector} to show ${re}` });

/** results/dashboard/NAME.png: the whole page, or what a 1280×860 window shows. */
const screenshot = (page: Page, name: string, fullPage = true) => page.screenshot({ path: path.join(RESULTS, `${name}.png`), fullPage });

describe('sluice dashboard in a real Chromium', () => {
  let ns = '';
  let sim: MeshSim | undefined;
  let daemon: DaemonProcess | undefined;
  let dashboard: { url: string; proc: ChildProcess } | undefined;
  let browser: Browser | undefined;
  let page: Page;
  let daemonTarget = '';
  const others: ChildProcess[] = [];
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-dash-'));

  beforeAll(async () => {
    fs.mkdirSync(RESULTS, { recursive: true });
    if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium (scripts/test.sh does), or set CHROMIUM_PATH`);
    ns = await newNamespace('dash');
    await givenReviews(ns, ['v1', 'v2'], { replicas: 1 });
    sim = await startMeshSim({ seed: 15, propagationDelayMs: 500, services: [{ namespace: ns, service: 'reviews', rps: 20 }] }, { log: () => undefined });
    daemon = await startDaemon(ns, `dash-${ns}`);
    // Prometheus scrapes the daemon too, for the Grafana panels on its health.
    daemonTarget = path.join(process.env.SLUICE_PROM_TARGETS_DIR!, `sluice-${ns}.json`);
    await writeAtomically(daemonTarget, JSON.stringify([{ targets: [daemon.metricsUrl.replace('http://', '')], labels: { job: 'sluice' } }]));
    await givenShift(ns, {
      service: 'reviews', version: 'v1',
      strategy: { canary: { steps: [20, 60], stepInterval: '10m' } },
      analysis: { interval: '10s', minRequests: 5, maxErrorRate: 0.05, failureThreshold: 2, method: 'threshold' },
      progressDeadline: '2m',
    });
    await waitForPhase(ns, 'Idle');
    dashboard = await startDashboard(['-n', ns, '--prometheus-url', PROM, '--by', 'dashboard-e2e']);
    browser = await puppeteer.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu'] });
    page = await browser.newPage();
    await page.setViewport({ width: 1280, height: 860 });
    await page.emulateMediaFeatures([{ name: 'prefers-color-scheme', value: 'light' }]);
  });

  afterAll(async () => {
    await browser?.close();
    for (const p of [dashboard?.proc, ...others]) p?.kill('SIGTERM');
    await daemon?.kill('SIGTERM');
    await sim?.stop();
    if (daemonTarget) fs.rmSync(daemonTarget, { force: true });
    await deleteNamespace(ns);
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('lists the shifts created through the API, and one created while the page is open appears by itself', async () => {
    await page.goto(dashboard!.url);
    await waitForText(page, `tr[data-shift="${ns}/reviews"]`, /Idle/);
    await givenShift(ns, { service: 'ratings', version: 'v1', strategy: { canary: { steps: [50] } } }, 'ratings');
    const row = await waitForText(page, `tr[data-shift="${ns}/ratings"]`, /ratings/);
    expect(row).toContain(ns);
    expect(await page.$$eval('#shifts tbody tr', (rows) => rows.map((r) => r.getAttribute('data-shift')))).toEqual([`${ns}/ratings`, `${ns}/reviews`]);
  });

  it("shows a progressing shift's split on its page, as status and the VirtualService have it", async () => {
    patchShift(ns, { spec: { version: 'v2' } });
    const s = await waitForPhase(ns, (st) => st.phase === 'Progressing' && st.weights?.candidate === 20);
    expect(weightsOf(await getIstio(ns, 'virtualservices'))).toEqual({ v1: 80, v2: 20 });
    await waitForText(page, `tr[data-shift="${ns}/reviews"]`, /Progressing/);
    await screenshot(page, 'overview');
    await page.goto(`${dashboard!.url}#/shift/${ns}/reviews`);
    await waitFor(async () => (await page.$eval('#weights [data-weights]', (e) => e.getAttribute('data-weights')).catch(() => '')) === `${s.weights.stable}/${s.weights.candidate}`, {
      timeoutMs: 30_000, what: 'the page to show 80/20',
    });
    expect(await text(page, '#phase')).toContain('Progressing');
    await waitForText(page, 'main', /"weight": 20/);
    await screenshot(page, 'shift-progressing');
  });

  it('asks before aborting; confirmed, the shift goes back to stable on the real routes', async () => {
    // Cancelled with Escape: nothing is written.
    await page.click('button[data-action="abort"]');
    await page.waitForSelector('dialog#confirm[open]');
    expect(await text(page, '#confirm-text')).toContain('stable version v1');
    await page.keyboard.press('Escape');
    await page.waitForSelector('dialog#confirm:not([open])');
    expect((await getShift(ns))?.metadata.annotations?.['sluice.dev/command']).toBeUndefined();
    expect((await getShift(ns))?.status?.phase).toBe('Progressing');
    // Confirmed: applied, RolledBack, v1 at 100 %.
    await page.click('button[data-action="abort"]');
    await page.waitForSelector('dialog#confirm[open]');
    await page.click('#confirm-ok');
    const result = await waitForText(page, '#result', /applied|rejected|failed|no answer/i);
    expect(result).toMatch(/^abort: applied/);
    const s = await waitForPhase(ns, 'RolledBack');
    expect(s.weights).toEqual({ stable: 100, candidate: 0 });
    expect(weightsOf(await getIstio(ns, 'virtualservices'))).toMatchObject({ v1: 100 });
    expect(weightsOf(await getIstio(ns, 'virtualservices'))['v2'] ?? 0).toBe(0);
    expect((s.history as { event: string; by?: string }[]).filter((h) => h.event === 'CommandApplied').at(-1)?.by).toMatch(/^dashboard-e2e/);
    await waitForText(page, '#phase', /RolledBack/);
  });

  it("shows the daemon's reason when it rejects a command", async () => {
    await page.type('#version', 'v9');
    await page.click('button[data-action="shift-to"]');
    const result = await waitForText(page, '#result', /rejected|applied|failed|no answer/i);
    const rejected = ((await getShift(ns))?.status?.history as { event: string; message: string }[]).filter((h) => h.event === 'CommandRejected').at(-1);
    expect(rejected?.message).toContain('v9');
    expect(result).toBe(`shift-to: rejected by the daemon: ${rejected!.message}`);
    expect((await getShift(ns))?.spec['version']).toBe('v2');
    await screenshot(page, 'shift-rejected');
  });

  it('retries on a click, and a failing candidate falls back on screen with its error rate over the limit', async () => {
    sim!.setProfile({ namespace: ns, service: 'reviews', version: 'v2', errorFraction: 0.4 });
    await page.click('button[data-action="retry"]');
    expect(await waitForText(page, '#result', /applied|rejected|failed|no answer/i)).toMatch(/^retry: applied/);
    const s = await waitForPhase(ns, (st) => st.phase === 'RolledBack' && st.history.at(-1)?.event === 'RolledBack' && st.lastGate?.result === 'Fail', 120_000);
    expect(s.lastGate.errorRate).toBeGreaterThan(0.05);
    // The chart asks Prometheus every 15 s; reload to draw it now.
    await page.reload();
    await waitForText(page, '#phase', /RolledBack/);
    await waitFor(async () => (await page.$$('svg.chart polyline')).length >= 3, { timeoutMs: 30_000, what: 'weights and error-rate lines' });
    const labels = await page.$$eval('svg.chart polyline title', (ts) => ts.map((t) => t.textContent));
    expect(labels).toEqual(expect.arrayContaining(['v1', 'v2']));
    expect(await text(page, 'main')).toContain('GateCheckFailed');
    await screenshot(page, 'shift-fallback', false);
    await page.emulateMediaFeatures([{ name: 'prefers-color-scheme', value: 'dark' }]);
    await screenshot(page, 'shift-fallback-dark', false);
    await page.emulateMediaFeatures([{ name: 'prefers-color-scheme', value: 'light' }]);
  });

  it('promotes after a confirmation, by keyboard', async () => {
    sim!.setProfile({ namespace: ns, service: 'reviews', version: 'v2', errorFraction: 0 });
    patchShift(ns, { metadata: { annotations: { 'sluice.dev/command': 'retry', 'sluice.dev/command-id': `retry-${Date.now()}` } } });
    await waitForPhase(ns, (st) => st.phase === 'Progressing' && st.weights?.candidate === 20);
    await page.focus('button[data-action="promote"]');
    await page.keyboard.press('Enter');
    await page.waitForSelector('dialog#confirm[open]');
    await page.focus('#confirm-ok');
    await page.keyboard.press('Enter');
    expect(await waitForText(page, '#result', /applied|rejected|failed|no answer/i)).toMatch(/^promote: applied/);
    await waitForPhase(ns, 'Promoted');
    expect(weightsOf(await getIstio(ns, 'virtualservices'))).toMatchObject({ v2: 100 });
  });

  it('tells a user without rights that they have no access', async () => {
    const nobody = givenTokenUser(tmp, ns, 'nobody');
    const theirs = await startDashboard(['-n', ns, '--kubeconfig', nobody.kubeconfig]);
    others.push(theirs.proc);
    const p = await browser!.newPage();
    await p.setViewport({ width: 1280, height: 500 });
    await p.goto(theirs.url);
    const shown = await waitForText(p, '#problems [data-problem="NoAccess"]', /No access/);
    expect(shown).toContain(`User "${nobody.username}" cannot list resource "trafficshifts"`);
    expect(shown).toContain('sluice-view');
    expect(await text(p, '#shifts tbody')).toContain('No shifts can be shown');
    await screenshot(p, 'no-access');
    await p.close();
  });

  it('runs every Grafana panel query of the chart against Prometheus and gets data', async () => {
    const configMap = renderChart(helmBinary(), 'sluice', 'sluice-system').find((d) => d.kind === 'ConfigMap' && d.metadata.labels?.['grafana_dashboard'] === '1');
    expect(configMap).toBeDefined();
    const board = JSON.parse(configMap!['data']['sluice.json']) as { panels: { type: string; title: string; targets?: { expr: string }[] }[] };
    const queries = board.panels.filter((p) => p.type !== 'row').flatMap((p) => (p.targets ?? []).map((t, i) => ({ panel: `${p.title} #${i + 1}`, expr: t.expr })));
    expect(queries.length).toBeGreaterThanOrEqual(12);
    const vars: Record<string, string> = { namespace: ns, shift: 'reviews', service: 'reviews', __rate_interval: '1m', __range: '1h', __interval: '15s' };
    const substitute = (expr: string) => expr.replace(/\$(\w+)|\$\{(\w+)\}/g, (m, a: string, b: string) => vars[a ?? b] ?? m);
    for (const q of queries) expect(substitute(q.expr)).not.toContain('$');
    // Prometheus scrapes the daemon and the simulator every few seconds: wait until every query has data.
    const empty = async () => {
      const out: string[] = [];
      for (const q of queries) if ((await promQuery(substitute(q.expr))).length === 0) out.push(q.panel);
      return out;
    };
    let missing: string[] = [];
    await waitFor(async () => (missing = await empty()).length === 0, { timeoutMs: 60_000, intervalMs: 3000, what: 'every panel query to return data' }).catch(() => undefined);
    expect(missing).toEqual([]);
  });
});
