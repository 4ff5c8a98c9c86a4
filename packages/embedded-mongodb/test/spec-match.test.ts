import { Double, Long, ObjectId } from 'bson';
import { mismatch } from '../scripts/spec-match';

describe("the spec runner's matcher (unified test format rules)", () => {
  it('allows extra fields in a root-level document only', () => {
    expect(mismatch({ x: 1 }, { x: 1, y: 2 }, { isRoot: true })).toBeUndefined();
    expect(mismatch({ a: { x: 1 } }, { a: { x: 1, y: 2 } }, { isRoot: true })).toMatch(/unexpected field/);
    expect(mismatch({ x: 1, y: 1 }, { x: 1 }, { isRoot: true })).toMatch(/y: missing/);
  });

  it('compares int32, int64 and double by value, but not with other types', () => {
    expect(mismatch(1, new Double(1), { isRoot: false })).toBeUndefined();
    expect(mismatch(Long.fromNumber(5), 5, { isRoot: false })).toBeUndefined();
    expect(mismatch(1, 1.5, { isRoot: false })).toBeDefined();
    expect(mismatch(1, '1', { isRoot: false })).toBeDefined();
  });

  it('knows $$exists, $$type, $$unsetOrMatches and $$matchesEntity', () => {
    const id = new ObjectId();
    const entity = (name: string) => (name === 'saved' ? id : undefined);
    expect(mismatch({ a: { $$exists: false } }, { b: 1 }, { isRoot: true })).toBeUndefined();
    expect(mismatch({ a: { $$exists: true } }, { b: 1 }, { isRoot: true })).toBeDefined();
    expect(mismatch({ v: { $$type: ['int', 'long'] } }, { v: 2 }, { isRoot: true })).toBeUndefined();
    expect(mismatch({ v: { $$type: 'string' } }, { v: 2 }, { isRoot: true })).toBeDefined();
    expect(mismatch({ $$unsetOrMatches: { n: 1 } }, undefined, { isRoot: true })).toBeUndefined();
    expect(mismatch({ n: { $$unsetOrMatches: 1 } }, { n: 2 }, { isRoot: true })).toBeDefined();
    expect(mismatch({ _id: { $$matchesEntity: 'saved' } }, { _id: id }, { isRoot: true, entity })).toBeUndefined();
  });

  it('wants arrays of the same length, element by element, and Maps read as documents', () => {
    expect(mismatch([1, 2], [1, 2, 3], { isRoot: true })).toMatch(/2 element/);
    expect(mismatch({ sort: { _id: 1 } }, { sort: new Map([['_id', 1]]) }, { isRoot: true })).toBeUndefined();
  });
});
