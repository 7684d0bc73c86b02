/**
 * `node dist/bench/fallback/chart.js DIR`: reads every fallback JSON document in DIR (as
 * `scripts/bench.sh fallback --all` writes them), prints the Markdown table the README shows and
 * writes DIR/fallback.svg (candidate failed requests and seconds from first failure to zero
 * traffic, per tool and scenario) and DIR/fallback.md (the table).
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { chartSvg, markdownTable, rowsOf, type BenchDocument } from './report';

const ORDER = ['bad', 'subtle', 'at-limit', 'healthy-low-traffic', 'prometheus-outage', 'shared-failure', 'shared-failure-compare'];

const rank = (d: BenchDocument): number => {
  const i = ORDER.indexOf(d.scenario.name);
  return (i < 0 ? ORDER.length : i) * 2 + (d.scenario.settings === 'defaults' ? 0 : 1);
};

const main = async (): Promise<number> => {
  const dir = process.argv[2];
  if (!dir) {
    process.stderr.write('usage: node dist/bench/fallback/chart.js DIR\n');
    return 2;
  }
  const files = (await fs.readdir(dir)).filter((f) => f.endsWith('.json')).sort();
  const docs: BenchDocument[] = [];
  for (const f of files) {
    const d = JSON.parse(await fs.readFile(path.join(dir, f), 'utf8')) as BenchDocument;
    if (d.benchmark === 'fallback') docs.push(d);
  }
  if (docs.length === 0) {
    process.stderr.write(`no fallback JSON documents in ${dir}\n`);
    return 1;
  }
  docs.sort((a, b) => rank(a) - rank(b) || a.scenario.name.localeCompare(b.scenario.name));
  const table = markdownTable(rowsOf(docs));
  await fs.writeFile(path.join(dir, 'fallback.md'), `${table}\n`);
  await fs.writeFile(path.join(dir, 'fallback.svg'), `${chartSvg(docs)}\n`);
  process.stdout.write(`${table}\n\nwrote ${path.join(dir, 'fallback.md')} and ${path.join(dir, 'fallback.svg')}\n`);
  return 0;
};

if (require.main === module) {
  main().then((code) => process.exit(code));
}
