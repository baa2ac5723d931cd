import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Connection } from 'mysql2/promise';
import { startDuckling, TEST_API_KEY, type RunningDuckling } from '../harness/duckling.js';
import { testSource } from '../harness/mariadb.js';
import { runCli } from './run-cli.js';

let server: RunningDuckling;
let admin: Connection;

before(async () => {
  const source = await testSource();
  const schema = await source.createSchema('validate_reconcile_cli');
  admin = await source.connect(schema);
  await admin.query(`
    CREATE TABLE items (id INT PRIMARY KEY, label VARCHAR(20));
    INSERT INTO items SELECT seq, CONCAT('item ', seq) FROM seq_1_to_50;
  `);
  server = await startDuckling({ MYSQL_CONNECTION_STRING: source.url(schema) });
  const response = await server.request('/api/sync/full', { method: 'POST' });
  assert.equal(response.status, 200, await response.text());
});

after(async () => {
  await server?.stop();
  await admin?.end();
});

test('validate --reconcile repairs deletes', async () => {
  await admin.query(`DELETE FROM items WHERE id IN (7, 8)`);
  const env = { DUCKLING_URL: server.url, DUCKLING_API_KEY: TEST_API_KEY };

  const before = await runCli(['validate'], { env });
  assert.equal(before.code, 3, before.stderr + before.stdout);

  const run = await runCli(['validate', '--reconcile', '--checksum'], { env });
  assert.equal(run.code, 0, run.stderr + run.stdout);
  assert.match(run.stdout, /^items\s+1\s+1\s+2\s+0\s+done/m);
  assert.match(run.stdout, /^items\s+48\s+48\s+0\s+equal\s+match/m);
});
