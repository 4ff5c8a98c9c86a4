import express from 'express';
import request from 'supertest';
import { addProduct, newShopper, startTestShop, type Shopper, type TestShop } from '../helpers/shop';

let shop: TestShop;
let owner: Shopper;
let productId: string;

beforeAll(async () => {
  shop = await startTestShop('interface');
  owner = await newShopper(shop.app, 'owner');
  productId = await addProduct(owner, {
    title: 'Teapot',
    price: '1234.5',
    description: 'Holds a litre of tea.',
    imageUrl: 'https://images.example/teapot.jpg',
  });
  await addProduct(owner, { title: 'Saucer', price: '3', description: 'Plain and white.' });
});

afterAll(async () => {
  await shop.close();
});

describe('every page', () => {
  test('links the favicon, the stylesheet and the image script (deferred, from a file)', async () => {
    const page = (await request(shop.app).get('/login').expect(200)).text;
    // Each with its fingerprint, so browsers may keep it for a year.
    expect(page).toMatch(/<link rel="icon" href="\/favicon.svg\?v=[0-9a-f]{12}" type="image\/svg\+xml">/);
    expect(page).toMatch(/<link rel="stylesheet" href="\/css\/main.css\?v=[0-9a-f]{12}">/);
    expect(page).toMatch(/<script src="\/js\/image-fallback.js\?v=[0-9a-f]{12}" defer><\/script>/);
    expect(page).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
  });

  test('the favicon, the script and the placeholder are served', async () => {
    const favicon = await request(shop.app).get('/favicon.svg').expect(200);
    expect(favicon.headers['content-type']).toContain('image/svg+xml');
    const script = await request(shop.app).get('/js/image-fallback.js').expect(200);
    expect(script.headers['content-type']).toContain('javascript');
    expect(script.text).toContain('data-fallback');
    await request(shop.app).get('/images/placeholder.svg').expect(200);
  });
});

describe('product cards', () => {
  test('show image, linked title, price formatted with Intl.NumberFormat and description', async () => {
    const page = (await request(shop.app).get('/products').expect(200)).text;
    expect(page).toContain(`<h2 class="card__title"><a href="/products/${productId}">Teapot</a></h2>`);
    expect(page).toContain('<p class="card__price">$1,234.50</p>');
    expect(page).toContain('<p class="card__description">Holds a litre of tea.</p>');
    expect(page).toContain(
      'src="https://images.example/teapot.jpg" data-fallback="/images/placeholder.svg" alt="Teapot"',
    );
  });

  test('without an image address the placeholder is shown; every image names its fallback', async () => {
    for (const path of ['/', '/products', '/admin/products']) {
      const page = (await owner.agent.get(path).expect(200)).text;
      expect(page).toContain('src="/images/placeholder.svg" data-fallback="/images/placeholder.svg" alt="Saucer"');
      const images = page.match(/<img class="card__image"[^>]*>/g) ?? [];
      expect(images.length).toBeGreaterThan(0);
      for (const image of images) expect(image).toContain('data-fallback="/images/placeholder.svg"');
    }
    const detail = (await request(shop.app).get(`/products/${productId}`).expect(200)).text;
    expect(detail).toMatch(
      /<img class="product-detail__image" src="https:\/\/images.example\/teapot.jpg" data-fallback="\/images\/placeholder.svg"/,
    );
  });
});

describe('flash messages', () => {
  /** The shop behind a middleware that sets res.locals.flash, as the flash mechanism does. */
  function shopWithFlash(flash: unknown) {
    const outer = express();
    outer.use((_req, res, next) => {
      (res.locals as Record<string, unknown>).flash = flash;
      next();
    });
    outer.use(shop.app);
    return outer;
  }

  test('are shown at the top of the page, each with its kind, escaped', async () => {
    const app = shopWithFlash([
      { type: 'success', text: 'Your password was changed.' },
      { type: 'error', text: 'Something <b>failed</b>.' },
      { type: 'info', text: 'Just so you know.' },
    ]);
    const page = (await request(app).get('/products').expect(200)).text;
    expect(page).toContain('<p class="flash flash--success" role="status">Your password was changed.</p>');
    expect(page).toContain('<p class="flash flash--error" role="alert">Something &lt;b&gt;failed&lt;/b&gt;.</p>');
    expect(page).toContain('<p class="flash flash--info" role="status">Just so you know.</p>');
    // Right after the navigation, before the page's heading.
    expect(page.indexOf('class="flash-messages"')).toBeLessThan(page.indexOf('<h1>'));
    expect(page.indexOf('class="flash-messages"')).toBeGreaterThan(page.indexOf('<main class="content">'));
  });

  test('an unknown kind is shown as information; no messages, no area', async () => {
    const odd = (
      await request(shopWithFlash([{ type: '" onclick="x', text: 'Odd' }]))
        .get('/')
        .expect(200)
    ).text;
    expect(odd).toContain('<p class="flash flash--info" role="status">Odd</p>');
    const none = (await request(shop.app).get('/').expect(200)).text;
    expect(none).not.toContain('flash-messages');
    const notAList = (await request(shopWithFlash('oops')).get('/').expect(200)).text;
    expect(notAList).not.toContain('flash-messages');
  });
});

describe('empty states', () => {
  test('an empty cart, no orders and no own products each say so and point somewhere useful', async () => {
    const newcomer = await newShopper(shop.app, 'newcomer');
    const cart = (await newcomer.agent.get('/cart').expect(200)).text;
    expect(cart).toContain('Your cart is empty. <a href="/products">Browse the products</a>.');
    expect(cart).not.toContain('action="/create-order"');
    const orders = (await newcomer.agent.get('/orders').expect(200)).text;
    expect(orders).toContain('No orders yet. <a href="/products">Browse the products</a>.');
    const admin = (await newcomer.agent.get('/admin/products').expect(200)).text;
    expect(admin).toContain('You have no products yet. <a href="/admin/add-product">Add your first product</a>.');
  });
});

describe('forms', () => {
  test('every visible field has a label', async () => {
    const pages = [
      (await request(shop.app).get('/login').expect(200)).text,
      (await request(shop.app).get('/signup').expect(200)).text,
      (await owner.agent.get('/admin/add-product').expect(200)).text,
    ];
    for (const page of pages) {
      const fields = [...page.matchAll(/<(input|textarea)\b([^>]*)>/g)].filter(
        ([, , attributes]) => !/type="hidden"/.test(attributes),
      );
      expect(fields.length).toBeGreaterThan(0);
      for (const [, , attributes] of fields) {
        const id = /\bid="([^"]+)"/.exec(attributes)?.[1];
        expect(id).toBeDefined();
        expect(page).toMatch(new RegExp(`<label (class="[^"]*" )?for="${id}">`));
      }
    }
  });

  test('a field error sits next to its field, which points to it', async () => {
    const response = await owner.agent
      .post('/admin/add-product')
      .type('form')
      .send({ _csrf: owner.csrf, title: '', price: 'abc', description: 'Fine.', imageUrl: '' })
      .expect(422);
    for (const field of ['title', 'price']) {
      const fieldStart = response.text.indexOf(`<input id="${field}"`);
      const fieldEnd = response.text.indexOf('</div>', fieldStart);
      const block = response.text.slice(fieldStart, fieldEnd);
      expect(block).toContain(`aria-invalid="true" aria-describedby="${field}-error"`);
      expect(block).toContain(`<p class="field-error" id="${field}-error">`);
    }
    const description = response.text.slice(response.text.indexOf('<textarea id="description"'));
    expect(description.slice(0, description.indexOf('</div>'))).not.toContain('field-error');
  });
});

describe('actions that undo something', () => {
  test('ask first: delete product, log out everywhere and log out a device carry a question', async () => {
    const admin = (await owner.agent.get('/admin/products').expect(200)).text;
    expect(admin).toMatch(
      /action="\/admin\/delete-product"[^>]*data-confirm="Delete Teapot\? It also leaves every cart\."/,
    );
    const account = (await owner.agent.get('/account').expect(200)).text;
    expect(account).toMatch(/action="\/account\/logout-everywhere"[^>]*data-confirm="Log out on every device/);
    const devices = (await owner.agent.get('/account/sessions').expect(200)).text;
    expect(devices).toMatch(/action="\/account\/sessions\/revoke"[^>]*data-confirm="Log out [^"]+\(this device\)\?"/);
  });

  test('the question is asked by an external script (the CSP forbids inline script)', async () => {
    const page = (await owner.agent.get('/account').expect(200)).text;
    expect(page).toMatch(/<script src="\/js\/confirm\.js\?v=[0-9a-f]+" defer><\/script>/);
    expect(page).not.toMatch(/<script>/);
  });

  test('each repeated Edit and Delete names its product for a screen reader', async () => {
    const admin = (await owner.agent.get('/admin/products').expect(200)).text;
    expect(admin).toContain('Delete<span class="visually-hidden"> Teapot</span>');
    expect(admin).toContain('Edit<span class="visually-hidden"> Saucer</span>');
  });
});
