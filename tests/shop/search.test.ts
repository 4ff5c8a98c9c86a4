import mongoose from 'mongoose';
import request from 'supertest';
import { Product } from '../../src/catalog/product.model';
import { keywordsOf, searchWordsOf } from '../../src/catalog/search';
import { commandsDuring } from '../helpers/commands';
import { startTestShop, type TestShop } from '../helpers/shop';

let shop: TestShop;

function titlesOn(html: string): string[] {
  return [...html.matchAll(/<h2 class="card__title"><a href="[^"]+">([^<]+)<\/a><\/h2>/g)].map(([, title]) => title);
}

beforeAll(async () => {
  shop = await startTestShop('search', { catalogCache: { cacheMs: 0 } });
  const owner = new mongoose.Types.ObjectId();
  const products = [
    { title: 'Blue Teapot', price: 30, description: 'Porcelain, holds a litre of tea.' },
    { title: 'Green tea', price: 8, description: 'Loose leaves from Shizuoka.' },
    { title: 'Café crème mug', price: 12, description: 'A large mug for coffee.' },
    { title: 'Notebook', price: 4, description: 'Squared paper, 96 pages.' },
    { title: '.* (regex) $where', price: 1, description: 'A title made of special characters.' },
  ];
  // One at a time, so that the later ones are newer.
  for (const product of products) await Product.create({ ...product, userId: owner });
  // Eight more notebooks: a search with more results than one page.
  for (let n = 1; n <= 8; n++) {
    await Product.create({ title: `Notebook ${n}`, price: 10 + n, description: 'Lined.', userId: owner });
  }
});

afterAll(async () => {
  await shop.close();
});

describe('words and keywords', () => {
  test('a product is found by its words and their prefixes, without case or accents', () => {
    const keywords = keywordsOf('Café crème', 'A large mug.');
    expect(keywords).toEqual(expect.arrayContaining(['cafe', 'caf', 'creme', 'cre', 'large', 'lar', 'mug', 'a']));
  });

  test('a search is a short list of distinct words, never a pattern', () => {
    expect(searchWordsOf('  Tea  tea TEA ')).toEqual(['tea']);
    expect(searchWordsOf('.*')).toEqual([]);
    expect(searchWordsOf('a b c d e f g h i j k')).toHaveLength(8);
  });
});

describe('GET /products?q=', () => {
  test('finds products by a word of the title or the description, and by a prefix', async () => {
    expect(titlesOn((await request(shop.app).get('/products?q=teapot').expect(200)).text)).toEqual(['Blue Teapot']);
    expect(titlesOn((await request(shop.app).get('/products?q=tea').expect(200)).text)).toEqual([
      'Green tea',
      'Blue Teapot',
    ]);
    expect(titlesOn((await request(shop.app).get('/products?q=coffee').expect(200)).text)).toEqual(['Café crème mug']);
  });

  test('every word must match; accents and case do not matter', async () => {
    expect(titlesOn((await request(shop.app).get('/products?q=TEA+porcelain').expect(200)).text)).toEqual([
      'Blue Teapot',
    ]);
    expect(titlesOn((await request(shop.app).get('/products?q=cafe+creme').expect(200)).text)).toEqual([
      'Café crème mug',
    ]);
  });

  test('the page says what was searched and when nothing was found', async () => {
    const response = await request(shop.app).get('/products?q=unicorn').expect(200);
    expect(response.text).toContain('<title>Search: unicorn');
    expect(response.text).toContain('value="unicorn"');
    expect(titlesOn(response.text)).toEqual([]);
  });

  test.each([
    ['a regular expression', '.*'],
    ['a regular expression that would take forever', '(a+)+$'],
    ['an operator', '$where'],
    ['a JSON operator', '{"$ne": null}'],
    ['a script', '<script>alert(1)</script>'],
  ])('%s is only words: it finds what those words find', async (_name, query) => {
    const response = await request(shop.app).get('/products').query({ q: query }).expect(200);
    const words = searchWordsOf(query).join(' ');
    const sameWords = await request(shop.app).get('/products').query({ q: words }).expect(200);
    expect(titlesOn(response.text)).toEqual(titlesOn(sameWords.text));
    expect(response.text).not.toContain('<script>alert');
  });

  test('brackets in the query string are not parsed into an operator', async () => {
    // Express 5's simple query parser keeps `q[$ne]` as a key of its own: no `q`, so no search.
    const response = await request(shop.app).get('/products?q[$ne]=x').expect(200);
    expect(response.text).toContain('<title>All products');
  });

  test('a repeated search or order is a bad request', async () => {
    await request(shop.app).get('/products?q=a&q=b').expect(400);
    await request(shop.app).get('/products?sort=newest&sort=price-asc').expect(400);
  });

  test('a very long search is cut, not refused', async () => {
    await request(shop.app)
      .get('/products')
      .query({ q: 'tea '.repeat(1000) })
      .expect(200);
  });

  test('the search asks the database for the words as values, served by the keywords index', async () => {
    const recorder = await commandsDuring(shop.store, () => request(shop.app).get('/products?q=tea+.*').expect(200));
    const find = recorder.commands.find((command) => command.name === 'find' && command.collection === 'products');
    // (and never a hidden product)
    expect(find?.command.filter).toEqual({ keywords: { $all: ['tea'] }, hidden: { $ne: true } });
  });
});

describe('order and pages', () => {
  test('sorts by price both ways and by newest', async () => {
    const ascending = titlesOn((await request(shop.app).get('/products?q=notebook&sort=price-asc').expect(200)).text);
    expect(ascending.slice(0, 3)).toEqual(['Notebook', 'Notebook 1', 'Notebook 2']);
    const descending = titlesOn((await request(shop.app).get('/products?q=notebook&sort=price-desc').expect(200)).text);
    expect(descending.slice(0, 2)).toEqual(['Notebook 8', 'Notebook 7']);
    const newest = titlesOn((await request(shop.app).get('/products?q=notebook').expect(200)).text);
    expect(newest[0]).toBe('Notebook 8');
  });

  test('an unknown order is a bad request', async () => {
    await request(shop.app).get('/products?sort=price').expect(400);
  });

  test('the search and the order are kept across pages', async () => {
    const first = await request(shop.app).get('/products?q=notebook&sort=price-desc').expect(200);
    expect(first.text).toContain('href="/products?q=notebook&amp;sort=price-desc&amp;page=2"');
    const second = await request(shop.app).get('/products?q=notebook&sort=price-desc&page=2').expect(200);
    expect(titlesOn(second.text)).toEqual(['Notebook 2', 'Notebook 1', 'Notebook']);
    await request(shop.app)
      .get('/products?q=notebook&sort=price-desc&page=9')
      .expect(302)
      .expect('Location', '/products?q=notebook&sort=price-desc&page=2');
  });
});
