/**
 * `node dist/bench/fallback/merge.js OUT IN...`: merges fallback documents of one scenario and
 * settings, each produced with other tools (report.ts `mergeDocuments`), into OUT — so the tools can
 * run one at a time and still give one document per scenario and settings, as `--all` writes them.
 */
import { promises as fs } from 'node:fs';
import { mergeDocuments, type BenchDocument } from './report';

const main = async (): Promise<number> => {
  const [out, ...inputs] = process.argv.slice(2);
  if (out === undefined || inputs.length === 0) {
    process.stderr.write('usage: node dist/bench/fallback/merge.js OUT IN...\n');
    return 2;
  }
  const docs = await Promise.all(inputs.map(async (f) => JSON.parse(await fs.readFile(f, 'utf8')) as BenchDocument));
  const merged = mergeDocuments(docs);
  if (!merged.ok) {
    process.stderr.write(`merge: ${merged.error}\n`);
    return 1;
  }
  await fs.writeFile(out, `${JSON.stringify(merged.value, null, 2)}\n`);
  process.stdout.write(`wrote ${out}: ${merged.value.summary.map((s) => `${s.tool} ${s.runs} run(s)`).join(', ')}\n`);
  return 0;
};

if (require.main === module) {
  main().then((code) => process.exit(code));
}
