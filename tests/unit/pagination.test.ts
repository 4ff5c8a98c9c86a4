import { HttpError } from '../../src/http/http-error';
import { pageCountFor, pageHref, pagination, requestedPage } from '../../src/http/pagination';

describe('requestedPage', () => {
  test('no ?page= is page 1; whole numbers from 1 up are taken as they are', () => {
    expect(requestedPage(undefined)).toBe(1);
    expect(requestedPage('1')).toBe(1);
    expect(requestedPage('02')).toBe(2);
    expect(requestedPage('12345')).toBe(12345);
    // Past any last page: the caller redirects, so it must not be refused here.
    expect(requestedPage('9'.repeat(400))).toBe(Infinity);
  });

  test.each([['abc'], ['0'], ['00'], ['-1'], ['1.5'], ['1e3'], [' 1'], ['0x10'], [''], [['1', '2']], [{ $gt: '' }]])(
    'refuses %j with a 404',
    (value) => {
      expect(() => requestedPage(value)).toThrow(HttpError);
      try {
        requestedPage(value);
      } catch (error) {
        expect((error as HttpError).status).toBe(404);
      }
    },
  );
});

test('an empty list has one page; a partly filled last page counts', () => {
  expect(pageCountFor(0, 6)).toBe(1);
  expect(pageCountFor(6, 6)).toBe(1);
  expect(pageCountFor(7, 6)).toBe(2);
  expect(pageCountFor(12, 6)).toBe(2);
});

test('page 1 is the bare path, every other page has ?page=', () => {
  expect(pageHref('/products', 1)).toBe('/products');
  expect(pageHref('/products', 3)).toBe('/products?page=3');
  expect(pageHref('/', 2)).toBe('/?page=2');
});

function numbers(basePath: string, page: number, pageCount: number): Array<number | string> {
  return pagination(basePath, page, pageCount).links.map((link) => (link === null ? '…' : link.page));
}

test('links: the first, the last and two on each side of the current page, with gaps', () => {
  expect(numbers('/p', 1, 1)).toEqual([1]);
  expect(numbers('/p', 1, 4)).toEqual([1, 2, 3, 4]);
  expect(numbers('/p', 6, 12)).toEqual([1, '…', 4, 5, 6, 7, 8, '…', 12]);
  expect(numbers('/p', 1, 10)).toEqual([1, 2, 3, '…', 10]);
  expect(numbers('/p', 10, 10)).toEqual([1, '…', 8, 9, 10]);
  // A gap of one page shows that page instead of "…".
  expect(numbers('/p', 5, 9)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  expect(numbers('/p', 5, 10)).toEqual([1, 2, 3, 4, 5, 6, 7, '…', 10]);
  // However many pages there are, only a handful of links.
  expect(numbers('/p', 500_000, 1_000_000)).toEqual([
    1,
    '…',
    499_998,
    499_999,
    500_000,
    500_001,
    500_002,
    '…',
    1_000_000,
  ]);
});

test('previous and next exist only where there is such a page; the current page is marked', () => {
  expect(pagination('/products', 1, 3)).toMatchObject({ previousHref: undefined, nextHref: '/products?page=2' });
  expect(pagination('/products', 2, 3)).toMatchObject({ previousHref: '/products', nextHref: '/products?page=3' });
  expect(pagination('/products', 3, 3)).toMatchObject({ previousHref: '/products?page=2', nextHref: undefined });
  const current = pagination('/products', 2, 3).links.filter((link) => link?.current);
  expect(current).toEqual([{ page: 2, href: '/products?page=2', current: true }]);
});
