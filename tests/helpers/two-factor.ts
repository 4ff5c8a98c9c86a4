import type { Express } from 'express';
import request, { type Response } from 'supertest';
import { totpCode } from '../../src/platform/crypto/totp';
import { expectRedirect, formCsrfTokenIn, logIn, type Agent, type Shopper } from './shop';

/*
 * The second factor as a shopper's browser and app use it: the set-up page read for its secret,
 * the code an authenticator app would show computed from that secret, the login's second step.
 */

export const LOGIN_TWO_FACTOR = '/login/two-factor';

/** The secret the set-up page shows as text (grouped by four), as an app would be given it. */
export function secretOnPage(html: string): string {
  const match = /id="totp-secret">([A-Z2-7 ]+)</.exec(html);
  if (!match) throw new Error('no TOTP secret on this page');
  return match[1].replace(/ /g, '');
}

/** The recovery codes a page shows (once). */
export function recoveryCodesOnPage(html: string): string[] {
  return [...html.matchAll(/<li><code>([a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4})<\/code><\/li>/g)].map(([, code]) => code);
}

/**
 * Turns the second factor on for a logged-in shopper, as they would: the page, the secret into an
 * app, the app's code (at `nowMs`, the shop's clock) with the password. Returns the secret and the
 * recovery codes shown.
 */
export async function turnOnTwoFactor(
  shopper: Pick<Shopper, 'agent' | 'password'>,
  nowMs: number,
): Promise<{ secret: string; recoveryCodes: string[]; page: Response }> {
  const setup = await shopper.agent.get('/account/two-factor').expect(200);
  const secret = secretOnPage(setup.text);
  const page = await shopper.agent
    .post('/account/two-factor')
    .type('form')
    .send({
      _csrf: formCsrfTokenIn(setup.text, '/account/two-factor'),
      currentPassword: shopper.password,
      code: totpCode(secret, nowMs),
    })
    .expect(200);
  const recoveryCodes = recoveryCodesOnPage(page.text);
  if (recoveryCodes.length !== 10) throw new Error(`expected 10 recovery codes, got ${recoveryCodes.length}`);
  return { secret, recoveryCodes, page };
}

/** A new browser that typed the right password of an account with a second factor: at its second step. */
export async function atSecondStep(app: Express, email: string, password: string): Promise<Agent> {
  const agent = request.agent(app);
  expectRedirect(await logIn(agent, email, password), LOGIN_TWO_FACTOR);
  return agent;
}

/** The token of the second step's form, from its page (which must be showing). */
export async function codeFormToken(agent: Agent): Promise<string> {
  return formCsrfTokenIn((await agent.get(LOGIN_TWO_FACTOR).expect(200)).text, LOGIN_TWO_FACTOR);
}

/** Sends a code at the second step. */
export async function sendCode(agent: Agent, code: string, token?: string): Promise<Response> {
  const _csrf = token ?? (await codeFormToken(agent));
  return agent.post(LOGIN_TWO_FACTOR).type('form').send({ _csrf, code });
}
