import { MongoNetworkError, MongoServerError } from 'mongodb';
import mongoose from 'mongoose';
import { DatabaseUnavailableError, isDatabaseUnavailable } from '../../src/platform/database/unavailable';

test('driver errors of an unreachable database, direct or as the cause of a wrapper, mean unavailable', () => {
  const network = new MongoNetworkError('connection 3 to 127.0.0.1:27017 closed');
  expect(isDatabaseUnavailable(network)).toBe(true);
  expect(isDatabaseUnavailable(new Error('Error finding abc: connection closed', { cause: network }))).toBe(true);
  // The session store's driver is another copy (6.x): the name is what counts, not the class.
  const otherCopy = Object.assign(new Error('Server selection timed out after 5000 ms'), {
    name: 'MongoServerSelectionError',
  });
  expect(isDatabaseUnavailable(new Error('wrapped', { cause: otherCopy }))).toBe(true);
  expect(isDatabaseUnavailable(new DatabaseUnavailableError())).toBe(true);
  expect(isDatabaseUnavailable(new MongoServerError({ message: 'not primary', code: 10107 }))).toBe(true);
  expect(
    isDatabaseUnavailable(new mongoose.Error('Operation `users.findOne()` buffering timed out after 10000ms')),
  ).toBe(true);
});

test('bugs and bad data are not outages', () => {
  expect(isDatabaseUnavailable(new Error('boom'))).toBe(false);
  expect(isDatabaseUnavailable(new MongoServerError({ message: 'E11000 duplicate key', code: 11000 }))).toBe(false);
  expect(isDatabaseUnavailable(new mongoose.Error.ValidationError())).toBe(false);
  expect(isDatabaseUnavailable('a string')).toBe(false);
  expect(isDatabaseUnavailable(undefined)).toBe(false);
  const loop: { name: string; cause?: unknown } = { name: 'Error' };
  loop.cause = loop;
  expect(isDatabaseUnavailable(loop)).toBe(false);
});
