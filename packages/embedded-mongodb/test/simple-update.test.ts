import { ObjectId, type Document } from 'bson';
import { update as mingoUpdate } from 'mingo';
import type { Modifier } from 'mingo/updater';
import { applySimpleUpdate } from '../src/simple-update';
import { copyDocument } from '../src/values';

// The engine's direct $set/$unset/$inc/$mul/$min/$max/$rename/$push must leave a document exactly as
// mingo's updater does (for JS numbers: numbers.test.ts covers the other BSON types), and say "changed" when it does; whatever it declines it must decline untouched.

const p1 = new ObjectId();
const p2 = new ObjectId();
const stored: Document = {
  _id: 'sid',
  expires: new Date('2024-01-01T00:00:00Z'),
  session: { cookie: { originalMaxAge: 60_000, path: '/' }, isLoggedIn: true, touchedAt: 1 },
  cart: { items: [{ productId: p1, quantity: 2 }] },
  count: 3,
};

const updates: Document[] = [
  {
    $set: {
      expires: new Date('2024-02-01T00:00:00Z'),
      'session.cookie': { originalMaxAge: 1, path: '/' },
      'session.touchedAt': 2,
    },
  },
  { $set: { session: { isLoggedIn: false }, expires: new Date(0) } },
  { $set: { 'new.deep.field': 'x', 'new.deep.other': 'y', 'new.top': 1 } },
  { $set: { count: 3 } },
  { $set: { 'session.isLoggedIn': true } },
  { $inc: { 'cart.items.0.quantity': 1 } },
  { $inc: { count: -3, fresh: 5 } },
  { $inc: { count: 0 } },
  { $push: { 'cart.items': { productId: p2, quantity: 1 } } },
  { $push: { 'brand.new': 'first' } },
  { $unset: { 'session.touchedAt': '', missing: '', 'nowhere.deep': '' } },
  { $unset: { nothing: '' } },
  { $push: { 'cart.items': { $each: [{ productId: p2, quantity: 1 }, 'x'] } } },
  { $mul: { count: 2, 'cart.items.0.quantity': 3 } },
  { $min: { count: 1 } },
  { $min: { count: 5 } },
  { $max: { count: 10, fresh: 3 } },
  { $rename: { count: 'total' } },
  { $rename: { 'session.touchedAt': 'session.renamed', missing: 'other' } },
];

test.each(updates.map((update) => [JSON.stringify(update), update]))(
  '%s leaves the document as mingo does',
  (_name, update) => {
    const direct = copyDocument(stored);
    const changed = applySimpleUpdate(direct, update);
    expect(changed).toBeDefined();
    const viaMingo = copyDocument(stored);
    const changedPaths = mingoUpdate(viaMingo, update as Modifier<Document>, [], {}, { cloneMode: 'copy' });
    expect(direct).toEqual(viaMingo);
    expect(changed).toBe(changedPaths.length > 0);
  },
);

test('declines, untouched, what it does not handle', () => {
  for (const update of [
    { $pull: { 'cart.items': { productId: p1 } } },
    { $push: { 'cart.items': { $each: [1, 2], $slice: 1 } } },
    { $push: { count: 1 } },
    { $min: { expires: 1 } },
    { $set: { 'cart.items.5.quantity': 1 } },
    { $set: { 'cart.items.0': {} } },
    { $set: { 'cart.items.productId': 1 } },
    { $set: { 'expires.day': 1 } },
    { $set: { 'count.inner': 1 } },
    { $set: { 'missing.0.x': 1 } },
    { $set: { session: {}, 'session.isLoggedIn': false } },
    { $set: { a: 1 }, $inc: { a: 1 } },
    { $rename: { count: 'session.count' }, $set: { session: 1 } },
    { $rename: { 'cart.items.0.quantity': 'q' } },
  ]) {
    const doc = copyDocument(stored);
    expect([update, applySimpleUpdate(doc, update)]).toEqual([update, undefined]);
    expect(doc).toEqual(stored);
  }
});

test('arithmetic on or with a non-number fails as in MongoDB', () => {
  expect(() => applySimpleUpdate(copyDocument(stored), { $inc: { count: '1' } })).toThrow(
    expect.objectContaining({ code: 14, message: 'Cannot increment with non-numeric argument: {count: "1"}' }),
  );
  expect(() => applySimpleUpdate(copyDocument(stored), { $inc: { 'session.isLoggedIn': 1 } })).toThrow(
    expect.objectContaining({
      code: 14,
      message:
        'Cannot apply $inc to a value of non-numeric type. {_id: "sid"} has the field \'isLoggedIn\' of non-numeric type bool',
    }),
  );
});
