/** @type {import('jest').Config} */
/** Run alone (`npm test -w @session-shop/embedded-mongodb`) or as one of the root's projects. */
module.exports = {
  displayName: 'embedded-mongodb',
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    // Transpile only (isolatedModules): type checking is `npm run typecheck`'s job.
    '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json' }],
  },
  // Read when run alone; as a project, the root's global testTimeout applies.
  testTimeout: 30000,
};
