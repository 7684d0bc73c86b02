/** Unit tests for Stryker's jest runner (`npm run mutate`): Stryker runs one jest config, and the
 * mutants only need the pure unit tests (no local cluster). Each folder's mutants run against the
 * unit tests of that folder (SLUICE_MUTATE, set by scripts/mutate.sh), so the score says how well
 * the folder's own tests pin it down, and the initial coverage run stays minutes, not an hour, on
 * two cores. ts-jest only transpiles here: Stryker's TypeScript checker type-checks each mutant. */
const path = require('node:path');

const tests = {
  core: ['<rootDir>/test/unit/core/**/*.test.ts'],
  istio: ['<rootDir>/test/unit/istio/**/*.test.ts'],
  api: ['<rootDir>/test/unit/api/**/*.test.ts'],
  promql: ['<rootDir>/test/unit/prometheus/promql.test.ts', '<rootDir>/test/unit/prometheus/queries.test.ts'],
};
const target = process.env.SLUICE_MUTATE ?? 'core';
if (!(target in tests)) throw new Error(`SLUICE_MUTATE=${target}: expected one of ${Object.keys(tests).join(', ')}`);

module.exports = {
  rootDir: path.resolve(__dirname, '../..'),
  preset: 'ts-jest',
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json', isolatedModules: true }] },
  testMatch: tests[target],
  setupFiles: ['<rootDir>/test/unit/setup.ts'],
};
