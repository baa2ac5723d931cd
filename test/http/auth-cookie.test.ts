import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { readJson, startDuckling, TEST_API_KEY, type RunningDuckling } from '../harness/duckling.js';
import { captureAudit, login, send } from './auth-helpers.js';

const PUBLIC_ORIGIN = 'https://duckling.example.com';
const PARTNER_ORIGIN = 'https://reports.example.org';

describe('cookie attributes', () => {
  test('Secure with https PUBLIC_URL', async () => {
    const server = await startDuckling({ MYSQL_CONNECTION_STRING: '', PUBLIC_URL: PUBLIC_ORIGIN });
    try {
      const { setCookie, cookie } = await login(server);
      assert.match(setCookie, /^__Host-duckling_session=/);
      assert.match(setCookie, /; Secure/);
      assert.match(setCookie, /; HttpOnly/);
      assert.match(setCookie, /; SameSite=Strict/);
      assert.match(setCookie, /; Path=\//);
      assert.doesNotMatch(setCookie, /Domain=/);
      assert.equal((await send(server, 'GET', '/api/me', { cookie })).status, 200);
    } finally {
      await server.stop();
    }
  });

  test('Secure from trusted proxy', async () => {
    const server = await startDuckling({ MYSQL_CONNECTION_STRING: '', TRUST_PROXY: '127.0.0.1' });
    try {
      const { setCookie } = await login(server, { 'x-forwarded-proto': 'https' });
      assert.match(setCookie, /^__Host-duckling_session=.*; Secure/);
    } finally {
      await server.stop();
    }
  });

  test('not Secure from untrusted peer', async () => {
    const server = await startDuckling({ MYSQL_CONNECTION_STRING: '', TRUST_PROXY: 'false' });
    try {
      const { setCookie } = await login(server, { 'x-forwarded-proto': 'https' });
      assert.match(setCookie, /^duckling_session=/);
      assert.doesNotMatch(setCookie, /Secure/);
    } finally {
      await server.stop();
    }
  });

  test('lifetime follows JWT_EXPIRES_IN', async () => {
    const server = await startDuckling({ MYSQL_CONNECTION_STRING: '', JWT_EXPIRES_IN: '30m' });
    try {
      const { setCookie, body } = await login(server);
      assert.match(setCookie, /; Max-Age=1800/);
      assert.equal(body.expiresIn, '30m');
    } finally {
      await server.stop();
    }
  });
});

describe('origin check', () => {
  let server: RunningDuckling;
  let cookie: string;
  const audit = captureAudit();

  before(async () => {
    server = await startDuckling({ MYSQL_CONNECTION_STRING: '', CORS_ORIGINS: `${PARTNER_ORIGIN},*` }, { logger: audit.logger });
    ({ cookie } = await login(server));
  });

  after(async () => {
    await server?.stop();
  });

  // A harmless admin POST that needs no database.
  const stopAutomation = (headers: Record<string, string>) => send(server, 'POST', '/api/automation/stop', headers);

  test('same origin passes', async () => {
    const response = await stopAutomation({ cookie, origin: server.url });
    assert.equal(response.status, 200);
  });

  test('Referer of same origin passes', async () => {
    const response = await stopAutomation({ cookie, referer: `${server.url}/dashboard/sync` });
    assert.equal(response.status, 200);
  });

  test('CORS_ORIGINS entry passes', async () => {
    assert.equal((await stopAutomation({ cookie, origin: PARTNER_ORIGIN })).status, 200);
  });

  test('other origin gets 403', async () => {
    const response = await stopAutomation({ cookie, origin: 'https://evil.example.net' });
    const body = await readJson(response);

    assert.equal(response.status, 403);
    assert.equal(body.code, 'DUCKLING_AUTH_ORIGIN_REJECTED');
    assert.match(body.message, /https:\/\/evil\.example\.net/);
    assert.match(body.message, /CORS_ORIGINS/);
    assert.ok(body.message.includes(`this server's origin (${server.url}, as PUBLIC_URL is not set)`), body.message);
    const requestId = response.headers.get('x-request-id');
    const event = audit.events.find((record) => record.requestId === requestId && record.event === 'auth.rejected');
    assert.equal(event?.detail?.reason, 'origin_rejected');
  });

  test('rejection names PUBLIC_URL when set', async () => {
    const publicServer = await startDuckling({ MYSQL_CONNECTION_STRING: '', PUBLIC_URL: PUBLIC_ORIGIN });
    try {
      const session = await login(publicServer);
      const response = await send(publicServer, 'POST', '/api/automation/stop', { cookie: session.cookie, origin: 'https://evil.example.net' });
      const body = await readJson(response);
      assert.equal(response.status, 403);
      assert.match(body.message, /is neither a PUBLIC_URL origin nor listed in CORS_ORIGINS/);
    } finally {
      await publicServer.stop();
    }
  });

  test('wildcard entry does not count', async () => {
    assert.equal((await stopAutomation({ cookie, origin: 'https://anyone.example.com' })).status, 403);
  });

  test('null origin names the cause', async () => {
    const response = await stopAutomation({ cookie, origin: 'null' });
    const body = await readJson(response);
    assert.equal(response.status, 403);
    assert.match(body.message, /no-referrer/);
    assert.match(body.message, /sandboxed/);
  });

  test('no Origin nor Referer gets 403', async () => {
    const response = await stopAutomation({ cookie });
    assert.equal(response.status, 403);
    assert.match((await readJson(response)).message, /Origin or Referer/);
  });

  test('foreign Referer gets 403', async () => {
    assert.equal((await stopAutomation({ cookie, referer: 'https://evil.example.net/page' })).status, 403);
  });

  test('GET needs no origin', async () => {
    assert.equal((await send(server, 'GET', '/api/me', { cookie })).status, 200);
  });

  test('header auth needs no origin', async () => {
    assert.equal((await stopAutomation({ authorization: `Bearer ${TEST_API_KEY}`, origin: 'https://evil.example.net' })).status, 200);
  });

  test('cross-site logout is refused', async () => {
    const response = await send(server, 'POST', '/api/logout', { cookie, origin: 'https://evil.example.net' });
    assert.equal(response.status, 403);
    assert.equal((await send(server, 'GET', '/api/me', { cookie })).status, 200, 'the session still works');
  });
});

describe('origin check behind PUBLIC_URL', () => {
  test('public origin passes, own address does not', async () => {
    const server = await startDuckling({ MYSQL_CONNECTION_STRING: '', PUBLIC_URL: PUBLIC_ORIGIN });
    try {
      const { cookie } = await login(server);
      assert.equal((await send(server, 'POST', '/api/automation/stop', { cookie, origin: PUBLIC_ORIGIN })).status, 200);
      assert.equal((await send(server, 'POST', '/api/automation/stop', { cookie, origin: server.url })).status, 403);
    } finally {
      await server.stop();
    }
  });
});
