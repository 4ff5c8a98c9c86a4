/** @type {import('jest').Config} */
/** Run alone (`npm test -w @session-shop/bench`) or as one of the root's projects. */
module.exports = {
  displayName: 'bench',
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    // Transpile only (isolatedModules): type checking is `npm run typecheck`'s job.
    '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json' }],
  },
};
