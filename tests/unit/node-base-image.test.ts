import { bookwormMirrorIn } from '../../tools/node-base-image';

/* The mirror `npm run image` gives debootstrap: the one apt uses on the machine for bookworm. */

test('a deb822 sources file: the URI of the stanza serving bookworm, not bookworm-security', () => {
  const sources = [
    'Types: deb',
    '# http://snapshot.debian.org/archive/debian-security/20250520T000000Z',
    'URIs: http://security.example.org/debian-security',
    'Suites: bookworm-security',
    'Components: main',
    '',
    'Types: deb deb-src',
    'URIs: https://mirror.example.org/debian',
    'Suites: bookworm bookworm-updates',
    'Components: main',
  ].join('\n');
  expect(bookwormMirrorIn('/etc/apt/sources.list.d/debian.sources', sources)).toBe('https://mirror.example.org/debian');
  expect(bookwormMirrorIn('x.sources', 'Types: deb\nURIs: http://a.example/debian\nSuites: trixie\n')).toBeUndefined();
});

test('a one-line sources list: the first `deb` line for bookworm, with or without options', () => {
  const list = [
    '# deb http://commented.example/debian bookworm main',
    'deb-src http://src.example/debian bookworm main',
    'deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://mirror.example.org/debian bookworm main',
    'deb http://later.example/debian bookworm main',
  ].join('\n');
  expect(bookwormMirrorIn('/etc/apt/sources.list', list)).toBe('http://mirror.example.org/debian');
  expect(
    bookwormMirrorIn('/etc/apt/sources.list', 'deb https://packages.cloud.google.com/apt cloud-sdk-bookworm main'),
  ).toBeUndefined();
});
