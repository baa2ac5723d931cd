import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readJson, startDuckling, TEST_ADMIN_PASSWORD, TEST_ADMIN_USERNAME, TEST_API_KEY } from '../harness/duckling.js';

/** Logs in with a password; no Authorization header, so the attempt is anonymous. */
function login(url: string, password: string): Promise<Response> {
  return fetch(`${url}/api/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: TEST_ADMIN_USERNAME, password }),
  });
}

test('11th login attempt gets 429', async () => {
  const server = await startDuckling({ MYSQL_CONNECTION_STRING: '', RATE_LIMIT_AUTH_MAX: '10' });
  try {
    const failures: number[] = [];
    const remaining: Array<string | null> = [];
    for (let attempt = 0; attempt < 10; attempt += 1) {
      const response = await login(server.url, `wrong-password-${attempt}`);
      await response.arrayBuffer();
      failures.push(response.status);
      remaining.push(response.headers.get('x-ratelimit-remaining'));
    }
    assert.deepEqual(failures, new Array(10).fill(401));
    assert.deepEqual(remaining, ['9', '8', '7', '6', '5', '4', '3', '2', '1', '0']);

    // The right password no longer helps: the attempt is rejected before it is checked.
    const blocked = await login(server.url, TEST_ADMIN_PASSWORD);
    const body = await readJson(blocked);
    assert.equal(blocked.status, 429);
    assert.equal(body.code, 'DUCKLING_RATE_LIMITED');
    assert.equal(body.category, 'auth');
    assert.equal(body.tier, 'anonymous');
    assert.equal(blocked.headers.get('retry-after'), String(body.retryAfter));

    const audit = await readJson(await server.request('/api/audit?event=ratelimit.blocked'));
    assert.equal(audit.events.length, 1);
    assert.equal(audit.events[0].detail.category, 'auth');
    assert.equal(audit.events[0].actor.ip, '127.0.0.1');
  } finally {
    await server.stop();
  }
});

test('successful login has auth headers', async () => {
  const server = await startDuckling({ MYSQL_CONNECTION_STRING: '', RATE_LIMIT_AUTH_MAX: '10' });
  try {
    const response = await login(server.url, TEST_ADMIN_PASSWORD);
    await response.arrayBuffer();
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('x-ratelimit-limit'), '10');
    assert.equal(response.headers.get('x-ratelimit-remaining'), '9');
    assert.match(response.headers.get('ratelimit-policy') ?? '', /^"auth";q=10;w=\d+$/);
  } finally {
    await server.stop();
  }
});

test('invalid keys drain auth budget', async () => {
  const server = await startDuckling({ MYSQL_CONNECTION_STRING: '', RATE_LIMIT_AUTH_MAX: '3' });
  try {
    const codes: number[] = [];
    for (let attempt = 0; attempt < 4; attempt += 1) {
      const response = await fetch(`${server.url}/status`, { headers: { authorization: 'Bearer not-a-valid-key' } });
      await response.arrayBuffer();
      codes.push(response.status);
    }
    assert.deepEqual(codes, [401, 401, 401, 429]);

    // A valid key is never charged to `auth`, so it still passes.
    const valid = await fetch(`${server.url}/status`, { headers: { authorization: `Bearer ${TEST_API_KEY}` } });
    await valid.arrayBuffer();
    assert.equal(valid.status, 200);
  } finally {
    await server.stop();
  }
});
