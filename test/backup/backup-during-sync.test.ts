import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type mysql from 'mysql2/promise';
import { postJson, readJson, startDuckling, type RunningDuckling } from '../harness/duckling.js';
import { testSource } from '../harness/mariadb.js';

const ROWS = 400_000;

let server: RunningDuckling;
let admin: mysql.Connection;

before(async () => {
  const source = await testSource();
  const schema = await source.createSchema('backup_during_sync');
  admin = await source.connect(schema);
  await admin.query(`
    CREATE TABLE big (id INT PRIMARY KEY, payload VARCHAR(40));
    CREATE TABLE small (id INT PRIMARY KEY);
    INSERT INTO big SELECT seq, CONCAT('row-', seq) FROM seq_1_to_${ROWS};
    INSERT INTO small SELECT seq FROM seq_1_to_10;
  `);
  // Small flush intervals give the backup many flushes at which the load can pause.
  server = await startDuckling({
    MYSQL_CONNECTION_STRING: source.url(schema),
    FULL_SYNC_BATCH_SIZE: '5000',
    FULL_SYNC_APPENDER_FLUSH_INTERVAL: '10000',
    SYNC_TABLE_CONCURRENCY: '1',
    AUTO_BACKUP: 'false',
  });
});

after(async () => {
  await server?.stop();
  await admin?.end();
});

async function progress(): Promise<{ inProgress: boolean; recordsProcessed: number; lastError: string | null }> {
  return readJson(await server.request('/api/sync/progress'));
}

test('backup during full sync is consistent', async () => {
  const started = await server.request('/api/sync/full?async=true', { method: 'POST' });
  assert.equal(started.status, 202, await started.clone().text());

  // Wait (bounded) until the load has written rows, so the backup meets a running load.
  let loading = false;
  for (let attempt = 0; attempt < 400 && !loading; attempt += 1) {
    const current = await progress();
    loading = current.inProgress && current.recordsProcessed > 0;
    if (!loading) await sleep(25);
  }
  assert.ok(loading, 'the full sync never reported loaded rows');

  const response = await server.request('/api/backups', { method: 'POST' });
  assert.equal(response.status, 200, await response.clone().text());
  const backup = (await readJson(response)).backup;

  for (let attempt = 0; attempt < 1200; attempt += 1) {
    if (!(await progress()).inProgress) break;
    await sleep(50);
  }
  const finished = await progress();
  assert.equal(finished.inProgress, false, 'the full sync did not finish');
  assert.equal(finished.lastError, null);
  assert.deepEqual(await readJson(await server.request('/api/tables/counts/all')), { big: ROWS, small: 10 });

  const restore = await postJson(server, '/api/backups/restore', { name: backup.name });
  assert.equal(restore.status, 200, await restore.clone().text());
  const expected = Object.fromEntries(backup.manifest.tables.map((table: { name: string; rows: number }) => [table.name, table.rows]));
  assert.deepEqual(await readJson(await server.request('/api/tables/counts/all')), expected);
  const tables = await readJson(await server.request('/api/tables'));
  assert.ok(tables.every((name: string) => !name.startsWith('__duckling_stage_')));
});
