import type { Express } from 'express';
import mongoose from 'mongoose';
import request, { type Response } from 'supertest';
import { MongoClient, type Collection } from 'mongodb';
import { createApp, type AppConnections } from '../../src/app';
import { User } from '../../src/user.model';
import { loadConfig, type Config } from '../../src/platform/config';
import { silentLogger, type Logger } from '../../src/platform/logger';
import { MongoSessionStore } from '../../src/sessions/mongo-session-store';
import { SESSIONS_COLLECTION, type SessionDocument } from '../../src/sessions/session-document';
import { csrfTokenIn } from '../../tools/html';
import { dropDatabase, testServerUri, uniqueDbName } from './database';
import { TestInbox } from './mail';
import { withSlowSessionWrites, type WriteWait } from './slow-writes';

// The CSRF token of a page: the toolbox reads it for the scripts and the tests alike.
export { csrfTokenIn };

/*
 * The real shop over a database of its own on the test server: real mongoose, the real session
 * store, real express-session. Nothing is mocked.
 */

export type Agent = ReturnType<typeof request.agent>;

export const TEST_SECRET = 'a-test-secret-that-is-long-enough-to-sign-cookies';
/** Production refuses to start without MONGODB_URI; tests that build a production config name this one. */
export const PRODUCTION_URI = 'mongodb://127.0.0.1:27017/shop';

export interface InstanceOptions {
  /** Every session write waits this long first, or until this settles (see withSlowSessionWrites). */
  writeDelayMs?: WriteWait;
  touchIntervalMs?: number;
  now?: () => number;
  /** The app's product cache; by default the configuration's (CATALOG_CACHE_MS). */
  catalogCache?: AppConnections['catalogCache'];
  /** Where the app logs (the security log among it); by default nowhere. */
  logger?: Logger;
}

export interface TestShopOptions extends InstanceOptions {
  /** Configuration for every instance of the shop, over the tests' own (e.g. `adminEmails`). */
  config?: Partial<Config>;
}

export interface ShopInstance {
  app: Express;
  store: MongoSessionStore;
}

export interface TestShop extends ShopInstance {
  config: Config;
  dbName: string;
  /** A real SMTP server the shop mails to: what it sent, to whom. */
  inbox: TestInbox;
  /** Another app (own store and client) over the same database: a second server process. */
  startAnotherInstance(options?: InstanceOptions): Promise<ShopInstance>;
  close(): Promise<void>;
}

export function testConfig(): Config {
  return loadConfig({ NODE_ENV: 'test', SESSION_SECRET: TEST_SECRET });
}

/** Connects mongoose (one per test file) to a fresh database and builds the app on it. */
export async function startTestShop(label: string, options: TestShopOptions = {}): Promise<TestShop> {
  const dbName = uniqueDbName(label);
  const inbox = await TestInbox.start();
  const config: Config = {
    ...testConfig(),
    mail: { smtpUrl: inbox.url, from: '"Session Shop" <shop@example.com>' },
    ...options.config,
  };
  // Command monitoring on both clients lets tests count what a request sends to the database.
  await mongoose.connect(testServerUri(), { dbName, monitorCommands: true });
  await mongoose.connection.syncIndexes();

  const instances: ShopInstance[] = [];
  const clients: MongoClient[] = [];
  const startInstance = async (instanceOptions: InstanceOptions): Promise<ShopInstance> => {
    // The store's own client, as a second process would have: its commands are counted apart.
    const client = await MongoClient.connect(testServerUri(), { monitorCommands: true });
    clients.push(client);
    const database = client.db(dbName);
    const store = new MongoSessionStore({
      uri: testServerUri(),
      database:
        instanceOptions.writeDelayMs !== undefined
          ? withSlowSessionWrites(database, instanceOptions.writeDelayMs)
          : database,
      usersCollection: User.collection.collectionName,
      idleTimeoutMs: config.session.idleTimeoutMs,
      touchIntervalMs: instanceOptions.touchIntervalMs ?? config.session.touchIntervalMs,
      now: instanceOptions.now,
    });
    await store.ready();
    const instance = {
      app: createApp(config, {
        sessionStore: store,
        logger: instanceOptions.logger ?? silentLogger,
        catalogCache: instanceOptions.catalogCache,
        now: instanceOptions.now,
      }),
      store,
    };
    instances.push(instance);
    return instance;
  };

  const first = await startInstance(options);
  return {
    ...first,
    config,
    dbName,
    inbox,
    startAnotherInstance: (instanceOptions = {}) => startInstance(instanceOptions),
    async close() {
      for (const instance of instances) await instance.store.close();
      for (const client of clients) await client.close();
      await mongoose.disconnect();
      await dropDatabase(dbName);
      await inbox.close();
    },
  };
}

export function sessionsCollection(): Collection<SessionDocument> {
  return mongoose.connection.collection<SessionDocument>(SESSIONS_COLLECTION);
}

/** The session id inside a signed `sid` cookie set by this response (`s:<id>.<signature>`). */
export function sessionIdSetBy(response: Response): string | undefined {
  const header = response.headers['set-cookie'] as unknown as string[] | undefined;
  const cookie = header?.find((c) => c.startsWith('sid='));
  if (!cookie) return undefined;
  const value = decodeURIComponent(cookie.slice('sid='.length).split(';')[0]);
  return /^s:([^.]+)\./.exec(value)?.[1];
}

/** A token from a page that has a form for this agent (login page for visitors, / for shoppers). */
export async function csrfTokenFor(agent: Agent, page = '/login'): Promise<string> {
  const response = await agent.get(page).expect(200);
  return csrfTokenIn(response.text);
}

/** The CSRF token of the page's form that posts to `action` (a shopper's page has the logout form first). */
export function formCsrfTokenIn(html: string, action: string): string {
  const match = new RegExp(`<form[^>]*action="${action}"[\\s\\S]*?name="_csrf" value="([^"]+)"`).exec(html);
  if (!match) throw new Error(`no form posting to ${action} on this page`);
  return match[1];
}

export async function signUp(agent: Agent, email: string, password: string): Promise<Response> {
  const _csrf = formCsrfTokenIn((await agent.get('/signup').expect(200)).text, '/signup');
  return agent.post('/signup').type('form').send({ _csrf, email, password, confirmPassword: password });
}

export async function logIn(agent: Agent, email: string, password: string): Promise<Response> {
  const _csrf = formCsrfTokenIn((await agent.get('/login').expect(200)).text, '/login');
  return agent.post('/login').type('form').send({ _csrf, email, password });
}

let shopperCount = 0;

export interface Shopper {
  agent: Agent;
  email: string;
  password: string;
  /** The CSRF token of the shopper's session, as the pages show it. */
  csrf: string;
}

/** Signs up and logs in a new shopper with their own cookie jar. */
export async function newShopper(app: Express, name = 'shopper'): Promise<Shopper> {
  const agent = request.agent(app);
  const email = `${name}-${++shopperCount}-${Date.now()}@example.com`;
  const password = 'correct horse battery';
  expectRedirect(await signUp(agent, email, password), '/login');
  expectRedirect(await logIn(agent, email, password), '/');
  const csrf = await csrfTokenFor(agent, '/');
  return { agent, email, password, csrf };
}

export function expectRedirect(response: Response, location: string): void {
  if (response.status !== 302 || response.headers.location !== location) {
    throw new Error(`expected a redirect to ${location}, got ${response.status} ${response.headers.location ?? ''}`);
  }
}

/** A shipping address the checkout accepts. */
export const TEST_ADDRESS = {
  name: 'Ada Lovelace',
  street: '12 Example Street',
  postcode: 'SW1Y 4JH',
  city: 'London',
  country: 'GB',
} as const;

/** Where POST /create-order sends the shopper once the order is placed: its confirmation page. */
export const CONFIRMATION_PATH = /^\/orders\/([0-9a-f]{24})\/confirmation$/;

/**
 * Places an order from the shopper's cart, as the checkout form does (with `TEST_ADDRESS` unless
 * told otherwise); expects the redirect to the order's confirmation page and returns the order's id.
 */
export async function placeOrder(shopper: Shopper, address: Record<string, string> = TEST_ADDRESS): Promise<string> {
  const response = await shopper.agent
    .post('/create-order')
    .type('form')
    .send({ _csrf: shopper.csrf, ...address })
    .expect(302);
  const orderId = CONFIRMATION_PATH.exec(String(response.headers.location))?.[1];
  if (!orderId) throw new Error(`expected a redirect to an order's confirmation, got ${response.headers.location}`);
  return orderId;
}

/** Adds a product through the admin form, as its owner would (`stock`: its units). Returns its id. */
export async function addProduct(
  shopper: Shopper,
  fields: { title: string; price: string; description?: string; imageUrl?: string; stock?: string },
): Promise<string> {
  await shopper.agent
    .post('/admin/add-product')
    .type('form')
    .send({ _csrf: shopper.csrf, description: 'A product for tests.', imageUrl: '', ...fields })
    .expect(302)
    .expect('Location', '/admin/products');
  const product = await mongoose.connection.collection('products').findOne({ title: fields.title });
  if (!product) throw new Error(`product ${fields.title} was not created`);
  return product._id.toHexString();
}

/** `sid=<value>`: the session cookie in an agent's jar (it also holds the visitor's CSRF and flash cookies). */
export async function sessionCookieOf(agent: Agent): Promise<string> {
  const cookies = (await agent.jar.getCookies({ path: '/', domain: '127.0.0.1', secure: false, script: false })) ?? [];
  const cookie = cookies.find((candidate) => candidate.name === 'sid');
  if (!cookie) throw new Error('this agent has no session cookie');
  return `sid=${cookie.value}`;
}

export function countAddToCartForms(html: string): number {
  return (html.match(/<form action="\/cart" method="post"/g) ?? []).length;
}
