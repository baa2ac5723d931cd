import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readJson, startDuckling, TEST_ADMIN_PASSWORD, TEST_ADMIN_USERNAME, type RunningDuckling } from '../harness/duckling.js';

async function loginToken(server: RunningDuckling): Promise<string> {
  const response = await fetch(`${server.url}/api/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: TEST_ADMIN_USERNAME, password: TEST_ADMIN_PASSWORD }),
  });
  assert.equal(response.status, 200);
  return (await readJson(response)).token as string;
}

/** Sends `count` reads of `/api/me` with the token and returns their status codes. */
async function reads(server: RunningDuckling, token: string, count: number): Promise<number[]> {
  const codes: number[] = [];
  for (let index = 0; index < count; index += 1) {
    const response = await fetch(`${server.url}/api/me`, { headers: { authorization: `Bearer ${token}` } });
    await response.arrayBuffer();
    codes.push(response.status);
  }
  return codes;
}

test('jwt reads block after double budget', async () => {
  const server = await startDuckling({ MYSQL_CONNECTION_STRING: '', RATE_LIMIT_READ_MAX: '2' });
  try {
    const token = await loginToken(server);
    assert.deepEqual(await reads(server, token, 5), [200, 200, 200, 200, 429]);
  } finally {
    await server.stop();
  }
});

for (const sessionScope of [true, false]) {
  test(`session scope ${sessionScope ? 'separates' : 'off shares'} logins`, async () => {
    const server = await startDuckling({
      MYSQL_CONNECTION_STRING: '',
      RATE_LIMIT_READ_MAX: '1',
      RATE_LIMIT_USE_SESSION_SCOPE: String(sessionScope),
    });
    try {
      const first = await loginToken(server);
      const second = await loginToken(server);
      assert.deepEqual(await reads(server, first, 3), [200, 200, 429]);
      assert.deepEqual(await reads(server, second, 1), [sessionScope ? 200 : 429]);
    } finally {
      await server.stop();
    }
  });
}
