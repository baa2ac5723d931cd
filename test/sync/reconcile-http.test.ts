import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type mysql from 'mysql2/promise';
import { postJson, readJson, startDuckling, type RunningDuckling } from '../harness/duckling.js';
import { testSource } from '../harness/mariadb.js';

let admin: mysql.Connection;
let server: RunningDuckling;
let schemaName: string;

before(async () => {
  const source = await testSource();
  const schema = await source.createSchema('sync_reconcile_http');
  schemaName = schema;
  admin = await source.connect(schema);
  await admin.query(`
    CREATE TABLE notes (id INT PRIMARY KEY, body VARCHAR(20));
    INSERT INTO notes VALUES (1, 'a'), (2, 'b'), (3, 'c');
  `);
  server = await startDuckling({ MYSQL_CONNECTION_STRING: source.url(schema) });
  const full = await server.request('/api/sync/full', { method: 'POST' });
  assert.equal(full.status, 200);
});

after(async () => {
  await server?.stop();
  await admin?.end();
});

test('reconcile route deletes', async () => {
  await admin.query(`DELETE FROM notes WHERE id = 2`);
  const response = await postJson(server, '/api/sync/reconcile', {});
  assert.equal(response.status, 200);
  const body = await readJson(response);
  assert.deepEqual(body.tables, [{ table: 'notes', chunks: 1, mismatchedChunks: 1, rowsDeleted: 1, rowsRepaired: 0 }]);
  assert.equal(typeof body.runId, 'string');
});

test('reconcile route rejects bad body', async () => {
  const unknown = await postJson(server, '/api/sync/reconcile', { tables: 'notes' });
  assert.equal(unknown.status, 400);
  const missing = await postJson(server, '/api/sync/reconcile', { table: 'nope' });
  assert.equal(missing.status, 404);
});

test('reconcile without a body', async () => {
  await admin.query(`DELETE FROM notes WHERE id = 3`);
  const bare = await server.request('/api/sync/reconcile', { method: 'POST' });
  assert.equal(bare.status, 200, await bare.clone().text());
  assert.equal((await readJson(bare)).tables[0].rowsDeleted, 1);

  const emptyJson = await server.request('/sync/reconcile', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '' });
  assert.equal(emptyJson.status, 200, await emptyJson.clone().text());
  assert.equal((await readJson(emptyJson)).tables[0].table, 'notes');

  const badJson = await server.request('/api/sync/reconcile', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"table":' });
  assert.equal(badJson.status, 400);
});

test('reconcile route 409 during sync', async () => {
  // The lock holds the run's load, so the run is still going when the reconcile request arrives.
  const locker = await (await testSource()).connect(schemaName);
  try {
    await locker.query('LOCK TABLES notes WRITE');
    const started = await server.request('/api/sync/full?async=true', { method: 'POST' });
    assert.equal(started.status, 202);
    const refused = await postJson(server, '/api/sync/reconcile', { content: true });
    assert.equal(refused.status, 409);
    assert.equal((await readJson(refused)).code, 'DUCKLING_SYNC_IN_PROGRESS');
  } finally {
    await locker.query('UNLOCK TABLES');
    await locker.end();
  }

  // Wait for the run to end before the server stops; bounded so a stuck run fails the test.
  for (let attempt = 0; attempt < 600; attempt += 1) {
    const progress = await readJson(await server.request('/api/sync/progress'));
    if (!progress.inProgress) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.fail('the full sync did not end');
});
