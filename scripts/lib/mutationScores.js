// Reads Stryker's JSON reports (reports/mutation/<folder>.json, mutation-testing-report-schema)
// and prints one line per folder: the mutation score (killed + timed out over every mutant that
// compiled and was not ignored, the way Stryker counts it) and the surviving mutants' places.
// Usage: node scripts/lib/mutationScores.js reports/mutation [--survivors]
const fs = require('node:fs');
const path = require('node:path');

const dir = process.argv[2] ?? 'reports/mutation';
const listSurvivors = process.argv.includes('--survivors');
const detected = new Set(['Killed', 'Timeout']);
const undetected = new Set(['Survived', 'NoCoverage']);

for (const file of fs.readdirSync(dir).filter((f) => /^[a-z]+\.json$/.test(f)).sort()) {
  const report = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'));
  let killed = 0;
  let missed = 0;
  const survivors = [];
  for (const [name, { mutants }] of Object.entries(report.files)) {
    for (const m of mutants) {
      if (detected.has(m.status)) killed += 1;
      if (undetected.has(m.status)) {
        missed += 1;
        survivors.push(`  ${m.status} ${name}:${m.location.start.line} ${m.mutatorName}: ${JSON.stringify(m.replacement ?? '')}`);
      }
    }
  }
  const total = killed + missed;
  const score = total === 0 ? 'n/a' : `${((100 * killed) / total).toFixed(1)} %`;
  console.log(`${path.basename(file, '.json')}: ${score} (${killed} of ${total} mutants detected, ${missed} survived)`);
  if (listSurvivors) for (const line of survivors) console.log(line);
}
