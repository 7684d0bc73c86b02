// Mutation testing (`npm run mutate`, see scripts/mutate.sh): Stryker changes one operator or
// literal at a time in the files below and runs the unit tests that cover it; a mutant that no
// test notices is a missing assertion or dead code. Not part of scripts/test.sh (it takes long).
// SLUICE_MUTATE names one folder, so each folder has its own score, report and incremental file.
const folders = {
  core: ['src/core/**/*.ts'],
  istio: ['src/istio/**/*.ts'],
  api: ['src/api/**/*.ts'],
  promql: ['src/prometheus/promql.ts'],
};
const target = process.env.SLUICE_MUTATE ?? 'core';
if (!(target in folders)) throw new Error(`SLUICE_MUTATE=${target}: expected one of ${Object.keys(folders).join(', ')}`);

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  packageManager: 'npm',
  testRunner: 'jest',
  jest: { projectType: 'custom', configFile: 'test/stryker/jest.config.js' },
  checkers: ['typescript'],
  tsconfigFile: 'tsconfig.json',
  typescriptChecker: { prioritizePerformanceOverAccuracy: true },
  coverageAnalysis: 'perTest',
  ignoreStatic: true,
  concurrency: Number(process.env.SLUICE_MUTATE_CONCURRENCY ?? 2),
  timeoutMS: 20000,
  dryRunTimeoutMinutes: 30, // the first run with per-test coverage is slow on a loaded 2-core machine
  incremental: true,
  incrementalFile: `reports/mutation/${target}.incremental.json`,
  reporters: ['clear-text', 'json', 'progress-append-only'],
  jsonReporter: { fileName: `reports/mutation/${target}.json` },
  clearTextReporter: { allowColor: false, reportMutants: true, reportScoreTable: true },
  mutate: folders[target],
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
};
