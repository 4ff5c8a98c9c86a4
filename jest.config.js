/**
 * `npm test`: the shop's suites and the embedded engine's own, in one run.
 * @type {import('jest').Config}
 */
module.exports = {
  projects: ['<rootDir>/jest.shop.js', '<rootDir>/packages/embedded-mongodb'],
  // Global options: jest reads these here, not from the projects.
  testTimeout: 30000,
  maxWorkers: 2,
};
