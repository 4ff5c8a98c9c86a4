/**
 * Packages that ship ES modules only (openid-client 6 and its oauth4webapi and jose, oidc-provider 9).
 * Node 20.19+ require()s them, so the compiled shop and tsx import them as they are; jest's own
 * module loader cannot before Node 24.9 ("Must use import to load ES Module"), so under jest they
 * are transpiled to CommonJS like the tests (cached after the first run). A new one that the tests
 * reach goes here.
 */
const ESM_ONLY = ['openid-client', 'oauth4webapi', 'jose', 'oidc-provider'];

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
    // ES-module-only packages, made CommonJS for jest alone (see ESM_ONLY).
    [`/node_modules/(${ESM_ONLY.join('|')})/.+\\.js$`]: [
      'ts-jest',
      { tsconfig: { allowJs: true, module: 'commonjs', target: 'ES2022', isolatedModules: true } },
    ],
  },
  transformIgnorePatterns: [`/node_modules/(?!(${ESM_ONLY.join('|')})/)`],
  // The engine's source, not its build: a change to it is tested without a rebuild.
  moduleNameMapper: { '^@session-shop/embedded-mongodb$': '<rootDir>/packages/embedded-mongodb/src/index.ts' },
  globalSetup: '<rootDir>/tests/setup/global-setup.ts',
  globalTeardown: '<rootDir>/tests/setup/global-teardown.ts',
};
