import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type mysql from 'mysql2/promise';
import { readJson, startDuckling, TEST_API_KEY, type RunningDuckling } from '../harness/duckling.js';
import { testSource } from '../harness/mariadb.js';
import { runCli } from '../cli/run-cli.js';

let admin: mysql.Connection;
let server: RunningDuckling;

before(async () => {
  const source = await testSource();
  const schema = await source.createSchema('sync_incremental_http');
  admin = await source.connect(schema);
  await admin.query(`
    CREATE TABLE notes (id INT PRIMARY KEY, body VARCHAR(20), updated_at DATETIME NOT NULL);
    CREATE TABLE tags (name VARCHAR(10) PRIMARY KEY);
    INSERT INTO notes VALUES (1, 'a', '2024-01-01 00:00:00');
    INSERT INTO tags VALUES ('x');
  `);
  server = await startDuckling({ MYSQL_CONNECTION_STRING: source.url(schema) });
  const full = await server.request('/api/sync/full', { method: 'POST' });
  assert.equal(full.status, 200);
});

after(async () => {
  await server?.stop();
  await admin?.end();
});

async function noteBodies(): Promise<string[]> {
  const response = await server.request('/api/tables/notes/data?limit=100');
  const rows = (await readJson(response)) as Array<{ body: string }>;
  return rows.map((row) => row.body).sort();
}

test('incremental route waits', async () => {
  await admin.query(`INSERT INTO notes VALUES (2, 'b', '2024-02-01 00:00:00')`);
  const response = await server.request('/api/sync/incremental', { method: 'POST' });
  assert.equal(response.status, 200);
  const stats = await readJson(response);
  assert.equal(stats.successfulTables, 2);
  assert.deepEqual(stats.syncDetails, { sequential: 1, watermark: 1 });
  assert.equal(stats.tables.find((table: { table: string }) => table.table === 'notes').recordsProcessed, 1);
  assert.deepEqual(await noteBodies(), ['a', 'b']);
});

test('incremental route async', async () => {
  await admin.query(`UPDATE notes SET body = 'A', updated_at = '2024-03-01 00:00:00' WHERE id = 1`);
  const response = await server.request('/api/sync/incremental?async=true', { method: 'POST' });
  assert.equal(response.status, 202);
  const { runId } = await readJson(response);
  assert.match(runId, /^[0-9a-f-]{36}$/);
  for (let attempt = 0; attempt < 200; attempt += 1) {
    const progress = await readJson(await server.request('/api/sync/progress'));
    if (!progress.inProgress) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const logs = await readJson(await server.request('/api/sync-logs?table=notes&limit=1'));
  assert.equal(logs.logs[0].run_id, runId);
  assert.equal(logs.logs[0].sync_type, 'watermark');
  assert.deepEqual(await noteBodies(), ['A', 'b']);
});

test('table route incremental mode', async () => {
  await admin.query(`UPDATE notes SET body = 'B', updated_at = '2024-04-01 00:00:00' WHERE id = 2`);
  const response = await server.request('/api/sync/table/notes?mode=incremental', { method: 'POST' });
  assert.equal(response.status, 200);
  const body = await readJson(response);
  assert.equal(body.syncType, 'watermark');
  assert.equal(body.recordsProcessed, 1);
  assert.deepEqual(body.watermark, { mode: 'timestamp', column: 'updated_at', value: '2024-04-01 00:00:00', key: [2] });
});

test('cli sync --incremental', async () => {
  await admin.query(`INSERT INTO notes VALUES (3, 'c', '2024-05-01 00:00:00')`);
  const env = { DUCKLING_URL: server.url, DUCKLING_API_KEY: TEST_API_KEY };
  const run = await runCli(['sync', '--incremental'], { env });
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /^notes\s+success\s+1\s/m);
  assert.match(run.stdout, /2 succeeded, 0 failed, 0 skipped/);

  const single = await runCli(['sync', '--table', 'notes', '--incremental'], { env });
  assert.equal(single.code, 0, single.stderr);
  assert.match(single.stdout, /^notes\s+success\s+0\s/m);

  const both = await runCli(['sync', '--full', '--incremental'], { env });
  assert.equal(both.code, 2);
  assert.match(both.stderr, /--full and --incremental exclude each other/);
});
