/**
 * The dashboard page: an overview of every shift (live through server-sent events) and one page
 * per shift (#/shift/NS/NAME) with its charts, verdicts, conditions, history, routes and the SRE
 * actions. Plain DOM and template strings; every value from the server is escaped.
 * The JSON shapes mirror src/dashboard/model.ts, charts.ts and server.ts.
 */
import { lineChart, weightsBar } from './chart.js';
import { age, clock, count, escapeHtml as h, pct, since } from './format.js';

interface Weights { stable: number; candidate: number }
interface Gate { result: string; version: string; requests?: number; errors?: number; errorRate?: number; p99LatencyMs?: number; threshold: number; window: string; time: string; message: string }
interface Condition { type: string; status: string; reason: string; message: string; lastTransitionTime: string }
interface History { time: string; event: string; message: string; by?: string; weights?: Weights }
interface Problem { _tag: string; message: string }
interface Row {
  namespace: string; name: string; service?: string; strategy?: string; steps?: number[]; phase?: string; version?: string;
  stable?: string; candidate?: string; weights?: Weights; step?: number; lastGate?: Gate; phaseSince?: string; nextStart?: string;
  pending?: string; notReady?: Condition; specUnobserved: boolean; unansweredSince?: string;
}
interface Detail {
  row: Row; limits?: { maxErrorRate: number; maxP99LatencyMs?: number; interval: string; minRequests: number; failureThreshold: number };
  invalid?: string[]; conditions: Condition[]; history: History[]; weights: { t: number; stable: number; candidate: number }[];
  verdicts: History[]; message?: string; timeZone?: string; startedAt?: string;
}
interface RouteRead { object?: unknown; problem?: Problem }
interface Charts { prometheus: string; start: number; end: number; errorRate: { label: string; points: [number, number][] }[]; p99?: { label: string; points: [number, number][] }[] }
type Outcome = { _tag: 'Applied'; message?: string } | { _tag: 'Rejected'; message: string } | { _tag: 'Replaced'; id: string } | { _tag: 'Pending' };
type FeedMessage =
  | { type: 'snapshot'; rows: Row[]; problem?: Problem }
  | { type: 'upsert'; row: Row }
  | { type: 'delete'; namespace: string; name: string }
  | { type: 'problem'; problem?: Problem };

/** A daemon that owes an answer for longer than this is reported as maybe not running. */
const SILENT_AFTER_MS = 30_000;
const PHASES = ['Idle', 'Waiting', 'Progressing', 'Paused', 'Promoting', 'Promoted', 'RolledBack', 'Failed'];
const TITLES: Record<string, string> = {
  NoAccess: 'No access', NotFound: 'Not found', ApiUnavailable: 'Kubernetes API unavailable', Refused: 'Refused',
  DaemonSilent: 'The daemon did not answer', PrometheusUnavailable: 'Prometheus unavailable', NoPrometheus: 'No Prometheus', BadRequest: 'Not accepted',
};

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
const key = (r: { namespace: string; name: string }): string => `${r.namespace}/${r.name}`;
const state = {
  rows: new Map<string, Row>(),
  feedProblem: undefined as Problem | undefined,
  connected: false,
  filter: { namespace: '', phase: '' },
  config: { namespace: null as string | null, prometheus: null as string | null, by: null as string | null, answerTimeoutMs: 60_000 },
};

const problemBox = (p: Problem, warn = false): string =>
  `<div class="problem${warn ? ' warn' : ''}" data-problem="${h(p._tag)}"><strong>${h(TITLES[p._tag] ?? p._tag)}:</strong>${h(p.message)}</div>`;

/** Problems of the whole page: the feed's, a lost connection, daemons that do not answer. */
const drawProblems = (): void => {
  const boxes: string[] = [];
  if (state.feedProblem) boxes.push(problemBox(state.feedProblem));
  if (!state.connected) boxes.push(problemBox({ _tag: 'ApiUnavailable', message: 'lost the connection to the dashboard server (sluice dashboard); reconnecting…' }, true));
  const now = Date.now();
  for (const r of state.rows.values()) {
    const owed = r.unansweredSince ? now - Date.parse(r.unansweredSince) : 0;
    if (owed > SILENT_AFTER_MS)
      boxes.push(problemBox({ _tag: 'DaemonSilent', message: `${key(r)}: ${r.pending ? `command ${r.pending}` : 'a spec change has not been seen by the daemon'} for ${age(owed)}; is "sluice run" running?` }, true));
  }
  const html = boxes.join('');
  if ($('problems').innerHTML !== html) $('problems').innerHTML = html;
};

const phaseBadge = (phase: string | undefined): string => `<span class="phase ${h(phase ?? '')}">${h(phase ?? 'not reconciled yet')}</span>`;

const split = (r: Row): string => {
  if (!r.weights) return '<span class="muted">-</span>';
  const w = r.weights;
  const label = `${r.stable ?? 'stable'} ${w.stable} %, ${r.candidate ?? 'candidate'} ${w.candidate} %`;
  return `<span class="split" data-weights="${w.stable}/${w.candidate}">${w.stable}% ${weightsBar(w.stable, w.candidate, label)} ${w.candidate}%</span>`;
};

const stepText = (r: Row): string => {
  if (r.strategy !== 'canary' || !r.steps || r.step === undefined) return r.strategy === 'blueGreen' ? 'blue-green' : '-';
  if (r.step < 0) return `before step 1 of ${r.steps.length}`;
  return `${r.step + 1} of ${r.steps.length} (${r.steps[r.step] ?? '?'} %)`;
};

const verdictText = (g: Gate | undefined): string => {
  if (!g) return '<span class="muted">-</span>';
  const rate = g.errorRate !== undefined ? ` ${pct(g.errorRate)} of ${count(g.requests ?? 0)} (limit ${pct(g.threshold)})` : '';
  return `<span class="verdict ${h(g.result)}" title="${h(g.message)}">${h(g.result)}</span>${h(rate)} <span class="muted">${h(since(g.time, Date.now()))}</span>`;
};

// ---- overview -------------------------------------------------------------------------------

const drawOverview = (): void => {
  const now = Date.now();
  const rows = [...state.rows.values()].sort((a, b) => key(a).localeCompare(key(b)));
  const namespaces = [...new Set(rows.map((r) => r.namespace))].sort();
  const shown = rows.filter((r) => (!state.filter.namespace || r.namespace === state.filter.namespace) && (!state.filter.phase || r.phase === state.filter.phase));
  const option = (v: string, selected: string, label = v): string => `<option value="${h(v)}"${v === selected ? ' selected' : ''}>${h(label)}</option>`;
  const body = shown
    .map(
      (r) => `<tr data-shift="${h(key(r))}">
        <td><a id="go-${h(key(r))}" href="#/shift/${encodeURIComponent(r.namespace)}/${encodeURIComponent(r.name)}">${h(r.name)}</a>${r.notReady ? ` <span class="verdict Fail" title="${h(r.notReady.message)}">⚠ ${h(r.notReady.reason)}</span>` : ''}</td>
        <td>${h(r.namespace)}</td>
        <td>${phaseBadge(r.phase)}</td>
        <td>${h(r.stable ?? '-')}${r.candidate ? ` → ${h(r.candidate)}` : ''}</td>
        <td>${split(r)}</td>
        <td>${h(stepText(r))}</td>
        <td>${verdictText(r.lastGate)}</td>
        <td class="num">${r.phaseSince ? h(age(now - Date.parse(r.phaseSince))) : '-'}</td>
        <td>${r.nextStart ? h(since(r.nextStart, now)) : '<span class="muted">-</span>'}</td>
      </tr>`,
    )
    .join('');
  const focused = document.activeElement?.id;
  $('main').innerHTML = `
    <h1>TrafficShifts</h1>
    <div class="filters">
      <label>Namespace <select id="f-namespace">${option('', state.filter.namespace, 'all')}${namespaces.map((n) => option(n, state.filter.namespace)).join('')}</select></label>
      <label>Phase <select id="f-phase">${option('', state.filter.phase, 'all')}${PHASES.map((p) => option(p, state.filter.phase)).join('')}</select></label>
      <span class="muted">${shown.length} of ${rows.length} shifts</span>
    </div>
    <table id="shifts">
      <thead><tr><th>Shift</th><th>Namespace</th><th>Phase</th><th>Versions</th><th>Weights (stable / candidate)</th><th>Step</th><th>Last verdict</th><th>In phase</th><th>Scheduled start</th></tr></thead>
      <tbody>${body || `<tr><td colspan="9" class="muted">${state.feedProblem ? 'No shifts can be shown (see above).' : 'No TrafficShifts here.'}</td></tr>`}</tbody>
    </table>`;
  for (const [id, field] of [['f-namespace', 'namespace'], ['f-phase', 'phase']] as const) {
    const select = $<HTMLSelectElement>(id);
    select.addEventListener('change', () => {
      state.filter[field] = select.value;
      drawOverview();
      $(id).focus();
    });
  }
  if (focused) document.getElementById(focused)?.focus();
};

// ---- one shift ------------------------------------------------------------------------------

interface Page { namespace: string; name: string; detail?: Detail; routes?: { virtualService: RouteRead; destinationRule: RouteRead }; charts?: Charts | Problem; problem?: Problem; result?: string }
let page: Page | undefined;

const api = async <T>(path: string, init?: RequestInit): Promise<{ ok: true; body: T } | { ok: false; problem: Problem }> => {
  try {
    const res = await fetch(path, init);
    const body = (await res.json()) as T & { problem?: Problem };
    return res.ok ? { ok: true, body } : { ok: false, problem: body.problem ?? { _tag: 'ApiUnavailable', message: `HTTP ${res.status}` } };
  } catch (e) {
    return { ok: false, problem: { _tag: 'ApiUnavailable', message: `the dashboard server did not answer: ${String(e)}` } };
  }
};

const shiftPath = (p: { namespace: string; name: string }): string => `/api/shifts/${encodeURIComponent(p.namespace)}/${encodeURIComponent(p.name)}`;

const loadShift = async (p: Page): Promise<void> => {
  const got = await api<{ detail: Detail; routes: Page['routes'] }>(shiftPath(p));
  if (page !== p) return;
  if (got.ok) {
    p.detail = got.body.detail;
    p.routes = got.body.routes;
    delete p.problem;
  } else p.problem = got.problem;
  drawShift();
};

const loadCharts = async (p: Page): Promise<void> => {
  const got = await api<Charts>(`${shiftPath(p)}/charts`);
  if (page !== p) return;
  p.charts = got.ok ? got.body : got.problem;
  drawShift();
};

const historyRows = (entries: History[], now: number): string =>
  entries
    .slice()
    .reverse()
    .map((e) => `<tr><td title="${h(e.time)}">${h(since(e.time, now))}</td><td>${h(e.event)}</td><td>${h(e.message)}</td><td>${h(e.by ?? '')}</td><td>${e.weights ? `${e.weights.stable}/${e.weights.candidate}` : ''}</td></tr>`)
    .join('');

const chartsHtml = (d: Detail, charts: Charts | Problem | undefined): string => {
  const now = Date.now();
  const start = charts && 'start' in charts ? charts.start : Math.min(now - 2 * 60_000, ...d.weights.map((w) => w.t - 30_000));
  const end = charts && 'end' in charts ? charts.end : now;
  const weights = lineChart({
    title: 'Weights over time (percent of requests)',
    series: [
      { label: `stable ${d.row.stable ?? ''}`, points: d.weights.map((w) => [w.t, w.stable] as const), step: true },
      { label: `candidate ${d.row.candidate ?? ''}`, points: d.weights.map((w) => [w.t, w.candidate] as const), step: true },
    ],
    start, end, yMax: 100, format: (v) => `${Math.round(v)}%`,
  });
  let prom: string;
  if (charts === undefined) prom = '<p class="muted">Asking Prometheus…</p>';
  else if ('_tag' in charts) prom = problemBox(charts, charts._tag === 'NoPrometheus');
  else {
    const limit = d.limits ? { value: d.limits.maxErrorRate, label: `limit ${pct(d.limits.maxErrorRate)}` } : undefined;
    prom = lineChart({ title: `Error rate by version (5xx share over ${d.limits?.interval ?? 'the gate window'})`, series: charts.errorRate, start, end, ...(limit ? { limit } : {}), format: (v) => `${Number((v * 100).toFixed(1))}%` });
    if (charts.p99 && d.limits?.maxP99LatencyMs !== undefined)
      prom += lineChart({ title: 'p99 latency by version (ms)', series: charts.p99, start, end, limit: { value: d.limits.maxP99LatencyMs, label: `limit ${d.limits.maxP99LatencyMs} ms` }, format: (v) => `${Math.round(v)}` });
    prom += `<p class="muted">From Prometheus at ${h(charts.prometheus)}, ${clock(charts.start)}–${clock(charts.end)} UTC.</p>`;
  }
  return `<div class="charts"><div>${weights}</div><div>${prom}</div></div>`;
};

const routeHtml = (title: string, r: RouteRead | undefined): string =>
  `<h3>${h(title)}</h3>${r?.problem ? problemBox(r.problem, r.problem._tag === 'NotFound') : `<pre>${h(JSON.stringify(r?.object ?? null, null, 2))}</pre>`}`;

const drawShift = (): void => {
  const p = page;
  if (!p) return;
  const now = Date.now();
  const title = `<p><a href="#/">← all shifts</a></p><h1>${h(p.namespace)}/${h(p.name)}</h1>`;
  if (!p.detail) {
    $('main').innerHTML = `${title}${p.problem ? problemBox(p.problem) : '<p class="muted">Loading…</p>'}`;
    return;
  }
  const d = p.detail;
  const r = { ...d.row, ...(state.rows.get(key(p)) ?? {}) };
  const g = r.lastGate;
  const activeEl = document.activeElement as HTMLElement | null;
  const focused = activeEl?.id;
  const typed = { weight: (document.getElementById('weight') as HTMLInputElement | null)?.value ?? '', version: (document.getElementById('version') as HTMLInputElement | null)?.value ?? '' };
  $('main').innerHTML = `${title}
    ${p.problem ? problemBox(p.problem) : ''}
    ${d.invalid ? problemBox({ _tag: 'Refused', message: `the spec is invalid: ${d.invalid.join('; ')}` }) : ''}
    <section class="panel">
      <dl class="facts">
        <dt>Phase</dt><dd id="phase">${phaseBadge(r.phase)} <span class="muted">${r.phaseSince ? `for ${h(age(now - Date.parse(r.phaseSince)))}` : ''}</span></dd>
        <dt>Versions</dt><dd>stable <strong>${h(r.stable ?? '-')}</strong>${r.candidate ? `, candidate <strong>${h(r.candidate)}</strong>` : ''}; spec.version ${h(r.version ?? '-')}</dd>
        <dt>Weights</dt><dd id="weights">${split(r)}</dd>
        <dt>Step</dt><dd>${h(stepText(r))}</dd>
        <dt>Last verdict</dt><dd>${verdictText(g)}${g ? `<div class="muted">${h(g.message)}</div>` : ''}</dd>
        ${d.limits ? `<dt>Gate</dt><dd>error rate ≤ ${pct(d.limits.maxErrorRate)}${d.limits.maxP99LatencyMs !== undefined ? `, p99 ≤ ${d.limits.maxP99LatencyMs} ms` : ''} over ${h(d.limits.interval)}, at least ${d.limits.minRequests} requests, ${d.limits.failureThreshold} failed checks fall back</dd>` : ''}
        <dt>Next start</dt><dd>${r.nextStart ? `${h(r.nextStart)} (${h(since(r.nextStart, now))}${d.timeZone ? `, schedule in ${h(d.timeZone)}` : ''})` : '<span class="muted">none scheduled</span>'}</dd>
        ${r.pending ? `<dt>Pending</dt><dd>${h(r.pending)}</dd>` : ''}
        ${d.message ? `<dt>Message</dt><dd>${h(d.message)}</dd>` : ''}
      </dl>
    </section>
    <h2>Actions</h2>
    <div class="actions" role="group" aria-label="Commands">
      <button data-action="promote" class="danger">Promote</button>
      <button data-action="abort" class="danger">Abort</button>
      <button data-action="pause">Pause</button>
      <button data-action="resume">Resume</button>
      <button data-action="retry">Retry</button>
      <label>Weight <input id="weight" inputmode="numeric" placeholder="0–100" aria-label="candidate weight"></label><button data-action="set-weight">Set weight</button>
      <label>Version <input id="version" placeholder="v5" aria-label="version to shift to"></label><button data-action="shift-to">Shift to</button>
    </div>
    <div id="result" role="status" aria-live="polite">${p.result ?? ''}</div>
    <h2>Charts</h2>
    ${chartsHtml(d, p.charts)}
    <h2>Verdicts</h2>
    <table><thead><tr><th>When</th><th>Event</th><th>Numbers</th><th>By</th><th>Weights</th></tr></thead><tbody>${historyRows(d.verdicts, now) || '<tr><td colspan="5" class="muted">no verdict yet</td></tr>'}</tbody></table>
    <h2>Conditions</h2>
    <table><thead><tr><th>Type</th><th>Status</th><th>Reason</th><th>Message</th><th>Since</th></tr></thead><tbody>${
      d.conditions.map((c) => `<tr><td>${h(c.type)}</td><td>${h(c.status)}</td><td>${h(c.reason)}</td><td>${h(c.message)}</td><td>${h(since(c.lastTransitionTime, now))}</td></tr>`).join('') || '<tr><td colspan="5" class="muted">none</td></tr>'
    }</tbody></table>
    <h2>History</h2>
    <table id="history"><thead><tr><th>When</th><th>What</th><th>Why</th><th>Who</th><th>Weights</th></tr></thead><tbody>${historyRows(d.history, now) || '<tr><td colspan="5" class="muted">empty</td></tr>'}</tbody></table>
    <h2>Routes</h2>
    ${routeHtml('VirtualService', p.routes?.virtualService)}
    ${routeHtml('DestinationRule', p.routes?.destinationRule)}`;
  ($('weight') as HTMLInputElement).value = typed.weight;
  ($('version') as HTMLInputElement).value = typed.version;
  for (const b of document.querySelectorAll<HTMLButtonElement>('button[data-action]')) b.addEventListener('click', () => void act(b.dataset['action']!));
  const action = activeEl?.dataset?.['action'];
  if (focused) document.getElementById(focused)?.focus();
  else if (action) document.querySelector<HTMLButtonElement>(`button[data-action="${action}"]`)?.focus();
};

/** Ask for confirmation in a modal dialog (Esc or Cancel says no). */
const confirmAction = (text: string): Promise<boolean> =>
  new Promise((resolve) => {
    const dialog = $<HTMLDialogElement>('confirm');
    $('confirm-text').textContent = text;
    dialog.addEventListener('close', () => resolve(dialog.returnValue === 'ok'), { once: true });
    dialog.returnValue = '';
    dialog.showModal();
    $('confirm-cancel').focus();
  });

const setResult = (p: Page, cls: string, text: string): void => {
  p.result = `<span class="result ${h(cls)}">${h(text)}</span>`;
  const el = document.getElementById('result');
  if (el && page === p) el.innerHTML = p.result;
};

const act = async (action: string): Promise<void> => {
  const p = page;
  if (!p) return;
  const value = action === 'set-weight' ? $<HTMLInputElement>('weight').value : action === 'shift-to' ? $<HTMLInputElement>('version').value : undefined;
  const where = `${p.namespace}/${p.name}`;
  if (action === 'abort' && !(await confirmAction(`Abort ${where}? All traffic goes back to the stable version ${p.detail?.row.stable ?? ''} at once.`))) return;
  if (action === 'promote' && !(await confirmAction(`Promote ${where}? The candidate ${p.detail?.row.candidate ?? ''} gets all traffic now, skipping the remaining analysis.`))) return;
  setResult(p, 'Pending', `${action}${value ? ` ${value}` : ''}: sending…`);
  const sent = await api<{ id: string }>(`${shiftPath(p)}/commands`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ action, ...(value !== undefined ? { value } : {}) }) });
  if (!sent.ok) return setResult(p, 'failed', `${action}: ${TITLES[sent.problem._tag] ?? sent.problem._tag}: ${sent.problem.message}`);
  const id = sent.body.id;
  setResult(p, 'Pending', `${action}: sent as command ${id}; waiting for the daemon…`);
  for (;;) {
    const got = await api<{ outcome: Outcome }>(`${shiftPath(p)}/commands/${encodeURIComponent(id)}`);
    if (!got.ok) return setResult(p, 'failed', `${action}: ${got.problem.message}`);
    const o = got.body.outcome;
    if (o._tag === 'Applied') return setResult(p, 'Applied', `${action}: applied${o.message ? `: ${o.message}` : ''}`);
    if (o._tag === 'Rejected') return setResult(p, 'Rejected', `${action}: rejected by the daemon: ${o.message}`);
    if (o._tag === 'Replaced') return setResult(p, 'failed', `${action}: command ${id} was replaced by command ${o.id} before the daemon answered it`);
  }
};

// ---- routing and the live feed --------------------------------------------------------------

let chartTimer: ReturnType<typeof setInterval> | undefined;
let reloadTimer: ReturnType<typeof setTimeout> | undefined;

const route = (): void => {
  const m = /^#\/shift\/([^/]+)\/([^/]+)$/.exec(location.hash);
  if (chartTimer) clearInterval(chartTimer);
  if (m) {
    const p: Page = { namespace: decodeURIComponent(m[1]!), name: decodeURIComponent(m[2]!) };
    page = p;
    document.title = `${p.namespace}/${p.name} · sluice`;
    drawShift();
    void loadShift(p);
    void loadCharts(p);
    chartTimer = setInterval(() => void loadCharts(p), 15_000);
  } else {
    page = undefined;
    document.title = 'sluice dashboard';
    drawOverview();
  }
  $('main').focus({ preventScroll: true });
};

const onFeed = (m: FeedMessage): void => {
  switch (m.type) {
    case 'snapshot':
      state.rows = new Map(m.rows.map((r) => [key(r), r]));
      state.feedProblem = m.problem;
      break;
    case 'upsert':
      state.rows.set(key(m.row), m.row);
      if (page && key(page) === key(m.row)) {
        // The shift changed: read its page again (once, shortly after a burst of events).
        if (reloadTimer) clearTimeout(reloadTimer);
        const p = page;
        reloadTimer = setTimeout(() => void loadShift(p), 150);
      }
      break;
    case 'delete':
      state.rows.delete(key(m));
      break;
    case 'problem':
      state.feedProblem = m.problem;
      break;
  }
  drawProblems();
  if (!page) drawOverview();
};

const connect = (): void => {
  const events = new EventSource('/api/events');
  events.onopen = () => {
    state.connected = true;
    $('live').textContent = 'live';
    drawProblems();
  };
  events.onmessage = (e: MessageEvent<string>) => onFeed(JSON.parse(e.data) as FeedMessage);
  events.onerror = () => {
    state.connected = events.readyState === EventSource.OPEN;
    $('live').textContent = state.connected ? 'live' : 'reconnecting…';
    drawProblems();
  };
};

const start = async (): Promise<void> => {
  const config = await api<typeof state.config>('/api/config');
  if (config.ok) state.config = config.body;
  $('scope').textContent = `${state.config.namespace === null ? 'all namespaces' : `namespace ${state.config.namespace}`}${state.config.prometheus ? ` · Prometheus ${state.config.prometheus}` : ' · no Prometheus'}${state.config.by ? ` · commands by ${state.config.by}` : ''}`;
  state.connected = true;
  window.addEventListener('hashchange', route);
  route();
  connect();
  // Relative times tick; the overview redraws each 5 s (keeping focus), a shift page each 5 s as well.
  setInterval(() => {
    drawProblems();
    if (!page) drawOverview();
  }, 5000);
};

void start();
