// Allocation profile of a running daemon, objects already collected included: what makes its
// heap grow under load (issue 12). Start the daemon with --inspect=127.0.0.1:PORT (the benchmark:
// --node-options "--inspect=127.0.0.1:9339"), then:
//   node bench/scale/allocProfile.mjs PORT SECONDS OUT.json
// Prints the top allocating functions (self) and sluice's functions inclusive of their callees.
// node allocprof.mjs PORT SECONDS OUT : sample allocations (incl. collected) via the inspector
const [port, secs, out] = process.argv.slice(2);
const list = await (await fetch(`http://127.0.0.1:${port}/json/list`)).json();
const ws = new WebSocket(list[0].webSocketDebuggerUrl);
let id = 0; const pending = new Map();
const call = (method, params = {}) => new Promise((res) => { const i = ++id; pending.set(i, res); ws.send(JSON.stringify({ id: i, method, params })); });
ws.onmessage = (m) => { const d = JSON.parse(m.data); if (d.id && pending.has(d.id)) { pending.get(d.id)(d.result); pending.delete(d.id); } };
await new Promise((r) => ws.onopen = r);
await call('HeapProfiler.enable');
await call('HeapProfiler.startSampling', { samplingInterval: 32768, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
await new Promise((r) => setTimeout(r, secs * 1000));
const { profile } = await call('HeapProfiler.stopSampling');
const fs = await import('node:fs'); fs.writeFileSync(out, JSON.stringify(profile));
// summarize: self size by function+url, and inclusive by our files
const self = new Map();
const walk = (n, stack) => { const f = n.callFrame; const k = `${f.functionName || '(anon)'} ${f.url.replace(/.*node_modules\//, 'nm/').replace(/.*\/(dist\/)/, "$1")}:${f.lineNumber}`; self.set(k, (self.get(k) || 0) + n.selfSize); const st = [...stack, k]; for (const c of n.children) walk(c, st); };
walk(profile.head, []);
const total = [...self.values()].reduce((a, b) => a + b, 0);
console.log('total MB', (total / 1e6).toFixed(1));
[...self].sort((a, b) => b[1] - a[1]).slice(0, 30).forEach(([k, v]) => console.log((v / 1e6).toFixed(1).padStart(8), k));
// inclusive for dist/src functions
const incl = new Map();
const walk2 = (n) => { let s = n.selfSize; for (const c of n.children) s += walk2(c); const f = n.callFrame; if (f.url.includes('dist/src')) { const k = `${f.functionName || '(anon)'} ${f.url.replace(/.*\/(dist\/)/, "$1")}:${f.lineNumber}`; incl.set(k, (incl.get(k) || 0) + s); } return s; };
walk2(profile.head);
console.log('--- inclusive (dist/src)');
[...incl].sort((a, b) => b[1] - a[1]).slice(0, 30).forEach(([k, v]) => console.log((v / 1e6).toFixed(1).padStart(8), k));
ws.close();
