/** @type {import('jest').Config} */
// End-to-end tests in headless Chromium (playwright-core): `npm run test:e2e`.
const base = require('./jest.config');

module.exports = {
  ...base,
  testMatch: ['**/e2e/**/*.e2e.ts'],
  testTimeout: 120000,
  maxWorkers: 1,
};
