import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  createApiKeyVerifier,
  findUrlCredentialParameters,
  keyFingerprint,
  readAuthorizationCredential,
} from '../../src/auth/index.js';

describe('readAuthorizationCredential', () => {
  const cases: Array<[string | undefined, string | null]> = [
    [undefined, null],
    ['', null],
    ['   ', null],
    ['Bearer abc123', 'abc123'],
    ['bearer   abc123  ', 'abc123'],
    ['BEARER abc123', 'abc123'],
    ['Bearer ', null],
    ['abc123', 'abc123'],
  ];
  for (const [header, expected] of cases) {
    test(`header ${JSON.stringify(header)}`, () => {
      assert.equal(readAuthorizationCredential(header), expected);
    });
  }
});

describe('createApiKeyVerifier', () => {
  test('accepts current and previous key', () => {
    const verifier = createApiKeyVerifier({ current: 'new-key', previous: 'old-key' });

    assert.equal(verifier.configured, true);
    assert.deepEqual(verifier.verify('new-key'), { kind: 'apiKey', tier: 'apiKey', keyFingerprint: keyFingerprint('new-key'), key: 'current' });
    assert.deepEqual(verifier.verify('old-key'), { kind: 'apiKey', tier: 'apiKey', keyFingerprint: keyFingerprint('old-key'), key: 'previous' });
  });

  test('rejects other keys', () => {
    const verifier = createApiKeyVerifier({ current: 'new-key', previous: null });

    assert.equal(verifier.verify('new-ke'), null);
    assert.equal(verifier.verify('new-key '), null);
    assert.equal(verifier.verify(''), null);
  });

  test('unconfigured verifier accepts nothing', () => {
    const verifier = createApiKeyVerifier({ current: null, previous: null });

    assert.equal(verifier.configured, false);
    assert.equal(verifier.verify(''), null);
    assert.equal(verifier.verify('anything'), null);
  });
});

describe('keyFingerprint', () => {
  test('is 12 hex characters', () => {
    assert.match(keyFingerprint('some key'), /^[0-9a-f]{12}$/);
    assert.notEqual(keyFingerprint('a'), keyFingerprint('b'));
  });
});

describe('findUrlCredentialParameters', () => {
  test('finds every credential parameter', () => {
    assert.deepEqual(findUrlCredentialParameters({ db: 'x', token: 't', api_key: 'k' }), ['token', 'api_key']);
    assert.deepEqual(findUrlCredentialParameters({ db: 'x' }), []);
    assert.deepEqual(findUrlCredentialParameters({ APIKEY: 'k', Token: 't', access_token: 'a' }), ['APIKEY', 'Token', 'access_token']);
    assert.deepEqual(findUrlCredentialParameters(undefined), []);
  });
});
