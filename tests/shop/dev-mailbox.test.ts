import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import pino from 'pino';
import request from 'supertest';
import { createApp } from '../../src/app';
import { silentLogger } from '../../src/platform/logger';
import { Mailer } from '../../src/platform/mailer';
import { loadConfig } from '../../src/platform/config';
import { PRODUCTION_URI, TEST_SECRET, csrfTokenIn, newShopper, startTestShop, type TestShop } from '../helpers/shop';

// `npm run dev` without SMTP_URL: what the shop mails is kept in a folder and shown at /dev/mail.

let shop: TestShop;
let mailboxDir: string;

beforeAll(async () => {
  shop = await startTestShop('dev-mailbox');
  mailboxDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mailbox-'));
});

afterAll(async () => {
  await shop.close();
  fs.rmSync(mailboxDir, { recursive: true, force: true });
});

function developmentShop() {
  const config = { ...shop.config, mail: { from: '"Session Shop" <shop@localhost>', mailboxDir } };
  return createApp(config, { sessionStore: shop.store, logger: silentLogger });
}

test('a reset asked for in development lands in the mailbox, with a link that works', async () => {
  const app = developmentShop();
  const shopper = await newShopper(shop.app, 'developer');
  const agent = request.agent(app);
  const page = await agent.get('/reset');
  await agent
    .post('/reset')
    .type('form')
    .send({ _csrf: csrfTokenIn(page.text), email: shopper.email })
    .expect(200);

  let listing = '';
  for (let tries = 0; !listing.includes('Reset your password') && tries < 100; tries++) {
    listing = (await request(app).get('/dev/mail').expect(200)).text;
  }
  expect(listing).toContain(shopper.email);
  const id = /href="\/dev\/mail\/([^"]+)"/.exec(listing)![1];
  const message = (await request(app).get(`/dev/mail/${id}`).expect(200)).text;
  const link = /<a href="https?:\/\/[^/]+(\/reset\/[A-Za-z0-9_-]{43})">/.exec(message)![1];
  await request(app).get(link).expect(200);
  // The raw message is kept beside it, as it would have gone out.
  expect(fs.readdirSync(mailboxDir).some((name) => name.endsWith('.eml'))).toBe(true);
  await request(app).get('/dev/mail/no-such-message').expect(404);
});

test('there is no mailbox page in production, nor with a real SMTP server', async () => {
  const production = loadConfig({
    NODE_ENV: 'production',
    SESSION_SECRET: 'x'.repeat(40),
    MONGODB_URI: PRODUCTION_URI,
  });
  const productionApp = createApp(
    { ...production, mail: { ...production.mail, mailboxDir } },
    {
      sessionStore: shop.store,
      logger: silentLogger,
    },
  );
  await request(productionApp).get('/dev/mail').set('X-Forwarded-Proto', 'https').expect(404);
  await request(shop.app).get('/dev/mail').expect(404);
});

test('production without SMTP_URL: mail is off, said on the reset page and in the log', async () => {
  const lines: string[] = [];
  const stream = new PassThrough();
  stream.on('data', (chunk: Buffer) => lines.push(chunk.toString()));
  const mailer = new Mailer({ from: 'shop@example.com' }, pino({ level: 'info' }, stream));
  expect(mailer.kind).toBe('off');
  await mailer.send({ to: 'someone@example.com', subject: 'Hello', text: 'x', html: 'x' });
  expect(lines.join('')).toContain('mail is off');
  // The address is not logged.
  expect(lines.join('')).not.toContain('someone@example.com');
  const app = createApp(
    { ...shop.config, mail: { from: 'shop@example.com' } },
    { sessionStore: shop.store, logger: silentLogger },
  );
  expect((await request(app).get('/reset').expect(200)).text).toContain('cannot send mail at the moment');
});

test('the mail configuration: SMTP_URL, MAIL_FROM and PUBLIC_URL are checked', () => {
  expect(() => loadConfig({ NODE_ENV: 'test', SMTP_URL: 'http://mail.example' })).toThrow(/SMTP_URL must look like/);
  expect(() => loadConfig({ NODE_ENV: 'test', MAIL_FROM: 'nobody' })).toThrow(/MAIL_FROM must be an address/);
  expect(() => loadConfig({ NODE_ENV: 'test', PUBLIC_URL: 'shop.example' })).toThrow(/PUBLIC_URL must be/);
  expect(() =>
    loadConfig({
      NODE_ENV: 'production',
      SESSION_SECRET: TEST_SECRET,
      MONGODB_URI: PRODUCTION_URI,
      SMTP_URL: 'smtp://u:p@mail.example:587',
    }),
  ).toThrow(/PUBLIC_URL is required/);
  const config = loadConfig({
    NODE_ENV: 'production',
    SESSION_SECRET: TEST_SECRET,
    MONGODB_URI: PRODUCTION_URI,
    SMTP_URL: 'smtp://u:p@mail.example:587',
    PUBLIC_URL: 'https://shop.example/',
  });
  expect(config.publicUrl).toBe('https://shop.example');
  expect(config.mail).toEqual({
    smtpUrl: 'smtp://u:p@mail.example:587',
    mailboxDir: undefined,
    from: '"Session Shop" <shop@localhost>',
  });
});
