/** Two projects: `unit` is pure and fast (no I/O); `integration` runs against the real local
 * control plane, Prometheus and the mesh simulator started by test/integration/globalSetup.ts. */
const base = {
  preset: 'ts-jest',
  testEnvironment: 'node',
  modulePathIgnorePatterns: ['<rootDir>/.stryker-tmp'], // npm run mutate's sandboxes
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] }, // isolatedModules comes from tsconfig.json
};
module.exports = {
  projects: [
    { ...base, displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.test.ts'], setupFiles: ['<rootDir>/test/unit/setup.ts'] },
    {
      ...base,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
      globalSetup: '<rootDir>/test/integration/globalSetup.ts',
      globalTeardown: '<rootDir>/test/integration/globalTeardown.ts',
      // testTimeout is a global option jest ignores inside projects; the setup file sets it.
      setupFilesAfterEnv: ['<rootDir>/test/integration/setup.ts'],
    },
  ],
};
