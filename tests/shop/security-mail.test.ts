import request from 'supertest';
import { createApp } from '../../src/app';
import { AccountMail, type SecurityNotice } from '../../src/accounts/account-mail';
import { KNOWN_DEVICES } from '../../src/accounts/login/known-devices';
import { User } from '../../src/user.model';
import { capturingLogger } from '../helpers/logs';
import {
  expectRedirect,
  formCsrfTokenIn,
  logIn,
  newShopper,
  startTestShop,
  type Agent,
  type TestShop,
} from '../helpers/shop';
import { linkPathIn } from '../helpers/mail';

/*
 * Security mail, received through a real SMTP server: a login from a new device, a password
 * changed or reset (the second factor turned off: tests/shop/two-factor.test.ts). Each is also
 * a security-log event.
 */

let shop: TestShop;

beforeAll(async () => {
  shop = await startTestShop('security-mail');
});

afterAll(async () => {
  await shop.close();
});

const FIREFOX_LINUX = 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0';
const FIREFOX_LINUX_UPDATED = 'Mozilla/5.0 (X11; Linux x86_64; rv:131.0) Gecko/20100101 Firefox/131.0';
const SAFARI_IPHONE =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1';

function browser(userAgent: string): Agent {
  return request.agent(shop.app).set('User-Agent', userAgent);
}

const NEW_LOGIN = /New login to your account/;

/** Mail goes out in the background: what a test expects not to arrive is given this long. */
async function settled(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 300));
}

describe('a login from a new device', () => {
  test("an account's first login is not new; another browser and system is, once; an update of it is not", async () => {
    const shopper = await newShopper(shop.app, 'devices');
    expectRedirect(await logIn(request.agent(shop.app), shopper.email, shopper.password), '/');
    await settled();
    expect(shop.inbox.to(shopper.email).filter((mail) => NEW_LOGIN.test(mail.subject))).toEqual([]);

    expectRedirect(await logIn(browser(FIREFOX_LINUX), shopper.email, shopper.password), '/');
    const mail = await shop.inbox.waitFor(shopper.email, NEW_LOGIN);
    expect(mail.text).toContain('Browser: Firefox 128 on Linux');
    expect(mail.text).toMatch(/Network: (127\.0\.0\.x|::1|::ffff)/);
    expect(mail.text).toContain('/reset');

    expectRedirect(await logIn(browser(FIREFOX_LINUX_UPDATED), shopper.email, shopper.password), '/');
    expectRedirect(await logIn(browser(FIREFOX_LINUX), shopper.email, shopper.password), '/');
    await settled();
    expect(shop.inbox.to(shopper.email).filter((mail) => NEW_LOGIN.test(mail.subject))).toHaveLength(1);

    // Only keyed hashes are kept: no browser's name in the account.
    const user = await User.findOne({ email: shopper.email }).lean();
    expect(user?.knownDevices).toHaveLength(2);
    expect(JSON.stringify(user?.knownDevices)).not.toMatch(/Firefox|Linux/);
  });

  test('two logins from one new device at once mail once', async () => {
    const shopper = await newShopper(shop.app, 'devices-race');
    const answers = await Promise.all(
      [1, 2, 3].map(() => logIn(browser(SAFARI_IPHONE), shopper.email, shopper.password)),
    );
    for (const answer of answers) expectRedirect(answer, '/');
    await shop.inbox.waitFor(shopper.email, NEW_LOGIN);
    await settled();
    expect(shop.inbox.to(shopper.email).filter((mail) => NEW_LOGIN.test(mail.subject))).toHaveLength(1);
  });

  test(`an account remembers its ${KNOWN_DEVICES} most recently seen devices`, async () => {
    const shopper = await newShopper(shop.app, 'many-devices');
    const agents = ['Chrome', 'Firefox'].flatMap((name) =>
      [
        'Windows NT 10.0; Win64; x64',
        'X11; Linux x86_64',
        'Macintosh; Intel Mac OS X 10_15_7',
        'X11; CrOS x86_64 14541.0.0',
        'X11; FreeBSD amd64',
        'X11; OpenBSD amd64',
      ].map((system) =>
        name === 'Chrome'
          ? `Mozilla/5.0 (${system}) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36`
          : `Mozilla/5.0 (${system}; rv:128.0) Gecko/20100101 Firefox/128.0`,
      ),
    );
    for (const userAgent of agents)
      expectRedirect(await logIn(browser(userAgent), shopper.email, shopper.password), '/');
    const user = await User.findOne({ email: shopper.email }).lean();
    expect(user?.knownDevices).toHaveLength(KNOWN_DEVICES);
  });

  test('is a security-log event, beside the login with how it was made', async () => {
    const { logger, lines } = capturingLogger();
    const app = createApp(shop.config, { sessionStore: shop.store, logger });
    const shopper = await newShopper(app, 'devices-log');
    expectRedirect(
      await logIn(request.agent(app).set('User-Agent', FIREFOX_LINUX), shopper.email, shopper.password),
      '/',
    );
    const events = lines.filter((line) => line.log === 'security').map(({ event, method }) => ({ event, method }));
    expect(events.slice(-2)).toEqual([
      { event: 'login', method: 'password' },
      { event: 'login-new-device', method: undefined },
    ]);
  });
});

describe('a changed password', () => {
  test('changed on the account page: the owner is mailed', async () => {
    const shopper = await newShopper(shop.app, 'changed');
    const page = await shopper.agent.get('/account/password').expect(200);
    expectRedirect(
      await shopper.agent
        .post('/account/password')
        .type('form')
        .send({
          _csrf: formCsrfTokenIn(page.text, '/account/password'),
          currentPassword: shopper.password,
          password: 'another passphrase',
          confirmPassword: 'another passphrase',
        }),
      '/account',
    );
    const mail = await shop.inbox.waitFor(shopper.email, /Your password was changed/);
    expect(mail.text).toContain('every other device logged out');
  });

  test('reset by a mailed link: the owner is mailed', async () => {
    const shopper = await newShopper(shop.app, 'reset');
    const agent = request.agent(shop.app);
    const resetPage = await agent.get('/reset').expect(200);
    await agent
      .post('/reset')
      .type('form')
      .send({ _csrf: formCsrfTokenIn(resetPage.text, '/reset'), email: shopper.email })
      .expect(200);
    const link = linkPathIn(await shop.inbox.waitFor(shopper.email, /Reset your password/), '/reset/');
    const form = await agent.get(link).expect(200);
    expectRedirect(
      await agent
        .post('/new-password')
        .type('form')
        .send({
          _csrf: formCsrfTokenIn(form.text, '/new-password'),
          passwordToken: link.split('/').pop(),
          password: 'a reset passphrase',
          confirmPassword: 'a reset passphrase',
        }),
      '/',
    );
    await shop.inbox.waitFor(shopper.email, /Your password was changed/);
  });
});

describe('the notices the next sign-in methods send', () => {
  test.each<[SecurityNotice['kind'], string | undefined, RegExp, string]>([
    ['passkey-added', 'Laptop <b>', /A passkey was added/, 'A passkey ("Laptop <b>") was added'],
    ['passkey-removed', 'Phone', /A passkey was removed/, 'A passkey ("Phone") was removed'],
    ['provider-linked', 'Google', /A sign-in provider was linked/, 'Your account was linked to Google'],
  ])('%s', async (kind, name, subject, sentence) => {
    const message = await new AccountMail('https://shop.example').securityNotice('ann@example.com', {
      kind,
      name,
      when: new Date('2026-12-07T10:00:00Z'),
      device: 'Firefox 128 on Linux',
      address: '203.0.113.x',
    });
    expect(message.subject).toMatch(subject);
    expect(message.text).toContain(sentence);
    expect(message.text).toContain('https://shop.example/reset');
    // The HTML body escapes what it names.
    expect(message.html).not.toContain('<b>');
  });
});
