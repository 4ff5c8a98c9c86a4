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
