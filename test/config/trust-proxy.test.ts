import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { loadConfig, parseTrustProxy } from '../../src/config/index.js';

test('trust proxy accepts the documented forms', () => {
  assert.equal(parseTrustProxy('false'), false);
  assert.equal(parseTrustProxy(''), false);
  assert.equal(parseTrustProxy('TRUE'), true);
  assert.equal(parseTrustProxy('1'), 1);
  assert.deepEqual(parseTrustProxy('10.0.0.0/8, 127.0.0.1,::1,fd00::/8'), ['10.0.0.0/8', '127.0.0.1', '::1', 'fd00::/8']);
});

test('trust proxy rejects a bad entry by name', () => {
  const parsed = parseTrustProxy('10.0.0.0/8,proxy.local');
  assert.equal(typeof parsed, 'object');
  assert.ok(typeof parsed === 'object' && !Array.isArray(parsed), 'a list means the entry was accepted');
  assert.match(parsed.error, /"proxy\.local" is not an IP address or CIDR/);
  assert.ok('error' in (parseTrustProxy('10.0.0.0/33') as object));
});

test('config rejects a bad PUBLIC_URL and TRUST_PROXY', () => {
  assert.throws(
    () => loadConfig({ PUBLIC_URL: 'duckling.example.com', TRUST_PROXY: 'yes' }, { cwd: emptyDirectory() }),
    (error: Error) => /PUBLIC_URL entry "duckling.example.com" is invalid/.test(error.message) && /TRUST_PROXY="yes"/.test(error.message),
  );
});

test('config keeps PUBLIC_URL origins only', () => {
  const config = loadConfig({ PUBLIC_URL: 'https://duckling.example.com/app/,http://localhost:3001' }, { cwd: emptyDirectory() });
  assert.deepEqual(config.network.publicOrigins, ['https://duckling.example.com', 'http://localhost:3001']);
});

function emptyDirectory(): string {
  return mkdtempSync(path.join(os.tmpdir(), 'duckling-config-'));
}
