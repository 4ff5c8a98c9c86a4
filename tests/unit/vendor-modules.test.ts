import express from 'express';
import request from 'supertest';
import { WEBAUTHN_BROWSER_PATH, WEBAUTHN_BROWSER_URL, webauthnBrowserModules } from '../../src/http/vendor-modules';

// @simplewebauthn/browser's ES modules, served from node_modules at a versioned address
// (tests/e2e/virtual-authenticator.e2e.ts uses them in Chromium).

const app = express();
app.use(webauthnBrowserModules());
app.use((req, res) => {
  res.status(404).send(`fell through: ${req.url}`);
});

test('the entry module and the modules it imports, as JavaScript, kept a year', async () => {
  expect(WEBAUTHN_BROWSER_URL).toBe(`${WEBAUTHN_BROWSER_PATH}/index.js`);
  const entry = await request(app).get(WEBAUTHN_BROWSER_URL).expect(200);
  expect(entry.headers['content-type']).toMatch(/^text\/javascript/);
  expect(entry.headers['cache-control']).toBe('public, max-age=31536000, immutable');
  // Every relative import of the entry resolves to a file served here.
  const imports = [...entry.text.matchAll(/from '(\.\/[^']+)'/g)].map(([, specifier]) => specifier);
  expect(imports).toContain('./methods/startRegistration.js');
  for (const specifier of imports)
    await request(app)
      .get(`${WEBAUTHN_BROWSER_PATH}/${specifier.slice(2)}`)
      .expect(200);
});

test('nothing else of the package, and nothing outside it', async () => {
  for (const file of ['package.json', 'index.d.ts', 'index.d.ts.map', '../script/index.js', '..%2f..%2fpackage.json']) {
    const reply = await request(app).get(`${WEBAUTHN_BROWSER_PATH}/${file}`);
    expect(reply.status).toBe(404);
  }
  await request(app)
    .get('/vendor/simplewebauthn-browser/0.0.1/index.js')
    .expect(404, /fell through/);
});
