import { ObjectId } from 'bson';
import { sortBySimpleKeys } from '../src/sort';

// The engine's fast sort takes only what it can order exactly; the rest goes to mingo
// (tests/conformance/sort-and-count.test.ts checks both against MongoDB's answers).

test('sorts numbers, strings, dates, ObjectIds and booleans, on several keys', () => {
  const docs = [
    { d: new Date(3), s: 'b', n: 2 },
    { d: new Date(1), s: 'a', n: 2 },
    { d: new Date(2), s: 'a', n: 1 },
  ];
  expect(sortBySimpleKeys(docs, { d: -1 })?.map((x) => x.d.getTime())).toEqual([3, 2, 1]);
  expect(sortBySimpleKeys(docs, { n: 1, s: -1 })?.map((x) => `${x.n}${x.s}`)).toEqual(['1a', '2b', '2a']);
  const ids = [new ObjectId(), new ObjectId(), new ObjectId()];
  expect(sortBySimpleKeys([{ _id: ids[1] }, { _id: ids[2] }, { _id: ids[0] }], { _id: 1 })?.map((x) => x._id)).toEqual(
    ids,
  );
  expect(sortBySimpleKeys([{ b: true }, { b: false }], { b: 1 })?.map((x) => x.b)).toEqual([false, true]);
  expect(sortBySimpleKeys([{ a: { b: 2 } }, { a: { b: 1 } }], { 'a.b': 1 })?.map((x) => x.a.b)).toEqual([1, 2]);
});

test('ties keep the input order in both directions, as mingo does', () => {
  const docs = [
    { k: 1, i: 0 },
    { k: 2, i: 1 },
    { k: 1, i: 2 },
    { k: 2, i: 3 },
  ];
  expect(sortBySimpleKeys(docs, { k: 1 })?.map((x) => x.i)).toEqual([0, 2, 1, 3]);
  expect(sortBySimpleKeys(docs, { k: -1 })?.map((x) => x.i)).toEqual([1, 3, 0, 2]);
});

test('leaves to mingo: mixed kinds, missing values, arrays, nulls, invalid dates, other directions', () => {
  expect(sortBySimpleKeys([{ v: 1 }, { v: 'a' }], { v: 1 })).toBeUndefined();
  expect(sortBySimpleKeys([{ v: 1 }, {}], { v: 1 })).toBeUndefined();
  expect(sortBySimpleKeys([{ v: [1, 2] }, { v: 3 }], { v: 1 })).toBeUndefined();
  expect(sortBySimpleKeys([{ v: null }, { v: 3 }], { v: 1 })).toBeUndefined();
  expect(sortBySimpleKeys([{ v: new Date(NaN) }], { v: 1 })).toBeUndefined();
  expect(sortBySimpleKeys([{ v: 1 }], { v: { $meta: 'textScore' } })).toBeUndefined();
  expect(sortBySimpleKeys([{ v: 1 }], {})).toBeUndefined();
});

test('keeping only a page gives the same first documents as the whole sort', () => {
  const docs = Array.from({ length: 200 }, (_, i) => ({ i, k: (i * 37) % 50, d: new Date(((i * 7919) % 200) * 1000) }));
  for (const sort of [{ k: 1 }, { k: -1 }, { d: -1 }, { k: 1, d: -1 }]) {
    const whole = sortBySimpleKeys(docs, sort)!.map((x) => x.i);
    for (const keep of [1, 12, 37])
      expect(sortBySimpleKeys(docs, sort, keep)!.map((x) => x.i)).toEqual(whole.slice(0, keep));
  }
});
