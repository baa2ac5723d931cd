import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { generateKeyPair, SignJWT } from 'jose';
import {
  readJson,
  startDuckling,
  TEST_ADMIN_PASSWORD,
  TEST_ADMIN_USERNAME,
  TEST_API_KEY,
  TEST_SESSION_SECRET,
  type RunningDuckling,
} from '../harness/duckling.js';
import { captureAudit, countingGuard, login, send, type AuditRecord } from './auth-helpers.js';

// A server without databases; /api/me (any) and /status (admin) need no database.
let server: RunningDuckling;
let dataPath: string;
const audit = captureAudit();
const guard = countingGuard();

before(async () => {
  dataPath = await mkdtemp(path.join(os.tmpdir(), 'duckling-login-'));
  server = await startDuckling({ MYSQL_CONNECTION_STRING: '' }, { dataPath, logger: audit.logger, attemptGuard: guard });
});

after(async () => {
  await server?.stop();
  await rm(dataPath, { recursive: true, force: true });
});

function auditOf(response: Response, event: string): AuditRecord | undefined {
  const requestId = response.headers.get('x-request-id');
  return audit.events.find((record) => record.requestId === requestId && record.event === event);
}

type SigningKey = Parameters<SignJWT['sign']>[0];

/** Signs a token with Duckling's claims for the test admin, each of which a case may override. */
function forge(claims: Record<string, unknown> = {}, options: { alg?: string; key?: SigningKey } = {}): Promise<string> {
  const nowSec = Math.floor(Date.now() / 1000);
  const payload = {
    iss: 'duckling', aud: 'duckling', sub: TEST_ADMIN_USERNAME, username: TEST_ADMIN_USERNAME, jti: crypto.randomUUID(),
    iat: nowSec, nbf: nowSec, exp: nowSec + 3600, ...claims,
  };
  return new SignJWT(payload).setProtectedHeader({ alg: options.alg ?? 'HS256' }).sign(options.key ?? new TextEncoder().encode(TEST_SESSION_SECRET));
}

function unsignedToken(): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const nowSec = Math.floor(Date.now() / 1000);
  return `${part({ alg: 'none', typ: 'JWT' })}.${part({ iss: 'duckling', aud: 'duckling', sub: TEST_ADMIN_USERNAME, username: TEST_ADMIN_USERNAME, jti: 'j', iat: nowSec, nbf: nowSec, exp: nowSec + 600 })}.`;
}

describe('login', () => {
  test('returns token and cookie', async () => {
    const attemptsBefore = guard.passwordAttempts;
    const { response, body, token, setCookie } = await login(server);

    assert.equal(body.success, true);
    assert.equal(body.username, TEST_ADMIN_USERNAME);
    assert.equal(body.token, token);
    assert.equal(token.split('.').length, 3);
    assert.equal(body.expiresIn, '1h');
    assert.ok(Math.abs(Date.parse(body.expiresAt) - (Date.now() + 3_600_000)) < 5_000);
    assert.equal(guard.passwordAttempts, attemptsBefore + 1);
    assert.equal(auditOf(response, 'auth.login.succeeded')?.actor.principal, TEST_ADMIN_USERNAME);

    assert.match(setCookie, /^duckling_session=[A-Za-z0-9_-]+;/);
    assert.match(setCookie, /; HttpOnly/);
    assert.match(setCookie, /; SameSite=Strict/);
    assert.match(setCookie, /; Path=\//);
    assert.match(setCookie, /; Max-Age=3600/);
    assert.doesNotMatch(setCookie, /Secure/);
  });

  test('wrong password gets 401', async () => {
    const attemptsBefore = guard.passwordAttempts;
    const response = await send(server, 'POST', '/api/login', {}, { username: TEST_ADMIN_USERNAME, password: 'wrong-password-123456' });
    const body = await readJson(response);

    assert.equal(response.status, 401);
    assert.equal(body.code, 'DUCKLING_AUTH_LOGIN_FAILED');
    assert.equal(response.headers.get('set-cookie'), null);
    assert.equal(guard.passwordAttempts, attemptsBefore + 1);
    assert.equal(auditOf(response, 'auth.login.failed')?.outcome, 'failure');
  });

  test('wrong username gets 401', async () => {
    const response = await send(server, 'POST', '/api/login', {}, { username: 'root', password: TEST_ADMIN_PASSWORD });
    assert.equal(response.status, 401);
    assert.equal((await readJson(response)).code, 'DUCKLING_AUTH_LOGIN_FAILED');
    assert.ok(auditOf(response, 'auth.login.failed'));
  });

  test('missing password gets 400', async () => {
    const response = await send(server, 'POST', '/api/login', {}, { username: TEST_ADMIN_USERNAME });
    const body = await readJson(response);
    assert.equal(response.status, 400);
    assert.equal(body.details[0].field, 'body.password');
  });

  test('root alias logs in', async () => {
    const response = await send(server, 'POST', '/login', {}, { username: TEST_ADMIN_USERNAME, password: TEST_ADMIN_PASSWORD });
    assert.equal(response.status, 200);
  });

  test('token opens admin routes', async () => {
    const { token } = await login(server);
    assert.equal((await send(server, 'GET', '/status', { authorization: `Bearer ${token}` })).status, 200);

    const me = await readJson(await send(server, 'GET', '/api/me', { authorization: `Bearer ${token}` }));
    assert.equal(me.username, TEST_ADMIN_USERNAME);
    assert.equal(me.authMethod, 'jwt');
    assert.equal(me.tier, 'jwt');
    assert.equal(me.scope, 'all');
    assert.ok(Date.parse(me.expiresAt) > Date.now());
  });

  test('cookie opens admin routes', async () => {
    const { cookie } = await login(server);
    assert.equal((await send(server, 'GET', '/status', { cookie })).status, 200);
    const me = await readJson(await send(server, 'GET', '/api/me', { cookie }));
    assert.equal(me.authMethod, 'session');
  });

  test('API key me', async () => {
    const me = await readJson(await send(server, 'GET', '/api/me', { authorization: `Bearer ${TEST_API_KEY}` }));
    assert.equal(me.authMethod, 'api-key');
    assert.equal(me.tier, 'apiKey');
    assert.equal(me.expiresAt, null);
  });
});

describe('bad credentials', () => {
  // [case, headers or a function making them, expected status, code, audit reason, charged]
  const cases: Array<[string, () => Promise<Record<string, string>>, number, string, string, boolean]> = [
    ['missing header', async () => ({}), 401, 'DUCKLING_AUTH_REQUIRED', 'credential_missing', false],
    ['wrong scheme', async () => ({ authorization: `Basic ${Buffer.from('admin:pw').toString('base64')}` }), 401, 'DUCKLING_AUTH_INVALID', 'key_invalid', true],
    ['wrong key', async () => ({ authorization: 'Bearer not-the-key-0123456789' }), 401, 'DUCKLING_AUTH_INVALID', 'key_invalid', true],
    ['unknown database key', async () => ({ authorization: `Bearer dk_default_${'A'.repeat(43)}` }), 401, 'DUCKLING_AUTH_INVALID', 'key_invalid', true],
    ['JWT alg none', async () => ({ authorization: `Bearer ${unsignedToken()}` }), 401, 'DUCKLING_AUTH_INVALID', 'token_invalid', true],
    ['JWT HS512', async () => ({ authorization: `Bearer ${await forge({}, { alg: 'HS512' })}` }), 401, 'DUCKLING_AUTH_INVALID', 'token_invalid', true],
    [
      'JWT RS256',
      async () => ({ authorization: `Bearer ${await forge({}, { alg: 'RS256', key: (await generateKeyPair('RS256')).privateKey })}` }),
      401, 'DUCKLING_AUTH_INVALID', 'token_invalid', true,
    ],
    ['JWT expired', async () => ({ authorization: `Bearer ${await forge({ iat: 1_000, nbf: 1_000, exp: 2_000 })}` }), 401, 'DUCKLING_AUTH_INVALID', 'token_expired', false],
    ['JWT not yet valid', async () => ({ authorization: `Bearer ${await forge({ nbf: Math.floor(Date.now() / 1000) + 600 })}` }), 401, 'DUCKLING_AUTH_INVALID', 'token_not_yet_valid', true],
    ['JWT other secret', async () => ({ authorization: `Bearer ${await forge({}, { key: new TextEncoder().encode('a-different-secret-0123456789abcdef0123') })}` }), 401, 'DUCKLING_AUTH_INVALID', 'token_invalid', true],
    ['JWT of another user', async () => ({ authorization: `Bearer ${await forge({ sub: 'mallory', username: 'mallory' })}` }), 401, 'DUCKLING_AUTH_INVALID', 'token_invalid', true],
    [
      'JWT tampered payload',
      async () => {
        const [header, payload, signature] = (await login(server)).token.split('.');
        const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString());
        const changed = Buffer.from(JSON.stringify({ ...claims, exp: claims.exp + 86_400 })).toString('base64url');
        return { authorization: `Bearer ${header}.${changed}.${signature}` };
      },
      401, 'DUCKLING_AUTH_INVALID', 'token_invalid', true,
    ],
    ['forged cookie', async () => ({ cookie: `duckling_session=${Buffer.from('{"jti":"x","sub":"admin"}').toString('base64url')}` }), 401, 'DUCKLING_AUTH_INVALID', 'cookie_invalid', true],
    [
      'tampered cookie',
      async () => {
        const { cookie } = await login(server);
        const last = cookie.at(-1) === 'A' ? 'B' : 'A';
        return { cookie: `${cookie.slice(0, -1)}${last}` };
      },
      401, 'DUCKLING_AUTH_INVALID', 'cookie_invalid', true,
    ],
  ];

  for (const [name, makeHeaders, status, code, reason, charged] of cases) {
    test(name, async () => {
      const headers = await makeHeaders();
      const chargedBefore = guard.invalidCredentials;
      const response = await send(server, 'GET', '/api/me', headers);
      const body = await readJson(response);

      assert.equal(response.status, status);
      assert.equal(body.code, code);
      const challenge = code === 'DUCKLING_AUTH_INVALID' ? 'Bearer error="invalid_token"' : null;
      assert.equal(response.headers.get('www-authenticate'), challenge);
      assert.equal(auditOf(response, 'auth.rejected')?.detail?.reason, reason);
      assert.equal(guard.invalidCredentials - chargedBefore, charged ? 1 : 0, 'charged to the auth budget');
    });
  }

  test('API key in query string', async () => {
    const response = await send(server, 'GET', `/api/me?apiKey=${TEST_API_KEY}`, { authorization: `Bearer ${TEST_API_KEY}` });
    assert.equal(response.status, 400);
    assert.equal((await readJson(response)).code, 'DUCKLING_AUTH_CREDENTIALS_IN_URL');
    assert.equal(auditOf(response, 'auth.rejected')?.detail?.reason, 'credentials_in_url');
  });

  test('ticket on other route is 400', async () => {
    const response = await send(server, 'GET', '/api/me?ticket=abc', { authorization: `Bearer ${TEST_API_KEY}` });
    assert.equal(response.status, 400);
    assert.match((await readJson(response)).message, /ticket/);
  });

  test('failed cookie is expired', async () => {
    const response = await send(server, 'GET', '/api/me', { cookie: 'duckling_session=garbage' });
    assert.equal(response.status, 401);
    assert.match(response.headers.get('set-cookie') ?? '', /^duckling_session=; Max-Age=0/);
  });

  test('public route stays anonymous', async () => {
    const chargedBefore = guard.invalidCredentials;
    const response = await send(server, 'GET', '/health', { authorization: 'Bearer wrong-key-0123456789' });
    assert.equal(response.status, 200);
    assert.deepEqual(await readJson(response), { status: 'healthy' });
    assert.equal(guard.invalidCredentials - chargedBefore, 1);
    assert.equal(auditOf(response, 'auth.rejected')?.detail?.reason, 'key_invalid');
  });
});

describe('check-auth', () => {
  test('anonymous is not authenticated', async () => {
    const body = await readJson(await send(server, 'GET', '/api/check-auth'));
    assert.equal(body.authenticated, false);
    assert.match(body.message, /POST \/api\/login/);
  });

  test('token is authenticated', async () => {
    const { token } = await login(server);
    const body = await readJson(await send(server, 'GET', '/api/check-auth', { authorization: `Bearer ${token}` }));
    assert.deepEqual(body, { authenticated: true, username: TEST_ADMIN_USERNAME, authMethod: 'jwt' });
  });

  test('bad token gets 200 anonymous', async () => {
    const response = await send(server, 'GET', '/api/check-auth', { authorization: `Bearer ${await forge({}, { alg: 'HS512' })}` });
    assert.equal(response.status, 200);
    assert.equal((await readJson(response)).authenticated, false);
  });
});

describe('logout', () => {
  test('revokes token and cookie', async () => {
    const { token, cookie } = await login(server);
    const response = await send(server, 'POST', '/api/logout', { authorization: `Bearer ${token}` });
    const body = await readJson(response);

    assert.equal(response.status, 200);
    assert.equal(body.success, true);
    assert.match(response.headers.get('set-cookie') ?? '', /^duckling_session=; Max-Age=0/);
    assert.equal(auditOf(response, 'auth.logout')?.detail?.revoked, true);

    const withToken = await send(server, 'GET', '/api/me', { authorization: `Bearer ${token}` });
    assert.equal(withToken.status, 401);
    assert.equal(auditOf(withToken, 'auth.rejected')?.detail?.reason, 'token_revoked');
    const withCookie = await send(server, 'GET', '/api/me', { cookie });
    assert.equal(withCookie.status, 401);
    assert.equal(auditOf(withCookie, 'auth.rejected')?.detail?.reason, 'cookie_revoked');
  });

  test('without credentials still answers', async () => {
    const response = await send(server, 'POST', '/api/logout');
    assert.equal(response.status, 200);
    assert.match((await readJson(response)).message, /^No active session was revoked, because no valid token/);
    assert.match(response.headers.get('set-cookie') ?? '', /Max-Age=0/);
  });

  test('second logout revokes nothing', async () => {
    const { token } = await login(server);
    await send(server, 'POST', '/api/logout', { authorization: `Bearer ${token}` });
    const response = await send(server, 'POST', '/api/logout', { authorization: `Bearer ${token}` });
    const body = await readJson(response);

    assert.equal(response.status, 200);
    assert.match(body.message, /^No active session was revoked, because the token or session cookie was already logged out/);
    assert.match(body.message, /session cookie was cleared$/);
    assert.match(response.headers.get('set-cookie') ?? '', /Max-Age=0/);
    const event = auditOf(response, 'auth.logout');
    assert.equal(event?.detail?.revoked, false);
    assert.equal(event?.detail?.reason, 'already_revoked');
  });

  test('revocation survives restart', async () => {
    const { token } = await login(server);
    await send(server, 'POST', '/api/logout', { authorization: `Bearer ${token}` });
    const saved = JSON.parse(await readFile(path.join(dataPath, 'revoked-tokens.json'), 'utf8'));
    assert.ok(saved.revoked.length > 0);

    await server.stop();
    server = await startDuckling({ MYSQL_CONNECTION_STRING: '' }, { dataPath, logger: audit.logger, attemptGuard: guard });
    const response = await send(server, 'GET', '/api/me', { authorization: `Bearer ${token}` });
    assert.equal(response.status, 401);
    assert.equal(auditOf(response, 'auth.rejected')?.detail?.reason, 'token_revoked');
    const fresh = await login(server);
    assert.equal((await send(server, 'GET', '/api/me', { authorization: `Bearer ${fresh.token}` })).status, 200);
  });
});
