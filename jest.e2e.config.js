/** @type {import('jest').Config} */
// End-to-end tests in headless Chromium (playwright-core): `npm run test:e2e`.
const shop = require('./jest.shop');

module.exports = {
  ...shop,
  testMatch: ['**/e2e/**/*.e2e.ts'],
  testTimeout: 120000,
  maxWorkers: 1,
};
