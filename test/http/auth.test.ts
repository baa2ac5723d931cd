import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { readJson, startDuckling, TEST_API_KEY, TEST_PREVIOUS_KEY, type RunningDuckling } from '../harness/duckling.js';

// A server without databases: authentication runs before the database lookup, so a request that
// passes it ends in 404 DUCKLING_DATABASE_NOT_FOUND.
let server: RunningDuckling;

before(async () => {
  server = await startDuckling({ MYSQL_CONNECTION_STRING: '' });
});

after(async () => {
  await server?.stop();
});

function get(path: string, authorization?: string): Promise<Response> {
  const headers: Record<string, string> = authorization === undefined ? {} : { authorization };
  return fetch(`${server.url}${path}`, { headers });
}

describe('auth plugin', () => {
  test('missing credentials get 401', async () => {
    const response = await get('/api/tables');
    const body = await readJson(response);

    assert.equal(response.status, 401);
    assert.equal(body.code, 'DUCKLING_AUTH_REQUIRED');
    assert.match(body.message, /Authorization: Bearer/);
    assert.equal(response.headers.get('www-authenticate'), null);
  });

  test('wrong key gets 401 with challenge', async () => {
    const response = await get('/api/tables', 'Bearer not-the-key');
    const body = await readJson(response);

    assert.equal(response.status, 401);
    assert.equal(body.code, 'DUCKLING_AUTH_INVALID');
    assert.equal(response.headers.get('www-authenticate'), 'Bearer error="invalid_token"');
  });

  test('right key passes', async () => {
    const response = await get('/api/tables', `Bearer ${TEST_API_KEY}`);
    assert.equal((await readJson(response)).code, 'DUCKLING_DATABASE_NOT_FOUND');
  });

  test('previous key passes', async () => {
    const response = await get('/api/tables', `Bearer ${TEST_PREVIOUS_KEY}`);
    assert.equal((await readJson(response)).code, 'DUCKLING_DATABASE_NOT_FOUND');
  });

  test('bare header passes', async () => {
    const response = await get('/api/tables', TEST_API_KEY);
    assert.equal((await readJson(response)).code, 'DUCKLING_DATABASE_NOT_FOUND');
  });

  test('root alias needs auth too', async () => {
    const response = await get('/tables');
    assert.equal(response.status, 401);
  });

  test('status route needs auth', async () => {
    assert.equal((await get('/status')).status, 401);
    const response = await get('/status', `Bearer ${TEST_API_KEY}`);
    const body = await readJson(response);
    assert.equal(response.status, 200);
    assert.deepEqual(body.databases, []);
    assert.equal(typeof body.duckdbVersion, 'string');
  });

  for (const parameter of ['token', 'access_token', 'apiKey', 'api_key', 'key', 'password', 'APIKEY', 'apikey', 'Token', 'Access_Token']) {
    test(`credentials in URL: ${parameter}`, async () => {
      const response = await get(`/api/tables?${parameter}=${TEST_API_KEY}`, `Bearer ${TEST_API_KEY}`);
      const body = await readJson(response);

      assert.equal(response.status, 400);
      assert.equal(body.code, 'DUCKLING_AUTH_CREDENTIALS_IN_URL');
      assert.match(body.message, new RegExp(parameter));
    });
  }

  test('credentials in URL on public route', async () => {
    const response = await get('/health?token=abc');
    assert.equal(response.status, 400);
  });
});

describe('error responses', () => {
  test('body has the documented shape', async () => {
    const response = await get('/api/tables?db=nope', `Bearer ${TEST_API_KEY}`);
    const body = await readJson(response);

    assert.equal(response.status, 404);
    assert.equal(body.success, false);
    assert.equal(body.statusCode, 404);
    assert.equal(body.code, 'DUCKLING_DATABASE_NOT_FOUND');
    assert.equal(body.error, 'Not Found');
    assert.match(body.message, /Database "nope" not found/);
    assert.match(body.message, /MYSQL_CONNECTION_STRING/);
    assert.equal(body.requestId, response.headers.get('x-request-id'));
  });

  test('valid X-Request-Id is echoed', async () => {
    const response = await fetch(`${server.url}/health`, { headers: { 'x-request-id': 'trace.42_A-b' } });
    assert.equal(response.headers.get('x-request-id'), 'trace.42_A-b');
  });

  test('invalid X-Request-Id is replaced', async () => {
    const response = await fetch(`${server.url}/api/tables`, { headers: { 'x-request-id': 'has spaces and {braces}' } });
    const body = await readJson(response);
    const id = response.headers.get('x-request-id');

    assert.ok(id);
    assert.notEqual(id, 'has spaces and {braces}');
    assert.match(id, /^[A-Za-z0-9._-]{1,64}$/);
    assert.equal(body.requestId, id);
  });

  test('unknown route gets 404', async () => {
    const response = await get('/api/nothing-here', `Bearer ${TEST_API_KEY}`);
    const body = await readJson(response);

    assert.equal(response.status, 404);
    assert.equal(body.code, 'DUCKLING_NOT_FOUND');
    assert.match(body.message, /GET \/api\/nothing-here/);
  });
});

describe('health routes', () => {
  test('anonymous health is status only', async () => {
    const response = await get('/health');
    assert.equal(response.status, 200);
    assert.deepEqual(await readJson(response), { status: 'healthy' });
  });

  test('admin health has details', async () => {
    const body = await readJson(await get('/health', `Bearer ${TEST_API_KEY}`));

    assert.equal(body.status, 'healthy');
    assert.equal(typeof body.version, 'string');
    assert.equal(typeof body.uptime, 'number');
    assert.deepEqual(body.databases, []);
  });

  test('ready after start', async () => {
    const response = await get('/health/ready');
    assert.equal(response.status, 200);
    assert.deepEqual(await readJson(response), { ready: true });
  });
});

describe('server without API key', () => {
  test('protected routes explain the options', async () => {
    const keyless = await startDuckling({ MYSQL_CONNECTION_STRING: '', DUCKLING_API_KEY: '', DUCKLING_API_KEY_PREVIOUS: '' });
    try {
      const wrong = await fetch(`${keyless.url}/api/tables`, { headers: { authorization: 'Bearer anything' } });
      assert.equal(wrong.status, 401);
      assert.equal((await readJson(wrong)).code, 'DUCKLING_AUTH_INVALID');

      const missing = await fetch(`${keyless.url}/api/tables`);
      const body = await readJson(missing);
      assert.equal(missing.status, 401);
      assert.equal(body.code, 'DUCKLING_AUTH_REQUIRED');
      assert.match(body.message, /DUCKLING_API_KEY/);
      assert.match(body.message, /POST \/api\/login/);
      assert.equal((await fetch(`${keyless.url}/health`)).status, 200);
    } finally {
      await keyless.stop();
    }
  });
});
