import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { generateKeyPair, SignJWT } from 'jose';
import { AdminTokens } from '../../src/auth/index.js';

const SECRET = 'token-secret-0123456789abcdef0123456789abcdef';
const key = new TextEncoder().encode(SECRET);

type SigningKey = Parameters<SignJWT['sign']>[0];

/** Signs a token with Duckling's claims, each of which a case may override. */
function forge(claims: Record<string, unknown> = {}, options: { alg?: string; signingKey?: SigningKey } = {}): Promise<string> {
  const nowSec = Math.floor(Date.now() / 1000);
  const payload = { iss: 'duckling', aud: 'duckling', sub: 'admin', username: 'admin', jti: 'jti-1', iat: nowSec, nbf: nowSec, exp: nowSec + 3600, ...claims };
  return new SignJWT(payload).setProtectedHeader({ alg: options.alg ?? 'HS256' }).sign(options.signingKey ?? key);
}

function unsigned(claims: Record<string, unknown>): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'none', typ: 'JWT' })}.${part(claims)}.`;
}

describe('AdminTokens', () => {
  const tokens = new AdminTokens(SECRET, 3600);

  test('issued token verifies', async () => {
    const { token, session } = await tokens.issue('admin');
    const check = await tokens.verify(token);

    assert.ok(check.ok);
    assert.deepEqual(check.session, session);
    assert.equal(session.expiresAtSec - session.issuedAtSec, 3600);
  });

  test('claims follow the contract', async () => {
    const { token, session } = await tokens.issue('admin');
    const [header, payload] = token.split('.').slice(0, 2).map((part) => JSON.parse(Buffer.from(part, 'base64url').toString()));

    assert.equal(header.alg, 'HS256');
    assert.equal(payload.iss, 'duckling');
    assert.equal(payload.aud, 'duckling');
    assert.equal(payload.sub, 'admin');
    assert.equal(payload.username, 'admin');
    assert.equal(payload.jti, session.jti);
    assert.match(payload.jti, /^[0-9a-f-]{36}$/);
    assert.equal(payload.nbf, payload.iat);
    assert.equal(payload.exp, payload.iat + 3600);
  });

  const rejected: Array<[string, () => Promise<string>, string]> = [
    ['alg none', async () => unsigned({ iss: 'duckling', aud: 'duckling', sub: 'admin', username: 'admin', jti: 'x', iat: 1, nbf: 1, exp: 9999999999 }), 'token_invalid'],
    ['HS512 with the same secret', () => forge({}, { alg: 'HS512' }), 'token_invalid'],
    ['RS256', async () => forge({}, { alg: 'RS256', signingKey: (await generateKeyPair('RS256')).privateKey }), 'token_invalid'],
    ['other secret', () => forge({}, { signingKey: new TextEncoder().encode('another-secret-0123456789abcdef0123456789') }), 'token_invalid'],
    ['wrong issuer', () => forge({ iss: 'someone-else' }), 'token_invalid'],
    ['wrong audience', () => forge({ aud: 'someone-else' }), 'token_invalid'],
    ['missing jti', () => forge({ jti: undefined }), 'token_invalid'],
    ['username differs from sub', () => forge({ username: 'other' }), 'token_invalid'],
    ['expired beyond skew', () => forge({ exp: Math.floor(Date.now() / 1000) - 31 }), 'token_expired'],
    ['not valid before skew', () => forge({ nbf: Math.floor(Date.now() / 1000) + 120 }), 'token_not_yet_valid'],
  ];
  for (const [name, make, failure] of rejected) {
    test(`rejects ${name}`, async () => {
      const check = await tokens.verify(await make());
      assert.equal(check.ok, false);
      if (!check.ok) assert.equal(check.failure, failure);
    });
  }

  test('rejects tampered payload', async () => {
    const { token } = await tokens.issue('admin');
    const [header, payload, signature] = token.split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString());
    const changed = Buffer.from(JSON.stringify({ ...claims, exp: claims.exp + 86400 })).toString('base64url');

    const check = await tokens.verify(`${header}.${changed}.${signature}`);
    assert.equal(check.ok, false);
    if (!check.ok) assert.equal(check.failure, 'token_invalid');
  });

  test('allows 30 s of clock skew', async () => {
    const nowSec = Math.floor(Date.now() / 1000);
    assert.ok((await tokens.verify(await forge({ exp: nowSec - 20 }))).ok, 'expired 20 s ago');
    assert.ok((await tokens.verify(await forge({ nbf: nowSec + 20 }))).ok, 'valid in 20 s');
  });
});
