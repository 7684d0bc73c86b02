/** The unit project alone, for Stryker's jest runner (`npm run mutate`): Stryker runs one jest
 * config, and the mutants only need the pure unit tests (no local cluster). */
const path = require('node:path');

module.exports = {
  rootDir: path.resolve(__dirname, '../..'),
  preset: 'ts-jest',
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
  testMatch: ['<rootDir>/test/unit/**/*.test.ts'],
  setupFiles: ['<rootDir>/test/unit/setup.ts'],
};
