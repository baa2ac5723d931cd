import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SessionCookieSealer, type AdminSession } from '../../src/auth/index.js';

const session: AdminSession = { jti: 'f3b8d0a4-1111-4222-8333-944455556666', username: 'admin', issuedAtSec: 1_700_000_000, expiresAtSec: 1_700_003_600 };

describe('SessionCookieSealer', () => {
  const sealer = new SessionCookieSealer('session-secret-0123456789abcdef0123456789');

  test('unseals what it sealed', () => {
    assert.deepEqual(sealer.unseal(sealer.seal(session)), session);
  });

  test('value hides the content', () => {
    const value = sealer.seal(session);
    assert.match(value, /^[A-Za-z0-9_-]+$/);
    assert.ok(!Buffer.from(value, 'base64url').toString('latin1').includes('admin'));
  });

  test('each seal uses a new nonce', () => {
    assert.notEqual(sealer.seal(session), sealer.seal(session));
  });

  test('rejects a changed byte anywhere', () => {
    const bytes = Buffer.from(sealer.seal(session), 'base64url');
    for (const index of [0, 12, Math.floor(bytes.length / 2), bytes.length - 1]) {
      const changed = Buffer.from(bytes);
      changed[index] = changed[index]! ^ 0x01;
      assert.equal(sealer.unseal(changed.toString('base64url')), null, `byte ${index}`);
    }
  });

  test('rejects another secret', () => {
    const other = new SessionCookieSealer('another-session-secret-0123456789abcdef');
    assert.equal(other.unseal(sealer.seal(session)), null);
  });

  test('rejects garbage', () => {
    for (const value of ['', 'abc', 'not base64 at all!', 'A'.repeat(200)]) assert.equal(sealer.unseal(value), null, value);
  });
});
