import { isLoopbackAddress } from '../../src/http/middleware/loopback-only';

// What counts as this machine for /dev/mail: the socket's peer address, as Node reports it.

test.each(['127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1', '::FFFF:127.0.0.1'])(
  '%s is this machine',
  (address) => {
    expect(isLoopbackAddress(address)).toBe(true);
  },
);

test.each([
  '192.0.2.2',
  '::ffff:192.0.2.2',
  'fd00::2',
  '0.0.0.0',
  '::',
  '128.0.0.1',
  '::ffff:127.0.0.1.evil',
  '127.0.0.1 ',
  '',
  undefined,
])('%s is not', (address) => {
  expect(isLoopbackAddress(address)).toBe(false);
});
