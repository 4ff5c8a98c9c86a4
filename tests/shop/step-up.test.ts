import request from 'supertest';
import { User } from '../../src/user.model';
import {
  expectRedirect,
  formCsrfTokenIn,
  logIn,
  newShopper,
  startTestShop,
  type Agent,
  type Shopper,
  type TestShop,
} from '../helpers/shop';

/*
 * A fresh login for what matters (SESSION_REAUTH_MINUTES, 10 by default): within it a sensitive
 * change asks for no password, past it the form asks again, or the "Confirm it's you" page. The
 * shop runs on the test's clock, which the tests move instead of waiting.
 */

let clock = Date.parse('2026-12-07T12:00:00Z');
let shop: TestShop;

beforeAll(async () => {
  shop = await startTestShop('step-up', { now: () => clock });
});

afterAll(async () => {
  await shop.close();
});

const MINUTE = 60_000;
const NEW_PASSWORD = 'a completely new passphrase';

async function changePassword(agent: Agent, fields: Record<string, string> = {}) {
  const page = await agent.get('/account/password').expect(200);
  return {
    page,
    answer: await agent
      .post('/account/password')
      .type('form')
      .send({
        _csrf: formCsrfTokenIn(page.text, '/account/password'),
        password: NEW_PASSWORD,
        confirmPassword: NEW_PASSWORD,
        ...fields,
      }),
  };
}

async function passwordWorks(shopper: Shopper, password: string): Promise<boolean> {
  return (await logIn(request.agent(shop.app), shopper.email, password)).status === 302;
}

describe('changing the password', () => {
  test('9 minutes after login: no current password asked, the change goes through', async () => {
    const shopper = await newShopper(shop.app, 'nine');
    clock += 9 * MINUTE;
    const { page, answer } = await changePassword(shopper.agent);
    expect(page.text).not.toContain('name="currentPassword"');
    expectRedirect(answer, '/account');
    expect(await passwordWorks(shopper, NEW_PASSWORD)).toBe(true);
  });

  test('11 minutes after login: the form asks for the current password again, and takes the right one', async () => {
    const shopper = await newShopper(shop.app, 'eleven');
    clock += 11 * MINUTE;
    const { page, answer } = await changePassword(shopper.agent);
    expect(page.text).toContain('name="currentPassword"');
    expect(answer.status).toBe(422);
    expect(answer.text).toContain('For your safety, enter your current password');
    expect(answer.text).not.toContain(NEW_PASSWORD);
    expect(await passwordWorks(shopper, shopper.password)).toBe(true);

    const wrong = await changePassword(shopper.agent, { currentPassword: 'not my password' });
    expect(wrong.answer.status).toBe(422);
    expect(wrong.answer.text).toContain('That is not your current password.');
    expectRedirect((await changePassword(shopper.agent, { currentPassword: shopper.password })).answer, '/account');
    expect(await passwordWorks(shopper, NEW_PASSWORD)).toBe(true);
  });

  test('within the window a wrong current password, when one is sent, is still refused', async () => {
    const shopper = await newShopper(shop.app, 'sent-wrong');
    const { answer } = await changePassword(shopper.agent, { currentPassword: 'a wrong one' });
    expect(answer.status).toBe(422);
    expect(answer.text).toContain('That is not your current password.');
    expect(await passwordWorks(shopper, shopper.password)).toBe(true);
  });

  test('a right password freshens the login: the next change needs none for another window', async () => {
    const shopper = await newShopper(shop.app, 'freshened');
    clock += 30 * MINUTE;
    const page = await shopper.agent.get('/account/email').expect(200);
    expect(page.text).toContain('name="currentPassword"');
    expectRedirect(
      await shopper.agent
        .post('/account/email')
        .type('form')
        .send({
          _csrf: formCsrfTokenIn(page.text, '/account/email'),
          email: `freshened-new-${clock}@example.com`,
          currentPassword: shopper.password,
        }),
      '/account',
    );
    clock += 5 * MINUTE;
    const { page: passwordPage, answer } = await changePassword(shopper.agent);
    expect(passwordPage.text).not.toContain('name="currentPassword"');
    expectRedirect(answer, '/account');
  });
});

describe('the other sensitive changes past the window', () => {
  test('deleting the account asks for the password; without it nothing is deleted', async () => {
    const shopper = await newShopper(shop.app, 'delete');
    clock += 11 * MINUTE;
    const page = await shopper.agent.get('/account/delete').expect(200);
    expect(page.text).toContain('name="currentPassword"');
    const answer = await shopper.agent
      .post('/account/delete')
      .type('form')
      .send({ _csrf: formCsrfTokenIn(page.text, '/account/delete') });
    expect(answer.status).toBe(422);
    expect(await User.exists({ email: shopper.email })).not.toBeNull();
  });

  test('changing the email asks for the password, keeping what was typed', async () => {
    const shopper = await newShopper(shop.app, 'email');
    clock += 11 * MINUTE;
    const page = await shopper.agent.get('/account/email').expect(200);
    const answer = await shopper.agent
      .post('/account/email')
      .type('form')
      .send({ _csrf: formCsrfTokenIn(page.text, '/account/email'), email: 'typed-new@example.com' });
    expect(answer.status).toBe(422);
    expect(answer.text).toContain('value="typed-new@example.com"');
    expect(answer.text).toContain('For your safety, enter your current password');
  });
});

describe("the 'Confirm it's you' page", () => {
  test('a sensitive page past the window sends the shopper to confirm, and back', async () => {
    const shopper = await newShopper(shop.app, 'confirm');
    clock += 11 * MINUTE;
    const away = await shopper.agent.get('/account/two-factor');
    expectRedirect(away, '/account/confirm?returnTo=%2Faccount%2Ftwo-factor');
    const page = await shopper.agent.get(away.headers.location).expect(200);
    expect(page.text).toContain("Confirm it's you");
    const _csrf = formCsrfTokenIn(page.text, '/account/confirm');

    const wrong = await shopper.agent
      .post('/account/confirm')
      .type('form')
      .send({ _csrf, currentPassword: 'not it', returnTo: '/account/two-factor' });
    expect(wrong.status).toBe(422);
    expect(wrong.text).toContain('That is not your current password.');
    expect(wrong.text).toContain('value="/account/two-factor"');
    expect(wrong.text).not.toContain('not it');
    expectRedirect(await shopper.agent.get('/account/two-factor'), '/account/confirm?returnTo=%2Faccount%2Ftwo-factor');

    const right = await shopper.agent
      .post('/account/confirm')
      .type('form')
      .send({ _csrf, currentPassword: shopper.password, returnTo: '/account/two-factor' });
    expectRedirect(right, '/account/two-factor');
    await shopper.agent.get('/account/two-factor').expect(200);
    // Fresh again for the whole window.
    clock += 9 * MINUTE;
    expect((await shopper.agent.get('/account/password').expect(200)).text).not.toContain('name="currentPassword"');
  });

  test('it goes back only to a path of this site', async () => {
    const shopper = await newShopper(shop.app, 'confirm-away');
    const page = await shopper.agent.get('/account/confirm?returnTo=//evil.example/x').expect(200);
    expect(page.text).toContain('value="/account"');
    const answer = await shopper.agent
      .post('/account/confirm')
      .type('form')
      .send({
        _csrf: formCsrfTokenIn(page.text, '/account/confirm'),
        currentPassword: shopper.password,
        returnTo: 'https://evil.example/',
      });
    expectRedirect(answer, '/account');
  });

  test('it is for logged-in shoppers only', async () => {
    await request(shop.app)
      .get('/account/confirm')
      .expect(302)
      .expect('Location', '/login?returnTo=%2Faccount%2Fconfirm');
  });
});
