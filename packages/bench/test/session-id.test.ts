import type { AddressInfo } from 'node:net';
import express from 'express';
import session from 'express-session';
import { sessionIdIn } from '../src/servers/session-id';

/**
 * The floor verifies the shop's session cookie as express-session does: the cookie here is one
 * that express-session itself set, and a change to its signature, or another key, is refused.
 */
describe('the floor reads the session id from the cookie express-session signed', () => {
  const SECRETS = ['the-current-secret', 'the-previous-secret'];
  let cookieHeader: string;
  let sessionId: string;

  beforeAll(async () => {
    const app = express();
    // Signed with the previous secret: the floor must try every secret, as express-session does.
    app.use(session({ name: 'sid', secret: SECRETS[1], resave: false, saveUninitialized: true }));
    app.get('/', (req, res) => res.send(req.sessionID));
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    try {
      const reply = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
      sessionId = await reply.text();
      cookieHeader = `theme=dark; ${reply.headers.getSetCookie()[0].split(';')[0]}; other=1`;
    } finally {
      server.close();
    }
  });

  test('a cookie express-session signed gives its session id, under any of the secrets', () => {
    expect(sessionIdIn(cookieHeader, 'sid', SECRETS)).toBe(sessionId);
  });

  test('a changed signature, an unknown secret, an unsigned value or no cookie give none', () => {
    const tampered = cookieHeader.replace(/sid=([^;]+)/, (_all, value: string) => `sid=${value.slice(0, -3)}abc`);
    expect(sessionIdIn(tampered, 'sid', SECRETS)).toBeUndefined();
    expect(sessionIdIn(cookieHeader, 'sid', ['another-secret'])).toBeUndefined();
    expect(sessionIdIn(`sid=${sessionId}`, 'sid', SECRETS)).toBeUndefined();
    expect(sessionIdIn(undefined, 'sid', SECRETS)).toBeUndefined();
    expect(sessionIdIn('theme=dark', 'sid', SECRETS)).toBeUndefined();
  });
});
