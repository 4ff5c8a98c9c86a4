import http from 'node:http';
import type { AddressInfo } from 'node:net';
import zlib from 'node:zlib';
import mongoose from 'mongoose';
import request from 'supertest';
import sharp from 'sharp';
import { Catalog } from '../../src/catalog/catalog.service';
import { Product } from '../../src/catalog/product.model';
import { IMAGES_BUCKET, ProductImages } from '../../src/catalog/product-images.service';
import { User } from '../../src/user.model';
import { addProduct, newShopper, startTestShop, type Shopper, type TestShop } from '../helpers/shop';
import { commandsDuring } from '../helpers/commands';

/*
 * Product photos: uploaded with the add and edit forms (multipart, multer), checked by their
 * content, re-encoded by sharp without metadata, stored in GridFS, served with long caching.
 */

let shop: TestShop;
let owner: Shopper;

beforeAll(async () => {
  shop = await startTestShop('photos');
  owner = await newShopper(shop.app, 'photographer');
});

afterAll(async () => {
  await shop.close();
});

const files = () => mongoose.connection.collection(`${IMAGES_BUCKET}.files`);
const chunks = () => mongoose.connection.collection(`${IMAGES_BUCKET}.chunks`);

/** A photo as a camera writes it: EXIF with the owner's name and where it was taken. */
async function cameraJpeg(width = 1600, height = 1200, orientation?: number): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: '#d2691e' } })
    .jpeg({ quality: 90 })
    .withExif({ IFD0: { Artist: 'Jane Secret-Owner', Copyright: 'exif-copyright-marker' } })
    .withMetadata(orientation ? { orientation } : {})
    .toBuffer();
}

const png = (width: number, height: number) =>
  sharp({ create: { width, height, channels: 4, background: '#3366cc' } })
    .png()
    .toBuffer();

/** A PNG whose header claims `width` × `height` pixels, in a few kilobytes: a decompression bomb. */
function bombPng(width: number, height: number): Buffer {
  const chunk = (type: string, data: Buffer): Buffer => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(zlib.crc32(body) >>> 0);
    return Buffer.concat([length, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 0; // greyscale
  const rows = zlib.deflateSync(Buffer.alloc((width + 1) * 100), { level: 9 });
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', rows),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

interface Upload {
  data: Buffer;
  filename?: string;
  contentType?: string;
  field?: string;
}

const TYPED = { title: 'Camera Bag', price: '59.90', description: 'Padded, with room for two lenses.' };

/** The add form, as a browser sends it: every text field, then the photo (the form's order). */
function postProduct(shopper: Shopper, fields: Record<string, string>, uploads: Upload[] = [], token = shopper.csrf) {
  let post = shopper.agent.post('/admin/add-product').field('_csrf', token);
  for (const [name, value] of Object.entries({ imageUrl: '', ...fields })) post = post.field(name, value);
  for (const upload of uploads) {
    post = post.attach(upload.field ?? 'image', upload.data, {
      filename: upload.filename ?? 'photo.jpg',
      contentType: upload.contentType ?? 'image/jpeg',
    });
  }
  return post;
}

function postEdit(shopper: Shopper, productId: string, fields: Record<string, string>, uploads: Upload[] = []) {
  let post = shopper.agent.post('/admin/edit-product').field('_csrf', shopper.csrf).field('productId', productId);
  for (const [name, value] of Object.entries({ imageUrl: '', ...fields })) post = post.field(name, value);
  for (const upload of uploads) {
    post = post.attach(upload.field ?? 'image', upload.data, {
      filename: upload.filename ?? 'photo.jpg',
      contentType: upload.contentType ?? 'image/jpeg',
    });
  }
  return post;
}

async function productTitled(title: string) {
  return Product.findOne({ title }).lean();
}

/** The image ids named in a page's srcset attributes. */
function photoUrlsIn(html: string): string[] {
  return [...html.matchAll(/\/product-images\/[0-9a-f]{24}\/\d+/g)].map((match) => match[0]);
}

async function removeEveryProduct(): Promise<void> {
  const page = await owner.agent.get('/admin/products').expect(200);
  for (const match of page.text.matchAll(/name="productId" value="([0-9a-f]{24})"/g)) {
    await owner.agent
      .post('/admin/delete-product')
      .type('form')
      .send({ _csrf: owner.csrf, productId: match[1] })
      .expect(302);
  }
}

describe('an uploaded photo', () => {
  let imageId: string;
  let productId: string;

  beforeAll(async () => {
    await postProduct(owner, { ...TYPED, title: 'Camera' }, [{ data: await cameraJpeg() }])
      .expect(302)
      .expect('Location', '/admin/products');
    const product = await productTitled('Camera');
    if (!product?.image) throw new Error('the photo was not stored');
    imageId = product.image.id.toHexString();
    productId = product._id.toHexString();
  });

  test('is stored in GridFS at three widths, the largest 1200 pixels, in its proportions', async () => {
    const product = await productTitled('Camera');
    expect(product?.image).toMatchObject({ widths: [400, 800, 1200], width: 1200, height: 900 });
    const stored = await files().find({ 'metadata.imageId': product?.image?.id }).sort({ filename: 1 }).toArray();
    expect(stored.map((file) => file.filename)).toEqual([`${imageId}/1200`, `${imageId}/400`, `${imageId}/800`]);
    expect(stored.every((file) => file.metadata?.productId?.toHexString() === productId)).toBe(true);
  });

  test("GridFS's indexes serve its reads: files by name, a file's chunks in order", async () => {
    const keys = async (collection: ReturnType<typeof files>) =>
      (await collection.indexes()).map(({ key, unique }) => ({ key, ...(unique ? { unique } : {}) }));
    expect(await keys(files())).toEqual([{ key: { _id: 1 } }, { key: { filename: 1, uploadDate: 1 } }]);
    expect(await keys(chunks())).toEqual([{ key: { _id: 1 } }, { key: { files_id: 1, n: 1 }, unique: true }]);
  });

  test('is served as WebP at each width, with a strong ETag, a year of caching and nosniff', async () => {
    for (const [width, height] of [
      [400, 300],
      [800, 600],
      [1200, 900],
    ]) {
      const response = await request(shop.app)
        .get(`/product-images/${imageId}/${width}`)
        .buffer(true)
        .parse((res, done) => {
          const parts: Buffer[] = [];
          res.on('data', (part: Buffer) => parts.push(part));
          res.on('end', () => done(null, Buffer.concat(parts)));
        })
        .expect(200);
      expect(response.headers['content-type']).toBe('image/webp');
      expect(response.headers['cache-control']).toBe('public, max-age=31536000, immutable');
      expect(response.headers['x-content-type-options']).toBe('nosniff');
      expect(response.headers.etag).toBe(`"${imageId}-${width}"`);
      expect(response.headers['set-cookie']).toBeUndefined();
      const body = response.body as Buffer;
      expect(Number(response.headers['content-length'])).toBe(body.length);
      const metadata = await sharp(body).metadata();
      expect(metadata).toMatchObject({ format: 'webp', width, height });
    }
  });

  test('a browser asking again with its ETag gets a 304 without the bytes; HEAD gets the headers', async () => {
    const url = `/product-images/${imageId}/400`;
    const etag = (await request(shop.app).get(url).expect(200)).headers.etag;
    const again = await request(shop.app).get(url).set('If-None-Match', etag).expect(304);
    expect(again.headers.etag).toBe(etag);
    expect(again.text ?? '').toBe('');
    await request(shop.app).get(url).set('If-None-Match', '"something-else"').expect(200);
    const head = await request(shop.app).head(url).expect(200);
    expect(Number(head.headers['content-length'])).toBeGreaterThan(0);
  });

  test('costs three indexed reads and no session; a 304 costs one', async () => {
    const url = `/product-images/${imageId}/800`;
    // A logged-in shopper's cookie too: the route comes before the session is read.
    const served = await commandsDuring(shop.store, () => owner.agent.get(url).expect(200));
    expect(served.commands.map((c) => `${c.name} ${c.collection}`)).toEqual([
      `find ${IMAGES_BUCKET}.files`,
      `find ${IMAGES_BUCKET}.files`,
      `find ${IMAGES_BUCKET}.chunks`,
    ]);
    expect(served.commands[0].command.filter).toEqual({ filename: `${imageId}/800` });
    const etag = `"${imageId}-800"`;
    const revalidated = await commandsDuring(shop.store, () =>
      owner.agent.get(url).set('If-None-Match', etag).expect(304),
    );
    expect(revalidated.commands.map((c) => `${c.name} ${c.collection}`)).toEqual([`find ${IMAGES_BUCKET}.files`]);
  });

  test('keeps nothing of the metadata: the EXIF of the camera is gone', async () => {
    const original = await cameraJpeg();
    expect((await sharp(original).metadata()).exif).toBeDefined();
    expect(original.includes('exif-copyright-marker')).toBe(true);
    for (const width of [400, 800, 1200]) {
      const url = `/product-images/${imageId}/${width}`;
      const response = await request(shop.app)
        .get(url)
        .buffer(true)
        .parse((res, done) => {
          const parts: Buffer[] = [];
          res.on('data', (part: Buffer) => parts.push(part));
          res.on('end', () => done(null, Buffer.concat(parts)));
        });
      const body = response.body as Buffer;
      const metadata = await sharp(body).metadata();
      expect(metadata.exif).toBeUndefined();
      expect(metadata.xmp).toBeUndefined();
      expect(metadata.icc).toBeUndefined();
      expect(body.includes('exif-copyright-marker')).toBe(false);
      expect(body.includes('Secret-Owner')).toBe(false);
    }
  });

  test('the pages show it with srcset, sizes, width and height', async () => {
    const srcset = [400, 800, 1200].map((width) => `/product-images/${imageId}/${width} ${width}w`).join(', ');
    for (const [agent, path] of [
      [request(shop.app), '/products'],
      [owner.agent, '/'],
      [owner.agent, '/admin/products'],
    ] as const) {
      const page = (await agent.get(path).expect(200)).text;
      const img = new RegExp(`<img class="card__image" src="/product-images/${imageId}/400"[^>]*>`).exec(page)?.[0];
      expect(img).toContain(`srcset="${srcset}"`);
      expect(img).toMatch(/sizes="\(max-width: 40rem\) 7rem, [^"]*"/);
      expect(img).toContain('width="1200" height="900"');
    }
    const detail = (await request(shop.app).get(`/products/${productId}`).expect(200)).text;
    expect(detail).toContain(`src="/product-images/${imageId}/800"`);
    expect(detail).toContain(`srcset="${srcset}"`);
    // Every address a page names is served.
    for (const url of new Set(photoUrlsIn(detail))) await request(shop.app).get(url).expect(200);
  });

  test('a photo turned by its EXIF orientation is stored upright', async () => {
    await postProduct(owner, { ...TYPED, title: 'Tripod' }, [{ data: await cameraJpeg(600, 400, 6) }]).expect(302);
    const product = await productTitled('Tripod');
    expect(product?.image).toMatchObject({ widths: [400], width: 400, height: 600 });
  });

  test('PNG and WebP are taken too; a small photo is kept at its own width, never enlarged', async () => {
    await postProduct(owner, { ...TYPED, title: 'Lens Cap' }, [
      { data: await png(300, 200), filename: 'cap.png', contentType: 'image/png' },
    ]).expect(302);
    expect((await productTitled('Lens Cap'))?.image).toMatchObject({ widths: [300], width: 300, height: 200 });
    const webp = await sharp({ create: { width: 1000, height: 500, channels: 3, background: '#abc' } })
      .webp()
      .toBuffer();
    await postProduct(owner, { ...TYPED, title: 'Strap' }, [
      { data: webp, filename: 'strap.webp', contentType: 'image/webp' },
    ]).expect(302);
    expect((await productTitled('Strap'))?.image).toMatchObject({ widths: [400, 800, 1000], width: 1000, height: 500 });
  });

  test('a progressive JPEG and an interlaced PNG are taken at ordinary sizes', async () => {
    // 20 megapixels with subsampled chroma: about 60 MB of coefficients held while it decodes.
    const progressive = await sharp({ create: { width: 5000, height: 4000, channels: 3, background: '#a52' } })
      .jpeg({ progressive: true })
      .toBuffer();
    await postProduct(owner, { ...TYPED, title: 'Flash' }, [{ data: progressive }]).expect(302);
    expect((await productTitled('Flash'))?.image).toMatchObject({ width: 1200, height: 960 });
    const interlaced = await sharp({ create: { width: 1600, height: 1200, channels: 3, background: '#25a' } })
      .png({ progressive: true })
      .toBuffer();
    await postProduct(owner, { ...TYPED, title: 'Filter' }, [
      { data: interlaced, filename: 'filter.png', contentType: 'image/png' },
    ]).expect(302);
    expect((await productTitled('Filter'))?.image).toMatchObject({ width: 1200, height: 900 });
  });
});

describe('refused uploads: the form again with what was typed, and nothing stored', () => {
  beforeAll(removeEveryProduct);

  async function expectRefused(
    response: request.Response,
    status: number,
    message: string,
    where: 'field' | 'form' = 'field',
  ): Promise<void> {
    expect(response.status).toBe(status);
    const page = response.text;
    if (where === 'field') {
      expect(page).toContain(`<p class="field-error" id="image-error">${message}</p>`);
      expect(page).toMatch(/<input id="image" name="image" type="file"[^>]*aria-invalid="true"/);
    } else {
      expect(page).toContain(`<p class="form-message" role="alert">${message}</p>`);
    }
    // What was typed is in the form again.
    expect(page).toContain('value="Camera Bag"');
    expect(page).toContain('value="59.90"');
    expect(page).toContain('>Padded, with room for two lenses.</textarea>');
    expect(await Product.countDocuments({ title: TYPED.title })).toBe(0);
    expect(await files().countDocuments()).toBe(0);
    expect(await chunks().countDocuments()).toBe(0);
  }

  const NOT_A_PHOTO = 'Choose a JPEG, PNG or WebP photo.';
  const DAMAGED = 'This photo could not be read (it may be damaged): choose another one.';

  test('an HTML page named x.jpg and sent as image/jpeg', async () => {
    const html = Buffer.from('<!doctype html><script>alert(document.cookie)</script>');
    await expectRefused(await postProduct(owner, TYPED, [{ data: html, filename: 'x.jpg' }]), 422, NOT_A_PHOTO);
  });

  test('an SVG (which may carry script) named x.jpg', async () => {
    const svg = Buffer.from(
      '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script></svg>',
    );
    await expectRefused(await postProduct(owner, TYPED, [{ data: svg, filename: 'x.jpg' }]), 422, NOT_A_PHOTO);
  });

  test('a GIF, a format not taken, named x.png', async () => {
    const gif = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#000' } })
      .gif()
      .toBuffer();
    const response = await postProduct(owner, TYPED, [{ data: gif, filename: 'x.png', contentType: 'image/png' }]);
    await expectRefused(response, 422, NOT_A_PHOTO);
  });

  test('a JPEG signature followed by HTML', async () => {
    const polyglot = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.from('<html><script></script>')]);
    await expectRefused(await postProduct(owner, TYPED, [{ data: polyglot }]), 422, DAMAGED);
  });

  test('a truncated PNG and a truncated JPEG', async () => {
    const whole = await sharp({ create: { width: 600, height: 400, channels: 3, background: '#888' } })
      .png({ compressionLevel: 0 })
      .toBuffer();
    const response = await postProduct(owner, TYPED, [
      { data: whole.subarray(0, 5000), filename: 'x.png', contentType: 'image/png' },
    ]);
    await expectRefused(response, 422, DAMAGED);
    const jpeg = await cameraJpeg();
    await expectRefused(await postProduct(owner, TYPED, [{ data: jpeg.subarray(0, jpeg.length / 2) }]), 422, DAMAGED);
  });

  test('a decompression bomb: a few kilobytes claiming 100,000 × 100,000 pixels, refused at once', async () => {
    const bomb = bombPng(100_000, 100_000);
    expect(bomb.length).toBeLessThan(100_000);
    const started = Date.now();
    const response = await postProduct(owner, TYPED, [{ data: bomb, filename: 'x.png', contentType: 'image/png' }]);
    await expectRefused(response, 422, 'This photo has too many pixels: choose one of at most 50 megapixels.');
    expect(Date.now() - started).toBeLessThan(5000);
  });

  test('an interlaced PNG or a progressive JPEG too large to be decoded a few rows at a time', async () => {
    const TOO_LARGE =
      'This photo is saved as a progressive JPEG or an interlaced PNG, which is too large to read at this size: ' +
      'save it as a standard JPEG or PNG, or with fewer pixels.';
    // 36 megapixels, interlaced: 108 MB of pixels decoded before the first row comes out, from a
    // file of a few hundred kilobytes.
    const interlaced = await sharp({ create: { width: 6000, height: 6000, channels: 3, background: '#888' } })
      .png({ progressive: true, compressionLevel: 9 })
      .toBuffer();
    expect(interlaced.length).toBeLessThan(500_000);
    const response = await postProduct(owner, TYPED, [
      { data: interlaced, filename: 'x.png', contentType: 'image/png' },
    ]);
    await expectRefused(response, 422, TOO_LARGE);
    // 20 megapixels, progressive, chroma not subsampled: 120 MB of coefficients.
    const progressive = await sharp({ create: { width: 5000, height: 4000, channels: 3, background: '#888' } })
      .jpeg({ progressive: true, chromaSubsampling: '4:4:4' })
      .toBuffer();
    await expectRefused(await postProduct(owner, TYPED, [{ data: progressive }]), 422, TOO_LARGE);
  });

  test('a sliver ten thousand times as tall as it is wide', async () => {
    const response = await postProduct(owner, TYPED, [{ data: await png(2, 20_000), filename: 'x.png' }]);
    await expectRefused(response, 422, 'Choose a photo at most ten times as long as it is wide.');
  });

  test('a file over 5 MB: 413, said clearly', async () => {
    // A real JPEG's start, then padding: refused by its size while it arrives, before any check of content.
    const big = Buffer.concat([await cameraJpeg(), Buffer.alloc(5 * 1024 * 1024)]);
    await expectRefused(await postProduct(owner, TYPED, [{ data: big }]), 413, 'Choose a photo of at most 5 MB.');
  });

  test('a file in another field than image', async () => {
    const response = await postProduct(owner, TYPED, [{ data: await cameraJpeg(), field: 'photo' }]);
    await expectRefused(response, 400, 'The form sent a file it has no field for: choose the photo again.');
  });

  test('two files', async () => {
    const photo = await cameraJpeg(400, 300);
    const response = await postProduct(owner, TYPED, [{ data: photo }, { data: photo }]);
    await expectRefused(response, 400, 'Choose one photo only.');
  });

  test('too many fields, a field too long, a nested field name: the form says so', async () => {
    const extra: Record<string, string> = {};
    for (let n = 0; n < 10; n++) extra[`extra${n}`] = 'x';
    const many = await postProduct(owner, { ...TYPED, ...extra });
    await expectRefused(many, 413, 'The form sent too much: check what you typed and send it again.', 'form');
    const long = await postProduct(owner, { ...TYPED, imageUrl: 'x'.repeat(20_000) });
    await expectRefused(long, 413, 'The form sent too much: check what you typed and send it again.', 'form');
    const nested = await postProduct(owner, { ...TYPED, 'price[$gt]': '' });
    await expectRefused(nested, 400, 'The form arrived incomplete: check what you typed and send it again.', 'form');
  });

  test('a valid photo with a form that has other errors: those errors, and a word to choose it again', async () => {
    const response = await postProduct(owner, { ...TYPED, price: 'free' }, [{ data: await cameraJpeg(400, 300) }]);
    expect(response.status).toBe(422);
    expect(response.text).toContain('id="price-error"');
    expect(response.text).toContain('Choose the photo again');
    expect(await files().countDocuments()).toBe(0);
  });

  test('a body announced larger than 25 MB is refused unread, and the connection closed', async () => {
    const cookie = (await owner.agent.jar.getCookies({ path: '/', domain: '127.0.0.1', secure: false, script: false }))
      .map((c) => `${c.name}=${c.value}`)
      .join('; ');
    const server = http.createServer(shop.app).listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const response = await new Promise<{ status?: number; connection?: string; body: string }>((resolve, reject) => {
        const req = http.request({
          port,
          host: '127.0.0.1',
          method: 'POST',
          path: '/admin/add-product',
          headers: {
            cookie,
            'content-type': 'multipart/form-data; boundary=xyz',
            'content-length': String(1024 * 1024 * 1024),
          },
        });
        req.on('response', (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (part: string) => (body += part));
          res.on('end', () => resolve({ status: res.statusCode, connection: res.headers.connection, body }));
        });
        req.on('error', reject);
        // Only the headers and a first part: the server answers without waiting for the gigabyte.
        req.write('--xyz\r\nContent-Disposition: form-data; name="title"\r\n\r\nBig\r\n');
      });
      expect(response.status).toBe(413);
      expect(response.connection).toBe('close');
      expect(response.body).toContain('What you sent is too large.');
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  test('a broken multipart body is a 400 form error, never a crash', async () => {
    const response = await owner.agent
      .post('/admin/add-product')
      .set('x-csrf-token', owner.csrf)
      .set('Content-Type', 'multipart/form-data; boundary=abc')
      .send('--abc\r\nContent-Disposition: form-data; name="title"\r\n\r\nCamera Bag\r\n--abc\r\nContent-Dispo');
    expect(response.status).toBe(400);
    expect(response.text).toContain('The form arrived incomplete');
    for (const contentType of ['multipart/form-data', 'multipart/form-data; boundary=abc', 'multipart/mixed']) {
      const broken = await owner.agent
        .post('/admin/add-product')
        .set('x-csrf-token', owner.csrf)
        .set('Content-Type', contentType)
        .send('');
      expect(broken.status).toBe(400);
      expect(broken.text).toContain('The form arrived incomplete');
    }
    expect(await files().countDocuments()).toBe(0);
  });
});

describe('CSRF on the multipart forms', () => {
  test('a multipart post without the token, or with a wrong one, is refused with 403 and stores nothing', async () => {
    const photo = [{ data: await cameraJpeg(400, 300) }];
    for (const token of ['', 'not-the-token']) {
      const response = await postProduct(owner, { ...TYPED, title: 'Forged' }, photo, token);
      expect(response.status).toBe(403);
    }
    // No _csrf field at all.
    await owner.agent
      .post('/admin/add-product')
      .field('title', 'Forged')
      .field('price', '1')
      .field('description', 'x')
      .attach('image', photo[0].data, 'x.jpg')
      .expect(403);
    // Another shopper's token.
    const other = await newShopper(shop.app, 'other');
    await postProduct(owner, { ...TYPED, title: 'Forged' }, photo, other.csrf).expect(403);
    expect(await Product.countDocuments({ title: 'Forged' })).toBe(0);
    expect(await files().countDocuments({ 'metadata.productId': { $exists: true } })).toBe(
      await files().countDocuments({ 'metadata.productId': { $in: await Product.distinct('_id') } }),
    );
  });

  test('the edit form too', async () => {
    const productId = await addProduct(owner, { title: 'Edit Target', price: '5' });
    await owner.agent
      .post('/admin/edit-product')
      .field('productId', productId)
      .field('title', 'Forged')
      .field('price', '1')
      .field('description', 'x')
      .field('imageUrl', '')
      .expect(403);
    expect((await Product.findById(productId).lean())?.title).toBe('Edit Target');
  });

  test('the token may come in the x-csrf-token header, as for any form', async () => {
    await owner.agent
      .post('/admin/add-product')
      .set('x-csrf-token', owner.csrf)
      .field('title', 'Header Token')
      .field('price', '2')
      .field('description', 'Sent by a script.')
      .expect(302);
    expect(await Product.countDocuments({ title: 'Header Token' })).toBe(1);
  });

  test('a multipart post anywhere else is checked before its body is read: 403 even with the token inside', async () => {
    const productId = await addProduct(owner, { title: 'Cart Target', price: '5' });
    await owner.agent.post('/cart').field('_csrf', owner.csrf).field('productId', productId).expect(403);
    await owner.agent.post('/logout').field('_csrf', owner.csrf).expect(403);
  });

  test('a visitor is sent to log in before anything of the body is read', async () => {
    const response = await request(shop.app)
      .post('/admin/add-product')
      .field('title', 'Anonymous')
      .field('price', '1')
      .field('description', 'x')
      .attach('image', await cameraJpeg(400, 300), 'x.jpg');
    expect(response.status).toBe(302);
    expect(response.headers.location).toBe('/login');
    expect(await Product.countDocuments({ title: 'Anonymous' })).toBe(0);
  });
});

describe('replacing and deleting a photo removes its files', () => {
  beforeAll(removeEveryProduct);

  test('replace, remove, delete: GridFS holds only what a product names, then nothing', async () => {
    await postProduct(owner, { ...TYPED, title: 'Flash' }, [{ data: await cameraJpeg() }]).expect(302);
    const first = (await productTitled('Flash'))!;
    const productId = first._id.toHexString();
    expect(await files().countDocuments()).toBe(3);

    // The edit form shows the current photo and the box to remove it.
    const form = (await owner.agent.get(`/admin/edit-product/${productId}`).expect(200)).text;
    expect(form).toContain('enctype="multipart/form-data"');
    expect(form).toContain(`src="/product-images/${first.image!.id.toHexString()}/400"`);
    expect(form).toContain('name="removeImage"');

    // A new photo: the old one's files go.
    await postEdit(owner, productId, { ...TYPED, title: 'Flash' }, [{ data: await png(500, 500), filename: 'f.png' }])
      .expect(302)
      .expect('Location', '/admin/products');
    const second = (await productTitled('Flash'))!;
    expect(second.image?.id.equals(first.image!.id)).toBe(false);
    expect(second.image).toMatchObject({ widths: [400, 500] });
    expect(await files().countDocuments({ 'metadata.imageId': first.image!.id })).toBe(0);
    expect(await files().countDocuments()).toBe(2);
    await request(shop.app).get(`/product-images/${first.image!.id.toHexString()}/400`).expect(404);
    await request(shop.app).get(`/product-images/${second.image!.id.toHexString()}/500`).expect(200);

    // An edit without a photo keeps it.
    await postEdit(owner, productId, { ...TYPED, title: 'Flash', price: '61' }).expect(302);
    expect((await productTitled('Flash'))?.image?.id.equals(second.image!.id)).toBe(true);
    expect(await files().countDocuments()).toBe(2);

    // "Remove this photo": the product has none, GridFS nothing.
    await postEdit(owner, productId, { ...TYPED, title: 'Flash', removeImage: 'on' }).expect(302);
    expect((await productTitled('Flash'))?.image).toBeUndefined();
    expect(await files().countDocuments()).toBe(0);
    expect(await chunks().countDocuments()).toBe(0);

    // Deleting a product with a photo leaves GridFS empty.
    await postEdit(owner, productId, { ...TYPED, title: 'Flash' }, [{ data: await cameraJpeg() }]).expect(302);
    expect(await files().countDocuments()).toBe(3);
    expect(await chunks().countDocuments()).toBeGreaterThanOrEqual(3);
    await owner.agent.post('/admin/delete-product').type('form').send({ _csrf: owner.csrf, productId }).expect(302);
    expect(await files().countDocuments()).toBe(0);
    expect(await chunks().countDocuments()).toBe(0);
  });

  test('a refused photo on the edit form changes nothing and keeps the current photo', async () => {
    await postProduct(owner, { ...TYPED, title: 'Kept' }, [{ data: await cameraJpeg(800, 600) }]).expect(302);
    const before = (await productTitled('Kept'))!;
    const response = await postEdit(owner, before._id.toHexString(), { ...TYPED, title: 'Kept', price: '1' }, [
      { data: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>'), filename: 'x.jpg' },
    ]);
    expect(response.status).toBe(422);
    expect(response.text).toContain('Choose a JPEG, PNG or WebP photo.');
    expect(response.text).toContain(`src="/product-images/${before.image!.id.toHexString()}/400"`);
    const after = (await productTitled('Kept'))!;
    expect(after.price).toBe(before.price);
    expect(after.image?.id.equals(before.image!.id)).toBe(true);
    expect(await files().countDocuments()).toBe(2);
  });

  test("someone else's product: 404, and no file of theirs is written", async () => {
    const kept = (await productTitled('Kept'))!;
    const intruder = await newShopper(shop.app, 'intruder');
    const filesBefore = await files().countDocuments();
    await postEdit(intruder, kept._id.toHexString(), { ...TYPED, title: 'Mine now' }, [
      { data: await cameraJpeg(400, 300) },
    ]).expect(404);
    await postEdit(intruder, kept._id.toHexString(), { ...TYPED, title: 'Mine now', removeImage: 'on' }).expect(404);
    expect(await files().countDocuments()).toBe(filesBefore);
    expect((await productTitled('Kept'))?.image?.id.equals(kept.image!.id)).toBe(true);
  });

  test('a seller who deletes their account takes their photos with them', async () => {
    const leaving = await newShopper(shop.app, 'leaving');
    await postProduct(leaving, { ...TYPED, title: 'Leaving' }, [{ data: await cameraJpeg(400, 300) }]).expect(302);
    const { image } = (await productTitled('Leaving'))!;
    expect(await files().countDocuments({ 'metadata.imageId': image!.id })).toBe(1);
    await leaving.agent
      .post('/account/delete')
      .type('form')
      .send({ _csrf: leaving.csrf, currentPassword: leaving.password })
      .expect(302);
    expect(await files().countDocuments({ 'metadata.imageId': image!.id })).toBe(0);
  });
});

describe('no orphans', () => {
  beforeAll(removeEveryProduct);

  test('a product that cannot be saved leaves no file behind', async () => {
    const catalog = new Catalog({ users: User, perPage: 6, cacheMs: 0 });
    const seller = new mongoose.Types.ObjectId();
    // A price below the model's minimum: the files are stored, then the product fails validation.
    const failure = await catalog
      .createProduct(seller, { title: 'Invalid', price: -1, description: 'x', imageUrl: '' }, await cameraJpeg())
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(mongoose.Error.ValidationError);
    expect(await files().countDocuments()).toBe(0);
    expect(await chunks().countDocuments()).toBe(0);
  });

  test("files a stopped process left behind are swept at start-up; a product's own and young ones stay", async () => {
    await postProduct(owner, { ...TYPED, title: 'Named' }, [{ data: await cameraJpeg(400, 300) }]).expect(302);
    const named = (await productTitled('Named'))!;
    const images = new ProductImages();
    const prepared = await images.prepare(await cameraJpeg(400, 300));
    // As if a process stopped after storing the files: one for a product never saved, one the product no longer names.
    await images.save(new mongoose.Types.ObjectId(), prepared);
    await images.save(named._id, prepared);
    expect(await files().countDocuments()).toBe(3);

    // Too young to tell from a save under way: kept.
    expect(await images.removeOrphans(new Date(Date.now() - 60 * 60 * 1000))).toBe(0);
    expect(await images.removeOrphans(new Date(Date.now() + 1000))).toBe(2);
    expect(await files().find().toArray()).toEqual([
      expect.objectContaining({ metadata: expect.objectContaining({ imageId: named.image!.id }) }),
    ]);
    await request(shop.app).get(`/product-images/${named.image!.id.toHexString()}/400`).expect(200);
  });
});

describe('the image address', () => {
  test('still works as before: shown as typed, without srcset', async () => {
    await addProduct(owner, { title: 'Linked', price: '3', imageUrl: 'https://images.example/linked.jpg' });
    const page = (await request(shop.app).get('/products').expect(200)).text;
    const img = /<img class="card__image" src="https:\/\/images.example\/linked.jpg"[^>]*>/.exec(page)?.[0];
    expect(img).toBeDefined();
    expect(img).not.toContain('srcset');
    expect(img).toContain('width="400" height="300"');
  });

  test('an uploaded photo is shown rather than the address, which the form keeps', async () => {
    await postProduct(owner, { ...TYPED, title: 'Both', imageUrl: 'https://images.example/both.jpg' }, [
      { data: await cameraJpeg(400, 300) },
    ]).expect(302);
    const product = (await productTitled('Both'))!;
    expect(product.imageUrl).toBe('https://images.example/both.jpg');
    const detail = (await request(shop.app).get(`/products/${product._id.toHexString()}`).expect(200)).text;
    expect(detail).toContain(`src="/product-images/${product.image!.id.toHexString()}/400"`);
    const form = (await owner.agent.get(`/admin/edit-product/${product._id.toHexString()}`).expect(200)).text;
    expect(form).toContain('value="https://images.example/both.jpg"');
  });

  test('an invalid address with a valid photo: the address error, nothing stored', async () => {
    const before = await files().countDocuments();
    const response = await postProduct(owner, { ...TYPED, title: 'Bad Link', imageUrl: 'javascript:alert(1)' }, [
      { data: await cameraJpeg(400, 300) },
    ]);
    expect(response.status).toBe(422);
    expect(response.text).toContain('id="imageUrl-error"');
    expect(await files().countDocuments()).toBe(before);
  });
});

describe('hostile image addresses', () => {
  let imageId: string;

  beforeAll(async () => {
    await postProduct(owner, { ...TYPED, title: 'Target' }, [{ data: await cameraJpeg(400, 300) }]).expect(302);
    imageId = (await productTitled('Target'))!.image!.id.toHexString();
  });

  test.each([
    '/product-images/zzz/400',
    '/product-images/0123456789abcdef01234567/400',
    '/product-images/0123456789abcdef012345678/400',
    '/product-images/%24ne/400',
    '/product-images/..%2F..%2Fetc%2Fpasswd/400',
    '/product-images/{"$gt":""}/400',
    '/product-images/IMAGE/0400',
    '/product-images/IMAGE/4e2',
    '/product-images/IMAGE/400.0',
    '/product-images/IMAGE/-400',
    '/product-images/IMAGE/0',
    '/product-images/IMAGE/401',
    '/product-images/IMAGE/1201',
    '/product-images/IMAGE/99999999999999999999',
    '/product-images/IMAGE/%20400',
    '/product-images/IMAGE',
    '/product-images/IMAGE/400/more',
    '/product-images/',
  ])('%s is the 404 page', async (path) => {
    const response = await request(shop.app).get(path.replace('IMAGE', imageId)).expect(404);
    expect(response.headers['content-type']).toContain('text/html');
  });

  test('the same image at a stored width is served: the 404s above are the addresses, not the image', async () => {
    await request(shop.app).get(`/product-images/${imageId}/400`).expect(200);
    // Upper-case hex names the same id.
    await request(shop.app).get(`/product-images/${imageId.toUpperCase()}/400`).expect(200);
  });

  test('a POST to an image is refused (no token, no route)', async () => {
    await request(shop.app).post(`/product-images/${imageId}/400`).expect(403);
  });
});
