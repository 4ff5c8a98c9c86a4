import { localPath } from '../../src/http/local-path';

test('keeps a local path with its query', () => {
  expect(localPath('/cart')).toBe('/cart');
  expect(localPath('/products?page=2')).toBe('/products?page=2');
});

test.each([
  'https://evil.example/',
  '//evil.example/',
  '/\\evil.example/',
  '/.//evil.example',
  '/..//evil.example',
  '/x/..//evil.example',
  '/%2e//evil.example',
  'javascript:alert(1)',
  'cart',
  '/\u0000x',
  '/%0d%0aSet-Cookie:x',
  '',
])('refuses %j', (value) => {
  const result = localPath(value);
  // Either refused outright, or reduced to a path on this site (never a header injection).
  if (result !== undefined) expect(result).toMatch(/^\/[^/\\\r\n]/);
  if (value.includes('evil') || value === 'cart' || value.startsWith('javascript') || value === '')
    expect(result).toBeUndefined();
});

test('refuses anything that is not a string', () => {
  expect(localPath(['/cart'])).toBeUndefined();
  expect(localPath({ $gt: '' })).toBeUndefined();
});

test('the plain paths taken without the URL parser are exactly what the parser gives back', () => {
  const parsed = (value: string) => {
    const url = new URL(value, 'http://shop.invalid');
    return `${url.pathname}${url.search}`;
  };
  const plain = ['/', '/products', '/products?page=2&sort=price', '/a//b', '/x?y?z', '/p?q=a+b', '/cart:1', '/@x'];
  for (const value of plain) expect(localPath(value)).toBe(parsed(value));
  // Not plain: the parser decides (dot segments, percent signs, an empty query).
  expect(localPath('/a/./b')).toBe('/a/b');
  expect(localPath('/products?')).toBe('/products');
  expect(localPath('/products?q=a%20b')).toBe('/products?q=a%20b');
  expect(localPath('/.//evil.example')).toBeUndefined();
});
