import { Long, ObjectId } from 'bson';
import { Query } from 'mingo';
import type { AnyObject, Criteria } from 'mingo/types';
import { equalityMatcher } from '../src/equality-filter';

// The engine's direct test for plain equalities must agree with mingo (and so with MongoDB)
// on every document; anything it does not handle must be left to mingo.

const p1 = new ObjectId();
const p2 = new ObjectId();
const when = new Date('2024-05-01T10:00:00Z');

const docs = [
  { _id: 'a', n: 1, s: 'x', flag: true, when, cart: { items: [{ productId: p1, quantity: 2 }] } },
  {
    _id: 'b',
    n: 2,
    s: 'y',
    flag: false,
    when: new Date(when.getTime() + 1),
    cart: {
      items: [
        { productId: p2, quantity: 1 },
        { productId: p1, quantity: 5 },
      ],
    },
  },
  { _id: 'c', n: [1, 3], s: ['x', 'z'], cart: { items: [] } },
  { _id: 'd', nested: { deep: { value: 'x' } }, cart: {} },
  { _id: p1, n: 1.5 },
  {},
];

const filters = [
  { _id: 'a' },
  { _id: p1 },
  { n: 1 },
  { n: { $eq: 1 } },
  { n: { $ne: 1 } },
  { n: 1.5 },
  { s: 'x' },
  { s: { $ne: 'x' } },
  { flag: true },
  { flag: { $ne: true } },
  { when },
  { 'nested.deep.value': 'x' },
  { 'cart.items.productId': p1 },
  { 'cart.items.productId': p2 },
  { 'cart.items.productId': { $ne: p1 } },
  { _id: 'b', 'cart.items.productId': p1 },
  { _id: 'a', 'cart.items.productId': { $ne: p2 } },
  { missing: { $ne: 'anything' } },
  { missing: 'anything' },
];

test.each(filters.map((filter) => [JSON.stringify(filter), filter]))(
  '%s agrees with mingo on every document',
  (_name, filter) => {
    const test = equalityMatcher(filter);
    expect(test).toBeDefined();
    const query = new Query(filter as Criteria<AnyObject>);
    for (const doc of docs) expect([doc._id, test!(doc)]).toEqual([doc._id, query.test(doc)]);
  },
);

test('numbers of any BSON type are one value, as in MongoDB', () => {
  expect(equalityMatcher({ n: Long.fromNumber(2) })!({ n: 2 })).toBe(true);
});

test('leaves everything else to mingo', () => {
  for (const filter of [
    { n: null },
    { n: { $gt: 1 } },
    { n: { $in: [1, 2] } },
    { n: { $eq: 1, $ne: 2 } },
    { n: [1, 3] },
    { nested: { deep: { value: 'x' } } },
    { 'items.0.productId': p1 },
    { $and: [{ n: 1 }] },
    { n: { $ne: null } },
    { n: /x/ },
  ]) {
    expect([filter, equalityMatcher(filter)]).toEqual([filter, undefined]);
  }
});
