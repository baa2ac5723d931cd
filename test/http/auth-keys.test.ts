import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { readServerSentEvents } from '../app/sse-reader.js';
import { postJson, readJson, startDuckling, TEST_API_KEY, type RunningDuckling } from '../harness/duckling.js';
import { testSource } from '../harness/mariadb.js';
import { captureAudit, send, type AuditRecord } from './auth-helpers.js';

// Two databases, `default` and `other`, copied from one small source schema.
let server: RunningDuckling;
const audit = captureAudit();

before(async () => {
  const source = await testSource();
  const schema = await source.createSchema('auth_keys');
  const connection = await source.connect(schema);
  try {
    await connection.query('CREATE TABLE items (id INT PRIMARY KEY, label VARCHAR(20)); INSERT INTO items VALUES (1, \'one\');');
  } finally {
    await connection.end();
  }
  server = await startDuckling({ MYSQL_CONNECTION_STRING: source.url(schema) }, { logger: audit.logger });
  assert.equal((await server.request('/api/sync/full', { method: 'POST' })).status, 200);
  const other = await postJson(server, '/api/databases', { name: 'other', mysqlConnectionString: source.url(schema) });
  assert.equal(other.status, 200, await other.clone().text());
});

after(async () => {
  await server?.stop();
});

function auditOf(response: Response, event: string): AuditRecord | undefined {
  const requestId = response.headers.get('x-request-id');
  return audit.events.find((record) => record.requestId === requestId && record.event === event);
}

async function createKey(db: string, body: Record<string, unknown> = { name: 'reporting' }): Promise<{ keyId: string; key: string; response: Response }> {
  const response = await postJson(server, `/api/databases/${db}/keys`, body);
  assert.equal(response.status, 201, await response.clone().text());
  const created = await readJson(response.clone());
  return { keyId: created.keyId, key: created.key, response };
}

const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

describe('key routes', () => {
  test('create shows the key once', async () => {
    const { key, keyId, response } = await createKey('default', { name: 'dashboard', expiresAt: '2099-01-01T00:00:00Z' });
    const body = await readJson(response);

    assert.match(key, /^dk_default_[A-Za-z0-9_-]{43}$/);
    assert.equal(body.name, 'dashboard');
    assert.equal(body.expiresAt, '2099-01-01T00:00:00.000Z');
    assert.equal(auditOf(response, 'apikey.created')?.target, `default/${keyId}`);

    const listed = await readJson(await server.request('/api/databases/default/keys'));
    const entry = listed.keys.find((item: { keyId: string }) => item.keyId === keyId);
    assert.deepEqual(Object.keys(entry).sort(), ['createdAt', 'expiresAt', 'keyId', 'lastUsedAt', 'name', 'prefix']);
    assert.equal(entry.prefix, key.slice(0, 'dk_default_'.length + 8));

    const registry = await readFile(path.join(server.dataPath, 'databases.json'), 'utf8');
    assert.ok(registry.includes(keyId));
    assert.ok(!registry.includes(key.slice('dk_default_'.length)), 'the key itself is not stored');
  });

  test('bad input gets 400', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{}, 'body.name'],
      [{ name: '   ' }, 'body.name'],
      [{ name: 'x', expiresAt: '2001-01-01T00:00:00Z' }, 'body.expiresAt'],
      [{ name: 'x', expiresAt: 'tomorrow' }, 'body.expiresAt'],
      [{ name: 'x', extra: true }, 'body.extra'],
    ];
    for (const [body, field] of cases) {
      const response = await postJson(server, '/api/databases/default/keys', body);
      assert.equal(response.status, 400, JSON.stringify(body));
      assert.equal((await readJson(response)).details[0].field, field);
    }
  });

  test('unknown database or key gets 404', async () => {
    assert.equal((await readJson(await server.request('/api/databases/nope/keys'))).code, 'DUCKLING_DATABASE_NOT_FOUND');
    const response = await server.request('/api/databases/default/keys/0000', { method: 'DELETE' });
    assert.equal(response.status, 404);
    assert.equal((await readJson(response)).code, 'DUCKLING_KEY_NOT_FOUND');
  });
});

describe('database key scope', () => {
  let key: string;
  let keyId: string;
  before(async () => {
    ({ key, keyId } = await createKey('default'));
  });

  test('reads its own database', async () => {
    const response = await send(server, 'GET', '/api/tables?db=default', bearer(key));
    assert.equal(response.status, 200);
    assert.deepEqual(await readJson(response), ['items']);
    const query = await send(server, 'POST', '/api/query?db=default', bearer(key), { sql: 'SELECT count(*) AS n FROM items' });
    assert.equal(query.status, 200);
  });

  test('me names the scope', async () => {
    const me = await readJson(await send(server, 'GET', '/api/me', bearer(key)));
    assert.equal(me.authMethod, 'database-key');
    assert.equal(me.tier, 'apiKey');
    assert.equal(me.scope, 'database:default');
    assert.equal(me.username, `database-key:${keyId}`);
  });

  const forbidden: Array<[string, string, string, unknown?]> = [
    ['other database', 'GET', '/api/tables?db=other'],
    ['admin route', 'GET', '/status'],
    ['key list', 'GET', '/api/databases/default/keys'],
    ['sync trigger', 'POST', '/api/sync/full?db=default'],
    ['source query', 'POST', '/api/query?db=default', { sql: 'SELECT 1', database: 'mysql' }],
  ];
  for (const [name, method, route, body] of forbidden) {
    test(`403 on ${name}`, async () => {
      const response = await send(server, method, route, bearer(key), body);
      const error = await readJson(response);
      assert.equal(response.status, 403);
      assert.equal(error.code, 'DUCKLING_AUTH_SCOPE');
      assert.equal(auditOf(response, 'auth.rejected')?.detail?.reason, 'scope');
    });
  }

  test('key of another database', async () => {
    const other = await createKey('other');
    const response = await send(server, 'GET', '/api/tables?db=default', bearer(other.key));
    assert.equal(response.status, 403);
    assert.match((await readJson(response)).message, /belongs to database "other"/);
  });

  test('health stays public body', async () => {
    assert.deepEqual(await readJson(await send(server, 'GET', '/health', bearer(key))), { status: 'healthy' });
  });

  test('admin may try a source query', async () => {
    const response = await postJson(server, '/api/query?db=default', { sql: 'SELECT 1', database: 'mysql' });
    assert.equal(response.status, 400);
    assert.equal((await readJson(response)).details[0].field, 'body.database');
  });
});

describe('key deletion', () => {
  test('takes effect at once', async () => {
    const { key, keyId } = await createKey('default');
    assert.equal((await send(server, 'GET', '/api/tables?db=default', bearer(key))).status, 200);

    const deleted = await server.request(`/api/databases/default/keys/${keyId}`, { method: 'DELETE' });
    assert.deepEqual(await readJson(deleted), { success: true });
    assert.equal(auditOf(deleted, 'apikey.deleted')?.target, `default/${keyId}`);

    const response = await send(server, 'GET', '/api/tables?db=default', bearer(key));
    assert.equal(response.status, 401);
    assert.equal(auditOf(response, 'auth.rejected')?.detail?.reason, 'key_invalid');
  });

  test('ends open event streams', async () => {
    const { key, keyId } = await createKey('default');
    const response = await send(server, 'GET', '/api/sync/events?db=default', bearer(key));
    assert.equal(response.status, 200);
    const events = readServerSentEvents(response);
    const first = await events.next();
    assert.ok(first.value?.data, 'first progress message');

    await server.request(`/api/databases/default/keys/${keyId}`, { method: 'DELETE' });
    const next = await events.next();
    assert.equal(next.value?.event, 'auth-expired');
    assert.match((next.value?.data as { message: string }).message, /deleted/);
    assert.equal((await events.next()).done, true, 'the stream ends');
  });
});

describe('keys and database changes', () => {
  test('rename keeps the keys', async () => {
    const { key } = await createKey('other');
    const renamed = await server.request('/api/databases/other', {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Other renamed' }),
    });
    assert.equal(renamed.status, 200);
    assert.equal((await send(server, 'GET', '/api/tables?db=other', bearer(key))).status, 200);
  });
});

describe('global key still admin', () => {
  test('lists keys', async () => {
    const response = await send(server, 'GET', '/api/databases/other/keys', bearer(TEST_API_KEY));
    assert.equal(response.status, 200);
    assert.ok(Array.isArray((await readJson(response)).keys));
  });
});
