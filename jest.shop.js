/**
 * The shop's jest project: its suites under tests/, on one database server for the whole run.
 * jest.config.js runs it beside the engine's own suites; jest.e2e.config.js runs its browser test.
 * @type {import('jest').Config}
 */
module.exports = {
  displayName: 'shop',
  rootDir: __dirname,
  testEnvironment: 'node',
  roots: ['<rootDir>/tests'],
  testMatch: ['**/*.test.ts'],
  transform: {
    // tsconfig's isolatedModules makes ts-jest transpile only: type checking is `npm run typecheck`'s job.
    '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json' }],
  },
  // The engine's source, not its build: a change to it is tested without a rebuild.
  moduleNameMapper: { '^@session-shop/embedded-mongodb$': '<rootDir>/packages/embedded-mongodb/src/index.ts' },
  globalSetup: '<rootDir>/tests/setup/global-setup.ts',
  globalTeardown: '<rootDir>/tests/setup/global-teardown.ts',
};
