import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import express from 'express';
import request from 'supertest';
import { staticFiles } from '../../src/http/middleware/static-files';

// public/ is served folder by folder, plus the files at its top; everything else falls through.

let folder: string;
let app: express.Express;

beforeAll(() => {
  folder = fs.mkdtempSync(path.join(os.tmpdir(), 'static-files-'));
  fs.mkdirSync(path.join(folder, 'css'));
  fs.mkdirSync(path.join(folder, 'images', 'icons'), { recursive: true });
  fs.writeFileSync(path.join(folder, 'css', 'main.css'), 'body { margin: 0 }');
  fs.writeFileSync(path.join(folder, 'images', 'icons', 'cart.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  fs.writeFileSync(path.join(folder, 'robots.txt'), 'User-agent: *');
  app = express();
  app.use(staticFiles(folder));
  app.use((req, res) => {
    res.status(404).send(`fell through: ${req.method} ${req.url}`);
  });
});

afterAll(() => {
  fs.rmSync(folder, { recursive: true, force: true });
});

test('serves files in folders, nested ones and those at the top', async () => {
  await request(app)
    .get('/css/main.css')
    .expect(200)
    .expect('Content-Type', /text\/css/)
    .expect('body { margin: 0 }');
  await request(app).get('/images/icons/cart.svg').expect(200).expect('Content-Type', /svg/);
  await request(app).get('/robots.txt').expect(200).expect('User-agent: *');
});

test('anything else falls through to the app, unchanged', async () => {
  await request(app).get('/products').expect(404).expect('fell through: GET /products');
  await request(app).get('/css/missing.css').expect(404).expect('fell through: GET /css/missing.css');
  await request(app).post('/robots.txt').expect(404).expect('fell through: POST /robots.txt');
  await request(app).get('/../etc/passwd').expect(404);
});
