import request from 'supertest';
import { createApp } from '../../src/app';
import { silentLogger } from '../../src/platform/logger';
import { loadConfig } from '../../src/platform/config';
import { User } from '../../src/user.model';
import { totpCode } from '../../src/platform/crypto/totp';
import {
  expectRedirect,
  formCsrfTokenIn,
  newShopper,
  sessionIdSetBy,
  sessionsCollection,
  startTestShop,
  type Agent,
  type Shopper,
  type TestShop,
  TEST_SECRET,
} from '../helpers/shop';
import {
  LOGIN_TWO_FACTOR,
  atSecondStep,
  codeFormToken,
  sendCode,
  secretOnPage,
  turnOnTwoFactor,
} from '../helpers/two-factor';

/*
 * TOTP as a second factor, through the real stack: the secret shown and a code computed from it
 * as an app would, the login stopped at its second step with no logged-in session in MongoDB, and
 * every code used once. The shop runs on the test's clock: time moves by the test, never by sleeping.
 */

let clock = Date.parse('2026-12-07T10:00:00Z');
let shop: TestShop;

beforeAll(async () => {
  shop = await startTestShop('two-factor', { now: () => clock });
});

afterAll(async () => {
  await shop.close();
});

/** The next 30-second step: a new code, as an app shows it. */
function nextStep(): void {
  clock += 30_000;
}

async function isLoggedIn(agent: Agent): Promise<boolean> {
  return (await agent.get('/cart')).status === 200;
}

async function userIdOf(shopper: Shopper): Promise<string | undefined> {
  return (await User.findOne({ email: shopper.email }).lean())?._id.toHexString();
}

/** A shopper with the second factor on; the clock moved past the code that turned it on. */
async function protectedShopper(name: string): Promise<Shopper & { secret: string; recoveryCodes: string[] }> {
  const shopper = await newShopper(shop.app, name);
  const { secret, recoveryCodes } = await turnOnTwoFactor(shopper, clock);
  nextStep();
  return { ...shopper, secret, recoveryCodes };
}

describe('turning it on', () => {
  test('the page shows the secret, an otpauth:// link and the QR code; a code from the secret confirms it', async () => {
    const shopper = await newShopper(shop.app, 'setup');
    const page = await shopper.agent.get('/account/two-factor').expect(200);
    const secret = secretOnPage(page.text);
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(page.text).toMatch(/href="otpauth:\/\/totp\/Session%20Shop:[^"]*secret=[A-Z2-7]{32}/);
    expect(page.text).toMatch(/<img class="qr-code" src="data:image\/svg\+xml;base64,[\w+/=]+"/);
    // Reloading shows the same secret: the app that scanned it keeps working.
    expect(secretOnPage((await shopper.agent.get('/account/two-factor').expect(200)).text)).toBe(secret);

    const _csrf = formCsrfTokenIn(page.text, '/account/two-factor');
    const wrong = await shopper.agent
      .post('/account/two-factor')
      .type('form')
      .send({
        _csrf,
        currentPassword: shopper.password,
        code: '000000' === totpCode(secret, clock) ? '111111' : '000000',
      });
    expect(wrong.status).toBe(422);
    expect(wrong.text).toContain('That code is not right');
    expect(wrong.text).not.toMatch(/value="\d{6}"/);
    expect((await User.findOne({ email: shopper.email }).lean())?.twoFactor).toBeUndefined();

    const code = totpCode(secret, clock);
    const on = await shopper.agent
      .post('/account/two-factor')
      .type('form')
      .send({ _csrf, currentPassword: shopper.password, code })
      .expect(200);
    expect(on.text).toContain('Two-factor authentication is on');
    const codes = [...on.text.matchAll(/<li><code>([a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4})<\/code><\/li>/g)];
    expect(codes).toHaveLength(10);
    expect(on.headers['cache-control']).toBe('no-store');

    const account = await shopper.agent.get('/account').expect(200);
    expect(account.text).toContain('10 recovery codes left');
  });

  test('MongoDB holds the secret sealed, never as shown, the recovery codes as hashes only, and no session holds either', async () => {
    const shopper = await newShopper(shop.app, 'sealed');
    const { secret, recoveryCodes } = await turnOnTwoFactor(shopper, clock);
    const user = await User.findOne({ email: shopper.email }).lean();
    const stored = JSON.stringify(user);
    expect(user?.twoFactor?.secret).toMatch(/^v1:[\w-]{8}:/);
    expect(user?.twoFactorSetup).toBeUndefined();
    for (const form of [secret, secret.toLowerCase(), Buffer.from(secret).toString('base64')]) {
      expect(stored).not.toContain(form);
    }
    expect(user?.twoFactor?.recoveryCodes).toHaveLength(10);
    for (const code of recoveryCodes) {
      expect(stored).not.toContain(code);
      expect(stored).not.toContain(code.replace(/-/g, ''));
    }
    const sessions = JSON.stringify(await sessionsCollection().find({}).toArray());
    expect(sessions).not.toContain(secret);
    for (const code of recoveryCodes) expect(sessions).not.toContain(code);
  });

  test('a login older than the window is not shown the secret, even by posting the form', async () => {
    const shopper = await newShopper(shop.app, 'stale-setup');
    const page = await shopper.agent.get('/account/two-factor').expect(200);
    const secret = secretOnPage(page.text);
    clock += 11 * 60_000;
    expectRedirect(await shopper.agent.get('/account/two-factor'), '/account/confirm?returnTo=%2Faccount%2Ftwo-factor');
    const answer = await shopper.agent
      .post('/account/two-factor')
      .type('form')
      .send({ _csrf: formCsrfTokenIn(page.text, '/account/two-factor'), code: totpCode(secret, clock) });
    expect(answer.status).toBe(422);
    expect(answer.text).toContain('For your safety, enter your current password');
    expect(answer.text).not.toContain(secret.slice(0, 4) + ' ' + secret.slice(4, 8));
    expect(answer.text).not.toContain('otpauth://');
    expect((await User.findOne({ email: shopper.email }).lean())?.twoFactor).toBeUndefined();
    nextStep();
  });

  test('the code that turned it on cannot log in', async () => {
    const shopper = await newShopper(shop.app, 'first-code');
    const { secret } = await turnOnTwoFactor(shopper, clock);
    const agent = await atSecondStep(shop.app, shopper.email, shopper.password);
    expect((await sendCode(agent, totpCode(secret, clock))).status).toBe(422);
    nextStep();
  });
});

describe('logging in with a second factor', () => {
  test('the password stops at the second step: no logged-in session in MongoDB, /cart refused', async () => {
    const shopper = await protectedShopper('stops');
    const agent = request.agent(shop.app);
    const _csrf = formCsrfTokenIn((await agent.get('/login').expect(200)).text, '/login');
    const password = await agent
      .post('/login')
      .type('form')
      .send({ _csrf, email: shopper.email, password: shopper.password, returnTo: '/orders' });
    expectRedirect(password, LOGIN_TWO_FACTOR);
    const pendingId = sessionIdSetBy(password);
    expect(pendingId).toBeDefined();

    // The one document of this visit: the pending step and nothing of a logged-in session.
    const pending = await sessionsCollection().findOne({ _id: pendingId });
    expect(Object.keys(pending?.session ?? {}).sort()).toEqual(['cookie', 'secondFactor', 'touchedAt']);
    expect(Object.keys(pending?.session.secondFactor ?? {}).sort()).toEqual([
      'attempts',
      'expiresAt',
      'generation',
      'returnTo',
      'userId',
    ]);
    expect(pending?.userId).toBeUndefined();
    const userId = await userIdOf(shopper);
    // Logged in: the shopper's first browser only, never this one.
    expect(await sessionsCollection().countDocuments({ 'session.user._id': userId, 'session.isLoggedIn': true })).toBe(
      1,
    );
    const first = await agent.get('/cart');
    expect(first.status).toBe(302);
    expect(first.headers.location).toMatch(/^\/login/);
    expect((await agent.get('/account')).status).toBe(302);

    const wrong = await sendCode(agent, totpCode(shopper.secret, clock - 10 * 60_000));
    expect(wrong.status).toBe(422);
    expect(wrong.text).toContain('That code is not right');
    expect(await isLoggedIn(agent)).toBe(false);

    const right = await sendCode(agent, totpCode(shopper.secret, clock));
    expectRedirect(right, '/orders');
    const loggedInId = sessionIdSetBy(right);
    expect(loggedInId).not.toBe(pendingId);
    expect(await sessionsCollection().findOne({ _id: pendingId })).toBeNull();
    expect((await sessionsCollection().findOne({ _id: loggedInId }))?.session).toMatchObject({
      isLoggedIn: true,
      user: { _id: userId, email: shopper.email },
      authenticatedAt: clock,
    });
    expect(await isLoggedIn(agent)).toBe(true);
  });

  test('without a pending step the page sends to /login, and writes or ends no session', async () => {
    const before = await sessionsCollection().countDocuments({});
    const visitor = await request(shop.app).get(LOGIN_TWO_FACTOR);
    expectRedirect(visitor, '/login');
    expect(String(visitor.headers['set-cookie'] ?? '')).not.toContain('sid=');
    expect(await sessionsCollection().countDocuments({})).toBe(before);
    const shopper = await newShopper(shop.app, 'no-step');
    expectRedirect(await shopper.agent.get(LOGIN_TWO_FACTOR), '/login');
    expect(await isLoggedIn(shopper.agent)).toBe(true);
  });

  test('a code used once is refused on the next login, and so is an older one', async () => {
    const shopper = await protectedShopper('replay');
    const code = totpCode(shopper.secret, clock);
    expectRedirect(await sendCode(await atSecondStep(shop.app, shopper.email, shopper.password), code), '/');
    const thief = await atSecondStep(shop.app, shopper.email, shopper.password);
    expect((await sendCode(thief, code)).status).toBe(422);
    // The previous step's code, still inside the accepted window, is older than the one used.
    expect((await sendCode(thief, totpCode(shopper.secret, clock - 30_000))).status).toBe(422);
    expect(await isLoggedIn(thief)).toBe(false);
    nextStep();
    expectRedirect(await sendCode(thief, totpCode(shopper.secret, clock)), '/');
  });

  test('two logins sending the same code at once: exactly one gets in', async () => {
    const shopper = await protectedShopper('parallel');
    const agents = await Promise.all(
      Array.from({ length: 4 }, () => atSecondStep(shop.app, shopper.email, shopper.password)),
    );
    const tokens = await Promise.all(agents.map((agent) => codeFormToken(agent)));
    const code = totpCode(shopper.secret, clock);
    const answers = await Promise.all(agents.map((agent, index) => sendCode(agent, code, tokens[index])));
    expect(answers.map((answer) => answer.status).sort()).toEqual([302, 422, 422, 422]);
  });

  test('a recovery code logs in once, in any case and spacing, and the count goes down', async () => {
    const shopper = await protectedShopper('recovery');
    const [code] = shopper.recoveryCodes;
    const agent = await atSecondStep(shop.app, shopper.email, shopper.password);
    expectRedirect(await sendCode(agent, ` ${code.toUpperCase().replace(/-/g, ' ')} `), '/');
    expect((await agent.get('/').expect(200)).text).toContain('You used a recovery code: 9 left.');
    expect((await agent.get('/account').expect(200)).text).toContain('9 recovery codes left');
    expect((await User.findOne({ email: shopper.email }).lean())?.twoFactor?.recoveryCodes).toHaveLength(9);

    const again = await atSecondStep(shop.app, shopper.email, shopper.password);
    expect((await sendCode(again, code)).status).toBe(422);
    expect(await isLoggedIn(again)).toBe(false);
    // Another one still works.
    expectRedirect(await sendCode(again, shopper.recoveryCodes[1]), '/');
  });

  test('the same recovery code sent by two logins at once gets one in', async () => {
    const shopper = await protectedShopper('recovery-race');
    const agents = await Promise.all([1, 2, 3].map(() => atSecondStep(shop.app, shopper.email, shopper.password)));
    const tokens = await Promise.all(agents.map((agent) => codeFormToken(agent)));
    const answers = await Promise.all(
      agents.map((agent, index) => sendCode(agent, shopper.recoveryCodes[0], tokens[index])),
    );
    expect(answers.map((answer) => answer.status).sort()).toEqual([302, 422, 422]);
  });

  test('the pending step lasts 5 minutes: then even the right code is refused and the password asked again', async () => {
    const shopper = await protectedShopper('expiry');
    const agent = await atSecondStep(shop.app, shopper.email, shopper.password);
    const token = await codeFormToken(agent);
    expect(await sessionsCollection().countDocuments({ 'session.secondFactor.userId': await userIdOf(shopper) })).toBe(
      1,
    );
    clock += 4 * 60_000 + 50_000;
    await agent.get(LOGIN_TWO_FACTOR).expect(200);
    clock += 11_000; // 5 minutes and 1 second after the password
    const late = await sendCode(agent, totpCode(shopper.secret, clock), token);
    expectRedirect(late, '/login');
    expect((await agent.get('/login').expect(200)).text).toContain('That login has expired');
    expect(await isLoggedIn(agent)).toBe(false);
    // The step's session document went with it.
    expect(await sessionsCollection().countDocuments({ 'session.secondFactor.userId': await userIdOf(shopper) })).toBe(
      0,
    );
    nextStep();
    expectRedirect(
      await sendCode(await atSecondStep(shop.app, shopper.email, shopper.password), totpCode(shopper.secret, clock)),
      '/',
    );
  });

  test('after 5 wrong codes the step is over: the right code is refused, the password asked again', async () => {
    const shopper = await protectedShopper('five');
    const agent = await atSecondStep(shop.app, shopper.email, shopper.password);
    const token = await codeFormToken(agent);
    const wrong = totpCode(shopper.secret, clock - 60 * 60_000);
    for (let attempt = 1; attempt <= 4; attempt++) {
      const answer = await sendCode(agent, wrong, token);
      expect(answer.status).toBe(422);
      expect(answer.text).toContain(`${5 - attempt} ${5 - attempt === 1 ? 'try' : 'tries'} left`);
    }
    const fifth = await sendCode(agent, wrong, token);
    expect(fifth.status).toBe(422);
    expect(fifth.text).toContain('Too many wrong codes: enter your email and password again.');
    expect(fifth.text).toContain('action="/login"');
    expectRedirect(await sendCode(agent, totpCode(shopper.secret, clock), token), '/login');
    expect(await isLoggedIn(agent)).toBe(false);
    // The password again, then the code: in.
    expectRedirect(
      await sendCode(await atSecondStep(shop.app, shopper.email, shopper.password), totpCode(shopper.secret, clock)),
      '/',
    );
  });

  test('a password change meanwhile ends a pending step', async () => {
    const shopper = await protectedShopper('changed');
    const attacker = await atSecondStep(shop.app, shopper.email, shopper.password);
    const token = await codeFormToken(attacker);
    const page = await shopper.agent.get('/account/password').expect(200);
    expectRedirect(
      await shopper.agent
        .post('/account/password')
        .type('form')
        .send({
          _csrf: formCsrfTokenIn(page.text, '/account/password'),
          password: 'another passphrase',
          confirmPassword: 'another passphrase',
        }),
      '/account',
    );
    expectRedirect(await sendCode(attacker, totpCode(shopper.secret, clock), token), '/login');
    expect(await isLoggedIn(attacker)).toBe(false);
  });

  test('a password reset logs in only after the second factor', async () => {
    const shopper = await protectedShopper('reset');
    const agent = request.agent(shop.app);
    const resetPage = await agent.get('/reset').expect(200);
    await agent
      .post('/reset')
      .type('form')
      .send({ _csrf: formCsrfTokenIn(resetPage.text, '/reset'), email: shopper.email })
      .expect(200);
    const mail = await shop.inbox.waitFor(shopper.email, /Reset your password/);
    const link = /https?:\/\/[^\s/]+(\/reset\/[^\s]+)/.exec(mail.text)?.[1];
    const form = await agent.get(String(link)).expect(200);
    const answer = await agent
      .post('/new-password')
      .type('form')
      .send({
        _csrf: formCsrfTokenIn(form.text, '/new-password'),
        passwordToken: /name="passwordToken" value="([^"]+)"/.exec(form.text)?.[1],
        password: 'a reset passphrase',
        confirmPassword: 'a reset passphrase',
      });
    expectRedirect(answer, LOGIN_TWO_FACTOR);
    expect(await isLoggedIn(agent)).toBe(false);
    expectRedirect(await sendCode(agent, totpCode(shopper.secret, clock)), '/');
    expect(await isLoggedIn(agent)).toBe(true);
  });
});

test('wrong codes are limited per account, across pending steps: then even the right code waits', async () => {
  const limits = loadConfig({ NODE_ENV: 'test', SESSION_SECRET: TEST_SECRET, LOGIN_RATE_LIMIT_PER_ACCOUNT: '3' });
  const config = { ...limits, mail: shop.config.mail, accountSecurity: shop.config.accountSecurity };
  const app = createApp(config, { sessionStore: shop.store, logger: silentLogger, now: () => clock });
  const shopper = await protectedShopper('limited');
  const bystander = await protectedShopper('not-limited');
  const wrong = totpCode(shopper.secret, clock - 60 * 60_000);
  const first = await atSecondStep(app, shopper.email, shopper.password);
  expect((await sendCode(first, wrong)).status).toBe(422);
  expect((await sendCode(first, wrong)).status).toBe(422);
  // A new pending step (the password again) does not start the count again.
  const second = await atSecondStep(app, shopper.email, shopper.password);
  expect((await sendCode(second, wrong)).status).toBe(422);
  const refused = await sendCode(second, totpCode(shopper.secret, clock));
  expect(refused.status).toBe(429);
  expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
  expect(await isLoggedIn(second)).toBe(false);
  // Another account is not held up.
  expectRedirect(
    await sendCode(await atSecondStep(app, bystander.email, bystander.password), totpCode(bystander.secret, clock)),
    '/',
  );
});

describe('managing it', () => {
  test('new recovery codes replace the old set, shown once', async () => {
    const shopper = await protectedShopper('regenerate');
    const page = await shopper.agent.get('/account/two-factor').expect(200);
    expect(page.text).toContain('10 recovery codes left');
    const fresh = await shopper.agent
      .post('/account/two-factor/recovery-codes')
      .type('form')
      .send({ _csrf: formCsrfTokenIn(page.text, '/account/two-factor/recovery-codes') })
      .expect(200);
    const codes = [...fresh.text.matchAll(/<li><code>([a-z2-9-]{14})<\/code><\/li>/g)].map(([, code]) => code);
    expect(codes).toHaveLength(10);
    expect(codes).not.toContain(shopper.recoveryCodes[0]);
    const old = await atSecondStep(shop.app, shopper.email, shopper.password);
    expect((await sendCode(old, shopper.recoveryCodes[0])).status).toBe(422);
    expectRedirect(await sendCode(old, codes[0]), '/');
  });

  test('turning it off takes a code, mails the owner, and then the password alone logs in', async () => {
    const shopper = await protectedShopper('disable');
    const page = await shopper.agent.get('/account/two-factor').expect(200);
    const _csrf = formCsrfTokenIn(page.text, '/account/two-factor/disable');
    const wrong = await shopper.agent.post('/account/two-factor/disable').type('form').send({ _csrf, code: '12345x' });
    expect(wrong.status).toBe(422);
    expect(wrong.text).toContain('That code is not right');
    expect((await User.findOne({ email: shopper.email }).lean())?.twoFactor).toBeDefined();

    const off = await shopper.agent
      .post('/account/two-factor/disable')
      .type('form')
      .send({ _csrf, code: totpCode(shopper.secret, clock) });
    expectRedirect(off, '/account');
    expect((await User.findOne({ email: shopper.email }).lean())?.twoFactor).toBeUndefined();
    const mail = await shop.inbox.waitFor(shopper.email, /Two-factor authentication was turned off/);
    expect(mail.text).toContain('a password alone now logs in');
    expect(mail.text).toContain('/reset');
    expectRedirect(
      await (async () => {
        const agent = request.agent(shop.app);
        const _csrfLogin = formCsrfTokenIn((await agent.get('/login')).text, '/login');
        return agent
          .post('/login')
          .type('form')
          .send({ _csrf: _csrfLogin, email: shopper.email, password: shopper.password });
      })(),
      '/',
    );
  });
});

describe('without TOTP_KEY (production unset)', () => {
  function shopWithoutKey() {
    const config = { ...shop.config, accountSecurity: { ...shop.config.accountSecurity, totpKeys: undefined } };
    return createApp(config, { sessionStore: shop.store, logger: silentLogger, now: () => clock });
  }

  test('the second factor is not offered: no section on the account page, no pages', async () => {
    const app = shopWithoutKey();
    const shopper = await newShopper(app, 'no-key');
    const account = await shopper.agent.get('/account').expect(200);
    expect(account.text).not.toContain('Two-factor authentication');
    await shopper.agent.get('/account/two-factor').expect(404);
  });

  test('an account that has one is never let in on its password alone', async () => {
    const shopper = await protectedShopper('no-key-protected');
    const agent = await atSecondStep(shopWithoutKey(), shopper.email, shopper.password);
    expect((await sendCode(agent, totpCode(shopper.secret, clock))).status).toBe(500);
    expect(await isLoggedIn(agent)).toBe(false);
  });
});
