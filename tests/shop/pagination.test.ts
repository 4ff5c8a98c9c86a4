import mongoose from 'mongoose';
import type { MongoClient } from 'mongodb';
import request from 'supertest';
import { PRODUCTS_PER_PAGE } from '../../src/catalog/catalog.service';
import { Product } from '../../src/catalog/product.model';
import { countAddToCartForms, newShopper, startTestShop, type TestShop } from '../helpers/shop';

let shop: TestShop;

beforeAll(async () => {
  // The products here are written straight to the database, as another process would; without a
  // cache the pages show them at once (the cache has tests of its own: catalog-cache.test.ts).
  shop = await startTestShop('pagination', { catalogCache: { cacheMs: 0 } });
});

afterAll(async () => {
  await shop.close();
});

const PAGES = ['/', '/products'];

function titlesOn(html: string): string[] {
  return [...html.matchAll(/<h2 class="card__title"><a href="[^"]+">([^<]+)<\/a><\/h2>/g)].map(([, title]) => title);
}

function titleOf(n: number): string {
  return `Product ${String(n).padStart(2, '0')}`;
}

test('the page size is a small constant that fills rows of cards', () => {
  expect(PRODUCTS_PER_PAGE).toBe(6);
});

describe('no products yet', () => {
  test.each(PAGES)('%s shows the empty state and no page links', async (path) => {
    const response = await request(shop.app).get(path).expect(200);
    expect(response.text).toContain('No products yet.');
    expect(response.text).not.toContain('class="pagination"');
  });

  test.each(PAGES)('%s?page=2 goes to the only page', async (path) => {
    await request(shop.app).get(`${path}?page=2`).expect(302).expect('Location', path);
  });

  test('a logged-in shopper is offered to add the first product', async () => {
    const shopper = await newShopper(shop.app, 'first');
    const response = await shopper.agent.get('/products').expect(200);
    expect(response.text).toMatch(/No products yet\.\s*<a href="\/admin\/add-product">Add the first one<\/a>/);
  });
});

describe('14 products: three pages of 6, 6 and 2, newest first', () => {
  beforeAll(async () => {
    const owner = new mongoose.Types.ObjectId();
    // One at a time: each gets a later _id, so "Product 14" is the newest.
    for (let n = 1; n <= 14; n++) {
      await Product.create({ title: titleOf(n), price: n, description: `Description of product ${n}.`, userId: owner });
    }
  });

  test.each(PAGES)('%s: page 1, 2 and 3 hold the right products', async (path) => {
    const page1 = await request(shop.app).get(path).expect(200);
    expect(titlesOn(page1.text)).toEqual([14, 13, 12, 11, 10, 9].map(titleOf));
    const explicit1 = await request(shop.app).get(`${path}?page=1`).expect(200);
    expect(titlesOn(explicit1.text)).toEqual(titlesOn(page1.text));
    const page2 = await request(shop.app).get(`${path}?page=2`).expect(200);
    expect(titlesOn(page2.text)).toEqual([8, 7, 6, 5, 4, 3].map(titleOf));
    const page3 = await request(shop.app).get(`${path}?page=3`).expect(200);
    expect(titlesOn(page3.text)).toEqual([2, 1].map(titleOf));
  });

  test('page links, previous and next, the current page marked', async () => {
    const page1 = (await request(shop.app).get('/products').expect(200)).text;
    expect(page1).not.toContain('rel="prev"');
    expect(page1).toContain('<a class="pagination__step" href="/products?page=2" rel="next">Next</a>');
    expect(page1).toContain('href="/products" aria-current="page">1</a>');
    expect(page1).toContain('<a class="pagination__page" href="/products?page=2">2</a>');
    expect(page1).toContain('<a class="pagination__page" href="/products?page=3">3</a>');
    expect(page1).toContain('Page 1 of 3');

    const page2 = (await request(shop.app).get('/products?page=2').expect(200)).text;
    expect(page2).toContain('<a class="pagination__step" href="/products" rel="prev">Previous</a>');
    expect(page2).toContain('<a class="pagination__step" href="/products?page=3" rel="next">Next</a>');
    expect(page2).toContain('href="/products?page=2" aria-current="page">2</a>');
    expect(page2).toContain('<title>All products, page 2 · Session Shop</title>');

    const page3 = (await request(shop.app).get('/products?page=3').expect(200)).text;
    expect(page3).toContain('<a class="pagination__step" href="/products?page=2" rel="prev">Previous</a>');
    expect(page3).not.toContain('rel="next"');

    // The index links to its own pages.
    const index = (await request(shop.app).get('/').expect(200)).text;
    expect(index).toContain('<a class="pagination__step" href="/?page=2" rel="next">Next</a>');
  });

  test.each(PAGES)('%s: a page past the last one redirects to the last page', async (path) => {
    for (const page of ['4', '99', '9'.repeat(30)]) {
      await request(shop.app).get(`${path}?page=${page}`).expect(302).expect('Location', `${path}?page=3`);
    }
  });

  test.each(PAGES)('%s: a ?page= that is not a whole number from 1 up is a 404 page', async (path) => {
    for (const page of ['abc', '0', '-1', '1.5', '', '%00', '2%20', '1&page=2', '[1]']) {
      const response = await request(shop.app).get(`${path}?page=${page}`);
      expect({ page, status: response.status }).toEqual({ page, status: 404 });
      expect(response.text).toContain('Page not found');
    }
  });

  test('a logged-in shopper gets one add-to-cart form per product on the page', async () => {
    const shopper = await newShopper(shop.app, 'paging');
    const page1 = await shopper.agent.get('/products').expect(200);
    expect(countAddToCartForms(page1.text)).toBe(6);
    const page3 = await shopper.agent.get('/?page=3').expect(200);
    expect(countAddToCartForms(page3.text)).toBe(2);
  });

  test('a page costs one count, one count of the hidden, and one find of only its products, sorted by _id', async () => {
    const client = mongoose.connection.getClient() as unknown as MongoClient;
    const commands: Array<Record<string, unknown>> = [];
    const listener = (event: { commandName: string; command: Record<string, unknown> }) => {
      if (event.command[event.commandName] === 'products') commands.push({ name: event.commandName, ...event.command });
    };
    client.on('commandStarted', listener);
    try {
      await request(shop.app).get('/products?page=2').expect(200);
    } finally {
      client.off('commandStarted', listener);
    }
    // The collection's own count, less the hidden products (an aggregate over their sparse index).
    expect(commands.map((command) => command.name)).toEqual(['count', 'aggregate', 'find']);
    expect(commands[2]).toMatchObject({ skip: 6, limit: 6 });
    const sort = commands[2].sort;
    // The driver passes the sort on as a Map, which keeps the order of keys.
    expect(sort instanceof Map ? Object.fromEntries(sort) : sort).toEqual({ _id: -1 });
  });
});
