/**
 * `npm test`: the shop's suites, the embedded engine's own and the bench's, in one run.
 * @type {import('jest').Config}
 */
module.exports = {
  projects: ['<rootDir>/jest.shop.js', '<rootDir>/packages/embedded-mongodb', '<rootDir>/packages/bench'],
  // Global options: jest reads these here, not from the projects.
  testTimeout: 30000,
  maxWorkers: 2,
};
