/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/__tests__'],
  // Only *.test.ts are suites, so helpers under __tests__/support/ are not mistaken for empty suites.
  testMatch: ['**/__tests__/**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } }],
  },
  // The same polyfill the twin CLI loads; Jest gives each test file its own realm, so it must run per file here.
  setupFiles: ['<rootDir>/twin/polyfill.cjs'],
  setupFilesAfterEnv: ['<rootDir>/__tests__/support/setup-jest.ts'],
  // The examples import the package by name, as consumers do; here it is the sources (tsconfig.json maps it the same).
  moduleNameMapper: { '^cdktf-async-athena-query$': '<rootDir>/constructs/index.ts' },
  // One moto server (the SQS the twin's dead-letter queue and the redrive tests use) for the whole run.
  globalSetup: '<rootDir>/__tests__/support/moto-global-setup.ts',
  globalTeardown: '<rootDir>/__tests__/support/moto-global-teardown.ts',
  testTimeout: 60000,
  reporters: ['default', '<rootDir>/__tests__/support/summary-reporter.cjs'],
};
