import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readJson, startDuckling, type RunningDuckling } from '../harness/duckling.js';
import { testSource } from '../harness/mariadb.js';

let server: RunningDuckling;

before(async () => {
  const source = await testSource();
  const schema = await source.createSchema('http_table_param');
  const admin = await source.connect(schema);
  try {
    await admin.query('CREATE TABLE items (id INT PRIMARY KEY)');
  } finally {
    await admin.end();
  }
  server = await startDuckling({ MYSQL_CONNECTION_STRING: source.url(schema) });
});

after(() => server?.stop());

async function errorOf(response: Response): Promise<{ status: number; code: string; requestId: string }> {
  const body = await readJson(response);
  return { status: response.status, code: body.code, requestId: body.requestId };
}

test('long table names get Duckling errors', async () => {
  // 120 ASCII characters and 128 four-byte characters (1,536 characters URL-encoded) are valid names.
  for (const name of ['t'.repeat(120), '😀'.repeat(128)]) {
    for (const path of [`/api/tables/${encodeURIComponent(name)}/count`, `/tables/${encodeURIComponent(name)}/schema`]) {
      const result = await errorOf(await server.request(path));
      assert.equal(result.status, 404, path.slice(0, 40));
      assert.equal(result.code, 'DUCKLING_TABLE_NOT_FOUND');
      assert.match(result.requestId, /\S/);
    }
  }

  const tooLong = await errorOf(await server.request(`/api/tables/${'t'.repeat(129)}/count`));
  assert.equal(tooLong.status, 400);
  assert.equal(tooLong.code, 'DUCKLING_INVALID_IDENTIFIER');
});

test('sync table rejects bad names', async () => {
  for (const path of ['/api/sync/table/a%3Bb', `/api/sync/table/${'t'.repeat(129)}`, '/sync/table/a%00b']) {
    const result = await errorOf(await server.request(path, { method: 'POST' }));
    assert.equal(result.status, 400, path.slice(0, 40));
    assert.equal(result.code, 'DUCKLING_INVALID_IDENTIFIER');
  }

  const missing = await errorOf(await server.request(`/api/sync/table/${'t'.repeat(120)}`, { method: 'POST' }));
  assert.equal(missing.status, 404);
  assert.equal(missing.code, 'DUCKLING_TABLE_NOT_FOUND');
});
